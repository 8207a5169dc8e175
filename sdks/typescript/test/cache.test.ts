import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Keyward, VerificationCache, type Verification } from '../src/index.js';
import { admin, adminKey, freshOrg, url } from './env.js';

/** A client whose requests to keyward are counted (they still go to the real server). */
function counted(cacheTtlMs: number): { client: Keyward; calls: () => number } {
  let calls = 0;
  const client = new Keyward({
    baseUrl: url,
    apiKey: adminKey,
    cacheTtlMs,
    fetch: (input, init) => {
      calls += 1;
      return fetch(input, init);
    },
  });
  return { client, calls: () => calls };
}

describe('verification cache', () => {
  it('is off by default: a revocation is honoured on the next verification', async () => {
    const org = await freshOrg();
    const key = await admin.keys.create(org.slug, { name: 'k', scope: 'organization' });
    const { client, calls } = counted(0);
    assert.equal(client.cache, undefined);
    assert.equal((await client.verify({ key: key.key })).code, 'VALID');
    await admin.keys.revoke(org.slug, key.id);
    assert.equal((await client.verify({ key: key.key })).code, 'REVOKED');
    assert.equal(calls(), 2);
  });

  it('reuses a VALID answer for its TTL, which is the revocation delay', async () => {
    const org = await freshOrg();
    const key = await admin.keys.create(org.slug, { name: 'k', scope: 'organization' });
    const { client, calls } = counted(1500);
    assert.equal((await client.verify({ key: key.key, permission: 'datasets:read' })).code, 'VALID');
    await admin.keys.revoke(org.slug, key.id);
    // Within the TTL the revoked key is still VALID here, without asking keyward.
    assert.equal((await client.verify({ key: key.key, permission: 'datasets:read' })).code, 'VALID');
    assert.equal(calls(), 1);
    // Another question about the same key is not the cached one.
    assert.equal((await client.verify({ key: key.key })).code, 'REVOKED');
    await sleep(1600);
    assert.equal((await client.verify({ key: key.key, permission: 'datasets:read' })).code, 'REVOKED');
    assert.equal(calls(), 3);
  });

  it('never keeps an answer that is not VALID', async () => {
    const { client, calls } = counted(60_000);
    assert.equal((await client.verify({ key: 'kw_notakey' })).code, 'NOT_FOUND');
    assert.equal((await client.verify({ key: 'kw_notakey' })).code, 'NOT_FOUND');
    assert.equal(calls(), 2);
    assert.equal(client.cache?.size, 0);
  });

  it('never keeps an answer that carries rate limits or credits, and stays bounded', () => {
    let now = 0;
    const cache = new VerificationCache(1000, 2, () => now);
    const valid = { valid: true, code: 'VALID', grants: [] } as unknown as Verification;
    cache.put({ key: 'a' }, { ...valid, credits: { remaining: 5 } });
    cache.put({ key: 'b' }, { ...valid, ratelimits: [{ name: 'r', limit: 1, remaining: 0, reset_at: '' }] });
    assert.equal(cache.size, 0);
    cache.put({ key: 'a' }, valid);
    cache.put({ key: 'b' }, valid);
    cache.put({ key: 'c' }, valid);
    assert.equal(cache.size, 2);
    assert.equal(cache.get({ key: 'a' }), undefined, 'the oldest entry made room');
    now = 1000;
    assert.equal(cache.get({ key: 'c' }), undefined, 'expired');
  });
});
