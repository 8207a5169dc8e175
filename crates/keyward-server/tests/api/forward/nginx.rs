//! Behind a real nginx: `examples/nginx/keyward.conf` protects a small
//! upstream through `auth_request`, and the client speaks only to nginx.

use super::{Fixture, example};
use axum::Json;
use axum::http::{HeaderMap, Method, Uri};
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// nginx, stopped when dropped.
struct Nginx {
    child: Child,
    address: SocketAddr,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> Option<String> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .map(str::to_owned);
    if found.is_none() && std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "nginx is not installed but CI=true: the forward-auth test must run (apt-get install nginx-light)"
        );
    }
    found
}

fn free_port() -> SocketAddr {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The upstream echoes the method, the path and keyward's identity headers.
async fn start_upstream() -> SocketAddr {
    async fn echo(method: Method, uri: Uri, headers: HeaderMap) -> Json<Value> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Json(json!({
            "method": method.as_str(),
            "path": uri.path(),
            "key_id": header("x-keyward-key-id"),
            "org": header("x-keyward-org"),
            "principal": header("x-keyward-principal"),
            "scope": header("x-keyward-scope"),
        }))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(echo)).await });
    address
}

async fn start_nginx(binary: &str, dir: &Path, keyward: &str, upstream: SocketAddr) -> Nginx {
    let address = free_port();
    let site = std::fs::read_to_string(example("nginx/keyward.conf"))
        .unwrap()
        .replace("127.0.0.1:8000", &address.to_string())
        .replace("127.0.0.1:9000", &upstream.to_string())
        .replace("127.0.0.1:8080", keyward.trim_start_matches("http://"));
    std::fs::write(dir.join("keyward.conf"), site).unwrap();
    let d = dir.display();
    let main = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         include {d}/keyward.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let child = Command::new(binary)
        .args([
            "-p",
            &d.to_string(),
            "-e",
            &format!("{d}/error.log"),
            "-c",
            &format!("{d}/nginx.conf"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let nginx = Nginx { child, address };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return nginx;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    panic!("nginx did not start listening on {address}:\n{log}");
}

#[tokio::test]
async fn nginx_auth_request_guards_the_upstream() {
    let Some(binary) = nginx_binary() else {
        eprintln!("skipped: nginx is not installed");
        return;
    };
    let f = Fixture::new().await;
    let upstream = start_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let nginx = start_nginx(&binary, dir.path(), &f.app.address, upstream).await;
    let url = format!("http://{}/api/dataproducts/42", nginx.address);
    let http = reqwest::Client::new();

    // A valid key reaches the upstream, which learns who called.
    let full = Fixture::secret(&f.full);
    let reached = http
        .get(&url)
        .header("x-api-key", full)
        .send()
        .await
        .unwrap();
    assert_eq!(reached.status(), 200);
    let echoed: Value = reached.json().await.unwrap();
    assert_eq!(echoed["path"], "/api/dataproducts/42");
    assert_eq!(echoed["key_id"], f.full["id"]);
    assert_eq!(echoed["org"], f.full["organization_id"]);
    assert_eq!(echoed["scope"], "organization");
    assert!(
        echoed["principal"]
            .as_str()
            .unwrap()
            .starts_with("organization:")
    );

    // A read-only key reads but can't write.
    let ro = Fixture::secret(&f.read_only);
    let read = http
        .get(&url)
        .header("Authorization", format!("Api-Key {ro}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let write = http
        .post(&url)
        .header("x-api-key", ro)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403);

    // No key, then a revoked key: 401.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    f.revoke(&f.full).await;
    let revoked = http
        .get(&url)
        .header("x-api-key", full)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    drop(nginx);
}
