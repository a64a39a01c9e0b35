//! `doctor`: a clean project passes; each fault, made on purpose one at a
//! time, fails exactly the check that names it, with its fix; live checks
//! against a small HTTP server on 127.0.0.1.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// Variables doctor reads from the environment; the tests must not inherit
/// them from whoever runs `cargo test`.
const ENV_KEYS: &[&str] = &[
    "CONVEX_SELF_HOSTED_URL",
    "CONVEX_SELF_HOSTED_ADMIN_KEY",
    "CONVEX_DEPLOYMENT",
    "VITE_CONVEX_URL",
    "NEXT_PUBLIC_CONVEX_URL",
    "CONVEX_CLOUD_ORIGIN",
    "DO_NOT_REQUIRE_SSL",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "S3_ENDPOINT_URL",
    "S3_STORAGE_EXPORTS_BUCKET",
    "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET",
    "S3_STORAGE_MODULES_BUCKET",
    "S3_STORAGE_FILES_BUCKET",
    "S3_STORAGE_SEARCH_BUCKET",
    "AWS_S3_FORCE_PATH_STYLE",
    "AWS_S3_DISABLE_SSE",
    "AWS_S3_DISABLE_CHECKSUMS",
];

/// A stub `docker` beside the project, first on PATH, so the live checks
/// never reach a real daemon or registry. STUB_DOCKER_LOCAL=missing makes
/// `image inspect` fail; STUB_DOCKER_MANIFEST=ok|unknown|offline picks the
/// registry's answer. For the stack check, `ps` prints STUB_DOCKER_PS (a
/// container id), `volume ls` STUB_DOCKER_VOLUMES, `inspect` (of the
/// container) STUB_DOCKER_INSPECT and `logs` STUB_DOCKER_LOGS; all empty by
/// default (no stack). Every call is logged to docker-calls.log.
fn docker_stub(dir: &Path) -> std::path::PathBuf {
    let bin = dir.parent().unwrap().join(format!(
        "docker-stub-{}",
        dir.file_name().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join("docker");
    if !path.exists() {
        let log = bin.join("docker-calls.log");
        std::fs::write(
            &path,
            format!(
                r#"#!/usr/bin/env bash
echo "docker $*" >> "{log}"
case "$1 $2" in
  "image inspect") [ "${{STUB_DOCKER_LOCAL:-present}}" = present ] && exit 0; echo "Error: No such image: $3" >&2; exit 1 ;;
  "manifest inspect")
    case "${{STUB_DOCKER_MANIFEST:-ok}}" in
      ok) exit 0 ;;
      unknown) echo "manifest unknown: manifest unknown" >&2; exit 1 ;;
      offline) echo "Get \"https://ghcr.io/v2/\": dial tcp: lookup ghcr.io: no such host" >&2; exit 1 ;;
    esac ;;
esac
out=""
case "$1" in
  ps) out="${{STUB_DOCKER_PS:-}}" ;;
  volume) out="${{STUB_DOCKER_VOLUMES:-}}" ;;
  inspect) out="${{STUB_DOCKER_INSPECT:-}}" ;;
  logs) out="${{STUB_DOCKER_LOGS:-}}" ;;
esac
[ -z "$out" ] || printf '%s\n' "$out"
exit 0
"#,
                log = log.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

pub(crate) fn doctor(dir: &Path) -> assert_cmd::Command {
    let mut cmd = bin();
    for key in ENV_KEYS {
        cmd.env_remove(key);
    }
    let stub = docker_stub(dir);
    cmd.env(
        "PATH",
        format!("{}:{}", stub.display(), std::env::var("PATH").unwrap()),
    );
    cmd.arg("doctor").arg(dir);
    cmd
}

/// Runs `doctor --json` (plus `args`): exit code and the checks by id.
pub(crate) fn run_json(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, BTreeMap<String, Value>) {
    let mut cmd = doctor(dir);
    cmd.arg("--json").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "--json output does not parse: {e}\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut checks = BTreeMap::new();
    for c in doc["checks"].as_array().expect("checks array") {
        let id = c["id"].as_str().expect("id").to_owned();
        for field in ["status", "message", "fix"] {
            assert!(c[field].is_string(), "{id}: {field} missing in {c}");
        }
        if let Some(issue) = c.get("issue").and_then(Value::as_str) {
            assert!(
                convex_scaffold::diagnose::by_id(issue).is_some(),
                "{id}: issue {issue:?} is not in templates/data/known-issues.toml"
            );
        }
        assert!(checks.insert(id.clone(), c.clone()).is_none(), "{id} twice");
    }
    assert_eq!(doc["ok"], out.status.code() == Some(0), "{doc}");
    (out.status.code().unwrap(), checks)
}

fn with_status<'a>(checks: &'a BTreeMap<String, Value>, status: &str) -> Vec<&'a str> {
    checks
        .iter()
        .filter(|(_, c)| c["status"] == status)
        .map(|(id, _)| id.as_str())
        .collect()
}

/// `doctor --offline` fails exactly `id`, exit 1, and the fix says `fix`.
fn assert_only_fails(dir: &Path, id: &str, fix: &str) -> Value {
    let (code, checks) = run_json(dir, &["--offline"], &[]);
    assert_eq!(with_status(&checks, "fail"), [id], "{checks:#?}");
    assert_eq!(code, 1);
    let check = checks[id].clone();
    assert!(
        check["fix"].as_str().unwrap().contains(fix),
        "{id}: fix {:?} does not mention {fix:?}",
        check["fix"]
    );
    check
}

/// Replaces `from` with `to` once in a project file, keeping its mode.
pub(crate) fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let old = text(dir, rel);
    assert!(
        old.contains(from),
        "{rel} does not contain {from:?}:\n{old}"
    );
    std::fs::write(dir.join(rel), old.replacen(from, to, 1)).unwrap();
}

fn s3_project(sb: &Sandbox) -> std::path::PathBuf {
    let dir = sb.new_project(
        "s3",
        &[
            "--set",
            "storage=s3",
            "--set",
            "s3_endpoint_url=http://192.0.2.10:9000",
        ],
    );
    edit(
        &dir,
        ".env.docker",
        "AWS_ACCESS_KEY_ID=\n",
        "AWS_ACCESS_KEY_ID=minio\n",
    );
    edit(
        &dir,
        ".env.docker",
        "AWS_SECRET_ACCESS_KEY=\n",
        "AWS_SECRET_ACCESS_KEY=minio-secret\n",
    );
    dir
}

#[test]
fn a_clean_project_passes_offline() {
    let sb = Sandbox::new();
    let dir = sb.new_project("clean", &[]);
    let out = doctor(&dir).arg("--offline").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.lines().any(|l| l.starts_with("fail")), "{stdout}");
    assert!(stdout.contains("0 failed"), "{stdout}");

    let (code, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(code, 0);
    assert!(with_status(&checks, "fail").is_empty(), "{checks:#?}");
    // Not installed yet: warnings, not failures.
    assert_eq!(with_status(&checks, "warn"), ["lockfile", "node-modules"]);
    for id in convex_scaffold::doctor::CHECK_IDS {
        let expected = ![
            "s3-dns",
            "images-present",
            "cli-published",
            "stack-backend",
            "backend-version",
            "admin-key",
            // Only with database = postgres | mysql.
            "database-name",
            "database-password",
            "database-ssl",
            "database-exists",
            // Only with auth = convex-auth (auth-dotenv also with a key
            // misplaced into a dotenv file).
            "auth-keys",
            "auth-dotenv",
            "auth-env",
            // Only with storage = s3.
            "s3-buckets",
        ]
        .contains(id);
        assert_eq!(checks.contains_key(*id), expected, "{id}");
    }
}

#[test]
fn a_clean_s3_project_passes_offline() {
    let sb = Sandbox::new();
    let dir = s3_project(&sb);
    let (code, checks) = run_json(&dir, &["--offline"], &[]);
    assert!(with_status(&checks, "fail").is_empty(), "{checks:#?}");
    assert_eq!(code, 0);
    assert_eq!(checks["s3-dns"]["status"], "pass");
    assert!(checks["s3-set"]["message"]
        .as_str()
        .unwrap()
        .contains("uses S3"));
}

#[test]
fn a_caret_pin_fails_cli_pin() {
    let sb = Sandbox::new();
    let dir = sb.new_project("caret", &["--release", "2025-05-29"]);
    edit(
        &dir,
        "package.json",
        "\"convex\": \"1.24.8\"",
        "\"convex\": \"^1.24.8\"",
    );
    let check = assert_only_fails(&dir, "cli-pin", "\"convex\": \"1.24.8\"");
    assert!(check["message"].as_str().unwrap().contains("^1.24.8"));
}

#[test]
fn a_known_bad_pin_fails_cli_known_bad() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "bad",
        &["--set", "convex_version=1.26.1", "--allow-known-bad"],
    );
    let check = assert_only_fails(&dir, "cli-known-bad", "1.26.2");
    assert_eq!(check["issue"], "cli-1-26-reading-length");
}

const PACKAGE_LOCK: &str = r#"{
  "name": "lock",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "lock", "dependencies": { "convex": "1.24.8" } },
    "node_modules/convex": {
      "version": "VERSION",
      "resolved": "https://registry.npmjs.org/convex/-/convex-VERSION.tgz",
      "integrity": "sha512-AAAA"
    }
  }
}
"#;

const PNPM_LOCK: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

overrides:
  convex: 1.24.8

importers:

  .:
    dependencies:
      convex:
        specifier: 1.24.8
        version: VERSION

packages:

  convex@VERSION:
    resolution: {integrity: sha512-AAAA}
    engines: {node: '>=18.0.0', npm: '>=7.0.0'}
    hasBin: true

snapshots:

  convex@VERSION:
    dependencies:
      esbuild: 0.25.4
";

const YARN_V1: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


convex@1.24.8:
  version "VERSION"
  resolved "https://registry.yarnpkg.com/convex/-/convex-VERSION.tgz#abc"
  integrity sha512-AAAA
  dependencies:
    esbuild "0.25.4"
"#;

const YARN_BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"convex@npm:1.24.8":
  version: VERSION
  resolution: "convex@npm:VERSION"
  dependencies:
    esbuild: "npm:0.25.4"
  checksum: 10c0/abc
  languageName: node
  linkType: hard
"#;

const BUN_LOCK: &str = r#"{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "lock",
      "dependencies": {
        "convex": "1.24.8",
      },
    },
  },
  "packages": {
    "convex": ["convex@VERSION", "", { "dependencies": { "esbuild": "0.25.4" } }, "sha512-AAAA"],
  }
}
"#;

#[test]
fn a_lockfile_holding_another_version_fails_lockfile() {
    let sb = Sandbox::new();
    for (i, (file, body, pm)) in [
        ("package-lock.json", PACKAGE_LOCK, "npm"),
        ("pnpm-lock.yaml", PNPM_LOCK, "pnpm"),
        ("yarn.lock", YARN_V1, "yarn"),
        ("yarn.lock", YARN_BERRY, "yarn"),
        ("bun.lock", BUN_LOCK, "bun"),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = sb.new_project(
            &format!("lock{i}"),
            &[
                "--release",
                "2025-05-29",
                "--set",
                &format!("package_manager={pm}"),
            ],
        );
        // The right version passes ...
        std::fs::write(dir.join(file), body.replace("VERSION", "1.24.8")).unwrap();
        let (code, checks) = run_json(&dir, &["--offline"], &[]);
        assert_eq!(checks["lockfile"]["status"], "pass", "{file}: {checks:#?}");
        assert_eq!(code, 0);
        // ... another one fails, naming the file, the version and the fix.
        std::fs::write(dir.join(file), body.replace("VERSION", "1.25.4")).unwrap();
        let check = assert_only_fails(&dir, "lockfile", &format!("{pm} install"));
        let message = check["message"].as_str().unwrap();
        assert!(
            message.contains(file) && message.contains("1.25.4"),
            "{message}"
        );
    }
}

#[test]
fn a_binary_bun_lockfile_warns() {
    let sb = Sandbox::new();
    let dir = sb.new_project("lockb", &["--set", "package_manager=bun"]);
    std::fs::write(
        dir.join("bun.lockb"),
        b"#!/usr/bin/env bun\n\0\x01bun-lockfile",
    )
    .unwrap();
    let (code, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(code, 0);
    assert_eq!(checks["lockfile"]["status"], "warn");
    assert!(checks["lockfile"]["fix"]
        .as_str()
        .unwrap()
        .contains("bun install --save-text-lockfile"));
}

#[test]
fn node_modules_holding_another_version_fails() {
    let sb = Sandbox::new();
    let dir = sb.new_project("nm", &[]);
    std::fs::create_dir_all(dir.join("node_modules/convex")).unwrap();
    std::fs::write(
        dir.join("node_modules/convex/package.json"),
        r#"{"name": "convex", "version": "1.26.2"}"#,
    )
    .unwrap();
    let check = assert_only_fails(&dir, "node-modules", "pnpm install");
    assert!(check["message"].as_str().unwrap().contains("1.26.2"));
}

#[test]
fn a_latest_image_fails_images_pinned() {
    let sb = Sandbox::new();
    let dir = sb.new_project("latest", &["--release", "2025-05-29"]);
    edit(
        &dir,
        "docker-compose.yml",
        "convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4",
        "convex-backend:latest",
    );
    let check = assert_only_fails(
        &dir,
        "images-pinned",
        "ghcr.io/get-convex/convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4",
    );
    assert!(check["message"].as_str().unwrap().contains(":latest"));
}

/// An upgrade whose edits overlap the user's writes conflict markers; the
/// doctor then says to resolve them, never `git checkout`, which would throw
/// away the user's edits (and the upgrade).
#[test]
fn conflict_markers_left_by_upgrade_get_resolve_advice_not_git_checkout() {
    let sb = Sandbox::new();
    let dir = sb.new_project("conflicted", &["--release", "2025-05-29"]);
    edit(
        &dir,
        "docker-compose.yml",
        "convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4",
        "convex-backend:1111111111111111111111111111111111111111",
    );
    let out = bin()
        .arg("upgrade")
        .arg(&dir)
        .args(["--release", "2025-09-04"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let compose = std::fs::read_to_string(dir.join("docker-compose.yml")).unwrap();
    assert!(compose.contains("<<<<<<< yours"), "{compose}");

    let (_, checks) = run_json(&dir, &["--offline"], &[]);
    let check = &checks["images-pinned"];
    assert_eq!(check["status"], "fail", "{check}");
    let fix = check["fix"].as_str().unwrap();
    assert!(
        fix.contains("resolve the conflict markers") && fix.contains("<<<<<<< yours"),
        "{fix}"
    );
    for (id, c) in &checks {
        let fix = c["fix"].as_str().unwrap();
        assert!(!fix.contains("git checkout"), "{id}: {fix}");
    }
}

/// package.json with markers (a hand merge, or an old upgrade) fails
/// cli-pin with the same advice.
#[test]
fn conflict_markers_in_package_json_get_resolve_advice() {
    let sb = Sandbox::new();
    let dir = sb.new_project("pkgconflict", &["--release", "2025-05-29"]);
    edit(
        &dir,
        "package.json",
        "\"convex\": \"1.24.8\"",
        "\n<<<<<<< yours\n    \"convex\": \"1.24.7\"\n=======\n    \"convex\": \"1.24.8\"\n>>>>>>> convex-scaffold 0.1.0 (new)",
    );
    let (_, checks) = run_json(&dir, &["--offline"], &[]);
    let check = &checks["cli-pin"];
    assert_eq!(check["status"], "fail", "{check}");
    let fix = check["fix"].as_str().unwrap();
    assert!(fix.contains("resolve the conflict markers"), "{fix}");
    assert!(!fix.contains("git checkout"), "{fix}");
}

#[test]
fn a_missing_ssl_flag_fails() {
    let sb = Sandbox::new();
    let dir = sb.new_project("ssl", &[]);
    edit(&dir, ".env.docker", "DO_NOT_REQUIRE_SSL=true\n", "");
    assert_only_fails(&dir, "ssl-flag", "DO_NOT_REQUIRE_SSL=true");
}

#[test]
fn a_partial_s3_set_fails_and_names_what_is_missing() {
    let sb = Sandbox::new();
    let dir = s3_project(&sb);
    edit(
        &dir,
        ".env.docker",
        "S3_STORAGE_FILES_BUCKET=s3-files\n",
        "S3_STORAGE_FILES_BUCKET=\n",
    );
    let check = assert_only_fails(&dir, "s3-set", "S3_STORAGE_FILES_BUCKET");
    assert!(check["message"]
        .as_str()
        .unwrap()
        .contains("S3_STORAGE_FILES_BUCKET missing"));
    assert_eq!(check["issue"], "s3-silently-off");
}

#[test]
fn a_non_literal_s3_boolean_fails() {
    let sb = Sandbox::new();
    let dir = s3_project(&sb);
    edit(
        &dir,
        ".env.docker",
        "AWS_S3_FORCE_PATH_STYLE=true",
        "AWS_S3_FORCE_PATH_STYLE=1",
    );
    let check = assert_only_fails(&dir, "s3-booleans", "true or false");
    assert!(check["message"]
        .as_str()
        .unwrap()
        .contains("AWS_S3_FORCE_PATH_STYLE=1"));
    assert_eq!(check["issue"], "s3-dns-dispatch-failure");
}

#[test]
fn storage_differing_from_the_initial_storage_fails_with_the_reset_procedure() {
    let sb = Sandbox::new();
    let dir = sb.new_project("lock", &[]);
    edit(
        &dir,
        "convex-scaffold.toml",
        "initial_storage = \"local\"",
        "initial_storage = \"s3\"",
    );
    let check = assert_only_fails(
        &dir,
        "storage-initial",
        "convex-scaffold upgrade --set storage=local --reset-data`, then `scripts/convex-reset.sh`",
    );
    assert_eq!(check["issue"], "storage-type-mismatch");
}

#[test]
fn a_url_with_a_path_prefix_fails() {
    let sb = Sandbox::new();
    let dir = sb.new_project("prefix", &[]);
    edit(
        &dir,
        ".env.local",
        "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\n",
        "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210/convex\n",
    );
    let check = assert_only_fails(
        &dir,
        "url-self-hosted",
        "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210 in .env.local",
    );
    assert!(check["message"].as_str().unwrap().contains("path prefix"));
}

#[test]
fn a_url_with_a_trailing_slash_fails() {
    let sb = Sandbox::new();
    let dir = sb.new_project("slash", &[]);
    edit(
        &dir,
        ".env.local",
        "VITE_CONVEX_URL=http://127.0.0.1:3210\n",
        "VITE_CONVEX_URL=http://127.0.0.1:3210/\n",
    );
    let check = assert_only_fails(
        &dir,
        "url-frontend",
        "VITE_CONVEX_URL=http://127.0.0.1:3210",
    );
    assert!(check["message"]
        .as_str()
        .unwrap()
        .contains("trailing slash"));
}

#[test]
fn a_url_disagreeing_with_the_cloud_origin_fails() {
    let sb = Sandbox::new();
    let dir = sb.new_project("disagree", &[]);
    edit(
        &dir,
        ".env.local",
        "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\n",
        "CONVEX_SELF_HOSTED_URL=https://convex.example.com\n",
    );
    let check = assert_only_fails(&dir, "url-self-hosted", "http://127.0.0.1:3210");
    assert!(check["message"].as_str().unwrap().contains(
        "points at https://convex.example.com but CONVEX_CLOUD_ORIGIN is http://127.0.0.1:3210"
    ));

    // The process environment wins over .env.local.
    let dir = sb.new_project("from-env", &[]);
    let (code, checks) = run_json(
        &dir,
        &["--offline"],
        &[("CONVEX_SELF_HOSTED_URL", "http://127.0.0.1:4000")],
    );
    assert_eq!(code, 1);
    assert_eq!(with_status(&checks, "fail"), ["url-self-hosted"]);
    assert!(checks["url-self-hosted"]["message"]
        .as_str()
        .unwrap()
        .contains("in the environment"));
}

#[test]
fn convex_deployment_beside_the_self_hosted_pair_fails() {
    let sb = Sandbox::new();
    let dir = sb.new_project("deployment", &[]);
    edit(
        &dir,
        ".env.local",
        "CONVEX_SELF_HOSTED_ADMIN_KEY=\n",
        "CONVEX_SELF_HOSTED_ADMIN_KEY=\nCONVEX_DEPLOYMENT=dev:happy-otter-123\n",
    );
    let check = assert_only_fails(
        &dir,
        "convex-deployment",
        "delete the CONVEX_DEPLOYMENT line from .env.local",
    );
    assert_eq!(check["issue"], "convex-deployment-conflict");
}

#[cfg(unix)]
#[test]
fn a_world_readable_env_local_fails() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let dir = sb.new_project("mode", &[]);
    std::fs::set_permissions(
        dir.join(".env.local"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let check = assert_only_fails(&dir, "secret-modes", "chmod 600 .env.local");
    assert!(check["message"].as_str().unwrap().contains("0644"));
}

#[test]
fn an_env_local_that_is_not_git_ignored_fails() {
    let sb = Sandbox::new();
    let dir = sb.new_project("ignored", &[]);
    let gitignore: String = text(&dir, ".gitignore")
        .lines()
        .filter(|l| !l.contains(".local"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(gitignore.contains(".env.docker\n"));
    std::fs::write(dir.join(".gitignore"), gitignore).unwrap();
    let check = assert_only_fails(&dir, "secret-gitignored", "`.env.local`");
    assert!(!check["message"].as_str().unwrap().contains(".env.docker"));
}

#[test]
fn a_corrupt_state_file_is_exit_2() {
    let sb = Sandbox::new();
    let dir = sb.new_project("corrupt", &[]);
    std::fs::write(dir.join("convex-scaffold.toml"), "[scaffold\nnot toml").unwrap();
    let out = doctor(&dir).arg("--offline").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("convex-scaffold.toml"));
}

#[test]
fn a_folder_without_state_gets_the_other_checks() {
    let sb = Sandbox::new();
    let dir = sb.new_project("nostate", &[]);
    std::fs::remove_file(dir.join("convex-scaffold.toml")).unwrap();
    let (code, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(code, 0, "{checks:#?}");
    assert_eq!(checks["state"]["status"], "warn");
    for id in [
        "cli-pin",
        "images-pinned",
        "s3-set",
        "url-frontend",
        "secret-modes",
    ] {
        assert_eq!(checks[id]["status"], "pass", "{id}");
    }
    assert!(!checks.contains_key("storage-initial"));
}

/// A stand-in backend: `/version` → 200; `/api/check_admin_key` → 200 for
/// `Authorization: Convex <key>`, else 401.
fn fake_backend(key: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&request);
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let authorized = request
                .lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("authorization: convex {key}")));
            let (status, body) = match path {
                "/version" => ("200 OK", "unknown"),
                "/api/check_admin_key" if authorized => ("200 OK", "{\"success\":true}"),
                "/api/check_admin_key" => ("401 Unauthorized", "{\"code\":\"BadAdminKey\"}"),
                _ => ("404 Not Found", ""),
            };
            let _ = write!(
                conn,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn point_at(dir: &Path, port: u16, key: &str) {
    edit(dir, ".env.docker", "PORT=3210\n", &format!("PORT={port}\n"));
    // The loopback URLs follow the port, as scripts/convex-up.sh moves them.
    for file in [".env.docker", ".env.local"] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replace("127.0.0.1:3210", &format!("127.0.0.1:{port}")),
        )
        .unwrap();
    }
    edit(
        dir,
        ".env.local",
        "CONVEX_SELF_HOSTED_ADMIN_KEY=\n",
        &format!("CONVEX_SELF_HOSTED_ADMIN_KEY='{key}'\n"),
    );
}

#[test]
fn live_checks_pass_against_a_running_backend_with_the_right_key() {
    let key = "live|0123456789abcdef";
    let port = fake_backend(key);
    let sb = Sandbox::new();
    let dir = sb.new_project("live", &[]);
    point_at(&dir, port, key);
    let (code, checks) = run_json(&dir, &[], &[]);
    assert_eq!(checks["backend-version"]["status"], "pass", "{checks:#?}");
    assert_eq!(checks["admin-key"]["status"], "pass", "{checks:#?}");
    assert_eq!(checks["images-present"]["status"], "pass", "{checks:#?}");
    assert_eq!(code, 0);
}

fn docker_calls(dir: &Path) -> String {
    std::fs::read_to_string(docker_stub(dir).join("docker-calls.log")).unwrap_or_default()
}

#[test]
fn images_present_looks_locally_then_on_the_registry() {
    let sb = Sandbox::new();
    let dir = sb.new_project("img", &[]);
    let backend = "ghcr.io/get-convex/convex-backend:903b8b96c4bceb34c62e366cf36e8f4774955e6b";
    // Present locally: the registry is not asked.
    let (_, checks) = run_json(&dir, &[], &[]);
    assert_eq!(checks["images-present"]["status"], "pass", "{checks:#?}");
    assert!(checks["images-present"]["message"]
        .as_str()
        .unwrap()
        .contains("present on this machine"));
    assert!(docker_calls(&dir).contains(&format!("docker image inspect {backend}")));
    assert!(!docker_calls(&dir).contains("manifest"));
    // Not pulled yet, but on the registry.
    let (code, checks) = run_json(&dir, &[], &[("STUB_DOCKER_LOCAL", "missing")]);
    assert_eq!(checks["images-present"]["status"], "pass", "{checks:#?}");
    assert!(checks["images-present"]["message"]
        .as_str()
        .unwrap()
        .contains("on the registry"));
    assert!(docker_calls(&dir).contains(&format!("docker manifest inspect {backend}")));
    assert_eq!(code, 0);
    // Neither: a failed workspace start ahead.
    let (code, checks) = run_json(
        &dir,
        &[],
        &[
            ("STUB_DOCKER_LOCAL", "missing"),
            ("STUB_DOCKER_MANIFEST", "unknown"),
        ],
    );
    let check = &checks["images-present"];
    assert_eq!(check["status"], "fail", "{checks:#?}");
    assert!(
        check["message"].as_str().unwrap().contains(backend),
        "{check}"
    );
    assert!(check["fix"]
        .as_str()
        .unwrap()
        .contains("convex-scaffold upgrade --release latest"));
    // Issue 19: the organisation rename and the override are named.
    let fix = check["fix"].as_str().unwrap();
    assert!(
        fix.contains("ghcr.io/convex/") && fix.contains("github.com/convex"),
        "{fix}"
    );
    assert!(
        fix.contains("--backend-image NAME:TAG --dashboard-image NAME:TAG")
            && fix.contains("backend_image/dashboard_image"),
        "{fix}"
    );
    assert_eq!(check["issue"], "image-pull-denied");
    assert_eq!(code, 1);
    // The registry cannot be reached: a warning that says so, with the fix.
    let (_, checks) = run_json(
        &dir,
        &[],
        &[
            ("STUB_DOCKER_LOCAL", "missing"),
            ("STUB_DOCKER_MANIFEST", "offline"),
        ],
    );
    let check = &checks["images-present"];
    assert_eq!(check["status"], "warn", "{checks:#?}");
    assert!(
        check["message"].as_str().unwrap().contains("no such host"),
        "{check}"
    );
    assert!(
        check["fix"].as_str().unwrap().contains("docker load"),
        "{check}"
    );
    // --offline never calls docker.
    std::fs::remove_file(docker_stub(&dir).join("docker-calls.log")).unwrap();
    let (_, checks) = run_json(&dir, &["--offline"], &[("STUB_DOCKER_LOCAL", "missing")]);
    assert!(!checks.contains_key("images-present"));
    assert_eq!(docker_calls(&dir), "");
}

#[test]
fn a_deploy_only_rule_warns_in_cli_backend_compat() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "deployonly",
        &["--release", "2025-10-29", "--set", "convex_version=1.29.2"],
    );
    let (code, checks) = run_json(&dir, &["--offline"], &[]);
    let check = &checks["cli-backend-compat"];
    assert_eq!(check["status"], "warn", "{checks:#?}");
    assert_eq!(check["issue"], "cli-evaluate-push-404");
    assert!(check["message"]
        .as_str()
        .unwrap()
        .contains("convex dev --once"));
    assert!(
        check["fix"]
            .as_str()
            .unwrap()
            .contains("--convex-version 1.31.6"),
        "{check}"
    );
    assert_eq!(code, 0);
}

#[test]
fn a_rejected_admin_key_fails_and_is_never_printed() {
    let port = fake_backend("live|right");
    let sb = Sandbox::new();
    let dir = sb.new_project("badkey", &[]);
    let wrong = "live|wrong-key-5ecret";
    point_at(&dir, port, wrong);
    let (code, checks) = run_json(&dir, &[], &[]);
    assert_eq!(with_status(&checks, "fail"), ["admin-key"], "{checks:#?}");
    assert_eq!(code, 1);
    let check = &checks["admin-key"];
    assert_eq!(check["issue"], "bad-admin-key");
    assert!(check["fix"]
        .as_str()
        .unwrap()
        .contains("clear CONVEX_SELF_HOSTED_ADMIN_KEY in .env.local and run scripts/convex-up.sh"));

    let out = doctor(&dir).output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = parse_dotenv(&text(&dir, ".env.docker"))["INSTANCE_SECRET"].clone();
    assert!(all.contains("fail  admin-key"), "{all}");
    assert!(!all.contains("5ecret") && !all.contains(&secret), "{all}");
}

#[test]
fn a_backend_that_is_not_running_is_a_prompt_warning() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sb = Sandbox::new();
    let dir = sb.new_project("down", &[]);
    point_at(&dir, port, "down|key");
    let start = Instant::now();
    let (code, checks) = run_json(&dir, &[], &[]);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(code, 0, "{checks:#?}");
    let check = &checks["backend-version"];
    assert_eq!(check["status"], "warn");
    assert!(check["message"].as_str().unwrap().contains("not running"));
    assert!(check["fix"]
        .as_str()
        .unwrap()
        .contains("scripts/convex-up.sh"));
    assert_eq!(checks["admin-key"]["status"], "warn");
}

#[test]
fn text_output_puts_the_fix_on_the_failing_line() {
    let sb = Sandbox::new();
    let dir = sb.new_project("text", &[]);
    edit(
        &dir,
        ".env.docker",
        "DO_NOT_REQUIRE_SSL=true\n",
        "DO_NOT_REQUIRE_SSL=\n",
    );
    let out = doctor(&dir).arg("--offline").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("fail"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.starts_with("fail  ssl-flag"), "{line}");
    assert!(
        line.contains("-- fix: add DO_NOT_REQUIRE_SSL=true"),
        "{line}"
    );
    assert!(stdout.contains("1 failed"));
}

/// The known-issues catalogue names the doctor check that catches each
/// issue early; every such name is a real check.
#[test]
fn catalogue_checks_are_doctor_checks() {
    let mut linked = 0;
    for issue in convex_scaffold::diagnose::catalogue() {
        if let Some(check) = &issue.check {
            assert!(
                convex_scaffold::doctor::CHECK_IDS.contains(&check.as_str()),
                "{}: check {check:?} is not a doctor check",
                issue.id
            );
            linked += 1;
        }
    }
    assert!(
        linked >= 10,
        "only {linked} catalogue entries name a doctor check"
    );
}

#[test]
fn readme_lists_every_doctor_check() {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/troubleshooting.md"),
    )
    .unwrap();
    for id in convex_scaffold::doctor::CHECK_IDS {
        assert!(
            readme.contains(&format!("| `{id}` |")),
            "README lacks doctor check {id}"
        );
    }
}

#[test]
fn a_lockfile_of_another_package_manager_fails_with_delete_advice() {
    let sb = Sandbox::new();
    let dir = sb.new_project("p", &[]);
    std::fs::write(
        dir.join("package-lock.json"),
        r#"{"lockfileVersion": 3, "packages": {"node_modules/convex": {"version": "1.24.8"}}}"#,
    )
    .unwrap();
    let check = assert_only_fails(&dir, "lockfile", "delete package-lock.json");
    assert!(
        check["message"].as_str().unwrap().contains("pnpm"),
        "{check}"
    );
}

/// The stub docker's answers for a backend container in STATE
/// (`image\tstatus\trestarts\texit code`) whose log is LOG, with its data
/// volume.
fn stack_env<'a>(state: &'a str, log: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("STUB_DOCKER_PS", "0123456789abcdef0123"),
        ("STUB_DOCKER_VOLUMES", "clean_data"),
        ("STUB_DOCKER_INSPECT", state),
        ("STUB_DOCKER_LOGS", log),
    ]
}

#[test]
fn a_backend_refusing_to_start_is_named_from_its_own_log() {
    let sb = Sandbox::new();
    let dir = sb.new_project("clean", &[]);
    let stub = stack_env(
        "ghcr.io/get-convex/convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4\trestarting\t4\t1",
        "Error: Database was initialized with Some(S3 { s3_prefix: \"clean\" }), but backend started up with Local { dir: \"/convex/data/storage\" }",
    );
    let (code, checks) = run_json(&dir, &[], &stub);
    assert_eq!(code, 1);
    let stack = &checks["stack-backend"];
    assert_eq!(stack["status"], "fail", "{stack}");
    assert_eq!(stack["issue"], "storage-type-mismatch", "{stack}");
    assert!(
        stack["message"]
            .as_str()
            .unwrap()
            .contains("restart loop (4 restarts)"),
        "{stack}"
    );
    // The text output names the known issue too.
    let out = doctor(&dir).envs(stub).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("[known issue: storage-type-mismatch]"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_healthy_backend_container_passes_and_a_never_started_volume_is_not_called_initialised() {
    let sb = Sandbox::new();
    let dir = sb.new_project("clean", &[]);
    let stub = stack_env(
        "ghcr.io/get-convex/convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4\trunning\t0\t0",
        "INFO convex_local_backend: backend listening on 0.0.0.0:3210",
    );
    let (_, checks) = run_json(&dir, &[], &stub);
    assert_eq!(checks["stack-backend"]["status"], "pass", "{checks:#?}");
    assert!(checks["storage-initial"]["message"]
        .as_str()
        .unwrap()
        .contains("initialised with local"));

    // No container and no volume: the stub's defaults.
    let (_, checks) = run_json(&dir, &[], &[]);
    assert_eq!(checks["stack-backend"]["status"], "warn", "{checks:#?}");
    let initial = checks["storage-initial"]["message"].as_str().unwrap();
    assert!(initial.contains("does not exist yet"), "{initial}");
    assert!(!initial.contains("initialised"), "{initial}");
}

#[test]
fn ports_must_agree_with_env_docker_everywhere() {
    let sb = Sandbox::new();
    let dir = sb.new_project("clean", &[]);
    let (_, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(checks["ports"]["status"], "pass", "{checks:#?}");

    edit(&dir, ".env.docker", "PORT=3210\n", "PORT=3310\n");
    let (code, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(code, 1);
    let message = checks["ports"]["message"].as_str().unwrap();
    assert!(
        message.contains("CONVEX_CLOUD_ORIGIN is http://127.0.0.1:3210"),
        "{message}"
    );
    assert!(message.contains("published on port 3310"), "{message}");
    assert!(
        message.contains("does not forward port(s) 3310"),
        "{message}"
    );
}

#[test]
fn database_checks_pass_on_a_fresh_postgres_project_and_catch_each_mistake() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &["--set", "database=postgres"]);
    let (code, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(
        with_status(&checks, "fail"),
        Vec::<&str>::new(),
        "{checks:#?}"
    );
    assert_eq!(code, 0);
    for id in [
        "database-locked",
        "database-url",
        "database-name",
        "database-password",
        "database-ssl",
    ] {
        assert_eq!(checks[id]["status"], "pass", "{id}: {:#?}", checks[id]);
    }
    // --offline asks no database.
    assert!(!checks.contains_key("database-exists"));

    // A database name in the URL.
    edit(
        &dir,
        "docker-compose.yml",
        "@database:5432",
        "@database:5432/app",
    );
    let check = assert_only_fails(&dir, "database-url", "upgrade");
    assert!(
        check["message"].as_str().unwrap().contains("\"/app\""),
        "{check}"
    );
    edit(
        &dir,
        "docker-compose.yml",
        "@database:5432/app",
        "@database:5432",
    );

    // The TLS requirement left on against the TLS-less bundled service is
    // the ssl-flag check's; a CA file that is neither passed nor mounted:
    let env = text(&dir, ".env.docker");
    std::fs::write(
        dir.join(".env.docker"),
        format!("{env}PG_CA_FILE=/certs/ca.pem\n"),
    )
    .unwrap();
    let check = assert_only_fails(&dir, "database-ssl", "/certs/ca.pem:ro");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("does not pass it"),
        "{check}"
    );
    std::fs::write(dir.join(".env.docker"), &env).unwrap();

    // A hand-edited INSTANCE_NAME that makes no valid database name.
    edit(
        &dir,
        ".env.docker",
        "INSTANCE_NAME=app",
        "INSTANCE_NAME=My-App",
    );
    let (_, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(
        checks["database-name"]["status"], "fail",
        "{:#?}",
        checks["database-name"]
    );
    edit(
        &dir,
        ".env.docker",
        "INSTANCE_NAME=My-App",
        "INSTANCE_NAME=app",
    );

    // The state says the backend started on sqlite: the lock.
    edit(
        &dir,
        "convex-scaffold.toml",
        "initial_database = \"postgres\"",
        "initial_database = \"sqlite\"",
    );
    assert_only_fails(&dir, "database-locked", "--reset-data");
}

#[test]
fn database_checks_on_sqlite_flag_a_stray_url() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    let (_, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(checks["database-url"]["status"], "pass");
    assert!(!checks.contains_key("database-name"));
    edit(
        &dir,
        "docker-compose.yml",
        "      RUST_LOG: ${RUST_LOG:-info}\n",
        "      RUST_LOG: ${RUST_LOG:-info}\n      POSTGRES_URL: postgresql://u@db:5432\n",
    );
    assert_only_fails(&dir, "database-url", "upgrade");
}

/// Issue 19: a project on an older row than the table's newest is told so,
/// with the command that moves it; the newest row passes.
#[test]
fn pins_older_than_the_tables_newest_row_warn_with_upgrade_release_latest() {
    let sb = Sandbox::new();
    let seed = sb.new_project("seed", &["--release", "2025-05-29"]);
    let (_, checks) = run_json(&seed, &["--offline"], &[]);
    let check = &checks["pins-current"];
    assert_eq!(check["status"], "warn", "{check:#?}");
    assert!(
        check["message"].as_str().unwrap().contains("2025-05-29"),
        "{check:#?}"
    );
    assert!(
        check["fix"]
            .as_str()
            .unwrap()
            .contains("upgrade --release latest"),
        "{check:#?}"
    );
    let fresh = sb.new_project("fresh", &[]);
    let (_, checks) = run_json(&fresh, &["--offline"], &[]);
    assert_eq!(
        checks["pins-current"]["status"], "pass",
        "{:#?}",
        checks["pins-current"]
    );
}

/// Issue 24 item 3: a CLI version newer than the table is accepted with a
/// warning, and doctor (online) asks the npm registry: not published fails,
/// published warns, unreachable says so.
#[test]
fn doctor_asks_npm_about_a_cli_version_the_table_lacks() {
    let sb = Sandbox::new();
    let dir = sb.new_project("p", &["--set", "convex_version=9.9.9"]);
    let stubs = sb.path("stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    let npm = stubs.join("npm");
    let docker = stubs.join("docker");
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(&docker, "#!/bin/sh\nexit 1\n").unwrap();
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap());
    for (script, status, needle) in [
        (
            "echo '[\"1.51.0\"]'",
            "fail",
            "not published on the npm registry",
        ),
        (
            "echo '[\"1.51.0\", \"9.9.9\"]'",
            "warn",
            "newer than this convex-scaffold's table",
        ),
        (
            "echo 'npm error network' >&2; exit 1",
            "warn",
            "could not be asked",
        ),
    ] {
        std::fs::write(&npm, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (_, checks) = run_json(&dir, &[], &[("PATH", path.as_str())]);
        let check = &checks["cli-published"];
        assert_eq!(check["status"], status, "{script}: {check:#?}");
        assert!(
            check["message"].as_str().unwrap().contains(needle),
            "{script}: {check:#?}"
        );
    }
    // Offline, it is not asked.
    let (_, checks) = run_json(&dir, &["--offline"], &[]);
    assert!(!checks.contains_key("cli-published"));
}
