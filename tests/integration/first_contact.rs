//! What a new user meets in the first ten minutes: closed pipes, the
//! README's set-up, next-step hints, help texts, doctor outside a project,
//! what `new --force` changes in their files.

use std::path::Path;
use std::process::{Command, Stdio};

use predicates::prelude::*;

use crate::support::{bin, Sandbox};

fn repo_file(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

// ------------------------------------------------------------ closed pipe --

/// Runs the binary with its stdout on a pipe whose reading end is already
/// closed (as after `| head -1` has exited); returns (exit code, stderr).
fn run_into_closed_pipe(args: &[&str], cwd: &Path, stdin: &[u8]) -> (Option<i32>, String) {
    let (reader, writer) = rustix::pipe::pipe().expect("pipe");
    drop(reader);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("convex-scaffold"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin);
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let sb = Sandbox::new();
    let project = sb.new_project("demo", &[]);
    let project_arg = project.to_str().unwrap();
    let finding =
        b"Unexpected Error: TypeError: Cannot read properties of undefined (reading 'length')\n";
    let cases: Vec<(Vec<&str>, &[u8], &[i32])> = vec![
        (vec!["new", "fresh", "--yes"], b"", &[0]),
        (vec!["new", "dry", "--yes", "--dry-run"], b"", &[0]),
        (vec!["coder", "tpl", "--yes", "--dry-run"], b"", &[0]),
        (vec!["coder", "tpl2", "--yes"], b"", &[0]),
        (vec!["pins"], b"", &[0]),
        (vec!["diagnose"], finding, &[0, 1]),
        (vec!["diagnose", "--json"], finding, &[0, 1]),
        (vec!["doctor", project_arg, "--offline"], b"", &[0, 1]),
        (vec!["upgrade", project_arg, "--dry-run"], b"", &[0, 1]),
        (vec!["upgrade", project_arg], b"", &[0, 1]),
        (vec!["--help"], b"", &[0]),
        (vec!["new", "--help"], b"", &[0]),
    ];
    for (args, stdin, codes) in cases {
        let (code, stderr) = run_into_closed_pipe(&args, sb.tmp.path(), stdin);
        assert!(
            code.is_some_and(|c| codes.contains(&c)),
            "{args:?} into a closed pipe exited {code:?} (want one of {codes:?}); stderr:\n{stderr}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?} into a closed pipe: {stderr}"
        );
    }
}

#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    let sb = Sandbox::new();
    let (reader, writer) = rustix::pipe::pipe().expect("pipe");
    drop(reader);
    let status = Command::new(assert_cmd::cargo::cargo_bin("convex-scaffold"))
        .args(["new", "demo", "--yes", "--set", "name=Bad_Name"])
        .current_dir(sb.tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::from(writer))
        .status()
        .expect("run");
    assert_eq!(
        status.code(),
        Some(2),
        "a closed stderr changed the exit code"
    );
}

// ------------------------------------------------------------------ README --

/// The commands of the README's Develop section (its sh blocks).
fn setup_commands() -> Vec<String> {
    let readme = repo_file("README.md");
    let section = readme
        .split("## Develop")
        .nth(1)
        .expect("README has a Develop section");
    let section = section.split("\n## ").next().unwrap();
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .flat_map(str::lines)
        .map(|l| l.split('#').next().unwrap().trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn readme_set_up_is_two_commands_sharing_one_build_and_ci_runs_its_test_command() {
    let commands = setup_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let test_command = commands
        .iter()
        .find(|c| c.starts_with("cargo test"))
        .expect("a cargo test command");
    let other = commands.iter().find(|c| *c != test_command).unwrap();
    // One build: both commands use the same cargo profile.
    assert_eq!(
        other.contains("--release"),
        test_command.contains("--release"),
        "{commands:?} build twice (two profiles)"
    );
    let ci = repo_file(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim() == test_command),
        ".ci/run does not call the README's test command {test_command:?}"
    );
    let readme = repo_file("README.md");
    assert!(readme.contains("cargo install --locked convex-scaffold"));
    let maintainers = repo_file("docs/maintainers.md");
    assert!(maintainers.contains("needs") && maintainers.contains("../shared/validate"));
}

// --------------------------------------------------------------- coder/ --

#[test]
fn the_template_readme_points_at_upgrade() {
    let sb = Sandbox::new();
    let project = sb.new_project("demo", &[]);
    let readme = crate::support::text(&project, "coder/README.md");
    assert!(readme.contains("convex-scaffold upgrade"), "{readme}");
    assert!(
        !readme.contains("run\n`convex-scaffold coder`")
            && !readme.contains("run `convex-scaffold coder`"),
        "{readme}"
    );
}

#[test]
fn the_repositorys_template_is_not_named_coder() {
    let readme = repo_file("coder/README.md");
    assert!(!readme.contains("display_name: coder + Convex"), "{readme}");
    assert!(!readme.contains("~/coder/"), "{readme}");
    assert!(!repo_file("coder/main.tf").contains("/home/coder/coder"));
}

// ------------------------------------------------------------ next steps --

#[test]
fn next_steps_work_when_followed_in_order() {
    let sb = Sandbox::new();
    let out = bin()
        .args(["new", "demo", "--yes"])
        .current_dir(sb.tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("  cd demo\n"), "{stdout}");
    // After the `cd`: coder/publish.sh, relative to the project.
    assert!(stdout.contains("\nCoder: coder/publish.sh "), "{stdout}");
    assert!(!stdout.contains("demo/coder"), "{stdout}");

    let here = sb.path("here");
    std::fs::create_dir(&here).unwrap();
    let out = bin()
        .args(["new", ".", "--yes"])
        .current_dir(&here)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("cd ."), "{stdout}");
    assert!(stdout.contains("\nCoder: coder/publish.sh "), "{stdout}");

    // A folder name with a space is quoted.
    let out = bin()
        .args(["new", "my app", "--yes"])
        .current_dir(sb.tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("  cd 'my app'\n"), "{stdout}");
}

#[test]
fn s3_storage_names_the_keys_to_fill() {
    let sb = Sandbox::new();
    let out = bin()
        .args(["new", "demo", "--yes", "--set", "storage=s3"])
        .current_dir(sb.tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for key in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", ".env.docker"] {
        assert!(stdout.contains(key), "{key} missing from:\n{stdout}");
    }
    let local = bin()
        .args(["new", "plain", "--yes"])
        .current_dir(sb.tmp.path())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&local.stdout).contains("AWS_ACCESS_KEY_ID"));
}

// ----------------------------------------------------------- bad answers --

#[test]
fn a_bad_name_reports_only_the_name() {
    let sb = Sandbox::new();
    bin()
        .args(["new", "demo", "--yes", "--set", "name=Bad_Name"])
        .current_dir(sb.tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("name = \"Bad_Name\""))
        .stderr(predicate::str::contains("s3_bucket_prefix").not());
    // A prefix the user gave is reported.
    bin()
        .args([
            "new",
            "demo",
            "--yes",
            "--set",
            "storage=s3",
            "--set",
            "s3_bucket_prefix=Bad_Prefix",
        ])
        .current_dir(sb.tmp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "s3_bucket_prefix = \"Bad_Prefix\"",
        ));
}

// --------------------------------------------------------- internal words --

#[test]
fn no_internal_words_reach_users() {
    let internal = ["seed", "shared/reference"];
    for issue in convex_scaffold::diagnose::catalogue() {
        let text = format!("{} {} {}", issue.title, issue.cause, issue.fix.join(" "));
        for word in internal {
            assert!(
                !text.to_lowercase().contains(word),
                "{}: {word:?} in {text}",
                issue.id
            );
        }
        for source in &issue.sources {
            assert!(
                source.starts_with("https://"),
                "{}: source {source:?} is not a public link",
                issue.id
            );
        }
    }
    let sb = Sandbox::new();
    for (name, args) in [
        ("local", vec![]),
        ("s3", vec!["--set", "storage=s3"]),
        ("k8s", vec!["--set", "platform=kubernetes"]),
    ] {
        let dir = sb.new_project(name, &args);
        for (path, bytes) in crate::support::read_tree(&dir) {
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            for word in internal {
                assert!(!text.contains(word), "{name}/{path} says {word:?}");
            }
        }
    }
    let pins = bin().arg("pins").output().unwrap();
    let pins = String::from_utf8_lossy(&pins.stdout).to_lowercase();
    for word in internal {
        assert!(!pins.contains(word), "pins says {word:?}: {pins}");
    }
}

// ------------------------------------------------------------------ doctor --

#[test]
fn doctor_outside_a_project_says_so_and_exits_2() {
    let sb = Sandbox::new();
    let empty = sb.path("empty");
    std::fs::create_dir(&empty).unwrap();
    bin()
        .arg("doctor")
        .arg(&empty)
        .arg("--offline")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("secret-gitignored").not())
        .stderr(predicate::str::contains("not a Convex project"));
}

// --------------------------------------------------------- new --force --

#[test]
fn force_says_what_it_changed_in_the_users_package_json() {
    let sb = Sandbox::new();
    let dir = sb.path("app");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{ "name": "app", "dependencies": { "convex": "^1.26.1" } }"#,
    )
    .unwrap();
    let out = bin()
        .arg("new")
        .arg(&dir)
        .args(["--yes", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("dependencies.convex: \"^1.26.1\" -> \"1.51.0\""),
        "{stdout}"
    );
    assert!(stdout.contains("known-bad"), "{stdout}");
}

// -------------------------------------------------------------------- help --

#[test]
fn help_texts_say_what_each_command_takes() {
    let help = |args: &[&str]| {
        let out = bin().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let upgrade = help(&["upgrade", "--help"]);
    assert!(!upgrade.contains("--answers"), "{upgrade}");
    assert!(upgrade.contains("s3_region"), "{upgrade}");
    let new_short = help(&["new", "-h"]);
    assert!(
        !new_short.contains("see below"),
        "`new -h` points below at nothing:\n{new_short}"
    );
    assert!(new_short.contains("--help"), "{new_short}");
    let doctor = help(&["doctor", "-h"]);
    let dir_line: Vec<&str> = doctor
        .lines()
        .filter(|l| l.contains("[DIR]") || l.contains("folder"))
        .collect();
    assert_eq!(
        doctor.matches("default").count(),
        1,
        "doctor -h shows its default more than once:\n{doctor}"
    );
    assert!(!dir_line.is_empty());
    let upgrade_short = help(&["upgrade", "-h"]);
    let release = upgrade_short
        .lines()
        .find(|l| l.contains("--release"))
        .unwrap();
    assert!(release.to_lowercase().contains("date"), "{upgrade_short}");
}

// ---------------------------------------------------------------- diagnose --

#[test]
fn diagnose_exits_1_when_it_finds_something() {
    bin()
        .arg("diagnose")
        .write_stdin("[convex] ERROR: the Docker daemon is not running after 60s (try: sudo service docker start)\n")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("docker-daemon-down"));
    bin()
        .arg("diagnose")
        .write_stdin("all good\n")
        .assert()
        .code(0);
}
