-- 003_audit — the audit log, OAuth 2.0 clients (RFC 6749 §4.4) and the access tokens they obtain.
-- Runs once, inside one transaction, from store_sqlite.c; schema_migrations records it.
-- Times are milliseconds since the Unix epoch (UTC); NULL means "never" / "not set".

-- One row per SCIM or admin request, successful or not. A successful write inserts its row in the
-- transaction of the change; everything else is appended after the response. tenant_id is NULL
-- when the tenant is unknown (failed authentication). diff is a JSON object of the attributes that
-- changed ({"before": {...}, "after": {...}}, secrets replaced by "[redacted]"); dialect is the
-- comma-separated list of IdP dialect rules applied to the request. No token or password is ever
-- written here.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER REFERENCES tenants(id),
    time_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    resource_type TEXT,
    resource_id TEXT,
    status INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    diff TEXT,
    dialect TEXT
) STRICT;

-- Newest first within a tenant (keyset on time_ms, id; SQLite appends the rowid to the index).
CREATE INDEX audit_by_tenant_time ON audit(tenant_id, time_ms);
-- Retention pruning and the all-tenant listing of scimctl.
CREATE INDEX audit_by_time ON audit(time_ms);
CREATE INDEX audit_by_resource ON audit(tenant_id, resource_id) WHERE resource_id IS NOT NULL;

-- OAuth 2.0 clients of the client-credentials grant. Only the SHA-256 of the secret is stored
-- (the secret is 32 random bytes, so a fast hash is enough); it is shown once at creation.
CREATE TABLE oauth_clients (
    id TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
    description TEXT NOT NULL DEFAULT '',
    scopes TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
) STRICT;

CREATE INDEX oauth_clients_by_tenant ON oauth_clients(tenant_id);

-- Access tokens issued at /oauth/token live in tokens like static ones (same hash lookup), marked
-- with the client that obtained them; a revoked client revokes them all.
ALTER TABLE tokens ADD COLUMN client_id TEXT REFERENCES oauth_clients(id);
CREATE INDEX tokens_by_client ON tokens(client_id) WHERE client_id IS NOT NULL;
