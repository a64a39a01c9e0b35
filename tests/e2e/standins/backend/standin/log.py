"""Log lines shaped like upstream's tracing output:
`2026-01-01T00:00:00.000000Z  INFO target: message` on stdout.
Never pass secrets or admin keys to these functions."""

import sys
import threading
from datetime import datetime, timezone

_lock = threading.Lock()
TARGET = "convex_standin"


def _emit(level: str, message: str, target: str = TARGET, stream=None) -> None:
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    line = f"{ts} {level:>5} {target}: {message}"
    with _lock:
        out = stream or sys.stdout
        out.write(line + "\n")
        out.flush()


def info(message: str, target: str = TARGET) -> None:
    _emit("INFO", message, target)


def warn(message: str, target: str = TARGET) -> None:
    _emit("WARN", message, target)


def error(message: str, target: str = TARGET) -> None:
    _emit("ERROR", message, target)


def plain(message: str, stream=None) -> None:
    """An unformatted line, like the echo lines of run_backend.sh."""
    with _lock:
        out = stream or sys.stdout
        out.write(message + "\n")
        out.flush()


def caught(message: str) -> None:
    """crates/common/src/errors.rs trace_error: `Caught {label} error (...)`,
    where the label of a plain (non-ErrorMetadata) error is `error`."""
    error(
        "Caught error error (RUST_BACKTRACE=1 RUST_LOG=info,common::errors=debug for full trace): " + message,
        target="common::errors",
    )
