//! Every escaper against its format's rules, for any string: what it writes
//! reads back as the same value (HCL through hcl-rs, compose as JSON after
//! undoing `$$`, dotenv and shell by their quoting rules), and it refuses
//! exactly the values its format cannot hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

use convex_scaffold::escape;

fn hcl_read_back(literal: &str) -> String {
    let body = hcl::parse(&format!("x = {literal}\n")).expect("HCL string parses");
    let attr = body.attributes().next().expect("one attribute");
    match attr.expr() {
        hcl::Expression::String(s) => s.clone(),
        hcl::Expression::TemplateExpr(t) => {
            let template = hcl::Template::from_expr(t).expect("template parses");
            template
                .elements()
                .iter()
                .map(|e| match e {
                    hcl::template::Element::Literal(l) => l.clone(),
                    other => panic!("interpolation leaked: {other:?}"),
                })
                .collect::<String>()
                .replace("$${", "${")
                .replace("%%{", "%{")
        }
        other => panic!("not a string: {other:?}"),
    }
}

/// POSIX shell reading of one word made of bare characters, '…' runs and
/// `\'` (all `shell_word` writes).
fn shell_read_back(word: &str) -> String {
    let mut out = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    out.push(q);
                }
            }
            '\\' => out.push(chars.next().expect("escaped character")),
            c => {
                assert!(
                    c.is_ascii_alphanumeric() || "_./:@+,=-".contains(c),
                    "unquoted shell character {c:?} in {word:?}"
                );
                out.push(c);
            }
        }
    }
    out
}

/// Characters the libyaml/go-yaml reader takes literally in a scalar.
fn yaml_reads_raw(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn is_dotenv_bare(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./:@+,=*-|".contains(c)
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };

    // HCL: always representable.
    let hcl = escape::hcl_string(value);
    assert!(
        !hcl.chars().any(|c| c.is_control()),
        "raw control in {hcl:?}"
    );
    assert_eq!(hcl_read_back(&hcl), value);

    // Compose: JSON string syntax with every `$` doubled; only NUL refused.
    match escape::compose_string(value) {
        Ok(scalar) => {
            assert!(
                scalar.split("$$").all(|part| !part.contains('$')),
                "a single $ in {scalar:?}"
            );
            assert!(
                scalar.chars().all(yaml_reads_raw),
                "raw character in {scalar:?}"
            );
            let back: String =
                serde_json::from_str(&scalar.replace("$$", "$")).expect("JSON string");
            assert_eq!(back, value);
        }
        Err(_) => assert!(value.contains('\0')),
    }

    // Dotenv: bare, or single-quoted with nothing that ends or breaks it.
    match escape::dotenv_value(value) {
        Ok(written) => {
            if written == value {
                assert!(value.chars().all(is_dotenv_bare), "unquoted {value:?}");
            } else {
                let inner = written
                    .strip_prefix('\'')
                    .and_then(|w| w.strip_suffix('\''))
                    .expect("single-quoted");
                assert_eq!(inner, value);
                assert!(!inner.contains('\'') && !inner.chars().any(char::is_control));
            }
        }
        Err(_) => assert!(value.contains('\'') || value.chars().any(char::is_control)),
    }

    // Shell: one word that reads back; only NUL refused.
    match escape::shell_word(value) {
        Ok(word) => {
            assert!(!word.is_empty());
            assert_eq!(shell_read_back(&word), value);
        }
        Err(_) => assert!(value.contains('\0')),
    }

    // Identifiers: accepted exactly when they match their grammar.
    let mut chars = value.chars();
    let first = chars.next();
    let rest: Vec<char> = chars.collect();
    let hcl_ident_ok = first.is_some_and(|c| c.is_ascii_alphabetic())
        && rest
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-');
    assert_eq!(escape::hcl_ident(value).is_ok(), hcl_ident_ok);
    let env_key_ok = first.is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && rest.iter().all(|c| c.is_ascii_alphanumeric() || *c == '_');
    assert_eq!(escape::dotenv_key(value).is_ok(), env_key_ok);
});
