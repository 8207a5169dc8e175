//! `keyward keys roll` and `keyward keys update --permissions/--read-only`,
//! to the contract of `POST …/keys/{id}/roll` (201: the creation answer
//! plus `rolled_from`) and of PATCH taking `permissions` and `read_only`.

use crate::{acme, create_key, json, keyward, serve, stderr, stdout, verify};
use serde_json::json;

#[test]
fn cli_roll_prints_the_new_secret_and_keeps_the_old_key_for_the_grace() {
    let server = serve();
    acme(&server);
    let old = create_key(&server, "ci", &["--metadata", r#"{"env":"prod"}"#]);
    let (old_id, old_secret) = (old["id"].as_str().unwrap(), old["key"].as_str().unwrap());
    let rolled = json(&keyward(
        &server,
        &["keys", "roll", "--org", "acme", old_id, "--grace", "1h"],
    ));
    assert_eq!(rolled["rolled_from"], old_id);
    assert_eq!(rolled["name"], "ci");
    assert_eq!(rolled["metadata"], json!({"env": "prod"}));
    let new_secret = rolled["key"].as_str().unwrap();
    assert_ne!(new_secret, old_secret);
    assert_eq!(verify(&server, new_secret).0, 0);
    assert_eq!(
        verify(&server, old_secret).0,
        0,
        "the old key works during the grace"
    );
    let shown = json(&keyward(&server, &["keys", "get", "--org", "acme", old_id]));
    assert_eq!(shown["rolled_to"], rolled["id"]);

    let again = keyward(&server, &["keys", "roll", "--org", "acme", old_id]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("KEY_ALREADY_ROLLED"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn cli_roll_with_no_grace_retires_the_old_key_at_once() {
    let server = serve();
    acme(&server);
    let old = create_key(&server, "ci", &[]);
    let args = [
        "keys",
        "roll",
        "--org",
        "acme",
        old["id"].as_str().unwrap(),
        "--grace",
        "0",
        "--output",
        "table",
    ];
    let rolled = keyward(&server, &args);
    assert!(rolled.status.success(), "{}", stderr(&rolled));
    let text = stdout(&rolled);
    assert!(text.lines().any(|l| l.starts_with("rolled_from")), "{text}");
    let new_secret = text.lines().last().unwrap();
    assert_eq!(
        verify(&server, new_secret).0,
        0,
        "the table's last line is the new secret"
    );
    let (code, answer) = verify(&server, old["key"].as_str().unwrap());
    assert_eq!(code, 1, "{answer}");
}

#[test]
fn cli_update_permissions_replaces_the_key_grants() {
    let server = serve();
    acme(&server);
    let key = create_key(
        &server,
        "ci",
        &[
            "--permission",
            "datasets:read",
            "--permission",
            "datasets:edit",
        ],
    );
    let id = key["id"].as_str().unwrap();
    let updated = json(&keyward(
        &server,
        &[
            "keys",
            "update",
            "--org",
            "acme",
            id,
            "--permissions",
            "datasets:read",
        ],
    ));
    let names: Vec<&str> = updated["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["datasets:read"]);
    let secret = key["key"].as_str().unwrap();
    let edit = keyward(
        &server,
        &["keys", "verify", secret, "--permission", "datasets:edit"],
    );
    assert_eq!(
        edit.status.code(),
        Some(1),
        "the next verification sees the edit"
    );
    let read_only = json(&keyward(
        &server,
        &["keys", "update", "--org", "acme", id, "--read-only", "true"],
    ));
    assert_eq!(read_only["read_only"], true);
    // Back to all of the scope's rights, on purpose.
    let all = json(&keyward(
        &server,
        &["keys", "update", "--org", "acme", id, "--all-rights"],
    ));
    assert_eq!(all["permissions"], json!([]), "{all}");
}

#[test]
fn cli_update_permissions_refuses_a_write_permission_on_a_read_only_key() {
    let server = serve();
    acme(&server);
    let key = create_key(
        &server,
        "ci",
        &["--read-only", "--permission", "datasets:read"],
    );
    let args = [
        "keys",
        "update",
        "--org",
        "acme",
        key["id"].as_str().unwrap(),
        "--permissions",
        "datasets:read,datasets:edit",
    ];
    let refused = keyward(&server, &args);
    assert_eq!(refused.status.code(), Some(2));
    let said = stderr(&refused).to_lowercase();
    assert!(
        said.contains("read-only") || said.contains("read only"),
        "{said}"
    );
}
