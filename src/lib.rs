//! convex-scaffold: renders a self-hosted Convex project and its Coder
//! workspace template with every known workaround applied, upgrades it when
//! pins move, and recognises what breaks.
//!
//! Data flows one way: answers → validated [`answers::Answers`] → rendered
//! in-memory [`tree::Tree`] → (print | write | merge).

pub mod answers;
pub mod backend_features;
pub mod cli;
pub mod diagnose;
pub mod doctor;
pub mod error;
pub mod escape;
pub mod generate;
pub mod output;
pub mod outputs;
pub mod pins;
pub mod project;
pub mod prompt;
pub mod render;
pub mod state;
pub mod tree;
pub mod upgrade;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::error::Outcome;

/// Runs one command.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::New(args) => generate::run(&args, generate::Target::Project),
        Command::Coder(args) => generate::run(&args, generate::Target::CoderTemplate),
        Command::Pins => {
            output::emit(&pins::describe())?;
            Ok(Outcome::Success)
        }
        Command::Diagnose(args) => run_diagnose(&args),
        Command::Upgrade(args) => upgrade::run(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Completions(args) => {
            output::emit(&cli::completions(args.shell.into()))?;
            Ok(Outcome::Success)
        }
    }
}

/// `diagnose [FILE] [--json]`: reads FILE or standard input, streaming.
/// Exit 1 when a known issue was found (the README's "found something"),
/// 0 when nothing matched.
fn run_diagnose(args: &cli::DiagnoseArgs) -> Result<Outcome> {
    use std::io::Write;
    let findings = match &args.file {
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| error::usage(format!("cannot read {}: {e}", path.display())))?;
            diagnose::scan(file)
        }
        None => {
            use std::io::IsTerminal;
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                // A person at a terminal: say what to do instead of waiting
                // silently (on stderr, so --json output stays clean).
                eprintln!(
                    "convex-scaffold diagnose: paste the log or CLI output, then press Ctrl-D on an empty line \
                     (or pass a file: convex-scaffold diagnose FILE)"
                );
            }
            diagnose::scan(stdin.lock())
        }
    }
    .map_err(|e| error::usage(format!("cannot read the input: {e}")))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        diagnose::render_json(&findings, &mut out)?;
    } else {
        diagnose::render_text(&findings, &mut out)?;
    }
    out.flush()?;
    Ok(if findings.is_empty() {
        Outcome::Success
    } else {
        Outcome::Findings
    })
}
