//! The convex CLI pin: exact in package.json, not known-bad, compatible with
//! the backend image, equal to the recorded pin, and what the lockfile and
//! node_modules actually hold.

use semver::Version;
use serde_json::Value;

use super::lockfiles::{self, LockRead};
use super::{read_text, Check, Loaded, Project};
use crate::pins;

/// The `convex` entry of package.json: where it is and its spec.
struct Dependency {
    section: &'static str,
    spec: String,
}

fn dependency(pkg: &Value) -> Option<Dependency> {
    for section in ["dependencies", "devDependencies", "optionalDependencies"] {
        if let Some(spec) = pkg.get(section).and_then(|d| d.get("convex")) {
            return Some(Dependency {
                section,
                spec: spec.as_str().unwrap_or("").to_owned(),
            });
        }
    }
    None
}

/// Why a spec is not an exact version, or `None` when it is.
fn not_exact(spec: &str) -> Option<&'static str> {
    if Version::parse(spec).is_ok() {
        return None;
    }
    let s = spec.trim();
    Some(if s.starts_with('^') || s.starts_with('~') {
        "a range (^ or ~)"
    } else if s.is_empty() {
        "empty"
    } else if s.contains(':') || s.contains('/') {
        "not a registry version"
    } else if s.contains(['*', '>', '<', '|', ' ']) || s.split('.').any(|p| p == "x" || p == "X") {
        "a range"
    } else if s.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        "a dist-tag (it moves)"
    } else {
        "not an exact version"
    })
}

/// The exact version a spec most likely meant (`^1.2.3` → 1.2.3).
fn base_version(spec: &str) -> Option<Version> {
    Version::parse(spec.trim().trim_start_matches(['^', '~', '='])).ok()
}

pub fn check(p: &Project, out: &mut Vec<Check>) {
    let pm = p.package_manager();
    let install = format!("{pm} install");
    let recorded = p.state.as_ref().map(|s| s.pins.convex_version.clone());
    let default = recorded
        .clone()
        .unwrap_or_else(|| pins::data().defaults.convex_version.clone());

    let pkg: Value = match read_text(&p.dir.join("package.json")) {
        Loaded::Ok(text) => match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                out.push(Check::fail(
                    "cli-pin",
                    format!("package.json is not valid JSON ({e})"),
                    super::repair_fix(
                        &p.dir,
                        "package.json",
                        "repair package.json (`git diff package.json` shows your edits since the last commit)".into(),
                    ),
                ));
                return;
            }
        },
        Loaded::Missing => {
            out.push(Check::fail(
                "cli-pin",
                "no package.json, so the convex CLI is not pinned",
                format!("create it with `convex-scaffold new --force <DIR>`, or add \"dependencies\": {{\"convex\": \"{default}\"}}"),
            ));
            return;
        }
        Loaded::Unreadable(e) => {
            out.push(Check::fail(
                "cli-pin",
                format!("cannot read package.json: {e}"),
                "make package.json readable",
            ));
            return;
        }
    };
    let Some(dep) = dependency(&pkg) else {
        out.push(Check::fail(
            "cli-pin",
            "package.json does not depend on convex",
            format!("add \"convex\": \"{default}\" to \"dependencies\" in package.json, then run `{install}`"),
        ));
        return;
    };

    // Overrides / resolutions that hold a different version.
    let overrides: Vec<(String, String)> = [
        ("/pnpm/overrides/convex", "pnpm.overrides"),
        ("/overrides/convex", "overrides"),
        ("/resolutions/convex", "resolutions"),
    ]
    .iter()
    .filter_map(|(pointer, name)| {
        let v = pkg.pointer(pointer)?.as_str()?;
        (v != dep.spec).then(|| ((*name).to_owned(), v.to_owned()))
    })
    .collect();

    let version = match not_exact(&dep.spec) {
        Some(why) => {
            let suggestion = base_version(&dep.spec).unwrap_or(default.clone());
            out.push(Check::fail(
                "cli-pin",
                format!(
                    "package.json {}.convex is {:?}, {why}: the CLI can float to a known-bad or incompatible release",
                    dep.section, dep.spec
                ),
                format!(
                    "pin it exactly: \"convex\": \"{suggestion}\" (no ^ or ~, no tag), then run `{install}`"
                ),
            ));
            None
        }
        None if !overrides.is_empty() => {
            let list: Vec<String> = overrides
                .iter()
                .map(|(name, v)| format!("{name}.convex = {v:?}"))
                .collect();
            out.push(Check::fail(
                "cli-pin",
                format!(
                    "package.json pins convex {} but {} disagrees",
                    dep.spec,
                    list.join(", ")
                ),
                format!(
                    "set every convex override to \"{}\", then run `{install}`",
                    dep.spec
                ),
            ));
            Version::parse(&dep.spec).ok()
        }
        None => {
            out.push(Check::pass(
                "cli-pin",
                format!("convex {} is pinned exactly in package.json", dep.spec),
            ));
            Version::parse(&dep.spec).ok()
        }
    };

    let Some(version) = version else {
        out.push(Check::warn(
            "lockfile",
            "not checked: the convex pin in package.json is not an exact version",
            "fix cli-pin first",
        ));
        return;
    };

    let data = pins::data();
    out.push(match data.known_bad(&version) {
        Some(bad) => Check::fail(
            "cli-known-bad",
            format!("convex {version} is known-bad: {}", bad.bug),
            format!(
                "{}: convex-scaffold upgrade --convex-version {}",
                bad.fix, bad.fixed_in
            ),
        )
        .issue(bad.issue.clone()),
        None => Check::pass(
            "cli-known-bad",
            format!("convex {version} is not a known-bad version"),
        ),
    });

    out.push(compat(p, &version));

    if let Some(recorded) = &recorded {
        out.push(if *recorded == version {
            Check::pass(
                "cli-pin-state",
                format!("package.json and convex-scaffold.toml both pin convex {version}"),
            )
        } else {
            Check::fail(
                "cli-pin-state",
                format!(
                    "package.json pins convex {version} but convex-scaffold.toml (and scripts/convex-config.sh) pin {recorded}: scripts/convex-up.sh and convex-deploy.sh would reinstall and stop"
                ),
                format!(
                    "keep {version}: `convex-scaffold upgrade --convex-version {version}`; or go back: \"convex\": \"{recorded}\" in package.json"
                ),
            )
        });
    }

    out.push(lockfile(p, &dep.spec, &version, &install));
    out.push(node_modules(p, &version, &install));
}

/// The CLI ↔ backend rules of pins.toml for this CLI and the backend image.
fn compat(p: &Project, version: &Version) -> Check {
    let data = pins::data();
    let Some(image) = p.backend_image() else {
        return Check::warn(
            "cli-backend-compat",
            "not checked: no backend image found (docker-compose.yml)",
            "see images-pinned",
        );
    };
    let Some(date) = data.backend_date(&image) else {
        return Check::warn(
            "cli-backend-compat",
            format!(
                "not checked: backend image {image} is not in the release table, so its build date is unknown"
            ),
            "pin a release of the table: `convex-scaffold upgrade --release <date>` (see `convex-scaffold pins`)",
        );
    };
    let newest = data
        .newest_cli(date, pins::PROJECT_COMMANDS, None)
        .map(|cli| {
            format!("pin the newest CLI that works with this backend: `convex-scaffold upgrade --convex-version {cli}`")
        });
    let mut deploy_only = None;
    for rule in data.broken_rules(version, date) {
        let keep_backend = newest
            .clone()
            .unwrap_or_else(|| format!("pin a CLI that does not match `{}`", rule.cli));
        if !rule
            .commands
            .iter()
            .any(|c| pins::PROJECT_COMMANDS.contains(c))
        {
            deploy_only.get_or_insert((rule, keep_backend));
            continue;
        }
        return Check::fail(
            "cli-backend-compat",
            format!(
                "convex {version} needs a backend built on or after {}, but {image} is from {date}: {}",
                rule.backend_since, rule.symptom
            ),
            format!(
                "{keep_backend}, or move the backend: `convex-scaffold upgrade --release <date|latest>` (see `convex-scaffold pins`)"
            ),
        )
        .issue(rule.issue.clone());
    }
    if let Some((rule, keep_backend)) = deploy_only {
        return Check::warn(
            "cli-backend-compat",
            format!(
                "convex {version} works with the backend image from {date} for `convex dev --once` (what scripts/convex-deploy.sh runs), \
                 but `convex deploy` needs a backend from {} or later: {}",
                rule.backend_since, rule.symptom
            ),
            format!(
                "do not run `convex deploy` against this backend; or {keep_backend}; or `convex-scaffold upgrade --release <date|latest>`"
            ),
        )
        .issue(rule.issue.clone());
    }
    Check::pass(
        "cli-backend-compat",
        format!("convex {version} works with the backend image from {date}"),
    )
}

fn lockfile(p: &Project, spec: &str, version: &Version, install: &str) -> Check {
    let want = version.to_string();
    let mut found = Vec::new();
    let mut wrong = Vec::new();
    let mut stale = Vec::new();
    let mut unreadable = Vec::new();
    // The lockfiles of the package manager the project is set up for.
    let own: Option<&[&str]> = p.state.as_ref().map(|s| match s.answers.package_manager {
        crate::answers::PackageManager::Npm => &["package-lock.json", "npm-shrinkwrap.json"][..],
        crate::answers::PackageManager::Pnpm => &["pnpm-lock.yaml"][..],
        crate::answers::PackageManager::Yarn => &["yarn.lock"][..],
        crate::answers::PackageManager::Bun => &["bun.lock", "bun.lockb"][..],
    });
    for name in [
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "bun.lock",
    ] {
        let text = match read_text(&p.dir.join(name)) {
            Loaded::Missing => continue,
            Loaded::Unreadable(e) => {
                unreadable.push(format!("{name} ({e})"));
                continue;
            }
            Loaded::Ok(text) => text,
        };
        let read = match name {
            "pnpm-lock.yaml" => lockfiles::pnpm_lock(&text),
            "yarn.lock" => lockfiles::yarn_lock(&text, spec),
            "bun.lock" => lockfiles::bun_lock(&text),
            _ => lockfiles::package_lock(&text),
        };
        if own.is_some_and(|own| !own.contains(&name)) {
            stale.push(name);
            continue;
        }
        match read {
            LockRead::Versions(vs) if vs == [want.clone()] => found.push(name),
            LockRead::Versions(vs) => wrong.push(format!("{name} holds convex {}", vs.join(", "))),
            LockRead::NotListed => wrong.push(format!("{name} does not list convex")),
            LockRead::Unreadable(e) => unreadable.push(format!("{name} ({e})")),
        }
    }
    if p.dir.join("bun.lockb").exists() {
        unreadable.push("bun.lockb (binary)".into());
    }
    if !stale.is_empty() {
        let pm = p
            .state
            .as_ref()
            .map(|s| s.answers.package_manager.as_str())
            .unwrap_or("the configured package manager");
        return Check::fail(
            "lockfile",
            format!(
                "{} belongs to another package manager than {pm}, which this project uses; installs would disagree about the convex version",
                stale.join(", ")
            ),
            format!("delete {} and run `{install}`", stale.join(", ")),
        );
    }
    if !wrong.is_empty() {
        return Check::fail(
            "lockfile",
            format!("{}, but package.json pins {want}", wrong.join("; ")),
            format!("run `{install}` so the lockfile holds convex {want}, and commit it"),
        );
    }
    if !unreadable.is_empty() {
        let binary = unreadable.iter().any(|u| u.starts_with("bun.lockb"));
        return Check::warn(
            "lockfile",
            format!("cannot read {}", unreadable.join(", ")),
            if binary {
                "run `bun install --save-text-lockfile` to get a readable bun.lock".to_owned()
            } else {
                format!("run `{install}` to rewrite the lockfile")
            },
        );
    }
    if found.is_empty() {
        return Check::warn(
            "lockfile",
            "no lockfile: dependencies are not installed yet",
            format!("run `{install}` and commit the lockfile"),
        );
    }
    Check::pass(
        "lockfile",
        format!("{} holds convex {want}", found.join(", ")),
    )
}

fn node_modules(p: &Project, version: &Version, install: &str) -> Check {
    let path = p.dir.join("node_modules/convex/package.json");
    let text = match read_text(&path) {
        Loaded::Missing => {
            return Check::warn(
                "node-modules",
                "node_modules/convex is not installed yet",
                format!("run `{install}`"),
            )
        }
        Loaded::Unreadable(e) => {
            return Check::warn(
                "node-modules",
                format!("cannot read node_modules/convex/package.json: {e}"),
                format!("run `{install}`"),
            )
        }
        Loaded::Ok(text) => text,
    };
    let installed = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_owned));
    match installed {
        Some(v) if v == version.to_string() => Check::pass(
            "node-modules",
            format!("node_modules holds convex {v}"),
        ),
        Some(v) => Check::fail(
            "node-modules",
            format!("node_modules holds convex {v}, but package.json pins {version}: `convex` commands run {v}"),
            format!("run `{install}`"),
        ),
        None => Check::warn(
            "node-modules",
            "node_modules/convex/package.json has no version",
            format!("reinstall: remove node_modules and run `{install}`"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_versions_only() {
        assert_eq!(not_exact("1.24.8"), None);
        assert_eq!(not_exact("^1.24.8"), Some("a range (^ or ~)"));
        assert_eq!(not_exact("~1.24.8"), Some("a range (^ or ~)"));
        assert_eq!(not_exact("latest"), Some("a dist-tag (it moves)"));
        assert_eq!(not_exact(">=1.24.0"), Some("a range"));
        assert_eq!(not_exact("1.x"), Some("a range"));
        assert_eq!(
            not_exact("npm:convex@1.2.3"),
            Some("not a registry version")
        );
        assert_eq!(base_version("^1.24.8"), Some(Version::new(1, 24, 8)));
    }
}
