//! Memory of the verification cache in one process: fills a `KeyCache`
//! with keys of one shape and sets the growth of the process's RSS per key
//! against what the cache's byte bound (`--cache-max-bytes`) charges for
//! each. No store, no HTTP: only the cache's own memory is counted.
//!
//! `cargo run --release -p keyward-server --example cache_memory -- [KEYS]`
#![allow(clippy::expect_used)]

use chrono::Utc;
use keyward_core::model::{Catalog, KeyGrant, KeyRecord, Organization, Permission, Slug};
use keyward_core::{BUILTIN_PERMISSIONS, KeyHash, PermissionName, Prefix, Resource, Scope};
use keyward_server::cache::{KeyCache, OrgPart, OwnerPart, ResolvedKey, ScopeGrants};
use std::convert::Infallible;
use std::sync::Arc;
use uuid::Uuid;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .expect("VmRSS")
        * 1024
}

fn record(org: &Organization, n: u64, metadata: bool, permissions: bool) -> KeyRecord {
    let grant = |name: &str| KeyGrant {
        id: 0,
        name: PermissionName::parse(name).expect("permission"),
        resource: Resource::Any,
    };
    KeyRecord {
        id: Uuid::now_v7(),
        organization_id: org.id,
        name: format!("key {n}"),
        scope: Scope::Organization,
        read_only: false,
        owner_id: org.id,
        permissions: if permissions {
            vec![grant("keys:read"), grant("org:read")]
        } else {
            Vec::new()
        },
        created_by: "memory".into(),
        created_at: Utc::now(),
        expires_at: None,
        last_used_at: None,
        usage_count: 0,
        enabled: true,
        revoked_at: None,
        key_mask: "kw_abcd…wxyz".into(),
        metadata: if metadata {
            serde_json::json!({"team": "payments", "env": "production", "ticket": 4711})
                .as_object()
                .cloned()
                .unwrap_or_default()
        } else {
            Default::default()
        },
        rolled_from: None,
        rolled_to: None,
        limits: Default::default(),
    }
}

/// A hash whose first bytes, the cache's hash, differ from key to key.
fn hash(n: u64) -> KeyHash {
    let mut bytes = [0; 32];
    bytes[..8].copy_from_slice(&n.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
    bytes[8..16].copy_from_slice(&n.to_le_bytes());
    KeyHash(bytes)
}

const SHAPES: [(&str, bool, bool); 3] = [
    ("no metadata, the organization's grants", false, false),
    ("3 metadata fields", true, false),
    ("2 explicit permissions (grants of its own)", false, true),
];

/// Without a shape, runs itself once per shape, so each starts from a
/// fresh heap.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keys: u64 = args
        .first()
        .map_or(20_000, |s| s.parse().expect("KEYS is a number"));
    match args.get(1) {
        Some(shape) => fill(keys, SHAPES[shape.parse::<usize>().expect("a shape")]),
        None => {
            for shape in 0..SHAPES.len() {
                let status = std::process::Command::new(std::env::current_exe().expect("self"))
                    .args([keys.to_string(), shape.to_string()])
                    .status()
                    .expect("run a shape");
                assert!(status.success());
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn fill(keys: u64, (label, metadata, permissions): (&str, bool, bool)) {
    let org = Organization {
        id: Uuid::now_v7(),
        name: "Memory".into(),
        slug: Slug::parse("memory").expect("slug"),
        key_prefix: Prefix::default(),
        created_at: Utc::now(),
        key_policy: Default::default(),
        leak_policy: Default::default(),
    };
    let catalog = Catalog(
        BUILTIN_PERMISSIONS
            .iter()
            .map(|b| Permission {
                id: b.id,
                name: PermissionName::parse(b.name).expect("permission"),
                description: b.description.into(),
                read_only: b.read_only,
            })
            .collect(),
    );
    // The server's defaults: 1,000,000 entries, 256 MiB.
    let cache = KeyCache::new(1_000_000, 256 << 20);
    let first = record(&org, 0, false, false);
    let scope = ScopeGrants::fixed(&first, &catalog).expect("an organization key");
    let org_part = cache.put_org(OrgPart::new(org.clone(), catalog, cache.now()));
    let owner = OwnerPart::new(scope, org.name.clone(), &org_part, cache.now());
    let before = rss_bytes();
    for n in 0..keys {
        let key = Arc::new(ResolvedKey::new(
            record(&org, n, metadata, permissions),
            &org_part,
            &owner,
            cache.now(),
        ));
        let loaded = cache
            .load(hash(n), || {
                let key = key.clone();
                async move { Ok::<_, Infallible>(Some(key)) }
            })
            .await;
        assert!(matches!(loaded, Ok(Some(_))));
    }
    let charged = cache.weighed_bytes();
    let grown = rss_bytes().saturating_sub(before);
    let cached = cache.entries().max(1);
    println!(
        "   {label:<44} {:>5} bytes of RSS a key, {:>5} charged ({cached} keys cached)",
        grown / keys,
        charged / cached,
    );
}
