-- 001_initial — tenants, bearer tokens and resources (RFC 7643 documents with indexed columns).
-- Runs once, inside one transaction, from store_sqlite.c; schema_migrations records it.
-- Times are milliseconds since the Unix epoch (UTC); NULL means "never" / "not set".

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL
) STRICT;

-- Only the SHA-256 of a token is stored; the plaintext is shown once and never kept.
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    description TEXT NOT NULL DEFAULT '',
    scopes TEXT NOT NULL,
    hint TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER,
    revoked_ms INTEGER,
    last_used_ms INTEGER
) STRICT;

CREATE INDEX tokens_by_tenant ON tokens(tenant_id);

-- One row per resource of any type. doc is the normalised document (compact JSON, without id and
-- meta); the other columns are copies of attributes the store indexes. A DELETE sets deleted_ms
-- and keeps the row as a tombstone.
CREATE TABLE resources (
    rowid INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    user_name_ci TEXT,
    external_id TEXT,
    display_name TEXT,
    active INTEGER CHECK (active IN (0, 1)),
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    doc TEXT NOT NULL,
    password_hash TEXT,
    deleted_ms INTEGER
) STRICT;

CREATE UNIQUE INDEX resources_id ON resources(tenant_id, type, id);

-- userName is unique among live resources only, so a deleted user's userName can be used again.
CREATE UNIQUE INDEX resources_user_name ON resources(tenant_id, type, user_name_ci)
    WHERE deleted_ms IS NULL AND user_name_ci IS NOT NULL;

CREATE INDEX resources_external_id ON resources(tenant_id, type, external_id)
    WHERE deleted_ms IS NULL AND external_id IS NOT NULL;

-- Listing in creation order walks this index: live rows of one type, in rowid order.
CREATE INDEX resources_live ON resources(tenant_id, type, rowid) WHERE deleted_ms IS NULL;
