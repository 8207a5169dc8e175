from __future__ import annotations

import pytest

from keyward import Keyward, KeywardError, KeywardUnavailableError
from keyward.types import Org

from .conftest import URL, unique


def test_keys_are_created_listed_edited_rolled_verified_and_revoked(admin: Keyward, org: Org) -> None:
    slug = org["slug"]
    created = admin.keys.create(
        slug,
        {
            "name": "reader",
            "scope": "organization",
            "permissions": [{"permission": "datasets:read", "resource": "datasets/42"}],
            "metadata": {"plan": "pro"},
        },
    )
    assert created["key"].startswith("kw_")
    page = admin.keys.list(slug, limit=10)
    assert [k["id"] for k in page["items"]] == [created["id"]]
    assert "key" not in page["items"][0]
    assert admin.keys.update(slug, created["id"], {"name": "renamed"})["name"] == "renamed"
    assert admin.keys.get(slug, created["id"])["name"] == "renamed"

    valid = admin.verify({"key": created["key"], "permission": "datasets:read", "resource": "datasets/42"})
    assert valid["code"] == "VALID" and valid["valid"] is True
    assert valid["key_id"] == created["id"]
    assert valid["organization_id"] == org["id"]
    assert valid["metadata"] == {"plan": "pro"}
    assert valid["grants"] == [{"permission": "datasets:read", "resource": "datasets/42"}]
    elsewhere = admin.verify({"key": created["key"], "permission": "datasets:read", "resource": "datasets/43"})
    assert elsewhere["code"] == "INSUFFICIENT_PERMISSIONS" and elsewhere["valid"] is False
    assert admin.verify({"key": created["key"], "ip": "203.0.113.7"})["code"] == "VALID"

    rolled = admin.keys.roll(slug, created["id"], {"grace_seconds": 0})
    assert rolled["rolled_from"] == created["id"]
    assert admin.verify({"key": rolled["key"]})["code"] == "VALID"
    assert admin.verify({"key": created["key"]})["code"] != "VALID"
    admin.keys.revoke(slug, rolled["id"])
    assert admin.verify({"key": rolled["key"]})["code"] == "REVOKED"
    assert admin.verify({"key": "kw_notakey"})["code"] == "NOT_FOUND"


def test_errors_carry_keywards_error_body(admin: Keyward) -> None:
    with pytest.raises(KeywardError) as missing:
        admin.orgs.get(unique("missing"))
    assert missing.value.status == 404
    assert missing.value.code == "ORG_NOT_FOUND"
    assert missing.value.body["error"] == "Not Found"
    with Keyward(URL) as anonymous, pytest.raises(KeywardError) as refused:
        anonymous.orgs.list()
    assert refused.value.status == 401 and refused.value.code == "UNAUTHENTICATED"


def test_an_unreachable_server_is_its_own_error() -> None:
    with Keyward("http://127.0.0.1:9", "x", timeout=2) as nowhere, pytest.raises(KeywardUnavailableError):
        nowhere.verify({"key": "kw_x"})


def test_orgs_catalog_teams_roles_groups_and_service_accounts(admin: Keyward, org: Org) -> None:
    slug = org["slug"]
    assert any(o["id"] == org["id"] for o in admin.orgs.list())
    updated = admin.orgs.update(slug, {"name": "Renamed", "key_policy": {"max_lifetime_days": 90}})
    assert updated["name"] == "Renamed" and updated["key_policy"]["max_lifetime_days"] == 90
    assert any(p["name"] == "datasets:read" for p in admin.permissions.list(slug))

    team = admin.teams.create(slug, "Analytics")
    assert admin.teams.get(slug, team["id"])["name"] == "Analytics"
    assert [t["id"] for t in admin.teams.list(slug)] == [team["id"]]
    assert admin.teams.members(slug, team["id"]) == []

    role = admin.roles.create(slug, {"name": "readers", "grants": ["datasets:read"]})
    assert [g["name"] for g in role["grants"]] == ["datasets:read"]
    assert admin.roles.update(slug, role["id"], {"description": "read datasets"})["description"] == "read datasets"
    assert any(r["id"] == role["id"] for r in admin.roles.list(slug))

    account = admin.service_accounts.create(slug, {"name": "etl", "description": "nightly"})
    admin.service_accounts.add_role(slug, account["id"], role["id"])
    assert admin.service_accounts.roles(slug, account["id"]) == [role["id"]]
    assert admin.service_accounts.update(slug, account["id"], {"enabled": False})["enabled"] is False
    assert admin.service_accounts.get(slug, account["id"])["role_ids"] == [role["id"]]

    group = admin.groups.create(slug, {"name": "pipelines"})
    admin.groups.add_role(slug, group["id"], role["id"])
    admin.groups.add_member(slug, group["id"], {"type": "service_account", "id": account["id"]})
    read = admin.groups.get(slug, group["id"])
    assert read["role_ids"] == [role["id"]]
    assert read["members"] == [{"type": "service_account", "id": account["id"]}]
    assert admin.groups.rename(slug, group["id"], "etl-pipelines")["name"] == "etl-pipelines"
    admin.groups.remove_member(slug, group["id"], {"type": "service_account", "id": account["id"]})
    admin.groups.remove_role(slug, group["id"], role["id"])
    admin.groups.delete(slug, group["id"])
    assert admin.groups.list(slug) == []

    admin.service_accounts.remove_role(slug, account["id"], role["id"])
    admin.service_accounts.delete(slug, account["id"])
    admin.roles.delete(slug, role["id"])
    admin.teams.delete(slug, team["id"])
    admin.orgs.delete(slug)
    with pytest.raises(KeywardError):
        admin.orgs.get(slug)


def test_an_invited_member_signs_in_and_reads_their_account(admin: Keyward, org: Org) -> None:
    slug = org["slug"]
    email = f"{unique('ada')}@example.com"
    invitation = admin.invitations.create(slug, {"email": email, "role": "member"})
    assert invitation["token"].startswith("kwi_")
    assert any(i["id"] == invitation["id"] for i in admin.invitations.list(slug))
    with Keyward(URL) as anonymous:
        accepted = anonymous.invitations.accept(
            {"token": invitation["token"], "name": "Ada", "password": "correct horse battery"}
        )
        session = anonymous.sessions.login(email, "correct horse battery")
    assert accepted["organization_id"] == org["id"]
    user = accepted["user"]["id"]
    assert [m["user"]["email"] for m in admin.members.list(slug)] == [email]
    assert admin.members.set_role(slug, user, "admin")["role"] == "admin"
    assert admin.members.get(slug, user)["role"] == "admin"
    team = admin.teams.create(slug, "Data")
    admin.teams.put_member(slug, team["id"], user, "owner")
    assert [m["role"] for m in admin.teams.members(slug, team["id"])] == ["owner"]
    admin.teams.remove_member(slug, team["id"], user)

    with Keyward(URL, session["token"]) as ada:
        me = ada.sessions.me()
        assert me["user"]["email"] == email
        assert [o["id"] for o in me["organizations"]] == [org["id"]]
        ada.sessions.logout()
        with pytest.raises(KeywardError) as gone:
            ada.sessions.me()
        assert gone.value.status == 401
    admin.members.remove(slug, user)
    assert admin.members.list(slug) == []


def test_the_audit_log_is_read_exported_and_checked(admin: Keyward, org: Org) -> None:
    slug = org["slug"]
    key = admin.keys.create(slug, {"name": "audited", "scope": "organization"})
    admin.keys.revoke(slug, key["id"])
    page = admin.audit.list(slug, action="key.*")
    assert [e["action"] for e in page["items"]] == ["key.revoked", "key.created"]
    exported = admin.audit.export(slug)
    assert exported[-1]["action"] == "key.revoked"
    chain = admin.audit.verify(slug)
    assert chain["ok"] is True and chain["checked"] >= 2
