//! The S3 buckets (live, skipped with `--offline`): the backend needs its
//! five buckets to exist before its first start in S3 mode. Each is asked
//! with an anonymous `HEAD` through `curl` (bounded by a timeout): S3 and
//! S3-compatible stores answer 404 for a bucket that does not exist and
//! 403 (or 200, 301, 400) for one that does. The anonymous request cannot
//! tell whose bucket it is or whether the keys may write to it.

use std::time::Duration;

use super::docker::{run, Outcome};
use super::{Check, Project, ENV_DOCKER};
use crate::answers::Storage;

const BUCKETS: &[&str] = &[
    "S3_STORAGE_EXPORTS_BUCKET",
    "S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET",
    "S3_STORAGE_MODULES_BUCKET",
    "S3_STORAGE_FILES_BUCKET",
    "S3_STORAGE_SEARCH_BUCKET",
];

/// The URL of `bucket`: path style (`<endpoint>/<bucket>`) when
/// AWS_S3_FORCE_PATH_STYLE=true, else virtual-hosted
/// (`<scheme>://<bucket>.<host>/`); AWS's regional endpoint without
/// S3_ENDPOINT_URL.
fn bucket_url(endpoint: Option<&str>, region: &str, path_style: bool, bucket: &str) -> String {
    let endpoint = endpoint
        .map(|e| e.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
    if path_style {
        return format!("{endpoint}/{bucket}");
    }
    match endpoint.split_once("://") {
        Some((scheme, host)) => format!("{scheme}://{bucket}.{host}/"),
        None => format!("{endpoint}/{bucket}"),
    }
}

pub fn check(p: &Project, timeout: Duration, out: &mut Vec<Check>) {
    if !p
        .state
        .as_ref()
        .is_some_and(|s| s.answers.storage == Storage::S3)
    {
        return;
    }
    let names: Vec<String> = BUCKETS
        .iter()
        .filter_map(|k| p.docker_var(k).map(|v| v.value))
        .collect();
    let Some(region) = p.docker_var("AWS_REGION").map(|v| v.value) else {
        return;
    };
    if names.len() != BUCKETS.len() {
        return; // s3-set reports the incomplete set.
    }
    let endpoint = p.docker_var("S3_ENDPOINT_URL").map(|v| v.value);
    let path_style = p
        .docker_var("AWS_S3_FORCE_PATH_STYLE")
        .is_some_and(|v| v.value == "true");
    let seconds = timeout.as_secs().max(1).to_string();
    let (mut missing, mut unknown) = (Vec::new(), Vec::new());
    for name in &names {
        let url = bucket_url(endpoint.as_deref(), &region, path_style, name);
        let args = [
            "--silent",
            "--show-error",
            "--head",
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code}",
            "--max-time",
            &seconds,
            &url,
        ];
        match run("curl", &args, timeout + Duration::from_secs(1)) {
            Outcome::Ok { stdout, .. } => match stdout.trim() {
                "404" => missing.push(name.clone()),
                "200" | "301" | "307" | "400" | "403" => {}
                code => unknown.push(format!("{name} (HTTP {code})")),
            },
            // The store does not answer: the other buckets would wait the
            // same time for nothing.
            Outcome::Failed(e) => {
                unknown.push(format!("{name} ({e})"));
                break;
            }
            Outcome::TimedOut => {
                unknown.push(format!("{name} (no answer in time)"));
                break;
            }
            Outcome::NotRun(e) => {
                out.push(Check::warn(
                    "s3-buckets",
                    format!(
                        "cannot ask the S3 store whether the buckets exist: curl did not run ({e})"
                    ),
                    "install curl, or check the five S3_STORAGE_*_BUCKET buckets by hand",
                ));
                return;
            }
        }
    }
    let store = endpoint
        .clone()
        .unwrap_or_else(|| format!("AWS S3 ({region})"));
    out.push(if !missing.is_empty() {
        Check::fail(
            "s3-buckets",
            format!(
                "{} not exist on {store}: the backend needs all five buckets named in {ENV_DOCKER} before its first start",
                if missing.len() == 1 {
                    format!("the bucket {} does", missing[0])
                } else {
                    format!("the buckets {} do", missing.join(", "))
                }
            ),
            format!(
                "create {} on {store} (e.g. `aws s3 mb s3://NAME`, or `mc mb ALIAS/NAME` for MinIO), then start with scripts/convex-up.sh",
                missing.join(", ")
            ),
        )
    } else if !unknown.is_empty() {
        Check::warn(
            "s3-buckets",
            format!("could not tell whether these buckets exist on {store}: {}", unknown.join("; ")),
            "check that this machine reaches the S3 endpoint, or check the buckets by hand",
        )
    } else {
        Check::pass(
            "s3-buckets",
            format!(
                "the five buckets answer on {store} (an anonymous check: whether the keys may write shows at the first upload)"
            ),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_urls_follow_the_addressing_style() {
        assert_eq!(
            bucket_url(None, "eu-west-1", false, "b"),
            "https://b.s3.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            bucket_url(Some("http://minio:9000/"), "us-east-1", true, "b"),
            "http://minio:9000/b"
        );
        assert_eq!(
            bucket_url(Some("https://r2.example.com"), "auto", false, "b"),
            "https://b.r2.example.com/"
        );
    }
}
