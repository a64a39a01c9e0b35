//! `auth = convex-auth`: the answer's rules, what it renders, the generated
//! scripts/convex-auth.sh run for real (bash, real node:crypto) against the
//! backend stand-in of scripts.rs and a stub convex CLI (node_modules/convex/
//! bin/main.js) whose `env get/set` keeps the deployment's variables in a
//! folder, taking values the way each CLI generation does (--from-file since
//! 1.33, stdin since 1.27, else an argument, echoed back as 1.24.8 does), and
//! the doctor's auth checks, offline and against a small HTTP server.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scripts::{ready_to_deploy, start_backend};
use crate::support::*;

/// A stub pnpm that answers `--version` with the pin and logs anything
/// else; and the folder standing in for the deployment's environment
/// variables (the stub CLI of [`auth_project`] keeps them there).
fn auth_stubs(root: &Path) -> (PathBuf, PathBuf) {
    let bin = root.join("stub-bin");
    let env = root.join("deployment-env");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&env).unwrap();
    let pnpm = format!(
        r#"#!/usr/bin/env bash
if [ "$1" = --version ]; then
  sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' package.json; exit 0
fi
echo "pnpm $*" >> "{log}"
exit 0
"#,
        log = root.join("calls.log").display()
    );
    let path = bin.join("pnpm");
    std::fs::write(&path, pnpm).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (bin, env)
}

/// A convex-auth project on the backend stand-in's port, with the pinned
/// CLI "installed" (so no install runs) and a working admin key.
fn auth_project(sb: &Sandbox, port: u16, args: &[&str]) -> PathBuf {
    let mut all = vec!["--set", "auth=convex-auth"];
    all.extend_from_slice(args);
    let dir = sb.new_project("app", &all);
    let env = text(&dir, ".env.docker").replace("PORT=3210", &format!("PORT={port}"));
    std::fs::write(dir.join(".env.docker"), env).unwrap();
    let pin = text(&dir, "scripts/convex-config.sh")
        .lines()
        .find_map(|l| l.strip_prefix("CONVEX_VERSION=").map(str::to_owned))
        .unwrap();
    ready_to_deploy(&dir, port, &pin);
    std::fs::create_dir_all(dir.join("node_modules/convex/bin")).unwrap();
    // The CLI's entry point, which the script runs with node: `env get` and
    // `env set` on a store beside the project (../deployment-env), taking
    // the value the way each CLI generation does: --from-file, stdin (one
    // trailing newline dropped) or an argument after `--`. Logs only the
    // style to ../calls.log; STUB_SET_FAILS=1 fails a set after echoing the
    // value, as 1.24.8's "Successfully set" line does.
    std::fs::write(
        dir.join("node_modules/convex/bin/main.js"),
        r#"const fs = require("fs"), path = require("path");
const root = path.join(process.cwd(), "..");
const store = path.join(root, "deployment-env");
const log = (line) => fs.appendFileSync(path.join(root, "calls.log"), line + "\n");
const args = process.argv.slice(2);
if (args[0] !== "env") process.exit(2);
if (args[1] === "get") {
  log(`get ${args[2]}`);
  const file = path.join(store, args[2]);
  if (fs.existsSync(file)) process.stdout.write(fs.readFileSync(file, "utf8") + "\n");
  else console.error(`Environment variable "${args[2]}" not found.`);
  process.exit(0);
}
if (args[1] !== "set") process.exit(2);
let name, value, style;
if (args[2] === "--") [style, name, value] = ["argument", args[3], args[4]];
else if (args[3] === "--from-file") [style, name, value] = ["from-file", args[2], fs.readFileSync(args[4], "utf8")];
else [style, name, value] = ["stdin", args[2], fs.readFileSync(0, "utf8").replace(/\n$/, "")];
log(`set ${name} ${style}`);
if (process.env.STUB_SET_FAILS) {
  console.error(`Successfully set ${name} to "${value}" (not really)`);
  process.exit(1);
}
fs.mkdirSync(store, { recursive: true });
fs.writeFileSync(path.join(store, name), value);
"#,
    )
    .unwrap();
    dir
}

/// Runs a generated script with the stubs first on PATH and the variables
/// a developer's shell may hold removed.
fn run_script(
    dir: &Path,
    script: &str,
    args: &[&str],
    bin: &Path,
    extra: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = Command::new("bash");
    cmd.arg(dir.join("scripts").join(script))
        .args(args)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env_remove("CONVEX_SELF_HOSTED_URL")
        .env_remove("CONVEX_DEPLOYMENT")
        .env_remove("CONVEX_AUTH_SITE_URL")
        .env_remove("CONVEX_SCAFFOLD_SITE_URL")
        .env_remove("CONVEX_FRONTEND_PORT")
        .env("CONVEX_UP_TIMEOUT", "10")
        .current_dir(dir);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().expect("bash runs")
}

fn run_auth(dir: &Path, args: &[&str], bin: &Path, extra: &[(&str, &str)]) -> std::process::Output {
    run_script(dir, "convex-auth.sh", args, bin, extra)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The whole story for one CLI generation: made once, three variables set
/// the way that CLI takes them, nothing printed, a second run changes nothing.
fn makes_once_and_sets_three_vars(release: &[&str], style: &str) {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = auth_project(&sb, port, release);
    let (bin, env) = auth_stubs(sb.tmp.path());
    let out = run_auth(&dir, &[], &bin, &[]);
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    let private = read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem"));
    let jwks = read(&dir.join(".convex-auth/JWKS.json"));
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY----- ")
            && private.ends_with(" -----END PRIVATE KEY-----"),
        "one-line PKCS#8"
    );
    assert!(!private.contains('\n'));
    let jwks_json: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    assert_eq!(jwks_json["keys"][0]["use"], "sig");
    assert_eq!(jwks_json["keys"][0]["kty"], "RSA");
    assert_eq!(jwks_json["keys"][0]["e"], "AQAB");
    assert_eq!(mode(&dir.join(".convex-auth")), 0o700);
    assert_eq!(mode(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem")), 0o600);
    assert_eq!(mode(&dir.join(".convex-auth/JWKS.json")), 0o600);
    assert_eq!(read(&env.join("JWT_PRIVATE_KEY")), private);
    assert_eq!(read(&env.join("JWKS")), jwks);
    assert_eq!(read(&env.join("SITE_URL")), "http://localhost:5173");
    let log = read(&sb.path("calls.log"));
    assert!(
        log.contains(&format!("set JWT_PRIVATE_KEY {style}")),
        "{log}"
    );
    assert!(log.contains(&format!("set JWKS {style}")), "{log}");
    assert!(
        !said.contains(&private[30..90]),
        "the private key was printed"
    );
    assert!(said.contains("making the JWT key pair"), "{said}");
    assert_eq!(
        said.contains("process list"),
        style == "argument",
        "the argv note: {said}"
    );

    // A second run reads, compares and sets nothing.
    std::fs::write(sb.path("calls.log"), "").unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing changed"), "{}", stderr(&out));
    let log = read(&sb.path("calls.log"));
    assert!(!log.contains("set "), "a second run set something: {log}");
    assert_eq!(read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem")), private);
    let out = run_auth(&dir, &["--check"], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A key file that gained a trailing newline (an editor) is the same
    // value: written back without it, nothing set on the deployment.
    std::fs::write(dir.join(".convex-auth/JWKS.json"), format!("{jwks}\n")).unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&dir.join(".convex-auth/JWKS.json")), jwks);
    assert!(
        !read(&sb.path("calls.log")).contains("set "),
        "a trailing newline made a set"
    );
}

#[test]
fn cli_1_48_sets_the_keys_from_files() {
    makes_once_and_sets_three_vars(&[], "from-file");
}

#[test]
fn cli_1_29_pipes_the_keys_in() {
    makes_once_and_sets_three_vars(&["--release", "2025-09-12"], "stdin");
}

#[test]
fn cli_1_24_passes_the_keys_as_arguments_and_says_so() {
    makes_once_and_sets_three_vars(&["--release", "2025-05-29"], "argument");
}

#[test]
fn a_key_changed_on_the_deployment_is_never_replaced_silently() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = auth_project(&sb, port, &[]);
    let (bin, env) = auth_stubs(sb.tmp.path());
    assert!(run_auth(&dir, &[], &bin, &[]).status.success());
    let private = read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem"));

    let jwks = read(&dir.join(".convex-auth/JWKS.json"));

    // A JWKS without the public half of the deployment's own (= our) private
    // key is a broken pair: it is repaired, nothing is rotated.
    std::fs::write(env.join("JWKS"), r#"{"keys":[]}"#).unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("a broken pair"), "{}", stderr(&out));
    assert_eq!(read(&env.join("JWKS")), jwks);
    assert_eq!(read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem")), private);

    // A JWKS holding our key and another one (a rotation in progress) stays.
    let mut more: serde_json::Value = serde_json::from_str(&jwks).unwrap();
    more["keys"].as_array_mut().unwrap().insert(
        0,
        serde_json::json!({"use": "sig", "kty": "RSA", "n": "b2xk", "e": "AQAB"}),
    );
    std::fs::write(env.join("JWKS"), more.to_string()).unwrap();
    std::fs::write(sb.path("calls.log"), "").unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !read(&sb.path("calls.log")).contains("set "),
        "the longer JWKS was replaced"
    );
    assert_eq!(read(&env.join("JWKS")), more.to_string());

    // Another private key on the deployment: refused, nothing changed.
    std::fs::write(env.join("JWT_PRIVATE_KEY"), "not-our-key").unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.contains(
            "the key pair on the deployment is not the one in .convex-auth/: JWT_PRIVATE_KEY differs"
        ),
        "{said}"
    );
    assert!(
        said.contains("--adopt") && said.contains("--rotate"),
        "{said}"
    );
    assert_eq!(
        read(&env.join("JWT_PRIVATE_KEY")),
        "not-our-key",
        "overwritten"
    );
    assert_eq!(
        run_auth(&dir, &["--check"], &bin, &[]).status.code(),
        Some(1)
    );
    // --adopt refuses a deployment "pair" whose JWKS is not the key's.
    let out = run_auth(&dir, &["--adopt"], &bin, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("are not one key pair"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem")), private);

    // --rotate: a new pair on both sides.
    let out = run_auth(&dir, &["--rotate"], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rotated = read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem"));
    assert_ne!(rotated, private);
    assert_eq!(read(&env.join("JWT_PRIVATE_KEY")), rotated);
    assert_eq!(
        read(&env.join("JWKS")),
        read(&dir.join(".convex-auth/JWKS.json"))
    );

    // Lost local files: the deployment's pair is kept and saved, not replaced.
    std::fs::remove_dir_all(dir.join(".convex-auth")).unwrap();
    std::fs::write(sb.path("calls.log"), "").unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kept it and saved it"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem")), rotated);
    assert!(
        !read(&sb.path("calls.log")).contains("set JWT"),
        "a key was set"
    );

    // A deployment key on several lines (as pasted in the dashboard) is the
    // same pair: with .convex-auth/ empty it is adopted, not replaced.
    let pem_lines = {
        let body = rotated
            .trim_start_matches("-----BEGIN PRIVATE KEY----- ")
            .trim_end_matches(" -----END PRIVATE KEY-----")
            .replace(' ', "");
        let lines: Vec<String> = body
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
            lines.join("\n")
        )
    };
    std::fs::write(env.join("JWT_PRIVATE_KEY"), &pem_lines).unwrap();
    std::fs::remove_dir_all(dir.join(".convex-auth")).unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("kept it and saved it"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&env.join("JWT_PRIVATE_KEY")), pem_lines, "replaced");
    std::fs::write(env.join("JWT_PRIVATE_KEY"), &rotated).unwrap();
    std::fs::write(dir.join(".convex-auth/JWT_PRIVATE_KEY.pem"), &rotated).unwrap();

    // Half a pair locally: a sync refuses; --adopt restores both.
    std::fs::remove_file(dir.join(".convex-auth/JWKS.json")).unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("only one of .convex-auth/JWT_PRIVATE_KEY.pem"));
    assert_eq!(read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem")), rotated);
    let out = run_auth(&dir, &["--adopt"], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        read(&dir.join(".convex-auth/JWKS.json")),
        read(&env.join("JWKS"))
    );
    // No scratch copy of a key is left in TMPDIR or .convex-auth/.
    let leftovers: Vec<String> = std::fs::read_dir(dir.join(".convex-auth"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "JWT_PRIVATE_KEY.pem" && n != "JWKS.json" && n != ".lock")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn site_url_follows_the_frontend_and_a_failed_set_hides_the_value() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = auth_project(
        &sb,
        port,
        &["--release", "2025-05-29", "--set", "frontend=nextjs"],
    );
    let (bin, env) = auth_stubs(sb.tmp.path());
    // A set that fails after echoing the value (as CLI 1.24.8 prints it).
    let out = run_auth(&dir, &[], &bin, &[("STUB_SET_FAILS", "1")]);
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    let private = read(&dir.join(".convex-auth/JWT_PRIVATE_KEY.pem"));
    assert!(said.contains("<value hidden>"), "{said}");
    assert!(
        !said.contains(&private[30..90]),
        "the failure printed the key"
    );
    assert!(
        said.contains("`convex env set JWT_PRIVATE_KEY` failed"),
        "{said}"
    );

    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&env.join("SITE_URL")), "http://localhost:3000");
    let coder = "https://frontend--main--ws--me.coder.example.com";
    let out = run_auth(&dir, &[], &bin, &[("CONVEX_SCAFFOLD_SITE_URL", coder)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("SITE_URL http://localhost:3000 -> {coder}")),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&env.join("SITE_URL")), coder);
    let out = run_auth(&dir, &[], &bin, &[("CONVEX_AUTH_SITE_URL", "not a url")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("SITE_URL 'not a url' is not an http(s) URL"));
}

#[test]
fn without_a_frontend_site_url_comes_from_env_local() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let dir = auth_project(&sb, port, &["--set", "frontend=none"]);
    let (bin, env) = auth_stubs(sb.tmp.path());
    // The keys are set; SITE_URL waits for the URL, with a warning.
    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "SITE_URL not set: this project has no frontend, so put the URL users sign in on into .env.local"
        ),
        "{}",
        stderr(&out)
    );
    assert!(env.join("JWT_PRIVATE_KEY").exists());
    assert!(!env.join("SITE_URL").exists());
    assert_eq!(
        run_auth(&dir, &["--check"], &bin, &[]).status.code(),
        Some(1)
    );
    // Coder, no frontend: no Frontend app URL reaches the workspace.
    assert!(!text(&dir, "coder/modules/convex/main.tf").contains("CONVEX_SCAFFOLD_SITE_URL"));
    let local = text(&dir, ".env.local") + "CONVEX_AUTH_SITE_URL=https://app.example.com/\n";
    std::fs::write(dir.join(".env.local"), local).unwrap();
    let out = run_auth(&dir, &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&env.join("SITE_URL")), "https://app.example.com");
}

#[test]
fn auth_none_does_nothing_and_deploy_runs_the_auth_sync() {
    let sb = Sandbox::new();
    let (port, _) = start_backend();
    let plain = sb.new_project("plain", &[]);
    let (bin, env) = auth_stubs(sb.tmp.path());
    let out = run_auth(&plain, &[], &bin, &[]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("auth = none in this project: nothing to do"));
    assert!(!plain.join(".convex-auth").exists());

    let dir = auth_project(&sb, port, &[]);
    let out = run_script(&dir, "convex-deploy.sh", &[], &bin, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(read(&env.join("JWKS")).contains("\"kty\":\"RSA\""));
}

#[test]
fn the_answer_is_refused_where_it_cannot_work() {
    let sb = Sandbox::new();
    let out = bin()
        .arg("new")
        .arg(sb.path("b"))
        .args([
            "--yes",
            "--set",
            "auth=convex-auth",
            "--set",
            "wildcard_domain=*.coder.example.com",
            "--set",
            "convex_app_share=owner",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("provider discovery"), "{err}");
    assert!(
        err.contains("an owner app") && !err.contains("a owner"),
        "{err}"
    );
    let out = bin()
        .arg("new")
        .arg(sb.path("c"))
        .args(["--yes", "--set", "auth=clerk"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be one of none, convex-auth"));
    for d in ["b", "c"] {
        assert!(!sb.path(d).exists(), "{d} was written");
    }
    // Without a wildcard domain an owner share is fine (the site URL is local).
    sb.new_project(
        "d",
        &[
            "--set",
            "auth=convex-auth",
            "--set",
            "convex_app_share=owner",
        ],
    );
}

#[test]
fn the_coder_template_carries_the_site_url_and_never_a_key() {
    let sb = Sandbox::new();
    let dir = sb.new_project(
        "app",
        &[
            "--set",
            "auth=convex-auth",
            "--set",
            "wildcard_domain=*.coder.example.com",
        ],
    );
    let tf = text(&dir, "coder/modules/convex/main.tf");
    hcl::from_str::<hcl::Body>(&tf).expect("the module's main.tf parses");
    assert!(tf.contains(
        "CONVEX_SCAFFOLD_SITE_URL = local.public_urls ? \"${local.access_scheme}://${local.app_hosts.frontend}${local.app_port_suffix}\""
    ));
    assert!(
        tf.contains("!startswith(f, \".convex-auth/\")"),
        "the bundle skips key files"
    );
    assert!(text(&dir, ".gitignore")
        .lines()
        .any(|l| l == ".convex-auth/"));
    assert!(text(&dir, "scripts/convex-config.sh").contains("CONVEX_AUTH=convex-auth\n"));
    // Every script the project has travels in the template's bundle (a
    // workspace without git_url gets only the bundle), convex-auth.sh too.
    for entry in std::fs::read_dir(dir.join("scripts")).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(
            dir.join("coder/project/scripts").join(&name).is_file(),
            "coder/project/scripts/{} is missing",
            name.to_string_lossy()
        );
    }
    assert!(tf.contains(
        "condition     = !var.convex_auth || var.wildcard_domain == \"\" || var.convex_app_share == \"public\""
    ));
    let convex_auth_default = |tf: &str| {
        let body: hcl::Body = hcl::from_str(tf).unwrap();
        body.blocks()
            .find(|b| b.identifier() == "variable" && b.labels()[0].as_str() == "convex_auth")
            .and_then(|b| b.body().attributes().find(|a| a.key() == "default"))
            .map(|a| a.expr().to_string())
    };
    assert_eq!(convex_auth_default(&tf).as_deref(), Some("true"));
    let plain = sb.new_project("plain", &[]);
    let plain_tf = text(&plain, "coder/modules/convex/main.tf");
    assert!(!plain_tf.contains("CONVEX_SCAFFOLD_SITE_URL"));
    assert_eq!(convex_auth_default(&plain_tf).as_deref(), Some("false"));
    assert!(text(&plain, "scripts/convex-config.sh").contains("CONVEX_AUTH=none\n"));
    // A state file from before the key reads as auth = none.
    let state = text(&plain, "convex-scaffold.toml");
    let old: String = state
        .lines()
        .filter(|l| !l.starts_with("auth ="))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old, state, "the state records auth");
    std::fs::write(plain.join("convex-scaffold.toml"), old).unwrap();
    let out = bin().arg("upgrade").arg(&plain).output().unwrap();
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    let changed: Vec<&str> = said
        .lines()
        .filter(|l| l.starts_with("updated") || l.starts_with("added") || l.starts_with("merged"))
        .collect();
    assert_eq!(changed, ["updated       convex-scaffold.toml"], "{said}");
    assert!(text(&plain, "convex-scaffold.toml").contains("auth = \"none\""));
}

/// A deployment API stand-in for the doctor: /version, /api/check_admin_key,
/// and either GET /api/v1/list_environment_variables or (when `list` is
/// false) a 404 there and the system query on POST /api/query, answered in
/// chunks as a streaming server may.
fn env_backend(vars: serde_json::Value, list: bool) -> u16 {
    serve_http(move |req| {
        if req.line.starts_with("GET /version") {
            StubReply::new("200 OK", "unknown")
        } else if req.line.starts_with("GET /api/check_admin_key") {
            StubReply::new("200 OK", "{}")
        } else if req
            .line
            .starts_with("GET /api/v1/list_environment_variables")
            && list
        {
            StubReply::new(
                "200 OK",
                serde_json::json!({ "environmentVariables": vars }).to_string(),
            )
        } else if req.line.starts_with("POST /api/query") && !list {
            let args: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            let name = args["args"][0]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let value = vars
                .get(&name)
                .map(|v| serde_json::json!({ "name": name, "value": v }))
                .unwrap_or(serde_json::Value::Null);
            StubReply {
                chunked: true,
                ..StubReply::new(
                    "200 OK",
                    serde_json::json!({ "status": "success", "value": value }).to_string(),
                )
            }
        } else {
            StubReply::new("404 Not Found", "")
        }
    })
}

fn doctor_json(dir: &Path) -> (String, serde_json::Value) {
    let out = crate::doctor::doctor(dir)
        .arg("--json")
        .env_remove("CONVEX_AUTH_SITE_URL")
        .env_remove("CONVEX_SCAFFOLD_SITE_URL")
        .env_remove("CONVEX_FRONTEND_PORT")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (text, json)
}

fn check<'a>(report: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    report["checks"].as_array()?.iter().find(|c| c["id"] == id)
}

fn write_keys(dir: &Path, private: &str, jwks: &str) {
    let keys = dir.join(".convex-auth");
    std::fs::create_dir_all(&keys).unwrap();
    for (name, value) in [("JWT_PRIVATE_KEY.pem", private), ("JWKS.json", jwks)] {
        std::fs::write(keys.join(name), value).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(keys.join(name), std::fs::Permissions::from_mode(0o600))
                .unwrap();
        }
    }
}

#[test]
fn doctor_checks_the_key_files_and_the_deployment_without_printing_a_key() {
    let body = "MIIEvQ".to_owned() + &"A".repeat(1600);
    let private = format!("-----BEGIN PRIVATE KEY----- {body} -----END PRIVATE KEY-----");
    let jwks = r#"{"keys":[{"use":"sig","kty":"RSA","n":"xyz","e":"AQAB"}]}"#;
    for list in [true, false] {
        let sb = Sandbox::new();
        let all = serde_json::json!({
            "JWT_PRIVATE_KEY": private, "JWKS": jwks, "SITE_URL": "http://localhost:5173"
        });
        let port = env_backend(all, list);
        let dir = auth_project(&sb, port, &[]);
        // No keys yet: a warning, and the deployment has them (not ours).
        let (_, report) = doctor_json(&dir);
        assert_eq!(check(&report, "auth-keys").unwrap()["status"], "warn");
        write_keys(&dir, &private, jwks);
        let (text, report) = doctor_json(&dir);
        assert_eq!(
            check(&report, "auth-keys").unwrap()["status"],
            "pass",
            "{text}"
        );
        assert_eq!(
            check(&report, "auth-env").unwrap()["status"],
            "pass",
            "{text}"
        );
        assert_eq!(
            check(&report, "auth-dotenv").unwrap()["status"],
            "pass",
            "{text}"
        );
        assert!(!text.contains(&body[..40]), "the doctor printed the key");

        // Same private key, but the deployment's JWKS lacks our public key:
        // a broken pair, and the fix is the plain run (no rotation).
        write_keys(
            &dir,
            &private,
            r#"{"keys":[{"use":"sig","kty":"RSA","n":"other","e":"AQAB"}]}"#,
        );
        let (text, report) = doctor_json(&dir);
        let c = check(&report, "auth-env").unwrap();
        assert_eq!(c["status"], "fail", "{text}");
        assert!(c["message"].as_str().unwrap().contains("a broken pair"));
        assert!(!c["fix"].as_str().unwrap().contains("--rotate"));
        assert!(!text.contains("xyz"));

        // Another private key locally: the pairs differ, adopt or rotate.
        let other = private.replace("MIIEvQA", "MIIEvQB");
        write_keys(&dir, &other, jwks);
        let (text, report) = doctor_json(&dir);
        let c = check(&report, "auth-env").unwrap();
        assert_eq!(c["status"], "fail", "{text}");
        assert!(c["message"]
            .as_str()
            .unwrap()
            .contains("JWT_PRIVATE_KEY on the deployment differs"));
        assert!(c["fix"].as_str().unwrap().contains("--adopt"));
        assert!(!text.contains(&body[..40]), "the doctor printed the key");
    }

    // Nothing set on the deployment: fail, with the known issue.
    let sb = Sandbox::new();
    let port = env_backend(serde_json::json!({}), true);
    let dir = auth_project(&sb, port, &[]);
    write_keys(&dir, &private, jwks);
    let (text, report) = doctor_json(&dir);
    let c = check(&report, "auth-env").unwrap();
    assert_eq!(c["status"], "fail", "{text}");
    assert_eq!(c["issue"], "auth-env-missing");
    assert!(c["message"]
        .as_str()
        .unwrap()
        .contains("JWT_PRIVATE_KEY, JWKS, SITE_URL not set"));

    // Open modes, a multi-line key, and a key in .env.local.
    std::fs::write(
        dir.join(".convex-auth/JWT_PRIVATE_KEY.pem"),
        private.replace(" MIIE", "\nMIIE"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join(".convex-auth/JWKS.json"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    let local =
        crate::support::text(&dir, ".env.local") + &format!("JWT_PRIVATE_KEY=\"{private}\"\n");
    std::fs::write(dir.join(".env.local"), local).unwrap();
    let (text, report) = doctor_json(&dir);
    let c = check(&report, "auth-keys").unwrap();
    assert_eq!(c["status"], "fail", "{text}");
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains("spans several lines") && message.contains("mode 0644"),
        "{message}"
    );
    let c = check(&report, "auth-dotenv").unwrap();
    assert_eq!(c["status"], "warn");
    assert!(c["message"]
        .as_str()
        .unwrap()
        .contains("JWT_PRIVATE_KEY in .env.local"));
    assert!(!text.contains(&body[..40]), "the doctor printed the key");
}

/// The app-side Convex Auth steps from `new`'s output, to its end.
fn auth_block(printed: &str) -> String {
    let start = printed
        .find("Convex Auth (auth=convex-auth)")
        .unwrap_or_else(|| panic!("no Convex Auth steps:\n{printed}"));
    printed[start..].to_owned()
}

/// Switching auth on later prints the same app-side steps `new` prints, and
/// their pointer to the files' contents names a section that exists, in a
/// place a user who installed from npm can read (not a README they lack).
#[test]
fn upgrade_to_convex_auth_prints_the_app_steps_new_prints() {
    let sb = Sandbox::new();
    let with_auth = sb.path("with-auth");
    let out = bin()
        .args(["new", "--yes", "--set", "auth=convex-auth"])
        .arg(&with_auth)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let from_new = auth_block(&String::from_utf8_lossy(&out.stdout));

    let later = sb.new_project("later", &[]);
    let out = bin()
        .args(["upgrade", "--set", "auth=convex-auth"])
        .arg(&later)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let from_upgrade = auth_block(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(from_upgrade, from_new);
    for needed in [
        "@convex-dev/auth@0.0.95",
        "convex/auth.config.ts",
        "convex/auth.ts",
        "convex/http.ts",
        "convex/schema.ts",
        "ConvexAuthProvider",
    ] {
        assert!(from_upgrade.contains(needed), "{needed}:\n{from_upgrade}");
    }
    // The pointer: docs/database-and-auth.md's section, also online.
    assert!(!from_new.contains("README.md"), "{from_new}");
    let section = "\"Convex Auth in your app\"";
    assert!(
        from_new.contains(&format!("docs/database-and-auth.md, {section}")),
        "{from_new}"
    );
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/database-and-auth.md"),
    )
    .unwrap();
    assert!(doc.contains("\n## Convex Auth in your app\n"));
    assert!(
        from_new.contains(&format!(
            "{}/blob/main/docs/database-and-auth.md#convex-auth-in-your-app",
            env!("CARGO_PKG_REPOSITORY")
        )),
        "{from_new}"
    );

    // Unchanged auth prints no steps again.
    let out = bin()
        .args(["upgrade", "--set", "storage=local"])
        .arg(&with_auth)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Convex Auth (auth=convex-auth)"));
}
