//! `upgrade`: move pins or answers and re-render a project, keeping every
//! user edit.
//!
//! Per managed file a three-way merge: base = the file as last rendered
//! (`.convex-scaffold/base.toml`), ours = the file on disk, theirs = the new
//! render. `package.json` and `.gitignore` are merged structurally; the
//! secret env files only gain the keys they lack. Everything is validated and
//! planned in memory first, then written in one atomic batch
//! ([`tree::write_all`]); files the new version no longer renders are removed
//! last, and only when the user never edited them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::answers::{self, Answers, Database, RawAnswers, Storage};
use crate::cli::UpgradeArgs;
use crate::error::{usage, Outcome};
use crate::outputs::{gitignore, package_json, starter};
use crate::pins::{self, Pins};
use crate::project;
use crate::state::{Base, State, BASE_FILE, STATE_FILE};
use crate::tree::{self, Policy, Tree, Write1};

/// `println!` into the report buffer.
macro_rules! say {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
const PIN_KEYS: &[&str] = &["convex_version", "backend_image", "dashboard_image"];
const ENV_DOCKER: &str = ".env.docker";
const ENV_LOCAL: &str = ".env.local";
/// The conflict labels written into a file with overlapping edits.
pub const OURS_LABEL: &str = "<<<<<<< yours";
const BASE_LABEL: &str = "||||||| as last rendered by convex-scaffold";

/// What upgrade does to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    /// New in this version of the project; nothing on disk.
    Create,
    /// Untouched by the user: replaced by the new render.
    Update,
    /// The user's edits kept and the new changes applied around them.
    Merge,
    /// Overlapping edits: written with conflict markers.
    Conflict,
    Unchanged,
    /// Rendered, but the user deleted it: stays deleted.
    KeptDeleted,
    /// The user's file is left as is although the new render differs
    /// (it was never rendered before, or is not text).
    KeptYours,
    /// No longer rendered and never edited: removed.
    Remove,
    /// No longer rendered but edited: kept, no longer managed.
    KeptUnmanaged,
    /// A secret env file that gains missing keys (values never shown).
    SecretKeys,
    /// A secret env file left as is.
    KeptSecret,
    /// The state file or the merge base.
    Record,
}

#[derive(Debug, Clone)]
struct Step {
    path: String,
    action: Action,
    note: String,
    old: Option<Vec<u8>>,
    new: Option<Vec<u8>>,
    mode: u32,
    /// The file on disk still holds conflict markers of an earlier upgrade.
    unresolved: bool,
}

impl Step {
    fn new(
        path: &str,
        action: Action,
        old: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
        mode: u32,
    ) -> Self {
        Step {
            path: path.to_owned(),
            action,
            note: String::new(),
            old,
            new,
            mode,
            unresolved: false,
        }
    }

    fn unresolved(mut self, markers: bool) -> Self {
        self.unresolved = markers;
        self
    }

    fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    fn writes(&self) -> bool {
        matches!(
            self.action,
            Action::Create
                | Action::Update
                | Action::Merge
                | Action::Conflict
                | Action::SecretKeys
                | Action::Record
        )
    }

    fn changes(&self) -> bool {
        self.writes() || self.action == Action::Remove
    }

    /// What the user must act on: makes `upgrade` and `--check` exit 1.
    fn is_finding(&self) -> bool {
        matches!(self.action, Action::Conflict | Action::KeptYours) || self.unresolved
    }
}

/// Everything upgrade decided, before anything is written.
struct Plan {
    old: Answers,
    new: Answers,
    storage_change: Option<(Storage, Storage)>,
    database_change: Option<(Database, Database)>,
    pins_note: Option<String>,
    steps: Vec<Step>,
}

pub fn run(args: &UpgradeArgs) -> Result<Outcome> {
    let dir = args.dir.as_path();
    if !dir.is_dir() {
        return Err(usage(format!(
            "{} is not a folder; pass the folder of a project made by `convex-scaffold new`",
            dir.display()
        )));
    }
    let state = State::read(dir)?;
    let base = Base::read(dir)?;
    check_tool_version(&state)?;
    let old = state.answers()?;
    let (new, pins_note) = target_answers(args, &old)?;
    let initial_storage = storage_after(args, &state, &new)?;
    let storage_change = (initial_storage != state.scaffold.initial_storage)
        .then_some((state.scaffold.initial_storage, initial_storage));
    let initial_database = database_after(args, &state, &new)?;
    let database_change = (initial_database != state.scaffold.initial_database)
        .then_some((state.scaffold.initial_database, initial_database));
    let steps = plan_steps(dir, &base, &old, &new, initial_storage, initial_database)?;
    let plan = Plan {
        old,
        new,
        storage_change,
        database_change,
        pins_note,
        steps,
    };

    let findings = plan.steps.iter().any(Step::is_finding);
    let changed = plan.steps.iter().filter(|s| s.changes()).count();
    let mut out = String::new();
    if args.check || args.dry_run {
        let what = if args.dry_run { "dry run" } else { "check" };
        say!(out, "{what}: nothing is written to {}", dir.display());
        print_header(&mut out, &plan);
        print_steps(&mut out, &plan.steps, true, args.dry_run);
        say!(out);
        let unresolved = plan.steps.iter().filter(|s| s.unresolved).count();
        let outcome = if changed == 0 && unresolved > 0 {
            say!(
                out,
                "{unresolved} file(s) still hold conflict markers from an earlier upgrade; resolve them (look for '{OURS_LABEL}')"
            );
            Outcome::Findings
        } else if changed == 0 {
            say!(out, "up to date: upgrade would change nothing");
            say!(
                out,
                "{}",
                pins::currency_note(pins::table_age_days(std::time::SystemTime::now()))
            );
            Outcome::Success
        } else if args.check {
            say!(
                out,
                "{changed} file(s) differ from what `convex-scaffold upgrade` would produce; run it with the same flags"
            );
            Outcome::Findings
        } else if findings {
            Outcome::Findings
        } else {
            Outcome::Success
        };
        emit(&out)?;
        return Ok(outcome);
    }

    let writes: Vec<Write1> = plan
        .steps
        .iter()
        .filter(|s| s.writes())
        .map(|s| Write1 {
            path: s.path.clone(),
            contents: s.new.clone().unwrap_or_default(),
            mode: s.mode,
        })
        .collect();
    tree::write_all(dir, &writes)?;
    for step in plan.steps.iter().filter(|s| s.action == Action::Remove) {
        let target = dir.join(&step.path);
        fs::remove_file(&target).with_context(|| format!("cannot remove {}", target.display()))?;
    }
    print_header(&mut out, &plan);
    print_steps(&mut out, &plan.steps, false, false);
    print_next_steps(&mut out, dir, &plan, args.reset_data);
    emit(&out)?;
    Ok(if findings {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

/// Prints the whole report at once; a closed pipe is an io error that
/// `error::report` treats as success.
fn emit(out: &str) -> Result<()> {
    crate::output::emit(out)?;
    Ok(())
}

/// Refuses a project rendered by a newer convex-scaffold (its templates and
/// state may hold what this version does not know).
fn check_tool_version(state: &State) -> Result<()> {
    let recorded = semver::Version::parse(&state.scaffold.tool_version);
    let running = semver::Version::parse(TOOL_VERSION).expect("the crate version is semver");
    if let Ok(recorded) = recorded {
        if recorded > running {
            return Err(usage(format!(
                "{STATE_FILE} was written by convex-scaffold {recorded}, newer than this {running}; \
                 nothing was written. Install convex-scaffold {recorded} or later to upgrade this project"
            )));
        }
    }
    Ok(())
}

fn put_pins(raw: &mut RawAnswers, pins: &Pins) {
    raw.values
        .insert("convex_version".into(), pins.convex_version.to_string());
    raw.values
        .insert("backend_image".into(), pins.backend_image.clone());
    raw.values
        .insert("dashboard_image".into(), pins.dashboard_image.clone());
}

/// `--backend-image 00bd927…` (a bare 40-character SHA) means the official image.
fn expand_image(value: &str, image: &str) -> String {
    if value.len() == 40
        && value
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        format!("{image}:{value}")
    } else {
        value.to_owned()
    }
}

/// The build date of an official dashboard image (the first release that ships it).
fn dashboard_date<'a>(data: &'a pins::PinsData, image: &str) -> Option<&'a str> {
    let sha = image.strip_prefix(&format!("{}:", data.images.dashboard))?;
    data.release_with_dashboard(sha).map(|r| r.date.as_str())
}

fn backend_date<'a>(data: &'a pins::PinsData, image: &str) -> Option<&'a str> {
    image.strip_prefix(&format!("{}:", data.images.backend))?;
    data.backend_date(image)
}

/// The pins of a run without pin flags: the defaults of this convex-scaffold,
/// unless that would move a pin backwards (the project was moved ahead with
/// `--release` or a pin flag) or replace an image outside the release table;
/// then the recorded pins stay and the returned note says why.
fn pins_without_flags(recorded: &Pins) -> (Pins, Option<String>) {
    let data = pins::data();
    let defaults = data.default_pins();
    if *recorded == defaults {
        return (defaults, None);
    }
    let mut ahead = Vec::new();
    if recorded.convex_version > defaults.convex_version {
        ahead.push(format!("convex {}", recorded.convex_version));
    }
    for (kind, date, default_date, image) in [
        (
            "backend",
            backend_date(data, &recorded.backend_image),
            backend_date(data, &defaults.backend_image),
            &recorded.backend_image,
        ),
        (
            "dashboard",
            dashboard_date(data, &recorded.dashboard_image),
            dashboard_date(data, &defaults.dashboard_image),
            &recorded.dashboard_image,
        ),
    ] {
        match (date, default_date) {
            (Some(date), Some(default_date)) if date > default_date => {
                ahead.push(format!("{kind} from {date}"))
            }
            (None, _) => ahead.push(format!("{kind} {image}, which is not in the release table")),
            _ => {}
        }
    }
    if ahead.is_empty() {
        return (defaults, None);
    }
    let note = format!(
        "pins kept ({}): newer than, or not comparable with, the defaults of convex-scaffold {TOOL_VERSION} \
         (convex {}, backend {}). Move them with --release, --convex-version, --backend-image or --dashboard-image",
        ahead.join(", "),
        defaults.convex_version,
        defaults.backend_image
    );
    (recorded.clone(), Some(note))
}

/// The answers to render with: the recorded ones, changed by `--set`, with
/// pins from the flags (later wins: `--release` < `--set` < single pin flags)
/// or, with no pin flag, the defaults of this convex-scaffold. Validated and
/// checked against the known-bad and compatibility rules.
fn target_answers(args: &UpgradeArgs, old: &Answers) -> Result<(Answers, Option<String>)> {
    let data = pins::data();
    let set = RawAnswers::from_set_args(&args.set)?;
    let pin_flag = args.release.is_some()
        || args.convex_version.is_some()
        || args.backend_image.is_some()
        || args.dashboard_image.is_some()
        || PIN_KEYS.iter().any(|k| set.values.contains_key(*k));
    let mut raw = old.to_raw();
    let mut note = None;
    if !pin_flag {
        let (pins, kept) = pins_without_flags(&old.pins());
        put_pins(&mut raw, &pins);
        note = kept;
    }
    if let Some(key) = &args.release {
        let row = data
            .release(key)
            .ok_or_else(|| usage(data.unknown_release(key)))?;
        put_pins(&mut raw, &data.pins_for_release(row));
    }
    // s3_force_path_style defaults to "an endpoint is set"; follow a new
    // endpoint unless the user chose the style explicitly before or now.
    if let Some(endpoint) = set.get("s3_endpoint_url") {
        let derived = |endpoint: &str| !endpoint.trim().is_empty();
        if set.get("s3_force_path_style").is_none()
            && old.s3_force_path_style == derived(&old.s3_endpoint_url)
        {
            raw.values
                .insert("s3_force_path_style".into(), derived(endpoint).to_string());
        }
    }
    raw.overlay(&set);
    // Leaving S3 (or an endpoint recorded with local storage by an older
    // convex-scaffold): the endpoint goes with it unless given now, where
    // validation refuses it with the fix.
    if raw.get("storage") == Some("local") && set.get("s3_endpoint_url").is_none() {
        raw.values.insert("s3_endpoint_url".into(), String::new());
    }
    if let Some(version) = &args.convex_version {
        raw.values.insert("convex_version".into(), version.clone());
    }
    if let Some(image) = &args.backend_image {
        raw.values.insert(
            "backend_image".into(),
            expand_image(image, &data.images.backend),
        );
    }
    if let Some(image) = &args.dashboard_image {
        raw.values.insert(
            "dashboard_image".into(),
            expand_image(image, &data.images.dashboard),
        );
    }
    let answers = answers::validate_or_usage(&raw)?;
    let pin_flag = if args.convex_version.is_some() {
        "--convex-version "
    } else {
        pins::SET_CONVEX_VERSION
    };
    answers::check_pins_by(&answers, args.allow_known_bad, pin_flag)?;
    check_no_backend_downgrade(old, &answers, args.allow_downgrade)?;
    Ok((answers, note))
}

/// An older backend on a data volume a newer one already migrated may
/// refuse to start (the backend's migrations are forward-only): refused
/// unless `--allow-downgrade`, the deliberate choice of a user whose stack
/// never started or whose data is reset.
fn check_no_backend_downgrade(old: &Answers, new: &Answers, allow: bool) -> Result<()> {
    let data = pins::data();
    let (Some(from), Some(to)) = (
        data.backend_date(&old.backend_image),
        data.backend_date(&new.backend_image),
    ) else {
        return Ok(());
    };
    if to >= from {
        return Ok(());
    }
    let message = format!(
        "this moves the backend back from {from} ({}) to {to} ({}); the backend's data migrations are forward-only, so \
         an older backend on this project's data volume may refuse to start or corrupt it",
        old.backend_image, new.backend_image
    );
    if allow {
        crate::output::note(&format!(
            "warning (--allow-downgrade): {message}. If the stack has already started, run \
             scripts/convex-reset.sh before the next start (it exports a backup, then wipes the data volume)"
        ));
        return Ok(());
    }
    Err(usage(format!(
        "refusing a backend downgrade; nothing was written: {message}. Pick a release from {from} or later \
         (`convex-scaffold pins`). To go back on purpose, pass --allow-downgrade: fine when the stack has \
         never started; otherwise run scripts/convex-reset.sh after the upgrade (it exports a backup, then \
         wipes the data volume)"
    )))
}

/// The storage the data volume holds after this upgrade. A change between
/// local and S3 is refused unless `--reset-data`: the backend locks its
/// storage type at first start.
fn storage_after(args: &UpgradeArgs, state: &State, new: &Answers) -> Result<Storage> {
    let initial = state.scaffold.initial_storage;
    if new.storage == initial {
        return Ok(initial);
    }
    if args.reset_data {
        return Ok(new.storage);
    }
    let describe = |s: Storage| match s {
        Storage::Local => "Local { dir: ... }",
        Storage::S3 => "S3 { s3_prefix: ... }",
    };
    Err(usage(format!(
        "refusing to change storage from {initial} to {new}; nothing was written.\n\
         The backend records its storage type in its database at the first start (the storage lock) and \
         then refuses to start with another one:\n  \
         Database was initialized with Some({}), but backend started up with {}\n\
         Switching between local and S3 storage needs a fresh data volume. To do it, run again with \
         --reset-data (`convex-scaffold upgrade --set storage={new} --reset-data`), then run \
         scripts/convex-reset.sh, which exports a backup before it wipes the volume.",
        describe(initial),
        describe(new.storage),
        new = new.storage,
    )))
}

/// The database the backend runs on after this upgrade. Like storage, it is
/// locked at first start: all data lives in it, so a switch is refused
/// unless `--reset-data` (export, fresh backend, import).
fn database_after(args: &UpgradeArgs, state: &State, new: &Answers) -> Result<Database> {
    let initial = state.scaffold.initial_database;
    let old_url = state.answers.database_url.as_str();
    if args.reset_data || (new.database == initial && new.database_url == old_url) {
        return Ok(new.database);
    }
    if new.database == initial {
        let server = |url: &str| {
            if url.is_empty() {
                "the bundled database service".to_owned()
            } else {
                url.to_owned()
            }
        };
        return Err(usage(format!(
            "refusing to change database_url from {} to {}; nothing was written.\n\
             Another server holds none of this deployment's documents: the backend would show an empty \
             deployment. Moving needs an export, a fresh backend and an import. To do it, run again with \
             --reset-data, then run scripts/convex-reset.sh (it exports a backup first).",
            server(old_url),
            server(&new.database_url),
        )));
    }
    Err(usage(format!(
        "refusing to change database from {initial} to {new}; nothing was written.\n\
         The backend keeps every document in its database ({initial}); started on {new} it would show an empty \
         deployment whose function bundles on the data volume no longer match. Switching needs an export, a \
         fresh backend and an import. To do it, run again with --reset-data \
         (`convex-scaffold upgrade --set database={new} --reset-data`), then run scripts/convex-reset.sh, \
         which exports a backup before it wipes the volumes.",
        new = new.database,
    )))
}

/// Three-way merge with conflict markers labelled for the user.
fn merge3(base: &str, ours: &str, theirs: &str) -> std::result::Result<String, String> {
    let mut options = diffy::MergeOptions::new();
    options
        .set_conflict_style(diffy::ConflictStyle::Diff3)
        .set_incomplete_hunk_style(diffy::IncompleteHunkStyle::Git);
    options.merge(base, ours, theirs).map_err(|conflicted| {
        let input_lines: BTreeSet<&str> = base
            .lines()
            .chain(ours.lines())
            .chain(theirs.lines())
            .collect();
        let theirs_label = format!(">>>>>>> convex-scaffold {TOOL_VERSION} (new)");
        let mut out = String::with_capacity(conflicted.len() + 64);
        for line in conflicted.split_inclusive('\n') {
            let bare = line.strip_suffix('\n').unwrap_or(line);
            let label = match bare {
                "<<<<<<< ours" => Some(OURS_LABEL),
                "||||||| original" => Some(BASE_LABEL),
                ">>>>>>> theirs" => Some(theirs_label.as_str()),
                _ => None,
            };
            match label {
                Some(label) if !input_lines.contains(bare) => {
                    out.push_str(label);
                    out.push('\n');
                }
                _ => out.push_str(line),
            }
        }
        out
    })
}

/// Sets every exact `convex` pin the file holds (dependencies, dev
/// dependencies, every package manager's override) to the new version, so no
/// place keeps the old one after a package manager change.
fn repin_everywhere(text: &str, version: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(text) else {
        return text.to_owned();
    };
    let Some(pkg) = value.as_object_mut() else {
        return text.to_owned();
    };
    for path in [
        &["dependencies"][..],
        &["devDependencies"],
        &["pnpm", "overrides"],
        &["overrides"],
        &["resolutions"],
    ] {
        let mut current = Some(&mut *pkg);
        for key in path {
            current = current
                .and_then(|map| map.get_mut(*key))
                .and_then(Value::as_object_mut);
        }
        if let Some(slot) = current.and_then(|map| map.get_mut("convex")) {
            if slot.is_string() {
                *slot = Value::String(version.to_owned());
            }
        }
    }
    package_json::to_text(pkg)
}

fn env_key(line: &str) -> Option<&str> {
    let line = line.trim_start();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(key)
}

fn env_value_is_empty(line: &str) -> bool {
    line.split_once('=')
        .map(|(_, v)| matches!(v.trim(), "" | "''" | "\"\""))
        .unwrap_or(false)
}

/// The structural merge of a secret env file: every existing line stays;
/// keys the new example has and the file lacks are appended with the
/// example's (secret-free) value. With `fill_empty` (a storage change),
/// keys set to an empty value take the example's non-empty value, e.g. the
/// S3 bucket names. Returns the new text and the keys added and filled.
fn merge_env(
    existing: &str,
    example: &str,
    fill_empty: bool,
    source: &str,
) -> (String, Vec<String>, Vec<String>) {
    let mut example_lines: BTreeMap<&str, &str> = BTreeMap::new();
    let mut example_order: Vec<&str> = Vec::new();
    for line in example.lines() {
        if let Some(key) = env_key(line) {
            if example_lines.insert(key, line).is_none() {
                example_order.push(key);
            }
        }
    }
    let mut present = BTreeSet::new();
    let mut filled = Vec::new();
    let mut text = String::with_capacity(existing.len() + 256);
    for line in existing.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if let Some(key) = env_key(content) {
            present.insert(key.to_owned());
            if let Some(new_line) = example_lines.get(key) {
                // Storage moved to local: the S3 set must be empty, or the
                // backend would try S3 again; the old value stays as a comment.
                let storage_key = key.starts_with("AWS_") || key.starts_with("S3_");
                if fill_empty
                    && storage_key
                    && !env_value_is_empty(content)
                    && env_value_is_empty(new_line)
                {
                    text.push_str(&format!(
                        "# before storage changed to local (convex-scaffold upgrade): {content}\n"
                    ));
                    text.push_str(new_line);
                    text.push_str(&line[content.len()..]);
                    filled.push(key.to_owned());
                    continue;
                }
                if fill_empty && env_value_is_empty(content) && !env_value_is_empty(new_line) {
                    text.push_str(new_line);
                    text.push_str(&line[content.len()..]);
                    filled.push(key.to_owned());
                    continue;
                }
            }
        }
        text.push_str(line);
    }
    let missing: Vec<&str> = example_order
        .into_iter()
        .filter(|k| !present.contains(*k))
        .collect();
    if !missing.is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!(
            "\n# Added by `convex-scaffold upgrade` ({TOOL_VERSION}) from {source}:\n"
        ));
        for key in &missing {
            text.push_str(example_lines[key]);
            text.push('\n');
        }
    }
    (
        text,
        missing.into_iter().map(str::to_owned).collect(),
        filled,
    )
}

/// Whether a file still holds the conflict markers an upgrade wrote.
pub fn has_conflict_markers(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .lines()
        .any(|l| l.starts_with(OURS_LABEL))
}

/// One managed file: three-way merge of base, ours, theirs.
fn managed_step(
    path: &str,
    ours: Option<Vec<u8>>,
    base: Option<&String>,
    theirs: &[u8],
    mode: u32,
) -> Step {
    let theirs_vec = || Some(theirs.to_vec());
    let Some(ours) = ours else {
        return match base {
            Some(_) => Step::new(path, Action::KeptDeleted, None, None, mode)
                .note("you deleted it; convex-scaffold will not bring it back"),
            None => Step::new(path, Action::Create, None, theirs_vec(), mode),
        };
    };
    let markers = has_conflict_markers(&ours);
    let pending = if markers {
        "; still holds conflict markers from an earlier upgrade"
    } else {
        ""
    };
    if ours == theirs {
        return Step::new(path, Action::Unchanged, Some(ours), None, mode)
            .note(pending.trim_start_matches("; "));
    }
    let Some(base) = base else {
        return Step::new(path, Action::KeptYours, Some(ours), theirs_vec(), mode).note(
            "your own file where convex-scaffold now renders one: left as is; the diff below shows the rendered version",
        );
    };
    if ours == base.as_bytes() {
        return Step::new(path, Action::Update, Some(ours), theirs_vec(), mode);
    }
    if base.as_bytes() == theirs {
        return Step::new(path, Action::Unchanged, Some(ours), None, mode)
            .note(format!("your edits kept{pending}"));
    }
    let (Ok(ours_text), Ok(theirs_text)) =
        (String::from_utf8(ours.clone()), std::str::from_utf8(theirs))
    else {
        return Step::new(path, Action::KeptYours, Some(ours), theirs_vec(), mode)
            .note("not UTF-8 text, so it cannot be merged: left as is; apply the change by hand");
    };
    match merge3(base, &ours_text, theirs_text) {
        Ok(merged) if merged == ours_text => {
            Step::new(path, Action::Unchanged, Some(ours), None, mode)
                .note(format!("your edits kept{pending}"))
        }
        Ok(merged) => Step::new(
            path,
            Action::Merge,
            Some(ours),
            Some(merged.into_bytes()),
            mode,
        )
        .note(format!("your edits kept{pending}")),
        Err(conflicted) => Step::new(
            path,
            Action::Conflict,
            Some(ours),
            Some(conflicted.into_bytes()),
            mode,
        )
        .note("your edits overlap the new version; resolve the markers"),
    }
}

/// Decides, for every file the project has or the new render has, what
/// upgrade does. Reads only; every refusal happens here.
fn plan_steps(
    dir: &Path,
    base: &Base,
    old: &Answers,
    new: &Answers,
    initial_storage: Storage,
    initial_database: Database,
) -> Result<Vec<Step>> {
    // The frontend starter stays managed where the last render had it; a
    // project whose app is the user's own (or predates the starter) gets none.
    let with_starter =
        starter::rendered_in(base, old.frontend) || starter::rendered_in(base, new.frontend);
    // The secret files are rendered only to learn the keys they should have.
    let rendered = project::render_with(new, Some(""), with_starter)?;
    let env_local_keys = rendered.text(ENV_LOCAL).unwrap_or("").to_owned();
    let mut theirs = Tree::default();
    for (path, file) in &rendered.files {
        if file.policy != Policy::Secret {
            theirs.files.insert(path.clone(), file.clone());
        }
    }
    let state_tree = project::with_state(
        theirs.clone(),
        State::new(new, initial_storage).with_initial_database(initial_database),
    );

    for path in theirs.files.keys().chain(base.files.keys()) {
        if !tree::is_safe_relative(path) {
            return Err(usage(format!(
                "{BASE_FILE} lists {path:?}, which is not a plain path inside the project; restore the file from \
                 version control (git checkout -- {BASE_FILE}); convex-scaffold will not guess"
            )));
        }
        tree::check_no_escaping_symlink(dir, path)?;
    }

    let node_major = pins::data().node_major(&new.convex_version);
    let mut steps = Vec::new();
    for (path, file) in &theirs.files {
        let ours = tree::read_existing(dir, path)?;
        let base_text = base.files.get(path);
        let step = match file.policy {
            Policy::Managed => {
                let markers = ours.as_deref().is_some_and(has_conflict_markers);
                managed_step(path, ours, base_text, &file.contents, file.mode).unresolved(markers)
            }
            Policy::MergeJson | Policy::MergeLines => match ours {
                None if base_text.is_some() => {
                    let warning = if file.policy == Policy::MergeLines {
                        "; .env.docker and .env.local are not git-ignored now"
                    } else {
                        ""
                    };
                    Step::new(path, Action::KeptDeleted, None, None, file.mode).note(format!(
                        "you deleted it; convex-scaffold will not bring it back{warning}"
                    ))
                }
                None => Step::new(
                    path,
                    Action::Create,
                    None,
                    Some(file.contents.clone()),
                    file.mode,
                ),
                Some(ours) => {
                    let text = String::from_utf8(ours.clone()).map_err(|_| {
                        usage(format!(
                            "{} is not UTF-8 text; fix it or move it away, then run again",
                            dir.join(path).display()
                        ))
                    })?;
                    let merged = if file.policy == Policy::MergeJson {
                        let merged = package_json::merge(&text, new, node_major)
                            .and_then(|merged| {
                                if with_starter {
                                    starter::apply_to_text(&merged, new.frontend)
                                } else {
                                    Ok(merged)
                                }
                            })
                            .map_err(|e| {
                                usage(format!(
                                    "{} {e}; nothing was written. Fix it or move it away, then run again",
                                    dir.join(path).display()
                                ))
                            })?;
                        repin_everywhere(&merged, &new.convex_version.to_string())
                    } else {
                        gitignore::merge(&text)
                    };
                    if merged == text {
                        Step::new(path, Action::Unchanged, Some(ours), None, file.mode)
                    } else {
                        Step::new(
                            path,
                            Action::Merge,
                            Some(ours),
                            Some(merged.into_bytes()),
                            file.mode,
                        )
                        .note("merged structurally; your keys and lines kept")
                    }
                }
            },
            Policy::Secret => unreachable!("secret files are filtered out above"),
        };
        steps.push(step);
    }

    // Secret files: carried over; they only gain keys they lack.
    let fill_empty = old.storage != new.storage;
    let example = theirs.text(".env.docker.example").unwrap_or("").to_owned();
    for (path, keys_from, source) in [
        (ENV_DOCKER, example.as_str(), ".env.docker.example"),
        (ENV_LOCAL, env_local_keys.as_str(), "the new render"),
    ] {
        tree::check_no_escaping_symlink(dir, path)?;
        let Some(ours) = tree::read_existing(dir, path)? else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(&ours) else {
            steps.push(
                Step::new(path, Action::KeptSecret, Some(ours), None, 0o600)
                    .note("not UTF-8 text; left as is"),
            );
            continue;
        };
        let (merged, added, filled) = merge_env(text, keys_from, fill_empty, source);
        if added.is_empty() && filled.is_empty() {
            steps.push(
                Step::new(path, Action::KeptSecret, Some(ours), None, 0o600)
                    .note("secrets are never regenerated"),
            );
            continue;
        }
        let mut notes = Vec::new();
        if !added.is_empty() {
            notes.push(format!("added {}", added.join(", ")));
        }
        if !filled.is_empty() {
            notes.push(format!(
                "set {} for the new storage (values you had are kept as comments)",
                filled.join(", ")
            ));
        }
        steps.push(
            Step::new(
                path,
                Action::SecretKeys,
                Some(ours),
                Some(merged.into_bytes()),
                0o600,
            )
            .note(format!("{}; values not shown", notes.join("; "))),
        );
    }

    // Files this version no longer renders.
    for (path, base_text) in &base.files {
        if theirs.files.contains_key(path)
            || [STATE_FILE, BASE_FILE, ENV_DOCKER, ENV_LOCAL].contains(&path.as_str())
        {
            continue;
        }
        let Some(ours) = tree::read_existing(dir, path)? else {
            continue;
        };
        if ours == base_text.as_bytes() {
            steps.push(
                Step::new(path, Action::Remove, Some(ours), None, 0o644).note("no longer rendered"),
            );
        } else {
            steps.push(
                Step::new(path, Action::KeptUnmanaged, Some(ours), None, 0o644)
                    .note("no longer rendered, but you edited it: kept, and no longer managed"),
            );
        }
    }

    for path in [STATE_FILE, BASE_FILE] {
        let entry = state_tree
            .get(path)
            .expect("with_state adds the state and the base");
        let ours = tree::read_existing(dir, path)?;
        if ours.as_deref() != Some(entry.contents.as_slice()) {
            steps.push(Step::new(
                path,
                Action::Record,
                ours,
                Some(entry.contents.clone()),
                entry.mode,
            ));
        }
    }
    steps.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(steps)
}

fn verb(action: &Action, planned: bool) -> &'static str {
    let (done, would) = match action {
        Action::Create => ("created", "create"),
        Action::Update => ("updated", "update"),
        Action::Merge => ("merged", "merge"),
        Action::Conflict => ("conflict", "conflict"),
        Action::Unchanged => ("unchanged", "unchanged"),
        Action::KeptDeleted => ("kept-deleted", "kept-deleted"),
        Action::KeptYours => ("kept-yours", "kept-yours"),
        Action::Remove => ("removed", "remove"),
        Action::KeptUnmanaged => ("kept", "kept"),
        Action::SecretKeys => ("merged", "merge"),
        Action::KeptSecret => ("kept", "kept"),
        Action::Record => ("updated", "update"),
    };
    if planned {
        would
    } else {
        done
    }
}

fn print_header(out: &mut String, plan: &Plan) {
    let (old, new) = (plan.old.pins(), plan.new.pins());
    say!(
        out,
        "convex-scaffold {TOOL_VERSION} upgrade of {}",
        plan.new.name
    );
    for (what, from, to) in [
        (
            "convex CLI",
            old.convex_version.to_string(),
            new.convex_version.to_string(),
        ),
        ("backend", old.backend_image, new.backend_image),
        ("dashboard", old.dashboard_image, new.dashboard_image),
    ] {
        if from == to {
            say!(out, "  {what:<11} {to}");
        } else {
            say!(out, "  {what:<11} {from} -> {to}");
        }
    }
    let (old_raw, new_raw) = (plan.old.to_raw(), plan.new.to_raw());
    for (key, value) in &new_raw.values {
        let before = old_raw.get(key).unwrap_or("");
        if !PIN_KEYS.contains(&key.as_str()) && before != value {
            let before = if before.is_empty() { "(empty)" } else { before };
            say!(out, "  {key:<11} {before} -> {value}");
        }
    }
    if let Some(note) = &plan.pins_note {
        say!(out, "  note: {note}");
    }
    if plan.old.platform != plan.new.platform {
        say!(out,
            "  warning: the Coder template moves from {} to {}. Pushed as a new version of the same template, updating \
             a workspace destroys its {} volumes — the home folder and the inner Docker data with the Convex database. \
             Push it as a NEW template instead (e.g. `coder templates push {}-{} -d coder ...`, see coder/README.md for \
             its --var values), move each project, then retire the old one",
            plan.old.platform, plan.new.platform, plan.old.platform, plan.new.name, plan.new.platform
        );
    }
    if plan.old.name != plan.new.name {
        say!(out,
            "  warning: the name is the docker compose project, so the backend now uses the volume {}_data and starts \
             empty; the data stays in {}_data. INSTANCE_NAME in .env.docker is kept as it is",
            plan.new.name, plan.old.name
        );
    }
    say!(out);
}

/// One line per file; `planned` words it as a plan (and, for `--check`,
/// leaves out the files that stay as they are); `diffs` adds a unified diff
/// of every change (never of a secret file or the merge base).
fn print_steps(out: &mut String, steps: &[Step], planned: bool, diffs: bool) {
    let unchanged = steps
        .iter()
        .filter(|s| s.action == Action::Unchanged)
        .count();
    for step in steps {
        if step.action == Action::Unchanged && !step.unresolved {
            continue;
        }
        if planned && !diffs && !step.changes() && !step.is_finding() {
            continue;
        }
        let note = if step.note.is_empty() {
            String::new()
        } else {
            format!(" ({})", step.note)
        };
        say!(
            out,
            "{:<13} {}{note}",
            verb(&step.action, planned),
            step.path
        );
        let show_diff = (diffs && step.changes()) || step.action == Action::KeptYours;
        if !show_diff || matches!(step.action, Action::SecretKeys) || step.path == BASE_FILE {
            continue;
        }
        let old = String::from_utf8_lossy(step.old.as_deref().unwrap_or_default());
        let new = String::from_utf8_lossy(step.new.as_deref().unwrap_or_default());
        out.push_str(&tree::unified_diff(&step.path, &old, &new));
    }
    if unchanged > 0 {
        say!(out, "({unchanged} other files unchanged)");
    }
}

/// `convex-backend:c1a7ac393888` for messages.
fn short_image(image: &str) -> String {
    let name = image.rsplit('/').next().unwrap_or(image);
    match name.split_once(':') {
        Some((repo, tag)) if tag.len() > 12 => format!("{repo}:{}", &tag[..12]),
        _ => name.to_owned(),
    }
}

fn print_next_steps(out: &mut String, dir: &Path, plan: &Plan, reset_data: bool) {
    let changed: Vec<&Step> = plan.steps.iter().filter(|s| s.changes()).collect();
    let conflicts: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::Conflict)
        .map(|s| s.path.as_str())
        .collect();
    let yours: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::KeptYours)
        .map(|s| s.path.as_str())
        .collect();
    say!(out);
    if changed.is_empty() {
        say!(out, "Up to date: nothing changed.");
        say!(
            out,
            "{}",
            pins::currency_note(pins::table_age_days(std::time::SystemTime::now()))
        );
    }
    let server_change = plan.old.database_url != plan.new.database_url;
    // An --allow-downgrade: the older backend must not start on the data
    // volume a newer one migrated (the warning says so too).
    let data = pins::data();
    let downgrade = match (
        data.backend_date(&plan.old.backend_image),
        data.backend_date(&plan.new.backend_image),
    ) {
        (Some(from), Some(to)) if to < from => Some((from, to)),
        _ => None,
    };
    if reset_data
        && plan.storage_change.is_none()
        && plan.database_change.is_none()
        && !server_change
    {
        say!(
            out,
            "--reset-data: storage stays {} and database stays {}; there is nothing to reset.",
            plan.new.storage,
            plan.new.database
        );
    }
    let mut next = Vec::new();
    if !conflicts.is_empty() {
        next.push(format!(
            "resolve the conflicts in {} (look for '{OURS_LABEL}'); the next upgrade merges from this version, \
             so it will not report these hunks again",
            conflicts.join(", ")
        ));
    }
    if !yours.is_empty() {
        next.push(format!(
            "compare {} with the rendered version shown above",
            yours.join(", ")
        ));
    }
    let touched = |path: &str| changed.iter().any(|s| s.path == path);
    if touched("package.json") {
        next.push(format!(
            "{} install   # package.json pins convex {}",
            plan.new.package_manager, plan.new.convex_version
        ));
    }
    if let Some((from, to)) = plan.storage_change {
        next.push(format!(
            "storage changed {from} -> {to}: {}run scripts/convex-reset.sh while the backend still runs on the old \
             settings. It exports a backup to backups/, wipes the data volume and starts the backend on {to} \
             (the backend refuses to start on a volume initialised with {from}). Then import the backup and run \
             scripts/convex-deploy.sh",
            if to == Storage::S3 { "fill in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in .env.docker, then " } else { "" }
        ));
        if !plan.new.database_url.is_empty() && !server_change {
            next.push(format!(
                "the backend keeps its storage type ({from}) in the external database, not in the volume: \
                 scripts/convex-reset.sh exports the backup, stops the backend and prints the command that \
                 empties that database (it never changes the server itself); run it, then \
                 scripts/convex-reset.sh --yes --no-backup --database-emptied"
            ));
        }
    } else if let Some((from, to)) = plan.database_change {
        next.push(format!(
            "database changed {from} -> {to}: run scripts/convex-reset.sh while the backend still runs on {from}. \
             It exports a backup to backups/, wipes the data volume and starts the backend on {to} (the {from} \
             data is not deleted by the switch). Then import the backup and run scripts/convex-deploy.sh"
        ));
    } else if server_change {
        next.push(
            "the database server changed: put the password into the server's URL in .env.docker (and create \
             the database there), then run scripts/convex-reset.sh while the backend still runs on the old one. It exports a backup to backups/, wipes the data volume and starts the backend on the new \
             server. Then import the backup and run scripts/convex-deploy.sh"
                .into(),
        );
    } else if let Some((from, to)) = downgrade {
        next.push(format!(
            "the backend moves back from {from} to {to} (--allow-downgrade): if the stack has ever started, run \
             scripts/convex-reset.sh before the next start, while the newer backend still runs. It exports a backup \
             to backups/, wipes the data volume (an older backend may refuse to start on, or corrupt, data a newer one migrated) and starts \
             the {to} backend on an empty one. Then import the backup and run scripts/convex-deploy.sh. Only if the \
             stack never started: scripts/convex-up.sh && scripts/convex-deploy.sh"
        ));
    } else if changed
        .iter()
        .any(|s| !s.path.starts_with("coder/") && s.action != Action::Record)
    {
        next.push("scripts/convex-up.sh && scripts/convex-deploy.sh   # restart on the new files and redeploy".into());
    }
    if downgrade.is_some() && plan.storage_change.is_none() {
        next.push(
            "Coder workspaces: after the template is pushed, a workspace's next start runs the older backend on \
             its data volume; in a workspace where a newer backend already ran, run scripts/convex-reset.sh there \
             (it exports a backup first)"
                .into(),
        );
    } else if plan.old.backend_image != plan.new.backend_image && plan.storage_change.is_none() {
        next.push(format!(
            "the backend image changes ({} -> {}). The next scripts/convex-up.sh first exports a backup \
             (convex export --include-file-storage) to backups/ while the old backend still runs, and only then starts \
             the new image; it stops, changing nothing, when the export fails. The new backend migrates the database \
             forward when it starts and cannot go back (there is no rollback): that backup is the only way back. \
             Workspaces do the same at their next start after the template is pushed",
            short_image(&plan.old.backend_image),
            short_image(&plan.new.backend_image)
        ));
    }
    if changed.iter().any(|s| s.path.starts_with("coder/")) {
        if plan.old.platform == plan.new.platform {
            // publish.sh pushes with the recorded --var values and refuses a
            // stale coder/ (the same step `new` names).
            let script = dir.join("coder").join("publish.sh").display().to_string();
            next.push(format!(
                "{}   # a new template version for the coder/ folder (template {}, the recorded --var values)",
                crate::escape::shell_word(&script).unwrap_or(script),
                plan.new.name
            ));
        } else {
            next.push(format!(
                "{}   # a NEW template: the platform changed (see the warning above)",
                crate::outputs::coder::push_command(
                    &format!("{}-{}", plan.new.name, plan.new.platform),
                    &plan.new,
                    &dir.join("coder")
                )
            ));
        }
    }
    if !next.is_empty() {
        say!(out, "Next:");
        for line in next {
            say!(out, "  {line}");
        }
    }
    // Switched on now: the app-side steps `new` prints (the scripts only
    // make and set the keys).
    if plan.old.auth != plan.new.auth {
        out.push_str(&crate::generate::auth_steps(&plan.new));
    }
    // The starter's package.json entries stay (your app may use them): say
    // which, so they can be removed by hand.
    if plan.old.frontend != plan.new.frontend {
        let package = fs::read_to_string(dir.join("package.json")).unwrap_or_default();
        let left = starter::leftovers(&package, plan.old.frontend);
        if !left.is_empty() {
            say!(
                out,
                "frontend changed {} -> {}: package.json keeps what the {} starter added ({}); remove them \
                 if your app does not use them, then run {} install",
                plan.old.frontend,
                plan.new.frontend,
                plan.old.frontend,
                left.join(", "),
                plan.new.package_manager
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge3_keeps_separate_edits_and_labels_conflicts() {
        let base = "a\nimage: old\nz\n";
        let merged = merge3(base, "# mine\na\nimage: old\nz\n", "a\nimage: new\nz\n").unwrap();
        assert_eq!(merged, "# mine\na\nimage: new\nz\n");
        let conflicted = merge3(base, "a\nimage: mine\nz\n", "a\nimage: new\nz\n").unwrap_err();
        assert!(
            conflicted.contains("<<<<<<< yours\nimage: mine\n"),
            "{conflicted}"
        );
        assert!(
            conflicted.contains(&format!(">>>>>>> convex-scaffold {TOOL_VERSION}")),
            "{conflicted}"
        );
    }

    #[test]
    fn merge_env_appends_missing_keys_once_and_keeps_values() {
        let existing = "A=secret\nB=\n";
        let example = "# c\nA=\nB=bucket\nC=x\n";
        let (text, added, filled) = merge_env(existing, example, false, "example");
        assert_eq!(added, ["C"]);
        assert!(filled.is_empty());
        assert!(text.starts_with("A=secret\nB=\n\n# Added"), "{text}");
        assert!(text.ends_with("C=x\n"));
        let (again, added, _) = merge_env(&text, example, false, "example");
        assert_eq!(again, text);
        assert!(added.is_empty());
        let (filled_text, _, filled) = merge_env(existing, example, true, "example");
        assert_eq!(filled, ["B"]);
        assert!(filled_text.starts_with("A=secret\nB=bucket\n"));
    }

    #[test]
    fn repin_moves_every_convex_pin() {
        let text = "{\n  \"b\": 1,\n  \"devDependencies\": {\"convex\": \"1.0.0\"},\n  \"resolutions\": {\"convex\": \"1.0.0\"},\n  \"a\": 2\n}\n";
        let out = repin_everywhere(text, "1.26.2");
        assert!(!out.contains("1.0.0"), "{out}");
        assert!(out.find("\"b\"").unwrap() < out.find("\"a\"").unwrap());
    }
}
