//! No plaintext key is ever written to the store.

use crate::fixtures::{self, NO_LIMIT, create_org, grant, now};
use crate::harness::Raw;
use chrono::Duration;
use keyward_core::Prefix;
use keyward_core::model::KeyPatch;
use keyward_store::{KeyUsage, OrgPatch, Store};
use std::sync::Arc;

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

pub async fn no_plaintext_key_at_rest(store: Arc<dyn Store>, raw: Raw) {
    let acme = create_org(&*store, "acme").await;
    let ddf = store
        .update_org(
            create_org(&*store, "dadosfera").await.id,
            &OrgPatch {
                name: None,
                key_prefix: Some(Prefix::parse("ddf").unwrap()),
                key_policy: None,
                leak_policy: None,
            },
        )
        .await
        .unwrap()
        .unwrap();

    let mut plaintexts = Vec::new();
    let mut masks = Vec::new();
    for n in 0..20 {
        let org = if n % 2 == 0 { &acme } else { &ddf };
        let (key, mut new) = fixtures::minted(org);
        new.record.name = format!("key number {n}");
        if n % 3 == 0 {
            new.record.permissions = vec![grant(1, "keys:read", "*")];
        }
        store.insert_key(&new, NO_LIMIT, now()).await.unwrap();
        // Every write a key sees in its life.
        if n % 4 == 0 {
            let patch = KeyPatch {
                name: Some(format!("renamed {n}")),
                expires_at: Some(Some(now() + Duration::days(1))),
                ..KeyPatch::default()
            };
            store
                .update_key(org.id, new.record.id, &patch)
                .await
                .unwrap()
                .unwrap();
        }
        store
            .record_usage(&[KeyUsage {
                key_id: new.record.id,
                last_used_at: now(),
                count: 1,
            }])
            .await
            .unwrap();
        if n % 5 == 0 {
            assert!(
                store
                    .revoke_key(org.id, new.record.id, now())
                    .await
                    .unwrap()
            );
        }
        plaintexts.push(key.expose().to_owned());
        masks.push(key.mask());
    }

    let dump = raw.dump().await;
    // The scan reads what the keys were written to: their masks are there.
    for mask in &masks {
        assert!(contains(&dump, mask), "the dump misses the key mask {mask}");
    }
    for (n, plaintext) in plaintexts.iter().enumerate() {
        assert!(!contains(&dump, plaintext), "key {n}'s plaintext is stored");
        let body = plaintext.split_once('_').unwrap().1;
        assert!(!contains(&dump, body), "key {n}'s body is stored");
        // Nor anything past what the mask shows.
        assert!(
            !contains(&dump, &body[5..]),
            "key {n}'s hidden part is stored"
        );
    }
}
