//! A rendered project as data (path → bytes, mode, policy), and the only code
//! that writes it to disk: every file through a temp file and a rename in its
//! own folder, secrets created 0600 from the start, never through a symlink
//! that leaves the project folder. All temp files are written before the
//! first rename, so an error leaves the old tree; on failure nothing of the
//! new tree stays behind.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::error::usage;

/// How a file is owned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Rendered by the tool; replaced on upgrade (three-way merged).
    Managed,
    /// Holds secrets: written once, never replaced, mode 0600, git-ignored.
    Secret,
    /// JSON merged into an existing file (package.json).
    MergeJson,
    /// Lines appended to an existing file once (.gitignore).
    MergeLines,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub contents: Vec<u8>,
    pub mode: u32,
    pub policy: Policy,
}

/// Relative path ('/'-separated) → file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub files: BTreeMap<String, FileEntry>,
}

impl Tree {
    pub fn insert(
        &mut self,
        path: impl Into<String>,
        contents: impl Into<Vec<u8>>,
        mode: u32,
        policy: Policy,
    ) {
        let path = path.into();
        debug_assert!(is_safe_relative(&path), "{path}");
        self.files.insert(
            path,
            FileEntry {
                contents: contents.into(),
                mode,
                policy,
            },
        );
    }

    pub fn get(&self, path: &str) -> Option<&FileEntry> {
        self.files.get(path)
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .and_then(|f| std::str::from_utf8(&f.contents).ok())
    }

    /// The files under `prefix/`, re-rooted.
    pub fn subtree(&self, prefix: &str) -> Tree {
        let prefix = format!("{}/", prefix.trim_end_matches('/'));
        Tree {
            files: self
                .files
                .iter()
                .filter_map(|(p, f)| {
                    p.strip_prefix(&prefix)
                        .map(|rest| (rest.to_owned(), f.clone()))
                })
                .collect(),
        }
    }
}

/// A relative path with no `..`, no root, no empty or `.` parts.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

/// One file to write.
#[derive(Debug, Clone)]
pub struct Write1 {
    pub path: String,
    pub contents: Vec<u8>,
    pub mode: u32,
}

/// Refuses paths whose existing parts are symlinks leading outside `root`,
/// or that are themselves symlinks (a rename would replace the link).
pub fn check_no_escaping_symlink(root: &Path, rel: &str) -> Result<()> {
    let root_real =
        fs::canonicalize(root).with_context(|| format!("cannot resolve {}", root.display()))?;
    let mut current = root.to_path_buf();
    for part in Path::new(rel).components() {
        let Component::Normal(part) = part else {
            bail!(usage(format!(
                "refusing path {rel:?}: not a plain relative path"
            )));
        };
        current.push(part);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target =
                    fs::canonicalize(&current).unwrap_or_else(|_| PathBuf::from("/nonexistent"));
                if !target.starts_with(&root_real) {
                    return Err(usage(format!(
                        "refusing to write {}: {} is a symlink to {}, outside the project folder; remove or replace the link and run again",
                        rel,
                        current.display(),
                        target.display()
                    )));
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot inspect {}", current.display()))
            }
        }
    }
    Ok(())
}

/// Hook for tests: fail the write of the file whose path equals this
/// environment variable's value (simulates a full disk mid-way).
const FAIL_AT_ENV: &str = "CONVEX_SCAFFOLD_TEST_FAIL_WRITE";

/// Writes all files atomically into `root` (created when missing): first
/// every temp file, then every rename. On error, the temp files and any
/// folders this call created are removed and nothing was replaced.
pub fn write_all(root: &Path, writes: &[Write1]) -> Result<()> {
    for w in writes {
        if !is_safe_relative(&w.path) {
            bail!(usage(format!(
                "refusing to write outside the project: {:?}",
                w.path
            )));
        }
    }
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let result = stage_and_commit(root, writes, &mut created_dirs);
    if result.is_err() {
        for dir in created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        cur = d.parent();
    }
    for d in missing.into_iter().rev() {
        fs::create_dir(&d).with_context(|| format!("cannot create folder {}", d.display()))?;
        created.push(d);
    }
    Ok(())
}

fn stage_and_commit(root: &Path, writes: &[Write1], created_dirs: &mut Vec<PathBuf>) -> Result<()> {
    create_dirs(root, created_dirs)?;
    for w in writes {
        check_no_escaping_symlink(root, &w.path)?;
    }
    let fail_at = std::env::var(FAIL_AT_ENV).ok();
    let mut staged = Vec::with_capacity(writes.len());
    for w in writes {
        let target = root.join(&w.path);
        let parent = target.parent().expect("a file path has a parent");
        create_dirs(parent, created_dirs)?;
        if fail_at.as_deref() == Some(w.path.as_str()) {
            bail!("simulated write failure at {} ({FAIL_AT_ENV})", w.path);
        }
        // NamedTempFile is created 0600; secrets stay so, others are opened up
        // before the rename.
        let mut tmp = tempfile::Builder::new()
            .prefix(".convex-scaffold-tmp-")
            .tempfile_in(parent)
            .with_context(|| format!("cannot create a temp file in {}", parent.display()))?;
        tmp.write_all(&w.contents)
            .and_then(|()| tmp.as_file().sync_all())
            .with_context(|| format!("cannot write {}", target.display()))?;
        set_mode(tmp.path(), w.mode)?;
        staged.push((tmp, target));
    }
    for (tmp, target) in staged {
        tmp.persist(&target)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot move the new {} into place", target.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", path.display()))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// A unified diff for humans (`--dry-run`).
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_relative_paths() {
        assert!(is_safe_relative("a/b.txt"));
        assert!(is_safe_relative(".env.local"));
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b"] {
            assert!(!is_safe_relative(bad), "{bad}");
        }
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("p");
        let writes = vec![
            Write1 {
                path: "a/one.txt".into(),
                contents: b"1".to_vec(),
                mode: 0o644,
            },
            Write1 {
                path: "b/../../escape".into(),
                contents: b"2".to_vec(),
                mode: 0o644,
            },
        ];
        assert!(write_all(&root, &writes).is_err());
        assert!(!root.exists());
    }
}
