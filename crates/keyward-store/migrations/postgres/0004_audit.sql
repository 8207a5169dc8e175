-- The audit log: one hash chain per organization, and one for events
-- outside any organization, whose chain key is the nil UUID. Events are not
-- tied to their organization by a foreign key: the log outlives what it
-- records, until it is pruned.

CREATE TABLE audit_events (
  chain_key   UUID NOT NULL,
  seq         BIGINT NOT NULL,
  id          UUID NOT NULL UNIQUE,
  at          TIMESTAMPTZ NOT NULL,
  -- Byte order, so a resource's actions (`key.*`) are the range from
  -- 'key.' to 'key/' whatever the database's collation.
  action      TEXT COLLATE "C" NOT NULL,
  outcome     TEXT NOT NULL,
  actor_type  TEXT NOT NULL,
  actor_id    TEXT NOT NULL,
  actor_name  TEXT NOT NULL,
  target_type TEXT,
  target_id   TEXT,
  target_name TEXT,
  request_id  TEXT,
  ip          TEXT,
  user_agent  TEXT,
  -- A JSON object, as written: the hash covers it.
  details     TEXT NOT NULL,
  hash        BYTEA NOT NULL,
  PRIMARY KEY (chain_key, seq)
);
-- The listing's filters, each newest first within a chain.
CREATE INDEX audit_events_by_action ON audit_events (chain_key, action, seq);
CREATE INDEX audit_events_by_actor ON audit_events (chain_key, actor_id, seq);
CREATE INDEX audit_events_by_target ON audit_events (chain_key, target_id, seq);
CREATE INDEX audit_events_by_time ON audit_events (chain_key, at);

-- Each chain's head (the last event's seq and hash, where the next links)
-- and its anchor (the last pruned event's, where verification starts).
-- A chain starts at seq 0 with 32 zero bytes for both.
CREATE TABLE audit_chains (
  chain_key   UUID PRIMARY KEY,
  last_seq    BIGINT NOT NULL,
  last_hash   BYTEA NOT NULL,
  anchor_seq  BIGINT NOT NULL,
  anchor_hash BYTEA NOT NULL
);
