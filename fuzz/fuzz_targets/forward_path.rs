//! Forward-auth's path canonicaliser and rule matcher on arbitrary URIs:
//! a canonical path is a fixed point, and matching it never panics and
//! decides the same as matching its canonical form again.

#![no_main]

use keyward_core::forward_path::canonical_path;
use keyward_core::forward_rules::{Decision, DefaultPolicy, RuleConfig, RuleSet};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        let rule = |methods: &[&str], path: &str, permission: &str, resource: Option<&str>| {
            RuleConfig {
                methods: methods.iter().map(|m| (*m).to_owned()).collect(),
                path: path.to_owned(),
                permission: permission.to_owned(),
                resource: resource.map(str::to_owned),
                cost: None,
            }
        };
        let configured = [
            rule(&["GET", "HEAD"], "/api/dataproducts/{id}", "dataproducts:read", Some("dataproducts/{id}")),
            rule(&["*"], "/api/teams/{team}/items/{item}/**", "items:write", Some("teams/{team}/items/{item}")),
            rule(&["*"], "/api/admin/**", "org:write", None),
        ];
        RuleSet::compile(DefaultPolicy::Deny, &configured).unwrap_or_default()
    })
}

fn outline(decision: &Decision<'_>) -> String {
    match decision {
        Decision::Require(requirement) => format!("require {}", requirement.resource),
        Decision::BadResource => "bad resource".to_owned(),
        Decision::NoRule => "no rule".to_owned(),
    }
}

fuzz_target!(|data: (&str, &str)| {
    let (method, uri) = data;
    let Ok(path) = canonical_path(uri) else {
        return;
    };
    let again = canonical_path(path.as_str()).unwrap_or_else(|e| {
        panic!("canonical {:?} of {uri:?} is refused: {e}", path.as_str())
    });
    assert_eq!(again.as_str(), path.as_str(), "not a fixed point: {uri:?}");
    assert!(!again.is_rewritten(), "a canonical path was rewritten: {uri:?}");
    let rules = rules();
    assert_eq!(
        outline(&rules.decide(method, &path)),
        outline(&rules.decide(method, &again)),
    );
});
