/**
 * What the Express and Hono middleware share: reading the key, building the
 * permission and resource, asking keyward, and turning a "no" into an answer
 * in keyward's common error body.
 */
import { KeywardError } from '../errors.js';
import type { ErrorBody, Verification, VerifyRequest } from '../types.js';

/** Anything with keyward's `verify()`: a `Keyward` client, with or without its cache. */
export interface Verifier {
  verify(request: VerifyRequest): Promise<Verification>;
}

/** A value given as is, or computed from the framework's request. */
export type FromRequest<Req, V> = V | ((req: Req) => V | undefined);

export interface GuardOptions<Req> {
  /** The client that asks keyward (its credential must hold `keys:verify`). */
  client: Verifier;
  /** A permission or query the key must hold, e.g. `datasets:read`. */
  permission?: FromRequest<Req, string>;
  /**
   * The resource the permission is asked about: a template whose `:name`
   * segments are filled from the route's parameters (`datasets/:id`), or a
   * function of the request. `*` when omitted.
   */
  resource?: FromRequest<Req, string>;
  /** Credits the request consumes, for keys with credits. */
  cost?: FromRequest<Req, number>;
  /**
   * Pass the client's address as `ip` (for keys with allowed IPs): `true`
   * uses the framework's idea of it, or a function picks it.
   */
  ip?: boolean | ((req: Req) => string | undefined);
  /** Reads the key; `Authorization: Bearer <key>` by default. */
  key?: (req: Req) => string | undefined;
}

export type Decision =
  | { ok: true; verification: Verification }
  | { ok: false; status: number; body: ErrorBody; headers: Record<string, string> };

/** How a framework exposes the request to the guard. */
export interface RequestView<Req> {
  header(req: Req, name: string): string | undefined;
  params(req: Req): Record<string, string | undefined>;
  ip(req: Req): string | undefined;
}

export async function decide<Req>(options: GuardOptions<Req>, view: RequestView<Req>, req: Req): Promise<Decision> {
  const key = options.key ? options.key(req) : bearer(view.header(req, 'authorization'));
  if (key === undefined || key === '') {
    return refuse(401, 'UNAUTHENTICATED', 'an API key is required: Authorization: Bearer <key>');
  }
  const request: VerifyRequest = { key };
  const permission = pick(options.permission, req);
  if (permission !== undefined) request.permission = permission;
  if (options.resource !== undefined) {
    const resource =
      typeof options.resource === 'function' ? options.resource(req) : fill(options.resource, view.params(req));
    if (resource === null) {
      return refuse(400, 'BAD_REQUEST', 'a route parameter does not name a resource');
    }
    if (resource !== undefined) request.resource = resource;
  }
  const cost = pick(options.cost, req);
  if (cost !== undefined) request.cost = cost;
  if (options.ip !== undefined && options.ip !== false) {
    const ip = options.ip === true ? view.ip(req) : options.ip(req);
    if (ip !== undefined && ip !== '') request.ip = ip;
  }
  let verification: Verification;
  try {
    verification = await options.client.verify(request);
  } catch (error) {
    return unreachable(error);
  }
  return verification.code === 'VALID' && verification.valid ? { ok: true, verification } : refusal(verification);
}

/** A key that is not VALID, as the answer the protected service gives. */
export function refusal(v: Verification): Decision {
  switch (v.code) {
    case 'NOT_FOUND':
      return refuse(401, 'UNAUTHENTICATED', 'the API key is not valid');
    case 'EXPIRED':
      return refuse(401, 'KEY_EXPIRED', 'the API key has expired');
    case 'REVOKED':
      return refuse(401, 'KEY_REVOKED', 'the API key has been revoked');
    case 'DISABLED':
      return refuse(401, 'KEY_DISABLED', 'the API key is disabled');
    case 'INSUFFICIENT_PERMISSIONS':
      return refuse(403, 'INSUFFICIENT_PERMISSIONS', 'the API key may not do this');
    case 'IP_NOT_ALLOWED':
      return refuse(403, 'IP_NOT_ALLOWED', "the API key may not be used from this client's address");
    case 'RATE_LIMITED':
      return refuse(429, 'RATE_LIMITED', 'the API key has made too many requests; try again later', retryAfter(
        (v.ratelimits ?? []).filter((l) => l.remaining <= 0).map((l) => l.reset_at),
      ));
    case 'USAGE_EXCEEDED':
      return refuse(429, 'USAGE_EXCEEDED', 'the API key has used up its credits', retryAfter(
        v.credits?.refill_at ? [v.credits.refill_at] : [],
      ));
    default:
      // A code this package does not know yet: a "no" all the same.
      return refuse(403, 'FORBIDDEN', 'the API key may not be used here', undefined, { code: v.code });
  }
}

function unreachable(error: unknown): Decision {
  if (error instanceof KeywardError && (error.status === 400 || error.status === 422)) {
    // The permission or resource asked about is malformed.
    return refuse(400, 'BAD_REQUEST', error.body.message);
  }
  if (error instanceof KeywardError && error.status < 500 && error.status !== 429) {
    return refuse(500, 'INTERNAL', 'the API key could not be checked');
  }
  const decision = refuse(503, 'UNAVAILABLE', 'the API key could not be checked; try again shortly');
  if (!decision.ok) decision.headers['retry-after'] = '5';
  return decision;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function refuse(
  status: number,
  code: string,
  message: string,
  retryAfterSeconds?: number,
  details?: unknown,
): Decision {
  const body: ErrorBody = { statusCode: status, error: REASONS[status] ?? 'Error', code, message };
  if (details !== undefined) body.details = details;
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="keyward"';
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  return { ok: false, status, body, headers };
}

/** Seconds until the earliest of `times`, at least 1; undefined without any. */
function retryAfter(times: string[], now = Date.now()): number | undefined {
  const instants = times.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
  if (instants.length === 0) return undefined;
  return Math.max(1, Math.ceil((Math.min(...instants) - now) / 1000));
}

function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

function pick<Req, V>(value: FromRequest<Req, V> | undefined, req: Req): V | undefined {
  return typeof value === 'function' ? (value as (req: Req) => V | undefined)(req) : value;
}

/**
 * `datasets/:id` with the route's `id`; null when a parameter is missing or
 * could widen the resource (empty, `*`, or a `/`).
 */
export function fill(template: string, params: Record<string, string | undefined>): string | null {
  let broken = false;
  const filled = template.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '' || /[/*\s]/.test(value)) {
      broken = true;
      return '';
    }
    return value;
  });
  return broken ? null : filled;
}
