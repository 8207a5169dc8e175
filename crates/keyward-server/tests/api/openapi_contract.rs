//! The OpenAPI document as a contract other tools can hold keyward to:
//! unique operation ids, parameters where the path says, a description on
//! every operation and answer, a typed schema for every body, and the
//! credentials each operation takes.

use crate::assertions::assert_status;
use crate::backend::Backend;
use crate::helpers::spawn_app;
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Operations that take no credential.
const OPEN: &[&str] = &[
    "healthz",
    "readyz",
    "login",
    "acceptInvitation",
    "resetPassword",
    "reportGithubLeaks",
    "reportLeak",
    "revokeLeakedKey",
];

/// `schema`, its `$ref` followed into the components.
fn resolve<'d>(doc: &'d Value, schema: &'d Value) -> &'d Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// Whether `schema` says nothing but "an object" (or holds such items).
fn bare_object(doc: &Value, schema: &Value) -> bool {
    let schema = resolve(doc, schema);
    let typed = |t: &str| match &schema["type"] {
        Value::String(s) => s == t,
        Value::Array(types) => types.iter().any(|x| x == t),
        _ => false,
    };
    if typed("array") {
        return bare_object(doc, &schema["items"]);
    }
    let shaped = [
        "properties",
        "allOf",
        "oneOf",
        "anyOf",
        "additionalProperties",
    ]
    .iter()
    .any(|k| schema.get(*k).is_some());
    (typed("object") || schema.as_object().is_some_and(|o| o.is_empty())) && !shaped
}

fn described(value: &Value) -> bool {
    value["description"]
        .as_str()
        .is_some_and(|d| !d.trim().is_empty())
}

/// The `{parameters}` of a path template.
fn template_params(path: &str) -> BTreeSet<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

pub async fn openapi_document_is_a_contract(backend: Backend) {
    let app = spawn_app(&backend).await;
    let response = app.anonymous().get("/api/openapi.json").await;
    assert_status(&response, 200);
    let doc = &response.body;
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    for scheme in ["api_key", "bearer", "bare_key"] {
        assert!(schemes.contains_key(scheme), "no {scheme} security scheme");
    }
    assert_eq!(schemes["bare_key"]["name"], "Authorization");
    // Two types of one name would share a component, the last one winning:
    // the label people give names and the leak report's verdict are apart.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Label"]["type"], "string");
    assert!(
        schemas["Label"]["pattern"].is_string(),
        "{}",
        schemas["Label"]
    );
    assert!(
        schemas["LeakLabel"]["enum"].is_array(),
        "{}",
        schemas["LeakLabel"]
    );

    let mut ids = BTreeSet::new();
    let mut failures = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let label = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap_or_default();
            if id.is_empty() || !ids.insert(id.to_owned()) {
                failures.push(format!(
                    "{label}: operationId {id:?} is missing or not unique"
                ));
            }
            if !described(op) {
                failures.push(format!("{label}: no description"));
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let declared: BTreeSet<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            if declared != template_params(path) {
                failures.push(format!(
                    "{label}: path parameters {declared:?} don't match the template"
                ));
            }
            let Some(security) = op["security"].as_array() else {
                failures.push(format!("{label}: no security of its own"));
                continue;
            };
            let open = security
                .iter()
                .any(|s| s.as_object().is_some_and(|o| o.is_empty()));
            let id_open = OPEN.iter().any(|o| id.starts_with(o));
            if open != id_open && id != "metrics" {
                failures.push(format!("{label}: takes a credential: {}", !open));
            }
            if let Some(body) = op["requestBody"]["content"]["application/json"].get("schema")
                && bare_object(doc, body)
            {
                failures.push(format!("{label}: the request body is a bare object"));
            }
            for (status, answer) in op["responses"].as_object().unwrap() {
                if !described(answer) {
                    failures.push(format!("{label} {status}: no description"));
                }
                for (media, content) in answer["content"].as_object().into_iter().flatten() {
                    if content.get("schema").is_none_or(|s| bare_object(doc, s)) {
                        failures.push(format!("{label} {status} {media}: a bare object"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for id in [
        "listKeys",
        "createKey",
        "getKey",
        "updateKey",
        "rollKey",
        "revokeKey",
    ] {
        assert!(ids.contains(id), "no {id}");
    }
    for id in ["verifyKey", "listOrgs", "forwardAuthGet", "forwardAuthPost"] {
        assert!(ids.contains(id), "no {id}");
    }
    let list_keys = &doc["paths"]["/api/v1/orgs/{org}/keys"]["get"]["parameters"];
    for name in ["limit", "cursor"] {
        let param = list_keys
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap();
        assert_eq!(param["in"], "query", "{param}");
    }
}
