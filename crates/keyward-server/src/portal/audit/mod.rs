//! The audit log page: an organization's events, newest first, each as one
//! sentence, filtered by action, actor and dates (a GET form) and paged
//! with the API's cursor. It requires what `GET /api/v1/orgs/{org}/audit`
//! requires, `audit:read`, and reads through the same query.

mod sentence;

use super::errors::{PageResult, PortalError};
use super::page::{Layout, Portal, render};
use super::views::when;
use crate::audit_pages::{ListParams, page};
use crate::auth::{AuditRead, OrgAccess};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{Days, NaiveDate};
use keyward_core::audit::{AuditEvent, Outcome};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

pub use sentence::{known_actions, sentence};

pub fn routes() -> Router<AppState> {
    Router::new().route("/orgs/{org}/audit", get(log))
}

/// The filter form's fields; dates are days (`2025-01-31`), in UTC.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
}

/// The start of `day`, or of the day after it, as RFC 3339.
fn day_start(field: &str, day: &str, after: bool) -> ApiResult<Option<String>> {
    if day.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| {
            if after {
                d.checked_add_days(Days::new(1))
            } else {
                Some(d)
            }
        })
        .ok_or_else(|| {
            ApiError::validation(format!("{field} must be a date such as 2025-01-31"))
        })?;
    Ok(Some(format!("{date}T00:00:00Z")))
}

impl Filter {
    fn params(&self) -> ApiResult<ListParams> {
        Ok(ListParams {
            action: Some(self.action.trim().to_owned()),
            actor_id: Some(self.actor.clone()),
            since: day_start("from", &self.from, false)?,
            until: day_start("to", &self.to, true)?,
            cursor: Some(self.cursor.clone()),
            ..ListParams::default()
        })
    }

    /// The query string of this filter at `cursor`.
    fn at(&self, cursor: &str) -> String {
        [
            ("action", self.action.as_str()),
            ("actor", &self.actor),
            ("from", &self.from),
            ("to", &self.to),
            ("cursor", cursor),
        ]
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

pub struct Row {
    pub at: String,
    pub sentence: String,
    pub denied: bool,
    pub ip: String,
}

impl From<&AuditEvent> for Row {
    fn from(event: &AuditEvent) -> Self {
        Self {
            at: when(event.at),
            sentence: sentence(event),
            denied: event.outcome == Outcome::Denied,
            ip: event.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        }
    }
}

pub struct ActorOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditLog {
    layout: Layout,
    action: String,
    filter: Filter,
    actions: Vec<&'static str>,
    actors: Vec<ActorOption>,
    rows: Vec<Row>,
    /// The newest page's link, when this one isn't it.
    newest: Option<String>,
    older: Option<String>,
    error: Option<String>,
}

async fn log(
    State(state): State<AppState>,
    portal: Portal<OrgAccess<AuditRead>>,
    query: Result<ApiQuery<Filter>, ApiError>,
) -> PageResult {
    let ApiQuery(filter) = query?;
    let path = portal.org_path("/audit");
    let members = state.store.members(portal.access.org.id).await?;
    let actors = members
        .into_iter()
        .map(|m| ActorOption {
            selected: m.user.id.to_string() == filter.actor,
            id: m.user.id.to_string(),
            name: m.user.name,
        })
        .collect();
    let found = filter
        .params()
        .and_then(|params| params.query(Some(portal.access.org.id)));
    let (rows, older, error) = match found {
        Ok(query) => {
            let found = page(&state, &query).await?;
            let older = found
                .next_cursor
                .map(|cursor| format!("{path}?{}", filter.at(&cursor)));
            (found.items.iter().map(Row::from).collect(), older, None)
        }
        Err(e) if e.code.status().is_client_error() => (Vec::new(), None, Some(e.message)),
        Err(e) => return Err(PortalError::Api(e)),
    };
    let newest = (!filter.cursor.is_empty()).then(|| format!("{path}?{}", filter.at("")));
    let view = AuditLog {
        layout: portal.layout(&state, "Audit log", "audit").await?,
        action: path,
        filter,
        actions: known_actions().collect(),
        actors,
        rows,
        newest,
        older,
        error,
    };
    Ok(render(&view))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn days_become_a_half_open_range() {
        let filter = Filter {
            from: "2025-01-31".into(),
            to: "2025-01-31".into(),
            ..Filter::default()
        };
        let params = filter.params().unwrap();
        assert_eq!(params.since.as_deref(), Some("2025-01-31T00:00:00Z"));
        assert_eq!(params.until.as_deref(), Some("2025-02-01T00:00:00Z"));
        let bad = Filter {
            to: "31/01/2025".into(),
            ..Filter::default()
        };
        assert!(bad.params().is_err());
    }

    #[test]
    fn links_keep_the_filter_and_encode_it() {
        let filter = Filter {
            action: "key.*".into(),
            actor: "a&b".into(),
            cursor: "old".into(),
            ..Filter::default()
        };
        assert_eq!(
            filter.at("next"),
            "action=key%2E%2A&actor=a%26b&cursor=next"
        );
        assert_eq!(filter.at(""), "action=key%2E%2A&actor=a%26b");
    }
}
