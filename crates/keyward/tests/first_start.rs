//! The real binary's first start with JSON logs: the one-time secrets
//! reach stderr as one JSON object, and no log line carries them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn json_logs_show_the_one_time_secrets_as_one_object() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["serve", "--log-format", "json", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data.path())
        .env_remove("KEYWARD_ADMIN_KEY")
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let listening = line.contains("keyward is listening");
        lines.push(line);
        if listening || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let values: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect();
    let shown: Vec<_> = values
        .iter()
        .filter_map(|v| v.get("one_time_secrets"))
        .collect();
    assert_eq!(shown.len(), 1, "{lines:#?}");
    let admin_key = shown[0]["admin_key"].as_str().unwrap();
    let password = shown[0]["owner"]["password"].as_str().unwrap();
    assert!(admin_key.starts_with("kwadmin_"));
    assert_eq!(shown[0]["owner"]["email"], "owner@keyward.local");
    let logs: Vec<_> = lines
        .iter()
        .filter(|line| !line.contains("one_time_secrets"))
        .collect();
    assert!(
        logs.iter()
            .any(|line| line.contains("keyward is listening"))
    );
    for line in logs {
        assert!(
            !line.contains(admin_key) && !line.contains(password),
            "{line}"
        );
    }
}
