//! keyward's HTTP API, end to end: every test starts the real server on a
//! random loopback port with a fresh store and talks to it through
//! `keyward-client`. Each test body runs twice, as `sqlite::<test>` (a
//! store in a temporary directory) and `postgres::<test>` (a schema of its
//! own in the database `KEYWARD_TEST_DATABASE_URL` names).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api;
mod assertions;
mod backend;
mod helpers;

mod audit;
mod catalog;
mod credentials;
mod dadosfera;
mod delegation;
mod errors;
mod hostile;
mod key_edits;
mod key_limits;
mod key_policy;
mod keys;
mod leaks;
mod leaks_possession;
mod limits;
mod listing;
mod openapi_contract;
mod ops;
mod orgs;
mod roll;
mod startup;
mod storage;
mod throttle;
mod tower_layer;
mod usage;
mod webhooks;
mod webhooks_delivery;
mod webhooks_receiver;

/// Generates `sqlite::<name>` and `postgres::<name>` for each
/// `module::name`, an `async fn name(backend: Backend)`.
macro_rules! api_tests {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::backend::run(crate::backend::Kind::Sqlite, crate::$module::$name).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::backend::run(crate::backend::Kind::Postgres, crate::$module::$name).await;
                }
            )*
        }
    };
}

api_tests! {
    key_limits::a_rate_limit_passes_exactly_its_limit_at_once,
    key_limits::credits_are_spent_exactly_at_once,
    key_limits::credits_refill_and_survive_a_restart,
    key_limits::an_allow_list_refuses_other_addresses,
    key_limits::limits_are_validated,
    key_limits::limits_are_changed_and_rolled,
    orgs::create_org_derives_slug_and_default_prefix,
    orgs::create_org_takes_slug_and_prefix,
    orgs::orgs_are_read_by_id_and_by_slug,
    orgs::orgs_are_updated_by_id_and_by_slug,
    orgs::orgs_are_deleted_by_id_and_by_slug,
    orgs::duplicate_slug_conflicts,
    orgs::bad_slug_and_prefix_are_refused,
    orgs::keys_cannot_create_or_delete_orgs,
    orgs::a_key_lists_only_its_own_org,
    catalog::builtin_catalog_on_both_routes,
    catalog::platform_permissions_are_registered_and_usable,
    catalog::bad_permission_names_are_refused,
    catalog::builtin_and_duplicate_names_conflict,
    keys::created_key_has_the_full_shape,
    keys::org_prefix_is_used,
    keys::permissions_by_id_name_and_grant,
    keys::other_scopes_need_their_owner,
    keys::unknown_scope_is_refused,
    keys::get_shows_the_key_without_its_secret,
    keys::patch_changes_name_enabled_expiry_and_metadata,
    keys::patch_refuses_other_fields_and_unknown_keys,
    keys::revoke_is_final,
    roll::roll_answers_a_new_key_like_the_old,
    roll::the_old_key_works_through_its_grace_period,
    roll::grace_is_bounded_and_never_extends_a_key,
    roll::a_key_rolls_once,
    roll::rolling_needs_the_right_to_revoke,
    key_policy::only_owners_set_the_key_policy,
    key_policy::a_maximum_lifetime_defaults_and_refuses_expiries,
    key_policy::a_required_expiry_refuses_keys_without_one,
    key_policy::keys_made_before_a_policy_are_listed,
    key_policy::keys_are_listed_by_how_soon_they_expire,
    leaks::a_signed_github_report_revokes_the_key,
    leaks::the_answer_may_name_tokens_raw,
    leaks::unsigned_or_badly_signed_reports_change_nothing,
    leaks::leak_policies_disable_or_only_record,
    leaks::malformed_entries_are_skipped_and_counted,
    leaks::generic_reports_need_the_shared_secret,
    leaks::unknown_keys_are_fetched_again_from_the_url,
    leaks_possession::a_holder_revokes_a_key_with_nothing_else,
    leaks_possession::revocation_requests_are_checked_and_throttled,
    key_edits::a_permission_edit_applies_on_the_next_verification,
    key_edits::edits_follow_the_rules_of_creation,
    key_edits::read_only_keys_hold_only_read_only_permissions,
    listing::list_is_newest_first_without_secrets,
    listing::cursor_paging_walks_every_key_once,
    listing::bad_limit_and_cursor_are_refused,
    credentials::key_works_in_every_header,
    credentials::missing_and_malformed_credentials_are_refused,
    credentials::unknown_key_is_refused,
    credentials::expired_key_is_refused,
    credentials::disabled_key_is_refused_until_enabled,
    credentials::revoked_key_is_refused,
    credentials::key_of_another_org_is_forbidden,
    delegation::key_without_keys_write_can_only_read,
    delegation::read_only_key_changes_nothing,
    delegation::org_key_creates_keys_in_its_own_org,
    delegation::a_key_never_grants_more_than_it_holds,
    dadosfera::list_has_the_dadosfera_shape,
    dadosfera::create_has_the_dadosfera_shape,
    dadosfera::a_key_uses_its_own_org,
    dadosfera::unknown_permission_ids_are_named,
    dadosfera::empty_permission_list_is_refused,
    dadosfera::delete_revokes_at_once,
    dadosfera::delete_of_unknown_id_is_the_dadosfera_404,
    dadosfera::admin_must_name_an_org,
    errors::malformed_json_is_400,
    errors::wrong_types_are_422,
    errors::a_missing_field_is_named,
    errors::a_wrong_type_says_what_is_expected,
    errors::a_nested_field_is_named_by_its_path,
    errors::an_unknown_field_is_named,
    errors::missing_content_type_is_415,
    errors::bad_names_are_422,
    errors::past_expiry_is_422,
    errors::unknown_and_empty_permissions_are_422,
    errors::oversized_body_is_413,
    errors::unknown_addresses_answer_json_in_the_api_and_a_page_in_the_portal,
    limits::concurrent_creations_stop_at_the_default_limit,
    limits::configured_limit_is_honoured,
    storage::no_plaintext_key_at_rest,
    storage::data_files_are_private,
    storage::admin_key_is_generated_once,
    usage::usage_survives_a_graceful_restart,
    usage::usage_is_flushed_while_running,
    ops::health_and_readiness,
    ops::openapi_lists_every_route,
    openapi_contract::openapi_document_is_a_contract,
    ops::docs_are_html,
    ops::graceful_stop_closes_the_port,
    ops::connections_over_the_cap_are_closed,
    startup::failed_first_start_creates_nothing,
    startup::mismatched_node_secrets_refuse_to_start,
    hostile::deep_query_is_400_and_the_server_lives_on,
    hostile::nul_in_login_is_422,
    hostile::nul_in_names_and_metadata_is_422,
    hostile::controls_in_query_and_header_are_422,
    hostile::too_many_key_permissions_is_422,
    hostile::oversized_metadata_is_422,
    hostile::role_with_too_many_grants_is_422,
    hostile::undecodable_paths_are_400,
    throttle::failed_logins_lock_the_account_even_for_the_right_password,
    throttle::the_wait_is_at_most_fifteen_minutes,
    throttle::unknown_accounts_are_throttled_alike,
    throttle::one_address_fails_thirty_logins_a_minute,
    throttle::invalid_credentials_are_throttled_per_address,
    throttle::the_credential_limit_is_configured,
    throttle::invitation_acceptance_is_throttled_per_address,
    audit::audit_lists_newest_first_with_filters,
    audit::audit_cursor_walks_every_event_once,
    audit::bad_audit_queries_are_refused,
    audit::audit_export_is_json_lines_oldest_first,
    audit::audit_chains_verify,
    audit::audit_needs_audit_read,
    audit::retention_prunes_old_events_and_the_chain_still_verifies,
    audit::audit_page_reads_as_sentences,
    audit::audit_page_links_older_events,
    tower_layer::the_layer_admits_valid_keys_and_answers_refusals_in_the_error_body,
    tower_layer::a_cached_valid_answer_outlives_revocation_for_its_ttl_only,
    tower_layer::the_layer_answers_503_when_keyward_cannot_be_reached,
    webhooks::secret_is_shown_once,
    webhooks::webhooks_are_changed_and_deleted,
    webhooks::bad_events_are_refused,
    webhooks::private_targets_are_refused,
    webhooks::private_targets_can_be_allowed,
    webhooks::webhooks_need_webhooks_write,
    webhooks_delivery::events_arrive_signed_and_in_order,
    webhooks_delivery::failed_deliveries_are_retried_in_order,
    webhooks_delivery::test_messages_and_manual_retries_are_sent,
    webhooks_delivery::a_rolled_secret_signs_beside_the_new_one,
    webhooks_delivery::expiring_and_expired_keys_are_announced_once,
}
mod access;
mod eviction;
mod forward;
mod metrics;
mod nodes;
mod outage;
mod portal;
mod postgres_tls;
mod redis;
