-- The key lifecycle: organizations' key policies, and rolled keys naming
-- the key they replaced and the key that replaced them.

ALTER TABLE organizations ADD COLUMN key_max_lifetime_days INTEGER;
ALTER TABLE organizations ADD COLUMN key_require_expiry INTEGER NOT NULL DEFAULT 0;

ALTER TABLE api_keys ADD COLUMN rolled_from BLOB;
ALTER TABLE api_keys ADD COLUMN rolled_to BLOB;
