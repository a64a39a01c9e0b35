//! The answers model: every key, its default, its validation. Sources are
//! merged in one place, in this order (later wins): defaults < `--answers`
//! file < `--set` < prompts. Every value is validated here, at the boundary,
//! before anything is rendered or written.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};
use semver::Version;
use serde::{Deserialize, Serialize};

use crate::error::usage;
use crate::pins;

/// The key list shared by [`ANSWER_KEYS_HELP`] and [`upgrade_keys_help`].
macro_rules! answer_keys_body {
    () => {
        "  name                 project name: npm package, compose project, INSTANCE_NAME,
                       Coder template name. [a-z][a-z0-9-]*, at most 31 chars, no '--'.
                       Default: package.json's \"name\" in DIR if valid, else
                       DIR's basename, made valid.
  package_manager      pnpm | npm | yarn | bun                       [default: pnpm]
  frontend             vite | nextjs | none: VITE_CONVEX_URL or
                       NEXT_PUBLIC_CONVEX_URL, or no frontend URL    [default: vite]
  storage              local | s3                                    [default: local]
  database             sqlite | postgres | mysql: the backend's database; postgres
                       and mysql add a pinned database service to compose
                                                                     [default: sqlite]
  database_url         (database=postgres|mysql) an external server instead of the
                       bundled service: postgresql://USER@HOST:PORT or
                       mysql://USER@HOST:PORT, no password (it goes into
                       .env.docker), no database name, no parameters [default: empty]
  auth                 none | convex-auth: convex-auth makes the scripts generate the
                       JWT key pair once (.convex-auth/, never committed) and set
                       JWT_PRIVATE_KEY, JWKS and SITE_URL on the deployment after
                       each deploy (with a wildcard_domain: convex_app_share=public)
                                                                     [default: none]
  platform             docker | kubernetes: Coder template flavour   [default: docker]
  convex_version       exact convex CLI version, e.g. 1.24.8         [default: from pins]
  backend_image        backend image pinned by commit SHA or digest  [default: from pins]
  dashboard_image      dashboard image pinned by commit SHA or digest [default: from pins]
  agent_name           Coder agent name                              [default: main]
  wildcard_domain      Coder's wildcard app domain, e.g. *.coder.example.com
                       or *-apps.example.com; empty for 127.0.0.1 URLs and
                       `coder port-forward`                          [default: empty]
  docker_runtime       privileged | sysbox: how the workspace runs Docker
                                                                     [default: privileged]
  convex_app_share     public | authenticated | owner: share level of the
                       Convex API and site apps                      [default: public]
  workspace_image      image of the Coder workspace container
                                                    [default: codercom/enterprise-node:ubuntu]
  git_url              repository the workspace checks out (optional) [default: empty]
  s3_endpoint_url      (storage=s3) S3-compatible endpoint, e.g. https://minio.example.com;
                       empty for AWS                                 [default: empty]
  s3_region            (storage=s3) AWS_REGION                       [default: us-east-1]
  s3_bucket_prefix     (storage=s3) buckets are <prefix>-exports, -snapshot-imports,
                       -modules, -files, -search                     [default: name]
  s3_force_path_style  (storage=s3) true | false (true for MinIO-style endpoints)
                                                 [default: true with an endpoint, else false]
  ide_modules          true | false: code-server and JetBrains in the Coder template
                       through Coder's registry modules (fetched from
                       registry.coder.com at push time: false for air-gapped
                       Coder servers)                                [default: true]"
    };
}

/// `--help` text listing every answer key (kept in step with [`KEYS`] by a test).
pub const ANSWER_KEYS_HELP: &str = concat!(
    "Answer keys (--set KEY=VALUE, or the same keys in a TOML --answers file):\n",
    answer_keys_body!()
);

/// `upgrade --help`: the same keys, which upgrade takes through --set only,
/// without `new`'s defaults: upgrade keeps the project's recorded answers.
pub fn upgrade_keys_help() -> &'static str {
    static HELP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HELP.get_or_init(|| {
        let default = regex::Regex::new(r"\s*\[default: [^\]]*\]").expect("valid regex");
        let mut keys: Vec<String> = Vec::new();
        // A "Default: ..." sentence runs to the next key's line.
        let mut in_default = false;
        for line in answer_keys_body!().lines() {
            let is_key_line = !line.starts_with("   ");
            if line.trim_start().starts_with("Default: ") {
                in_default = true;
            } else if is_key_line {
                in_default = false;
            }
            let line = default.replace_all(line, "");
            if !in_default && !line.trim().is_empty() {
                keys.push(line.into_owned());
            }
        }
        format!(
            "Answer keys (--set KEY=VALUE). upgrade keeps the answers recorded in convex-scaffold.toml and \
             changes only the keys you --set (no defaults apply; `new --help` lists those):\n{}",
            keys.join("\n")
        )
    })
}

/// Every answer key, in prompt order.
pub const KEYS: &[&str] = &[
    "name",
    "package_manager",
    "frontend",
    "storage",
    "database",
    "database_url",
    "auth",
    "platform",
    "convex_version",
    "backend_image",
    "dashboard_image",
    "agent_name",
    "wildcard_domain",
    "docker_runtime",
    "convex_app_share",
    "workspace_image",
    "git_url",
    "s3_endpoint_url",
    "s3_region",
    "s3_bucket_prefix",
    "s3_force_path_style",
    "ide_modules",
];

/// The keys asked on a terminal (the rest keep their defaults unless set).
pub const PROMPTED: &[&str] = &[
    "name",
    "package_manager",
    "frontend",
    "storage",
    "database",
    "auth",
    "platform",
    "wildcard_domain",
    "agent_name",
    "s3_endpoint_url",
    "s3_region",
    "s3_bucket_prefix",
    "s3_force_path_style",
];

/// Postgres 17 on Debian trixie, an exact minor version (Docker official image).
pub const POSTGRES_IMAGE: &str = "postgres:17.10-trixie";
/// MySQL 8.4 LTS, an exact patch version (Docker official image).
pub const MYSQL_IMAGE: &str = "mysql:8.4.11-oraclelinux9";

pub const DEFAULT_WORKSPACE_IMAGE: &str = "codercom/enterprise-node:ubuntu";

macro_rules! choice_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const CHOICES: &'static [&'static str] = &[$($text),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            fn parse(value: &str) -> Option<Self> {
                match value { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

choice_enum!(PackageManager { Pnpm => "pnpm", Npm => "npm", Yarn => "yarn", Bun => "bun" });
choice_enum!(Frontend { Vite => "vite", Nextjs => "nextjs", None => "none" });
choice_enum!(Storage { Local => "local", S3 => "s3" });
choice_enum!(Database { Sqlite => "sqlite", Postgres => "postgres", Mysql => "mysql" });
choice_enum!(Auth { None => "none", ConvexAuth => "convex-auth" });
choice_enum!(Platform { Docker => "docker", Kubernetes => "kubernetes" });
choice_enum!(DockerRuntime { Privileged => "privileged", Sysbox => "sysbox" });
choice_enum!(AppShare { Public => "public", Authenticated => "authenticated", Owner => "owner" });

impl Default for Database {
    /// SQLite on the backend's data volume: what every project had before the
    /// `database` key existed (so state files without it read as sqlite).
    fn default() -> Self {
        Database::Sqlite
    }
}

impl Default for Auth {
    /// No auth keys: what every project had before the `auth` key existed.
    fn default() -> Self {
        Auth::None
    }
}

impl Database {
    /// The bundled database service's image, pinned to an exact version
    /// tag of the official images (upstream tests Postgres 17 and MySQL 8).
    pub fn image(self) -> Option<&'static str> {
        match self {
            Database::Sqlite => None,
            Database::Postgres => Some(POSTGRES_IMAGE),
            Database::Mysql => Some(MYSQL_IMAGE),
        }
    }

    /// The backend's connection variable for this database, if any.
    pub fn url_var(self) -> Option<&'static str> {
        match self {
            Database::Sqlite => None,
            Database::Postgres => Some("POSTGRES_URL"),
            Database::Mysql => Some("MYSQL_URL"),
        }
    }
}

/// The SQL database name the backend uses for an `INSTANCE_NAME`: the name
/// with every '-' replaced by '_' (upstream `crates/clusters/src/lib.rs`).
pub fn sql_database_name(instance_name: &str) -> String {
    instance_name.replace('-', "_")
}

impl Frontend {
    /// The environment variable the frontend reads the Convex URL from.
    pub fn url_var(self) -> Option<&'static str> {
        match self {
            Frontend::Vite => Some("VITE_CONVEX_URL"),
            Frontend::Nextjs => Some("NEXT_PUBLIC_CONVEX_URL"),
            Frontend::None => None,
        }
    }

    pub fn dev_port(self) -> Option<u16> {
        match self {
            Frontend::Vite => Some(5173),
            Frontend::Nextjs => Some(3000),
            Frontend::None => None,
        }
    }
}

/// Validated answers: everything the renderer needs from the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    pub name: String,
    pub package_manager: PackageManager,
    pub frontend: Frontend,
    pub storage: Storage,
    pub database: Database,
    pub database_url: String,
    pub auth: Auth,
    pub platform: Platform,
    pub convex_version: Version,
    pub backend_image: String,
    pub dashboard_image: String,
    pub agent_name: String,
    pub wildcard_domain: String,
    pub docker_runtime: DockerRuntime,
    pub convex_app_share: AppShare,
    pub workspace_image: String,
    pub git_url: String,
    pub s3_endpoint_url: String,
    pub s3_region: String,
    pub s3_bucket_prefix: String,
    pub s3_force_path_style: bool,
    pub ide_modules: bool,
}

impl Answers {
    pub fn pins(&self) -> pins::Pins {
        pins::Pins {
            convex_version: self.convex_version.clone(),
            backend_image: self.backend_image.clone(),
            dashboard_image: self.dashboard_image.clone(),
        }
    }

    pub fn set_pins(&mut self, pins: &pins::Pins) {
        self.convex_version = pins.convex_version.clone();
        self.backend_image = pins.backend_image.clone();
        self.dashboard_image = pins.dashboard_image.clone();
    }

    /// Raw string form of every key (for state, prompts and re-validation).
    pub fn to_raw(&self) -> RawAnswers {
        let mut raw = RawAnswers::default();
        let value = serde_json::to_value(self).expect("answers serialise");
        for (key, v) in value.as_object().expect("answers are an object") {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            raw.values.insert(key.clone(), text);
        }
        raw
    }
}

/// Answers as given, before validation: key → text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawAnswers {
    pub values: BTreeMap<String, String>,
}

impl RawAnswers {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Later sources win.
    pub fn overlay(&mut self, other: &RawAnswers) {
        for (k, v) in &other.values {
            self.values.insert(k.clone(), v.clone());
        }
    }

    /// Parses `--set KEY=VALUE` arguments.
    pub fn from_set_args(args: &[String]) -> Result<Self> {
        let mut raw = RawAnswers::default();
        for arg in args {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(usage(format!(
                    "--set {arg:?} is not KEY=VALUE; for example --set storage=s3"
                )));
            };
            let key = renamed_key(key.trim(), "--set");
            check_known_key(key, "--set")?;
            raw.values.insert(key.to_owned(), value.to_owned());
        }
        Ok(raw)
    }

    /// Reads a TOML answers file: the same flat keys, strings (and a boolean
    /// for `s3_force_path_style`). Unknown keys and wrong types are refused
    /// with the file, line and key.
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("cannot read answers file {}: {e}", path.display())))?;
        Self::from_toml_str(&text)
            .map_err(|e| usage(format!("answers file {}: {e}", path.display())))
    }

    pub fn from_toml_str(text: &str) -> std::result::Result<Self, String> {
        let file: AnswersFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.app_share.is_some() && file.convex_app_share.is_some() {
            return Err(
                "both app_share and convex_app_share are set; keep convex_app_share only".into(),
            );
        }
        let value = serde_json::to_value(file).expect("answers file serialises");
        let mut raw = RawAnswers::default();
        for (key, v) in value.as_object().expect("object") {
            let key = &renamed_key(key, "answers file").to_owned();
            match v {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => {
                    raw.values.insert(key.clone(), s.clone());
                }
                other => {
                    raw.values.insert(key.clone(), other.to_string());
                }
            }
        }
        Ok(raw)
    }
}

/// The TOML answers file: every key optional, nothing else allowed.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersFile {
    pub name: Option<String>,
    pub package_manager: Option<String>,
    pub frontend: Option<String>,
    pub storage: Option<String>,
    pub database: Option<String>,
    pub database_url: Option<String>,
    pub auth: Option<String>,
    pub platform: Option<String>,
    pub convex_version: Option<String>,
    pub backend_image: Option<String>,
    pub dashboard_image: Option<String>,
    pub agent_name: Option<String>,
    pub wildcard_domain: Option<String>,
    pub docker_runtime: Option<String>,
    pub convex_app_share: Option<String>,
    /// The old name of `convex_app_share`, still read (with a note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_share: Option<String>,
    pub workspace_image: Option<String>,
    pub git_url: Option<String>,
    pub s3_endpoint_url: Option<String>,
    pub s3_region: Option<String>,
    pub s3_bucket_prefix: Option<String>,
    pub s3_force_path_style: Option<bool>,
    pub ide_modules: Option<bool>,
}

/// Answer keys that were renamed: old name → new name.
const RENAMED_KEYS: &[(&str, &str)] = &[("app_share", "convex_app_share")];

/// The current name of `key`, with a note when an old one was used.
fn renamed_key<'a>(key: &'a str, source: &str) -> &'a str {
    match RENAMED_KEYS.iter().find(|(old, _)| *old == key) {
        Some((old, new)) => {
            crate::output::note(&format!(
                "note: {source}: the answer key {old} is now called {new} (the Coder template variable's name); \
                 {old} still works for now"
            ));
            new
        }
        None => key,
    }
}

fn check_known_key(key: &str, source: &str) -> Result<()> {
    if KEYS.contains(&key) {
        Ok(())
    } else {
        Err(usage(format!(
            "{source}: unknown answer key {key:?}. Known keys: {}",
            KEYS.join(", ")
        )))
    }
}

/// The default for a key, given the answers so far (some defaults depend on
/// others, e.g. `s3_bucket_prefix` on `name`).
pub fn default_for(key: &str, dir_name: &str, so_far: &RawAnswers) -> String {
    let pins = pins::data().default_pins();
    match key {
        "name" => slugify_name(dir_name),
        "package_manager" => "pnpm".into(),
        "frontend" => "vite".into(),
        "storage" => "local".into(),
        "database" => "sqlite".into(),
        "auth" => "none".into(),
        "platform" => "docker".into(),
        "convex_version" => pins.convex_version.to_string(),
        "backend_image" => pins.backend_image,
        "dashboard_image" => pins.dashboard_image,
        "agent_name" => "main".into(),
        "wildcard_domain" => String::new(),
        "docker_runtime" => "privileged".into(),
        "convex_app_share" => "public".into(),
        "workspace_image" => DEFAULT_WORKSPACE_IMAGE.into(),
        "git_url" | "s3_endpoint_url" | "database_url" => String::new(),
        "s3_region" => "us-east-1".into(),
        "s3_bucket_prefix" => so_far
            .get("name")
            .map(str::to_owned)
            .unwrap_or_else(|| slugify_name(dir_name)),
        "s3_force_path_style" => {
            (!so_far.get("s3_endpoint_url").unwrap_or("").is_empty()).to_string()
        }
        "ide_modules" => "true".into(),
        _ => String::new(),
    }
}

/// Fills every missing key with its default, in key order.
pub fn with_defaults(given: &RawAnswers, dir_name: &str) -> RawAnswers {
    let mut raw = given.clone();
    for key in KEYS {
        if !raw.values.contains_key(*key) {
            let value = default_for(key, dir_name, &raw);
            raw.values.insert((*key).to_owned(), value);
        }
    }
    raw
}

/// Makes a valid project name from a folder name: lowercase, runs of other
/// characters become '-', at most 31 characters, starting with a letter.
pub fn slugify_name(dir_name: &str) -> String {
    let mut slug = String::new();
    for c in dir_name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_matches('-').to_owned();
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        slug = format!("convex-{slug}").trim_end_matches('-').to_owned();
    }
    slug.truncate(31);
    slug.trim_end_matches('-').to_owned()
}

/// One rejected answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: &'static str,
    pub value: String,
    pub rule: String,
    pub example: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {:?}: {}. For example: --set {}={}",
            self.key, self.value, self.rule, self.key, self.example
        )
    }
}

/// Validates complete raw answers (see [`with_defaults`]). Collects every
/// problem, so the user fixes them all in one go.
pub fn validate(raw: &RawAnswers) -> std::result::Result<Answers, Vec<Invalid>> {
    let mut errors = Vec::new();
    let get = |key: &str| raw.get(key).unwrap_or("").to_owned();
    macro_rules! check {
        ($key:literal, $parse:expr) => {{
            let value = get($key);
            match $parse(&value) {
                Ok(v) => Some(v),
                Err((rule, example)) => {
                    errors.push(Invalid {
                        key: $key,
                        value,
                        rule,
                        example,
                    });
                    None
                }
            }
        }};
    }
    let name = check!("name", validate_name);
    let package_manager = check!(
        "package_manager",
        choice::<PackageManager>(PackageManager::parse, PackageManager::CHOICES)
    );
    let frontend = check!(
        "frontend",
        choice::<Frontend>(Frontend::parse, Frontend::CHOICES)
    );
    let storage = check!(
        "storage",
        choice::<Storage>(Storage::parse, Storage::CHOICES)
    );
    let database = check!(
        "database",
        choice::<Database>(Database::parse, Database::CHOICES)
    );
    let database_url = check!("database_url", validate_database_url);
    if let (Some(db), Some(url)) = (database, &database_url) {
        if let Some(rule) = database_url_mismatch(db, url) {
            errors.push(Invalid {
                key: "database_url",
                value: url.clone(),
                rule,
                example: "postgresql://convex@db.example.com:5432".into(),
            });
        }
    }
    let auth = check!("auth", choice::<Auth>(Auth::parse, Auth::CHOICES));
    let platform = check!(
        "platform",
        choice::<Platform>(Platform::parse, Platform::CHOICES)
    );
    let convex_version = check!("convex_version", validate_version);
    let backend_image = check!("backend_image", |v: &str| validate_pinned_image(
        v,
        "convex-backend"
    ));
    let dashboard_image = check!("dashboard_image", |v: &str| validate_pinned_image(
        v,
        "convex-dashboard"
    ));
    let agent_name = check!("agent_name", validate_agent_name);
    let wildcard_domain = check!("wildcard_domain", validate_wildcard_domain);
    let docker_runtime = check!(
        "docker_runtime",
        choice::<DockerRuntime>(DockerRuntime::parse, DockerRuntime::CHOICES)
    );
    let convex_app_share = check!(
        "convex_app_share",
        choice::<AppShare>(AppShare::parse, AppShare::CHOICES)
    );
    let workspace_image = check!("workspace_image", validate_image_ref);
    let git_url = check!("git_url", validate_git_url);
    let s3_endpoint_url = check!("s3_endpoint_url", validate_endpoint);
    let s3_region = check!("s3_region", validate_region);
    let s3_bucket_prefix = check!("s3_bucket_prefix", validate_bucket_prefix);
    let s3_force_path_style = check!("s3_force_path_style", validate_bool);
    let ide_modules = check!("ide_modules", validate_bool);
    if let (Some(agent), Some(wildcard)) = (&agent_name, &wildcard_domain) {
        if let Some(room) = app_label_room(agent, wildcard) {
            if room < MIN_LABEL_ROOM {
                errors.push(Invalid {
                    key: "wildcard_domain",
                    value: wildcard.clone(),
                    rule: format!(
                        "with agent_name {agent:?} the Coder app host label <app>--{agent}--<workspace>--<owner>{} \
                         leaves {room} of DNS's 63 characters for the workspace and owner names, so no workspace \
                         could start; shorten the '*' suffix or the agent name",
                        wildcard_label_suffix(wildcard)
                    ),
                    example: "*.coder.example.com".into(),
                });
            }
        }
    }
    if auth == Some(Auth::ConvexAuth) {
        if let (Some(share), Some(wildcard)) = (convex_app_share, &wildcard_domain) {
            if share != AppShare::Public && !wildcard.is_empty() {
                errors.push(Invalid {
                    key: "convex_app_share",
                    value: share.as_str().into(),
                    rule: format!(
                        "with auth = convex-auth the backend fetches its own site URL (CONVEX_SITE_ORIGIN, the \
                         Coder app on {wildcard}) for provider discovery (/.well-known/openid-configuration) \
                         without a Coder session, and an {share} app answers that with a login redirect, so \
                         every sign-in fails; the site app must be public"
                    ),
                    example: "public".into(),
                });
            }
        }
    }
    // An endpoint only matters with S3 storage; with local storage it would
    // be dropped without a word, and the storage type locks at first start.
    if let (Some(Storage::Local), Some(endpoint)) = (storage, &s3_endpoint_url) {
        if !endpoint.is_empty() {
            errors.push(Invalid {
                key: "s3_endpoint_url",
                value: endpoint.clone(),
                rule: "is an S3 setting but storage = local, so it would be ignored (and the backend locks its \
                       storage type at its first start); to store files in S3 add --set storage=s3 next to it \
                       (on a project that has started: upgrade --set storage=s3 --reset-data), or leave \
                       s3_endpoint_url out"
                    .into(),
                example: endpoint.clone(),
            });
        }
    }
    // A password typed into database_url is refused above; never echo it.
    for e in errors.iter_mut().filter(|e| e.key == "database_url") {
        e.value = redact_url_password(&e.value);
    }
    // `s3_bucket_prefix` defaults to the name: when it is just the invalid
    // name again, the name's error says it all (and with local storage the
    // prefix is not even used).
    if name.is_none() && raw.get("s3_bucket_prefix") == raw.get("name") {
        errors.retain(|e| e.key != "s3_bucket_prefix");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Answers {
        name: name.unwrap(),
        package_manager: package_manager.unwrap(),
        frontend: frontend.unwrap(),
        storage: storage.unwrap(),
        database: database.unwrap(),
        database_url: database_url.unwrap(),
        auth: auth.unwrap(),
        platform: platform.unwrap(),
        convex_version: convex_version.unwrap(),
        backend_image: backend_image.unwrap(),
        dashboard_image: dashboard_image.unwrap(),
        agent_name: agent_name.unwrap(),
        wildcard_domain: wildcard_domain.unwrap(),
        docker_runtime: docker_runtime.unwrap(),
        convex_app_share: convex_app_share.unwrap(),
        workspace_image: workspace_image.unwrap(),
        git_url: git_url.unwrap(),
        s3_endpoint_url: s3_endpoint_url.unwrap(),
        s3_region: s3_region.unwrap(),
        s3_bucket_prefix: s3_bucket_prefix.unwrap(),
        s3_force_path_style: s3_force_path_style.unwrap(),
        ide_modules: ide_modules.unwrap(),
    })
}

/// Validates and turns every problem into one exit-2 error.
pub fn validate_or_usage(raw: &RawAnswers) -> Result<Answers> {
    validate(raw).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        usage(format!(
            "invalid answers; nothing was written:\n{}",
            lines.join("\n")
        ))
    })
}

type Check<T> = std::result::Result<T, (String, String)>;

fn fail<T>(rule: impl Into<String>, example: &str) -> Check<T> {
    Err((rule.into(), example.to_owned()))
}

fn choice<T>(
    parse: fn(&str) -> Option<T>,
    choices: &'static [&'static str],
) -> impl Fn(&str) -> Check<T> {
    move |value: &str| match parse(value) {
        Some(v) => Ok(v),
        None => fail(format!("must be one of {}", choices.join(", ")), choices[0]),
    }
}

fn has_control_or_space(value: &str) -> bool {
    value.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// A DNS-label-like name: the rules of every place a project name lands
/// (npm package name, compose project and volume, INSTANCE_NAME and so the
/// SQL database name and S3 prefix, Coder template name < 32 chars).
pub fn validate_name(value: &str) -> Check<String> {
    let example = "my-app";
    if value.is_empty() || value.len() > 31 {
        return fail(
            "must be 1 to 31 characters (Coder template names are shorter than 32)",
            example,
        );
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return fail("must start with a lowercase letter", example);
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return fail(
            "may hold only lowercase letters, digits and '-' (it becomes an npm package name, a Docker compose project and the backend's INSTANCE_NAME)",
            example,
        );
    }
    if value.ends_with('-') || value.contains("--") {
        return fail("must not end with '-' or contain '--'", example);
    }
    Ok(value.to_owned())
}

/// A Coder agent name that is also a Terraform identifier and a part of
/// `<slug>--<agent>--<workspace>--<owner>` host labels.
pub fn validate_agent_name(value: &str) -> Check<String> {
    let example = "main";
    if value.is_empty() || value.len() > 32 {
        return fail("must be 1 to 32 characters", example);
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase())
        || !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || value.ends_with('-')
        || value.contains("--")
    {
        return fail(
            "must be lowercase letters, digits and single '-', start with a letter and not end with '-' ('--' separates the parts of Coder app URLs)",
            example,
        );
    }
    Ok(value.to_owned())
}

fn validate_version(value: &str) -> Check<Version> {
    let example = "1.24.8";
    let version = match Version::parse(value) {
        Ok(v) => v,
        Err(e) => return fail(format!("must be an exact version X.Y.Z ({e})"), example),
    };
    if !version.pre.is_empty() || !version.build.is_empty() || version.to_string() != value {
        return fail(
            "must be a plain exact version X.Y.Z (no range, no ^ or ~, no pre-release)",
            example,
        );
    }
    if let Err(why) = pins::data().check_published(&version) {
        return fail(why, example);
    }
    Ok(version)
}

fn is_repo_component(part: &str) -> bool {
    !part.is_empty()
        && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && part
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

fn is_registry_host(part: &str) -> bool {
    let host = part.split_once(':').map_or(part, |(h, port)| {
        if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
            ""
        } else {
            h
        }
    });
    (host.contains('.') || host == "localhost")
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// A Docker image reference `[registry/]path[:tag][@sha256:digest]`.
pub fn parse_image_ref(value: &str) -> Option<(String, Option<String>, Option<String>)> {
    if value.is_empty() || value.len() > 255 || has_control_or_space(value) {
        return None;
    }
    let (rest, digest) = match value.split_once('@') {
        Some((r, d)) => {
            let hex = d.strip_prefix("sha256:")?;
            if hex.len() != 64
                || !hex
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            {
                return None;
            }
            (r, Some(d.to_owned()))
        }
        None => (value, None),
    };
    let (repo, tag) = match rest.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, Some(t.to_owned())),
        _ => (rest, None),
    };
    if let Some(t) = &tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return None;
        }
    }
    let parts: Vec<&str> = repo.split('/').collect();
    let path = if parts.len() > 1 && is_registry_host(parts[0]) {
        &parts[1..]
    } else {
        &parts[..]
    };
    if path.is_empty() || !path.iter().all(|p| is_repo_component(p)) {
        return None;
    }
    Some((repo.to_owned(), tag, digest))
}

fn validate_image_ref(value: &str) -> Check<String> {
    match parse_image_ref(value) {
        Some(_) => Ok(value.to_owned()),
        None => fail(
            "must be a Docker image reference [registry/]name[:tag][@sha256:...]",
            DEFAULT_WORKSPACE_IMAGE,
        ),
    }
}

/// The Convex images are pinned by commit SHA (or digest), never a moving tag.
fn validate_pinned_image(value: &str, kind: &str) -> Check<String> {
    let example = format!("ghcr.io/get-convex/{kind}:c1a7ac393888d743e704de56cf569a154b4526d4");
    let Some((_, tag, digest)) = parse_image_ref(value) else {
        return fail(
            "must be a Docker image reference pinned by commit SHA or digest",
            &example,
        );
    };
    let sha_tag = tag.as_deref().is_some_and(|t| {
        t.len() == 40
            && t.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    });
    if digest.is_none() && !sha_tag {
        return fail(
            "must be pinned by a 40-character commit SHA tag or an @sha256 digest, never a moving tag such as :latest (the CLI and backend must move together)",
            &example,
        );
    }
    Ok(value.to_owned())
}

fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_hostname(host: &str) -> bool {
    !host.is_empty() && host.len() <= 253 && host.split('.').all(is_dns_label)
}

/// The longest app slug of the template (`convex-dashboard`).
const LONGEST_APP_SLUG: usize = "convex-dashboard".len();
/// Workspace and owner names need at least one character each.
const MIN_LABEL_ROOM: usize = 2;

/// What the wildcard adds to the first DNS label (`-apps` of `*-apps.x.com`).
fn wildcard_label_suffix(wildcard: &str) -> &str {
    wildcard
        .strip_prefix('*')
        .unwrap_or("")
        .split('.')
        .next()
        .unwrap_or("")
}

/// Characters left for the workspace and owner names in the longest app host
/// label `<slug>--<agent>--<workspace>--<owner><suffix>` (63 at most), or
/// `None` without a wildcard domain.
pub fn app_label_room(agent: &str, wildcard: &str) -> Option<usize> {
    if wildcard.is_empty() {
        return None;
    }
    let used = LONGEST_APP_SLUG + 2 + agent.len() + 2 + 2 + wildcard_label_suffix(wildcard).len();
    Some(63usize.saturating_sub(used))
}

/// Advice about valid answers (printed, never fatal).
pub fn warnings(answers: &Answers) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(room) = app_label_room(&answers.agent_name, &answers.wildcard_domain) {
        if room < 24 {
            warnings.push(format!(
                "agent_name {:?} with wildcard_domain {:?} leaves only {room} characters for workspace plus owner \
                 names in Coder app host names (DNS allows 63 per label); workspaces with longer names will be refused \
                 by the template's precondition",
                answers.agent_name, answers.wildcard_domain
            ));
        }
    }
    warnings
}

/// Coder's wildcard app domain: `*.apps.example.com` or `*-suffix.example.com`
/// (exactly one `*`, at the start), or empty.
pub fn validate_wildcard_domain(value: &str) -> Check<String> {
    let example = "*.coder.example.com";
    if value.is_empty() {
        return Ok(String::new());
    }
    let Some(rest) = value.strip_prefix('*') else {
        return fail(
            "must start with '*' (the value of CODER_WILDCARD_ACCESS_URL), or be empty",
            example,
        );
    };
    let (label_suffix, domain) = match rest.split_once('.') {
        Some(parts) => parts,
        None => return fail("must have a domain after the '*' label", example),
    };
    let suffix_ok = label_suffix.is_empty()
        || (label_suffix.starts_with('-')
            && label_suffix.len() < 40
            && label_suffix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !label_suffix.ends_with('-'));
    if !suffix_ok || !is_hostname(domain) || !domain.contains('.') && domain != "localhost" {
        return fail(
            "must be '*.' or '*-suffix.' followed by a lowercase domain name (letters, digits, '-', '.'; no scheme, port or path)",
            example,
        );
    }
    Ok(value.to_owned())
}

/// An external database server for the backend: `scheme://user@host[:port]`
/// and nothing more. The password goes into `.env.docker`; the URL itself
/// is recorded in the committed convex-scaffold.toml.
pub fn validate_database_url(value: &str) -> Check<String> {
    let example = "postgresql://convex@db.example.com:5432";
    if value.is_empty() {
        return Ok(String::new());
    }
    let Some((scheme, rest)) = value.split_once("://") else {
        return fail(
            "must be postgresql://USER@HOST[:PORT] or mysql://USER@HOST[:PORT]",
            example,
        );
    };
    if !["postgres", "postgresql", "mysql"].contains(&scheme) {
        return fail(
            format!("has scheme {scheme:?}; it must be postgresql:// (or postgres://) or mysql://"),
            example,
        );
    }
    // Upstream (crates/clusters/src/lib.rs persistence_args_from_cluster_url,
    // 903b8b96) refuses a path only for Postgres ("cluster url already
    // contains db name"); it keeps query parameters for both and ignores a
    // MySQL path (it selects INSTANCE_NAME with '-' -> '_' itself). The
    // refusals beyond that are convex-scaffold's own: database-init and
    // doctor build the server URL from scheme://USER@HOST:PORT.
    if let Some(i) = rest.find(['/', '?', '#']) {
        let path = rest[i..].starts_with('/') && rest[i..].len() > 1;
        let why = if path && scheme != "mysql" {
            "must not carry a database name: the backend refuses one (\"cluster url already contains db name\") and \
             uses INSTANCE_NAME with '-' -> '_' as the database"
        } else if path {
            "must not carry a database name: the backend ignores it (it uses INSTANCE_NAME with '-' -> '_'), and \
             convex-scaffold's database-init check reads the URL as scheme://USER@HOST[:PORT]"
        } else {
            "must not carry query parameters or a fragment: the backend would keep them, but convex-scaffold's \
             database-init check and doctor read the URL as scheme://USER@HOST[:PORT] (not supported yet)"
        };
        return fail(why, example);
    }
    let Some((user, host_port)) = rest.split_once('@') else {
        return fail(
            "must name a user (USER@HOST); the backend refuses a URL without one",
            example,
        );
    };
    if user.contains(':') {
        return fail(
            "must not carry a password: the URL is recorded in the committed convex-scaffold.toml. Put the \
             password into the URL in the git-ignored .env.docker instead",
            example,
        );
    }
    let user_ok = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    if !user_ok || !host_ok || !port_ok {
        return fail(
            "must be scheme://USER@HOST[:PORT] with a plain user name, a host name or IPv4 address, and a port \
             number",
            example,
        );
    }
    Ok(value.to_owned())
}

/// `scheme://user:secret@host` -> `scheme://user:***@host`.
fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Why `database_url` does not fit `database`, if it does not.
fn database_url_mismatch(database: Database, url: &str) -> Option<String> {
    if url.is_empty() {
        return None;
    }
    let scheme = url.split("://").next().unwrap_or_default();
    match database {
        Database::Sqlite => Some(
            "is only used with database = postgres or mysql; set database too, or leave database_url empty".into(),
        ),
        Database::Postgres if scheme == "mysql" => {
            Some("is a mysql:// URL but database = postgres".into())
        }
        Database::Mysql if scheme != "mysql" => {
            Some(format!("is a {scheme}:// URL but database = mysql"))
        }
        _ => None,
    }
}

fn validate_git_url(value: &str) -> Check<String> {
    let example = "https://github.com/acme/app.git";
    if value.is_empty() {
        return Ok(String::new());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/@%+=,".contains(c);
    let scheme_ok = ["https://", "http://", "ssh://", "git@"]
        .iter()
        .any(|p| value.starts_with(p));
    if !scheme_ok || !value.chars().all(allowed) || value.len() > 512 {
        return fail(
            "must be an https://, ssh:// or git@host:path repository URL without spaces, quotes or shell characters",
            example,
        );
    }
    // Credentials would land in committed files (state, Terraform) and logs.
    if let Some(rest) = value.split_once("://").map(|(_, rest)| rest) {
        let authority = rest.split('/').next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if value.starts_with("http") || userinfo.contains(':') {
                return fail(
                    "must not carry credentials (user:token@); they would be written into committed files and logs. \
                     Use Coder external auth or an SSH key instead",
                    example,
                );
            }
        }
    }
    Ok(value.to_owned())
}

fn validate_endpoint(value: &str) -> Check<String> {
    let example = "https://minio.example.com:9000";
    if value.is_empty() {
        return Ok(String::new());
    }
    let Some(rest) = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
    else {
        return fail("must start with http:// or https://", example);
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    let host_ok = is_hostname(host) || host.parse::<std::net::Ipv4Addr>().is_ok();
    if !host_ok || !port_ok {
        return fail(
            "must be http(s)://host[:port] with a lowercase host name or IPv4 address and no path",
            example,
        );
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn validate_region(value: &str) -> Check<String> {
    if value.is_empty()
        || value.len() > 32
        || !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return fail(
            "must be an AWS region name (lowercase letters, digits, '-')",
            "us-east-1",
        );
    }
    Ok(value.to_owned())
}

/// S3 bucket names are 3-63 characters of lowercase letters, digits and '-',
/// starting and ending with a letter or digit; the longest suffix added is
/// `-snapshot-imports` (17 characters).
fn validate_bucket_prefix(value: &str) -> Check<String> {
    if value.len() > 46 || !is_dns_label(value) {
        return fail(
            "must be 1 to 46 lowercase letters, digits and '-' (not at the ends), so that <prefix>-snapshot-imports is a valid S3 bucket name",
            "my-app",
        );
    }
    Ok(value.to_owned())
}

fn validate_bool(value: &str) -> Check<bool> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => fail(
            "must be true or false (the backend reads only the literal `true`)",
            "true",
        ),
    }
}

/// Collects raw answers from --answers and --set (no defaults, no prompts).
pub fn given(args: &crate::cli::AnswerArgs) -> Result<RawAnswers> {
    let mut raw = match &args.answers {
        Some(path) => RawAnswers::from_toml_file(path)?,
        None => RawAnswers::default(),
    };
    raw.overlay(&RawAnswers::from_set_args(&args.set)?);
    Ok(raw)
}

/// Refuses pins that are known to break for what the project runs (`convex
/// dev --once`, on the workspace image's Node.js when convex-scaffold knows
/// it) unless the user accepted that; prints the rules' warnings.
pub fn check_pins(answers: &Answers, allow_known_bad: bool) -> Result<()> {
    check_pins_by(answers, allow_known_bad, pins::SET_CONVEX_VERSION)
}

/// [`check_pins`] for a user who pinned the CLI with `pin_flag` (e.g.
/// `--convex-version `): the fixes name that flag.
pub fn check_pins_by(answers: &Answers, allow_known_bad: bool, pin_flag: &str) -> Result<()> {
    let data = pins::data();
    let image = data.workspace_image(&answers.workspace_image);
    let what = format!("workspace_image {}", answers.workspace_image);
    let target = pins::Target {
        commands: pins::PROJECT_COMMANDS,
        node: image.map(|i| (i.node_major, what.as_str())),
    };
    let verdict = data.verdict(&answers.pins(), target);
    for warning in &verdict.warnings {
        eprintln!("warning: {warning}");
    }
    if image.is_none() {
        eprintln!(
            "warning: convex-scaffold does not know which Node.js workspace_image {} has; convex {} needs Node.js {} \
             or later (the Coder start script checks `node --version` before it installs or deploys)",
            answers.workspace_image,
            answers.convex_version,
            data.node_major(&answers.convex_version)
        );
    }
    let s3 = crate::backend_features::s3_verdict(answers);
    for warning in s3
        .warnings
        .iter()
        .chain(crate::backend_features::metrics_warning(answers).iter())
    {
        eprintln!("warning: {warning}");
    }
    let mut problems: Vec<String> = verdict
        .problems
        .iter()
        .map(|p| pins::with_pin_flag(p, pin_flag))
        .collect();
    problems.extend(s3.problems);
    if problems.is_empty() {
        return Ok(());
    }
    if allow_known_bad {
        for p in &problems {
            crate::output::note(&format!("warning (--allow-known-bad): {p}"));
        }
        return Ok(());
    }
    Err(usage(format!(
        "refusing pins that are known to break; nothing was written:\n  {}\n  (pass --allow-known-bad to use them anyway)",
        problems.join("\n  ")
    )))
    .context("pins")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let raw = with_defaults(&RawAnswers::default(), "demo");
        let answers = validate(&raw).unwrap();
        assert_eq!(answers.name, "demo");
        assert_eq!(answers.s3_bucket_prefix, "demo");
        assert!(!answers.s3_force_path_style);
    }

    #[test]
    fn slugify_makes_valid_names() {
        for dir in [
            "My App",
            "123",
            "__",
            "a--b",
            "Ünïcode-Ordner",
            &"x".repeat(80),
        ] {
            let slug = slugify_name(dir);
            assert!(validate_name(&slug).is_ok(), "{dir:?} -> {slug:?}");
        }
        assert_eq!(slugify_name("My App"), "my-app");
    }

    #[test]
    fn every_key_is_documented() {
        for key in KEYS {
            assert!(
                ANSWER_KEYS_HELP.contains(&format!("  {key} ")),
                "{key} missing from --help"
            );
        }
    }

    #[test]
    fn pinned_images_refuse_moving_tags() {
        assert!(validate_pinned_image(
            "ghcr.io/get-convex/convex-backend:latest",
            "convex-backend"
        )
        .is_err());
        assert!(
            validate_pinned_image("ghcr.io/get-convex/convex-backend", "convex-backend").is_err()
        );
        assert!(validate_pinned_image(
            "ghcr.io/get-convex/convex-backend:c1a7ac393888d743e704de56cf569a154b4526d4",
            "convex-backend"
        )
        .is_ok());
        assert!(validate_pinned_image(
            &format!(
                "registry.local:5000/convex-backend@sha256:{}",
                "a".repeat(64)
            ),
            "x"
        )
        .is_ok());
    }

    #[test]
    fn git_urls_never_carry_credentials() {
        for ok in [
            "",
            "https://github.com/a/b.git",
            "ssh://git@github.com/a/b.git",
            "git@github.com:a/b.git",
        ] {
            assert!(validate_git_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://bob:ghp_SECRET@github.com/a/b.git",
            "https://ghp_SECRET@github.com/a/b.git",
            "ssh://git:pw@github.com/a/b.git",
        ] {
            assert!(validate_git_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcard_domains() {
        for ok in [
            "",
            "*.coder.example.com",
            "*-apps.example.com",
            "*.localhost",
        ] {
            assert!(validate_wildcard_domain(ok).is_ok(), "{ok}");
        }
        for bad in [
            "coder.example.com",
            "*.*.x.com",
            "https://*.x.com",
            "*.x.com/",
            "*.X.com",
            "*",
            "*.x.com:8080",
            "*.x.com\"}",
        ] {
            assert!(validate_wildcard_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_file_rejects_unknown_keys_and_types() {
        let err = RawAnswers::from_toml_str("nmae = \"x\"\n").unwrap_err();
        assert!(err.contains("nmae"), "{err}");
        assert!(err.contains("line 1"), "{err}");
        let err = RawAnswers::from_toml_str("s3_force_path_style = \"yes\"\n").unwrap_err();
        assert!(err.contains("s3_force_path_style"), "{err}");
        let raw =
            RawAnswers::from_toml_str("storage = \"s3\"\ns3_force_path_style = true\n").unwrap();
        assert_eq!(raw.get("s3_force_path_style"), Some("true"));
    }

    #[test]
    fn database_url_refusals_name_the_right_reason() {
        let pg = validate_database_url("postgresql://convex@db:5432/convex")
            .unwrap_err()
            .0;
        assert!(pg.contains("cluster url already contains db name"), "{pg}");
        let my = validate_database_url("mysql://convex@db:3306/convex")
            .unwrap_err()
            .0;
        assert!(!my.contains("refuses"), "{my}");
        assert!(my.contains("ignores it"), "{my}");
        for url in [
            "postgresql://convex@db:5432?sslmode=require",
            "mysql://convex@db:3306?require_ssl=true",
        ] {
            let q = validate_database_url(url).unwrap_err().0;
            assert!(q.contains("the backend would keep them"), "{q}");
            assert!(!q.contains("refuses"), "{q}");
        }
    }
}
