//! Asking for answers on a terminal (dialoguer). Only when standard input is
//! a terminal and `--yes` was not given; otherwise the caller gets an exit-2
//! error listing what would have been asked.

use std::io::{IsTerminal, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use anyhow::Result;
use dialoguer::{theme::ColorfulTheme, Input, Select};

use crate::answers::{self, RawAnswers, PROMPTED};
use crate::error::{usage, InterruptReported};

/// Set while a prompt owns the terminal: the Ctrl-C handler then restores
/// the terminal before it exits (see [`report_interrupt`]).
pub static PROMPTING: AtomicBool = AtomicBool::new(false);

/// The message of an interrupted prompt (exit 130).
pub const INTERRUPTED_MESSAGE: &str = "interrupted; nothing was written";

/// Whether the interrupt was already reported on the terminal: the Ctrl-C
/// handler's thread and the prompting thread can both see one Ctrl-C (a
/// signal between two key reads, and the read it interrupts), and the
/// lock also keeps `exit` from cutting the other thread's line short.
static INTERRUPT_REPORTED: Mutex<bool> = Mutex::new(false);

/// When a prompt was showing: shows the cursor again, ends the prompt's
/// line and prints one message line, once per process. Returns whether a
/// prompt was showing.
pub fn report_interrupt() -> bool {
    if !PROMPTING.load(Ordering::SeqCst) {
        return false;
    }
    let mut reported = INTERRUPT_REPORTED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !*reported {
        *reported = true;
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\x1b[?25h\nerror: {INTERRUPTED_MESSAGE}\n");
        let _ = stderr.flush();
    }
    true
}

/// What each prompted key means, in a few words.
fn description(key: &str) -> &'static str {
    match key {
        "name" => "project name: npm package, compose project, Coder template",
        "package_manager" => "package manager of the project",
        "frontend" => "frontend whose Convex URL variable is set",
        "storage" => "where the backend keeps files",
        "database" => "the backend's database (postgres/mysql add a database service)",
        "auth" => "Convex Auth: JWT keys and SITE_URL set on the deployment",
        "platform" => "where Coder runs workspaces",
        "wildcard_domain" => "Coder's wildcard app domain, e.g. *.coder.example.com",
        "agent_name" => "Coder agent name",
        "s3_endpoint_url" => "S3-compatible endpoint, e.g. https://minio.example.com",
        "s3_region" => "S3 region (AWS_REGION)",
        "s3_bucket_prefix" => "prefix of the five S3 bucket names",
        "s3_force_path_style" => "path-style S3 URLs (MinIO-style endpoints need true)",
        _ => "",
    }
}

/// The text of a prompt: key, description and, when empty, what the empty
/// default means (dialoguer shows non-empty defaults itself).
fn label(key: &str, default: &str, list: bool) -> String {
    let what = description(key);
    if list {
        format!("{key}: {what} [default: {default}]")
    } else if default.is_empty() {
        let empty = match key {
            "wildcard_domain" => "empty = 127.0.0.1 URLs and `coder port-forward`",
            "s3_endpoint_url" => "empty = AWS",
            _ => "may stay empty",
        };
        format!("{key}: {what} [{empty}]")
    } else {
        format!("{key}: {what}")
    }
}

/// A dialoguer result: Ctrl-C (read as an interrupted read in raw mode)
/// restores the terminal, reports itself and becomes [`InterruptReported`]
/// (exit 130, nothing more printed).
fn answered<T>(result: dialoguer::Result<T>) -> Result<T> {
    result.map_err(|dialoguer::Error::IO(e)| {
        if e.kind() == std::io::ErrorKind::Interrupted {
            report_interrupt();
            InterruptReported.into()
        } else {
            anyhow::Error::from(e).context("cannot read the answer from the terminal")
        }
    })
}

const S3_KEYS: &[&str] = &[
    "s3_endpoint_url",
    "s3_region",
    "s3_bucket_prefix",
    "s3_force_path_style",
];

fn choices(key: &str) -> Option<&'static [&'static str]> {
    use answers::*;
    Some(match key {
        "package_manager" => PackageManager::CHOICES,
        "frontend" => Frontend::CHOICES,
        "storage" => Storage::CHOICES,
        "database" => Database::CHOICES,
        "auth" => Auth::CHOICES,
        "platform" => Platform::CHOICES,
        "docker_runtime" => DockerRuntime::CHOICES,
        "convex_app_share" => AppShare::CHOICES,
        "s3_force_path_style" => &["true", "false"],
        _ => return None,
    })
}

/// The keys that would be asked, given what is already answered.
pub fn would_ask(given: &RawAnswers) -> Vec<&'static str> {
    let storage_is_local = given.get("storage").is_some_and(|s| s != "s3");
    PROMPTED
        .iter()
        .copied()
        .filter(|key| !given.values.contains_key(*key))
        .filter(|key| !(storage_is_local && S3_KEYS.contains(key)))
        .collect()
}

/// Completes `given` with prompts (or defaults with `yes`) and defaults.
/// `defaults` are this folder's own defaults (e.g. `frontend = none` for an
/// existing app without a frontend): still asked, offered first.
pub fn complete(
    given: RawAnswers,
    dir_name: &str,
    yes: bool,
    defaults: &RawAnswers,
) -> Result<RawAnswers> {
    let mut with_folder_defaults = defaults.clone();
    with_folder_defaults.overlay(&given);
    if yes {
        return Ok(answers::with_defaults(&with_folder_defaults, dir_name));
    }
    let missing = would_ask(&given);
    if missing.is_empty() {
        return Ok(answers::with_defaults(&given, dir_name));
    }
    if !std::io::stdin().is_terminal() {
        let defaults = answers::with_defaults(&with_folder_defaults, dir_name);
        let lines: Vec<String> = missing
            .iter()
            .map(|key| {
                let when = if S3_KEYS.contains(key) {
                    " (when storage=s3)"
                } else {
                    ""
                };
                // Its default follows the endpoint, which would be asked first.
                if *key == "s3_force_path_style" && missing.contains(&"s3_endpoint_url") {
                    return format!("  {key}{when} [default: true with an endpoint, else false]");
                }
                format!(
                    "  {key}{when} [default: {:?}]",
                    defaults.get(key).unwrap_or("")
                )
            })
            .collect();
        return Err(usage(format!(
            "no terminal to ask on and --yes not given; nothing was written. It would ask:\n{}\nPass --yes to take the defaults, or give each with --set KEY=VALUE (or --answers FILE).",
            lines.join("\n")
        )));
    }
    ask(given, dir_name, defaults)
}

fn ask(raw: RawAnswers, dir_name: &str, defaults: &RawAnswers) -> Result<RawAnswers> {
    PROMPTING.store(true, Ordering::SeqCst);
    let result = ask_each(raw, dir_name, defaults);
    PROMPTING.store(false, Ordering::SeqCst);
    result
}

fn ask_each(mut raw: RawAnswers, dir_name: &str, defaults: &RawAnswers) -> Result<RawAnswers> {
    let theme = ColorfulTheme::default();
    for key in PROMPTED {
        if raw.values.contains_key(*key) {
            continue;
        }
        if S3_KEYS.contains(key) && raw.get("storage") != Some("s3") {
            continue;
        }
        let default = defaults
            .get(key)
            .map_or_else(|| answers::default_for(key, dir_name, &raw), str::to_owned);
        let value = if let Some(options) = choices(key) {
            let index = options.iter().position(|o| *o == default).unwrap_or(0);
            let picked = answered(
                Select::with_theme(&theme)
                    .with_prompt(label(key, &default, true))
                    .items(options)
                    .default(index)
                    .interact(),
            )?;
            options[picked].to_owned()
        } else {
            let so_far = raw.clone();
            let mut input = Input::<String>::with_theme(&theme)
                .with_prompt(label(key, &default, false))
                .allow_empty(true);
            if !default.is_empty() {
                input = input.default(default);
            }
            answered(
                input
                    .validate_with(move |input: &String| -> Result<(), String> {
                        let mut candidate = so_far.clone();
                        candidate.values.insert((*key).to_owned(), input.clone());
                        let full = answers::with_defaults(&candidate, dir_name);
                        match answers::validate(&full) {
                            Ok(_) => Ok(()),
                            Err(errors) => match errors.iter().find(|e| e.key == *key) {
                                Some(e) => Err(format!("{}; e.g. {}", e.rule, e.example)),
                                None => Ok(()),
                            },
                        }
                    })
                    .interact_text(),
            )?
        };
        raw.values.insert((*key).to_owned(), value);
    }
    Ok(answers::with_defaults(&raw, dir_name))
}
