//! Asking for answers on a terminal (dialoguer). Only when standard input is
//! a terminal and `--yes` was not given; otherwise the caller gets an exit-2
//! error listing what would have been asked.

use std::io::IsTerminal;

use anyhow::Result;
use dialoguer::{theme::ColorfulTheme, Input, Select};

use crate::answers::{self, RawAnswers, PROMPTED};
use crate::error::usage;

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
        "platform" => Platform::CHOICES,
        "docker_runtime" => DockerRuntime::CHOICES,
        "app_share" => AppShare::CHOICES,
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
pub fn complete(given: RawAnswers, dir_name: &str, yes: bool) -> Result<RawAnswers> {
    if yes {
        return Ok(answers::with_defaults(&given, dir_name));
    }
    let missing = would_ask(&given);
    if missing.is_empty() {
        return Ok(answers::with_defaults(&given, dir_name));
    }
    if !std::io::stdin().is_terminal() {
        let defaults = answers::with_defaults(&given, dir_name);
        let lines: Vec<String> = missing
            .iter()
            .map(|key| {
                let when = if S3_KEYS.contains(key) {
                    " (when storage=s3)"
                } else {
                    ""
                };
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
    ask(given, dir_name)
}

fn ask(mut raw: RawAnswers, dir_name: &str) -> Result<RawAnswers> {
    let theme = ColorfulTheme::default();
    for key in PROMPTED {
        if raw.values.contains_key(*key) {
            continue;
        }
        if S3_KEYS.contains(key) && raw.get("storage") != Some("s3") {
            continue;
        }
        let default = answers::default_for(key, dir_name, &raw);
        let value = if let Some(options) = choices(key) {
            let index = options.iter().position(|o| *o == default).unwrap_or(0);
            let picked = Select::with_theme(&theme)
                .with_prompt(*key)
                .items(options)
                .default(index)
                .interact()?;
            options[picked].to_owned()
        } else {
            let so_far = raw.clone();
            Input::<String>::with_theme(&theme)
                .with_prompt(*key)
                .default(default)
                .allow_empty(true)
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
                .interact_text()?
        };
        raw.values.insert((*key).to_owned(), value);
    }
    Ok(answers::with_defaults(&raw, dir_name))
}
