use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = convex_scaffold::cli::Cli::parse();
    convex_scaffold::tree::install_interrupt_handler();
    match convex_scaffold::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => convex_scaffold::error::report(&err),
    }
}
