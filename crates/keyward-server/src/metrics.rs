//! The counters behind `/metrics` (served by `routes::metrics`): what
//! verification answered and keys created. Plain atomics, cheap on the hot
//! path.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

const CODES: [&str; 9] = [
    "VALID",
    "NOT_FOUND",
    "EXPIRED",
    "REVOKED",
    "DISABLED",
    "INSUFFICIENT_PERMISSIONS",
    "IP_NOT_ALLOWED",
    "RATE_LIMITED",
    "USAGE_EXCEEDED",
];

/// What a verification answered, in the order of `CODES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    NotFound,
    Expired,
    Revoked,
    Disabled,
    Insufficient,
    IpNotAllowed,
    RateLimited,
    UsageExceeded,
}

#[derive(Default)]
pub struct Metrics {
    verifications: [AtomicU64; 9],
    keys_created: AtomicU64,
}

impl Metrics {
    pub fn verified(&self, verdict: Verdict) {
        self.verifications[verdict as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn key_created(&self) {
        self.keys_created.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters in Prometheus' text format.
    pub fn write_to(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP keyward_verifications_total Verifications (verify endpoint and forward-auth) by answer."
        );
        let _ = writeln!(out, "# TYPE keyward_verifications_total counter");
        for (code, count) in CODES.iter().zip(&self.verifications) {
            let _ = writeln!(
                out,
                "keyward_verifications_total{{code=\"{code}\"}} {}",
                count.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP keyward_keys_created_total Keys created since start."
        );
        let _ = writeln!(out, "# TYPE keyward_keys_created_total counter");
        let _ = writeln!(
            out,
            "keyward_keys_created_total {}",
            self.keys_created.load(Ordering::Relaxed)
        );
    }
}
