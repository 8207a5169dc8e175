//! `keyward keys update|disable|enable|verify`: changes through the binary,
//! the key read from stdin, and the exit code saying whether it is valid.

use crate::{acme, create_key, json, keyward, keyward_with_stdin, serve, stderr, verify};
use serde_json::json;

#[test]
fn update_changes_only_what_is_given() {
    let server = serve();
    acme(&server);
    let key = create_key(&server, "ci", &["--metadata", r#"{"env":"dev"}"#]);
    let id = key["id"].as_str().unwrap();
    let update = |extra: &[&str]| {
        let mut args = vec!["keys", "update", "--org", "acme", id];
        args.extend_from_slice(extra);
        json(&keyward(&server, &args))
    };
    let renamed = update(&["--name", "deploy", "--expires-at", "2030-01-01T00:00:00Z"]);
    assert_eq!(renamed["name"], "deploy");
    assert_eq!(renamed["expires_at"], "2030-01-01T00:00:00Z");
    assert_eq!(renamed["metadata"], json!({"env": "dev"}));
    let changed = update(&["--metadata", r#"{"env":"prod"}"#, "--no-expiry"]);
    assert_eq!(changed["name"], "deploy");
    assert!(changed["expires_at"].is_null(), "{changed}");
    assert_eq!(changed["metadata"], json!({"env": "prod"}));
    let shown = json(&keyward(&server, &["keys", "get", "--org", "acme", id]));
    assert_eq!(shown["name"], "deploy");

    let nothing = keyward(&server, &["keys", "update", "--org", "acme", id]);
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
    let unknown = keyward(
        &server,
        &["keys", "update", "--org", "acme", "nope", "--name", "x"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("KEY_NOT_FOUND"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn disabled_keys_verify_as_disabled_until_enabled() {
    let server = serve();
    acme(&server);
    let key = create_key(&server, "ci", &[]);
    let (id, secret) = (key["id"].as_str().unwrap(), key["key"].as_str().unwrap());
    let (code, answer) = verify(&server, secret);
    assert_eq!((code, &answer["code"]), (0, &json!("VALID")), "{answer}");

    let disabled = json(&keyward(&server, &["keys", "disable", "--org", "acme", id]));
    assert_eq!(disabled["enabled"], false);
    let (code, answer) = verify(&server, secret);
    assert_eq!((code, &answer["code"]), (1, &json!("DISABLED")), "{answer}");

    let enabled = json(&keyward(&server, &["keys", "enable", "--org", "acme", id]));
    assert_eq!(enabled["enabled"], true);
    let (code, answer) = verify(&server, secret);
    assert_eq!((code, &answer["code"]), (0, &json!("VALID")), "{answer}");
}

#[test]
fn verify_exits_with_one_for_a_key_that_is_not_valid() {
    let server = serve();
    acme(&server);
    let key = create_key(&server, "ci", &["--permission", "datasets:read"]);
    let secret = key["key"].as_str().unwrap();
    // The key as an argument still works, and so does a permission query.
    let args = ["keys", "verify", secret, "--permission", "datasets:edit"];
    let refused = keyward(&server, &args);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let answer: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(answer["code"], "INSUFFICIENT_PERMISSIONS");
    assert!(stderr(&refused).contains("INSUFFICIENT_PERMISSIONS"));

    let (code, answer) = verify(&server, "kw_not_a_key_at_all");
    assert_eq!((code, &answer["valid"]), (1, &json!(false)), "{answer}");

    json(&keyward(
        &server,
        &[
            "keys",
            "revoke",
            "--org",
            "acme",
            key["id"].as_str().unwrap(),
        ],
    ));
    let (code, answer) = verify(&server, secret);
    assert_eq!(code, 1);
    assert_ne!(answer["code"], "VALID");
}

#[test]
fn verify_reads_one_line_from_stdin() {
    let server = serve();
    acme(&server);
    let secret = create_key(&server, "ci", &[])["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let crlf = keyward_with_stdin(&server, &["keys", "verify", "-"], &format!("{secret}\r\n"));
    assert_eq!(json(&crlf)["code"], "VALID");
    let bare = keyward_with_stdin(&server, &["keys", "verify", "-"], &secret);
    assert_eq!(json(&bare)["code"], "VALID");
    for input in ["", "\n", &format!("{secret}\n{secret}\n")] {
        let refused = keyward_with_stdin(&server, &["keys", "verify", "-"], input);
        assert_eq!(refused.status.code(), Some(2), "{input:?}");
        assert!(refused.stdout.is_empty());
        assert!(!stderr(&refused).contains(&secret), "{}", stderr(&refused));
    }
}

#[test]
fn verify_exits_with_two_when_the_server_cannot_be_reached() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["keys", "verify", "kw_x", "--url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
}

#[test]
fn limits_are_set_on_create_and_update() {
    let server = serve();
    acme(&server);
    let key = create_key(
        &server,
        "metered",
        &[
            "--ratelimit",
            "burst=2/1m",
            "--credits",
            "10",
            "--refill",
            "monthly:10@15",
            "--allowed-ip",
            "10.0.0.0/8",
        ],
    );
    assert_eq!(
        key["ratelimits"],
        json!([{ "name": "burst", "limit": 2, "duration_ms": 60_000 }])
    );
    assert_eq!(key["credits"]["remaining"], 10);
    assert_eq!(key["credits"]["refill"]["refill_day"], 15);
    assert_eq!(key["allowed_ips"], json!(["10.0.0.0/8"]));
    let (id, secret) = (key["id"].as_str().unwrap(), key["key"].as_str().unwrap());
    let verified = keyward(
        &server,
        &["keys", "verify", secret, "--ip", "10.0.0.1", "--cost", "3"],
    );
    let answer = json(&verified);
    assert_eq!(answer["code"], "VALID", "{answer}");
    assert_eq!(answer["credits"]["remaining"], 7);

    let update = |extra: &[&str]| {
        let mut args = vec!["keys", "update", "--org", "acme", id];
        args.extend_from_slice(extra);
        json(&keyward(&server, &args))
    };
    let changed = update(&["--no-ratelimits", "--credits", "50", "--no-allowed-ips"]);
    assert_eq!(changed["ratelimits"], json!([]));
    assert_eq!(changed["credits"]["remaining"], 50);
    assert_eq!(changed["allowed_ips"], json!([]));
    let removed = update(&["--no-credits"]);
    assert!(removed["credits"].is_null(), "{removed}");

    let bad = keyward(
        &server,
        &[
            "keys",
            "create",
            "--org",
            "acme",
            "--name",
            "x",
            "--ratelimit",
            "burst=2",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}
