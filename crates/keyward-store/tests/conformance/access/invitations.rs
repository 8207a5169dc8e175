//! Invitations: listing, and accepting each once.

use super::records::{
    HASH, assert_missing, create_invitation, create_user, invitation, new_token, user,
};
use crate::fixtures::{create_org, now};
use chrono::Duration;
use futures::future::join_all;
use keyward_core::access::OrgRole;
use keyward_store::Store;
use std::sync::Arc;

pub async fn invitations_list_pending_newest_first(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let t0 = now() - Duration::days(30);
    let expired = invitation(&acme, "old@example.com", OrgRole::Member, t0);
    let older = invitation(
        &acme,
        "ada@example.com",
        OrgRole::Admin,
        now() - Duration::hours(2),
    );
    let newer = invitation(
        &acme,
        "bob@example.com",
        OrgRole::Owner,
        now() - Duration::hours(1),
    );
    let accepted = invitation(&acme, "cy@example.com", OrgRole::Member, now());
    let elsewhere = invitation(&other, "ada@example.com", OrgRole::Member, now());
    for i in [&expired, &older, &newer, &elsewhere] {
        create_invitation(&*store, i).await;
    }
    let token = create_invitation(&*store, &accepted).await;
    store
        .accept_invitation(&token, now(), &user("cy@example.com"), HASH)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(
        store.invitations(acme.id).await.unwrap(),
        vec![newer.clone(), older.clone(), expired.clone()]
    );
    assert_eq!(
        store.invitations(other.id).await.unwrap(),
        vec![elsewhere.clone()]
    );

    assert!(!store.delete_invitation(other.id, older.id).await.unwrap());
    assert!(store.delete_invitation(acme.id, older.id).await.unwrap());
    assert!(!store.delete_invitation(acme.id, older.id).await.unwrap());
    assert_eq!(
        store.invitations(acme.id).await.unwrap(),
        vec![newer, expired]
    );
    assert_missing(
        store
            .create_invitation(
                &invitation(
                    &crate::fixtures::org("ghost"),
                    "x@example.com",
                    OrgRole::Member,
                    now(),
                ),
                &new_token(),
            )
            .await,
    );
}

pub async fn accept_invitation_creates_a_user_and_a_membership(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let invited = invitation(&acme, "new@example.com", OrgRole::Admin, now());
    let token = create_invitation(&*store, &invited).await;
    // The candidate's email is the one the invitation was sent to.
    let candidate = user("typed-something-else@example.com");
    let at = now();

    let accepted = store
        .accept_invitation(&token, at, &candidate, "new-hash")
        .await
        .unwrap()
        .expect("the invitation is open");

    let mut expected_invitation = invited.clone();
    expected_invitation.accepted_at = Some(at);
    assert_eq!(accepted.invitation, expected_invitation);
    assert!(accepted.user_created);
    let mut expected_user = candidate.clone();
    expected_user.email = "new@example.com".to_owned();
    assert_eq!(accepted.user, expected_user);
    assert_eq!(
        store.user_credentials("new@example.com").await.unwrap(),
        Some((expected_user.clone(), "new-hash".to_owned()))
    );
    assert_eq!(
        store
            .user_credentials("typed-something-else@example.com")
            .await
            .unwrap(),
        None
    );
    let joined = store.member(acme.id, candidate.id).await.unwrap().unwrap();
    assert_eq!((joined.role, joined.joined_at), (OrgRole::Admin, at));
    assert_eq!(store.invitations(acme.id).await.unwrap(), vec![]);

    // Used once, for good.
    assert_eq!(
        store
            .accept_invitation(&token, at, &user("again@example.com"), HASH)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
}

pub async fn accept_invitation_reuses_an_existing_user_and_role(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ada = create_user(&*store, "ada@example.com").await;
    store
        .add_member(other.id, ada.id, OrgRole::Owner, now())
        .await
        .unwrap();

    // An existing user joins with the invitation's role; their password stays.
    let token = create_invitation(
        &*store,
        &invitation(&acme, "ada@example.com", OrgRole::Member, now()),
    )
    .await;
    let accepted = store
        .accept_invitation(&token, now(), &user("ada@example.com"), "attacker-hash")
        .await
        .unwrap()
        .unwrap();
    assert!(!accepted.user_created);
    assert_eq!(accepted.user, ada);
    assert_eq!(
        store.user_credentials("ada@example.com").await.unwrap(),
        Some((ada.clone(), HASH.to_owned()))
    );
    assert_eq!(
        store.member(acme.id, ada.id).await.unwrap().unwrap().role,
        OrgRole::Member
    );

    // A member already keeps their role, higher or lower.
    let token = create_invitation(
        &*store,
        &invitation(&other, "ada@example.com", OrgRole::Member, now()),
    )
    .await;
    let accepted = store
        .accept_invitation(&token, now(), &user("ada@example.com"), HASH)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.user, ada);
    assert_eq!(
        store.member(other.id, ada.id).await.unwrap().unwrap().role,
        OrgRole::Owner
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
}

pub async fn accept_invitation_refuses_used_expired_and_unknown_tokens(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let invited = invitation(&acme, "ada@example.com", OrgRole::Member, now());
    let token = create_invitation(&*store, &invited).await;
    let candidate = user("ada@example.com");

    assert_eq!(
        store
            .accept_invitation(&token, invited.expires_at, &candidate, HASH)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .accept_invitation(
                &token,
                invited.expires_at + Duration::days(1),
                &candidate,
                HASH
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .accept_invitation(&new_token(), now(), &candidate, HASH)
            .await
            .unwrap(),
        None
    );
    // Nothing was written by the refusals.
    assert_eq!(store.count_users().await.unwrap(), 0);
    assert_eq!(
        store.invitations(acme.id).await.unwrap(),
        vec![invited.clone()]
    );

    let last_moment = invited.expires_at - Duration::milliseconds(1);
    assert!(
        store
            .accept_invitation(&token, last_moment, &candidate, HASH)
            .await
            .unwrap()
            .is_some()
    );
    // A deleted invitation can't be accepted.
    let deleted = invitation(&acme, "bob@example.com", OrgRole::Member, now());
    let deleted_token = create_invitation(&*store, &deleted).await;
    assert!(store.delete_invitation(acme.id, deleted.id).await.unwrap());
    assert_eq!(
        store
            .accept_invitation(&deleted_token, now(), &user("bob@example.com"), HASH)
            .await
            .unwrap(),
        None
    );
}

pub async fn concurrent_accepts_of_one_invitation_have_one_winner(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    for round in 0..5 {
        let email = format!("new{round}@example.com");
        let token =
            create_invitation(&*store, &invitation(&acme, &email, OrgRole::Member, now())).await;
        let tasks = (0..2).map(|n| {
            let store = store.clone();
            let candidate = user(&format!("candidate{n}@example.com"));
            tokio::spawn(async move {
                store
                    .accept_invitation(&token, now(), &candidate, HASH)
                    .await
                    .unwrap()
            })
        });
        let winners: Vec<_> = join_all(tasks)
            .await
            .into_iter()
            .filter_map(|t| t.unwrap())
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert!(winners[0].user_created);
        assert_eq!(winners[0].user.email, email);
    }
    assert_eq!(store.count_users().await.unwrap(), 5);
    assert_eq!(store.members(acme.id).await.unwrap().len(), 5);
}

pub async fn concurrent_accepts_for_one_new_email_create_one_user(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let tokens = [
        create_invitation(
            &*store,
            &invitation(&acme, "new@example.com", OrgRole::Member, now()),
        )
        .await,
        create_invitation(
            &*store,
            &invitation(&other, "new@example.com", OrgRole::Admin, now()),
        )
        .await,
    ];
    let tasks = tokens.map(|token| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .accept_invitation(&token, now(), &user("new@example.com"), HASH)
                .await
                .unwrap()
                .expect("each invitation is open")
        })
    });
    let accepted: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|t| t.unwrap())
        .collect();
    assert_eq!(accepted.iter().filter(|a| a.user_created).count(), 1);
    assert_eq!(accepted[0].user, accepted[1].user);
    assert_eq!(store.count_users().await.unwrap(), 1);
    let id = accepted[0].user.id;
    assert_eq!(
        store.user_orgs(id).await.unwrap(),
        vec![(acme, OrgRole::Member), (other, OrgRole::Admin)]
    );
}
