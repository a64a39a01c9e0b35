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
