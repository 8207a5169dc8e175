/**
 * Hono middleware: verifies the request's key with keyward and sets the
 * answer as `c.get('keyward')`; otherwise answers 401, 403 or 429 in
 * keyward's common error body.
 *
 * ```ts
 * const app = new Hono<{ Variables: KeywardVariables }>();
 * app.get('/datasets/:id', keyward({ client, permission: 'datasets:read', resource: 'datasets/:id' }),
 *   (c) => c.json({ owner: c.get('keyward').owner }));
 * ```
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Verification } from '../types.js';
import { decide, type GuardOptions, type RequestView } from './guard.js';

export type { GuardOptions, Verifier } from './guard.js';

export type KeywardVariables = { keyward: Verification };

const view: RequestView<Context> = {
  header: (c, name) => c.req.header(name),
  params: (c) => c.req.param() as Record<string, string | undefined>,
  // Hono has no portable client address; on @hono/node-server it is the socket's.
  ip: (c) => {
    const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
    return env?.incoming?.socket?.remoteAddress;
  },
};

export function keyward(options: GuardOptions<Context>): MiddlewareHandler<{ Variables: KeywardVariables }> {
  return async (c, next) => {
    const decision = await decide(options, view, c);
    if (!decision.ok) {
      return new Response(JSON.stringify(decision.body), {
        status: decision.status,
        headers: { ...decision.headers, 'content-type': 'application/json' },
      });
    }
    c.set('keyward', decision.verification);
    await next();
    return undefined;
  };
}
