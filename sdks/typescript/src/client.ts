import { VerificationCache } from './cache.js';
import { KeywardError, KeywardUnavailableError, foreignError, isErrorBody } from './errors.js';
import type * as T from './types.js';

export interface KeywardOptions {
  /** Where keyward listens, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /**
   * The caller's credential: the admin key, an API key (one holding
   * `keys:verify` to verify keys) or a session token. Sent as
   * `Authorization: Bearer`.
   */
  apiKey?: string;
  /** Milliseconds before a request is given up (default 10000). */
  timeoutMs?: number;
  /**
   * Milliseconds a VALID verification is reused without asking keyward
   * (default 0: every verification asks). A revoked key keeps working here
   * for up to this long.
   */
  cacheTtlMs?: number;
  /** Most verifications cached at once (default 10000). */
  cacheMaxEntries?: number;
  /** Extra headers on every request (`X-Keyward-Org`, …). */
  headers?: Record<string, string>;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | undefined>;

interface Call {
  body?: unknown;
  query?: Query;
  /** Read the answer as text rather than JSON. */
  text?: boolean;
}

const seg = encodeURIComponent;

/**
 * A client for keyward's JSON API. Every method resolves with the decoded
 * answer or rejects with `KeywardError` (keyward said no) or
 * `KeywardUnavailableError` (keyward could not be reached).
 */
export class Keyward {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Record<string, string>;
  private readonly fetchImpl: typeof fetch;
  /** Present when `cacheTtlMs` > 0. */
  readonly cache: VerificationCache | undefined;

  constructor(options: KeywardOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.extraHeaders = options.headers ?? {};
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    const ttl = options.cacheTtlMs ?? 0;
    this.cache = ttl > 0 ? new VerificationCache(ttl, options.cacheMaxEntries) : undefined;
  }

  /** A client like this one acting with another credential (no shared cache). */
  withApiKey(apiKey: string): Keyward {
    return new Keyward({
      baseUrl: this.baseUrl,
      apiKey,
      timeoutMs: this.timeoutMs,
      headers: this.extraHeaders,
      fetch: this.fetchImpl,
    });
  }

  /**
   * "Is this key valid, whose is it, and may it do this?" A key that is not
   * valid is an answer (see `code`), not an error.
   */
  async verify(request: T.VerifyRequest): Promise<T.Verification> {
    const cached = this.cache?.get(request);
    if (cached !== undefined) return cached;
    const answer = await this.request<T.Verification>('POST', '/api/v1/keys/verify', { body: request });
    this.cache?.put(request, answer);
    return answer;
  }

  readonly orgs = {
    list: () => this.request<T.Org[]>('GET', '/api/v1/orgs'),
    create: (org: T.NewOrg) => this.request<T.Org>('POST', '/api/v1/orgs', { body: org }),
    /** `org` is the organization's id or slug, here and everywhere. */
    get: (org: string) => this.request<T.Org>('GET', `/api/v1/orgs/${seg(org)}`),
    update: (org: string, changes: T.OrgChanges) =>
      this.request<T.Org>('PATCH', `/api/v1/orgs/${seg(org)}`, { body: changes }),
    delete: (org: string) => this.request<void>('DELETE', `/api/v1/orgs/${seg(org)}`),
  };

  readonly permissions = {
    list: (org: string) => this.request<T.Permission[]>('GET', `${orgPath(org)}/permissions`),
    create: (org: string, permission: T.NewPermission) =>
      this.request<T.Permission>('POST', `${orgPath(org)}/permissions`, { body: permission }),
  };

  readonly keys = {
    list: (org: string, options: T.KeyListOptions = {}) =>
      this.request<T.KeyPage>('GET', `${orgPath(org)}/keys`, { query: { ...options } }),
    create: (org: string, key: T.NewKey) =>
      this.request<T.CreatedKey>('POST', `${orgPath(org)}/keys`, { body: key }),
    get: (org: string, id: string) => this.request<T.Key>('GET', `${orgPath(org)}/keys/${seg(id)}`),
    update: (org: string, id: string, changes: T.KeyChanges) =>
      this.request<T.Key>('PATCH', `${orgPath(org)}/keys/${seg(id)}`, { body: changes }),
    /** A new key in the old one's place; the old one works on for the grace period. */
    roll: (org: string, id: string, roll: T.KeyRoll = {}) =>
      this.request<T.CreatedKey>('POST', `${orgPath(org)}/keys/${seg(id)}/roll`, { body: roll }),
    revoke: (org: string, id: string) => this.request<void>('DELETE', `${orgPath(org)}/keys/${seg(id)}`),
  };

  readonly members = {
    list: (org: string) => this.request<T.Member[]>('GET', `${orgPath(org)}/members`),
    get: (org: string, user: string) => this.request<T.Member>('GET', `${orgPath(org)}/members/${seg(user)}`),
    setRole: (org: string, user: string, role: T.OrgRole) =>
      this.request<T.Member>('PATCH', `${orgPath(org)}/members/${seg(user)}`, { body: { role } }),
    remove: (org: string, user: string) => this.request<void>('DELETE', `${orgPath(org)}/members/${seg(user)}`),
    assignRole: (org: string, user: string, role: string) =>
      this.request<void>('PUT', `${orgPath(org)}/members/${seg(user)}/roles/${seg(role)}`),
    unassignRole: (org: string, user: string, role: string) =>
      this.request<void>('DELETE', `${orgPath(org)}/members/${seg(user)}/roles/${seg(role)}`),
    /** A single-use password reset link for the member. */
    passwordReset: (org: string, user: string) =>
      this.request<T.PasswordResetIssued>('POST', `${orgPath(org)}/members/${seg(user)}/password-reset`),
  };

  readonly invitations = {
    list: (org: string) => this.request<T.Invitation[]>('GET', `${orgPath(org)}/invitations`),
    create: (org: string, invitation: T.NewInvitation) =>
      this.request<T.InvitationCreated>('POST', `${orgPath(org)}/invitations`, { body: invitation }),
    delete: (org: string, id: string) => this.request<void>('DELETE', `${orgPath(org)}/invitations/${seg(id)}`),
    accept: (acceptance: T.InvitationAcceptance) =>
      this.request<T.AcceptedInvitation>('POST', '/api/v1/invitations/accept', { body: acceptance }),
  };

  readonly teams = {
    list: (org: string) => this.request<T.Team[]>('GET', `${orgPath(org)}/teams`),
    create: (org: string, team: { name: string }) =>
      this.request<T.Team>('POST', `${orgPath(org)}/teams`, { body: team }),
    get: (org: string, team: string) => this.request<T.Team>('GET', `${orgPath(org)}/teams/${seg(team)}`),
    delete: (org: string, team: string) => this.request<void>('DELETE', `${orgPath(org)}/teams/${seg(team)}`),
    members: (org: string, team: string) =>
      this.request<T.TeamMember[]>('GET', `${orgPath(org)}/teams/${seg(team)}/members`),
    putMember: (org: string, team: string, user: string, role: T.TeamRole) =>
      this.request<void>('PUT', `${orgPath(org)}/teams/${seg(team)}/members/${seg(user)}`, { body: { role } }),
    removeMember: (org: string, team: string, user: string) =>
      this.request<void>('DELETE', `${orgPath(org)}/teams/${seg(team)}/members/${seg(user)}`),
  };

  readonly roles = {
    list: (org: string) => this.request<T.Role[]>('GET', `${orgPath(org)}/roles`),
    create: (org: string, role: T.NewRole) => this.request<T.Role>('POST', `${orgPath(org)}/roles`, { body: role }),
    get: (org: string, role: string) => this.request<T.Role>('GET', `${orgPath(org)}/roles/${seg(role)}`),
    update: (org: string, role: string, changes: T.RoleChanges) =>
      this.request<T.Role>('PATCH', `${orgPath(org)}/roles/${seg(role)}`, { body: changes }),
    delete: (org: string, role: string) => this.request<void>('DELETE', `${orgPath(org)}/roles/${seg(role)}`),
  };

  readonly groups = {
    list: (org: string) => this.request<T.Group[]>('GET', `${orgPath(org)}/groups`),
    create: (org: string, group: T.NewGroup) =>
      this.request<T.Group>('POST', `${orgPath(org)}/groups`, { body: group }),
    get: (org: string, group: string) => this.request<T.Group>('GET', `${orgPath(org)}/groups/${seg(group)}`),
    rename: (org: string, group: string, name: string) =>
      this.request<T.Group>('PATCH', `${orgPath(org)}/groups/${seg(group)}`, { body: { name } }),
    delete: (org: string, group: string) => this.request<void>('DELETE', `${orgPath(org)}/groups/${seg(group)}`),
    addRole: (org: string, group: string, role: string) =>
      this.request<void>('PUT', `${orgPath(org)}/groups/${seg(group)}/roles/${seg(role)}`),
    removeRole: (org: string, group: string, role: string) =>
      this.request<void>('DELETE', `${orgPath(org)}/groups/${seg(group)}/roles/${seg(role)}`),
    addMember: (org: string, group: string, member: T.PrincipalRef) =>
      this.request<void>('PUT', `${orgPath(org)}/groups/${seg(group)}/members/${seg(member.type)}/${seg(member.id)}`),
    removeMember: (org: string, group: string, member: T.PrincipalRef) =>
      this.request<void>(
        'DELETE',
        `${orgPath(org)}/groups/${seg(group)}/members/${seg(member.type)}/${seg(member.id)}`,
      ),
  };

  readonly serviceAccounts = {
    list: (org: string) => this.request<T.ServiceAccount[]>('GET', `${orgPath(org)}/service-accounts`),
    create: (org: string, account: T.NewServiceAccount) =>
      this.request<T.ServiceAccount>('POST', `${orgPath(org)}/service-accounts`, { body: account }),
    get: (org: string, account: string) =>
      this.request<T.ServiceAccount>('GET', `${orgPath(org)}/service-accounts/${seg(account)}`),
    update: (org: string, account: string, changes: T.ServiceAccountChanges) =>
      this.request<T.ServiceAccount>('PATCH', `${orgPath(org)}/service-accounts/${seg(account)}`, { body: changes }),
    delete: (org: string, account: string) =>
      this.request<void>('DELETE', `${orgPath(org)}/service-accounts/${seg(account)}`),
    roles: (org: string, account: string) =>
      this.request<string[]>('GET', `${orgPath(org)}/service-accounts/${seg(account)}/roles`),
    addRole: (org: string, account: string, role: string) =>
      this.request<void>('PUT', `${orgPath(org)}/service-accounts/${seg(account)}/roles/${seg(role)}`),
    removeRole: (org: string, account: string, role: string) =>
      this.request<void>('DELETE', `${orgPath(org)}/service-accounts/${seg(account)}/roles/${seg(role)}`),
  };

  /** The audit log: an organization's, or with `org` undefined the organization-less one (admin key). */
  readonly audit = {
    list: (org: string | undefined, filter: T.AuditFilter = {}) =>
      this.request<T.AuditPage>('GET', auditPath(org), { query: { ...filter } }),
    /** Every event in the range, oldest first, from the JSON Lines export. */
    export: async (org: string | undefined, range: T.AuditRange = {}): Promise<T.AuditEvent[]> => {
      const text = await this.request<string>('GET', `${auditPath(org)}/export`, { query: { ...range }, text: true });
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as T.AuditEvent);
    },
    verify: (org: string | undefined) => this.request<T.ChainCheck>('GET', `${auditPath(org)}/verify`),
  };

  readonly session = {
    login: (email: string, password: string) =>
      this.request<T.Session>('POST', '/api/v1/auth/login', { body: { email, password } }),
    logout: () => this.request<void>('POST', '/api/v1/auth/logout'),
    me: () => this.request<T.Me>('GET', '/api/v1/me'),
    changePassword: (current_password: string, new_password: string) =>
      this.request<void>('POST', '/api/v1/me/password', { body: { current_password, new_password } }),
    resetPassword: (token: string, new_password: string) =>
      this.request<void>('POST', '/api/v1/auth/password-reset', { body: { token, new_password } }),
  };

  readonly users = {
    /** Disables or enables a user everywhere (admin key). */
    setEnabled: (user: string, enabled: boolean) =>
      this.request<User>('PATCH', `/api/v1/users/${seg(user)}`, { body: { enabled } }),
  };

  /** Sends one request; resolves with the decoded answer (undefined for 204). */
  async request<R>(method: string, path: string, call: Call = {}): Promise<R> {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...this.extraHeaders };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | undefined;
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body);
    }
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      throw new KeywardUnavailableError(`keyward at ${this.baseUrl} could not be reached`, { cause });
    }
    if (!response.ok) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      throw new KeywardError(response.status, isErrorBody(parsed) ? parsed : foreignError(response.status, text));
    }
    if (call.text) return text as R;
    if (text === '') return undefined as R;
    try {
      return JSON.parse(text) as R;
    } catch (cause) {
      throw new KeywardUnavailableError(`keyward answered ${method} ${path} with a body that is not JSON`, { cause });
    }
  }
}

type User = T.User;

function orgPath(org: string): string {
  return `/api/v1/orgs/${seg(org)}`;
}

function auditPath(org: string | undefined): string {
  return org === undefined ? '/api/v1/audit' : `${orgPath(org)}/audit`;
}
