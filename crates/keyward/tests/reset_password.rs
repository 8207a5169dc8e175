//! `keyward users reset-password` on the server: the bootstrap owner,
//! whose one-time password nobody kept, gets a reset link from the command
//! (which acts on the store, with no server running), sets a new password
//! with it once keyward runs again, and signs in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn keyward() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward"));
    for var in [
        "KEYWARD_ADMIN_KEY",
        "KEYWARD_DATABASE_URL",
        "KEYWARD_SECRET",
        "KEYWARD_DATA_DIR",
        "KEYWARD_CONFIG",
    ] {
        command.env_remove(var);
    }
    command
}

/// `keyward serve` on `port` with the data folder `data`, once listening.
fn serve(data: &std::path::Path, port: u16) -> std::process::Child {
    let mut server = keyward()
        .args(["serve", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    for line in stderr.by_ref() {
        if line.unwrap().contains("keyward is listening") || Instant::now() > deadline {
            break;
        }
    }
    // The server keeps logging: keep reading so its writes never fail.
    std::thread::spawn(move || stderr.for_each(drop));
    server
}

#[tokio::test]
async fn a_lost_bootstrap_password_is_reset_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = serve(data.path(), port);
    server.kill().unwrap();
    server.wait().unwrap();

    let unknown = keyward()
        .args([
            "users",
            "reset-password",
            "nobody@keyward.local",
            "--data-dir",
        ])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    let issued = keyward()
        .args([
            "users",
            "reset-password",
            "owner@keyward.local",
            "--data-dir",
        ])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let issued: Value = serde_json::from_slice(&issued.stdout).unwrap();
    let token = issued["token"].as_str().unwrap();
    assert!(token.starts_with("kwr_"), "{issued}");
    assert_eq!(issued["url"], format!("/password-reset#{token}"));

    let mut server = serve(data.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let password = "the owner's own passphrase";
    let reset = http
        .post(format!("{base}/api/v1/auth/password-reset"))
        .json(&json!({ "token": token, "new_password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": "owner@keyward.local", "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    server.kill().unwrap();
    server.wait().unwrap();
}
