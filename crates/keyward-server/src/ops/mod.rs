//! Every change keyward makes: one function per operation, of one shape,
//! `(state, &Ctx, input) -> ApiResult<T>`, called alike by the JSON
//! routes, the Dadosfera routes and the portal. Each ends in
//! [`commit::commit`], the one place that records the audit event in the
//! change's own transaction, retires the cached answers the change can
//! alter and tells the other nodes.

pub mod actions;
pub mod commit;
pub mod denials;
pub mod groups;
pub mod handout;
pub mod invitations;
pub mod key_limits;
pub mod keys;
pub mod leaks;
pub mod members;
pub mod orgs;
pub mod passwords;
pub mod permissions;
pub mod roles;
pub mod rules;
pub mod service_accounts;
pub mod sessions;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod webhooks;
