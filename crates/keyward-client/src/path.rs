//! Building request paths from caller-supplied values.

use std::fmt::Write;

/// Percent-encodes everything but RFC 3986's unreserved characters, so an
/// org slug or key id can't add path segments or a query.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String can't fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

pub(crate) fn orgs() -> String {
    "/api/v1/orgs".to_owned()
}

pub(crate) fn org(org: &str) -> String {
    format!("/api/v1/orgs/{}", encode(org))
}

pub(crate) fn permissions(org_ref: &str) -> String {
    format!("{}/permissions", org(org_ref))
}

pub(crate) fn keys(org_ref: &str) -> String {
    format!("{}/keys", org(org_ref))
}

pub(crate) fn key(org_ref: &str, id: &str) -> String {
    format!("{}/keys/{}", org(org_ref), encode(id))
}

pub(crate) fn key_roll(org_ref: &str, id: &str) -> String {
    format!("{}/roll", key(org_ref, id))
}

pub(crate) fn verify() -> String {
    "/api/v1/keys/verify".to_owned()
}

pub(crate) fn key_page(org_ref: &str, limit: Option<u32>, cursor: Option<&str>) -> String {
    let limit = limit.map(|l| l.to_string());
    with_query(
        keys(org_ref),
        &[("limit", limit.as_deref()), ("cursor", cursor)],
    )
}

/// An organization's audit log (`None`: the organization-less chain),
/// followed by `rest` (`""`, `/export`, `/verify`).
pub(crate) fn audit(org_ref: Option<&str>, rest: &str) -> String {
    match org_ref {
        Some(org_ref) => format!("{}/audit{rest}", org(org_ref)),
        None => format!("/api/v1/audit{rest}"),
    }
}

/// `path` with the given parameters as its query, each value encoded.
pub(crate) fn with_query(path: String, params: &[(&str, Option<&str>)]) -> String {
    let given: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={}", encode(v))))
        .collect();
    if given.is_empty() {
        path
    } else {
        format!("{path}?{}", given.join("&"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_pass_through() {
        assert_eq!(encode("acme-data_1.x~"), "acme-data_1.x~");
    }

    #[test]
    fn separators_and_unicode_are_encoded() {
        assert_eq!(encode("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode("a+b=c&d"), "a%2Bb%3Dc%26d");
    }

    #[test]
    fn key_paths_encode_every_inserted_segment() {
        assert_eq!(key("acme", "0192-ab"), "/api/v1/orgs/acme/keys/0192-ab");
        assert_eq!(key("a/b", "../x"), "/api/v1/orgs/a%2Fb/keys/..%2Fx");
        assert_eq!(permissions("acme"), "/api/v1/orgs/acme/permissions");
        assert_eq!(key_roll("a/b", "k1"), "/api/v1/orgs/a%2Fb/keys/k1/roll");
    }

    #[test]
    fn audit_paths_name_the_chain() {
        assert_eq!(audit(Some("acme"), ""), "/api/v1/orgs/acme/audit");
        assert_eq!(
            audit(Some("a/b"), "/verify"),
            "/api/v1/orgs/a%2Fb/audit/verify"
        );
        assert_eq!(audit(None, "/export"), "/api/v1/audit/export");
        assert_eq!(
            with_query(
                audit(None, ""),
                &[("action", Some("key.*")), ("limit", None)]
            ),
            "/api/v1/audit?action=key.%2A"
        );
    }

    #[test]
    fn key_page_adds_only_the_given_parameters() {
        assert_eq!(key_page("acme", None, None), "/api/v1/orgs/acme/keys");
        assert_eq!(
            key_page("acme", Some(10), None),
            "/api/v1/orgs/acme/keys?limit=10"
        );
        assert_eq!(
            key_page("acme", Some(5), Some("c+/=")),
            "/api/v1/orgs/acme/keys?limit=5&cursor=c%2B%2F%3D"
        );
        assert_eq!(
            key_page("acme", None, Some("abc")),
            "/api/v1/orgs/acme/keys?cursor=abc"
        );
    }
}
