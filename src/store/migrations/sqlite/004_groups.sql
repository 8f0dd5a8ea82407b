-- 004_groups — Groups (RFC 7643 §4.2): membership as rows, displayName uniqueness, group→role
-- mappings and per-tenant settings. Runs once, inside one transaction, from store_sqlite.c;
-- schema_migrations records it. All SQL against these tables is in store_sqlite_groups.c.

-- One row per (group, member). The Group document in resources.doc never holds a members array:
-- members are rendered from these rows, only when a response includes them. Adding or removing
-- one member is one indexed write, however large the group. member_type is 'User' or 'Group'
-- (nested groups; the store rejects cycles). Rows of deleted resources are removed with the
-- tombstone, in the same transaction.
CREATE TABLE group_members (
    tenant_id INTEGER NOT NULL,
    group_rowid INTEGER NOT NULL REFERENCES resources(rowid),
    member_rowid INTEGER NOT NULL REFERENCES resources(rowid),
    member_type TEXT NOT NULL CHECK (member_type IN ('User', 'Group')),
    PRIMARY KEY (tenant_id, group_rowid, member_rowid)
) STRICT, WITHOUT ROWID;

-- The other direction: the groups of a member (a User's "groups", the walk up nested groups for
-- effective roles, cycle checks, and the clean-up when a member is deleted).
CREATE INDEX group_members_by_member ON group_members(tenant_id, member_rowid, group_rowid);

-- displayName is unique among a tenant's live groups, ignoring case; a deleted group's name can
-- be used again. The group writes of store_sqlite_groups.c check it inside their write
-- transaction on the index resources_display_name (tenant_id, type, display_name_ci) of
-- migration 002 (writers are serialised, so the check cannot race).

-- Group→role mappings for the host application's RBAC: every member of the group (directly or
-- through nested groups) holds role. priority orders roles for a host that wants one primary
-- role. The mappings of a group are removed when the group is deleted.
CREATE TABLE role_mappings (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    group_rowid INTEGER NOT NULL REFERENCES resources(rowid),
    role TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, group_rowid, role)
) STRICT, WITHOUT ROWID;

-- Per-tenant settings set with `scimctl tenant set NAME key=value` (default_role,
-- unknown_members); an absent row means the built-in default. Values are checked in roles.c
-- before they are stored.
CREATE TABLE tenant_settings (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT, WITHOUT ROWID;
