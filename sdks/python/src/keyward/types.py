"""keyward's wire types, as its JSON API sends and takes them.

Answers are plain dicts typed as ``TypedDict``; fields a newer server adds
are kept as sent.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

Scope = Literal["user", "team", "organization", "service_account"]
OrgRole = Literal["owner", "admin", "member"]
TeamRole = Literal["owner", "member"]
PrincipalKind = Literal["user", "service_account"]
Metadata = Dict[str, Any]

#: ``VALID``, ``NOT_FOUND``, ``EXPIRED``, ``REVOKED``, ``DISABLED``,
#: ``INSUFFICIENT_PERMISSIONS``, ``RATE_LIMITED``, ``USAGE_EXCEEDED``,
#: ``IP_NOT_ALLOWED``, or one a newer server adds.
VerifyCode = str


class ErrorBody(TypedDict, total=False):
    statusCode: int
    error: str
    code: str
    message: str
    details: Any


class KeyPolicy(TypedDict):
    max_lifetime_days: Optional[int]
    require_expiry: bool


class Org(TypedDict):
    id: str
    name: str
    slug: str
    key_prefix: str
    created_at: str
    key_policy: KeyPolicy


class Permission(TypedDict):
    id: int
    name: str
    description: str
    read_only: bool


class Grant(TypedDict):
    permission: str
    resource: str


class KeyGrant(TypedDict):
    id: int
    name: str
    resource: str


#: A catalog id, a permission name, or ``{"permission": …, "resource": …}``.
PermissionRef = Union[int, str, Dict[str, str]]


class KeyOwner(TypedDict):
    type: Scope
    id: str


class Key(TypedDict):
    id: str
    key_mask: str
    name: str
    scope: Scope
    read_only: bool
    owner: KeyOwner
    permissions: List[KeyGrant]
    organization_id: str
    created_at: str
    created_by: str
    expires_at: Optional[str]
    last_used_at: Optional[str]
    usage_count: int
    enabled: bool
    metadata: Metadata
    rolled_from: Optional[str]
    rolled_to: Optional[str]


class CreatedKey(Key):
    """A key just created or rolled: ``key`` is its secret, shown this once."""

    key: str


class KeyPage(TypedDict):
    items: List[Key]
    next_cursor: Optional[str]


class RateLimitState(TypedDict):
    name: str
    limit: int
    remaining: int
    reset_at: str


class CreditsState(TypedDict, total=False):
    remaining: int
    refill_at: Optional[str]


class VerificationOwner(TypedDict):
    type: Scope
    id: str
    name: str


class _VerificationLimits(TypedDict, total=False):
    ratelimits: List[RateLimitState]
    credits: Optional[CreditsState]


class Verification(_VerificationLimits):
    valid: bool
    code: VerifyCode
    key_id: Optional[str]
    organization_id: Optional[str]
    owner: Optional[VerificationOwner]
    scope: Optional[Scope]
    read_only: Optional[bool]
    grants: List[Grant]
    expires_at: Optional[str]
    metadata: Optional[Metadata]


class User(TypedDict):
    id: str
    email: str
    name: str
    enabled: bool
    created_at: str


class Member(TypedDict):
    user: User
    role: OrgRole
    joined_at: str


class Invitation(TypedDict):
    id: str
    organization_id: str
    email: str
    role: OrgRole
    created_by: str
    created_at: str
    expires_at: str
    accepted_at: Optional[str]


class InvitationCreated(Invitation):
    token: str
    accept_url: str


class AcceptedInvitation(TypedDict):
    user: User
    organization_id: str
    role: OrgRole


class PasswordResetIssued(TypedDict):
    token: str
    url: str
    expires_at: str


class Team(TypedDict):
    id: str
    organization_id: str
    name: str
    created_at: str


class TeamMember(TypedDict):
    user: User
    role: TeamRole


class Role(TypedDict):
    id: str
    organization_id: str
    name: str
    description: str
    grants: List[KeyGrant]
    created_at: str


class PrincipalRef(TypedDict):
    type: PrincipalKind
    id: str


class Group(TypedDict):
    id: str
    organization_id: str
    name: str
    role_ids: List[str]
    members: List[PrincipalRef]
    created_at: str


class ServiceAccount(TypedDict):
    id: str
    organization_id: str
    name: str
    description: str
    enabled: bool
    created_at: str
    role_ids: List[str]
    group_ids: List[str]


class Session(TypedDict):
    token: str
    expires_at: str


class Membership(Org):
    role: OrgRole
    grants: List[Grant]


class Me(TypedDict):
    user: User
    organizations: List[Membership]


class AuditEvent(TypedDict):
    id: str
    at: str
    organization_id: Optional[str]
    action: str
    outcome: str
    actor: Dict[str, Any]
    target: Optional[Dict[str, Any]]
    request_id: Optional[str]
    ip: Optional[str]
    user_agent: Optional[str]
    details: Dict[str, Any]


class AuditPage(TypedDict):
    items: List[AuditEvent]
    next_cursor: Optional[str]


class ChainCheck(TypedDict):
    ok: bool
    checked: int
    first_broken: Optional[str]


# ---- request bodies ----------------------------------------------------------


class _VerifyOptional(TypedDict, total=False):
    permission: str
    resource: str
    ip: str
    cost: int


class VerifyRequest(_VerifyOptional):
    key: str


class _NewOrgOptional(TypedDict, total=False):
    slug: str
    key_prefix: str


class NewOrg(_NewOrgOptional):
    name: str


class OrgChanges(TypedDict, total=False):
    name: str
    key_prefix: str
    key_policy: Dict[str, Any]


class _NewPermissionOptional(TypedDict, total=False):
    description: str
    read_only: bool


class NewPermission(_NewPermissionOptional):
    name: str


class _NewKeyOptional(TypedDict, total=False):
    read_only: bool
    permissions: List[PermissionRef]
    expires_at: str
    metadata: Metadata
    team_id: str
    service_account_id: str


class NewKey(_NewKeyOptional):
    name: str
    scope: Scope


class KeyChanges(TypedDict, total=False):
    name: str
    enabled: bool
    #: None removes the expiry.
    expires_at: Optional[str]
    metadata: Metadata
    read_only: bool
    #: None: all of the scope's rights.
    permissions: Optional[List[PermissionRef]]


class KeyRoll(TypedDict, total=False):
    grace_seconds: int
    expires_at: str


class _NewRoleOptional(TypedDict, total=False):
    description: str


class NewRole(_NewRoleOptional):
    name: str
    grants: List[PermissionRef]


class RoleChanges(TypedDict, total=False):
    name: str
    description: str
    grants: List[PermissionRef]


class _NewGroupOptional(TypedDict, total=False):
    roles: List[str]
    members: List[PrincipalRef]


class NewGroup(_NewGroupOptional):
    name: str


class _NewServiceAccountOptional(TypedDict, total=False):
    description: str


class NewServiceAccount(_NewServiceAccountOptional):
    name: str


class ServiceAccountChanges(TypedDict, total=False):
    name: str
    description: str
    enabled: bool


class NewInvitation(TypedDict):
    email: str
    role: OrgRole


class _AcceptanceOptional(TypedDict, total=False):
    name: str
    password: str


class InvitationAcceptance(_AcceptanceOptional):
    token: str
