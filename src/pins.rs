//! Pins, the official release table, known-bad CLI versions and the
//! CLI ↔ backend compatibility rules, all read from `templates/data/pins.toml`.

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
    pub known_bad: Vec<KnownBad>,
    pub requires_backend: Vec<RequiresBackend>,
    pub node: Vec<NodeRequirement>,
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageNames {
    pub backend: String,
    pub dashboard: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub date: String,
    pub backend: String,
    pub dashboard: String,
    pub tree_cli: Version,
    pub cli: Version,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownBuild {
    pub date: String,
    pub sha: String,
    pub tree_cli: Version,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownBad {
    pub versions: Vec<Version>,
    pub issue: String,
    pub bug: String,
    pub fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiresBackend {
    pub cli: VersionReq,
    pub backend_since: String,
    pub issue: String,
    pub symptom: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRequirement {
    pub cli: VersionReq,
    pub node_major: u32,
}

/// The embedded pins data, parsed once.
pub fn data() -> &'static PinsData {
    static DATA: OnceLock<PinsData> = OnceLock::new();
    DATA.get_or_init(|| {
        toml::from_str(PINS_TOML).expect("templates/data/pins.toml is valid (tested)")
    })
}

/// The three pins a project carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pins {
    pub convex_version: Version,
    pub backend_image: String,
    pub dashboard_image: String,
}

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

    /// A release row by backend SHA (or a unique prefix of at least 7
    /// characters) or by its date.
    pub fn release(&self, key: &str) -> Option<&Release> {
        let key = key.trim();
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

    /// The build date of a backend image, when the data knows it.
    pub fn backend_date(&self, image: &str) -> Option<&str> {
        let sha = image_sha(image)?;
        self.release_with_backend(sha)
            .map(|r| r.date.as_str())
            .or_else(|| {
                self.known_builds
                    .iter()
                    .find(|b| b.sha == sha)
                    .map(|b| b.date.as_str())
            })
    }

    pub fn known_bad(&self, version: &Version) -> Option<&KnownBad> {
        self.known_bad
            .iter()
            .find(|bad| bad.versions.contains(version))
    }

    /// Every reason the pins are known to break, as sentences naming the
    /// bug and the fix. Empty when nothing is known to break.
    pub fn problems(&self, pins: &Pins) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(bad) = self.known_bad(&pins.convex_version) {
            problems.push(format!(
                "convex_version {} is known-bad: {}. Fix: {}.",
                pins.convex_version, bad.bug, bad.fix
            ));
        }
        if let Some(date) = self.backend_date(&pins.backend_image) {
            for rule in &self.requires_backend {
                if rule.cli.matches(&pins.convex_version) && date < rule.backend_since.as_str() {
                    problems.push(format!(
                        "convex_version {} needs a backend built on or after {}, but backend_image {} is from {}: {}. \
                         Fix: pick a matching row with `--release` (see `convex-scaffold pins`) or pin a CLI that does not match `{}`.",
                        pins.convex_version, rule.backend_since, pins.backend_image, date, rule.symptom, rule.cli
                    ));
                }
            }
        }
        if let (Some(backend), Some(dashboard)) = (
            image_sha(&pins.backend_image),
            image_sha(&pins.dashboard_image),
        ) {
            if let Some(release) = self.release_with_backend(backend) {
                if release.dashboard != dashboard
                    && self.release_with_dashboard(dashboard).is_some()
                {
                    problems.push(format!(
                        "dashboard_image {} does not belong to the {} release of backend {}; that release ships dashboard {}. \
                         Fix: --set dashboard_image={}.",
                        pins.dashboard_image,
                        release.date,
                        backend,
                        release.dashboard,
                        self.dashboard_image(&release.dashboard)
                    ));
                }
            }
        }
        problems
    }

    /// The Node.js major version the CLI needs.
    pub fn node_major(&self, version: &Version) -> u32 {
        self.node
            .iter()
            .find(|n| n.cli.matches(version))
            .map(|n| n.node_major)
            .unwrap_or(22)
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
        "Defaults of this convex-scaffold ({}):",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "  convex_version  = {}", defaults.convex_version);
    let _ = writeln!(out, "  backend_image   = {}", defaults.backend_image);
    let _ = writeln!(out, "  dashboard_image = {}", defaults.dashboard_image);
    let _ = writeln!(
        out,
        "\nOfficial self-hosted releases (upgrade --release <date|sha>):"
    );
    let _ = writeln!(
        out,
        "  {:<10}  {:<40}  {:<40}  cli",
        "date", "backend", "dashboard"
    );
    for r in &data.releases {
        let _ = writeln!(
            out,
            "  {:<10}  {:<40}  {:<40}  {}",
            r.date, r.backend, r.dashboard, r.cli
        );
    }
    let _ = writeln!(
        out,
        "\nKnown-bad convex CLI versions (refused unless --allow-known-bad):"
    );
    for bad in &data.known_bad {
        let versions: Vec<String> = bad.versions.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "  {}: {}", versions.join(", "), bad.bug);
    }
    let _ = writeln!(out, "\nCLI versions that need a newer backend:");
    for rule in &data.requires_backend {
        let _ = writeln!(
            out,
            "  {} needs a backend from {} or later: {}",
            rule.cli, rule.backend_since, rule.symptom
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_parses_and_defaults_are_the_seed_pair() {
        let data = data();
        let pins = data.default_pins();
        assert_eq!(pins.convex_version, Version::new(1, 24, 8));
        assert_eq!(
            pins.backend_image,
            "ghcr.io/get-convex/convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4"
        );
        assert_eq!(
            pins.dashboard_image,
            "ghcr.io/get-convex/convex-dashboard:c1a7ac393888d743e704de56cf569a154b4526d4"
        );
        assert!(data.problems(&pins).is_empty());
    }

    #[test]
    fn every_release_row_is_consistent() {
        let data = data();
        for row in &data.releases {
            assert_eq!(row.backend.len(), 40, "{}", row.date);
            assert_eq!(row.dashboard.len(), 40, "{}", row.date);
            assert!(
                data.known_bad(&row.cli).is_none(),
                "release {} pins a known-bad CLI",
                row.date
            );
            assert!(
                data.problems(&data.pins_for_release(row)).is_empty(),
                "release {}",
                row.date
            );
        }
    }

    #[test]
    fn known_bad_versions_are_refused_with_bug_and_fix() {
        let data = data();
        for v in ["1.26.0", "1.26.1"] {
            let mut pins = data.default_pins();
            pins.convex_version = v.parse().unwrap();
            let problems = data.problems(&pins);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("reading 'length'"));
            assert!(problems[0].contains("1.24.8"));
        }
    }

    #[test]
    fn new_cli_on_old_backend_is_a_problem() {
        let data = data();
        let mut pins = data.default_pins();
        pins.convex_version = "1.49.0".parse().unwrap();
        let problems = data.problems(&pins);
        assert_eq!(problems.len(), 3, "{problems:?}");
        pins.convex_version = "1.29.1".parse().unwrap();
        assert!(data.problems(&pins).is_empty());
    }

    #[test]
    fn releases_are_found_by_date_and_sha_prefix() {
        let data = data();
        assert_eq!(
            data.release("2025-09-04").unwrap().backend,
            "00bd92723422f3bff968230c94ccdeb8c1719832"
        );
        assert_eq!(data.release("00bd927").unwrap().date, "2025-09-04");
        assert!(data.release("00bd").is_none());
        assert!(data.release("2020-01-01").is_none());
    }

    #[test]
    fn mismatched_dashboard_is_a_problem() {
        let data = data();
        let mut pins = data.default_pins();
        pins.dashboard_image = data.dashboard_image("33cef775a8a6228cbacee4a09ac2c4073d62ed13");
        assert_eq!(data.problems(&pins).len(), 1);
    }
}
