//! Bounded request fields, checked while a JSON body is deserialized
//! (`#[serde(deserialize_with = "crate::bounds::...")]`), so a list past its
//! bound is refused before it is built and before it reaches a handler or
//! the store. The error names the field and the bound, and `ApiJson` answers
//! it with 422 `VALIDATION_FAILED`. The numbers are `keyward_core::limits`.

use keyward_core::limits::{
    GROUP_LIST_MAX, KEY_PERMISSIONS_MAX, METADATA_MAX_BYTES, METADATA_MAX_DEPTH, ROLE_GRANTS_MAX,
};
use serde::de::{Deserialize, Deserializer, Error, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::marker::PhantomData;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

struct Bounded<T> {
    max: usize,
    item: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Bounded<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of at most {} entries", self.max)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            if items.len() == self.max {
                return Err(A::Error::custom(format!(
                    "at most {} entries are allowed",
                    self.max
                )));
            }
            items.push(item);
        }
        Ok(items)
    }
}

fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    max: usize,
) -> Result<Vec<T>, D::Error> {
    d.deserialize_seq(Bounded {
        max,
        item: PhantomData,
    })
}

/// `null` or a bounded list; pair with `#[serde(default)]` for "absent".
fn optional_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    max: usize,
) -> Result<Option<Vec<T>>, D::Error> {
    struct Optional<T>(Bounded<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Optional<T> {
        type Value = Option<Vec<T>>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            self.0.expecting(f)?;
            f.write_str(" or null")
        }

        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self.0).map(Some)
        }
    }

    d.deserialize_option(Optional(Bounded {
        max,
        item: PhantomData,
    }))
}

/// A key's permission list, at most [`KEY_PERMISSIONS_MAX`].
pub fn key_permissions<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    list(d, KEY_PERMISSIONS_MAX)
}

/// A key's optional permission list, at most [`KEY_PERMISSIONS_MAX`].
pub fn optional_key_permissions<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    optional_list(d, KEY_PERMISSIONS_MAX)
}

/// A key's new permission list in a change: absent (`None`, with
/// `#[serde(default)]`), `null` (`Some(None)`) or a list of at most
/// [`KEY_PERMISSIONS_MAX`].
pub fn changed_key_permissions<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<Vec<T>>>, D::Error> {
    optional_list(d, KEY_PERMISSIONS_MAX).map(Some)
}

/// A role's grants, at most [`ROLE_GRANTS_MAX`].
pub fn role_grants<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    list(d, ROLE_GRANTS_MAX)
}

/// A role's optional new grants, at most [`ROLE_GRANTS_MAX`].
pub fn optional_role_grants<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    optional_list(d, ROLE_GRANTS_MAX)
}

/// A group's roles or members, at most [`GROUP_LIST_MAX`].
pub fn group_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    list(d, GROUP_LIST_MAX)
}

/// A key's optional metadata, within [`check_metadata`]'s bounds.
pub fn metadata<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
    let map = Option::<Map<String, Value>>::deserialize(d)?;
    if let Some(map) = &map {
        check_metadata(map).map_err(D::Error::custom)?;
    }
    Ok(map)
}

/// At most [`METADATA_MAX_BYTES`] as JSON and [`METADATA_MAX_DEPTH`] deep.
pub fn check_metadata(map: &Map<String, Value>) -> Result<(), String> {
    let size = serde_json::to_vec(map).map_or(usize::MAX, |json| json.len());
    if size > METADATA_MAX_BYTES {
        return Err(format!(
            "metadata is {size} bytes as JSON; at most {METADATA_MAX_BYTES} are allowed"
        ));
    }
    if depth(map) > METADATA_MAX_DEPTH {
        return Err(format!(
            "metadata nests deeper than {METADATA_MAX_DEPTH} levels"
        ));
    }
    Ok(())
}

/// Levels of objects and arrays, the top object being 1; walked with a
/// stack of its own rather than recursion.
fn depth(map: &Map<String, Value>) -> usize {
    let mut deepest = 1;
    let mut pending: Vec<(&Value, usize)> = map.values().map(|v| (v, 2)).collect();
    while let Some((value, level)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Object(inner) => Box::new(inner.values()),
            Value::Array(items) => Box::new(items.iter()),
            _ => continue,
        };
        deepest = deepest.max(level);
        pending.extend(children.map(|v| (v, level + 1)));
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "optional_key_permissions")]
        permissions: Option<Vec<Value>>,
        #[serde(default, deserialize_with = "metadata")]
        metadata: Option<Map<String, Value>>,
    }

    fn parse(v: Value) -> Result<Body, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn lists_stop_at_their_bound() {
        let full: Vec<Value> = (0..KEY_PERMISSIONS_MAX).map(|n| json!(n)).collect();
        assert_eq!(
            parse(json!({ "permissions": full }))
                .unwrap()
                .permissions
                .unwrap()
                .len(),
            KEY_PERMISSIONS_MAX
        );
        let over: Vec<Value> = (0..=KEY_PERMISSIONS_MAX).map(|n| json!(n)).collect();
        let e = parse(json!({ "permissions": over })).unwrap_err();
        assert!(e.to_string().contains("at most 256 entries"), "{e}");
        assert!(
            parse(json!({ "permissions": null }))
                .unwrap()
                .permissions
                .is_none()
        );
        assert!(parse(json!({})).unwrap().permissions.is_none());
    }

    #[test]
    fn metadata_is_bounded_in_size_and_depth() {
        let mut deep = json!("leaf");
        for _ in 0..METADATA_MAX_DEPTH {
            deep = json!({ "d": deep });
        }
        assert!(parse(json!({ "metadata": { "d": deep } })).is_err());
        let Value::Object(inner) = deep else {
            panic!("an object");
        };
        assert!(
            parse(json!({ "metadata": inner }))
                .unwrap()
                .metadata
                .is_some()
        );
        let big = "x".repeat(METADATA_MAX_BYTES);
        let e = parse(json!({ "metadata": { "note": big } })).unwrap_err();
        assert!(e.to_string().contains("at most 4096"), "{e}");
    }
}
