//! `keyward audit …` against the real binary serving on a loopback port:
//! listing and checking an organization's chain and the organization-less
//! one, and a refused query failing the command.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

const ADMIN_KEY: &str = "audit-cli-test-admin-key-0123456789-abcdefghij";

/// `keyward serve` with a fresh data folder; killed on drop.
struct Server {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn serve() -> Server {
    let data = tempfile::tempdir().unwrap();
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["serve", "--listen", &address.to_string(), "--data-dir"])
        .arg(data.path())
        .env("KEYWARD_ADMIN_KEY", ADMIN_KEY)
        .env_remove("KEYWARD_DATABASE_URL")
        .env_remove("KEYWARD_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in stderr.by_ref() {
        if line.unwrap().contains("keyward is listening") {
            break;
        }
    }
    // Keep reading, so the server never blocks on a full pipe.
    std::thread::spawn(move || stderr.for_each(drop));
    Server {
        child,
        url: format!("http://{address}"),
        _data: data,
    }
}

fn keyward(server: &Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .args(["--url", &server.url])
        .env("KEYWARD_API_KEY", ADMIN_KEY)
        .output()
        .unwrap()
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

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
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("VALIDATION_FAILED"), "{said}");
    let unknown = keyward(&server, &["audit", "verify", "--org", "nowhere"]);
    assert!(!unknown.status.success());
}
