//! Invitations: listing, and accepting each once, by the invited
//! account's own user or by a new one.

use super::records::{
    HASH, accept_new, accepted, assert_missing, create_invitation, create_user, invitation,
    new_token, user,
};
use crate::fixtures::{create_org, now};
use chrono::Duration;
use futures::future::join_all;
use keyward_core::access::{Invitation, OrgRole};
use keyward_store::{Acceptance, Acceptor, Store};
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
    let done = accept_new(&*store, &token, now(), &user("cy@example.com"), HASH).await;
    assert!(matches!(done, Acceptance::Accepted(_)), "{done:?}");

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

    let accepted = accepted(accept_new(&*store, &token, at, &candidate, "new-hash").await);

    let mut expected_invitation = invited.clone();
    expected_invitation.accepted_at = Some(at);
    assert_eq!(accepted.invitation, expected_invitation);
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
        accept_new(&*store, &token, at, &user("again@example.com"), HASH).await,
        Acceptance::Invalid
    );
    assert_eq!(store.count_users().await.unwrap(), 1);
}

pub async fn accept_invitation_reuses_an_existing_user_and_role(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ada = create_user(&*store, "ada@example.com").await;
    let bob = create_user(&*store, "bob@example.com").await;
    store
        .add_member(other.id, ada.id, OrgRole::Owner, now())
        .await
        .unwrap();
    let pending = invitation(&acme, "ada@example.com", OrgRole::Member, now());
    let token = create_invitation(&*store, &pending).await;

    // The email has an account: no new user, and the token alone (the
    // inviter has it too) doesn't enrol it.
    assert_eq!(
        accept_new(
            &*store,
            &token,
            now(),
            &user("ada@example.com"),
            "attacker-hash"
        )
        .await,
        Acceptance::SignInFirst
    );
    // Nor does another signed-in user, or the account while disabled.
    assert_eq!(
        store
            .accept_invitation(&token, now(), Acceptor::User(bob.id))
            .await
            .unwrap(),
        Acceptance::OtherUser
    );
    store.set_user_enabled(ada.id, false).await.unwrap();
    assert_eq!(
        store
            .accept_invitation(&token, now(), Acceptor::User(ada.id))
            .await
            .unwrap(),
        Acceptance::OtherUser
    );
    store.set_user_enabled(ada.id, true).await.unwrap();
    // The refusals wrote nothing.
    assert_eq!(store.invitations(acme.id).await.unwrap(), vec![pending]);
    assert_eq!(store.member(acme.id, ada.id).await.unwrap(), None);
    assert_eq!(store.count_users().await.unwrap(), 2);

    // Signed in, the account joins with the invitation's role; its password stays.
    let joined = store
        .accept_invitation(&token, now(), Acceptor::User(ada.id))
        .await
        .unwrap();
    assert_eq!(accepted(joined).user, ada);
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
    let joined = store
        .accept_invitation(&token, now(), Acceptor::User(ada.id))
        .await
        .unwrap();
    assert_eq!(accepted(joined).user, ada);
    assert_eq!(
        store.member(other.id, ada.id).await.unwrap().unwrap().role,
        OrgRole::Owner
    );
}

pub async fn accept_invitation_refuses_used_expired_and_unknown_tokens(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let invited = invitation(&acme, "ada@example.com", OrgRole::Member, now());
    let token = create_invitation(&*store, &invited).await;
    let candidate = user("ada@example.com");

    for (token, at) in [
        (&token, invited.expires_at),
        (&token, invited.expires_at + Duration::days(1)),
        (&new_token(), now()),
    ] {
        assert_eq!(
            accept_new(&*store, token, at, &candidate, HASH).await,
            Acceptance::Invalid
        );
    }
    // Nothing was written by the refusals.
    assert_eq!(store.count_users().await.unwrap(), 0);
    assert_eq!(
        store.invitations(acme.id).await.unwrap(),
        vec![invited.clone()]
    );

    // The token names its invitation, expired or not, accepted or not.
    assert_eq!(
        store.invitation_by_token(&token).await.unwrap(),
        Some(invited.clone())
    );
    assert_eq!(store.invitation_by_token(&new_token()).await.unwrap(), None);
    let last_moment = invited.expires_at - Duration::milliseconds(1);
    accepted(accept_new(&*store, &token, last_moment, &candidate, HASH).await);
    assert_eq!(
        store.invitation_by_token(&token).await.unwrap(),
        Some(Invitation {
            accepted_at: Some(last_moment),
            ..invited
        })
    );
    // A deleted invitation can't be accepted.
    let deleted = invitation(&acme, "bob@example.com", OrgRole::Member, now());
    let deleted_token = create_invitation(&*store, &deleted).await;
    assert!(store.delete_invitation(acme.id, deleted.id).await.unwrap());
    assert_eq!(
        store.invitation_by_token(&deleted_token).await.unwrap(),
        None
    );
    assert_eq!(
        accept_new(
            &*store,
            &deleted_token,
            now(),
            &user("bob@example.com"),
            HASH
        )
        .await,
        Acceptance::Invalid
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
            tokio::spawn(async move { accept_new(&*store, &token, now(), &candidate, HASH).await })
        });
        let outcomes: Vec<_> = join_all(tasks)
            .await
            .into_iter()
            .map(|t| t.unwrap())
            .collect();
        let winners: Vec<_> = outcomes
            .iter()
            .filter_map(|a| match a {
                Acceptance::Accepted(accepted) => Some(accepted),
                _ => None,
            })
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
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
            accept_new(&*store, &token, now(), &user("new@example.com"), HASH).await
        })
    });
    let outcomes: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|t| t.unwrap())
        .collect();
    // One creates the user; for the other the email then has an account,
    // so it must be accepted signed in, and stays open until then.
    let (winner, loser) = match &outcomes[..] {
        [Acceptance::Accepted(a), Acceptance::SignInFirst] => (a.clone(), 1),
        [Acceptance::SignInFirst, Acceptance::Accepted(a)] => (a.clone(), 0),
        other => panic!("{other:?}"),
    };
    assert_eq!(store.count_users().await.unwrap(), 1);
    let id = winner.user.id;
    let joined = store
        .accept_invitation(&tokens[loser], now(), Acceptor::User(id))
        .await
        .unwrap();
    assert_eq!(accepted(joined).user, winner.user);
    assert_eq!(
        store.user_orgs(id).await.unwrap(),
        vec![(acme, OrgRole::Member), (other, OrgRole::Admin)]
    );
}
