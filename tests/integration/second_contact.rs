//! Issue 24 ("second contact"): what a new Convex developer and a Coder
//! administrator tripped on, each pinned by a test on the real binary.

use std::path::{Path, PathBuf};

use crate::support::*;

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    bin().current_dir(dir).args(args).output().expect("runs")
}

fn out_text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn code(out: &std::process::Output) -> i32 {
    out.status.code().expect("exit code")
}

/// The `sh` block of the README (or docs/) that shows `upgrade`, as a list
/// of argument vectors (comments stripped, `convex-scaffold` dropped).
fn upgrade_block() -> Vec<Vec<String>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut docs = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        docs.extend(entries.flatten().map(|e| e.path()));
    }
    for doc in docs {
        let Ok(text) = std::fs::read_to_string(&doc) else {
            continue;
        };
        for block in text.split("```sh\n").skip(1) {
            let block = block.split("```").next().unwrap();
            if !block.contains("convex-scaffold upgrade --dry-run") {
                continue;
            }
            return block
                .lines()
                .map(|l| l.split(" #").next().unwrap().trim())
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let words: Vec<String> = l.split_whitespace().map(str::to_owned).collect();
                    assert_eq!(words[0], "convex-scaffold", "{l}");
                    words[1..].to_vec()
                })
                .collect();
        }
    }
    panic!("no sh block with `convex-scaffold upgrade --dry-run` in README.md or docs/");
}

#[test]
fn every_upgrade_command_of_the_readme_works_on_the_project_it_made() {
    let sb = Sandbox::new();
    // The README's set-up command: `new demo --yes`, nothing else.
    let dir = sb.new_project("demo", &[]);
    let block = upgrade_block();
    assert!(block.len() >= 4, "{block:?}");
    assert!(
        block
            .iter()
            .any(|c| c.contains(&"--release".to_owned()) && !c.contains(&"latest".to_owned())),
        "the block shows an older release: {block:?}"
    );
    for args in block {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&dir, &args);
        let (o, e) = out_text(&out);
        assert_eq!(code(&out), 0, "{args:?}\nstdout:\n{o}\nstderr:\n{e}");
    }
}

#[test]
fn a_deliberate_downgrade_has_its_own_flag_and_is_not_called_known_bad() {
    let sb = Sandbox::new();
    let dir = sb.new_project("demo", &[]);
    let before = read_tree(&dir);
    let out = run(&dir, &["upgrade", "--release", "2025-09-04"]);
    let (_, e) = out_text(&out);
    assert_eq!(code(&out), 2, "{e}");
    assert!(e.contains("--allow-downgrade"), "{e}");
    assert!(!e.contains("known-bad") && !e.contains("known bad"), "{e}");
    assert_eq!(read_tree(&dir), before);
    // --allow-known-bad is about broken versions, not downgrades.
    let out = run(
        &dir,
        &["upgrade", "--release", "2025-09-04", "--allow-known-bad"],
    );
    assert_eq!(code(&out), 2, "{}", out_text(&out).1);
    assert_eq!(read_tree(&dir), before);
    let out = run(
        &dir,
        &["upgrade", "--release", "2025-09-04", "--allow-downgrade"],
    );
    let (o, e) = out_text(&out);
    assert_eq!(code(&out), 0, "{o}{e}");
    assert!(e.contains("downgrade"), "the warning names it: {e}");
    assert!(text(&dir, "docker-compose.yml").contains("00bd92723422f3bff968230c94ccdeb8c1719832"));
}

/// The Next block of a deliberate downgrade agrees with its warning: reset
/// (backup first) before the next start, not "start and migrate forward".
#[test]
fn a_deliberate_downgrade_says_reset_in_the_next_steps() {
    let sb = Sandbox::new();
    let dir = sb.new_project("demo", &[]);
    let out = run(
        &dir,
        &["upgrade", "--release", "2025-09-04", "--allow-downgrade"],
    );
    let (o, e) = out_text(&out);
    assert_eq!(code(&out), 0, "{o}{e}");
    assert!(e.contains("scripts/convex-reset.sh"), "the warning: {e}");
    let next = o
        .split_once("\nNext")
        .map(|(_, next)| next)
        .unwrap_or_else(|| panic!("no Next block:\n{o}"));
    assert!(
        next.contains("run scripts/convex-reset.sh before the next start"),
        "{next}"
    );
    assert!(next.contains("exports a backup"), "{next}");
    assert!(!next.contains("migrates the database forward"), "{next}");
    assert!(
        !next.contains("# restart on the new files and redeploy"),
        "a plain restart would start the older backend on migrated data:\n{next}"
    );
}

#[test]
fn doctor_says_configured_not_initialised_before_the_stack_has_started() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "demo",
        &["--set", "storage=s3", "--set", "database=postgres"],
    );
    let out = run(&dir, &["doctor", "--offline"]);
    let (o, _) = out_text(&out);
    let line = |id: &str| {
        o.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap_or_else(|| panic!("no {id} line:\n{o}"))
            .to_owned()
    };
    for id in ["storage-initial", "database-locked"] {
        let l = line(id);
        assert!(
            !l.contains("initialised") && !l.contains("first started on"),
            "--offline cannot know the stack started: {l}"
        );
        assert!(l.contains("configured"), "{l}");
    }
}

#[test]
fn diagnose_from_a_pipe_prints_no_paste_hint() {
    // The terminal hint (tests/integration/prompts.rs) is for people; a pipe
    // gets the findings only.
    let out = bin()
        .args(["diagnose"])
        .write_stdin("nothing known here\n")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    assert_eq!(out_text(&out).1, "");
}

/// Splits diagnose's text report for one finding into the project's own
/// route and the generic one (which must be labelled as such).
fn routes(report: &str, id: &str) -> (String, String) {
    let start = report
        .find(&format!("[{id}]"))
        .unwrap_or_else(|| panic!("{id} not found:\n{report}"));
    let finding = &report[start..];
    let finding = match finding[1..].find("\n[") {
        Some(end) => &finding[..end + 1],
        None => finding,
    };
    let generic = finding
        .find("other setups")
        .unwrap_or_else(|| panic!("{id}: the generic route is not labelled:\n{finding}"));
    (finding[..generic].to_owned(), finding[generic..].to_owned())
}

#[test]
fn diagnose_gives_the_projects_own_route_first_and_labels_the_generic_one() {
    let log = "backend-1  | ERROR Database was initialized with Some(S3 { s3_prefix: \"x-1/\" }), but backend started up with Local { dir: \"/convex/data/storage\" }\n\
               backend-1  | ERROR dispatch failure: dns error: failed to lookup address information\n";
    let out = bin().arg("diagnose").write_stdin(log).output().unwrap();
    let (report, _) = out_text(&out);
    assert_eq!(code(&out), 1, "{report}");

    let (own, generic) = routes(&report, "storage-type-mismatch");
    for needle in [
        ".env.docker",
        "convex-scaffold upgrade --set storage=",
        "--reset-data",
        "scripts/convex-reset.sh",
    ] {
        assert!(own.contains(needle), "{needle:?} missing:\n{own}");
    }
    assert!(
        !own.contains("docker compose down -v") && !own.contains(".env next to"),
        "a bare compose route is given as ours:\n{own}"
    );
    assert!(generic.contains("docker compose down -v"), "{generic}");

    let (own, generic) = routes(&report, "s3-dns-dispatch-failure");
    assert!(own.contains(".env.docker"), "{own}");
    assert!(own.contains("scripts/convex-up.sh"), "{own}");
    assert!(
        !own.contains("in .env ") && !own.contains("docker compose up"),
        "{own}"
    );
    assert!(generic.contains(".env"), "{generic}");
}

#[test]
fn an_s3_endpoint_without_s3_storage_is_refused_with_the_fix() {
    let sb = Sandbox::new();
    let dir = sb.path("demo");
    let out = bin()
        .args(["new"])
        .arg(&dir)
        .args([
            "--yes",
            "--set",
            "s3_endpoint_url=https://minio.example.com",
        ])
        .output()
        .unwrap();
    let (_, e) = out_text(&out);
    assert_eq!(code(&out), 2, "{e}");
    assert!(
        e.contains("s3_endpoint_url") && e.contains("storage=s3"),
        "{e}"
    );
    assert!(!dir.exists(), "nothing is written");

    // The same through upgrade on a local project.
    let dir = sb.new_project("local", &[]);
    let before = read_tree(&dir);
    let out = run(
        &dir,
        &[
            "upgrade",
            "--set",
            "s3_endpoint_url=https://minio.example.com",
        ],
    );
    assert_eq!(code(&out), 2, "{}", out_text(&out).1);
    assert_eq!(read_tree(&dir), before);

    // Leaving S3 for local storage drops the endpoint instead of refusing.
    let dir = sb.new_project(
        "s3",
        &[
            "--set",
            "storage=s3",
            "--set",
            "s3_endpoint_url=https://minio.example.com",
        ],
    );
    let out = run(&dir, &["upgrade", "--set", "storage=local", "--reset-data"]);
    let (o, e) = out_text(&out);
    assert_eq!(code(&out), 0, "{o}{e}");
    assert!(text(&dir, "convex-scaffold.toml").contains("s3_endpoint_url = \"\""));
}

fn set_env_docker(dir: &Path, key: &str, value: &str) {
    let path = dir.join(".env.docker");
    let env = std::fs::read_to_string(&path).unwrap();
    let mut found = false;
    let lines: Vec<String> = env
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{key}=")) {
                found = true;
                format!("{key}={value}")
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert!(found, "{key} not in .env.docker");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

fn doctor_check(dir: &Path, id: &str) -> serde_json::Value {
    let out = run(dir, &["doctor", "--offline", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id}: {report:#}"))
        .clone()
}

#[test]
fn a_custom_s3_endpoint_needs_both_keys_even_on_new_backends() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "demo",
        &[
            "--set",
            "storage=s3",
            "--set",
            "s3_endpoint_url=http://minio.example.com:9000",
        ],
    );
    // The default backend (2026-06-26) no longer requires the keys for AWS
    // with an instance role, but a custom endpoint has no instance role.
    let check = doctor_check(&dir, "s3-set");
    assert_eq!(check["status"], "fail", "{check:#}");
    let message = check["message"].as_str().unwrap();
    assert!(message.contains("AWS_ACCESS_KEY_ID"), "{message}");
    set_env_docker(&dir, "AWS_ACCESS_KEY_ID", "minio");
    set_env_docker(&dir, "AWS_SECRET_ACCESS_KEY", "minio-secret");
    assert_eq!(doctor_check(&dir, "s3-set")["status"], "pass");

    // AWS itself (no endpoint) on the same backend: the keys may stay
    // empty (an instance role), and doctor says why it passes.
    let dir = sb.new_project("aws", &["--set", "storage=s3"]);
    let check = doctor_check(&dir, "s3-set");
    assert_eq!(check["status"], "pass", "{check:#}");
    assert!(
        check["message"].as_str().unwrap().contains("instance role"),
        "{check:#}"
    );
}

#[test]
fn next_steps_name_the_buckets_that_must_exist_before_the_first_start() {
    let sb = Sandbox::new();
    let dir = sb.path("demo");
    let out = bin()
        .arg("new")
        .arg(&dir)
        .args([
            "--yes",
            "--set",
            "storage=s3",
            "--set",
            "s3_bucket_prefix=acme",
        ])
        .output()
        .unwrap();
    let (o, e) = out_text(&out);
    assert_eq!(code(&out), 0, "{e}");
    for bucket in [
        "acme-exports",
        "acme-snapshot-imports",
        "acme-modules",
        "acme-files",
        "acme-search",
    ] {
        assert!(o.contains(bucket), "{bucket} not named:\n{o}");
    }
    assert!(o.contains("before the first start"), "{o}");
}

/// An existing app of another package manager: its package.json (maybe
/// with `packageManager`) and its lockfile.
fn existing_app(sb: &Sandbox, lockfile: &str, package_manager: Option<&str>) -> PathBuf {
    let dir = sb.path("app");
    std::fs::create_dir_all(&dir).unwrap();
    let mut pkg = serde_json::json!({"name": "app", "version": "1.0.0", "dependencies": {}});
    if let Some(pm) = package_manager {
        pkg["packageManager"] = pm.into();
    }
    std::fs::write(dir.join("package.json"), pkg.to_string()).unwrap();
    std::fs::write(dir.join(lockfile), "").unwrap();
    dir
}

fn package_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&text(dir, "package.json")).unwrap()
}

#[test]
fn new_into_an_existing_app_uses_the_apps_package_manager() {
    for (lockfile, pm, override_key) in [
        ("package-lock.json", "npm", "overrides"),
        ("yarn.lock", "yarn", "resolutions"),
        ("bun.lock", "bun", "overrides"),
        ("bun.lockb", "bun", "overrides"),
        ("pnpm-lock.yaml", "pnpm", "pnpm"),
    ] {
        let sb = Sandbox::new();
        let dir = existing_app(&sb, lockfile, None);
        let out = run(&dir, &["new", ".", "--yes", "--force"]);
        let (o, e) = out_text(&out);
        assert_eq!(code(&out), 0, "{lockfile}: {o}{e}");
        let pkg = package_json(&dir);
        assert!(pkg.get(override_key).is_some(), "{lockfile}: {pkg:#}");
        match pm {
            "pnpm" | "yarn" => assert!(
                pkg["packageManager"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{pm}@")),
                "{lockfile}: {pkg:#}"
            ),
            _ => assert!(pkg.get("packageManager").is_none(), "{lockfile}: {pkg:#}"),
        }
        if pm != "pnpm" {
            assert!(pkg.get("pnpm").is_none(), "{lockfile}: {pkg:#}");
        }
        assert!(
            text(&dir, "convex-scaffold.toml").contains(&format!("package_manager = \"{pm}\"")),
            "{lockfile}"
        );
        assert!(
            e.contains(lockfile),
            "the output says where {pm} came from: {o}{e}"
        );
    }
    // An existing packageManager names it too (and is kept).
    let sb = Sandbox::new();
    let dir = existing_app(&sb, "README.md", Some("yarn@4.1.1"));
    let out = run(&dir, &["new", ".", "--yes", "--force"]);
    assert_eq!(code(&out), 0, "{}", out_text(&out).1);
    let pkg = package_json(&dir);
    assert_eq!(pkg["packageManager"], "yarn@4.1.1");
    assert_eq!(pkg["resolutions"]["convex"], pkg["dependencies"]["convex"]);
}

#[test]
fn a_dry_run_refuses_exactly_what_the_real_run_refuses() {
    let sb = Sandbox::new();
    let dir = existing_app(&sb, "package-lock.json", None);
    let before = read_tree(&dir);
    let real = run(&dir, &["new", ".", "--yes"]);
    let dry = run(&dir, &["new", ".", "--yes", "--dry-run"]);
    assert_eq!(code(&real), 2);
    assert_eq!(code(&dry), 2, "{}", out_text(&dry).0);
    assert!(
        out_text(&dry).1.contains("is not empty"),
        "{}",
        out_text(&dry).1
    );
    assert_eq!(read_tree(&dir), before);
    // With --force the dry run shows the plan.
    let dry = run(&dir, &["new", ".", "--yes", "--force", "--dry-run"]);
    assert_eq!(code(&dry), 0, "{}", out_text(&dry).1);
    assert_eq!(read_tree(&dir), before);
}

#[test]
fn the_share_level_has_one_name_and_the_old_one_still_reads() {
    let sb = Sandbox::new();
    // The answer key is the Coder variable's name.
    let dir = sb.new_project("demo", &["--set", "convex_app_share=authenticated"]);
    assert!(text(&dir, "convex-scaffold.toml").contains("convex_app_share = \"authenticated\""));
    assert!(text(&dir, "coder/convex.tf").contains("variable \"convex_app_share\""));
    let help = bin().args(["new", "--help"]).output().unwrap();
    let help = out_text(&help).0;
    assert!(help.contains("convex_app_share"), "{help}");
    assert!(!help.contains(" app_share"), "{help}");

    // The old key still works, with a note, from --set and answers files.
    let out = bin()
        .arg("new")
        .arg(sb.path("old"))
        .args(["--yes", "--set", "app_share=owner"])
        .output()
        .unwrap();
    let (_, e) = out_text(&out);
    assert_eq!(code(&out), 0, "{e}");
    assert!(e.contains("convex_app_share"), "deprecation note: {e}");
    assert!(text(&sb.path("old"), "convex-scaffold.toml").contains("convex_app_share = \"owner\""));
    let answers = sb.path("answers.toml");
    std::fs::write(&answers, "app_share = \"owner\"\n").unwrap();
    let out = bin()
        .arg("new")
        .arg(sb.path("file"))
        .args(["--yes", "--answers"])
        .arg(&answers)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", out_text(&out).1);
    assert!(text(&sb.path("file"), "convex-scaffold.toml").contains("convex_app_share = \"owner\""));

    // A state file written with the old key is read, and upgrade rewrites it.
    let state = text(&dir, "convex-scaffold.toml").replace("convex_app_share =", "app_share =");
    std::fs::write(dir.join("convex-scaffold.toml"), state).unwrap();
    let out = run(&dir, &["upgrade"]);
    let (o, e) = out_text(&out);
    assert!(code(&out) <= 1, "{o}{e}");
    assert!(text(&dir, "convex-scaffold.toml").contains("convex_app_share = \"authenticated\""));
}

#[test]
fn help_texts_use_no_insider_words_and_reset_data_covers_the_database() {
    let mut all = String::new();
    for command in ["new", "coder", "upgrade", "doctor", "diagnose", "pins"] {
        let out = bin().args([command, "--help"]).output().unwrap();
        all.push_str(&out_text(&out).0);
    }
    all.push_str(&out_text(&bin().arg("pins").output().unwrap()).0);
    for word in ["seed", "stand-in", "CI machines", "the brief"] {
        assert!(!all.contains(word), "{word:?} in:\n{all}");
    }
    let upgrade = out_text(&bin().args(["upgrade", "--help"]).output().unwrap()).0;
    let reset = &upgrade[upgrade.find("--reset-data").unwrap()..];
    let reset = &reset[..reset.find("\n\n").unwrap_or(reset.len())];
    assert!(reset.contains("database"), "{reset}");
}

#[test]
fn convex_auth_next_steps_and_readme_give_the_exact_library_steps() {
    let sb = Sandbox::new();
    for (pm, install) in [
        ("pnpm", "pnpm add --save-exact"),
        ("npm", "npm install --save-exact"),
    ] {
        let out = bin()
            .arg("new")
            .arg(sb.path(pm))
            .args(["--yes", "--set", "auth=convex-auth", "--set"])
            .arg(format!("package_manager={pm}"))
            .output()
            .unwrap();
        let (o, e) = out_text(&out);
        assert_eq!(code(&out), 0, "{e}");
        for needle in [
            install,
            "@convex-dev/auth@0.0.95",
            "@auth/core@0.41.1",
            "convex/auth.config.ts",
            "convex/auth.ts",
            "convex/http.ts",
            "convex/schema.ts",
            "ConvexAuthProvider",
        ] {
            assert!(o.contains(needle), "{needle:?} not in the next steps:\n{o}");
        }
    }
    // Without auth, none of it.
    let out = bin()
        .arg("new")
        .arg(sb.path("plain"))
        .arg("--yes")
        .output()
        .unwrap();
    assert!(!out_text(&out).0.contains("@convex-dev/auth"));

    // The docs hold the same steps, with each file's content.
    let readme = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/database-and-auth.md"),
    )
    .unwrap();
    for needle in [
        "@convex-dev/auth@0.0.95 @auth/core@0.41.1",
        "domain: process.env.CONVEX_SITE_URL",
        "auth.addHttpRoutes(http)",
        "...authTables",
        "convexAuth({",
    ] {
        assert!(
            readme.contains(needle),
            "{needle:?} not in docs/database-and-auth.md"
        );
    }
}

#[test]
fn doctor_online_names_the_s3_buckets_that_do_not_exist() {
    use std::sync::{Arc, Mutex};
    let missing = Arc::new(Mutex::new(vec!["/demo-files".to_owned()]));
    let seen = Arc::clone(&missing);
    let port = serve_http(move |req| {
        let path = req.line.split_whitespace().nth(1).unwrap_or("").to_owned();
        assert!(req.line.starts_with("HEAD "), "{}", req.line);
        if seen.lock().unwrap().contains(&path) {
            StubReply::new("404 Not Found", "")
        } else {
            // What S3 answers an anonymous HEAD on an existing bucket.
            StubReply::new("403 Forbidden", "")
        }
    });
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "demo",
        &[
            "--set",
            "storage=s3",
            "--set",
            &format!("s3_endpoint_url=http://127.0.0.1:{port}"),
        ],
    );
    set_env_docker(&dir, "AWS_ACCESS_KEY_ID", "minio");
    set_env_docker(&dir, "AWS_SECRET_ACCESS_KEY", "minio-secret");
    let buckets = |dir: &Path| {
        let out = crate::doctor::doctor(dir).arg("--json").output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "s3-buckets")
            .unwrap_or_else(|| panic!("no s3-buckets check: {report:#}"))
            .clone()
    };
    let check = buckets(&dir);
    assert_eq!(check["status"], "fail", "{check:#}");
    let message = check["message"].as_str().unwrap();
    assert!(message.contains("demo-files"), "{message}");
    assert!(!message.contains("demo-exports"), "{message}");
    missing.lock().unwrap().clear();
    let check = buckets(&dir);
    assert_eq!(check["status"], "pass", "{check:#}");

    // --offline does not ask.
    let out = run(&dir, &["doctor", "--offline", "--json"]);
    assert!(!out_text(&out).0.contains("s3-buckets"));
}

#[test]
fn doctor_online_warns_when_the_s3_store_does_not_answer() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "demo",
        &[
            "--set",
            "storage=s3",
            "--set",
            &format!("s3_endpoint_url=http://127.0.0.1:{port}"),
        ],
    );
    let out = crate::doctor::doctor(&dir).arg("--json").output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "s3-buckets")
        .cloned()
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(check["status"], "warn", "{check:#}");
    assert!(
        check["message"].as_str().unwrap().contains("demo-exports"),
        "{check:#}"
    );
}
