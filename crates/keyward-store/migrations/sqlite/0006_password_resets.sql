-- Single-use links that set a lost password; only the token's hash is kept.
CREATE TABLE password_resets (
  id              BLOB PRIMARY KEY,
  user_id         BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  organization_id BLOB REFERENCES organizations(id) ON DELETE CASCADE,
  token_hash      BLOB NOT NULL UNIQUE,
  created_by      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  used_at         INTEGER
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
