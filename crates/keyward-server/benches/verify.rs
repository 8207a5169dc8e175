//! In-process verification of a cached key against its baseline: one
//! HMAC-SHA256 of the same key, measured in the same run (target ≤ 1.5×).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use keyward_core::Scope;
use keyward_server::ctx::{Caller, Ctx, Grants, RequestMeta};
use keyward_server::ops::keys::{self, KeySpec};
use keyward_server::verify::{self, Ask, Check, Lookup, Outcome};
use keyward_server::{Application, Config};
use sha2::Sha256;

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";

fn verification(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (state, key) = runtime.block_on(async {
        let config = Config {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            data_dir: Some(dir.path().to_owned()),
            secret: Some(SECRET.parse().unwrap()),
            no_bootstrap_user: true,
            ..Config::default()
        };
        let app = Application::build(config.resolve().unwrap()).await.unwrap();
        let state = app.state();
        let org = keyward_core::model::Organization {
            id: uuid::Uuid::now_v7(),
            name: "Bench".into(),
            slug: keyward_core::model::Slug::parse("bench").unwrap(),
            key_prefix: keyward_core::Prefix::default(),
            created_at: chrono::Utc::now(),
            key_policy: Default::default(),
            leak_policy: Default::default(),
        };
        state.store.create_org(&org).await.unwrap();
        let access = Ctx {
            caller: Caller::Admin,
            org: org.clone(),
            grants: Grants::All,
            meta: RequestMeta::default(),
        };
        let spec = KeySpec {
            name: "bench".into(),
            scope: Scope::Organization,
            read_only: false,
            permissions: None,
            expires_at: None,
            metadata: Default::default(),
            team_id: None,
            service_account_id: None,
            limits: Default::default(),
        };
        let (_, key) = keys::create(&state, &access, spec).await.unwrap();
        let text = key.expose().to_owned();
        assert!(matches!(
            verify::verify(&state, &text, &Ask::ANY).await.unwrap(),
            Outcome::Valid(..)
        ));
        (state, text)
    });

    let mut group = c.benchmark_group("verification");
    group.bench_function("baseline: one HMAC-SHA256 of the key", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(black_box(key.as_bytes()));
            mac.finalize()
        })
    });
    group.bench_function("verify a cached key", |b| {
        b.iter(|| match verify::lookup(&state, black_box(&key)) {
            Lookup::Cached(found) => verify::conclude(&state, found, &Ask::ANY),
            _ => unreachable!("the key is cached"),
        })
    });
    let query =
        keyward_core::PermissionQuery::parse("keys:read AND (org:read OR org:write)").unwrap();
    let resource = keyward_core::Resource::Any;
    let check = Check {
        permission: &query,
        resource: &resource,
    };
    let checked = Ask {
        check: Some(&check),
        ..Ask::ANY
    };
    group.bench_function("verify a cached key with a permission query", |b| {
        b.iter(|| match verify::lookup(&state, black_box(&key)) {
            Lookup::Cached(found) => verify::conclude(&state, found, &checked),
            _ => unreachable!("the key is cached"),
        })
    });
    group.finish();
    runtime.block_on(state.usage.flush(&state.store));
}

criterion_group!(benches, verification);
criterion_main!(benches);
