//! Renders a whole project in memory: answers → [`Tree`]. Nothing here
//! touches the disk; `new`, `coder` and `upgrade` decide what to do with it.

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::answers::{
    Answers, AppShare, Auth, Database, DockerRuntime, Frontend, PackageManager, Platform, Storage,
};
use crate::backend_features;
use crate::outputs::{coder, devcontainer, gitignore, package_json, starter};
use crate::pins;
use crate::render;
use crate::state::{Base, State, BASE_FILE, STATE_FILE};
use crate::tree::{Policy, Tree};

/// What every template sees. Strings only (see `render::format_value`).
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub tool_version: String,
    pub name: String,
    pub package_manager: PackageManager,
    pub frontend: Frontend,
    pub storage: Storage,
    pub database: Database,
    /// The database service's pinned image; "" with sqlite.
    pub database_image: String,
    /// An external database server (`database_url`); "" for the bundled one.
    pub database_url: String,
    /// POSTGRES_URL, MYSQL_URL, or "" with sqlite.
    pub database_url_var: String,
    pub auth: Auth,
    pub platform: Platform,
    pub convex_version: String,
    pub backend_image: String,
    pub dashboard_image: String,
    pub agent_name: String,
    pub wildcard_domain: String,
    pub docker_runtime: DockerRuntime,
    pub app_share: AppShare,
    pub workspace_image: String,
    pub git_url: String,
    pub s3_endpoint_url: String,
    pub s3_region: String,
    pub s3_bucket_prefix: String,
    pub s3_force_path_style: String,
    /// "true" when the backend gets AWS_S3_DISABLE_SSE/AWS_S3_DISABLE_CHECKSUMS
    /// (an S3-compatible endpoint on a release that reads them).
    pub s3_compat_switches: String,
    /// The pinned backend's row date ("" when pins.toml does not know it).
    pub backend_date: String,
    /// `VITE_CONVEX_URL`, `NEXT_PUBLIC_CONVEX_URL`, or "" without a frontend.
    pub frontend_url_var: String,
    /// "5173", "3000", or "".
    pub frontend_port: String,
    pub cloud_origin: String,
    pub site_origin: String,
    pub dashboard_url: String,
    /// 64 hex characters in `.env.docker`; "" in the committed example.
    pub instance_secret: String,
    /// The bundled database's password in `.env.docker` (64 hex characters,
    /// URL-safe); "" in the committed example and without a database service.
    pub database_password: String,
    pub node_major: String,
    /// "true": code-server and JetBrains registry modules in the template.
    pub ide_modules: String,
}

impl Context {
    pub fn new(answers: &Answers) -> Self {
        let node_major = pins::data().node_major(&answers.convex_version);
        Context {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            name: answers.name.clone(),
            package_manager: answers.package_manager,
            frontend: answers.frontend,
            storage: answers.storage,
            database: answers.database,
            database_image: answers.database.image().unwrap_or("").to_owned(),
            database_url: answers.database_url.clone(),
            database_url_var: answers.database.url_var().unwrap_or("").to_owned(),
            auth: answers.auth,
            platform: answers.platform,
            convex_version: answers.convex_version.to_string(),
            backend_image: answers.backend_image.clone(),
            dashboard_image: answers.dashboard_image.clone(),
            agent_name: answers.agent_name.clone(),
            wildcard_domain: answers.wildcard_domain.clone(),
            docker_runtime: answers.docker_runtime,
            app_share: answers.convex_app_share,
            workspace_image: answers.workspace_image.clone(),
            git_url: answers.git_url.clone(),
            s3_endpoint_url: answers.s3_endpoint_url.clone(),
            s3_region: answers.s3_region.clone(),
            s3_bucket_prefix: answers.s3_bucket_prefix.clone(),
            s3_force_path_style: answers.s3_force_path_style.to_string(),
            s3_compat_switches: (!answers.s3_endpoint_url.is_empty()
                && backend_features::has_s3_compat_switches(backend_features::backend_date(
                    answers,
                )))
            .to_string(),
            backend_date: backend_features::backend_date(answers)
                .unwrap_or("")
                .to_owned(),
            frontend_url_var: answers.frontend.url_var().unwrap_or("").to_owned(),
            frontend_port: answers
                .frontend
                .dev_port()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            cloud_origin: "http://127.0.0.1:3210".into(),
            site_origin: "http://127.0.0.1:3211".into(),
            dashboard_url: "http://127.0.0.1:6791".into(),
            instance_secret: String::new(),
            database_password: String::new(),
            node_major: node_major.to_string(),
            ide_modules: answers.ide_modules.to_string(),
        }
    }
}

/// 32 bytes from the OS CSPRNG as 64 lowercase hex characters.
pub fn generate_instance_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn mode_for(path: &str) -> u32 {
    if path.starts_with("scripts/")
        && path.ends_with(".sh")
        && !path.ends_with("-common.sh")
        && !path.ends_with("-config.sh")
    {
        0o755
    } else {
        0o644
    }
}

/// Renders every project file, the frontend starter included (see
/// [`render_with`]).
pub fn render(answers: &Answers, instance_secret: Option<&str>) -> Result<Tree> {
    render_with(answers, instance_secret, true)
}

/// Renders every project file. `instance_secret` goes into `.env.docker`
/// only; pass `None` to leave the secret files out (upgrade never rewrites
/// them). With `with_starter`, the chosen frontend's starter app and its
/// scripts and dependencies in package.json (nothing for `frontend=none`).
pub fn render_with(
    answers: &Answers,
    instance_secret: Option<&str>,
    with_starter: bool,
) -> Result<Tree> {
    let env = render::environment()?;
    let ctx = Context::new(answers);
    let node_major = pins::data().node_major(&answers.convex_version);
    let mut tree = Tree::default();

    for (path, contents) in render::files_under("project") {
        let rel = path.strip_prefix("project/").expect("under project/");
        if rel.starts_with("starters/") {
            continue;
        }
        if let Some(output) = rel.strip_suffix(".j2") {
            let text = env
                .get_template(path)?
                .render(minijinja::value::Serde(&ctx))
                .with_context(|| format!("rendering {output}"))?;
            if output == ".env.local" {
                if instance_secret.is_some() {
                    tree.insert(output, text, 0o600, Policy::Secret);
                }
            } else {
                tree.insert(output, text, mode_for(output), Policy::Managed);
            }
        } else {
            tree.insert(rel, contents, mode_for(rel), Policy::Managed);
        }
    }
    if let Some(secret) = instance_secret {
        let mut secret_ctx = ctx.clone();
        secret_ctx.instance_secret = secret.to_owned();
        if answers.database != Database::Sqlite
            && answers.database_url.is_empty()
            && !secret.is_empty()
        {
            // The same OS CSPRNG as INSTANCE_SECRET; hex needs no URL escaping.
            secret_ctx.database_password = generate_instance_secret()?;
        }
        let text = env
            .get_template("project/.env.docker.example.j2")?
            .render(minijinja::value::Serde(&secret_ctx))
            .context("rendering .env.docker")?;
        tree.insert(".env.docker", text, 0o600, Policy::Secret);
    }
    let mut package = package_json::render(answers, node_major);
    if with_starter {
        for (path, contents) in starter::files(answers.frontend) {
            tree.insert(path, contents, 0o644, Policy::Managed);
        }
        package = starter::apply_to_text(&package, answers.frontend)
            .map_err(|e| anyhow::anyhow!("the starter's package.json fragment {e}"))?;
    }
    tree.insert("package.json", package, 0o644, Policy::MergeJson);
    tree.insert(".gitignore", gitignore::render(), 0o644, Policy::MergeLines);
    tree.insert(
        ".devcontainer/devcontainer.json",
        devcontainer::render(answers, node_major),
        0o644,
        Policy::Managed,
    );
    coder::add(&mut tree, &env, &ctx)?;
    Ok(tree)
}

/// Adds the state file and the merge base (the content of every file the
/// tool manages, as rendered now).
pub fn with_state(mut tree: Tree, mut state: State) -> Tree {
    let mut base = Base::default();
    state.files.clear();
    for (path, file) in &tree.files {
        let policy = match file.policy {
            Policy::Managed => "managed",
            Policy::MergeJson => "merge-json",
            Policy::MergeLines => "merge-lines",
            Policy::Secret => continue,
        };
        state.files.insert(
            path.clone(),
            crate::state::FileRecord {
                mode: format!("{:o}", file.mode),
                policy: policy.into(),
            },
        );
        base.files.insert(
            path.clone(),
            String::from_utf8_lossy(&file.contents).into_owned(),
        );
    }
    tree.insert(BASE_FILE, base.to_toml(), 0o644, Policy::Managed);
    tree.insert(STATE_FILE, state.to_toml(), 0o644, Policy::Managed);
    tree
}
