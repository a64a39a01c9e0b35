//! Output families that are built as data rather than text templates.

pub mod coder;
pub mod devcontainer;
pub mod gitignore;
pub mod package_json;
pub mod starter;
