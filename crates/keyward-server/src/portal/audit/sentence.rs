//! An audit event as one sentence a person reads: "Ada Lovelace revoked
//! key nightly export", "API key ci-deploy created team Data". Names are
//! the labels the event recorded, so the sentence still reads after a
//! rename or deletion.

use keyward_core::audit::{ActorKind, AuditEvent, Target};

/// What each action did, as a verb phrase; `{}` is where the target goes
/// ("its kind and name"). A phrase without `{}` takes no target.
const PHRASES: &[(&str, &str)] = &[
    ("org.created", "created {}"),
    ("org.updated", "updated {}"),
    ("org.deleted", "deleted {}"),
    ("key.created", "created {}"),
    ("key.updated", "updated {}"),
    ("key.disabled", "disabled {}"),
    ("key.enabled", "enabled {}"),
    ("key.revoked", "revoked {}"),
    ("key.rolled", "rolled {} over to a new key"),
    ("key.leaked", "handled a leak report of {}"),
    ("permission.created", "registered {}"),
    ("member.invited", "invited {}"),
    ("member.joined", "joined the organization"),
    ("member.role_changed", "changed the role of {}"),
    ("member.removed", "removed {}"),
    ("member.role_assigned", "assigned a role to {}"),
    ("member.role_unassigned", "took a role from {}"),
    ("invitation.withdrawn", "withdrew the invitation of {}"),
    ("team.created", "created {}"),
    ("team.deleted", "deleted {}"),
    ("team.member_added", "added {} to a team"),
    ("team.member_removed", "removed {} from a team"),
    ("service_account.created", "created {}"),
    ("service_account.updated", "updated {}"),
    ("service_account.deleted", "deleted {}"),
    ("service_account.role_assigned", "assigned a role to {}"),
    ("service_account.role_unassigned", "took a role from {}"),
    ("role.created", "created {}"),
    ("role.updated", "updated {}"),
    ("role.deleted", "deleted {}"),
    ("group.created", "created {}"),
    ("group.renamed", "renamed {}"),
    ("group.deleted", "deleted {}"),
    ("group.role_added", "added a role to {}"),
    ("group.role_removed", "removed a role from {}"),
    ("group.member_added", "added a member to {}"),
    ("group.member_removed", "removed a member from {}"),
    ("user.updated", "updated {}"),
    ("user.password_changed", "changed their password"),
    (
        "user.password_reset_issued",
        "issued a password reset link for {}",
    ),
    (
        "user.password_reset",
        "set a new password with a reset link",
    ),
    ("auth.login_succeeded", "signed in"),
    ("auth.logout", "signed out"),
    ("auth.denied", "was refused access to {}"),
    ("key.expiring", "noted that {} expires soon"),
    ("key.expired", "noted that {} expired"),
    ("webhook.created", "created {}"),
    ("webhook.updated", "updated {}"),
    ("webhook.deleted", "deleted {}"),
    ("webhook.secret_rolled", "rolled the signing secret of {}"),
    ("webhook.tested", "sent a test event to {}"),
    ("webhook.delivery_retried", "retried a delivery to {}"),
    ("webhook.disabled", "disabled {} after it failed for 5 days"),
    (
        "webhook.settings_updated",
        "changed when expiring keys are announced",
    ),
];

/// The actions with a phrase of their own, for the filter's suggestions.
pub fn known_actions() -> impl Iterator<Item = &'static str> {
    PHRASES
        .iter()
        .map(|(action, _)| *action)
        .chain(["auth.login_failed"])
}

/// `name`, or `id` when the event recorded no name.
fn label<'a>(name: &'a str, id: &'a str) -> &'a str {
    if name.is_empty() { id } else { name }
}

/// Who acted, as the subject of the sentence.
fn subject(event: &AuditEvent) -> String {
    let actor = &event.actor;
    let name = label(&actor.name, &actor.id);
    match actor.kind {
        ActorKind::User if name.is_empty() => "Someone".to_owned(),
        ActorKind::User => name.to_owned(),
        ActorKind::Key => format!("API key {name}"),
        ActorKind::Admin => "The admin key".to_owned(),
        ActorKind::System => "keyward".to_owned(),
        ActorKind::KeyHolder => format!("The holder of key {name}"),
    }
}

/// A target as its kind and name: "key nightly export", "service account
/// etl"; people (users, members, invitees) by name alone.
fn object(target: &Target) -> String {
    let kind = match target.kind.as_str() {
        "user" | "member" | "invitation" => String::new(),
        "org" => "organization".to_owned(),
        kind => kind.replace('_', " "),
    };
    let name = label(&target.name, &target.id);
    if kind.is_empty() {
        name.to_owned()
    } else {
        format!("{kind} {name}")
    }
}

/// The event as one sentence, without a final period.
pub fn sentence(event: &AuditEvent) -> String {
    let action = event.action.as_str();
    let target = event.target.as_ref().map(object);
    if action == "auth.login_failed" {
        // The actor is unproven: name only the account that was tried.
        let tried = event
            .target
            .as_ref()
            .map(|t| label(&t.name, &t.id))
            .unwrap_or_else(|| label(&event.actor.name, &event.actor.id));
        return match tried {
            "" => "Someone failed to sign in".to_owned(),
            tried => format!("Someone failed to sign in as {tried}"),
        };
    }
    let predicate = match PHRASES.iter().find(|(a, _)| *a == action) {
        Some((_, phrase)) => phrase.replace("{}", target.as_deref().unwrap_or("something")),
        None => match &target {
            Some(target) => format!("did {action} on {target}"),
            None => format!("did {action}"),
        },
    };
    format!("{} {predicate}", subject(event))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono::Utc;
    use keyward_core::audit::{Action, Outcome, Party};

    fn event(action: &str, actor: (ActorKind, &str), target: Option<(&str, &str)>) -> AuditEvent {
        let mut event = AuditEvent::new(
            Utc::now(),
            None,
            Action::parse(action).unwrap(),
            Outcome::Success,
            Party {
                kind: actor.0,
                id: "0192f0c4-0000-7000-8000-000000000002".to_owned(),
                name: actor.1.to_owned(),
            },
        );
        event.target = target.map(|(kind, name)| Party {
            kind: kind.to_owned(),
            id: "0192f0c4-0000-7000-8000-000000000004".to_owned(),
            name: name.to_owned(),
        });
        event
    }

    const ADA: (ActorKind, &str) = (ActorKind::User, "Ada Lovelace");

    #[test]
    fn sentences_read_as_the_log_should() {
        let cases = [
            (
                event("key.revoked", ADA, Some(("key", "nightly export"))),
                "Ada Lovelace revoked key nightly export",
            ),
            (
                event(
                    "team.created",
                    (ActorKind::Key, "ci-deploy"),
                    Some(("team", "Data")),
                ),
                "API key ci-deploy created team Data",
            ),
            (
                event(
                    "auth.login_failed",
                    (ActorKind::User, ""),
                    Some(("user", "ada@example.com")),
                ),
                "Someone failed to sign in as ada@example.com",
            ),
            (
                event(
                    "auth.login_failed",
                    (ActorKind::User, "ada@example.com"),
                    None,
                ),
                "Someone failed to sign in as ada@example.com",
            ),
            (
                event(
                    "org.created",
                    (ActorKind::Admin, "admin"),
                    Some(("organization", "Acme")),
                ),
                "The admin key created organization Acme",
            ),
            (
                event(
                    "service_account.role_assigned",
                    ADA,
                    Some(("service_account", "etl")),
                ),
                "Ada Lovelace assigned a role to service account etl",
            ),
            (
                event("team.member_added", ADA, Some(("user", "Grace"))),
                "Ada Lovelace added Grace to a team",
            ),
            (
                event("auth.login_succeeded", ADA, None),
                "Ada Lovelace signed in",
            ),
            (
                event("member.joined", ADA, Some(("organization", "Acme"))),
                "Ada Lovelace joined the organization",
            ),
            (
                event(
                    "key.expired",
                    (ActorKind::System, "keyward"),
                    Some(("key", "old")),
                ),
                "keyward noted that key old expired",
            ),
            (
                event(
                    "widget.spun",
                    (ActorKind::System, "keyward"),
                    Some(("key", "old")),
                ),
                "keyward did widget.spun on key old",
            ),
            (
                event(
                    "key.leaked",
                    (ActorKind::System, "GitHub secret scanning"),
                    Some(("key", "ci")),
                ),
                "keyward handled a leak report of key ci",
            ),
            (
                event(
                    "key.revoked",
                    (ActorKind::KeyHolder, "ci"),
                    Some(("key", "ci")),
                ),
                "The holder of key ci revoked key ci",
            ),
            (
                event("auth.denied", (ActorKind::KeyHolder, "reports"), None),
                "The holder of key reports was refused access to something",
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(sentence(&event), expected);
        }
    }

    #[test]
    fn every_listed_action_is_valid_and_listed_once() {
        for (i, (action, phrase)) in PHRASES.iter().enumerate() {
            assert!(Action::parse(action).is_ok(), "{action}");
            assert!(phrase.matches("{}").count() <= 1, "{action}");
            assert!(
                PHRASES[i + 1..].iter().all(|(other, _)| other != action),
                "{action} is listed twice"
            );
            let said = sentence(&event(action, ADA, Some(("key", "k"))));
            assert!(!said.contains("did "), "{action} fell back: {said}");
        }
    }

    #[test]
    fn unnamed_parties_are_shown_by_id() {
        let said = sentence(&event(
            "key.revoked",
            (ActorKind::User, ""),
            Some(("key", "")),
        ));
        assert_eq!(
            said,
            "0192f0c4-0000-7000-8000-000000000002 revoked key 0192f0c4-0000-7000-8000-000000000004"
        );
    }
}
