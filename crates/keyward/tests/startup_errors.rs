//! The real binary refusing to start says why once, in a person's words,
//! naming what to change: a taken port, an unreachable database (without
//! its password), a data directory it can't write.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::process::{Command, Output};

/// `keyward serve` with `args`, run to its exit.
fn serve(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyward"))
        .arg("serve")
        .args(args)
        .env_remove("KEYWARD_ADMIN_KEY")
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_SECRET")
        .env_remove("KEYWARD_CONFIG")
        .env_remove("KEYWARD_REDIS_URL")
        .output()
        .unwrap()
}

/// The one line that says why, asserting the process failed.
fn refusal(output: &Output) -> String {
    assert!(!output.status.success(), "it started");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    errors[0].to_owned()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn a_taken_port_is_named_once() {
    let data = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = serve(&[
        "--listen",
        &address,
        "--data-dir",
        data.path().to_str().unwrap(),
    ]);
    let line = refusal(&output);
    assert_eq!(
        line,
        format!("error: {address} is already in use; choose another with --listen")
    );
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let data = tempfile::tempdir().unwrap();
    // Nothing listens on port 1.
    let url = "postgres://keyward:hunter2secret@127.0.0.1:1/keyward";
    let output = serve(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--database-url",
        url,
    ]);
    let line = refusal(&output);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains("hunter2secret"), "{all}");
    assert!(
        line.contains("postgres://keyward@127.0.0.1:1/keyward"),
        "{line}"
    );
    assert_eq!(count(&line, "127.0.0.1:1"), 1, "{line}");
    assert!(line.to_lowercase().contains("refused"), "the cause: {line}");
}

#[test]
fn an_unwritable_data_directory_is_named_once() {
    let parent = tempfile::tempdir().unwrap();
    // A file where a directory must be: refused even for root.
    let file = parent.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let data = file.join("data");
    let shown = data.display().to_string();
    let output = serve(&["--listen", "127.0.0.1:0", "--data-dir", &shown]);
    let line = refusal(&output);
    assert_eq!(count(&line, &shown), 1, "{line}");
    assert!(line.contains("--data-dir"), "what to change: {line}");
}
