//! Reading the audit log, shared by the JSON API and the portal: the
//! listing's parameters, checked, and a page with its cursor.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use keyward_core::audit::{ActionFilter, AuditEvent};
use keyward_store::{AuditQuery, ChainCheck};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const PAGE_DEFAULT: u32 = 50;
pub const NDJSON: &str = "application/x-ndjson";

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// One action (`key.revoked`) or every action on a resource (`key.*`).
    #[param(pattern = r"^([a-z_]+\.([a-z_]+|\*))?$", max_length = 64)]
    pub action: Option<String>,
    /// Events by this actor (a user, key or service account id).
    pub actor_id: Option<String>,
    /// Events about this target.
    pub target_id: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(
        pattern = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    pub cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// Events at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// What checking a chain found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainView {
    pub ok: bool,
    /// Events whose hash and place were confirmed, from the chain's start
    /// (or the last pruned event) on.
    pub checked: u64,
    /// The first event that doesn't match its hash or place; `null` when
    /// none does, or when the chain ends short of its head.
    pub first_broken: Option<Uuid>,
}

impl From<ChainCheck> for ChainView {
    fn from(check: ChainCheck) -> Self {
        Self {
            ok: check.ok,
            checked: check.checked,
            first_broken: check.first_broken,
        }
    }
}

/// A given, non-empty parameter (forms send empty fields).
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// A time bound; given empty, it is not a time and is refused like any
/// other.
pub fn time(name: &str, value: &Option<String>) -> ApiResult<Option<DateTime<Utc>>> {
    value
        .as_deref()
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::validation(format!(
                        "{name} must be an RFC 3339 time such as 2025-01-31T00:00:00Z"
                    ))
                })
        })
        .transpose()
}

impl ListParams {
    /// The store's query for one chain, every parameter checked.
    pub fn query(&self, organization: Option<Uuid>) -> ApiResult<AuditQuery> {
        let limit = self.limit.unwrap_or(PAGE_DEFAULT);
        if !(1..=AuditQuery::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::validation(format!(
                "limit must be between 1 and {}",
                AuditQuery::MAX_LIMIT
            )));
        }
        let action = given(&self.action)
            .map(str::parse::<ActionFilter>)
            .transpose()
            .map_err(|e| ApiError::validation(format!("{e}, or `resource.*`")))?;
        let before = given(&self.cursor)
            .map(|raw| {
                Uuid::parse_str(raw)
                    .map_err(|_| ApiError::validation("cursor is not one this server gave out"))
            })
            .transpose()?;
        Ok(AuditQuery {
            organization,
            action,
            actor_id: given(&self.actor_id).map(str::to_owned),
            target_id: given(&self.target_id).map(str::to_owned),
            since: time("since", &self.since)?,
            until: time("until", &self.until)?,
            before,
            limit,
        })
    }
}

/// A page of the chain `query` names, and whether another follows it.
pub async fn page(state: &AppState, query: &AuditQuery) -> ApiResult<AuditPage> {
    let items = state.store.audit_events(query).await?;
    let last = items
        .last()
        .map(|event| event.id)
        .filter(|_| items.len() == query.limit as usize);
    // A full page has a next one only if an older event matches too.
    let next_cursor = match last {
        Some(id) => {
            let probe = AuditQuery {
                before: Some(id),
                limit: 1,
                ..query.clone()
            };
            let more = !state.store.audit_events(&probe).await?.is_empty();
            more.then(|| id.to_string())
        }
        None => None,
    };
    Ok(AuditPage { items, next_cursor })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn params(fill: impl FnOnce(&mut ListParams)) -> ListParams {
        let mut params = ListParams::default();
        fill(&mut params);
        params
    }

    #[test]
    fn empty_filters_are_absent() {
        let empty = Some(String::new());
        let query = params(|p| {
            p.action = empty.clone();
            p.actor_id = empty.clone();
            p.cursor = empty.clone();
        })
        .query(None)
        .unwrap();
        assert_eq!(
            query,
            AuditQuery {
                limit: PAGE_DEFAULT,
                ..AuditQuery::new(None)
            }
        );
    }

    #[test]
    fn bad_values_are_422() {
        let bad: Vec<ListParams> = vec![
            params(|p| p.limit = Some(0)),
            params(|p| p.limit = Some(101)),
            params(|p| p.action = Some("key.*.*".into())),
            params(|p| p.since = Some("yesterday".into())),
            params(|p| p.until = Some("2025-01-01".into())),
            // An empty time bound is not a time.
            params(|p| p.since = Some(String::new())),
            params(|p| p.cursor = Some("abc".into())),
        ];
        for params in bad {
            let error = params.query(None).unwrap_err();
            assert_eq!(error.code.status(), 422, "{params:?}");
        }
    }

    #[test]
    fn times_keep_their_instant() {
        let query = params(|p| p.since = Some("2025-01-31T02:00:00+02:00".into()))
            .query(None)
            .unwrap();
        assert_eq!(
            query.since.unwrap().to_rfc3339(),
            "2025-01-31T00:00:00+00:00"
        );
    }
}
