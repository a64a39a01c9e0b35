//! Live check (skipped with `--offline`): the pinned backend and dashboard
//! images exist. A workspace start whose image is neither on the machine nor
//! on the registry fails at `docker compose up`. First `docker image
//! inspect` (the local store), then, for what is missing, `docker manifest
//! inspect` (the registry; no pull). Every docker call is bounded.

use std::time::Duration;

use super::docker::{run as run_docker, Outcome};
use super::{Check, Loaded, Project, COMPOSE_FILE};

/// Where one image was found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    Local,
    Registry,
    /// The registry says it does not exist (or refuses it).
    Missing(String),
    /// The registry could not be asked (timeout, network, daemon).
    Unknown(String),
}

fn locate(docker: &str, image: &str, timeout: Duration) -> Found {
    if matches!(
        run_docker(docker, &["image", "inspect", image], timeout),
        Outcome::Ok { .. }
    ) {
        return Found::Local;
    }
    match run_docker(docker, &["manifest", "inspect", image], timeout) {
        Outcome::Ok { .. } => Found::Registry,
        Outcome::TimedOut => Found::Unknown(format!(
            "the registry did not answer within {}s",
            timeout.as_secs()
        )),
        Outcome::NotRun(e) => Found::Unknown(e),
        Outcome::Failed(e) => {
            let lower = e.to_lowercase();
            if [
                "manifest unknown",
                "no such manifest",
                "not found",
                "denied",
                "unauthorized",
            ]
            .iter()
            .any(|m| lower.contains(m))
            {
                Found::Missing(e)
            } else {
                Found::Unknown(if e.is_empty() {
                    "docker manifest inspect failed".into()
                } else {
                    e
                })
            }
        }
    }
}

pub fn check(p: &Project, docker: &str, timeout: Duration, out: &mut Vec<Check>) {
    let Loaded::Ok(compose) = &p.compose else {
        out.push(Check::warn(
            "images-present",
            format!("not checked: no readable {COMPOSE_FILE}"),
            "see images-pinned",
        ));
        return;
    };
    let images: Vec<&str> = [&compose.backend, &compose.dashboard]
        .into_iter()
        .flatten()
        .map(|s| s.image.as_str())
        .filter(|i| !i.is_empty() && !i.contains('$'))
        .collect();
    if images.is_empty() {
        out.push(Check::warn(
            "images-present",
            "not checked: no backend or dashboard image in docker-compose.yml",
            "see images-pinned",
        ));
        return;
    }
    if let Outcome::NotRun(e) = run_docker(docker, &["--version"], timeout) {
        out.push(Check::warn(
            "images-present",
            format!("not checked: cannot run docker here ({e})"),
            "run `convex-scaffold doctor` where Docker runs (the workspace), or install Docker",
        ));
        return;
    }
    let mut local = Vec::new();
    let mut registry = Vec::new();
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    for image in images {
        match locate(docker, image, timeout) {
            Found::Local => local.push(image),
            Found::Registry => registry.push(image),
            Found::Missing(why) => missing.push(format!("{image} ({why})")),
            Found::Unknown(why) => unknown.push(format!("{image} ({why})")),
        }
    }
    out.push(if !missing.is_empty() {
        Check::fail(
            "images-present",
            format!(
                "not on this machine and not on the registry: {}; `docker compose up` and every workspace start would fail pulling it",
                missing.join(", ")
            ),
            "no image has that name and tag. Convex publishes ghcr.io/get-convex/convex-backend and convex-dashboard; \
             its repository now lives at github.com/convex, so newer images may be under ghcr.io/convex/ (ghcr.io does \
             not redirect): check with `docker manifest inspect NAME:TAG`, then pin what exists with `convex-scaffold \
             upgrade --backend-image NAME:TAG --dashboard-image NAME:TAG` (the backend_image/dashboard_image answers), or \
             pick a row: `convex-scaffold upgrade --release latest` (rows: `convex-scaffold pins`); if your ghcr.io login \
             is stale, `docker logout ghcr.io`",
        )
        .issue("image-pull-denied")
    } else if !unknown.is_empty() {
        Check::warn(
            "images-present",
            format!(
                "not on this machine, and the registry could not be asked: {}",
                unknown.join(", ")
            ),
            "check the network and proxy access to ghcr.io and run doctor again; or, where ghcr.io is reachable, \
             `docker pull` the image, then `docker save` it and `docker load` it here",
        )
    } else if registry.is_empty() {
        Check::pass(
            "images-present",
            format!("present on this machine: {}", local.join(", ")),
        )
    } else {
        Check::pass(
            "images-present",
            format!(
                "on the registry (docker manifest inspect), not pulled yet: {}{}",
                registry.join(", "),
                if local.is_empty() {
                    String::new()
                } else {
                    format!("; present on this machine: {}", local.join(", "))
                }
            ),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn stub(dir: &std::path::Path, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("docker");
        std::fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    #[test]
    fn a_registry_that_does_not_answer_is_cut_off_and_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let docker = stub(
            tmp.path(),
            "case \"$1\" in image) exit 1 ;; manifest) sleep 30 ;; esac; exit 0",
        );
        let started = Instant::now();
        let found = locate(
            &docker,
            "ghcr.io/get-convex/convex-backend:abc",
            Duration::from_millis(300),
        );
        assert!(started.elapsed() < Duration::from_secs(5), "bounded");
        assert!(
            matches!(found, Found::Unknown(ref why) if why.contains("did not answer")),
            "{found:?}"
        );
    }

    #[test]
    fn registry_answers_are_told_apart() {
        let tmp = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(5);
        let missing = stub(
            tmp.path(),
            "[ \"$1\" = image ] && exit 1; echo 'manifest unknown: manifest unknown' >&2; exit 1",
        );
        assert!(matches!(locate(&missing, "x", t), Found::Missing(_)));
        let offline = stub(
            tmp.path(),
            "[ \"$1\" = image ] && exit 1; echo 'dial tcp: lookup ghcr.io: no such host' >&2; exit 1",
        );
        assert!(matches!(locate(&offline, "x", t), Found::Unknown(_)));
        let local = stub(tmp.path(), "exit 0");
        assert_eq!(locate(&local, "x", t), Found::Local);
        assert!(matches!(
            run_docker("/nonexistent/docker", &["--version"], t),
            Outcome::NotRun(_)
        ));
    }
}
