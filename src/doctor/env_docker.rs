//! `.env.docker`, the backend's environment: present, the TLS flag set,
//! the S3 set complete or empty, the S3 booleans literal.

use super::{Check, Loaded, Project, ENV_DOCKER};
use crate::pins;

/// The variables that switch the backend to S3 (all of them, or none).
pub const S3_REGION_AND_BUCKETS: &[&str] = &[
    "AWS_REGION",
    "S3_STORAGE_EXPORTS_BUCKET",
    "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET",
    "S3_STORAGE_MODULES_BUCKET",
    "S3_STORAGE_FILES_BUCKET",
    "S3_STORAGE_SEARCH_BUCKET",
];
/// Also required by images built before [`KEYS_OPTIONAL_SINCE`].
pub const S3_KEYS: &[&str] = &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
pub const KEYS_OPTIONAL_SINCE: &str = "2026-04-09";
/// Parsed by the backend with Rust's `bool::from_str`.
pub const S3_BOOLEANS: &[&str] = &[
    "AWS_S3_FORCE_PATH_STYLE",
    "AWS_S3_DISABLE_SSE",
    "AWS_S3_DISABLE_CHECKSUMS",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Set {
    pub required: Vec<&'static str>,
    pub present: Vec<&'static str>,
    pub missing: Vec<&'static str>,
}

/// Which S3 variables the backend gets. The two keys are required unless
/// the backend image is known to be from 2026-04-09 or later (upstream
/// get-convex/convex-backend ca1f91cde, self-hosted/docker-build/run_backend.sh
/// no longer lists them; crates/aws_utils then asks AWS's default credential
/// chain, e.g. an instance role) and no S3_ENDPOINT_URL is set: an
/// S3-compatible store elsewhere has no instance role to offer.
pub fn s3_set(p: &Project) -> S3Set {
    let keys_optional = keys_optional(p);
    let mut required: Vec<&'static str> = S3_REGION_AND_BUCKETS.to_vec();
    if !keys_optional {
        required.extend_from_slice(S3_KEYS);
    }
    let all = S3_REGION_AND_BUCKETS.iter().chain(S3_KEYS);
    let present: Vec<&'static str> = all.copied().filter(|k| p.docker_var(k).is_some()).collect();
    let missing = required
        .iter()
        .copied()
        .filter(|k| !present.contains(k))
        .collect();
    S3Set {
        required,
        present,
        missing,
    }
}

/// The backend's start script no longer requires the two keys (images
/// from [`KEYS_OPTIONAL_SINCE`]).
fn backend_skips_keys(p: &Project) -> bool {
    p.backend_image()
        .and_then(|image| pins::data().backend_date(&image).map(str::to_owned))
        .is_some_and(|date| date.as_str() >= KEYS_OPTIONAL_SINCE)
}

/// True when the backend may take its AWS credentials from the default
/// chain (see [`s3_set`]).
fn keys_optional(p: &Project) -> bool {
    backend_skips_keys(p) && p.docker_var("S3_ENDPOINT_URL").is_none()
}

pub fn check(p: &Project, out: &mut Vec<Check>) {
    match &p.env_docker {
        Loaded::Ok(_) => out.push(Check::pass("env-docker", format!("{ENV_DOCKER} exists"))),
        Loaded::Missing if p.dir.join(".env.docker.example").exists() => {
            out.push(Check::warn(
                "env-docker",
                format!("no {ENV_DOCKER} yet (the backend's settings checks are skipped)"),
                "run scripts/convex-up.sh: it creates .env.docker from .env.docker.example with a fresh INSTANCE_SECRET",
            ));
            return;
        }
        Loaded::Missing => {
            out.push(Check::fail(
                "env-docker",
                format!("no {ENV_DOCKER} and no .env.docker.example"),
                format!("re-render them with {}", p.rerender()),
            ));
            return;
        }
        Loaded::Unreadable(e) => {
            out.push(Check::fail(
                "env-docker",
                format!("cannot read {ENV_DOCKER}: {e}"),
                format!("make it readable by you only: chmod 600 {ENV_DOCKER}"),
            ));
            return;
        }
    }

    out.push(match p.docker_var("DO_NOT_REQUIRE_SSL") {
        Some(v) => Check::pass(
            "ssl-flag",
            format!("DO_NOT_REQUIRE_SSL is set {}", v.source.describe()),
        ),
        None => Check::fail(
            "ssl-flag",
            format!("DO_NOT_REQUIRE_SSL is not set in {ENV_DOCKER}: the backend requires TLS to its database"),
            format!("add DO_NOT_REQUIRE_SSL=true to {ENV_DOCKER} (any non-empty value works)"),
        ),
    });

    let set = s3_set(p);
    let keys_absent = S3_KEYS.iter().all(|k| !set.present.contains(k));
    out.push(if set.missing.is_empty() {
        Check::pass(
            "s3-set",
            format!(
                "the S3 set is complete ({}): the backend uses S3{}",
                set.required.join(", "),
                if keys_absent {
                    "; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are empty, so the backend takes AWS \
                     credentials from its environment (an instance role or pod identity on AWS); set both \
                     where it has none"
                } else {
                    ""
                }
            ),
        )
    } else if set.missing.iter().all(|k| S3_KEYS.contains(k)) && backend_skips_keys(p) {
        // The backend starts in S3 mode without the keys, then finds no
        // credentials for the custom endpoint.
        Check::fail(
            "s3-set",
            format!(
                "S3_ENDPOINT_URL is set (an S3-compatible store, not AWS) but {} empty in {ENV_DOCKER}: the backend \
                 starts in S3 mode and has no credentials for that store (keys are optional only on AWS with an \
                 instance role)",
                set.missing.join(" and ")
            ),
            format!(
                "set {} in {ENV_DOCKER} (the store's access key and secret) before the first start",
                set.missing.join(" and ")
            ),
        )
    } else if set.present.is_empty() {
        Check::pass(
            "s3-set",
            "no S3 variable is set: the backend uses local storage",
        )
    } else {
        Check::fail(
            "s3-set",
            format!(
                "the S3 set is incomplete: {} missing while {} set; the backend silently falls back to local storage and locks it in at its first start",
                set.missing.join(", "),
                set.present.join(", ")
            ),
            if p.state.as_ref().is_some_and(|s| s.answers.storage == crate::answers::Storage::S3) {
                format!(
                    "set {} in {ENV_DOCKER} before the first start (to give up S3: `convex-scaffold upgrade --set storage=local --reset-data`)",
                    set.missing.join(", ")
                )
            } else {
                format!(
                    "set {} in {ENV_DOCKER}, or empty every S3 variable to stay on local storage",
                    set.missing.join(", ")
                )
            },
        )
        .issue("s3-silently-off")
    });

    let bad: Vec<String> = S3_BOOLEANS
        .iter()
        .filter_map(|k| {
            let v = p.docker_var(k)?;
            (v.value != "true" && v.value != "false")
                .then(|| format!("{k}={} {}", v.value, v.source.describe()))
        })
        .collect();
    out.push(if bad.is_empty() {
        Check::pass(
            "s3-booleans",
            format!("{} are literal true/false or unset", S3_BOOLEANS.join(", ")),
        )
    } else {
        let check = Check::fail(
            "s3-booleans",
            format!(
                "{}: the backend parses these with Rust's bool::from_str and reads anything but the literal `true` as false",
                bad.join(", ")
            ),
            "write the lower-case literal true or false, e.g. AWS_S3_FORCE_PATH_STYLE=true",
        );
        // Path style read as false: virtual-host addressing, whose bucket
        // host names do not resolve for MinIO-style endpoints.
        if bad.iter().any(|b| b.starts_with("AWS_S3_FORCE_PATH_STYLE=")) {
            check.issue("s3-dns-dispatch-failure")
        } else {
            check
        }
    });
}
