//! Service accounts: non-human principals that own keys.

use super::actions::{SERVICE_ACCOUNT_CREATED, SERVICE_ACCOUNT_DELETED, SERVICE_ACCOUNT_UPDATED};
use super::commit::{Change, commit};
use super::roles::Principal;
use super::rules::{check_description, check_name, found, not_found, parse_id, truncate};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::eviction::Evict;
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::access::{PrincipalKind, PrincipalRef, ServiceAccount};
use keyward_store::ServiceAccountPatch;
use uuid::Uuid;

const KIND: &str = "service account";

/// What a change to a service account asks for; `None` fields stay.
#[derive(Debug, Default)]
pub struct AccountUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// The organization's service account the path names, or 404.
pub async fn account_or_404(state: &AppState, org: Uuid, raw: &str) -> ApiResult<ServiceAccount> {
    let id = parse_id(raw).ok_or_else(|| not_found(KIND, raw))?;
    state
        .store
        .service_account(org, id)
        .await?
        .ok_or_else(|| not_found(KIND, raw))
}

/// The account as a principal roles are assigned to.
pub fn principal(account: &ServiceAccount) -> Principal {
    Principal {
        principal: PrincipalRef {
            kind: PrincipalKind::ServiceAccount,
            id: account.id,
        },
        name: account.name.clone(),
    }
}

/// Creates a service account.
pub async fn create(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    description: Option<String>,
) -> ApiResult<ServiceAccount> {
    let org = ctx.org.id;
    let account = ServiceAccount {
        id: Uuid::now_v7(),
        organization_id: org,
        name: check_name(name)?,
        description: check_description(description)?.unwrap_or_default(),
        enabled: true,
        created_at: truncate(state.clock.now()),
    };
    let change = Change::new(SERVICE_ACCOUNT_CREATED, Some(org))
        .target("service_account", account.id, &account.name)
        .evicts(Evict::Principal(account.id));
    commit(state, ctx.by(), change, |store| {
        async move {
            store
                .create_service_account(&account)
                .await
                .map(|()| account)
        }
        .boxed()
    })
    .await
    .map_err(ApiError::from)
}

/// Renames, describes, disables or enables a service account.
pub async fn update(
    state: &AppState,
    ctx: &Ctx,
    raw: &str,
    input: AccountUpdate,
) -> ApiResult<ServiceAccount> {
    let org = ctx.org.id;
    let account = account_or_404(state, org, raw).await?;
    let patch = ServiceAccountPatch {
        name: input.name.as_deref().map(check_name).transpose()?,
        description: check_description(input.description)?,
        enabled: input.enabled,
    };
    let change = Change::new(SERVICE_ACCOUNT_UPDATED, Some(org))
        .target("service_account", account.id, &account.name)
        .changed("name", &account.name, patch.name.as_ref())
        .changed(
            "description",
            &account.description,
            patch.description.as_ref(),
        )
        .changed("enabled", &account.enabled, patch.enabled.as_ref())
        .evicts(Evict::Principal(account.id));
    let id = account.id;
    commit(state, ctx.by(), change, |store| {
        async move { store.update_service_account(org, id, &patch).await }.boxed()
    })
    .await?
    .ok_or_else(|| not_found(KIND, raw))
}

/// Deletes a service account and revokes its keys.
pub async fn delete(state: &AppState, ctx: &Ctx, raw: &str) -> ApiResult<()> {
    let org = ctx.org.id;
    let account = account_or_404(state, org, raw).await?;
    let at = truncate(state.clock.now());
    let change = Change::new(SERVICE_ACCOUNT_DELETED, Some(org))
        .target("service_account", account.id, &account.name)
        .evicts(Evict::Principal(account.id));
    let id = account.id;
    let deleted = commit(state, ctx.by(), change, |store| {
        async move { store.delete_service_account(org, id, at).await }.boxed()
    })
    .await?;
    found(deleted, KIND, raw)
}
