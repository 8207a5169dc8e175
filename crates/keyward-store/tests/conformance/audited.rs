//! Audited writes: every write made through `Store::audited` records its
//! events in its own transaction when it changes something, and none when
//! it changes nothing, fails or is refused; plain writes record none; a
//! handle records its events once; concurrent audited writes keep a chain
//! valid.

use crate::access::records::{
    HASH, account, as_user, create_account, create_group, create_invitation, create_password_reset,
    create_role, create_team, create_user, group, invitation, member, new_token, password_reset,
    role, team, user,
};
use crate::fixtures::{create_permission, grant, insert, new_key, new_permission, now, org};
use crate::harness::Raw;
use futures::future::{BoxFuture, join_all};
use keyward_core::KeyHash;
use keyward_core::access::{Group, OrgRole, Role, ServiceAccount, Team, TeamRole, User};
use keyward_core::audit::{Action, ActorKind, AuditEvent, Outcome, Party};
use keyward_core::model::{KeyPatch, NewKey, Organization, Permission};
use keyward_store::{
    Acceptance, Acceptor, AuditQuery, ChainCheck, OrgPatch, RolePatch, ServiceAccountPatch,
    SqliteStore, Store, StoreError,
};
use std::sync::Arc;
use uuid::Uuid;

/// An event in `org`'s chain.
fn event(org: Uuid, n: usize) -> AuditEvent {
    AuditEvent::new(
        now(),
        Some(org),
        Action::parse("test.written").unwrap(),
        Outcome::Success,
        Party {
            kind: ActorKind::Admin,
            id: "admin".to_owned(),
            name: format!("event {n}"),
        },
    )
}

/// What a write answered: whether it says it changed something, or why it
/// failed.
type Answer = keyward_store::Result<bool>;

/// Records of one organization for the writes to act on, stored by plain
/// writes, with names of their own so many worlds share a store.
struct World {
    org: Organization,
    /// Another organization, whose chain also gets events.
    side: Organization,
    owner: User,
    admin: User,
    outsider: User,
    session: KeyHash,
    key: NewKey,
    permission: Permission,
    newcomer_invitation: KeyHash,
    outsider_invitation: KeyHash,
    pending_invitation: Uuid,
    reset: KeyHash,
    team: Team,
    account: ServiceAccount,
    role: Role,
    spare_role: Role,
    group: Group,
}

impl World {
    async fn new(store: &dyn Store) -> World {
        let tag = Uuid::now_v7().simple().to_string();
        let (org, side) = (org(&format!("w{tag}")), org(&format!("s{tag}")));
        store.create_org(&org).await.unwrap();
        store.create_org(&side).await.unwrap();
        let email = |who: &str| format!("{who}-{tag}@example.com");
        let owner = member(store, &org, &email("owner"), OrgRole::Owner).await;
        let admin = member(store, &org, &email("admin"), OrgRole::Admin).await;
        let outsider = create_user(store, &email("outsider")).await;
        let session = new_token();
        store
            .create_session(
                &session,
                owner.id,
                now(),
                now() + chrono::Duration::hours(1),
            )
            .await
            .unwrap();
        let key = insert(store, &org, |_| {}).await;
        let permission = create_permission(store, org.id, "things:read").await;
        let at = now();
        let newcomer = invitation(&org, &email("newcomer"), OrgRole::Member, at);
        let newcomer_invitation = create_invitation(store, &newcomer).await;
        let invited = invitation(&org, &outsider.email, OrgRole::Member, at);
        let outsider_invitation = create_invitation(store, &invited).await;
        let pending = invitation(&org, &email("pending"), OrgRole::Member, at);
        create_invitation(store, &pending).await;
        let reset = create_password_reset(store, &password_reset(&outsider, None, at)).await;
        let team = create_team(store, &org, "data").await;
        store
            .set_team_member(team.id, admin.id, TeamRole::Member)
            .await
            .unwrap();
        let account = create_account(store, &org, "deployer").await;
        let things = grant(permission.id, "things:read", "*");
        let role = create_role(store, &org, "reader", vec![things]).await;
        let spare_role = create_role(store, &org, "spare", vec![]).await;
        store
            .assign_role(org.id, as_user(&admin), role.id)
            .await
            .unwrap();
        let group = create_group(store, &org, "ops", vec![role.id], vec![as_user(&admin)]).await;
        World {
            org,
            side,
            owner,
            admin,
            outsider,
            session,
            key,
            permission,
            newcomer_invitation,
            outsider_invitation,
            pending_invitation: pending.id,
            reset,
            team,
            account,
            role,
            spare_role,
            group,
        }
    }

    /// The events an audited write of this world records: two in the
    /// organization's chain around one in the other's.
    fn events(&self) -> Vec<AuditEvent> {
        vec![
            event(self.org.id, 1),
            event(self.side.id, 2),
            event(self.org.id, 3),
        ]
    }
}

/// What a case's write should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Change something, and record the events.
    Records,
    /// Change nothing (`None`, `false`, a refused acceptance): no events.
    Nothing,
    /// Fail: no events.
    Fails,
}

struct Case {
    name: &'static str,
    expect: Expect,
    write: for<'a> fn(&'a dyn Store, &'a World) -> BoxFuture<'a, Answer>,
}

/// A case: `|store, world| answer`, where `answer` may `.await`.
macro_rules! case {
    ($name:literal, $expect:ident, |$store:ident, $world:ident| $answer:expr) => {{
        // Not every write needs the world.
        #[allow(unused_variables)]
        fn write<'a>($store: &'a dyn Store, $world: &'a World) -> BoxFuture<'a, Answer> {
            Box::pin(async move { $answer })
        }
        Case {
            name: $name,
            expect: Expect::$expect,
            write,
        }
    }};
}

/// `()` or a record: the write changed something.
fn done<T>(result: keyward_store::Result<T>) -> Answer {
    result.map(|_| true)
}

fn some<T>(result: keyward_store::Result<Option<T>>) -> Answer {
    result.map(|found| found.is_some())
}

fn accepted(result: keyward_store::Result<Acceptance>) -> Answer {
    result.map(|acceptance| matches!(acceptance, Acceptance::Accepted(_)))
}

fn named(name: &str) -> OrgPatch {
    OrgPatch {
        name: Some(name.to_owned()),
        key_prefix: None,
        key_policy: None,
        leak_policy: None,
    }
}

/// Every write of `Store`, `AccessStore` and `PasswordStore`, with what it changes, what
/// leaves it with nothing to change, and how it fails.
fn cases() -> Vec<Case> {
    vec![
        // Organizations and the catalog.
        case!("create_org", Records, |s, w| done(
            s.create_org(&org(&format!("n{}", Uuid::now_v7().simple())))
                .await
        )),
        case!("create_org taken slug", Fails, |s, w| done(
            s.create_org(&org(w.org.slug.as_str())).await
        )),
        case!("update_org", Records, |s, w| some(
            s.update_org(w.org.id, &named("Renamed")).await
        )),
        case!("update_org unknown", Nothing, |s, w| some(
            s.update_org(Uuid::now_v7(), &named("Renamed")).await
        )),
        case!("delete_org", Records, |s, w| s.delete_org(w.side.id).await),
        case!("delete_org unknown", Nothing, |s, w| s
            .delete_org(Uuid::now_v7())
            .await),
        case!("create_permission", Records, |s, w| done(
            s.create_permission(w.org.id, &new_permission("things:write"))
                .await
        )),
        case!("create_permission taken", Fails, |s, w| done(
            s.create_permission(w.org.id, &new_permission("things:read"))
                .await
        )),
        // Keys.
        case!("insert_key", Records, |s, w| done(
            s.insert_key(&new_key(&w.org), 10, now()).await
        )),
        case!("insert_key with grants", Records, |s, w| {
            let mut key = new_key(&w.org);
            key.record.permissions = vec![grant(w.permission.id, "things:read", "*")];
            done(s.insert_key(&key, 10, now()).await)
        }),
        case!("insert_key at the limit", Fails, |s, w| done(
            s.insert_key(&new_key(&w.org), 1, now()).await
        )),
        case!("insert_key with grants at the limit", Fails, |s, w| {
            let mut key = new_key(&w.org);
            key.record.permissions = vec![grant(w.permission.id, "things:read", "*")];
            done(s.insert_key(&key, 1, now()).await)
        }),
        case!("update_key", Records, |s, w| some(
            s.update_key(w.org.id, w.key.record.id, &KeyPatch::default())
                .await
        )),
        case!("update_key unknown", Nothing, |s, w| some(
            s.update_key(w.org.id, Uuid::now_v7(), &KeyPatch::default())
                .await
        )),
        case!("revoke_key", Records, |s, w| s
            .revoke_key(w.org.id, w.key.record.id, now())
            .await),
        case!("revoke_key unknown", Nothing, |s, w| s
            .revoke_key(w.org.id, Uuid::now_v7(), now())
            .await),
        // Users and sessions.
        case!("create_user", Records, |s, w| done(
            s.create_user(&user(&format!("{}@example.com", Uuid::now_v7())), HASH)
                .await
        )),
        case!("create_user taken email", Fails, |s, w| done(
            s.create_user(&user(&w.owner.email), HASH).await
        )),
        case!("set_user_enabled", Records, |s, w| some(
            s.set_user_enabled(w.admin.id, false).await
        )),
        case!("set_user_enabled unknown", Nothing, |s, w| some(
            s.set_user_enabled(Uuid::now_v7(), false).await
        )),
        case!("create_session", Records, |s, w| done(
            s.create_session(&new_token(), w.owner.id, now(), now())
                .await
        )),
        case!("create_session unknown user", Fails, |s, w| done(
            s.create_session(&new_token(), Uuid::now_v7(), now(), now())
                .await
        )),
        case!("delete_session", Records, |s, w| s
            .delete_session(&w.session)
            .await),
        case!("delete_session unknown", Nothing, |s, w| s
            .delete_session(&new_token())
            .await),
        // Passwords.
        case!("set_password", Records, |s, w| s
            .set_password(w.owner.id, HASH, Some(&w.session))
            .await),
        case!("set_password unknown", Nothing, |s, w| s
            .set_password(Uuid::now_v7(), HASH, None)
            .await),
        case!("create_password_reset", Records, |s, w| done(
            s.create_password_reset(
                &password_reset(&w.admin, Some(w.org.id), now()),
                &new_token()
            )
            .await
        )),
        case!("create_password_reset unknown user", Fails, |s, w| done(
            s.create_password_reset(
                &password_reset(&user("ghost@example.com"), None, now()),
                &new_token()
            )
            .await
        )),
        case!("use_password_reset", Records, |s, w| some(
            s.use_password_reset(&w.reset, now(), HASH).await
        )),
        case!("use_password_reset unknown", Nothing, |s, w| some(
            s.use_password_reset(&new_token(), now(), HASH).await
        )),
        // Memberships.
        case!("add_member", Records, |s, w| done(
            s.add_member(w.org.id, w.outsider.id, OrgRole::Member, now())
                .await
        )),
        case!("add_member already", Fails, |s, w| done(
            s.add_member(w.org.id, w.admin.id, OrgRole::Member, now())
                .await
        )),
        case!("set_member_role", Records, |s, w| some(
            s.set_member_role(w.org.id, w.admin.id, OrgRole::Member)
                .await
        )),
        case!("set_member_role not a member", Nothing, |s, w| some(
            s.set_member_role(w.org.id, w.outsider.id, OrgRole::Member)
                .await
        )),
        case!("set_member_role last owner", Fails, |s, w| some(
            s.set_member_role(w.org.id, w.owner.id, OrgRole::Member)
                .await
        )),
        case!("remove_member", Records, |s, w| s
            .remove_member(w.org.id, w.admin.id, now())
            .await),
        case!("remove_member not a member", Nothing, |s, w| s
            .remove_member(w.org.id, w.outsider.id, now())
            .await),
        case!("remove_member last owner", Fails, |s, w| s
            .remove_member(w.org.id, w.owner.id, now())
            .await),
        // Invitations.
        case!("create_invitation", Records, |s, w| done(
            s.create_invitation(
                &invitation(&w.org, "later@example.com", OrgRole::Member, now()),
                &new_token()
            )
            .await
        )),
        case!("create_invitation unknown org", Fails, |s, w| done(
            s.create_invitation(
                &invitation(&org("nowhere"), "later@example.com", OrgRole::Member, now()),
                &new_token()
            )
            .await
        )),
        case!("delete_invitation", Records, |s, w| s
            .delete_invitation(w.org.id, w.pending_invitation)
            .await),
        case!("delete_invitation unknown", Nothing, |s, w| s
            .delete_invitation(w.org.id, Uuid::now_v7())
            .await),
        case!("accept_invitation new user", Records, |s, w| {
            let newcomer = user("newcomer@example.com");
            let acceptor = Acceptor::New {
                user: &newcomer,
                password_hash: HASH,
            };
            accepted(
                s.accept_invitation(&w.newcomer_invitation, now(), acceptor)
                    .await,
            )
        }),
        case!("accept_invitation signed in", Records, |s, w| accepted(
            s.accept_invitation(&w.outsider_invitation, now(), Acceptor::User(w.outsider.id))
                .await
        )),
        case!("accept_invitation unknown token", Nothing, |s, w| accepted(
            s.accept_invitation(&new_token(), now(), Acceptor::User(w.outsider.id))
                .await
        )),
        case!("accept_invitation other user", Nothing, |s, w| accepted(
            s.accept_invitation(&w.outsider_invitation, now(), Acceptor::User(w.admin.id))
                .await
        )),
        case!("accept_invitation sign in first", Nothing, |s, w| {
            let again = user(&w.outsider.email);
            let acceptor = Acceptor::New {
                user: &again,
                password_hash: HASH,
            };
            accepted(
                s.accept_invitation(&w.outsider_invitation, now(), acceptor)
                    .await,
            )
        }),
        // Teams.
        case!("create_team", Records, |s, w| done(
            s.create_team(&team(&w.org, "ops"), None).await
        )),
        case!("create_team with its owner", Records, |s, w| done(
            s.create_team(&team(&w.org, "ops"), Some(w.admin.id)).await
        )),
        case!("create_team taken name", Fails, |s, w| done(
            s.create_team(&team(&w.org, "data"), None).await
        )),
        case!("create_team owner outside", Fails, |s, w| done(
            s.create_team(&team(&w.org, "ops"), Some(w.outsider.id))
                .await
        )),
        case!("delete_team", Records, |s, w| s
            .delete_team(w.org.id, w.team.id, now())
            .await),
        case!("delete_team unknown", Nothing, |s, w| s
            .delete_team(w.org.id, Uuid::now_v7(), now())
            .await),
        case!("set_team_member", Records, |s, w| done(
            s.set_team_member(w.team.id, w.owner.id, TeamRole::Owner)
                .await
        )),
        case!("set_team_member outside", Fails, |s, w| done(
            s.set_team_member(w.team.id, w.outsider.id, TeamRole::Owner)
                .await
        )),
        case!("remove_team_member", Records, |s, w| s
            .remove_team_member(w.team.id, w.admin.id)
            .await),
        case!("remove_team_member not in it", Nothing, |s, w| s
            .remove_team_member(w.team.id, w.owner.id)
            .await),
        // Service accounts.
        case!("create_service_account", Records, |s, w| done(
            s.create_service_account(&account(&w.org, "builder")).await
        )),
        case!("create_service_account taken name", Fails, |s, w| done(
            s.create_service_account(&account(&w.org, "deployer")).await
        )),
        case!("update_service_account", Records, |s, w| some(
            s.update_service_account(w.org.id, w.account.id, &ServiceAccountPatch::default())
                .await
        )),
        case!("update_service_account unknown", Nothing, |s, w| some(
            s.update_service_account(w.org.id, Uuid::now_v7(), &ServiceAccountPatch::default())
                .await
        )),
        case!("delete_service_account", Records, |s, w| s
            .delete_service_account(w.org.id, w.account.id, now())
            .await),
        case!("delete_service_account unknown", Nothing, |s, w| s
            .delete_service_account(w.org.id, Uuid::now_v7(), now())
            .await),
        // Roles.
        case!("create_role", Records, |s, w| done(
            s.create_role(&role(&w.org, "writer", vec![])).await
        )),
        case!("create_role taken name", Fails, |s, w| done(
            s.create_role(&role(&w.org, "reader", vec![])).await
        )),
        case!("update_role", Records, |s, w| some(
            s.update_role(w.org.id, w.role.id, &RolePatch::default())
                .await
        )),
        case!("update_role unknown", Nothing, |s, w| some(
            s.update_role(w.org.id, Uuid::now_v7(), &RolePatch::default())
                .await
        )),
        case!("delete_role", Records, |s, w| s
            .delete_role(w.org.id, w.spare_role.id)
            .await),
        case!("delete_role unknown", Nothing, |s, w| s
            .delete_role(w.org.id, Uuid::now_v7())
            .await),
        case!("assign_role", Records, |s, w| done(
            s.assign_role(w.org.id, as_user(&w.owner), w.spare_role.id)
                .await
        )),
        case!("assign_role outside", Fails, |s, w| done(
            s.assign_role(w.org.id, as_user(&w.outsider), w.spare_role.id)
                .await
        )),
        case!("unassign_role", Records, |s, w| s
            .unassign_role(w.org.id, as_user(&w.admin), w.role.id)
            .await),
        case!("unassign_role not assigned", Nothing, |s, w| s
            .unassign_role(w.org.id, as_user(&w.owner), w.role.id)
            .await),
        // Groups.
        case!("create_group", Records, |s, w| done(
            s.create_group(&group(&w.org, "devs", vec![w.role.id], vec![]))
                .await
        )),
        case!("create_group taken name", Fails, |s, w| done(
            s.create_group(&group(&w.org, "ops", vec![], vec![])).await
        )),
        case!("rename_group", Records, |s, w| s
            .rename_group(w.org.id, w.group.id, "operators")
            .await),
        case!("rename_group unknown", Nothing, |s, w| s
            .rename_group(w.org.id, Uuid::now_v7(), "operators")
            .await),
        case!("delete_group", Records, |s, w| s
            .delete_group(w.org.id, w.group.id)
            .await),
        case!("delete_group unknown", Nothing, |s, w| s
            .delete_group(w.org.id, Uuid::now_v7())
            .await),
        case!("add_group_role", Records, |s, w| done(
            s.add_group_role(w.group.id, w.spare_role.id).await
        )),
        case!("add_group_role unknown", Fails, |s, w| done(
            s.add_group_role(w.group.id, Uuid::now_v7()).await
        )),
        case!("remove_group_role", Records, |s, w| s
            .remove_group_role(w.group.id, w.role.id)
            .await),
        case!("remove_group_role not in it", Nothing, |s, w| s
            .remove_group_role(w.group.id, w.spare_role.id)
            .await),
        case!("add_group_member", Records, |s, w| done(
            s.add_group_member(w.group.id, as_user(&w.owner)).await
        )),
        case!("add_group_member outside", Fails, |s, w| done(
            s.add_group_member(w.group.id, as_user(&w.outsider)).await
        )),
        case!("remove_group_member", Records, |s, w| s
            .remove_group_member(w.group.id, as_user(&w.admin))
            .await),
        case!("remove_group_member not in it", Nothing, |s, w| s
            .remove_group_member(w.group.id, as_user(&w.owner))
            .await),
    ]
}

async fn chain(store: &dyn Store, org: Uuid) -> Vec<AuditEvent> {
    store
        .audit_events(&AuditQuery::new(Some(org)))
        .await
        .unwrap()
}

async fn check(store: &dyn Store, org: Uuid) -> ChainCheck {
    store.verify_audit_chain(Some(org)).await.unwrap()
}

fn intact(checked: u64) -> ChainCheck {
    ChainCheck {
        ok: true,
        checked,
        first_broken: None,
    }
}

/// Runs every case of `expect` in a world of its own and checks what its
/// chains hold afterwards.
async fn run(store: &dyn Store, expect: Expect) {
    for case in cases().into_iter().filter(|case| case.expect == expect) {
        let world = World::new(store).await;
        // Building the world took plain writes only: they record nothing.
        for org in [world.org.id, world.side.id] {
            assert_eq!(
                chain(store, org).await,
                vec![],
                "{}: plain writes",
                case.name
            );
        }
        let events = world.events();
        let answer = (case.write)(&*store.audited(events.clone()), &world).await;
        match (expect, &answer) {
            (Expect::Records, Ok(true)) | (Expect::Nothing, Ok(false)) => {}
            (Expect::Fails, Err(error)) => assert!(
                !matches!(error, StoreError::Database(_) | StoreError::Corrupt(_)),
                "{}: {error}",
                case.name
            ),
            _ => panic!("{}: expected {expect:?}, got {answer:?}", case.name),
        }
        let (in_org, in_side) = if expect == Expect::Records {
            (
                vec![events[2].clone(), events[0].clone()],
                vec![events[1].clone()],
            )
        } else {
            (vec![], vec![])
        };
        assert_eq!(chain(store, world.org.id).await, in_org, "{}", case.name);
        assert_eq!(chain(store, world.side.id).await, in_side, "{}", case.name);
        assert_eq!(
            check(store, world.org.id).await,
            intact(in_org.len() as u64)
        );
        assert_eq!(
            check(store, world.side.id).await,
            intact(in_side.len() as u64)
        );
    }
}

pub async fn audited_writes_that_change_something_record_their_events(store: Arc<dyn Store>) {
    run(&*store, Expect::Records).await;
}

pub async fn audited_writes_that_change_nothing_record_none(store: Arc<dyn Store>) {
    run(&*store, Expect::Nothing).await;
}

pub async fn audited_writes_that_fail_record_none(store: Arc<dyn Store>) {
    run(&*store, Expect::Fails).await;
}

/// A handle records its events once: a second write through it that
/// changes something fails, since the events are stored already, and
/// writes nothing; one that changes nothing still answers.
pub async fn a_reused_audited_handle_records_its_events_once(store: Arc<dyn Store>) {
    let world = World::new(&*store).await;
    let audited = store.audited(vec![event(world.org.id, 1)]);
    assert!(
        audited
            .revoke_key(world.org.id, world.key.record.id, now())
            .await
            .unwrap()
    );
    let again = account(&world.org, "builder");
    match audited.create_service_account(&again).await {
        Err(StoreError::Conflict(what)) => assert!(what.contains("audit event"), "{what}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        store.service_account(world.org.id, again.id).await.unwrap(),
        None
    );
    let again = new_key(&world.org);
    assert!(matches!(
        audited.insert_key(&again, 10, now()).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.key(world.org.id, again.record.id).await.unwrap(),
        None
    );
    assert!(
        !audited
            .revoke_key(world.org.id, Uuid::now_v7(), now())
            .await
            .unwrap()
    );
    assert_eq!(chain(&*store, world.org.id).await.len(), 1);
    assert_eq!(check(&*store, world.org.id).await, intact(1));
}

/// Eight writers record events in one chain at once, through keys (one
/// round trip on SQLite), keys with grants, and other writes.
pub async fn concurrent_audited_writes_keep_one_valid_chain(store: Arc<dyn Store>) {
    const WRITERS: usize = 8;
    const WRITES: usize = 6;
    let world = Arc::new(World::new(&*store).await);
    let tasks = (0..WRITERS).map(|writer| {
        let store = store.clone();
        let world = world.clone();
        tokio::spawn(async move {
            for n in 0..WRITES {
                let audited = store.audited(vec![event(world.org.id, writer * WRITES + n)]);
                let mut key = new_key(&world.org);
                match n % 3 {
                    0 => audited.insert_key(&key, 1_000, now()).await.unwrap(),
                    1 => {
                        key.record.permissions =
                            vec![grant(world.permission.id, "things:read", "*")];
                        audited.insert_key(&key, 1_000, now()).await.unwrap();
                    }
                    _ => {
                        let name = format!("account {writer} {n}");
                        audited
                            .create_service_account(&account(&world.org, &name))
                            .await
                            .unwrap();
                    }
                }
            }
        })
    });
    for done in join_all(tasks).await {
        done.unwrap();
    }
    let count = WRITERS * WRITES;
    assert_eq!(chain(&*store, world.org.id).await.len(), count);
    assert_eq!(check(&*store, world.org.id).await, intact(count as u64));
}

/// Another store on the same database moves a chain and prunes it behind
/// this one's back. SQLite's store remembers each chain's head, so its next
/// audited write fails rather than extend the chain from a stale head, and
/// the one after reads the head again; PostgreSQL's reads the head under a
/// lock every time. Either way the chain stays valid.
pub async fn a_chain_moved_elsewhere_is_never_extended_from_a_stale_head(
    store: Arc<dyn Store>,
    raw: Raw,
) {
    let elsewhere: Arc<dyn Store> = match &raw {
        Raw::Sqlite(path) => Arc::new(SqliteStore::open(path).await.unwrap()),
        Raw::Postgres(_) => store.clone(),
    };
    let world = World::new(&*store).await;
    let create = |store: &Arc<dyn Store>, n: usize| {
        let audited = store.audited(vec![event(world.org.id, n)]);
        let account = account(&world.org, &format!("account {n}"));
        async move { audited.create_service_account(&account).await }
    };
    create(&store, 1).await.unwrap();
    create(&elsewhere, 2).await.unwrap();
    let later = now() + chrono::Duration::days(1);
    assert_eq!(elsewhere.prune_audit(later).await.unwrap(), 2);
    let stale = create(&store, 3).await;
    assert_eq!(stale.is_err(), matches!(raw, Raw::Sqlite(_)), "{stale:?}");
    create(&store, 4).await.unwrap();
    let kept = if stale.is_ok() { 2 } else { 1 };
    assert_eq!(chain(&*store, world.org.id).await.len(), kept);
    assert_eq!(check(&*store, world.org.id).await, intact(kept as u64));
}
