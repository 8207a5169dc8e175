//! The "+ Generate new key" form: what it offers the signed-in user (scopes,
//! teams, service accounts, the permission picker), what was typed, and
//! the domain's `KeySpec` it becomes.

use super::errors::{FieldErrors, PageResult};
use super::form::FormData;
use super::picker::Picker;
use crate::auth::OrgMember;
use crate::ops::keys::KeySpec;
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use keyward_core::Scope;
use uuid::Uuid;

pub struct ScopeOption {
    pub value: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
}

pub struct Choice {
    pub id: String,
    pub name: String,
}

/// The expiries offered, in days from now, before "custom" and "never".
const PRESET_DAYS: [i64; 4] = [7, 30, 60, 90];
/// The expiry chosen when the form opens.
const DEFAULT_EXPIRY: &str = "30";

/// The expiry choices: a few presets, a custom date, and no expiry.
fn expiry_choices() -> Vec<Choice> {
    let mut choices: Vec<Choice> = PRESET_DAYS
        .iter()
        .map(|days| Choice {
            id: days.to_string(),
            name: format!("in {days} days"),
        })
        .collect();
    for (id, name) in [("custom", "on a date I choose"), ("never", "never")] {
        choices.push(Choice {
            id: id.to_owned(),
            name: name.to_owned(),
        });
    }
    choices
}

/// The "+ Generate new key" form, with what it offers and what was typed.
pub struct KeyForm {
    pub name: String,
    pub scope: String,
    pub read_only: bool,
    /// "all" of the scope's rights, rather than only what is ticked.
    pub all_rights: bool,
    /// A preset's days, "custom" (then `expires`) or "never".
    pub expires_in: String,
    pub expiries: Vec<Choice>,
    pub expires: String,
    pub team_id: String,
    pub service_account_id: String,
    pub scopes: Vec<ScopeOption>,
    pub teams: Vec<Choice>,
    pub accounts: Vec<Choice>,
    pub picker: Picker,
    pub errors: FieldErrors,
}

impl KeyForm {
    /// What this user may create in this section.
    pub async fn offer(state: &AppState, member: &OrgMember, personal: bool) -> PageResult<Self> {
        let catalog = state.store.catalog(member.org.id).await?;
        let mut form = KeyForm {
            name: String::new(),
            scope: String::new(),
            read_only: false,
            all_rights: false,
            expires_in: DEFAULT_EXPIRY.to_owned(),
            expiries: expiry_choices(),
            expires: String::new(),
            team_id: String::new(),
            service_account_id: String::new(),
            scopes: Vec::new(),
            teams: Vec::new(),
            accounts: Vec::new(),
            picker: Picker::new(&member.grants, &catalog),
            errors: FieldErrors::default(),
        };
        if personal {
            form.scope = Scope::User.as_str().to_owned();
            return Ok(form);
        }
        let grants = &member.grants;
        for team in state.store.teams(member.org.id).await? {
            if grants.is_team_owner(team.id) {
                form.teams.push(Choice {
                    id: team.id.to_string(),
                    name: team.name,
                });
            }
        }
        if grants.allows("members:write", &keyward_core::Resource::Any) {
            for account in state.store.service_accounts(member.org.id).await? {
                form.accounts.push(Choice {
                    id: account.id.to_string(),
                    name: account.name,
                });
            }
        }
        if !form.teams.is_empty() {
            form.scopes.push(ScopeOption {
                value: "team",
                label: "Team",
                hint: "Owner-level rights on one team and its resources.",
            });
        }
        if grants.is_org_owner() {
            form.scopes.push(ScopeOption {
                value: "organization",
                label: "Organization",
                hint: "Owner-level rights on the whole organization. Only owners create these.",
            });
        }
        if !form.accounts.is_empty() {
            form.scopes.push(ScopeOption {
                value: "service_account",
                label: "Service account",
                hint: "Acts with the service account's roles and groups.",
            });
        }
        form.scope = form
            .scopes
            .first()
            .map(|s| s.value.to_owned())
            .unwrap_or_default();
        Ok(form)
    }

    /// Keeps what was submitted, so nothing is lost on an error.
    pub fn fill(&mut self, form: &FormData) {
        self.name = form.get("name").to_owned();
        if !form.get("scope").is_empty() {
            self.scope = form.get("scope").to_owned();
        }
        self.read_only = form.checked("read_only");
        self.picker.read_only = self.read_only;
        self.all_rights = form.get("rights") == "all";
        self.expires_in = form.get("expires_in").to_owned();
        self.expires = form.get("expires").to_owned();
        self.team_id = form.get("team_id").to_owned();
        self.service_account_id = form.get("service_account_id").to_owned();
        self.picker.fill(form);
    }

    /// The domain's request, or the fields the portal itself can't read.
    pub fn spec(&mut self, form: &FormData, now: DateTime<Utc>) -> Option<KeySpec> {
        let scope = self.scope.parse::<Scope>().ok();
        if scope.is_none() {
            self.errors.add("scope", "Choose a scope.");
        }
        let expires_at = self.expires_at(now);
        let permissions = if self.all_rights {
            None
        } else {
            let refs = Picker::refs(form);
            if refs.is_empty() {
                self.errors.add(
                    "permissions",
                    "Tick at least one permission, or choose all of the scope's rights.",
                );
            }
            Some(refs)
        };
        let id = |text: &str| Uuid::parse_str(text).ok();
        let scope = scope.filter(|_| self.errors.is_empty())?;
        Some(KeySpec {
            name: self.name.clone(),
            scope,
            read_only: self.read_only,
            permissions,
            expires_at,
            metadata: Default::default(),
            team_id: (scope == Scope::Team).then(|| id(&self.team_id)).flatten(),
            service_account_id: (scope == Scope::ServiceAccount)
                .then(|| id(&self.service_account_id))
                .flatten(),
        })
    }

    /// The chosen expiry: a preset's days from now, the end of a chosen
    /// day (UTC), or none.
    fn expires_at(&mut self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.expires_in.as_str() {
            "never" => None,
            "custom" => match NaiveDate::parse_from_str(self.expires.trim(), "%Y-%m-%d") {
                // The key works through the whole chosen day.
                Ok(day) => Some(
                    day.and_time(NaiveTime::MIN).and_utc() + Duration::days(1)
                        - Duration::milliseconds(1),
                ),
                Err(_) => {
                    self.errors.add("expires", "Give the date as YYYY-MM-DD.");
                    None
                }
            },
            days => match days.parse::<i64>() {
                Ok(days) if PRESET_DAYS.contains(&days) => Some(now + Duration::days(days)),
                _ => {
                    self.errors.add("expires", "Choose when the key expires.");
                    None
                }
            },
        }
    }
}
