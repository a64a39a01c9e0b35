//! Answers as a user gives them, two ways (chosen by the first byte):
//! - text (first byte < 0x80): the bytes as an answers file (`--answers`);
//! - one value (first byte >= 0x80): the rest as the value of one answer
//!   key (picked by the first byte), every other key at its default and
//!   storage = s3 — a coverage-guided search for a value the validator
//!   accepts but an escaper refuses.
//!
//! Parsing never panics; what parses is validated without panicking; what
//! validates always renders and re-validates to the same answers.
#![no_main]

use libfuzzer_sys::fuzz_target;

use convex_scaffold::answers::{self, RawAnswers, KEYS};
use convex_scaffold::project;

fn check(given: &RawAnswers) {
    let raw = answers::with_defaults(given, "fuzz");
    let Ok(valid) = answers::validate(&raw) else {
        return;
    };
    assert_eq!(
        answers::validate(&valid.to_raw()).as_ref(),
        Ok(&valid),
        "validated answers re-validate to themselves"
    );
    if let Err(e) = project::render(&valid, Some(&"0".repeat(64))) {
        panic!("validated answers do not render: {e:#}\n{valid:#?}");
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((&selector, rest)) if selector >= 0x80 => {
            let Ok(value) = std::str::from_utf8(rest) else {
                return;
            };
            let key = KEYS[usize::from(selector - 0x80) % KEYS.len()];
            let mut given = RawAnswers::default();
            given.values.insert("storage".into(), "s3".into());
            given.values.insert(key.into(), value.into());
            check(&given);
        }
        _ => {
            let Ok(text) = std::str::from_utf8(data) else {
                return;
            };
            if let Ok(given) = RawAnswers::from_toml_str(text) {
                check(&given);
            }
        }
    }
});
