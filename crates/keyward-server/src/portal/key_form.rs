//! The key form, to generate a key or edit one: what it offers the
//! signed-in user (scopes, teams, service accounts, expiries within the
//! organization's policy, the permission picker), what was typed, and the
//! domain's `KeySpec` or `KeyUpdate` it becomes.

use super::errors::{FieldErrors, PageResult};
use super::expiry::{self, Expiry};
use super::form::FormData;
use super::limits_form::{self, LimitsFields};
use super::picker::Picker;
use super::views::when;
use crate::auth::OrgMember;
use crate::ops::keys::{KeySpec, KeyUpdate};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use keyward_core::Scope;
use keyward_core::model::KeyRecord;
use serde_json::Value;
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

/// Where the domain's refusals of a key form go: the first field whose
/// needle the message mentions.
pub const KEY_FIELDS: &[(&str, &str)] = &[
    ("ratelimits", limits_form::FIELD),
    ("credits", limits_form::FIELD),
    ("allowed_ips", limits_form::FIELD),
    ("expir", "expires"),
    ("name", "name"),
    ("read-only", "permissions"),
    ("resource", "permissions"),
    ("service account", "service_account"),
    ("service_account", "service_account"),
    ("team", "team"),
    ("organization keys", "scope"),
    ("scope", "scope"),
];

/// The key form, with what it offers and what was typed.
pub struct KeyForm {
    pub name: String,
    pub scope: String,
    pub read_only: bool,
    /// "all" of the scope's rights, rather than only what is ticked.
    pub all_rights: bool,
    /// A preset's days, "custom" (then `expires`), "never", or "keep".
    pub expires_in: String,
    pub expiries: Vec<Choice>,
    pub expires: String,
    pub team_id: String,
    pub service_account_id: String,
    pub scopes: Vec<ScopeOption>,
    pub teams: Vec<Choice>,
    pub accounts: Vec<Choice>,
    pub picker: Picker,
    pub limits: LimitsFields,
    pub errors: FieldErrors,
}

impl KeyForm {
    /// The form to edit `key`, filled with what it is now.
    pub async fn edit(state: &AppState, member: &OrgMember, key: &KeyRecord) -> PageResult<Self> {
        let mut form = Self::offer(state, member, true).await?;
        let policy = &member.org.key_policy;
        let now = key.expires_at.map_or_else(|| "never".to_owned(), when);
        form.name = key.name.clone();
        form.scope = key.scope.as_str().to_owned();
        form.read_only = key.read_only;
        form.picker.read_only = key.read_only;
        form.all_rights = key.permissions.is_empty();
        form.expires_in = expiry::default_choice(policy, true);
        form.expiries = expiry::choices(policy, Some(now));
        form.picker.tick(&key.permissions);
        let credits = state
            .limiter
            .credits_now(key.id, &key.limits, state.clock.now());
        form.limits = LimitsFields::of(&key.limits, credits);
        Ok(form)
    }

    /// What this user may create in this section.
    pub async fn offer(state: &AppState, member: &OrgMember, personal: bool) -> PageResult<Self> {
        let catalog = state.store.catalog(member.org.id).await?;
        let mut form = KeyForm {
            name: String::new(),
            scope: String::new(),
            read_only: false,
            all_rights: false,
            expires_in: expiry::default_choice(&member.org.key_policy, false),
            expiries: expiry::choices(&member.org.key_policy, None),
            expires: String::new(),
            team_id: String::new(),
            service_account_id: String::new(),
            scopes: Vec::new(),
            teams: Vec::new(),
            accounts: Vec::new(),
            picker: Picker::new(&member.grants, &catalog),
            limits: LimitsFields::default(),
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
        self.limits.fill(form);
    }

    /// The domain's request, or the fields the portal itself can't read.
    pub fn spec(&mut self, form: &FormData, now: DateTime<Utc>) -> Option<KeySpec> {
        let scope = self.scope.parse::<Scope>().ok();
        if scope.is_none() {
            self.errors.add("scope", "Choose a scope.");
        }
        let expires_at = match self.expiry(now) {
            Some(Expiry::At(at)) => at,
            _ => None,
        };
        let permissions = self.rights(form);
        let limits = self.limits.create(&mut self.errors);
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
            limits,
        })
    }

    /// The domain's change to the edited key, or the fields the portal
    /// itself can't read.
    pub fn update(&mut self, form: &FormData, now: DateTime<Utc>) -> Option<KeyUpdate> {
        let expires_at = match self.expiry(now) {
            Some(Expiry::At(at)) => Some(at),
            _ => None,
        };
        let permissions = self.rights(form);
        let limits = self.limits.update(&mut self.errors);
        self.errors.is_empty().then(|| KeyUpdate {
            name: Some(self.name.clone()),
            read_only: Some(self.read_only),
            permissions: Some(permissions),
            expires_at,
            limits,
            ..KeyUpdate::default()
        })
    }

    /// The chosen expiry, or `None` after saying why it can't be read.
    fn expiry(&mut self, now: DateTime<Utc>) -> Option<Expiry> {
        expiry::read(&self.expires_in, &self.expires, now)
            .map_err(|why| self.errors.add("expires", why))
            .ok()
    }

    /// All of the scope's rights (`None`), or the ticked permissions, of
    /// which there must be one.
    fn rights(&mut self, form: &FormData) -> Option<Vec<Value>> {
        if self.all_rights {
            return None;
        }
        let refs = Picker::refs(form);
        if refs.is_empty() {
            self.errors.add(
                "permissions",
                "Tick at least one permission, or choose all of the scope's rights.",
            );
        }
        Some(refs)
    }
}
