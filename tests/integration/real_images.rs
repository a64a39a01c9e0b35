//! What the real backend image needs that lenient stand-ins let slide
//! (issue 18): S3-compatible stores, an empty S3_ENDPOINT_URL, S3 on old
//! releases, and the /metrics endpoint. Upstream facts are cited in
//! src/backend_features.rs.

use std::path::Path;

use crate::doctor::{edit, run_json};
use crate::support::{bin, parse_dotenv, parse_yaml, text, Sandbox};

const MINIO: &str = "s3_endpoint_url=https://minio.example.com:9000";

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
    let out = bin()
        .arg("new")
        .arg(&dir)
        .args([
            "--yes",
            "--release",
            "2025-08-27",
            "--set",
            "storage=s3",
            "--set",
            MINIO,
        ])
        .output()
        .unwrap();
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
        let out = bin()
            .arg("new")
            .arg(&dir)
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
            .unwrap();
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
