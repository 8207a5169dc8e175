import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { Keyward } from '../src/index.js';
import { keyward, type KeywardRequest } from '../src/middleware/express.js';
import { admin, adminKey, url } from './env.js';
import { assertRefused, bearer, fixture, type Answer, type Fixture } from './middleware.js';

describe('Express middleware', () => {
  let f: Fixture;
  let base: string;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let seenIp: string | undefined;

  before(async () => {
    f = await fixture();
    const client = new Keyward({ baseUrl: url, apiKey: adminKey });
    const app = express();
    app.get(
      '/datasets/:id',
      keyward({ client, permission: 'datasets:read', resource: 'datasets/:id', ip: true }),
      (req, res) => {
        const { keyward: key } = req as unknown as KeywardRequest;
        res.json({ key_id: key.key_id, owner: key.owner });
      },
    );
    app.get(
      '/whoami',
      keyward({
        client,
        ip: (req) => {
          seenIp = '198.51.100.1';
          return seenIp;
        },
      }),
      (req, res) => {
        res.json({ code: (req as unknown as KeywardRequest).keyward.code });
      },
    );
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(base + path, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  it('admits a key holding the permission on the route’s resource and hands the answer to the handler', async () => {
    const answer = await get('/datasets/42', bearer(f.reader.key));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.key_id, f.reader.id);
    assert.deepEqual(answer.body.owner, { type: 'organization', id: f.org.id, name: f.org.name });
  });

  it('answers 401 without a key, with a malformed header, or with an unknown key', async () => {
    assertRefused(await get('/datasets/42'), 401, 'UNAUTHENTICATED');
    assertRefused(await get('/datasets/42', { authorization: `Basic ${f.reader.key}` }), 401, 'UNAUTHENTICATED');
    assertRefused(await get('/datasets/42', bearer('kw_notakey')), 401, 'UNAUTHENTICATED');
  });

  it('answers 403 for another resource or a key without the permission', async () => {
    assertRefused(await get('/datasets/43', bearer(f.reader.key)), 403, 'INSUFFICIENT_PERMISSIONS');
    assertRefused(await get('/datasets/42', bearer(f.other.key)), 403, 'INSUFFICIENT_PERMISSIONS');
    assertRefused(await get('/datasets/*', bearer(f.reader.key)), 400, 'BAD_REQUEST');
  });

  it('passes the client IP when asked to and works without a permission', async () => {
    const answer = await get('/whoami', bearer(f.other.key));
    assert.equal(answer.status, 200);
    assert.equal(answer.body.code, 'VALID');
    assert.equal(seenIp, '198.51.100.1');
  });

  it('answers 401 KEY_REVOKED once the key is revoked', async () => {
    const key = await admin.keys.create(f.org.slug, { name: 'short-lived', scope: 'organization' });
    assert.equal((await get('/whoami', bearer(key.key))).status, 200);
    await admin.keys.revoke(f.org.slug, key.id);
    assertRefused(await get('/whoami', bearer(key.key)), 401, 'KEY_REVOKED');
  });

  it('answers 503 when keyward cannot be reached', async () => {
    const app = express();
    const nowhere = new Keyward({ baseUrl: 'http://127.0.0.1:9', apiKey: adminKey, timeoutMs: 2000 });
    app.get('/x', keyward({ client: nowhere }), (_req, res) => {
      res.json({});
    });
    const down = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const response = await fetch(`http://127.0.0.1:${(down.address() as AddressInfo).port}/x`, {
        headers: bearer(f.reader.key),
      });
      const answer = { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
      assertRefused(answer, 503, 'UNAVAILABLE');
      assert.equal(answer.headers.get('retry-after'), '5');
    } finally {
      await new Promise<void>((resolve) => down.close(() => resolve()));
    }
  });
});
