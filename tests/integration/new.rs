//! Behaviour of `new` and `coder`: refusals and exit codes, nothing written
//! on error, no clobbering, merges, secrets, dry runs.

use predicates::prelude::*;

use crate::support::*;

/// The default CLI pin (templates/data/pins.toml).
const DEFAULT_CLI: &str = "1.51.0";
#[test]
fn defaults_write_every_file_including_hidden_ones() {
    let sb = Sandbox::new();
    let dir = sb.new_project("demo", &[]);
    for rel in [
        "docker-compose.yml",
        ".env.docker",
        ".env.docker.example",
        ".env.local",
        ".gitignore",
        ".npmrc",
        "package.json",
        ".devcontainer/devcontainer.json",
        "convex-scaffold.toml",
        ".convex-scaffold/base.toml",
        "convex/health.ts",
        "scripts/convex-up.sh",
        "scripts/convex-deploy.sh",
        "scripts/convex-reset.sh",
        "scripts/convex-common.sh",
        "scripts/convex-config.sh",
        "coder/main.tf",
        "coder/convex.tf",
        "coder/modules/convex/main.tf",
        "coder/modules/convex/README.md",
        "coder/modules/convex/scripts/convex-start.sh",
        "coder/README.md",
        "coder/project/docker-compose.yml",
        "coder/project/env.docker.example",
    ] {
        assert!(dir.join(rel).is_file(), "{rel} missing");
    }
    for script in [
        "scripts/convex-up.sh",
        "scripts/convex-deploy.sh",
        "scripts/convex-reset.sh",
    ] {
        assert_eq!(mode(&dir.join(script)), 0o755, "{script}");
    }
    // No leftover temp files.
    assert!(!read_tree(&dir)
        .keys()
        .any(|p| p.contains(".convex-scaffold-tmp-")));
}

#[test]
fn secrets_are_0600_unique_ignored_and_never_printed() {
    let sb = Sandbox::new();
    let out = bin()
        .arg("new")
        .arg(sb.path("a"))
        .arg("--yes")
        .output()
        .unwrap();
    assert!(out.status.success());
    let b = sb.new_project("b", &[]);
    let a = sb.path("a");
    let secret_a = parse_dotenv(&text(&a, ".env.docker"))["INSTANCE_SECRET"].clone();
    let secret_b = parse_dotenv(&text(&b, ".env.docker"))["INSTANCE_SECRET"].clone();
    assert_eq!(secret_a.len(), 64);
    assert!(secret_a
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(secret_a, secret_b);
    for f in [".env.docker", ".env.local"] {
        assert_eq!(mode(&a.join(f)), 0o600, "{f}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(&secret_a) && !stderr.contains(&secret_a));
    // The committed example and the state files hold no secret.
    assert_eq!(
        parse_dotenv(&text(&a, ".env.docker.example"))["INSTANCE_SECRET"],
        ""
    );
    for f in ["convex-scaffold.toml", ".convex-scaffold/base.toml"] {
        assert!(!text(&a, f).contains(&secret_a), "{f} leaks the secret");
    }
    let ignored: Vec<String> = text(&a, ".gitignore").lines().map(str::to_owned).collect();
    for f in [".env.docker", ".env.local"] {
        assert!(ignored.iter().any(|l| l == f), "{f} not git-ignored");
    }
}

#[test]
fn known_bad_cli_versions_are_refused_with_bug_and_fix() {
    for version in ["1.26.0", "1.26.1"] {
        let sb = Sandbox::new();
        bin()
            .arg("new")
            .arg(sb.path("p"))
            .args(["--yes", "--set", &format!("convex_version={version}")])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("reading 'length'"))
            .stderr(predicate::str::contains("1.24.8"))
            .stderr(predicate::str::contains("--allow-known-bad"));
        assert!(!sb.path("p").exists(), "nothing may be written");
    }
    let sb = Sandbox::new();
    bin()
        .arg("new")
        .arg(sb.path("p"))
        .args([
            "--yes",
            "--set",
            "convex_version=1.26.1",
            "--allow-known-bad",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning"));
    assert!(text(&sb.path("p"), "package.json").contains("\"convex\": \"1.26.1\""));
}

#[test]
fn cli_newer_than_the_backend_supports_is_refused() {
    let sb = Sandbox::new();
    bin()
        .arg("new")
        .arg(sb.path("p"))
        .args([
            "--yes",
            "--release",
            "2025-09-04",
            "--set",
            "convex_version=1.31.7",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing field `functions`"))
        .stderr(predicate::str::contains("2026-01-23"))
        .stderr(predicate::str::contains("convex-scaffold new --release"))
        .stderr(predicate::str::contains("convex_version=1.31.6"));
    assert!(!sb.path("p").exists());
    // The hint works: `new --release` picks a row that serves the CLI.
    bin()
        .arg("new")
        .arg(sb.path("p"))
        .args([
            "--yes",
            "--release",
            "latest",
            "--set",
            "convex_version=1.31.7",
        ])
        .assert()
        .success();
    assert!(text(&sb.path("p"), "package.json").contains("\"convex\": \"1.31.7\""));
}

#[test]
fn new_release_pins_a_row_by_date_or_sha_and_refuses_unknown_rows() {
    let sb = Sandbox::new();
    // No frontend: engines.node is then the CLI's own requirement alone.
    let seed = sb.new_project(
        "seed",
        &["--release", "2025-05-29", "--set", "frontend=none"],
    );
    let pkg: serde_json::Value = serde_json::from_str(&text(&seed, "package.json")).unwrap();
    assert_eq!(pkg["dependencies"]["convex"], "1.24.8");
    assert_eq!(pkg["pnpm"]["overrides"]["convex"], "1.24.8");
    assert_eq!(pkg["engines"]["node"], ">=18");
    assert!(text(&seed, "docker-compose.yml")
        .contains("convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4"));
    let by_sha = sb.new_project("bysha", &["--release", "00bd927"]);
    assert!(text(&by_sha, "docker-compose.yml")
        .contains("convex-dashboard:33cef775a8a6228cbacee4a09ac2c4073d62ed13"));
    assert!(text(&by_sha, "package.json").contains("\"convex\": \"1.26.2\""));
    // --set wins over the row, as for upgrade.
    let set = sb.new_project(
        "set",
        &["--release", "2025-05-29", "--set", "convex_version=1.29.1"],
    );
    assert!(text(&set, "package.json").contains("\"convex\": \"1.29.1\""));
    for row in ["2026-08-21", "nope", "00bd"] {
        bin()
            .arg("new")
            .arg(sb.path("x"))
            .args(["--yes", "--release", row])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "is not a row of the release table",
            ))
            .stderr(predicate::str::contains("2025-05-29 (c1a7ac3)"));
        assert!(!sb.path("x").exists(), "{row}: nothing may be written");
    }
    bin()
        .args(["new", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--release <DATE|SHA|latest>"))
        .stdout(predicate::str::contains("the release date"));
}

#[test]
fn new_renders_the_newest_known_good_pair_by_default() {
    let sb = Sandbox::new();
    let dir = sb.new_project("p", &[]);
    let pkg: serde_json::Value = serde_json::from_str(&text(&dir, "package.json")).unwrap();
    assert_eq!(pkg["dependencies"]["convex"], DEFAULT_CLI);
    assert_eq!(pkg["pnpm"]["overrides"]["convex"], DEFAULT_CLI);
    // The CLI needs Node 22 (the Vite starter, the default frontend, 20.19).
    assert_eq!(pkg["engines"]["node"], ">=22");
    let compose = text(&dir, "docker-compose.yml");
    for image in ["convex-backend", "convex-dashboard"] {
        assert!(
            compose.contains(&format!("{image}:903b8b96c4bceb34c62e366cf36e8f4774955e6b")),
            "{compose}"
        );
    }
    let devcontainer: serde_json::Value =
        serde_json::from_str(&text(&dir, ".devcontainer/devcontainer.json")).unwrap();
    assert_eq!(
        devcontainer["image"],
        "mcr.microsoft.com/devcontainers/javascript-node:1-22-bookworm"
    );
}

#[test]
fn a_cli_the_workspace_images_node_cannot_run_is_refused() {
    let sb = Sandbox::new();
    // The default workspace image has Node 22 or later: 1.49.0 is fine there.
    sb.new_project("ok", &["--set", "convex_version=1.49.0"]);
    // An image the tool does not know gets a warning that names the need.
    bin()
        .arg("new")
        .arg(sb.path("custom"))
        .args([
            "--yes",
            "--set",
            "convex_version=1.49.0",
            "--set",
            "workspace_image=example.com/my-image:1",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("needs Node.js 22 or later"));
}

#[test]
fn invalid_answers_name_key_value_rule_and_example() {
    let sb = Sandbox::new();
    bin()
        .arg("new")
        .arg(sb.path("p"))
        .args([
            "--yes",
            "--set",
            "name=Bad_Name",
            "--set",
            "storage=nfs",
            "--set",
            "backend_image=ghcr.io/get-convex/convex-backend:latest",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("name = \"Bad_Name\""))
        .stderr(predicate::str::contains(
            "storage = \"nfs\": must be one of local, s3",
        ))
        .stderr(predicate::str::contains(":latest"))
        .stderr(predicate::str::contains("For example: --set"))
        .stderr(predicate::str::contains("nothing was written"));
    assert!(!sb.path("p").exists());
}

#[test]
fn unknown_keys_are_refused_from_set_and_answers_file() {
    let sb = Sandbox::new();
    bin()
        .arg("new")
        .arg(sb.path("p"))
        .args(["--yes", "--set", "storge=s3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown answer key \"storge\""));
    let answers = sb.path("answers.toml");
    std::fs::write(&answers, "name = \"ok\"\nfrontnd = \"vite\"\n").unwrap();
    bin()
        .arg("new")
        .arg(sb.path("p"))
        .args(["--yes", "--answers"])
        .arg(&answers)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("frontnd"))
        .stderr(predicate::str::contains("line 2"));
    assert!(!sb.path("p").exists());
}

#[test]
fn set_wins_over_the_answers_file() {
    let sb = Sandbox::new();
    let answers = sb.path("answers.toml");
    std::fs::write(
        &answers,
        "name = \"from-file\"\nfrontend = \"nextjs\"\npackage_manager = \"npm\"\n",
    )
    .unwrap();
    let dir = sb.path("p");
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--answers"])
        .arg(&answers)
        .args(["--set", "name=from-set"])
        .assert()
        .success();
    let pkg: serde_json::Value = serde_json::from_str(&text(&dir, "package.json")).unwrap();
    assert_eq!(pkg["name"], "from-set");
    assert_eq!(pkg["overrides"]["convex"], DEFAULT_CLI, "npm's override");
    assert!(text(&dir, ".env.local").contains("NEXT_PUBLIC_CONVEX_URL=http://127.0.0.1:3210"));
}

/// The listed default of s3_force_path_style follows the endpoint, as the
/// prompt's does and as docs/commands.md says ("true with an endpoint").
#[test]
fn without_a_terminal_the_path_style_default_follows_the_endpoint() {
    let sb = Sandbox::new();
    let out = bin()
        .arg("new")
        .arg(sb.path("p"))
        .write_stdin("")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "  s3_force_path_style (when storage=s3) [default: true with an endpoint, else false]"
        ),
        "{err}"
    );
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/commands.md"),
    )
    .unwrap();
    let row = docs
        .lines()
        .find(|l| l.starts_with("| `s3_force_path_style` |"))
        .expect("docs/commands.md has the s3_force_path_style row");
    assert!(
        row.ends_with("| `true` with an endpoint, else `false` |"),
        "{row}"
    );
    // An endpoint given: its default is known.
    let out = bin()
        .arg("new")
        .arg(sb.path("q"))
        .args([
            "--set",
            "storage=s3",
            "--set",
            "s3_endpoint_url=https://minio.example.com",
        ])
        .write_stdin("")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("  s3_force_path_style (when storage=s3) [default: \"true\"]"),
        "{err}"
    );
}

/// `new DIR` in an existing app names the project after package.json's
/// "name" when that is a valid answer, not after the folder.
#[test]
fn an_existing_apps_package_json_name_is_the_default_name() {
    let sb = Sandbox::new();
    let app = sb.path("Some_Folder");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("package.json"),
        "{\"name\": \"shop-api\", \"version\": \"1.0.0\", \"scripts\": {\"dev\": \"node index.js\"}}\n",
    )
    .unwrap();
    std::fs::write(app.join("index.js"), "console.log('hi')\n").unwrap();
    // Listed as the default without a terminal.
    let out = bin().arg("new").arg(&app).write_stdin("").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("  name [default: \"shop-api\"]"), "{err}");
    // Taken with --yes.
    bin()
        .arg("new")
        .arg(&app)
        .args(["--yes", "--force"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "name defaults to shop-api, from package.json",
        ));
    let state = text(&app, "convex-scaffold.toml");
    assert!(state.contains("name = \"shop-api\""), "{state}");
    assert!(text(&app, "docker-compose.yml").contains("shop-api"));

    // --set wins; an invalid npm name (scoped) leaves the folder's name.
    for (pkg_name, set, want) in [
        ("shop-api", Some("name=other"), "other"),
        ("@acme/shop", None, "some-folder"),
        ("Shop_API", None, "some-folder"),
    ] {
        let sb = Sandbox::new();
        let app = sb.path("Some_Folder");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::write(
            app.join("package.json"),
            format!("{{\"name\": \"{pkg_name}\", \"version\": \"1.0.0\"}}\n"),
        )
        .unwrap();
        let mut cmd = bin();
        cmd.arg("new").arg(&app).args(["--yes", "--force"]);
        if let Some(kv) = set {
            cmd.args(["--set", kv]);
        }
        cmd.assert().success();
        let state = text(&app, "convex-scaffold.toml");
        assert!(
            state.contains(&format!("name = \"{want}\"")),
            "{pkg_name}: {state}"
        );
    }
}

#[test]
fn without_a_terminal_and_without_yes_it_lists_the_questions() {
    let sb = Sandbox::new();
    bin()
        .arg("new")
        .arg(sb.path("p"))
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no terminal"))
        .stderr(predicate::str::contains("package_manager"))
        .stderr(predicate::str::contains("wildcard_domain"))
        .stderr(predicate::str::contains("--yes"));
    assert!(!sb.path("p").exists());
    // Every asked key given: nothing to ask, so it proceeds.
    let mut cmd = bin();
    cmd.arg("new").arg(sb.path("q")).write_stdin("");
    for kv in [
        "name=q",
        "package_manager=npm",
        "frontend=none",
        "storage=local",
        "database=sqlite",
        "auth=none",
        "platform=docker",
        "wildcard_domain=",
        "agent_name=main",
    ] {
        cmd.args(["--set", kv]);
    }
    cmd.assert().success();
}

#[test]
fn a_non_empty_folder_is_refused_without_force() {
    let sb = Sandbox::new();
    let dir = sb.path("p");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    bin()
        .arg("new")
        .arg(&dir)
        .arg("--yes")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(read_tree(&dir).len(), 1);
}

#[test]
fn force_merges_package_json_and_gitignore_and_keeps_secrets() {
    let sb = Sandbox::new();
    let dir = sb.path("p");
    std::fs::create_dir_all(&dir).unwrap();
    let user_pkg = r#"{
  "name": "my-existing-app",
  "version": "2.0.0",
  "scripts": {
    "build": "vite build",
    "dev:backend": "my own command"
  },
  "dependencies": {
    "react": "^19.0.0",
    "convex": "^1.26.1"
  },
  "zzz": true
}
"#;
    std::fs::write(dir.join("package.json"), user_pkg).unwrap();
    std::fs::write(dir.join(".gitignore"), "dist\n.env.local\n").unwrap();
    std::fs::write(
        dir.join(".env.local"),
        "CONVEX_SELF_HOSTED_ADMIN_KEY=keep-me\n",
    )
    .unwrap();
    std::fs::write(dir.join("docker-compose.yml"), "services: {}\n").unwrap();
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--force"])
        .assert()
        .success()
        .stdout(predicate::str::contains("merged     package.json"))
        .stdout(predicate::str::contains("kept       .env.local"))
        .stdout(predicate::str::contains("docker-compose.yml.orig"));
    let pkg: serde_json::Value = serde_json::from_str(&text(&dir, "package.json")).unwrap();
    let keys: Vec<&str> = pkg
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        &keys[..5],
        ["name", "version", "scripts", "dependencies", "zzz"],
        "order kept: {keys:?}"
    );
    assert_eq!(pkg["name"], "my-existing-app");
    assert_eq!(pkg["dependencies"]["react"], "^19.0.0");
    assert_eq!(
        pkg["dependencies"]["convex"], DEFAULT_CLI,
        "exact pin replaces the caret"
    );
    assert_eq!(pkg["pnpm"]["overrides"]["convex"], DEFAULT_CLI);
    assert_eq!(pkg["scripts"]["build"], "vite build");
    assert_eq!(
        pkg["scripts"]["dev:backend"], "my own command",
        "user's script kept"
    );
    assert_eq!(pkg["scripts"]["convex:up"], "bash scripts/convex-up.sh");
    assert_eq!(
        text(&dir, ".env.local"),
        "CONVEX_SELF_HOSTED_ADMIN_KEY=keep-me\n"
    );
    assert_eq!(text(&dir, "docker-compose.yml.orig"), "services: {}\n");
    let gitignore = text(&dir, ".gitignore");
    assert!(gitignore.starts_with("dist\n.env.local\n"));
    assert_eq!(gitignore.lines().filter(|l| *l == ".env.local").count(), 1);
    // A second run appends nothing more.
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--force"])
        .assert()
        .success();
    assert_eq!(text(&dir, ".gitignore"), gitignore);
}

#[test]
fn invalid_existing_package_json_is_refused_before_writing() {
    let sb = Sandbox::new();
    let dir = sb.path("p");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("package.json"), "{ not json").unwrap();
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("package.json is not valid JSON"));
    assert_eq!(read_tree(&dir).len(), 1);
}

#[test]
fn dry_run_writes_nothing_and_shows_diffs() {
    let sb = Sandbox::new();
    let dir = sb.path("p");
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("create     docker-compose.yml"))
        .stdout(predicate::str::contains(".env.docker (secret, 0600)"));
    assert!(!dir.exists());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("package.json"), "{\"name\": \"x\"}\n").unwrap();
    let before = read_tree(&dir);
    // A dry run refuses what the real run refuses (a non-empty folder
    // without --force); with --force it shows the diffs.
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--dry-run"])
        .assert()
        .code(2);
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--dry-run", "--force"])
        .assert()
        .success()
        .stdout(predicate::str::contains("+++ b/package.json"))
        .stdout(predicate::str::contains("+    \"convex\": \"1.51.0\""))
        .stdout(predicate::str::contains("INSTANCE_SECRET=").not());
    assert_eq!(read_tree(&dir), before);
}

#[test]
fn a_failed_write_leaves_no_partial_tree() {
    let sb = Sandbox::new();
    let dir = sb.path("p");
    bin()
        .arg("new")
        .arg(&dir)
        .arg("--yes")
        .env("CONVEX_SCAFFOLD_TEST_FAIL_WRITE", "scripts/convex-up.sh")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("simulated write failure"));
    assert!(
        !dir.exists(),
        "no partial tree: {:?}",
        read_tree(&dir).keys().collect::<Vec<_>>()
    );
    // Into an existing project: the old files stay as they were.
    let dir = sb.new_project("q", &[]);
    let before = read_tree(&dir);
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--force", "--set", "frontend=nextjs"])
        .env(
            "CONVEX_SCAFFOLD_TEST_FAIL_WRITE",
            ".devcontainer/devcontainer.json",
        )
        .assert()
        .code(3);
    assert_eq!(read_tree(&dir), before);
}

#[cfg(unix)]
#[test]
fn never_writes_through_a_symlink_leaving_the_project() {
    let sb = Sandbox::new();
    let outside = sb.path("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let dir = sb.path("p");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("scripts")).unwrap();
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--force"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("symlink"));
    assert!(read_tree(&outside).is_empty());
    assert!(!dir.join("docker-compose.yml").exists());
}

#[test]
fn coder_writes_only_the_template_and_matches_new() {
    let sb = Sandbox::new();
    let project = sb.new_project("demo", &["--set", "wildcard_domain=*.coder.example.com"]);
    let template = sb.path("tpl");
    bin()
        .arg("coder")
        .arg(&template)
        .args([
            "--yes",
            "--set",
            "name=demo",
            "--set",
            "wildcard_domain=*.coder.example.com",
        ])
        .assert()
        .success();
    let from_new = read_tree(&project.join("coder"));
    let from_coder = read_tree(&template);
    assert_eq!(
        from_new.keys().collect::<Vec<_>>(),
        from_coder.keys().collect::<Vec<_>>()
    );
    assert_eq!(from_new, from_coder);
    assert!(!template.join("package.json").exists() && !template.join(".env.docker").exists());
}

#[test]
fn the_repositorys_coder_folder_is_the_default_output() {
    let sb = Sandbox::new();
    let out = sb.path("coder");
    bin()
        .arg("coder")
        .arg(&out)
        .args(["--yes", "--set", "name=convex-app"])
        .assert()
        .success();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("coder");
    let expected = read_tree(&out);
    let actual = read_tree(&repo);
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "coder/ drifted: regenerate with `rm -rf coder && cargo run -- coder coder --yes --set name=convex-app`"
    );
    for (path, bytes) in &expected {
        assert!(actual[path] == *bytes, "coder/{path} drifted: regenerate with `rm -rf coder && cargo run -- coder coder --yes --set name=convex-app`");
    }
}

#[test]
fn help_documents_every_answer_key() {
    let out = bin().args(["new", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/commands.md"),
    )
    .unwrap();
    for key in convex_scaffold::answers::KEYS {
        assert!(help.contains(&format!("  {key} ")), "--help lacks {key}");
        assert!(
            readme.contains(&format!("`{key}`")),
            "docs/commands.md lacks {key}"
        );
    }
}

#[test]
fn new_on_an_existing_project_points_at_upgrade() {
    let sb = Sandbox::new();
    let dir = sb.new_project("p", &[]);
    let before = read_tree(&dir);
    bin()
        .arg("new")
        .arg(&dir)
        .arg("--yes")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("convex-scaffold upgrade"));
    assert_eq!(read_tree(&dir), before);
    // With --force the tool's own state is rewritten without .orig copies.
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--force", "--set", "frontend=nextjs"])
        .assert()
        .success()
        .stdout(predicate::str::contains("updated    convex-scaffold.toml"));
    assert!(!dir.join("convex-scaffold.toml.orig").exists());
    assert!(dir.join(".devcontainer/devcontainer.json.orig").exists());
}

#[test]
fn pins_prints_defaults_releases_and_known_bad_versions() {
    bin()
        .arg("pins")
        .assert()
        .success()
        .stdout(predicate::str::contains("convex_version  = 1.51.0"))
        .stdout(predicate::str::contains("the 2026-06-26 release"))
        .stdout(predicate::str::contains("2025-09-04"))
        .stdout(predicate::str::contains(
            "00bd92723422f3bff968230c94ccdeb8c1719832",
        ))
        .stdout(predicate::str::contains(
            "evidence: both images confirmed on GHCR",
        ))
        .stdout(predicate::str::contains("source:   tale-project/tale#2205"))
        .stdout(predicate::str::contains(
            "2026-08-21  652b828b5129e6cdbcaa3c20efa8d116d09ff3bf  head of `release`",
        ))
        .stdout(predicate::str::contains("for `convex deploy`"))
        .stdout(predicate::str::contains(
            "convex >=1.49.0: Node.js 22 or later",
        ))
        .stdout(predicate::str::contains("1.26.0, 1.26.1"))
        // Issue 19: the npm versions with their Node requirement and the read date.
        .stdout(predicate::str::contains(
            "convex versions on npm (read 2026-12-07; latest 1.51.0)",
        ))
        .stdout(predicate::str::contains(
            "1.51.0  published 2026-11-18  engines.node >=22.0.0  (Node.js 22+)",
        ))
        .stdout(predicate::str::contains(
            "1.50.0  published 2026-11-12  engines.node >=22.0.0  (Node.js 22+)",
        ))
        .stdout(predicate::str::contains("ctx.auth.signJwt"));
}

#[test]
fn new_force_cannot_switch_the_storage_of_an_existing_project() {
    let sb = Sandbox::new();
    let dir = sb.new_project("p", &[]);
    let before = read_tree(&dir);
    bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--force", "--set", "storage=s3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--reset-data"))
        .stderr(predicate::str::contains("Database was initialized with"));
    assert_eq!(read_tree(&dir), before);
}

/// The commands of `new`'s Next block and of README.md's first screen, in
/// order: install, then the backend, then the deploy (both say the same).
#[test]
fn next_steps_agree_with_the_readme_first_screen() {
    fn order(text: &str) -> Vec<&'static str> {
        text.lines()
            .filter_map(|line| {
                let command = line.split('#').next().unwrap_or_default();
                if command.contains(" install") {
                    Some("install")
                } else if command.contains("scripts/convex-up.sh") {
                    Some("up")
                } else if command.contains("scripts/convex-deploy.sh") {
                    Some("deploy")
                } else {
                    None
                }
            })
            .collect()
    }
    let sb = Sandbox::new();
    let out = bin()
        .args(["new", "--yes"])
        .arg(sb.path("my-app"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let next = printed
        .split("\nNext:\n")
        .nth(1)
        .unwrap()
        .split("\nCoder:")
        .next()
        .unwrap();
    assert_eq!(order(next), ["install", "up", "deploy"], "{next}");
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let first = readme
        .split("## From nothing to a running Convex")
        .nth(1)
        .unwrap()
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert_eq!(
        order(first),
        order(next),
        "README.md:\n{first}\nnew:\n{next}"
    );
}

/// The Coder hint names coder/publish.sh (docs/coder.md's way to push: the
/// recorded values, and a staleness check), and that script is there.
#[test]
fn the_coder_hint_names_publish_sh() {
    let sb = Sandbox::new();
    let dir = sb.path("my-app");
    let out = bin().args(["new", "--yes"]).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8_lossy(&out.stdout);
    let hint = printed
        .lines()
        .find(|l| l.starts_with("Coder:"))
        .unwrap_or_else(|| panic!("no Coder hint:\n{printed}"));
    assert!(hint.starts_with("Coder: coder/publish.sh "), "{hint}");
    assert!(!hint.contains("templates push"), "{hint}");
    assert!(dir.join("coder/publish.sh").is_file());
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/coder.md"),
    )
    .unwrap();
    assert!(docs.contains("coder/publish.sh"));
}

/// docs/generated-files.md names every file of both starters.
#[test]
fn generated_files_doc_lists_every_starter_file() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/generated-files.md"),
    )
    .unwrap();
    let sb = Sandbox::new();
    for frontend in ["vite", "nextjs"] {
        let dir = sb.new_project(frontend, &["--set", &format!("frontend={frontend}")]);
        for (path, _) in read_tree(&dir) {
            if path.starts_with("src/") || path.starts_with("app/") {
                assert!(
                    doc.contains(&format!("`{path}`")),
                    "docs/generated-files.md does not list {path}"
                );
            }
        }
    }
}

/// After an upgrade that changed coder/, the Next step is the same
/// publish.sh `new` names (recorded --var values, staleness check), not a
/// hand-written `coder templates push` (issue 24's new-user exercise).
#[test]
fn the_upgrade_next_step_for_coder_names_publish_sh() {
    let sb = Sandbox::new();
    let dir = sb.path("my-app");
    let out = bin()
        .args(["new", "--yes", "--release", "2025-05-29"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = bin()
        .args(["upgrade", "--release", "latest"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8_lossy(&out.stdout);
    let line = printed
        .lines()
        .find(|l| l.contains("coder/") && l.contains("template version"))
        .unwrap_or_else(|| panic!("no Coder step:\n{printed}"));
    assert!(line.trim_start().contains("coder/publish.sh"), "{line}");
    assert!(!line.contains("templates push"), "{line}");
    assert!(dir.join("coder/publish.sh").is_file());
}
