//! Leaked keys: a secret scanner's report applied under the key's
//! organization's leak policy, and revocation by whoever holds a key.
//! Both find the key by its hash alone, as verification does; neither
//! ever records or logs the token.

use super::actions::{KEY_LEAKED, KEY_REVOKED};
use super::commit::{By, Change, commit};
use super::rules::truncate;
use crate::ctx::RequestMeta;
use crate::error::ApiResult;
use crate::eviction::Evict;
use crate::leaks::report::{Label, Reported};
use crate::state::AppState;
use futures::FutureExt;
use keyward_core::audit::{ActorKind, Party};
use keyward_core::leak_policy::LeakPolicy;
use keyward_core::model::{KeyPatch, KeyRecord};

/// Who reported a leak, as the audit log names it: keyward itself acting
/// on a scanner's word.
pub struct Reporter {
    pub id: &'static str,
    pub name: &'static str,
}

pub const GITHUB: Reporter = Reporter {
    id: "github-secret-scanning",
    name: "GitHub secret scanning",
};
pub const SCANNER: Reporter = Reporter {
    id: "leak-report",
    name: "a secret scanner",
};

/// The unrevoked key stored under `token`'s hash, if any; also whether
/// the token was a keyward key at all (revoked ones included).
async fn held_key(state: &AppState, token: &str) -> ApiResult<(bool, Option<KeyRecord>)> {
    // Always one HMAC and one lookup, whatever the token looks like, so
    // the time taken says little about what it was.
    let hash = state.hasher.hash(token);
    let found = state.store.key_by_hash(&hash).await?;
    let known = found.is_some();
    Ok((known, found.filter(|key| key.revoked_at.is_none())))
}

/// Applies one reported token: a live key gets its organization's leak
/// policy (revoked, disabled, or left alone) and a `key.leaked` event
/// naming the report's type, URL and source. A token that is or was a
/// keyward key is a true positive.
pub async fn report(
    state: &AppState,
    meta: &RequestMeta,
    reporter: &Reporter,
    reported: &Reported,
) -> ApiResult<Label> {
    let (known, live) = held_key(state, &reported.token).await?;
    let Some(key) = live else {
        return Ok(if known {
            Label::TruePositive
        } else {
            Label::FalsePositive
        });
    };
    let policy = state
        .store
        .org_by_id(key.organization_id)
        .await?
        .map(|org| org.leak_policy)
        .unwrap_or_default();
    let (org, id) = (key.organization_id, key.id);
    let mut change = Change::new(KEY_LEAKED, Some(org))
        .target("key", id, &key.name)
        .detail("type", &reported.token_type)
        .detail("url", &reported.url)
        .detail("source", &reported.source)
        .detail("leak_policy", policy);
    if policy != LeakPolicy::Notify {
        change = change.evicts(Evict::Key(id));
    }
    let by = By {
        actor: Party {
            kind: ActorKind::System,
            id: reporter.id.to_owned(),
            name: reporter.name.to_owned(),
        },
        meta,
    };
    let at = truncate(state.clock.now());
    commit(state, by, change, |store| {
        async move {
            match policy {
                LeakPolicy::Revoke => store.revoke_key(org, id, at).await.map(|_| ()),
                LeakPolicy::Disable => {
                    let patch = KeyPatch {
                        enabled: Some(false),
                        ..KeyPatch::default()
                    };
                    store.update_key(org, id, &patch).await.map(|_| ())
                }
                // The report is only recorded: an empty change of the key
                // carries its event in a transaction like any other.
                LeakPolicy::Notify => store
                    .update_key(org, id, &KeyPatch::default())
                    .await
                    .map(|_| ()),
            }
        }
        .boxed()
    })
    .await?;
    tracing::warn!(key_id = %id, %org, policy = %policy, source = %reported.source, "leaked key reported");
    Ok(Label::TruePositive)
}

/// Revokes the key `token` is, on the word of whoever holds it: no other
/// credential, and the same outcome whether or not it was a live key.
pub async fn revoke_held(state: &AppState, meta: &RequestMeta, token: &str) -> ApiResult<()> {
    let (_, live) = held_key(state, token).await?;
    let Some(key) = live else {
        return Ok(());
    };
    let (org, id) = (key.organization_id, key.id);
    let by = By {
        actor: Party {
            kind: ActorKind::KeyHolder,
            id: id.to_string(),
            name: key.name.clone(),
        },
        meta,
    };
    let change = Change::new(KEY_REVOKED, Some(org))
        .target("key", id, &key.name)
        .detail("by", "possession")
        .evicts(Evict::Key(id));
    let at = truncate(state.clock.now());
    commit(state, by, change, |store| {
        async move { store.revoke_key(org, id, at).await }.boxed()
    })
    .await?;
    tracing::info!(key_id = %id, %org, "key revoked by its holder");
    Ok(())
}
