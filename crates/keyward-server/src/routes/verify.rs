//! `POST /api/v1/keys/verify`: "is this key valid, whose is it, and may it
//! do this?" for the platform's services.

use crate::auth::{KeysVerify, OrgAccess};
use crate::ctx::Caller;
use crate::error::{ApiError, ApiResult, Code, ErrorBody};
use crate::extract::ApiJson;
use crate::limiter::Decision;
use crate::openapi::{IpAddress, PermissionQuerySchema, REFUSED, ResourceSchema};
use crate::state::AppState;
use crate::verify::{self, Ask, Check, Outcome};
use axum::extract::FromRequestParts;
use axum::extract::State;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use keyward_core::key_limits::CREDITS_MAX;
use keyward_core::limit_decision::Verdict;
use keyward_core::model::KeyState;
use keyward_core::{Grant, PermissionQuery, Resource, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::net::IpAddr;
use std::sync::Arc;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub key: String,
    /// A permission, or a query: `a:read AND (b:edit OR b:admin)`.
    #[schema(value_type = Option<PermissionQuerySchema>)]
    pub permission: Option<String>,
    /// The resource the permission is asked about; `*` by default.
    #[schema(value_type = Option<ResourceSchema>)]
    pub resource: Option<String>,
    /// The client's address: required for a key with `allowed_ips`
    /// (without it such a key answers `IP_NOT_ALLOWED`).
    #[schema(value_type = Option<IpAddress>)]
    pub ip: Option<String>,
    /// Credits this verification costs a key that has credits: 0 checks
    /// without consuming; 1 if absent.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub cost: Option<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    Valid,
    NotFound,
    Expired,
    Revoked,
    Disabled,
    InsufficientPermissions,
    IpNotAllowed,
    RateLimited,
    UsageExceeded,
}

/// A rate limit of the key after this verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateLimitState {
    pub name: String,
    pub limit: u64,
    pub remaining: u64,
    /// When all of the limit is available again.
    pub reset_at: DateTime<Utc>,
}

/// The key's credits after this verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditState {
    pub remaining: i64,
    /// The next refill; `null` without one.
    pub refill_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnerRef {
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: Scope,
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    pub code: VerifyCode,
    pub key_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub owner: Option<OwnerRef>,
    #[schema(value_type = Option<String>)]
    pub scope: Option<Scope>,
    pub read_only: Option<bool>,
    pub grants: Vec<Grant>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The key's metadata, as set at creation or update: free-form JSON.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    /// For a key with rate limits: each one's state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratelimits: Option<Vec<RateLimitState>>,
    /// For a key with credits: what is left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditState>,
}

impl VerifyResponse {
    fn not_found() -> Self {
        Self {
            valid: false,
            code: VerifyCode::NotFound,
            key_id: None,
            organization_id: None,
            owner: None,
            scope: None,
            read_only: None,
            grants: Vec::new(),
            expires_at: None,
            metadata: None,
            ratelimits: None,
            credits: None,
        }
    }

    fn about(code: VerifyCode, key: &Arc<crate::cache::ResolvedKey>) -> Self {
        let record = &key.record;
        let valid = matches!(code, VerifyCode::Valid);
        Self {
            valid,
            code,
            key_id: Some(record.id),
            organization_id: Some(record.organization_id),
            owner: Some(OwnerRef {
                kind: record.scope,
                id: record.owner_id,
                name: key.owner_name.to_string(),
            }),
            scope: Some(record.scope),
            read_only: Some(record.read_only),
            grants: if valid {
                key.grants.grants().to_vec()
            } else {
                Vec::new()
            },
            expires_at: record.expires_at,
            metadata: Some(record.metadata.clone()),
            ratelimits: None,
            credits: None,
        }
    }

    /// The answer with what the key's limits counted.
    fn counted(mut self, decision: Option<Decision>) -> Self {
        let Some(decision) = decision else {
            return self;
        };
        self.ratelimits = (!decision.ratelimits.is_empty()).then(|| {
            decision
                .ratelimits
                .into_iter()
                .map(|limit| RateLimitState {
                    name: limit.name,
                    limit: limit.limit,
                    remaining: limit.remaining,
                    reset_at: limit.reset_at,
                })
                .collect()
        });
        self.credits = decision.credits.map(|credits| CreditState {
            remaining: credits.remaining,
            refill_at: credits.refill_at,
        });
        self
    }
}

/// A caller allowed to verify: the admin key (any organization) or a
/// credential holding `keys:verify` (its own organization only).
pub struct Verifier {
    pub org: Option<Uuid>,
}

impl FromRequestParts<AppState> for Verifier {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Caller::Admin = Caller::from_request_parts(parts, state).await? {
            return Ok(Self { org: None });
        }
        let access = OrgAccess::<KeysVerify>::from_request_parts(parts, state).await?;
        Ok(Self {
            org: Some(access.org.id),
        })
    }
}

/// Parses a permission query, or says where it goes wrong.
pub fn parse_query(text: &str) -> ApiResult<PermissionQuery> {
    PermissionQuery::parse(text).map_err(|e| {
        ApiError::new(Code::InvalidQuery, e.to_string())
            .with_details(serde_json::json!({ "position": e.position }))
    })
}

/// Verify a key, optionally against a permission on a resource.
#[utoipa::path(post, operation_id = "verifyKey", path = "/api/v1/keys/verify", tag = "verification",
    request_body = VerifyRequest,
    security(("api_key" = []), ("bearer" = []), ("bare_key" = [])),
    responses((status = 200, body = VerifyResponse, description = "The verdict: `valid` and, when not, `code`"), (status = "4XX", body = ErrorBody, description = REFUSED),
        (status = 503, body = ErrorBody,
         description = "STORE_UNAVAILABLE: the key or the caller's credential is not in memory, or was cached longer than stale_if_error ago, and the store can't be reached")))]
pub async fn verify(
    State(state): State<AppState>,
    verifier: Verifier,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> ApiResult<ApiJson<VerifyResponse>> {
    let query = body.permission.as_deref().map(parse_query).transpose()?;
    let resource = match body.resource.as_deref() {
        Some(raw) => Resource::parse(raw).map_err(|e| ApiError::validation(e.to_string()))?,
        None => Resource::Any,
    };
    let check = query.as_ref().map(|permission| Check {
        permission,
        resource: &resource,
    });
    let client = body
        .ip
        .as_deref()
        .map(|ip| {
            ip.trim().parse::<IpAddr>().map_err(|_| {
                ApiError::validation(format!("ip {ip:?} is not an IPv4 or IPv6 address"))
            })
        })
        .transpose()?;
    let cost = body.cost.unwrap_or(1);
    if !(0..=CREDITS_MAX).contains(&cost) {
        return Err(ApiError::validation(format!(
            "cost must be 0 to {CREDITS_MAX}"
        )));
    }
    let ask = Ask {
        org: verifier.org,
        check: check.as_ref(),
        client,
        cost,
    };
    let response = match verify::verify(&state, &body.key, &ask).await? {
        Outcome::NotFound => VerifyResponse::not_found(),
        Outcome::Refused(state, key) => {
            let code = match state {
                KeyState::Expired => VerifyCode::Expired,
                KeyState::Revoked => VerifyCode::Revoked,
                _ => VerifyCode::Disabled,
            };
            VerifyResponse::about(code, &key)
        }
        Outcome::IpNotAllowed(key) => VerifyResponse::about(VerifyCode::IpNotAllowed, &key),
        Outcome::Insufficient(key) => {
            VerifyResponse::about(VerifyCode::InsufficientPermissions, &key)
        }
        Outcome::Limited(key, decision) => {
            let code = match decision.verdict {
                Verdict::UsageExceeded => VerifyCode::UsageExceeded,
                _ => VerifyCode::RateLimited,
            };
            VerifyResponse::about(code, &key).counted(Some(decision))
        }
        Outcome::Valid(key, decision) => {
            VerifyResponse::about(VerifyCode::Valid, &key).counted(decision)
        }
    };
    Ok(ApiJson(response))
}
