//! Errors and exit codes.
//!
//! Exit codes: 0 success; 1 the command ran and found something (upgrade
//! conflicts, `--check` drift, a failing doctor check, a diagnosed known
//! issue); 2 bad input or usage
//! (nothing was written); 3 an operational failure (I/O, a full disk); 130
//! interrupted (Ctrl-C, SIGTERM) while writing.

use std::process::ExitCode;

/// Bad input: an answer, a flag, a file the user gave. Always exit 2, always
/// before the first byte is written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Shorthand: `Err(usage("…"))?`.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError::new(message).into()
}

/// Ctrl-C or SIGTERM arrived while files were being written. Exit 130.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Interrupted(pub String);

impl Interrupted {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Ctrl-C at a prompt, already reported on the terminal. Exit 130.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct InterruptReported;

/// What a command ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The command ran and found something the caller must act on.
    Findings,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Findings => ExitCode::from(1),
        }
    }
}

/// Prints an error with its cause chain and maps it to an exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    if err.chain().any(|cause| cause.is::<InterruptReported>()) {
        return ExitCode::from(130);
    }
    crate::output::note(&format!("error: {err:#}"));
    if err.chain().any(|cause| cause.is::<Interrupted>()) {
        ExitCode::from(130)
    } else if err.chain().any(|cause| cause.is::<UsageError>()) {
        ExitCode::from(2)
    } else {
        ExitCode::from(3)
    }
}
