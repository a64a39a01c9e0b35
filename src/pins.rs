//! Pins, the release table, known-bad CLI versions and the CLI ↔ backend ↔
//! Node compatibility rules, all read from `templates/data/pins.toml`.

use std::sync::OnceLock;

use semver::{Version, VersionReq};
use serde::Deserialize;

const PINS_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/templates/data/pins.toml"
));

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinsData {
    pub defaults: Defaults,
    pub images: ImageNames,
    pub releases: Vec<Release>,
    #[serde(default)]
    pub known_builds: Vec<KnownBuild>,
    pub cli_versions: CliVersions,
    pub known_bad: Vec<KnownBad>,
    pub requires_backend: Vec<RequiresBackend>,
    pub node: Vec<NodeRequirement>,
    pub node_lines: Vec<NodeLine>,
    pub types_ahead: Vec<TypesAhead>,
    pub workspace_images: Vec<WorkspaceImage>,
    pub package_managers: PackageManagerPins,
}

/// Exact versions for package.json's `packageManager` (pnpm and yarn only).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageManagerPins {
    pub pnpm: Version,
    pub yarn: Version,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub convex_version: Version,
    pub release: String,
    /// The lowest Node.js major of the devcontainer, the default workspace
    /// image and CI: the default CLI must run on it.
    pub node_major: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageNames {
    pub backend: String,
    pub dashboard: String,
}

/// A row of the release table: both images are evidenced to exist.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub date: String,
    pub backend: String,
    pub dashboard: String,
    pub tree_cli: Version,
    pub cli: Version,
    /// Why both images are known to exist.
    pub evidence: String,
    /// Where to check that.
    pub source: String,
}

/// A dated backend build whose images are not evidenced.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownBuild {
    pub date: String,
    pub sha: String,
    pub tree_cli: Version,
    pub note: String,
}

/// What the npm registry said about the `convex` package (written by
/// `maint/refresh-pins`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliVersions {
    /// The date (YYYY-MM-DD) of the registry read that produced this list.
    pub read: String,
    /// npm's `latest` dist-tag at that read.
    pub latest: Version,
    /// Every version from 1.24.0 on, oldest first, pre-releases left out.
    pub published: Vec<Published>,
}

/// One published `convex` version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    pub version: Version,
    /// Publish date on the registry (YYYY-MM-DD).
    pub date: String,
    /// Its `engines.node` (e.g. `>=22.0.0`).
    pub node: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownBad {
    pub versions: Vec<Version>,
    pub issue: String,
    pub bug: String,
    pub fix: String,
    /// The first fixed version, offered with the flag the user pins by.
    pub fixed_in: Version,
    /// Backends from this release date on are not affected (the versions
    /// stay refused; the message says so).
    #[serde(default)]
    pub affects_backends_before: Option<String>,
}

/// How `new` pins a CLI version; `upgrade --convex-version` callers swap it
/// for their flag ([`with_pin_flag`]).
pub const SET_CONVEX_VERSION: &str = "--set convex_version=";

/// `message` with the `--set convex_version=` of a known-bad fix replaced by
/// the flag the user pinned with (e.g. `--convex-version `).
pub fn with_pin_flag(message: &str, flag: &str) -> String {
    message.replace(SET_CONVEX_VERSION, flag)
}

impl KnownBad {
    /// The sentence for a project whose backend is from `backend_date`,
    /// when the bug only hits older backends.
    pub fn unaffected_note(&self, backend_date: Option<&str>) -> Option<String> {
        let before = self.affects_backends_before.as_deref()?;
        let date = backend_date?;
        (date >= before).then(|| {
            format!(
                "The crash only hits backends older than {before}; this backend (from {date}) is not one of them, \
                 but the version stays refused: moving the backend pin back, or pointing the CLI at another \
                 backend, would bring a silent failed push back"
            )
        })
    }
}

/// The `convex` commands a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConvexCommand {
    Dev,
    Deploy,
}

impl ConvexCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            ConvexCommand::Dev => "dev",
            ConvexCommand::Deploy => "deploy",
        }
    }
}

/// What the generated project runs: scripts/convex-deploy.sh and the Coder
/// start script push with `convex dev --once`, never `convex deploy`.
pub const PROJECT_COMMANDS: &[ConvexCommand] = &[ConvexCommand::Dev];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiresBackend {
    pub cli: VersionReq,
    pub backend_since: String,
    pub commands: Vec<ConvexCommand>,
    pub issue: String,
    pub symptom: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRequirement {
    pub cli: VersionReq,
    pub node_major: u32,
}

/// A Node.js release line and its end of life.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeLine {
    pub major: u32,
    pub end_of_life: String,
}

/// APIs a CLI's types offer that backends up to `missing_through` lack.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypesAhead {
    pub cli: VersionReq,
    pub apis: Vec<String>,
    pub syscalls: Vec<String>,
    pub missing_through: String,
    pub issue: String,
    pub symptom: String,
    pub source: String,
}

/// A workspace image whose Node.js major convex-scaffold knows.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceImage {
    pub image: String,
    /// The lowest Node.js major any current copy of the image has.
    pub node_major: u32,
    pub note: String,
    pub source: String,
}

/// The embedded pins data, parsed once.
pub fn data() -> &'static PinsData {
    static DATA: OnceLock<PinsData> = OnceLock::new();
    DATA.get_or_init(|| {
        toml::from_str(PINS_TOML).expect("templates/data/pins.toml is valid (tested)")
    })
}

/// The date of the embedded table (see [`PinsData::table_date`]): what
/// `--version` and `upgrade --check` name as "the release table of DATE".
pub fn table_date() -> &'static str {
    data().table_date()
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
pub fn days_from_date(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// How many days before `now` the table was read (None: clock before 1970).
pub fn table_age_days(now: std::time::SystemTime) -> Option<i64> {
    let today = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() / 86_400;
    Some(i64::try_from(today).ok()? - days_from_date(table_date())?)
}

/// After this many days the table may well be behind npm and upstream.
pub const TABLE_STALE_DAYS: i64 = 30;

/// What "up to date" was measured against, and how to get newer releases
/// (for `upgrade --check` and the like). `age`: from [`table_age_days`].
pub fn currency_note(age: Option<i64>) -> String {
    let data = data();
    let latest = data.latest_release();
    let against = format!(
        "compared with the release table of convex-scaffold {} (newest row {}, convex {}; convex versions read from \
         npm on {})",
        env!("CARGO_PKG_VERSION"),
        latest.date,
        latest.cli,
        data.table_date()
    );
    let newer = "get a newer convex-scaffold (`npm install -g convex-scaffold@latest`, `npx convex-scaffold@latest …` or \
                 `cargo install --locked convex-scaffold`), then run `convex-scaffold upgrade --release latest`";
    match age {
        Some(days) if days > TABLE_STALE_DAYS => format!(
            "{against}. That table is {days} days old: newer Convex releases may well exist. To see them, {newer}"
        ),
        _ => format!("{against}. Releases newer than that table are unknown to it; for those, {newer}"),
    }
}

/// The three pins a project carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pins {
    pub convex_version: Version,
    pub backend_image: String,
    pub dashboard_image: String,
}

/// What the rules say about a set of pins: `problems` are known to break
/// (refused unless `--allow-known-bad`), `warnings` are printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// What the pins run on: the `convex` commands used and, when known, the
/// Node.js major of the machine that runs the CLI.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub commands: &'a [ConvexCommand],
    /// The Node.js major, and what it is (for messages).
    pub node: Option<(u32, &'a str)>,
}

impl Target<'static> {
    /// The project's own commands, Node unknown.
    pub fn project() -> Self {
        Target {
            commands: PROJECT_COMMANDS,
            node: None,
        }
    }
}

/// Hint shared by every fix that moves the pins to a row.
pub const RELEASE_HINT: &str =
    "pick a row with `--release <date|sha|latest>` (`convex-scaffold new --release ...` or `convex-scaffold upgrade --release ...`; rows: `convex-scaffold pins`)";

impl PinsData {
    pub fn default_release(&self) -> &Release {
        self.release(&self.defaults.release)
            .expect("the default release is a row of the release table (tested)")
    }

    pub fn default_pins(&self) -> Pins {
        let release = self.default_release();
        Pins {
            convex_version: self.defaults.convex_version.clone(),
            backend_image: self.backend_image(&release.backend),
            dashboard_image: self.dashboard_image(&release.dashboard),
        }
    }

    pub fn backend_image(&self, sha: &str) -> String {
        format!("{}:{sha}", self.images.backend)
    }

    pub fn dashboard_image(&self, sha: &str) -> String {
        format!("{}:{sha}", self.images.dashboard)
    }

    /// The date (YYYY-MM-DD) of the table: the day the npm registry was last
    /// read for it with `maint/refresh-pins`. Newer `convex` versions and
    /// backend releases than this date are unknown to this convex-scaffold.
    pub fn table_date(&self) -> &str {
        &self.cli_versions.read
    }

    /// Every `convex` version the table knows to be published, oldest first.
    pub fn published_versions(&self) -> impl Iterator<Item = &Version> + '_ {
        self.cli_versions.published.iter().map(|p| &p.version)
    }

    /// The newest published `convex` version the table knows.
    pub fn newest_published(&self) -> &Version {
        self.published_versions()
            .max()
            .expect("the published list has versions (tested)")
    }

    /// Whether the table lists `version` as published on npm.
    pub fn is_published(&self, version: &Version) -> bool {
        self.published_versions().any(|v| v == version)
    }

    /// Why a version the table does not list is accepted: it is newer than
    /// the table (which may be behind npm). Versions inside the table's range
    /// that npm never had are refused earlier, by [`Self::check_published`].
    pub fn unknown_version(&self, version: &Version) -> String {
        format!(
            "convex_version {version} is not in this convex-scaffold's table of published convex versions (npm, read \
             {}; newest {}): it may be newer than the table, but whether it exists and works with the pinned backend is \
             unknown. `convex-scaffold doctor` (online) asks the npm registry; a newer convex-scaffold knows newer versions",
            self.table_date(),
            self.newest_published()
        )
    }

    /// Refuses a version inside the table's range that npm never published
    /// (the table lists every version from the oldest it knows to the
    /// newest). Versions newer than the table pass, with a warning from
    /// [`Self::verdict`].
    pub fn check_published(&self, version: &Version) -> Result<(), String> {
        let oldest = self.published_versions().min().expect("tested");
        if self.is_published(version) || version > self.newest_published() || version < oldest {
            return Ok(());
        }
        let below = self.published_versions().filter(|v| *v < version).max();
        let above = self.published_versions().filter(|v| *v > version).min();
        let near: Vec<String> = below
            .into_iter()
            .chain(above)
            .map(ToString::to_string)
            .collect();
        Err(format!(
            "was never published on npm: the table lists every convex version from {oldest} to {} (read {}), and \
             {version} is not one of them; the nearest are {}",
            self.newest_published(),
            self.table_date(),
            near.join(" and ")
        ))
    }

    /// The newest row of the release table (rows are oldest first, tested).
    pub fn latest_release(&self) -> &Release {
        self.releases
            .last()
            .expect("the release table has rows (tested)")
    }

    /// A release row by `latest`, its date, or its backend SHA (or a unique
    /// prefix of at least 7 characters).
    pub fn release(&self, key: &str) -> Option<&Release> {
        let key = key.trim();
        if key == "latest" {
            return Some(self.latest_release());
        }
        if let Some(row) = self.releases.iter().find(|r| r.date == key) {
            return Some(row);
        }
        if key.len() < 7 {
            return None;
        }
        let mut rows = self.releases.iter().filter(|r| r.backend.starts_with(key));
        match (rows.next(), rows.next()) {
            (Some(row), None) => Some(row),
            _ => None,
        }
    }

    /// The error text for a `--release` key that is not a row.
    pub fn unknown_release(&self, key: &str) -> String {
        let rows: Vec<String> = self
            .releases
            .iter()
            .map(|r| format!("{} ({})", r.date, &r.backend[..7]))
            .collect();
        let dated = self
            .known_builds
            .iter()
            .find(|b| b.date == key.trim() || (key.trim().len() >= 7 && b.sha.starts_with(key.trim())))
            .map(|b| {
                format!(
                    " ({} is a known build of {}, but its images are not confirmed to exist, so it is no row; pin it by hand with --backend-image/--dashboard-image if you have checked)",
                    key.trim(),
                    b.date
                )
            })
            .unwrap_or_default();
        format!(
            "--release {key:?} is not a row of the release table{dated}; nothing was written. Give `latest`, a row's date or at \
             least 7 characters of its backend SHA. Rows: {}. See `convex-scaffold pins`",
            rows.join(", ")
        )
    }

    pub fn pins_for_release(&self, release: &Release) -> Pins {
        Pins {
            convex_version: release.cli.clone(),
            backend_image: self.backend_image(&release.backend),
            dashboard_image: self.dashboard_image(&release.dashboard),
        }
    }

    /// The release whose backend is this commit SHA.
    pub fn release_with_backend(&self, sha: &str) -> Option<&Release> {
        self.releases.iter().find(|r| r.backend == sha)
    }

    /// The first release that ships this dashboard commit SHA.
    pub fn release_with_dashboard(&self, sha: &str) -> Option<&Release> {
        self.releases.iter().find(|r| r.dashboard == sha)
    }

    /// A dated build that is not a row.
    pub fn known_build(&self, sha: &str) -> Option<&KnownBuild> {
        self.known_builds.iter().find(|b| b.sha == sha)
    }

    /// The build date of a backend image, when the data knows it.
    pub fn backend_date(&self, image: &str) -> Option<&str> {
        let sha = image_sha(image)?;
        self.release_with_backend(sha)
            .map(|r| r.date.as_str())
            .or_else(|| self.known_build(sha).map(|b| b.date.as_str()))
    }

    pub fn known_bad(&self, version: &Version) -> Option<&KnownBad> {
        self.known_bad
            .iter()
            .find(|bad| bad.versions.contains(version))
    }

    /// The rules this CLI breaks on a backend from `date`.
    pub fn broken_rules<'a>(
        &'a self,
        version: &'a Version,
        date: &'a str,
    ) -> impl Iterator<Item = &'a RequiresBackend> + 'a {
        self.requires_backend
            .iter()
            .filter(move |rule| rule.cli.matches(version) && date < rule.backend_since.as_str())
    }

    /// The Node.js major version the CLI needs (`engines.node`).
    pub fn node_major(&self, version: &Version) -> u32 {
        self.node
            .iter()
            .find(|n| n.cli.matches(version))
            .map(|n| n.node_major)
            .unwrap_or(22)
    }

    /// What convex-scaffold knows about a workspace image's Node.js.
    pub fn workspace_image(&self, image: &str) -> Option<&WorkspaceImage> {
        self.workspace_images
            .iter()
            .find(|w| w.image == image.trim())
    }

    /// The newest published CLI that is not known-bad, that no rule for
    /// `commands` refuses on a backend from `date`, and whose Node
    /// requirement `node_major` meets (any Node when `None`).
    pub fn newest_cli(
        &self,
        date: &str,
        commands: &[ConvexCommand],
        node_major: Option<u32>,
    ) -> Option<&Version> {
        self.published_versions()
            .filter(|v| self.known_bad(v).is_none())
            .filter(|v| {
                !self
                    .broken_rules(v, date)
                    .any(|rule| rule.commands.iter().any(|c| commands.contains(c)))
            })
            .filter(|v| node_major.is_none_or(|major| self.node_major(v) <= major))
            .max()
    }

    /// Every reason the pins are known to break for what the project runs
    /// (`convex dev`), as sentences naming the bug and the fix.
    pub fn problems(&self, pins: &Pins) -> Vec<String> {
        self.verdict(pins, Target::project()).problems
    }

    /// What the rules say about `pins` run as `target`.
    pub fn verdict(&self, pins: &Pins, target: Target<'_>) -> Verdict {
        let mut verdict = Verdict::default();
        let version = &pins.convex_version;
        if !self.is_published(version) {
            let oldest = self.published_versions().min().expect("tested");
            verdict.warnings.push(if version < oldest {
                format!(
                    "convex_version {version} is older than every version this convex-scaffold's table tracks (from \
                     {oldest} on), so its compatibility with the pinned backend was not checked"
                )
            } else {
                self.unknown_version(version)
            });
        }
        if let Some(bad) = self.known_bad(version) {
            let note = bad
                .unaffected_note(self.backend_date(&pins.backend_image))
                .map(|n| format!(" {n}."))
                .unwrap_or_default();
            verdict.problems.push(format!(
                "convex_version {version} is known-bad: {}.{note} Fix: {}: {SET_CONVEX_VERSION}{}",
                bad.bug, bad.fix, bad.fixed_in
            ));
        }
        let sha = image_sha(&pins.backend_image);
        match self.backend_date(&pins.backend_image) {
            Some(date) => {
                for rule in self.broken_rules(version, date) {
                    let commands: Vec<&str> = rule.commands.iter().map(|c| c.as_str()).collect();
                    let newest = self
                        .newest_cli(date, target.commands, target.node.map(|(m, _)| m))
                        .map(|v| format!("convex_version={v} (the newest CLI that works with it)"))
                        .unwrap_or_else(|| format!("a CLI that does not match `{}`", rule.cli));
                    if rule.commands.iter().any(|c| target.commands.contains(c)) {
                        verdict.problems.push(format!(
                            "convex_version {version} needs a backend built on or after {} for `convex {}`, but backend_image {} \
                             is from {date}: {} ({}). Fix: {RELEASE_HINT}, or keep the backend and pin {newest}.",
                            rule.backend_since,
                            commands.join("`/`convex "),
                            pins.backend_image,
                            rule.symptom,
                            rule.issue,
                        ));
                    } else {
                        verdict.warnings.push(format!(
                            "`convex {}` with convex {version} needs a backend built on or after {}, and backend_image {} is \
                             from {date}: {} ({}). The project's scripts push with `convex dev --once`, which works with this \
                             pair; do not run `convex {}` against this backend, or move to a newer row ({RELEASE_HINT}).",
                            commands.join("`/`convex "),
                            rule.backend_since,
                            pins.backend_image,
                            rule.symptom,
                            rule.issue,
                            commands.join("`/`convex "),
                        ));
                    }
                }
                if let Some(build) = sha.and_then(|sha| self.known_build(sha)) {
                    verdict.warnings.push(format!(
                        "backend_image {} is a known build from {date}, but not a row of the release table: its images \
                         are not confirmed to exist on the registry ({}). `convex-scaffold doctor` checks that they do",
                        pins.backend_image, build.note
                    ));
                }
            }
            None => verdict.warnings.push(format!(
                "backend_image {} is not in the release table, so its compatibility with convex {version} is unknown \
                 (the rules need the backend's build date). To be safe, {RELEASE_HINT}",
                pins.backend_image
            )),
        }
        if let Some((major, what)) = target.node {
            let need = self.node_major(version);
            if major < need {
                let newest = self
                    .backend_date(&pins.backend_image)
                    .and_then(|date| self.newest_cli(date, target.commands, Some(major)))
                    .map(|v| format!("convex_version={v} (the newest CLI that runs on Node {major} with this backend)"))
                    .unwrap_or_else(|| "a CLI whose Node requirement it meets".to_owned());
                verdict.problems.push(format!(
                    "convex_version {version} needs Node.js {need} or later (its engines.node), but {what} has Node.js \
                     {major}: the install fails with EBADENGINE or the CLI refuses to run (node-engine-too-old). Fix: pin \
                     {newest}, or use an image with Node.js {need} or later"
                ));
            }
        }
        if let (Some(backend), Some(dashboard)) = (sha, image_sha(&pins.dashboard_image)) {
            if let Some(release) = self.release_with_backend(backend) {
                if release.dashboard != dashboard
                    && self.release_with_dashboard(dashboard).is_some()
                {
                    verdict.problems.push(format!(
                        "dashboard_image {} does not belong to the {} release of backend {}; that release ships dashboard {}. \
                         Fix: --set dashboard_image={}, or {RELEASE_HINT}.",
                        pins.dashboard_image,
                        release.date,
                        backend,
                        release.dashboard,
                        self.dashboard_image(&release.dashboard)
                    ));
                }
            }
        }
        verdict
    }
}

/// The tag (a commit SHA) or digest of a pinned image reference.
pub fn image_sha(image: &str) -> Option<&str> {
    if let Some((_, digest)) = image.rsplit_once('@') {
        return Some(digest);
    }
    let last = image.rsplit('/').next()?;
    last.split_once(':').map(|(_, tag)| tag)
}

/// Text for `convex-scaffold pins`.
pub fn describe() -> String {
    use std::fmt::Write;
    let data = data();
    let defaults = data.default_pins();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Defaults of this convex-scaffold ({}), the {} release:",
        env!("CARGO_PKG_VERSION"),
        data.default_release().date
    );
    let _ = writeln!(out, "  convex_version  = {}", defaults.convex_version);
    let _ = writeln!(out, "  backend_image   = {}", defaults.backend_image);
    let _ = writeln!(out, "  dashboard_image = {}", defaults.dashboard_image);
    let _ = writeln!(
        out,
        "\nRelease table: rows whose backend and dashboard images are evidenced to exist\n\
         (new --release / upgrade --release <date|sha|latest>; latest = {}):",
        data.latest_release().date
    );
    for r in &data.releases {
        let dashboard = if r.dashboard == r.backend {
            "dashboard: same SHA".to_owned()
        } else {
            format!("dashboard: {}", r.dashboard)
        };
        let _ = writeln!(
            out,
            "  {}  backend {}  ({dashboard})  cli {}  (built with {}; needs Node.js {}+)",
            r.date,
            r.backend,
            r.cli,
            r.tree_cli,
            data.node_major(&r.cli)
        );
        let _ = writeln!(out, "      evidence: {}", r.evidence);
        let _ = writeln!(out, "      source:   {}", r.source);
    }
    let _ = writeln!(
        out,
        "\nDated builds that are no row (images not confirmed; used only to date a pinned backend):"
    );
    for b in &data.known_builds {
        let _ = writeln!(out, "  {}  {}  {}", b.date, b.sha, b.note);
    }
    let _ = writeln!(
        out,
        "\nKnown-bad convex CLI versions (refused unless --allow-known-bad):"
    );
    for bad in &data.known_bad {
        let versions: Vec<String> = bad.versions.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "  {}: {}", versions.join(", "), bad.bug);
    }
    let _ = writeln!(
        out,
        "\nCLI versions that need a newer backend (the project pushes with `convex dev --once`;\n\
         a rule about `convex deploy` only warns):"
    );
    for rule in &data.requires_backend {
        let commands: Vec<&str> = rule.commands.iter().map(|c| c.as_str()).collect();
        let _ = writeln!(
            out,
            "  {} needs a backend from {} or later for `convex {}`: {} ({})",
            rule.cli,
            rule.backend_since,
            commands.join("`, `convex "),
            rule.symptom,
            rule.source
        );
    }
    let _ = writeln!(
        out,
        "\nAPIs the CLI's types offer that backends built up to a date do not serve (the code type-checks,\n\
         then fails at run time; not refused):"
    );
    for t in &data.types_ahead {
        let _ = writeln!(
            out,
            "  convex {}: {}; missing from backends up to {}: {} ({})",
            t.cli,
            t.apis.join(", "),
            t.missing_through,
            t.symptom,
            t.issue
        );
    }
    let _ = writeln!(
        out,
        "\nconvex versions on npm (read {}; latest {}), newest first, with the Node.js they need:",
        data.table_date(),
        data.cli_versions.latest
    );
    for p in data.cli_versions.published.iter().rev().take(8) {
        let _ = writeln!(
            out,
            "  {}  published {}  engines.node {}  (Node.js {}+)",
            p.version,
            p.date,
            p.node,
            data.node_major(&p.version)
        );
    }
    let _ = writeln!(
        out,
        "  ... {} versions in all, from {}",
        data.cli_versions.published.len(),
        data.published_versions().min().expect("tested")
    );
    let _ = writeln!(out, "\nNode.js the CLI needs (engines.node):");
    for n in &data.node {
        let _ = writeln!(out, "  convex {}: Node.js {} or later", n.cli, n.node_major);
    }
    for w in &data.workspace_images {
        let _ = writeln!(
            out,
            "  workspace image {}: Node.js {} or later ({}; {})",
            w.image, w.node_major, w.note, w.source
        );
    }
    let _ = writeln!(
        out,
        "\nA backend SHA outside these tables is accepted with a warning: its compatibility is unknown."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(cli: &str, backend_sha: &str) -> Pins {
        let data = data();
        Pins {
            convex_version: cli.parse().unwrap(),
            backend_image: data.backend_image(backend_sha),
            dashboard_image: data.dashboard_image(backend_sha),
        }
    }

    fn sha_of(date: &str) -> &'static str {
        let data = data();
        data.release(date)
            .map(|r| r.backend.as_str())
            .or_else(|| {
                data.known_builds
                    .iter()
                    .find(|b| b.date == date)
                    .map(|b| b.sha.as_str())
            })
            .unwrap_or_else(|| panic!("no build of {date}"))
    }

    const DEPLOY: &[ConvexCommand] = &[ConvexCommand::Dev, ConvexCommand::Deploy];

    #[test]
    fn defaults_are_the_newest_known_good_pair() {
        let data = data();
        let row = data.default_release();
        assert_eq!(row.backend, data.latest_release().backend, "newest row");
        let image = data
            .workspace_image(crate::answers::DEFAULT_WORKSPACE_IMAGE)
            .expect("the default workspace image's Node is known");
        assert!(image.node_major >= data.defaults.node_major);
        assert!(22 >= data.defaults.node_major, "the devcontainer's Node");
        assert!(
            data.defaults.node_major >= 22,
            "Node 20 ended on 2026-04-30"
        );
        assert_eq!(
            data.newest_cli(&row.date, PROJECT_COMMANDS, Some(data.defaults.node_major)),
            Some(&data.defaults.convex_version),
            "the newest CLI the rules allow on the defaults' Node"
        );
        assert_eq!(row.cli, data.defaults.convex_version);
        let pins = data.default_pins();
        let target = Target {
            commands: DEPLOY,
            node: Some((image.node_major, "the default workspace image")),
        };
        assert_eq!(data.verdict(&pins, target), Verdict::default());
    }

    fn is_date(s: &str) -> bool {
        let b = s.as_bytes();
        s.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && s.chars()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
            && (1..=12).contains(&s[5..7].parse::<u32>().unwrap())
            && (1..=31).contains(&s[8..10].parse::<u32>().unwrap())
    }

    /// The offline guard: pins.toml agrees with itself. (The networked half,
    /// "npm has nothing newer", is `maint/refresh-pins --check` in .ci/run.)
    #[test]
    fn pins_toml_is_internally_consistent() {
        let data = data();
        let read = data.table_date();
        assert!(is_date(read), "[cli_versions] read {read:?}");
        // The published list: ascending, plain versions, dated on or before the read.
        let published: Vec<&Published> = data.cli_versions.published.iter().collect();
        for pair in published.windows(2) {
            assert!(
                pair[0].version < pair[1].version,
                "{} then {}",
                pair[0].version,
                pair[1].version
            );
        }
        for p in &published {
            assert!(p.version.pre.is_empty(), "{}", p.version);
            assert!(
                is_date(&p.date) && p.date.as_str() <= read,
                "{} {}",
                p.version,
                p.date
            );
            // Node: the rules give exactly the major engines.node names.
            let rules: Vec<_> = data
                .node
                .iter()
                .filter(|n| n.cli.matches(&p.version))
                .collect();
            assert_eq!(rules.len(), 1, "{}: one [[node]] row", p.version);
            let major: u32 = p
                .node
                .trim_start_matches(">=")
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or_else(|| panic!("{}: engines.node {:?}", p.version, p.node));
            assert_eq!(
                data.node_major(&p.version),
                major,
                "{} engines.node {}",
                p.version,
                p.node
            );
        }
        assert!(
            data.is_published(&data.cli_versions.latest),
            "latest is listed"
        );
        // Every version a rule or row names is published.
        for bad in &data.known_bad {
            for v in &bad.versions {
                assert!(data.is_published(v), "known_bad {v}");
            }
        }
        for row in &data.releases {
            assert!(is_date(&row.date), "{}", row.date);
            assert!(row.date.as_str() <= read, "{}", row.date);
            assert!(
                data.is_published(&row.cli) && data.is_published(&row.tree_cli),
                "{}",
                row.date
            );
        }
        for build in &data.known_builds {
            assert!(
                is_date(&build.date) && data.is_published(&build.tree_cli),
                "{}",
                build.date
            );
        }
        for rule in &data.requires_backend {
            assert!(is_date(&rule.backend_since), "{}", rule.issue);
            assert!(
                data.published_versions().any(|v| rule.cli.matches(v)),
                "{}",
                rule.cli
            );
        }
        for t in &data.types_ahead {
            assert!(is_date(&t.missing_through), "{}", t.issue);
            assert!(
                data.published_versions().any(|v| t.cli.matches(v)),
                "{}",
                t.cli
            );
        }
        // The defaults are allowed by the rules and rest on a living Node line.
        let default = &data.defaults.convex_version;
        assert!(data.is_published(default) && data.known_bad(default).is_none());
        assert!(data.node_major(default) <= data.defaults.node_major);
        let line = data
            .node_lines
            .iter()
            .find(|l| l.major == data.defaults.node_major)
            .expect("[defaults] node_major has a [[node_lines]] row");
        assert!(
            line.end_of_life.as_str() > read,
            "Node {} ended on {}, before the table's date {read}",
            line.major,
            line.end_of_life
        );
        for image in &data.workspace_images {
            assert!(
                image.node_major >= data.defaults.node_major,
                "{}",
                image.image
            );
        }
    }

    #[test]
    fn a_version_inside_the_table_that_npm_never_had_is_refused() {
        let data = data();
        let err = data.check_published(&Version::new(1, 47, 0)).unwrap_err();
        assert!(
            err.contains("never published") && err.contains("1.46.0 and 1.48.0"),
            "{err}"
        );
        assert!(data.check_published(&Version::new(1, 48, 0)).is_ok());
        // Newer than the table: accepted, with a warning naming the table's date.
        assert!(data.check_published(&Version::new(9, 9, 9)).is_ok());
        let verdict = data.verdict(&pins("9.9.9", sha_of("2026-06-26")), Target::project());
        assert!(
            verdict
                .warnings
                .iter()
                .any(|w| w.contains("not in this convex-scaffold's table")
                    && w.contains(data.table_date())
                    && w.contains("doctor")),
            "{verdict:?}"
        );
    }

    #[test]
    fn dates_count_days_and_the_note_names_the_table() {
        assert_eq!(days_from_date("1970-01-01"), Some(0));
        assert_eq!(days_from_date("2000-03-01"), Some(11_017));
        assert_eq!(days_from_date("2026-12-07"), Some(20_794));
        assert_eq!(days_from_date("2026-13-01"), None);
        let fresh = currency_note(Some(3));
        assert!(
            fresh.contains(table_date()) && fresh.contains("newest row 2026-06-26"),
            "{fresh}"
        );
        assert!(
            fresh.contains("newer convex-scaffold") && !fresh.contains("days old"),
            "{fresh}"
        );
        let old = currency_note(Some(90));
        assert!(
            old.contains("90 days old") && old.contains("may well exist"),
            "{old}"
        );
        let now = std::time::UNIX_EPOCH
            + std::time::Duration::from_secs(
                86_400 * (days_from_date(table_date()).unwrap() as u64 + 5),
            );
        assert_eq!(table_age_days(now), Some(5));
    }

    #[test]
    fn the_seed_pair_stays_a_row() {
        let data = data();
        let row = data.release("2025-05-29").unwrap();
        assert_eq!(row.cli, Version::new(1, 24, 8));
        assert_eq!(row.backend, "c1a7ac393888d743e704de56cf569a154b4526d4");
        assert!(data.problems(&data.pins_for_release(row)).is_empty());
    }

    #[test]
    fn every_release_row_is_consistent() {
        let data = data();
        let mut previous = "";
        for row in &data.releases {
            assert!(
                row.date.as_str() > previous,
                "rows oldest first: {}",
                row.date
            );
            previous = &row.date;
            assert_eq!(row.backend.len(), 40, "{}", row.date);
            assert_eq!(row.dashboard.len(), 40, "{}", row.date);
            assert!(!row.evidence.trim().is_empty() && !row.source.trim().is_empty());
            assert!(data.is_published(&row.cli), "{}", row.date);
            assert!(data.known_bad(&row.cli).is_none(), "{}", row.date);
            let verdict = data.verdict(
                &data.pins_for_release(row),
                Target {
                    commands: DEPLOY,
                    node: Some((data.defaults.node_major, "CI")),
                },
            );
            assert_eq!(verdict, Verdict::default(), "release {}", row.date);
            // From 2025-09-12 on, a row pins the newest CLI the rules allow
            // for `dev` and `deploy` on the defaults' Node.
            if row.date.as_str() >= "2025-09-12" {
                assert_eq!(
                    data.newest_cli(&row.date, DEPLOY, Some(data.defaults.node_major)),
                    Some(&row.cli),
                    "{}",
                    row.date
                );
            }
            assert!(
                data.known_build(&row.backend).is_none(),
                "{} twice",
                row.date
            );
        }
        for build in &data.known_builds {
            assert_eq!(build.sha.len(), 40);
            assert!(
                data.release(&build.date).is_none(),
                "{} is a row",
                build.date
            );
        }
    }

    #[test]
    fn known_bad_1_26_on_a_backend_before_2025_08_27_is_refused() {
        let data = data();
        for v in ["1.26.0", "1.26.1"] {
            let problems = data.problems(&pins(v, sha_of("2025-08-05")));
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("reading 'length'"));
            assert!(problems[0].contains("1.24.8"));
        }
    }

    #[test]
    fn deploy_rule_of_1_29_2_refuses_deploy_and_warns_for_dev() {
        let data = data();
        let p = pins("1.29.2", sha_of("2025-10-29"));
        let deploy = data.verdict(
            &p,
            Target {
                commands: &[ConvexCommand::Deploy],
                node: None,
            },
        );
        assert_eq!(deploy.problems.len(), 1, "{deploy:?}");
        assert!(deploy.problems[0].contains("evaluate_push"));
        assert!(
            deploy.problems[0].contains("convex_version=1.29.1"),
            "{deploy:?}"
        );
        let dev = data.verdict(&p, Target::project());
        assert!(dev.problems.is_empty(), "{dev:?}");
        assert!(dev.warnings[0].contains("convex dev --once"), "{dev:?}");
        // From the 2025-11-04 build on, deploy works.
        let ok = data.verdict(
            &pins("1.29.2", sha_of("2025-11-04")),
            Target {
                commands: DEPLOY,
                node: None,
            },
        );
        assert!(ok.problems.is_empty(), "{ok:?}");
    }

    #[test]
    fn cli_1_31_7_on_a_backend_before_2026_01_23_is_refused() {
        let data = data();
        for date in ["2025-11-04", "2025-10-29"] {
            let problems = data.problems(&pins("1.31.7", sha_of(date)));
            assert!(
                problems
                    .iter()
                    .any(|p| p.contains("missing field `functions`")),
                "{date}: {problems:?}"
            );
        }
        assert!(data
            .problems(&pins("1.31.6", sha_of("2025-11-04")))
            .is_empty());
        assert!(data
            .problems(&pins("1.31.7", sha_of("2026-01-23")))
            .is_empty());
    }

    #[test]
    fn cli_1_35_on_a_backend_before_2025_10_10_is_refused() {
        let data = data();
        let problems = data.problems(&pins("1.35.0", sha_of("2025-09-12")));
        assert!(
            problems.iter().any(|p| p.contains("get_canonical_urls")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_cli_whose_node_requirement_is_not_met_is_refused() {
        let data = data();
        let p = pins("1.49.0", sha_of("2026-06-26"));
        for (node, refused) in [(18, true), (20, true), (22, false), (24, false)] {
            let verdict = data.verdict(
                &p,
                Target {
                    commands: PROJECT_COMMANDS,
                    node: Some((node, "the workspace image")),
                },
            );
            assert_eq!(
                !verdict.problems.is_empty(),
                refused,
                "Node {node}: {verdict:?}"
            );
        }
        let on_20 = data.verdict(
            &p,
            Target {
                commands: PROJECT_COMMANDS,
                node: Some((20, "the workspace image")),
            },
        );
        assert!(
            on_20.problems[0].contains("convex_version=1.48.0"),
            "{on_20:?}"
        );
        assert_eq!(data.node_major(&"1.44.0".parse().unwrap()), 18);
        assert_eq!(data.node_major(&"1.45.0".parse().unwrap()), 20);
        assert_eq!(data.node_major(&"1.48.0".parse().unwrap()), 20);
        assert_eq!(data.node_major(&"1.49.0".parse().unwrap()), 22);
    }

    #[test]
    fn new_cli_on_the_seed_backend_names_every_rule() {
        let data = data();
        let p = pins("1.49.0", sha_of("2025-05-29"));
        let problems = data.problems(&p);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(data.verdict(&p, Target::project()).warnings.len(), 1);
        assert!(data
            .problems(&pins("1.29.1", sha_of("2025-05-29")))
            .is_empty());
        assert_eq!(
            data.newest_cli("2025-05-29", DEPLOY, None),
            Some(&Version::new(1, 29, 1))
        );
        assert_eq!(
            data.newest_cli("2025-05-29", PROJECT_COMMANDS, None),
            Some(&Version::new(1, 31, 6))
        );
    }

    #[test]
    fn an_unknown_backend_is_accepted_with_a_warning() {
        let data = data();
        let p = pins("1.49.0", &"ab".repeat(20));
        let verdict = data.verdict(&p, Target::project());
        assert!(verdict.problems.is_empty(), "{verdict:?}");
        assert!(verdict.warnings[0].contains("unknown"), "{verdict:?}");
        let dated = data.verdict(&pins("1.49.0", sha_of("2026-08-21")), Target::project());
        assert!(dated.problems.is_empty());
        assert!(dated.warnings[0].contains("not confirmed"), "{dated:?}");
    }

    #[test]
    fn releases_are_found_by_latest_date_and_sha_prefix() {
        let data = data();
        assert_eq!(
            data.release("2025-09-04").unwrap().backend,
            "00bd92723422f3bff968230c94ccdeb8c1719832"
        );
        assert_eq!(data.release("00bd927").unwrap().date, "2025-09-04");
        assert_eq!(data.release("latest").unwrap().date, "2026-06-26");
        assert!(data.release("00bd").is_none());
        assert!(data.release("2020-01-01").is_none());
        assert!(data.release("2026-08-21").is_none(), "images not evidenced");
        assert!(data.unknown_release("2026-08-21").contains("not confirmed"));
    }

    #[test]
    fn mismatched_dashboard_is_a_problem() {
        let data = data();
        let mut pins = data
            .release("2025-09-04")
            .map(|r| data.pins_for_release(r))
            .unwrap();
        pins.dashboard_image = data.dashboard_image("c1a7ac393888d743e704de56cf569a154b4526d4");
        assert_eq!(data.problems(&pins).len(), 1);
    }
}
