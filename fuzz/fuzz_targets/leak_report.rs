//! The bodies of leak reports: GitHub's partner format read entry by
//! entry, the generic form, and GitHub's published key list. Every refusal
//! must be a client error, never a panic or a 5xx.

#![no_main]

use keyward_server::leaks::github_keys::GithubKeys;
use keyward_server::leaks::report::{parse_generic, parse_github};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    match parse_github(body) {
        Ok(parsed) => assert!(parsed.entries.len() + parsed.skipped <= 500),
        Err(error) => assert!(error.code.status().is_client_error()),
    }
    if let Err(error) = parse_generic(body) {
        assert!(error.code.status().is_client_error());
    }
    // A key list that parses is used: checking a signature with it never panics.
    if let Ok(keys) = GithubKeys::parse(body) {
        let _ = keys.verify("k", "MEUCIQ==", body);
    }
});
