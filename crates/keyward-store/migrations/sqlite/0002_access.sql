-- The access model: users, sessions, memberships, invitations, teams,
-- service accounts, roles and groups.

CREATE TABLE users (
  id            BLOB PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  enabled       INTEGER NOT NULL,
  created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash BLOB PRIMARY KEY,
  user_id    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE memberships (
  organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id         BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role            TEXT NOT NULL,
  joined_at       INTEGER NOT NULL,
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE invitations (
  id              BLOB PRIMARY KEY,
  organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email           TEXT NOT NULL,
  role            TEXT NOT NULL,
  token_hash      BLOB NOT NULL UNIQUE,
  created_by      TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  accepted_at     INTEGER
);

CREATE TABLE teams (
  id              BLOB PRIMARY KEY,
  organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE team_members (
  team_id BLOB NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role    TEXT NOT NULL,
  PRIMARY KEY (team_id, user_id)
);

CREATE TABLE service_accounts (
  id              BLOB PRIMARY KEY,
  organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL,
  enabled         INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE roles (
  id              BLOB PRIMARY KEY,
  organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE role_grants (
  role_id       BLOB NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  permission_id INTEGER NOT NULL REFERENCES permissions(id),
  resource      TEXT NOT NULL,
  PRIMARY KEY (role_id, position)
);

-- Roles held directly by a user or a service account.
CREATE TABLE role_assignments (
  organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  principal_type  TEXT NOT NULL,
  principal_id    BLOB NOT NULL,
  role_id         BLOB NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (principal_type, principal_id, role_id)
);

CREATE TABLE principal_groups (
  id              BLOB PRIMARY KEY,
  organization_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE group_roles (
  group_id BLOB NOT NULL REFERENCES principal_groups(id) ON DELETE CASCADE,
  role_id  BLOB NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, role_id)
);

CREATE TABLE group_members (
  group_id       BLOB NOT NULL REFERENCES principal_groups(id) ON DELETE CASCADE,
  principal_type TEXT NOT NULL,
  principal_id   BLOB NOT NULL,
  PRIMARY KEY (group_id, principal_type, principal_id)
);
CREATE INDEX group_members_by_principal ON group_members (principal_type, principal_id);

CREATE INDEX api_keys_by_owner ON api_keys (owner_id);
