//! Storage mode: the recorded answer, docker-compose.yml and `.env.docker`
//! agree, and none of them differs from the mode the data volume was
//! initialised with (the backend locks it at its first start).

use super::stack::Stack;
use super::{Check, Loaded, Project, COMPOSE_FILE, ENV_DOCKER};
use crate::answers::Storage;

/// The storage the backend would start with, when it can be told: local
/// when the compose file does not pass the S3 variables, else what the S3
/// set in `.env.docker` selects.
pub fn backend_storage(p: &Project) -> Option<Storage> {
    if let Some(compose) = p.compose.ok() {
        if !compose.passes_s3() {
            return Some(Storage::Local);
        }
    }
    p.env_docker.ok()?;
    p.env_storage()
}

fn reset_fix(to: Storage, back: Storage) -> String {
    format!(
        "to keep {to}: `convex-scaffold upgrade --set storage={to} --reset-data`, then `scripts/convex-reset.sh` (it exports a backup first, then wipes the data volume); or go back: `convex-scaffold upgrade --set storage={back}`"
    )
}

pub fn check(p: &Project, stack: Option<&Stack>, out: &mut Vec<Check>) {
    let Some(state) = &p.state else {
        return;
    };
    let configured = state.answers.storage;
    let initial = state.scaffold.initial_storage;

    // storage-config: the answer vs the compose file vs .env.docker.
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    let mut issue = None;
    if let Some(compose) = p.compose.ok() {
        let passes = compose.passes_s3();
        if passes != (configured == Storage::S3) {
            problems.push(format!(
                "{COMPOSE_FILE} {} the S3 variables to the backend but convex-scaffold.toml says storage = {configured}",
                if passes { "passes" } else { "does not pass" }
            ));
            fixes.push("re-render it with `convex-scaffold upgrade`".to_owned());
        }
    }
    let env_mode = match p.env_docker {
        Loaded::Ok(_) => p.env_storage(),
        _ => Some(configured),
    };
    match env_mode {
        Some(Storage::Local) if configured == Storage::S3 => {
            problems.push(format!(
                "storage = s3 in convex-scaffold.toml but no S3 variable is set in {ENV_DOCKER}: the backend would start on local storage and lock it in"
            ));
            fixes.push(format!(
                "fill in AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the five S3_STORAGE_*_BUCKET variables in {ENV_DOCKER} before the first start"
            ));
            issue = Some("s3-silently-off");
        }
        Some(Storage::S3) if configured == Storage::Local => {
            problems.push(format!(
                "the S3 set is complete in {ENV_DOCKER} but storage = local: the backend keeps using local storage"
            ));
            fixes.push(format!(
                "to move to S3: `convex-scaffold upgrade --set storage=s3 --reset-data`, then `scripts/convex-reset.sh`; to stay local: empty the S3 variables in {ENV_DOCKER}"
            ));
        }
        _ => {}
    }
    out.push(if !problems.is_empty() {
        let check = Check::fail("storage-config", problems.join("; "), fixes.join("; "));
        match issue {
            Some(i) => check.issue(i),
            None => check,
        }
    } else if env_mode.is_none() {
        Check::warn(
            "storage-config",
            format!("storage = {configured}; {ENV_DOCKER} cannot be compared while the S3 set is incomplete"),
            "fix s3-set first",
        )
    } else {
        Check::pass(
            "storage-config",
            format!("storage = {configured} in convex-scaffold.toml, {COMPOSE_FILE} and {ENV_DOCKER}"),
        )
    });

    // storage-initial: the lock. When Docker shows no data volume, nothing
    // is locked in yet: the first start records the configured mode.
    let backend = backend_storage(p);
    let started = super::stack::started(stack);
    // Until Docker shows the data volume, the recorded mode is what the
    // project was set up with, not an event that happened.
    let locked = if started == Some(true) {
        format!("the data volume was initialised with {initial} storage")
    } else {
        format!(
            "the project was set up for {initial} storage (locked in at the stack's first start)"
        )
    };
    out.push(if started == Some(false) {
        Check::pass(
            "storage-initial",
            format!(
                "the data volume does not exist yet: the backend's first start locks in {} storage",
                backend.unwrap_or(configured)
            ),
        )
    } else if initial != configured {
        Check::fail(
            "storage-initial",
            format!(
                "{locked} but is now configured for {configured}: once started, the backend refuses to start (\"Database was initialized with ..., but backend started up with ...\")"
            ),
            reset_fix(configured, initial),
        )
        .issue("storage-type-mismatch")
    } else if let Some(b) = backend.filter(|b| *b != initial) {
        Check::fail(
            "storage-initial",
            format!(
                "{locked} but {ENV_DOCKER} would start the backend with {b}: once started, it refuses to start (\"Database was initialized with ..., but backend started up with ...\")"
            ),
            format!(
                "make {ENV_DOCKER} select {initial} again (see storage-config); or switch for good: {}",
                reset_fix(b, initial)
            ),
        )
        .issue("storage-type-mismatch")
    } else {
        Check::pass(
            "storage-initial",
            if started == Some(true) {
                format!("the data volume was initialised with {initial} storage, as configured")
            } else {
                format!(
                    "storage = {initial} is configured; the backend locks it in at the stack's first start{}",
                    if started.is_none() { " (without Docker, doctor cannot tell whether it has started)" } else { "" }
                )
            },
        )
    });
}
