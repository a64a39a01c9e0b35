//! The Coder workspace template (`coder/`): the shared `convex.tf`, the
//! platform's `main.tf`, README, start-up scripts, and `project/` — a copy of
//! the project's runtime files that the template ships into workspaces whose
//! repository has none (file names there never start with '.', since
//! `coder templates push` drops hidden files).

use anyhow::Result;
use minijinja::Environment;

use crate::answers::Platform;
use crate::project::Context;
use crate::render;
use crate::tree::{Policy, Tree};

/// Project files bundled into the template, and their name in `coder/project/`.
pub const BUNDLED: &[(&str, &str)] = &[
    ("docker-compose.yml", "docker-compose.yml"),
    (".env.docker.example", "env.docker.example"),
    (".gitignore", "gitignore"),
    (".npmrc", "npmrc"),
    ("package.json", "package.json"),
    ("convex/health.ts", "convex/health.ts"),
    ("scripts/convex-common.sh", "scripts/convex-common.sh"),
    ("scripts/convex-config.sh", "scripts/convex-config.sh"),
    ("scripts/convex-up.sh", "scripts/convex-up.sh"),
    ("scripts/convex-deploy.sh", "scripts/convex-deploy.sh"),
    ("scripts/convex-reset.sh", "scripts/convex-reset.sh"),
    ("scripts/convex-auth.sh", "scripts/convex-auth.sh"),
];

/// The `module` block that adds the rendered module, copied into the host
/// template's folder as `modules/convex/`, to a template whose agent is
/// `coder_agent.<agent_name>` (the module's README shows the same lines).
/// Without a wildcard domain it shows, commented out, the line that gives
/// the apps public URLs.
pub fn module_block(answers: &crate::answers::Answers) -> String {
    let hcl = crate::escape::hcl_string;
    // agent_name is validated as a Terraform name ([a-z0-9-]).
    let agent = &answers.agent_name;
    let mut out = String::from("module \"convex\" {\n");
    out.push_str("  count       = data.coder_workspace.me.start_count\n");
    out.push_str("  source      = \"./modules/convex\"\n");
    out.push_str(&format!("  agent_id    = coder_agent.{agent}.id\n"));
    out.push_str(&format!("  agent_name  = {}\n", hcl(agent)));
    out.push_str(&format!(
        "  project_dir = {}\n",
        hcl(&format!("/home/coder/{}", answers.name))
    ));
    out.push_str("  bundle_dir  = \"${path.module}/modules/convex/project\"\n");
    if !answers.git_url.is_empty() {
        out.push_str(&format!("  git_url     = {}\n", hcl(&answers.git_url)));
    }
    // After a blank line: terraform fmt aligns the '=' of the lines above
    // as one group, and this longer name as another.
    if answers.wildcard_domain.is_empty() {
        out.push_str(NO_WILDCARD_LINES);
    } else {
        out.push_str(&format!(
            "\n  wildcard_domain = {}\n",
            hcl(&answers.wildcard_domain)
        ));
    }
    out.push_str("}\n");
    out
}

/// The commented-out `wildcard_domain` line of [`module_block`] when the
/// module was rendered without one (the module's README has the same text).
pub const NO_WILDCARD_LINES: &str =
    "\n  # No wildcard_domain: the apps use http://127.0.0.1 URLs, reached only\n  \
     # through `coder port-forward`. For public URLs, uncomment and set it to\n  \
     # CODER_WILDCARD_ACCESS_URL without the scheme:\n  \
     # wildcard_domain = \"*.coder.example.com\"\n";

/// What `coder DIR --module` prints after the block when it was rendered
/// without a wildcard domain.
pub fn no_wildcard_note() -> &'static str {
    "\nNo wildcard_domain: the Convex apps use http://127.0.0.1 URLs inside the workspace, reachable from \
     your machine only through `coder port-forward <workspace> --tcp 3210,3211,6791`. For public subdomain \
     URLs, add this line to the block above (your CODER_WILDCARD_ACCESS_URL without the scheme), or render \
     again with --set wildcard_domain=...:\n  \
     wildcard_domain = \"*.coder.example.com\"\n"
}

/// The `coder templates push` command for a rendered template folder (the
/// template's README lists every variable).
pub fn push_command(
    template_name: &str,
    answers: &crate::answers::Answers,
    folder: &std::path::Path,
) -> String {
    let folder = folder.display().to_string();
    let folder = crate::escape::shell_word(&folder).unwrap_or(folder);
    let mut command = format!("coder templates push {template_name} -d {folder}");
    if !answers.wildcard_domain.is_empty() {
        command.push_str(&format!(
            " --var wildcard_domain='{}'",
            answers.wildcard_domain
        ));
    }
    if answers.platform == Platform::Kubernetes {
        command.push_str(" --var namespace=<namespace>");
    }
    command.push_str(" -y");
    command
}

/// The Convex Terraform module (`main.tf`, `README.md`, `scripts/`) into
/// `folder` of `tree`.
pub fn add_module(
    tree: &mut Tree,
    env: &Environment<'static>,
    ctx: &Context,
    folder: &str,
) -> Result<()> {
    for (template, output) in [
        ("coder/module/main.tf.j2", "main.tf"),
        ("coder/module/README.md.j2", "README.md"),
    ] {
        let text = env
            .get_template(template)?
            .render(minijinja::value::Serde(ctx))?;
        tree.insert(format!("{folder}/{output}"), text, 0o644, Policy::Managed);
    }
    for (path, contents) in render::files_under("coder/scripts") {
        let name = path.strip_prefix("coder/").unwrap_or(path);
        tree.insert(format!("{folder}/{name}"), contents, 0o755, Policy::Managed);
    }
    Ok(())
}

/// Adds `coder/…` to `tree`, which already holds the project files to bundle.
pub fn add(tree: &mut Tree, env: &Environment<'static>, ctx: &Context) -> Result<()> {
    let platform_template = match ctx.platform {
        Platform::Docker => "coder/docker.tf.j2",
        Platform::Kubernetes => "coder/kubernetes.tf.j2",
    };
    for (template, output) in [
        ("coder/convex.tf.j2", "coder/convex.tf"),
        (platform_template, "coder/main.tf"),
        ("coder/README.md.j2", "coder/README.md"),
        ("coder/publish.sh.j2", "coder/publish.sh"),
    ] {
        let text = env
            .get_template(template)?
            .render(minijinja::value::Serde(ctx))?;
        let mode = if output.ends_with(".sh") {
            0o755
        } else {
            0o644
        };
        tree.insert(output, text, mode, Policy::Managed);
    }
    add_module(tree, env, ctx, "coder/modules/convex")?;
    for (source, bundled) in BUNDLED {
        let entry = tree
            .get(source)
            .unwrap_or_else(|| panic!("{source} is rendered before the bundle"))
            .clone();
        tree.insert(
            format!("coder/project/{bundled}"),
            entry.contents,
            entry.mode,
            Policy::Managed,
        );
    }
    // The frontend starter, when rendered, travels too: the start_frontend
    // parameter runs its dev server in workspaces without git_url. Not when
    // the project was rendered with a git_url: the bundle adds every file a
    // checkout lacks, and the starter must not land in that repository.
    let starter = if ctx.git_url.is_empty() {
        crate::outputs::starter::paths(ctx.frontend)
    } else {
        Vec::new()
    };
    for path in starter {
        if let Some(entry) = tree.get(&path).cloned() {
            tree.insert(
                format!("coder/project/{path}"),
                entry.contents,
                entry.mode,
                Policy::Managed,
            );
        }
    }
    Ok(())
}
