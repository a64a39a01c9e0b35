//! One integration-test binary (as ripgrep and cargo-generate do): each
//! module drives the real `convex-scaffold` binary or the library.

mod support;

mod escaping;
mod hardening;
mod new;
mod outputs;
