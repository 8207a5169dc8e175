//! `ApiKey::check`, `parse` and `mask` on arbitrary text: the gate every
//! presented credential passes first.

#![no_main]

use keyward_core::{ApiKey, Prefix};
use libfuzzer_sys::fuzz_target;

/// What holds for every well-formed key.
fn check_key(key: &ApiKey) {
    let text = key.expose();
    assert_eq!(ApiKey::check(text), Ok(key.prefix().len()));
    let prefix = Prefix::parse(key.prefix()).expect("a parsed key's prefix is valid");
    assert!(ApiKey::parse_with_prefix(text, &prefix).is_ok());
    let mask = key.mask();
    assert_eq!(mask.len(), text.len(), "{mask} masks {text}");
    assert!(mask.starts_with(&format!("{}_", key.prefix())));
    assert!(mask.ends_with('*'));
    assert_ne!(mask, text, "the mask hides the secret");
}

fuzz_target!(|text: &str| {
    let checked = ApiKey::check(text);
    match ApiKey::parse(text) {
        Ok(key) => check_key(&key),
        Err(error) => assert_eq!(checked, Err(error)),
    }
    // Well-formed keys are rare in random text; the ones minted with a
    // prefix the input names reach `mask` every time.
    if let Ok(prefix) = Prefix::parse(text) {
        let key = ApiKey::mint(&prefix);
        assert_eq!(key.prefix(), prefix.as_str());
        check_key(&ApiKey::parse(key.expose()).expect("a minted key parses"));
    }
});
