//! A small dotenv reader shared by the doctor checks: `KEY=value`,
//! `KEY='literal'`, `KEY="with \"escapes\""`, an optional `export ` prefix,
//! comments and blank lines. The last assignment of a key wins, as in
//! docker compose and in the project's `scripts/convex-common.sh`.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dotenv {
    pub values: BTreeMap<String, String>,
}

impl Dotenv {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The value when it is set and not empty.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }
}

/// Parses dotenv text. Lines that are not assignments are ignored.
pub fn parse(text: &str) -> Dotenv {
    let mut values = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            continue;
        }
        values.insert(key.to_owned(), value(raw.trim_start()));
    }
    Dotenv { values }
}

fn value(raw: &str) -> String {
    if let Some(rest) = raw.strip_prefix('\'') {
        return match rest.find('\'') {
            Some(end) => rest[..end].to_owned(),
            None => rest.to_owned(),
        };
    }
    if let Some(rest) = raw.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return out,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => break,
                },
                c => out.push(c),
            }
        }
        return out;
    }
    // Unquoted: an inline comment starts at whitespace followed by '#'.
    let mut end = raw.len();
    let bytes = raw.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'#' && bytes[i - 1].is_ascii_whitespace() {
            end = i;
            break;
        }
    }
    raw[..end].trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_subset_compose_and_the_scripts_write() {
        let env = parse(
            "# comment\n\
             \n\
             A=plain\n\
             B='single # not a comment'\n\
             C=\"double \\\"quoted\\\" \\n\"\n\
             export D=exported\n\
             E=\n\
             F=value # trailing comment\n\
             G=a#b\n\
             A=last wins\r\n\
             not an assignment\n\
             KEY_WITH_KEY='x|y'\n",
        );
        assert_eq!(env.get("A"), Some("last wins"));
        assert_eq!(env.get("B"), Some("single # not a comment"));
        assert_eq!(env.get("C"), Some("double \"quoted\" \n"));
        assert_eq!(env.get("D"), Some("exported"));
        assert_eq!(env.get("E"), Some(""));
        assert_eq!(env.non_empty("E"), None);
        assert_eq!(env.get("F"), Some("value"));
        assert_eq!(env.get("G"), Some("a#b"));
        assert_eq!(env.get("KEY_WITH_KEY"), Some("x|y"));
        assert_eq!(env.values.len(), 8);
    }
}
