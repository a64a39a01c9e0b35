//! convex-scaffold: renders a self-hosted Convex project and its Coder
//! workspace template with every known workaround applied, upgrades it when
//! pins move, and recognises what breaks.
//!
//! Data flows one way: answers → validated [`answers::Answers`] → rendered
//! in-memory [`tree::Tree`] → (print | write | merge).

pub mod answers;
pub mod cli;
pub mod doctor;
pub mod error;
pub mod escape;
pub mod generate;
pub mod outputs;
pub mod pins;
pub mod project;
pub mod prompt;
pub mod render;
pub mod state;
pub mod tree;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::error::Outcome;

/// Runs one command.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::New(args) => generate::run(&args, generate::Target::Project),
        Command::Coder(args) => generate::run(&args, generate::Target::CoderTemplate),
        Command::Pins => {
            print!("{}", pins::describe());
            Ok(Outcome::Success)
        }
        Command::Doctor(args) => doctor::run(&args),
        Command::Upgrade(_) | Command::Diagnose(_) => Err(error::usage(
            "this command is not available in this build yet",
        )),
    }
}
