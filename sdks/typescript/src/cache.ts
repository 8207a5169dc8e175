import { createHash } from 'node:crypto';
import type { Verification, VerifyRequest } from './types.js';

/**
 * VALID answers kept for `ttlMs`, by a hash of the whole request (the key
 * itself is not held). A key revoked, disabled or narrowed in keyward keeps
 * its cached VALID answer here until the entry ages out: that is the
 * revocation delay this cache costs, at most `ttlMs`.
 *
 * Answers carrying rate limits or credits are never kept: those are counted
 * by keyward on every request.
 */
export class VerificationCache {
  private readonly entries = new Map<string, { until: number; answer: Verification }>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(request: VerifyRequest): Verification | undefined {
    const id = cacheId(request);
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.answer;
  }

  put(request: VerifyRequest, answer: Verification): void {
    if (!cacheable(answer)) return;
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(cacheId(request), { until: this.now() + this.ttlMs, answer });
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

export function cacheable(answer: Verification): boolean {
  return (
    answer.code === 'VALID' &&
    answer.valid &&
    (answer.ratelimits === undefined || answer.ratelimits.length === 0) &&
    (answer.credits === undefined || answer.credits === null)
  );
}

function cacheId(r: VerifyRequest): string {
  const text = JSON.stringify([r.key, r.permission ?? null, r.resource ?? null, r.ip ?? null, r.cost ?? null]);
  return createHash('sha256').update(text).digest('base64');
}
