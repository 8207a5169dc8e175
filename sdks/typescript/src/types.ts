/**
 * keyward's wire types, as its JSON API sends and takes them. Answers may
 * carry fields added after this package was built; they are kept as sent.
 */

export type Scope = 'user' | 'team' | 'organization' | 'service_account';
export type OrgRole = 'owner' | 'admin' | 'member';
export type TeamRole = 'owner' | 'member';
export type PrincipalKind = 'user' | 'service_account';
/** RFC 3339 timestamp, e.g. `2026-12-07T15:00:00Z`. */
export type Timestamp = string;
export type Metadata = Record<string, unknown>;

/** keyward's common error body. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  details?: unknown;
}

// ---- organizations ---------------------------------------------------------

export interface KeyPolicy {
  max_lifetime_days: number | null;
  require_expiry: boolean;
}

export interface Org {
  id: string;
  name: string;
  slug: string;
  key_prefix: string;
  created_at: Timestamp;
  key_policy: KeyPolicy;
}

export interface NewOrg {
  name: string;
  slug?: string;
  key_prefix?: string;
}

export interface OrgChanges {
  name?: string;
  key_prefix?: string;
  key_policy?: { max_lifetime_days?: number | null; require_expiry?: boolean };
}

// ---- permissions -----------------------------------------------------------

/** An entry of an organization's permission catalog. */
export interface Permission {
  id: number;
  name: string;
  description: string;
  read_only: boolean;
}

export interface NewPermission {
  /** `resource:action`, e.g. `datasets:read`. */
  name: string;
  description?: string;
  /** True for actions that change nothing; read-only keys keep only these. */
  read_only?: boolean;
}

/** A permission on a resource (`*`, or a path such as `datasets/42`). */
export interface Grant {
  permission: string;
  resource: string;
}

/** A grant as a key or role holds it, with its permission's catalog id. */
export interface KeyGrant {
  id: number;
  name: string;
  resource: string;
}

/** A catalog id, a permission name, or a grant on a resource. */
export type PermissionRef = number | string | { permission: string; resource?: string };

// ---- keys ------------------------------------------------------------------

export interface NewKey {
  name: string;
  scope: Scope;
  read_only?: boolean;
  /** Omitted: all of the scope's rights. */
  permissions?: PermissionRef[];
  expires_at?: Timestamp;
  metadata?: Metadata;
  team_id?: string;
  service_account_id?: string;
}

/** A key as listings show it: masked, never the secret. */
export interface Key {
  id: string;
  key_mask: string;
  name: string;
  scope: Scope;
  read_only: boolean;
  owner: { type: Scope; id: string };
  permissions: KeyGrant[];
  organization_id: string;
  created_at: Timestamp;
  created_by: string;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  usage_count: number;
  enabled: boolean;
  metadata: Metadata;
  rolled_from: string | null;
  rolled_to: string | null;
}

/** A key just created or rolled: `key` is its secret, shown this once. */
export interface CreatedKey extends Key {
  key: string;
}

export interface KeyPage {
  items: Key[];
  next_cursor: string | null;
}

export interface KeyListOptions {
  limit?: number;
  cursor?: string;
  expiring_within_days?: number;
  violates_policy?: boolean;
}

export interface KeyChanges {
  name?: string;
  enabled?: boolean;
  /** `null` removes the expiry. */
  expires_at?: Timestamp | null;
  metadata?: Metadata;
  read_only?: boolean;
  /** `null`: all of the scope's rights. */
  permissions?: PermissionRef[] | null;
}

export interface KeyRoll {
  /** Seconds the old key keeps working (default 86400; 0 revokes it at once). */
  grace_seconds?: number;
  expires_at?: Timestamp;
}

// ---- verification ----------------------------------------------------------

export type VerifyCode =
  | 'VALID'
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'REVOKED'
  | 'DISABLED'
  | 'INSUFFICIENT_PERMISSIONS'
  | 'RATE_LIMITED'
  | 'USAGE_EXCEEDED'
  | 'IP_NOT_ALLOWED'
  // Codes a newer server may add.
  | (string & {});

export interface VerifyRequest {
  key: string;
  /** A permission, or a query: `datasets:read AND (datasets:edit OR datasets:admin)`. */
  permission?: string;
  /** The resource the permission is asked about; `*` by default. */
  resource?: string;
  /** The client's address, checked against the key's allowed IPs. */
  ip?: string;
  /** Credits this request consumes (1 by default, for keys with credits). */
  cost?: number;
}

export interface RateLimitState {
  name: string;
  limit: number;
  remaining: number;
  reset_at: Timestamp;
}

export interface CreditsState {
  remaining: number;
  refill_at?: Timestamp | null;
}

export interface Verification {
  valid: boolean;
  code: VerifyCode;
  key_id: string | null;
  organization_id: string | null;
  owner: { type: Scope; id: string; name: string } | null;
  scope: Scope | null;
  read_only: boolean | null;
  /** The key's grants, when it is valid. */
  grants: Grant[];
  expires_at: Timestamp | null;
  metadata: Metadata | null;
  ratelimits?: RateLimitState[];
  credits?: CreditsState | null;
}

// ---- people and access -----------------------------------------------------

export interface User {
  id: string;
  email: string;
  name: string;
  enabled: boolean;
  created_at: Timestamp;
}

export interface Member {
  user: User;
  role: OrgRole;
  joined_at: Timestamp;
}

export interface Invitation {
  id: string;
  organization_id: string;
  email: string;
  role: OrgRole;
  created_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
}

/** An invitation just made: `token` is single-use, shown this once. */
export interface InvitationCreated extends Invitation {
  token: string;
  accept_url: string;
}

export interface NewInvitation {
  email: string;
  role: OrgRole;
}

export interface InvitationAcceptance {
  token: string;
  /** For a new account. */
  name?: string;
  password?: string;
}

export interface AcceptedInvitation {
  user: User;
  organization_id: string;
  role: OrgRole;
}

export interface PasswordResetIssued {
  token: string;
  url: string;
  expires_at: Timestamp;
}

export interface Team {
  id: string;
  organization_id: string;
  name: string;
  created_at: Timestamp;
}

export interface TeamMember {
  user: User;
  role: TeamRole;
}

export interface Role {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  grants: KeyGrant[];
  created_at: Timestamp;
}

export interface NewRole {
  name: string;
  description?: string;
  grants: PermissionRef[];
}

export interface RoleChanges {
  name?: string;
  description?: string;
  grants?: PermissionRef[];
}

export interface PrincipalRef {
  type: PrincipalKind;
  id: string;
}

export interface Group {
  id: string;
  organization_id: string;
  name: string;
  role_ids: string[];
  members: PrincipalRef[];
  created_at: Timestamp;
}

export interface NewGroup {
  name: string;
  roles?: string[];
  members?: PrincipalRef[];
}

export interface ServiceAccount {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  enabled: boolean;
  created_at: Timestamp;
  role_ids: string[];
  group_ids: string[];
}

export interface NewServiceAccount {
  name: string;
  description?: string;
}

export interface ServiceAccountChanges {
  name?: string;
  description?: string;
  enabled?: boolean;
}

// ---- sessions --------------------------------------------------------------

export interface Session {
  /** `kws_…`, sent as `Authorization: Bearer` by a client built with it. */
  token: string;
  expires_at: Timestamp;
}

export interface Membership extends Org {
  role: OrgRole;
  grants: Grant[];
}

export interface Me {
  user: User;
  organizations: Membership[];
}

// ---- audit -----------------------------------------------------------------

export interface AuditEvent {
  id: string;
  at: Timestamp;
  organization_id: string | null;
  action: string;
  outcome: string;
  actor: Record<string, unknown>;
  target: Record<string, unknown> | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

export interface AuditPage {
  items: AuditEvent[];
  next_cursor: string | null;
}

export interface AuditFilter {
  /** `key.revoked`, or `key.*`. */
  action?: string;
  actor_id?: string;
  target_id?: string;
  since?: Timestamp;
  until?: Timestamp;
  limit?: number;
  cursor?: string;
}

export interface AuditRange {
  since?: Timestamp;
  until?: Timestamp;
}

export interface ChainCheck {
  ok: boolean;
  checked: number;
  first_broken: string | null;
}
