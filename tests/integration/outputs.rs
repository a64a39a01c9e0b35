//! Every generated file, parsed by a real parser of its format, in every
//! variant; insta snapshots of every file of the default variant.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::*;

const VARIANTS: &[(&str, &[&str])] = &[
    ("defaults", &[]),
    (
        "s3",
        &[
            "--set",
            "storage=s3",
            "--set",
            "s3_endpoint_url=https://minio.example.com:9000",
            "--set",
            "wildcard_domain=*.coder.example.com",
        ],
    ),
    (
        "nextjs-npm",
        &["--set", "frontend=nextjs", "--set", "package_manager=npm"],
    ),
    (
        "none-yarn",
        &["--set", "frontend=none", "--set", "package_manager=yarn"],
    ),
    (
        "bun-sysbox",
        &[
            "--set",
            "package_manager=bun",
            "--set",
            "docker_runtime=sysbox",
        ],
    ),
    (
        "kubernetes",
        &[
            "--set",
            "platform=kubernetes",
            "--set",
            "wildcard_domain=*-apps.example.com",
        ],
    ),
    ("release-2025-09-04", &["--release", "2025-09-04"]),
    ("release-2025-05-29", &["--release", "2025-05-29"]),
];

const S3_KEYS: &[&str] = &[
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "S3_ENDPOINT_URL",
    "S3_STORAGE_EXPORTS_BUCKET",
    "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET",
    "S3_STORAGE_MODULES_BUCKET",
    "S3_STORAGE_FILES_BUCKET",
    "S3_STORAGE_SEARCH_BUCKET",
    "AWS_S3_FORCE_PATH_STYLE",
];

fn check_compose(dir: &Path, storage: &str, backend: &str) {
    let compose = parse_yaml(&text(dir, "docker-compose.yml"));
    let services = compose["services"].as_object().expect("services");
    assert_eq!(
        services.keys().collect::<Vec<_>>(),
        ["backend", "dashboard"]
    );
    let b = &compose["services"]["backend"];
    assert_eq!(b["image"], backend);
    assert!(!b["image"].as_str().unwrap().ends_with(":latest"));
    assert_eq!(b["stop_grace_period"], "10s");
    assert_eq!(b["stop_signal"], "SIGINT");
    assert_eq!(b["restart"], "unless-stopped");
    assert_eq!(
        b["ports"],
        serde_json::json!([
            "127.0.0.1:${PORT:-3210}:3210",
            "127.0.0.1:${SITE_PROXY_PORT:-3211}:3211"
        ])
    );
    assert_eq!(b["volumes"][0], "data:/convex/data");
    assert_eq!(
        b["healthcheck"]["test"],
        serde_json::json!(["CMD", "curl", "-fsS", "http://localhost:3210/version"])
    );
    let env = b["environment"].as_object().expect("environment map");
    assert_eq!(env["DO_NOT_REQUIRE_SSL"], "${DO_NOT_REQUIRE_SSL:-true}");
    for key in S3_KEYS {
        assert_eq!(
            env.contains_key(*key),
            storage == "s3",
            "{key} with storage={storage}"
        );
    }
    let d = &compose["services"]["dashboard"];
    assert_eq!(d["depends_on"]["backend"]["condition"], "service_healthy");
    assert_eq!(d["ports"][0], "127.0.0.1:${DASHBOARD_PORT:-6791}:6791");
    assert!(compose["volumes"].as_object().unwrap().contains_key("data"));
}

fn check_env_files(dir: &Path, storage: &str, frontend_var: Option<&str>) {
    let example = parse_dotenv(&text(dir, ".env.docker.example"));
    let real = parse_dotenv(&text(dir, ".env.docker"));
    assert_eq!(
        example.keys().collect::<Vec<_>>(),
        real.keys().collect::<Vec<_>>()
    );
    assert_eq!(real["DO_NOT_REQUIRE_SSL"], "true");
    assert_eq!(real["CONVEX_CLOUD_ORIGIN"], "http://127.0.0.1:3210");
    assert_eq!(real["CONVEX_SITE_ORIGIN"], "http://127.0.0.1:3211");
    assert_eq!(real["NEXT_PUBLIC_DEPLOYMENT_URL"], "http://127.0.0.1:3210");
    assert!(real.contains_key("DISABLE_BEACON"));
    assert_eq!(real["INSTANCE_SECRET"].len(), 64);
    if storage == "s3" {
        assert_eq!(real["AWS_S3_FORCE_PATH_STYLE"], "true");
        assert_eq!(real["S3_ENDPOINT_URL"], "https://minio.example.com:9000");
        assert!(real["S3_STORAGE_FILES_BUCKET"].ends_with("-files"));
    } else {
        for key in ["AWS_REGION", "S3_STORAGE_FILES_BUCKET", "S3_ENDPOINT_URL"] {
            assert_eq!(real[key], "", "{key} must be empty for local storage");
        }
    }
    let local = parse_dotenv(&text(dir, ".env.local"));
    assert_eq!(local["CONVEX_SELF_HOSTED_URL"], "http://127.0.0.1:3210");
    assert_eq!(local["CONVEX_SELF_HOSTED_ADMIN_KEY"], "");
    assert!(!local.contains_key("CONVEX_DEPLOYMENT"));
    let mut expected = vec!["CONVEX_SELF_HOSTED_ADMIN_KEY", "CONVEX_SELF_HOSTED_URL"];
    if let Some(var) = frontend_var {
        assert_eq!(local[var], "http://127.0.0.1:3210");
        expected.push(var);
    }
    expected.sort();
    assert_eq!(
        local.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
}

fn check_package_json(dir: &Path, version: &str, pm: &str) {
    let pkg: Value = serde_json::from_str(&text(dir, "package.json")).expect("package.json parses");
    assert_eq!(pkg["dependencies"]["convex"], version);
    let guard = match pm {
        "pnpm" => &pkg["pnpm"]["overrides"]["convex"],
        "yarn" => &pkg["resolutions"]["convex"],
        _ => &pkg["overrides"]["convex"],
    };
    assert_eq!(guard, version, "{pm} drift guard");
    assert!(pkg["scripts"]["dev:backend"].is_string());
    assert!(text(dir, ".npmrc").contains("save-exact=true"));
}

fn check_devcontainer(dir: &Path, frontend_port: Option<u64>) {
    let dc: Value = serde_json::from_str(&text(dir, ".devcontainer/devcontainer.json"))
        .expect("devcontainer parses");
    assert!(dc["image"].as_str().unwrap().contains("javascript-node"));
    assert!(dc["features"]
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k.contains("docker-in-docker")));
    let ports: Vec<u64> = dc["forwardPorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap())
        .collect();
    let mut expected = vec![3210, 3211, 6791];
    expected.extend(frontend_port);
    assert_eq!(ports, expected);
    assert_eq!(dc["postStartCommand"], "bash scripts/convex-up.sh");
    // Coder's agent discovers .devcontainer/ and would offer a second Convex
    // stack inside the workspace; the customization hides it from Coder
    // (coder.com/docs/user-guides/devcontainers/customizing-dev-containers)
    // while local VS Code keeps its own customizations.
    assert_eq!(dc["customizations"]["coder"]["ignore"], true);
    assert!(dc["customizations"]["vscode"]["extensions"].is_array());
}

fn check_hcl(dir: &Path) {
    for f in [
        "coder/main.tf",
        "coder/convex.tf",
        "coder/modules/convex/main.tf",
    ] {
        hcl::parse(&text(dir, f)).unwrap_or_else(|e| panic!("{f} does not parse as HCL: {e}"));
    }
}

fn check_state(dir: &Path) {
    let state = convex_scaffold::state::State::from_toml(&text(dir, "convex-scaffold.toml"))
        .expect("state parses");
    let base = convex_scaffold::state::Base::from_toml(&text(dir, ".convex-scaffold/base.toml"))
        .expect("base parses");
    assert_eq!(
        state.files.keys().collect::<Vec<_>>(),
        base.files.keys().collect::<Vec<_>>()
    );
    for (path, content) in &base.files {
        if path != "package.json" && path != ".gitignore" {
            assert_eq!(
                &text(dir, path),
                content,
                "{path} differs from its recorded base"
            );
        }
    }
    state.answers().expect("recorded answers validate");
}

#[test]
fn every_output_parses_in_every_variant() {
    let sb = Sandbox::new();
    for (name, args) in VARIANTS {
        let dir = sb.new_project(name, args);
        let has = |flag: &str| args.windows(2).any(|w| w[1] == flag);
        let storage = if has("storage=s3") { "s3" } else { "local" };
        let pm = ["npm", "yarn", "bun"]
            .into_iter()
            .find(|pm| has(&format!("package_manager={pm}")))
            .unwrap_or("pnpm");
        let (var, port) = if has("frontend=nextjs") {
            (Some("NEXT_PUBLIC_CONVEX_URL"), Some(3000))
        } else if has("frontend=none") {
            (None, None)
        } else {
            (Some("VITE_CONVEX_URL"), Some(5173))
        };
        let (version, backend) = match *name {
            "release-2025-09-04" => (
                "1.26.2",
                "ghcr.io/get-convex/convex-backend:00bd92723422f3bff968230c94ccdeb8c1719832",
            ),
            "release-2025-05-29" => (
                "1.24.8",
                "ghcr.io/get-convex/convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4",
            ),
            _ => (
                "1.51.0",
                "ghcr.io/get-convex/convex-backend:903b8b96c4bceb34c62e366cf36e8f4774955e6b",
            ),
        };
        check_compose(&dir, storage, backend);
        check_env_files(&dir, storage, var);
        check_package_json(&dir, version, pm);
        check_devcontainer(&dir, port);
        check_hcl(&dir);
        check_state(&dir);
        // The template's bundled copy of the project is the project's own.
        for (source, bundled) in convex_scaffold::outputs::coder::BUNDLED {
            assert_eq!(
                text(&dir, source),
                text(&dir, &format!("coder/project/{bundled}")),
                "{name}: {bundled}"
            );
        }
    }
}

#[test]
fn snapshots_of_every_default_file() {
    let sb = Sandbox::new();
    let dir = sb.new_project("demo", &[]);
    let files: BTreeMap<String, Vec<u8>> = read_tree(&dir);
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"INSTANCE_SECRET=[0-9a-f]{64}", "INSTANCE_SECRET=[secret]");
    settings.add_filter(
        r"convex-scaffold \d+\.\d+\.\d+",
        "convex-scaffold [version]",
    );
    settings.add_filter(
        r#"tool_version = "\d+\.\d+\.\d+""#,
        r#"tool_version = "[version]""#,
    );
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (path, bytes) in &files {
            // The bundle and the merge base are copies, checked above.
            if path.starts_with("coder/project/") || path == ".convex-scaffold/base.toml" {
                continue;
            }
            let name = path.replace('/', "__");
            insta::assert_snapshot!(name, String::from_utf8_lossy(bytes));
        }
    });
}
