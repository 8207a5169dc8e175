//! What keyward does with a key a secret scanner reports as exposed: the
//! organization's `leak_policy`. Revoking is the default, since an exposed
//! key is anyone's.

use crate::access::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// An organization's answer to a leaked key: `revoke` it for good,
    /// `disable` it (reversible, for owners who want to look first), or
    /// only `notify` (record the report, change nothing).
    LeakPolicy { Revoke => "revoke", Disable => "disable", Notify => "notify" }
}

// By hand: `string_enum!` takes no attributes on its variants.
#[allow(clippy::derivable_impls)]
impl Default for LeakPolicy {
    fn default() -> Self {
        Self::Revoke
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn policies_read_and_print_as_their_names() {
        for policy in LeakPolicy::ALL {
            assert_eq!(policy.as_str().parse::<LeakPolicy>().unwrap(), *policy);
        }
        assert_eq!(LeakPolicy::default(), LeakPolicy::Revoke);
        assert!("ignore".parse::<LeakPolicy>().is_err());
    }
}
