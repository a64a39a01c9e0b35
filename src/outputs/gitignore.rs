//! `.gitignore`: the entries every secret-bearing or local file needs,
//! appended once to whatever the user already has.

pub const HEADER: &str = "# convex-scaffold: secrets and local state (keep these ignored)";

pub const ENTRIES: &[&str] = &[
    ".env.docker",
    ".env.local",
    ".env*.local",
    // Convex Auth's JWT key pair (auth = convex-auth), made by scripts/convex-auth.sh
    ".convex-auth/",
    "backups/",
    "node_modules/",
    ".convex-scaffold/logs/",
    // build output of the frontend starters
    "dist/",
    ".next/",
    "next-env.d.ts",
    "*.tsbuildinfo",
    // What the Coder start script unpacked into this workspace (per-workspace state).
    ".convex-scaffold/bundle.sha256",
];

pub fn render() -> String {
    let mut text = String::from(HEADER);
    text.push('\n');
    for entry in ENTRIES {
        text.push_str(entry);
        text.push('\n');
    }
    text
}

/// Appends the entries the file does not list yet, once.
pub fn merge(existing: &str) -> String {
    let present: std::collections::HashSet<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&str> = ENTRIES
        .iter()
        .copied()
        .filter(|e| !present.contains(e))
        .collect();
    if missing.is_empty() {
        return existing.to_owned();
    }
    let mut text = existing.to_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    if !present.contains(HEADER) {
        text.push_str(HEADER);
        text.push('\n');
    }
    for entry in missing {
        text.push_str(entry);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_appends_once() {
        let once = merge("dist/\n.env.local\n");
        assert!(once.starts_with("dist/\n.env.local\n\n# convex-scaffold"));
        assert_eq!(once.lines().filter(|l| *l == ".env.local").count(), 1);
        assert_eq!(once.lines().filter(|l| *l == ".env.docker").count(), 1);
        assert_eq!(merge(&once), once);
    }
}
