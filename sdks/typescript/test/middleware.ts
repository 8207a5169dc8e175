/** What the Express and Hono tests share: keys in a fresh organization and the answers to expect. */
import assert from 'node:assert/strict';
import type { CreatedKey, Org } from '../src/index.js';
import { admin, freshOrg } from './env.js';

export interface Fixture {
  org: Org;
  /** `datasets:read` on `datasets/42` only. */
  reader: CreatedKey;
  /** `keys:read` only. */
  other: CreatedKey;
}

export async function fixture(): Promise<Fixture> {
  const org = await freshOrg();
  const reader = await admin.keys.create(org.slug, {
    name: 'reader',
    scope: 'organization',
    permissions: [{ permission: 'datasets:read', resource: 'datasets/42' }],
  });
  const other = await admin.keys.create(org.slug, { name: 'other', scope: 'organization', permissions: ['keys:read'] });
  return { org, reader, other };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export function assertRefused(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.headers.get('content-type')?.startsWith('application/json'), true);
  assert.deepEqual(Object.keys(answer.body).sort(), ['code', 'error', 'message', 'statusCode']);
  assert.equal(answer.body.statusCode, status);
  assert.equal(answer.body.code, code);
  assert.equal(typeof answer.body.message, 'string');
  if (status === 401) assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer/);
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
