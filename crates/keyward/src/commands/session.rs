//! `keyward login`, `keyward logout`, `keyward me`.

use super::request::{Endpoint, Request};
use keyward_client::Method;
use serde_json::json;

/// Sign in; the printed `token` works as `--api-key`/`KEYWARD_API_KEY`.
#[derive(Debug, Clone, clap::Args)]
pub struct Login {
    #[arg(long)]
    email: String,
    /// The password; set `KEYWARD_PASSWORD` instead to keep it out of the
    /// shell's history and the process list.
    #[arg(long, env = "KEYWARD_PASSWORD", hide_env_values = true)]
    password: String,
}

/// Ends the session whose token is the API key.
#[derive(Debug, Clone, clap::Args)]
pub struct Logout {}

/// The signed-in user and their organizations, roles and grants.
#[derive(Debug, Clone, clap::Args)]
pub struct Me {}

impl Endpoint for Login {
    fn request(self) -> Request {
        let body = json!({ "email": self.email, "password": self.password });
        Request::new(Method::POST, &["auth", "login"]).json(body)
    }
}

impl Endpoint for Logout {
    fn request(self) -> Request {
        Request::new(Method::POST, &["auth", "logout"]).done(json!({ "signed_out": true }))
    }
}

impl Endpoint for Me {
    fn request(self) -> Request {
        Request::new(Method::GET, &["me"])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::commands::testing::parse_args;

    #[test]
    fn login_posts_email_and_password() {
        let login = parse_args::<Login>("--email ana@acme.io --password pw").unwrap();
        let request = login.request();
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.path, "/api/v1/auth/login");
        let body = json!({"email": "ana@acme.io", "password": "pw"});
        assert_eq!(request.body, Some(body));
    }

    #[test]
    fn login_needs_an_email() {
        assert!(parse_args::<Login>("--password pw").is_err());
    }

    #[test]
    fn logout_and_me() {
        let logout = parse_args::<Logout>("").unwrap().request();
        assert_eq!(logout.method, Method::POST);
        assert_eq!(logout.path, "/api/v1/auth/logout");
        let me = parse_args::<Me>("").unwrap().request();
        assert_eq!((me.method, me.path.as_str()), (Method::GET, "/api/v1/me"));
        assert!(parse_args::<Me>("extra").is_err());
    }
}
