//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The binary under test, with a clean environment for answers.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("convex-scaffold").expect("binary built");
    cmd.env_remove("CONVEX_SCAFFOLD_TEST_FAIL_WRITE");
    cmd
}

/// A fresh temp folder; the project goes to `<tmp>/<name>`.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// Runs `new <name> --yes <args>` and asserts success.
    pub fn new_project(&self, name: &str, args: &[&str]) -> PathBuf {
        let dir = self.path(name);
        bin()
            .arg("new")
            .arg(&dir)
            .arg("--yes")
            .args(args)
            .assert()
            .success();
        dir
    }
}

/// Every file under `dir` (relative '/'-paths → bytes), skipping nothing.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    files
}

pub fn text(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Parses a dotenv file the way docker compose reads ours: `KEY=value`,
/// `KEY='literal'`, comments and blank lines. Panics on anything else, so a
/// generated file that strays from that subset fails the test.
pub fn parse_dotenv(text: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (key, raw) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("line {}: no '=': {line:?}", n + 1));
        assert!(
            key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !key.is_empty(),
            "line {}: bad key {key:?}",
            n + 1
        );
        let value = if let Some(inner) = raw.strip_prefix('\'') {
            let inner = inner
                .strip_suffix('\'')
                .unwrap_or_else(|| panic!("line {}: open quote", n + 1));
            assert!(
                !inner.contains('\''),
                "line {}: quote inside a quoted value",
                n + 1
            );
            inner.to_owned()
        } else {
            assert!(
                raw.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_./:@+,=*-|".contains(c)),
                "line {}: unquoted value needs quoting: {raw:?}",
                n + 1
            );
            raw.to_owned()
        };
        assert!(
            values.insert(key.to_owned(), value).is_none(),
            "line {}: {key} twice",
            n + 1
        );
    }
    values
}

/// Parses YAML into JSON values (serde-saphyr, a maintained pure-Rust parser).
pub fn parse_yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("YAML does not parse: {e}\n{text}"))
}

/// Undoes compose's `$$` → `$` escaping on a parsed string.
pub fn compose_unescape(s: &str) -> String {
    s.replace("$$", "$")
}

/// One request to [`serve_http`]: its request line, Authorization header
/// and body.
pub struct StubRequest {
    pub line: String,
    pub auth: String,
    pub body: Vec<u8>,
}

/// The answer of a [`serve_http`] handler: status line text and body,
/// sent with Content-Length, or in two chunks with `chunked`.
pub struct StubReply {
    pub status: &'static str,
    pub body: String,
    pub chunked: bool,
}

impl StubReply {
    pub fn new(status: &'static str, body: impl Into<String>) -> Self {
        StubReply {
            status,
            body: body.into(),
            chunked: false,
        }
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (a random port) for the tests'
/// backend stand-ins: one request per connection, answered by `handler`.
pub fn serve_http(handler: impl Fn(&StubRequest) -> StubReply + Send + 'static) -> u16 {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let (mut auth, mut length) = (String::new(), 0usize);
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                let lower = header.to_ascii_lowercase();
                if lower.starts_with("authorization:") {
                    auth = header["authorization:".len()..].trim().to_owned();
                }
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let reply = handler(&StubRequest {
                line: line.trim().to_owned(),
                auth,
                body,
            });
            let _ = if reply.chunked {
                let (a, b) = reply.body.split_at(reply.body.len() / 2);
                write!(
                    stream,
                    "HTTP/1.1 {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                    reply.status,
                    a.len(),
                    b.len()
                )
            } else {
                write!(
                    stream,
                    "HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    reply.status,
                    reply.body.len(),
                    reply.body
                )
            };
        }
    });
    port
}
