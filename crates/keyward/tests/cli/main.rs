//! The real `keyward` binary as a client of the real binary serving on a
//! loopback port with a fresh SQLite store (the CLI speaks HTTP only, so
//! the store behind the server is the API tests' business): the commands'
//! requests, answers, output formats and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod healthcheck;
mod keys;
mod output;
mod permissions;
mod roll;
mod webhooks;

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

const ADMIN_KEY: &str = "cli-test-admin-key-0123456789-abcdefghijklmn";

/// `keyward serve` with a fresh data folder; killed on drop.
pub struct Server {
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

pub fn serve() -> Server {
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

/// `keyward ARGS --url …` with the admin key, its stdout a pipe.
pub fn command(server: &Server, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward"));
    command
        .args(args)
        .args(["--url", &server.url])
        .env("KEYWARD_API_KEY", ADMIN_KEY)
        .env_remove("KEYWARD_OUTPUT");
    command
}

pub fn keyward(server: &Server, args: &[&str]) -> Output {
    command(server, args).output().unwrap()
}

/// Runs the command with `input` on its stdin.
pub fn keyward_with_stdin(server: &Server, args: &[&str], input: &str) -> Output {
    let mut child = command(server, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The JSON a successful command printed.
pub fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The organization `acme`, with the platform permissions `datasets:read`
/// (read-only) and `datasets:edit`.
pub fn acme(server: &Server) {
    json(&keyward(
        server,
        &["orgs", "create", "Acme", "--slug", "acme"],
    ));
    for args in [
        &[
            "permissions",
            "create",
            "--org",
            "acme",
            "datasets:read",
            "--read-only",
        ][..],
        &["permissions", "create", "--org", "acme", "datasets:edit"][..],
    ] {
        json(&keyward(server, args));
    }
}

/// Creates a key in `acme` with `extra` flags; its JSON answer.
pub fn create_key(server: &Server, name: &str, extra: &[&str]) -> Value {
    let mut args = vec!["keys", "create", "--org", "acme", "--name", name];
    args.extend_from_slice(extra);
    json(&keyward(server, &args))
}

/// `keyward keys verify -` with `secret` on stdin: the exit code and answer.
pub fn verify(server: &Server, secret: &str) -> (i32, Value) {
    let output = keyward_with_stdin(server, &["keys", "verify", "-"], &format!("{secret}\n"));
    let answer = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    (output.status.code().unwrap(), answer)
}
