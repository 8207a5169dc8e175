-- What a secret scanner's report of an exposed key does to it, per
-- organization: 'revoke' (the default), 'disable' or 'notify'.

ALTER TABLE organizations ADD COLUMN leak_policy TEXT NOT NULL DEFAULT 'revoke';
