//! The router's operations, read from `/api/openapi.json`, for tests that
//! must cover every route (so a new route can't be added uncovered): each
//! operation with a plausible JSON body built from its request schema, and
//! its `{parameters}` filled in from a table of real ids.

use crate::api::text;
use crate::assertions::assert_status;
use crate::helpers::TestApp;
use keyward_client::Method;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    /// The documented path, `{parameters}` included.
    pub path: String,
    pub tags: Vec<String>,
    /// A plausible body, for operations that take one.
    pub body: Option<Value>,
}

impl Operation {
    pub fn is_write(&self) -> bool {
        self.method != Method::GET && self.method != Method::HEAD
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// `METHOD /path`, for messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Every documented operation.
pub async fn operations(app: &TestApp) -> Vec<Operation> {
    let doc = app.anonymous().get("/api/openapi.json").await;
    assert_status(&doc, 200);
    let doc = doc.body;
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let body = op["requestBody"]["content"]["application/json"]
                .get("schema")
                .map(|schema| plausible(&doc, schema, 0));
            let tags = op["tags"]
                .as_array()
                .map(|tags| {
                    tags.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            found.push(Operation {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method"),
                path: path.clone(),
                tags,
                body,
            });
        }
    }
    found
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The first type of `type: "x"` or `type: ["x", "null"]`.
fn first_type(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(t) => Some(t.as_str()),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// A value the schema accepts: its example, else one of its type, with
/// every required property of objects.
fn plausible(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    if depth > 8 {
        return json!({});
    }
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[combinator].as_array()
            && let Some(option) = options
                .iter()
                .find(|o| first_type(resolve(doc, o)) != Some("null") || o.get("$ref").is_some())
        {
            return plausible(doc, option, depth + 1);
        }
    }
    match first_type(schema) {
        Some("string") => match schema["format"].as_str() {
            Some("uuid") => json!(Uuid::now_v7()),
            Some("date-time") => json!("2999-01-01T00:00:00Z"),
            _ => json!("plausible"),
        },
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(false),
        Some("array") => json!([]),
        _ => {
            let mut object = Map::new();
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            for name in required.iter().filter_map(Value::as_str) {
                let property = &schema["properties"][name];
                object.insert(name.to_owned(), plausible(doc, property, depth + 1));
            }
            Value::Object(object)
        }
    }
}

/// Real ids of an organization's objects, by the path segment that
/// precedes a `{parameter}`: `keys/{id}` → a key, `teams/{team}` → a team,
/// `members/{user}` → a member, `members/{type}/{id}` → `user` and a member.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    pub org: String,
    pub by_collection: BTreeMap<&'static str, String>,
}

impl Ids {
    /// Only the organization: every other parameter is a random UUID.
    pub fn random(org: &str) -> Self {
        Self {
            org: org.to_owned(),
            by_collection: BTreeMap::new(),
        }
    }

    pub fn with(mut self, collection: &'static str, id: &str) -> Self {
        self.by_collection.insert(collection, id.to_owned());
        self
    }

    /// The documented path with every parameter filled in.
    pub fn fill(&self, path: &str) -> String {
        let mut previous = "";
        let mut filled = Vec::new();
        for segment in path.split('/') {
            let value = if segment == "{org}" {
                self.org.clone()
            } else if segment == "{type}" {
                "user".to_owned()
            } else if segment.starts_with('{') {
                let collection = if previous == "{type}" {
                    "members"
                } else {
                    previous
                };
                self.by_collection
                    .get(collection)
                    .cloned()
                    .unwrap_or_else(|| Uuid::now_v7().to_string())
            } else {
                segment.to_owned()
            };
            previous = segment;
            filled.push(value);
        }
        filled.join("/")
    }
}

/// The JSON `id` of a 201 body.
pub fn id_of(body: &Value) -> String {
    text(body, "id").to_owned()
}
