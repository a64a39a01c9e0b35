//! What a pinned backend release can do, by the date of its row in
//! templates/data/pins.toml (never by today's default pin): the S3 options
//! for S3-compatible stores and the /metrics switch.
//!
//! Read in get-convex/convex-backend (mirrored, checked at each row's SHA):
//! - crates/aws_utils/src/lib.rs: before 33cef775 (row 2025-08-05) no
//!   AWS_S3_FORCE_PATH_STYLE at all (requests go to `<bucket>.<endpoint
//!   host>`); at 33cef775 it is compared with `eq_ignore_ascii_case("true")`;
//!   from 08139ef3 (row 2025-08-27) `bool::from_str` (only `true`).
//!   AWS_S3_DISABLE_SSE and AWS_S3_DISABLE_CHECKSUMS exist from 00bd9272
//!   (row 2025-09-04) on, also parsed with `bool::from_str`.
//! - crates/aws_s3/src/storage.rs at 903b8b96: `CreateMultipartUpload` gets
//!   `ServerSideEncryption::Aes256` unless AWS_S3_DISABLE_SSE, and CRC32 part
//!   checksums unless AWS_S3_DISABLE_CHECKSUMS. MinIO without a KMS refuses
//!   SSE ("Server side encryption specified but KMS is not configured").
//! - crates/aws_utils/src/lib.rs: `env::var("S3_ENDPOINT_URL").ok()` (every
//!   row up to 94a42c3): an empty value is `Some("")`, an endpoint.
//! - crates/common/src/knobs.rs: DISABLE_METRICS_ENDPOINT appears between the
//!   rows 2026-02-21 (5f66740, absent) and 2026-03-24 (a9a760c, present);
//!   older backends serve /metrics on 3210 and cannot turn it off
//!   (crates/common/src/http/mod.rs `.route("/metrics", ...)`).

use crate::answers::{Answers, AppShare, Storage};
use crate::pins;

/// First row whose backend reads AWS_S3_FORCE_PATH_STYLE.
pub const S3_FORCE_PATH_STYLE_SINCE: &str = "2025-08-05";
/// First row whose backend reads AWS_S3_DISABLE_SSE / AWS_S3_DISABLE_CHECKSUMS.
pub const S3_DISABLE_SSE_SINCE: &str = "2025-09-04";
/// First row whose backend reads DISABLE_METRICS_ENDPOINT.
pub const DISABLE_METRICS_SINCE: &str = "2026-03-24";

/// The build date of the answers' backend image, when pins.toml knows it.
pub fn backend_date(answers: &Answers) -> Option<&'static str> {
    pins::data().backend_date(&answers.backend_image)
}

/// Whether the backend can be told to send no SSE header and no checksums
/// (unknown builds are assumed new: the variables are harmless when ignored).
pub fn has_s3_compat_switches(date: Option<&str>) -> bool {
    date.is_none_or(|d| d >= S3_DISABLE_SSE_SINCE)
}

/// Refusals (first) and warnings for S3 on the answers' backend release.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct S3Verdict {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

pub fn s3_verdict(answers: &Answers) -> S3Verdict {
    let mut v = S3Verdict::default();
    if answers.storage != Storage::S3 || answers.s3_endpoint_url.is_empty() {
        return v;
    }
    let Some(date) = backend_date(answers) else {
        return v;
    };
    let fix = format!(
        "Fix: pick a release from {S3_DISABLE_SSE_SINCE} on (`--release latest`, rows: `convex-scaffold pins`), or \
         storage=local"
    );
    if date < S3_FORCE_PATH_STYLE_SINCE && answers.s3_force_path_style {
        v.problems.push(format!(
            "s3_endpoint_url {} needs path-style requests (s3_force_path_style=true), but the backend of {date} \
             ignores AWS_S3_FORCE_PATH_STYLE (read from {S3_FORCE_PATH_STYLE_SINCE} on): it sends every request to \
             <bucket>.<endpoint host>, which fails DNS (\"dispatch failure ... dns error\"). {fix}",
            answers.s3_endpoint_url
        ));
    } else if date < S3_DISABLE_SSE_SINCE {
        v.warnings.push(format!(
            "the backend of {date} always uploads to s3_endpoint_url {} with SSE (x-amz-server-side-encryption: \
             AES256) and CRC32 checksums: AWS_S3_DISABLE_SSE/AWS_S3_DISABLE_CHECKSUMS exist from \
             {S3_DISABLE_SSE_SINCE} on. MinIO without a KMS and other stores without SSE-S3 refuse every upload \
             (\"Server side encryption specified but KMS is not configured\"). {fix}",
            answers.s3_endpoint_url
        ));
    }
    v
}

/// A warning when /metrics stays readable through a public Coder app.
pub fn metrics_warning(answers: &Answers) -> Option<String> {
    let date = backend_date(answers)?;
    if date >= DISABLE_METRICS_SINCE || answers.convex_app_share != AppShare::Public {
        return None;
    }
    Some(format!(
        "the backend of {date} serves Prometheus metrics at /metrics and cannot turn them off \
         (DISABLE_METRICS_ENDPOINT exists from {DISABLE_METRICS_SINCE} on); with convex_app_share=public anyone can read \
         them through the Coder app without a login. Fix: --set convex_app_share=authenticated, or a release from \
         {DISABLE_METRICS_SINCE} on (`--release latest`)"
    ))
}
