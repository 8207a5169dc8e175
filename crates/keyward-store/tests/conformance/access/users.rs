//! Users and their sessions.

use super::records::{HASH, assert_conflict, assert_missing, create_user, new_token, user};
use crate::fixtures::now;
use chrono::Duration;
use keyward_store::Store;
use std::sync::Arc;
use uuid::Uuid;

pub async fn users_round_trip(store: Arc<dyn Store>) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let mut ada = user("ada@example.com");
    ada.name = "Ada Lovelace ✓ 'quoted'".to_owned();
    store.create_user(&ada, HASH).await.unwrap();
    let bob = create_user(&*store, "bob@example.com").await;
    assert_eq!(store.count_users().await.unwrap(), 2);

    assert_eq!(store.user_by_id(ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(store.user_by_id(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(
        store.user_credentials("ada@example.com").await.unwrap(),
        Some((ada.clone(), HASH.to_owned()))
    );
    assert_eq!(
        store.user_credentials("nobody@example.com").await.unwrap(),
        None
    );

    let disabled = store.set_user_enabled(ada.id, false).await.unwrap();
    let mut expected = ada.clone();
    expected.enabled = false;
    assert_eq!(disabled, Some(expected.clone()));
    assert_eq!(store.user_by_id(ada.id).await.unwrap(), Some(expected));
    assert_eq!(
        store.set_user_enabled(ada.id, true).await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store.set_user_enabled(Uuid::now_v7(), false).await.unwrap(),
        None
    );
    assert_eq!(store.user_by_id(bob.id).await.unwrap(), Some(bob));
}

pub async fn duplicate_email_conflicts(store: Arc<dyn Store>) {
    let ada = create_user(&*store, "ada@example.com").await;
    let twin = user("ada@example.com");
    assert_conflict(store.create_user(&twin, "other").await, "email");
    assert_eq!(store.user_by_id(twin.id).await.unwrap(), None);
    assert_eq!(
        store.user_credentials("ada@example.com").await.unwrap(),
        Some((ada, HASH.to_owned()))
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
}

pub async fn sessions_need_an_unexpired_session_of_an_enabled_user(store: Arc<dyn Store>) {
    let ada = create_user(&*store, "ada@example.com").await;
    let t0 = now();
    let expires = t0 + Duration::hours(12);
    let session = new_token();
    store
        .create_session(&session, ada.id, t0, expires)
        .await
        .unwrap();

    assert_eq!(
        store.session_user(&session, t0).await.unwrap(),
        Some(ada.clone())
    );
    let last_moment = expires - Duration::milliseconds(1);
    assert_eq!(
        store.session_user(&session, last_moment).await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(store.session_user(&session, expires).await.unwrap(), None);
    assert_eq!(store.session_user(&new_token(), t0).await.unwrap(), None);

    assert!(store.delete_session(&session).await.unwrap());
    assert!(!store.delete_session(&session).await.unwrap());
    assert_eq!(store.session_user(&session, t0).await.unwrap(), None);

    assert_missing(
        store
            .create_session(&new_token(), Uuid::now_v7(), t0, expires)
            .await,
    );
}

pub async fn disabling_a_user_ends_their_sessions_for_good(store: Arc<dyn Store>) {
    let ada = create_user(&*store, "ada@example.com").await;
    let bob = create_user(&*store, "bob@example.com").await;
    let t0 = now();
    let expires = t0 + Duration::hours(12);
    let (first, second, bobs) = (new_token(), new_token(), new_token());
    for (token, user) in [(&first, &ada), (&second, &ada), (&bobs, &bob)] {
        store
            .create_session(token, user.id, t0, expires)
            .await
            .unwrap();
    }

    store.set_user_enabled(ada.id, false).await.unwrap();
    assert_eq!(store.session_user(&first, t0).await.unwrap(), None);
    // Enabling again revives none of them: they are gone.
    store.set_user_enabled(ada.id, true).await.unwrap();
    for token in [&first, &second] {
        assert_eq!(store.session_user(token, t0).await.unwrap(), None);
        assert!(!store.delete_session(token).await.unwrap());
    }
    // Other users keep theirs; a new sign-in works.
    assert_eq!(
        store.session_user(&bobs, t0).await.unwrap(),
        Some(bob.clone())
    );
    let fresh = new_token();
    store
        .create_session(&fresh, ada.id, t0, expires)
        .await
        .unwrap();
    assert_eq!(store.session_user(&fresh, t0).await.unwrap(), Some(ada));
    // Enabling an enabled user ends nothing.
    store.set_user_enabled(bob.id, true).await.unwrap();
    assert_eq!(store.session_user(&bobs, t0).await.unwrap(), Some(bob));
}
