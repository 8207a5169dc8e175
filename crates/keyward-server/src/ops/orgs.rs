//! Organizations, the tenants.

use super::actions::{ORG_CREATED, ORG_DELETED, ORG_UPDATED};
use super::commit::{By, Change, commit};
use super::rules::{check_name, truncate};
use crate::ctx::{Caller, Ctx, RequestMeta};
use crate::error::{ApiError, ApiResult};
use crate::eviction::Evict;
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::Prefix;
use keyward_core::key_policy::KeyPolicy;
use keyward_core::leak_policy::LeakPolicy;
use keyward_core::model::{Organization, Slug};
use keyward_store::OrgPatch;
use uuid::Uuid;

/// What a new organization asks for.
pub struct NewOrg {
    pub name: String,
    pub slug: Option<String>,
    pub key_prefix: Option<String>,
}

fn parse_prefix(raw: &str) -> ApiResult<Prefix> {
    Prefix::parse(raw).map_err(|e| ApiError::validation(format!("key_prefix: {e}")))
}

fn admin(meta: &RequestMeta) -> By<'_> {
    By {
        actor: Caller::Admin.actor(),
        meta,
    }
}

/// Creates an organization (the admin key's); recorded in the
/// organization-less log.
pub async fn create(
    state: &AppState,
    meta: &RequestMeta,
    input: NewOrg,
) -> ApiResult<Organization> {
    let name = check_name(&input.name)?;
    let slug = match &input.slug {
        Some(slug) => Slug::parse(slug),
        None => Slug::from_name(&name),
    }
    .map_err(|e| ApiError::validation(e.to_string()))?;
    let key_prefix = input
        .key_prefix
        .as_deref()
        .map(parse_prefix)
        .transpose()?
        .unwrap_or_default();
    let org = Organization {
        id: Uuid::now_v7(),
        name,
        slug,
        key_prefix,
        created_at: truncate(state.clock.now()),
        key_policy: Default::default(),
        leak_policy: Default::default(),
    };
    let change = Change::new(ORG_CREATED, None)
        .target("organization", org.id, &org.name)
        .detail("slug", org.slug.as_str())
        .detail("key_prefix", org.key_prefix.as_str());
    let org = commit(state, admin(meta), change, |store| {
        async move { store.create_org(&org).await.map(|()| org) }.boxed()
    })
    .await?;
    tracing::info!(org = %org.slug.as_str(), "organization created");
    Ok(org)
}

/// What a change to an organization asks for.
#[derive(Debug, Default)]
pub struct OrgUpdate {
    pub name: Option<String>,
    pub key_prefix: Option<String>,
    /// `max_lifetime_days` and `require_expiry`, not yet checked.
    pub key_policy: Option<(Option<u32>, bool)>,
    /// `revoke`, `disable` or `notify`, not yet checked.
    pub leak_policy: Option<String>,
}

/// Renames an organization, changes its key prefix, its key policy or its
/// leak policy (owners only: each binds every key of the organization).
pub async fn update(state: &AppState, ctx: &Ctx, input: OrgUpdate) -> ApiResult<Organization> {
    let key_policy = match input.key_policy {
        Some((days, require_expiry)) => Some(
            KeyPolicy::new(days, require_expiry)
                .map_err(|e| ApiError::validation(format!("key_policy: {e}")))?,
        ),
        None => None,
    };
    if key_policy.is_some() && !ctx.grants.is_org_owner() {
        return Err(ApiError::forbidden(
            "only the organization's owners may change its key policy",
        ));
    }
    let leak_policy = input
        .leak_policy
        .as_deref()
        .map(|raw| {
            raw.parse::<LeakPolicy>()
                .map_err(|e| ApiError::validation(format!("leak_policy: {e}")))
        })
        .transpose()?;
    if leak_policy.is_some() && !ctx.grants.is_org_owner() {
        return Err(ApiError::forbidden(
            "only the organization's owners may change its leak policy",
        ));
    }
    let patch = OrgPatch {
        name: input.name.as_deref().map(check_name).transpose()?,
        key_prefix: input.key_prefix.as_deref().map(parse_prefix).transpose()?,
        key_policy,
        leak_policy,
    };
    let org = &ctx.org;
    let change = Change::new(ORG_UPDATED, Some(org.id))
        .target("organization", org.id, &org.name)
        .changed("name", &org.name, patch.name.as_ref())
        .changed(
            "key_prefix",
            &org.key_prefix.as_str(),
            patch.key_prefix.as_ref().map(Prefix::as_str).as_ref(),
        )
        .changed("key_policy", &org.key_policy, patch.key_policy.as_ref())
        .changed("leak_policy", &org.leak_policy, patch.leak_policy.as_ref())
        .evicts(Evict::Org(org.id));
    let id = org.id;
    commit(state, ctx.by(), change, |store| {
        async move { store.update_org(id, &patch).await }.boxed()
    })
    .await?
    .ok_or_else(|| ApiError::org_not_found(&id.to_string()))
}

/// Deletes an organization and everything in it (the admin key's);
/// recorded in the organization-less log.
pub async fn delete(state: &AppState, meta: &RequestMeta, named: &str) -> ApiResult<()> {
    let org = state
        .store
        .find_org(named)
        .await?
        .ok_or_else(|| ApiError::org_not_found(named))?;
    let change = Change::new(ORG_DELETED, None)
        .target("organization", org.id, &org.name)
        .detail("slug", org.slug.as_str())
        .evicts(Evict::Org(org.id));
    let id = org.id;
    let deleted = commit(state, admin(meta), change, |store| {
        async move { store.delete_org(id).await }.boxed()
    })
    .await?;
    if !deleted {
        return Err(ApiError::org_not_found(named));
    }
    tracing::info!(org = %org.slug.as_str(), "organization deleted");
    Ok(())
}
