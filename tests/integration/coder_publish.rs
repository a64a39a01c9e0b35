//! `coder/publish.sh` (issue 21, item 6): pushes the template with the values
//! recorded at render time and refuses a folder that is stale against the
//! project's answers. Run with a stub `coder` that records its arguments and
//! the real `convex-scaffold` on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

struct Publish {
    stub_dir: PathBuf,
    args_file: PathBuf,
}

impl Publish {
    fn new(sb: &Sandbox) -> Self {
        let stub_dir = sb.path("stub-bin");
        std::fs::create_dir_all(&stub_dir).unwrap();
        let stub = stub_dir.join("coder");
        std::fs::write(
            &stub,
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" >\"$STUB_ARGS\"\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Publish {
            stub_dir,
            args_file: sb.path("coder-args"),
        }
    }

    /// Runs `bash <project>/coder/publish.sh extra...`; (exit code, stderr,
    /// the stub's arguments if it ran).
    fn run(
        &self,
        project: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> (i32, String, Option<Vec<String>>) {
        let _ = std::fs::remove_file(&self.args_file);
        let bin_dir = assert_cmd::cargo::cargo_bin("convex-scaffold")
            .parent()
            .unwrap()
            .to_owned();
        let path = format!(
            "{}:{}:{}",
            self.stub_dir.display(),
            bin_dir.display(),
            std::env::var("PATH").unwrap()
        );
        let out = Command::new("bash")
            .arg(project.join("coder/publish.sh"))
            .args(extra)
            .env("PATH", path)
            .env("STUB_ARGS", &self.args_file)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let args = std::fs::read_to_string(&self.args_file)
            .ok()
            .map(|t| t.lines().map(str::to_owned).collect());
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            args,
        )
    }
}

#[test]
fn publish_pushes_with_the_recorded_values_and_refuses_a_stale_template() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "acme",
        &[
            "--set",
            "wildcard_domain=*.coder.example.com",
            "--set",
            "app_share=owner",
            "--set",
            "docker_runtime=sysbox",
        ],
    );
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("coder/publish.sh")), 0o755);
    let publish = Publish::new(&sb);
    let (code, stderr, args) = publish.run(&dir, &["-m", "first version"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let template = dir.join("coder").canonicalize().unwrap();
    let want: Vec<String> = [
        "templates",
        "push",
        "acme",
        "-d",
        template.to_str().unwrap(),
        "--var",
        "wildcard_domain=*.coder.example.com",
        "--var",
        "convex_app_share=owner",
        "--var",
        "docker_runtime=sysbox",
        "--var",
        "workspace_image=codercom/enterprise-node:ubuntu",
        "-y",
        "-m",
        "first version",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(args, Some(want));

    // The answers move on (as a hand edit or another machine's upgrade
    // would leave them): the folder is stale, nothing is pushed.
    let state = text(&dir, "convex-scaffold.toml").replace(
        "wildcard_domain = \"*.coder.example.com\"",
        "wildcard_domain = \"*.apps.example.com\"",
    );
    assert!(state.contains("*.apps.example.com"));
    std::fs::write(dir.join("convex-scaffold.toml"), state).unwrap();
    let (code, stderr, args) = publish.run(&dir, &[], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("refusing to push"), "{stderr}");
    assert_eq!(args, None, "coder ran for a stale template");

    // After the upgrade the new value is pushed.
    bin().arg("upgrade").arg(&dir).assert().success();
    let (code, stderr, args) = publish.run(&dir, &[], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(args
        .unwrap()
        .contains(&"wildcard_domain=*.apps.example.com".to_owned()));
}

#[test]
fn publish_without_convex_scaffold_refuses_and_kubernetes_needs_a_namespace() {
    let sb = Sandbox::new();
    let dir = sb.new_project("k", &["--set", "platform=kubernetes"]);
    let publish = Publish::new(&sb);
    let (code, stderr, args) = publish.run(&dir, &[], &[]);
    assert_ne!(code, 0);
    assert!(stderr.contains("NAMESPACE"), "{stderr}");
    assert_eq!(args, None);
    let (code, stderr, args) = publish.run(&dir, &[], &[("NAMESPACE", "coder-ws")]);
    assert_eq!(code, 0, "{stderr}");
    assert!(args.unwrap().contains(&"namespace=coder-ws".to_owned()));

    // convex-scaffold missing from PATH: no check possible, nothing pushed.
    let _ = std::fs::remove_file(&publish.args_file);
    let out = Command::new("bash")
        .arg(dir.join("coder/publish.sh"))
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", publish.stub_dir.display()),
        )
        .env("STUB_ARGS", &publish.args_file)
        .env("NAMESPACE", "coder-ws")
        .output()
        .unwrap();
    assert!(!publish.args_file.exists(), "coder ran without the check");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not on PATH"));
}

/// New-user report, Role 2 item 6: without the `coder` CLI, run from the
/// project folder as the docs show (`coder/publish.sh`, with the coder/
/// folder right there), bash used to fail with "exec: coder: cannot execute:
/// Is a directory" (exit 126). It names the missing CLI and exits 2.
#[test]
fn publish_without_the_coder_cli_says_so() {
    let sb = Sandbox::new();
    let dir = sb.new_project("acme", &[]);
    let bin_dir = assert_cmd::cargo::cargo_bin("convex-scaffold")
        .parent()
        .unwrap()
        .to_owned();
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    for coder in [None, Some("/nowhere/coder")] {
        let mut cmd = Command::new("bash");
        cmd.arg("coder/publish.sh")
            .current_dir(&dir)
            .env("PATH", &path)
            .env_remove("CODER");
        if let Some(c) = coder {
            cmd.env("CODER", c);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{coder:?}: {stderr}");
        assert!(stderr.contains("coder CLI not found"), "{stderr}");
        assert!(stderr.contains("/bin"), "{stderr}");
        assert!(stderr.contains("CODER="), "{stderr}");
        assert!(stderr.contains("Nothing was pushed"), "{stderr}");
        assert!(!stderr.contains("Is a directory"), "{stderr}");
    }
}
