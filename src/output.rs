//! Standard output and error. Every command prints through [`emit`] and
//! [`note`], never through `print!`/`eprintln!` (which panic when the reader
//! has gone, e.g. `| head -1`): a closed stdout is an ordinary `BrokenPipe`
//! error that [`crate::error::report`] turns into a quiet end, and a closed
//! stderr is ignored.

use std::io::{self, Write};

/// Writes `text` to standard output at once and flushes it.
pub fn emit(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Writes one line to standard error. A closed or failing stderr is
/// ignored (unlike `eprintln!`, which panics on it): a message nobody can
/// read must not turn into a crash.
pub fn note(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}
