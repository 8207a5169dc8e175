//! What pages show of the domain's records: dates, names instead of ids,
//! key cards.

use crate::ctx::Ctx;
use crate::ops::keys::may_manage;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use keyward_core::Scope;
use keyward_core::model::KeyRecord;
use keyward_store::StoreError;
use uuid::Uuid;

/// A time as pages show it.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Display names of an organization's members, teams and service accounts.
#[derive(Default)]
pub struct Names(Vec<(Uuid, String)>);

impl Names {
    pub async fn load(state: &AppState, org: Uuid) -> Result<Self, StoreError> {
        let mut names = Vec::new();
        for member in state.store.members(org).await? {
            names.push((member.user.id, member.user.name));
        }
        for team in state.store.teams(org).await? {
            names.push((team.id, team.name));
        }
        for account in state.store.service_accounts(org).await? {
            names.push((account.id, account.name));
        }
        Ok(Self(names))
    }

    /// The name of `id`, or `fallback`.
    pub fn of(&self, id: Uuid, fallback: &str) -> String {
        self.0
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| fallback.to_owned(), |(_, n)| n.clone())
    }

    /// Who `created_by` names: a user, a key, or the admin key.
    fn creator(&self, created_by: &str) -> String {
        match Uuid::parse_str(created_by) {
            Ok(id) => self.of(id, "an API key"),
            Err(_) if created_by == "admin" => "the admin key".to_owned(),
            Err(_) => created_by.to_owned(),
        }
    }
}

/// A key card.
pub struct KeyCard {
    pub id: String,
    pub name: String,
    pub mask: String,
    pub scope: String,
    pub owner: String,
    pub read_only: bool,
    pub permissions: Vec<String>,
    pub created: String,
    pub created_by: String,
    pub last_used: String,
    pub expires: String,
    pub expired: bool,
    /// "expires in 3 days" within a week of the expiry.
    pub expires_soon: Option<String>,
    pub enabled: bool,
    pub manageable: bool,
    /// Rate limits, credits and allowed addresses, as label and text.
    pub limits: Vec<(&'static str, String)>,
}

impl KeyCard {
    pub fn new(state: &AppState, key: &KeyRecord, names: &Names, access: &Ctx) -> Self {
        let now = state.clock.now();
        let credits = state.limiter.credits_now(key.id, &key.limits, now);
        let owner = match key.scope {
            Scope::Organization => access.org.name.clone(),
            _ => names.of(key.owner_id, "(gone)"),
        };
        Self {
            id: key.id.to_string(),
            name: key.name.clone(),
            mask: key.key_mask.clone(),
            scope: scope_label(key.scope).to_owned(),
            owner,
            read_only: key.read_only,
            permissions: key
                .permissions
                .iter()
                .map(|g| format!("{} on {}", g.name, g.resource))
                .collect(),
            created: when(key.created_at),
            created_by: names.creator(&key.created_by),
            last_used: key.last_used_at.map_or_else(|| "never".to_owned(), when),
            expires: key.expires_at.map_or_else(|| "never".to_owned(), when),
            expired: key.expires_at.is_some_and(|at| at <= now),
            expires_soon: key.expires_at.and_then(|at| expires_soon(at, now)),
            enabled: key.enabled,
            manageable: may_manage(access, key),
            limits: super::limits_form::describe(&key.limits, credits),
        }
    }
}

/// How soon a key expires, within a week of it; `None` when further off
/// or past.
fn expires_soon(at: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    let left = at - now;
    if left <= chrono::Duration::zero() || left > chrono::Duration::days(7) {
        return None;
    }
    let plural =
        |n: i64, unit: &str| format!("expires in {n} {unit}{}", if n == 1 { "" } else { "s" });
    Some(if left >= chrono::Duration::days(1) {
        plural(left.num_days(), "day")
    } else if left >= chrono::Duration::hours(1) {
        plural(left.num_hours(), "hour")
    } else {
        "expires within the hour".to_owned()
    })
}

pub fn scope_label(scope: Scope) -> &'static str {
    match scope {
        Scope::User => "Personal",
        Scope::Team => "Team",
        Scope::Organization => "Organization",
        Scope::ServiceAccount => "Service account",
    }
}

/// Every live key of the organization, newest first.
pub async fn all_keys(state: &AppState, org: Uuid) -> Result<Vec<KeyRecord>, StoreError> {
    const PAGE: u32 = 100;
    let mut keys: Vec<KeyRecord> = Vec::new();
    loop {
        let before = keys.last().map(|k| k.id);
        let page = state.store.list_keys(org, before, PAGE).await?;
        let full = page.len() == PAGE as usize;
        keys.extend(page);
        if !full {
            return Ok(keys);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expires_soon;
    use chrono::{Duration, Utc};

    #[test]
    fn expiry_badges_say_how_soon_within_a_week() {
        let now = Utc::now();
        let soon = |left: Duration| expires_soon(now + left, now);
        assert_eq!(soon(Duration::days(8)), None);
        assert_eq!(
            soon(Duration::days(7)).as_deref(),
            Some("expires in 7 days")
        );
        assert_eq!(
            soon(Duration::days(3) + Duration::hours(5)).as_deref(),
            Some("expires in 3 days")
        );
        assert_eq!(
            soon(Duration::hours(30)).as_deref(),
            Some("expires in 1 day")
        );
        assert_eq!(
            soon(Duration::hours(2)).as_deref(),
            Some("expires in 2 hours")
        );
        assert_eq!(
            soon(Duration::minutes(59)).as_deref(),
            Some("expires within the hour")
        );
        assert_eq!(soon(Duration::zero()), None, "expired is its own badge");
        assert_eq!(soon(-Duration::days(1)), None);
    }
}
