-- Organizations, the permission catalog, API keys. Timestamps are Unix
-- milliseconds; ids are UUIDs as 16-byte blobs (UUIDv7 sorts by time).

CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

CREATE TABLE organizations (
  id         BLOB PRIMARY KEY,
  name       TEXT NOT NULL,
  slug       TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- Built-ins have no organization and ids below 1000.
CREATE TABLE permissions (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  organization_id BLOB REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL,
  read_only       INTEGER NOT NULL,
  UNIQUE (organization_id, name)
);

INSERT INTO permissions (id, organization_id, name, description, read_only) VALUES
  (1, NULL, 'keys:read', 'List and read API keys', 1),
  (2, NULL, 'keys:write', 'Create, update and revoke API keys', 0),
  (3, NULL, 'keys:verify', 'Verify API keys for other services', 1),
  (4, NULL, 'members:read', 'List members, invitations and service accounts', 1),
  (5, NULL, 'members:write', 'Invite, change and remove members and service accounts', 0),
  (6, NULL, 'teams:read', 'List teams and their members', 1),
  (7, NULL, 'teams:write', 'Create, change and delete teams', 0),
  (8, NULL, 'roles:read', 'List roles and groups', 1),
  (9, NULL, 'roles:write', 'Create, change and delete roles and groups', 0),
  (10, NULL, 'audit:read', 'Read the audit log', 1),
  (11, NULL, 'org:read', 'Read the organization and its permission catalog', 1),
  (12, NULL, 'org:write', 'Change the organization and register permissions', 0);
UPDATE sqlite_sequence SET seq = 999 WHERE name = 'permissions';

CREATE TABLE api_keys (
  id              BLOB PRIMARY KEY,
  organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  scope           TEXT NOT NULL,
  read_only       INTEGER NOT NULL,
  owner_id        BLOB NOT NULL,
  created_by      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER,
  last_used_at    INTEGER,
  usage_count     INTEGER NOT NULL DEFAULT 0,
  enabled         INTEGER NOT NULL,
  revoked_at      INTEGER,
  key_hash        BLOB NOT NULL UNIQUE,
  key_mask        TEXT NOT NULL,
  metadata        TEXT NOT NULL
);
CREATE INDEX api_keys_by_org ON api_keys (organization_id, id);

-- A permission in use by a key can't be deleted: losing it would widen the key.
CREATE TABLE api_key_permissions (
  key_id        BLOB NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  permission_id INTEGER NOT NULL REFERENCES permissions(id),
  resource      TEXT NOT NULL,
  PRIMARY KEY (key_id, position)
);
