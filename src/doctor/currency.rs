//! Whether the project's pins are current: older than the newest row of this
//! convex-scaffold's release table (offline, `pins-current`), and, for a
//! convex version the table does not list, whether the npm registry has it
//! (online, `cli-published`).

use std::time::Duration;

use semver::Version;

use super::docker::{run, Outcome};
use super::{Check, Project};
use crate::pins;

const UPGRADE: &str = "convex-scaffold upgrade --release latest";

/// The recorded CLI pin (convex-scaffold.toml).
fn pinned_cli(p: &Project) -> Option<Version> {
    p.state.as_ref().map(|s| s.pins.convex_version.clone())
}

/// `pins-current`: warns when the backend or the CLI is older than the
/// table's newest row.
pub fn check(p: &Project, out: &mut Vec<Check>) {
    let data = pins::data();
    let latest = data.latest_release();
    let table = format!(
        "the newest row of this convex-scaffold's release table (read {}) is {} with convex {}",
        data.table_date(),
        latest.date,
        latest.cli
    );
    let (Some(image), Some(cli)) = (p.backend_image(), pinned_cli(p)) else {
        out.push(Check::warn(
            "pins-current",
            "not checked: no recorded pins (convex-scaffold.toml) or no backend image",
            "see state and images-pinned",
        ));
        return;
    };
    let Some(date) = data.backend_date(&image) else {
        out.push(Check::warn(
            "pins-current",
            format!("not compared: backend image {image} is not in the release table, so its date is unknown; {table}"),
            format!("to move to that row: `{UPGRADE}`"),
        ));
        return;
    };
    let fix = format!(
        "`{UPGRADE}` (it exports a backup before the backend moves; see `convex-scaffold pins`), or keep these pins \
         deliberately"
    );
    out.push(if date < latest.date.as_str() {
        Check::warn(
            "pins-current",
            format!("the project's backend is from {date}, older than the table: {table}"),
            fix,
        )
    } else if date == latest.date && cli < latest.cli {
        Check::warn(
            "pins-current",
            format!("the project pins convex {cli}, older than the table: {table}"),
            fix,
        )
    } else {
        Check::pass(
            "pins-current",
            format!(
                "the project's pins (backend {date}, convex {cli}) are the newest of this convex-scaffold's release table \
                 (read {}); a newer convex-scaffold may know newer releases",
                data.table_date()
            ),
        )
    });
}

/// `cli-published` (online): a convex version the table does not list is
/// looked up on the npm registry with the `npm` client.
pub fn check_registry(p: &Project, npm: &str, timeout: Duration, out: &mut Vec<Check>) {
    let data = pins::data();
    let Some(cli) = pinned_cli(p) else {
        return;
    };
    if data.is_published(&cli) {
        out.push(Check::pass(
            "cli-published",
            format!(
                "convex {cli} is in this convex-scaffold's list of published versions (npm, read {})",
                data.table_date()
            ),
        ));
        return;
    }
    let listed = format!(
        "pin a version the table knows: `convex-scaffold upgrade --convex-version {}` (see `convex-scaffold pins`)",
        data.newest_published()
    );
    out.push(match run(npm, &["view", "convex", "versions", "--json"], timeout) {
        Outcome::Ok { stdout, .. } => match serde_json::from_str::<Vec<String>>(&stdout) {
            Ok(versions) if versions.iter().any(|v| *v == cli.to_string()) => Check::warn(
                "cli-published",
                format!(
                    "convex {cli} is on the npm registry but newer than this convex-scaffold's table (read {}): its \
                     compatibility with the pinned backend is unknown",
                    data.table_date()
                ),
                format!("a newer convex-scaffold may know it; or {listed}"),
            ),
            Ok(_) => Check::fail(
                "cli-published",
                format!("convex {cli} is not published on the npm registry: installing it fails (ETARGET / E404)"),
                listed,
            ),
            Err(e) => Check::warn(
                "cli-published",
                format!("not checked: `npm view convex versions --json` printed no version list ({e})"),
                "run `npm view convex versions` to see the published versions",
            ),
        },
        Outcome::TimedOut => Check::warn(
            "cli-published",
            format!(
                "not checked: convex {cli} is not in the table, and the npm registry did not answer within {}s",
                timeout.as_secs()
            ),
            "check the network and npm's registry settings, then run doctor again",
        ),
        Outcome::Failed(e) | Outcome::NotRun(e) => Check::warn(
            "cli-published",
            format!("not checked: convex {cli} is not in the table, and the npm registry could not be asked ({e})"),
            "check the network and npm's registry settings, then run doctor again",
        ),
    });
}
