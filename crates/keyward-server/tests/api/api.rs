//! The client the tests talk through: `keyward_client::Client`'s raw calls,
//! which fail the test on any 5xx (no test may cause one), and the paths.

use keyward_client::{Client, Method, RawResponse};
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Api(Client);

impl Api {
    pub fn new(address: &str) -> Self {
        Self(Client::new(address))
    }

    pub fn with_api_key(self, key: &str) -> Self {
        Self(self.0.with_api_key(key))
    }

    pub fn with_header(self, name: &str, value: &str) -> Self {
        Self(self.0.with_header(name, value))
    }

    /// The underlying client, for its typed calls and transport errors.
    pub fn client(&self) -> &Client {
        &self.0
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> RawResponse {
        let response = self
            .0
            .send(method.clone(), path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
        no_server_error(&method, path, response)
    }

    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> RawResponse {
        let response = self
            .0
            .send_bytes(method.clone(), path, content_type, bytes)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
        no_server_error(&method, path, response)
    }

    pub async fn get(&self, path: &str) -> RawResponse {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> RawResponse {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> RawResponse {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> RawResponse {
        self.send(Method::DELETE, path, None).await
    }
}

fn no_server_error(method: &Method, path: &str, response: RawResponse) -> RawResponse {
    assert!(
        response.status < 500,
        "{method} {path} answered {}: {}",
        response.status,
        response.body
    );
    response
}

pub const ORGS: &str = "/api/v1/orgs";

pub fn org_path(org: &str) -> String {
    format!("{ORGS}/{org}")
}

pub fn permissions_path(org: &str) -> String {
    format!("{ORGS}/{org}/permissions")
}

pub fn keys_path(org: &str) -> String {
    format!("{ORGS}/{org}/keys")
}

pub fn key_path(org: &str, id: &str) -> String {
    format!("{ORGS}/{org}/keys/{id}")
}

/// The string at `field` of a JSON object.
pub fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string in {value}"))
}
