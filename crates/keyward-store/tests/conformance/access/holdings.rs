//! What principals hold: `principal_access`, and deleting an organization
//! with roles in it.

use super::records::{
    HASH, NO_IDS, accept_new, access_of, as_account, as_user, assigned, create_account,
    create_group, create_invitation, create_role, create_team, create_user, grant_of, invitation,
    member, user,
};
use crate::fixtures::{create_org, create_permission, grant, insert, now};
use keyward_core::Resource;
use keyward_core::access::{OrgRole, PrincipalKind, PrincipalRef, TeamRole};
use keyward_store::{Acceptance, RolePatch, ServiceAccountPatch, Store};
use std::sync::Arc;
use uuid::Uuid;

pub async fn principal_access_of_users(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let edit = create_permission(&*store, acme.id, "datasets:edit").await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Member).await;
    store
        .add_member(other.id, ada.id, OrgRole::Owner, now())
        .await
        .unwrap();
    let outsider = create_user(&*store, "eve@example.com").await;

    // Plain membership: the org role, nothing else.
    let access = access_of(&*store, acme.id, as_user(&ada)).await.unwrap();
    assert_eq!(access.org_role, Some(OrgRole::Member));
    assert_eq!(access.teams, vec![]);
    assert_eq!(access.role_grants, vec![]);

    // Teams of this organization only.
    let data = create_team(&*store, &acme, "data").await;
    let ops = create_team(&*store, &acme, "ops").await;
    let theirs = create_team(&*store, &other, "data").await;
    store
        .set_team_member(data.id, ada.id, TeamRole::Owner)
        .await
        .unwrap();
    store
        .set_team_member(ops.id, ada.id, TeamRole::Member)
        .await
        .unwrap();
    store
        .set_team_member(theirs.id, ada.id, TeamRole::Owner)
        .await
        .unwrap();

    // A role held directly, another through a group, a third both ways
    // (counted once), and a role of the other organization.
    let direct = create_role(
        &*store,
        &acme,
        "direct",
        vec![grant(edit.id, "datasets:edit", "datasets/1")],
    )
    .await;
    let grouped = create_role(
        &*store,
        &acme,
        "grouped",
        vec![
            grant(1, "keys:read", "teams/x/*"),
            grant(edit.id, "datasets:edit", "datasets/2"),
        ],
    )
    .await;
    let both = create_role(&*store, &acme, "both", vec![grant(3, "keys:verify", "*")]).await;
    let unused = create_role(&*store, &acme, "unused", vec![grant(2, "keys:write", "*")]).await;
    let foreign = create_role(
        &*store,
        &other,
        "foreign",
        vec![grant(12, "org:write", "*")],
    )
    .await;
    store
        .assign_role(acme.id, as_user(&ada), direct.id)
        .await
        .unwrap();
    store
        .assign_role(acme.id, as_user(&ada), both.id)
        .await
        .unwrap();
    store
        .assign_role(other.id, as_user(&ada), foreign.id)
        .await
        .unwrap();
    create_group(
        &*store,
        &acme,
        "readers",
        vec![grouped.id, both.id],
        vec![as_user(&ada)],
    )
    .await;
    create_group(&*store, &acme, "bystanders", vec![unused.id], vec![]).await;
    create_group(
        &*store,
        &other,
        "theirs",
        vec![foreign.id],
        vec![as_user(&ada)],
    )
    .await;

    let access = access_of(&*store, acme.id, as_user(&ada)).await.unwrap();
    assert_eq!(access.org_role, Some(OrgRole::Member));
    let mut teams = vec![(data.id, TeamRole::Owner), (ops.id, TeamRole::Member)];
    teams.sort_by_key(|(id, _)| *id);
    assert_eq!(access.teams, teams);
    let mut held = access.role_grants.clone();
    held.sort_by_key(|g| (g.permission.as_str().to_owned(), g.resource.to_string()));
    assert_eq!(
        held,
        vec![
            grant_of("datasets:edit", "datasets/1"),
            grant_of("datasets:edit", "datasets/2"),
            grant_of("keys:read", "teams/x/*"),
            grant_of("keys:verify", "*"),
        ]
    );
    let live = access.grants(&store.catalog(acme.id).await.unwrap());
    assert!(live.allows("datasets:edit", &Resource::parse("datasets/2").unwrap()));
    assert!(!live.allows("datasets:edit", &Resource::parse("datasets/3").unwrap()));
    assert!(!live.allows("keys:write", &Resource::Any));
    assert!(!live.allows("org:write", &Resource::Any));

    // In the other organization: its own role, teams and grants.
    let there = access_of(&*store, other.id, as_user(&ada)).await.unwrap();
    assert_eq!(there.org_role, Some(OrgRole::Owner));
    assert_eq!(there.teams, vec![(theirs.id, TeamRole::Owner)]);
    assert_eq!(there.role_grants, vec![grant_of("org:write", "*")]);

    // Grants change the moment roles and groups do.
    store
        .unassign_role(acme.id, as_user(&ada), direct.id)
        .await
        .unwrap();
    store
        .unassign_role(acme.id, as_user(&ada), both.id)
        .await
        .unwrap();
    let access = access_of(&*store, acme.id, as_user(&ada)).await.unwrap();
    assert_eq!(access.role_grants.len(), 3);
    assert!(
        !access
            .role_grants
            .contains(&grant_of("datasets:edit", "datasets/1"))
    );
    store
        .update_role(
            acme.id,
            grouped.id,
            &RolePatch {
                grants: Some(vec![]),
                ..RolePatch::default()
            },
        )
        .await
        .unwrap();
    let access = access_of(&*store, acme.id, as_user(&ada)).await.unwrap();
    assert_eq!(access.role_grants, vec![grant_of("keys:verify", "*")]);

    // Unknown, outside or disabled users hold nothing.
    assert_eq!(access_of(&*store, acme.id, as_user(&outsider)).await, None);
    assert_eq!(
        access_of(&*store, acme.id, as_user(&user("nobody@example.com"))).await,
        None
    );
    assert_eq!(
        access_of(&*store, Uuid::now_v7(), as_user(&ada)).await,
        None
    );
    store.set_user_enabled(ada.id, false).await.unwrap();
    assert_eq!(access_of(&*store, acme.id, as_user(&ada)).await, None);
    assert_eq!(access_of(&*store, other.id, as_user(&ada)).await, None);
    store.set_user_enabled(ada.id, true).await.unwrap();
    assert!(access_of(&*store, acme.id, as_user(&ada)).await.is_some());

    // A user id is not a service account.
    let as_account_id = PrincipalRef {
        kind: PrincipalKind::ServiceAccount,
        id: ada.id,
    };
    assert_eq!(access_of(&*store, acme.id, as_account_id).await, None);
}

pub async fn principal_access_of_service_accounts(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ci = create_account(&*store, &acme, "ci").await;
    let foreign_ci = create_account(&*store, &other, "ci").await;

    let access = access_of(&*store, acme.id, as_account(&ci)).await.unwrap();
    assert_eq!(access.org_role, None);
    assert_eq!(access.teams, vec![]);
    assert_eq!(access.role_grants, vec![]);

    let deployer = create_role(
        &*store,
        &acme,
        "deployer",
        vec![grant(2, "keys:write", "*")],
    )
    .await;
    let verifier = create_role(
        &*store,
        &acme,
        "verifier",
        vec![grant(3, "keys:verify", "*")],
    )
    .await;
    store
        .assign_role(acme.id, as_account(&ci), deployer.id)
        .await
        .unwrap();
    create_group(
        &*store,
        &acme,
        "bots",
        vec![verifier.id],
        vec![as_account(&ci)],
    )
    .await;
    // The same id as a user gets nothing of the account's.
    let as_user_id = PrincipalRef {
        kind: PrincipalKind::User,
        id: ci.id,
    };
    assert_eq!(access_of(&*store, acme.id, as_user_id).await, None);

    let access = access_of(&*store, acme.id, as_account(&ci)).await.unwrap();
    assert_eq!(access.org_role, None);
    assert_eq!(access.teams, vec![]);
    let mut held = access.role_grants.clone();
    held.sort_by_key(|g| g.permission.as_str().to_owned());
    assert_eq!(
        held,
        vec![grant_of("keys:verify", "*"), grant_of("keys:write", "*")]
    );

    // Only in its own organization, and only while enabled.
    assert_eq!(access_of(&*store, other.id, as_account(&ci)).await, None);
    assert_eq!(
        access_of(&*store, acme.id, as_account(&foreign_ci)).await,
        None
    );
    assert!(
        access_of(&*store, other.id, as_account(&foreign_ci))
            .await
            .is_some()
    );
    let disable = ServiceAccountPatch {
        enabled: Some(false),
        ..ServiceAccountPatch::default()
    };
    store
        .update_service_account(acme.id, ci.id, &disable)
        .await
        .unwrap();
    assert_eq!(access_of(&*store, acme.id, as_account(&ci)).await, None);
    let enable = ServiceAccountPatch {
        enabled: Some(true),
        ..ServiceAccountPatch::default()
    };
    store
        .update_service_account(acme.id, ci.id, &enable)
        .await
        .unwrap();
    assert!(access_of(&*store, acme.id, as_account(&ci)).await.is_some());
    assert_eq!(
        access_of(
            &*store,
            acme.id,
            PrincipalRef {
                kind: PrincipalKind::ServiceAccount,
                id: Uuid::now_v7()
            }
        )
        .await,
        None
    );
}

pub async fn delete_org_removes_roles_granting_its_permissions(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let edit = create_permission(&*store, acme.id, "datasets:edit").await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Owner).await;
    store
        .add_member(other.id, ada.id, OrgRole::Owner, now())
        .await
        .unwrap();
    let ci = create_account(&*store, &acme, "ci").await;
    let editor = create_role(
        &*store,
        &acme,
        "editor",
        vec![
            grant(1, "keys:read", "*"),
            grant(edit.id, "datasets:edit", "datasets/1"),
        ],
    )
    .await;
    store
        .assign_role(acme.id, as_user(&ada), editor.id)
        .await
        .unwrap();
    store
        .assign_role(acme.id, as_account(&ci), editor.id)
        .await
        .unwrap();
    create_group(
        &*store,
        &acme,
        "editors",
        vec![editor.id],
        vec![as_user(&ada), as_account(&ci)],
    )
    .await;
    let team = create_team(&*store, &acme, "data").await;
    store
        .set_team_member(team.id, ada.id, TeamRole::Owner)
        .await
        .unwrap();
    let token = create_invitation(
        &*store,
        &invitation(&acme, "bob@example.com", OrgRole::Member, now()),
    )
    .await;
    let key = insert(&*store, &acme, |k| {
        k.permissions = vec![grant(edit.id, "datasets:edit", "*")]
    })
    .await;
    let kept = create_role(&*store, &other, "editor", vec![grant(1, "keys:read", "*")]).await;

    assert!(store.delete_org(acme.id).await.unwrap());

    assert_eq!(store.org_by_id(acme.id).await.unwrap(), None);
    assert_eq!(store.roles(acme.id).await.unwrap(), vec![]);
    assert_eq!(store.groups(acme.id).await.unwrap(), vec![]);
    assert_eq!(store.teams(acme.id).await.unwrap(), vec![]);
    assert_eq!(store.service_accounts(acme.id).await.unwrap(), vec![]);
    assert_eq!(store.members(acme.id).await.unwrap(), vec![]);
    assert_eq!(store.invitations(acme.id).await.unwrap(), vec![]);
    assert_eq!(assigned(&*store, acme.id, as_user(&ada)).await, NO_IDS);
    assert_eq!(store.key_by_hash(&key.hash).await.unwrap(), None);
    assert_eq!(
        store.catalog(acme.id).await.unwrap().0.len(),
        keyward_core::BUILTIN_PERMISSIONS.len()
    );
    assert_eq!(
        accept_new(&*store, &token, now(), &user("bob@example.com"), HASH).await,
        Acceptance::Invalid
    );
    // Users outlive their organizations.
    assert_eq!(
        store.user_orgs(ada.id).await.unwrap(),
        vec![(other.clone(), OrgRole::Owner)]
    );
    assert_eq!(store.roles(other.id).await.unwrap(), vec![kept]);
    assert!(!store.delete_org(acme.id).await.unwrap());
}
