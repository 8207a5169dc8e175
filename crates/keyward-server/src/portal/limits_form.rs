//! The key form's limits: rate limits (one `name=limit/duration` a line),
//! credits with their refill, and allowed addresses (one a line), as typed,
//! and the domain's `LimitsInput` they become.

use super::errors::FieldErrors;
use super::form::FormData;
use crate::limiter::CreditReport;
use crate::ops::key_limits::LimitsInput;
use keyward_core::key_limits::{Credits, KeyLimits, RateLimit, Refill, RefillInterval};

/// The field the form's limit errors are shown under.
pub const FIELD: &str = "limits";

#[derive(Default)]
pub struct LimitsFields {
    pub ratelimits: String,
    /// Credits left; empty for none.
    pub credits: String,
    /// "", "daily" or "monthly".
    pub refill: String,
    pub refill_amount: String,
    pub refill_day: String,
    pub allowed_ips: String,
    /// On an edit, the balance as shown, so an untouched one isn't reset.
    pub shown: String,
}

impl LimitsFields {
    /// The fields of a key being edited.
    pub fn of(limits: &KeyLimits, credits: Option<CreditReport>) -> Self {
        let refill = limits
            .credits
            .as_ref()
            .and_then(|b| b.credits.refill.as_ref());
        let mut fields = Self {
            ratelimits: lines(limits.ratelimits.iter().map(RateLimit::short)),
            credits: credits.map(|c| c.remaining.to_string()).unwrap_or_default(),
            refill: match refill.map(|r| r.interval) {
                Some(RefillInterval::Daily) => "daily".into(),
                Some(RefillInterval::Monthly) => "monthly".into(),
                None => String::new(),
            },
            refill_amount: refill.map(|r| r.amount.to_string()).unwrap_or_default(),
            refill_day: refill
                .and_then(|r| r.refill_day)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            allowed_ips: lines(limits.allowed_ips.to_strings().into_iter()),
            shown: String::new(),
        };
        fields.shown = fields.balance_text();
        fields
    }

    pub fn fill(&mut self, form: &FormData) {
        self.ratelimits = form.get("ratelimits").to_owned();
        self.credits = form.get("credits").trim().to_owned();
        self.refill = form.get("refill").to_owned();
        self.refill_amount = form.get("refill_amount").trim().to_owned();
        self.refill_day = form.get("refill_day").trim().to_owned();
        self.allowed_ips = form.get("allowed_ips").to_owned();
        self.shown = form.get("credits_shown").to_owned();
    }

    /// The balance as one text, to tell whether it was changed.
    fn balance_text(&self) -> String {
        [
            &self.credits,
            &self.refill,
            &self.refill_amount,
            &self.refill_day,
        ]
        .map(|s| s.as_str())
        .join("|")
    }

    /// What a new key asks for.
    pub fn create(&self, errors: &mut FieldErrors) -> LimitsInput {
        let mut input = self.read(errors);
        if input.ratelimits.as_ref().is_some_and(Vec::is_empty) {
            input.ratelimits = None;
        }
        if input.allowed_ips.as_ref().is_some_and(Vec::is_empty) {
            input.allowed_ips = None;
        }
        input
    }

    /// What an edit changes: the lists as typed; the balance only when it
    /// differs from what was shown (setting it starts a new count).
    pub fn update(&self, errors: &mut FieldErrors) -> LimitsInput {
        let mut input = self.read(errors);
        if self.balance_text() == self.shown {
            input.credits = None;
        }
        input
    }

    fn read(&self, errors: &mut FieldErrors) -> LimitsInput {
        let mut ratelimits = Vec::new();
        for line in self.ratelimits.lines().filter(|l| !l.trim().is_empty()) {
            match RateLimit::parse_short(line) {
                Ok(limit) => ratelimits.push(limit),
                Err(e) => errors.add(FIELD, e.to_string()),
            }
        }
        let allowed_ips = self
            .allowed_ips
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        LimitsInput {
            ratelimits: Some(ratelimits),
            credits: Some(self.credits(errors)),
            allowed_ips: Some(allowed_ips),
        }
    }

    fn credits(&self, errors: &mut FieldErrors) -> Option<Credits> {
        if self.credits.is_empty() {
            return None;
        }
        let Ok(remaining) = self.credits.parse::<i64>() else {
            errors.add(FIELD, "Credits must be a whole number, or empty for none.");
            return None;
        };
        let interval = match self.refill.as_str() {
            "daily" => RefillInterval::Daily,
            "monthly" => RefillInterval::Monthly,
            _ => {
                return Some(Credits {
                    remaining,
                    refill: None,
                });
            }
        };
        let Ok(amount) = self.refill_amount.parse::<i64>() else {
            errors.add(FIELD, "Say how many credits each refill gives.");
            return None;
        };
        let refill_day = match (interval, self.refill_day.as_str()) {
            (RefillInterval::Monthly, day) if !day.is_empty() => match day.parse() {
                Ok(day) => Some(day),
                Err(_) => {
                    errors.add(FIELD, "The refill day is a day of the month, 1 to 31.");
                    return None;
                }
            },
            _ => None,
        };
        Some(Credits {
            remaining,
            refill: Some(Refill {
                interval,
                amount,
                refill_day,
            }),
        })
    }
}

fn lines(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("\n")
}

/// A key's limits as its card says them: a label and a text each.
pub fn describe(limits: &KeyLimits, credits: Option<CreditReport>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !limits.ratelimits.is_empty() {
        let text = limits
            .ratelimits
            .iter()
            .map(|l| {
                format!(
                    "{}: {} per {}",
                    l.name,
                    l.limit,
                    keyward_core::key_limits::format_duration_ms(l.duration_ms)
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        out.push(("Rate limits", text));
    }
    if let Some(credits) = credits {
        let refill = limits
            .credits
            .as_ref()
            .and_then(|b| b.credits.refill.as_ref());
        let mut text = format!("{} left", credits.remaining);
        if let (Some(refill), Some(at)) = (refill, credits.refill_at) {
            let every = match refill.interval {
                RefillInterval::Daily => "daily".to_owned(),
                RefillInterval::Monthly => match refill.refill_day {
                    Some(day) => format!("monthly on day {day}"),
                    None => "monthly".to_owned(),
                },
            };
            text.push_str(&format!(
                " · back to {} {every} · next refill {}",
                refill.amount,
                super::views::when(at)
            ));
        }
        out.push(("Credits", text));
    }
    if !limits.allowed_ips.is_empty() {
        out.push((
            "Allowed addresses",
            limits.allowed_ips.to_strings().join(", "),
        ));
    }
    out
}
