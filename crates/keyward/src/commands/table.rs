//! A JSON answer as an aligned plain-text table: a listing is one row per
//! item under upper-case headers, a single record is one `field  value`
//! line per field. Nested values are summed up on one line (a grant as
//! `name@resource`, an owner or actor as `type name`), and control
//! characters are shown escaped, so a value can neither break a row nor
//! drive the terminal.

use serde_json::{Map, Value};

/// Columns shown first when a listing doesn't choose its own; the rest
/// follow in alphabetical order.
const LEADING: [&str; 2] = ["id", "name"];

/// Renders `value`; `columns` chooses and orders a listing's columns or a
/// record's fields (all of them when `None`).
pub fn render(value: &Value, columns: Option<&[&str]>) -> String {
    match value {
        Value::Array(items) => list(items, columns),
        Value::Object(fields) => match fields.get("items") {
            Some(Value::Array(items)) => {
                let mut text = list(items, columns);
                if let Some(cursor) = fields.get("next_cursor").and_then(Value::as_str) {
                    text.push_str(&format!("\nnext cursor: {}", clean(cursor)));
                }
                text
            }
            _ => record(fields, columns),
        },
        other => cell(other),
    }
}

fn list(items: &[Value], columns: Option<&[&str]>) -> String {
    if items.is_empty() {
        return "(none)".to_owned();
    }
    let names = match columns {
        Some(columns) => columns.iter().map(|c| (*c).to_owned()).collect(),
        None => all_fields(items),
    };
    if names.is_empty() {
        let rows: Vec<Vec<String>> = items.iter().map(|item| vec![cell(item)]).collect();
        return align(&rows);
    }
    let header = names.iter().map(|name| name.to_uppercase()).collect();
    let rows = items.iter().map(|item| {
        names
            .iter()
            .map(|name| item.get(name).map_or_else(|| "-".to_owned(), cell))
            .collect()
    });
    align(&std::iter::once(header).chain(rows).collect::<Vec<_>>())
}

fn record(fields: &Map<String, Value>, columns: Option<&[&str]>) -> String {
    let names: Vec<&str> = match columns {
        Some(columns) => columns.to_vec(),
        None => ordered(fields.keys().map(String::as_str)),
    };
    let rows: Vec<Vec<String>> = names
        .into_iter()
        .filter_map(|name| Some(vec![name.to_owned(), cell(fields.get(name)?)]))
        .collect();
    align(&rows)
}

/// Every field of the listing's objects, [`LEADING`] first.
fn all_fields(items: &[Value]) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        if let Value::Object(fields) = item {
            seen.extend(fields.keys().map(String::as_str));
        }
    }
    ordered(seen.into_iter())
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn ordered<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let (mut leading, rest): (Vec<&str>, Vec<&str>) =
        names.partition(|name| LEADING.contains(name));
    leading.sort_by_key(|name| LEADING.iter().position(|l| l == name));
    leading.extend(rest);
    leading
}

/// Pads every column but the last to its widest cell, two spaces apart.
/// Widths count characters, which lines up every script but the few whose
/// characters take two cells on a terminal.
fn align(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, text) in row.iter().enumerate() {
            let width = text.chars().count();
            match widths.get_mut(i) {
                Some(max) => *max = (*max).max(width),
                None => widths.push(width),
            }
        }
    }
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let mut line = String::new();
            for (text, width) in row.iter().zip(&widths) {
                line.push_str(text);
                let pad = width.saturating_sub(text.chars().count()) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
            line.trim_end().to_owned()
        })
        .collect();
    lines.join("\n")
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) => clean(text),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(items) if items.is_empty() => "-".to_owned(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(fields) if fields.is_empty() => "-".to_owned(),
        Value::Object(fields) => summary(fields).unwrap_or_else(|| clean(&value.to_string())),
    }
}

/// A grant as `name@resource` (`@*` left out); a party (owner, actor,
/// target) as `type name`, or `type id` without a name.
fn summary(fields: &Map<String, Value>) -> Option<String> {
    let text = |name: &str| fields.get(name).and_then(Value::as_str).map(clean);
    if let Some(kind) = text("type") {
        let label = text("name").or_else(|| text("id"))?;
        return Some(format!("{kind} {label}"));
    }
    let name = text("name").or_else(|| text("permission"))?;
    Some(match text("resource") {
        Some(resource) if resource != "*" => format!("{name}@{resource}"),
        _ => name,
    })
}

fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listings_have_a_header_and_aligned_columns() {
        let page = json!({
            "items": [
                {"id": "k1", "name": "ci", "enabled": true, "permissions": []},
                {"id": "k22", "name": "deploy bot", "enabled": false,
                 "permissions": [{"id": 1, "name": "keys:read", "resource": "*"},
                                 {"id": 2, "name": "datasets:edit", "resource": "datasets/42"}]}
            ],
            "next_cursor": "k22"
        });
        let text = render(&page, Some(&["id", "name", "enabled", "permissions"]));
        assert_eq!(
            text,
            "ID   NAME        ENABLED  PERMISSIONS\n\
             k1   ci          true     -\n\
             k22  deploy bot  false    keys:read, datasets:edit@datasets/42\n\
             next cursor: k22"
        );
    }

    #[test]
    fn without_chosen_columns_id_and_name_come_first() {
        let rows = json!([{"read_only": false, "name": "a:read", "id": 3, "description": ""}]);
        let text = render(&rows, None);
        assert!(
            text.starts_with("ID  NAME    DESCRIPTION  READ_ONLY\n"),
            "{text}"
        );
        assert_eq!(render(&json!([]), None), "(none)");
    }

    #[test]
    fn a_record_is_one_line_per_field() {
        let record = json!({"valid": false, "code": "EXPIRED", "owner": {"type": "team", "id": "t1"},
                            "metadata": {}});
        assert_eq!(
            render(&record, None),
            "code      EXPIRED\nmetadata  -\nowner     team t1\nvalid     false"
        );
        let chosen = render(&record, Some(&["valid", "absent", "code"]));
        assert_eq!(chosen, "valid  false\ncode   EXPIRED");
    }

    #[test]
    fn control_characters_are_escaped() {
        let rows = json!([{"name": "evil\u{1b}[2J\nrow"}]);
        let text = render(&rows, None);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("evil\\u{1b}[2J\\nrow"), "{text}");
    }

    #[test]
    fn other_objects_are_compact_json() {
        let record = json!({"metadata": {"env": "prod"}});
        assert_eq!(render(&record, None), r#"metadata  {"env":"prod"}"#);
    }
}
