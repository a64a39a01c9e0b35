//! One integration-test binary (as ripgrep and cargo-generate do): each
//! module drives the real `convex-scaffold` binary or the library.

mod support;

mod auth;
mod coder_module;
mod coder_publish;
mod coder_start;
mod coder_template;
mod database;
mod diagnose;
mod distribution;
mod doc_commands;
mod doctor;
mod escaping;
mod first_contact;
mod frontend;
mod hardening;
mod new;
mod outputs;
mod prompts;
mod real_images;
mod script_errors;
mod scripts;
mod second_contact;
mod upgrade;
