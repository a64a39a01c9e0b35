//! One escaper per output format. Every user value that reaches a generated
//! file goes through the escaper of that file's format (the renderer applies
//! them automatically by file extension). Values a format cannot hold safely
//! are refused, never mangled.

use std::fmt::Write;

/// Why a value cannot be written in a format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unrepresentable(pub String);

/// A complete HCL quoted string literal (`"…"`), safe in Terraform: quotes,
/// backslashes and control characters escaped, and the template sequences
/// `${` and `%{` doubled so they stay literal text.
pub fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An HCL identifier (a resource label used in references). Only ASCII
/// letters, digits, `_` and `-`, starting with a letter.
pub fn hcl_ident(value: &str) -> Result<String, Unrepresentable> {
    let mut chars = value.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Unrepresentable(format!(
            "{value:?} is not an HCL identifier"
        )))
    }
}

/// A YAML double-quoted scalar for docker compose: JSON string syntax (valid
/// YAML) with every `$` doubled, because compose interpolates `$VAR` anywhere
/// in the file and reads `$$` as a literal `$`. Characters that JSON leaves
/// raw but YAML does not read back (DEL and C1 controls are refused by the
/// libyaml/go-yaml reader, NEL, LS and PS are line breaks there and get
/// folded to a space; BOM and U+FFFE/U+FFFF) are written as `\uXXXX`.
pub fn compose_string(value: &str) -> Result<String, Unrepresentable> {
    Ok(yaml_string(value)?.replace('$', "$$"))
}

/// A YAML double-quoted scalar: JSON string syntax (valid YAML), with every
/// character a YAML reader would not take literally (controls, DEL, NEL,
/// line/paragraph separators, BOM, non-characters) written as `\uXXXX`.
pub fn yaml_string(value: &str) -> Result<String, Unrepresentable> {
    if value.contains('\0') {
        return Err(Unrepresentable(
            "a NUL character cannot appear in a YAML file".into(),
        ));
    }
    let json = serde_json::to_string(value).expect("a string serialises to JSON");
    let mut out = String::with_capacity(json.len() + 2);
    for c in json.chars() {
        match c {
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A value in a dotenv file read by docker compose (`--env-file`), by the
/// convex CLI (Node `dotenv`) and by the generated shell helpers. Plain values
/// stay bare; anything else is single-quoted (literal in every one of those
/// readers). Newlines, NUL, carriage returns and single quotes have no form
/// that all of them read back the same, so they are refused.
pub fn dotenv_value(value: &str) -> Result<String, Unrepresentable> {
    if value.chars().all(is_dotenv_bare) {
        return Ok(value.to_owned());
    }
    if let Some(bad) = value.chars().find(|&c| c == '\'' || c.is_control()) {
        return Err(Unrepresentable(format!(
            "the character {bad:?} cannot be written in a .env file so that docker compose, Node's dotenv and a shell all read it back the same"
        )));
    }
    Ok(format!("'{value}'"))
}

fn is_dotenv_bare(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./:@+,=*-|".contains(c)
}

/// A dotenv key: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn dotenv_key(key: &str) -> Result<String, Unrepresentable> {
    let mut chars = key.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(key.to_owned())
    } else {
        Err(Unrepresentable(format!(
            "{key:?} is not an environment variable name"
        )))
    }
}

/// One shell word: bare when it is plainly safe, otherwise single-quoted with
/// embedded single quotes written as `'\''`. NUL cannot be passed to a shell.
pub fn shell_word(value: &str) -> Result<String, Unrepresentable> {
    if value.contains('\0') {
        return Err(Unrepresentable(
            "a NUL character cannot appear in a shell word".into(),
        ));
    }
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@+,=-".contains(c))
    {
        return Ok(value.to_owned());
    }
    Ok(format!("'{}'", value.replace('\'', "'\\''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_doubles_template_markers_and_escapes_quotes() {
        assert_eq!(hcl_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(hcl_string("${x} %{y} $z %w"), r#""$${x} %%{y} $z %w""#);
        assert_eq!(hcl_string("line\nnext\u{1}"), r#""line\nnext\u0001""#);
    }

    #[test]
    fn compose_doubles_dollars() {
        assert_eq!(compose_string("a$b${c}").unwrap(), r#""a$$b$${c}""#);
        assert!(compose_string("nul\0").is_err());
    }

    /// Regression: serde_json leaves DEL, C1 controls, LS/PS and U+FFFE raw;
    /// docker compose's YAML reader (go-yaml, a libyaml port) refuses DEL,
    /// C1 and U+FFFE ("control characters are not allowed") and folds NEL
    /// (U+0085) to a space.
    #[test]
    fn compose_escapes_what_yaml_readers_refuse_or_fold() {
        assert_eq!(
            compose_string("a\u{7f}\u{85}\u{9f}\u{2028}\u{2029}\u{feff}\u{fffe}\u{ffff}é😀b")
                .unwrap(),
            r#""a\u007f\u0085\u009f\u2028\u2029\ufeff\ufffe\uffffé😀b""#
        );
    }

    #[test]
    fn dotenv_quotes_or_refuses() {
        assert_eq!(
            dotenv_value("http://127.0.0.1:3210").unwrap(),
            "http://127.0.0.1:3210"
        );
        assert_eq!(dotenv_value("a b#c$d").unwrap(), "'a b#c$d'");
        assert!(dotenv_value("it's").is_err());
        assert!(dotenv_value("two\nlines").is_err());
        assert_eq!(dotenv_value("").unwrap(), "");
    }

    #[test]
    fn shell_quotes() {
        assert_eq!(shell_word("pnpm").unwrap(), "pnpm");
        assert_eq!(shell_word("").unwrap(), "''");
        assert_eq!(shell_word("a'b $(x)").unwrap(), r"'a'\''b $(x)'");
    }
}
