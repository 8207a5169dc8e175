-- The key lifecycle: organizations' key policies, and rolled keys naming
-- the key they replaced and the key that replaced them.

ALTER TABLE organizations ADD COLUMN key_max_lifetime_days INTEGER;
ALTER TABLE organizations ADD COLUMN key_require_expiry BOOLEAN NOT NULL DEFAULT false;

ALTER TABLE api_keys ADD COLUMN rolled_from UUID;
ALTER TABLE api_keys ADD COLUMN rolled_to UUID;
