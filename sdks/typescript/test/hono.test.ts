import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { Keyward } from '../src/index.js';
import { keyward, type KeywardVariables } from '../src/middleware/hono.js';
import { admin, adminKey, url } from './env.js';
import { assertRefused, bearer, fixture, type Answer, type Fixture } from './middleware.js';

describe('Hono middleware', () => {
  let f: Fixture;
  const app = new Hono<{ Variables: KeywardVariables }>();
  const client = new Keyward({ baseUrl: url, apiKey: adminKey });
  let seenIp: string | undefined;

  app.get('/datasets/:id', keyward({ client, permission: 'datasets:read', resource: 'datasets/:id' }), (c) => {
    const key = c.get('keyward');
    return c.json({ key_id: key.key_id, owner: key.owner });
  });
  app.get(
    '/whoami',
    keyward({
      client,
      ip: (c) => {
        seenIp = c.req.header('x-client-ip');
        return seenIp;
      },
      resource: (c) => `users/${c.req.header('x-user') ?? 'anyone'}`,
    }),
    (c) => c.json({ code: c.get('keyward').code }),
  );

  before(async () => {
    f = await fixture();
  });

  async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await app.request(path, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  it('admits a key holding the permission on the route’s resource and sets c.get("keyward")', async () => {
    const answer = await get('/datasets/42', bearer(f.reader.key));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.key_id, f.reader.id);
    assert.deepEqual(answer.body.owner, { type: 'organization', id: f.org.id, name: f.org.name });
  });

  it('answers 401, 403 and 400 in the common error body', async () => {
    assertRefused(await get('/datasets/42'), 401, 'UNAUTHENTICATED');
    assertRefused(await get('/datasets/42', bearer('kw_notakey')), 401, 'UNAUTHENTICATED');
    assertRefused(await get('/datasets/43', bearer(f.reader.key)), 403, 'INSUFFICIENT_PERMISSIONS');
    assertRefused(await get('/datasets/42', bearer(f.other.key)), 403, 'INSUFFICIENT_PERMISSIONS');
    assertRefused(await get('/datasets/*', bearer(f.reader.key)), 400, 'BAD_REQUEST');
  });

  it('passes the client IP and a resource computed from the request', async () => {
    const answer = await get('/whoami', { ...bearer(f.other.key), 'x-client-ip': '192.0.2.9', 'x-user': 'ada' });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(seenIp, '192.0.2.9');
  });

  it('answers 401 KEY_DISABLED for a disabled key and admits it again once enabled', async () => {
    const key = await admin.keys.create(f.org.slug, { name: 'toggled', scope: 'organization' });
    await admin.keys.update(f.org.slug, key.id, { enabled: false });
    assertRefused(await get('/whoami', bearer(key.key)), 401, 'KEY_DISABLED');
    await admin.keys.update(f.org.slug, key.id, { enabled: true });
    assert.equal((await get('/whoami', bearer(key.key))).status, 200);
  });
});
