//! Forward-auth rules: method and path pattern → permission query and
//! resource, matched on a [`CanonicalPath`]. Written in the `[forward_auth]`
//! table of keyward's TOML file:
//!
//! ```toml
//! [[forward_auth.rules]]
//! methods = ["GET", "HEAD"]         # or ["*"]
//! path = "/api/dataproducts/{id}"   # {name}: one segment; a trailing /**: any rest
//! permission = "dataproducts:read"  # a name or a query with AND, OR, ()
//! resource = "dataproducts/{id}"    # optional; "*" by default
//! ```
//!
//! Literal segments compare case-sensitively with the request's segment
//! decoded, so `/api/a:b` also governs `/api/a%3Ab`; a capture yields the
//! decoded segment.

use crate::forward_path::{CanonicalPath, canonical_path, decode_segment, decoded_bytes};
use crate::key_limits::CREDITS_MAX;
use crate::{PermissionQuery, Resource};
use serde::Deserialize;

/// What happens to a request no rule matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultPolicy {
    /// No rule matched: 403.
    #[default]
    Deny,
    /// No rule matched: any valid key passes.
    AllowAuthenticated,
}

/// A rule as written in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub methods: Vec<String>,
    pub path: String,
    pub permission: String,
    pub resource: Option<String>,
    /// Credits a matching request costs a key that has credits (1 if
    /// absent; 0 checks without consuming).
    pub cost: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Capture(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Template {
    Text(String),
    /// The index of the captured segment in the path pattern.
    Capture(usize),
}

/// A rule, checked once at start-up.
#[derive(Debug, Clone)]
struct Rule {
    /// Upper-case; empty for any method.
    methods: Vec<String>,
    segments: Vec<Segment>,
    /// The pattern ends in `/**`.
    rest: bool,
    permission: PermissionQuery,
    /// `None`: any resource.
    resource: Option<Vec<Template>>,
    cost: i64,
}

/// What a matching rule asks of the key.
#[derive(Debug)]
pub struct Requirement<'a> {
    pub permission: &'a PermissionQuery,
    pub resource: Resource,
    /// Credits the request costs.
    pub cost: i64,
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

/// The compiled rules, in order, and the policy when none matches.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub default: DefaultPolicy,
    rules: Vec<Rule>,
}

/// Characters a literal segment may hold: RFC 3986 `pchar` without escapes.
fn literal_ok(segment: &str) -> bool {
    !segment.is_empty()
        && segment != "."
        && segment != ".."
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()+,;=:@".contains(&b))
}

fn parse_template(template: &str, segments: &[Segment]) -> Result<Vec<Template>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (text, after) = rest.split_at(open);
        let Some((name, tail)) = after[1..].split_once('}') else {
            return Err(format!("resource {template:?} has an unclosed {{"));
        };
        let Some(index) = segments
            .iter()
            .position(|s| *s == Segment::Capture(name.to_owned()))
        else {
            return Err(format!(
                "resource names {{{name}}}, which the path does not capture"
            ));
        };
        if !text.is_empty() {
            parts.push(Template::Text(text.to_owned()));
        }
        parts.push(Template::Capture(index));
        rest = tail;
    }
    if !rest.is_empty() {
        parts.push(Template::Text(rest.to_owned()));
    }
    // Checked with a sample value, so a bad template fails at start-up.
    let sample: String = parts
        .iter()
        .map(|part| match part {
            Template::Text(text) => text.as_str(),
            Template::Capture(_) => "x",
        })
        .collect();
    Resource::parse(&sample).map_err(|e| e.to_string())?;
    Ok(parts)
}

impl Rule {
    fn compile(config: &RuleConfig) -> Result<Self, String> {
        let permission = PermissionQuery::parse(&config.permission).map_err(|e| e.to_string())?;
        let cost = config.cost.unwrap_or(1);
        if !(0..=CREDITS_MAX).contains(&cost) {
            return Err(format!(
                "rule for {:?}: cost must be 0 to {CREDITS_MAX}",
                config.path
            ));
        }
        let path = config.path.as_str();
        let (stem, rest) = match path.strip_suffix("/**") {
            Some("") => ("/", true),
            Some(stem) => (stem, true),
            None => (path, false),
        };
        let canonical = canonical_path(stem).map_err(|e| format!("path {path:?}: {e}"))?;
        if canonical.is_rewritten() || stem.contains(['?', '#']) {
            return Err(format!(
                "path {path:?} must be canonical: no //, . or .. segments, query or escapes"
            ));
        }
        let mut segments = Vec::new();
        for raw in canonical.segments() {
            let segment = match raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                Some(name) if !name.is_empty() && !name.contains(['{', '}']) => {
                    Segment::Capture(name.to_owned())
                }
                _ if literal_ok(raw) => Segment::Literal(raw.to_owned()),
                _ => return Err(format!("bad path segment {raw:?}")),
            };
            segments.push(segment);
        }
        let resource = match config.resource.as_deref() {
            None | Some("*") => None,
            Some(template) => Some(parse_template(template, &segments)?),
        };
        let methods = config
            .methods
            .iter()
            .map(|m| m.to_ascii_uppercase())
            .collect::<Vec<_>>();
        if methods.is_empty() {
            return Err("methods must name at least one method, or \"*\"".into());
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
            cost,
            resource,
        })
    }

    /// The path's segments matched by the pattern, if the rule matches.
    fn matches<'p>(&self, method: &str, path: &'p CanonicalPath<'_>) -> Option<Vec<&'p str>> {
        if !self.methods.is_empty() && !self.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
        {
            return None;
        }
        let mut parts = path.segments();
        let mut matched = Vec::with_capacity(self.segments.len());
        for segment in &self.segments {
            let part = parts.next()?;
            if let Segment::Literal(literal) = segment {
                let equal = if part.contains('%') {
                    literal.bytes().eq(decoded_bytes(part))
                } else {
                    literal == part
                };
                if !equal {
                    return None;
                }
            }
            matched.push(part);
        }
        (self.rest || parts.next().is_none()).then_some(matched)
    }

    fn resource(&self, matched: &[&str]) -> Option<Resource> {
        let Some(template) = &self.resource else {
            return Some(Resource::Any);
        };
        let mut out = String::new();
        for part in template {
            match part {
                Template::Text(text) => out.push_str(text),
                Template::Capture(index) => {
                    let value = decode_segment(matched.get(*index)?);
                    // A segment names one resource, never a pattern of them.
                    if value.contains('*') {
                        return None;
                    }
                    out.push_str(&value);
                }
            }
        }
        Resource::parse(&out).ok()
    }
}

impl RuleSet {
    /// Compiles `rules`; an error names the first bad rule by its index.
    pub fn compile(default: DefaultPolicy, rules: &[RuleConfig]) -> Result<Self, String> {
        let rules = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                Rule::compile(rule).map_err(|e| format!("forward_auth.rules[{i}]: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { default, rules })
    }

    /// The first rule that matches wins.
    pub fn decide(&self, method: &str, path: &CanonicalPath<'_>) -> Decision<'_> {
        for rule in &self.rules {
            if let Some(matched) = rule.matches(method, path) {
                return match rule.resource(&matched) {
                    Some(resource) => Decision::Require(Requirement {
                        permission: &rule.permission,
                        resource,
                        cost: rule.cost,
                    }),
                    None => Decision::BadResource,
                };
            }
        }
        Decision::NoRule
    }
}

#[cfg(test)]
mod tests;
