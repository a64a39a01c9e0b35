//! What a user of the packaged tool meets: `--version`, shell completions,
//! and the npm packages' versions and platform table (npm/), which must move
//! with Cargo.toml's version.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command as StdCommand;

use crate::support::bin;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn stdout_of(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn version_shows_the_tool_version_and_the_release_table_date() {
    let read = convex_scaffold::pins::table_date();
    let newest = convex_scaffold::pins::data().latest_release().date.clone();
    assert_eq!(
        stdout_of(&["--version"]),
        format!("convex-scaffold {VERSION} (release table of {read}, newest release {newest})\n")
    );
    assert_eq!(stdout_of(&["-V"]), stdout_of(&["--version"]));
}

/// bash loads the script, registers it for the command, and completing
/// `convex-scaffold up` and `convex-scaffold completions ` offers the right words.
#[test]
fn bash_completion_loads_and_completes() {
    let script = stdout_of(&["completions", "bash"]);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("convex-scaffold.bash");
    std::fs::write(&path, script).unwrap();
    let complete = |line: &str| {
        let program = r#"
            set -e
            source "$1"
            spec="$(complete -p convex-scaffold)"
            func="$(sed -n 's/.*-F \([^ ]*\).*/\1/p' <<<"$spec")"
            read -r -a COMP_WORDS <<<"$2"
            case "$2" in *" ") COMP_WORDS+=("") ;; esac
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="$2"
            COMP_POINT=${#COMP_LINE}
            "$func" convex-scaffold "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}"
        "#;
        let out = StdCommand::new("bash")
            .args(["--norc", "--noprofile", "-c", program, "bash"])
            .arg(&path)
            .arg(line)
            .output()
            .expect("bash runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let words = complete("convex-scaffold up");
    assert_eq!(words.trim(), "upgrade", "{words}");
    let words = complete("convex-scaffold completions ");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert!(
            words.lines().any(|w| w == shell),
            "{shell} missing from {words}"
        );
    }
    let words = complete("convex-scaffold new --");
    assert!(words.lines().any(|w| w == "--release"), "{words}");
}

#[test]
fn completions_exist_for_zsh_fish_and_powershell() {
    for (shell, marker) in [
        ("zsh", "#compdef convex-scaffold"),
        ("fish", "complete -c convex-scaffold"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: {script}");
        for command in [
            "new",
            "upgrade",
            "doctor",
            "diagnose",
            "pins",
            "completions",
        ] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    bin()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'tcsh'"));
}

/// The shells `completions` accepts are the ones docs/commands.md lists
/// (clap_complete would also offer elvish, untested and undocumented).
#[test]
fn completion_shells_agree_with_the_docs() {
    let help = stdout_of(&["completions", "--help"]);
    assert!(
        help.contains("[possible values: bash, zsh, fish, powershell]"),
        "{help}"
    );
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/commands.md"))
            .unwrap();
    assert!(
        docs.contains("### `convex-scaffold completions bash|zsh|fish|powershell`"),
        "docs/commands.md lists other shells"
    );
    bin()
        .args(["completions", "elvish"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'elvish'"));
}

/// The install lines of `completions --help` survive clap's wrapping at 80
/// columns (a pasted line broken after `>` would write to no file).
#[test]
fn completions_help_lines_are_copy_pasteable() {
    let out = bin()
        .args(["completions", "--help"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for line in help.lines() {
        assert!(line.chars().count() <= 80, "wrapped: {line:?}\n{help}");
        let t = line.trim_end();
        assert!(!t.ends_with(" >"), "{line:?}\n{help}");
    }
    for command in [
        "    convex-scaffold completions bash > \"$d/convex-scaffold\"\n",
        "    convex-scaffold completions fish > \"$d/convex-scaffold.fish\"\n",
        "convex-scaffold completions zsh > \"${fpath[1]}/_convex-scaffold\"\n",
    ] {
        assert!(help.contains(command), "{command:?} not whole in:\n{help}");
    }
}

/// `upgrade` keeps the project's recorded answers, so its help shows no
/// `new` defaults (a `[default: pnpm]` there read as "upgrade resets it").
#[test]
fn upgrade_help_lists_the_keys_without_new_defaults() {
    let help = stdout_of(&["upgrade", "--help"]);
    let keys = &help[help.find("Answer keys").expect("the key list")..];
    assert!(
        keys.contains("upgrade keeps the answers recorded in convex-scaffold.toml"),
        "{keys}"
    );
    for key in convex_scaffold::answers::KEYS {
        assert!(
            keys.contains(&format!("  {key} ")),
            "{key} missing:\n{keys}"
        );
    }
    assert!(
        !keys.contains("default:") && !keys.contains("Default:"),
        "{keys}"
    );
    // `new` still shows them.
    let new = stdout_of(&["new", "--help"]);
    assert!(new.contains("[default: pnpm]"), "{new}");
}

fn package_json(rel: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("npm").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Versions move together: every npm package carries Cargo.toml's version,
/// and the launcher and `create-convex-scaffold` pin their dependencies to it
/// exactly. `node npm/sync.js` rewrites them.
#[test]
fn npm_packages_carry_the_crate_version_and_pin_each_other_exactly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("npm");
    let platforms: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(root.join("convex-scaffold/platforms.json")).unwrap(),
    )
    .unwrap();
    let launcher = package_json("convex-scaffold/package.json");
    let create = package_json("create-convex-scaffold/package.json");
    let stale = "is stale: run `node npm/sync.js`";
    assert_eq!(launcher["version"], VERSION, "the launcher {stale}");
    assert_eq!(create["version"], VERSION, "create-convex-scaffold {stale}");
    assert_eq!(
        create["dependencies"]["convex-scaffold"], VERSION,
        "{stale}"
    );

    let optional = launcher["optionalDependencies"].as_object().unwrap();
    let names: Vec<&String> = platforms.values().collect();
    assert_eq!(
        optional.keys().collect::<Vec<_>>().len(),
        names.len(),
        "optionalDependencies {stale}"
    );
    let dirs: Vec<String> = std::fs::read_dir(root.join("platforms"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        dirs.len(),
        platforms.len(),
        "npm/platforms/ {stale}: {dirs:?}"
    );
    for (key, name) in &platforms {
        assert_eq!(optional[name], VERSION, "{name} {stale}");
        let pkg = package_json(&format!("platforms/{name}/package.json"));
        let (os, cpu) = key.split_once(' ').unwrap();
        assert_eq!(pkg["name"], name.as_str());
        assert_eq!(pkg["version"], VERSION, "{name} {stale}");
        assert_eq!(pkg["os"], serde_json::json!([os]), "{name}");
        assert_eq!(pkg["cpu"], serde_json::json!([cpu]), "{name}");
        assert_eq!(name, &format!("convex-scaffold-{os}-{cpu}"));
    }
    // What the release workflow builds for each package.
    let workflow = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/release.yml"),
    )
    .unwrap();
    for name in platforms.values() {
        assert!(
            workflow.contains(&format!("npm: {name}")),
            "release.yml builds no binary for {name}"
        );
    }
}

/// Every "Rendered by convex-scaffold X" line under `dir` (path → X).
fn rendered_by(dir: &Path) -> BTreeMap<String, String> {
    let re =
        regex::Regex::new(r#"(?i)rendered by convex-scaffold "?([0-9][0-9A-Za-z.+-]*[0-9A-Za-z])"#)
            .unwrap();
    let mut found = BTreeMap::new();
    for (rel, bytes) in crate::support::read_tree(dir) {
        if rel.starts_with(".convex-scaffold/") {
            continue;
        }
        if let Ok(text) = String::from_utf8(bytes) {
            for caps in re.captures_iter(&text) {
                found.insert(rel.clone(), caps[1].to_owned());
            }
        }
    }
    found
}

fn state_version(dir: &Path) -> String {
    let state: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("convex-scaffold.toml")).unwrap())
            .unwrap();
    state["scaffold"]["tool_version"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The rule (docs/generated-files.md): the version in "Rendered by
/// convex-scaffold X" and convex-scaffold.toml's `tool_version` are the
/// version of the convex-scaffold that last wrote the project (`new` or
/// `upgrade`). The two files written once and never replaced, .env.local and
/// .env.docker (secrets), keep the version that created them.
#[test]
fn rendered_by_lines_and_the_state_file_agree_on_the_version() {
    let sandbox = crate::support::Sandbox::new();
    let dir = sandbox.new_project("app", &[]);
    let lines = rendered_by(&dir);
    assert!(lines.len() >= 8, "{lines:?}");
    assert_eq!(state_version(&dir), VERSION);
    for (file, version) in &lines {
        assert_eq!(version, VERSION, "{file}");
    }

    // The project as an older convex-scaffold (0.0.9) left it, base included.
    for (rel, bytes) in crate::support::read_tree(&dir) {
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let older = text
            .replace(
                &format!("convex-scaffold {VERSION}"),
                "convex-scaffold 0.0.9",
            )
            .replace(
                &format!("convex-scaffold \"{VERSION}\""),
                "convex-scaffold \"0.0.9\"",
            )
            .replace(
                &format!("convex-scaffold \\\"{VERSION}\\\""),
                "convex-scaffold \\\"0.0.9\\\"",
            )
            .replace(
                &format!("tool_version = \"{VERSION}\""),
                "tool_version = \"0.0.9\"",
            );
        if older != text {
            std::fs::write(dir.join(&rel), older).unwrap();
        }
    }
    assert_eq!(state_version(&dir), "0.0.9");
    assert!(
        rendered_by(&dir).values().all(|v| v == "0.0.9"),
        "{:?}",
        rendered_by(&dir)
    );

    // A newer convex-scaffold finds the project not up to date...
    bin()
        .arg("upgrade")
        .arg(&dir)
        .arg("--check")
        .assert()
        .code(1);
    bin().arg("upgrade").arg(&dir).assert().success();
    assert_eq!(state_version(&dir), VERSION);
    for (file, version) in rendered_by(&dir) {
        let written_once = file == ".env.local" || file == ".env.docker";
        let want = if written_once { "0.0.9" } else { VERSION };
        assert_eq!(version, want, "{file}");
    }
    bin()
        .arg("upgrade")
        .arg(&dir)
        .arg("--check")
        .assert()
        .success();
}

/// The .crate holds everything `include_dir!`/`include_str!` embed (all of
/// templates/), so `cargo install convex-scaffold` builds the same binary.
#[test]
fn the_crate_package_holds_every_template() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = StdCommand::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline", "--quiet"])
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{out:?}");
    let listed: std::collections::BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut templates = 0;
    for entry in walkdir::WalkDir::new(root.join("templates")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            assert!(listed.contains(&rel), "{rel} is not in the .crate");
            templates += 1;
        }
    }
    assert!(templates > 20, "{templates}");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "CHANGELOG.md",
        "src/main.rs",
    ] {
        assert!(listed.contains(file), "{file} is not in the .crate");
    }
}
