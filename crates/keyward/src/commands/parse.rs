//! Value parsers shared by several commands.

use serde_json::{Value, json};

/// `3` → a catalog id, `keys:read` → a name, `name@resource` → a grant.
pub fn parse_permission(raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    if let Some((name, resource)) = raw.split_once('@') {
        if name.is_empty() || resource.is_empty() {
            return Err(format!(
                "{raw:?}: expected PERMISSION@RESOURCE, e.g. datasets:edit@datasets/42"
            ));
        }
        return Ok(json!({ "permission": name, "resource": resource }));
    }
    if raw.is_empty() {
        return Err("a permission can't be empty".to_owned());
    }
    Ok(match raw.parse::<i64>() {
        Ok(id) => json!(id),
        Err(_) => json!(raw),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn permissions_by_id_name_or_grant() {
        assert_eq!(parse_permission("3").unwrap(), json!(3));
        assert_eq!(parse_permission("keys:read").unwrap(), json!("keys:read"));
        assert_eq!(
            parse_permission("datasets:edit@teams/7/*").unwrap(),
            json!({"permission": "datasets:edit", "resource": "teams/7/*"})
        );
        assert!(parse_permission("@datasets/1").is_err());
        assert!(parse_permission("datasets:edit@").is_err());
        assert!(parse_permission("").is_err());
    }
}
