-- Webhooks: organizations' endpoints, the events each receives, and the
-- outbox of deliveries, written in the same transaction as the audit event
-- it carries. `webhooks:write` joins the built-in permissions, so owners
-- and admins of every organization hold it.

INSERT INTO permissions (id, organization_id, name, description, read_only) VALUES
  (13, NULL, 'webhooks:write', 'Create, change, test and delete webhooks and read their deliveries', 0);

CREATE TABLE webhooks (
  id                    BLOB PRIMARY KEY,
  organization_id       BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  url                   TEXT NOT NULL,
  description           TEXT NOT NULL,
  -- `whsec_…`: needed in the clear to sign; never listed.
  secret                TEXT NOT NULL,
  previous_secret       TEXT,
  previous_secret_until INTEGER,
  enabled               INTEGER NOT NULL,
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL,
  failing_since         INTEGER,
  disabled_at           INTEGER,
  -- The node sending this endpoint's deliveries, until when.
  lease_owner           BLOB,
  lease_until           INTEGER
);
CREATE INDEX webhooks_by_org ON webhooks (organization_id, id);

-- An event type matches `pattern` exactly, or begins with it when
-- `is_prefix` (`key.` for `key.*`, '' for `*`).
CREATE TABLE webhook_events (
  webhook_id BLOB NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  pattern    TEXT NOT NULL,
  is_prefix  INTEGER NOT NULL,
  PRIMARY KEY (webhook_id, position)
);

-- The outbox: sent in id order per endpoint.
CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id      BLOB NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  message_id      TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  body            TEXT NOT NULL,
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  -- Retries stop 24 hours after it (a manual retry starts it again).
  window_start    INTEGER NOT NULL,
  next_attempt_at INTEGER,
  last_attempt_at INTEGER,
  response_status INTEGER,
  latency_ms      INTEGER,
  last_error      TEXT
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- Per organization: how many days before a key's expiry `key.expiring` goes.
CREATE TABLE webhook_settings (
  organization_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  expiring_days   INTEGER NOT NULL
);

-- `key.expiring` and `key.expired` go once per key.
CREATE TABLE key_expiry_notices (
  key_id BLOB NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  kind   TEXT NOT NULL,
  at     INTEGER NOT NULL,
  PRIMARY KEY (key_id, kind)
);
