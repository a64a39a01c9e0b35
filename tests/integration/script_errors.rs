//! Every error a generated script can print must be recognised by
//! `convex-scaffold diagnose`, as a user would paste it: the whole line with
//! its prefix, the message alone, or wrapped by an 80-column terminal.
//!
//! The messages are read from the templates themselves (every `die "…"`,
//! `fail "…"` and `warn "…"` call of `templates/project/scripts/*.sh*` and
//! `templates/coder/scripts/*.sh`), so a new message is covered the moment it
//! is written. When this test fails, add a pattern for the message to the
//! entry of `templates/data/known-issues.toml` that explains it (or a new
//! `[[issue]]` with its cause and fix).

use std::path::Path;

use convex_scaffold::diagnose::{scan, Finding};

/// Where the messages are.
const SCRIPT_DIRS: &[&str] = &["templates/project/scripts", "templates/coder/scripts"];

/// The functions that print an error line (`[convex] ERROR: <message>`).
const ERROR_FUNCTIONS: &[&str] = &["die", "fail", "warn"];

/// Plausible values for the shell variables the messages contain; any other
/// variable becomes `demo` (and `${VAR:-default}` its default).
const VALUES: &[(&str, &str)] = &[
    ("1", "docker"),
    ("2", "install it (e.g. sudo apt-get install -y docker.io)"),
    ("missing[*]", "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"),
    ("key", "AWS_S3_FORCE_PATH_STYLE"),
    ("host", "minio.internal.example.com"),
    ("rc", "1"),
    ("CONVEX_PM", "pnpm"),
    ("installed", "1.26.1"),
    ("CONVEX_VERSION", "1.24.8"),
    ("api", "http://127.0.0.1:3210"),
    ("reply", "null"),
    ("arg", "--force"),
    ("what", "Starting the Convex backend (scripts/convex-up.sh)"),
    ("limit", "900"),
    ("PROJECT_DIR", "/home/coder/demo"),
    ("s", "scripts/convex-up.sh"),
    ("port", "3210"),
    ("DAEMON_JSON", "/etc/docker/daemon.json"),
    ("WAIT_SECONDS", "120"),
    ("DOCKER_WAIT", "300"),
    ("LOG", "/tmp/convex-scaffold/convex-start.log"),
    ("rel", "scripts/convex-up.sh"),
    ("kind", "x"),
    ("file", "backups/convex-export-20260101.zip"),
    ("service", "backend"),
    (
        "image",
        "ghcr.io/get-convex/convex-backend:903b8b96c4bceb34c62e366cf36e8f4774955e6b",
    ),
];

struct Message {
    origin: String,
    text: String,
}

/// Every error message of the script templates, variables substituted.
fn script_messages() -> Vec<Message> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut messages = Vec::new();
    for dir in SCRIPT_DIRS {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                let name = path.file_name().unwrap().to_string_lossy();
                name.ends_with(".sh") || name.ends_with(".sh.j2")
            })
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for (number, line) in text.lines().enumerate() {
                for raw in error_calls(line) {
                    messages.push(Message {
                        origin: format!(
                            "{}:{}",
                            path.strip_prefix(root).unwrap().display(),
                            number + 1
                        ),
                        text: substitute(&unquote(&raw)),
                    });
                }
            }
        }
    }
    messages
}

/// The double-quoted first argument of each error-function call on `line`
/// (definitions such as `die() {` are not calls).
fn error_calls(line: &str) -> Vec<String> {
    let code = line.trim_start();
    if code.starts_with('#') {
        return Vec::new();
    }
    let mut found = Vec::new();
    for function in ERROR_FUNCTIONS {
        let call = format!("{function} \"");
        let mut from = 0;
        while let Some(at) = line[from..].find(&call) {
            let start = from + at;
            let preceded_ok = start == 0
                || !line[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
            let body_start = start + call.len();
            let len = closing_quote(&line[body_start..]).unwrap_or_else(|| {
                panic!("an error message continued on the next line (this test reads one line per call): {line}")
            });
            if preceded_ok {
                found.push(line[body_start..body_start + len].to_owned());
            }
            from = body_start + len + 1;
        }
    }
    found
}

/// The length of a double-quoted body up to its unescaped closing quote.
fn closing_quote(body: &str) -> Option<usize> {
    let mut escaped = false;
    let mut depth = 0usize; // inside $( … )
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' => escaped = true,
            b'(' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b'"' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// Removes the shell's backslash escapes inside double quotes.
fn unquote(body: &str) -> String {
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if matches!(next, '"' | '\\' | '`' | '$') {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// Replaces `$VAR`, `${VAR}`, `${VAR:-default}` and `$(command)`.
fn substitute(message: &str) -> String {
    let value_of = |name: &str| {
        VALUES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("demo", |(_, v)| v)
            .to_owned()
    };
    let mut out = String::new();
    let mut rest = message;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').expect("closed ${");
            let expr = &inner[..end];
            let replaced = match expr.split_once(":-") {
                Some((_, default)) => default.to_owned(),
                None => value_of(expr.trim_start_matches('#')),
            };
            out.push_str(&replaced);
            rest = &inner[end + 1..];
        } else if let Some(inner) = after.strip_prefix('(') {
            let end = inner.find(')').expect("closed $(");
            let command = &inner[..end];
            out.push_str(if command.contains("id -un") {
                "coder"
            } else {
                "demo"
            });
            rest = &inner[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let len = if after.starts_with(|c: char| c.is_ascii_digit()) {
                1
            } else {
                len
            };
            if len == 0 {
                out.push('$');
                rest = after;
            } else {
                out.push_str(&value_of(&after[..len]));
                rest = &after[len..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Word-wraps `text` at `width` columns, as a terminal or a pasted e-mail
/// would.
fn wrap(text: &str, width: usize) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().unwrap();
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n") + "\n"
}

/// The ways a user pastes an error line.
fn pastes(message: &str) -> Vec<(&'static str, String)> {
    let printed = format!("[convex] ERROR: {message}");
    let timestamped = format!("12:34:56 [convex] ERROR: {message}");
    vec![
        ("as printed", format!("{printed}\n")),
        ("the message alone", format!("{message}\n")),
        ("wrapped at 80 columns", wrap(&printed, 80)),
        ("timestamped, wrapped at 80 columns", wrap(&timestamped, 80)),
        (
            "the message alone, wrapped at 80 columns",
            wrap(message, 80),
        ),
    ]
}

fn scan_text(input: &str) -> Vec<Finding> {
    scan(input.as_bytes()).expect("reading from a slice cannot fail")
}

fn unrecognised(origin: &str, message: &str) -> Vec<String> {
    pastes(message)
        .into_iter()
        .filter(|(_, input)| scan_text(input).is_empty())
        .map(|(how, input)| format!("{origin} ({how}):\n{input}"))
        .collect()
}

#[test]
fn the_extractor_finds_the_known_messages() {
    // Guards the extractor itself: a parser that found nothing would make
    // the next test pass vacuously.
    let messages = script_messages();
    let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    assert!(
        messages.len() >= 40,
        "only {} messages found",
        messages.len()
    );
    for expected in [
        "the Docker daemon is not running after 900s (try: sudo service docker start)",
        "could not pull the backend image within 900s",
        "storage is s3 but AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY empty in .env.docker; the backend would silently use local storage and lock it in",
        "step timed out after 900s: Starting the Convex backend (scripts/convex-up.sh)",
        "cannot make the Docker socket accessible to coder",
        "could not mint an admin key: `docker compose exec -T backend ./generate_admin_key.sh` failed",
    ] {
        assert!(
            texts.contains(&expected),
            "{expected:?} not extracted from {texts:#?}"
        );
    }
    assert!(
        texts
            .iter()
            .all(|t| !t.contains('$') && !t.contains("\\\"")),
        "unsubstituted: {texts:#?}"
    );
}

#[test]
fn diagnose_recognises_every_error_a_generated_script_prints() {
    let mut missing = Vec::new();
    for message in script_messages() {
        missing.extend(unrecognised(&message.origin, &message.text));
    }
    assert!(
        missing.is_empty(),
        "`convex-scaffold diagnose` recognises nothing in these pasted script errors. Add a pattern \
         that matches each message to the templates/data/known-issues.toml entry that explains it \
         (or a new [[issue]] with cause and fix); keep it anchored in the first ~50 characters of the \
         message so a wrapped paste still matches:\n\n{}",
        missing.join("\n")
    );
}

/// The errors the seed document quotes.
const SEED_ERRORS: &[&str] = &[
    "Unexpected Error: TypeError: Cannot read properties of undefined (reading 'length')",
    "Uncaught Error: [CONVEX Q(chat:getMessages)] [Request ID: 5d7e31edd55de47e] Server Error",
    "Failed to create multipart upload: dispatch failure: other: client error (Connect): dns error: failed to lookup address information: Name or service not known",
    "Database was initialized with Some(S3 { s3_prefix: \"convex-coder-workspace-...\" }), but backend started up with Local { dir: \"/convex/data/storage\" }",
];

#[test]
fn diagnose_recognises_every_seed_error_as_pasted() {
    let mut missing = Vec::new();
    for message in SEED_ERRORS {
        missing.extend(unrecognised("seed", message));
        let bare = format!("✖ {message}\n");
        if scan_text(&bare).is_empty() {
            missing.push(format!("seed (CLI mark):\n{bare}"));
        }
    }
    assert!(
        missing.is_empty(),
        "not recognised:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_cli_crash_line_alone_names_the_cli_bug() {
    // As the CLI prints it (docs/troubleshooting.md's example); the bare
    // TypeError without the CLI's `Unexpected Error:` is any app's bug.
    let findings = scan_text(
        "Unexpected Error: TypeError: Cannot read properties of undefined (reading 'length')\n",
    );
    assert_eq!(
        findings
            .iter()
            .map(|f| f.issue.id.as_str())
            .collect::<Vec<_>>(),
        ["cli-1-26-reading-length"]
    );
    assert!(
        scan_text("TypeError: Cannot read properties of undefined (reading 'length')\n").is_empty()
    );
}

#[test]
fn the_docker_daemon_message_names_the_docker_issue() {
    let findings =
        scan_text("[convex] ERROR: the Docker daemon is not running after 60s (try: sudo service docker start)\n");
    assert!(
        findings.iter().any(|f| f.issue.id == "docker-daemon-down"),
        "{:?}",
        findings.iter().map(|f| &f.issue.id).collect::<Vec<_>>()
    );
}
