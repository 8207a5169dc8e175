//! A key's rate limits, credits and allowed addresses as creating,
//! changing and rolling a key take them: checked, then applied to the
//! record or the patch, and described in the audit event.

use super::commit::Change;
use crate::error::{ApiError, ApiResult};
use chrono::{DateTime, Utc};
use keyward_core::key_limits::{
    AllowedIps, CreditBalance, Credits, KeyLimits, RateLimit, check_ratelimits,
};
use keyward_core::model::KeyPatch;

/// What a caller sends; `None` leaves a part as it is.
#[derive(Debug, Default, Clone)]
pub struct LimitsInput {
    pub ratelimits: Option<Vec<RateLimit>>,
    /// A new balance, or `Some(None)` to take credits away.
    pub credits: Option<Option<Credits>>,
    pub allowed_ips: Option<Vec<String>>,
}

/// [`LimitsInput`], checked.
#[derive(Debug, Default)]
pub struct CheckedLimits {
    ratelimits: Option<Vec<RateLimit>>,
    credits: Option<Option<CreditBalance>>,
    allowed_ips: Option<AllowedIps>,
}

fn invalid(error: impl ToString) -> ApiError {
    ApiError::validation(error.to_string())
}

impl LimitsInput {
    pub fn check(self, now: DateTime<Utc>) -> ApiResult<CheckedLimits> {
        if let Some(limits) = &self.ratelimits {
            check_ratelimits(limits).map_err(invalid)?;
        }
        let credits = self
            .credits
            .map(|credits| credits.map(|c| balance(c, now)).transpose())
            .transpose()?;
        let allowed_ips = self
            .allowed_ips
            .map(|ips| AllowedIps::parse(&ips).map_err(invalid))
            .transpose()?;
        Ok(CheckedLimits {
            ratelimits: self.ratelimits,
            credits,
            allowed_ips,
        })
    }
}

/// A balance set now: counted from the refill in force.
fn balance(credits: Credits, now: DateTime<Utc>) -> ApiResult<CreditBalance> {
    credits.check().map_err(invalid)?;
    let refilled_at = credits.refill.as_ref().map_or(now, |r| r.last(now));
    Ok(CreditBalance {
        credits,
        refilled_at,
        generation: 0,
    })
}

impl CheckedLimits {
    /// `base` with what was asked for in place of its parts.
    pub fn over(self, base: &KeyLimits) -> KeyLimits {
        KeyLimits {
            ratelimits: self.ratelimits.unwrap_or_else(|| base.ratelimits.clone()),
            credits: self.credits.unwrap_or_else(|| base.credits.clone()),
            allowed_ips: self.allowed_ips.unwrap_or_else(|| base.allowed_ips.clone()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ratelimits.is_none() && self.credits.is_none() && self.allowed_ips.is_none()
    }

    /// Records the parts that change `old` in `change`, and moves them
    /// into `patch`.
    pub fn into_patch(self, old: &KeyLimits, change: Change, patch: &mut KeyPatch) -> Change {
        let old_credits = old.credits.as_ref().map(|b| &b.credits);
        let new_credits = self
            .credits
            .as_ref()
            .map(|c| c.as_ref().map(|b| &b.credits));
        let change = change
            .changed("ratelimits", &old.ratelimits, self.ratelimits.as_ref())
            .changed("credits", &old_credits, new_credits.as_ref())
            .changed(
                "allowed_ips",
                &old.allowed_ips.to_strings(),
                self.allowed_ips
                    .as_ref()
                    .map(AllowedIps::to_strings)
                    .as_ref(),
            );
        patch.ratelimits = self.ratelimits;
        patch.credits = self.credits;
        patch.allowed_ips = self.allowed_ips;
        change
    }
}

/// Details of a new key's limits for its audit event: only those it has.
pub fn describe(limits: &KeyLimits, mut change: Change) -> Change {
    if !limits.ratelimits.is_empty() {
        change = change.detail("ratelimits", &limits.ratelimits);
    }
    if let Some(balance) = &limits.credits {
        change = change.detail("credits", &balance.credits);
    }
    if !limits.allowed_ips.is_empty() {
        change = change.detail("allowed_ips", limits.allowed_ips.to_strings());
    }
    change
}
