//! A PostgreSQL server of the test's own, in a temporary directory on a free
//! port, that the test stops and starts. Run as the `postgres` user (the
//! tests run as root, which PostgreSQL refuses).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

pub struct PgServer {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
}

/// How `pg_ctl stop` ends the server's sessions.
#[derive(Clone, Copy)]
pub enum Stop {
    /// Sessions are told the server is shutting down.
    Fast,
    /// The server dies at once, as in a crash.
    Immediate,
}

impl PgServer {
    /// A new cluster, started; `None` where PostgreSQL's programs are missing.
    pub fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
            .find(|bin| bin.join("initdb").exists());
        if bin.is_none() && std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!("PostgreSQL's programs are not installed but CI=true: the outage test must run");
        }
        let bin = bin?;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let server = Self { bin, dir, port };
        run(Command::new("chown")
            .args(["-R", "postgres"])
            .arg(server.dir.path()));
        server.pg(&server.bin.join("initdb"), |c| {
            c.args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
                .arg(server.data())
        });
        server.resume();
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg(&self, program: &Path, args: impl FnOnce(&mut Command) -> &mut Command) {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        run(args(&mut command));
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server again, on the same port and data.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        self.pg(&self.bin.join("pg_ctl"), |c| {
            c.arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(log)
                .args(["-o", &options, "-w", "start"])
        });
    }

    pub fn stop(&self, mode: Stop) {
        let mode = match mode {
            Stop::Fast => "fast",
            Stop::Immediate => "immediate",
        };
        self.pg(&self.bin.join("pg_ctl"), |c| {
            c.arg("-D")
                .arg(self.data())
                .args(["-m", mode, "-w", "stop"])
        });
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a PostgreSQL program");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
