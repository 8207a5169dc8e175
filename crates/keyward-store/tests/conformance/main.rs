//! One conformance suite for the [`Store`](keyward_store::Store) trait: every
//! test body below runs against SQLite (a fresh file in a temporary
//! directory) and against PostgreSQL (a fresh schema in the database that
//! `KEYWARD_TEST_DATABASE_URL` names), as `sqlite::<test>` and
//! `postgres::<test>`, so the two implementations keep one behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixtures;
mod harness;

mod audit;
mod audited;
mod catalog;
mod key_limits;
mod keys;
mod lifecycle;
mod limits;
mod orgs;
mod secrets;
mod settings;
mod tls;
mod usage;
mod webhooks;

/// Generates `sqlite::<name>` and `postgres::<name>` for each
/// `module::name`, which is an `async fn name(store: Arc<dyn Store>)`, or,
/// when followed by `(raw)`, an `async fn name(store: Arc<dyn Store>, raw: Raw)`
/// that also reads what the backend stored.
macro_rules! conformance {
    ($($module:ident :: $name:ident $(($raw:ident))?),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::harness::sqlite(|db| {
                        crate::$module::$name(db.store() $(, db.$raw())?)
                    })
                    .await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::harness::postgres(|db| {
                        crate::$module::$name(db.store() $(, db.$raw())?)
                    })
                    .await;
                }
            )*
        }
    };
}

conformance! {
    webhooks::webhooks_round_trip_without_their_secret,
    webhooks::audited_writes_fill_the_outbox_in_their_transaction,
    webhooks::one_node_at_a_time_sends_an_endpoints_deliveries,
    webhooks::expiring_keys_are_found_until_noted,
    orgs::org_round_trip,
    orgs::org_update_changes_only_given_fields,
    orgs::org_slug_conflict,
    orgs::org_delete_removes_everything_in_it,
    catalog::catalog_starts_with_the_builtins,
    catalog::org_permissions_stay_in_their_org,
    catalog::duplicate_permission_name_conflicts,
    keys::key_round_trip,
    keys::insert_key_rejects_bad_references,
    keys::duplicate_key_hash_conflicts,
    keys::list_keys_newest_first_with_paging,
    keys::list_keys_excludes_revoked,
    keys::update_key_patch_semantics,
    keys::update_key_ignores_revoked_unknown_and_foreign,
    keys::revoke_key_once,
    key_limits::key_limits_are_stored_and_patched,
    key_limits::credit_balances_are_written_by_generation,
    lifecycle::roll_key_marks_the_old_key_and_inserts_the_new,
    lifecycle::roll_key_never_moves_an_expiry_later_and_revokes_at_once,
    lifecycle::roll_key_respects_the_limit,
    lifecycle::update_key_replaces_grants_and_read_only,
    lifecycle::list_keys_where_filters_by_expiry,
    lifecycle::org_key_policy_round_trips,
    lifecycle::org_leak_policy_round_trips,
    usage::record_usage_adds_and_moves_forward,
    usage::record_usage_sums_repeated_keys_in_a_batch,
    limits::key_limit_counts_live_keys_only,
    limits::concurrent_inserts_respect_the_limit,
    settings::settings_are_set_once,
    settings::concurrent_set_setting_once_has_one_winner,
    secrets::no_plaintext_key_at_rest(raw),
    audit::audit_events_round_trip_newest_first_with_filters_and_paging,
    audit::audit_export_streams_oldest_first_within_the_window,
    audit::audit_chain_verifies_when_intact,
    audit::audit_chain_tampering_names_the_changed_event(raw),
    audit::audit_concurrent_appends_keep_one_contiguous_chain,
    audit::audit_chains_are_independent,
    audit::audit_organization_less_events_have_their_own_chain,
    audit::audit_pruning_removes_older_events_and_keeps_chains_verifiable,
    audited::audited_writes_that_change_something_record_their_events,
    audited::audited_writes_that_change_nothing_record_none,
    audited::audited_writes_that_fail_record_none,
    audited::a_reused_audited_handle_records_its_events_once,
    audited::concurrent_audited_writes_keep_one_valid_chain,
    audited::a_chain_moved_elsewhere_is_never_extended_from_a_stale_head(raw),
}
mod access;
