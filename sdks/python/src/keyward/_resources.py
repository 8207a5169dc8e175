"""The API's resources, one class each. Rendered by
scripts/render_resources.py from one table: edit the table, not this file."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, List, Optional

from ._calls import Call, audit_path, given, org_path, seg
from .types import *  # noqa: F403

if TYPE_CHECKING:
    from .client import Keyward


def _flag(value: Optional[bool]) -> Optional[str]:
    return None if value is None else ("true" if value else "false")


class Orgs:
    """Organizations; ``org`` is an id or a slug everywhere."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self) -> List[Org]:
        return self._client.send(Call("GET", "/api/v1/orgs"))  # type: ignore[no-any-return]

    def create(self, org: NewOrg) -> Org:
        return self._client.send(Call("POST", "/api/v1/orgs", body=org))  # type: ignore[no-any-return]

    def get(self, org: str) -> Org:
        return self._client.send(Call("GET", org_path(org)))  # type: ignore[no-any-return]

    def update(self, org: str, changes: OrgChanges) -> Org:
        return self._client.send(Call("PATCH", org_path(org), body=changes))  # type: ignore[no-any-return]

    def delete(self, org: str) -> None:
        return self._client.send(Call("DELETE", org_path(org)))  # type: ignore[no-any-return]


class Permissions:
    """An organization's permission catalog."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: str) -> List[Permission]:
        return self._client.send(Call("GET", f"{org_path(org)}/permissions"))  # type: ignore[no-any-return]

    def create(self, org: str, permission: NewPermission) -> Permission:
        return self._client.send(Call("POST", f"{org_path(org)}/permissions", body=permission))  # type: ignore[no-any-return]


class Keys:
    """API keys: listed masked; the secret only in ``create`` and ``roll`` answers."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: str, *, limit: Optional[int] = None, cursor: Optional[str] = None, expiring_within_days: Optional[int] = None, violates_policy: Optional[bool] = None) -> KeyPage:
        return self._client.send(Call("GET", f"{org_path(org)}/keys", query=given(limit=limit, cursor=cursor, expiring_within_days=expiring_within_days, violates_policy=_flag(violates_policy))))  # type: ignore[no-any-return]

    def create(self, org: str, key: NewKey) -> CreatedKey:
        return self._client.send(Call("POST", f"{org_path(org)}/keys", body=key))  # type: ignore[no-any-return]

    def get(self, org: str, id: str) -> Key:
        return self._client.send(Call("GET", f"{org_path(org)}/keys/{seg(id)}"))  # type: ignore[no-any-return]

    def update(self, org: str, id: str, changes: KeyChanges) -> Key:
        return self._client.send(Call("PATCH", f"{org_path(org)}/keys/{seg(id)}", body=changes))  # type: ignore[no-any-return]

    def roll(self, org: str, id: str, roll: Optional[KeyRoll] = None) -> CreatedKey:
        return self._client.send(Call("POST", f"{org_path(org)}/keys/{seg(id)}/roll", body=roll or {}))  # type: ignore[no-any-return]

    def revoke(self, org: str, id: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/keys/{seg(id)}"))  # type: ignore[no-any-return]


class Members:
    """An organization's members and their roles."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: str) -> List[Member]:
        return self._client.send(Call("GET", f"{org_path(org)}/members"))  # type: ignore[no-any-return]

    def get(self, org: str, user: str) -> Member:
        return self._client.send(Call("GET", f"{org_path(org)}/members/{seg(user)}"))  # type: ignore[no-any-return]

    def set_role(self, org: str, user: str, role: OrgRole) -> Member:
        return self._client.send(Call("PATCH", f"{org_path(org)}/members/{seg(user)}", body={"role": role}))  # type: ignore[no-any-return]

    def remove(self, org: str, user: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/members/{seg(user)}"))  # type: ignore[no-any-return]

    def assign_role(self, org: str, user: str, role: str) -> None:
        return self._client.send(Call("PUT", f"{org_path(org)}/members/{seg(user)}/roles/{seg(role)}"))  # type: ignore[no-any-return]

    def unassign_role(self, org: str, user: str, role: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/members/{seg(user)}/roles/{seg(role)}"))  # type: ignore[no-any-return]

    def password_reset(self, org: str, user: str) -> PasswordResetIssued:
        return self._client.send(Call("POST", f"{org_path(org)}/members/{seg(user)}/password-reset"))  # type: ignore[no-any-return]


class Invitations:
    """Invitations: ``create`` hands out a single-use token."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: str) -> List[Invitation]:
        return self._client.send(Call("GET", f"{org_path(org)}/invitations"))  # type: ignore[no-any-return]

    def create(self, org: str, invitation: NewInvitation) -> InvitationCreated:
        return self._client.send(Call("POST", f"{org_path(org)}/invitations", body=invitation))  # type: ignore[no-any-return]

    def delete(self, org: str, id: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/invitations/{seg(id)}"))  # type: ignore[no-any-return]

    def accept(self, acceptance: InvitationAcceptance) -> AcceptedInvitation:
        return self._client.send(Call("POST", "/api/v1/invitations/accept", body=acceptance))  # type: ignore[no-any-return]


class Teams:
    """Teams and their members."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: str) -> List[Team]:
        return self._client.send(Call("GET", f"{org_path(org)}/teams"))  # type: ignore[no-any-return]

    def create(self, org: str, name: str) -> Team:
        return self._client.send(Call("POST", f"{org_path(org)}/teams", body={"name": name}))  # type: ignore[no-any-return]

    def get(self, org: str, team: str) -> Team:
        return self._client.send(Call("GET", f"{org_path(org)}/teams/{seg(team)}"))  # type: ignore[no-any-return]

    def delete(self, org: str, team: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/teams/{seg(team)}"))  # type: ignore[no-any-return]

    def members(self, org: str, team: str) -> List[TeamMember]:
        return self._client.send(Call("GET", f"{org_path(org)}/teams/{seg(team)}/members"))  # type: ignore[no-any-return]

    def put_member(self, org: str, team: str, user: str, role: TeamRole) -> None:
        return self._client.send(Call("PUT", f"{org_path(org)}/teams/{seg(team)}/members/{seg(user)}", body={"role": role}))  # type: ignore[no-any-return]

    def remove_member(self, org: str, team: str, user: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/teams/{seg(team)}/members/{seg(user)}"))  # type: ignore[no-any-return]


class Roles:
    """Custom roles: named sets of grants."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: str) -> List[Role]:
        return self._client.send(Call("GET", f"{org_path(org)}/roles"))  # type: ignore[no-any-return]

    def create(self, org: str, role: NewRole) -> Role:
        return self._client.send(Call("POST", f"{org_path(org)}/roles", body=role))  # type: ignore[no-any-return]

    def get(self, org: str, role: str) -> Role:
        return self._client.send(Call("GET", f"{org_path(org)}/roles/{seg(role)}"))  # type: ignore[no-any-return]

    def update(self, org: str, role: str, changes: RoleChanges) -> Role:
        return self._client.send(Call("PATCH", f"{org_path(org)}/roles/{seg(role)}", body=changes))  # type: ignore[no-any-return]

    def delete(self, org: str, role: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/roles/{seg(role)}"))  # type: ignore[no-any-return]


class Groups:
    """Groups: principals that share roles."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: str) -> List[Group]:
        return self._client.send(Call("GET", f"{org_path(org)}/groups"))  # type: ignore[no-any-return]

    def create(self, org: str, group: NewGroup) -> Group:
        return self._client.send(Call("POST", f"{org_path(org)}/groups", body=group))  # type: ignore[no-any-return]

    def get(self, org: str, group: str) -> Group:
        return self._client.send(Call("GET", f"{org_path(org)}/groups/{seg(group)}"))  # type: ignore[no-any-return]

    def rename(self, org: str, group: str, name: str) -> Group:
        return self._client.send(Call("PATCH", f"{org_path(org)}/groups/{seg(group)}", body={"name": name}))  # type: ignore[no-any-return]

    def delete(self, org: str, group: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/groups/{seg(group)}"))  # type: ignore[no-any-return]

    def add_role(self, org: str, group: str, role: str) -> None:
        return self._client.send(Call("PUT", f"{org_path(org)}/groups/{seg(group)}/roles/{seg(role)}"))  # type: ignore[no-any-return]

    def remove_role(self, org: str, group: str, role: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/groups/{seg(group)}/roles/{seg(role)}"))  # type: ignore[no-any-return]

    def add_member(self, org: str, group: str, member: PrincipalRef) -> None:
        return self._client.send(Call("PUT", f"{org_path(org)}/groups/{seg(group)}/members/{seg(member['type'])}/{seg(member['id'])}"))  # type: ignore[no-any-return]

    def remove_member(self, org: str, group: str, member: PrincipalRef) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/groups/{seg(group)}/members/{seg(member['type'])}/{seg(member['id'])}"))  # type: ignore[no-any-return]


class ServiceAccounts:
    """Service accounts and their roles."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: str) -> List[ServiceAccount]:
        return self._client.send(Call("GET", f"{org_path(org)}/service-accounts"))  # type: ignore[no-any-return]

    def create(self, org: str, account: NewServiceAccount) -> ServiceAccount:
        return self._client.send(Call("POST", f"{org_path(org)}/service-accounts", body=account))  # type: ignore[no-any-return]

    def get(self, org: str, account: str) -> ServiceAccount:
        return self._client.send(Call("GET", f"{org_path(org)}/service-accounts/{seg(account)}"))  # type: ignore[no-any-return]

    def update(self, org: str, account: str, changes: ServiceAccountChanges) -> ServiceAccount:
        return self._client.send(Call("PATCH", f"{org_path(org)}/service-accounts/{seg(account)}", body=changes))  # type: ignore[no-any-return]

    def delete(self, org: str, account: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/service-accounts/{seg(account)}"))  # type: ignore[no-any-return]

    def roles(self, org: str, account: str) -> List[str]:
        return self._client.send(Call("GET", f"{org_path(org)}/service-accounts/{seg(account)}/roles"))  # type: ignore[no-any-return]

    def add_role(self, org: str, account: str, role: str) -> None:
        return self._client.send(Call("PUT", f"{org_path(org)}/service-accounts/{seg(account)}/roles/{seg(role)}"))  # type: ignore[no-any-return]

    def remove_role(self, org: str, account: str, role: str) -> None:
        return self._client.send(Call("DELETE", f"{org_path(org)}/service-accounts/{seg(account)}/roles/{seg(role)}"))  # type: ignore[no-any-return]


class Audit:
    """The audit log; ``org=None`` is the organization-less log (admin key)."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def list(self, org: Optional[str], *, action: Optional[str] = None, actor_id: Optional[str] = None, target_id: Optional[str] = None, since: Optional[str] = None, until: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> AuditPage:
        return self._client.send(Call("GET", audit_path(org), query=given(action=action, actor_id=actor_id, target_id=target_id, since=since, until=until, limit=limit, cursor=cursor)))  # type: ignore[no-any-return]

    def export(self, org: Optional[str], *, since: Optional[str] = None, until: Optional[str] = None) -> List[AuditEvent]:
        """Every event in the range, oldest first (the JSON Lines export)."""
        text: str = self._client.send(Call("GET", f"{audit_path(org)}/export", query=given(since=since, until=until), text=True))
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def verify(self, org: Optional[str]) -> ChainCheck:
        return self._client.send(Call("GET", f"{audit_path(org)}/verify"))  # type: ignore[no-any-return]


class Sessions:
    """Signing in and out, and one's own account."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def login(self, email: str, password: str) -> Session:
        return self._client.send(Call("POST", "/api/v1/auth/login", body={"email": email, "password": password}))  # type: ignore[no-any-return]

    def logout(self) -> None:
        return self._client.send(Call("POST", "/api/v1/auth/logout"))  # type: ignore[no-any-return]

    def me(self) -> Me:
        return self._client.send(Call("GET", "/api/v1/me"))  # type: ignore[no-any-return]

    def change_password(self, current_password: str, new_password: str) -> None:
        return self._client.send(Call("POST", "/api/v1/me/password", body={"current_password": current_password, "new_password": new_password}))  # type: ignore[no-any-return]

    def reset_password(self, token: str, new_password: str) -> None:
        return self._client.send(Call("POST", "/api/v1/auth/password-reset", body={"token": token, "new_password": new_password}))  # type: ignore[no-any-return]


class Users:
    """Users across organizations (admin key)."""

    def __init__(self, client: "Keyward") -> None:
        self._client = client

    def set_enabled(self, user: str, enabled: bool) -> User:
        return self._client.send(Call("PATCH", f"/api/v1/users/{seg(user)}", body={"enabled": enabled}))  # type: ignore[no-any-return]
