/**
 * Express middleware: verifies the request's key with keyward and puts the
 * answer on `req.keyward`; otherwise answers 401, 403 or 429 in keyward's
 * common error body.
 *
 * ```ts
 * app.get('/datasets/:id', keyward({ client, permission: 'datasets:read', resource: 'datasets/:id' }),
 *   (req, res) => res.json({ owner: req.keyward.owner }));
 * ```
 */
import type { Verification } from '../types.js';
import { decide, type GuardOptions, type RequestView } from './guard.js';

export type { GuardOptions, Verifier } from './guard.js';

/** The parts of Express's request the middleware reads (Express 4 and 5). */
export interface ExpressRequest {
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  ip?: string | undefined;
  keyward?: Verification;
}

/** The parts of Express's response the middleware writes. */
export interface ExpressResponse {
  status(code: number): this;
  set(headers: Record<string, string>): this;
  json(body: unknown): unknown;
}

/** A request that passed the middleware. */
export type KeywardRequest<Req = ExpressRequest> = Req & { keyward: Verification };

const view: RequestView<ExpressRequest> = {
  header(req, name) {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  },
  params: (req) => req.params ?? {},
  ip: (req) => req.ip,
};

export function keyward<Req extends ExpressRequest = ExpressRequest, Res extends ExpressResponse = ExpressResponse>(
  options: GuardOptions<Req>,
): (req: Req, res: Res, next: (error?: unknown) => void) => Promise<void> {
  return async (req, res, next) => {
    let decision;
    try {
      decision = await decide(options, view as RequestView<Req>, req);
    } catch (error) {
      next(error);
      return;
    }
    if (decision.ok) {
      req.keyward = decision.verification;
      next();
      return;
    }
    res.status(decision.status).set(decision.headers).json(decision.body);
  };
}
