//! `keyward healthcheck`, as a container engine runs it: 0 when the server
//! is ready, 1 when it answers otherwise or not at all (never 2, which
//! engines reserve), 2 only for a command line that makes no sense.

use crate::{serve, stderr, stdout};
use std::process::{Command, Output};

fn healthcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyward"))
        .arg("healthcheck")
        .args(args)
        .env_remove("KEYWARD_URL")
        .output()
        .unwrap()
}

#[test]
fn a_ready_server_passes_and_anything_else_is_unhealthy() {
    let server = serve();
    let ready = healthcheck(&["--url", &server.url]);
    assert_eq!(ready.status.code(), Some(0), "{}", stderr(&ready));
    assert_eq!(stdout(&ready).trim(), format!("{}/readyz: 200", server.url));

    let live = healthcheck(&["--url", &server.url, "--live"]);
    assert_eq!(live.status.code(), Some(0), "{}", stderr(&live));
    assert!(stdout(&live).contains("/healthz: 200"), "{}", stdout(&live));

    // An address that answers, but not 200.
    let elsewhere = format!("{}/nowhere", server.url);
    let not_found = healthcheck(&["--url", &elsewhere]);
    assert_eq!(not_found.status.code(), Some(1));
    assert!(
        stderr(&not_found).contains("/nowhere/readyz: 404"),
        "{}",
        stderr(&not_found)
    );

    drop(server);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = healthcheck(&["--url", &format!("http://{closed}"), "--timeout", "2"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).starts_with("error: http://"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn a_timeout_out_of_range_is_a_usage_error() {
    for timeout in ["0", "301", "soon"] {
        let output = healthcheck(&["--timeout", timeout]);
        assert_eq!(output.status.code(), Some(2), "--timeout {timeout}");
    }
}
