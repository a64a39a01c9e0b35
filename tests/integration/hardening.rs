//! Hostile input, end to end at the answers level: every string the
//! validator of a key accepts renders to files whose real parsers read the
//! same value back; every string it refuses is refused naming the key (and,
//! through the binary, with exit 2 and no folder). Also: Ctrl-C or SIGTERM
//! during a write leaves no temp file and no partial tree.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use convex_scaffold::answers::{self, Answers, RawAnswers};
use convex_scaffold::project;
use convex_scaffold::tree::{Tree, TEMP_PREFIX};

use crate::support::*;

const SECRET: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Keys whose values only reach a file with `storage = s3`.
const S3_KEYS: &[&str] = &["s3_endpoint_url", "s3_region", "s3_bucket_prefix"];

const BUCKET_SUFFIXES: &[(&str, &str)] = &[
    ("S3_STORAGE_EXPORTS_BUCKET", "-exports"),
    ("S3_STORAGE_SNAPSHOT_IMPORTS_BUCKET", "-snapshot-imports"),
    ("S3_STORAGE_MODULES_BUCKET", "-modules"),
    ("S3_STORAGE_FILES_BUCKET", "-files"),
    ("S3_STORAGE_SEARCH_BUCKET", "-search"),
];

/// The dotenv files that carry the answers (the real one, the committed
/// example, and the example's copy bundled into the Coder template).
const DOTENV_FILES: &[&str] = &[
    ".env.docker",
    ".env.docker.example",
    "coder/project/env.docker.example",
];
const COMPOSE_FILES: &[&str] = &["docker-compose.yml", "coder/project/docker-compose.yml"];

// ---------------------------------------------------------------------------
// Strategies

/// Pieces that break quoting, interpolation or line structure somewhere.
fn fragment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\"", "'", "\\", "${", "%{", "$(", "`", "\n", "\r", "\0", "#", " ", "\t", "$$", "}", "{",
        ":", "/", "@", "=", ";", "|", "&", "*", "-", ".", "..", "A", "é", "😀", "\u{202e}",
        "\u{a0}", "\u{7f}", "\u{2028}", "%", "+", "~", ",", "?", "[", "]", "<", ">", "!",
    ])
    .prop_map(str::to_owned)
}

/// Inserts each fragment at a char boundary of `base`.
fn splice(base: &str, inserts: &[(Index, String)]) -> String {
    let mut out = base.to_owned();
    for (at, piece) in inserts {
        let bounds: Vec<usize> = out
            .char_indices()
            .map(|(i, _)| i)
            .chain([out.len()])
            .collect();
        out.insert_str(bounds[at.index(bounds.len())], piece);
    }
    out
}

/// Values for one key: valid-shaped, valid-shaped with nasty pieces spliced
/// in, nasty soup, arbitrary unicode, and ~10 kB values.
fn values(valid: &'static str) -> BoxedStrategy<String> {
    let valid = || proptest::string::string_regex(valid).expect("valid regex");
    prop_oneof![
        3 => valid(),
        3 => (valid(), prop::collection::vec((any::<Index>(), fragment()), 1..4))
            .prop_map(|(v, ins)| splice(&v, &ins)),
        2 => prop::collection::vec(prop_oneof![fragment(), "[a-z0-9.:/-]{0,4}"], 0..16)
            .prop_map(|parts| parts.concat()),
        1 => any::<String>(),
        1 => (valid(), 0..2u8).prop_map(|(v, how)| match how {
            0 => format!("{v}{}", "a".repeat(10_000)),
            _ => v.repeat(10_000 / v.len().max(1) + 1),
        }),
    ]
    .boxed()
}

/// A regex for values of each key that reach a file, shaped like valid ones.
fn valid_shape(key: &str) -> &'static str {
    match key {
        "name" | "s3_bucket_prefix" => "[a-z][a-z0-9-]{0,35}[a-z0-9]?",
        "agent_name" => "[a-z][a-z0-9-]{0,33}",
        "wildcard_domain" => {
            r"(\*(-[a-z0-9]{1,6})?\.([a-z0-9-]{1,8}\.){0,2}[a-z]{2,6}|\*\.localhost)?"
        }
        "workspace_image" => {
            r"(([a-z0-9-]{1,8}\.[a-z]{2,4}|localhost)(:[0-9]{1,5})?/)?[a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?(/[a-z0-9]{1,8}){0,2}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,10})?(@sha256:[0-9a-f]{64})?"
        }
        "git_url" => r"((https|http|ssh)://|git@)[A-Za-z0-9._~:/@%+=,-]{0,60}",
        "s3_endpoint_url" => {
            r"(https?://(([a-z0-9-]{1,10}\.){0,2}[a-z0-9]{1,10}|[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})(:[0-9]{1,5})?/?)?"
        }
        "s3_region" => "[a-z]{2}-[a-z]{2,10}-[0-9]{1,2}",
        "backend_image" => {
            r"(ghcr\.io/get-convex/|registry\.local:5000/)?convex-backend(:[0-9a-f]{40})?(@sha256:[0-9a-f]{64})?"
        }
        "dashboard_image" => {
            r"(ghcr\.io/get-convex/|registry\.local:5000/)?convex-dashboard(:[0-9a-f]{40})?(@sha256:[0-9a-f]{64})?"
        }
        "convex_version" => r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
        other => panic!("no shape for {other}"),
    }
}

// ---------------------------------------------------------------------------
// Parsing the rendered files

/// The string an HCL expression stands for (a literal `${`/`%{` is written
/// `$${`/`%%{` and hcl-rs keeps it as a template of literals).
fn hcl_string(expr: &hcl::Expression) -> String {
    match expr {
        hcl::Expression::String(s) => s.clone(),
        hcl::Expression::TemplateExpr(t) => {
            let template = hcl::Template::from_expr(t).expect("template parses");
            template
                .elements()
                .iter()
                .map(|e| match e {
                    hcl::template::Element::Literal(l) => l.clone(),
                    other => panic!("interpolation leaked into a value: {other:?}"),
                })
                .collect::<String>()
                .replace("$${", "${")
                .replace("%%{", "%{")
        }
        other => panic!("not a string: {other:?}"),
    }
}

fn hcl_block<'a>(body: &'a hcl::Body, ident: &str, label: Option<&str>) -> &'a hcl::Body {
    body.blocks()
        .find(|b| {
            b.identifier() == ident
                && label.is_none_or(|l| b.labels().iter().any(|x| x.as_str() == l))
        })
        .unwrap_or_else(|| panic!("no block {ident} {label:?}"))
        .body()
}

fn hcl_attr(body: &hcl::Body, key: &str) -> String {
    hcl_string(
        body.attributes()
            .find(|a| a.key() == key)
            .unwrap_or_else(|| panic!("no attribute {key}"))
            .expr(),
    )
}

/// The rendered files, each parsed by its format's parser on first use
/// (only the files a key lands in are parsed: the others are the same as
/// with the defaults, which tests/integration/outputs.rs parses).
struct Parsed<'t> {
    tree: &'t Tree,
    tf: Option<hcl::Body>,
    module_tf: Option<hcl::Body>,
}

impl<'t> Parsed<'t> {
    fn new(tree: &'t Tree) -> Self {
        Parsed {
            tree,
            tf: None,
            module_tf: None,
        }
    }

    fn text(&self, path: &str) -> &'t str {
        self.tree
            .text(path)
            .unwrap_or_else(|| panic!("{path} missing"))
    }

    fn tf(&mut self) -> &hcl::Body {
        let text = self.text("coder/convex.tf");
        self.tf
            .get_or_insert_with(|| hcl::parse(text).expect("convex.tf parses"))
    }

    /// The Convex module's main.tf (pins, URLs, apps).
    fn module_tf(&mut self) -> &hcl::Body {
        let text = self.text("coder/modules/convex/main.tf");
        self.module_tf
            .get_or_insert_with(|| hcl::parse(text).expect("the module's main.tf parses"))
    }

    fn compose(&self) -> Vec<(&'static str, Value)> {
        COMPOSE_FILES
            .iter()
            .map(|p| (*p, parse_yaml(self.text(p))))
            .collect()
    }

    fn dotenv(&self) -> Vec<(&'static str, BTreeMap<String, String>)> {
        DOTENV_FILES
            .iter()
            .map(|p| (*p, parse_dotenv(self.text(p))))
            .collect()
    }

    fn json(&self, path: &str) -> Value {
        serde_json::from_str(self.text(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The value in a README line `--var KEY='VALUE'` (a single-quoted shell
    /// word: literal up to the next quote), for every such line.
    fn readme_var(&self, key: &str) -> Vec<String> {
        let marker = format!("--var {key}='");
        self.text("coder/README.md")
            .lines()
            .filter_map(|line| line.split_once(&marker))
            .map(|(_, rest)| {
                let (word, after) = rest.split_once('\'').expect("closing quote");
                assert_eq!(after.trim(), "\\", "{key}: line goes on after the word");
                word.to_owned()
            })
            .collect()
    }
}

/// The value of `key` as each parser reads it back from wherever it lands,
/// with the place it was read from.
fn read_back(key: &str, answers: &Answers, p: &mut Parsed<'_>) -> Vec<(String, String)> {
    let mut got: Vec<(String, String)> = Vec::new();
    let mut put = |place: &str, value: String| got.push((place.to_owned(), value));
    match key {
        "name" => {
            put(
                "convex.tf local.project_name",
                hcl_attr(hcl_block(p.tf(), "locals", None), "project_name"),
            );
            for (file, doc) in p.compose() {
                let name = doc["name"].as_str().expect("compose name");
                put(&format!("{file} name"), compose_unescape(name));
            }
            for (file, env) in p.dotenv() {
                put(
                    &format!("{file} INSTANCE_NAME"),
                    env["INSTANCE_NAME"].clone(),
                );
            }
            let pkg = p.json("package.json");
            put("package.json name", pkg["name"].as_str().unwrap().into());
            let dc = p.json(".devcontainer/devcontainer.json");
            let dc = dc["name"].as_str().unwrap();
            put(
                "devcontainer.json name",
                dc.strip_suffix(" (self-hosted Convex)").unwrap().into(),
            );
            let readme = p.text("coder/README.md");
            let front = readme
                .strip_prefix("---\n")
                .and_then(|r| r.split_once("\n---\n"))
                .expect("README front matter")
                .0;
            let front = parse_yaml(front);
            let dn = front["display_name"].as_str().unwrap();
            put(
                "README.md display_name",
                dn.strip_suffix(" + Convex").unwrap().into(),
            );
            // `coder templates push NAME -d .`: a bare shell word.
            for line in readme.lines() {
                if let Some(rest) = line.trim().strip_prefix("coder templates push ") {
                    let word = rest.split(' ').next().unwrap();
                    let bare = convex_scaffold::escape::shell_word(word).unwrap() == word;
                    put(
                        "README.md push command (bare shell word)",
                        if bare {
                            word.to_owned()
                        } else {
                            format!("needs quoting: {word}")
                        },
                    );
                }
            }
        }
        "agent_name" => {
            let tf = p.tf();
            put(
                "convex.tf local.agent_name",
                hcl_attr(hcl_block(tf, "locals", None), "agent_name"),
            );
            let agents: Vec<&str> = tf
                .blocks()
                .filter(|b| {
                    b.identifier() == "resource"
                        && b.labels().first().map(|l| l.as_str()) == Some("coder_agent")
                })
                .map(|b| b.labels()[1].as_str())
                .collect();
            assert_eq!(agents.len(), 1, "one coder_agent resource");
            put("convex.tf coder_agent label", agents[0].into());
        }
        "wildcard_domain" | "workspace_image" => {
            let default = hcl_attr(hcl_block(p.tf(), "variable", Some(key)), "default");
            put(&format!("convex.tf variable {key}"), default);
            let words = p.readme_var(key);
            assert!(!words.is_empty(), "{key}: no push command in README.md");
            for word in words {
                put(&format!("README.md --var {key}"), word);
            }
            if key == "wildcard_domain" && !answers.wildcard_domain.is_empty() {
                // What the CLI accepts, the template's own validation accepts.
                let text = p.text("coder/modules/convex/main.tf");
                let (_, rest) = text
                    .split_once("variable \"wildcard_domain\"")
                    .expect("variable wildcard_domain");
                let (_, rest) = rest.split_once("can(regex(").expect("validation");
                let (literal, _) = rest
                    .split_once(", var.wildcard_domain)")
                    .expect("validation regex");
                let body = hcl::parse(&format!("x = {literal}\n")).expect("regex literal");
                let pattern = hcl_attr(&body, "x");
                let re = regex::Regex::new(&pattern).expect("template regex");
                put(
                    "modules/convex/main.tf validation regex",
                    if re.is_match(&answers.wildcard_domain) {
                        answers.wildcard_domain.clone()
                    } else {
                        format!("rejected by {pattern}")
                    },
                );
            }
        }
        "git_url" => put(
            "convex.tf coder_parameter git_url",
            hcl_attr(hcl_block(p.tf(), "data", Some("git_url")), "default"),
        ),
        "s3_endpoint_url" | "s3_region" => {
            let var = if key == "s3_region" {
                "AWS_REGION"
            } else {
                "S3_ENDPOINT_URL"
            };
            for (file, env) in p.dotenv() {
                put(&format!("{file} {var}"), env[var].clone());
            }
        }
        "s3_bucket_prefix" => {
            for (file, env) in p.dotenv() {
                for (var, suffix) in BUCKET_SUFFIXES {
                    let bucket = &env[*var];
                    let prefix = bucket
                        .strip_suffix(suffix)
                        .unwrap_or_else(|| panic!("{file} {var}={bucket:?} lacks {suffix}"));
                    put(&format!("{file} {var}"), prefix.into());
                }
            }
        }
        "backend_image" | "dashboard_image" => {
            put(
                &format!("modules/convex/main.tf local.{key}"),
                hcl_attr(hcl_block(p.module_tf(), "locals", None), key),
            );
            let service = key.strip_suffix("_image").unwrap();
            for (file, doc) in p.compose() {
                let image = doc["services"][service]["image"].as_str().expect("image");
                put(&format!("{file} {service}.image"), compose_unescape(image));
            }
        }
        "convex_version" => {
            put(
                "modules/convex/main.tf local.convex_version",
                hcl_attr(hcl_block(p.module_tf(), "locals", None), "convex_version"),
            );
            let pkg = p.json("package.json");
            let pm_override = match answers.package_manager.as_str() {
                "npm" | "bun" => &pkg["overrides"]["convex"],
                "yarn" => &pkg["resolutions"]["convex"],
                _ => &pkg["pnpm"]["overrides"]["convex"],
            };
            put(
                "package.json override",
                pm_override.as_str().unwrap().into(),
            );
            put(
                "package.json dependencies",
                pkg["dependencies"]["convex"].as_str().unwrap().into(),
            );
        }
        other => panic!("no reader for {other}"),
    }
    got
}

// ---------------------------------------------------------------------------
// The property

/// Defaults everywhere except `key` (and storage=s3 for the S3 keys).
fn raw_with(key: &str, value: &str) -> RawAnswers {
    let mut given = RawAnswers::default();
    if S3_KEYS.contains(&key) {
        given.values.insert("storage".into(), "s3".into());
    }
    given.values.insert(key.into(), value.into());
    answers::with_defaults(&given, "demo")
}

/// Keys that may be refused besides `key` itself, because their default
/// derives from it.
fn derived_keys(key: &str) -> &'static [&'static str] {
    match key {
        "name" => &["s3_bucket_prefix"],
        _ => &[],
    }
}

fn field(answers: &Answers, key: &str) -> String {
    answers.to_raw().get(key).expect("every key").to_owned()
}

/// Accepted → renders, every file parses, the value reads back identically
/// wherever it lands. Refused → the error names the key.
fn check_value(key: &str, value: &str) -> Result<(), TestCaseError> {
    // The answers file carries any string to the same validator intact.
    let file = toml::to_string(&BTreeMap::from([(key, value)])).expect("TOML");
    let from_file = RawAnswers::from_toml_str(&file).expect("answers file parses");
    prop_assert_eq!(from_file.get(key), Some(value));

    let raw = raw_with(key, value);
    match answers::validate(&raw) {
        Ok(answers) => {
            let stored = field(&answers, key);
            // The only normalisation: a trailing '/' on the S3 endpoint.
            prop_assert!(
                stored == value || (key == "s3_endpoint_url" && format!("{stored}/") == value),
                "{key}: {value:?} accepted as {stored:?}"
            );
            let tree = project::render(&answers, Some(SECRET)).expect("renders");
            for (place, got) in read_back(key, &answers, &mut Parsed::new(&tree)) {
                prop_assert_eq!(&got, &stored, "{} read back from {}", key, place);
            }
        }
        Err(errors) => {
            prop_assert!(
                errors.iter().any(|e| e.key == key),
                "{key}: {value:?} refused for other keys: {errors:?}"
            );
            for e in &errors {
                prop_assert!(
                    e.key == key || derived_keys(key).contains(&e.key),
                    "{key}: {value:?} also refused {}",
                    e.key
                );
            }
            let message = format!("{:#}", answers::validate_or_usage(&raw).unwrap_err());
            prop_assert!(message.contains(&format!("{key} = ")), "{message}");
        }
    }
    Ok(())
}

/// The proptest config of the library-level properties. PROPTEST_CASES
/// overrides the count (e.g. 100000 for a long local run).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2000),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

macro_rules! key_properties {
    ($($test:ident => $key:literal),+ $(,)?) => {$(
        proptest! {
            #![proptest_config(config())]
            #[test]
            fn $test(value in values(valid_shape($key))) {
                check_value($key, &value)?;
            }
        }
    )+};
}

key_properties! {
    name_reads_back_or_is_refused => "name",
    agent_name_reads_back_or_is_refused => "agent_name",
    wildcard_domain_reads_back_or_is_refused => "wildcard_domain",
    workspace_image_reads_back_or_is_refused => "workspace_image",
    git_url_reads_back_or_is_refused => "git_url",
    s3_endpoint_url_reads_back_or_is_refused => "s3_endpoint_url",
    s3_region_reads_back_or_is_refused => "s3_region",
    s3_bucket_prefix_reads_back_or_is_refused => "s3_bucket_prefix",
    backend_image_reads_back_or_is_refused => "backend_image",
    dashboard_image_reads_back_or_is_refused => "dashboard_image",
    convex_version_reads_back_or_is_refused => "convex_version",
}

// ---------------------------------------------------------------------------
// Compose: only characters docker compose's YAML reader takes literally

/// What libyaml's reader (and go-yaml's, its port, which docker compose
/// uses) accepts in a stream, minus what it reads as a line break (NEL, LS,
/// PS) and the BOM.
fn yaml_reads_raw(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

proptest! {
    #![proptest_config(config())]

    /// Regression: `compose_string` once left DEL, C1 controls (NEL among
    /// them), LS/PS and U+FFFE/U+FFFF raw, as JSON does.
    #[test]
    fn compose_strings_hold_only_characters_yaml_reads_raw(
        chars in prop::collection::vec(
            prop_oneof![
                any::<char>(),
                prop::sample::select(vec![
                    '\u{7f}', '\u{85}', '\u{9f}', '\u{a0}', '\u{2028}', '\u{2029}', '\u{feff}',
                    '\u{fffe}', '\u{ffff}', '$', '"', '\\', '\n', '\t',
                ]),
            ],
            0..32,
        )
    ) {
        let value: String = chars.into_iter().filter(|&c| c != '\0').collect();
        let scalar = convex_scaffold::escape::compose_string(&value).expect("no NUL");
        let raw: Vec<char> = scalar.chars().filter(|&c| !yaml_reads_raw(c)).collect();
        prop_assert!(raw.is_empty(), "{scalar:?} holds {raw:?} raw");
        let doc = parse_yaml(&format!("x: {scalar}\n"));
        prop_assert_eq!(compose_unescape(doc["x"].as_str().expect("a string")), value);
    }
}

// ---------------------------------------------------------------------------
// The shell reads the same values (spawns bash: fewer cases)

/// `candidate` when the validator accepts it for `key`, else the default.
fn accepted_or_default(key: &str, candidate: &str) -> String {
    let raw = raw_with(key, candidate);
    match answers::validate(&raw) {
        Ok(a) => field(&a, key),
        Err(_) => answers::default_for(key, "demo", &RawAnswers::default()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The generated scripts source convex-config.sh and read .env.docker
    /// with their own `dotenv_get`: both give back the rendered values.
    #[test]
    fn shell_scripts_read_back_the_values(
        pm in prop::sample::select(answers::PackageManager::CHOICES),
        frontend in prop::sample::select(answers::Frontend::CHOICES),
        version in values(valid_shape("convex_version")),
        name in values(valid_shape("name")),
        region in values(valid_shape("s3_region")),
        endpoint in values(valid_shape("s3_endpoint_url")),
        prefix in values(valid_shape("s3_bucket_prefix")),
    ) {
        let mut given = RawAnswers::default();
        for (key, value) in [
            ("storage", "s3".to_owned()),
            ("package_manager", pm.to_owned()),
            ("frontend", frontend.to_owned()),
            ("convex_version", accepted_or_default("convex_version", &version)),
            ("name", accepted_or_default("name", &name)),
            ("s3_region", accepted_or_default("s3_region", &region)),
            ("s3_endpoint_url", accepted_or_default("s3_endpoint_url", &endpoint)),
            ("s3_bucket_prefix", accepted_or_default("s3_bucket_prefix", &prefix)),
        ] {
            given.values.insert(key.into(), value);
        }
        let answers = answers::validate(&answers::with_defaults(&given, "demo")).expect("valid");
        let tree = project::render(&answers, Some(SECRET)).expect("renders");
        let dir = tempfile::tempdir().unwrap();
        for file in ["scripts/convex-common.sh", "scripts/convex-config.sh", ".env.docker"] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &tree.get(file).unwrap().contents).unwrap();
        }
        let mut script = String::from(
            "set -euo pipefail\nsource scripts/convex-common.sh\n\
             printf '%s\\0' \"$CONVEX_PM\" \"$CONVEX_VERSION\" \"$CONVEX_STORAGE\" \"$CONVEX_FRONTEND_URL_VAR\"\n",
        );
        let mut expected = vec![
            answers.package_manager.as_str().to_owned(),
            answers.convex_version.to_string(),
            "s3".to_owned(),
            answers.frontend.url_var().unwrap_or("").to_owned(),
        ];
        let mut dotenv = vec![
            ("INSTANCE_NAME", answers.name.clone()),
            ("AWS_REGION", answers.s3_region.clone()),
            ("S3_ENDPOINT_URL", answers.s3_endpoint_url.clone()),
        ];
        for (var, suffix) in BUCKET_SUFFIXES {
            dotenv.push((var, format!("{}{suffix}", answers.s3_bucket_prefix)));
        }
        for (var, value) in dotenv {
            script.push_str(&format!("printf '%s\\0' \"$(dotenv_get \"$ENV_DOCKER\" {var})\"\n"));
            expected.push(value);
        }
        let out = StdCommand::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .output()
            .expect("bash runs");
        prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_owned)
            .collect();
        prop_assert_eq!(got, expected);
    }
}

// ---------------------------------------------------------------------------
// Refused values through the binary (spawns it: few cases)

const FILE_KEYS: &[&str] = &[
    "name",
    "agent_name",
    "wildcard_domain",
    "workspace_image",
    "git_url",
    "s3_endpoint_url",
    "s3_region",
    "s3_bucket_prefix",
    "backend_image",
    "dashboard_image",
    "convex_version",
];

fn refused() -> impl Strategy<Value = (&'static str, String)> {
    prop::sample::select(FILE_KEYS)
        .prop_flat_map(|key| (Just(key), values(valid_shape(key))))
        .prop_filter("refused by the validator", |(key, value)| {
            answers::validate(&raw_with(key, value)).is_err()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Through `--set` (argv cannot hold NUL) or an answers file (TOML can,
    /// escaped): exit 2, the key named, no folder created.
    #[test]
    fn refused_values_exit_2_and_create_nothing((key, value) in refused(), via_file in any::<bool>()) {
        let sb = Sandbox::new();
        let dir = sb.path("p");
        let mut cmd = bin();
        cmd.arg("new").arg(&dir).arg("--yes");
        if S3_KEYS.contains(&key) {
            cmd.args(["--set", "storage=s3"]);
        }
        if via_file || value.contains('\0') {
            let answers = sb.path("answers.toml");
            let text = toml::to_string(&BTreeMap::from([(key, &value)])).unwrap();
            std::fs::write(&answers, text).unwrap();
            cmd.arg("--answers").arg(&answers);
        } else {
            cmd.arg("--set").arg(format!("{key}={value}"));
        }
        let out = cmd.output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        prop_assert_eq!(out.status.code(), Some(2), "{}", stderr);
        prop_assert!(stderr.contains(&format!("{key} = ")), "{}", stderr);
        prop_assert!(!dir.exists(), "{key}={value:?} created {}", dir.display());
    }
}

// ---------------------------------------------------------------------------
// Ctrl-C / SIGTERM during a write

/// Every `.convex-scaffold-tmp-*` file under `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(TEMP_PREFIX))
        .map(|e| e.path().display().to_string())
        .collect()
}

/// Runs `new DIR --yes ARGS` with a pause after each staged file, sends
/// `signal` once the first temp file exists, and returns (exit code, stderr).
fn interrupt_new(dir: &Path, args: &[&str], signal: &str) -> (Option<i32>, String) {
    let mut child = StdCommand::new(env!("CARGO_BIN_EXE_convex-scaffold"))
        .arg("new")
        .arg(dir)
        .arg("--yes")
        .args(args)
        .env_remove("CONVEX_SCAFFOLD_TEST_FAIL_WRITE")
        .env("CONVEX_SCAFFOLD_TEST_SLOW_WRITE_MS", "30")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let deadline = Instant::now() + Duration::from_secs(30);
    while temp_files(dir).is_empty() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before a temp file was seen"
        );
        assert!(Instant::now() < deadline, "no temp file appeared");
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = StdCommand::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_new_leaves_no_folder_and_exits_130() {
    let sb = Sandbox::new();
    let dir = sb.path("p");
    let (code, stderr) = interrupt_new(&dir, &[], "INT");
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(temp_files(sb.tmp.path()).is_empty());
    assert!(
        !dir.exists(),
        "partial tree: {:?}",
        read_tree(&dir).keys().collect::<Vec<_>>()
    );
}

#[cfg(unix)]
#[test]
fn sigterm_during_new_force_keeps_the_old_tree() {
    let sb = Sandbox::new();
    let dir = sb.new_project("q", &[]);
    let before = read_tree(&dir);
    let (code, stderr) = interrupt_new(
        &dir,
        &[
            "--force",
            "--set",
            "frontend=nextjs",
            "--set",
            "package_manager=npm",
        ],
        "TERM",
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(temp_files(&dir).is_empty());
    assert_eq!(read_tree(&dir), before, "the old tree changed");
}
