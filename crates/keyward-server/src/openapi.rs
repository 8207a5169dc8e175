//! The OpenAPI 3.1 document; every route adds itself through `utoipa-axum`,
//! and [`finish`] completes what the annotations leave implicit.

use crate::error::{Code, ErrorBody};
use serde_json::{Map, Value};
use utoipa::openapi::Ref;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    Type,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa::{PartialSchema, ToSchema};

/// The description of every route's 4XX answer.
pub const REFUSED: &str = "Refused, in the common error body: `code` says why \
                           (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, VALIDATION_FAILED, …) \
                           and `message` what to change";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyward",
        description = "Self-hosted API keys: organizations, keys, scopes, verification. \
                       Send a key (or a session token) in `x-api-key`, \
                       `Authorization: Api-Key …`, `Authorization: Bearer …` or bare in \
                       `Authorization: …`."
    ),
    paths(crate::routes::forward::forward),
    components(schemas(ErrorBody, Code, JsonValue)),
    modifiers(&Security),
    security(("api_key" = []), ("bearer" = []), ("bare_key" = []))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-api-key",
                "A key (or a session token) in the `x-api-key` header",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A key or a session token as `Authorization: Bearer <key>`; \
                         `Authorization: Api-Key <key>` is taken alike",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "bare_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "A key alone in `Authorization`, with no scheme: `Authorization: <key>`",
            ))),
        );
    }
}

/// What every string of a request may hold: no control character but
/// tab, line feed and carriage return (see `extract`).
pub const FREE_TEXT: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";
/// What a path segment, a query parameter or a one-line field may hold:
/// no control character at all.
pub const ONE_LINE: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";

/// A string schema that exists only in the document: what a request's
/// field must look like, checked by the code that parses it.
macro_rules! string_schema {
    ($(#[$doc:meta])* $name:ident, $description:literal, $pattern:expr, $max:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .pattern(Some($pattern))
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

string_schema!(
    /// A label people give (names of keys, organizations, teams, roles…):
    /// `keyward_core::model::parse_name`.
    Label,
    "One line of 1 to 200 characters, not all white space, without control characters; \
     kept trimmed",
    r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
    200
);
string_schema!(
    /// `keyward_core::PermissionName`.
    PermissionNameSchema,
    "`resource:action`, each 1 to 64 lowercase letters, digits, `_`, `-` or `.`",
    r"^[a-z0-9_.-]{1,64}:[a-z0-9_.-]{1,64}$",
    129
);
string_schema!(
    /// A permission query as `POST /api/v1/keys/verify` takes it.
    PermissionQuerySchema,
    "A permission (`resource:action`), or a query of permissions with AND, OR and \
     parentheses: `a:read AND (b:edit OR b:admin)`",
    r"^[a-z0-9_.-]{1,64}:[a-z0-9_.-]{1,64}( AND [a-z0-9_.-]{1,64}:[a-z0-9_.-]{1,64})*$",
    4096
);

string_schema!(
    /// `keyward_core::Resource`.
    ResourceSchema,
    "`*` (everything), an exact path (`datasets/42`) or a prefix ending in `/*` \
     (`teams/7/*`); segments of letters, digits, `_`, `-`, `.` and `:`",
    r"^(\*|[A-Za-z0-9_.:-]+(/[A-Za-z0-9_.:-]+)*(/\*)?)$",
    200
);

/// An IPv4 or IPv6 address.
pub struct IpAddress;

impl PartialSchema for IpAddress {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Ipv4))),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Ipv6))),
            )
            .description(Some("An IPv4 or IPv6 address"))
            .into()
    }
}

impl ToSchema for IpAddress {}

/// A string a request may hold anywhere (see [`FREE_TEXT`]).
fn free_text() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(FREE_TEXT))
}

/// An object whose names are free text and whose values are [`JsonValue`]s.
fn free_object() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(free_text()))
        .additional_properties(Some(Ref::from_schema_name("JsonValue")))
}

/// Any JSON value a request may carry: its strings and names free text.
pub struct JsonValue;

impl PartialSchema for JsonValue {
    fn schema() -> RefOr<Schema> {
        let any = |t| ObjectBuilder::new().schema_type(t);
        AnyOfBuilder::new()
            .item(any(Type::Null))
            .item(any(Type::Boolean))
            .item(any(Type::Number))
            .item(free_text())
            .item(ArrayBuilder::new().items(Ref::from_schema_name("JsonValue")))
            .item(free_object())
            .description(Some(
                "Any JSON value; strings and names hold no control character but tab, \
                 line feed and carriage return",
            ))
            .into()
    }
}

impl ToSchema for JsonValue {}

/// A key's metadata: free-form JSON kept with it.
pub struct Metadata;

impl PartialSchema for Metadata {
    fn schema() -> RefOr<Schema> {
        free_object()
            .description(Some(
                "Free-form JSON object kept with the key and returned by verification; \
                 at most 4096 bytes as JSON and 8 levels deep",
            ))
            .into()
    }
}

impl ToSchema for Metadata {}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Completes the assembled document with what the annotations leave
/// implicit or can't say:
/// - an operation whose doc comment is one paragraph (its summary) gets
///   that text as its description too;
/// - an operation served for several methods (forward-auth) gets one
///   operation id per method (`forwardAuthGet`, `forwardAuthPost`, …);
/// - the edge checks every request passes ([`crate::extract`]): strings of
///   path segments and query parameters hold no control character,
///   strings in bodies none but tab, line feed and carriage return.
pub fn finish(openapi: &utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(openapi).unwrap_or_default();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        paths.values_mut().for_each(complete_path);
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas
            .values_mut()
            .for_each(|s| restrict_strings(s, FREE_TEXT));
    }
    doc
}

fn complete_path(item: &mut Value) {
    let ids: Vec<Value> = METHODS
        .iter()
        .filter_map(|m| item.get(*m).map(|op| op["operationId"].clone()))
        .collect();
    for method in METHODS {
        let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
            continue;
        };
        let described = op
            .get("description")
            .and_then(Value::as_str)
            .is_some_and(|d| !d.is_empty());
        if !described && let Some(summary) = op.get("summary").cloned() {
            op.insert("description".into(), summary);
        }
        let id = op.get("operationId").cloned().unwrap_or_default();
        if ids.iter().filter(|other| **other == id).count() > 1
            && let Some(id) = id.as_str()
        {
            let mut name = method.to_owned();
            name[..1].make_ascii_uppercase();
            op.insert("operationId".into(), Value::from(format!("{id}{name}")));
        }
        for param in op
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if matches!(param["in"].as_str(), Some("path" | "query"))
                && let Some(schema) = param.get_mut("schema")
            {
                restrict_string(schema, ONE_LINE);
            }
        }
    }
}

/// Whether `schema` is a string (maybe nullable) that says nothing yet of
/// its characters.
fn plain_string(schema: &Map<String, Value>) -> bool {
    let string = match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    string
        && !["format", "enum", "pattern", "const"]
            .iter()
            .any(|k| schema.contains_key(*k))
}

fn restrict_string(schema: &mut Value, pattern: &str) {
    if let Some(schema) = schema.as_object_mut()
        && plain_string(schema)
    {
        schema.insert("pattern".into(), Value::from(pattern));
    }
}

/// Restricts the plain strings of a component schema: its own, its
/// properties', its items' and its alternatives'.
fn restrict_strings(schema: &mut Value, pattern: &str) {
    restrict_string(schema, pattern);
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    for (key, value) in object.iter_mut() {
        match key.as_str() {
            "properties" => value
                .as_object_mut()
                .into_iter()
                .flat_map(|p| p.values_mut())
                .for_each(|p| restrict_strings(p, pattern)),
            "items" | "additionalProperties" => restrict_strings(value, pattern),
            "oneOf" | "anyOf" | "allOf" => value
                .as_array_mut()
                .into_iter()
                .flatten()
                .for_each(|s| restrict_strings(s, pattern)),
            _ => {}
        }
    }
}
