//! The Coder template's start script (coder/modules/convex/scripts/convex-start.sh), run
//! for real with the template's own bundle of the project, stub `docker` and
//! `pnpm`, and a stand-in backend on 127.0.0.1: unpack → up → admin key →
//! deploy; a second start changes nothing; a new template version updates
//! the files nobody edited and keeps the edited ones.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scripts::{start_backend, stub_bin, KEY};
use crate::support::*;

/// Renders the Coder template of a project named `demo` into `<tmp>/tpl`
/// (`coder --yes --set name=demo` plus `args`).
fn render_template(sb: &Sandbox, args: &[&str]) -> PathBuf {
    let template = sb.path("tpl");
    bin()
        .arg("coder")
        .arg(&template)
        .args(["--yes", "--set", "name=demo"])
        .args(args)
        .assert()
        .success();
    template
}

/// The bundle exactly as convex.tf builds it: "<base64 path> z <gzip+base64>".
fn bundle(template: &Path, port: u16) -> String {
    let script = format!(
        r#"cd "{dir}" && find . -type f | sort | while read -r f; do
             f="${{f#./}}"
             if [ "$f" = env.docker.example ]; then
               content="$(sed 's/^PORT=3210$/PORT={port}/' "$f")"
             else
               content="$(cat "$f")"
             fi
             printf '%s z %s\n' "$(printf '%s' "$f" | base64 -w0)" "$(printf '%s\n' "$content" | gzip -c | base64 -w0)"
           done"#,
        dir = template.join("project").display()
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

/// A string local of the rendered Convex module (what Terraform prepends to
/// the start script), e.g. `node_major       = "20"`.
fn tf_local(template: &Path, name: &str) -> String {
    let tf = text(template, "modules/convex/main.tf");
    let line = tf
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no local {name} in modules/convex/main.tf"));
    line.split('"').nth(1).expect("a string value").to_owned()
}

fn start(
    sb: &Sandbox,
    template: &Path,
    port: u16,
    bundle: &str,
    stubs: &Path,
) -> std::process::Output {
    start_with_git(sb, template, port, bundle, stubs, "")
}

/// Runs the start script as the Coder agent would, with the env coder_env sets.
fn start_with_git(
    sb: &Sandbox,
    template: &Path,
    port: u16,
    bundle: &str,
    stubs: &Path,
    git_url: &str,
) -> std::process::Output {
    start_command(sb, template, port, bundle, stubs, git_url)
        .output()
        .unwrap()
}

/// The start script's command with the env coder_env sets (not yet run).
fn start_command(
    sb: &Sandbox,
    template: &Path,
    port: u16,
    bundle: &str,
    stubs: &Path,
    git_url: &str,
) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(template.join("modules/convex/scripts/convex-start.sh"))
        .env(
            "PATH",
            format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap()),
        )
        .env("CONVEX_SCAFFOLD_BUNDLE", bundle)
        .env(
            "CONVEX_SCAFFOLD_CLI_VERSION",
            tf_local(template, "convex_version"),
        )
        .env(
            "CONVEX_SCAFFOLD_NODE_MAJOR",
            tf_local(template, "node_major"),
        )
        .env("CONVEX_PROJECT_DIR", sb.path("home/demo"))
        .env("CONVEX_SCAFFOLD_LOG_DIR", sb.path("logs"))
        .env("CONVEX_GIT_URL", git_url)
        // The stand-in backend's port, as the template's apps would proxy it.
        .env(
            "CONVEX_APP_PORTS",
            format!("PORT={port} SITE_PROXY_PORT=3211 DASHBOARD_PORT=6791"),
        )
        .env("CONVEX_UP_TIMEOUT", "10")
        .env("CONVEX_SCAFFOLD_CLONE_TIMEOUT", "20")
        .env_remove("CONVEX_SELF_HOSTED_URL");
    cmd
}

#[test]
fn a_workspace_start_unpacks_starts_keys_and_deploys_then_updates_unedited_files() {
    let sb = Sandbox::new();
    let (port, seen) = start_backend();
    let stubs = stub_bin(sb.tmp.path());
    let template = render_template(&sb, &["--release", "2025-05-29"]);
    let project = sb.path("home/demo");

    let out = start(&sb, &template, port, &bundle(&template, port), &stubs);
    let log = std::fs::read_to_string(sb.path("logs/convex-start.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "{}\n{log}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        ".env.docker.example",
        ".gitignore",
        "docker-compose.yml",
        "scripts/convex-up.sh",
        "convex/health.ts",
    ] {
        assert!(project.join(f).is_file(), "{f} not unpacked");
    }
    assert_eq!(mode(&project.join("scripts/convex-up.sh")) & 0o100, 0o100);
    assert_eq!(
        parse_dotenv(&text(&project, ".env.local"))["CONVEX_SELF_HOSTED_ADMIN_KEY"],
        KEY
    );
    assert_eq!(
        parse_dotenv(&text(&project, ".env.docker"))["INSTANCE_SECRET"].len(),
        64
    );
    let calls = std::fs::read_to_string(sb.path("calls.log")).unwrap();
    assert!(
        calls.contains("pnpm exec convex dev --once CI=1"),
        "{calls}"
    );
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.starts_with("POST /api/query")));
    assert!(log.contains("Convex is ready"), "{log}");

    // A second start: nothing unpacked again, secrets and key untouched.
    let before = read_tree(&project);
    let out = start(&sb, &template, port, &bundle(&template, port), &stubs);
    assert!(out.status.success());
    let after = read_tree(&project);
    for f in [
        ".env.docker",
        ".env.local",
        "docker-compose.yml",
        "scripts/convex-up.sh",
    ] {
        assert_eq!(before[f], after[f], "{f} changed on a second start");
    }

    // A new template version (upgrade + push): the untouched compose file is
    // brought up to date, the edited script is kept and reported.
    let up = text(&project, "scripts/convex-up.sh") + "# my local tweak\n";
    std::fs::write(project.join("scripts/convex-up.sh"), &up).unwrap();
    let compose = template.join("project/docker-compose.yml");
    let old_compose = text(&template, "project/docker-compose.yml");
    let new_compose = old_compose.replace(
        "c1a7ac393888d743e704de56cf569a154b4526d4",
        "00bd92723422f3bff968230c94ccdeb8c1719832",
    );
    assert_ne!(old_compose, new_compose, "the template moves the pin");
    std::fs::write(&compose, &new_compose).unwrap();
    let new_up = text(&template, "project/scripts/convex-up.sh") + "# template v2\n";
    std::fs::write(template.join("project/scripts/convex-up.sh"), new_up).unwrap();
    let out = start(&sb, &template, port, &bundle(&template, port), &stubs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text(&project, "docker-compose.yml").trim_end(),
        new_compose.trim_end()
    );
    assert_eq!(
        text(&project, "scripts/convex-up.sh"),
        up,
        "the user's edit is kept"
    );
    assert!(
        stdout.contains("Kept your edited scripts/convex-up.sh"),
        "{stdout}"
    );
}

#[test]
fn credentials_in_the_git_url_never_reach_the_log() {
    let sb = Sandbox::new();
    let stubs = stub_bin(sb.tmp.path());
    let template = render_template(&sb, &[]);
    let out = start_with_git(
        &sb,
        &template,
        3210,
        "",
        &stubs,
        "https://bob:ghp_SECRET123@127.0.0.1:1/nothing.git",
    );
    assert_eq!(out.status.code(), Some(1), "the clone cannot succeed");
    let log = std::fs::read_to_string(sb.path("logs/convex-start.log")).unwrap();
    let all = format!(
        "{log}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("ghp_SECRET123"), "{all}");
    assert!(all.contains("https://***@127.0.0.1:1/nothing.git"), "{all}");
}

/// A stub `node` that prints `version` for `node --version`.
fn stub_node(stubs: &Path, version: &str) {
    let path = stubs.join("node");
    std::fs::write(
        &path,
        format!("#!/usr/bin/env bash\n[ \"$1\" = --version ] && echo {version}\nexit 0\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A `node` that reports `version` for `node --version` and runs the real
/// node (found on PATH after the stubs) for everything else: the default
/// CLI needs a newer Node.js than these machines have.
fn stub_node_version(stubs: &Path, version: &str) {
    let real = String::from_utf8(
        Command::new("bash")
            .args(["-c", "command -v node"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let path = stubs.join("node");
    std::fs::write(
        &path,
        format!(
            "#!/usr/bin/env bash\n[ \"$1\" = --version ] && {{ echo {version}; exit 0; }}\nexec {} \"$@\"\n",
            real.trim()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_node_too_old_for_the_pinned_cli_stops_the_start_before_anything_runs() {
    let sb = Sandbox::new();
    let stubs = stub_bin(sb.tmp.path());
    let template = render_template(&sb, &["--set", "convex_version=1.48.0"]);
    assert_eq!(tf_local(&template, "node_major"), "20");
    stub_node(&stubs, "v18.19.1");
    let out = start(&sb, &template, 1, &bundle(&template, 1), &stubs);
    let log = std::fs::read_to_string(sb.path("logs/convex-start.log")).unwrap();
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains("Node.js v18.19.1 is too old: convex 1.48.0 needs Node.js 20 or later"),
        "{log}"
    );
    assert!(
        log.contains("workspace_image"),
        "the fix names the image: {log}"
    );
    assert!(
        log.contains("convex-scaffold upgrade --convex-version"),
        "{log}"
    );
    let calls = std::fs::read_to_string(sb.path("calls.log")).unwrap_or_default();
    assert!(!calls.contains("compose"), "nothing started: {calls}");

    // The same workspace on Node 20 gets past the check.
    stub_node(&stubs, "v20.11.1");
    let _ = start(&sb, &template, 1, &bundle(&template, 1), &stubs);
    let log = std::fs::read_to_string(sb.path("logs/convex-start.log")).unwrap();
    assert!(
        log.contains("Node.js v20.11.1 meets convex 1.48.0 (Node.js 20 or later)"),
        "{log}"
    );
}

/// A file the user deleted stays deleted; an edited file is kept quietly while
/// the template's version of it is unchanged; ports the template's apps do
/// not proxy are refused.
#[test]
fn deleted_files_stay_deleted_edits_kept_quietly_other_ports_refused() {
    let sb = Sandbox::new();
    let (port, _seen) = start_backend();
    let stubs = stub_bin(sb.tmp.path());
    let template = render_template(&sb, &["--release", "2025-05-29"]);
    let project = sb.path("home/demo");
    let the_bundle = bundle(&template, port);
    let out = start(&sb, &template, port, &the_bundle, &stubs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    std::fs::remove_file(project.join("scripts/convex-reset.sh")).unwrap();
    let edited = text(&project, "convex/health.ts") + "// mine\n";
    std::fs::write(project.join("convex/health.ts"), &edited).unwrap();
    for _ in 0..2 {
        let out = start(&sb, &template, port, &the_bundle, &stubs);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(
            !project.join("scripts/convex-reset.sh").exists(),
            "a deleted file came back: {stdout}"
        );
        assert_eq!(text(&project, "convex/health.ts"), edited);
        assert!(!stdout.contains("Kept your edited"), "{stdout}");
        assert!(
            stdout.contains("1 deleted file(s) left deleted"),
            "{stdout}"
        );
    }
    // The start script's state is git-ignored.
    assert!(text(&project, ".gitignore")
        .lines()
        .any(|l| l == ".convex-scaffold/bundle.sha256"));

    // The template's apps proxy `port`; a project on another port is refused.
    let moved = text(&project, ".env.docker").replace(&format!("PORT={port}\n"), "PORT=3310\n");
    std::fs::write(project.join(".env.docker"), moved).unwrap();
    let out = start(&sb, &template, port, &the_bundle, &stubs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "sets PORT=3310, but this Coder template's apps and URLs use {port}"
        )),
        "{stdout}"
    );
}

/// `start_frontend=true`: after the deploy the script installs what the dev
/// script needs, starts `pnpm run dev` detached (its own session, no pipe of
/// the agent held), waits for the port and ends; the dev server runs on.
#[test]
fn start_frontend_runs_the_dev_server_detached_and_waits_for_its_port() {
    use std::io::Read as _;

    let sb = Sandbox::new();
    let (port, _seen) = start_backend();
    let stubs = stub_bin(sb.tmp.path());
    stub_node_version(&stubs, "v22.12.0");
    let template = render_template(&sb, &[]);
    let frontend_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // pnpm stand-in: `install` provides node_modules/.bin/vite, `run dev`
    // serves the folder on the port (and records its pid), the rest goes
    // to the shared stub.
    let dev_pid = sb.path("dev.pid");
    let wrapper = sb.path("frontend-bin");
    std::fs::create_dir_all(&wrapper).unwrap();
    std::fs::write(
        wrapper.join("pnpm"),
        format!(
            r#"#!/usr/bin/env bash
if [ "$1" = install ]; then mkdir -p node_modules/.bin && touch node_modules/.bin/vite; fi
if [ "$1 $2" = "run dev" ]; then echo $$ > "{pid}"; exec python3 -m http.server {frontend_port} --bind 127.0.0.1; fi
exec "{stubs}/pnpm" "$@"
"#,
            pid = dev_pid.display(),
            stubs = stubs.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(wrapper.join("pnpm"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let path = format!(
        "{}:{}:{}",
        wrapper.display(),
        stubs.display(),
        std::env::var("PATH").unwrap()
    );
    let mut child = start_command(&sb, &template, port, &bundle(&template, port), &stubs, "")
        .env("PATH", path)
        .env("CONVEX_START_FRONTEND", "true")
        .env("CONVEX_FRONTEND_PORT", frontend_port.to_string())
        .env("CONVEX_SCAFFOLD_FRONTEND_WAIT", "30")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let status = child.wait().unwrap();
    // The pipe reaches EOF only when no process holds it: the dev server
    // must not (the agent would wait for it).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let printed = rx.recv_timeout(std::time::Duration::from_secs(20));
    let pid = std::fs::read_to_string(&dev_pid).unwrap_or_default();
    let answered = std::net::TcpStream::connect(("127.0.0.1", frontend_port)).is_ok();
    if !pid.trim().is_empty() {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    let log = std::fs::read_to_string(sb.path("logs/convex-start.log")).unwrap_or_default();
    assert!(status.success(), "{log}");
    let printed = printed.expect("the dev server holds the start script's stdout");
    assert!(
        printed.contains(&format!("dev server answers on port {frontend_port}")),
        "{printed}"
    );
    assert!(answered, "the dev server stopped with the start script");
    assert!(
        std::fs::read_to_string(sb.path("calls.log"))
            .unwrap()
            .contains("pnpm install"),
        "node_modules/.bin/vite was missing, so the script installs first"
    );
    assert!(sb.path("logs/frontend-dev.log").is_file());
}
