//! Secret files (`.env.docker`, `.env.local`): readable by the owner only
//! and git-ignored. The .gitignore rules are read directly (no `git`
//! process): the project's .gitignore and, when the project sits in a git
//! repository, the .gitignore files above it and `.git/info/exclude`.

use std::path::{Path, PathBuf};

use super::{read_text, Check, Loaded, Project, ENV_DOCKER, ENV_LOCAL};

pub const SECRET_FILES: &[&str] = &[ENV_DOCKER, ENV_LOCAL];

/// One .gitignore rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    pattern: String,
    negate: bool,
    dir_only: bool,
    anchored: bool,
}

fn parse_rules(text: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let line = if line.ends_with("\\ ") {
            line
        } else {
            line.trim_end()
        };
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (negate, line) = match line.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, line.strip_prefix('\\').unwrap_or(line)),
        };
        let (dir_only, line) = match line.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let anchored = line.contains('/');
        let pattern = line.strip_prefix('/').unwrap_or(line).to_owned();
        if pattern.is_empty() {
            continue;
        }
        rules.push(Rule {
            pattern,
            negate,
            dir_only,
            anchored,
        });
    }
    rules
}

/// Git's wildmatch subset: `*`, `?`, `[...]`, `**`, `\` escapes.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') if p.get(1) == Some(&b'*') => {
            let rest = &p[2..];
            if let Some(after) = rest.strip_prefix(b"/") {
                if glob(after, s) {
                    return true;
                }
            }
            (0..=s.len()).any(|i| glob(rest, &s[i..]))
        }
        Some(b'*') => {
            let rest = &p[1..];
            for i in 0..=s.len() {
                if glob(rest, &s[i..]) {
                    return true;
                }
                if i < s.len() && s[i] == b'/' {
                    break;
                }
            }
            false
        }
        Some(b'?') => !s.is_empty() && s[0] != b'/' && glob(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(close) = p.iter().skip(2).position(|c| *c == b']').map(|i| i + 2) else {
                return s.first() == Some(&b'[') && glob(&p[1..], &s[1..]);
            };
            let Some(&c) = s.first() else { return false };
            let mut class = &p[1..close];
            let negated = matches!(class.first(), Some(b'!') | Some(b'^'));
            if negated {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negated && c != b'/' && glob(&p[close + 1..], &s[1..])
        }
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && glob(&p[2..], &s[1..]),
        Some(c) => s.first() == Some(c) && glob(&p[1..], &s[1..]),
    }
}

impl Rule {
    /// Whether the rule matches `path` (relative, '/'-separated).
    fn matches(&self, path: &str, is_dir: bool) -> bool {
        if self.dir_only && !is_dir {
            return false;
        }
        if self.anchored {
            glob(self.pattern.as_bytes(), path.as_bytes())
        } else {
            let name = path.rsplit('/').next().unwrap_or(path);
            glob(self.pattern.as_bytes(), name.as_bytes())
        }
    }
}

/// The .gitignore files that apply to a project folder, outermost first,
/// each with the folder its patterns are relative to.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    sets: Vec<(PathBuf, Vec<Rule>)>,
}

impl Ignore {
    pub fn load(dir: &Path) -> Ignore {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let root = dir.ancestors().find(|a| a.join(".git").exists());
        let mut folders: Vec<&Path> = match root {
            Some(root) => dir.ancestors().take_while(|a| *a != root).collect(),
            None => vec![dir.as_path()],
        };
        let mut sets = Vec::new();
        if let Some(root) = root {
            folders.push(root);
            if let Loaded::Ok(text) = read_text(&root.join(".git/info/exclude")) {
                sets.push((root.to_path_buf(), parse_rules(&text)));
            }
        }
        folders.reverse();
        for folder in folders {
            if let Loaded::Ok(text) = read_text(&folder.join(".gitignore")) {
                sets.push((folder.to_path_buf(), parse_rules(&text)));
            }
        }
        Ignore { sets }
    }

    #[cfg(test)]
    fn from_text(text: &str) -> Ignore {
        Ignore {
            sets: vec![(PathBuf::new(), parse_rules(text))],
        }
    }

    /// The verdict of the rules for one path (last match wins).
    fn verdict(&self, abs: &Path, is_dir: bool) -> bool {
        let mut ignored = false;
        for (base, rules) in &self.sets {
            let Ok(rel) = abs.strip_prefix(base) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            for rule in rules {
                if rule.matches(&rel, is_dir) {
                    ignored = !rule.negate;
                }
            }
        }
        ignored
    }

    /// Whether `file` (a path inside the project) is ignored: it or one of
    /// its parent folders matches (git never looks inside an ignored folder).
    pub fn is_ignored(&self, abs: &Path) -> bool {
        let bases: Vec<&Path> = self.sets.iter().map(|(b, _)| b.as_path()).collect();
        let Some(top) = bases.iter().min_by_key(|b| b.components().count()) else {
            return false;
        };
        for parent in abs.ancestors().skip(1) {
            if !parent.starts_with(top) || parent == *top {
                break;
            }
            if self.verdict(parent, true) {
                return true;
            }
        }
        self.verdict(abs, false)
    }
}

#[cfg(unix)]
pub(crate) fn mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
pub(crate) fn mode(_: &Path) -> Option<u32> {
    None
}

pub fn check(p: &Project, out: &mut Vec<Check>) {
    let present: Vec<(&str, Option<u32>)> = SECRET_FILES
        .iter()
        .filter(|name| p.dir.join(name).symlink_metadata().is_ok())
        .map(|name| (*name, mode(&p.dir.join(name))))
        .collect();
    out.push(secret_modes(&present));

    let ignore = Ignore::load(&p.dir);
    let base = std::fs::canonicalize(&p.dir).unwrap_or_else(|_| p.dir.clone());
    let exposed: Vec<&str> = SECRET_FILES
        .iter()
        .copied()
        .filter(|name| !ignore.is_ignored(&base.join(name)))
        .collect();
    out.push(if exposed.is_empty() {
        Check::pass(
            "secret-gitignored",
            format!("{} are git-ignored", SECRET_FILES.join(" and ")),
        )
    } else {
        Check::fail(
            "secret-gitignored",
            format!(
                "{} not git-ignored: a commit would publish the secrets",
                exposed.join(" and ")
            ),
            format!(
                "add {} to .gitignore (if already committed: git rm --cached {})",
                exposed
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                exposed.join(" ")
            ),
        )
    });
}

/// `secret-modes` from the secret files that exist, each with its Unix mode,
/// or `None` where the platform has none (Windows: the file's ACL decides,
/// which doctor does not read).
fn secret_modes(present: &[(&str, Option<u32>)]) -> Check {
    let mut open = Vec::new();
    let mut fixes = Vec::new();
    for (name, m) in present {
        if let Some(m) = m {
            if m & 0o077 != 0 {
                open.push(format!("{name} is mode {m:04o}"));
                fixes.push(format!("chmod 600 {name}"));
            }
        }
    }
    let names = present
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(" and ");
    if !open.is_empty() {
        Check::fail(
            "secret-modes",
            format!(
                "{}: other users can read the admin key or INSTANCE_SECRET",
                open.join(", ")
            ),
            fixes.join("; "),
        )
    } else if present.is_empty() {
        Check::pass("secret-modes", "no secret file yet")
    } else if present.iter().any(|(_, m)| m.is_none()) {
        Check::warn(
            "secret-modes",
            format!("{names}: this platform has no Unix file modes, so who can read them was not checked"),
            "keep the project folder where only you can read it",
        )
    } else {
        Check::pass(
            "secret-modes",
            format!("{names} readable by the owner only"),
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_modes_without_unix_modes_warns_instead_of_claiming_no_file() {
        use super::super::Status;
        let check = super::secret_modes(&[(".env.docker", None), (".env.local", None)]);
        assert_eq!(check.status, Status::Warn, "{check:?}");
        assert!(
            check.message.contains(".env.docker and .env.local"),
            "{check:?}"
        );
        assert!(check.message.contains("not checked"), "{check:?}");
        let check =
            super::secret_modes(&[(".env.docker", Some(0o600)), (".env.local", Some(0o644))]);
        assert_eq!(check.status, Status::Fail, "{check:?}");
        assert_eq!(check.fix, "chmod 600 .env.local");
        let check = super::secret_modes(&[(".env.docker", Some(0o600))]);
        assert_eq!(check.status, Status::Pass, "{check:?}");
        assert_eq!(check.message, ".env.docker readable by the owner only");
        assert_eq!(super::secret_modes(&[]).message, "no secret file yet");
    }

    use super::*;

    fn ignored(rules: &str, path: &str) -> bool {
        Ignore::from_text(rules).is_ignored(Path::new(path))
    }

    #[test]
    fn gitignore_matching() {
        assert!(ignored(".env.local\n", ".env.local"));
        assert!(ignored(".env*.local\n", ".env.local"));
        assert!(ignored(".env*\n", ".env.docker"));
        assert!(ignored("*.local\n", "sub/.env.local"));
        assert!(ignored("/.env.local\n", ".env.local"));
        assert!(!ignored("/.env.local\n", "sub/.env.local"));
        assert!(ignored(".env*\n!.env.docker.example\n", ".env.docker"));
        assert!(!ignored(".env*\n!.env.docker\n", ".env.docker"));
        assert!(!ignored(".env.docker.example\n", ".env.docker"));
        assert!(!ignored("# .env.local\n", ".env.local"));
        assert!(ignored("sub/\n", "sub/.env.local"));
        assert!(!ignored(".env.local/\n", ".env.local"));
        assert!(ignored("**/.env.local\n", "a/b/.env.local"));
        assert!(ignored("**/.env.local\n", ".env.local"));
        assert!(ignored("a/**\n", "a/b/.env.local"));
        assert!(ignored(".env.[dl]o*\n", ".env.local"));
        assert!(!ignored(".env.[!dl]o*\n", ".env.local"));
        assert!(ignored(".env.?ocal\n", ".env.local"));
        assert!(!ignored("", ".env.local"));
    }

    #[test]
    fn nested_gitignores_in_a_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join(".git/info")).unwrap();
        std::fs::create_dir_all(root.join("apps/web")).unwrap();
        std::fs::write(root.join(".gitignore"), ".env.local\n").unwrap();
        std::fs::write(root.join(".git/info/exclude"), "apps/web/.env.docker\n").unwrap();
        let ignore = Ignore::load(&root.join("apps/web"));
        let dir = std::fs::canonicalize(root.join("apps/web")).unwrap();
        assert!(ignore.is_ignored(&dir.join(".env.local")));
        assert!(ignore.is_ignored(&dir.join(".env.docker")));
        std::fs::write(root.join("apps/web/.gitignore"), "!.env.local\n").unwrap();
        let ignore = Ignore::load(&root.join("apps/web"));
        assert!(!ignore.is_ignored(&dir.join(".env.local")));
    }
}
