//! `keyward audit …`: listing and checking an organization's chain and the
//! organization-less one, and a refused query failing the command.

use crate::{json, keyward, serve};

#[test]
fn audit_list_and_verify_through_the_binary() {
    let server = serve();
    // The first start made the `default` organization.
    let page = json(&keyward(
        &server,
        &["audit", "list", "--org", "default", "--limit", "5"],
    ));
    assert!(page["items"].is_array(), "{page}");
    assert!(page.get("next_cursor").is_some(), "{page}");
    let org_less = json(&keyward(&server, &["audit", "list", "--action", "org.*"]));
    assert!(org_less["items"].is_array(), "{org_less}");
    for args in [
        &["audit", "verify", "--org", "default"][..],
        &["audit", "verify"][..],
    ] {
        let check = json(&keyward(&server, args));
        assert_eq!(check["ok"], true, "{args:?}: {check}");
        assert!(check["first_broken"].is_null());
    }
    let refused = keyward(
        &server,
        &["audit", "list", "--org", "default", "--limit", "0"],
    );
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("VALIDATION_FAILED"), "{said}");
    let unknown = keyward(&server, &["audit", "verify", "--org", "nowhere"]);
    assert!(!unknown.status.success());
}
