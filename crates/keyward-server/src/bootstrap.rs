//! First start of an empty store: an owner user for a `default`
//! organization, so a new user can sign in to the portal at once.

use crate::ops::actions::{MEMBER_JOINED, ORG_CREATED};
use crate::ops::rules::truncate;
use crate::passwords;
use chrono::{DateTime, Utc};
use keyward_core::access::{OrgRole, User};
use keyward_core::audit::{Action, ActorKind, AuditEvent, Outcome, Party};
use keyward_core::model::{Organization, Slug};
use keyward_core::{Clock, Prefix};
use keyward_store::Store;
use uuid::Uuid;

pub const OWNER_EMAIL: &str = "owner@keyward.local";
const DEFAULT_ORG: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("{0}")]
    Store(#[from] keyward_store::StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// The bootstrap owner's credentials, to be shown once.
pub struct BootstrapUser {
    pub email: String,
    pub password: String,
    pub organization: String,
}

/// An event keyward itself records, as the `system` actor.
fn system_event(
    at: DateTime<Utc>,
    org: Option<Uuid>,
    action: Action,
    kind: &str,
    id: Uuid,
    name: &str,
) -> AuditEvent {
    let system = Party {
        kind: ActorKind::System,
        id: "keyward".to_owned(),
        name: "keyward".to_owned(),
    };
    let mut event = AuditEvent::new(at, org, action, Outcome::Success, system);
    event.target = Some(Party {
        kind: kind.to_owned(),
        id: id.to_string(),
        name: name.to_owned(),
    });
    event
}

/// Creates the owner and the organization when the store has no users.
pub async fn owner(
    store: &dyn Store,
    clock: &dyn Clock,
) -> Result<Option<BootstrapUser>, BootstrapError> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let now = truncate(clock.now());
    let org = match store.find_org(DEFAULT_ORG).await? {
        Some(org) => org,
        None => {
            let slug =
                Slug::parse(DEFAULT_ORG).map_err(|e| BootstrapError::Invalid(e.to_string()))?;
            let org = Organization {
                id: Uuid::now_v7(),
                name: "Default".to_owned(),
                slug,
                key_prefix: Prefix::default(),
                created_at: now,
                key_policy: Default::default(),
                leak_policy: Default::default(),
            };
            let created = system_event(now, None, ORG_CREATED, "organization", org.id, &org.name);
            store.audited(vec![created]).create_org(&org).await?;
            org
        }
    };
    let password = passwords::generate();
    let hash = passwords::hash(&password, &mut passwords::Memory::default())
        .map_err(|e| BootstrapError::Invalid(e.to_string()))?;
    let user = User {
        id: Uuid::now_v7(),
        email: OWNER_EMAIL.to_owned(),
        name: "Owner".to_owned(),
        enabled: true,
        created_at: now,
    };
    store.create_user(&user, &hash).await?;
    let joined = system_event(
        now,
        Some(org.id),
        MEMBER_JOINED,
        "user",
        user.id,
        &user.name,
    );
    store
        .audited(vec![joined])
        .add_member(org.id, user.id, OrgRole::Owner, now)
        .await?;
    Ok(Some(BootstrapUser {
        email: user.email,
        password,
        organization: org.slug.as_str().to_owned(),
    }))
}
