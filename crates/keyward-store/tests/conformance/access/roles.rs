//! Roles, their grants and assignments, and groups.

use super::records::{
    NO_IDS, as_account, as_user, assert_conflict, assert_missing, assigned, create_account,
    create_group, create_role, create_user, group, member, role, sorted,
};
use crate::fixtures::{create_org, create_permission, grant};
use keyward_core::access::OrgRole;
use keyward_store::{RolePatch, Store};
use std::sync::Arc;
use uuid::Uuid;

pub async fn roles_round_trip(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let edit = create_permission(&*store, acme.id, "datasets:edit").await;
    // Grants out of id order, one permission twice.
    let grants = vec![
        grant(edit.id, "datasets:edit", "datasets/42"),
        grant(1, "keys:read", "*"),
        grant(edit.id, "datasets:edit", "teams/7/*"),
    ];
    let editor = create_role(&*store, &acme, "editor", grants.clone()).await;
    let empty = create_role(&*store, &acme, "empty", vec![]).await;
    let twin = create_role(&*store, &other, "editor", vec![grant(2, "keys:write", "*")]).await;
    assert_conflict(
        store.create_role(&role(&acme, "editor", vec![])).await,
        "role",
    );

    assert_eq!(
        store.roles(acme.id).await.unwrap(),
        vec![editor.clone(), empty.clone()]
    );
    assert_eq!(store.roles(other.id).await.unwrap(), vec![twin.clone()]);
    assert_eq!(
        store.role(acme.id, editor.id).await.unwrap(),
        Some(editor.clone())
    );
    assert_eq!(store.role(other.id, editor.id).await.unwrap(), None);

    // Only what a patch names changes; grants are replaced when given.
    let renamed = store
        .update_role(
            acme.id,
            editor.id,
            &RolePatch {
                name: Some("writer".to_owned()),
                ..RolePatch::default()
            },
        )
        .await
        .unwrap();
    let mut expected = editor.clone();
    expected.name = "writer".to_owned();
    assert_eq!(renamed, Some(expected.clone()));
    let regranted = store
        .update_role(
            acme.id,
            editor.id,
            &RolePatch {
                description: Some("Writes".to_owned()),
                grants: Some(vec![
                    grant(3, "keys:verify", "*"),
                    grant(edit.id, "datasets:edit", "*"),
                ]),
                ..RolePatch::default()
            },
        )
        .await
        .unwrap();
    expected.description = "Writes".to_owned();
    expected.grants = vec![
        grant(3, "keys:verify", "*"),
        grant(edit.id, "datasets:edit", "*"),
    ];
    assert_eq!(regranted, Some(expected.clone()));
    assert_eq!(
        store.role(acme.id, editor.id).await.unwrap(),
        Some(expected.clone())
    );
    let emptied = store
        .update_role(
            acme.id,
            editor.id,
            &RolePatch {
                grants: Some(vec![]),
                ..RolePatch::default()
            },
        )
        .await
        .unwrap();
    expected.grants = vec![];
    assert_eq!(emptied, Some(expected.clone()));
    assert_conflict(
        store
            .update_role(
                acme.id,
                editor.id,
                &RolePatch {
                    name: Some("empty".to_owned()),
                    ..RolePatch::default()
                },
            )
            .await,
        "role",
    );
    assert_eq!(
        store
            .update_role(other.id, editor.id, &RolePatch::default())
            .await
            .unwrap(),
        None
    );

    assert!(!store.delete_role(other.id, editor.id).await.unwrap());
    assert!(store.delete_role(acme.id, editor.id).await.unwrap());
    assert!(!store.delete_role(acme.id, editor.id).await.unwrap());
    assert_eq!(store.roles(acme.id).await.unwrap(), vec![empty]);
    assert_eq!(store.role(other.id, twin.id).await.unwrap(), Some(twin));
}

pub async fn role_grants_stay_in_their_organization(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let foreign = create_permission(&*store, other.id, "datasets:edit").await;

    // A grant of another organization's permission, or of none, fails the
    // whole write.
    let bad = role(
        &acme,
        "sneaky",
        vec![
            grant(1, "keys:read", "*"),
            grant(foreign.id, "datasets:edit", "*"),
        ],
    );
    assert_missing(store.create_role(&bad).await);
    assert_missing(
        store
            .create_role(&role(&acme, "ghost", vec![grant(999_999, "x:y", "*")]))
            .await,
    );
    assert_eq!(store.roles(acme.id).await.unwrap(), vec![]);

    let kept = create_role(&*store, &acme, "kept", vec![grant(1, "keys:read", "*")]).await;
    let patch = RolePatch {
        name: Some("changed".to_owned()),
        grants: Some(vec![grant(foreign.id, "datasets:edit", "*")]),
        ..RolePatch::default()
    };
    assert_missing(store.update_role(acme.id, kept.id, &patch).await);
    assert_eq!(store.role(acme.id, kept.id).await.unwrap(), Some(kept));

    // The other organization can still go: no role of acme pins its catalog.
    assert!(store.delete_org(other.id).await.unwrap());
}

pub async fn role_assignments_are_idempotent_and_in_org(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Member).await;
    let outsider = create_user(&*store, "eve@example.com").await;
    let ci = create_account(&*store, &acme, "ci").await;
    let foreign_ci = create_account(&*store, &other, "ci").await;
    let first = create_role(&*store, &acme, "first", vec![]).await;
    let second = create_role(&*store, &acme, "second", vec![]).await;
    let foreign = create_role(&*store, &other, "foreign", vec![]).await;

    for _ in 0..2 {
        store
            .assign_role(acme.id, as_user(&ada), second.id)
            .await
            .unwrap();
        store
            .assign_role(acme.id, as_user(&ada), first.id)
            .await
            .unwrap();
    }
    store
        .assign_role(acme.id, as_account(&ci), first.id)
        .await
        .unwrap();
    let mut both = vec![first.id, second.id];
    both.sort();
    assert_eq!(assigned(&*store, acme.id, as_user(&ada)).await, both);
    assert_eq!(
        assigned(&*store, acme.id, as_account(&ci)).await,
        vec![first.id]
    );
    assert_eq!(assigned(&*store, other.id, as_user(&ada)).await, NO_IDS);

    // Roles and principals of another organization, or none, are refused.
    assert_missing(store.assign_role(acme.id, as_user(&ada), foreign.id).await);
    assert_missing(store.assign_role(other.id, as_user(&ada), foreign.id).await);
    assert_missing(
        store
            .assign_role(acme.id, as_user(&outsider), first.id)
            .await,
    );
    assert_missing(
        store
            .assign_role(acme.id, as_account(&foreign_ci), first.id)
            .await,
    );
    assert_missing(
        store
            .assign_role(acme.id, as_user(&ada), Uuid::now_v7())
            .await,
    );
    assert_eq!(assigned(&*store, acme.id, as_user(&outsider)).await, NO_IDS);

    assert!(
        !store
            .unassign_role(other.id, as_user(&ada), first.id)
            .await
            .unwrap()
    );
    assert!(
        store
            .unassign_role(acme.id, as_user(&ada), first.id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .unassign_role(acme.id, as_user(&ada), first.id)
            .await
            .unwrap()
    );
    assert_eq!(
        assigned(&*store, acme.id, as_user(&ada)).await,
        vec![second.id]
    );

    // Deleting a role takes its assignments with it.
    assert!(store.delete_role(acme.id, second.id).await.unwrap());
    assert_eq!(assigned(&*store, acme.id, as_user(&ada)).await, NO_IDS);
}

pub async fn groups_round_trip(store: Arc<dyn Store>) {
    let acme = create_org(&*store, "acme").await;
    let other = create_org(&*store, "other").await;
    let ada = member(&*store, &acme, "ada@example.com", OrgRole::Member).await;
    let bob = member(&*store, &acme, "bob@example.com", OrgRole::Member).await;
    let outsider = create_user(&*store, "eve@example.com").await;
    let ci = create_account(&*store, &acme, "ci").await;
    let foreign_ci = create_account(&*store, &other, "ci").await;
    let reader = create_role(&*store, &acme, "reader", vec![]).await;
    let writer = create_role(&*store, &acme, "writer", vec![]).await;
    let foreign = create_role(&*store, &other, "foreign", vec![]).await;

    let squad = create_group(
        &*store,
        &acme,
        "squad",
        vec![writer.id, reader.id],
        vec![as_account(&ci), as_user(&bob), as_user(&ada)],
    )
    .await;
    let empty = create_group(&*store, &acme, "empty", vec![], vec![]).await;
    let twin = create_group(
        &*store,
        &other,
        "squad",
        vec![foreign.id],
        vec![as_account(&foreign_ci)],
    )
    .await;
    assert_conflict(
        store
            .create_group(&group(&acme, "squad", vec![], vec![]))
            .await,
        "group",
    );
    // Renaming: to a free name, not to a taken one, not another org's group.
    assert!(store.rename_group(acme.id, squad.id, "crew").await.unwrap());
    assert_eq!(
        store.group(acme.id, squad.id).await.unwrap().unwrap().name,
        "crew"
    );
    assert_conflict(store.rename_group(acme.id, empty.id, "crew").await, "group");
    assert!(!store.rename_group(other.id, squad.id, "x").await.unwrap());
    assert!(
        !store
            .rename_group(acme.id, Uuid::now_v7(), "x")
            .await
            .unwrap()
    );
    assert!(
        store
            .rename_group(acme.id, squad.id, "squad")
            .await
            .unwrap()
    );

    assert_eq!(
        store.groups(acme.id).await.unwrap(),
        vec![squad.clone(), empty.clone()]
    );
    assert_eq!(store.groups(other.id).await.unwrap(), vec![twin.clone()]);
    assert_eq!(
        store.group(acme.id, squad.id).await.unwrap(),
        Some(squad.clone())
    );
    assert_eq!(store.group(other.id, squad.id).await.unwrap(), None);

    // A group holds only roles and principals of its organization; a
    // refused creation leaves nothing behind.
    for bad in [
        group(&acme, "bad-role", vec![foreign.id], vec![]),
        group(&acme, "bad-user", vec![], vec![as_user(&outsider)]),
        group(
            &acme,
            "bad-account",
            vec![reader.id],
            vec![as_account(&foreign_ci)],
        ),
    ] {
        assert_missing(store.create_group(&bad).await);
        assert_eq!(store.group(acme.id, bad.id).await.unwrap(), None);
    }
    assert_missing(store.add_group_role(empty.id, foreign.id).await);
    assert_missing(store.add_group_role(Uuid::now_v7(), reader.id).await);
    assert_missing(store.add_group_member(empty.id, as_user(&outsider)).await);
    assert_missing(
        store
            .add_group_member(empty.id, as_account(&foreign_ci))
            .await,
    );
    assert_missing(store.add_group_member(Uuid::now_v7(), as_user(&ada)).await);

    for _ in 0..2 {
        store.add_group_role(empty.id, reader.id).await.unwrap();
        store
            .add_group_member(empty.id, as_user(&ada))
            .await
            .unwrap();
        store
            .add_group_member(empty.id, as_account(&ci))
            .await
            .unwrap();
    }
    let mut filled = empty.clone();
    filled.role_ids = vec![reader.id];
    filled.members = vec![as_user(&ada), as_account(&ci)];
    assert_eq!(
        store.group(acme.id, empty.id).await.unwrap(),
        Some(sorted(filled))
    );

    assert!(store.remove_group_role(squad.id, writer.id).await.unwrap());
    assert!(!store.remove_group_role(squad.id, writer.id).await.unwrap());
    assert!(
        store
            .remove_group_member(squad.id, as_user(&bob))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_group_member(squad.id, as_user(&bob))
            .await
            .unwrap()
    );
    let mut expected = squad.clone();
    expected.role_ids = vec![reader.id];
    expected.members = vec![as_user(&ada), as_account(&ci)];
    assert_eq!(
        store.group(acme.id, squad.id).await.unwrap(),
        Some(sorted(expected))
    );

    // Deleting a role takes it out of groups.
    assert!(store.delete_role(acme.id, reader.id).await.unwrap());
    assert_eq!(
        store
            .group(acme.id, squad.id)
            .await
            .unwrap()
            .unwrap()
            .role_ids,
        NO_IDS
    );

    assert!(!store.delete_group(other.id, squad.id).await.unwrap());
    assert!(store.delete_group(acme.id, squad.id).await.unwrap());
    assert!(!store.delete_group(acme.id, squad.id).await.unwrap());
    assert_eq!(store.groups(acme.id).await.unwrap().len(), 1);
    assert_eq!(store.group(other.id, twin.id).await.unwrap(), Some(twin));
}
