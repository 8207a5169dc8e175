//! The scanner rules shipped in `examples/secret-scanning/` find keyward
//! keys: their regular expressions, read from the files, match freshly
//! minted keys and only strings of a key's shape. Neither tool can compute
//! a CRC32; a match with a broken checksum is then refused by keyward's
//! own check, which is what the intake and verification run first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keyward_core::{ApiKey, Prefix};
use regex::Regex;
use std::path::PathBuf;

fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/secret-scanning")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn gitleaks() -> Regex {
    let config: toml::Value = toml::from_str(&example("gitleaks.toml")).unwrap();
    let rule = &config["rules"][0];
    assert_eq!(rule["secretGroup"].as_integer(), Some(1));
    Regex::new(rule["regex"].as_str().unwrap()).unwrap()
}

fn trufflehog() -> Regex {
    let yaml = example("trufflehog.yaml");
    let line = yaml
        .lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("key: "))
        .expect("a `key:` regex in the detector");
    let quoted = line
        .strip_prefix('\'')
        .and_then(|l| l.strip_suffix('\''))
        .expect("the regex in single quotes");
    Regex::new(quoted).unwrap()
}

fn rules() -> [(&'static str, Regex); 2] {
    [("gitleaks", gitleaks()), ("trufflehog", trufflehog())]
}

/// The key `key` with its last checksum character changed.
fn broken_checksum(key: &str) -> String {
    let mut broken = key[..key.len() - 1].to_owned();
    broken.push(if key.ends_with('a') { 'b' } else { 'a' });
    broken
}

#[test]
fn the_rules_find_freshly_minted_keys() {
    let prefix = Prefix::default();
    for (tool, rule) in rules() {
        for _ in 0..200 {
            let key = ApiKey::mint(&prefix);
            let key = key.expose();
            for text in [
                key.to_owned(),
                format!("API_KEY={key}\n"),
                format!("{{\"token\": \"{key}\"}}"),
                format!("curl -H 'x-api-key: {key}' https://api"),
            ] {
                let found = rule
                    .captures(&text)
                    .unwrap_or_else(|| panic!("{tool} missed {key} in {text}"));
                assert_eq!(&found[1], key, "{tool}");
            }
        }
    }
}

#[test]
fn the_rules_match_only_the_shape_of_a_key() {
    let key = ApiKey::mint(&Prefix::default());
    let key = key.expose();
    let other_prefix = ApiKey::mint(&Prefix::parse("ddf").unwrap());
    let shapes = [
        ("truncated", key[..key.len() - 1].to_owned()),
        ("too long", format!("{key}a")),
        ("glued to a word", format!("x{key}")),
        (
            "a character off the alphabet",
            key.replacen(&key[5..6], "-", 1),
        ),
        ("another prefix", other_prefix.expose().to_owned()),
        ("no separator", key.replacen('_', "", 1)),
    ];
    for (tool, rule) in rules() {
        for (what, text) in &shapes {
            assert!(!rule.is_match(text), "{tool} matched {what}: {text}");
        }
    }
}

#[test]
fn a_match_with_a_broken_checksum_is_refused_by_keywards_check() {
    for (tool, rule) in rules() {
        for _ in 0..50 {
            let key = ApiKey::mint(&Prefix::default());
            let broken = broken_checksum(key.expose());
            // The tools can't tell; keyward's gate, run before any lookup, can.
            assert!(rule.is_match(&broken), "{tool}");
            assert!(ApiKey::check(&broken).is_err(), "{tool}: {broken}");
            assert!(ApiKey::check(key.expose()).is_ok());
        }
    }
}
