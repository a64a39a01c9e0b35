//! `new` and `coder`: validate everything, render in memory, plan against
//! what is on disk, then print (`--dry-run`) or write atomically.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::answers::{self, Answers};
use crate::cli::GenerateArgs;
use crate::error::{usage, Outcome};
use crate::outputs::{gitignore, package_json, starter};
use crate::pins;
use crate::project;
use crate::prompt;
use crate::state::{State, BASE_FILE, STATE_FILE};
use crate::tree::{self, Policy, Tree, Write1};

/// What `new` renders: the whole project, or only the Coder template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Project,
    CoderTemplate,
    /// Only the Convex Terraform module (`coder/modules/convex/`) and the
    /// project bundle (`coder/project/`, as `project/`).
    ConvexModule,
}

/// What will happen to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create,
    Unchanged,
    /// Merged with the user's file (package.json, .gitignore).
    Merge,
    /// A secret file the user already has: kept as is.
    KeepSecret,
    /// Replaced; the user's version is kept at the backup path.
    Replace {
        backup: String,
    },
    /// The tool's own state, rewritten without a backup.
    UpdateState,
}

#[derive(Debug, Clone)]
pub struct Planned {
    pub path: String,
    pub action: Action,
    pub contents: Vec<u8>,
    pub old: Option<Vec<u8>>,
    pub mode: u32,
    pub policy: Policy,
}

pub fn dir_name(dir: &Path) -> Result<String> {
    let absolute = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .context("cannot read the current folder")?
            .join(dir)
    };
    let normal: PathBuf = absolute.components().collect();
    let name = normal
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "convex-app".into());
    Ok(name)
}

fn is_non_empty_dir(dir: &Path) -> Result<bool> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
}

fn free_backup_name(dir: &Path, path: &str, taken: &[String]) -> String {
    let mut candidate = format!("{path}.orig");
    let mut n = 1;
    while dir.join(&candidate).exists() || taken.contains(&candidate) {
        candidate = format!("{path}.orig.{n}");
        n += 1;
    }
    candidate
}

/// Decides, for every file of `tree`, what writing it into `dir` means.
pub fn plan(dir: &Path, tree: &Tree, answers: &Answers) -> Result<Vec<Planned>> {
    let node_major = pins::data().node_major(&answers.convex_version);
    let starter_paths = starter::paths(answers.frontend);
    let with_starter = starter_paths.iter().any(|p| tree.files.contains_key(p));
    let mut planned = Vec::new();
    let mut backups = Vec::new();
    if dir.exists() {
        for path in tree.files.keys() {
            tree::check_no_escaping_symlink(dir, path)?;
        }
    }
    for (path, file) in &tree.files {
        let target = dir.join(path);
        let old = tree::read_existing(dir, path)?;
        let (action, contents) = match (&old, file.policy) {
            (None, _) => (Action::Create, file.contents.clone()),
            (Some(old), _) if *old == file.contents => (Action::Unchanged, file.contents.clone()),
            (Some(_), Policy::Secret) => (Action::KeepSecret, Vec::new()),
            (Some(old), Policy::MergeJson) => {
                let text = String::from_utf8_lossy(old);
                let merged = package_json::merge(&text, answers, node_major)
                    .and_then(|merged| {
                        if with_starter {
                            starter::apply_to_text(&merged, answers.frontend)
                        } else {
                            Ok(merged)
                        }
                    })
                    .map_err(|e| {
                        usage(format!(
                            "{} {e}; fix it or move it away, then run again",
                            target.display()
                        ))
                    })?;
                let action = if merged.as_bytes() == old.as_slice() {
                    Action::Unchanged
                } else {
                    Action::Merge
                };
                (action, merged.into_bytes())
            }
            (Some(old), Policy::MergeLines) => {
                let merged = gitignore::merge(&String::from_utf8_lossy(old));
                let action = if merged.as_bytes() == old.as_slice() {
                    Action::Unchanged
                } else {
                    Action::Merge
                };
                (action, merged.into_bytes())
            }
            (Some(_), Policy::Managed) if path == STATE_FILE || path == BASE_FILE => {
                (Action::UpdateState, file.contents.clone())
            }
            (Some(_), Policy::Managed) => {
                let backup = free_backup_name(dir, path, &backups);
                backups.push(backup.clone());
                (Action::Replace { backup }, file.contents.clone())
            }
        };
        planned.push(Planned {
            path: path.clone(),
            action,
            contents,
            old,
            mode: file.mode,
            policy: file.policy,
        });
    }
    Ok(planned)
}

/// The writes that carry out a plan (backups first, in the same batch).
pub fn writes_for(planned: &[Planned]) -> Vec<Write1> {
    let mut writes = Vec::new();
    for p in planned {
        match &p.action {
            Action::Unchanged | Action::KeepSecret => {}
            Action::Create | Action::Merge | Action::UpdateState => writes.push(Write1 {
                path: p.path.clone(),
                contents: p.contents.clone(),
                mode: p.mode,
            }),
            Action::Replace { backup } => {
                writes.push(Write1 {
                    path: backup.clone(),
                    contents: p.old.clone().unwrap_or_default(),
                    mode: 0o600,
                });
                writes.push(Write1 {
                    path: p.path.clone(),
                    contents: p.contents.clone(),
                    mode: p.mode,
                });
            }
        }
    }
    writes
}

fn describe(p: &Planned, dry_run: bool) -> String {
    let verb = |now: &str, would: &str| {
        if dry_run {
            would.to_owned()
        } else {
            now.to_owned()
        }
    };
    match &p.action {
        Action::Create => {
            let secret = if p.policy == Policy::Secret {
                " (secret, 0600)"
            } else {
                ""
            };
            format!("{:<10} {}{secret}", verb("created", "create"), p.path)
        }
        Action::Unchanged => format!("{:<10} {}", "unchanged", p.path),
        Action::Merge => format!("{:<10} {}", verb("merged", "merge"), p.path),
        Action::UpdateState => format!("{:<10} {}", verb("updated", "update"), p.path),
        Action::KeepSecret => format!("{:<10} {} (secrets are never replaced)", "kept", p.path),
        Action::Replace { backup } => {
            format!(
                "{:<10} {} (your version: {backup})",
                verb("replaced", "replace"),
                p.path
            )
        }
    }
}

/// The plan as text; with `dry_run`, also a diff of every existing file that
/// would change (never the content of a secret file). A merged package.json
/// lists each value that changed and why.
pub fn plan_report(planned: &[Planned], dry_run: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let unchanged = planned
        .iter()
        .filter(|p| p.action == Action::Unchanged)
        .count();
    for p in planned {
        if p.action == Action::Unchanged {
            continue;
        }
        let _ = writeln!(out, "{}", describe(p, dry_run));
        if let (Action::Merge, Policy::MergeJson, Some(old)) = (&p.action, p.policy, &p.old) {
            let old = String::from_utf8_lossy(old);
            let new = String::from_utf8_lossy(&p.contents);
            for change in package_json::describe_changes(&old, &new) {
                let _ = writeln!(out, "{:<10}   {change}", "");
            }
        }
        if dry_run && p.policy != Policy::Secret {
            if let (Some(old), Action::Merge | Action::Replace { .. } | Action::UpdateState) =
                (&p.old, &p.action)
            {
                out.push_str(&tree::unified_diff(
                    &p.path,
                    &String::from_utf8_lossy(old),
                    &String::from_utf8_lossy(&p.contents),
                ));
            }
        }
    }
    if unchanged > 0 {
        let _ = writeln!(out, "({unchanged} files already as rendered)");
    }
    out
}

pub fn run(args: &GenerateArgs, target: Target) -> Result<Outcome> {
    let dir = &args.dir;
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!(
            "{} exists and is not a folder",
            dir.display()
        )));
    }
    let mut name = dir_name(dir)?;
    let mut given = with_release(args.release.as_deref(), answers::given(&args.answers)?)?;
    let mut folder_defaults = answers::RawAnswers::default();
    if target == Target::Project {
        if let Some(package_name) = package_json_name(dir) {
            if given.get("name").is_none() && package_name != answers::slugify_name(&name) {
                crate::output::note(&format!(
                    "name defaults to {package_name}, from package.json"
                ));
            }
            name = package_name;
        }
        adopt_package_manager(dir, &mut given)?;
        adopt_no_frontend(dir, &given, &mut folder_defaults)?;
    }
    let raw = prompt::complete(given, &name, args.answers.yes, &folder_defaults)?;
    let answers = answers::validate_or_usage(&raw)?;
    answers::check_pins(&answers, args.answers.allow_known_bad)?;
    for warning in answers::warnings(&answers) {
        crate::output::note(&format!("warning: {warning}"));
    }
    // A dry run refuses exactly what the real run refuses.
    if dir.join(STATE_FILE).exists() && !args.force {
        return Err(usage(format!(
            "{} already holds a convex-scaffold project; nothing was written. Use `convex-scaffold upgrade {}` \
             to change its answers or pins while keeping your edits (or --force to render over it)",
            dir.display(),
            dir.display()
        )));
    }
    if is_non_empty_dir(dir)? && !args.force {
        return Err(usage(format!(
            "{} is not empty; nothing was written. Pass --force to render into it (an existing package.json and \
             .gitignore are merged, secret files are kept, any other file that differs is replaced and kept as \
             <file>.orig); --force --dry-run shows what would change",
            dir.display()
        )));
    }

    // The starter app only goes into a folder without a frontend of its own.
    let target = if args.module {
        Target::ConvexModule
    } else {
        target
    };
    let existing_frontend = match target {
        Target::Project => starter::existing_frontend(dir, answers.frontend)?,
        Target::CoderTemplate | Target::ConvexModule => None,
    };
    let secret = project::generate_instance_secret()?;
    let rendered = project::render_with(&answers, Some(&secret), existing_frontend.is_none())?;
    let tree = match target {
        Target::Project => project::with_state(
            rendered,
            State::new(&answers, initial_storage(dir, &answers)?)
                .with_initial_database(initial_database(dir, &answers)?),
        ),
        Target::CoderTemplate => rendered.subtree("coder"),
        Target::ConvexModule => {
            // With a git_url the workspace clones the team's own app, and the
            // bundle adds every file the checkout lacks: the frontend starter
            // (index.html, src/, vite.config.ts...) would land in their
            // repository, so it stays out of the module's bundle.
            let starter: Vec<String> = if answers.git_url.is_empty() {
                Vec::new()
            } else {
                starter::paths(answers.frontend)
            };
            let mut tree = rendered.subtree("coder/modules/convex");
            for (path, file) in rendered.subtree("coder/project").files {
                if !starter.contains(&path) {
                    tree.files.insert(format!("project/{path}"), file);
                }
            }
            tree
        }
    };
    let planned = plan(dir, &tree, &answers)?;
    if args.dry_run {
        let header = format!("dry run: nothing is written to {}\n", dir.display());
        let (env_note, url_wired) = kept_env_local_note(dir, &planned, &tree, &answers, true);
        let note = frontend_note(
            &answers,
            existing_frontend.as_deref(),
            url_wired,
            !env_note.is_empty(),
            true,
        );
        crate::output::emit(&(header + &plan_report(&planned, true) + &env_note + &note))?;
        return Ok(Outcome::Success);
    }
    tree::write_all(dir, &writes_for(&planned))?;
    let (env_note, url_wired) = kept_env_local_note(dir, &planned, &tree, &answers, false);
    let mut report = plan_report(&planned, false)
        + &env_note
        + &frontend_note(
            &answers,
            existing_frontend.as_deref(),
            url_wired,
            !env_note.is_empty(),
            false,
        )
        + &next_steps(dir, &answers, target);
    if target == Target::Project && starter_rendered(&planned, &answers) {
        report.push_str(&starter_steps(&answers, &planned));
    }
    if target == Target::Project {
        report.push_str(&auth_steps(&answers));
    }
    crate::output::emit(&report)?;
    Ok(Outcome::Success)
}

/// Lockfiles and the package manager that writes each.
const LOCKFILES: &[(&str, &str)] = &[
    ("pnpm-lock.yaml", "pnpm"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
    ("yarn.lock", "yarn"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
];

/// The package manager an existing app in `dir` uses, and where that was
/// read: its package.json's `packageManager` (corepack's `name@version`),
/// else its lockfile. Lockfiles of different managers without a
/// `packageManager` to decide are a usage error.
pub fn detect_package_manager(dir: &Path) -> Result<Option<(&'static str, String)>> {
    let pkg_path = dir.join("package.json");
    if let Ok(text) = fs::read_to_string(&pkg_path) {
        let declared = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|pkg| pkg.get("packageManager")?.as_str().map(str::to_owned));
        if let Some(declared) = declared {
            let name = declared.split('@').next().unwrap_or_default();
            if let Some(pm) = answers::PackageManager::CHOICES
                .iter()
                .find(|pm| **pm == name)
            {
                return Ok(Some((
                    pm,
                    format!("package.json's packageManager {declared}"),
                )));
            }
        }
    }
    let found: Vec<(&str, &str)> = LOCKFILES
        .iter()
        .copied()
        .filter(|(file, _)| dir.join(file).is_file())
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [(file, pm), rest @ ..] if rest.iter().all(|(_, other)| other == pm) => {
            Ok(Some((pm, (*file).to_owned())))
        }
        _ => Err(usage(format!(
            "{} has lockfiles of different package managers ({}); nothing was written. Name the one the app \
             uses: --set package_manager=npm|pnpm|yarn|bun",
            dir.display(),
            found.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Rendering into an existing app: its package manager is the default (so
/// the convex pin goes through that manager's override mechanism). An
/// explicit answer wins, with a warning when it differs.
/// The default `name` for `new DIR` in an existing app: package.json's
/// "name" when it is a valid answer (a scoped or otherwise invalid npm name
/// leaves the folder's name as the default).
fn package_json_name(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("package.json")).ok()?;
    let pkg: serde_json::Value = serde_json::from_str(&text).ok()?;
    answers::validate_name(pkg.get("name")?.as_str()?).ok()
}

fn adopt_package_manager(dir: &Path, given: &mut answers::RawAnswers) -> Result<()> {
    let Some((pm, source)) = detect_package_manager(dir)? else {
        return Ok(());
    };
    match given.get("package_manager") {
        None => {
            crate::output::note(&format!("package_manager = {pm}, from {source}"));
            given.values.insert("package_manager".into(), pm.to_owned());
        }
        Some(chosen) if chosen != pm => crate::output::note(&format!(
            "warning: the app uses {pm} ({source}) but package_manager = {chosen} was given; package.json gets \
             {chosen}'s pin and override, and the app's {pm} lockfile no longer matches its package manager"
        )),
        Some(_) => {}
    }
    Ok(())
}

/// Rendering into an existing app whose package.json lists no frontend
/// package (an API server, a CLI, ...): the default is frontend=none, so
/// only Convex is wired: no starter, no react/vite, no `"type": "module"`.
/// An explicit `--set frontend=...` (or `--answers`, or the prompt) wins.
fn adopt_no_frontend(
    dir: &Path,
    given: &answers::RawAnswers,
    defaults: &mut answers::RawAnswers,
) -> Result<()> {
    if given.get("frontend").is_some() || dir.join(STATE_FILE).exists() {
        return Ok(());
    }
    if starter::package_json_lists_frontend(dir)? == Some(false) {
        crate::output::note(
            "frontend defaults to none, as package.json lists no frontend package: only Convex is wired (no \
             starter app, package.json's \"type\" is kept); --set frontend=vite adds the Vite starter",
        );
        defaults.values.insert("frontend".into(), "none".to_owned());
    }
    Ok(())
}

/// The pins of a `--release` row under the given answers (pin keys given
/// with `--answers` or `--set` win, as `--set` wins over `upgrade --release`).
fn with_release(release: Option<&str>, given: answers::RawAnswers) -> Result<answers::RawAnswers> {
    let Some(key) = release else {
        return Ok(given);
    };
    let data = pins::data();
    let row = data
        .release(key)
        .ok_or_else(|| usage(data.unknown_release(key)))?;
    let pins = data.pins_for_release(row);
    let mut raw = answers::RawAnswers::default();
    raw.values
        .insert("convex_version".into(), pins.convex_version.to_string());
    raw.values
        .insert("backend_image".into(), pins.backend_image);
    raw.values
        .insert("dashboard_image".into(), pins.dashboard_image);
    raw.overlay(&given);
    Ok(raw)
}

/// The storage mode the project's data volume was initialised with: kept
/// from an existing state file (its lock only moves through `upgrade
/// --reset-data`), the configured one for a new project.
fn initial_storage(dir: &Path, answers: &Answers) -> Result<answers::Storage> {
    if !dir.join(STATE_FILE).exists() {
        return Ok(answers.storage);
    }
    let state = State::read(dir)?;
    if state.scaffold.initial_storage != answers.storage {
        return Err(usage(format!(
            "{} was set up with storage = {}, and the backend locks the storage type in its database at the first \
             start (\"Database was initialized with ... but backend started up with ...\"); nothing was written. \
             To switch, run `convex-scaffold upgrade {} --set storage={} --reset-data`, then scripts/convex-reset.sh \
             (it exports a backup before wiping the volume)",
            dir.display(),
            state.scaffold.initial_storage,
            dir.display(),
            answers.storage
        )));
    }
    Ok(state.scaffold.initial_storage)
}

/// The database the backend was first started on: kept from an existing
/// state file (like the storage lock, it only moves through `upgrade
/// --reset-data`), the configured one for a new project.
fn initial_database(dir: &Path, answers: &Answers) -> Result<answers::Database> {
    if !dir.join(STATE_FILE).exists() {
        return Ok(answers.database);
    }
    let state = State::read(dir)?;
    if state.scaffold.initial_database != answers.database {
        return Err(usage(format!(
            "{} was set up with database = {}, and the backend keeps all its data there: starting it on {} \
             would show an empty deployment; nothing was written. To switch, run `convex-scaffold upgrade {} \
             --set database={} --reset-data`, then scripts/convex-reset.sh (it exports a backup first)",
            dir.display(),
            state.scaffold.initial_database,
            answers.database,
            dir.display(),
            answers.database
        )));
    }
    Ok(state.scaffold.initial_database)
}

/// A `.env.local` the user already had is kept as is (secrets are never
/// replaced). When it does not hold what the project needs — a Convex cloud
/// `CONVEX_DEPLOYMENT`, another frontend URL, no self-hosted lines — this
/// says so, naming the keys (never their values) and the lines the tool would
/// have written. Also returns whether the frontend URL in the kept file is the
/// rendered one (so the output may say it was wired).
fn kept_env_local_note(
    dir: &Path,
    planned: &[Planned],
    tree: &Tree,
    answers: &Answers,
    dry_run: bool,
) -> (String, bool) {
    use std::fmt::Write as _;
    const ENV_LOCAL: &str = ".env.local";
    let Some(old) = planned
        .iter()
        .find(|p| p.path == ENV_LOCAL && p.action == Action::KeepSecret)
        .and_then(|p| p.old.as_deref())
    else {
        return (String::new(), true);
    };
    let Some(rendered) = tree.files.get(ENV_LOCAL) else {
        return (String::new(), true);
    };
    let old = crate::doctor::dotenv::parse(&String::from_utf8_lossy(old));
    let rendered_text = String::from_utf8_lossy(&rendered.contents).into_owned();
    let rendered = crate::doctor::dotenv::parse(&rendered_text);
    let url_vars = ["CONVEX_SELF_HOSTED_URL"]
        .into_iter()
        .chain(answers.frontend.url_var());
    let mut problems = Vec::new();
    if old.non_empty("CONVEX_DEPLOYMENT").is_some() {
        problems.push(
            "CONVEX_DEPLOYMENT is set (a Convex cloud deployment): delete that line; beside the self-hosted \
             variables it sends the convex CLI to Convex cloud, and scripts/convex-deploy.sh refuses to run \
             while it is there"
                .to_owned(),
        );
    }
    let mut url_wired = true;
    for key in url_vars {
        let want = rendered.get(key).unwrap_or_default();
        let have = old.get(key);
        if have != Some(want) && Some(key) == answers.frontend.url_var() {
            url_wired = false;
        }
        // Another self-hosted URL (a Coder workspace's, a moved port) is the
        // user's to keep; scripts/convex-up.sh keeps it in step.
        match have {
            Some(have) if have.contains(".convex.cloud") || have.contains(".convex.site") => {
                problems.push(format!(
                    "{key} is a Convex cloud URL, not this project's backend"
                ));
            }
            None => problems.push(format!("{key} is not set")),
            Some(_) => {}
        }
    }
    if old.get("CONVEX_SELF_HOSTED_ADMIN_KEY").is_none() {
        problems.push("CONVEX_SELF_HOSTED_ADMIN_KEY is not set".to_owned());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = fs::metadata(dir.join(ENV_LOCAL)) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                problems.push(format!(
                    "its mode is {mode:04o}, but it will hold the admin key: chmod 600 .env.local"
                ));
            }
        }
    }
    if problems.is_empty() {
        return (String::new(), url_wired);
    }
    let kept = if dry_run { "would be kept" } else { "was kept" };
    let mut out = format!(
        "\nwarning: your .env.local {kept} as it is (secrets are never replaced), and it is not set up for \
         this self-hosted backend (values not shown):\n"
    );
    for problem in &problems {
        let _ = writeln!(out, "  - {problem}");
    }
    out.push_str(
        "Put these lines there instead (scripts/convex-up.sh fills in the admin key and keeps the URLs in step):\n",
    );
    for line in rendered_text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Never print a secret: the admin key line is shown empty.
        let line = match line.split_once('=') {
            Some((key, _)) if key.trim() == "CONVEX_SELF_HOSTED_ADMIN_KEY" => format!("{key}="),
            _ => line.to_owned(),
        };
        let _ = writeln!(out, "  {line}");
    }
    (out, url_wired)
}

/// Says what happens to the frontend when the folder already has one.
fn frontend_note(
    answers: &Answers,
    existing_frontend: Option<&str>,
    url_wired: bool,
    env_warned: bool,
    dry_run: bool,
) -> String {
    let (Some(reason), Some(var)) = (existing_frontend, answers.frontend.url_var()) else {
        return String::new();
    };
    let (added, touched, wired, was_wired, kept) = if dry_run {
        (
            "would be added",
            "would not be touched",
            "would be wired",
            "would be wired",
            "would not be changed",
        )
    } else {
        (
            "was added",
            "were not touched",
            "were wired",
            "was wired",
            "was not changed",
        )
    };
    let what = if url_wired {
        format!("Only {var} (in .env.local) and package.json (convex pin, scripts) {wired}")
    } else {
        format!(
            "Only package.json (convex pin, scripts) {was_wired}; {var} in your .env.local {kept}{}",
            if env_warned { " (see the warning above)" } else { "" }
        )
    };
    format!(
        "\nFrontend: {reason}, so no {} starter app {added} and your app's files {touched}. \
         {what}; read the Convex URL from {var} in your app.\n",
        answers.frontend
    )
}

/// Whether `new` rendered the frontend starter (its files are in the plan).
fn starter_rendered(planned: &[Planned], answers: &Answers) -> bool {
    let paths = starter::paths(answers.frontend);
    !paths.is_empty() && planned.iter().any(|p| paths.contains(&p.path))
}

/// How to start the starter app, after the backend steps above.
/// Convex Auth's library, exactly: the newest 0.0.x release and the
/// @auth/core its peerDependencies ask for (`npm view @convex-dev/auth@0.0.95
/// peerDependencies`: @auth/core ^0.41.1, convex ^1.17.0). 2.0.0 is a
/// rewrite with other peers (convex ^1.48.0) that the older release rows'
/// CLIs do not meet.
/// Where the Convex Auth files' contents are documented, online.
pub const AUTH_DOCS_URL: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/blob/main/docs/database-and-auth.md#convex-auth-in-your-app"
);

pub const CONVEX_AUTH_PACKAGES: &str = "@convex-dev/auth@0.0.95 @auth/core@0.41.1";

/// With auth=convex-auth: the library code the app adds (the scripts only
/// make and set the keys). The files' contents are in the docs (online:
/// users who installed from npm have no checkout).
pub fn auth_steps(answers: &Answers) -> String {
    if answers.auth != answers::Auth::ConvexAuth {
        return String::new();
    }
    let install = match answers.package_manager {
        answers::PackageManager::Pnpm => "pnpm add --save-exact",
        answers::PackageManager::Npm => "npm install --save-exact",
        answers::PackageManager::Yarn => "yarn add --exact",
        answers::PackageManager::Bun => "bun add --exact",
    };
    let provider = match answers.frontend {
        answers::Frontend::Vite => "src/main.tsx: ConvexProvider -> ConvexAuthProvider from \"@convex-dev/auth/react\"",
        answers::Frontend::Nextjs => {
            "app/ConvexClientProvider.tsx: ConvexProvider -> ConvexAuthProvider from \"@convex-dev/auth/react\""
        }
        answers::Frontend::None => "your app: wrap it in ConvexAuthProvider from \"@convex-dev/auth/react\"",
    };
    format!(
        "Convex Auth (auth=convex-auth): scripts/convex-deploy.sh sets JWT_PRIVATE_KEY, JWKS and SITE_URL;\n\
         the app adds the library and its code (the files' contents: docs/database-and-auth.md, \"Convex Auth in \
         your app\",\n  {AUTH_DOCS_URL}):\n  \
         {install} {CONVEX_AUTH_PACKAGES}\n  \
         # convex/auth.config.ts  the provider: domain process.env.CONVEX_SITE_URL, applicationID \"convex\"\n  \
         # convex/auth.ts         convexAuth({{ providers: [Password] }})\n  \
         # convex/http.ts         httpRouter() with auth.addHttpRoutes(http)\n  \
         # convex/schema.ts       defineSchema({{ ...authTables }})\n  \
         # {provider}\n  \
         scripts/convex-deploy.sh\n"
    )
}

fn starter_steps(answers: &Answers, planned: &[Planned]) -> String {
    let (Some(port), Some(var)) = (answers.frontend.dev_port(), answers.frontend.url_var()) else {
        return String::new();
    };
    // The script as merged: an app's own `dev` is kept, and the starter's
    // dev server is then `dev:frontend`.
    let script = planned
        .iter()
        .find(|p| p.path == "package.json")
        .and_then(|p| starter::dev_script(&String::from_utf8_lossy(&p.contents), answers.frontend))
        .unwrap_or("dev");
    format!(
        "Frontend ({}): after the steps above, `{} run {script}` serves it on http://localhost:{port} \
         (it reads {var} from .env.local and shows what health:ping answers)\n",
        answers.frontend,
        answers.package_manager.as_str()
    )
}

/// The commands to run next, in an order that works when followed literally
/// from where `new` ran: `cd` into the project (unless it is the current
/// folder), then everything relative to it.
fn next_steps(dir: &Path, answers: &Answers, target: Target) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("\n");
    let pm = answers.package_manager.as_str();
    let here = is_current_dir(dir);
    let template_dir = match target {
        // After the `cd` below (or already there).
        Target::Project => PathBuf::from("coder"),
        Target::CoderTemplate | Target::ConvexModule if here => PathBuf::from("."),
        Target::CoderTemplate | Target::ConvexModule => dir.to_path_buf(),
    };
    if target == Target::ConvexModule {
        let _ = writeln!(
            out,
            "Coder: copy {} into your template's folder as modules/convex/ and add (see its README.md):",
            shell_path(&template_dir)
        );
        out.push_str(&crate::outputs::coder::module_block(answers));
        if answers.wildcard_domain.is_empty() {
            out.push_str(crate::outputs::coder::no_wildcard_note());
        }
        return out;
    }
    if target == Target::Project {
        let _ = writeln!(
            out,
            "Rendered {} with convex {} and backend {}.",
            answers.name, answers.convex_version, answers.backend_image
        );
        let _ = writeln!(out, "Next:");
        if !here {
            let _ = writeln!(out, "  cd {}", shell_path(dir));
        }
        if answers.storage == answers::Storage::S3 {
            let p = &answers.s3_bucket_prefix;
            let store = if answers.s3_endpoint_url.is_empty() {
                format!("in AWS region {}", answers.s3_region)
            } else {
                format!("on {}", answers.s3_endpoint_url)
            };
            let _ = writeln!(
                out,
                "  # storage=s3: before the first start (the backend locks its storage type then),\n  \
                 # create these five buckets {store}:\n  \
                 #   {p}-exports {p}-snapshot-imports {p}-modules {p}-files {p}-search\n  \
                 # and fill AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN for temporary\n  \
                 # credentials) in .env.docker (git-ignored, 0600); scripts/convex-up.sh refuses to start without them"
            );
        }
        let _ = writeln!(out, "  {pm} install");
        let _ = writeln!(
            out,
            "  scripts/convex-up.sh       # backend + dashboard; admin key into .env.local"
        );
        let _ = writeln!(
            out,
            "  scripts/convex-deploy.sh   # deploy convex/ with convex dev --once"
        );
        let _ = writeln!(out, "  convex-scaffold doctor     # check everything");
    }
    if target == Target::Project {
        // publish.sh pushes with the recorded --var values and refuses when
        // `upgrade --check` finds coder/ stale (docs/coder.md, "Publishing").
        let _ = writeln!(
            out,
            "Coder: coder/publish.sh   # pushes coder/ as template {} with the recorded --var values \
             (see coder/README.md)",
            answers.name
        );
        return out;
    }
    let _ = writeln!(
        out,
        "Coder: {}   (see its README.md)",
        crate::outputs::coder::push_command(&answers.name, answers, &template_dir)
    );
    out
}

/// `dir` names the folder the command runs in (`.`, `./`, or its own path).
fn is_current_dir(dir: &Path) -> bool {
    if dir.components().all(|c| c == std::path::Component::CurDir) {
        return true;
    }
    match (fs::canonicalize(dir), std::env::current_dir()) {
        (Ok(a), Ok(b)) => fs::canonicalize(b).is_ok_and(|b| a == b),
        _ => false,
    }
}

/// A path as one shell word (quoted when needed).
pub fn shell_path(path: &Path) -> String {
    let text = path.display().to_string();
    crate::escape::shell_word(&text).unwrap_or(text)
}
