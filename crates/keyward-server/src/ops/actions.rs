//! The actions the audit log records, named `resource.verb`. Each is
//! checked when compiled.

use keyward_core::audit::Action;

pub const ORG_CREATED: Action = Action::known("org.created");
pub const ORG_UPDATED: Action = Action::known("org.updated");
pub const ORG_DELETED: Action = Action::known("org.deleted");
pub const KEY_CREATED: Action = Action::known("key.created");
pub const KEY_UPDATED: Action = Action::known("key.updated");
pub const KEY_DISABLED: Action = Action::known("key.disabled");
pub const KEY_ENABLED: Action = Action::known("key.enabled");
pub const KEY_REVOKED: Action = Action::known("key.revoked");
pub const KEY_ROLLED: Action = Action::known("key.rolled");
pub const KEY_LEAKED: Action = Action::known("key.leaked");
pub const PERMISSION_CREATED: Action = Action::known("permission.created");
pub const MEMBER_INVITED: Action = Action::known("member.invited");
pub const MEMBER_JOINED: Action = Action::known("member.joined");
pub const MEMBER_ROLE_CHANGED: Action = Action::known("member.role_changed");
pub const MEMBER_REMOVED: Action = Action::known("member.removed");
pub const MEMBER_ROLE_ASSIGNED: Action = Action::known("member.role_assigned");
pub const MEMBER_ROLE_UNASSIGNED: Action = Action::known("member.role_unassigned");
pub const INVITATION_WITHDRAWN: Action = Action::known("invitation.withdrawn");
pub const TEAM_CREATED: Action = Action::known("team.created");
pub const TEAM_DELETED: Action = Action::known("team.deleted");
pub const TEAM_MEMBER_ADDED: Action = Action::known("team.member_added");
pub const TEAM_MEMBER_REMOVED: Action = Action::known("team.member_removed");
pub const SERVICE_ACCOUNT_CREATED: Action = Action::known("service_account.created");
pub const SERVICE_ACCOUNT_UPDATED: Action = Action::known("service_account.updated");
pub const SERVICE_ACCOUNT_DELETED: Action = Action::known("service_account.deleted");
pub const SERVICE_ACCOUNT_ROLE_ASSIGNED: Action = Action::known("service_account.role_assigned");
pub const SERVICE_ACCOUNT_ROLE_UNASSIGNED: Action =
    Action::known("service_account.role_unassigned");
pub const ROLE_CREATED: Action = Action::known("role.created");
pub const ROLE_UPDATED: Action = Action::known("role.updated");
pub const ROLE_DELETED: Action = Action::known("role.deleted");
pub const GROUP_CREATED: Action = Action::known("group.created");
pub const GROUP_RENAMED: Action = Action::known("group.renamed");
pub const GROUP_DELETED: Action = Action::known("group.deleted");
pub const GROUP_ROLE_ADDED: Action = Action::known("group.role_added");
pub const GROUP_ROLE_REMOVED: Action = Action::known("group.role_removed");
pub const GROUP_MEMBER_ADDED: Action = Action::known("group.member_added");
pub const GROUP_MEMBER_REMOVED: Action = Action::known("group.member_removed");
pub const USER_UPDATED: Action = Action::known("user.updated");
pub const USER_PASSWORD_CHANGED: Action = Action::known("user.password_changed");
pub const USER_PASSWORD_RESET_ISSUED: Action = Action::known("user.password_reset_issued");
pub const USER_PASSWORD_RESET: Action = Action::known("user.password_reset");
pub const AUTH_LOGIN_SUCCEEDED: Action = Action::known("auth.login_succeeded");
pub const AUTH_LOGIN_FAILED: Action = Action::known("auth.login_failed");
pub const AUTH_LOGOUT: Action = Action::known("auth.logout");
pub const AUTH_DENIED: Action = Action::known("auth.denied");
