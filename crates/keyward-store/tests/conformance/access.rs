//! The access model: users and sessions, memberships and the last owner,
//! invitations, teams, service accounts, roles, groups, and what they add
//! up to in `principal_access`.

mod accounts;
mod holdings;
mod invitations;
mod members;
mod passwords;
pub(crate) mod records;
mod roles;
mod teams;
mod users;

pub use accounts::*;
pub use holdings::*;
pub use invitations::*;
pub use members::*;
pub use passwords::*;
pub use roles::*;
pub use teams::*;
pub use users::*;

conformance! {
    access::users_round_trip,
    access::duplicate_email_conflicts,
    access::sessions_need_an_unexpired_session_of_an_enabled_user,
    access::disabling_a_user_ends_their_sessions_for_good,
    access::memberships_round_trip,
    access::last_owner_cannot_be_demoted_or_removed,
    access::concurrent_owner_changes_keep_an_owner,
    access::remove_member_cleans_up_and_revokes_user_keys,
    access::invitations_list_pending_newest_first,
    access::accept_invitation_creates_a_user_and_a_membership,
    access::accept_invitation_reuses_an_existing_user_and_role,
    access::accept_invitation_refuses_used_expired_and_unknown_tokens,
    access::concurrent_accepts_of_one_invitation_have_one_winner,
    access::concurrent_accepts_for_one_new_email_create_one_user,
    access::setting_a_password_ends_the_other_sessions,
    access::password_resets_work_once_before_they_expire,
    access::concurrent_uses_of_one_reset_have_one_winner,
    access::teams_round_trip,
    access::create_team_with_its_owner_in_one_transaction,
    access::delete_team_revokes_its_keys,
    access::service_accounts_round_trip,
    access::delete_service_account_cleans_up_and_revokes_its_keys,
    access::roles_round_trip,
    access::role_grants_stay_in_their_organization,
    access::role_assignments_are_idempotent_and_in_org,
    access::groups_round_trip,
    access::principal_access_of_users,
    access::principal_access_of_service_accounts,
    access::delete_org_removes_roles_granting_its_permissions,
}
