-- Webhooks: organizations' endpoints, the events each receives, and the
-- outbox of deliveries, written in the same transaction as the audit event
-- it carries. `webhooks:write` joins the built-in permissions, so owners
-- and admins of every organization hold it.

INSERT INTO permissions (id, organization_id, name, description, read_only) VALUES
  (13, NULL, 'webhooks:write', 'Create, change, test and delete webhooks and read their deliveries', false);

CREATE TABLE webhooks (
  id                    UUID PRIMARY KEY,
  organization_id       UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  url                   TEXT NOT NULL,
  description           TEXT NOT NULL,
  -- `whsec_…`: needed in the clear to sign; never listed.
  secret                TEXT NOT NULL,
  previous_secret       TEXT,
  previous_secret_until TIMESTAMPTZ,
  enabled               BOOLEAN NOT NULL,
  created_at            TIMESTAMPTZ NOT NULL,
  updated_at            TIMESTAMPTZ NOT NULL,
  failing_since         TIMESTAMPTZ,
  disabled_at           TIMESTAMPTZ,
  -- The node sending this endpoint's deliveries, until when.
  lease_owner           UUID,
  lease_until           TIMESTAMPTZ
);
CREATE INDEX webhooks_by_org ON webhooks (organization_id, id);

-- An event type matches `pattern` exactly, or begins with it when
-- `is_prefix` (`key.` for `key.*`, '' for `*`).
CREATE TABLE webhook_events (
  webhook_id UUID NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  pattern    TEXT NOT NULL,
  is_prefix  BOOLEAN NOT NULL,
  PRIMARY KEY (webhook_id, position)
);

-- The outbox: sent in id order per endpoint.
CREATE TABLE webhook_deliveries (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id      UUID NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  message_id      TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  body            TEXT NOT NULL,
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  created_at      TIMESTAMPTZ NOT NULL,
  -- Retries stop 24 hours after it (a manual retry starts it again).
  window_start    TIMESTAMPTZ NOT NULL,
  next_attempt_at TIMESTAMPTZ,
  last_attempt_at TIMESTAMPTZ,
  response_status INTEGER,
  latency_ms      BIGINT,
  last_error      TEXT
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- Per organization: how many days before a key's expiry `key.expiring` goes.
CREATE TABLE webhook_settings (
  organization_id UUID PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
  expiring_days   INTEGER NOT NULL
);

-- `key.expiring` and `key.expired` go once per key.
CREATE TABLE key_expiry_notices (
  key_id UUID NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  kind   TEXT NOT NULL,
  at     TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (key_id, kind)
);
