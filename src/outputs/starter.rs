//! The frontend starter: a minimal Vite + React or Next.js (App Router) app
//! wired to the self-hosted backend (`templates/project/starters/<frontend>/`).
//!
//! It is rendered only for the chosen frontend and only into a folder that
//! has no frontend of its own. Each starter folder holds the app's files,
//! copied as they are, and a `package.json` fragment (scripts, exact
//! dependency pins, `engines.node`) that is merged into the project's
//! `package.json` with serde, never copied.

use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::{Map, Value};

use crate::answers::Frontend;
use crate::render;
use crate::state::{Base, STATE_FILE};

/// The fragment merged into package.json (not a file of the app).
const FRAGMENT: &str = "package.json";

fn folder(frontend: Frontend) -> Option<String> {
    match frontend {
        Frontend::None => None,
        other => Some(format!("project/starters/{}", other.as_str())),
    }
}

/// The starter's files: (path in the project, contents).
pub fn files(frontend: Frontend) -> Vec<(String, &'static [u8])> {
    let Some(folder) = folder(frontend) else {
        return Vec::new();
    };
    let prefix = format!("{folder}/");
    render::files_under(&folder)
        .into_iter()
        .filter_map(|(path, contents)| {
            let rel = path.strip_prefix(&prefix)?;
            (rel != FRAGMENT).then(|| (rel.to_owned(), contents))
        })
        .collect()
}

/// The paths the starter of `frontend` renders.
pub fn paths(frontend: Frontend) -> Vec<String> {
    files(frontend).into_iter().map(|(path, _)| path).collect()
}

/// The starter's package.json fragment.
fn fragment(frontend: Frontend) -> Option<Map<String, Value>> {
    let folder = folder(frontend)?;
    let file = render::TEMPLATES
        .get_file(format!("{folder}/{FRAGMENT}"))
        .unwrap_or_else(|| panic!("{folder}/{FRAGMENT} is embedded"));
    let value: Value = serde_json::from_slice(file.contents())
        .unwrap_or_else(|e| panic!("{folder}/{FRAGMENT} is valid JSON: {e}"));
    match value {
        Value::Object(map) => Some(map),
        _ => panic!("{folder}/{FRAGMENT} is a JSON object"),
    }
}

/// The major and minor of a plain `>=N[.M[.P]]` requirement.
fn plain_minimum(requirement: &str) -> Option<(u32, u32)> {
    let rest = requirement.trim().strip_prefix(">=")?.trim();
    if rest.contains(['|', ' ', '<', '^', '~']) {
        return None;
    }
    let mut parts = rest.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// Adds the starter's scripts and dependencies to `pkg`. A key the user
/// already has is kept (their app, their versions); `engines.node` is only
/// raised when it is a plain `>=` below what the starter's tools need.
pub fn apply(pkg: &mut Map<String, Value>, frontend: Frontend) -> Result<(), String> {
    let Some(fragment) = fragment(frontend) else {
        return Ok(());
    };
    for (key, value) in fragment {
        match value {
            Value::Object(entries) => {
                let slot = pkg
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                let Some(target) = slot.as_object_mut() else {
                    return Err(format!("\"{key}\" is not a JSON object"));
                };
                for (name, wanted) in entries {
                    if key == "engines" && name == "node" {
                        let needed = wanted.as_str().and_then(plain_minimum);
                        let raise = match target.get("node").and_then(Value::as_str) {
                            None => true,
                            Some(current) => match (plain_minimum(current), needed) {
                                (Some(current), Some(needed)) => current < needed,
                                _ => false,
                            },
                        };
                        if raise {
                            target.insert(name, wanted);
                        }
                    } else if key == "scripts"
                        && name == "dev"
                        && target.get("dev").is_some_and(|dev| *dev != wanted)
                    {
                        // The app's own `dev` (its server) stays; the
                        // starter's dev server gets a name of its own.
                        target.entry(FRONTEND_DEV_SCRIPT).or_insert(wanted);
                    } else {
                        target.entry(name).or_insert(wanted);
                    }
                }
            }
            other => {
                pkg.entry(key).or_insert(other);
            }
        }
    }
    Ok(())
}

/// The script the starter's dev server gets when the app's package.json
/// already has a `dev` script of its own.
pub const FRONTEND_DEV_SCRIPT: &str = "dev:frontend";

/// The package.json script (in `text`) that runs the starter's dev server:
/// `dev`, or [`FRONTEND_DEV_SCRIPT`] when the app kept its own `dev`.
pub fn dev_script(text: &str, frontend: Frontend) -> Option<&'static str> {
    let wanted = fragment(frontend)?.get("scripts")?.get("dev")?.clone();
    let pkg: Value = serde_json::from_str(text).ok()?;
    let scripts = pkg.get("scripts")?;
    ["dev", FRONTEND_DEV_SCRIPT]
        .into_iter()
        .find(|name| scripts.get(*name) == Some(&wanted))
}

/// The entries [`apply`] adds for `frontend` that `text` (a package.json)
/// still holds with the starter's value, as dotted paths (`type "module"`,
/// `devDependencies.vite`, `scripts.build`). `engines` is left out: the
/// convex pin needs it too.
pub fn leftovers(text: &str, frontend: Frontend) -> Vec<String> {
    let (Some(fragment), Ok(Value::Object(pkg))) =
        (fragment(frontend), serde_json::from_str::<Value>(text))
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (key, value) in fragment {
        match value {
            Value::Object(_) if key == "engines" => {}
            Value::Object(entries) => {
                let Some(have) = pkg.get(&key).and_then(Value::as_object) else {
                    continue;
                };
                for (name, wanted) in entries {
                    if have.get(&name) == Some(&wanted) {
                        found.push(format!("{key}.{name}"));
                    }
                    if key == "scripts"
                        && name == "dev"
                        && have.get(FRONTEND_DEV_SCRIPT) == Some(&wanted)
                    {
                        found.push(format!("{key}.{FRONTEND_DEV_SCRIPT}"));
                    }
                }
            }
            other => {
                if pkg.get(&key) == Some(&other) {
                    found.push(format!("{key} {other}"));
                }
            }
        }
    }
    found
}

/// [`apply`] on package.json text.
pub fn apply_to_text(text: &str, frontend: Frontend) -> Result<String, String> {
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| format!("is not valid JSON ({e})"))?;
    let pkg = value.as_object_mut().ok_or("is not a JSON object")?;
    apply(pkg, frontend)?;
    Ok(crate::outputs::package_json::to_text(pkg))
}

/// Dependencies that mark a folder's package.json as holding a frontend.
const FRONTEND_PACKAGES: &[&str] = &[
    "vite",
    "next",
    "react",
    "react-dom",
    "react-scripts",
    "vue",
    "svelte",
    "@sveltejs/kit",
    "@angular/core",
    "solid-js",
    "preact",
    "astro",
    "nuxt",
    "@remix-run/react",
    "@tanstack/react-start",
];

/// Files that mark a folder as holding a frontend.
const FRONTEND_FILES: &[&str] = &[
    "index.html",
    "vite.config.ts",
    "vite.config.js",
    "vite.config.mjs",
    "vite.config.mts",
    "next.config.js",
    "next.config.mjs",
    "next.config.ts",
    "app",
    "pages",
    "src",
];

/// Whether the package.json in `dir` lists a frontend package: `None` when
/// there is no package.json (or it is not a JSON object), so no app to judge.
pub fn package_json_lists_frontend(dir: &Path) -> Result<Option<bool>> {
    let Some(bytes) = crate::tree::read_existing(dir, "package.json")? else {
        return Ok(None);
    };
    let Ok(Value::Object(pkg)) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(None);
    };
    Ok(Some(["dependencies", "devDependencies"].iter().any(
        |section| {
            pkg.get(*section)
                .and_then(Value::as_object)
                .is_some_and(|deps| FRONTEND_PACKAGES.iter().any(|n| deps.contains_key(*n)))
        },
    )))
}

/// Why `dir` already holds a frontend (so no starter is added), or `None`.
/// A project this tool rendered with its starter counts as having none: the
/// starter's files are the tool's own and stay managed.
pub fn existing_frontend(dir: &Path, frontend: Frontend) -> Result<Option<String>> {
    if dir.join(STATE_FILE).exists() {
        if let Ok(base) = Base::read(dir) {
            if rendered_in(&base, frontend) {
                return Ok(None);
            }
        }
    }
    let package_json = dir.join("package.json");
    if let Some(bytes) = crate::tree::read_existing(dir, "package.json")? {
        if let Ok(Value::Object(pkg)) = serde_json::from_slice::<Value>(&bytes) {
            for section in ["dependencies", "devDependencies"] {
                if let Some(deps) = pkg.get(section).and_then(Value::as_object) {
                    if let Some(name) = FRONTEND_PACKAGES.iter().find(|n| deps.contains_key(**n)) {
                        return Ok(Some(format!(
                            "{} lists \"{name}\" in {section}",
                            package_json.display()
                        )));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    for name in FRONTEND_FILES
        .iter()
        .map(|n| (*n).to_owned())
        .chain(paths(frontend))
    {
        let path = dir.join(&name);
        let exists = path
            .symlink_metadata()
            .map(|_| true)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(false)
                } else {
                    Err(e)
                }
            })
            .with_context(|| format!("cannot read {}", path.display()))?;
        if exists && !found.contains(&name) {
            found.push(name);
        }
    }
    Ok((!found.is_empty()).then(|| {
        format!(
            "{} already has {}",
            dir.display(),
            found
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }))
}

/// Whether the last render recorded in `base` included the starter of
/// `frontend` (what `upgrade` keeps rendering).
pub fn rendered_in(base: &Base, frontend: Frontend) -> bool {
    paths(frontend)
        .iter()
        .any(|path| base.files.contains_key(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_starter_has_files_and_a_fragment_with_exact_pins() {
        for frontend in [Frontend::Vite, Frontend::Nextjs] {
            assert!(paths(frontend).len() >= 4, "{frontend:?}");
            assert!(!paths(frontend).contains(&FRAGMENT.to_owned()));
            let fragment = fragment(frontend).unwrap();
            for section in ["dependencies", "devDependencies"] {
                for (name, version) in fragment[section].as_object().unwrap() {
                    let version = version.as_str().unwrap();
                    assert!(
                        semver::Version::parse(version).is_ok(),
                        "{frontend:?} {name} {version} is not an exact version"
                    );
                }
            }
            assert!(fragment["scripts"]["dev"].is_string());
            assert!(fragment["scripts"]["build"].is_string());
        }
        assert!(paths(Frontend::None).is_empty());
    }

    #[test]
    fn the_users_keys_are_kept_and_a_low_node_floor_raised() {
        let mut pkg: Map<String, Value> = serde_json::from_str(
            r#"{"scripts":{"dev":"my-dev"},"devDependencies":{"vite":"^5.0.0"},"engines":{"node":">=18"}}"#,
        )
        .unwrap();
        apply(&mut pkg, Frontend::Vite).unwrap();
        assert_eq!(pkg["scripts"]["dev"], "my-dev");
        assert_eq!(pkg["scripts"]["build"], "vite build");
        assert_eq!(pkg["devDependencies"]["vite"], "^5.0.0");
        assert_eq!(pkg["engines"]["node"], ">=20.19");
        for (kept, current) in [(true, ">=22"), (true, "^20.19 || >=22"), (false, ">=20.1")] {
            let mut pkg = Map::new();
            pkg.insert("engines".into(), serde_json::json!({ "node": current }));
            apply(&mut pkg, Frontend::Vite).unwrap();
            assert_eq!(pkg["engines"]["node"] == current, kept, "{current}");
        }
    }
}
