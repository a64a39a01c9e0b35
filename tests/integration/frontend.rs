//! The frontend starters (issue 13): what `new` renders for each frontend,
//! what it leaves alone in a folder that has its own app, and how `upgrade`
//! treats the starter's files. The real install, build and browser run are in
//! tests/e2e/frontend/run.sh.

use std::path::Path;

use convex_scaffold::state::Base;
use serde_json::Value;

use crate::support::*;

const VITE_FILES: &[&str] = &[
    "index.html",
    "src/main.tsx",
    "src/App.tsx",
    "src/convexApi.ts",
    "src/vite-env.d.ts",
    "vite.config.ts",
    "tsconfig.json",
];
const NEXT_FILES: &[&str] = &[
    "app/layout.tsx",
    "app/page.tsx",
    "app/ConvexClientProvider.tsx",
    "app/convexApi.ts",
    "next.config.ts",
    "tsconfig.json",
];

fn json(dir: &Path, rel: &str) -> Value {
    serde_json::from_str(&text(dir, rel)).expect("valid JSON")
}

fn run(args: &[&str], dir: &Path) -> std::process::Output {
    bin().args(args).arg(dir).output().expect("runs")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn status_of(out: &str, path: &str) -> Option<String> {
    out.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(path))
        .and_then(|l| l.split_whitespace().next())
        .map(str::to_owned)
}

fn assert_exact_pins(pkg: &Value, names: &[&str]) {
    for name in names {
        let version = pkg["dependencies"][name]
            .as_str()
            .or_else(|| pkg["devDependencies"][name].as_str())
            .unwrap_or_else(|| panic!("{name} is not a dependency: {pkg}"));
        assert!(
            semver::Version::parse(version).is_ok(),
            "{name} is pinned to {version:?}, not one exact version"
        );
    }
}

/// The frontend port the devcontainer forwards besides Convex's three.
fn devcontainer_frontend_ports(dir: &Path) -> Vec<u64> {
    json(dir, ".devcontainer/devcontainer.json")["forwardPorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap())
        .filter(|p| ![3210, 3211, 6791].contains(p))
        .collect()
}

#[test]
fn vite_starter_reads_its_url_listens_where_the_ports_point_and_is_pinned() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    for file in VITE_FILES {
        assert!(dir.join(file).is_file(), "{file} missing");
        // Bundled for workspaces without git_url (start_frontend).
        assert_eq!(
            text(&dir, &format!("coder/project/{file}")),
            text(&dir, file)
        );
    }
    for file in NEXT_FILES.iter().filter(|f| !VITE_FILES.contains(f)) {
        assert!(!dir.join(file).exists(), "{file} rendered for vite");
    }
    let main = text(&dir, "src/main.tsx");
    assert!(main.contains("new ConvexReactClient(url)"), "{main}");
    assert!(main.contains("import.meta.env.VITE_CONVEX_URL"), "{main}");
    assert!(main.contains("<ConvexProvider client={convex}>"), "{main}");
    let app = text(&dir, "src/App.tsx");
    assert!(app.contains("useQuery(api.health.ping)"), "{app}");
    assert!(text(&dir, "src/convexApi.ts").contains("\"health:ping\""));
    // The env variable the app reads is the one .env.local sets.
    let env = parse_dotenv(&text(&dir, ".env.local"));
    assert_eq!(env["VITE_CONVEX_URL"], env["CONVEX_SELF_HOSTED_URL"]);

    let config = text(&dir, "vite.config.ts");
    assert!(config.contains("host: \"0.0.0.0\""), "{config}");
    assert!(config.contains("strictPort: true"), "{config}");
    assert_eq!(devcontainer_frontend_ports(&dir), vec![5173]);
    assert!(config.contains("port: 5173,"), "{config}");
    assert!(text(&dir, "coder/modules/convex/main.tf").contains("frontend_port    = \"5173\""));
    // Behind Coder's subdomain proxy: the host the template exports is
    // allowed, and HMR connects to the proxy's port.
    for needle in [
        "process.env.CONVEX_SCAFFOLD_FRONTEND_HOST",
        "process.env.CONVEX_SCAFFOLD_FRONTEND_CLIENT_PORT",
        "allowedHosts: proxyHost ? [proxyHost] : []",
        "hmr: proxyHost ? { clientPort: proxyPort ?? 443 } : undefined",
    ] {
        assert!(config.contains(needle), "{needle} missing in {config}");
    }
    let tf = text(&dir, "coder/modules/convex/main.tf");
    assert!(tf.contains("CONVEX_SCAFFOLD_FRONTEND_HOST "), "{tf}");
    assert!(tf.contains("CONVEX_SCAFFOLD_FRONTEND_CLIENT_PORT "), "{tf}");

    let pkg = json(&dir, "package.json");
    assert_eq!(pkg["scripts"]["dev"], "vite");
    assert_eq!(pkg["scripts"]["build"], "vite build");
    assert_eq!(pkg["type"], "module");
    assert_exact_pins(
        &pkg,
        &[
            "convex",
            "vite",
            "@vitejs/plugin-react",
            "react",
            "react-dom",
            "typescript",
        ],
    );
    // The starter's tools need Node 20.19+, the default CLI 22.
    assert_eq!(pkg["engines"]["node"], ">=22");
    // The bundled package.json is the project's.
    assert_eq!(
        text(&dir, "coder/project/package.json"),
        text(&dir, "package.json")
    );
    // Every starter file is managed: in the merge base.
    let base = Base::read(&dir).unwrap();
    for file in VITE_FILES {
        assert!(base.files.contains_key(*file), "{file} not in the base");
    }
}

#[test]
fn nextjs_starter_uses_the_app_router_and_next_public_convex_url() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &["--set", "frontend=nextjs"]);
    for file in NEXT_FILES {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    for file in ["index.html", "vite.config.ts", "src/main.tsx"] {
        assert!(!dir.join(file).exists(), "{file} rendered for nextjs");
    }
    let provider = text(&dir, "app/ConvexClientProvider.tsx");
    assert!(provider.starts_with("\"use client\";"), "{provider}");
    assert!(provider.contains("process.env.NEXT_PUBLIC_CONVEX_URL"));
    assert!(text(&dir, "app/layout.tsx").contains("<ConvexClientProvider>"));
    assert!(text(&dir, "app/page.tsx").contains("useQuery(api.health.ping)"));
    let env = parse_dotenv(&text(&dir, ".env.local"));
    assert_eq!(env["NEXT_PUBLIC_CONVEX_URL"], env["CONVEX_SELF_HOSTED_URL"]);
    let pkg = json(&dir, "package.json");
    assert_eq!(
        pkg["scripts"]["dev"],
        "next dev --hostname 0.0.0.0 --port 3000"
    );
    assert_eq!(pkg["scripts"]["build"], "next build");
    assert_eq!(devcontainer_frontend_ports(&dir), vec![3000]);
    assert_exact_pins(
        &pkg,
        &["convex", "next", "react", "react-dom", "typescript"],
    );
    // The Coder template's copy of convex/ must not be type-checked as app code.
    let tsconfig = json(&dir, "tsconfig.json");
    let exclude: Vec<&str> = tsconfig["exclude"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for folder in ["node_modules", "convex", "coder"] {
        assert!(exclude.contains(&folder), "{exclude:?}");
    }
}

#[test]
fn frontend_none_renders_no_app_and_promises_none() {
    let sb = Sandbox::new();
    let dir = sb.path("app");
    let out = run(&["new", "--yes", "--set", "frontend=none"], &dir);
    assert!(out.status.success(), "{out:?}");
    for file in VITE_FILES.iter().chain(NEXT_FILES) {
        assert!(!dir.join(file).exists(), "{file} rendered for none");
    }
    let pkg = json(&dir, "package.json");
    for script in ["dev", "build"] {
        assert!(pkg["scripts"].get(script).is_none(), "{pkg}");
    }
    assert!(pkg.get("devDependencies").is_none(), "{pkg}");
    assert!(pkg["dependencies"].get("react").is_none(), "{pkg}");
    assert!(devcontainer_frontend_ports(&dir).is_empty());
    let readme = text(&dir, "coder/README.md");
    for promise in ["Frontend", "run dev", "5173", "3000", "start_frontend"] {
        assert!(!readme.contains(promise), "coder/README.md says {promise}");
    }
    let tf = text(&dir, "coder/convex.tf");
    assert!(!tf.contains("start_frontend"), "{tf}");
    let module = text(&dir, "coder/modules/convex/main.tf");
    assert!(module.contains("frontend_port    = \"\""), "{module}");
    assert!(!module.contains("CONVEX_START_FRONTEND"), "{module}");
    let printed = stdout(&out);
    assert!(!printed.contains("run dev"), "{printed}");
    assert!(!printed.contains("Frontend"), "{printed}");
}

#[test]
fn an_existing_frontend_gets_no_starter_only_the_env_and_package_json() {
    let sb = Sandbox::new();
    let dir = sb.path("app");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let user_pkg = "{\n  \"name\": \"mine\",\n  \"scripts\": { \"dev\": \"my-dev-server\" },\n  \"dependencies\": { \"react\": \"^18.3.1\" }\n}\n";
    std::fs::write(dir.join("package.json"), user_pkg).unwrap();
    std::fs::write(dir.join("index.html"), "<p>mine</p>\n").unwrap();
    std::fs::write(dir.join("src/main.jsx"), "console.log('mine');\n").unwrap();
    let out = run(&["new", "--yes", "--force"], &dir);
    assert!(out.status.success(), "{out:?}");
    let printed = stdout(&out);
    assert!(
        printed.contains("no vite starter app was added"),
        "{printed}"
    );
    assert!(printed.contains("\"react\" in dependencies"), "{printed}");
    assert!(!printed.contains("run dev"), "{printed}");
    // The user's app is untouched, nothing of the starter is added.
    assert_eq!(text(&dir, "index.html"), "<p>mine</p>\n");
    assert!(!dir.join("index.html.orig").exists());
    assert_eq!(text(&dir, "src/main.jsx"), "console.log('mine');\n");
    for file in VITE_FILES.iter().filter(|f| **f != "index.html") {
        assert!(!dir.join(file).exists(), "{file} added to the user's app");
        assert!(!dir.join(format!("coder/project/{file}")).exists());
    }
    let pkg = json(&dir, "package.json");
    assert_eq!(pkg["scripts"]["dev"], "my-dev-server");
    assert!(pkg["scripts"].get("build").is_none(), "{pkg}");
    assert!(pkg.get("devDependencies").is_none(), "{pkg}");
    assert_eq!(pkg["dependencies"]["react"], "^18.3.1");
    assert_eq!(pkg["dependencies"]["convex"], "1.51.0");
    // Only the env variable is wired.
    let env = parse_dotenv(&text(&dir, ".env.local"));
    assert_eq!(env["VITE_CONVEX_URL"], "http://127.0.0.1:3210");
    // And upgrade does not add the starter later either.
    let out = run(&["upgrade"], &dir);
    assert!(out.status.success(), "{out:?}");
    assert!(!dir.join("vite.config.ts").exists());
    assert!(!dir.join("src/App.tsx").exists());
    assert!(json(&dir, "package.json").get("devDependencies").is_none());
}

#[test]
fn a_frontend_file_alone_counts_as_an_existing_frontend() {
    let sb = Sandbox::new();
    let dir = sb.path("app");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("next.config.mjs"), "export default {};\n").unwrap();
    let out = run(
        &["new", "--yes", "--force", "--set", "frontend=nextjs"],
        &dir,
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).contains("`next.config.mjs`"),
        "{}",
        stdout(&out)
    );
    assert!(!dir.join("app/page.tsx").exists());
    assert!(!dir.join("next.config.ts").exists());
}

#[test]
fn new_force_over_its_own_starter_keeps_it_managed() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    let out = run(&["new", "--yes", "--force"], &dir);
    assert!(out.status.success(), "{out:?}");
    assert!(
        !stdout(&out).contains("no vite starter"),
        "{}",
        stdout(&out)
    );
    let base = Base::read(&dir).unwrap();
    assert!(base.files.contains_key("src/App.tsx"));
}

#[test]
fn upgrade_merges_the_starter_three_ways_and_deleted_files_stay_deleted() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    let app = text(&dir, "src/App.tsx");
    let main = text(&dir, "src/main.tsx");
    // An earlier version rendered App.tsx and main.tsx with another first
    // line; the user edited App.tsx at its end and left main.tsx alone.
    let mut base = Base::read(&dir).unwrap();
    let old_app = app.replacen("// Written by convex-scaffold", "// Old header", 1);
    let old_main = main.replacen("// Written by convex-scaffold", "// Old header", 1);
    assert_ne!(old_app, app);
    base.files.insert("src/App.tsx".into(), old_app.clone());
    base.files.insert("src/main.tsx".into(), old_main.clone());
    std::fs::write(dir.join(".convex-scaffold/base.toml"), base.to_toml()).unwrap();
    let edited = format!("{old_app}// my own line\n");
    std::fs::write(dir.join("src/App.tsx"), &edited).unwrap();
    std::fs::write(dir.join("src/main.tsx"), &old_main).unwrap();
    std::fs::remove_file(dir.join("vite.config.ts")).unwrap();

    let out = run(&["upgrade"], &dir);
    assert!(out.status.success(), "{out:?}");
    let report = stdout(&out);
    assert_eq!(status_of(&report, "src/App.tsx").as_deref(), Some("merged"));
    assert_eq!(
        status_of(&report, "src/main.tsx").as_deref(),
        Some("updated")
    );
    assert_eq!(
        status_of(&report, "vite.config.ts").as_deref(),
        Some("kept-deleted")
    );
    assert_eq!(text(&dir, "src/App.tsx"), format!("{app}// my own line\n"));
    assert_eq!(text(&dir, "src/main.tsx"), main);
    assert!(!dir.join("vite.config.ts").exists());
    // A second run changes nothing and still does not bring it back.
    let out = run(&["upgrade", "--check"], &dir);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(!dir.join("vite.config.ts").exists());
}

#[test]
fn upgrade_with_overlapping_starter_edits_writes_markers() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    let app = text(&dir, "src/App.tsx");
    let mut base = Base::read(&dir).unwrap();
    let old_app = app.replacen("// Written by convex-scaffold", "// Old header", 1);
    base.files.insert("src/App.tsx".into(), old_app.clone());
    std::fs::write(dir.join(".convex-scaffold/base.toml"), base.to_toml()).unwrap();
    std::fs::write(
        dir.join("src/App.tsx"),
        old_app.replacen("// Old header", "// My header", 1),
    )
    .unwrap();
    let out = run(&["upgrade"], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(
        status_of(&stdout(&out), "src/App.tsx").as_deref(),
        Some("conflict")
    );
    let merged = text(&dir, "src/App.tsx");
    assert!(merged.contains("<<<<<<< yours\n// My header"), "{merged}");
}

/// An existing Node app without a frontend (an Express server): adding
/// Convex wires Convex only. No starter, no react/vite, no `"type":
/// "module"` (which would break its `require`), and the output says why.
fn express_app(dir: &Path) -> &'static str {
    std::fs::create_dir_all(dir).unwrap();
    let user_pkg = "{\n  \"name\": \"api\",\n  \"scripts\": { \"dev\": \"node --watch index.js\" },\n  \"dependencies\": { \"express\": \"^4.19.0\" }\n}\n";
    std::fs::write(dir.join("package.json"), user_pkg).unwrap();
    std::fs::write(dir.join("package-lock.json"), "{\"lockfileVersion\": 3}\n").unwrap();
    std::fs::write(
        dir.join("index.js"),
        "const express = require('express');\n",
    )
    .unwrap();
    user_pkg
}

#[test]
fn an_existing_app_without_a_frontend_gets_convex_only() {
    let sb = Sandbox::new();
    let dir = sb.path("api");
    express_app(&dir);
    let out = run(&["new", "--yes", "--force"], &dir);
    assert!(out.status.success(), "{out:?}");
    let printed = stdout(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("frontend defaults to none"), "{said}");
    assert!(said.contains("--set frontend=vite"), "{said}");
    for file in VITE_FILES {
        assert!(!dir.join(file).exists(), "{file} added to the user's app");
    }
    let pkg = json(&dir, "package.json");
    assert!(pkg.get("type").is_none(), "{pkg}");
    assert!(pkg.get("devDependencies").is_none(), "{pkg}");
    assert!(pkg["dependencies"].get("react").is_none(), "{pkg}");
    assert!(pkg["scripts"].get("build").is_none(), "{pkg}");
    assert_eq!(pkg["scripts"]["dev"], "node --watch index.js");
    assert_eq!(pkg["dependencies"]["convex"], "1.51.0");
    assert!(!printed.contains("type: added"), "{printed}");
    assert!(!printed.contains("run dev"), "{printed}");
    assert!(!parse_dotenv(&text(&dir, ".env.local")).contains_key("VITE_CONVEX_URL"));
    let state = text(&dir, "convex-scaffold.toml");
    assert!(state.contains("frontend = \"none\""), "{state}");
}

#[test]
fn an_explicit_frontend_wins_over_the_existing_app_default() {
    let sb = Sandbox::new();
    let dir = sb.path("api");
    express_app(&dir);
    let out = run(&["new", "--yes", "--force", "--set", "frontend=vite"], &dir);
    assert!(out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("frontend defaults to none"));
    assert!(dir.join("vite.config.ts").exists());
    assert_eq!(json(&dir, "package.json")["type"], "module");
}

/// A Vite app that was on Convex cloud: its .env.local is kept (secrets are
/// never replaced), so `new` must not claim it wired the URL; it warns,
/// naming the keys (never their values) and the lines to put there instead.
#[test]
fn a_kept_cloud_env_local_is_warned_about_and_not_claimed_wired() {
    let sb = Sandbox::new();
    let dir = sb.path("web");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        "{\"name\":\"web\",\"dependencies\":{\"react\":\"^19.0.0\"},\"devDependencies\":{\"vite\":\"^6.0.0\"}}\n",
    )
    .unwrap();
    let env = "CONVEX_DEPLOYMENT=dev:happy-otter-123 # team: me\nVITE_CONVEX_URL=https://happy-otter-123.convex.cloud\n";
    std::fs::write(dir.join(".env.local"), env).unwrap();
    for dry in [true, false] {
        let args: &[&str] = if dry {
            &["new", "--yes", "--force", "--dry-run"]
        } else {
            &["new", "--yes", "--force"]
        };
        let out = run(args, &dir);
        assert!(out.status.success(), "{out:?}");
        let all = stdout(&out) + &String::from_utf8_lossy(&out.stderr);
        assert!(!all.contains("happy-otter"), "a value was printed:\n{all}");
        assert!(
            !all.contains("Only VITE_CONVEX_URL (in .env.local)"),
            "claims the URL was wired:\n{all}"
        );
        let warning = all
            .split("warning: your .env.local")
            .nth(1)
            .unwrap_or_else(|| panic!("no .env.local warning:\n{all}"));
        assert!(warning.contains("CONVEX_DEPLOYMENT is set"), "{warning}");
        assert!(
            warning.contains("VITE_CONVEX_URL is a Convex cloud URL"),
            "{warning}"
        );
        assert!(warning.contains("chmod 600 .env.local"), "{warning}");
        assert!(
            warning.contains("\n  CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\n"),
            "{warning}"
        );
        assert!(
            warning.contains("\n  CONVEX_SELF_HOSTED_ADMIN_KEY=\n"),
            "{warning}"
        );
        assert!(
            warning.contains("\n  VITE_CONVEX_URL=http://127.0.0.1:3210\n"),
            "{warning}"
        );
    }
    assert_eq!(text(&dir, ".env.local"), env, "the user's file changed");
}

/// A kept .env.local that already holds the self-hosted lines gets no
/// warning, and its admin key is never printed.
#[test]
fn a_kept_self_hosted_env_local_is_quiet_and_its_key_unprinted() {
    let sb = Sandbox::new();
    let dir = sb.path("web");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        "{\"name\":\"web\",\"dependencies\":{\"react\":\"^19.0.0\"}}\n",
    )
    .unwrap();
    let env = "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\nCONVEX_SELF_HOSTED_ADMIN_KEY=convex-self-hosted|0123456789abcdef\nVITE_CONVEX_URL=http://127.0.0.1:3210\n";
    std::fs::write(dir.join(".env.local"), env).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(
        dir.join(".env.local"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let out = run(&["new", "--yes", "--force"], &dir);
    assert!(out.status.success(), "{out:?}");
    let all = stdout(&out) + &String::from_utf8_lossy(&out.stderr);
    assert!(!all.contains("0123456789abcdef"), "{all}");
    assert!(!all.contains("warning: your .env.local"), "{all}");
    assert!(
        all.contains("Only VITE_CONVEX_URL (in .env.local) and package.json"),
        "{all}"
    );
}

/// The starter asked for in an app whose own `dev` script starts its
/// server: that script is kept, the starter's dev server gets
/// `dev:frontend`, and the printed next step names the script that serves it.
#[test]
fn the_frontend_step_names_the_script_that_starts_the_starter() {
    let sb = Sandbox::new();
    let dir = sb.path("api");
    express_app(&dir);
    let out = run(&["new", "--yes", "--force", "--set", "frontend=vite"], &dir);
    assert!(out.status.success(), "{out:?}");
    let pkg = json(&dir, "package.json");
    assert_eq!(pkg["scripts"]["dev"], "node --watch index.js");
    assert_eq!(pkg["scripts"]["dev:frontend"], "vite");
    let printed = stdout(&out);
    assert!(
        printed.contains("`npm run dev:frontend` serves it"),
        "{printed}"
    );
    assert!(!printed.contains("run dev`"), "{printed}");
    // The starter's scripts are not described as the convex ones.
    assert!(
        printed
            .contains("scripts: added dev:frontend, build, preview, typecheck (the starter app's"),
        "{printed}"
    );

    // A fresh project keeps `dev` for the starter, and says so.
    let fresh = sb.path("fresh");
    let out = run(&["new", "--yes"], &fresh);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(json(&fresh, "package.json")["scripts"]["dev"], "vite");
    assert!(json(&fresh, "package.json")["scripts"]
        .get("dev:frontend")
        .is_none());
    assert!(stdout(&out).contains("`pnpm run dev` serves it"));
}

/// Dropping the starter (`upgrade --set frontend=none`) removes its files;
/// the package.json entries it added stay (the app may use them) and the
/// output names each one, but not the user's own or the convex ones.
#[test]
fn upgrade_to_no_frontend_names_the_starter_entries_left_in_package_json() {
    let sb = Sandbox::new();
    let dir = sb.new_project("app", &[]);
    let mut pkg = json(&dir, "package.json");
    pkg["dependencies"]["left-pad"] = "1.3.0".into();
    std::fs::write(dir.join("package.json"), pkg.to_string()).unwrap();
    let out = run(&["upgrade", "--set", "frontend=none"], &dir);
    assert!(out.status.success(), "{out:?}");
    assert!(!dir.join("vite.config.ts").exists());
    let printed = stdout(&out);
    let line = printed
        .lines()
        .find(|l| l.starts_with("frontend changed vite -> none"))
        .unwrap_or_else(|| panic!("no note on package.json:\n{printed}"));
    for entry in [
        "type \"module\"",
        "scripts.dev",
        "scripts.build",
        "dependencies.react",
        "devDependencies.vite",
        "devDependencies.@vitejs/plugin-react",
    ] {
        assert!(line.contains(entry), "{entry}: {line}");
    }
    for not in ["left-pad", "convex", "engines"] {
        assert!(!line.contains(not), "{not}: {line}");
    }
    // What it names is really still there.
    let pkg = json(&dir, "package.json");
    assert_eq!(pkg["type"], "module");
    assert!(pkg["devDependencies"].get("vite").is_some());
}

/// Without a terminal and without --yes, `new` lists what it would ask:
/// the frontend, with this folder's default.
#[test]
fn without_a_terminal_the_listed_frontend_default_is_none_for_such_an_app() {
    let sb = Sandbox::new();
    let dir = sb.path("api");
    express_app(&dir);
    let out = run(&["new", "--force"], &dir);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("  frontend [default: \"none\"]"), "{said}");
}
