//! The pure parts of verification: parsing a key, hashing it, evaluating a
//! permission over 50 grants, and forward-auth's path canonicalisation and
//! rule matching.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use keyward_core::forward_path::canonical_path;
use keyward_core::forward_rules::{DefaultPolicy, RuleConfig, RuleSet};
use keyward_core::{
    ApiKey, Grant, GrantSet, KeyHasher, PermissionName, Prefix, Resource, ServerSecret,
};
use sha2::Sha256;

fn parsing(c: &mut Criterion) {
    let key = ApiKey::mint(&Prefix::default());
    let text = key.expose().to_owned();
    c.bench_function("key check (format + checksum)", |b| {
        b.iter(|| ApiKey::check(black_box(&text)))
    });
    c.bench_function("key parse (owned)", |b| {
        b.iter(|| ApiKey::parse(black_box(&text)))
    });
}

fn hashing(c: &mut Criterion) {
    let secret = ServerSecret::generate();
    let key = ApiKey::mint(&Prefix::default());
    let text = key.expose().to_owned();
    c.bench_function("HMAC-SHA256 of a key (new MAC each time)", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose()).unwrap();
            mac.update(black_box(text.as_bytes()));
            mac.finalize()
        })
    });
    let hasher = KeyHasher::new(&secret).unwrap();
    c.bench_function("KeyHasher::hash (keyed state reused)", |b| {
        b.iter(|| hasher.hash(black_box(&text)))
    });
}

fn evaluation(c: &mut Criterion) {
    let grants: Vec<Grant> = (0..50)
        .map(|i| {
            let permission =
                PermissionName::parse(&format!("resource{}:action{}", i % 10, i % 5)).unwrap();
            let resource = Resource::parse(&format!("datasets/{i}/*")).unwrap();
            Grant::new(permission, resource)
        })
        .collect();
    let set = GrantSet::new(grants);
    let wanted = Resource::parse("datasets/49/tables/7").unwrap();
    c.bench_function("grant evaluation, 50 grants, last one matches", |b| {
        b.iter(|| set.allows(black_box("resource9:action4"), black_box(&wanted)))
    });
    c.bench_function("grant evaluation, 50 grants, none matches", |b| {
        b.iter(|| set.allows(black_box("resource9:action0"), black_box(&wanted)))
    });
}

fn forward_auth(c: &mut Criterion) {
    let canonical = "/api/dataproducts/42?fields=name";
    let disguised = "/api/public/..//%64ataproducts/42?fields=name";
    c.bench_function("canonical_path, already canonical", |b| {
        b.iter(|| canonical_path(black_box(canonical)))
    });
    c.bench_function("canonical_path, rewritten", |b| {
        b.iter(|| canonical_path(black_box(disguised)))
    });
    let rule =
        |methods: &[&str], path: &str, permission: &str, resource: Option<&str>| RuleConfig {
            methods: methods.iter().map(|m| (*m).to_owned()).collect(),
            path: path.into(),
            permission: permission.into(),
            resource: resource.map(str::to_owned),
            cost: None,
        };
    let rules = RuleSet::compile(
        DefaultPolicy::Deny,
        &[
            rule(&["*"], "/api/admin/**", "org:write", None),
            rule(
                &["GET"],
                "/api/dataproducts/{id}",
                "dataproducts:read",
                Some("dataproducts/{id}"),
            ),
        ],
    )
    .unwrap();
    let path = canonical_path(canonical).unwrap();
    c.bench_function("forward-auth decide, second rule matches", |b| {
        b.iter(|| rules.decide(black_box("GET"), black_box(&path)))
    });
}

criterion_group!(benches, parsing, hashing, evaluation, forward_auth);
criterion_main!(benches);
