//! `convex-scaffold doctor`: checks a project for every known
//! misconfiguration and prints one line per check (pass / warn / fail) with
//! the fix. Exit 0 when nothing fails (warnings allowed), 1 otherwise.
//!
//! Each family of checks lives in its own file and appends [`Check`]s to a
//! list; they all read the same [`Project`] (files read once, the process
//! environment captured once) so tests can inject every input.

pub mod auth;
pub mod buckets;
pub mod cli_pin;
pub mod currency;
pub mod database;
pub mod dns;
pub mod docker;
pub mod dotenv;
pub mod env_docker;
pub mod images;
pub mod live;
pub mod lockfiles;
pub mod registry;
pub mod secrets;
pub mod stack;
pub mod storage;
pub mod urls;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::answers::Storage;
use crate::cli::DoctorArgs;
use crate::error::{usage, Outcome};
use crate::state::{State, STATE_FILE};

pub use dns::SystemFiles;
pub use dotenv::Dotenv;

pub const ENV_DOCKER: &str = ".env.docker";
pub const ENV_LOCAL: &str = ".env.local";
pub const COMPOSE_FILE: &str = "docker-compose.yml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// The result of one check. `id` is stable (scripts and the JSON output rely
/// on it); `issue` names the matching entry of the known-issues catalogue
/// (`templates/data/known-issues.toml`) when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub message: String,
    /// What to do; empty when the check passes.
    pub fix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
}

impl Check {
    pub fn pass(id: &'static str, message: impl Into<String>) -> Self {
        Check {
            id,
            status: Status::Pass,
            message: message.into(),
            fix: String::new(),
            issue: None,
        }
    }

    pub fn warn(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            id,
            status: Status::Warn,
            message: message.into(),
            fix: fix.into(),
            issue: None,
        }
    }

    pub fn fail(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            id,
            status: Status::Fail,
            message: message.into(),
            fix: fix.into(),
            issue: None,
        }
    }

    pub fn issue(mut self, issue: impl Into<String>) -> Self {
        self.issue = Some(issue.into());
        self
    }
}

/// Every check, in the order they are printed.
pub const CHECK_IDS: &[&str] = &[
    "state",
    "cli-pin",
    "cli-known-bad",
    "cli-backend-compat",
    "cli-pin-state",
    "pins-current",
    "lockfile",
    "node-modules",
    "images-pinned",
    "images-release",
    "env-docker",
    "ssl-flag",
    "s3-set",
    "s3-booleans",
    "s3-dns",
    "storage-config",
    "storage-initial",
    "database-locked",
    "database-url",
    "database-name",
    "database-password",
    "database-ssl",
    "database-exists",
    "url-cloud-origin",
    "url-self-hosted",
    "url-frontend",
    "ports",
    "convex-deployment",
    "secret-modes",
    "secret-gitignored",
    "auth-keys",
    "auth-dotenv",
    "images-present",
    "stack-backend",
    "backend-version",
    "admin-key",
    "auth-env",
    "s3-buckets",
    "cli-published",
];

/// How the checks run; tests replace the system files and the timeouts.
#[derive(Debug, Clone)]
pub struct Options {
    pub offline: bool,
    pub system: SystemFiles,
    /// Bound of each network step (DNS lookup, connect, read).
    pub timeout: Duration,
    /// The docker client, and the bound of each docker call (a registry
    /// look-up can take seconds).
    pub docker: String,
    pub docker_timeout: Duration,
    /// The npm client (the registry look-up of `cli-published`).
    pub npm: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            offline: false,
            system: SystemFiles::default(),
            timeout: Duration::from_secs(2),
            docker: "docker".into(),
            docker_timeout: Duration::from_secs(15),
            npm: "npm".into(),
        }
    }
}

/// A file the checks read: absent, unreadable, or its content.
#[derive(Debug, Clone)]
pub enum Loaded<T> {
    Missing,
    Unreadable(String),
    Ok(T),
}

impl<T> Loaded<T> {
    pub fn ok(&self) -> Option<&T> {
        match self {
            Loaded::Ok(v) => Some(v),
            _ => None,
        }
    }
}

/// Where a value came from, for messages and fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Environment,
    File(&'static str),
    Default,
}

impl Source {
    /// "in .env.local", "in the environment".
    pub fn describe(self) -> String {
        match self {
            Source::Environment => "in the environment".into(),
            Source::File(f) => format!("in {f}"),
            Source::Default => "by default".into(),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    pub source: Source,
}

/// Everything the checks read, loaded once.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    pub state: Option<State>,
    pub env_docker: Loaded<Dotenv>,
    pub env_local: Loaded<Dotenv>,
    /// `.env`, which the convex CLI reads after `.env.local`.
    pub env_file: Loaded<Dotenv>,
    pub compose: Loaded<images::Compose>,
    /// The process environment (captured once; tests pass their own).
    pub env: BTreeMap<String, String>,
}

impl Project {
    /// Reads the project. A state file that is present but corrupt is a
    /// usage error (exit 2); a missing one only skips the checks needing it.
    pub fn load(dir: &Path, env: BTreeMap<String, String>) -> Result<Self> {
        if !dir.is_dir() {
            return Err(usage(format!("{} is not a folder", dir.display())));
        }
        let state = if dir.join(STATE_FILE).exists() {
            Some(State::read(dir)?)
        } else {
            None
        };
        let dotenv = |name: &str| match read_text(&dir.join(name)) {
            Loaded::Ok(text) => Loaded::Ok(dotenv::parse(&text)),
            Loaded::Missing => Loaded::Missing,
            Loaded::Unreadable(e) => Loaded::Unreadable(e),
        };
        let compose = match read_text(&dir.join(COMPOSE_FILE)) {
            Loaded::Ok(text) => match images::Compose::parse(&text) {
                Ok(c) => Loaded::Ok(c),
                Err(e) => Loaded::Unreadable(e),
            },
            Loaded::Missing => Loaded::Missing,
            Loaded::Unreadable(e) => Loaded::Unreadable(e),
        };
        Ok(Project {
            dir: dir.to_path_buf(),
            state,
            env_docker: dotenv(ENV_DOCKER),
            env_local: dotenv(ENV_LOCAL),
            env_file: dotenv(".env"),
            compose,
            env,
        })
    }

    fn env_value(&self, key: &str) -> Option<&str> {
        self.env
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A backend variable as docker compose sees it: a non-empty value in
    /// the shell environment wins over `.env.docker`. Variables the compose
    /// file does not pass to the backend come from `.env.docker` only (the
    /// shell cannot reach the backend through them).
    pub fn docker_var(&self, key: &str) -> Option<Var> {
        let passed = match self.compose.ok() {
            Some(c) => c.backend_env.iter().any(|k| k == key),
            None => true,
        };
        if passed {
            if let Some(v) = self.env_value(key) {
                return Some(Var {
                    value: v.to_owned(),
                    source: Source::Environment,
                });
            }
        }
        let file = self.env_docker.ok()?.non_empty(key)?;
        Some(Var {
            value: file.to_owned(),
            source: Source::File(ENV_DOCKER),
        })
    }

    /// A variable of the convex CLI or the frontend: the process environment
    /// wins over `.env.local` (dotenv never overrides a set variable).
    pub fn local_var(&self, key: &str) -> Option<Var> {
        if let Some(v) = self.env_value(key) {
            return Some(Var {
                value: v.to_owned(),
                source: Source::Environment,
            });
        }
        let file = self.env_local.ok()?.non_empty(key)?;
        Some(Var {
            value: file.to_owned(),
            source: Source::File(ENV_LOCAL),
        })
    }

    /// The command that renders the project's files again.
    pub fn rerender(&self) -> &'static str {
        if self.state.is_some() {
            "`convex-scaffold upgrade`"
        } else {
            "`convex-scaffold new --force <DIR>`"
        }
    }

    /// The package manager: the recorded answer, else the lockfile present,
    /// else npm.
    pub fn package_manager(&self) -> &'static str {
        if let Some(state) = &self.state {
            return state.answers.package_manager.as_str();
        }
        for (file, pm) in [
            ("pnpm-lock.yaml", "pnpm"),
            ("yarn.lock", "yarn"),
            ("bun.lock", "bun"),
            ("bun.lockb", "bun"),
        ] {
            if self.dir.join(file).exists() {
                return pm;
            }
        }
        "npm"
    }

    /// The storage mode the S3 variables select: `Some(S3)` when the set is
    /// complete, `Some(Local)` when it is empty, `None` when it is partial.
    pub fn env_storage(&self) -> Option<Storage> {
        let set = env_docker::s3_set(self);
        if set.missing.is_empty() {
            Some(Storage::S3)
        } else if set.present.is_empty() {
            Some(Storage::Local)
        } else {
            None
        }
    }

    /// The backend image: from docker-compose.yml, else the state's pin.
    pub fn backend_image(&self) -> Option<String> {
        self.compose
            .ok()
            .and_then(|c| c.backend.as_ref().map(|s| s.image.clone()))
            .or_else(|| self.state.as_ref().map(|s| s.pins.backend_image.clone()))
    }
}

pub(crate) fn read_text(path: &Path) -> Loaded<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Loaded::Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Loaded::Missing,
        Err(e) => Loaded::Unreadable(e.to_string()),
    }
}

/// The fix for a project file that does not parse: when `upgrade` left
/// conflict markers in it, resolving them (keeping the user's edits, never
/// `git checkout`, which would throw them away), else `otherwise`.
pub(crate) fn repair_fix(dir: &Path, file: &str, otherwise: String) -> String {
    match read_text(&dir.join(file)) {
        Loaded::Ok(text) if crate::upgrade::has_conflict_markers(text.as_bytes()) => format!(
            "resolve the conflict markers `convex-scaffold upgrade` left in {file}: in each block from              '{}' (your lines) to '>>>>>>> convex-scaffold ...' (the new render) keep the lines you want              and delete the marker lines (`grep -n -E '^(<<<<<<<|[|]{{7}}|=======|>>>>>>>)' {file}` finds them),              then run `convex-scaffold doctor` again",
            crate::upgrade::OURS_LABEL
        ),
        _ => otherwise,
    }
}

/// Runs every check on a loaded project.
pub fn check_project(project: &Project, options: &Options) -> Vec<Check> {
    let mut out = Vec::new();
    out.push(match &project.state {
        Some(state) => Check::pass(
            "state",
            format!(
                "{STATE_FILE} found (rendered by convex-scaffold {})",
                state.scaffold.tool_version
            ),
        ),
        None => Check::warn(
            "state",
            format!(
                "no {STATE_FILE}: this folder was not made by convex-scaffold, so the checks that need the recorded answers are skipped"
            ),
            "render the project with `convex-scaffold new`, or ignore this warning",
        ),
    });
    cli_pin::check(project, &mut out);
    currency::check(project, &mut out);
    images::check(project, &mut out);
    env_docker::check(project, &mut out);
    dns::check(project, &options.system, options.timeout, &mut out);
    // Live: what Docker says about the project's containers.
    let stack = (!options.offline)
        .then(|| stack::inspect(project, &options.docker, options.docker_timeout));
    storage::check(project, stack.as_ref(), &mut out);
    database::check(
        project,
        stack::started(stack.as_ref()),
        (!options.offline).then_some((options.docker.as_str(), options.docker_timeout)),
        &mut out,
    );
    urls::check(project, &mut out);
    urls::check_ports(project, &mut out);
    secrets::check(project, &mut out);
    auth::check(project, &mut out);
    if let Some(stack) = &stack {
        stack::check(project, stack, &mut out);
    }
    if !options.offline {
        registry::check(project, &options.docker, options.docker_timeout, &mut out);
        live::check(project, options.timeout, &mut out);
        buckets::check(project, options.timeout, &mut out);
        currency::check_registry(project, &options.npm, options.docker_timeout, &mut out);
    }
    out
}

/// The JSON document of `doctor --json`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub dir: String,
    pub ok: bool,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub checks: &'a [Check],
}

pub fn report<'a>(dir: &Path, checks: &'a [Check]) -> Report<'a> {
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    Report {
        dir: dir.display().to_string(),
        ok: count(Status::Fail) == 0,
        pass: count(Status::Pass),
        warn: count(Status::Warn),
        fail: count(Status::Fail),
        checks,
    }
}

/// The text output: one line per check, then a summary.
pub fn render_text(dir: &Path, checks: &[Check], offline: bool) -> String {
    let width = checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let mut text = format!("convex-scaffold doctor: {}\n", dir.display());
    for c in checks {
        let mut line = format!("{:<4}  {:<width$}  {}", c.status.as_str(), c.id, c.message);
        if !c.fix.is_empty() && c.status != Status::Pass {
            line.push_str(" -- fix: ");
            line.push_str(&c.fix);
        }
        if let (Some(issue), true) = (&c.issue, c.status != Status::Pass) {
            line.push_str(&format!(" [known issue: {issue}]"));
        }
        text.push_str(&line);
        text.push('\n');
    }
    let r = report(dir, checks);
    text.push_str(&format!(
        "{} passed, {} warning(s), {} failed{}\n",
        r.pass,
        r.warn,
        r.fail,
        if offline {
            " (--offline: images-present, stack-backend, backend-version, admin-key, s3-buckets and cli-published not checked)"
        } else {
            ""
        }
    ));
    text
}

/// Files of which a Convex project has at least one.
const PROJECT_MARKERS: &[&str] = &[
    STATE_FILE,
    COMPOSE_FILE,
    ENV_DOCKER,
    ENV_LOCAL,
    "package.json",
];

/// A folder with none of [`PROJECT_MARKERS`] is not a project: checking it
/// would only list failures about files that do not exist (exit 2).
fn refuse_outside_a_project(dir: &Path) -> Result<()> {
    if !dir.is_dir() || PROJECT_MARKERS.iter().any(|name| dir.join(name).exists()) {
        return Ok(()); // Project::load reports a missing folder.
    }
    Err(usage(format!(
        "{} is not a Convex project (it has none of {}); nothing to check. Run `convex-scaffold doctor DIR` \
         with the project folder, or create one with `convex-scaffold new DIR`",
        dir.display(),
        PROJECT_MARKERS.join(", ")
    )))
}

/// `convex-scaffold doctor [DIR] [--offline] [--json]`.
pub fn run(args: &DoctorArgs) -> Result<Outcome> {
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    refuse_outside_a_project(&args.dir)?;
    let project = Project::load(&args.dir, env)?;
    let options = Options {
        offline: args.offline,
        ..Options::default()
    };
    let checks = check_project(&project, &options);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let doc = serde_json::to_string_pretty(&report(&args.dir, &checks))?;
        writeln!(stdout, "{doc}")?;
    } else {
        write!(stdout, "{}", render_text(&args.dir, &checks, args.offline))?;
    }
    stdout.flush()?;
    Ok(if checks.iter().any(|c| c.status == Status::Fail) {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_stable() {
        let checks = vec![
            Check::pass("state", "ok"),
            Check::fail("cli-known-bad", "bad", "pin 1.24.8").issue("cli-1-26-reading-length"),
        ];
        let value = serde_json::to_value(report(Path::new("p"), &checks)).unwrap();
        assert_eq!(value["ok"], false);
        assert_eq!(value["fail"], 1);
        assert_eq!(
            value["checks"][0],
            serde_json::json!({"id": "state", "status": "pass", "message": "ok", "fix": ""})
        );
        assert_eq!(value["checks"][1]["issue"], "cli-1-26-reading-length");
    }

    #[test]
    fn the_environment_wins_only_where_compose_passes_the_variable() {
        let env: BTreeMap<String, String> = [
            ("AWS_REGION", "eu-west-1"),
            ("CONVEX_CLOUD_ORIGIN", "https://api.example.com"),
            ("CONVEX_SELF_HOSTED_URL", ""),
            ("VITE_CONVEX_URL", "https://api.example.com"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let p = Project {
            dir: ".".into(),
            state: None,
            env_docker: Loaded::Ok(dotenv::parse(
                "AWS_REGION=us-east-1\nCONVEX_CLOUD_ORIGIN=http://127.0.0.1:3210\n",
            )),
            env_local: Loaded::Ok(dotenv::parse(
                "CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\nVITE_CONVEX_URL=x\n",
            )),
            env_file: Loaded::Missing,
            compose: Loaded::Ok(images::Compose {
                backend: None,
                dashboard: None,
                backend_env: vec!["CONVEX_CLOUD_ORIGIN".into()],
            }),
            env,
        };
        let var = |value: &str, source| Var {
            value: value.into(),
            source,
        };
        assert_eq!(
            p.docker_var("AWS_REGION"),
            Some(var("us-east-1", Source::File(ENV_DOCKER)))
        );
        assert_eq!(
            p.docker_var("CONVEX_CLOUD_ORIGIN"),
            Some(var("https://api.example.com", Source::Environment))
        );
        assert_eq!(
            p.local_var("CONVEX_SELF_HOSTED_URL"),
            Some(var("http://127.0.0.1:3210", Source::File(ENV_LOCAL)))
        );
        assert_eq!(
            p.local_var("VITE_CONVEX_URL"),
            Some(var("https://api.example.com", Source::Environment))
        );
        assert_eq!(p.docker_var("S3_ENDPOINT_URL"), None);
    }

    #[test]
    fn text_has_one_line_per_check_with_the_fix() {
        let checks = vec![
            Check::pass("state", "ok"),
            Check::warn("lockfile", "not installed yet", "run pnpm install"),
        ];
        let text = render_text(Path::new("p"), &checks, true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].starts_with("warn  lockfile  not installed yet -- fix: run pnpm install"));
        assert!(lines[3].starts_with("1 passed, 1 warning(s), 0 failed"));
    }
}
