//! One HTTP call per command: a command builds a [`Request`], which is sent
//! and its answer printed the same way for every command.

use super::Run;
use super::output::Output;
use keyward_client::{Client, Method, encode_segment};
use serde_json::{Value, json};

/// A command that is one call to the API.
pub trait Endpoint {
    fn request(self) -> Request;
}

impl<T: Endpoint> Run for T {
    async fn run(self, client: &Client, out: Output) -> anyhow::Result<()> {
        self.request().send(client, out).await
    }
}

/// `/api/v1/…` with every segment percent-encoded, so an id or slug from the
/// command line can't add segments or a query.
pub fn api_path(segments: &[&str]) -> String {
    let mut path = String::from("/api/v1");
    for segment in segments {
        path.push('/');
        path.push_str(&encode_segment(segment));
    }
    path
}

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    /// Printed when the server answers without a body (204).
    pub done: Value,
}

impl Request {
    pub fn new(method: Method, segments: &[&str]) -> Self {
        Self {
            method,
            path: api_path(segments),
            body: None,
            done: json!({ "ok": true }),
        }
    }

    /// Sends `body` as JSON; its top-level `null`s (options not given) are
    /// left out.
    pub fn json(mut self, mut body: Value) -> Self {
        if let Value::Object(fields) = &mut body {
            fields.retain(|_, value| !value.is_null());
        }
        self.body = Some(body);
        self
    }

    /// What to print when the server answers 204 No Content.
    pub fn done(mut self, done: Value) -> Self {
        self.done = done;
        self
    }

    /// Sends the request; prints the answer, or returns the API error for
    /// `main` to report.
    pub async fn send(self, client: &Client, out: Output) -> anyhow::Result<()> {
        let response = client.call(self.method, &self.path, self.body).await?;
        match response.body {
            Value::Null => out.print(&self.done),
            body => out.print(&body),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_is_encoded() {
        assert_eq!(
            api_path(&["orgs", "acme", "teams"]),
            "/api/v1/orgs/acme/teams"
        );
        assert_eq!(
            api_path(&["orgs", "a/b", "teams", "../x?y"]),
            "/api/v1/orgs/a%2Fb/teams/..%2Fx%3Fy"
        );
    }

    #[test]
    fn absent_options_are_left_out_of_the_body() {
        let request = Request::new(Method::POST, &["x"]).json(json!({"a": 1, "b": null}));
        assert_eq!(request.body, Some(json!({"a": 1})));
    }
}
