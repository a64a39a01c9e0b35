//! The template engine: minijinja over the files embedded from `templates/`,
//! in strict-undefined mode, with one auto-escaper per output format chosen
//! by file extension. A template never prints a user value unescaped.

use anyhow::{Context as _, Result};
use include_dir::{include_dir, Dir, DirEntry};
use minijinja::syntax::SyntaxConfig;
use minijinja::{
    AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior, Value,
};

use crate::escape;

/// Everything under `templates/`, hidden paths included.
pub static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The escaper a template's output format needs.
fn auto_escape_for(name: &str) -> AutoEscape {
    let name = name.strip_suffix(".j2").unwrap_or(name);
    let file = name.rsplit('/').next().unwrap_or(name);
    if name.ends_with(".tf") {
        AutoEscape::Custom("hcl".into())
    } else if name.ends_with(".yml") || name.ends_with(".yaml") {
        AutoEscape::Custom("compose".into())
    } else if file.starts_with(".env") || file.ends_with(".env") {
        AutoEscape::Custom("dotenv".into())
    } else if name.ends_with(".sh") {
        AutoEscape::Custom("shell".into())
    } else if name.ends_with(".md") {
        AutoEscape::Custom("markdown".into())
    } else {
        AutoEscape::Custom("refuse".into())
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Writes a value in the current template's format.
fn format_value(
    out: &mut Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    if value.is_safe() {
        return out
            .write_str(value.as_str().unwrap_or_default())
            .map_err(Error::from);
    }
    let mode = match state.auto_escape() {
        AutoEscape::Custom(mode) => mode.to_string(),
        _ => "refuse".to_owned(),
    };
    let Some(text) = value.as_str() else {
        // Booleans would print as `True`, none as `None`: templates pass
        // strings only, so anything else is a template bug.
        return Err(invalid(format!(
            "template {} prints a non-string value {value:?}; pass strings only",
            state.name()
        )));
    };
    let escaped = match mode.as_str() {
        "hcl" => escape::hcl_string(text),
        "compose" => escape::compose_string(text).map_err(|e| invalid(e.0))?,
        "dotenv" => escape::dotenv_value(text).map_err(|e| invalid(e.0))?,
        "shell" => escape::shell_word(text).map_err(|e| invalid(e.0))?,
        "markdown" => {
            if text.chars().any(char::is_control) {
                return Err(invalid("a control character cannot be printed in markdown"));
            }
            text.to_owned()
        }
        _ => {
            return Err(invalid(format!(
                "template {} has no escaper for its format",
                state.name()
            )))
        }
    };
    out.write_str(&escaped).map_err(Error::from)
}

fn hcl_ident(value: &str) -> Result<Value, Error> {
    escape::hcl_ident(value)
        .map(Value::from_safe_string)
        .map_err(|e| invalid(e.0))
}

fn env_key(value: &str) -> Result<Value, Error> {
    escape::dotenv_key(value)
        .map(Value::from_safe_string)
        .map_err(|e| invalid(e.0))
}

/// A double-quoted YAML scalar (for front matter in markdown).
fn yaml(value: &str) -> Result<Value, Error> {
    escape::yaml_string(value)
        .map(Value::from_safe_string)
        .map_err(|e| invalid(e.0))
}

/// The environment with every template registered (syntax errors surface here).
pub fn environment() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .context("template syntax configuration")?,
    );
    env.set_auto_escape_callback(auto_escape_for);
    env.set_formatter(format_value);
    env.add_filter("hcl_ident", hcl_ident);
    env.add_filter("env_key", env_key);
    env.add_filter("yaml", yaml);
    add_templates(&mut env, &TEMPLATES)?;
    Ok(env)
}

fn add_templates(env: &mut Environment<'static>, dir: &'static Dir<'static>) -> Result<()> {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(d) => add_templates(env, d)?,
            DirEntry::File(f) => {
                let name = f.path().to_str().context("template path is UTF-8")?;
                if name.ends_with(".j2") {
                    let source = f
                        .contents_utf8()
                        .with_context(|| format!("template {name} is UTF-8"))?;
                    env.add_template(name, source)
                        .with_context(|| format!("template {name} has a syntax error"))?;
                }
            }
        }
    }
    Ok(())
}

/// Files (path relative to `templates/`, contents) under a folder of `templates/`.
pub fn files_under(folder: &str) -> Vec<(&'static str, &'static [u8])> {
    fn walk(dir: &'static Dir<'static>, out: &mut Vec<(&'static str, &'static [u8])>) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => walk(d, out),
                DirEntry::File(f) => {
                    if let Some(path) = f.path().to_str() {
                        out.push((path, f.contents()));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Some(dir) = TEMPLATES.get_dir(folder) {
        walk(dir, &mut out);
    }
    out.sort_by(|a, b| a.0.cmp(b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let env = environment().unwrap();
        assert!(env.templates().count() >= 8);
    }

    #[test]
    fn booleans_are_refused_not_printed_as_python() {
        let mut env = environment().unwrap();
        env.add_template("t.tf.j2", "x = {{ flag }}").unwrap();
        let err = env
            .get_template("t.tf.j2")
            .unwrap()
            .render(minijinja::context! { flag => true });
        assert!(err.is_err());
        env.add_template("u.tf.j2", "x = {{ text }}").unwrap();
        let out = env
            .get_template("u.tf.j2")
            .unwrap()
            .render(minijinja::context! { text => "a\"${b}" })
            .unwrap();
        assert_eq!(out, r#"x = "a\"$${b}""#);
    }

    #[test]
    fn undefined_values_fail() {
        let mut env = environment().unwrap();
        env.add_template("v.yml.j2", "x: {{ missing }}").unwrap();
        assert!(env
            .get_template("v.yml.j2")
            .unwrap()
            .render(minijinja::context! {})
            .is_err());
    }
}
