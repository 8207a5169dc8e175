//! Teams, their members, and their keys when they go.

use super::records::{
    access_of, as_user, assert_conflict, assert_missing, create_team, create_user, member,
    owned_key, reread, team,
};
use crate::fixtures::{create_org, now};
use keyward_core::Scope;
use keyward_core::access::{OrgRole, TeamMember, TeamRole};
use keyward_store::Store;
use std::sync::Arc;
use uuid::Uuid;

pub async fn teams_round_trip(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let data = create_team(&*store, &acme, "data").await;
    let ops = create_team(&*store, &acme, "Ops ✓").await;
    let twin = create_team(&*store, &other, "data").await;
    let mut taken = data.clone();
    taken.id = Uuid::now_v7();
    assert_conflict(store.create_team(&taken, None).await, "team");
    let mut orphan = data.clone();
    orphan.id = Uuid::now_v7();
    orphan.organization_id = Uuid::now_v7();
    assert_missing(store.create_team(&orphan, None).await);

    assert_eq!(
        store.teams(acme.id).await.unwrap(),
        vec![data.clone(), ops.clone()]
    );
    assert_eq!(store.teams(other.id).await.unwrap(), vec![twin.clone()]);
    assert_eq!(
        store.team(acme.id, data.id).await.unwrap(),
        Some(data.clone())
    );
    assert_eq!(store.team(other.id, data.id).await.unwrap(), None);

    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Member).await;
    let bob = member(&*store, &acme, "bob@example.com", OrgRole::Member).await;
    let outsider = create_user(&*store, "eve@example.com").await;
    store
        .set_team_member(data.id, bob.id, TeamRole::Member)
        .await
        .unwrap();
    store
        .set_team_member(data.id, ada.id, TeamRole::Member)
        .await
        .unwrap();
    store
        .set_team_member(data.id, ada.id, TeamRole::Owner)
        .await
        .unwrap();
    // Only members of the team's organization can join it.
    assert_missing(
        store
            .set_team_member(data.id, outsider.id, TeamRole::Member)
            .await,
    );
    assert_missing(
        store
            .set_team_member(twin.id, ada.id, TeamRole::Member)
            .await,
    );
    assert_missing(
        store
            .set_team_member(Uuid::now_v7(), ada.id, TeamRole::Member)
            .await,
    );

    assert_eq!(
        store.team_members(data.id).await.unwrap(),
        vec![
            TeamMember {
                user: ada.clone(),
                role: TeamRole::Owner
            },
            TeamMember {
                user: bob.clone(),
                role: TeamRole::Member
            },
        ]
    );
    assert_eq!(store.team_members(twin.id).await.unwrap(), vec![]);
    assert!(store.remove_team_member(data.id, bob.id).await.unwrap());
    assert!(!store.remove_team_member(data.id, bob.id).await.unwrap());
    assert_eq!(
        store.team_members(data.id).await.unwrap(),
        vec![TeamMember {
            user: ada,
            role: TeamRole::Owner
        }]
    );
}

pub async fn create_team_with_its_owner_in_one_transaction(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Member).await;
    let outsider = create_user(&*store, "eve@example.com").await;
    let data = team(&acme, "data");
    store.create_team(&data, Some(ada.id)).await.unwrap();
    assert_eq!(
        store.team_members(data.id).await.unwrap(),
        vec![TeamMember {
            user: ada.clone(),
            role: TeamRole::Owner
        }]
    );
    let access = access_of(&*store, acme.id, as_user(&ada)).await.unwrap();
    assert_eq!(access.teams, vec![(data.id, TeamRole::Owner)]);

    // An owner outside the organization leaves no team behind.
    let ops = team(&acme, "ops");
    assert_missing(store.create_team(&ops, Some(outsider.id)).await);
    assert_eq!(store.team(acme.id, ops.id).await.unwrap(), None);
    assert_eq!(store.teams(acme.id).await.unwrap(), vec![data]);
}

pub async fn delete_team_revokes_its_keys(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Owner).await;
    let data = create_team(&*store, &acme, "data").await;
    let ops = create_team(&*store, &acme, "ops").await;
    store
        .set_team_member(data.id, ada.id, TeamRole::Owner)
        .await
        .unwrap();

    let team_keys = [
        owned_key(&*store, &acme, Scope::Team, data.id).await,
        owned_key(&*store, &acme, Scope::Team, data.id).await,
    ];
    let ops_key = owned_key(&*store, &acme, Scope::Team, ops.id).await;
    let personal = owned_key(&*store, &acme, Scope::User, ada.id).await;
    let org_key = owned_key(&*store, &acme, Scope::Organization, acme.id).await;

    // Not from another organization, nor an unknown team.
    let at = now();
    assert!(!store.delete_team(other.id, data.id, at).await.unwrap());
    assert!(
        !store
            .delete_team(acme.id, Uuid::now_v7(), at)
            .await
            .unwrap()
    );
    for key in &team_keys {
        assert_eq!(reread(&*store, key).await.revoked_at, None);
    }

    assert!(store.delete_team(acme.id, data.id, at).await.unwrap());
    assert!(!store.delete_team(acme.id, data.id, now()).await.unwrap());
    assert_eq!(store.team(acme.id, data.id).await.unwrap(), None);
    assert_eq!(store.teams(acme.id).await.unwrap(), vec![ops.clone()]);
    assert_eq!(store.team_members(data.id).await.unwrap(), vec![]);
    for key in &team_keys {
        assert_eq!(reread(&*store, key).await.revoked_at, Some(at));
    }
    for untouched in [&ops_key, &personal, &org_key] {
        assert_eq!(&reread(&*store, untouched).await, untouched);
    }
    let access = access_of(&*store, acme.id, as_user(&ada)).await.unwrap();
    assert_eq!(access.teams, vec![]);
}
