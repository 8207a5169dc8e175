"""Renders src/keyward/_resources.py (sync) and _aresources.py (async) from
one table of the API's operations: `python scripts/render_resources.py`."""

import pathlib

OPS = {
    "Orgs": [
        ("list", "", "List[Org]", 'Call("GET", "/api/v1/orgs")'),
        ("create", "org: NewOrg", "Org", 'Call("POST", "/api/v1/orgs", body=org)'),
        ("get", "org: str", "Org", 'Call("GET", org_path(org))'),
        ("update", "org: str, changes: OrgChanges", "Org", 'Call("PATCH", org_path(org), body=changes)'),
        ("delete", "org: str", "None", 'Call("DELETE", org_path(org))'),
    ],
    "Permissions": [
        ("list", "org: str", "List[Permission]", 'Call("GET", f"{org_path(org)}/permissions")'),
        ("create", "org: str, permission: NewPermission", "Permission",
         'Call("POST", f"{org_path(org)}/permissions", body=permission)'),
    ],
    "Keys": [
        ("list",
         "org: str, *, limit: Optional[int] = None, cursor: Optional[str] = None, "
         "expiring_within_days: Optional[int] = None, violates_policy: Optional[bool] = None",
         "KeyPage",
         'Call("GET", f"{org_path(org)}/keys", query=given(limit=limit, cursor=cursor, '
         'expiring_within_days=expiring_within_days, violates_policy=_flag(violates_policy)))'),
        ("create", "org: str, key: NewKey", "CreatedKey", 'Call("POST", f"{org_path(org)}/keys", body=key)'),
        ("get", "org: str, id: str", "Key", 'Call("GET", f"{org_path(org)}/keys/{seg(id)}")'),
        ("update", "org: str, id: str, changes: KeyChanges", "Key",
         'Call("PATCH", f"{org_path(org)}/keys/{seg(id)}", body=changes)'),
        ("roll", "org: str, id: str, roll: Optional[KeyRoll] = None", "CreatedKey",
         'Call("POST", f"{org_path(org)}/keys/{seg(id)}/roll", body=roll or {})'),
        ("revoke", "org: str, id: str", "None", 'Call("DELETE", f"{org_path(org)}/keys/{seg(id)}")'),
    ],
    "Members": [
        ("list", "org: str", "List[Member]", 'Call("GET", f"{org_path(org)}/members")'),
        ("get", "org: str, user: str", "Member", 'Call("GET", f"{org_path(org)}/members/{seg(user)}")'),
        ("set_role", "org: str, user: str, role: OrgRole", "Member",
         'Call("PATCH", f"{org_path(org)}/members/{seg(user)}", body={"role": role})'),
        ("remove", "org: str, user: str", "None", 'Call("DELETE", f"{org_path(org)}/members/{seg(user)}")'),
        ("assign_role", "org: str, user: str, role: str", "None",
         'Call("PUT", f"{org_path(org)}/members/{seg(user)}/roles/{seg(role)}")'),
        ("unassign_role", "org: str, user: str, role: str", "None",
         'Call("DELETE", f"{org_path(org)}/members/{seg(user)}/roles/{seg(role)}")'),
        ("password_reset", "org: str, user: str", "PasswordResetIssued",
         'Call("POST", f"{org_path(org)}/members/{seg(user)}/password-reset")'),
    ],
    "Invitations": [
        ("list", "org: str", "List[Invitation]", 'Call("GET", f"{org_path(org)}/invitations")'),
        ("create", "org: str, invitation: NewInvitation", "InvitationCreated",
         'Call("POST", f"{org_path(org)}/invitations", body=invitation)'),
        ("delete", "org: str, id: str", "None", 'Call("DELETE", f"{org_path(org)}/invitations/{seg(id)}")'),
        ("accept", "acceptance: InvitationAcceptance", "AcceptedInvitation",
         'Call("POST", "/api/v1/invitations/accept", body=acceptance)'),
    ],
    "Teams": [
        ("list", "org: str", "List[Team]", 'Call("GET", f"{org_path(org)}/teams")'),
        ("create", "org: str, name: str", "Team", 'Call("POST", f"{org_path(org)}/teams", body={"name": name})'),
        ("get", "org: str, team: str", "Team", 'Call("GET", f"{org_path(org)}/teams/{seg(team)}")'),
        ("delete", "org: str, team: str", "None", 'Call("DELETE", f"{org_path(org)}/teams/{seg(team)}")'),
        ("members", "org: str, team: str", "List[TeamMember]",
         'Call("GET", f"{org_path(org)}/teams/{seg(team)}/members")'),
        ("put_member", "org: str, team: str, user: str, role: TeamRole", "None",
         'Call("PUT", f"{org_path(org)}/teams/{seg(team)}/members/{seg(user)}", body={"role": role})'),
        ("remove_member", "org: str, team: str, user: str", "None",
         'Call("DELETE", f"{org_path(org)}/teams/{seg(team)}/members/{seg(user)}")'),
    ],
    "Roles": [
        ("list", "org: str", "List[Role]", 'Call("GET", f"{org_path(org)}/roles")'),
        ("create", "org: str, role: NewRole", "Role", 'Call("POST", f"{org_path(org)}/roles", body=role)'),
        ("get", "org: str, role: str", "Role", 'Call("GET", f"{org_path(org)}/roles/{seg(role)}")'),
        ("update", "org: str, role: str, changes: RoleChanges", "Role",
         'Call("PATCH", f"{org_path(org)}/roles/{seg(role)}", body=changes)'),
        ("delete", "org: str, role: str", "None", 'Call("DELETE", f"{org_path(org)}/roles/{seg(role)}")'),
    ],
    "Groups": [
        ("list", "org: str", "List[Group]", 'Call("GET", f"{org_path(org)}/groups")'),
        ("create", "org: str, group: NewGroup", "Group", 'Call("POST", f"{org_path(org)}/groups", body=group)'),
        ("get", "org: str, group: str", "Group", 'Call("GET", f"{org_path(org)}/groups/{seg(group)}")'),
        ("rename", "org: str, group: str, name: str", "Group",
         'Call("PATCH", f"{org_path(org)}/groups/{seg(group)}", body={"name": name})'),
        ("delete", "org: str, group: str", "None", 'Call("DELETE", f"{org_path(org)}/groups/{seg(group)}")'),
        ("add_role", "org: str, group: str, role: str", "None",
         'Call("PUT", f"{org_path(org)}/groups/{seg(group)}/roles/{seg(role)}")'),
        ("remove_role", "org: str, group: str, role: str", "None",
         'Call("DELETE", f"{org_path(org)}/groups/{seg(group)}/roles/{seg(role)}")'),
        ("add_member", "org: str, group: str, member: PrincipalRef", "None",
         'Call("PUT", f"{org_path(org)}/groups/{seg(group)}/members/{seg(member[\'type\'])}/{seg(member[\'id\'])}")'),
        ("remove_member", "org: str, group: str, member: PrincipalRef", "None",
         'Call("DELETE", f"{org_path(org)}/groups/{seg(group)}/members/{seg(member[\'type\'])}/{seg(member[\'id\'])}")'),
    ],
    "ServiceAccounts": [
        ("list", "org: str", "List[ServiceAccount]", 'Call("GET", f"{org_path(org)}/service-accounts")'),
        ("create", "org: str, account: NewServiceAccount", "ServiceAccount",
         'Call("POST", f"{org_path(org)}/service-accounts", body=account)'),
        ("get", "org: str, account: str", "ServiceAccount",
         'Call("GET", f"{org_path(org)}/service-accounts/{seg(account)}")'),
        ("update", "org: str, account: str, changes: ServiceAccountChanges", "ServiceAccount",
         'Call("PATCH", f"{org_path(org)}/service-accounts/{seg(account)}", body=changes)'),
        ("delete", "org: str, account: str", "None",
         'Call("DELETE", f"{org_path(org)}/service-accounts/{seg(account)}")'),
        ("roles", "org: str, account: str", "List[str]",
         'Call("GET", f"{org_path(org)}/service-accounts/{seg(account)}/roles")'),
        ("add_role", "org: str, account: str, role: str", "None",
         'Call("PUT", f"{org_path(org)}/service-accounts/{seg(account)}/roles/{seg(role)}")'),
        ("remove_role", "org: str, account: str, role: str", "None",
         'Call("DELETE", f"{org_path(org)}/service-accounts/{seg(account)}/roles/{seg(role)}")'),
    ],
    "Audit": [
        ("list",
         "org: Optional[str], *, action: Optional[str] = None, actor_id: Optional[str] = None, "
         "target_id: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None, "
         "limit: Optional[int] = None, cursor: Optional[str] = None",
         "AuditPage",
         'Call("GET", audit_path(org), query=given(action=action, actor_id=actor_id, target_id=target_id, '
         'since=since, until=until, limit=limit, cursor=cursor))'),
        ("export", "org: Optional[str], *, since: Optional[str] = None, until: Optional[str] = None",
         "List[AuditEvent]",
         'Call("GET", f"{audit_path(org)}/export", query=given(since=since, until=until), text=True)'),
        ("verify", "org: Optional[str]", "ChainCheck", 'Call("GET", f"{audit_path(org)}/verify")'),
    ],
    "Sessions": [
        ("login", "email: str, password: str", "Session",
         'Call("POST", "/api/v1/auth/login", body={"email": email, "password": password})'),
        ("logout", "", "None", 'Call("POST", "/api/v1/auth/logout")'),
        ("me", "", "Me", 'Call("GET", "/api/v1/me")'),
        ("change_password", "current_password: str, new_password: str", "None",
         'Call("POST", "/api/v1/me/password", '
         'body={"current_password": current_password, "new_password": new_password})'),
        ("reset_password", "token: str, new_password: str", "None",
         'Call("POST", "/api/v1/auth/password-reset", body={"token": token, "new_password": new_password})'),
    ],
    "Users": [
        ("set_enabled", "user: str, enabled: bool", "User",
         'Call("PATCH", f"/api/v1/users/{seg(user)}", body={"enabled": enabled})'),
    ],
}

DOCS = {
    "Orgs": "Organizations; ``org`` is an id or a slug everywhere.",
    "Permissions": "An organization's permission catalog.",
    "Keys": "API keys: listed masked; the secret only in ``create`` and ``roll`` answers.",
    "Members": "An organization's members and their roles.",
    "Invitations": "Invitations: ``create`` hands out a single-use token.",
    "Teams": "Teams and their members.",
    "Roles": "Custom roles: named sets of grants.",
    "Groups": "Groups: principals that share roles.",
    "ServiceAccounts": "Service accounts and their roles.",
    "Audit": "The audit log; ``org=None`` is the organization-less log (admin key).",
    "Sessions": "Signing in and out, and one's own account.",
    "Users": "Users across organizations (admin key).",
}


def render(asyncy: bool) -> str:
    client = "AsyncKeyward" if asyncy else "Keyward"
    module = "aio" if asyncy else "client"
    out = [
        '"""The API\'s resources, one class each. Rendered by',
        'scripts/render_resources.py from one table: edit the table, not this file."""',
        "",
        "from __future__ import annotations",
        "",
        "import json",
        "from typing import TYPE_CHECKING, List, Optional",
        "",
        "from ._calls import Call, audit_path, given, org_path, seg",
        "from .types import *  # noqa: F403",
        "",
        "if TYPE_CHECKING:",
        f"    from .{module} import {client}",
        "",
        "",
        "def _flag(value: Optional[bool]) -> Optional[str]:",
        '    return None if value is None else ("true" if value else "false")',
        "",
    ]
    d = "async def" if asyncy else "def"
    aw = "await " if asyncy else ""
    for cls, methods in OPS.items():
        out += ["", f"class {cls}:", f'    """{DOCS[cls]}"""', "",
                f'    def __init__(self, client: "{client}") -> None:', "        self._client = client", ""]
        for name, params, ret, call in methods:
            sig = "self" + (", " + params if params else "")
            out.append(f"    {d} {name}({sig}) -> {ret}:")
            if name == "export":
                out += ['        """Every event in the range, oldest first (the JSON Lines export)."""',
                        f"        text: str = {aw}self._client.send({call})",
                        "        return [json.loads(line) for line in text.splitlines() if line.strip()]", ""]
            else:
                out += [f"        return {aw}self._client.send({call})  # type: ignore[no-any-return]", ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    here = pathlib.Path(__file__).resolve().parent.parent / "src" / "keyward"
    (here / "_resources.py").write_text(render(False))
    (here / "_aresources.py").write_text(render(True))
