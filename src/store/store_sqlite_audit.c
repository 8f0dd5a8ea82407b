/*
 * store_sqlite_audit — the SQLite side of the audit log and of OAuth 2.0 clients (migration
 * 003_audit.sql): audit rows inserted inside a write's transaction (scim_sqlite_audit_insert,
 * called by store_sqlite.c) or appended in batches after the fact, the newest-first audit search
 * with keyset cursors, retention pruning in small transactions, and the oauth_clients table of
 * the client-credentials grant (RFC 6749 §4.4) whose revocation revokes the client's access
 * tokens in the same transaction.
 * Owns: all SQL against the audit and oauth_clients tables. Must not: know HTTP, compute diffs or
 * redact anything (the daemon hands in rows that hold no secret), or touch the connection pool
 * other than through store_sqlite_internal.h.
 */
#include "store_sqlite_internal.h"

#include "mem.h"
#include "resource.h"
#include "text.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Rows deleted per pruning transaction: small enough that a writer never waits long. */
#define PRUNE_BATCH 2000
/* The default audit page when the query's limit is out of range. */
#define DEFAULT_PAGE 100
/* Bytes of a decoded audit cursor: time_ms and id, 8 bytes each, big-endian. */
#define CURSOR_BYTES 16

static const char SQL_AUDIT_INSERT[] =
    "INSERT INTO audit(tenant_id, time_ms, actor, method, path, resource_type, resource_id, "
    "status, request_id, diff, dialect) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

static const char SQL_AUDIT_PRUNE[] = "DELETE FROM audit WHERE id IN "
                                      "(SELECT id FROM audit WHERE time_ms < ?1 LIMIT ?2)";

static const char SQL_TOKENS_PRUNE[] =
    "DELETE FROM tokens WHERE rowid IN (SELECT rowid FROM tokens WHERE client_id IS NOT NULL "
    "AND expires_ms < ?1 LIMIT ?2)";

static const char SQL_CLIENT_INSERT[] =
    "INSERT INTO oauth_clients(id, tenant_id, secret_hash, description, scopes, created_ms, "
    "revoked_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

static const char SQL_CLIENT_GET[] =
    "SELECT c.id, c.tenant_id, n.name, c.description, c.scopes, c.created_ms, c.revoked_ms, "
    "c.secret_hash FROM oauth_clients c JOIN tenants n ON n.id = c.tenant_id WHERE c.id = ?1";

static const char SQL_CLIENT_LIST[] =
    "SELECT c.id, n.name, c.description, c.scopes, c.created_ms, c.revoked_ms "
    "FROM oauth_clients c JOIN tenants n ON n.id = c.tenant_id "
    "WHERE ?1 IS NULL OR c.tenant_id = ?1 ORDER BY c.rowid";

static const char SQL_CLIENT_REVOKE[] =
    "UPDATE oauth_clients SET revoked_ms = coalesce(revoked_ms, ?2) "
    "WHERE id = ?1 AND (?3 IS NULL OR tenant_id = ?3)";

static const char SQL_CLIENT_TOKENS_REVOKE[] =
    "UPDATE tokens SET revoked_ms = ?2 WHERE client_id = ?1 AND revoked_ms IS NULL";

/* ---- small helpers ------------------------------------------------------------------------- */

static int bind_text(sqlite3_stmt *q, int i, const char *s)
{
    return s ? sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(q, i);
}

/* Binds v, or NULL when v is 0 ("none" / "never"). */
static int bind_i64_or_null(sqlite3_stmt *q, int i, int64_t v)
{
    return v ? sqlite3_bind_int64(q, i, v) : sqlite3_bind_null(q, i);
}

/* Length of a NUL-terminated field of a fixed-size array; false when it has no NUL or is not
 * UTF-8 (the record then cannot be stored). */
static bool field_ok(const char *field, size_t size)
{
    size_t n = strnlen(field, size);
    return n < size && scim_text_valid_utf8(field, n);
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* ---- audit rows ---------------------------------------------------------------------------- */

/* Binds and runs SQL_AUDIT_INSERT for e on c (inside the caller's transaction). */
static int insert_row(struct conn *c, int64_t tenant_id, const struct scim_audit_entry *e,
                      const char *rt_name, const char *id, struct scim_err *err)
{
    sqlite3_stmt *q = scim_sqlite_stmt(c, SQL_AUDIT_INSERT, err);
    if (!q)
        return SCIM_ERR;
    const char *type = e->resource_type ? e->resource_type : rt_name;
    const char *rid = e->resource_id ? e->resource_id : id;
    if (bind_i64_or_null(q, 1, tenant_id) || sqlite3_bind_int64(q, 2, e->time_ms) ||
        bind_text(q, 3, e->actor ? e->actor : "anonymous") ||
        bind_text(q, 4, e->method ? e->method : "-") || bind_text(q, 5, e->path ? e->path : "-") ||
        bind_text(q, 6, type) || bind_text(q, 7, rid) || sqlite3_bind_int(q, 8, e->status) ||
        bind_text(q, 9, e->request_id ? e->request_id : "-") || bind_text(q, 10, e->diff) ||
        bind_text(q, 11, e->dialect && e->dialect[0] ? e->dialect : NULL))
        return scim_sqlite_fail(c, "bind audit row", err);
    if (sqlite3_step(q) != SQLITE_DONE)
        return scim_sqlite_fail(c, "insert audit row", err);
    return 0;
}

int scim_sqlite_audit_insert(struct conn *c, int64_t tenant_id, const struct scim_audit_entry *e,
                             const char *rt_name, const char *id, struct scim_err *err)
{
    return insert_row(c, tenant_id, e, rt_name, id, err);
}

int scim_sqlite_audit_append(struct scim_store *st, const struct scim_audit_entry *entries,
                             size_t n, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_writer_get(s);
    int rc = scim_sqlite_begin(c, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < n; i++) {
        rc = insert_row(c, entries[i].tenant_id, &entries[i], NULL, NULL, err);
        if (rc)
            goto out;
    }
    rc = scim_sqlite_commit(c, err);
out:
    scim_sqlite_conn_put(s, c);
    return rc;
}

/* Encodes the position (time_ms, id) of a row as an opaque cursor (new string, scim_free). */
static char *cursor_encode(int64_t time_ms, int64_t id)
{
    unsigned char raw[CURSOR_BYTES];
    put_u64(raw, (uint64_t)time_ms);
    put_u64(raw + 8, (uint64_t)id);
    size_t len = sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *text = scim_malloc(len);
    sodium_bin2base64(text, len, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return text;
}

static int cursor_decode(const char *text, int64_t *time_ms, int64_t *id, struct scim_err *err)
{
    unsigned char raw[CURSOR_BYTES];
    size_t len = 0;
    const char *end = NULL;
    if (sodium_base642bin(raw, sizeof(raw), text, strlen(text), NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != CURSOR_BYTES || !end || *end != '\0')
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "cursor is not a next_cursor this server issued; start without it");
    *time_ms = (int64_t)get_u64(raw);
    *id = (int64_t)get_u64(raw + 8);
    return 0;
}

/* Parameter numbers of the generated search statement. */
enum {
    P_TENANT = 1,
    P_SINCE,
    P_UNTIL,
    P_ACTOR,
    P_RESOURCE,
    P_AFTER_TIME,
    P_AFTER_ID,
    P_LIMIT,
    P_BUCKET
};

/* The columns row_json reads, and the table they come from. */
#define ROW_COLUMNS                                                                                \
    "SELECT a.id, a.time_ms, n.name, a.actor, a.method, a.path, a.resource_type, a.resource_id, "  \
    "a.status, a.request_id, a.diff, a.dialect FROM audit a LEFT JOIN tenants n ON n.id = "        \
    "a.tenant_id"

/* Low bits of a row id that the resource index drops: its bucket is id >> BUCKET_BITS
 * (migration 006; the expression must be written exactly so for SQLite to use the index). */
#define BUCKET_BITS 12
#define TEXT_OF(x) #x
#define TEXT_OF_VALUE(x) TEXT_OF(x)
#define BUCKET_SQL "(a.id >> " TEXT_OF_VALUE(BUCKET_BITS) ")"

/* Writes the WHERE clause of the conditions present into where. */
static void search_where(const struct scim_tenant *tenant, const struct scim_audit_query *query,
                         bool after, char *where, size_t size)
{
    size_t len = 0;
    where[0] = '\0';
#define COND(present, text)                                                                        \
    do {                                                                                           \
        if (present)                                                                               \
            len += (size_t)snprintf(where + len, size - len, "%s%s", len ? " AND " : " WHERE ",    \
                                    (text));                                                       \
    } while (0)
    COND(tenant != NULL, "a.tenant_id = ?1");
    COND(query->since_ms > 0, "a.time_ms >= ?2");
    COND(query->until_ms > 0, "a.time_ms < ?3");
    COND(query->actor != NULL, "a.actor = ?4");
    COND(query->resource_id != NULL, BUCKET_SQL " = ?9 AND a.resource_id = ?5");
    COND(after, "(a.time_ms, a.id) < (?6, ?7)");
#undef COND
}

/* Builds the search SQL for the conditions present (a handful of variants, each cached). With a
 * resource, the statement reads one bucket of the resource index: ids and times only. */
static char *search_sql(const struct scim_tenant *tenant, const struct scim_audit_query *query,
                        bool after)
{
    char where[512];
    search_where(tenant, query, after, where, sizeof(where));
    if (query->resource_id)
        return scim_asprintf("SELECT a.id, a.time_ms FROM audit a%s", where);
    return scim_asprintf(ROW_COLUMNS "%s ORDER BY a.time_ms DESC, a.id DESC LIMIT ?8", where);
}

/* Binds the parameters the statement names (others would be out of range). */
static int search_bind(sqlite3_stmt *q, const struct scim_tenant *tenant,
                       const struct scim_audit_query *query, bool after, int64_t after_time,
                       int64_t after_id, int64_t limit)
{
    return (tenant && sqlite3_bind_int64(q, P_TENANT, tenant->id)) ||
           (query->since_ms > 0 && sqlite3_bind_int64(q, P_SINCE, query->since_ms)) ||
           (query->until_ms > 0 && sqlite3_bind_int64(q, P_UNTIL, query->until_ms)) ||
           (query->actor && bind_text(q, P_ACTOR, query->actor)) ||
           (query->resource_id && bind_text(q, P_RESOURCE, query->resource_id)) ||
           (after && (sqlite3_bind_int64(q, P_AFTER_TIME, after_time) ||
                      sqlite3_bind_int64(q, P_AFTER_ID, after_id))) ||
           (!query->resource_id && sqlite3_bind_int64(q, P_LIMIT, limit));
}

/* Returns a new reference: one search row as the JSON object store.h describes. */
static json_t *row_json(sqlite3_stmt *q)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(sqlite3_column_int64(q, 0)));
    json_object_set_new(o, "time", scim_sqlite_column_time(q, 1));
    json_object_set_new(o, "tenant", scim_sqlite_column_text(q, 2));
    json_object_set_new(o, "actor", scim_sqlite_column_text(q, 3));
    /* The same under the name host applications use for it ("scim-key:<tokenId>"). */
    json_object_set_new(o, "actorEmail", scim_sqlite_column_text(q, 3));
    json_object_set_new(o, "method", scim_sqlite_column_text(q, 4));
    json_object_set_new(o, "path", scim_sqlite_column_text(q, 5));
    json_object_set_new(o, "resource_type", scim_sqlite_column_text(q, 6));
    json_object_set_new(o, "resource_id", scim_sqlite_column_text(q, 7));
    json_object_set_new(o, "status", json_integer(sqlite3_column_int64(q, 8)));
    json_object_set_new(o, "request_id", scim_sqlite_column_text(q, 9));
    const char *diff = (const char *)sqlite3_column_text(q, 10);
    json_t *d = diff ? json_loadb(diff, (size_t)sqlite3_column_bytes(q, 10), 0, NULL) : NULL;
    json_object_set_new(o, "diff", json_is_object(d) ? d : json_null());
    if (d && !json_is_object(d))
        json_decref(d);
    json_t *rules = json_array();
    const char *dialect = (const char *)sqlite3_column_text(q, 11);
    while (dialect && *dialect) {
        size_t n = strcspn(dialect, ",");
        if (n > 0)
            json_array_append_new(rules, json_stringn(dialect, n));
        dialect += n;
        if (*dialect == ',')
            dialect++;
    }
    json_object_set_new(o, "dialect", rules);
    return o;
}

/* A row found by resource: its position in the listing order. */
struct found {
    int64_t time_ms, id;
};

/* Newest first: time, then id, descending. */
static int found_newest_first(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    if (x->time_ms != y->time_ms)
        return x->time_ms < y->time_ms ? 1 : -1;
    return x->id < y->id ? 1 : (x->id > y->id ? -1 : 0);
}

/* The rows of one resource, newest first (inside the caller's read transaction): one seek per
 * bucket of the resource index, from the newest bucket to the oldest, collecting the position of
 * every match; then the first limit of them in listing order, read in full (one more sets *more).
 * A row id's order and its time's differ by the few milliseconds a queued row waits, so every
 * bucket is read. */
static int search_resource(struct conn *c, sqlite3_stmt *q, json_t *list, int64_t limit,
                           struct found *last, bool *more, struct scim_err *err)
{
    int rc = 0;
    struct found *found = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *range = scim_sqlite_stmt(c, "SELECT min(id), max(id) FROM audit", err);
    if (!range)
        return SCIM_ERR;
    if (sqlite3_step(range) != SQLITE_ROW) {
        rc = scim_sqlite_fail(c, "audit id range", err);
        goto out;
    }
    /* An empty log: both are NULL, read as 0, and bucket 0 is simply empty. */
    int64_t low = sqlite3_column_int64(range, 0) >> BUCKET_BITS;
    int64_t high = sqlite3_column_int64(range, 1) >> BUCKET_BITS;
    for (int64_t bucket = high; bucket >= low; bucket--) {
        sqlite3_reset(q);
        if (sqlite3_bind_int64(q, P_BUCKET, bucket)) {
            rc = scim_sqlite_fail(c, "bind audit bucket", err);
            goto out;
        }
        int step;
        while ((step = sqlite3_step(q)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                found = scim_realloc(found, cap * sizeof(*found));
            }
            found[n].id = sqlite3_column_int64(q, 0);
            found[n].time_ms = sqlite3_column_int64(q, 1);
            n++;
        }
        if (step != SQLITE_DONE) {
            rc = scim_sqlite_fail(c, "audit search by resource", err);
            goto out;
        }
    }
    if (n > 1)
        qsort(found, n, sizeof(*found), found_newest_first);
    *more = (int64_t)n > limit;
    sqlite3_stmt *row = scim_sqlite_stmt(c, ROW_COLUMNS " WHERE a.id = ?1", err);
    if (!row) {
        rc = SCIM_ERR;
        goto out;
    }
    for (size_t i = 0; i < n && (int64_t)i < limit; i++) {
        sqlite3_reset(row);
        if (sqlite3_bind_int64(row, 1, found[i].id) || sqlite3_step(row) != SQLITE_ROW) {
            rc = scim_sqlite_fail(c, "audit row by id", err);
            goto out;
        }
        json_array_append_new(list, row_json(row));
        *last = found[i];
    }
out:
    scim_free(found);
    return rc;
}

/* The rows of the other searches, newest first, from the statement's own ORDER BY. */
static int search_rows(struct conn *c, sqlite3_stmt *q, json_t *list, int64_t limit,
                       struct found *last, bool *more, struct scim_err *err)
{
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if ((int64_t)json_array_size(list) == limit) {
            *more = true;
            return 0;
        }
        last->id = sqlite3_column_int64(q, 0);
        last->time_ms = sqlite3_column_int64(q, 1);
        json_array_append_new(list, row_json(q));
    }
    if (step != SQLITE_DONE)
        return scim_sqlite_fail(c, "audit search", err);
    return 0;
}

int scim_sqlite_audit_query(struct scim_store *st, const struct scim_tenant *tenant,
                            const struct scim_audit_query *query, json_t **entries,
                            char **next_cursor, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    int64_t limit =
        query->limit >= 1 && query->limit <= SCIM_AUDIT_PAGE_MAX ? query->limit : DEFAULT_PAGE;
    int64_t after_time = 0, after_id = 0;
    bool after = query->cursor && query->cursor[0];
    if (after) {
        int rc = cursor_decode(query->cursor, &after_time, &after_id, err);
        if (rc)
            return rc;
    }
    char *sql = search_sql(tenant, query, after);
    json_t *list = json_array();
    struct conn *c = scim_sqlite_conn_get(s);
    int rc = scim_sqlite_begin_read(c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = scim_sqlite_stmt(c, sql, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (search_bind(q, tenant, query, after, after_time, after_id, limit + 1)) {
        rc = scim_sqlite_fail(c, "bind audit search", err);
        goto out;
    }
    struct found last = {0};
    bool more = false;
    rc = query->resource_id ? search_resource(c, q, list, limit, &last, &more, err)
                            : search_rows(c, q, list, limit, &last, &more, err);
    if (rc)
        goto out;
    rc = scim_sqlite_commit(c, err);
    if (rc)
        goto out;
    /* More rows than the page: the next page starts after the last row kept. */
    *next_cursor = more ? cursor_encode(last.time_ms, last.id) : NULL;
    *entries = list;
    list = NULL;
out:
    scim_sqlite_conn_put(s, c);
    json_decref(list);
    scim_free(sql);
    return rc;
}

/*
 * Runs a batched DELETE (sql with ?1 the time bound, ?2 the batch size), one transaction per
 * batch, until a batch deletes fewer rows than it may or *budget (rows still allowed; < 0: no
 * bound) is spent; *total counts the rows deleted.
 */
static int prune_batches(struct sqlite_store *s, const char *sql, int64_t before_ms,
                         int64_t *budget, int64_t *total, struct scim_err *err)
{
    int rc = 0;
    while (*budget != 0) {
        int batch = *budget > 0 && *budget < PRUNE_BATCH ? (int)*budget : PRUNE_BATCH;
        struct conn *c = scim_sqlite_writer_get(s);
        int changes = 0;
        rc = scim_sqlite_begin(c, err);
        if (rc == 0) {
            sqlite3_stmt *q = scim_sqlite_stmt(c, sql, err);
            if (!q)
                rc = SCIM_ERR;
            else if (sqlite3_bind_int64(q, 1, before_ms) || sqlite3_bind_int(q, 2, batch))
                rc = scim_sqlite_fail(c, "bind prune", err);
            else if (sqlite3_step(q) != SQLITE_DONE)
                rc = scim_sqlite_fail(c, "prune", err);
            else
                changes = sqlite3_changes(scim_sqlite_conn_db(c));
        }
        if (rc == 0)
            rc = scim_sqlite_commit(c, err);
        scim_sqlite_conn_put(s, c);
        if (rc)
            break;
        *total += changes;
        if (*budget > 0)
            *budget -= changes;
        if (changes < batch)
            break;
    }
    return rc;
}

int scim_sqlite_audit_prune(struct scim_store *st, int64_t audit_before_ms,
                            int64_t tokens_before_ms, int64_t max_rows, int64_t *deleted,
                            struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    int64_t total = 0, budget = max_rows > 0 ? max_rows : -1;
    int rc = 0;
    if (audit_before_ms > 0)
        rc = prune_batches(s, SQL_AUDIT_PRUNE, audit_before_ms, &budget, &total, err);
    if (rc == 0 && tokens_before_ms > 0)
        rc = prune_batches(s, SQL_TOKENS_PRUNE, tokens_before_ms, &budget, &total, err);
    if (rc == 0 && deleted)
        *deleted = total;
    return rc;
}

/* ---- OAuth clients ------------------------------------------------------------------------- */

int scim_sqlite_client_insert(struct scim_store *st, const struct scim_client_record *rec,
                              struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    if (!field_ok(rec->id, sizeof(rec->id)) || rec->id[0] == '\0')
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "An OAuth client needs an id");
    if (!field_ok(rec->description, sizeof(rec->description)) ||
        !field_ok(rec->scopes, sizeof(rec->scopes)))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "OAuth client description and scopes must be UTF-8 text");
    struct conn *c = scim_sqlite_writer_get(s);
    int rc = scim_sqlite_begin(c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = scim_sqlite_stmt(c, SQL_CLIENT_INSERT, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, rec->id) || sqlite3_bind_int64(q, 2, rec->tenant.id) ||
        sqlite3_bind_blob(q, 3, rec->secret_hash, SCIM_TOKEN_HASH_LEN, SQLITE_STATIC) ||
        bind_text(q, 4, rec->description) || bind_text(q, 5, rec->scopes) ||
        sqlite3_bind_int64(q, 6, rec->created_ms) || bind_i64_or_null(q, 7, rec->revoked_ms)) {
        rc = scim_sqlite_fail(c, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_CONSTRAINT_FOREIGNKEY) {
        rc = scim_err_set(err, 404, NULL, "Tenant %" PRId64 " not found", rec->tenant.id);
        goto out;
    }
    if (step == SQLITE_CONSTRAINT_PRIMARYKEY) {
        rc = scim_err_set(err, 409, SCIM_TYPE_UNIQUENESS, "OAuth client id '%s' is already in use",
                          rec->id);
        goto out;
    }
    if (step != SQLITE_DONE) {
        rc = scim_sqlite_fail(c, "insert OAuth client", err);
        goto out;
    }
    rc = scim_sqlite_commit(c, err);
out:
    scim_sqlite_conn_put(s, c);
    return rc;
}

int scim_sqlite_client_get(struct scim_store *st, const char *id, struct scim_client_record *out,
                           struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_conn_get(s);
    int rc = 0;
    sqlite3_stmt *q = scim_sqlite_stmt(c, SQL_CLIENT_GET, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, id)) {
        rc = scim_sqlite_fail(c, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        rc = scim_err_set(err, 404, NULL, "OAuth client not found");
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = scim_sqlite_fail(c, "get OAuth client", err);
        goto out;
    }
    memset(out, 0, sizeof(*out));
    scim_sqlite_copy_column(out->id, sizeof(out->id), q, 0);
    out->tenant.id = sqlite3_column_int64(q, 1);
    scim_sqlite_copy_column(out->tenant.name, sizeof(out->tenant.name), q, 2);
    scim_sqlite_copy_column(out->description, sizeof(out->description), q, 3);
    scim_sqlite_copy_column(out->scopes, sizeof(out->scopes), q, 4);
    out->created_ms = sqlite3_column_int64(q, 5);
    out->revoked_ms = sqlite3_column_int64(q, 6);
    if (sqlite3_column_bytes(q, 7) == SCIM_TOKEN_HASH_LEN)
        memcpy(out->secret_hash, sqlite3_column_blob(q, 7), SCIM_TOKEN_HASH_LEN);
out:
    scim_sqlite_conn_put(s, c);
    return rc;
}

int scim_sqlite_client_list(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                            struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_conn_get(s);
    int rc = 0;
    json_t *list = json_array();
    sqlite3_stmt *q = scim_sqlite_stmt(c, SQL_CLIENT_LIST, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (tenant ? sqlite3_bind_int64(q, 1, tenant->id) : sqlite3_bind_null(q, 1)) {
        rc = scim_sqlite_fail(c, "bind", err);
        goto out;
    }
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *item = json_object();
        json_object_set_new(item, "id", scim_sqlite_column_text(q, 0));
        json_object_set_new(item, "tenant", scim_sqlite_column_text(q, 1));
        json_object_set_new(item, "description", scim_sqlite_column_text(q, 2));
        json_object_set_new(item, "scopes", scim_sqlite_column_text(q, 3));
        json_object_set_new(item, "created_at", scim_sqlite_column_time(q, 4));
        json_object_set_new(item, "revoked_at", scim_sqlite_column_time(q, 5));
        json_array_append_new(list, item);
    }
    if (step != SQLITE_DONE) {
        rc = scim_sqlite_fail(c, "list OAuth clients", err);
        goto out;
    }
    *out = list;
    list = NULL;
out:
    json_decref(list);
    scim_sqlite_conn_put(s, c);
    return rc;
}

int scim_sqlite_client_revoke(struct scim_store *st, const struct scim_tenant *tenant,
                              const char *id, int64_t now_ms, struct scim_err *err)
{
    struct sqlite_store *s = scim_sqlite_store(st);
    struct conn *c = scim_sqlite_writer_get(s);
    int rc = scim_sqlite_begin(c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = scim_sqlite_stmt(c, SQL_CLIENT_REVOKE, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, id) || sqlite3_bind_int64(q, 2, now_ms) ||
        (tenant ? sqlite3_bind_int64(q, 3, tenant->id) : sqlite3_bind_null(q, 3))) {
        rc = scim_sqlite_fail(c, "bind", err);
        goto out;
    }
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = scim_sqlite_fail(c, "revoke OAuth client", err);
        goto out;
    }
    if (sqlite3_changes(scim_sqlite_conn_db(c)) == 0) {
        rc = scim_err_set(err, 404, NULL, "OAuth client %.100s not found", id);
        goto out;
    }
    /* Its access tokens die with it (token lookups also treat them as revoked through the
     * client, so a token issued concurrently with this revocation is dead too). */
    q = scim_sqlite_stmt(c, SQL_CLIENT_TOKENS_REVOKE, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, id) || sqlite3_bind_int64(q, 2, now_ms)) {
        rc = scim_sqlite_fail(c, "bind", err);
        goto out;
    }
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = scim_sqlite_fail(c, "revoke OAuth access tokens", err);
        goto out;
    }
    rc = scim_sqlite_commit(c, err);
out:
    scim_sqlite_conn_put(s, c);
    return rc;
}
