-- Abuse controls on keys: rate limits, addresses a key may be used from,
-- and usage credits. `credits_remaining` is NULL for a key without
-- credits; it holds the balance as of the refill at `credits_refilled_at`,
-- and `credits_generation` counts the times the balance was set by hand,
-- so consumption counted before that can't be written over it.

ALTER TABLE api_keys ADD COLUMN ratelimits TEXT NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '[]';
ALTER TABLE api_keys ADD COLUMN credits_remaining INTEGER;
ALTER TABLE api_keys ADD COLUMN credits_refill TEXT;
ALTER TABLE api_keys ADD COLUMN credits_refilled_at INTEGER;
ALTER TABLE api_keys ADD COLUMN credits_generation INTEGER NOT NULL DEFAULT 0;
