//! Passwords: setting one ends the user's other sessions; a reset sets
//! one once, before it expires, and ends every session.

use super::records::{HASH, create_password_reset, create_user, member, new_token, password_reset};
use crate::fixtures::{create_org, now};
use chrono::Duration;
use futures::future::join_all;
use keyward_core::KeyHash;
use keyward_core::access::{OrgRole, User};
use keyward_store::Store;
use std::sync::Arc;
use uuid::Uuid;

async fn sessions(store: &dyn Store, user: &User, n: usize) -> Vec<KeyHash> {
    let mut tokens = Vec::new();
    for _ in 0..n {
        let token = new_token();
        store
            .create_session(&token, user.id, now(), now() + Duration::hours(1))
            .await
            .unwrap();
        tokens.push(token);
    }
    tokens
}

async fn live(store: &dyn Store, tokens: &[KeyHash]) -> Vec<bool> {
    let mut out = Vec::new();
    for token in tokens {
        out.push(store.session_user(token, now()).await.unwrap().is_some());
    }
    out
}

async fn password_of(store: &dyn Store, user: &User) -> String {
    store
        .user_credentials(&user.email)
        .await
        .unwrap()
        .expect("the user")
        .1
}

pub async fn setting_a_password_ends_the_other_sessions(store: Arc<dyn Store>) {
    let ada = create_user(&*store, "ada@example.com").await;
    let bob = create_user(&*store, "bob@example.com").await;
    let ada_sessions = sessions(&*store, &ada, 3).await;
    let bob_sessions = sessions(&*store, &bob, 1).await;
    let ada_reset = create_password_reset(&*store, &password_reset(&ada, None, now())).await;
    let bob_reset = create_password_reset(&*store, &password_reset(&bob, None, now())).await;

    assert!(
        store
            .set_password(ada.id, "new-hash", Some(&ada_sessions[1]))
            .await
            .unwrap()
    );
    assert_eq!(password_of(&*store, &ada).await, "new-hash");
    assert_eq!(live(&*store, &ada_sessions).await, [false, true, false]);
    assert_eq!(live(&*store, &bob_sessions).await, [true]);
    assert_eq!(password_of(&*store, &bob).await, HASH);
    // A reset link issued before the change would undo it: it is gone.
    assert_eq!(
        store.password_reset_by_token(&ada_reset).await.unwrap(),
        None
    );
    assert!(
        store
            .password_reset_by_token(&bob_reset)
            .await
            .unwrap()
            .is_some()
    );

    assert!(store.set_password(ada.id, "newer", None).await.unwrap());
    assert_eq!(live(&*store, &ada_sessions).await, [false, false, false]);
    assert!(!store.set_password(Uuid::now_v7(), "x", None).await.unwrap());
}

pub async fn password_resets_work_once_before_they_expire(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Member).await;
    let bob = create_user(&*store, "bob@example.com").await;
    let at = now();
    let reset = password_reset(&ada, Some(acme.id), at);
    let token = create_password_reset(&*store, &reset).await;
    let spare = create_password_reset(&*store, &password_reset(&ada, None, at)).await;
    let stale = password_reset(&bob, None, at - Duration::hours(2));
    let stale_token = create_password_reset(&*store, &stale).await;
    assert_eq!(
        store.password_reset_by_token(&token).await.unwrap(),
        Some(reset.clone())
    );
    assert_eq!(
        store.password_reset_by_token(&new_token()).await.unwrap(),
        None
    );
    let ada_sessions = sessions(&*store, &ada, 2).await;

    // An expired or unknown token changes nothing.
    assert_eq!(
        store
            .use_password_reset(&stale_token, at, "bob-new")
            .await
            .unwrap(),
        None
    );
    assert_eq!(password_of(&*store, &bob).await, HASH);
    assert_eq!(
        store
            .use_password_reset(&new_token(), at, "x")
            .await
            .unwrap(),
        None
    );

    let used_at = at + Duration::minutes(5);
    let user = store.use_password_reset(&token, used_at, "ada-new").await;
    assert_eq!(user.unwrap(), Some(ada.clone()));
    assert_eq!(password_of(&*store, &ada).await, "ada-new");
    assert_eq!(live(&*store, &ada_sessions).await, [false, false]);
    let mut used = reset.clone();
    used.used_at = Some(used_at);
    assert_eq!(
        store.password_reset_by_token(&token).await.unwrap(),
        Some(used)
    );

    // Used once, for good; and the user's other open reset is closed too.
    for again in [&token, &spare] {
        let answer = store.use_password_reset(again, used_at, "again").await;
        assert_eq!(answer.unwrap(), None);
    }
    assert_eq!(password_of(&*store, &ada).await, "ada-new");
}

pub async fn concurrent_uses_of_one_reset_have_one_winner(store: Arc<dyn Store>) {
    let ada = create_user(&*store, "ada@example.com").await;
    let token = create_password_reset(&*store, &password_reset(&ada, None, now())).await;
    let uses = (0..8).map(|i| {
        let (store, token) = (store.clone(), token);
        async move {
            store
                .use_password_reset(&token, now(), &format!("hash-{i}"))
                .await
                .unwrap()
        }
    });
    let winners = join_all(uses).await.into_iter().flatten().count();
    assert_eq!(winners, 1);
}
