//! `convex-scaffold.toml`, the project's state file: the tool version that
//! rendered it, the answers (no secrets), the pins, the storage mode the data
//! volume was initialised with, and the list of files the tool manages. The
//! content of each managed file as last rendered is kept beside it in
//! `.convex-scaffold/base.toml` — the merge base for the next `upgrade`.
//! Human-readable TOML; edit answers with `upgrade --set`, not by hand.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::answers::{Answers, Database, Storage};
use crate::error::usage;

pub const STATE_FILE: &str = "convex-scaffold.toml";
pub const BASE_FILE: &str = ".convex-scaffold/base.toml";
pub const FORMAT: u32 = 1;

const HEADER: &str = "\
# convex-scaffold state: what `convex-scaffold upgrade` and `doctor` need.
# Written by the tool. Change answers with `convex-scaffold upgrade --set KEY=VALUE`
# and pins with `upgrade --convex-version/--backend-image/--release`, not by hand.
# [files] lists the files the tool manages; their last rendered content (the
# merge base of the next upgrade) is kept in .convex-scaffold/base.toml.
";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub scaffold: ScaffoldInfo,
    pub answers: StateAnswers,
    pub pins: StatePins,
    #[serde(default)]
    pub files: BTreeMap<String, FileRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaffoldInfo {
    /// Version of convex-scaffold that last rendered the project.
    pub tool_version: String,
    /// Version of this file's layout.
    pub format: u32,
    /// Storage mode the backend's data volume was initialised with. It only
    /// changes through `upgrade --reset-data`.
    pub initial_storage: Storage,
    /// Database the backend was first started on (the database lock). It
    /// only changes through `upgrade --reset-data`; state files written
    /// before the `database` key existed read as sqlite, the only choice then.
    #[serde(default)]
    pub initial_database: Database,
}

/// The answers minus the pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateAnswers {
    pub name: String,
    pub package_manager: crate::answers::PackageManager,
    pub frontend: crate::answers::Frontend,
    pub storage: Storage,
    #[serde(default)]
    pub database: Database,
    #[serde(default)]
    pub database_url: String,
    /// Absent in state files written before the `auth` key existed: none.
    #[serde(default)]
    pub auth: crate::answers::Auth,
    pub platform: crate::answers::Platform,
    pub agent_name: String,
    pub wildcard_domain: String,
    pub docker_runtime: crate::answers::DockerRuntime,
    /// `app_share` in state files written before the key took the Coder
    /// variable's name.
    #[serde(alias = "app_share")]
    pub convex_app_share: crate::answers::AppShare,
    pub workspace_image: String,
    pub git_url: String,
    pub s3_endpoint_url: String,
    pub s3_region: String,
    pub s3_bucket_prefix: String,
    pub s3_force_path_style: bool,
    /// Absent in state files written before the `ide_modules` key existed:
    /// false, so an upgrade does not add modules fetched from the network.
    #[serde(default)]
    pub ide_modules: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatePins {
    pub convex_version: semver::Version,
    pub backend_image: String,
    pub dashboard_image: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    /// Unix mode as octal text, e.g. "644".
    pub mode: String,
    /// "managed" (three-way merged), "merge-json", "merge-lines".
    pub policy: String,
}

impl State {
    pub fn new(answers: &Answers, initial_storage: Storage) -> Self {
        State {
            scaffold: ScaffoldInfo {
                tool_version: env!("CARGO_PKG_VERSION").to_owned(),
                format: FORMAT,
                initial_storage,
                initial_database: answers.database,
            },
            answers: StateAnswers {
                name: answers.name.clone(),
                package_manager: answers.package_manager,
                frontend: answers.frontend,
                storage: answers.storage,
                database: answers.database,
                database_url: answers.database_url.clone(),
                auth: answers.auth,
                platform: answers.platform,
                agent_name: answers.agent_name.clone(),
                wildcard_domain: answers.wildcard_domain.clone(),
                docker_runtime: answers.docker_runtime,
                convex_app_share: answers.convex_app_share,
                workspace_image: answers.workspace_image.clone(),
                git_url: answers.git_url.clone(),
                s3_endpoint_url: answers.s3_endpoint_url.clone(),
                s3_region: answers.s3_region.clone(),
                s3_bucket_prefix: answers.s3_bucket_prefix.clone(),
                s3_force_path_style: answers.s3_force_path_style,
                ide_modules: answers.ide_modules,
            },
            pins: StatePins {
                convex_version: answers.convex_version.clone(),
                backend_image: answers.backend_image.clone(),
                dashboard_image: answers.dashboard_image.clone(),
            },
            files: BTreeMap::new(),
        }
    }

    /// The database lock to record when it differs from the answer (an
    /// existing project keeps the database it was first started on).
    pub fn with_initial_database(mut self, initial_database: Database) -> Self {
        self.scaffold.initial_database = initial_database;
        self
    }

    /// The recorded answers, re-validated (a hand-edited state file must
    /// pass the same rules as the command line).
    pub fn answers(&self) -> Result<Answers> {
        let a = &self.answers;
        let answers = Answers {
            name: a.name.clone(),
            package_manager: a.package_manager,
            frontend: a.frontend,
            storage: a.storage,
            database: a.database,
            database_url: a.database_url.clone(),
            auth: a.auth,
            platform: a.platform,
            convex_version: self.pins.convex_version.clone(),
            backend_image: self.pins.backend_image.clone(),
            dashboard_image: self.pins.dashboard_image.clone(),
            agent_name: a.agent_name.clone(),
            wildcard_domain: a.wildcard_domain.clone(),
            docker_runtime: a.docker_runtime,
            convex_app_share: a.convex_app_share,
            workspace_image: a.workspace_image.clone(),
            git_url: a.git_url.clone(),
            s3_endpoint_url: a.s3_endpoint_url.clone(),
            s3_region: a.s3_region.clone(),
            s3_bucket_prefix: a.s3_bucket_prefix.clone(),
            s3_force_path_style: a.s3_force_path_style,
            ide_modules: a.ide_modules,
        };
        crate::answers::validate_or_usage(&answers.to_raw()).map_err(|e| {
            usage(format!(
                "{STATE_FILE} holds answers that are no longer valid: {e:#}"
            ))
        })
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("state serialises");
        format!("{HEADER}\n{body}")
    }

    pub fn from_toml(text: &str) -> Result<Self> {
        let state: State = toml::from_str(text).map_err(|e| {
            usage(format!(
                "{STATE_FILE} is not a valid convex-scaffold state file: {e}\nRestore it from version control (git checkout -- {STATE_FILE}); convex-scaffold will not guess."
            ))
        })?;
        if state.scaffold.format != FORMAT {
            return Err(usage(format!(
                "{STATE_FILE} has format {}, this convex-scaffold reads format {FORMAT}; use a matching convex-scaffold version",
                state.scaffold.format
            )));
        }
        Ok(state)
    }

    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            usage(format!(
                "cannot read {}: {e}. Is {} a project made by `convex-scaffold new`?",
                path.display(),
                dir.display()
            ))
        })?;
        Self::from_toml(&text)
    }
}

/// The merge base: every managed file's content as the tool last rendered it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Base {
    pub files: BTreeMap<String, String>,
}

const BASE_HEADER: &str = "\
# convex-scaffold merge base: each managed file as the tool last rendered it.
# `convex-scaffold upgrade` three-way merges (this, your file, the new render).
# Written by the tool; do not edit.
";

impl Base {
    pub fn to_toml(&self) -> String {
        format!(
            "{BASE_HEADER}\n{}",
            toml::to_string_pretty(self).expect("base serialises")
        )
    }

    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            usage(format!(
                "{BASE_FILE} is corrupt: {e}\nRestore it from version control (git checkout -- {BASE_FILE}); convex-scaffold will not guess."
            ))
        })
    }

    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(BASE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_toml(&text),
            Err(e) => Err(usage(format!("cannot read {}: {e}", path.display()))),
        }
    }
}
