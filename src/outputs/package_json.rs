//! `package.json`: built and merged with serde_json (key order preserved),
//! never as text. The convex CLI is pinned exactly, and the package manager's
//! own override mechanism holds it there.

use serde_json::{Map, Value};

use crate::answers::{Answers, PackageManager};
use crate::pins;

/// Scripts the project gets (an existing script of the same name is kept).
pub fn scripts() -> Vec<(&'static str, &'static str)> {
    vec![
        ("convex:up", "bash scripts/convex-up.sh"),
        ("convex:deploy", "bash scripts/convex-deploy.sh"),
        ("convex:reset", "bash scripts/convex-reset.sh"),
        ("dev:backend", "convex dev"),
    ]
}

/// The override key each package manager honours for transitive pins.
fn override_path(pm: PackageManager) -> &'static [&'static str] {
    match pm {
        PackageManager::Pnpm => &["pnpm", "overrides"],
        PackageManager::Npm | PackageManager::Bun => &["overrides"],
        PackageManager::Yarn => &["resolutions"],
    }
}

fn object_at<'a>(
    root: &'a mut Map<String, Value>,
    path: &[&str],
) -> Result<&'a mut Map<String, Value>, String> {
    let mut current = root;
    let mut walked = String::new();
    for key in path {
        walked = if walked.is_empty() {
            (*key).to_owned()
        } else {
            format!("{walked}.{key}")
        };
        let entry = current
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        current = entry
            .as_object_mut()
            .ok_or_else(|| format!("\"{walked}\" is not a JSON object"))?;
    }
    Ok(current)
}

/// The exact `packageManager` value for the package managers corepack
/// manages (pnpm, yarn); none for npm (it ignores the field) and bun
/// (corepack's shims would refuse a project that names it).
pub fn package_manager_spec(pm: PackageManager) -> Option<String> {
    let pins = &pins::data().package_managers;
    match pm {
        PackageManager::Pnpm => Some(format!("pnpm@{}", pins.pnpm)),
        PackageManager::Yarn => Some(format!("yarn@{}", pins.yarn)),
        PackageManager::Npm | PackageManager::Bun => None,
    }
}

/// Adds the pin, overrides, engines and scripts to `pkg` (an existing
/// package.json or an empty object), keeping every other key and its order.
pub fn apply(
    pkg: &mut Map<String, Value>,
    answers: &Answers,
    node_major: u32,
) -> Result<(), String> {
    let version = Value::String(answers.convex_version.to_string());
    if !pkg.contains_key("name") {
        pkg.insert("name".into(), Value::String(answers.name.clone()));
    }
    if !pkg.contains_key("private") {
        pkg.insert("private".into(), Value::Bool(true));
    }
    // The package manager, exactly: the user's own pin of the same manager
    // is kept (it is theirs to move); one naming another manager is replaced.
    if let Some(spec) = package_manager_spec(answers.package_manager) {
        let name = answers.package_manager.as_str();
        let keep = pkg
            .get("packageManager")
            .and_then(Value::as_str)
            .and_then(|current| current.split_once('@'))
            .is_some_and(|(current, version)| current == name && !version.is_empty());
        if !keep {
            pkg.insert("packageManager".into(), Value::String(spec));
        }
    }
    let scripts = object_at(pkg, &["scripts"])?;
    for (name, command) in self::scripts() {
        scripts
            .entry(name)
            .or_insert_with(|| Value::String(command.into()));
    }
    // The pin lives where the user keeps convex; dependencies by default.
    let in_dev = pkg
        .get("devDependencies")
        .and_then(Value::as_object)
        .is_some_and(|d| d.contains_key("convex"));
    let section = if in_dev {
        "devDependencies"
    } else {
        "dependencies"
    };
    object_at(pkg, &[section])?.insert("convex".into(), version.clone());
    object_at(pkg, override_path(answers.package_manager))?.insert("convex".into(), version);
    let engines = object_at(pkg, &["engines"])?;
    // The user's requirement stays unless it is a plain `>=N` below what the
    // CLI needs (a range we cannot read is theirs to keep).
    let raise = match engines.get("node").and_then(Value::as_str) {
        None => true,
        Some(requirement) => {
            minimum_node_major(requirement).is_some_and(|major| major < node_major)
        }
    };
    if raise {
        engines.insert("node".into(), Value::String(format!(">={node_major}")));
    }
    Ok(())
}

/// The major version of a plain `>=N[.x.y]` requirement.
fn minimum_node_major(requirement: &str) -> Option<u32> {
    let rest = requirement.trim().strip_prefix(">=")?.trim();
    if rest.contains(['|', ' ', '<']) {
        return None;
    }
    rest.split('.').next()?.parse().ok()
}

/// A new package.json.
pub fn render(answers: &Answers, node_major: u32) -> String {
    let mut pkg = Map::new();
    apply(&mut pkg, answers, node_major).expect("a fresh object has no conflicting keys");
    to_text(&pkg)
}

/// Merges into an existing package.json's text.
pub fn merge(existing: &str, answers: &Answers, node_major: u32) -> Result<String, String> {
    let mut value: Value =
        serde_json::from_str(existing).map_err(|e| format!("is not valid JSON ({e})"))?;
    let pkg = value.as_object_mut().ok_or("is not a JSON object")?;
    apply(pkg, answers, node_major)?;
    Ok(to_text(pkg))
}

/// What [`merge`] changed in the user's package.json, one line per value,
/// with the reason: e.g. `dependencies.convex: "^1.26.1" -> "1.24.8" (…)`.
/// Empty when either text is not a JSON object.
pub fn describe_changes(old: &str, new: &str) -> Vec<String> {
    let (Ok(Value::Object(old)), Ok(Value::Object(new))) = (
        serde_json::from_str::<Value>(old),
        serde_json::from_str::<Value>(new),
    ) else {
        return Vec::new();
    };
    let mut before = Vec::new();
    let mut after = Vec::new();
    flatten("", &old, &mut before);
    flatten("", &new, &mut after);
    let mut lines = Vec::new();
    let mut added_scripts = Vec::new();
    for (path, value) in &after {
        let previous = before.iter().find(|(p, _)| p == path).map(|(_, v)| v);
        if previous == Some(value) {
            continue;
        }
        if let (None, Some(script)) = (previous, path.strip_prefix("scripts.")) {
            added_scripts.push(script.to_owned());
            continue;
        }
        let change = match previous {
            Some(previous) => format!("{path}: {previous} -> {value}"),
            None => format!("{path}: added {value}"),
        };
        lines.push(format!("{change} ({})", why(path)));
    }
    let (convex_scripts, starter_scripts): (Vec<String>, Vec<String>) = added_scripts
        .into_iter()
        .partition(|name| scripts().iter().any(|(own, _)| own == name));
    if !convex_scripts.is_empty() {
        lines.push(format!(
            "scripts: added {} (they run the generated scripts/convex-*.sh and the convex CLI)",
            convex_scripts.join(", ")
        ));
    }
    if !starter_scripts.is_empty() {
        lines.push(format!(
            "scripts: added {} (the starter app's dev server, build and checks)",
            starter_scripts.join(", ")
        ));
    }
    lines
}

/// Why `apply` sets the value at this dotted path.
fn why(path: &str) -> &'static str {
    match path {
        "dependencies.convex" | "devDependencies.convex" => {
            "convex is pinned exactly: a range can resolve to a known-bad CLI or one the backend \
             does not support; `convex-scaffold pins` lists both"
        }
        "pnpm.overrides.convex" | "overrides.convex" | "resolutions.convex" => {
            "the package manager's override holds every install, also transitive ones, at the pin"
        }
        "engines.node" => "the pinned convex CLI needs this Node.js",
        "private" => "keeps the project from being published to npm by accident",
        "name" => "the project name",
        _ => "needed by the generated project",
    }
}

/// Leaf values of `object` as (dotted path, compact JSON) in document order.
fn flatten(prefix: &str, object: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    for (key, value) in object {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => flatten(&path, inner, out),
            other => out.push((path, other.to_string())),
        }
    }
}

/// Two-space indent and a trailing newline, as npm writes it.
pub fn to_text(pkg: &Map<String, Value>) -> String {
    let mut text = serde_json::to_string_pretty(pkg).expect("JSON serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        crate::answers::validate(&crate::answers::with_defaults(&Default::default(), "demo"))
            .unwrap()
    }

    #[test]
    fn changes_name_each_value_and_why() {
        let old = r#"{"name":"app","dependencies":{"convex":"^1.26.1"},"engines":{"node":">=22"}}"#;
        let new = merge(old, &answers(), 18).unwrap();
        let lines = describe_changes(old, &new);
        assert!(
            lines[0].starts_with(r#"dependencies.convex: "^1.26.1" -> ""#),
            "{lines:?}"
        );
        assert!(lines[0].contains("known-bad"), "{lines:?}");
        assert!(lines
            .iter()
            .any(|l| l.starts_with("pnpm.overrides.convex: added")));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("scripts: added convex:up")));
        assert!(
            !lines.iter().any(|l| l.starts_with("engines.node")),
            "{lines:?}"
        );
        assert!(!lines.iter().any(|l| l.starts_with("name")), "{lines:?}");
        assert!(describe_changes(&new, &new).is_empty());
    }

    #[test]
    fn a_stricter_node_requirement_is_kept_a_looser_one_raised() {
        for (existing, expected) in [
            (">=22", ">=22"),
            (">=20.11.0", ">=20.11.0"),
            (">=16", ">=18"),
            ("^18 || ^20", "^18 || ^20"),
        ] {
            let text = format!("{{\"engines\": {{\"node\": \"{existing}\"}}}}");
            let merged: Value =
                serde_json::from_str(&merge(&text, &answers(), 18).unwrap()).unwrap();
            assert_eq!(merged["engines"]["node"], expected, "{existing}");
        }
    }

    #[test]
    fn package_manager_pinned_exactly_own_pin_kept_other_manager_replaced() {
        let pnpm = format!("pnpm@{}", pins::data().package_managers.pnpm);
        let fresh: Value = serde_json::from_str(&render(&answers(), 18)).unwrap();
        assert_eq!(fresh["packageManager"], pnpm.as_str());
        for (existing, expected) in [
            ("pnpm@9.15.0", "pnpm@9.15.0"),
            ("yarn@4.5.0", pnpm.as_str()),
            ("pnpm", pnpm.as_str()),
        ] {
            let text = format!("{{\"packageManager\": \"{existing}\"}}");
            let merged: Value =
                serde_json::from_str(&merge(&text, &answers(), 18).unwrap()).unwrap();
            assert_eq!(merged["packageManager"], expected, "{existing}");
        }
        let mut npm = answers();
        npm.package_manager = PackageManager::Npm;
        let rendered: Value = serde_json::from_str(&render(&npm, 18)).unwrap();
        assert!(rendered.get("packageManager").is_none());
    }
}
