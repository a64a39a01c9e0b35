//! Property tests: for every format, an escaped value reads back as the same
//! value through a real parser of that format; values a format cannot hold
//! are refused.

use proptest::prelude::*;

use convex_scaffold::escape;

use crate::support::{compose_unescape, parse_dotenv, parse_yaml};

fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![
                Just("\"".to_owned()),
                Just("\\".to_owned()),
                Just("${".to_owned()),
                Just("%{".to_owned()),
                Just("$(".to_owned()),
                Just("`".to_owned()),
                Just("'".to_owned()),
                Just("\n".to_owned()),
                Just("#".to_owned()),
                Just("$$".to_owned()),
                Just("é€😀".to_owned()),
                "[a-z ]{0,5}",
            ],
            0..20
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn hcl_strings_read_back(value in nasty()) {
        let body = hcl::parse(&format!("x = {}\n", escape::hcl_string(&value))).expect("parses");
        let attr = body.attributes().next().expect("one attribute");
        match attr.expr() {
            hcl::Expression::String(s) => prop_assert_eq!(s, &value),
            // hcl-rs keeps a literal `${`/`%{` (written `$${`/`%%{`) as a template.
            hcl::Expression::TemplateExpr(t) => {
                let template = hcl::Template::from_expr(t).expect("template parses");
                let rendered: String = template
                    .elements()
                    .iter()
                    .map(|e| match e {
                        hcl::template::Element::Literal(l) => l.clone(),
                        other => panic!("interpolation leaked: {other:?} from {value:?}"),
                    })
                    .collect();
                prop_assert_eq!(rendered.replace("$${", "${").replace("%%{", "%{"), value);
            }
            other => panic!("unexpected expression {other:?}"),
        }
    }

    #[test]
    fn compose_strings_read_back(value in nasty()) {
        match escape::compose_string(&value) {
            Ok(scalar) => {
                let doc = parse_yaml(&format!("x: {scalar}\n"));
                prop_assert_eq!(compose_unescape(doc["x"].as_str().expect("a string")), value);
            }
            Err(_) => prop_assert!(value.contains('\0')),
        }
    }

    #[test]
    fn dotenv_values_read_back_or_are_refused(value in nasty()) {
        match escape::dotenv_value(&value) {
            Ok(written) => {
                let parsed = parse_dotenv(&format!("KEY={written}\n"));
                prop_assert_eq!(&parsed["KEY"], &value);
            }
            Err(_) => prop_assert!(value.contains('\'') || value.chars().any(char::is_control)),
        }
    }

    #[test]
    fn shell_words_read_back(value in nasty()) {
        match escape::shell_word(&value) {
            Ok(word) => {
                let out = std::process::Command::new("bash")
                    .args(["-c", &format!("printf %s {word}")])
                    .output()
                    .expect("bash runs");
                prop_assert_eq!(String::from_utf8_lossy(&out.stdout).into_owned(), value);
            }
            Err(_) => prop_assert!(value.contains('\0')),
        }
    }
}
