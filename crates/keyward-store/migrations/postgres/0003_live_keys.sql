-- The key limit counts an organization's live keys on every creation: a
-- partial index holds exactly what that count reads, so revoked keys cost
-- nothing and the count never touches the table.
CREATE INDEX api_keys_live_by_org ON api_keys (organization_id, expires_at) WHERE revoked_at IS NULL;
