use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match convex_scaffold::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help, version and usage errors; a closed pipe is not an error.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    convex_scaffold::tree::install_interrupt_handler();
    match convex_scaffold::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => convex_scaffold::error::report(&err),
    }
}
