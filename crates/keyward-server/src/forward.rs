//! Forward-auth rules: method and path pattern → permission query and
//! resource. Read from the `[forward_auth]` table of the TOML file:
//!
//! ```toml
//! [forward_auth]
//! default = "deny"                  # or "allow-authenticated"
//! [[forward_auth.rules]]
//! methods = ["GET", "HEAD"]         # or ["*"]
//! path = "/api/dataproducts/{id}"   # {name}: one segment; a trailing /**: any rest
//! permission = "dataproducts:read"  # a name or a query with AND, OR, ()
//! resource = "dataproducts/{id}"    # optional; "*" by default
//! ```

use keyward_core::{PermissionQuery, Resource};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultPolicy {
    /// No rule matched: 403.
    #[default]
    Deny,
    /// No rule matched: any valid key passes.
    AllowAuthenticated,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardAuthConfig {
    #[serde(default)]
    pub default: DefaultPolicy,
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub methods: Vec<String>,
    pub path: String,
    pub permission: String,
    pub resource: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Capture(String),
}

/// A rule, checked once at start-up.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Upper-case; empty for any method.
    methods: Vec<String>,
    segments: Vec<Segment>,
    /// The pattern ends in `/**`.
    rest: bool,
    pub permission: PermissionQuery,
    resource: Option<String>,
}

/// What a matching rule asks of the key.
#[derive(Debug)]
pub struct Requirement<'a> {
    pub permission: &'a PermissionQuery,
    pub resource: Resource,
}

#[derive(Debug, Clone, Default)]
pub struct ForwardRules {
    pub default: DefaultPolicy,
    rules: Vec<Rule>,
}

fn captures_in(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect()
}

impl Rule {
    fn compile(index: usize, config: &RuleConfig) -> Result<Self, String> {
        let at = |msg: String| format!("forward_auth.rules[{index}]: {msg}");
        let permission =
            PermissionQuery::parse(&config.permission).map_err(|e| at(e.to_string()))?;
        let path = config.path.as_str();
        if !path.starts_with('/') {
            return Err(at(format!("path {path:?} must start with /")));
        }
        let (path, rest) = match path.strip_suffix("/**") {
            Some(stem) => (stem, true),
            None => (path, false),
        };
        let mut segments = Vec::new();
        for raw in path.split('/').skip(1).filter(|s| !s.is_empty()) {
            let segment = match raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                Some(name) if !name.is_empty() => Segment::Capture(name.to_owned()),
                _ if raw.contains(['{', '}', '*']) => {
                    return Err(at(format!("bad path segment {raw:?}")));
                }
                _ => Segment::Literal(raw.to_owned()),
            };
            segments.push(segment);
        }
        if let Some(resource) = &config.resource {
            for name in captures_in(resource) {
                if !segments.contains(&Segment::Capture(name.to_owned())) {
                    return Err(at(format!(
                        "resource names {{{name}}}, which the path does not capture"
                    )));
                }
            }
        }
        let methods = config
            .methods
            .iter()
            .map(|m| m.to_ascii_uppercase())
            .collect::<Vec<_>>();
        if methods.is_empty() {
            return Err(at("methods must name at least one method, or \"*\"".into()));
        }
        Ok(Self {
            methods: if methods.iter().any(|m| m == "*") {
                Vec::new()
            } else {
                methods
            },
            segments,
            rest,
            permission,
            resource: config.resource.clone(),
        })
    }

    /// The path's captures if the rule matches.
    fn matches<'p>(&self, method: &str, path: &'p str) -> Option<HashMap<&str, &'p str>> {
        if !self.methods.is_empty() && !self.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
        {
            return None;
        }
        let mut parts = path.split('/').skip(1).filter(|s| !s.is_empty());
        let mut captures = HashMap::new();
        for segment in &self.segments {
            let part = parts.next()?;
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Literal(_) => return None,
                Segment::Capture(name) => {
                    captures.insert(name.as_str(), part);
                }
            }
        }
        (self.rest || parts.next().is_none()).then_some(captures)
    }

    fn resource(&self, captures: &HashMap<&str, &str>) -> Option<Resource> {
        let Some(template) = &self.resource else {
            return Some(Resource::Any);
        };
        let mut out = template.clone();
        for (name, value) in captures {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        Resource::parse(&out).ok()
    }
}

impl ForwardAuthConfig {
    pub fn compile(&self) -> Result<ForwardRules, String> {
        let rules = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| Rule::compile(i, rule))
            .collect::<Result<_, _>>()?;
        Ok(ForwardRules {
            default: self.default,
            rules,
        })
    }
}

/// How a request fares against the rules.
#[derive(Debug)]
pub enum Decision<'a> {
    /// The first matching rule's requirement.
    Require(Requirement<'a>),
    /// A rule matched but its resource could not be built from the path.
    BadResource,
    /// No rule matched.
    NoRule,
}

impl ForwardRules {
    /// The first rule that matches wins.
    pub fn decide(&self, method: &str, path: &str) -> Decision<'_> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        for rule in &self.rules {
            if let Some(captures) = rule.matches(method, path) {
                return match rule.resource(&captures) {
                    Some(resource) => Decision::Require(Requirement {
                        permission: &rule.permission,
                        resource,
                    }),
                    None => Decision::BadResource,
                };
            }
        }
        Decision::NoRule
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(toml_text: &str) -> ForwardRules {
        #[derive(Deserialize)]
        struct File {
            forward_auth: ForwardAuthConfig,
        }
        let file: File = toml::from_str(toml_text).unwrap();
        file.forward_auth.compile().unwrap()
    }

    const EXAMPLE: &str = r#"
        [forward_auth]
        [[forward_auth.rules]]
        methods = ["GET", "HEAD"]
        path = "/api/dataproducts/{id}"
        permission = "dataproducts:read"
        resource = "dataproducts/{id}"
        [[forward_auth.rules]]
        methods = ["*"]
        path = "/api/admin/**"
        permission = "admin:all OR (a:b AND c:d)"
    "#;

    #[test]
    fn first_matching_rule_wins_and_builds_the_resource() {
        let rules = rules(EXAMPLE);
        match rules.decide("get", "/api/dataproducts/42?x=1") {
            Decision::Require(req) => assert_eq!(req.resource.to_string(), "dataproducts/42"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            rules.decide("POST", "/api/dataproducts/42"),
            Decision::NoRule
        ));
        assert!(matches!(
            rules.decide("GET", "/api/dataproducts/42/x"),
            Decision::NoRule
        ));
        match rules.decide("DELETE", "/api/admin/a/b/c") {
            Decision::Require(req) => assert_eq!(req.resource, Resource::Any),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            rules.decide("GET", "/api/admin"),
            Decision::Require(_)
        ));
    }

    #[test]
    fn bad_rules_are_refused_with_their_index() {
        let bad = ForwardAuthConfig {
            default: DefaultPolicy::Deny,
            rules: vec![RuleConfig {
                methods: vec!["GET".into()],
                path: "/x/{id}".into(),
                permission: "x:read AND".into(),
                resource: None,
            }],
        };
        assert!(
            bad.compile()
                .unwrap_err()
                .starts_with("forward_auth.rules[0]")
        );
        let unknown_capture = ForwardAuthConfig {
            default: DefaultPolicy::Deny,
            rules: vec![RuleConfig {
                methods: vec!["GET".into()],
                path: "/x/{id}".into(),
                permission: "x:read".into(),
                resource: Some("x/{other}".into()),
            }],
        };
        assert!(unknown_capture.compile().unwrap_err().contains("{other}"));
    }
}
