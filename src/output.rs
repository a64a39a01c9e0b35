//! Standard output. Every command prints through [`emit`], never through
//! `print!` (which panics when the reader has gone, e.g. `| head -1`): a
//! closed pipe is an ordinary `BrokenPipe` error that
//! [`crate::error::report`] turns into a quiet end.

use std::io::{self, Write};

/// Writes `text` to standard output at once and flushes it.
pub fn emit(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}
