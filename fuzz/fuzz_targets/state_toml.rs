//! Any bytes as `convex-scaffold.toml` and `.convex-scaffold/base.toml`:
//! parsing never panics, the recorded answers re-validate without
//! panicking, and what parses survives a write/read round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

use convex_scaffold::state::{Base, State};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(state) = State::from_toml(text) {
        let _ = state.answers();
        let again = State::from_toml(&state.to_toml()).expect("a written state reads back");
        assert_eq!(again, state);
    }
    if let Ok(base) = Base::from_toml(text) {
        let again = Base::from_toml(&base.to_toml()).expect("a written base reads back");
        assert_eq!(again, base);
    }
});
