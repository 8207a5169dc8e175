//! Memberships: roles, the last owner, and removal.

use super::records::{
    NO_IDS, access_of, as_user, assert_conflict, assert_last_owner, assert_missing, assigned,
    create_group, create_role, create_team, create_user, grant_of, member, owned_key, reread,
};
use crate::fixtures::{create_org, grant, insert, now};
use chrono::Duration;
use futures::future::join_all;
use keyward_core::Scope;
use keyward_core::access::{OrgRole, TeamMember, TeamRole};
use keyward_store::{Store, StoreError};
use std::sync::Arc;
use uuid::Uuid;

pub async fn memberships_round_trip(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ada = create_user(&*store, "ada@example.com").await;
    let bob = create_user(&*store, "bob@example.com").await;
    let t0 = now();
    store
        .add_member(acme.id, ada.id, OrgRole::Owner, t0)
        .await
        .unwrap();
    store
        .add_member(acme.id, bob.id, OrgRole::Member, t0 + Duration::seconds(1))
        .await
        .unwrap();
    store
        .add_member(other.id, ada.id, OrgRole::Admin, t0)
        .await
        .unwrap();

    assert_conflict(
        store.add_member(acme.id, bob.id, OrgRole::Admin, t0).await,
        "membership",
    );
    assert_missing(
        store
            .add_member(acme.id, Uuid::now_v7(), OrgRole::Member, t0)
            .await,
    );
    assert_missing(
        store
            .add_member(Uuid::now_v7(), bob.id, OrgRole::Member, t0)
            .await,
    );

    let members = store.members(acme.id).await.unwrap();
    assert_eq!(
        members
            .iter()
            .map(|m| (m.user.clone(), m.role, m.joined_at))
            .collect::<Vec<_>>(),
        vec![
            (ada.clone(), OrgRole::Owner, t0),
            (bob.clone(), OrgRole::Member, t0 + Duration::seconds(1)),
        ]
    );
    let bob_there = store.member(acme.id, bob.id).await.unwrap().unwrap();
    assert_eq!(bob_there.role, OrgRole::Member);
    assert_eq!(store.member(other.id, bob.id).await.unwrap(), None);

    let orgs = store.user_orgs(ada.id).await.unwrap();
    assert_eq!(
        orgs,
        vec![
            (acme.clone(), OrgRole::Owner),
            (other.clone(), OrgRole::Admin)
        ]
    );
    assert_eq!(
        store.user_orgs(bob.id).await.unwrap(),
        vec![(acme.clone(), OrgRole::Member)]
    );

    let promoted = store
        .set_member_role(acme.id, bob.id, OrgRole::Admin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.role, OrgRole::Admin);
    assert_eq!(promoted.user, bob);
    assert_eq!(promoted.joined_at, t0 + Duration::seconds(1));
    assert_eq!(
        store
            .set_member_role(other.id, bob.id, OrgRole::Admin)
            .await
            .unwrap(),
        None
    );
    assert!(!store.remove_member(other.id, bob.id, now()).await.unwrap());
    assert!(store.remove_member(acme.id, bob.id, now()).await.unwrap());
    assert!(!store.remove_member(acme.id, bob.id, now()).await.unwrap());
    assert_eq!(store.user_orgs(bob.id).await.unwrap(), vec![]);
}

pub async fn last_owner_cannot_be_demoted_or_removed(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Owner).await;
    let bob = member(&*store, &acme, "bob@example.com", OrgRole::Admin).await;
    // Owners elsewhere don't count.
    let other = create_org(&*store, "other").await;
    store
        .add_member(other.id, bob.id, OrgRole::Owner, now())
        .await
        .unwrap();

    assert_last_owner(store.set_member_role(acme.id, ada.id, OrgRole::Admin).await);
    assert_last_owner(
        store
            .set_member_role(acme.id, ada.id, OrgRole::Member)
            .await,
    );
    assert_last_owner(store.remove_member(acme.id, ada.id, now()).await);
    assert_eq!(
        store.member(acme.id, ada.id).await.unwrap().unwrap().role,
        OrgRole::Owner
    );
    // Staying owner is no change.
    let same = store
        .set_member_role(acme.id, ada.id, OrgRole::Owner)
        .await
        .unwrap();
    assert_eq!(same.unwrap().role, OrgRole::Owner);

    // With a second owner, either may go.
    store
        .set_member_role(acme.id, bob.id, OrgRole::Owner)
        .await
        .unwrap();
    let demoted = store
        .set_member_role(acme.id, ada.id, OrgRole::Member)
        .await
        .unwrap();
    assert_eq!(demoted.unwrap().role, OrgRole::Member);
    assert_last_owner(store.set_member_role(acme.id, bob.id, OrgRole::Admin).await);
    assert_last_owner(store.remove_member(acme.id, bob.id, now()).await);
    store
        .set_member_role(acme.id, ada.id, OrgRole::Owner)
        .await
        .unwrap();
    assert!(store.remove_member(acme.id, bob.id, now()).await.unwrap());
    assert_last_owner(store.remove_member(acme.id, ada.id, now()).await);

    let members = store.members(acme.id).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        (members[0].user.id, members[0].role),
        (ada.id, OrgRole::Owner)
    );
    assert_eq!(
        store.member(other.id, bob.id).await.unwrap().unwrap().role,
        OrgRole::Owner
    );
}

pub async fn concurrent_owner_changes_keep_an_owner(store: Arc<dyn Store>) {
    // Two owners, each demoted or removed at once: one change must lose.
    for round in 0..6u32 {
        let org = create_org(&*store, &format!("acme-{round}")).await;
        member(
            &*store,
            &org,
            &format!("admin{round}@example.com"),
            OrgRole::Admin,
        )
        .await;
        let owners = [
            member(
                &*store,
                &org,
                &format!("a{round}@example.com"),
                OrgRole::Owner,
            )
            .await,
            member(
                &*store,
                &org,
                &format!("b{round}@example.com"),
                OrgRole::Owner,
            )
            .await,
        ];
        let tasks = owners.iter().enumerate().map(|(n, owner)| {
            let store = store.clone();
            let (org, id) = (org.id, owner.id);
            // Rounds alternate: both demoted, both removed, one of each.
            let demote = match round % 3 {
                0 => true,
                1 => false,
                _ => n == 0,
            };
            tokio::spawn(async move {
                if demote {
                    store
                        .set_member_role(org, id, OrgRole::Admin)
                        .await
                        .map(|m| m.is_some())
                } else {
                    store.remove_member(org, id, now()).await
                }
            })
        });
        let outcomes: Vec<_> = join_all(tasks)
            .await
            .into_iter()
            .map(|t| t.unwrap())
            .collect();
        let won = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
        let lost = outcomes
            .iter()
            .filter(|o| matches!(o, Err(StoreError::LastOwner)))
            .count();
        assert_eq!((won, lost), (1, 1), "round {round}: {outcomes:?}");
        let owners_left = store
            .members(org.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.role == OrgRole::Owner)
            .count();
        assert_eq!(owners_left, 1, "round {round}");
    }
}

pub async fn remove_member_cleans_up_and_revokes_user_keys(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    member(&*store, &acme, "owner@example.com", OrgRole::Owner).await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Admin).await;
    store
        .add_member(other.id, ada.id, OrgRole::Member, now())
        .await
        .unwrap();
    let stays = member(&*store, &acme, "bob@example.com", OrgRole::Member).await;

    let team = create_team(&*store, &acme, "data").await;
    let other_team = create_team(&*store, &other, "data").await;
    for t in [&team, &other_team] {
        store
            .set_team_member(t.id, ada.id, TeamRole::Owner)
            .await
            .unwrap();
    }
    store
        .set_team_member(team.id, stays.id, TeamRole::Member)
        .await
        .unwrap();
    let reader = create_role(&*store, &acme, "reader", vec![grant(1, "keys:read", "*")]).await;
    let other_reader =
        create_role(&*store, &other, "reader", vec![grant(1, "keys:read", "*")]).await;
    store
        .assign_role(acme.id, as_user(&ada), reader.id)
        .await
        .unwrap();
    store
        .assign_role(acme.id, as_user(&stays), reader.id)
        .await
        .unwrap();
    store
        .assign_role(other.id, as_user(&ada), other_reader.id)
        .await
        .unwrap();
    let squad = create_group(
        &*store,
        &acme,
        "squad",
        vec![],
        vec![as_user(&ada), as_user(&stays)],
    )
    .await;
    let other_squad = create_group(&*store, &other, "squad", vec![], vec![as_user(&ada)]).await;

    let personal = owned_key(&*store, &acme, Scope::User, ada.id).await;
    let personal_2 = owned_key(&*store, &acme, Scope::User, ada.id).await;
    let earlier = now() - Duration::hours(1);
    let already_revoked = owned_key(&*store, &acme, Scope::User, ada.id).await;
    store
        .revoke_key(acme.id, already_revoked.id, earlier)
        .await
        .unwrap();
    // Keys ada created for her team or the organization belong to those.
    let team_key = insert(&*store, &acme, |k| {
        k.scope = Scope::Team;
        k.owner_id = team.id;
        k.created_by = format!("user:{}", ada.id);
    })
    .await
    .record;
    let org_key = insert(&*store, &acme, |k| {
        k.created_by = format!("user:{}", ada.id);
    })
    .await
    .record;
    let bobs = owned_key(&*store, &acme, Scope::User, stays.id).await;
    let elsewhere = owned_key(&*store, &other, Scope::User, ada.id).await;

    let at = now();
    assert!(store.remove_member(acme.id, ada.id, at).await.unwrap());

    assert_eq!(store.member(acme.id, ada.id).await.unwrap(), None);
    assert_eq!(access_of(&*store, acme.id, as_user(&ada)).await, None);
    for key in [&personal, &personal_2] {
        assert_eq!(reread(&*store, key).await.revoked_at, Some(at));
    }
    assert_eq!(
        reread(&*store, &already_revoked).await.revoked_at,
        Some(earlier)
    );
    for untouched in [&team_key, &org_key, &bobs, &elsewhere] {
        assert_eq!(&reread(&*store, untouched).await, untouched);
    }
    let team_members: Vec<Uuid> = store
        .team_members(team.id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.user.id)
        .collect();
    assert_eq!(team_members, vec![stays.id]);
    assert_eq!(assigned(&*store, acme.id, as_user(&ada)).await, NO_IDS);
    assert_eq!(
        assigned(&*store, acme.id, as_user(&stays)).await,
        vec![reader.id]
    );
    assert_eq!(
        store
            .group(acme.id, squad.id)
            .await
            .unwrap()
            .unwrap()
            .members,
        vec![as_user(&stays)]
    );

    // Ada's place in the other organization is untouched.
    assert_eq!(
        store.member(other.id, ada.id).await.unwrap().unwrap().role,
        OrgRole::Member
    );
    assert_eq!(
        store.team_members(other_team.id).await.unwrap(),
        vec![TeamMember {
            user: ada.clone(),
            role: TeamRole::Owner
        }]
    );
    assert_eq!(
        assigned(&*store, other.id, as_user(&ada)).await,
        vec![other_reader.id]
    );
    assert_eq!(
        store.group(other.id, other_squad.id).await.unwrap(),
        Some(other_squad)
    );
    let access = access_of(&*store, other.id, as_user(&ada)).await.unwrap();
    assert_eq!(access.teams, vec![(other_team.id, TeamRole::Owner)]);
    assert_eq!(access.role_grants, vec![grant_of("keys:read", "*")]);
}
