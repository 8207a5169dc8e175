//! `keyward users …` (needs the admin key).

use super::request::{Endpoint, Request};
use keyward_client::Method;
use serde_json::json;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum UsersCommand {
    /// Disable a user: they can't sign in, and their personal keys stop working.
    Disable { user: String },
    /// Enable a disabled user again.
    Enable { user: String },
}

impl Endpoint for UsersCommand {
    fn request(self) -> Request {
        let (user, enabled) = match self {
            UsersCommand::Disable { user } => (user, false),
            UsersCommand::Enable { user } => (user, true),
        };
        Request::new(Method::PATCH, &["users", &user]).json(json!({ "enabled": enabled }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::{parse, request};

    #[test]
    fn disable_and_enable_patch_the_user() {
        let disable = request::<UsersCommand>("disable 0192-u");
        assert_eq!(disable.method, Method::PATCH);
        assert_eq!(disable.path, "/api/v1/users/0192-u");
        assert_eq!(disable.body, Some(json!({"enabled": false})));
        let enable = request::<UsersCommand>("enable 0192-u");
        assert_eq!(enable.body, Some(json!({"enabled": true})));
    }

    #[test]
    fn a_user_id_is_required() {
        assert!(parse::<UsersCommand>("disable").is_err());
        assert!(parse::<UsersCommand>("delete 0192-u").is_err());
    }
}
