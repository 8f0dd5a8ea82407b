-- 002_query — what filtering, sorting and cursor paging need (RFC 7644 §3.4.2, RFC 9865).
-- Runs once, inside one transaction, from store_sqlite.c, which registers scim_fold() on the
-- connection first and, after this SQL, fills resource_values from the existing documents (the
-- rule of what is indexed lives in C: scim_sqlgen_index_values).

-- displayName is not caseExact: filters and sortBy compare its case-folded form.
ALTER TABLE resources ADD COLUMN display_name_ci TEXT;
UPDATE resources SET display_name_ci = scim_fold(display_name) WHERE display_name IS NOT NULL;

CREATE INDEX resources_display_name ON resources(tenant_id, type, display_name_ci)
    WHERE deleted_ms IS NULL;

-- meta.lastModified / meta.created filters and sortBy; SQLite appends rowid to every index, so
-- (key, rowid) keyset pages walk these directly.
CREATE INDEX resources_modified ON resources(tenant_id, type, modified_ms)
    WHERE deleted_ms IS NULL;
CREATE INDEX resources_created ON resources(tenant_id, type, created_ms)
    WHERE deleted_ms IS NULL;

-- The value index of multi-valued attributes: one row per value of an indexed sub-attribute
-- ("emails.value", "phoneNumbers.value", ...), case-folded unless the sub-attribute is
-- caseExact. Live resources only: a write replaces a resource's rows in its own transaction and
-- a delete removes them. The primary key is the lookup index (tenant_id, attr, value_ci) and
-- covers the rowid the lookup returns.
CREATE TABLE resource_values (
    tenant_id INTEGER NOT NULL,
    attr TEXT NOT NULL,
    value_ci TEXT NOT NULL,
    resource_rowid INTEGER NOT NULL REFERENCES resources(rowid),
    PRIMARY KEY (tenant_id, attr, value_ci, resource_rowid)
) STRICT, WITHOUT ROWID;

CREATE INDEX resource_values_by_resource ON resource_values(resource_rowid);

-- Secrets the store keeps for itself: 'cursor' is the HMAC key of RFC 9865 cursors, created at
-- open (random, from libsodium) so that cursors survive restarts.
CREATE TABLE store_keys (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL
) STRICT;
