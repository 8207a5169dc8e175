//! Tables for people (`--output table`), JSON for scripts (the default on
//! a pipe), and a reader that goes away early (`| head -1`) ending the
//! command quietly.

use crate::{acme, command, create_key, json, keyward, serve, stderr, stdout};
use std::process::Stdio;

#[test]
fn tables_are_aligned_and_show_a_new_secret() {
    let server = serve();
    acme(&server);
    let args = [
        "keys", "create", "--org", "acme", "--name", "ci bot", "--output", "table",
    ];
    let created = keyward(&server, &args);
    let text = stdout(&created);
    assert!(created.status.success(), "{}", stderr(&created));
    let secret = text.lines().last().unwrap();
    assert!(text.contains("shown this once"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("name") && l.ends_with("ci bot")),
        "{text}"
    );
    let (code, _) = crate::verify(&server, secret);
    assert_eq!(code, 0, "the printed secret is the key");

    create_key(&server, "second", &[]);
    let listed = keyward(
        &server,
        &["keys", "--output", "table", "list", "--org", "acme"],
    );
    let text = stdout(&listed);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID "), "{text}");
    assert!(
        lines[0].contains("NAME") && lines[0].contains("KEY_MASK"),
        "{text}"
    );
    assert_eq!(lines.len(), 3, "{text}");
    let column = lines[0].find("NAME").unwrap();
    assert!(
        lines[1..]
            .iter()
            .all(|l| l[column..].starts_with("second") || l[column..].starts_with("ci bot")),
        "{text}"
    );
    assert!(!text.contains(secret), "a listing never shows a secret");

    // A pipe gets JSON unless asked otherwise; KEYWARD_OUTPUT asks too.
    json(&keyward(&server, &["keys", "list", "--org", "acme"]));
    let asked = command(&server, &["permissions", "list", "--org", "acme"])
        .env("KEYWARD_OUTPUT", "table")
        .output()
        .unwrap();
    assert!(stdout(&asked).starts_with("ID "), "{}", stdout(&asked));
    let verdict = keyward(&server, &["keys", "verify", "kw_nope", "--output", "table"]);
    assert_eq!(verdict.status.code(), Some(1));
    assert!(
        stdout(&verdict)
            .lines()
            .any(|l| l.starts_with("valid") && l.ends_with("false"))
    );
}

/// Runs the command with its stdout closed before it prints anything: the
/// first write finds no reader.
fn with_stdout_closed(server: &crate::Server, args: &[&str]) {
    let mut child = command(server, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {:?} {}",
        output.status,
        stderr(&output)
    );
    assert_eq!(stderr(&output), "", "{args:?} ends quietly");
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let server = serve();
    acme(&server);
    for i in 0..3 {
        create_key(&server, &format!("key {i}"), &[]);
    }
    with_stdout_closed(&server, &["keys", "list", "--org", "acme"]);
    with_stdout_closed(
        &server,
        &["keys", "list", "--org", "acme", "--output", "table"],
    );
    with_stdout_closed(&server, &["permissions", "list", "--org", "acme"]);
    with_stdout_closed(&server, &["audit", "export", "--org", "acme"]);
    with_stdout_closed(&server, &["teams", "list", "--org", "acme"]);
}
