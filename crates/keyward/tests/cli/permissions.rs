//! `keyward permissions list|create`.

use crate::{acme, json, keyward, serve, stderr};

#[test]
fn permissions_are_registered_and_listed() {
    let server = serve();
    json(&keyward(
        &server,
        &["orgs", "create", "Acme", "--slug", "acme"],
    ));
    let args = [
        "permissions",
        "create",
        "--org",
        "acme",
        "reports:read",
        "--description",
        "Read reports",
        "--read-only",
    ];
    let created = json(&keyward(&server, &args));
    assert_eq!(created["name"], "reports:read");
    assert_eq!(created["description"], "Read reports");
    assert_eq!(created["read_only"], true);
    let plain = json(&keyward(
        &server,
        &["permissions", "create", "--org", "acme", "reports:edit"],
    ));
    assert_eq!(plain["read_only"], false);

    let listed = json(&keyward(&server, &["permissions", "list", "--org", "acme"]));
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"reports:read") && names.contains(&"reports:edit"),
        "{names:?}"
    );
    assert!(
        names.contains(&"keys:read"),
        "the built-ins are listed too: {names:?}"
    );

    let again = keyward(
        &server,
        &["permissions", "create", "--org", "acme", "reports:read"],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).starts_with("error: "), "{}", stderr(&again));
    let bad = keyward(
        &server,
        &["permissions", "create", "--org", "acme", "not a name"],
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn listing_needs_a_known_organization() {
    let server = serve();
    acme(&server);
    let unknown = keyward(&server, &["permissions", "list", "--org", "nowhere"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(unknown.stdout.is_empty());
}
