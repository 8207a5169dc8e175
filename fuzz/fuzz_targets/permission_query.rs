//! `PermissionQuery::parse` on arbitrary text, and evaluation of what parses.

#![no_main]

use keyward_core::PermissionQuery;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(query) = PermissionQuery::parse(text) else {
        return;
    };
    let named = query.permissions();
    assert!(
        !named.is_empty(),
        "{text:?} parsed to a query naming nothing"
    );
    // Holding everything a query names satisfies it; holding nothing doesn't.
    assert!(query.evaluate(&|_| true));
    assert!(!query.evaluate(&|_| false));
    let held: Vec<&str> = named.iter().step_by(2).map(|p| p.as_str()).collect();
    query.evaluate(&|p| held.contains(&p.as_str()));
});
