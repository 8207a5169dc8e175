//! Seeds a store with many keys for the benchmarks: organizations of 100
//! keys each (the default limit) unless told otherwise, and a sample of
//! their plaintexts in a file so a load test can present real keys.
//!
//! `cargo run --release -p keyward-server --example seed -- DATA_DIR KEYS SAMPLE_FILE [SAMPLE_SIZE [KEYS_PER_ORG]]`
//!
//! The server secret is `KEYWARD_SECRET` if set, else the data folder's.
#![allow(clippy::expect_used)]

use chrono::Utc;
use keyward_core::model::{KeyRecord, NewKey, Organization, Slug};
use keyward_core::{ApiKey, KeyHasher, Prefix, Scope};
use keyward_server::Config;
use std::io::Write;
use std::time::Instant;
use uuid::Uuid;

const DEFAULT_KEYS_PER_ORG: usize = 100;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data_dir, keys, sample_file, rest @ ..] = args.as_slice() else {
        eprintln!("usage: seed DATA_DIR KEYS SAMPLE_FILE [SAMPLE_SIZE [KEYS_PER_ORG]]");
        std::process::exit(2);
    };
    let total: usize = keys.parse().expect("KEYS is a number");
    let sample_size: usize = rest
        .first()
        .map_or(10_000, |s| s.parse().expect("SAMPLE_SIZE is a number"));
    let keys_per_org: usize = rest.get(1).map_or(DEFAULT_KEYS_PER_ORG, |s| {
        s.parse::<usize>()
            .expect("KEYS_PER_ORG is a number")
            .clamp(1, DEFAULT_KEYS_PER_ORG)
    });
    let config = Config {
        data_dir: Some(data_dir.into()),
        secret: std::env::var("KEYWARD_SECRET")
            .ok()
            .map(|s| s.parse().expect("secret")),
        ..Config::default()
    };
    let settings = config.resolve().expect("configuration");
    keyward_server::secret::create_private_dir(&settings.data_dir).expect("data folder");
    let loaded = keyward_server::secret::server_secret(&settings).expect("server secret");
    if loaded.generated {
        keyward_server::secret::save_generated(&settings, &loaded.secret).expect("save the secret");
    }
    let secret = loaded.secret;
    let hasher = KeyHasher::new(&secret).expect("hasher");
    let store = keyward_store::open(&settings.store.url())
        .await
        .expect("store");

    let mut sample = std::fs::File::create(sample_file).expect("sample file");
    let started = Instant::now();
    let mut org: Option<Organization> = None;
    for n in 0..total {
        if n % keys_per_org == 0 {
            let created = Organization {
                id: Uuid::now_v7(),
                name: format!("Seed {}", n / keys_per_org),
                slug: Slug::parse(&format!("seed-{}", Uuid::now_v7().simple())).expect("slug"),
                key_prefix: Prefix::default(),
                created_at: Utc::now(),
                key_policy: Default::default(),
                leak_policy: Default::default(),
            };
            store.create_org(&created).await.expect("organization");
            org = Some(created);
        }
        let org = org.as_ref().expect("an organization");
        let key = ApiKey::mint(&org.key_prefix);
        let record = KeyRecord {
            id: Uuid::now_v7(),
            organization_id: org.id,
            name: format!("seed {n}"),
            scope: Scope::Organization,
            read_only: false,
            owner_id: org.id,
            permissions: Vec::new(),
            created_by: "seed".into(),
            created_at: Utc::now(),
            expires_at: None,
            last_used_at: None,
            usage_count: 0,
            enabled: true,
            revoked_at: None,
            key_mask: key.mask(),
            metadata: Default::default(),
            rolled_from: None,
            rolled_to: None,
            limits: Default::default(),
        };
        let new = NewKey {
            record,
            hash: hasher.hash(key.expose()),
        };
        store
            .insert_key(&new, u32::MAX, Utc::now())
            .await
            .expect("key");
        // An even spread over the whole store.
        if n % (total / sample_size).max(1) == 0 {
            writeln!(sample, "{}", key.expose()).expect("sample");
        }
        if (n + 1) % 10_000 == 0 || n + 1 == total {
            let rate = (n + 1) as f64 / started.elapsed().as_secs_f64();
            eprint!(
                "\r  seeded {:>9}/{total} keys  [{:<40}]  {rate:>8.0} keys/s",
                n + 1,
                "#".repeat(40 * (n + 1) / total)
            );
        }
    }
    eprintln!();
}
