//! What the real backend image needs that lenient stand-ins let slide
//! (issue 18): S3-compatible stores, an empty S3_ENDPOINT_URL, S3 on old
//! releases, and the /metrics endpoint. Upstream facts are cited in
//! src/backend_features.rs.

use std::path::Path;

use crate::doctor::{edit, run_json};
use crate::support::{bin, parse_dotenv, parse_yaml, text, Sandbox};

const MINIO: &str = "s3_endpoint_url=https://minio.example.com:9000";

/// `new DIR --yes --release RELEASE` with S3 storage on the MinIO endpoint;
/// the tests read its exit code and stderr.
fn new_on_minio(dir: &Path, release: &str) -> std::process::Output {
    bin()
        .arg("new")
        .arg(dir)
        .args([
            "--yes",
            "--release",
            release,
            "--set",
            "storage=s3",
            "--set",
            MINIO,
        ])
        .output()
        .unwrap()
}

fn backend_env(dir: &Path) -> serde_json::Map<String, serde_json::Value> {
    let compose = parse_yaml(&text(dir, "docker-compose.yml"));
    compose["services"]["backend"]["environment"]
        .as_object()
        .expect("backend environment map")
        .clone()
}

#[test]
fn the_default_render_turns_the_metrics_endpoint_off() {
    let sb = Sandbox::new();
    for (name, args) in [
        ("plain", &[][..]),
        ("s3", &["--set", "storage=s3", "--set", MINIO][..]),
        ("pg", &["--set", "database=postgres"][..]),
    ] {
        let dir = sb.new_project(name, args);
        assert_eq!(
            backend_env(&dir)["DISABLE_METRICS_ENDPOINT"],
            "true",
            "{name}: /metrics must be off (public Coder apps would expose it)"
        );
    }
}

#[test]
fn an_s3_compatible_endpoint_gets_sse_and_checksums_off() {
    let sb = Sandbox::new();
    let dir = sb.new_project("minio", &["--set", "storage=s3", "--set", MINIO]);
    let env = backend_env(&dir);
    assert_eq!(env["AWS_S3_DISABLE_SSE"], "true");
    assert_eq!(env["AWS_S3_DISABLE_CHECKSUMS"], "true");
    assert_eq!(env["S3_ENDPOINT_URL"], "${S3_ENDPOINT_URL:-}");
    // Not left to .env.docker, where an older project holds `false`.
    let real = parse_dotenv(&text(&dir, ".env.docker"));
    assert!(!real.contains_key("AWS_S3_DISABLE_SSE"), "{real:?}");
    assert_eq!(real["S3_ENDPOINT_URL"], "https://minio.example.com:9000");
}

#[test]
fn aws_without_an_endpoint_passes_no_s3_endpoint_url() {
    let sb = Sandbox::new();
    let dir = sb.new_project("aws", &["--set", "storage=s3"]);
    let env = backend_env(&dir);
    assert!(env.contains_key("AWS_REGION"));
    // An empty value would be the endpoint "" for the real backend.
    assert!(!env.contains_key("S3_ENDPOINT_URL"), "{env:?}");
    // AWS accepts SSE and checksums: the backend's defaults stay.
    assert!(!env.contains_key("AWS_S3_DISABLE_SSE"), "{env:?}");
    assert!(!env.contains_key("AWS_S3_DISABLE_CHECKSUMS"), "{env:?}");
}

#[test]
fn s3_switches_follow_the_pinned_rows_date_not_todays_default() {
    let sb = Sandbox::new();
    // 2025-09-04 is the first row whose backend reads the switches.
    let dir = sb.new_project(
        "first",
        &[
            "--release",
            "2025-09-04",
            "--set",
            "storage=s3",
            "--set",
            MINIO,
        ],
    );
    assert_eq!(backend_env(&dir)["AWS_S3_DISABLE_SSE"], "true");
    // 2025-08-27 has path style but no SSE switch: warned, not rendered.
    let dir = sb.path("older");
    let out = new_on_minio(&dir, "2025-08-27");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: the backend of 2025-08-27 always uploads")
            && stderr.contains("KMS")
            && stderr.contains("Fix: pick a release from 2025-09-04 on"),
        "{stderr}"
    );
    let env = backend_env(&dir);
    assert!(!env.contains_key("AWS_S3_DISABLE_SSE"), "{env:?}");
    assert_eq!(
        env["AWS_S3_FORCE_PATH_STYLE"],
        "${AWS_S3_FORCE_PATH_STYLE:-false}"
    );
}

#[test]
fn a_path_style_endpoint_on_a_release_without_path_style_is_refused() {
    let sb = Sandbox::new();
    for release in ["2025-05-29", "2025-07-02"] {
        let dir = sb.path(release);
        let out = new_on_minio(&dir, release);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{release}: {stderr}");
        assert!(
            stderr.contains("ignores AWS_S3_FORCE_PATH_STYLE")
                && stderr.contains("Fix: pick a release from 2025-09-04 on")
                && stderr.contains("nothing was written"),
            "{stderr}"
        );
        assert!(!dir.exists(), "{release}: nothing may be written");
    }
    // The same release with AWS itself is fine.
    sb.new_project(
        "aws-old",
        &["--release", "2025-07-02", "--set", "storage=s3"],
    );
}

#[test]
fn upgrade_to_an_old_release_with_an_s3_compatible_endpoint_is_refused() {
    let sb = Sandbox::new();
    let dir = sb.new_project("up", &["--set", "storage=s3", "--set", MINIO]);
    let out = bin()
        .arg("upgrade")
        .arg(&dir)
        .args(["--release", "2025-07-02"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ignores AWS_S3_FORCE_PATH_STYLE"),
        "{stderr}"
    );
}

#[test]
fn doctor_names_an_empty_endpoint_that_reaches_the_backend() {
    let sb = Sandbox::new();
    // AWS render: nothing passed, and doctor says so.
    let dir = sb.new_project("aws", &["--set", "storage=s3"]);
    edit(
        &dir,
        ".env.docker",
        "AWS_ACCESS_KEY_ID=\n",
        "AWS_ACCESS_KEY_ID=a\n",
    );
    edit(
        &dir,
        ".env.docker",
        "AWS_SECRET_ACCESS_KEY=\n",
        "AWS_SECRET_ACCESS_KEY=b\n",
    );
    let (_, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(checks["s3-dns"]["status"], "pass", "{checks:#?}");
    assert!(checks["s3-dns"]["message"]
        .as_str()
        .unwrap()
        .contains("passes no S3_ENDPOINT_URL"));

    // An older render that passes S3_ENDPOINT_URL: ${S3_ENDPOINT_URL:-} with
    // an empty value: the real backend takes "" as its endpoint.
    let compose = text(&dir, "docker-compose.yml");
    let older = compose.replacen(
        "      AWS_SESSION_TOKEN: ${AWS_SESSION_TOKEN:-}\n",
        "      AWS_SESSION_TOKEN: ${AWS_SESSION_TOKEN:-}\n      S3_ENDPOINT_URL: ${S3_ENDPOINT_URL:-}\n",
        1,
    );
    assert_ne!(older, compose);
    std::fs::write(dir.join("docker-compose.yml"), older).unwrap();
    let (code, checks) = run_json(&dir, &["--offline"], &[]);
    assert_eq!(checks["s3-dns"]["status"], "fail", "{checks:#?}");
    let message = checks["s3-dns"]["message"].as_str().unwrap();
    assert!(message.contains("reaches the backend empty"), "{message}");
    assert!(!message.contains("regional endpoint"), "{message}");
    assert!(checks["s3-dns"]["fix"]
        .as_str()
        .unwrap()
        .contains("--set s3_endpoint_url="));
    assert_ne!(code, 0);
}

#[test]
fn a_storage_switch_on_an_external_database_names_the_database_step() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "ext",
        &[
            "--set",
            "database=postgres",
            "--set",
            "database_url=postgresql://convex@db.example.com:5432",
        ],
    );
    let out = bin()
        .arg("upgrade")
        .arg(&dir)
        .args(["--set", "storage=s3", "--set", MINIO, "--reset-data"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("storage type (local) in the external database")
            && stdout.contains("scripts/convex-reset.sh --yes --no-backup --database-emptied"),
        "{stdout}"
    );
    let reset = text(&dir, "scripts/convex-reset.sh");
    assert!(reset.contains("--database-emptied"));
}

/// Every variable upstream's self-hosted/docker/docker-compose.yml passes at
/// get-convex/convex-backend 94a42c3db (service, name). Moving to a newer
/// upstream compose means updating this list and docs/upstream-compose.md.
const UPSTREAM_COMPOSE_94A42C3: &[(&str, &str)] = &[
    ("backend", "V8_ACTION_USER_TIMEOUT_SECS"),
    ("backend", "NODE_ACTION_USER_TIMEOUT_SECS"),
    ("backend", "APPLICATION_MAX_CONCURRENT_MUTATIONS"),
    ("backend", "APPLICATION_MAX_CONCURRENT_NODE_ACTIONS"),
    ("backend", "APPLICATION_MAX_CONCURRENT_QUERIES"),
    ("backend", "APPLICATION_MAX_CONCURRENT_V8_ACTIONS"),
    ("backend", "AWS_ACCESS_KEY_ID"),
    ("backend", "AWS_REGION"),
    ("backend", "AWS_S3_DISABLE_CHECKSUMS"),
    ("backend", "AWS_S3_DISABLE_SSE"),
    ("backend", "AWS_S3_FORCE_PATH_STYLE"),
    ("backend", "AWS_SECRET_ACCESS_KEY"),
    ("backend", "AWS_SESSION_TOKEN"),
    ("backend", "CONVEX_CLOUD_ORIGIN"),
    ("backend", "CONVEX_RELEASE_VERSION_DEV"),
    ("backend", "CONVEX_SITE_ORIGIN"),
    ("backend", "DATABASE_URL"),
    ("backend", "DISABLE_BEACON"),
    ("backend", "DISABLE_METRICS_ENDPOINT"),
    ("backend", "DOCUMENT_RETENTION_DELAY"),
    ("backend", "DO_NOT_REQUIRE_SSL"),
    ("backend", "HTTP_SERVER_TIMEOUT_SECONDS"),
    ("backend", "INSTANCE_NAME"),
    ("backend", "INSTANCE_SECRET"),
    ("backend", "MYSQL_URL"),
    ("backend", "POSTGRES_URL"),
    ("backend", "REDACT_LOGS_TO_CLIENT"),
    ("backend", "RUST_BACKTRACE"),
    ("backend", "RUST_LOG"),
    ("backend", "S3_ENDPOINT_URL"),
    ("backend", "S3_STORAGE_EXPORTS_BUCKET"),
    ("backend", "S3_STORAGE_FILES_BUCKET"),
    ("backend", "S3_STORAGE_MODULES_BUCKET"),
    ("backend", "S3_STORAGE_SEARCH_BUCKET"),
    ("backend", "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET"),
    ("dashboard", "NEXT_PUBLIC_DEPLOYMENT_URL"),
    ("dashboard", "NEXT_PUBLIC_LOAD_MONACO_INTERNALLY"),
];

#[test]
fn upstream_compose_table_matches_the_render() {
    let table_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/upstream-compose.md");
    let table = std::fs::read_to_string(&table_path).expect("docs/upstream-compose.md");
    let mut rows = std::collections::BTreeMap::new();
    for line in table.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells[0] == "variable" || cells[0].starts_with("---") {
            continue;
        }
        assert_eq!(cells.len(), 4, "{line}");
        assert!(!cells[3].is_empty(), "{line}: every decision has a reason");
        let old = rows.insert(
            (cells[1].to_owned(), cells[0].to_owned()),
            cells[2].to_owned(),
        );
        assert!(old.is_none(), "{line}: listed twice");
    }
    for (service, var) in UPSTREAM_COMPOSE_94A42C3 {
        assert!(
            rows.contains_key(&(service.to_string(), var.to_string())),
            "upstream's {service} variable {var} has no decision in docs/upstream-compose.md"
        );
    }

    let sb = Sandbox::new();
    let variants: Vec<serde_json::Value> = [
        ("plain", &[][..]),
        ("minio", &["--set", "storage=s3", "--set", MINIO][..]),
        ("aws", &["--set", "storage=s3"][..]),
        ("pg", &["--set", "database=postgres"][..]),
        ("my", &["--set", "database=mysql"][..]),
    ]
    .iter()
    .map(|(name, args)| parse_yaml(&text(&sb.new_project(name, args), "docker-compose.yml")))
    .collect();
    let env_of = |v: &serde_json::Value, service: &str| {
        v["services"][service]["environment"]
            .as_object()
            .expect("environment map")
            .clone()
    };
    for ((service, var), decision) in &rows {
        let present: Vec<Option<serde_json::Value>> = variants
            .iter()
            .map(|v| env_of(v, service).get(var).cloned())
            .collect();
        let what = format!("{service} {var} ({decision})");
        match decision.as_str() {
            "value" => assert!(
                present
                    .iter()
                    .all(|p| p.as_ref().is_some_and(|v| v.is_string())),
                "{what}: {present:?}"
            ),
            "pass-through" => assert!(
                present
                    .iter()
                    .all(|p| p.as_ref().is_some_and(|v| v.is_null())),
                "{what}: {present:?}"
            ),
            "when-set" => assert!(
                present.iter().any(Option::is_some) && present.iter().any(Option::is_none),
                "{what}: {present:?}"
            ),
            "not passed" => assert!(present.iter().all(Option::is_none), "{what}: {present:?}"),
            other => panic!("{what}: unknown decision {other:?}"),
        }
    }
    for v in &variants {
        for service in ["backend", "dashboard"] {
            for var in env_of(v, service).keys() {
                assert!(
                    rows.contains_key(&(service.to_owned(), var.clone())),
                    "the render passes {service} {var}, which docs/upstream-compose.md does not list"
                );
            }
        }
    }
}

/// The backend's entrypoint script of the rendered compose file, as the
/// container's shell receives it (compose turns `$$` into `$`).
fn entrypoint_script(dir: &Path) -> String {
    let env = parse_yaml(&text(dir, "docker-compose.yml"));
    let entry = env["services"]["backend"]["entrypoint"]
        .as_array()
        .expect("the backend has an entrypoint")
        .clone();
    assert_eq!(entry[0], "/bin/sh");
    assert_eq!(entry[1], "-c");
    assert_eq!(entry[3], "run_backend.sh", "$0 of the script");
    entry[2].as_str().unwrap().replace("$$", "$")
}

#[test]
fn moved_ports_are_forwarded_to_the_backend_inside_its_container() {
    use std::os::unix::process::CommandExt;

    let sb = Sandbox::new();
    let dir = sb.new_project("moved", &[]);
    let script = entrypoint_script(&dir);
    assert!(script.contains("exec ./run_backend.sh \"$@\""), "{script}");
    // The backend inside the container listens on 3210; here a stub on a free
    // port stands for it, and the origin uses another free port (as
    // convex-up.sh sets it for PORT=3310).
    let backend = crate::support::serve_http(|req| {
        crate::support::StubReply::new("200 OK", format!("backend saw {}", req.line))
    });
    let origin_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = script.replace(
        "forward \"$CONVEX_CLOUD_ORIGIN\" 3210",
        &format!("forward \"$CONVEX_CLOUD_ORIGIN\" {backend}"),
    );
    let work = sb.path("container");
    std::fs::create_dir_all(&work).unwrap();
    // The image's entrypoint: call the own origin as an action callback
    // does, then end this process group (the forwarder included).
    std::fs::write(
        work.join("run_backend.sh"),
        "#!/bin/sh\nfor _ in 1 2 3 4 5 6 7 8 9 10; do\n  \
         curl -fsS -m 5 \"$CONVEX_CLOUD_ORIGIN/version\" >callback.out 2>callback.err && break\n  sleep 0.3\ndone\n\
         echo \"args: $*\" >args.out\nkill -TERM -- -$$\n",
    )
    .unwrap();
    std::fs::set_permissions(
        work.join("run_backend.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let status = std::process::Command::new("/bin/sh")
        .args(["-c", &script, "run_backend.sh", "--flag"])
        .current_dir(&work)
        .env(
            "CONVEX_CLOUD_ORIGIN",
            format!("http://127.0.0.1:{origin_port}"),
        )
        .env("CONVEX_SITE_ORIGIN", "https://site.example.com")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .status()
        .unwrap();
    assert!(!status.success(), "ended by its own TERM");
    let callback = std::fs::read_to_string(work.join("callback.out")).unwrap_or_default();
    assert_eq!(
        callback,
        "backend saw GET /version HTTP/1.1",
        "{}",
        std::fs::read_to_string(work.join("callback.err")).unwrap_or_default()
    );
    assert_eq!(
        std::fs::read_to_string(work.join("args.out")).unwrap(),
        "args: --flag\n"
    );
}

#[test]
fn unmoved_and_public_origins_start_no_forwarder() {
    let sb = Sandbox::new();
    let dir = sb.new_project("plain", &[]);
    let script = entrypoint_script(&dir);
    let work = sb.path("container");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("run_backend.sh"), "#!/bin/sh\necho ran\n").unwrap();
    std::fs::set_permissions(
        work.join("run_backend.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    for (cloud, site) in [
        ("http://127.0.0.1:3210", "http://127.0.0.1:3211"),
        (
            "https://3210--main--ws--me.coder.example.com",
            "https://3211--main--ws--me.coder.example.com",
        ),
    ] {
        let out = std::process::Command::new("/bin/sh")
            .args(["-c", &script, "run_backend.sh"])
            .current_dir(&work)
            .env("CONVEX_CLOUD_ORIGIN", cloud)
            .env("CONVEX_SITE_ORIGIN", site)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ran\n", "{cloud}");
    }
}
