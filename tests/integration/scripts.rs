//! The generated shell scripts, run for real with bash against a small HTTP
//! server standing in for the Convex backend (127.0.0.1, a random port) and
//! stub `docker`/package-manager commands on PATH that log their arguments.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::support::*;

pub(crate) const KEY: &str = "demo|0123456789abcdef";

/// Answers like the backend: /version, /api/check_admin_key (200 for KEY,
/// 401 otherwise), /api/query (health:ping). Records request lines.
pub(crate) fn start_backend() -> (u16, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let port = serve_http(move |req| {
        log.lock().unwrap().push(req.line.clone());
        if req.line.starts_with("GET /version") {
            StubReply::new("200 OK", "unknown")
        } else if req.line.starts_with("GET /api/check_admin_key") {
            if req.auth == format!("Convex {KEY}") {
                StubReply::new("200 OK", "{\"success\":true}")
            } else {
                StubReply::new("401 Unauthorized", "{\"code\":\"BadAdminKey\"}")
            }
        } else if req.line.starts_with("POST /api/query") {
            StubReply::new("200 OK", "{\"status\":\"success\",\"value\":\"ok\"}")
        } else {
            StubReply::new("404 Not Found", "")
        }
    });
    (port, seen)
}

/// A folder of stub commands that log "<name> <args>" to `calls.log`.
pub(crate) fn stub_bin(root: &Path) -> PathBuf {
    let bin = root.join("stub-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let docker = format!(
        r#"#!/usr/bin/env bash
echo "docker $*" >> "{log}"
case "$*" in
  *generate_admin_key.sh*)
    if [ -n "${{STUB_MINT_FAILS:-}}" ]; then echo "service backend is not running" >&2; exit 1; fi
    echo "Admin key:" >&2; echo "{KEY}" ;;
esac
exit 0
"#,
        log = root.join("calls.log").display()
    );
    let pnpm = format!(
        r#"#!/usr/bin/env bash
# The version package.json pins (STUB_PNPM_VERSION: another one).
if [ "$1" = --version ]; then
  if [ -n "${{STUB_PNPM_VERSION:-}}" ]; then echo "$STUB_PNPM_VERSION"; exit 0; fi
  sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' package.json; exit 0
fi
echo "pnpm $* CI=${{CI:-}}" >> "{log}"
if [ "$1 $2 $3" = "exec convex export" ]; then prev=""; for a in "$@"; do if [ "$prev" = --path ]; then echo zip > "$a"; fi; prev="$a"; done; fi
if [ "$1" = install ]; then v=$(sed -n 's/.*"convex": "\([0-9.]*\)".*/\1/p' package.json | head -n 1); mkdir -p node_modules/convex; echo "{{\"version\": \"$v\"}}" > node_modules/convex/package.json; fi
exit 0
"#,
        log = root.join("calls.log").display()
    );
    for (name, body) in [("docker", docker), ("pnpm", pnpm)] {
        let path = bin.join(name);
        std::fs::write(&path, body).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    bin
}

/// What convex-up.sh leaves for a deploy: `.env.local` with the backend's
/// URL and a working admin key, and node_modules holding convex `cli_version`
/// (so no install runs).
pub(crate) fn ready_to_deploy(dir: &Path, port: u16, cli_version: &str) {
    std::fs::write(
        dir.join(".env.local"),
        format!(
            "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:{port}\nCONVEX_SELF_HOSTED_ADMIN_KEY={KEY}\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("node_modules/convex")).unwrap();
    std::fs::write(
        dir.join("node_modules/convex/package.json"),
        format!("{{\"version\": \"{cli_version}\"}}"),
    )
    .unwrap();
}

fn project_with_port(sb: &Sandbox, port: u16) -> PathBuf {
    let dir = sb.new_project("demo", &["--release", "2025-05-29"]);
    let env = text(&dir, ".env.docker").replace("PORT=3210", &format!("PORT={port}"));
    std::fs::write(dir.join(".env.docker"), env).unwrap();
    dir
}

fn run(dir: &Path, script: &str, args: &[&str], stubs: &Path) -> std::process::Output {
    let path = format!(
        "{}:{}",
        stubs.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("bash")
        .arg(dir.join("scripts").join(script))
        .args(args)
        .env("PATH", path)
        .env_remove("CONVEX_SELF_HOSTED_URL")
        .env_remove("CONVEX_DEPLOYMENT")
        .env("CONVEX_UP_TIMEOUT", "10")
        .current_dir(dir)
        .output()
        .expect("bash runs")
}

fn calls(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.path("calls.log")).unwrap_or_default()
}

#[test]
fn up_starts_compose_mints_the_admin_key_once_and_writes_it_0600() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = project_with_port(&sb, port);
    let stubs = stub_bin(sb.tmp.path());
    let out = run(&dir, "convex-up.sh", &[], &stubs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = calls(&sb);
    assert!(log.contains("--env-file"), "{log}");
    assert!(log.contains(" up -d"), "{log}");
    assert!(
        log.contains("exec -T backend ./generate_admin_key.sh"),
        "{log}"
    );
    let local = parse_dotenv(&text(&dir, ".env.local"));
    assert_eq!(local["CONVEX_SELF_HOSTED_ADMIN_KEY"], KEY);
    // The URL follows the port the backend is published on (.env.docker).
    assert_eq!(
        local["CONVEX_SELF_HOSTED_URL"],
        format!("http://127.0.0.1:{port}")
    );
    assert_eq!(mode(&dir.join(".env.local")), 0o600);
    // The key is never printed.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("0123456789abcdef"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("0123456789abcdef"));

    // Idempotent: a second run keeps the (valid) key and mints none.
    let out = run(&dir, "convex-up.sh", &[], &stubs);
    assert!(out.status.success());
    assert_eq!(calls(&sb).matches("generate_admin_key").count(), 1);
}

#[test]
fn up_replaces_a_rejected_key_and_creates_a_missing_env_docker() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = project_with_port(&sb, port);
    let stubs = stub_bin(sb.tmp.path());
    std::fs::write(
        dir.join(".env.local"),
        "CONVEX_SELF_HOSTED_ADMIN_KEY=stale|key\n",
    )
    .unwrap();
    // A checkout without .env.docker (it is git-ignored): created from the
    // example with a fresh secret.
    let example = text(&dir, ".env.docker.example").replace("PORT=3210", &format!("PORT={port}"));
    std::fs::write(dir.join(".env.docker.example"), example).unwrap();
    std::fs::remove_file(dir.join(".env.docker")).unwrap();
    let out = run(&dir, "convex-up.sh", &[], &stubs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("BadAdminKey"));
    assert_eq!(
        parse_dotenv(&text(&dir, ".env.local"))["CONVEX_SELF_HOSTED_ADMIN_KEY"],
        KEY
    );
    let secret = parse_dotenv(&text(&dir, ".env.docker"))["INSTANCE_SECRET"].clone();
    assert_eq!(secret.len(), 64, "{secret}");
    assert_eq!(mode(&dir.join(".env.docker")), 0o600);
}

#[test]
fn up_fails_loudly_when_the_backend_never_answers() {
    let sb = Sandbox::new();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = project_with_port(&sb, closed);
    let stubs = stub_bin(sb.tmp.path());
    let mut cmd = Command::new("bash");
    cmd.arg(dir.join("scripts/convex-up.sh"))
        .env(
            "PATH",
            format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap()),
        )
        .env("CONVEX_UP_TIMEOUT", "2");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did not answer"), "{err}");
    assert!(err.contains("convex-scaffold doctor"), "{err}");
}

#[test]
fn up_refuses_an_incomplete_s3_set() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = sb.new_project(
        "s3",
        &[
            "--set",
            "storage=s3",
            "--set",
            "s3_endpoint_url=https://minio.example.com",
        ],
    );
    let env = text(&dir, ".env.docker").replace("PORT=3210", &format!("PORT={port}"));
    std::fs::write(dir.join(".env.docker"), env).unwrap();
    let stubs = stub_bin(sb.tmp.path());
    let out = run(&dir, "convex-up.sh", &[], &stubs);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"),
        "{err}"
    );
    assert!(err.contains("silently use local storage"), "{err}");
    assert!(!calls(&sb).contains(" up -d"), "compose must not start");
}

#[test]
fn deploy_runs_the_pinned_cli_once_with_ci_and_proves_the_functions() {
    let sb = Sandbox::new();
    let (port, seen) = start_backend();
    let dir = project_with_port(&sb, port);
    let stubs = stub_bin(sb.tmp.path());
    ready_to_deploy(&dir, port, "1.24.8");
    let out = run(&dir, "convex-deploy.sh", &[], &stubs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = calls(&sb);
    assert!(log.contains("pnpm exec convex dev --once CI=1"), "{log}");
    assert!(
        !log.contains("pnpm install"),
        "the pinned CLI is installed already: {log}"
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.starts_with("POST /api/query")));

    // CONVEX_DEPLOYMENT beside the self-hosted variables is refused.
    let local = text(&dir, ".env.local") + "CONVEX_DEPLOYMENT=dev:happy-otter-123\n";
    std::fs::write(dir.join(".env.local"), local).unwrap();
    let out = run(&dir, "convex-deploy.sh", &[], &stubs);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CONVEX_DEPLOYMENT"));
}

#[test]
fn reset_exports_a_backup_before_wiping_and_mints_a_new_key() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = project_with_port(&sb, port);
    let stubs = stub_bin(sb.tmp.path());
    std::fs::create_dir_all(dir.join("node_modules/convex")).unwrap();
    std::fs::write(
        dir.join("node_modules/convex/package.json"),
        "{\"version\": \"1.24.8\"}",
    )
    .unwrap();
    std::fs::write(
        dir.join(".env.local"),
        format!("CONVEX_SELF_HOSTED_ADMIN_KEY={KEY}\n"),
    )
    .unwrap();

    // Without a terminal and without --yes: refused, nothing deleted.
    let out = run(&dir, "convex-reset.sh", &[], &stubs);
    assert_eq!(out.status.code(), Some(1));
    assert!(!calls(&sb).contains("down -v"));

    let out = run(&dir, "convex-reset.sh", &["--yes"], &stubs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = calls(&sb);
    let export = log.find("convex export").expect("export ran");
    assert!(
        log.contains("export --include-file-storage --path"),
        "stored files are in the backup: {log}"
    );
    let down = log.find("down -v").expect("volume removed");
    assert!(export < down, "the backup comes first: {log}");
    let backups: Vec<_> = std::fs::read_dir(dir.join("backups")).unwrap().collect();
    assert_eq!(backups.len(), 1);
    assert!(
        log[down..].contains("generate_admin_key.sh"),
        "a new key is minted after the wipe"
    );
}

#[test]
fn up_names_the_failure_when_the_admin_key_cannot_be_minted() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = project_with_port(&sb, port);
    let stubs = stub_bin(sb.tmp.path());
    let out = Command::new("bash")
        .arg(dir.join("scripts/convex-up.sh"))
        .env(
            "PATH",
            format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap()),
        )
        .env("STUB_MINT_FAILS", "1")
        .env_remove("CONVEX_SELF_HOSTED_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not mint an admin key"), "{err}");
    assert!(err.contains("convex-scaffold doctor"), "{err}");
}

/// A Coder workspace start after the first: node_modules holds the pinned CLI,
/// the pnpm on PATH is another version, corepack cannot fetch (the signature
/// error of mirrors without signatures): the scripts still run exactly the
/// packageManager version, through `npm exec`.
#[test]
fn deploy_falls_back_to_npm_exec_when_corepack_cannot_fetch_the_pinned_pnpm() {
    let sb = Sandbox::new();
    let (port, _seen) = start_backend();
    let dir = project_with_port(&sb, port);
    let spec = serde_json::from_str::<serde_json::Value>(&text(&dir, "package.json")).unwrap()
        ["packageManager"]
        .as_str()
        .expect("package.json pins the package manager")
        .to_owned();
    let version = spec.strip_prefix("pnpm@").expect("pnpm@X.Y.Z").to_owned();
    ready_to_deploy(&dir, port, "1.24.8");
    let stubs = stub_bin(sb.tmp.path());
    // In front of the usual stubs: an old pnpm, a corepack that cannot fetch,
    // and an npm whose `exec --yes pnpm@<pin> --` runs the pnpm stub.
    let front = sb.path("front");
    std::fs::create_dir_all(&front).unwrap();
    let log = sb.path("calls.log");
    for (name, body) in [
        ("pnpm", "#!/usr/bin/env bash\n[ \"$1\" = --version ] && echo 9.0.0\nexit 0\n".to_owned()),
        (
            "corepack",
            "#!/usr/bin/env bash\necho \"Internal Error: No compatible signature found in package metadata\" >&2\nexit 1\n"
                .to_owned(),
        ),
        (
            "npm",
            format!(
                "#!/usr/bin/env bash\necho \"npm $*\" >> \"{log}\"\nif [ \"$1 $2 $3\" = \"exec --yes {spec}\" ] && [ \"$4\" = -- ]; then\n  shift 4\n  if [ \"$1\" = --version ]; then echo {version}; exit 0; fi\n  exec \"{stubs}/pnpm\" \"$@\"\nfi\nexit 1\n",
                log = log.display(),
                stubs = stubs.display()
            ),
        ),
    ] {
        let path = front.join(name);
        std::fs::write(&path, body).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let path = format!("{}:{}", front.display(), stubs.display());
    let out = run(&dir, "convex-deploy.sh", &[], Path::new(&path));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "corepack could not provide {spec}: Internal Error: No compatible signature found"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("using {spec} through npm exec")),
        "{err}"
    );
    assert!(
        calls(&sb).contains(&format!("npm exec --yes {spec} -- exec convex dev --once")),
        "{}",
        calls(&sb)
    );
}

/// Issue 19: a pinned image that is neither on the machine nor on the
/// registry stops convex-up.sh with a message that names the organisation
/// rename and the backend_image/dashboard_image override.
#[test]
fn up_with_a_missing_image_names_the_rename_and_the_override() {
    let sb = Sandbox::new();
    let (port, _seen) = start_backend();
    let stubs = stub_bin(sb.tmp.path());
    std::fs::write(
        stubs.join("docker"),
        r#"#!/usr/bin/env bash
case "$*" in
  *"config --images backend"*) echo ghcr.io/get-convex/convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4 ;;
  *" up -d"*) echo "Error response from daemon: manifest unknown" >&2; exit 1 ;;
  "image inspect"*) exit 1 ;;
esac
exit 0
"#,
    )
    .unwrap();
    let dir = project_with_port(&sb, port);
    let out = run(&dir, "convex-up.sh", &[], &stubs);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("no backend image to start: ghcr.io/get-convex/convex-backend:c1a7ac3"),
        "{err}"
    );
    assert!(
        err.contains("github.com/convex") && err.contains("ghcr.io/convex/"),
        "{err}"
    );
    assert!(
        err.contains("--backend-image NAME:TAG --dashboard-image NAME:TAG"),
        "{err}"
    );
    // With the image on the machine, the failure is compose's, not a missing image.
    std::fs::write(
        stubs.join("docker"),
        "#!/usr/bin/env bash\ncase \"$*\" in *\" up -d\"*) exit 1 ;; esac\nexit 0\n",
    )
    .unwrap();
    let out = run(&dir, "convex-up.sh", &[], &stubs);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("docker compose up failed for the backend"),
        "{err}"
    );
    assert!(!err.contains("image to start"), "{err}");
}

/// convex 1.50.0: `convex export` without `--path` only creates the export
/// on the server (no download). Every export the scripts run passes --path.
#[test]
fn every_convex_export_in_the_scripts_passes_path() {
    let sb = Sandbox::new();
    let dir = sb.new_project("p", &[]);
    let mut exports = 0;
    for entry in std::fs::read_dir(dir.join("scripts")).unwrap() {
        let path = entry.unwrap().path();
        let script = std::fs::read_to_string(&path).unwrap();
        for line in script.lines() {
            if line.trim_start().starts_with('#') || !line.contains("\"${CONVEX_CLI[@]}\" export") {
                continue;
            }
            exports += 1;
            assert!(line.contains(" --path "), "{}: {line}", path.display());
        }
    }
    assert!(exports >= 2, "found only {exports} convex export call(s)");
}

#[test]
fn reset_with_an_external_database_backs_up_then_stops_with_the_command_that_empties_it() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = sb.new_project(
        "ext",
        &[
            "--release",
            "2025-05-29",
            "--set",
            "database=postgres",
            "--set",
            "database_url=postgresql://convex@db.example.com:5433",
        ],
    );
    let env = text(&dir, ".env.docker")
        .replace("PORT=3210", &format!("PORT={port}"))
        .replace(
            "POSTGRES_URL=postgresql://convex@db.example.com:5433",
            "POSTGRES_URL=postgresql://convex:s3cret-pw@db.example.com:5433",
        );
    assert!(env.contains("s3cret-pw"), "{env}");
    std::fs::write(dir.join(".env.docker"), env).unwrap();
    let stubs = stub_bin(sb.tmp.path());
    std::fs::create_dir_all(dir.join("node_modules/convex")).unwrap();
    std::fs::write(
        dir.join("node_modules/convex/package.json"),
        "{\"version\": \"1.24.8\"}",
    )
    .unwrap();
    std::fs::write(
        dir.join(".env.local"),
        format!("CONVEX_SELF_HOSTED_ADMIN_KEY={KEY}\n"),
    )
    .unwrap();

    // Wiping the volume alone would leave the documents and the storage lock
    // in the external database: backup, stop, and the exact command.
    let out = run(&dir, "convex-reset.sh", &["--yes"], &stubs);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let log = calls(&sb);
    assert!(log.contains("export --include-file-storage"), "{log}");
    assert!(!log.contains("down -v"), "nothing wiped yet: {log}");
    assert!(log.contains("stop backend dashboard"), "{log}");
    assert!(
        stderr.contains(
            "psql \"postgresql://convex@db.example.com:5433/postgres\" -v ON_ERROR_STOP=1 -c 'DROP DATABASE \"ext\"' -c 'CREATE DATABASE \"ext\"'"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("scripts/convex-reset.sh --yes --no-backup --database-emptied"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret-pw"),
        "no password printed: {stderr}"
    );

    // After the user emptied it: the usual wipe and a fresh start.
    let out = run(
        &dir,
        "convex-reset.sh",
        &["--yes", "--no-backup", "--database-emptied"],
        &stubs,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(calls(&sb).contains("down -v"));
}
