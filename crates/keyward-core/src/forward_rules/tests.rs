use super::*;
use crate::forward_path::PathError;
use proptest::prelude::*;

fn rule(methods: &[&str], path: &str, permission: &str, resource: Option<&str>) -> RuleConfig {
    RuleConfig {
        methods: methods.iter().map(|m| (*m).to_owned()).collect(),
        path: path.into(),
        permission: permission.into(),
        resource: resource.map(str::to_owned),
        cost: None,
    }
}

/// The rules of examples/nginx/keyward.toml, under either default.
fn example(default: DefaultPolicy) -> RuleSet {
    let rules = [
        rule(
            &["GET", "HEAD"],
            "/api/dataproducts/{id}",
            "dataproducts:read",
            Some("dataproducts/{id}"),
        ),
        rule(
            &["POST", "PUT", "DELETE"],
            "/api/dataproducts/{id}",
            "dataproducts:write",
            Some("dataproducts/{id}"),
        ),
        rule(&["*"], "/api/admin/**", "org:write", None),
    ];
    RuleSet::compile(default, &rules).unwrap()
}

/// The decision for a raw URI, as forward-auth reaches it.
fn decide(rules: &RuleSet, method: &str, uri: &str) -> Result<String, PathError> {
    let path = canonical_path(uri)?;
    Ok(match rules.decide(method, &path) {
        Decision::Require(req) => {
            let names: Vec<&str> = req
                .permission
                .permissions()
                .iter()
                .map(|p| p.as_str())
                .collect();
            format!("{} on {}", names.join(","), req.resource)
        }
        Decision::BadResource => "bad resource".into(),
        Decision::NoRule => "no rule".into(),
    })
}

#[test]
fn first_matching_rule_wins_and_builds_the_resource() {
    let rules = example(DefaultPolicy::Deny);
    let read = decide(&rules, "get", "/api/dataproducts/42?x=1");
    assert_eq!(read.unwrap(), "dataproducts:read on dataproducts/42");
    let write = decide(&rules, "DELETE", "/api/dataproducts/42");
    assert_eq!(write.unwrap(), "dataproducts:write on dataproducts/42");
    for unmatched in ["/api/dataproducts/42/x", "/api/dataproducts", "/api/other"] {
        assert_eq!(decide(&rules, "GET", unmatched).unwrap(), "no rule");
    }
    assert_eq!(
        decide(&rules, "PATCH", "/api/dataproducts/42").unwrap(),
        "no rule"
    );
    for admin in ["/api/admin/a/b/c", "/api/admin", "/api/admin/"] {
        assert_eq!(decide(&rules, "DELETE", admin).unwrap(), "org:write on *");
    }
}

#[test]
fn traversal_and_encoding_attacks_meet_the_admin_rule_or_are_refused() {
    let rules = example(DefaultPolicy::AllowAuthenticated);
    let admin = Ok("org:write on *".to_owned());
    assert_eq!(decide(&rules, "GET", "/api/public/../admin/secret"), admin);
    assert_eq!(decide(&rules, "GET", "/api/public/./../admin/x"), admin);
    assert_eq!(decide(&rules, "GET", "/api/%61dmin/x"), admin);
    assert_eq!(decide(&rules, "GET", "//api//admin/x"), admin);
    assert_eq!(decide(&rules, "GET", "/api/admin/x?/../../public"), admin);
    assert_eq!(
        decide(&rules, "GET", "/api/public/%2e%2e/admin/secret"),
        Err(PathError::EncodedDotSegment)
    );
    assert_eq!(
        decide(&rules, "GET", "/api/public/..%2fadmin/secret"),
        Err(PathError::EncodedSlash)
    );
    assert_eq!(
        decide(&rules, "GET", "/api/admin%2Fx"),
        Err(PathError::EncodedSlash)
    );
    assert_eq!(
        decide(&rules, "GET", "/api/public/..\\admin/x"),
        Err(PathError::Backslash)
    );
    assert_eq!(
        decide(&rules, "GET", "/api/admin%00/x"),
        Err(PathError::Control)
    );
    // Paths are case-sensitive: /API is not /api, and no rule names it.
    assert_eq!(decide(&rules, "GET", "/API/admin/x").unwrap(), "no rule");
}

#[test]
fn captures_and_literals_use_the_decoded_segment() {
    let rules = RuleSet::compile(
        DefaultPolicy::Deny,
        &[
            rule(&["GET"], "/api/a:b/{id}", "x:read", Some("things/{id}")),
            rule(&["*"], "/**", "x:all", None),
        ],
    )
    .unwrap();
    assert_eq!(
        decide(&rules, "GET", "/api/a%3Ab/v%3A1").unwrap(),
        "x:read on things/v:1"
    );
    assert_eq!(
        decide(&rules, "GET", "/api/a%3ab/%6B").unwrap(),
        "x:read on things/k"
    );
    // A segment that decodes to no single resource is refused.
    assert_eq!(
        decide(&rules, "GET", "/api/a:b/%2A").unwrap(),
        "bad resource"
    );
    assert_eq!(decide(&rules, "PUT", "/").unwrap(), "x:all on *");
}

#[test]
fn bad_rules_are_refused_with_their_index() {
    let refused = |rules: &[RuleConfig]| RuleSet::compile(DefaultPolicy::Deny, rules).unwrap_err();
    let bad_query = refused(&[rule(&["GET"], "/x/{id}", "x:read AND", None)]);
    assert!(
        bad_query.starts_with("forward_auth.rules[0]"),
        "{bad_query}"
    );
    let unknown_capture = refused(&[
        rule(&["GET"], "/x", "x:read", None),
        rule(&["GET"], "/x/{id}", "x:read", Some("x/{other}")),
    ]);
    assert!(unknown_capture.starts_with("forward_auth.rules[1]"));
    assert!(unknown_capture.contains("{other}"), "{unknown_capture}");
    for path in [
        "x", "/a/../b", "/a//b", "/a/%61", "/a/b*", "/a?x", "/A\\b", "/{}",
    ] {
        let error = refused(&[rule(&["GET"], path, "x:read", None)]);
        assert!(
            error.starts_with("forward_auth.rules[0]"),
            "{path}: {error}"
        );
    }
    let bad_resource = refused(&[rule(&["GET"], "/x/{id}", "x:read", Some("x y/{id}"))]);
    assert!(bad_resource.contains("resource"), "{bad_resource}");
    assert!(refused(&[rule(&[], "/x", "x:read", None)]).contains("methods"));
}

/// Segments that hit the example's rules often, and others.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["api", "admin", "dataproducts", "public", "1", "42"])
            .prop_map(str::to_owned),
        "[a-zA-Z0-9_~-]{1,6}",
    ]
}

/// `segments` written the way a client could write the same path: escapes
/// for unreserved characters (either hex case), `.` segments, `x/..`
/// detours, doubled slashes, a query; `noise` picks which.
fn disguise(segments: &[String], noise: &[u8]) -> String {
    let bit = |at: usize, mask: u8| noise[at % noise.len()] & mask != 0;
    let mut out = String::new();
    for (i, segment) in segments.iter().enumerate() {
        if bit(i, 4) {
            out.push_str("/zz/..");
        }
        if bit(i, 8) {
            out.push_str("/.");
        }
        out.push('/');
        if bit(i, 16) {
            out.push('/');
        }
        for (j, c) in segment.chars().enumerate() {
            match (bit(i * 7 + j, 1), bit(i * 7 + j, 2)) {
                (false, _) => out.push(c),
                (true, false) => out.push_str(&format!("%{:02X}", c as u32)),
                (true, true) => out.push_str(&format!("%{:02x}", c as u32)),
            }
        }
    }
    if segments.is_empty() {
        out.push('/');
    }
    if bit(0, 32) {
        out.push_str("?next=/../admin");
    }
    out
}

proptest! {
    #[test]
    fn paths_a_server_reads_alike_get_the_same_decision(
        segments in prop::collection::vec(segment(), 0..6),
        noise in prop::collection::vec(any::<u8>(), 1..32),
        method in prop::sample::select(vec!["GET", "HEAD", "DELETE", "PATCH"]),
    ) {
        let rules = example(DefaultPolicy::Deny);
        let plain = format!("/{}", segments.join("/"));
        let disguised = disguise(&segments, &noise);
        let canonical = canonical_path(&disguised).unwrap();
        prop_assert_eq!(canonical.as_str(), plain.as_str(), "{}", disguised);
        prop_assert_eq!(
            decide(&rules, method, &disguised),
            decide(&rules, method, &plain),
            "{}", disguised
        );
    }

    #[test]
    fn canonical_paths_are_fixed_points(uri in "/[a-zA-Z0-9%./~:@?#_-]{0,40}") {
        if let Ok(canonical) = canonical_path(&uri) {
            let again = canonical_path(canonical.as_str()).unwrap();
            prop_assert!(!again.is_rewritten(), "{} -> {}", uri, canonical);
        }
    }
}

#[test]
fn rules_carry_their_cost() {
    let mut costly = rule(&["POST"], "/api/reports", "reports:run", None);
    costly.cost = Some(5);
    let free = rule(&["GET"], "/api/reports", "reports:read", None);
    let rules = RuleSet::compile(DefaultPolicy::Deny, &[costly, free]).unwrap();
    let path = canonical_path("/api/reports").unwrap();
    let cost = |method| match rules.decide(method, &path) {
        Decision::Require(requirement) => requirement.cost,
        other => panic!("{other:?}"),
    };
    assert_eq!(cost("POST"), 5);
    assert_eq!(cost("GET"), 1);
    let mut negative = rule(&["GET"], "/x", "x:read", None);
    negative.cost = Some(-1);
    assert!(RuleSet::compile(DefaultPolicy::Deny, &[negative]).is_err());
}
