import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusal, type Verification } from '../src/index.js';
import { fill } from '../src/middleware/guard.js';

function answer(fields: Partial<Verification>): Verification {
  return {
    valid: false,
    code: 'NOT_FOUND',
    key_id: null,
    organization_id: null,
    owner: null,
    scope: null,
    read_only: null,
    grants: [],
    expires_at: null,
    metadata: null,
    ...fields,
  };
}

describe('refusals', () => {
  it('map every code to its status and code in the common error body', () => {
    const cases: Array<[string, number, string]> = [
      ['NOT_FOUND', 401, 'UNAUTHENTICATED'],
      ['EXPIRED', 401, 'KEY_EXPIRED'],
      ['REVOKED', 401, 'KEY_REVOKED'],
      ['DISABLED', 401, 'KEY_DISABLED'],
      ['INSUFFICIENT_PERMISSIONS', 403, 'INSUFFICIENT_PERMISSIONS'],
      ['IP_NOT_ALLOWED', 403, 'IP_NOT_ALLOWED'],
      ['RATE_LIMITED', 429, 'RATE_LIMITED'],
      ['USAGE_EXCEEDED', 429, 'USAGE_EXCEEDED'],
      ['SOMETHING_NEW', 403, 'FORBIDDEN'],
    ];
    for (const [code, status, answered] of cases) {
      const decision = refusal(answer({ code }));
      assert.equal(decision.ok, false);
      if (decision.ok) continue;
      assert.equal(decision.status, status, code);
      assert.equal(decision.body.statusCode, status, code);
      assert.equal(decision.body.code, answered, code);
      assert.ok(decision.body.message.length > 0);
      assert.equal(decision.headers['www-authenticate'] !== undefined, status === 401, code);
    }
  });

  it('tell a rate-limited or spent client when to retry', () => {
    const soon = new Date(Date.now() + 30_000).toISOString();
    const later = new Date(Date.now() + 90_000).toISOString();
    const limited = refusal(
      answer({
        code: 'RATE_LIMITED',
        ratelimits: [
          { name: 'burst', limit: 10, remaining: 0, reset_at: soon },
          { name: 'daily', limit: 1000, remaining: 500, reset_at: later },
        ],
      }),
    );
    assert.ok(!limited.ok);
    if (!limited.ok) {
      const seconds = Number(limited.headers['retry-after']);
      assert.ok(seconds >= 29 && seconds <= 31, `retry-after ${seconds}`);
    }
    const spent = refusal(answer({ code: 'USAGE_EXCEEDED', credits: { remaining: 0, refill_at: later } }));
    assert.ok(!spent.ok);
    if (!spent.ok) assert.ok(Number(spent.headers['retry-after']) >= 89);
  });
});

describe('resource templates', () => {
  it("fill parameters and refuse values that would widen the resource", () => {
    assert.equal(fill('datasets/:id', { id: '42' }), 'datasets/42');
    assert.equal(fill('teams/:team/datasets/:id', { team: 't', id: '7' }), 'teams/t/datasets/7');
    assert.equal(fill('datasets/:id', {}), null);
    assert.equal(fill('datasets/:id', { id: '*' }), null);
    assert.equal(fill('datasets/:id', { id: '42/../*' }), null);
    assert.equal(fill('datasets/:id', { id: '' }), null);
  });
});
