/*
 * store_sqlite_groups — the SQLite side of store_groups.h: Groups (RFC 7643 §4.2) whose
 * membership is rows of group_members (migration 004), never an array in the group's document;
 * what is computed from those rows when a resource is rendered (a Group's "members", a User's
 * "groups" with direct/indirect type, its effective "roles"); group→role mappings; per-tenant
 * settings; and the clean-up of membership rows when a resource is deleted.
 * Costs: adding or removing one member is one indexed lookup of the member and one indexed
 * write (plus one version bump of the group row), whatever the size of the group; a SET (PUT)
 * reads the current member rowids in index order and writes only the difference; reading a
 * group without its members reads no membership row. Nested groups are walked with recursive
 * CTEs over the two indexes of group_members; a write that would close a cycle is refused.
 * Every statement binds tenant_id, or a rowid that a tenant-bound lookup found in the same
 * transaction; rows of another tenant are never reached (member ids are resolved inside the
 * tenant, so a foreign id is simply unknown).
 * Owns: all SQL against group_members, role_mappings and tenant_settings, and the SQL that writes
 * Group rows of resources. Must not: validate SCIM documents (the handlers do), know HTTP, or use
 * store_sqlite.c's internals beyond store_sqlite_internal.h.
 */
#include "store_groups.h"

#include "store_backend.h"
#include "store_sqlite_internal.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "roles.h"
#include "text.h"
#include "token.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SQL --------------------------------------------------------------------------------- */

#define SQL_GROUP_INSERT                                                                           \
    "INSERT INTO resources(tenant_id, type, id, external_id, display_name, display_name_ci, "      \
    "created_ms, modified_ms, version, doc) "                                                      \
    "VALUES (?1, 'Group', ?2, ?3, ?4, scim_fold(?4), ?5, ?5, 1, ?6)"
#define SQL_GROUP_ROW                                                                              \
    "SELECT rowid, version FROM resources WHERE tenant_id = ?1 AND type = 'Group' AND id = ?2 "    \
    "AND deleted_ms IS NULL"
#define SQL_GROUP_UPDATE                                                                           \
    "UPDATE resources SET external_id = ?2, display_name = ?3, display_name_ci = scim_fold(?3), "  \
    "modified_ms = max(?4, modified_ms), version = version + 1, doc = ?5 WHERE rowid = ?1"
/* Another live group of the tenant with the same displayName, ignoring case (?3: the group being
 * written, 0 for a new one). */
#define SQL_GROUP_NAME_TAKEN                                                                       \
    "SELECT 1 FROM resources WHERE tenant_id = ?1 AND type = 'Group' "                             \
    "AND display_name_ci = scim_fold(?2) AND deleted_ms IS NULL AND rowid <> ?3 LIMIT 1"
#define SQL_GROUP_TOUCH                                                                            \
    "UPDATE resources SET modified_ms = max(?2, modified_ms), version = version + 1 "              \
    "WHERE rowid = ?1"
#define SQL_ROW_BY_ROWID                                                                           \
    "SELECT id, version, created_ms, modified_ms, doc FROM resources WHERE rowid = ?1"
/* A member is a live User or Group of the tenant (two probes of resources_id). */
#define SQL_MEMBER_FIND                                                                            \
    "SELECT rowid, type FROM resources WHERE tenant_id = ?1 AND type IN ('User', 'Group') "        \
    "AND id = ?2 AND deleted_ms IS NULL"
#define SQL_MEMBER_INSERT                                                                          \
    "INSERT OR IGNORE INTO group_members(tenant_id, group_rowid, member_rowid, member_type) "      \
    "VALUES (?1, ?2, ?3, ?4)"
#define SQL_MEMBER_DELETE_ROWID                                                                    \
    "DELETE FROM group_members WHERE tenant_id = ?1 AND group_rowid = ?2 AND member_rowid = ?3"
#define SQL_MEMBER_DELETE_ID                                                                       \
    "DELETE FROM group_members WHERE tenant_id = ?1 AND group_rowid = ?2 AND member_rowid IN "     \
    "(SELECT rowid FROM resources WHERE tenant_id = ?1 AND type IN ('User', 'Group') "             \
    "AND id = ?3)"
#define SQL_MEMBER_DELETE_ALL "DELETE FROM group_members WHERE tenant_id = ?1 AND group_rowid = ?2"
#define SQL_MEMBER_ROWIDS                                                                          \
    "SELECT member_rowid FROM group_members WHERE tenant_id = ?1 AND group_rowid = ?2 "            \
    "ORDER BY member_rowid"
/* The groups that hold ?2 directly: one step of a walk up nested groups (covering index). */
#define SQL_PARENTS                                                                                \
    "SELECT group_rowid FROM group_members WHERE tenant_id = ?1 AND member_rowid = ?2"
#define SQL_SETTING_GET "SELECT value FROM tenant_settings WHERE tenant_id = ?1 AND name = ?2"
#define SQL_SETTING_SET                                                                            \
    "INSERT INTO tenant_settings(tenant_id, name, value) VALUES (?1, ?2, ?3) "                     \
    "ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value"
#define SQL_SETTING_DELETE "DELETE FROM tenant_settings WHERE tenant_id = ?1 AND name = ?2"
#define SQL_SETTINGS_LIST                                                                          \
    "SELECT name, value FROM tenant_settings WHERE tenant_id = ?1 ORDER BY name"

/* Members in the primary key's order (by member rowid: creation order of the members) of the live
 * group ?2. A User without displayName shows its userName. */
#define SQL_DERIVE_MEMBERS                                                                         \
    "SELECT m.id, gm.member_type, coalesce(m.display_name, json_extract(m.doc, '$.userName')) "    \
    "FROM group_members gm JOIN resources m ON m.rowid = gm.member_rowid "                         \
    "WHERE gm.tenant_id = ?1 AND gm.group_rowid = (SELECT rowid FROM resources "                   \
    "WHERE tenant_id = ?1 AND type = 'Group' AND id = ?2 AND deleted_ms IS NULL) "                 \
    "ORDER BY gm.member_rowid"
/* The live user ?2, the tenant's default_role setting (NULL when unset), and the groups that hold
 * the user directly (one row each; one row with NULL when there is none): the whole of what
 * rendering a user in no group needs, in one statement. */
#define SQL_USER_ME                                                                                \
    "SELECT me.rowid, (SELECT value FROM tenant_settings WHERE tenant_id = ?1 "                    \
    "AND name = 'default_role'), gm.group_rowid FROM resources me LEFT JOIN group_members gm "     \
    "ON gm.tenant_id = ?1 AND gm.member_rowid = me.rowid WHERE me.tenant_id = ?1 "                 \
    "AND me.type = 'User' AND me.id = ?2 AND me.deleted_ms IS NULL"
/* One group of a user: its id and displayName, and each role its mapping grants (one row per
 * role; one row with NULL role when it grants none). */
#define SQL_GROUP_GRANTS                                                                           \
    "SELECT r.id, r.display_name, rm.role, rm.priority FROM resources r LEFT JOIN role_mappings "  \
    "rm "                                                                                          \
    "ON rm.tenant_id = ?1 AND rm.group_rowid = r.rowid WHERE r.rowid = ?2 AND r.tenant_id = ?1 "   \
    "AND r.deleted_ms IS NULL ORDER BY rm.role"
#define SQL_USER_ROW                                                                               \
    "SELECT rowid, doc FROM resources WHERE tenant_id = ?1 AND type = 'User' AND id = ?2 "         \
    "AND deleted_ms IS NULL"

/* A live group by id, else by displayName ignoring case (the id wins when both match). */
#define SQL_GROUP_RESOLVE                                                                          \
    "SELECT rowid, id FROM (SELECT 0 AS k, rowid, id FROM resources WHERE tenant_id = ?1 "         \
    "AND type = 'Group' AND id = ?2 AND deleted_ms IS NULL UNION ALL SELECT 1, rowid, id "         \
    "FROM resources WHERE tenant_id = ?1 AND type = 'Group' AND display_name_ci = scim_fold(?2) "  \
    "AND deleted_ms IS NULL) ORDER BY k LIMIT 1"
#define SQL_MAPPING_DELETE "DELETE FROM role_mappings WHERE tenant_id = ?1 AND group_rowid = ?2"
#define SQL_MAPPING_INSERT                                                                         \
    "INSERT OR REPLACE INTO role_mappings(tenant_id, group_rowid, role, priority) "                \
    "VALUES (?1, ?2, ?3, ?4)"
#define SQL_MAPPING_LIST                                                                           \
    "SELECT r.id, r.display_name, rm.role, rm.priority FROM role_mappings rm "                     \
    "JOIN resources r ON r.rowid = rm.group_rowid WHERE rm.tenant_id = ?1 "                        \
    "AND (?2 IS NULL OR rm.group_rowid = ?2) ORDER BY rm.group_rowid, rm.role"

/* Deleting a resource: the groups it was a member of change (version bump), then its rows go. */
#define SQL_PARENTS_TOUCH                                                                          \
    "UPDATE resources SET version = version + 1, modified_ms = max(?3, modified_ms) "              \
    "WHERE rowid IN (SELECT group_rowid FROM group_members WHERE tenant_id = ?1 "                  \
    "AND member_rowid = ?2)"
#define SQL_MEMBER_OF_DELETE "DELETE FROM group_members WHERE tenant_id = ?1 AND member_rowid = ?2"

/* Test support: statements that read membership rows for rendering (see the internal header). */
static atomic_long membership_reads;

long scim_sqlite_membership_reads(void)
{
    return atomic_load(&membership_reads);
}

/* ---- small helpers ---------------------------------------------------------------------- */

/* Returns a new JSON string of column col without UTF-8 validation: for texts that the store
 * wrote from validated documents (ids, types, display names). NULL becomes JSON null. */
static json_t *column_text_nocheck(sqlite3_stmt *q, int col)
{
    const char *t = (const char *)sqlite3_column_text(q, col);
    if (!t)
        return json_null();
    return json_stringn_nocheck(t, (size_t)sqlite3_column_bytes(q, col));
}

static int bind_text(sqlite3_stmt *q, int i, const char *s)
{
    return s ? sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(q, i);
}

static int bind_textn(sqlite3_stmt *q, int i, const char *s, size_t n)
{
    return s ? sqlite3_bind_text64(q, i, s, n, SQLITE_STATIC, SQLITE_UTF8)
             : sqlite3_bind_null(q, i);
}

static int bind_i64(sqlite3_stmt *q, int i, int64_t v)
{
    return sqlite3_bind_int64(q, i, v);
}

/* Prepares (or finds cached) sql on c and binds ?1 to the tenant id. NULL with err filled. */
static sqlite3_stmt *tenant_stmt(struct conn *c, const char *sql, const struct scim_tenant *tenant,
                                 struct scim_err *err)
{
    sqlite3_stmt *q = scim_sqlite_stmt(c, sql, err);
    if (q && bind_i64(q, 1, tenant->id) != SQLITE_OK) {
        scim_sqlite_fail(c, "bind", err);
        return NULL;
    }
    return q;
}

/* Steps a statement that returns no rows. */
static int step_done(struct conn *c, sqlite3_stmt *q, const char *what, struct scim_err *err)
{
    if (sqlite3_step(q) != SQLITE_DONE)
        return scim_sqlite_fail(c, what, err);
    return 0;
}

/* Starts a read transaction (deferred BEGIN), so that several reads see one snapshot. */
static int begin_read(struct conn *c, struct scim_err *err)
{
    return scim_sqlite_begin_read(c, err);
}

/*
 * Fills r from a row of SQL_ROW_BY_ROWID (id, version, created_ms, modified_ms, doc); r->doc is a
 * new reference owned by r. 500 when the stored document is not a JSON object.
 */
static int row_to_resource(sqlite3_stmt *q, struct scim_resource *r, struct scim_err *err)
{
    const char *text = (const char *)sqlite3_column_text(q, 4);
    json_t *doc =
        text ? json_loadb(text, (size_t)sqlite3_column_bytes(q, 4), JSON_ALLOW_NUL, NULL) : NULL;
    if (!json_is_object(doc)) {
        json_decref(doc);
        return scim_err_internal(err, "store: a stored group document is not a JSON object");
    }
    memset(r, 0, sizeof(*r));
    scim_sqlite_copy_column(r->id, sizeof(r->id), q, 0);
    r->version = sqlite3_column_int64(q, 1);
    r->created_ms = sqlite3_column_int64(q, 2);
    r->modified_ms = sqlite3_column_int64(q, 3);
    r->doc = doc;
    return 0;
}

/* Reads the resource at rowid into *out (inside the caller's transaction). */
static int read_row(struct conn *c, int64_t rowid, struct scim_resource *out, struct scim_err *err)
{
    sqlite3_stmt *q = scim_sqlite_stmt(c, SQL_ROW_BY_ROWID, err);
    if (!q)
        return SCIM_ERR;
    if (bind_i64(q, 1, rowid))
        return scim_sqlite_fail(c, "bind", err);
    if (sqlite3_step(q) != SQLITE_ROW)
        return scim_sqlite_fail(c, "read group", err);
    return row_to_resource(q, out, err);
}

/*
 * Reads a tenant setting into buf (size bytes; truncated), or def when the tenant has not set it.
 */
static int setting_get(struct conn *c, const struct scim_tenant *tenant, const char *name,
                       const char *def, char *buf, size_t size, struct scim_err *err)
{
    sqlite3_stmt *q = tenant_stmt(c, SQL_SETTING_GET, tenant, err);
    if (!q)
        return SCIM_ERR;
    if (bind_text(q, 2, name))
        return scim_sqlite_fail(c, "bind", err);
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        scim_sqlite_copy_column(buf, size, q, 0);
    else if (step == SQLITE_DONE)
        snprintf(buf, size, "%s", def);
    else
        return scim_sqlite_fail(c, "read tenant setting", err);
    sqlite3_reset(q);
    return 0;
}

/* A string member of doc, or NULL; *len its length. */
static const char *doc_string(const json_t *doc, const char *key, size_t *len)
{
    const json_t *v = json_object_get(doc, key);
    *len = json_is_string(v) ? json_string_length(v) : 0;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * 409 uniqueness when another live group of the tenant (not the one at self, 0 for a new group)
 * has doc's displayName, ignoring case. Runs inside the write transaction, so no other writer can
 * take the name between this check and the write.
 */
static int check_name(struct conn *c, const struct scim_tenant *tenant, const json_t *doc,
                      int64_t self, struct scim_err *err)
{
    size_t len;
    const char *name = doc_string(doc, "displayName", &len);
    if (!name)
        return 0;
    sqlite3_stmt *q = tenant_stmt(c, SQL_GROUP_NAME_TAKEN, tenant, err);
    if (!q)
        return SCIM_ERR;
    if (bind_textn(q, 2, name, len) || bind_i64(q, 3, self))
        return scim_sqlite_fail(c, "bind", err);
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        return scim_err_set(err, 409, SCIM_TYPE_UNIQUENESS,
                            "displayName '%.200s' is already used by another group in this "
                            "tenant (group names are unique, ignoring case)",
                            name);
    if (step != SQLITE_DONE)
        return scim_sqlite_fail(c, "check displayName", err);
    sqlite3_reset(q);
    return 0;
}

void scim_members_report_clear(struct scim_members_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->n_skipped; i++)
        scim_free(report->skipped[i]);
    scim_free(report->skipped);
    memset(report, 0, sizeof(*report));
}

/* ---- membership writes ------------------------------------------------------------------- */

/* The state of one group write, inside its transaction. */
struct gw {
    struct conn *c;
    const struct scim_tenant *tenant;
    int64_t group_rowid;
    int skip_unknown; /* -1: not read yet; 0: reject; 1: skip (tenant setting unknown_members) */
    struct scim_members_report rep;
    struct scim_err *err;
};

/* A resolved member. */
struct member {
    int64_t rowid;
    bool is_group;
};

static const char *type_name(bool is_group)
{
    return is_group ? "Group" : "User";
}

/* Records an unknown member id: 400 unless the tenant skips unknown members (then 1). */
static int unknown_member(struct gw *g, const char *value)
{
    if (g->skip_unknown < 0) {
        char policy[16];
        int rc = setting_get(g->c, g->tenant, SCIM_SETTING_UNKNOWN_MEMBERS, "reject", policy,
                             sizeof(policy), g->err);
        if (rc)
            return rc;
        g->skip_unknown = strcmp(policy, "skip") == 0;
    }
    if (!g->skip_unknown)
        return scim_err_set(g->err, 400, SCIM_TYPE_INVALID_VALUE,
                            "Member '%.100s' is not a User or Group of this tenant; provision it "
                            "first (or set the tenant's unknown_members to skip)",
                            value ? value : "");
    g->rep.skipped = scim_realloc(g->rep.skipped, (g->rep.n_skipped + 1) * sizeof(char *));
    g->rep.skipped[g->rep.n_skipped++] = scim_strdup(value ? value : "");
    return 1;
}

/*
 * Resolves ref inside the tenant: 0 and *m when it names a live User or Group, 1 when it is
 * unknown and skipped, or an error (unknown and rejected; a type that contradicts the member).
 */
static int resolve(struct gw *g, const struct scim_member_ref *ref, struct member *m)
{
    if (!ref->value || !ref->value[0])
        return unknown_member(g, ref->value);
    sqlite3_stmt *q = tenant_stmt(g->c, SQL_MEMBER_FIND, g->tenant, g->err);
    if (!q)
        return SCIM_ERR;
    if (bind_text(q, 2, ref->value))
        return scim_sqlite_fail(g->c, "bind", g->err);
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE)
        return unknown_member(g, ref->value);
    if (step != SQLITE_ROW)
        return scim_sqlite_fail(g->c, "find member", g->err);
    m->rowid = sqlite3_column_int64(q, 0);
    const char *type = (const char *)sqlite3_column_text(q, 1);
    m->is_group = type && strcmp(type, "Group") == 0;
    sqlite3_reset(q);
    if (ref->type != SCIM_MEMBER_UNTYPED && (ref->type == SCIM_MEMBER_GROUP) != m->is_group)
        return scim_err_set(g->err, 400, SCIM_TYPE_INVALID_VALUE,
                            "Member '%.100s' is a %s, not a %s", ref->value, type_name(m->is_group),
                            type_name(ref->type == SCIM_MEMBER_GROUP));
    return 0;
}

/*
 * The groups above one resource: every group that holds it directly (direct) or through nested
 * groups. Found by a breadth-first walk in C, one indexed lookup (SQL_PARENTS) per group
 * reached: a recursive CTE would let SQLite build a Bloom filter over every membership row of
 * the tenant at each step, which a 100,000-member group makes slow. Cycles (which writes refuse)
 * cannot make it loop: a group is visited once.
 */
struct walk {
    int64_t *rowid; /* owned; rowid[0..n) in the order reached */
    bool *direct;   /* owned; parallel to rowid */
    size_t n, cap;
};

static void walk_clear(struct walk *w)
{
    scim_free(w->rowid);
    scim_free(w->direct);
    memset(w, 0, sizeof(*w));
}

static bool walk_has(const struct walk *w, int64_t rowid)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->rowid[i] == rowid)
            return true;
    return false;
}

static void walk_add(struct walk *w, int64_t rowid, bool direct)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->rowid = scim_realloc(w->rowid, w->cap * sizeof(*w->rowid));
        w->direct = scim_realloc(w->direct, w->cap * sizeof(*w->direct));
    }
    w->rowid[w->n] = rowid;
    w->direct[w->n++] = direct;
}

/*
 * Walks up from start into *w, stopping early (*found true) when the group stop (0: none) is
 * reached. *w is zeroed by the caller, or already holds exactly start's direct parents (seeded,
 * all marked direct) when the caller read them with another statement.
 */
static int walk_up(struct conn *c, const struct scim_tenant *tenant, int64_t start, int64_t stop,
                   bool seeded, struct walk *w, bool *found, struct scim_err *err)
{
    *found = false;
    /* Step 0 looks up start's parents; step k (1..n) those of the k-th group reached. */
    for (size_t next = seeded ? 1 : 0; next <= w->n; next++) {
        int64_t from = next == 0 ? start : w->rowid[next - 1];
        sqlite3_stmt *q = tenant_stmt(c, SQL_PARENTS, tenant, err);
        if (!q)
            return SCIM_ERR;
        if (bind_i64(q, 2, from))
            return scim_sqlite_fail(c, "bind", err);
        int step;
        while ((step = sqlite3_step(q)) == SQLITE_ROW) {
            int64_t parent = sqlite3_column_int64(q, 0);
            if (parent == start || walk_has(w, parent))
                continue;
            walk_add(w, parent, next == 0);
            if (parent == stop) {
                *found = true;
                sqlite3_reset(q);
                return 0;
            }
        }
        if (step != SQLITE_DONE)
            return scim_sqlite_fail(c, "walk up nested groups", err);
        sqlite3_reset(q);
    }
    return 0;
}

/*
 * Refuses to add group m to the group being written when that would close a cycle: when m is
 * the group itself, or holds it directly or through nested groups (m is above it).
 */
static int check_cycle(struct gw *g, const struct member *m, const char *value)
{
    if (m->rowid == g->group_rowid)
        return scim_err_set(g->err, 400, SCIM_TYPE_INVALID_VALUE,
                            "A group cannot be a member of itself ('%.100s')", value ? value : "");
    struct walk w = {0};
    bool found = false;
    int rc = walk_up(g->c, g->tenant, g->group_rowid, m->rowid, false, &w, &found, g->err);
    walk_clear(&w);
    if (rc == 0 && found)
        rc = scim_err_set(g->err, 400, SCIM_TYPE_INVALID_VALUE,
                          "Adding group '%.100s' would create a cycle: this group is already a "
                          "member of it, directly or through nested groups",
                          value ? value : "");
    return rc;
}

/* Inserts one membership row (nothing when it exists). */
static int insert_member(struct gw *g, const struct member *m, const char *value)
{
    if (m->is_group) {
        int rc = check_cycle(g, m, value);
        if (rc)
            return rc;
    }
    sqlite3_stmt *q = tenant_stmt(g->c, SQL_MEMBER_INSERT, g->tenant, g->err);
    if (!q)
        return SCIM_ERR;
    if (bind_i64(q, 2, g->group_rowid) || bind_i64(q, 3, m->rowid) ||
        bind_text(q, 4, type_name(m->is_group)))
        return scim_sqlite_fail(g->c, "bind", g->err);
    int rc = step_done(g->c, q, "insert member", g->err);
    if (rc == 0)
        g->rep.added += (size_t)sqlite3_changes(scim_sqlite_conn_db(g->c));
    return rc;
}

static int add_members(struct gw *g, const struct scim_member_ref *refs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct member m;
        int rc = resolve(g, &refs[i], &m);
        if (rc == 1)
            continue;
        if (rc)
            return rc;
        rc = insert_member(g, &m, refs[i].value);
        if (rc)
            return rc;
    }
    return 0;
}

/* Runs a DELETE bound to (tenant, group[, third]) and counts the rows removed. */
static int delete_rows(struct gw *g, const char *sql, const char *id, int64_t rowid)
{
    sqlite3_stmt *q = tenant_stmt(g->c, sql, g->tenant, g->err);
    if (!q)
        return SCIM_ERR;
    int bad = bind_i64(q, 2, g->group_rowid);
    if (!bad && id)
        bad = bind_text(q, 3, id);
    else if (!bad && rowid)
        bad = bind_i64(q, 3, rowid);
    if (bad)
        return scim_sqlite_fail(g->c, "bind", g->err);
    int rc = step_done(g->c, q, "remove member", g->err);
    if (rc == 0)
        g->rep.removed += (size_t)sqlite3_changes(scim_sqlite_conn_db(g->c));
    return rc;
}

static int remove_members(struct gw *g, const struct scim_member_ref *refs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!refs[i].value || !refs[i].value[0])
            continue;
        int rc = delete_rows(g, SQL_MEMBER_DELETE_ID, refs[i].value, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* A resolved member of a SET and the ref it came from. */
struct wanted {
    struct member m;
    const char *value;
};

static int wanted_cmp(const void *a, const void *b)
{
    const struct wanted *x = a, *y = b;
    return x->m.rowid < y->m.rowid ? -1 : x->m.rowid > y->m.rowid;
}

/*
 * Makes the members exactly refs: the current member rowids are read in index order and merged
 * with the sorted wanted rowids; only rows that differ are deleted or inserted.
 */
static int set_members(struct gw *g, const struct scim_member_ref *refs, size_t n)
{
    int rc = 0;
    struct wanted *want = n ? scim_calloc(n, sizeof(*want)) : NULL, *add = NULL;
    int64_t *current = NULL, *drop = NULL;
    size_t n_want = 0, n_current = 0, cap = 0, n_drop = 0, n_add = 0;
    for (size_t i = 0; i < n; i++) {
        rc = resolve(g, &refs[i], &want[n_want].m);
        if (rc == 1) {
            rc = 0;
            continue;
        }
        if (rc)
            goto out;
        want[n_want++].value = refs[i].value;
    }
    if (n_want > 1)
        qsort(want, n_want, sizeof(*want), wanted_cmp);
    sqlite3_stmt *q = tenant_stmt(g->c, SQL_MEMBER_ROWIDS, g->tenant, g->err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_i64(q, 2, g->group_rowid)) {
        rc = scim_sqlite_fail(g->c, "bind", g->err);
        goto out;
    }
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (n_current == cap) {
            cap = cap ? cap * 2 : 64;
            current = scim_realloc(current, cap * sizeof(*current));
        }
        current[n_current++] = sqlite3_column_int64(q, 0);
    }
    if (step != SQLITE_DONE) {
        rc = scim_sqlite_fail(g->c, "read members", g->err);
        goto out;
    }
    /* Merge the two sorted lists: current-only rows go, wanted-only rows come. */
    size_t i = 0, j = 0;
    drop = n_current ? scim_calloc(n_current, sizeof(*drop)) : NULL;
    add = n_want ? scim_calloc(n_want, sizeof(*add)) : NULL;
    while (i < n_current || j < n_want) {
        if (j < n_want && j > 0 && want[j].m.rowid == want[j - 1].m.rowid) {
            j++; /* the same member named twice */
            continue;
        }
        if (j == n_want || (i < n_current && current[i] < want[j].m.rowid)) {
            drop[n_drop++] = current[i++];
        } else if (i == n_current || want[j].m.rowid < current[i]) {
            add[n_add++] = want[j++];
        } else {
            i++;
            j++;
        }
    }
    for (size_t k = 0; k < n_drop && rc == 0; k++)
        rc = delete_rows(g, SQL_MEMBER_DELETE_ROWID, NULL, drop[k]);
    for (size_t k = 0; k < n_add && rc == 0; k++)
        rc = insert_member(g, &add[k].m, add[k].value);
out:
    scim_free(want);
    scim_free(add);
    scim_free(current);
    scim_free(drop);
    return rc;
}

static int apply_changes(struct gw *g, const struct scim_members_change *changes, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        switch (changes[i].op) {
        case SCIM_MEMBERS_ADD:
            rc = add_members(g, changes[i].refs, changes[i].n);
            break;
        case SCIM_MEMBERS_REMOVE:
            rc = remove_members(g, changes[i].refs, changes[i].n);
            break;
        case SCIM_MEMBERS_REMOVE_ALL:
            rc = delete_rows(g, SQL_MEMBER_DELETE_ALL, NULL, 0);
            break;
        case SCIM_MEMBERS_SET:
            rc = set_members(g, changes[i].refs, changes[i].n);
            break;
        }
    }
    return rc;
}

/* The most skipped member ids one audit row names (the count is always there). */
#define AUDIT_SKIPPED_MAX 100

/*
 * Inserts the audit row of a membership write with what the write did, in its transaction: the
 * caller's diff (what was asked) gains "members_added" and "members_removed" (what changed:
 * 0 and 0 for a repeated PUT or an add of members already there) and, when the tenant skips
 * unknown members, "skipped_members" (the first AUDIT_SKIPPED_MAX ids) and "skipped_count". One
 * row per request, with the status it answers.
 */
static int audit_membership_write(struct conn *c, const struct scim_tenant *tenant,
                                  const struct scim_audit_entry *audit, const char *id,
                                  const struct scim_members_report *rep, struct scim_err *err)
{
    struct scim_audit_entry e = *audit;
    json_t *diff = audit->diff ? json_loads(audit->diff, 0, NULL) : NULL;
    if (!json_is_object(diff)) {
        json_decref(diff);
        diff = json_object();
    }
    json_object_set_new(diff, "members_added", json_integer((json_int_t)rep->added));
    json_object_set_new(diff, "members_removed", json_integer((json_int_t)rep->removed));
    if (rep->n_skipped > 0) {
        json_t *ids = json_array();
        for (size_t i = 0; i < rep->n_skipped && i < AUDIT_SKIPPED_MAX; i++)
            json_array_append_new(ids, json_string(rep->skipped[i]));
        json_object_set_new(diff, "skipped_members", ids);
        json_object_set_new(diff, "skipped_count", json_integer((json_int_t)rep->n_skipped));
    }
    char *text = scim_json_dump(diff, NULL);
    json_decref(diff);
    e.diff = text;
    int rc = scim_sqlite_audit_insert(c, tenant->id, &e, "Group", id, err);
    scim_free(text);
    return rc;
}

/* Hands the write's report to the caller (or drops it). */
static void report_take(struct gw *g, struct scim_members_report *report)
{
    if (report) {
        scim_members_report_clear(report);
        *report = g->rep;
    } else {
        scim_members_report_clear(&g->rep);
    }
    memset(&g->rep, 0, sizeof(g->rep));
}

static int sqlite_group_create(struct scim_store *st, const struct scim_tenant *tenant,
                               const json_t *doc, const struct scim_member_ref *refs, size_t n,
                               struct scim_resource *out, struct scim_members_report *report,
                               const struct scim_audit_entry *audit, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    char *text = scim_sqlite_doc_text(doc);
    char id[37];
    scim_uuid_v7(id);
    int64_t now = scim_time_now_ms();
    size_t ext_len, name_len;
    const char *ext = doc_string(doc, "externalId", &ext_len);
    const char *name = doc_string(doc, "displayName", &name_len);
    struct conn *c = scim_sqlite_writer_get(s);
    struct gw g = {.c = c, .tenant = tenant, .skip_unknown = -1, .err = err};
    int rc = 0;
    if (!text) {
        rc = scim_err_internal(err, "store: group document is not an encodable JSON object");
        goto out;
    }
    rc = scim_sqlite_begin(c, err);
    if (rc)
        goto out;
    rc = check_name(c, tenant, doc, 0, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = tenant_stmt(c, SQL_GROUP_INSERT, tenant, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 2, id) || bind_textn(q, 3, ext, ext_len) || bind_textn(q, 4, name, name_len) ||
        bind_i64(q, 5, now) || bind_text(q, 6, text)) {
        rc = scim_sqlite_fail(c, "bind", err);
        goto out;
    }
    rc = step_done(c, q, "insert group", err);
    if (rc)
        goto out;
    g.group_rowid = sqlite3_last_insert_rowid(scim_sqlite_conn_db(c));
    rc = add_members(&g, refs, n);
    if (rc)
        goto out;
    if (audit) {
        rc = audit_membership_write(c, tenant, audit, id, &g.rep, err);
        if (rc)
            goto out;
    }
    rc = scim_sqlite_commit(c, err);
    if (rc)
        goto out;
    if (out) {
        memset(out, 0, sizeof(*out));
        memcpy(out->id, id, sizeof(id));
        out->version = 1;
        out->created_ms = now;
        out->modified_ms = now;
        out->doc = json_deep_copy(doc);
    }
    report_take(&g, report);
out:
    scim_members_report_clear(&g.rep);
    scim_sqlite_conn_put(s, c);
    scim_free(text);
    return rc;
}

static int sqlite_group_modify(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *id, int64_t expected_version, const json_t *doc,
                               const struct scim_members_change *changes, size_t n_changes,
                               struct scim_resource *out, struct scim_members_report *report,
                               const struct scim_audit_entry *audit, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    char *text = doc ? scim_sqlite_doc_text(doc) : NULL;
    int64_t now = scim_time_now_ms();
    struct conn *c = scim_sqlite_writer_get(s);
    struct gw g = {.c = c, .tenant = tenant, .skip_unknown = -1, .err = err};
    struct scim_resource stored = {0};
    int rc = 0;
    if (doc && !text) {
        rc = scim_err_internal(err, "store: group document is not an encodable JSON object");
        goto out;
    }
    rc = scim_sqlite_begin(c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = tenant_stmt(c, SQL_GROUP_ROW, tenant, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 2, id)) {
        rc = scim_sqlite_fail(c, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        rc = scim_err_set(err, 404, NULL, "Resource %.100s not found", id);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = scim_sqlite_fail(c, "read group", err);
        goto out;
    }
    g.group_rowid = sqlite3_column_int64(q, 0);
    int64_t version = sqlite3_column_int64(q, 1);
    sqlite3_reset(q);
    if (expected_version >= 0 && version != expected_version) {
        rc = scim_err_set(err, 412, NULL,
                          "The resource was modified (version %" PRId64 "); fetch it again",
                          version);
        goto out;
    }
    if (doc) {
        size_t ext_len, name_len;
        const char *ext = doc_string(doc, "externalId", &ext_len);
        const char *name = doc_string(doc, "displayName", &name_len);
        rc = check_name(c, tenant, doc, g.group_rowid, err);
        if (rc)
            goto out;
        q = scim_sqlite_stmt(c, SQL_GROUP_UPDATE, err);
        if (!q) {
            rc = SCIM_ERR;
            goto out;
        }
        if (bind_i64(q, 1, g.group_rowid) || bind_textn(q, 2, ext, ext_len) ||
            bind_textn(q, 3, name, name_len) || bind_i64(q, 4, now) || bind_text(q, 5, text)) {
            rc = scim_sqlite_fail(c, "bind", err);
            goto out;
        }
        rc = step_done(c, q, "update group", err);
        if (rc)
            goto out;
    }
    rc = apply_changes(&g, changes, n_changes);
    if (rc)
        goto out;
    if (!doc && (g.rep.added || g.rep.removed)) {
        q = scim_sqlite_stmt(c, SQL_GROUP_TOUCH, err);
        if (!q) {
            rc = SCIM_ERR;
            goto out;
        }
        if (bind_i64(q, 1, g.group_rowid) || bind_i64(q, 2, now)) {
            rc = scim_sqlite_fail(c, "bind", err);
            goto out;
        }
        rc = step_done(c, q, "bump group version", err);
        if (rc)
            goto out;
    }
    if (audit) {
        rc = audit_membership_write(c, tenant, audit, id, &g.rep, err);
        if (rc)
            goto out;
    }
    if (out) {
        rc = read_row(c, g.group_rowid, &stored, err);
        if (rc)
            goto out;
    }
    rc = scim_sqlite_commit(c, err);
    if (rc)
        goto out;
    if (out) {
        *out = stored;
        memset(&stored, 0, sizeof(stored));
    }
    report_take(&g, report);
out:
    scim_resource_clear(&stored);
    scim_members_report_clear(&g.rep);
    scim_sqlite_conn_put(s, c);
    scim_free(text);
    return rc;
}

/* ---- rendering: members, groups, roles ----------------------------------------------------- */

/* Runs one of the statements that take (tenant, id) and read membership rows for rendering. */
static sqlite3_stmt *membership_stmt(struct conn *c, const char *sql,
                                     const struct scim_tenant *tenant, const char *id,
                                     struct scim_err *err)
{
    sqlite3_stmt *q = tenant_stmt(c, sql, tenant, err);
    if (q && bind_text(q, 2, id)) {
        scim_sqlite_fail(c, "bind", err);
        return NULL;
    }
    if (q)
        atomic_fetch_add(&membership_reads, 1);
    return q;
}

/* *out: new array of {value, type, display} for the members of the live group id (empty when
 * it has none or does not exist). */
static int read_members(struct conn *c, const struct scim_tenant *tenant, const char *id,
                        json_t **out, struct scim_err *err)
{
    sqlite3_stmt *q = membership_stmt(c, SQL_DERIVE_MEMBERS, tenant, id, err);
    if (!q)
        return SCIM_ERR;
    json_t *members = json_array();
    int step;
    /* A full GET of a 100,000-member group builds this many objects: keys are constants and
     * the texts come from documents validated on write, so jansson's checks are skipped. */
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *m = json_object();
        json_object_set_new_nocheck(m, "value", column_text_nocheck(q, 0));
        json_object_set_new_nocheck(m, "type", column_text_nocheck(q, 1));
        if (sqlite3_column_type(q, 2) == SQLITE_TEXT)
            json_object_set_new_nocheck(m, "display", column_text_nocheck(q, 2));
        json_array_append_new(members, m);
    }
    if (step != SQLITE_DONE) {
        json_decref(members);
        return scim_sqlite_fail(c, "read members", err);
    }
    *out = members;
    return 0;
}

/* What the rows say about one user (read_user). Release with user_rows_clear. */
struct user_rows {
    bool exists;
    json_t *groups; /* owned array of {value, display, type direct|indirect} */
    json_t *grants; /* owned array of [role, group id, priority] */
    char default_role[SCIM_ROLE_MAX + 1];
};

static void user_rows_clear(struct user_rows *u)
{
    json_decref(u->groups);
    json_decref(u->grants);
    memset(u, 0, sizeof(*u));
}

static int walk_rowid_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int read_user(struct conn *c, const struct scim_tenant *tenant, const char *id,
                     struct user_rows *u, struct scim_err *err)
{
    struct walk w = {0};
    int64_t *order = NULL;
    bool found;
    memset(u, 0, sizeof(*u));
    snprintf(u->default_role, sizeof(u->default_role), "%s", SCIM_ROLE_DEFAULT);
    u->groups = json_array();
    u->grants = json_array();
    int rc = 0;
    sqlite3_stmt *q = membership_stmt(c, SQL_USER_ME, tenant, id, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    int64_t me = 0;
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (!u->exists && sqlite3_column_type(q, 1) != SQLITE_NULL)
            scim_sqlite_copy_column(u->default_role, sizeof(u->default_role), q, 1);
        u->exists = true;
        me = sqlite3_column_int64(q, 0);
        if (sqlite3_column_type(q, 2) != SQLITE_NULL)
            walk_add(&w, sqlite3_column_int64(q, 2), true);
    }
    if (step != SQLITE_DONE) {
        rc = scim_sqlite_fail(c, "read user", err);
        goto out;
    }
    sqlite3_reset(q);
    if (w.n == 0)
        goto out;
    rc = walk_up(c, tenant, me, 0, true, &w, &found, err);
    if (rc)
        goto out;
    /* Groups in creation order; each with its id, displayName and the roles it grants. */
    order = scim_calloc(w.n, sizeof(*order));
    memcpy(order, w.rowid, w.n * sizeof(*order));
    qsort(order, w.n, sizeof(*order), walk_rowid_cmp);
    for (size_t k = 0; k < w.n; k++) {
        bool direct = false;
        for (size_t i = 0; i < w.n; i++)
            if (w.rowid[i] == order[k])
                direct = w.direct[i];
        q = tenant_stmt(c, SQL_GROUP_GRANTS, tenant, err);
        if (!q) {
            rc = SCIM_ERR;
            goto out;
        }
        if (bind_i64(q, 2, order[k])) {
            rc = scim_sqlite_fail(c, "bind", err);
            goto out;
        }
        bool first = true;
        while ((step = sqlite3_step(q)) == SQLITE_ROW) {
            if (first) {
                json_t *g = json_object();
                json_object_set_new(g, "value", scim_sqlite_column_text(q, 0));
                if (sqlite3_column_type(q, 1) == SQLITE_TEXT)
                    json_object_set_new(g, "display", scim_sqlite_column_text(q, 1));
                json_object_set_new(g, "type", json_string(direct ? "direct" : "indirect"));
                json_array_append_new(u->groups, g);
                first = false;
            }
            if (sqlite3_column_type(q, 2) != SQLITE_NULL)
                json_array_append_new(u->grants, json_pack("[o,o,I]", scim_sqlite_column_text(q, 2),
                                                           scim_sqlite_column_text(q, 0),
                                                           (json_int_t)sqlite3_column_int64(q, 3)));
        }
        if (step != SQLITE_DONE) {
            rc = scim_sqlite_fail(c, "read a group of a user", err);
            goto out;
        }
        sqlite3_reset(q);
    }
out:
    scim_free(order);
    walk_clear(&w);
    return rc;
}

/* The rows of u as the JSON scim_store_derived_apply reads (new reference). */
static json_t *user_rows_json(const struct user_rows *u)
{
    return json_pack("{s:O, s:O, s:s}", "groups", u->groups, "grants", u->grants, "default_role",
                     u->default_role);
}

json_t *scim_sqlite_user_derived(struct conn *c, const struct scim_tenant *tenant, const char *id,
                                 struct scim_err *err)
{
    struct user_rows u;
    json_t *derived = NULL;
    if (read_user(c, tenant, id, &u, err) == 0)
        derived = user_rows_json(&u);
    user_rows_clear(&u);
    return derived;
}

/* Adds what `what` asks for to doc, the document of the resource id (user or group). */
static int derive_one(struct conn *c, const struct scim_tenant *tenant, bool group, const char *id,
                      json_t *doc, unsigned what, struct scim_err *err)
{
    int rc = 0;
    if (group) {
        json_t *members = NULL;
        rc = read_members(c, tenant, id, &members, err);
        if (rc == 0 && json_array_size(members) > 0)
            scim_json_set_before_meta(doc, "members", json_incref(members));
        json_decref(members);
        return rc;
    }
    struct user_rows u;
    rc = read_user(c, tenant, id, &u, err);
    if (rc == 0 && u.exists) {
        json_t *derived = user_rows_json(&u);
        scim_store_derived_apply(derived, doc, what);
        json_decref(derived);
    }
    user_rows_clear(&u);
    return rc;
}

static int sqlite_derive(struct scim_store *st, const struct scim_tenant *tenant,
                         const char *rt_name, const char *const *ids, json_t *const *docs, size_t n,
                         unsigned what, struct scim_err *err)
{
    bool group = strcmp(rt_name, "Group") == 0, user = strcmp(rt_name, "User") == 0;
    unsigned w = what & (group  ? SCIM_DERIVE_MEMBERS
                         : user ? (SCIM_DERIVE_GROUPS | SCIM_DERIVE_ROLES)
                                : 0u);
    if (!w || n == 0)
        return 0;
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_conn_get(s);
    /* One statement per resource; a page of several reads one snapshot. */
    int rc = n > 1 ? begin_read(c, err) : 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = derive_one(c, tenant, group, ids[i], docs[i], w, err);
    if (rc == 0 && n > 1)
        rc = scim_sqlite_commit(c, err);
    scim_sqlite_conn_put(s, c);
    return rc;
}

static int sqlite_user_roles(struct scim_store *st, const struct scim_tenant *tenant,
                             const char *id, json_t **out, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_conn_get(s);
    struct user_rows u = {0};
    json_t *doc = NULL;
    int rc = begin_read(c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = tenant_stmt(c, SQL_USER_ROW, tenant, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 2, id)) {
        rc = scim_sqlite_fail(c, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        rc = scim_err_set(err, 404, NULL, "User %.100s not found", id);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = scim_sqlite_fail(c, "read user", err);
        goto out;
    }
    const char *text = (const char *)sqlite3_column_text(q, 1);
    doc = text ? json_loadb(text, (size_t)sqlite3_column_bytes(q, 1), JSON_ALLOW_NUL, NULL) : NULL;
    sqlite3_reset(q);
    rc = read_user(c, tenant, id, &u, err);
    if (rc)
        goto out;
    rc = scim_sqlite_commit(c, err);
    if (rc)
        goto out;
    json_t *derived = user_rows_json(&u);
    *out = scim_store_derived_roles(derived, doc);
    json_decref(derived);
out:
    user_rows_clear(&u);
    json_decref(doc);
    scim_sqlite_conn_put(s, c);
    return rc;
}

/* ---- role mappings --------------------------------------------------------------------------- */

/* A group named by id or displayName, resolved inside the caller's transaction. */
struct named_group {
    int64_t rowid;
    char id[40];
};

static int group_resolve(struct conn *c, const struct scim_tenant *tenant, const char *group,
                         struct named_group *out, struct scim_err *err)
{
    sqlite3_stmt *q = tenant_stmt(c, SQL_GROUP_RESOLVE, tenant, err);
    if (!q)
        return SCIM_ERR;
    if (bind_text(q, 2, group))
        return scim_sqlite_fail(c, "bind", err);
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE)
        return scim_err_set(err, 404, NULL,
                            "No group of this tenant has the id or displayName '%.200s'", group);
    if (step != SQLITE_ROW)
        return scim_sqlite_fail(c, "find group", err);
    out->rowid = sqlite3_column_int64(q, 0);
    scim_sqlite_copy_column(out->id, sizeof(out->id), q, 1);
    sqlite3_reset(q);
    return 0;
}

/*
 * *out: new array of mappings {group, displayName, roles, priority} of the tenant, or of the one
 * group at rowid (0: all), read inside the caller's transaction.
 */
static int mappings_read(struct conn *c, const struct scim_tenant *tenant, int64_t rowid,
                         json_t **out, struct scim_err *err)
{
    sqlite3_stmt *q = tenant_stmt(c, SQL_MAPPING_LIST, tenant, err);
    if (!q)
        return SCIM_ERR;
    if (rowid ? bind_i64(q, 2, rowid) : sqlite3_bind_null(q, 2))
        return scim_sqlite_fail(c, "bind", err);
    json_t *list = json_array();
    json_t *cur = NULL;
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *gid = (const char *)sqlite3_column_text(q, 0);
        if (!cur || strcmp(json_string_value(json_object_get(cur, "group")), gid ? gid : "") != 0) {
            cur = json_object();
            json_object_set_new(cur, "group", scim_sqlite_column_text(q, 0));
            json_object_set_new(cur, "displayName", scim_sqlite_column_text(q, 1));
            json_object_set_new(cur, "roles", json_array());
            json_object_set_new(cur, "priority", json_integer(sqlite3_column_int64(q, 3)));
            json_array_append_new(list, cur);
        }
        json_array_append_new(json_object_get(cur, "roles"), scim_sqlite_column_text(q, 2));
    }
    if (step != SQLITE_DONE) {
        json_decref(list);
        return scim_sqlite_fail(c, "list role mappings", err);
    }
    *out = list;
    return 0;
}

static int sqlite_role_mapping_set(struct scim_store *st, const struct scim_tenant *tenant,
                                   const char *group, const char *const *roles, size_t n,
                                   int64_t priority, json_t **out,
                                   const struct scim_audit_entry *audit, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_writer_get(s);
    struct named_group g;
    json_t *list = NULL;
    int rc = scim_sqlite_begin(c, err);
    if (rc)
        goto out;
    rc = group_resolve(c, tenant, group, &g, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = tenant_stmt(c, SQL_MAPPING_DELETE, tenant, err);
    if (!q || bind_i64(q, 2, g.rowid)) {
        rc = q ? scim_sqlite_fail(c, "bind", err) : SCIM_ERR;
        goto out;
    }
    rc = step_done(c, q, "delete role mapping", err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        q = tenant_stmt(c, SQL_MAPPING_INSERT, tenant, err);
        if (!q || bind_i64(q, 2, g.rowid) || bind_text(q, 3, roles[i]) ||
            bind_i64(q, 4, priority)) {
            rc = q ? scim_sqlite_fail(c, "bind", err) : SCIM_ERR;
            goto out;
        }
        rc = step_done(c, q, "insert role mapping", err);
    }
    if (rc)
        goto out;
    if (audit) {
        rc = scim_sqlite_audit_insert(c, tenant->id, audit, "RoleMapping", g.id, err);
        if (rc)
            goto out;
    }
    if (out) {
        rc = mappings_read(c, tenant, g.rowid, &list, err);
        if (rc)
            goto out;
    }
    rc = scim_sqlite_commit(c, err);
    if (rc)
        goto out;
    if (out) {
        *out = json_incref(json_array_get(list, 0));
        if (!*out)
            *out = json_pack("{s:s,s:n,s:[],s:I}", "group", g.id, "displayName", "roles",
                             "priority", (json_int_t)priority);
    }
out:
    json_decref(list);
    scim_sqlite_conn_put(s, c);
    return rc;
}

static int sqlite_role_mapping_remove(struct scim_store *st, const struct scim_tenant *tenant,
                                      const char *group, const struct scim_audit_entry *audit,
                                      struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_writer_get(s);
    struct named_group g;
    int rc = scim_sqlite_begin(c, err);
    if (rc)
        goto out;
    rc = group_resolve(c, tenant, group, &g, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = tenant_stmt(c, SQL_MAPPING_DELETE, tenant, err);
    if (!q || bind_i64(q, 2, g.rowid)) {
        rc = q ? scim_sqlite_fail(c, "bind", err) : SCIM_ERR;
        goto out;
    }
    rc = step_done(c, q, "delete role mapping", err);
    if (rc)
        goto out;
    if (sqlite3_changes(scim_sqlite_conn_db(c)) == 0) {
        rc = scim_err_set(err, 404, NULL, "Group '%.200s' has no role mapping", group);
        goto out;
    }
    if (audit) {
        rc = scim_sqlite_audit_insert(c, tenant->id, audit, "RoleMapping", g.id, err);
        if (rc)
            goto out;
    }
    rc = scim_sqlite_commit(c, err);
out:
    scim_sqlite_conn_put(s, c);
    return rc;
}

static int sqlite_role_mapping_list(struct scim_store *st, const struct scim_tenant *tenant,
                                    json_t **out, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_conn_get(s);
    json_t *list = NULL;
    int rc = mappings_read(c, tenant, 0, &list, err);
    if (rc == 0)
        *out = list;
    scim_sqlite_conn_put(s, c);
    return rc;
}

/* ---- tenant settings ------------------------------------------------------------------------ */

static int sqlite_tenant_setting_set(struct scim_store *st, const struct scim_tenant *tenant,
                                     const char *name, const char *value, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_writer_get(s);
    int rc = scim_sqlite_begin(c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = tenant_stmt(c, value ? SQL_SETTING_SET : SQL_SETTING_DELETE, tenant, err);
    if (!q || bind_text(q, 2, name) || (value && bind_text(q, 3, value))) {
        rc = q ? scim_sqlite_fail(c, "bind", err) : SCIM_ERR;
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_CONSTRAINT_FOREIGNKEY) {
        rc = scim_err_set(err, 404, NULL, "Tenant '%.64s' not found", tenant->name);
        goto out;
    }
    if (step != SQLITE_DONE) {
        rc = scim_sqlite_fail(c, "write tenant setting", err);
        goto out;
    }
    rc = scim_sqlite_commit(c, err);
out:
    scim_sqlite_conn_put(s, c);
    return rc;
}

static int sqlite_tenant_settings(struct scim_store *st, const struct scim_tenant *tenant,
                                  json_t **out, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_conn_get(s);
    json_t *settings = json_object();
    int rc = 0;
    sqlite3_stmt *q = tenant_stmt(c, SQL_SETTINGS_LIST, tenant, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        if (name)
            json_object_set_new(settings, name, scim_sqlite_column_text(q, 1));
    }
    if (step != SQLITE_DONE) {
        rc = scim_sqlite_fail(c, "list tenant settings", err);
        goto out;
    }
    *out = settings;
    settings = NULL;
out:
    json_decref(settings);
    scim_sqlite_conn_put(s, c);
    return rc;
}

/* ---- deletes ----------------------------------------------------------------------------- */

int scim_sqlite_groups_on_delete(struct conn *c, const struct scim_tenant *tenant, int64_t rowid,
                                 int64_t now_ms, struct scim_err *err)
{
    static const char *const sql[] = {SQL_PARENTS_TOUCH, SQL_MEMBER_OF_DELETE,
                                      SQL_MEMBER_DELETE_ALL, SQL_MAPPING_DELETE};
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        sqlite3_stmt *q = tenant_stmt(c, sql[i], tenant, err);
        if (!q)
            return SCIM_ERR;
        if (bind_i64(q, 2, rowid) || (i == 0 && bind_i64(q, 3, now_ms)))
            return scim_sqlite_fail(c, "bind", err);
        int rc = step_done(c, q, "remove memberships", err);
        if (rc)
            return rc;
    }
    return 0;
}

const struct scim_store_group_ops scim_sqlite_group_ops = {
    .group_create = sqlite_group_create,
    .group_modify = sqlite_group_modify,
    .derive = sqlite_derive,
    .user_roles = sqlite_user_roles,
    .role_mapping_set = sqlite_role_mapping_set,
    .role_mapping_remove = sqlite_role_mapping_remove,
    .role_mapping_list = sqlite_role_mapping_list,
    .tenant_setting_set = sqlite_tenant_setting_set,
    .tenant_settings = sqlite_tenant_settings,
};
