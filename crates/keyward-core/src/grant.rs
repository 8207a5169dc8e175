//! Resources, grants and their evaluation: what a principal or a key may do.

use crate::permission::PermissionName;
use serde::{Deserialize, Serialize};
use std::fmt;

const RESOURCE_MAX: usize = 200;

/// A resource pattern: `*` (everything), an exact path (`datasets/42`), or a
/// prefix with a trailing `/*` (`teams/7/*`, everything below `teams/7`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    Any,
    Exact(String),
    /// The stem, without the trailing `/*`.
    Below(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "resource {0:?} must be `*`, a path of segments such as `datasets/42`, \
     or a path ending in `/*`; segments hold letters, digits, `_`, `-`, `.` or `:`"
)]
pub struct BadResource(pub String);

impl Resource {
    pub fn parse(s: &str) -> Result<Self, BadResource> {
        let path_ok = |p: &str| {
            p.split('/').all(|seg| {
                !seg.is_empty()
                    && seg.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')
                    })
            })
        };
        if s == "*" {
            return Ok(Resource::Any);
        }
        if s.len() > RESOURCE_MAX {
            return Err(BadResource(s.to_owned()));
        }
        match s.strip_suffix("/*") {
            Some(stem) if path_ok(stem) => Ok(Resource::Below(stem.to_owned())),
            None if path_ok(s) => Ok(Resource::Exact(s.to_owned())),
            _ => Err(BadResource(s.to_owned())),
        }
    }

    /// Whether every resource `other` names is also named by `self`.
    pub fn covers(&self, other: &Resource) -> bool {
        match (self, other) {
            (Resource::Any, _) => true,
            (_, Resource::Any) => false,
            (Resource::Exact(a), Resource::Exact(b)) => a == b,
            (Resource::Exact(_), Resource::Below(_)) => false,
            (Resource::Below(stem), Resource::Below(path)) if path == stem => true,
            (Resource::Below(stem), Resource::Exact(path) | Resource::Below(path)) => path
                .strip_prefix(stem.as_str())
                .is_some_and(|rest| rest.starts_with('/')),
        }
    }

    /// The resources both patterns name; patterns either nest or are disjoint.
    pub fn intersect(&self, other: &Resource) -> Option<Resource> {
        if self.covers(other) {
            Some(other.clone())
        } else if other.covers(self) {
            Some(self.clone())
        } else {
            None
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Any => f.write_str("*"),
            Resource::Exact(path) => f.write_str(path),
            Resource::Below(stem) => write!(f, "{stem}/*"),
        }
    }
}

impl Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Resource::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A permission on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grant {
    /// The permission's name, such as `datasets:read`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub permission: PermissionName,
    /// `*`, an exact path (`datasets/42`) or a prefix (`teams/7/*`).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub resource: Resource,
}

impl Grant {
    pub fn new(permission: PermissionName, resource: Resource) -> Self {
        Self {
            permission,
            resource,
        }
    }

    pub fn covers(&self, other: &Grant) -> bool {
        self.permission == other.permission && self.resource.covers(&other.resource)
    }
}

/// A set of grants, the unit of evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantSet(Vec<Grant>);

impl GrantSet {
    pub fn new(grants: Vec<Grant>) -> Self {
        let mut set = Self(Vec::with_capacity(grants.len()));
        for grant in grants {
            set.insert(grant);
        }
        set
    }

    /// Adds a grant unless one already covers it; drops those it covers.
    pub fn insert(&mut self, grant: Grant) {
        if self.0.iter().any(|g| g.covers(&grant)) {
            return;
        }
        self.0.retain(|g| !grant.covers(g));
        self.0.push(grant);
    }

    pub fn grants(&self) -> &[Grant] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// May `permission` be exercised on `resource`?
    pub fn allows(&self, permission: &str, resource: &Resource) -> bool {
        self.0
            .iter()
            .any(|g| g.permission.as_str() == permission && g.resource.covers(resource))
    }

    /// Whether some grant carries `permission`, on any resource.
    pub fn holds_somewhere(&self, permission: &str) -> bool {
        self.0.iter().any(|g| g.permission.as_str() == permission)
    }

    /// The first grant of `other` that no grant of `self` covers, if any.
    pub fn first_uncovered<'a>(&self, other: &'a GrantSet) -> Option<&'a Grant> {
        other
            .0
            .iter()
            .find(|wanted| !self.0.iter().any(|held| held.covers(wanted)))
    }

    /// Narrows `self` to `explicit`: each explicit grant keeps what `self`
    /// holds of it, so a key asking for `*` gets only the resources its scope has.
    pub fn narrow_to(&self, explicit: &[Grant]) -> GrantSet {
        let mut out = GrantSet::default();
        for wanted in explicit {
            for held in self.0.iter().filter(|h| h.permission == wanted.permission) {
                if let Some(resource) = held.resource.intersect(&wanted.resource) {
                    out.insert(Grant::new(wanted.permission.clone(), resource));
                }
            }
        }
        out
    }

    /// Keeps only the grants whose permission changes nothing.
    pub fn read_only(&self, is_read_only: impl Fn(&PermissionName) -> bool) -> GrantSet {
        GrantSet(
            self.0
                .iter()
                .filter(|g| is_read_only(&g.permission))
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Resource {
        Resource::parse(s).unwrap()
    }

    fn g(p: &str, res: &str) -> Grant {
        Grant::new(PermissionName::parse(p).unwrap(), r(res))
    }

    #[test]
    fn resources_parse_and_print() {
        for s in ["*", "datasets/42", "teams/7/*", "a.b/c-d/e_f", "urn:x"] {
            assert_eq!(r(s).to_string(), s);
        }
        for bad in ["", "/", "a//b", "a/*/b", "a/", "*/x", "a b", "**"] {
            assert!(Resource::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn wider_resources_cover_narrower_ones() {
        assert!(r("*").covers(&r("datasets/1")));
        assert!(r("teams/7/*").covers(&r("teams/7/dataproducts/42")));
        assert!(r("teams/7/*").covers(&r("teams/7/x/*")));
        assert!(r("teams/7/*").covers(&r("teams/7/*")));
        assert!(!r("teams/7/*").covers(&r("teams/7")));
        assert!(!r("teams/7/*").covers(&r("teams/70/x")));
        assert!(!r("datasets/1").covers(&r("*")));
        assert!(!r("datasets/1").covers(&r("datasets/1/*")));
        assert!(r("datasets/1").covers(&r("datasets/1")));
    }

    #[test]
    fn narrowing_keeps_only_what_the_scope_holds() {
        // The Opendatasoft example: edit all datasets, held on 1 and 2 only.
        let held = GrantSet::new(vec![
            g("datasets:edit", "datasets/1"),
            g("datasets:edit", "datasets/2"),
        ]);
        let key = held.narrow_to(&[g("datasets:edit", "*")]);
        assert!(key.allows("datasets:edit", &r("datasets/1")));
        assert!(key.allows("datasets:edit", &r("datasets/2")));
        assert!(!key.allows("datasets:edit", &r("datasets/3")));
        assert!(!key.allows("datasets:read", &r("datasets/1")));
    }

    #[test]
    fn narrowing_to_a_narrower_resource_keeps_it() {
        let held = GrantSet::new(vec![g("datasets:edit", "*")]);
        let key = held.narrow_to(&[g("datasets:edit", "datasets/9")]);
        assert_eq!(key.grants(), &[g("datasets:edit", "datasets/9")]);
    }

    #[test]
    fn insert_deduplicates_by_coverage() {
        let set = GrantSet::new(vec![g("a:b", "x/1"), g("a:b", "x/*"), g("a:b", "x/2")]);
        assert_eq!(set.grants(), &[g("a:b", "x/*")]);
    }

    #[test]
    fn first_uncovered_names_the_first_missing_grant() {
        let held = GrantSet::new(vec![g("keys:read", "*")]);
        let wanted = GrantSet::new(vec![g("keys:read", "x"), g("keys:write", "*")]);
        assert_eq!(held.first_uncovered(&wanted), Some(&g("keys:write", "*")));
        assert_eq!(
            held.first_uncovered(&GrantSet::new(vec![g("keys:read", "y")])),
            None
        );
    }

    #[test]
    fn read_only_filter_drops_writes() {
        let set = GrantSet::new(vec![g("keys:read", "*"), g("keys:write", "*")]);
        let ro = set.read_only(|p| p.as_str().ends_with(":read"));
        assert_eq!(ro.grants(), &[g("keys:read", "*")]);
    }
}
