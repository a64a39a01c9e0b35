//! The Convex Terraform module alone (`coder DIR --module`, issue 21): what
//! it writes, its variables, its README's usage block, and that block added
//! to a template we did not write (tests/fixtures/coder-docker, assembled by
//! its `assemble` script: one agent, two agents, a stopped workspace). The
//! real-tool validation of the assembled templates is in .ci/run, the start
//! in a simulated workspace in e2e scenario 72.

use std::collections::BTreeSet;
use std::path::Path;

use hcl::{Block, Body, Expression};

use convex_scaffold::answers;

use crate::support::*;

fn blocks(text: &str) -> Vec<Block> {
    hcl::parse(text)
        .unwrap_or_else(|e| panic!("does not parse as HCL: {e}\n{text}"))
        .blocks()
        .cloned()
        .collect()
}

fn attr<'a>(body: &'a Body, name: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|a| a.key() == name)
        .map(|a| a.expr())
}

/// The ```tf block of a README.
fn usage_block(readme: &str) -> String {
    let (_, rest) = readme.split_once("```tf\n").expect("a ```tf block");
    let (block, _) = rest.split_once("```\n").expect("closing ```");
    block.to_owned()
}

fn render_module(sb: &Sandbox, rel: &str, args: &[&str]) -> (std::path::PathBuf, String) {
    let dir = sb.path(rel);
    let out = bin()
        .arg("coder")
        .arg(&dir)
        .args(["--module", "--yes"])
        .args(args)
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    (dir, stdout)
}

#[test]
fn coder_module_writes_the_module_its_readme_and_the_lines_to_paste() {
    let sb = Sandbox::new();
    let (dir, stdout) = render_module(
        &sb,
        "acme-convex",
        &["--set", "git_url=https://github.com/acme/app.git"],
    );
    let files = read_tree(&dir);
    let names: BTreeSet<&str> = files.keys().map(String::as_str).collect();
    for want in [
        "main.tf",
        "README.md",
        "scripts/convex-start.sh",
        "scripts/convex-stop.sh",
        "scripts/dockerd-start.sh",
        "project/docker-compose.yml",
        "project/package.json",
        "project/scripts/convex-up.sh",
    ] {
        assert!(names.contains(want), "{want} missing: {names:?}");
    }
    // Only the module: no host template, no project files outside project/.
    for not in [
        "convex.tf",
        "modules/convex/main.tf",
        "package.json",
        ".env.docker",
    ] {
        assert!(!names.contains(not), "{not} written");
    }
    assert!(
        names
            .iter()
            .all(|n| !n.split('/').any(|p| p.starts_with('.'))),
        "a hidden file (coder templates push drops it): {names:?}"
    );
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("scripts/convex-start.sh")), 0o755);

    // What it prints is the README's block, and names the agent and folder.
    let readme = text(&dir, "README.md");
    let block = usage_block(&readme);
    assert!(
        stdout.contains(&block),
        "stdout lacks the README block:\n{stdout}\n{block}"
    );
    let call = blocks(&block);
    assert_eq!(call.len(), 1);
    let body = call[0].body();
    assert_eq!(call[0].identifier(), "module");
    for (name, value) in [
        ("source", r#""./modules/convex""#),
        ("count", "data.coder_workspace.me.start_count"),
        ("agent_id", "coder_agent.main.id"),
        ("agent_name", r#""main""#),
        ("project_dir", r#""/home/coder/acme-convex""#),
        ("bundle_dir", r#""${path.module}/modules/convex/project""#),
        ("git_url", r#""https://github.com/acme/app.git""#),
    ] {
        assert_eq!(
            attr(body, name).map(|e| e.to_string()).as_deref(),
            Some(value),
            "module argument {name}"
        );
    }

    // Registry conventions: front matter, a usage block, what the host needs.
    let front = readme
        .strip_prefix("---\n")
        .and_then(|r| r.split_once("\n---\n"))
        .expect("README front matter")
        .0;
    let front = parse_yaml(front);
    for key in ["display_name", "description", "icon", "tags"] {
        assert!(!front[key].is_null(), "front matter {key}");
    }
    for need in [
        "Docker inside the workspace",
        "Node.js",
        "home volume",
        "start_docker",
    ] {
        assert!(readme.contains(need), "README lacks {need:?}");
    }

    // Every variable has a type and a description; every argument the
    // README passes is a variable; the required ones are passed.
    let module = blocks(&text(&dir, "main.tf"));
    let vars: Vec<&Block> = module
        .iter()
        .filter(|b| b.identifier() == "variable")
        .collect();
    for v in &vars {
        let name = v.labels()[0].as_str();
        assert!(attr(v.body(), "type").is_some(), "variable {name} type");
        let desc = attr(v.body(), "description")
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(desc.len() > 20, "variable {name} description");
        assert!(
            readme.contains(&format!("`{name}`")),
            "README's table lacks {name}"
        );
    }
    let declared: BTreeSet<&str> = vars.iter().map(|v| v.labels()[0].as_str()).collect();
    for a in body.attributes() {
        assert!(
            ["source", "count"].contains(&a.key()) || declared.contains(a.key()),
            "the README passes {} which the module does not declare",
            a.key()
        );
    }
    for v in &vars {
        if attr(v.body(), "default").is_none() {
            let name = v.labels()[0].as_str();
            assert!(
                attr(body, name).is_some(),
                "the README omits required {name}"
            );
        }
    }
}

/// New-user report, Role 2 item 1 and 5: the printed block and the README
/// name the agent of `--set agent_name=…` (not always `main`), and a module
/// rendered without a wildcard domain says its apps get 127.0.0.1 URLs and
/// shows the line to add; with one, the block passes it.
#[test]
fn module_block_names_the_chosen_agent_and_the_wildcard_domain() {
    let sb = Sandbox::new();
    let (dir, stdout) = render_module(
        &sb,
        "dev-agent",
        &["--set", "agent_name=dev", "--set", "name=my-app"],
    );
    let readme = text(&dir, "README.md");
    let block = usage_block(&readme);
    assert!(
        stdout.contains(&block),
        "stdout lacks the README block:\n{stdout}"
    );
    let call = blocks(&block);
    let body = call[0].body();
    assert_eq!(
        attr(body, "agent_id").map(|e| e.to_string()).as_deref(),
        Some("coder_agent.dev.id")
    );
    assert_eq!(
        attr(body, "agent_name").map(|e| e.to_string()).as_deref(),
        Some(r#""dev""#)
    );
    assert!(
        !block.contains("coder_agent.main") && !block.contains(r#""main""#),
        "{block}"
    );
    assert!(readme.contains("coder_agent.dev`"), "{readme}");
    // No wildcard domain: not passed, but the line to add is shown, and
    // both the output and the README say what that means.
    assert!(attr(body, "wildcard_domain").is_none(), "{block}");
    assert!(
        block.contains("# wildcard_domain = \"*.coder.example.com\""),
        "{block}"
    );
    let after = stdout.split_once(&block).unwrap().1;
    for want in [
        "No wildcard_domain",
        "http://127.0.0.1",
        "coder port-forward",
        "wildcard_domain = \"*.coder.example.com\"",
    ] {
        assert!(after.contains(want), "output lacks {want:?}:\n{stdout}");
    }
    assert!(readme.contains("coder port-forward <workspace> --tcp 3210,3211,6791"));

    let (dir, stdout) = render_module(
        &sb,
        "with-wildcard",
        &["--set", "wildcard_domain=*.coder.example.com"],
    );
    let block = usage_block(&text(&dir, "README.md"));
    assert!(stdout.contains(&block), "{stdout}");
    let call = blocks(&block);
    assert_eq!(
        attr(call[0].body(), "wildcard_domain")
            .map(|e| e.to_string())
            .as_deref(),
        Some(r#""*.coder.example.com""#)
    );
    assert!(!stdout.contains("No wildcard_domain"), "{stdout}");
    assert!(!text(&dir, "README.md").contains("Rendered without a wildcard domain"));
}

/// New-user report, Role 2 item 4: with a git_url the workspace clones the
/// team's app and the bundle adds every file the checkout lacks, so the
/// module's bundle must not carry the Vite starter (it would be added to
/// their repository). Without a git_url the starter is the app it starts.
#[test]
fn module_with_git_url_bundles_no_frontend_starter() {
    let sb = Sandbox::new();
    let starter = [
        "project/index.html",
        "project/src/App.tsx",
        "project/src/main.tsx",
        "project/vite.config.ts",
        "project/tsconfig.json",
    ];
    let (dir, _) = render_module(
        &sb,
        "with-git",
        &["--set", "git_url=https://github.com/acme/app.git"],
    );
    let files = read_tree(&dir);
    for path in starter {
        assert!(!files.contains_key(path), "{path} bundled with a git_url");
    }
    for path in [
        "project/package.json",
        "project/docker-compose.yml",
        "project/convex/health.ts",
        "project/scripts/convex-up.sh",
    ] {
        assert!(files.contains_key(path), "{path} missing");
    }
    let readme = text(&dir, "README.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(readme.contains("bundles no frontend starter"), "{readme}");

    let (dir, _) = render_module(&sb, "without-git", &[]);
    let files = read_tree(&dir);
    for path in starter {
        assert!(files.contains_key(path), "{path} missing without a git_url");
    }

    // The whole template's copy follows the same rule.
    let project = sb.new_project(
        "whole",
        &["--set", "git_url=https://github.com/acme/app.git"],
    );
    assert!(
        project.join("index.html").is_file(),
        "the project keeps its starter"
    );
    for path in starter {
        assert!(!project.join("coder").join(path).exists(), "coder/{path}");
    }
    assert!(project.join("coder/project/package.json").is_file());
}

/// The module's agent_name and project_dir validations agree with the
/// answers they mirror.
#[test]
fn module_validations_agree_with_the_answers() {
    let sb = Sandbox::new();
    let (dir, _) = render_module(&sb, "m", &[]);
    let module = blocks(&text(&dir, "main.tf"));
    let regex_of = |var: &str| -> regex::Regex {
        let b = module
            .iter()
            .find(|b| b.identifier() == "variable" && b.labels()[0].as_str() == var)
            .unwrap_or_else(|| panic!("variable {var}"));
        let validation = b
            .body()
            .blocks()
            .find(|b| b.identifier() == "validation")
            .unwrap();
        let cond = attr(validation.body(), "condition").unwrap().to_string();
        let (_, rest) = cond.split_once("regex(").expect("a regex()");
        let (lit, _) = rest
            .split_once(&format!(", var.{var})"))
            .expect("regex literal");
        let body = hcl::parse(&format!("x = {lit}\n")).unwrap();
        let re = match attr(&body, "x") {
            Some(Expression::String(s)) => s.clone(),
            other => panic!("a string literal: {other:?}"),
        };
        regex::Regex::new(&re).unwrap()
    };
    let agent = regex_of("agent_name");
    for name in [
        "main",
        "dev",
        "a",
        "a-b",
        "a1-b2-c3",
        "Main",
        "1main",
        "main-",
        "ma--in",
        "ma_in",
        "",
        "abcdefghijklmnopqrstuvwxyzabcdef",
        "abcdefghijklmnopqrstuvwxyzabcdefg",
        "a.b",
    ] {
        assert_eq!(
            agent.is_match(name) && name.len() <= 32,
            answers::validate_agent_name(name).is_ok(),
            "agent_name {name:?}"
        );
    }
    let dir_re = regex_of("project_dir");
    for (path, ok) in [
        ("/home/coder/app", true),
        ("/home/coder/my.app-1", true),
        ("home/coder/app", false),
        ("~/app", false),
        ("/home/coder/app/", false),
        ("/home/coder/my app", false),
        ("/home/coder/$app", false),
        ("/home/coder/'app", false),
    ] {
        assert_eq!(dir_re.is_match(path), ok, "project_dir {path:?}");
    }
}

fn assemble(sb: &Sandbox, variant: &str) -> std::path::PathBuf {
    let out = sb.path(variant);
    let status = std::process::Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coder-docker/assemble"))
        .arg(assert_cmd::cargo::cargo_bin("convex-scaffold"))
        .arg(&out)
        .arg(variant)
        .status()
        .unwrap();
    assert!(status.success(), "assemble {variant}");
    out
}

/// The fixture in the shape of Coder's docker template plus the README's
/// lines: one agent, two agents (one module each), and count = 0.
#[test]
fn the_readme_lines_fit_a_template_we_did_not_write() {
    let sb = Sandbox::new();
    for (variant, agents) in [("one", 1), ("two-agents", 2), ("stopped", 1)] {
        let dir = assemble(&sb, variant);
        let main = blocks(&text(&dir, "main.tf"));
        let agent_names: BTreeSet<String> = main
            .iter()
            .filter(|b| b.identifier() == "resource" && b.labels()[0].as_str() == "coder_agent")
            .map(|b| b.labels()[1].as_str().to_owned())
            .collect();
        let calls: Vec<&Block> = main.iter().filter(|b| b.identifier() == "module").collect();
        assert_eq!(calls.len(), agents, "{variant}: module calls");
        let mut seen = BTreeSet::new();
        for call in &calls {
            let body = call.body();
            let name = attr(body, "agent_name").unwrap().to_string();
            let name = name.trim_matches('"');
            assert!(agent_names.contains(name), "{variant}: agent {name}");
            assert_eq!(
                attr(body, "agent_id").unwrap().to_string(),
                format!("coder_agent.{name}.id"),
                "{variant}: agent_id and agent_name name one agent"
            );
            assert!(seen.insert(name.to_owned()), "{variant}: {name} twice");
            let count = attr(body, "count").unwrap().to_string();
            let want = if variant == "stopped" {
                "0"
            } else {
                "data.coder_workspace.me.start_count"
            };
            assert_eq!(count, want, "{variant}: count");
        }
        assert!(dir
            .join("modules/convex/project/docker-compose.yml")
            .is_file());
    }
}

/// Projects from before the `ide_modules` key get no registry module from an
/// upgrade (an air-gapped server would refuse the push); new ones have them
/// unless `ide_modules=false`.
#[test]
fn ide_modules_default_on_for_new_projects_and_off_for_older_state() {
    let sb = Sandbox::new();
    let dir = sb.new_project("p", &[]);
    let tf = text(&dir, "coder/convex.tf");
    assert!(tf.contains("registry.coder.com/coder/code-server/coder"));
    assert!(tf.contains("registry.coder.com/coder/jetbrains/coder"));
    let state = text(&dir, "convex-scaffold.toml");
    assert!(state.contains("ide_modules = true\n"), "{state}");
    std::fs::write(
        dir.join("convex-scaffold.toml"),
        state.replace("ide_modules = true\n", ""),
    )
    .unwrap();
    bin().arg("upgrade").arg(&dir).assert().success();
    assert!(!text(&dir, "coder/convex.tf").contains("registry.coder.com"));
    assert!(text(&dir, "convex-scaffold.toml").contains("ide_modules = false\n"));
    let off = sb.new_project("q", &["--set", "ide_modules=false"]);
    assert!(!text(&off, "coder/convex.tf").contains("registry.coder.com"));
}
