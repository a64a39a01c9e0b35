//! The running stack (live, skipped with `--offline`): when Docker answers,
//! the project's backend container is looked at directly — its state, its
//! restarts, and its recent log run through the known-issues catalogue — so
//! a backend that refuses to start (e.g. the storage-type lock) is reported
//! from what it says, not guessed from the files.
//!
//! Every `docker` call is bounded by a timeout; a missing or unreachable
//! Docker is a warning, never a hang.

use std::time::Duration;

use serde::Deserialize;

use super::docker::{run as run_docker, Outcome};
use super::{Check, Project, COMPOSE_FILE};
use crate::diagnose;

/// How many lines of the backend's log are read.
const LOG_LINES: &str = "200";

/// What Docker says about the project's backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stack {
    /// `docker` is missing or its daemon does not answer.
    Unreachable(String),
    /// Docker answers; the backend container and the data volume, if any.
    Seen {
        project: String,
        backend: Option<Container>,
        data_volume: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    pub image: String,
    /// `created`, `running`, `restarting`, `exited`, ...
    pub status: String,
    pub restarts: u32,
    pub exit_code: i32,
    /// The last lines of its log (stdout and stderr).
    pub log: String,
}

/// Whether the stack has ever started, as far as Docker shows: the data
/// volume exists (`Some(true)`) or not (`Some(false)`); `None` when Docker
/// was not asked (`--offline`) or did not answer.
pub fn started(stack: Option<&Stack>) -> Option<bool> {
    match stack {
        Some(Stack::Seen { data_volume, .. }) => Some(*data_volume),
        _ => None,
    }
}

/// The compose project name: COMPOSE_PROJECT_NAME, else the compose file's
/// top-level `name`, else the recorded answer, else the folder's name.
pub fn project_name(p: &Project) -> String {
    #[derive(Deserialize)]
    struct Top {
        name: Option<String>,
    }
    if let Some(name) = p.env.get("COMPOSE_PROJECT_NAME").filter(|n| !n.is_empty()) {
        return name.clone();
    }
    let from_file = std::fs::read_to_string(p.dir.join(COMPOSE_FILE))
        .ok()
        .and_then(|text| serde_saphyr::from_str::<Top>(&text).ok())
        .and_then(|top| top.name);
    from_file
        .or_else(|| p.state.as_ref().map(|s| s.answers.name.clone()))
        .unwrap_or_else(|| {
            p.dir
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default()
        })
}

/// Runs `docker ARGS` bounded; stdout on success (stdout and stderr for
/// `logs`, which passes the container's stderr through), a reason otherwise.
pub(super) fn docker(docker: &str, args: &[&str], timeout: Duration) -> Result<String, String> {
    match run_docker(docker, args, timeout) {
        Outcome::Ok { stdout, stderr } if args.first() == Some(&"logs") => Ok(stdout + &stderr),
        Outcome::Ok { stdout, .. } => Ok(stdout),
        Outcome::Failed(why) => Err(format!("`docker {}` failed: {why}", args[0])),
        Outcome::TimedOut => Err(format!(
            "`docker {}` gave no answer within {}s",
            args[0],
            timeout.as_secs()
        )),
        Outcome::NotRun(why) => Err(format!("cannot run docker: {why}")),
    }
}

/// Asks Docker about the project's backend container and data volume.
pub fn inspect(p: &Project, docker_bin: &str, timeout: Duration) -> Stack {
    let project = project_name(p);
    let project_label = format!("label=com.docker.compose.project={project}");
    let ids = match docker(
        docker_bin,
        &[
            "ps",
            "-a",
            "-q",
            "--no-trunc",
            "--filter",
            &project_label,
            "--filter",
            "label=com.docker.compose.service=backend",
        ],
        timeout,
    ) {
        Ok(ids) => ids,
        Err(why) => return Stack::Unreachable(why),
    };
    let data_volume = docker(
        docker_bin,
        &[
            "volume",
            "ls",
            "-q",
            "--filter",
            &project_label,
            "--filter",
            "label=com.docker.compose.volume=data",
        ],
        timeout,
    )
    .map(|v| !v.trim().is_empty())
    .unwrap_or(false);
    let backend =
        ids.lines()
            .map(str::trim)
            .find(|id| !id.is_empty())
            .and_then(|id| {
                let fields = docker(docker_bin, &[
                    "inspect",
                    "-f",
                    "{{.Config.Image}}\t{{.State.Status}}\t{{.RestartCount}}\t{{.State.ExitCode}}",
                    id,
                ],
                timeout,
            )
            .ok()?;
                let mut parts = fields.trim().split('\t');
                let image = parts.next().unwrap_or_default().to_string();
                let status = parts.next().unwrap_or_default().to_string();
                let restarts = parts.next().and_then(|r| r.parse().ok()).unwrap_or(0);
                let exit_code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
                let log = docker(docker_bin, &["logs", "--tail", LOG_LINES, id], timeout)
                    .unwrap_or_default();
                Some(Container {
                    id: id.chars().take(12).collect(),
                    image,
                    status,
                    restarts,
                    exit_code,
                    log,
                })
            });
    Stack::Seen {
        project,
        backend,
        data_volume,
    }
}

/// The `stack-backend` check.
pub fn check(p: &Project, stack: &Stack, out: &mut Vec<Check>) {
    let (project, backend) = match stack {
        Stack::Unreachable(why) => {
            out.push(Check::warn(
                "stack-backend",
                format!("the containers were not inspected: {why}"),
                "start Docker (sudo service docker start) to let doctor look at the running stack",
            ));
            return;
        }
        Stack::Seen {
            project, backend, ..
        } => (project, backend),
    };
    let Some(c) = backend else {
        out.push(Check::warn(
            "stack-backend",
            format!(
                "no backend container of compose project {project}: the stack has not been started"
            ),
            "start it with scripts/convex-up.sh",
        ));
        return;
    };
    // What the backend's own log says, as `diagnose` would read it.
    let findings = diagnose::scan(c.log.as_bytes()).unwrap_or_default();
    let healthy_run = c.status == "running" && c.restarts == 0;
    if healthy_run && findings.is_empty() {
        out.push(Check::pass(
            "stack-backend",
            format!("backend container {} is running ({})", c.id, c.image),
        ));
        return;
    }
    let state = match (c.status.as_str(), c.restarts) {
        ("running", 0) => "is running".to_string(),
        ("restarting", n) | ("running", n) if n > 0 => {
            format!("is in a restart loop ({n} restarts)")
        }
        ("exited", _) | ("dead", _) => format!("has stopped (exit code {})", c.exit_code),
        (other, _) => format!("is {other}"),
    };
    let pinned = p.backend_image();
    let image_note = match pinned {
        Some(pinned) if pinned != c.image => format!(
            "; it runs {} while {COMPOSE_FILE} pins {pinned} (scripts/convex-up.sh exports a backup before switching)",
            c.image
        ),
        _ => String::new(),
    };
    match findings.first() {
        Some(f) => {
            let mut check = Check::fail(
                "stack-backend",
                format!(
                    "backend container {} {state}{image_note}; its log shows {}: {} ({})",
                    c.id,
                    f.issue.id,
                    f.issue.title,
                    f.line.trim()
                ),
                format!(
                    "{} (more: convex-scaffold diagnose, docker compose logs backend)",
                    f.issue.fix_for_project().join("; ")
                ),
            )
            .issue(f.issue.id.clone());
            if findings.len() > 1 {
                let others: Vec<&str> = findings[1..].iter().map(|f| f.issue.id.as_str()).collect();
                check
                    .message
                    .push_str(&format!("; also: {}", others.join(", ")));
            }
            out.push(check);
        }
        None if healthy_run => out.push(Check::pass(
            "stack-backend",
            format!(
                "backend container {} is running ({}){image_note}",
                c.id, c.image
            ),
        )),
        None => out.push(Check::fail(
            "stack-backend",
            format!(
                "backend container {} {state}{image_note}; its log matches no known issue",
                c.id
            ),
            "read `docker compose logs backend`, or pipe it into `convex-scaffold diagnose`",
        )),
    }
}
