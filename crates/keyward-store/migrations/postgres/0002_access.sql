-- The access model: users, sessions, memberships, invitations, teams,
-- service accounts, roles and groups.

CREATE TABLE users (
  id            UUID PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  enabled       BOOLEAN NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
  token_hash BYTEA PRIMARY KEY,
  user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id         UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role            TEXT NOT NULL,
  joined_at       TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE invitations (
  id              UUID PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email           TEXT NOT NULL,
  role            TEXT NOT NULL,
  token_hash      BYTEA NOT NULL UNIQUE,
  created_by      TEXT NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL,
  expires_at      TIMESTAMPTZ NOT NULL,
  accepted_at     TIMESTAMPTZ
);

CREATE TABLE teams (
  id              UUID PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE team_members (
  team_id UUID NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role    TEXT NOT NULL,
  PRIMARY KEY (team_id, user_id)
);

CREATE TABLE service_accounts (
  id              UUID PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL,
  enabled         BOOLEAN NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE roles (
  id              UUID PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  description     TEXT NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE role_grants (
  role_id       UUID NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  permission_id BIGINT NOT NULL REFERENCES permissions(id),
  resource      TEXT NOT NULL,
  PRIMARY KEY (role_id, position)
);

-- Roles held directly by a user or a service account.
CREATE TABLE role_assignments (
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  principal_type  TEXT NOT NULL,
  principal_id    UUID NOT NULL,
  role_id         UUID NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (principal_type, principal_id, role_id)
);

CREATE TABLE principal_groups (
  id              UUID PRIMARY KEY,
  organization_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE group_roles (
  group_id UUID NOT NULL REFERENCES principal_groups(id) ON DELETE CASCADE,
  role_id  UUID NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, role_id)
);

CREATE TABLE group_members (
  group_id       UUID NOT NULL REFERENCES principal_groups(id) ON DELETE CASCADE,
  principal_type TEXT NOT NULL,
  principal_id   UUID NOT NULL,
  PRIMARY KEY (group_id, principal_type, principal_id)
);
CREATE INDEX group_members_by_principal ON group_members (principal_type, principal_id);

CREATE INDEX api_keys_by_owner ON api_keys (owner_id);
