//! `new` and `coder`: validate everything, render in memory, plan against
//! what is on disk, then print (`--dry-run`) or write atomically.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::answers::{self, Answers};
use crate::cli::GenerateArgs;
use crate::error::{usage, Outcome};
use crate::outputs::{gitignore, package_json};
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
                let merged = package_json::merge(&text, answers, node_major).map_err(|e| {
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

/// Prints the plan; with `dry_run`, also a diff of every existing file that
/// would change (never the content of a secret file).
pub fn print_plan(planned: &[Planned], dry_run: bool) {
    let unchanged = planned
        .iter()
        .filter(|p| p.action == Action::Unchanged)
        .count();
    for p in planned {
        if p.action == Action::Unchanged {
            continue;
        }
        println!("{}", describe(p, dry_run));
        if dry_run && p.policy != Policy::Secret {
            if let (Some(old), Action::Merge | Action::Replace { .. } | Action::UpdateState) =
                (&p.old, &p.action)
            {
                print!(
                    "{}",
                    tree::unified_diff(
                        &p.path,
                        &String::from_utf8_lossy(old),
                        &String::from_utf8_lossy(&p.contents)
                    )
                );
            }
        }
    }
    if unchanged > 0 {
        println!("({unchanged} files already as rendered)");
    }
}

pub fn run(args: &GenerateArgs, target: Target) -> Result<Outcome> {
    let dir = &args.dir;
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!(
            "{} exists and is not a folder",
            dir.display()
        )));
    }
    let name = dir_name(dir)?;
    let given = answers::given(&args.answers)?;
    let raw = prompt::complete(given, &name, args.answers.yes)?;
    let answers = answers::validate_or_usage(&raw)?;
    answers::check_pins(&answers, args.answers.allow_known_bad)?;
    for warning in answers::warnings(&answers) {
        eprintln!("warning: {warning}");
    }
    if dir.join(STATE_FILE).exists() && !args.force && !args.dry_run {
        return Err(usage(format!(
            "{} already holds a convex-scaffold project; nothing was written. Use `convex-scaffold upgrade {}` \
             to change its answers or pins while keeping your edits (or --force to render over it)",
            dir.display(),
            dir.display()
        )));
    }
    if is_non_empty_dir(dir)? && !args.force && !args.dry_run {
        return Err(usage(format!(
            "{} is not empty; nothing was written. Pass --force to render into it (an existing package.json and \
             .gitignore are merged, secret files are kept, any other file that differs is replaced and kept as \
             <file>.orig), or --dry-run to see what would change",
            dir.display()
        )));
    }

    let secret = project::generate_instance_secret()?;
    let rendered = project::render(&answers, Some(&secret))?;
    let tree = match target {
        Target::Project => project::with_state(
            rendered,
            State::new(&answers, initial_storage(dir, &answers)?)
                .with_initial_database(initial_database(dir, &answers)?),
        ),
        Target::CoderTemplate => rendered.subtree("coder"),
    };
    let planned = plan(dir, &tree, &answers)?;
    if args.dry_run {
        println!("dry run: nothing is written to {}", dir.display());
        print_plan(&planned, true);
        return Ok(Outcome::Success);
    }
    tree::write_all(dir, &writes_for(&planned))?;
    print_plan(&planned, false);
    print_next_steps(dir, &answers, target);
    Ok(Outcome::Success)
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

fn print_next_steps(dir: &Path, answers: &Answers, target: Target) {
    let pm = answers.package_manager.as_str();
    let template_dir = match target {
        Target::Project => dir.join("coder"),
        Target::CoderTemplate => dir.to_path_buf(),
    };
    println!();
    if target == Target::Project {
        println!(
            "Rendered {} with convex {} and backend {}.",
            answers.name, answers.convex_version, answers.backend_image
        );
        println!("Next:");
        println!("  cd {}", dir.display());
        println!("  {pm} install");
        println!("  scripts/convex-up.sh       # backend + dashboard; admin key into .env.local");
        println!("  scripts/convex-deploy.sh   # deploy convex/ with convex dev --once");
        println!("  convex-scaffold doctor     # check everything");
    }
    println!(
        "Coder: {}   (see its README.md)",
        crate::outputs::coder::push_command(&answers.name, answers, &template_dir)
    );
}
