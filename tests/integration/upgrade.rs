//! `upgrade`: three-way merge per file on the real binary. Every project
//! starts as `new <dir> --yes --release 2025-05-29` (the seed's pair).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use convex_scaffold::state::Base;

use crate::support::*;

const NEW_BACKEND_SHA: &str = "00bd92723422f3bff968230c94ccdeb8c1719832";
const OLD_BACKEND_SHA: &str = "c1a7ac393888d743e704de56cf569a154b4526d4";
const NEW_DASHBOARD_SHA: &str = "33cef775a8a6228cbacee4a09ac2c4073d62ed13";
const RELEASE: &str = "2025-09-04";
const LATEST_BACKEND_SHA: &str = "903b8b96c4bceb34c62e366cf36e8f4774955e6b";
const SECRETS: &[&str] = &[".env.docker", ".env.local"];

/// `new <sandbox>/app --yes [args]`; the project is called "app" in every
/// sandbox, so two sandboxes render the same.
fn new_project(sb: &Sandbox, args: &[&str]) -> PathBuf {
    let mut all = vec!["--release", "2025-05-29"];
    all.extend_from_slice(args);
    sb.new_project("app", &all)
}

fn upgrade(dir: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .arg("upgrade")
        .arg(dir)
        .args(args)
        .output()
        .expect("runs")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn without_secrets(mut tree: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    for secret in SECRETS {
        tree.remove(*secret);
    }
    tree
}

fn write(dir: &Path, rel: &str, contents: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn assert_code(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// The line upgrade prints for `path`, e.g. "conflict      docker-compose.yml (...)".
fn status_of(out: &str, path: &str) -> Option<String> {
    out.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(path))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_owned)
}

#[test]
fn untouched_project_equals_a_fresh_render_at_the_new_release() {
    let (a, b) = (Sandbox::new(), Sandbox::new());
    let upgraded = new_project(&a, &[]);
    let out = upgrade(&upgraded, &["--release", RELEASE]);
    assert_code(&out, 0);
    let fresh = new_project(
        &b,
        &[
            "--set",
            "convex_version=1.26.2",
            "--set",
            &format!("backend_image=ghcr.io/get-convex/convex-backend:{NEW_BACKEND_SHA}"),
            "--set",
            &format!("dashboard_image=ghcr.io/get-convex/convex-dashboard:{NEW_DASHBOARD_SHA}"),
        ],
    );
    let (got, want) = (
        without_secrets(read_tree(&upgraded)),
        without_secrets(read_tree(&fresh)),
    );
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (path, contents) in &want {
        assert!(
            got[path] == *contents,
            "{path} differs from a fresh render:\n{}",
            String::from_utf8_lossy(&got[path])
        );
    }
    assert!(text(&upgraded, "docker-compose.yml").contains(NEW_BACKEND_SHA));
    assert_eq!(
        status_of(&stdout(&out), "docker-compose.yml").as_deref(),
        Some("updated")
    );
}

#[test]
fn edit_elsewhere_in_a_file_is_kept_and_the_image_updated() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let compose = text(&dir, "docker-compose.yml");
    write(
        &dir,
        "docker-compose.yml",
        &format!("# my own note\n{compose}"),
    );
    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 0);
    let merged = text(&dir, "docker-compose.yml");
    assert!(merged.starts_with("# my own note\n"), "{merged}");
    assert!(
        merged.contains(&format!("convex-backend:{NEW_BACKEND_SHA}")),
        "{merged}"
    );
    assert!(!merged.contains(OLD_BACKEND_SHA), "{merged}");
    assert!(!merged.contains("<<<<<<<"), "{merged}");
    assert_eq!(
        status_of(&stdout(&out), "docker-compose.yml").as_deref(),
        Some("merged")
    );
}

#[test]
fn overlapping_edit_gets_markers_exit_1_and_does_not_reconflict() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let mine = "ghcr.io/get-convex/convex-backend:1111111111111111111111111111111111111111";
    let compose = text(&dir, "docker-compose.yml").replace(
        &format!("ghcr.io/get-convex/convex-backend:{OLD_BACKEND_SHA}"),
        mine,
    );
    write(&dir, "docker-compose.yml", &compose);

    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 1);
    assert_eq!(
        status_of(&stdout(&out), "docker-compose.yml").as_deref(),
        Some("conflict")
    );
    assert!(stdout(&out).contains("resolve the conflicts in docker-compose.yml"));
    let merged = text(&dir, "docker-compose.yml");
    assert!(
        merged.contains(&format!("<<<<<<< yours\n    image: \"{mine}\"\n")),
        "{merged}"
    );
    assert!(merged.contains(NEW_BACKEND_SHA), "{merged}");
    assert!(merged.contains(">>>>>>> convex-scaffold "), "{merged}");
    // The other files moved on.
    assert!(text(&dir, "scripts/convex-config.sh").contains("CONVEX_VERSION=1.26.2"));
    // The base is the new render, so a second run writes nothing and does
    // not re-conflict, but the unresolved markers still count: exit 1, the
    // file is listed, and --check agrees.
    let base = Base::read(&dir).unwrap();
    assert!(base.files["docker-compose.yml"].contains(NEW_BACKEND_SHA));
    let before = read_tree(&dir);
    let again = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&again, 1);
    assert!(
        stdout(&again).contains("docker-compose.yml"),
        "{}",
        stdout(&again)
    );
    assert!(
        stdout(&again).contains("still holds conflict markers"),
        "{}",
        stdout(&again)
    );
    assert_eq!(read_tree(&dir), before);
    let check = upgrade(&dir, &["--release", RELEASE, "--check"]);
    assert_code(&check, 1);
    assert!(
        stdout(&check).contains("still hold conflict markers"),
        "{}",
        stdout(&check)
    );
    // Resolved (the user keeps the new image): everything is quiet again.
    write(
        &dir,
        "docker-compose.yml",
        &base.files["docker-compose.yml"],
    );
    assert_code(&upgrade(&dir, &["--release", RELEASE]), 0);
    assert_code(&upgrade(&dir, &["--release", RELEASE, "--check"]), 0);
}

#[test]
fn deleted_files_stay_deleted_and_added_files_are_untouched() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    std::fs::remove_file(dir.join("coder/project/docker-compose.yml")).unwrap();
    std::fs::remove_file(dir.join("coder/README.md")).unwrap();
    write(&dir, "convex/messages.ts", "export const x = 1;\n");
    write(&dir, "notes.md", "# mine\n");
    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 0);
    assert!(!dir.join("coder/project/docker-compose.yml").exists());
    assert!(!dir.join("coder/README.md").exists());
    let report = stdout(&out);
    assert_eq!(
        status_of(&report, "coder/project/docker-compose.yml").as_deref(),
        Some("kept-deleted")
    );
    assert_eq!(
        status_of(&report, "coder/README.md").as_deref(),
        Some("kept-deleted")
    );
    assert_eq!(text(&dir, "convex/messages.ts"), "export const x = 1;\n");
    assert_eq!(text(&dir, "notes.md"), "# mine\n");
    assert!(
        !report.contains("notes.md") && !report.contains("messages.ts"),
        "{report}"
    );
    // And a second run does not bring them back either.
    assert_code(&upgrade(&dir, &["--release", RELEASE]), 0);
    assert!(!dir.join("coder/README.md").exists());
}

#[test]
fn files_no_longer_rendered_are_removed_only_when_unedited() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    // Pretend an earlier version rendered two more files.
    let mut base = Base::read(&dir).unwrap();
    base.files
        .insert("scripts/old-helper.sh".into(), "echo old\n".into());
    base.files
        .insert("scripts/old-edited.sh".into(), "echo old\n".into());
    write(&dir, ".convex-scaffold/base.toml", &base.to_toml());
    write(&dir, "scripts/old-helper.sh", "echo old\n");
    write(&dir, "scripts/old-edited.sh", "echo old\necho mine\n");
    let out = upgrade(&dir, &[]);
    assert_code(&out, 0);
    assert!(!dir.join("scripts/old-helper.sh").exists());
    assert_eq!(text(&dir, "scripts/old-edited.sh"), "echo old\necho mine\n");
    let report = stdout(&out);
    assert_eq!(
        status_of(&report, "scripts/old-helper.sh").as_deref(),
        Some("removed")
    );
    assert_eq!(
        status_of(&report, "scripts/old-edited.sh").as_deref(),
        Some("kept")
    );
    // Neither is in the base any more.
    let base = Base::read(&dir).unwrap();
    assert!(!base.files.contains_key("scripts/old-helper.sh"));
    assert!(!base.files.contains_key("scripts/old-edited.sh"));
}

#[test]
fn second_run_changes_nothing() {
    let tmp = Sandbox::new();
    // Right after `new` at the defaults, a bare upgrade is a no-op.
    let fresh = tmp.new_project("fresh", &[]);
    let before = read_tree(&fresh);
    assert_code(&upgrade(&fresh, &[]), 0);
    assert_eq!(read_tree(&fresh), before);

    let dir = new_project(&tmp, &[]);
    write(
        &dir,
        "docker-compose.yml",
        &format!("# note\n{}", text(&dir, "docker-compose.yml")),
    );
    assert_code(&upgrade(&dir, &["--release", RELEASE]), 0);
    let after_first = read_tree(&dir);
    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 0);
    assert!(
        stdout(&out).contains("Up to date: nothing changed."),
        "{}",
        stdout(&out)
    );
    assert_eq!(read_tree(&dir), after_first);
    // Without a pin flag an older project moves to the defaults, once.
    assert_code(&upgrade(&dir, &[]), 0);
    assert!(text(&dir, "docker-compose.yml").contains(LATEST_BACKEND_SHA));
    let moved = read_tree(&dir);
    assert_code(&upgrade(&dir, &[]), 0);
    assert_eq!(read_tree(&dir), moved);
    // Pins ahead of the defaults are kept, not moved back.
    // (a CLI newer than the table: accepted with a warning, see pins.rs)
    assert_code(&upgrade(&dir, &["--convex-version", "1.52.0"]), 0);
    let ahead = read_tree(&dir);
    let out = upgrade(&dir, &[]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("pins kept"), "{}", stdout(&out));
    assert_eq!(read_tree(&dir), ahead);
}

#[test]
fn check_exits_1_before_and_0_after() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let before = read_tree(&dir);
    let out = upgrade(&dir, &["--check", "--release", RELEASE]);
    assert_code(&out, 1);
    assert_eq!(read_tree(&dir), before, "--check wrote something");
    assert_code(&upgrade(&dir, &["--check", "--release", "2025-05-29"]), 0);
    // The defaults are newer than the seed's pair.
    assert_code(&upgrade(&dir, &["--check"]), 1);
    assert_code(&upgrade(&dir, &["--release", RELEASE]), 0);
    assert_code(&upgrade(&dir, &["--check", "--release", RELEASE]), 0);
    assert_code(&upgrade(&dir, &["--check"]), 1);
    assert_code(&upgrade(&dir, &[]), 0);
    assert_code(&upgrade(&dir, &["--check"]), 0);
}

#[test]
fn dry_run_writes_nothing_and_prints_the_diff() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let before = read_tree(&dir);
    let out = upgrade(&dir, &["--dry-run", "--release", RELEASE]);
    assert_code(&out, 0);
    assert_eq!(read_tree(&dir), before, "--dry-run wrote something");
    let report = stdout(&out);
    assert!(report.contains("--- a/docker-compose.yml"), "{report}");
    assert!(
        report.contains(&format!(
            "+    image: \"ghcr.io/get-convex/convex-backend:{NEW_BACKEND_SHA}\""
        )),
        "{report}"
    );
    assert!(report.contains(&format!(
        "-    image: \"ghcr.io/get-convex/convex-backend:{OLD_BACKEND_SHA}\""
    )));
}

#[test]
fn storage_change_is_refused_without_reset_data_and_done_with_it() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let before = read_tree(&dir);
    let out = upgrade(&dir, &["--set", "storage=s3"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("storage lock"), "{err}");
    assert!(err.contains("Database was initialized with"), "{err}");
    assert!(err.contains("--reset-data"), "{err}");
    assert_eq!(read_tree(&dir), before);

    let secret_line = text(&dir, ".env.docker")
        .lines()
        .find(|l| l.starts_with("INSTANCE_SECRET="))
        .unwrap()
        .to_owned();
    let out = upgrade(&dir, &["--set", "storage=s3", "--reset-data"]);
    assert_code(&out, 0);
    assert!(text(&dir, "scripts/convex-config.sh").contains("CONVEX_STORAGE=s3"));
    assert!(text(&dir, "docker-compose.yml").contains("S3_STORAGE_FILES_BUCKET"));
    let state = text(&dir, "convex-scaffold.toml");
    assert!(state.contains("initial_storage = \"s3\""), "{state}");
    assert!(
        stdout(&out).contains("scripts/convex-reset.sh"),
        "{}",
        stdout(&out)
    );
    // .env.docker keeps its secret and gains the S3 keys it lacked.
    let env = text(&dir, ".env.docker");
    assert!(env.contains(&secret_line));
    assert!(env.contains("AWS_S3_FORCE_PATH_STYLE="), "{env}");
    assert!(env.contains("S3_STORAGE_FILES_BUCKET=app-files"), "{env}");
    assert!(!stdout(&out).contains(&secret_line));
    assert_eq!(mode(&dir.join(".env.docker")), 0o600);
    // Now s3 is the recorded storage: going on is no storage change.
    assert_code(&upgrade(&dir, &[]), 0);
}

#[test]
fn known_bad_pins_are_refused_unless_allowed() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let before = read_tree(&dir);
    let out = upgrade(&dir, &["--convex-version", "1.26.1"]);
    assert_code(&out, 2);
    assert!(stderr(&out).contains("known-bad"), "{}", stderr(&out));
    assert_eq!(read_tree(&dir), before);
    // A dashboard from another release than the backend is refused too.
    let out = upgrade(&dir, &["--dashboard-image", NEW_DASHBOARD_SHA]);
    assert_code(&out, 2);
    assert_eq!(read_tree(&dir), before);

    let out = upgrade(&dir, &["--convex-version", "1.26.1", "--allow-known-bad"]);
    assert_code(&out, 0);
    assert!(text(&dir, "package.json").contains("\"convex\": \"1.26.1\""));
    // A single pin moves alone: the images stay.
    assert!(text(&dir, "docker-compose.yml").contains(OLD_BACKEND_SHA));
}

/// The refusal's fix names the flag the user pinned with, and says when the
/// project's backend is newer than the ones the bug hits.
#[test]
fn known_bad_refusal_names_the_flag_used_and_whether_the_backend_is_affected() {
    let tmp = Sandbox::new();
    // The seed's pair: a 2025-05-29 backend, which the 1.26 crash hits.
    let old = new_project(&tmp, &[]);
    let e = stderr(&upgrade(&old, &["--convex-version", "1.26.0"]));
    assert!(e.contains("--convex-version 1.26.2"), "{e}");
    assert!(!e.contains("--set convex_version="), "{e}");
    assert!(!e.contains("not one of them"), "{e}");
    let e = stderr(&upgrade(&old, &["--set", "convex_version=1.26.0"]));
    assert!(e.contains("--set convex_version=1.26.2"), "{e}");

    // A newer backend than the crash hits: the message says so.
    let sb = Sandbox::new();
    let new = sb.new_project("app", &["--release", "latest"]);
    let out = upgrade(&new, &["--convex-version", "1.26.0"]);
    assert_code(&out, 2);
    let e = stderr(&out);
    assert!(e.contains("--convex-version 1.26.2"), "{e}");
    let latest = &convex_scaffold::pins::data().latest_release().date;
    assert!(
        e.contains(&format!(
            "only hits backends older than 2025-08-27; this backend (from {latest}) is not one of them"
        )),
        "{e}"
    );
}

#[test]
fn secrets_are_carried_over_byte_for_byte() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let env_docker = std::fs::read(dir.join(".env.docker")).unwrap();
    let env_local = std::fs::read(dir.join(".env.local")).unwrap();
    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 0);
    assert_eq!(std::fs::read(dir.join(".env.docker")).unwrap(), env_docker);
    assert_eq!(std::fs::read(dir.join(".env.local")).unwrap(), env_local);
    for secret in SECRETS {
        assert_eq!(mode(&dir.join(secret)), 0o600, "{secret}");
    }
    let secret = String::from_utf8(env_docker).unwrap();
    let value = secret
        .lines()
        .find_map(|l| l.strip_prefix("INSTANCE_SECRET="))
        .unwrap();
    assert_eq!(value.len(), 64);
    assert!(!stdout(&out).contains(value));
}

#[test]
fn corrupt_state_or_base_stops_with_exit_2() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    write(&dir, "convex-scaffold.toml", "this is [not toml\n");
    let before = read_tree(&dir);
    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("convex-scaffold.toml is not a valid"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read_tree(&dir), before);

    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    write(&dir, ".convex-scaffold/base.toml", "[files\n");
    let before = read_tree(&dir);
    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("base.toml is corrupt"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read_tree(&dir), before);
}

#[test]
fn package_json_keeps_user_keys_and_gets_the_new_pin() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let mut pkg: serde_json::Value = serde_json::from_str(&text(&dir, "package.json")).unwrap();
    pkg["dependencies"]["zod"] = "3.25.0".into();
    pkg["scripts"]["lint"] = "eslint .".into();
    pkg["description"] = "mine".into();
    write(
        &dir,
        "package.json",
        &serde_json::to_string_pretty(&pkg).unwrap(),
    );
    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 0);
    let pkg: serde_json::Value = serde_json::from_str(&text(&dir, "package.json")).unwrap();
    assert_eq!(pkg["dependencies"]["zod"], "3.25.0");
    assert_eq!(pkg["scripts"]["lint"], "eslint .");
    assert_eq!(pkg["description"], "mine");
    assert_eq!(pkg["dependencies"]["convex"], "1.26.2");
    assert_eq!(pkg["pnpm"]["overrides"]["convex"], "1.26.2");
    let keys: Vec<&String> = pkg.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.last().map(|k| k.as_str()),
        Some("description"),
        "key order changed: {keys:?}"
    );
}

#[test]
fn a_kubernetes_project_upgrades_like_a_docker_one() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &["--set", "platform=kubernetes"]);
    let main_tf_before = text(&dir, "coder/main.tf");
    let out = upgrade(&dir, &["--release", RELEASE]);
    assert_code(&out, 0);
    let main_tf = text(&dir, "coder/main.tf");
    assert_eq!(main_tf, main_tf_before, "the platform file has no pins");
    assert!(main_tf.contains("kubernetes_deployment_v1"));
    assert!(!main_tf.contains("kreuzwerker/docker"));
    assert!(text(&dir, "coder/modules/convex/main.tf").contains(NEW_BACKEND_SHA));
    assert!(text(&dir, "coder/project/docker-compose.yml").contains(NEW_BACKEND_SHA));
    assert_code(&upgrade(&dir, &["--release", RELEASE, "--check"]), 0);
}

#[test]
fn the_backend_never_moves_back_silently() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    // Ahead of the defaults: the newest row with a newer CLI than the default.
    let out = upgrade(&dir, &["--release", "latest", "--convex-version", "1.52.0"]);
    assert_code(&out, 0);
    let before = read_tree(&dir);
    // A bare upgrade keeps the pins instead of resetting them to the
    // (older) defaults.
    let out = upgrade(&dir, &[]);
    assert_code(&out, 0);
    assert!(stdout(&out).contains("pins kept"), "{}", stdout(&out));
    assert_eq!(read_tree(&dir), before);
    // An explicit older release is refused as a downgrade.
    let out = upgrade(&dir, &["--release", "2025-05-29"]);
    assert_code(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("forward-only"));
    assert_eq!(read_tree(&dir), before);
}

#[test]
fn release_latest_moves_a_seed_project_to_the_newest_row_with_the_same_refusals() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let before = read_tree(&dir);
    // The same refusals as any pin: a known-bad CLI, a CLI the backend
    // cannot serve, an unknown row.
    for args in [
        &["--release", "latest", "--convex-version", "1.26.1"][..],
        &["--release", "2025-09-04", "--convex-version", "1.35.0"][..],
        &["--release", "2026-08-21"][..],
    ] {
        let out = upgrade(&dir, args);
        assert_code(&out, 2);
        assert_eq!(read_tree(&dir), before, "{args:?} wrote something");
    }
    let out = upgrade(&dir, &["--release", "latest"]);
    assert_code(&out, 0);
    let report = stdout(&out);
    assert!(text(&dir, "docker-compose.yml").contains(LATEST_BACKEND_SHA));
    let pkg: serde_json::Value = serde_json::from_str(&text(&dir, "package.json")).unwrap();
    assert_eq!(pkg["dependencies"]["convex"], "1.51.0");
    // The CLI needs Node 22 (the project's Vite starter 20.19).
    assert_eq!(pkg["engines"]["node"], ">=22");
    // The next steps say what happens to the data.
    assert!(report.contains("exports a backup"), "{report}");
    assert!(report.contains("backups/"), "{report}");
    assert!(report.contains("no rollback"), "{report}");
    // Not when the backend stays.
    let out = upgrade(&dir, &["--convex-version", "1.49.0"]);
    assert_code(&out, 0);
    assert!(
        !stdout(&out).contains("exports a backup"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn switching_platform_warns_about_the_workspace_volumes() {
    let tmp = Sandbox::new();
    let dir = new_project(&tmp, &[]);
    let out = upgrade(&dir, &["--set", "platform=kubernetes"]);
    assert_code(&out, 0);
    let report = stdout(&out);
    assert!(report.contains("Push it as a NEW template"), "{report}");
    assert!(report.contains("--var namespace="), "{report}");
    assert!(text(&dir, "coder/main.tf").contains("kubernetes_deployment_v1"));
}

/// Issue 24 item 1: "up to date" says what it compared against (this
/// convex-scaffold's release table and its date) and how to get newer
/// releases.
#[test]
fn up_to_date_names_the_release_table_and_its_date() {
    let tmp = Sandbox::new();
    let dir = tmp.new_project("fresh", &[]);
    let out = upgrade(&dir, &["--check"]);
    assert_code(&out, 0);
    let report = stdout(&out);
    assert!(report.contains("up to date"), "{report}");
    let table = convex_scaffold::pins::table_date();
    assert!(
        report.contains(&format!("read from npm on {table}")),
        "{report}"
    );
    assert!(
        report.contains("release table of convex-scaffold"),
        "{report}"
    );
    assert!(report.contains("newer convex-scaffold"), "{report}");
    // The same without --check.
    let out = upgrade(&dir, &[]);
    assert_code(&out, 0);
    let report = stdout(&out);
    assert!(report.contains("Up to date"), "{report}");
    assert!(
        report.contains(&format!("read from npm on {table}")),
        "{report}"
    );
}

/// Issue 24 item 3: a made-up CLI version inside the table's range is
/// refused (exit 2, nothing written); one newer than the table is accepted
/// with a warning that names the table's date and doctor.
#[test]
fn made_up_cli_versions_are_refused_and_newer_ones_warned() {
    let tmp = Sandbox::new();
    let dir = tmp.new_project("p", &[]);
    let before = read_tree(&dir);
    let out = upgrade(&dir, &["--release", "latest", "--convex-version", "1.47.0"]);
    assert_code(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1.47.0") && err.contains("never published"),
        "{err}"
    );
    assert_eq!(read_tree(&dir), before);
    let out = upgrade(&dir, &["--release", "latest", "--convex-version", "9.9.9"]);
    assert_code(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: convex_version 9.9.9 is not in this convex-scaffold's table"),
        "{err}"
    );
    assert!(
        err.contains(convex_scaffold::pins::table_date()) && err.contains("doctor"),
        "{err}"
    );
}
