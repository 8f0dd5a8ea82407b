/*
 * store_sqlite — the SQLite backend of the store ops table (store_backend.h): a pool of reading
 * connections opened without SQLite's own mutex (SQLITE_OPEN_NOMUTEX), each borrowed by one
 * thread for one call or kept for a thread's read snapshot (scim_store_read_begin, ended by the
 * thread's first write); one writing connection used under the process's write lock; WAL
 * checkpoints on a background thread (store_sqlite_checkpoint.c); the embedded numbered
 * migrations (schema_migrations); one cache of prepared statements per connection, prepared
 * lazily with SQLITE_PREPARE_PERSISTENT and reset after each call, so hot paths never prepare
 * again.
 * Durability: journal_mode=WAL with synchronous=NORMAL. A committed write survives a crash or
 * SIGKILL of the process; an operating-system crash or power loss may roll back the last
 * commits, but the database is never corrupted.
 * Every write runs between BEGIN IMMEDIATE and COMMIT; any failure rolls back, so nothing is
 * half-written. Resource creates, replaces and deletes commit in groups (batch_member_end): each
 * is a savepoint, undone alone when it fails, and answered only once its group is committed. Every
 * resource statement binds tenant_id. A write also replaces the resource's entries in the value
 * index (resource_values) in the same transaction. Lists (RFC 7644 §3.4.2, RFC 9865): the filter
 * and sort key come from sqlgen (SQLite dialect; the SQL functions scim_fold, scim_time and
 * scim_datetime_key it relies on are registered on every connection); index paging uses
 * LIMIT/OFFSET, cursor paging a keyset walk on (sort key, rowid) in two segments (rows with a key,
 * rows without); generated statements are cached per connection by their text. Cursors are
 * authenticated with a secret kept in store_keys. Owns: the SQLite schema
 * (src/store/migrations/sqlite) and all SQL against it. Must not: validate SCIM documents, know
 * HTTP, or let a SQLite message reach a client (those go to the log through scim_err_internal).
 */
#include "store_backend.h"
#include "store_sqlite_internal.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "resource.h"
#include "text.h"
#include "token.h"

#include "migrations_sqlite.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* STRICT tables need 3.37; RETURNING needs 3.35. */
#define MIN_SQLITE_VERSION 3037000
#define BUSY_TIMEOUT_MS 5000
#define TOUCH_INTERVAL_MS 60000

/* The statements every connection caches. The order matches stmt_sql below. */
enum stmt_id {
    ST_BEGIN,
    ST_BEGIN_IMMEDIATE,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_TENANT_INSERT,
    ST_TENANT_GET,
    ST_TENANT_LIST,
    ST_TOKEN_INSERT,
    ST_TOKEN_FIND,
    ST_TOKEN_LIST,
    ST_TOKEN_REVOKE,
    ST_TOKEN_LAST_USED,
    ST_TOKEN_TOUCH,
    ST_RES_INSERT,
    ST_RES_GET,
    ST_RES_PASSWORD_HASH,
    ST_RES_UPDATE,
    ST_RES_UPDATE_DOC,
    ST_RES_DELETE,
    ST_RES_VERSION,
    ST_RES_NAME_TAKEN,
    ST_VALUES_DELETE,
    ST_VALUES_INSERT,
    ST_VALUES_LIST,
    ST_INTEGRITY_CHECK,
    ST_FOREIGN_KEY_CHECK,
    ST_MAX
};

_Static_assert(ST_MAX <= 64, "in_use is a 64-bit mask of statements");

#define ROW_COLUMNS "SELECT id, version, created_ms, modified_ms, doc "

static const char *const stmt_sql[ST_MAX] = {
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT batch_member",
    [ST_RELEASE] = "RELEASE batch_member",
    [ST_ROLLBACK_TO] = "ROLLBACK TO batch_member",
    [ST_TENANT_INSERT] = "INSERT INTO tenants(name, created_ms) VALUES (?1, ?2)",
    [ST_TENANT_GET] = "SELECT id, name FROM tenants WHERE name = ?1",
    [ST_TENANT_LIST] = "SELECT name, created_ms FROM tenants ORDER BY id",
    [ST_TOKEN_INSERT] = "INSERT INTO tokens(id, tenant_id, hash, description, scopes, hint, "
                        "created_ms, expires_ms, revoked_ms, last_used_ms, client_id) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    /* An access token of a revoked OAuth client counts as revoked (migration 003). */
    [ST_TOKEN_FIND] = "SELECT t.id, t.tenant_id, n.name, t.description, t.scopes, t.hint, "
                      "t.created_ms, t.expires_ms, coalesce(t.revoked_ms, c.revoked_ms), "
                      "t.last_used_ms, t.hash, t.client_id "
                      "FROM tokens t JOIN tenants n ON n.id = t.tenant_id "
                      "LEFT JOIN oauth_clients c ON c.id = t.client_id WHERE t.hash = ?1",
    [ST_TOKEN_LIST] = "SELECT t.id, n.name, t.description, t.scopes, t.hint, t.created_ms, "
                      "t.expires_ms, t.revoked_ms, t.last_used_ms "
                      "FROM tokens t JOIN tenants n ON n.id = t.tenant_id "
                      "WHERE (?1 IS NULL OR t.tenant_id = ?1) AND t.client_id IS NULL "
                      "ORDER BY t.rowid",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, ?2) "
                        "WHERE id = ?1 AND (?3 IS NULL OR tenant_id = ?3)",
    [ST_TOKEN_LAST_USED] = "SELECT last_used_ms FROM tokens WHERE id = ?1",
    [ST_TOKEN_TOUCH] = "UPDATE tokens SET last_used_ms = ?2 WHERE id = ?1 "
                       "AND (last_used_ms IS NULL OR last_used_ms <= ?3)",
    [ST_RES_INSERT] = "INSERT INTO resources(tenant_id, type, id, user_name_ci, external_id, "
                      "display_name, display_name_ci, active, created_ms, modified_ms, version, "
                      "doc, password_hash) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, scim_fold(?6), ?7, ?8, ?8, 1, ?9, ?10)",
    [ST_RES_GET] = ROW_COLUMNS "FROM resources WHERE tenant_id = ?1 AND type = ?2 AND id = ?3 "
                               "AND deleted_ms IS NULL",
    [ST_RES_PASSWORD_HASH] = "SELECT password_hash FROM resources WHERE tenant_id = ?1 AND "
                             "type = ?2 AND id = ?3 AND deleted_ms IS NULL",
    [ST_RES_UPDATE] = "UPDATE resources SET user_name_ci = ?4, external_id = ?5, "
                      "display_name = ?6, display_name_ci = scim_fold(?6), active = ?7, "
                      "modified_ms = max(?8, modified_ms), version = version + 1, doc = ?9, "
                      "password_hash = coalesce(?10, password_hash) "
                      "WHERE tenant_id = ?1 AND type = ?2 AND id = ?3 AND deleted_ms IS NULL "
                      "AND (?11 < 0 OR version = ?11) "
                      "RETURNING version, created_ms, modified_ms, rowid",
    /* The same update when userName, externalId and displayName stay as they are (the common
     * PATCH of active, name or e-mails): the indexes on those columns are not rewritten. No row
     * when they changed (or the resource is missing or stale): ST_RES_UPDATE then decides. */
    [ST_RES_UPDATE_DOC] = "UPDATE resources SET active = ?7, modified_ms = max(?8, modified_ms), "
                          "version = version + 1, doc = ?9, "
                          "password_hash = coalesce(?10, password_hash) "
                          "WHERE tenant_id = ?1 AND type = ?2 AND id = ?3 AND deleted_ms IS NULL "
                          "AND (?11 < 0 OR version = ?11) AND user_name_ci IS ?4 "
                          "AND external_id IS ?5 AND display_name IS ?6 "
                          "RETURNING version, created_ms, modified_ms, rowid",
    [ST_RES_DELETE] = "UPDATE resources SET deleted_ms = ?4, modified_ms = max(?4, modified_ms), "
                      "version = version + 1, password_hash = NULL "
                      "WHERE tenant_id = ?1 AND type = ?2 AND id = ?3 AND deleted_ms IS NULL "
                      "AND (?5 < 0 OR version = ?5) RETURNING rowid",
    [ST_RES_VERSION] = "SELECT version FROM resources WHERE tenant_id = ?1 AND type = ?2 "
                       "AND id = ?3 AND deleted_ms IS NULL",
    [ST_RES_NAME_TAKEN] = "SELECT 1 FROM resources WHERE tenant_id = ?1 AND type = ?2 "
                          "AND user_name_ci = ?3 AND deleted_ms IS NULL AND id <> ?4",
    [ST_VALUES_DELETE] = "DELETE FROM resource_values WHERE resource_rowid = ?1",
    [ST_VALUES_LIST] = "SELECT attr, value_ci FROM resource_values WHERE resource_rowid = ?1 "
                       "ORDER BY attr, value_ci",
    [ST_VALUES_INSERT] = "INSERT OR IGNORE INTO resource_values(tenant_id, attr, value_ci, "
                         "resource_rowid) VALUES (?1, ?2, ?3, ?4)",
    [ST_INTEGRITY_CHECK] = "PRAGMA integrity_check",
    [ST_FOREIGN_KEY_CHECK] = "PRAGMA foreign_key_check",
};

struct sqlite_store;

/* How many generated statements (filtered or sorted lists) each connection keeps prepared. */
#define DYN_MAX 32

/* A cached statement whose SQL was generated (sqlgen); found again by its text. */
struct dyn_stmt {
    char *sql; /* owned; NULL for a free slot */
    sqlite3_stmt *q;
    uint64_t last_used; /* the connection's clock when it was last handed out */
};

/* One connection and its statement caches (pooled, or the writer). Used by one thread at a
 * time. */
struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_MAX];
    uint64_t in_use; /* one bit per statement stepped since the last stmts_release */
    struct dyn_stmt dyn[DYN_MAX];
    uint64_t dyn_in_use; /* one bit per dyn slot handed out since the last stmts_release */
    uint64_t dyn_clock;
    struct sqlite_store *owner;
    struct conn *next_free;
};

_Static_assert(DYN_MAX <= 64, "dyn_in_use is a 64-bit mask of slots");

/* A member of a group commit waiting for it, on its own stack (batch_member_end). */
struct batch_waiter {
    int rc; /* the commit's result, once done */
    bool done;
    struct batch_waiter *next;
};

/* The most writes one commit carries: bounds how long the first member waits. */
#define BATCH_MAX_MEMBERS 32

struct sqlite_store {
    struct scim_store base; /* must stay first: ops->close casts back */
    pthread_mutex_t lock;
    pthread_cond_t available;
    /*
     * Every write of this process runs on one connection, `writer`, held under write_lock
     * (writer_get .. conn_put). SQLite allows one writer at a time anyway; queueing on a mutex
     * wakes the next writer the moment the previous commits, where SQLite's busy handler sleeps
     * in growing steps (up to 100 ms) and makes the latency tail of contended writes hundreds of
     * milliseconds (bench/RESULTS.md). One writing connection also keeps its page cache: SQLite
     * drops a connection's whole cache when another connection has committed since its last
     * transaction, and writers taking turns on pooled connections re-read some 50 pages from the
     * file per write. Other processes (scimctl) are arbitrated by SQLite's lock and busy timeout.
     */
    pthread_mutex_t write_lock;
    struct conn writer;
    /*
     * Group commit (batch_writer_get .. batch_member_end): a resource write runs as a savepoint
     * inside the writer's open transaction; when another writer is already queued for the lock,
     * the finished member leaves the transaction open for it and waits, and the first member
     * that finds no one queued (or the batch full) commits them all at once. The pages the
     * writes share (the ends of the rowid, time and audit indexes) then reach the WAL once per
     * batch instead of once per write; nobody is answered before the commit that holds its write.
     */
    atomic_int writers_queued;          /* threads waiting for write_lock */
    int batch_members;                  /* members in the open transaction (under write_lock) */
    bool member_open;                   /* a member's savepoint is open (under write_lock) */
    struct batch_waiter *batch_waiters; /* members waiting for the commit (under write_lock) */
    pthread_mutex_t batch_lock;         /* guards the waiters' results */
    pthread_cond_t batch_done;
    atomic_long batch_commits; /* commits of batches, and the writes they carried (tests) */
    atomic_long batch_writes;
    struct scim_sqlite_checkpointer *checkpointer; /* WAL checkpoints off the write path */
    struct conn *free_list;
    struct conn *conns; /* array of size entries */
    int size;
    atomic_long prepares;
    unsigned char cursor_secret[SCIM_STORE_SECRET_LEN]; /* the MAC key of cursors (store_keys) */
};

static const struct scim_store_ops sqlite_ops;

/* The calling thread's read snapshot (scim_store_read_begin): a pooled connection inside a read
 * transaction, which conn_get hands out and conn_put keeps until scim_store_read_end. */
static _Thread_local struct conn *snapshot;

static struct sqlite_store *from_base(struct scim_store *st)
{
    assert(st->ops == &sqlite_ops);
    return (struct sqlite_store *)st;
}

/* ---- errors ---------------------------------------------------------------------------- */

/* Records a SQLite failure on db: the message goes to the log, the client sees a plain 500. */
static int db_fail(sqlite3 *db, const char *what, struct scim_err *err)
{
    char cause[640];
    snprintf(cause, sizeof(cause), "sqlite %s: %s (code %d)", what, sqlite3_errmsg(db),
             sqlite3_extended_errcode(db));
    return scim_err_internal(err, cause);
}

/* ---- statements ------------------------------------------------------------------------ */

/*
 * Returns the cached statement id of c (borrowed; valid until the connection closes), preparing
 * it on first use. A statement already stepped in this call is reset first. NULL with err filled
 * when preparing fails.
 */
static sqlite3_stmt *stmt_get(struct conn *c, enum stmt_id id, struct scim_err *err)
{
    uint64_t bit = UINT64_C(1) << id;
    sqlite3_stmt *q = c->stmt[id];
    if (!q) {
        if (sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) !=
            SQLITE_OK) {
            db_fail(c->db, "prepare", err);
            return NULL;
        }
        c->stmt[id] = q;
        atomic_fetch_add(&c->owner->prepares, 1);
    } else if (c->in_use & bit) {
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
    }
    c->in_use |= bit;
    return q;
}

/*
 * Returns the cached statement for the generated sql (borrowed; valid until the connection
 * closes or the slot is reused by a later call), preparing it on first use; the least recently
 * used slot is replaced when all are taken. NULL with err filled when preparing fails.
 */
static sqlite3_stmt *dyn_get(struct conn *c, const char *sql, struct scim_err *err)
{
    int slot = -1;
    for (int i = 0; i < DYN_MAX; i++) {
        if (c->dyn[i].sql && strcmp(c->dyn[i].sql, sql) == 0) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        /* A free slot, else the least recently used one not handed out in this call. */
        for (int i = 0; i < DYN_MAX; i++) {
            if (c->dyn_in_use & (UINT64_C(1) << i))
                continue;
            if (!c->dyn[i].sql) {
                slot = i;
                break;
            }
            if (slot < 0 || c->dyn[i].last_used < c->dyn[slot].last_used)
                slot = i;
        }
        assert(slot >= 0);
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
            db_fail(c->db, "prepare", err);
            return NULL;
        }
        sqlite3_finalize(c->dyn[slot].q);
        scim_free(c->dyn[slot].sql);
        c->dyn[slot].sql = scim_strdup(sql);
        c->dyn[slot].q = q;
        atomic_fetch_add(&c->owner->prepares, 1);
    } else if (c->dyn_in_use & (UINT64_C(1) << slot)) {
        sqlite3_reset(c->dyn[slot].q);
        sqlite3_clear_bindings(c->dyn[slot].q);
    }
    c->dyn[slot].last_used = ++c->dyn_clock;
    c->dyn_in_use |= UINT64_C(1) << slot;
    return c->dyn[slot].q;
}

/* Resets every statement used since the last call, so none holds a read cursor or bindings. */
static void stmts_release(struct conn *c)
{
    for (int i = 0; c->in_use && i < ST_MAX; i++) {
        uint64_t bit = UINT64_C(1) << i;
        if (c->in_use & bit) {
            sqlite3_reset(c->stmt[i]);
            sqlite3_clear_bindings(c->stmt[i]);
            c->in_use &= ~bit;
        }
    }
    for (int i = 0; c->dyn_in_use && i < DYN_MAX; i++) {
        uint64_t bit = UINT64_C(1) << i;
        if (c->dyn_in_use & bit) {
            sqlite3_reset(c->dyn[i].q);
            sqlite3_clear_bindings(c->dyn[i].q);
            c->dyn_in_use &= ~bit;
        }
    }
}

/* Runs one of the transaction-control statements. Only the writer (writer_get) begins a
 * write transaction. */
static int tx_exec(struct conn *c, enum stmt_id id, struct scim_err *err)
{
    assert(id != ST_BEGIN_IMMEDIATE || c == &c->owner->writer);
    /* A read transaction inside the thread's snapshot is the snapshot's own. */
    if (c == snapshot && (id == ST_BEGIN || id == ST_COMMIT))
        return 0;
    int rc = 0;
    sqlite3_stmt *q = stmt_get(c, id, err);
    if (!q) {
        rc = SCIM_ERR;
    } else {
        int step = sqlite3_step(q);
        rc = step == SQLITE_DONE ? 0 : db_fail(c->db, stmt_sql[id], err);
        sqlite3_reset(q);
        c->in_use &= ~(UINT64_C(1) << id);
    }
    return rc;
}

static int tx_commit(struct conn *c, struct scim_err *err)
{
    stmts_release(c);
    return tx_exec(c, ST_COMMIT, err);
}

static int bind_text(sqlite3_stmt *q, int i, const char *s)
{
    return s ? sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(q, i);
}

static int bind_textn(sqlite3_stmt *q, int i, const char *s, size_t n)
{
    if (!s)
        return sqlite3_bind_null(q, i);
    return sqlite3_bind_text64(q, i, s, n, SQLITE_STATIC, SQLITE_UTF8);
}

static int bind_i64(sqlite3_stmt *q, int i, int64_t v)
{
    return sqlite3_bind_int64(q, i, v);
}

/* Binds v, or NULL when v is 0 ("never"). */
static int bind_time_or_null(sqlite3_stmt *q, int i, int64_t v)
{
    return v ? sqlite3_bind_int64(q, i, v) : sqlite3_bind_null(q, i);
}

/* Copies column col of q into dst (size bytes, always NUL-terminated, truncated if longer). */
static void copy_column(char *dst, size_t size, sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    size_t n = t ? (size_t)sqlite3_column_bytes(q, col) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}

/* Returns a new reference: the text of column col as a JSON string, or null when it is NULL or
 * not valid UTF-8. */
static json_t *column_json_text(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    if (!t)
        return json_null();
    json_t *s = json_stringn((const char *)t, (size_t)sqlite3_column_bytes(q, col));
    return s ? s : json_null();
}

/* Returns a new reference: column col (milliseconds) as an RFC 3339 string, or null for NULL. */
static json_t *column_json_time(sqlite3_stmt *q, int col)
{
    if (sqlite3_column_type(q, col) == SQLITE_NULL)
        return json_null();
    char buf[48];
    return json_string(scim_time_format(sqlite3_column_int64(q, col), buf, sizeof(buf)));
}

/*
 * Fills r from a row of ROW_COLUMNS (id, version, created_ms, modified_ms, doc). r->doc is a new
 * reference owned by r. On failure r is untouched.
 */
static int row_to_resource(sqlite3_stmt *q, struct scim_resource *r, struct scim_err *err)
{
    json_error_t jerr;
    const char *text = (const char *)sqlite3_column_text(q, 4);
    size_t len = (size_t)sqlite3_column_bytes(q, 4);
    json_t *doc = text ? json_loadb(text, len, JSON_ALLOW_NUL, &jerr) : NULL;
    if (!json_is_object(doc)) {
        char cause[160];
        snprintf(cause, sizeof(cause), "stored document of resource %.40s is not a JSON object",
                 (const char *)sqlite3_column_text(q, 0));
        json_decref(doc);
        return scim_err_internal(err, cause);
    }
    memset(r, 0, sizeof(*r));
    copy_column(r->id, sizeof(r->id), q, 0);
    r->version = sqlite3_column_int64(q, 1);
    r->created_ms = sqlite3_column_int64(q, 2);
    r->modified_ms = sqlite3_column_int64(q, 3);
    r->doc = doc;
    return 0;
}

/* ---- the pool ---------------------------------------------------------------------------- */

/* Borrows a connection, waiting while all are in use. Give it back with conn_put. */
static struct conn *conn_get(struct sqlite_store *s)
{
    if (snapshot && snapshot->owner == s)
        return snapshot;
    pthread_mutex_lock(&s->lock);
    while (!s->free_list)
        pthread_cond_wait(&s->available, &s->lock);
    struct conn *c = s->free_list;
    s->free_list = c->next_free;
    pthread_mutex_unlock(&s->lock);
    return c;
}

static void sqlite_read_end(struct scim_store *st);
static int tx_exec(struct conn *c, enum stmt_id id, struct scim_err *err);

/* Takes the process's write lock, counted as queued while waiting for it. */
static void write_lock_take(struct sqlite_store *s)
{
    /* A write ends the thread's read snapshot: what the thread reads afterwards sees it. */
    if (snapshot && snapshot->owner == s)
        sqlite_read_end(&s->base);
    atomic_fetch_add_explicit(&s->writers_queued, 1, memory_order_relaxed);
    pthread_mutex_lock(&s->write_lock);
    atomic_fetch_sub_explicit(&s->writers_queued, 1, memory_order_relaxed);
}

/* Hands the batch's result to its waiting members and empties it. Under write_lock. */
static void batch_release(struct sqlite_store *s, int rc)
{
    struct batch_waiter *w = s->batch_waiters;
    if (rc == 0) {
        atomic_fetch_add_explicit(&s->batch_commits, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->batch_writes, s->batch_members, memory_order_relaxed);
    }
    s->batch_waiters = NULL;
    s->batch_members = 0;
    pthread_mutex_lock(&s->batch_lock);
    while (w) {
        struct batch_waiter *next = w->next;
        w->rc = rc;
        w->done = true;
        w = next;
    }
    pthread_cond_broadcast(&s->batch_done);
    pthread_mutex_unlock(&s->batch_lock);
}

/* Commits the open batch (under write_lock). When SQLite already rolled the transaction back
 * (an I/O error or a full disk in a member), the batch is lost and its members fail. */
static int batch_commit(struct sqlite_store *s, struct scim_err *err)
{
    struct conn *c = &s->writer;
    int rc = sqlite3_get_autocommit(c->db)
                 ? scim_err_internal(err, "store: SQLite rolled back a batch of writes")
                 : tx_exec(c, ST_COMMIT, err);
    if (rc && !sqlite3_get_autocommit(c->db)) {
        struct scim_err ignored;
        if (tx_exec(c, ST_ROLLBACK, &ignored) != 0)
            scim_log(SCIM_LOG_ERROR, "store: rollback of a failed batch failed");
    }
    batch_release(s, rc);
    return rc;
}

/* Takes the write lock and returns the writing connection, with no batch open on it (a
 * pending one is committed first); conn_put releases both. */
static struct conn *writer_get(struct sqlite_store *s)
{
    write_lock_take(s);
    if (s->batch_members > 0) {
        struct scim_err err;
        scim_err_clear(&err);
        if (batch_commit(s, &err) != 0)
            scim_log(SCIM_LOG_ERROR, "store: a batch of writes failed: %s", err.detail);
    }
    return &s->writer;
}

/* The writing connection for one member of a group commit: batch_member_begin, the member's
 * statements, then batch_member_end (instead of conn_put). */
static struct conn *batch_writer_get(struct sqlite_store *s)
{
    write_lock_take(s);
    return &s->writer;
}

/* Opens the member's savepoint, and the batch's transaction if none is open. */
static int batch_member_begin(struct sqlite_store *s, struct conn *c, struct scim_err *err)
{
    if (sqlite3_get_autocommit(c->db)) {
        int rc = tx_exec(c, ST_BEGIN_IMMEDIATE, err);
        if (rc)
            return rc;
    }
    int rc = tx_exec(c, ST_SAVEPOINT, err);
    s->member_open = rc == 0;
    return rc;
}

/* Undoes a failed member and nothing else; when that is impossible the whole batch fails. */
static void batch_member_undo(struct conn *c)
{
    struct scim_err ignored;
    if (sqlite3_get_autocommit(c->db))
        return;
    if (tx_exec(c, ST_ROLLBACK_TO, &ignored) == 0 && tx_exec(c, ST_RELEASE, &ignored) == 0)
        return;
    scim_log(SCIM_LOG_ERROR, "store: a failed write could not be undone alone; its batch fails");
    if (tx_exec(c, ST_ROLLBACK, &ignored) != 0)
        scim_log(SCIM_LOG_ERROR, "store: rollback failed on the writing connection");
}

/*
 * Ends a member begun on the writer: rc is the member's result so far. A successful member
 * joins the batch; a failed one is undone alone. The batch is then committed unless this
 * member succeeded, another writer is queued and the batch has room: then the member leaves
 * it open, releases the lock and waits for the commit. Returns the member's final result: its
 * own, or the result of the commit that carries it.
 */
static int batch_member_end(struct sqlite_store *s, struct conn *c, int rc, struct scim_err *err)
{
    struct batch_waiter self = {0};
    bool joined = false, deferred = false;
    stmts_release(c);
    if (s->member_open) {
        s->member_open = false;
        if (rc == 0)
            rc = tx_exec(c, ST_RELEASE, err);
        if (rc == 0) {
            joined = true;
            s->batch_members++;
        } else {
            batch_member_undo(c);
        }
    }
    if (joined && atomic_load_explicit(&s->writers_queued, memory_order_relaxed) > 0 &&
        s->batch_members < BATCH_MAX_MEMBERS && !sqlite3_get_autocommit(c->db)) {
        self.next = s->batch_waiters;
        s->batch_waiters = &self;
        deferred = true;
    } else if (s->batch_members > 0) {
        /* A failed member commits the others too: its retry then reads what they wrote. */
        struct scim_err commit_err;
        scim_err_clear(&commit_err);
        int commit_rc = batch_commit(s, joined ? err : &commit_err);
        if (joined)
            rc = commit_rc;
        else if (commit_rc)
            scim_log(SCIM_LOG_ERROR, "store: a batch of writes failed: %s", commit_err.detail);
    } else if (!sqlite3_get_autocommit(c->db)) {
        struct scim_err ignored;
        if (tx_exec(c, ST_ROLLBACK, &ignored) != 0)
            scim_log(SCIM_LOG_ERROR, "store: rollback failed on the writing connection");
    }
    pthread_mutex_unlock(&s->write_lock);
    if (deferred) {
        pthread_mutex_lock(&s->batch_lock);
        while (!self.done)
            pthread_cond_wait(&s->batch_done, &s->batch_lock);
        pthread_mutex_unlock(&s->batch_lock);
        if (self.rc)
            rc = scim_err_internal(err, "store: the commit of a batch of writes failed");
    }
    return rc;
}

/*
 * Returns c to the pool (or the writer and its lock). A transaction still open here belongs to
 * a failed call and is rolled back, so nothing of it is written.
 */
static void conn_put(struct sqlite_store *s, struct conn *c)
{
    stmts_release(c);
    if (c == snapshot)
        return;
    if (!sqlite3_get_autocommit(c->db)) {
        struct scim_err ignored;
        if (tx_exec(c, ST_ROLLBACK, &ignored) != 0)
            scim_log(SCIM_LOG_ERROR, "store: rollback failed on a pooled connection");
    }
    if (c == &s->writer) {
        pthread_mutex_unlock(&s->write_lock);
        return;
    }
    pthread_mutex_lock(&s->lock);
    c->next_free = s->free_list;
    s->free_list = c;
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
}

static void sqlite_read_begin(struct scim_store *st)
{
    struct sqlite_store *s = from_base(st);
    assert(!snapshot);
    struct conn *c = conn_get(s);
    struct scim_err err;
    scim_err_clear(&err);
    if (tx_exec(c, ST_BEGIN, &err) != 0) {
        scim_log(SCIM_LOG_ERROR, "store: a read snapshot could not begin: %s", err.detail);
        conn_put(s, c);
        return;
    }
    snapshot = c;
}

static void sqlite_read_end(struct scim_store *st)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = snapshot;
    if (!c || c->owner != s)
        return;
    snapshot = NULL;
    stmts_release(c);
    struct scim_err err;
    scim_err_clear(&err);
    /* Nothing was written in it; a failed COMMIT is rolled back by conn_put. */
    if (tx_exec(c, ST_COMMIT, &err) != 0)
        scim_log(SCIM_LOG_ERROR, "store: a read snapshot could not end: %s", err.detail);
    conn_put(s, c);
}

/* ---- SQL functions ------------------------------------------------------------------------ */

/* scim_fold(x): scim_text_casefold of a text (what sqlgen compares case-insensitive values
 * with); any other value is returned unchanged. */
static void fn_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    size_t n = (size_t)sqlite3_value_bytes(argv[0]);
    char *folded = scim_text_casefold(t ? t : "", t ? n : 0);
    sqlite3_result_text64(ctx, folded, strlen(folded), scim_free, SQLITE_UTF8);
}

/* scim_time(ms): the RFC 3339 text a rendered resource shows for a time column; NULL stays
 * NULL. */
static void fn_time(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    char buf[SCIM_TIME_BUF];
    scim_time_format(sqlite3_value_int64(argv[0]), buf, sizeof(buf));
    sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* scim_datetime_key(text): scim_sqlgen_datetime_key, NULL when the value is not a date-time. */
static void fn_datetime_key(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    char key[SCIM_SQLGEN_DATETIME_KEY];
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !t ||
        !scim_sqlgen_datetime_key(t, (size_t)sqlite3_value_bytes(argv[0]), key)) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_text(ctx, key, -1, SQLITE_TRANSIENT);
}

/* Registers the functions sqlgen's SQLite dialect and the migrations use. */
static int register_functions(sqlite3 *db, struct scim_err *err)
{
    static const struct {
        const char *name;
        void (*fn)(sqlite3_context *, int, sqlite3_value **);
    } fns[] = {
        {"scim_fold", fn_fold},
        {"scim_time", fn_time},
        {"scim_datetime_key", fn_datetime_key},
    };
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        if (sqlite3_create_function_v2(db, fns[i].name, 1, flags, NULL, fns[i].fn, NULL, NULL,
                                       NULL) != SQLITE_OK)
            return db_fail(db, "register function", err);
    }
    return 0;
}

/* ---- opening, migrations ----------------------------------------------------------------- */

/* Creates every missing directory above the file path (like mkdir -p of its dirname). */
static int ensure_parent_dir(const char *path, struct scim_err *err)
{
    int rc = 0;
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char *dir = scim_strndup(path, (size_t)(slash - path));
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
            char ebuf[128];
            rc = scim_err_set(err, 500, NULL, "cannot create directory '%.300s': %s", dir,
                              strerror_r(errno, ebuf, sizeof(ebuf)));
            goto out;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
out:
    scim_free(dir);
    return rc;
}

/* Creates the database file with owner-only permissions (it holds token and password hashes);
 * SQLite gives its -wal and -shm files the same mode. An existing file is left as it is. */
static int ensure_file(const char *path, struct scim_err *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        char ebuf[128];
        return scim_err_set(err, 500, NULL, "cannot open database file '%.300s': %s", path,
                            strerror_r(errno, ebuf, sizeof(ebuf)));
    }
    close(fd);
    return 0;
}

/* Runs sql (one or more statements without results) on db outside the statement cache. */
static int exec_sql(sqlite3 *db, const char *sql, const char *what, struct scim_err *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, what, err);
    return 0;
}

/* Returns the single integer result of sql (0 when NULL) in *value. */
static int query_int(sqlite3 *db, const char *sql, int64_t bind1, int64_t *value,
                     struct scim_err *err)
{
    int rc = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        rc = db_fail(db, "prepare", err);
        goto out;
    }
    if (sqlite3_bind_parameter_count(q) > 0 && sqlite3_bind_int64(q, 1, bind1) != SQLITE_OK) {
        rc = db_fail(db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        *value = sqlite3_column_int64(q, 0);
    else if (step == SQLITE_DONE)
        *value = 0;
    else
        rc = db_fail(db, sql, err);
out:
    sqlite3_finalize(q);
    return rc;
}

/*
 * Migration 002's step in C: fills the value index (resource_values) from the documents of the
 * live resources, with the same entries a write would make (scim_sqlgen_index_values). Rows of
 * a resource type this build does not serve get none.
 */
static int backfill_value_index(sqlite3 *db, struct scim_err *err)
{
    int rc = 0;
    sqlite3_stmt *rows = NULL, *ins = NULL;
    struct scim_sqlgen_index_entry *entries = NULL;
    size_t n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT rowid, tenant_id, type, doc FROM resources "
                           "WHERE deleted_ms IS NULL ORDER BY rowid",
                           -1, &rows, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, stmt_sql[ST_VALUES_INSERT], -1, &ins, NULL) != SQLITE_OK) {
        rc = db_fail(db, "prepare backfill", err);
        goto out;
    }
    int step;
    while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
        const struct scim_resource_type *rt =
            scim_resource_type_find((const char *)sqlite3_column_text(rows, 2));
        const char *text = (const char *)sqlite3_column_text(rows, 3);
        json_t *doc = rt && text ? json_loadb(text, (size_t)sqlite3_column_bytes(rows, 3),
                                              JSON_ALLOW_NUL, NULL)
                                 : NULL;
        scim_sqlgen_index_values(rt, doc, &entries, &n);
        json_decref(doc);
        for (size_t i = 0; i < n; i++) {
            sqlite3_reset(ins);
            if (bind_i64(ins, 1, sqlite3_column_int64(rows, 1)) ||
                bind_text(ins, 2, entries[i].attr) || bind_text(ins, 3, entries[i].value) ||
                bind_i64(ins, 4, sqlite3_column_int64(rows, 0)) ||
                sqlite3_step(ins) != SQLITE_DONE) {
                rc = db_fail(db, "backfill value index", err);
                goto out;
            }
        }
        scim_sqlgen_index_free(entries, n);
        entries = NULL;
        n = 0;
    }
    if (step != SQLITE_DONE)
        rc = db_fail(db, "read resources for backfill", err);
out:
    scim_sqlgen_index_free(entries, n);
    sqlite3_finalize(rows);
    sqlite3_finalize(ins);
    return rc;
}

/* Migrations that need a step SQL cannot express run it here, in the migration's
 * transaction, after its SQL. */
static const struct {
    int version;
    int (*run)(sqlite3 *db, struct scim_err *err);
} migration_code[] = {
    {2, backfill_value_index},
};

/* Applies one migration in its own transaction unless schema_migrations already records it. */
static int apply_migration(sqlite3 *db, int version, const char *name, const char *sql,
                           struct scim_err *err)
{
    int rc = exec_sql(db, "BEGIN IMMEDIATE", "begin migration", err);
    if (rc)
        return rc;
    int64_t applied = 0;
    rc = query_int(db, "SELECT count(*) FROM schema_migrations WHERE version = ?1", version,
                   &applied, err);
    if (rc || applied)
        goto out;
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        scim_log(SCIM_LOG_ERROR, "store: migration %s failed: %s", name, sqlite3_errmsg(db));
        rc = scim_err_set(err, 500, NULL, "database migration %s failed; see the log", name);
        goto out;
    }
    for (size_t i = 0; i < sizeof(migration_code) / sizeof(migration_code[0]); i++) {
        if (migration_code[i].version != version)
            continue;
        rc = migration_code[i].run(db, err);
        if (rc) {
            scim_log(SCIM_LOG_ERROR, "store: migration %s failed in its C step", name);
            goto out;
        }
    }
    char *insert = sqlite3_mprintf("INSERT INTO schema_migrations(version, name, applied_ms) "
                                   "VALUES (%d, %Q, %lld)",
                                   version, name, (long long)scim_time_now_ms());
    rc = exec_sql(db, insert, "record migration", err);
    sqlite3_free(insert);
    if (rc)
        goto out;
    rc = exec_sql(db, "COMMIT", "commit migration", err);
    if (rc == 0)
        scim_log(SCIM_LOG_INFO, "store: applied migration %s", name);
out:
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Brings the schema up to date: every embedded migration not yet recorded, in order. */
static int migrate(sqlite3 *db, struct scim_err *err)
{
    size_t count = sizeof(scim_sqlite_migrations) / sizeof(scim_sqlite_migrations[0]);
    int latest = scim_sqlite_migrations[count - 1].version;
    int rc = exec_sql(db,
                      "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                      "applied_ms INTEGER NOT NULL) STRICT",
                      "create schema_migrations", err);
    if (rc)
        return rc;
    int64_t newest = 0;
    rc = query_int(db, "SELECT max(version) FROM schema_migrations", 0, &newest, err);
    if (rc)
        return rc;
    if (newest > latest)
        return scim_err_set(err, 500, NULL,
                            "the database schema (version %" PRId64
                            ") is newer than this build supports (version %d)",
                            newest, latest);
    for (size_t i = 0; i < count; i++) {
        assert(i == 0 || scim_sqlite_migrations[i].version > scim_sqlite_migrations[i - 1].version);
        rc = apply_migration(db, scim_sqlite_migrations[i].version, scim_sqlite_migrations[i].name,
                             scim_sqlite_migrations[i].sql, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Opens one connection to path and sets its pragmas. */
static int conn_open(struct sqlite_store *s, struct conn *c, const char *path, struct scim_err *err)
{
    int rc = 0;
    sqlite3_stmt *q = NULL;
    memset(c, 0, sizeof(*c));
    c->owner = s;
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        if (!c->db) {
            rc = scim_err_set(err, 500, NULL, "cannot open database '%.300s'", path);
            goto out;
        }
        rc = scim_err_set(err, 500, NULL, "cannot open database '%.300s': %s", path,
                          sqlite3_errmsg(c->db));
        goto out;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    rc = register_functions(c->db, err);
    if (rc)
        goto out;
    if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        rc = scim_err_set(err, 500, NULL, "cannot use database '%.300s': %s", path,
                          sqlite3_errmsg(c->db));
        goto out;
    }
    const char *mode = (const char *)sqlite3_column_text(q, 0);
    if (!mode || strcmp(mode, "wal") != 0) {
        rc = scim_err_set(err, 500, NULL,
                          "database '%.300s' cannot use write-ahead logging (journal mode %s)",
                          path, mode ? mode : "unknown");
        goto out;
    }
    /* An 8 MiB page cache per connection (no mmap: resident memory stays small). The WAL keeps
     * SQLite's default checkpoint size (1000 pages): a larger one made the checkpoint that a
     * commit runs longer, and the write latency tail worse (bench/RESULTS.md, issue 5). */
    rc = exec_sql(c->db,
                  "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-8192; "
                  "PRAGMA temp_store=MEMORY;",
                  "pragmas", err);
out:
    sqlite3_finalize(q);
    if (rc) {
        sqlite3_close(c->db);
        c->db = NULL;
    }
    return rc;
}

static void conn_close(struct conn *c)
{
    if (!c->db)
        return;
    /* SQLite recommends this before closing a long-lived connection; failures do not matter. */
    sqlite3_exec(c->db, "PRAGMA optimize", NULL, NULL, NULL);
    for (int i = 0; i < ST_MAX; i++)
        sqlite3_finalize(c->stmt[i]);
    for (int i = 0; i < DYN_MAX; i++) {
        sqlite3_finalize(c->dyn[i].q);
        scim_free(c->dyn[i].sql);
    }
    if (sqlite3_close(c->db) != SQLITE_OK)
        scim_log(SCIM_LOG_ERROR, "store: closing a connection failed: %s", sqlite3_errmsg(c->db));
    c->db = NULL;
}

/*
 * Reads the MAC key of cursors from store_keys, creating it (32 random bytes from libsodium) the
 * first time. Kept in the database, so cursors survive restarts and are shared by every process
 * using the same database.
 */
static int load_cursor_secret(struct sqlite_store *s, sqlite3 *db, struct scim_err *err)
{
    int rc = 0;
    sqlite3_stmt *q = NULL;
    unsigned char fresh[SCIM_STORE_SECRET_LEN];
    if (sodium_init() < 0) {
        rc = scim_err_set(err, 500, NULL, "libsodium cannot be initialised");
        goto out;
    }
    randombytes_buf(fresh, sizeof(fresh));
    if (sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO store_keys(name, secret) VALUES ('cursor', ?1)",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_bind_blob(q, 1, fresh, sizeof(fresh), SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_DONE) {
        rc = db_fail(db, "create cursor secret", err);
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT secret FROM store_keys WHERE name = 'cursor'", -1, &q,
                           NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        rc = db_fail(db, "read cursor secret", err);
        goto out;
    }
    if (sqlite3_column_bytes(q, 0) != SCIM_STORE_SECRET_LEN) {
        rc = scim_err_internal(err, "store: the cursor secret in store_keys has the wrong size");
        goto out;
    }
    memcpy(s->cursor_secret, sqlite3_column_blob(q, 0), SCIM_STORE_SECRET_LEN);
out:
    sodium_memzero(fresh, sizeof(fresh));
    sqlite3_finalize(q);
    return rc;
}

static void sqlite_close(struct scim_store *st)
{
    struct sqlite_store *s = from_base(st);
    for (int i = 0; i < s->size; i++)
        conn_close(&s->conns[i]);
    scim_sqlite_checkpointer_stop(s->checkpointer, s->writer.db);
    conn_close(&s->writer);
    pthread_cond_destroy(&s->available);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->write_lock);
    pthread_cond_destroy(&s->batch_done);
    pthread_mutex_destroy(&s->batch_lock);
    sodium_memzero(s->cursor_secret, sizeof(s->cursor_secret));
    scim_free(s->conns);
    scim_free(s);
}

int scim_store_sqlite_open(const char *path, int pool_size, struct scim_store **out,
                           struct scim_err *err)
{
    int rc = 0;
    struct sqlite_store *s = NULL;
    if (sqlite3_libversion_number() < MIN_SQLITE_VERSION)
        return scim_err_set(err, 500, NULL, "SQLite %s is too old; 3.37 or newer is needed",
                            sqlite3_libversion());
    if (!sqlite3_threadsafe())
        return scim_err_set(err, 500, NULL, "this SQLite library was built without threads");
    /* No global allocation statistics: they take a process-wide mutex on every allocation. Only
     * possible before SQLite initialises (a second store in one process keeps the first's). */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (pool_size < 1)
        pool_size = 1;
    if (path[0] == '\0' || strcmp(path, ":memory:") == 0)
        return scim_err_set(err, 500, NULL, "the SQLite store needs a database file path");
    rc = ensure_parent_dir(path, err);
    if (rc)
        return rc;
    rc = ensure_file(path, err);
    if (rc)
        return rc;

    s = scim_calloc(1, sizeof(*s));
    s->base.ops = &sqlite_ops;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->batch_lock, NULL);
    pthread_cond_init(&s->batch_done, NULL);
    atomic_init(&s->writers_queued, 0);
    atomic_init(&s->batch_commits, 0);
    atomic_init(&s->batch_writes, 0);
    pthread_cond_init(&s->available, NULL);
    atomic_init(&s->prepares, 0);
    s->conns = scim_calloc((size_t)pool_size, sizeof(struct conn));
    for (int i = 0; i < pool_size; i++) {
        rc = conn_open(s, &s->conns[i], path, err);
        if (rc)
            goto out;
        s->size = i + 1;
        if (i == 0) {
            rc = migrate(s->conns[0].db, err);
            if (rc)
                goto out;
            rc = load_cursor_secret(s, s->conns[0].db, err);
            if (rc)
                goto out;
        }
        s->conns[i].next_free = s->free_list;
        s->free_list = &s->conns[i];
    }
    rc = conn_open(s, &s->writer, path, err);
    if (rc)
        goto out;
    rc = scim_sqlite_checkpointer_start(path, s->writer.db, &s->write_lock, &s->checkpointer, err);
    if (rc)
        goto out;
    *out = &s->base;
out:
    if (rc)
        sqlite_close(&s->base);
    return rc;
}

long scim_store_sqlite_prepare_count(struct scim_store *st)
{
    return atomic_load(&from_base(st)->prepares);
}

void scim_store_sqlite_batch_stats(struct scim_store *st, long *commits, long *writes)
{
    struct sqlite_store *s = from_base(st);
    *commits = atomic_load(&s->batch_commits);
    *writes = atomic_load(&s->batch_writes);
}

/* ---- check ------------------------------------------------------------------------------ */

static int sqlite_check(struct scim_store *st, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    int rc = 0;
    sqlite3_stmt *q = stmt_get(c, ST_INTEGRITY_CHECK, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    int step = sqlite3_step(q);
    if (step != SQLITE_ROW) {
        rc = db_fail(c->db, "integrity_check", err);
        goto out;
    }
    const char *result = (const char *)sqlite3_column_text(q, 0);
    if (!result || strcmp(result, "ok") != 0) {
        scim_log(SCIM_LOG_ERROR, "store: integrity_check: %s", result ? result : "(null)");
        rc = scim_err_set(err, 500, NULL, "Database integrity check failed: %.300s",
                          result ? result : "no result");
        goto out;
    }
    q = stmt_get(c, ST_FOREIGN_KEY_CHECK, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    step = sqlite3_step(q);
    if (step == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(q, 0);
        scim_log(SCIM_LOG_ERROR, "store: foreign_key_check: violation in table %s",
                 table ? table : "(null)");
        rc = scim_err_set(err, 500, NULL, "Database foreign key check failed in table %.100s",
                          table ? table : "(unknown)");
    } else if (step != SQLITE_DONE) {
        rc = db_fail(c->db, "foreign_key_check", err);
    }
out:
    conn_put(s, c);
    return rc;
}

/* ---- tenants ---------------------------------------------------------------------------- */

static int sqlite_tenant_create(struct scim_store *st, const char *name, struct scim_tenant *out,
                                struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    size_t len = strlen(name);
    if (len == 0 || len >= sizeof(out->name) || !scim_text_valid_utf8(name, len))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "A tenant name must be 1 to %zu bytes of UTF-8", sizeof(out->name) - 1);
    struct conn *c = writer_get(s);
    int rc = tx_exec(c, ST_BEGIN_IMMEDIATE, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = stmt_get(c, ST_TENANT_INSERT, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, name) || bind_i64(q, 2, scim_time_now_ms())) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if ((step & 0xff) == SQLITE_CONSTRAINT) {
        rc = scim_err_set(err, 409, SCIM_TYPE_UNIQUENESS, "Tenant '%s' already exists", name);
        goto out;
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(c->db, "insert tenant", err);
        goto out;
    }
    int64_t id = sqlite3_last_insert_rowid(c->db);
    rc = tx_commit(c, err);
    if (rc)
        goto out;
    if (out) {
        memset(out, 0, sizeof(*out));
        out->id = id;
        memcpy(out->name, name, len + 1);
    }
out:
    conn_put(s, c);
    return rc;
}

static int sqlite_tenant_get(struct scim_store *st, const char *name, struct scim_tenant *out,
                             struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    int rc = 0;
    sqlite3_stmt *q = stmt_get(c, ST_TENANT_GET, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, name)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        rc = scim_err_set(err, 404, NULL, "Tenant '%.200s' not found", name);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = db_fail(c->db, "get tenant", err);
        goto out;
    }
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_column_int64(q, 0);
    copy_column(out->name, sizeof(out->name), q, 1);
out:
    conn_put(s, c);
    return rc;
}

static int sqlite_tenant_list(struct scim_store *st, json_t **out, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    int rc = 0;
    json_t *list = json_array();
    sqlite3_stmt *q = stmt_get(c, ST_TENANT_LIST, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *item = json_object();
        json_object_set_new(item, "name", column_json_text(q, 0));
        json_object_set_new(item, "created", column_json_time(q, 1));
        json_array_append_new(list, item);
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(c->db, "list tenants", err);
        goto out;
    }
    *out = list;
    list = NULL;
out:
    json_decref(list);
    conn_put(s, c);
    return rc;
}

/* ---- tokens ----------------------------------------------------------------------------- */

/* Length of a NUL-terminated field of a fixed-size array, never past the array. */
#define FIELD_LEN(field) strnlen((field), sizeof(field))

/*
 * Returns how many of the len bytes of s to keep so that a multi-byte UTF-8 sequence cut short at
 * the end (what snprintf into a fixed-size field leaves behind) is dropped.
 */
static size_t utf8_complete_len(const char *s, size_t len)
{
    size_t lead = len;
    while (lead > 0 && len - lead < 4 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80)
        lead--;
    if (lead == 0)
        return len;
    unsigned char b = (unsigned char)s[lead - 1];
    size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return len - (lead - 1) < need ? lead - 1 : len;
}

/* Measures a text field of a token record: its length without a cut-off final character;
 * false when it fills its array without a NUL or is not UTF-8. */
static bool token_field(const char *field, size_t size, size_t *len)
{
    size_t n = strnlen(field, size);
    if (n == size)
        return false;
    *len = utf8_complete_len(field, n);
    return scim_text_valid_utf8(field, *len);
}

static int sqlite_token_insert(struct scim_store *st, const struct scim_token_record *rec,
                               const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                               const struct scim_audit_entry *audit, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    size_t id_len = FIELD_LEN(rec->id), desc_len = 0, scopes_len = 0, hint_len = 0;
    size_t client_len = 0;
    if (id_len == 0 || id_len == sizeof(rec->id) || !scim_text_valid_utf8(rec->id, id_len))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "A token needs an id");
    if (!token_field(rec->description, sizeof(rec->description), &desc_len) ||
        !token_field(rec->scopes, sizeof(rec->scopes), &scopes_len) ||
        !token_field(rec->hint, sizeof(rec->hint), &hint_len) ||
        !token_field(rec->client_id, sizeof(rec->client_id), &client_len))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "Token description, scopes, hint and client must be UTF-8 text");
    struct conn *c = writer_get(s);
    int rc = tx_exec(c, ST_BEGIN_IMMEDIATE, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = stmt_get(c, ST_TOKEN_INSERT, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_textn(q, 1, rec->id, id_len) || bind_i64(q, 2, rec->tenant.id) ||
        sqlite3_bind_blob(q, 3, hash, SCIM_TOKEN_HASH_LEN, SQLITE_STATIC) ||
        bind_textn(q, 4, rec->description, desc_len) || bind_textn(q, 5, rec->scopes, scopes_len) ||
        bind_textn(q, 6, rec->hint, hint_len) || bind_i64(q, 7, rec->created_ms) ||
        bind_time_or_null(q, 8, rec->expires_ms) || bind_time_or_null(q, 9, rec->revoked_ms) ||
        bind_time_or_null(q, 10, rec->last_used_ms) ||
        bind_textn(q, 11, client_len ? rec->client_id : NULL, client_len)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_CONSTRAINT_FOREIGNKEY) {
        rc = scim_err_set(err, 404, NULL, "Tenant %" PRId64 " or OAuth client not found",
                          rec->tenant.id);
        goto out;
    }
    if (step == SQLITE_CONSTRAINT_PRIMARYKEY) {
        rc = scim_err_set(err, 409, SCIM_TYPE_UNIQUENESS, "Token id '%s' is already in use",
                          rec->id);
        goto out;
    }
    if (step == SQLITE_CONSTRAINT_UNIQUE) {
        rc = scim_err_set(err, 409, SCIM_TYPE_UNIQUENESS,
                          "A token with the same secret already exists");
        goto out;
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(c->db, "insert token", err);
        goto out;
    }
    if (audit) {
        rc = scim_sqlite_audit_insert(c, rec->tenant.id, audit, "Token", rec->id, err);
        if (rc)
            goto out;
    }
    rc = tx_commit(c, err);
out:
    conn_put(s, c);
    return rc;
}

static int sqlite_token_find(struct scim_store *st, const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                             struct scim_token_record *out, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    int rc = 0;
    sqlite3_stmt *q = stmt_get(c, ST_TOKEN_FIND, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (sqlite3_bind_blob(q, 1, hash, SCIM_TOKEN_HASH_LEN, SQLITE_STATIC)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        rc = scim_err_set(err, 404, NULL, "Token not found");
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = db_fail(c->db, "find token", err);
        goto out;
    }
    memset(out, 0, sizeof(*out));
    copy_column(out->id, sizeof(out->id), q, 0);
    out->tenant.id = sqlite3_column_int64(q, 1);
    copy_column(out->tenant.name, sizeof(out->tenant.name), q, 2);
    copy_column(out->description, sizeof(out->description), q, 3);
    copy_column(out->scopes, sizeof(out->scopes), q, 4);
    copy_column(out->hint, sizeof(out->hint), q, 5);
    out->created_ms = sqlite3_column_int64(q, 6);
    out->expires_ms = sqlite3_column_int64(q, 7);
    out->revoked_ms = sqlite3_column_int64(q, 8);
    out->last_used_ms = sqlite3_column_int64(q, 9);
    if (sqlite3_column_bytes(q, 10) == SCIM_TOKEN_HASH_LEN)
        memcpy(out->hash, sqlite3_column_blob(q, 10), SCIM_TOKEN_HASH_LEN);
    copy_column(out->client_id, sizeof(out->client_id), q, 11);
out:
    conn_put(s, c);
    return rc;
}

static int sqlite_token_list(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                             struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    int rc = 0;
    json_t *list = json_array();
    sqlite3_stmt *q = stmt_get(c, ST_TOKEN_LIST, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (tenant ? bind_i64(q, 1, tenant->id) : sqlite3_bind_null(q, 1)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *item = json_object();
        json_object_set_new(item, "id", column_json_text(q, 0));
        json_object_set_new(item, "tenant", column_json_text(q, 1));
        json_object_set_new(item, "description", column_json_text(q, 2));
        json_object_set_new(item, "scopes", column_json_text(q, 3));
        json_object_set_new(item, "hint", column_json_text(q, 4));
        json_object_set_new(item, "created_at", column_json_time(q, 5));
        json_object_set_new(item, "expires_at", column_json_time(q, 6));
        json_object_set_new(item, "revoked_at", column_json_time(q, 7));
        json_object_set_new(item, "last_used_at", column_json_time(q, 8));
        json_array_append_new(list, item);
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(c->db, "list tokens", err);
        goto out;
    }
    *out = list;
    list = NULL;
out:
    json_decref(list);
    conn_put(s, c);
    return rc;
}

static int sqlite_token_revoke(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *id, int64_t now_ms, const struct scim_audit_entry *audit,
                               struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = writer_get(s);
    int rc = tx_exec(c, ST_BEGIN_IMMEDIATE, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = stmt_get(c, ST_TOKEN_REVOKE, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, id) || bind_i64(q, 2, now_ms) ||
        (tenant ? bind_i64(q, 3, tenant->id) : sqlite3_bind_null(q, 3))) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = db_fail(c->db, "revoke token", err);
        goto out;
    }
    if (sqlite3_changes(c->db) == 0) {
        rc = scim_err_set(err, 404, NULL, "Token %.100s not found", id);
        goto out;
    }
    if (audit && tenant) {
        rc = scim_sqlite_audit_insert(c, tenant->id, audit, "Token", id, err);
        if (rc)
            goto out;
    }
    rc = tx_commit(c, err);
out:
    conn_put(s, c);
    return rc;
}

static int sqlite_token_touch(struct scim_store *st, const char *id, int64_t now_ms,
                              struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    int rc = 0;
    /* The cheap read first: most requests find a recent value and write nothing. */
    sqlite3_stmt *q = stmt_get(c, ST_TOKEN_LAST_USED, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, id)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        rc = scim_err_set(err, 404, NULL, "Token %.100s not found", id);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = db_fail(c->db, "read token last use", err);
        goto out;
    }
    if (sqlite3_column_type(q, 0) != SQLITE_NULL &&
        now_ms - sqlite3_column_int64(q, 0) < TOUCH_INTERVAL_MS)
        goto out;
    conn_put(s, c);
    c = writer_get(s);
    rc = tx_exec(c, ST_BEGIN_IMMEDIATE, err);
    if (rc)
        goto out;
    /* The UPDATE repeats the age test, so a concurrent touch cannot move the time backwards. */
    q = stmt_get(c, ST_TOKEN_TOUCH, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_text(q, 1, id) || bind_i64(q, 2, now_ms) ||
        bind_i64(q, 3, now_ms - TOUCH_INTERVAL_MS)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = db_fail(c->db, "touch token", err);
        goto out;
    }
    rc = tx_commit(c, err);
out:
    conn_put(s, c);
    return rc;
}

/* ---- resources -------------------------------------------------------------------------- */

/* The indexed columns the store copies out of a document. Strings are borrowed from the
 * document except user_name_ci, which is owned. */
struct indexed {
    const char *user_name; /* as written, for messages */
    char *user_name_ci;    /* case-folded; owned; NULL when the document has no userName */
    const char *external_id;
    size_t external_id_len;
    const char *display_name;
    size_t display_name_len;
    int active; /* 0, 1, or -1 when absent */
};

static void indexed_from_doc(const json_t *doc, struct indexed *ix)
{
    memset(ix, 0, sizeof(*ix));
    ix->active = -1;
    const json_t *v = json_object_get(doc, "userName");
    if (json_is_string(v)) {
        ix->user_name = json_string_value(v);
        ix->user_name_ci = scim_text_casefold(ix->user_name, json_string_length(v));
    }
    v = json_object_get(doc, "externalId");
    if (json_is_string(v)) {
        ix->external_id = json_string_value(v);
        ix->external_id_len = json_string_length(v);
    }
    v = json_object_get(doc, "displayName");
    if (json_is_string(v)) {
        ix->display_name = json_string_value(v);
        ix->display_name_len = json_string_length(v);
    }
    v = json_object_get(doc, "active");
    if (json_is_boolean(v))
        ix->active = json_is_true(v) ? 1 : 0;
}

/* Binds ?1 tenant, ?2 type, ?3 id: the key every resource statement starts with. */
static int bind_key(sqlite3_stmt *q, const struct scim_tenant *tenant, const char *rt_name,
                    const char *id)
{
    return bind_i64(q, 1, tenant->id) || bind_text(q, 2, rt_name) || bind_text(q, 3, id);
}

/* Binds ?4..?7 (indexed columns), ?8 (time), ?9 (document), ?10 (password hash). */
static int bind_columns(sqlite3_stmt *q, const struct indexed *ix, int64_t now_ms,
                        const char *doc_text, const char *password_hash)
{
    return bind_text(q, 4, ix->user_name_ci) ||
           bind_textn(q, 5, ix->external_id, ix->external_id_len) ||
           bind_textn(q, 6, ix->display_name, ix->display_name_len) ||
           (ix->active < 0 ? sqlite3_bind_null(q, 7) : sqlite3_bind_int(q, 7, ix->active)) ||
           bind_i64(q, 8, now_ms) || bind_text(q, 9, doc_text) || bind_text(q, 10, password_hash);
}

/*
 * Explains a constraint failure of an INSERT or UPDATE of resource self_id inside the open
 * transaction: 409 when another live resource holds the userName, else a 500 with cause logged.
 */
static int constraint_error(struct conn *c, const struct scim_tenant *tenant, const char *rt_name,
                            const struct indexed *ix, const char *self_id, struct scim_err *err)
{
    char cause[640];
    snprintf(cause, sizeof(cause), "sqlite write resource: %s (code %d)", sqlite3_errmsg(c->db),
             sqlite3_extended_errcode(c->db));
    if (!ix->user_name_ci)
        return scim_err_internal(err, cause);
    sqlite3_stmt *q = stmt_get(c, ST_RES_NAME_TAKEN, err);
    if (!q)
        return SCIM_ERR;
    if (bind_i64(q, 1, tenant->id) || bind_text(q, 2, rt_name) ||
        bind_text(q, 3, ix->user_name_ci) || bind_text(q, 4, self_id))
        return db_fail(c->db, "bind", err);
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        return scim_err_set(err, 409, SCIM_TYPE_UNIQUENESS,
                            "userName '%.200s' is already in use in this tenant", ix->user_name);
    if (step != SQLITE_DONE)
        return db_fail(c->db, "check userName", err);
    return scim_err_internal(err, cause);
}

/* After an UPDATE matched no row: 404 when the resource is missing or deleted, else 412. */
static int missing_or_stale(struct conn *c, const struct scim_tenant *tenant, const char *rt_name,
                            const char *id, struct scim_err *err)
{
    sqlite3_stmt *q = stmt_get(c, ST_RES_VERSION, err);
    if (!q)
        return SCIM_ERR;
    if (bind_key(q, tenant, rt_name, id))
        return db_fail(c->db, "bind", err);
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE)
        return scim_err_set(err, 404, NULL, "Resource %.100s not found", id);
    if (step != SQLITE_ROW)
        return db_fail(c->db, "read version", err);
    return scim_err_set(err, 412, NULL,
                        "The resource was modified (version %" PRId64 "); fetch it again",
                        (int64_t)sqlite3_column_int64(q, 0));
}

/*
 * Makes the value index entries of the resource at rowid those of doc (NULL: none), inside the
 * caller's open transaction: the old entries are deleted unless fresh (a resource just created).
 */
static int entry_cmp(const void *a, const void *b)
{
    const struct scim_sqlgen_index_entry *x = a, *y = b;
    int c = strcmp(x->attr, y->attr);
    return c ? c : strcmp(x->value, y->value);
}

/*
 * 1 when the stored entries of rowid are exactly entries[0..n) (sorted by entry_cmp,
 * duplicates allowed: the table keeps one of each), 0 when not, a negative rc with err set
 * when they cannot be read. Most replaces change no indexed value (a
 * PATCH of title on a user with 20 e-mails and phones), and then the index is left alone.
 */
static int values_unchanged(struct conn *c, int64_t rowid,
                            const struct scim_sqlgen_index_entry *entries, size_t n,
                            struct scim_err *err)
{
    sqlite3_stmt *q = stmt_get(c, ST_VALUES_LIST, err);
    if (!q)
        return SCIM_ERR;
    if (bind_i64(q, 1, rowid))
        return db_fail(c->db, "bind", err);
    size_t i = 0;
    bool same = true;
    int step;
    while (same && (step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *attr = (const char *)sqlite3_column_text(q, 0);
        const char *value = (const char *)sqlite3_column_text(q, 1);
        if (i >= n || !attr || !value || strcmp(attr, entries[i].attr) != 0 ||
            strcmp(value, entries[i].value) != 0) {
            same = false;
            break;
        }
        /* Skip the duplicates the table folded into this one row. */
        while (i < n && strcmp(entries[i].attr, attr) == 0 && strcmp(entries[i].value, value) == 0)
            i++;
    }
    /* A failed read is the write's failure: SQLite may have rolled the transaction back, and
     * rewriting the entries then would commit them on their own. */
    if (same && step != SQLITE_DONE) {
        int rc = db_fail(c->db, "read value index entries", err);
        sqlite3_reset(q);
        return rc;
    }
    same = same && i == n;
    /* Done with the rows before the index may be rewritten on this connection. */
    sqlite3_reset(q);
    return same ? 1 : 0;
}

static int values_write(struct conn *c, const struct scim_tenant *tenant, const char *rt_name,
                        int64_t rowid, const json_t *doc, bool fresh, struct scim_err *err)
{
    int rc = 0;
    struct scim_sqlgen_index_entry *entries = NULL;
    size_t n = 0;
    sqlite3_stmt *q;
    if (doc)
        scim_sqlgen_index_values(scim_resource_type_find(rt_name), doc, &entries, &n);
    if (n > 1)
        qsort(entries, n, sizeof(*entries), entry_cmp);
    if (!fresh) {
        rc = values_unchanged(c, rowid, entries, n, err);
        if (rc != 0) {
            rc = rc < 0 ? rc : 0;
            goto out;
        }
    }
    if (!fresh) {
        q = stmt_get(c, ST_VALUES_DELETE, err);
        if (!q) {
            rc = SCIM_ERR;
            goto out;
        }
        if (bind_i64(q, 1, rowid)) {
            rc = db_fail(c->db, "bind", err);
            goto out;
        }
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = db_fail(c->db, "delete value index entries", err);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        q = stmt_get(c, ST_VALUES_INSERT, err);
        if (!q) {
            rc = SCIM_ERR;
            goto out;
        }
        if (bind_i64(q, 1, tenant->id) || bind_text(q, 2, entries[i].attr) ||
            bind_text(q, 3, entries[i].value) || bind_i64(q, 4, rowid)) {
            rc = db_fail(c->db, "bind", err);
            goto out;
        }
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = db_fail(c->db, "insert value index entry", err);
            goto out;
        }
    }
out:
    scim_sqlgen_index_free(entries, n);
    return rc;
}

char *scim_sqlite_doc_text(const json_t *doc)
{
    return json_is_object(doc) ? scim_json_dump(doc, NULL) : NULL;
}

/* For a User write with an output: the membership rows its response renders (groups, roles),
 * read inside the write's transaction on the writer, whose pages are warm; a read afterwards on
 * a pooled connection would start with the page cache the commit just invalidated. */
static int read_derived(struct conn *c, const struct scim_tenant *tenant, const char *rt_name,
                        const char *id, const struct scim_resource *out, json_t **derived,
                        struct scim_err *err)
{
    *derived = NULL;
    if (!out || strcmp(rt_name, "User") != 0)
        return 0;
    *derived = scim_sqlite_user_derived(c, tenant, id, err);
    return *derived ? 0 : SCIM_ERR;
}

static int sqlite_resource_create(struct scim_store *st, const struct scim_tenant *tenant,
                                  const char *rt_name, const json_t *doc, const char *password_hash,
                                  struct scim_resource *out, const struct scim_audit_entry *audit,
                                  struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct indexed ix;
    indexed_from_doc(doc, &ix);
    char *text = scim_sqlite_doc_text(doc);
    char id[37];
    scim_uuid_v7(id);
    int64_t now = scim_time_now_ms();
    struct conn *c = batch_writer_get(s);
    json_t *derived = NULL;
    int rc = 0;
    if (!text) {
        rc = scim_err_internal(err, "store: resource document is not an encodable JSON object");
        goto out;
    }
    rc = batch_member_begin(s, c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = stmt_get(c, ST_RES_INSERT, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_key(q, tenant, rt_name, id) || bind_columns(q, &ix, now, text, password_hash)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if ((step & 0xff) == SQLITE_CONSTRAINT) {
        rc = constraint_error(c, tenant, rt_name, &ix, id, err);
        goto out;
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(c->db, "insert resource", err);
        goto out;
    }
    rc = values_write(c, tenant, rt_name, sqlite3_last_insert_rowid(c->db), doc, true, err);
    if (rc)
        goto out;
    if (audit) {
        rc = scim_sqlite_audit_insert(c, tenant->id, audit, rt_name, id, err);
        if (rc)
            goto out;
    }
    rc = read_derived(c, tenant, rt_name, id, out, &derived, err);
out:
    rc = batch_member_end(s, c, rc, err);
    if (rc == 0 && out) {
        memset(out, 0, sizeof(*out));
        memcpy(out->id, id, sizeof(id));
        out->version = 1;
        out->created_ms = now;
        out->modified_ms = now;
        out->doc = json_incref((json_t *)doc);
        out->derived = derived;
        derived = NULL;
    }
    json_decref(derived);
    scim_free(text);
    scim_free(ix.user_name_ci);
    return rc;
}

/* Runs statement id (keyed ?1 tenant, ?2 type, ?3 id) to its row of the live resource id: 0
 * with *q on the row, 404 when there is none, or a store failure. */
static int key_row(struct conn *c, enum stmt_id stmt, const struct scim_tenant *tenant,
                   const char *rt_name, const char *id, sqlite3_stmt **q, struct scim_err *err)
{
    *q = stmt_get(c, stmt, err);
    if (!*q)
        return SCIM_ERR;
    if (bind_key(*q, tenant, rt_name, id))
        return db_fail(c->db, "bind", err);
    int step = sqlite3_step(*q);
    if (step == SQLITE_DONE)
        return scim_err_set(err, 404, NULL, "Resource %.100s not found", id);
    if (step != SQLITE_ROW)
        return db_fail(c->db, "get resource", err);
    return 0;
}

static int sqlite_resource_get(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *rt_name, const char *id, struct scim_resource *out,
                               struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    sqlite3_stmt *q = NULL;
    int rc = key_row(c, ST_RES_GET, tenant, rt_name, id, &q, err);
    if (rc == 0 && out)
        rc = row_to_resource(q, out, err);
    conn_put(s, c);
    return rc;
}

static int sqlite_password_hash_get(struct scim_store *st, const struct scim_tenant *tenant,
                                    const char *rt_name, const char *id, char *out, size_t size,
                                    struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    sqlite3_stmt *q = NULL;
    out[0] = '\0';
    int rc = key_row(c, ST_RES_PASSWORD_HASH, tenant, rt_name, id, &q, err);
    if (rc == 0)
        copy_column(out, size, q, 0);
    conn_put(s, c);
    return rc;
}

static int sqlite_resource_replace(struct scim_store *st, const struct scim_tenant *tenant,
                                   const char *rt_name, const char *id, int64_t expected_version,
                                   const json_t *doc, const char *password_hash,
                                   struct scim_resource *out, const struct scim_audit_entry *audit,
                                   struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct indexed ix;
    indexed_from_doc(doc, &ix);
    char *text = scim_sqlite_doc_text(doc);
    int64_t now = scim_time_now_ms();
    struct conn *c = batch_writer_get(s);
    json_t *derived = NULL;
    struct scim_resource stored = {0};
    int rc = 0;
    if (!text) {
        rc = scim_err_internal(err, "store: resource document is not an encodable JSON object");
        goto out;
    }
    rc = batch_member_begin(s, c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = NULL;
    int step = SQLITE_DONE;
    /* The narrow update first; the full one when it matched no row. */
    static const enum stmt_id updates[] = {ST_RES_UPDATE_DOC, ST_RES_UPDATE};
    for (size_t i = 0; step == SQLITE_DONE && i < sizeof(updates) / sizeof(updates[0]); i++) {
        q = stmt_get(c, updates[i], err);
        if (!q) {
            rc = SCIM_ERR;
            goto out;
        }
        if (bind_key(q, tenant, rt_name, id) || bind_columns(q, &ix, now, text, password_hash) ||
            bind_i64(q, 11, expected_version < 0 ? -1 : expected_version)) {
            rc = db_fail(c->db, "bind", err);
            goto out;
        }
        step = sqlite3_step(q);
    }
    if ((step & 0xff) == SQLITE_CONSTRAINT) {
        rc = constraint_error(c, tenant, rt_name, &ix, id, err);
        goto out;
    }
    if (step == SQLITE_DONE) {
        rc = missing_or_stale(c, tenant, rt_name, id, err);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = db_fail(c->db, "update resource", err);
        goto out;
    }
    stored.version = sqlite3_column_int64(q, 0);
    stored.created_ms = sqlite3_column_int64(q, 1);
    stored.modified_ms = sqlite3_column_int64(q, 2);
    int64_t rowid = sqlite3_column_int64(q, 3);
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = db_fail(c->db, "update resource", err);
        goto out;
    }
    rc = values_write(c, tenant, rt_name, rowid, doc, false, err);
    if (rc)
        goto out;
    if (audit) {
        rc = scim_sqlite_audit_insert(c, tenant->id, audit, rt_name, id, err);
        if (rc)
            goto out;
    }
    rc = read_derived(c, tenant, rt_name, id, out, &derived, err);
out:
    rc = batch_member_end(s, c, rc, err);
    if (rc == 0 && out) {
        *out = stored;
        snprintf(out->id, sizeof(out->id), "%s", id);
        out->doc = json_incref((json_t *)doc);
        out->derived = derived;
        derived = NULL;
    }
    json_decref(derived);
    scim_free(text);
    scim_free(ix.user_name_ci);
    return rc;
}

static int sqlite_resource_delete(struct scim_store *st, const struct scim_tenant *tenant,
                                  const char *rt_name, const char *id, int64_t expected_version,
                                  const struct scim_audit_entry *audit, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = batch_writer_get(s);
    int rc = batch_member_begin(s, c, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = stmt_get(c, ST_RES_DELETE, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_key(q, tenant, rt_name, id) || bind_i64(q, 4, scim_time_now_ms()) ||
        bind_i64(q, 5, expected_version < 0 ? -1 : expected_version)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        rc = missing_or_stale(c, tenant, rt_name, id, err);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = db_fail(c->db, "delete resource", err);
        goto out;
    }
    int64_t rowid = sqlite3_column_int64(q, 0);
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = db_fail(c->db, "delete resource", err);
        goto out;
    }
    rc = values_write(c, tenant, rt_name, rowid, NULL, false, err);
    if (rc)
        goto out;
    /* Its membership rows go with it (store_sqlite_groups.c); the tombstone stays. */
    rc = scim_sqlite_groups_on_delete(c, tenant, rowid, scim_time_now_ms(), err);
    if (rc)
        goto out;
    if (audit) {
        rc = scim_sqlite_audit_insert(c, tenant->id, audit, rt_name, id, err);
        if (rc)
            goto out;
    }
out:
    return batch_member_end(s, c, rc, err);
}

/* ---- listing ------------------------------------------------------------------------------ */

/*
 * The SQL of one list query: "r" is the resources row; ?1 is the tenant id, ?2 the type, then the
 * filter's and the sort key's parameters, then the paging parameters from next_param on.
 */
struct plan {
    struct scim_sqlgen where; /* where.sql NULL: no filter */
    struct scim_sqlgen sort;  /* sort.sql NULL: creation order */
    bool descending;
    bool key_never_null; /* the sort key is a NOT NULL column: no "missing values last" term */
    bool one_row;        /* the filter matches at most one live resource: no ORDER BY needed */
    int next_param;
    char *from;   /* " FROM resources r WHERE ... " with the filter */
    char *select; /* "SELECT <row columns>, r.rowid, <sort key or NULL>" */
    unsigned char fingerprint[SCIM_STORE_FINGERPRINT_LEN];
};

#define PLAN_COLUMNS "SELECT r.id, r.version, r.created_ms, r.modified_ms, r.doc, r.rowid, "
#define COL_ROWID 5
#define COL_KEY 6

/*
 * True when every live resource has a value for the sortBy path, because its column is filled
 * on every write: meta.created, meta.lastModified, id, a User's userName and a Group's
 * displayName. Index paging then orders by the key alone, which lets SQLite walk the column's
 * index instead of sorting every row.
 */
static bool sort_key_never_null(const char *rt_name, const struct scim_path *path)
{
    const char *name = path->attr->name;
    if (path->schema == NULL && !path->sub)
        return strcmp(name, "id") == 0;
    if (path->schema == NULL && strcmp(name, "meta") == 0)
        return strcmp(path->sub->name, "created") == 0 ||
               strcmp(path->sub->name, "lastModified") == 0;
    if (path->sub || path->in_extension)
        return false;
    return (strcmp(rt_name, "User") == 0 && strcmp(name, "userName") == 0) ||
           (strcmp(rt_name, "Group") == 0 && strcmp(name, "displayName") == 0);
}

/*
 * True when f can match at most one live resource of the type: "id eq" and a User's
 * "userName eq" (unique per tenant and type among live resources: resources_id and
 * resources_user_name). Its page then needs no ORDER BY, which would cost a sorter for one row
 * (the IdPs' existence check, GET /Users?filter=userName eq "…", is the commonest query).
 */
static bool filter_one_row(const char *rt_name, const struct scim_filter *f)
{
    if (!f || f->kind != SCIM_FILTER_COMPARE || f->op != SCIM_OP_EQ || !json_is_string(f->value) ||
        f->path.sub || f->path.in_extension)
        return false;
    const char *name = f->path.attr->name;
    if (!f->path.schema)
        return strcmp(name, "id") == 0;
    return strcmp(rt_name, "User") == 0 && strcmp(name, "userName") == 0;
}

static void plan_clear(struct plan *p)
{
    scim_sqlgen_clear(&p->where);
    scim_sqlgen_clear(&p->sort);
    scim_free(p->from);
    scim_free(p->select);
    memset(p, 0, sizeof(*p));
}

/* The deprecated single-equality filter as a generated fragment; *out (zeroed by the caller)
 * is released with scim_sqlgen_clear. */
static int legacy_where(const struct scim_list_query *query, struct scim_sqlgen *out,
                        struct scim_err *err)
{
    const char *column = NULL;
    bool fold = false;
    if (!query->filter_value)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_FILTER, "The filter has no value");
    if (strcmp(query->filter_attr, "id") == 0) {
        column = "r.id = ?3";
    } else if (strcmp(query->filter_attr, "userName") == 0) {
        column = "r.user_name_ci = ?3";
        fold = true;
    } else if (strcmp(query->filter_attr, "externalId") == 0) {
        column = "r.external_id = ?3";
    } else {
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_FILTER,
                            "Filtering on '%.100s' is not supported", query->filter_attr);
    }
    size_t len = strlen(query->filter_value);
    out->sql = scim_strdup(column);
    out->params = scim_calloc(1, sizeof(*out->params));
    out->n_params = 1;
    out->next_param = 4;
    out->params[0].index = 3;
    out->params[0].type = SCIM_SQLGEN_TEXT;
    out->params[0].text = fold ? scim_text_casefold(query->filter_value, len)
                               : scim_strndup(query->filter_value, len);
    out->params[0].text_len = strlen(out->params[0].text);
    return 0;
}

/* Builds the plan of query (filter and sort translated, texts assembled, fingerprint taken). */
static int plan_build(const struct scim_tenant *tenant, const char *rt_name,
                      const struct scim_list_query *query, struct plan *p, struct scim_err *err)
{
    int rc = 0;
    struct scim_sqlbuf b = {0};
    memset(p, 0, sizeof(*p));
    p->next_param = 3;
    if (query->filter)
        rc = scim_sqlgen_where(&scim_sqlgen_sqlite, query->filter, 1, 3, &p->where, err);
    else if (query->filter_attr)
        rc = legacy_where(query, &p->where, err);
    if (rc)
        goto out;
    if (p->where.sql)
        p->next_param = p->where.next_param;
    p->one_row = filter_one_row(rt_name, query->filter);
    if (query->sort_by) {
        rc =
            scim_sqlgen_sort_key(&scim_sqlgen_sqlite, query->sort_by, p->next_param, &p->sort, err);
        if (rc)
            goto out;
        p->next_param = p->sort.next_param;
        p->descending = query->descending;
        p->key_never_null = sort_key_never_null(rt_name, query->sort_by);
    }
    scim_sqlbuf_add(&b, " FROM resources r WHERE r.tenant_id = ?1 AND r.type = ?2 "
                        "AND r.deleted_ms IS NULL");
    if (p->where.sql)
        scim_sqlbuf_addf(&b, " AND (%s)", p->where.sql);
    p->from = scim_sqlbuf_take(&b);
    scim_sqlbuf_addf(&b, PLAN_COLUMNS "%s", p->sort.sql ? p->sort.sql : "NULL");
    p->select = scim_sqlbuf_take(&b);
    scim_store_query_fingerprint(tenant->id, rt_name, p->descending, &p->where, &p->sort,
                                 p->fingerprint);
out:
    if (rc)
        plan_clear(p);
    return rc;
}

/* Binds ?1, ?2 and every parameter of the filter, and of the sort key when the statement
 * selects it (with_sort; the count does not). */
static int plan_bind(sqlite3_stmt *q, const struct plan *p, const struct scim_tenant *tenant,
                     const char *rt_name, bool with_sort)
{
    if (bind_i64(q, 1, tenant->id) || bind_text(q, 2, rt_name))
        return SQLITE_ERROR;
    const struct scim_sqlgen *frags[2] = {&p->where, &p->sort};
    for (int f = 0; f < (with_sort ? 2 : 1); f++) {
        for (size_t i = 0; i < frags[f]->n_params; i++) {
            const struct scim_sqlgen_param *x = &frags[f]->params[i];
            int r;
            if (x->type == SCIM_SQLGEN_TEXT)
                r = sqlite3_bind_text64(q, x->index, x->text, x->text_len, SQLITE_STATIC,
                                        SQLITE_UTF8);
            else if (x->type == SCIM_SQLGEN_INT)
                r = sqlite3_bind_int64(q, x->index, x->i);
            else
                r = sqlite3_bind_double(q, x->index, x->r);
            if (r != SQLITE_OK)
                return r;
        }
    }
    return SQLITE_OK;
}

/* The count of the plan's matches. Returns a new string (scim_free). */
static char *sql_count(const struct plan *p)
{
    return scim_asprintf("SELECT count(*)%s", p->from);
}

/* Index paging: the whole order, then LIMIT ?n OFFSET ?n+1. Returns a new string (scim_free). */
static char *sql_offset_page(const struct plan *p)
{
    const char *k = p->sort.sql;
    if (!k && p->one_row)
        return scim_asprintf("%s%s LIMIT ?%d OFFSET ?%d", p->select, p->from, p->next_param,
                             p->next_param + 1);
    if (!k)
        return scim_asprintf("%s%s ORDER BY r.rowid LIMIT ?%d OFFSET ?%d", p->select, p->from,
                             p->next_param, p->next_param + 1);
    const char *dir = p->descending ? " DESC" : "";
    if (p->key_never_null)
        return scim_asprintf("%s%s ORDER BY %s%s, r.rowid%s LIMIT ?%d OFFSET ?%d", p->select,
                             p->from, k, dir, dir, p->next_param, p->next_param + 1);
    return scim_asprintf("%s%s ORDER BY (%s) IS NULL%s, %s%s, r.rowid%s LIMIT ?%d OFFSET ?%d",
                         p->select, p->from, k, dir, k, dir, dir, p->next_param, p->next_param + 1);
}

/*
 * The two segments of the total order (sort key, rowid), in which a keyset walk goes: rows with
 * a sort key, ordered by it, and rows without one (all rows when unsorted), ordered by rowid.
 * Ascending, keyed rows come first (RFC 7644 §3.4.2.3: missing values last).
 */
enum segment { SEG_KEYED, SEG_UNKEYED };

/*
 * One segment walked up (increasing order) or down, after (or before) a boundary when bounded:
 * the boundary's key is ?n (keyed only), its rowid the next placeholder, then LIMIT. Returns a
 * new string (scim_free).
 */
static char *sql_segment(const struct plan *p, enum segment seg, bool up, bool bounded)
{
    const char *k = p->sort.sql;
    const char *dir = up ? "" : " DESC";
    const char *cmp = up ? ">" : "<";
    int n = p->next_param;
    struct scim_sqlbuf b = {0};
    scim_sqlbuf_addf(&b, "%s%s", p->select, p->from);
    if (seg == SEG_KEYED) {
        scim_sqlbuf_addf(&b, " AND (%s) IS NOT NULL", k);
        if (bounded) {
            scim_sqlbuf_addf(&b, " AND ((%s), r.rowid) %s (?%d, ?%d)", k, cmp, n, n + 1);
            n += 2;
        }
        scim_sqlbuf_addf(&b, " ORDER BY %s%s, r.rowid%s", k, dir, dir);
    } else {
        if (k)
            scim_sqlbuf_addf(&b, " AND (%s) IS NULL", k);
        if (bounded)
            scim_sqlbuf_addf(&b, " AND r.rowid %s ?%d", cmp, n++);
        scim_sqlbuf_addf(&b, " ORDER BY r.rowid%s", dir);
    }
    scim_sqlbuf_addf(&b, " LIMIT ?%d", n);
    return scim_sqlbuf_take(&b);
}

/* Rows fetched for a page, with the boundary (sort key, rowid) of each. */
struct fetched {
    struct scim_resource *rows;
    struct scim_store_cursor *keys; /* key_text owned */
    size_t n, cap;
};

static void fetched_clear(struct fetched *f)
{
    for (size_t i = 0; i < f->n; i++)
        scim_store_cursor_clear(&f->keys[i]);
    scim_store_rows_free(f->rows, f->n);
    scim_free(f->keys);
    memset(f, 0, sizeof(*f));
}

/* Steps q to the end, appending every row (and its boundary) to out. */
static int fetch_rows(struct conn *c, sqlite3_stmt *q, struct fetched *out, struct scim_err *err)
{
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 16;
            out->rows = scim_realloc(out->rows, out->cap * sizeof(*out->rows));
            out->keys = scim_realloc(out->keys, out->cap * sizeof(*out->keys));
        }
        int rc = row_to_resource(q, &out->rows[out->n], err);
        if (rc)
            return rc;
        struct scim_store_cursor *k = &out->keys[out->n];
        memset(k, 0, sizeof(*k));
        k->rowid = sqlite3_column_int64(q, COL_ROWID);
        switch (sqlite3_column_type(q, COL_KEY)) {
        case SQLITE_INTEGER:
            k->key_type = SCIM_CURSOR_KEY_INT;
            k->key_int = sqlite3_column_int64(q, COL_KEY);
            break;
        case SQLITE_FLOAT:
            k->key_type = SCIM_CURSOR_KEY_REAL;
            k->key_real = sqlite3_column_double(q, COL_KEY);
            break;
        case SQLITE_NULL:
            k->key_type = SCIM_CURSOR_KEY_NULL;
            break;
        default: {
            /* Text (a blob key is compared as text would not be; keys are never blobs). */
            const unsigned char *t = sqlite3_column_text(q, COL_KEY);
            size_t len = (size_t)sqlite3_column_bytes(q, COL_KEY);
            k->key_type = SCIM_CURSOR_KEY_TEXT;
            k->key_text = scim_malloc(len + 1);
            if (len)
                memcpy(k->key_text, t, len);
            k->key_text[len] = '\0';
            k->key_len = len;
            break;
        }
        }
        out->n++;
    }
    if (step != SQLITE_DONE)
        return db_fail(c->db, "list resources", err);
    return 0;
}

/* Binds a cursor's key as parameter n. */
static int bind_key_value(sqlite3_stmt *q, int n, const struct scim_store_cursor *k)
{
    switch (k->key_type) {
    case SCIM_CURSOR_KEY_INT:
        return sqlite3_bind_int64(q, n, k->key_int);
    case SCIM_CURSOR_KEY_REAL:
        return sqlite3_bind_double(q, n, k->key_real);
    case SCIM_CURSOR_KEY_TEXT:
        return sqlite3_bind_text64(q, n, k->key_text, k->key_len, SQLITE_STATIC, SQLITE_UTF8);
    default:
        return sqlite3_bind_null(q, n);
    }
}

/* Runs one segment query (see sql_segment) and appends up to limit rows to out. */
static int run_segment(struct conn *c, const struct plan *p, const struct scim_tenant *tenant,
                       const char *rt_name, enum segment seg, bool up,
                       const struct scim_store_cursor *bound, int64_t limit, struct fetched *out,
                       struct scim_err *err)
{
    char *sql = sql_segment(p, seg, up, bound != NULL);
    int rc = 0, n = p->next_param;
    sqlite3_stmt *q = dyn_get(c, sql, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    int bad = plan_bind(q, p, tenant, rt_name, true);
    if (!bad && bound && seg == SEG_KEYED)
        bad = bind_key_value(q, n++, bound);
    if (!bad && bound)
        bad = bind_i64(q, n++, bound->rowid);
    if (!bad)
        bad = bind_i64(q, n, limit);
    if (bad) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    rc = fetch_rows(c, q, out, err);
out:
    scim_free(sql);
    return rc;
}

/*
 * Walks the total order from the boundary `at` (NULL: from the start of the walk's direction)
 * collecting up to limit rows: up means increasing (sort key, rowid) order, with keyed rows
 * before unkeyed ones. Each segment is one index-friendly keyset query.
 */
static int walk(struct conn *c, const struct plan *p, const struct scim_tenant *tenant,
                const char *rt_name, bool up, const struct scim_store_cursor *at, int64_t limit,
                struct fetched *out, struct scim_err *err)
{
    struct {
        enum segment seg;
        const struct scim_store_cursor *bound;
    } segs[2];
    int n = 0, rc = 0;
    bool at_keyed = at && at->key_type != SCIM_CURSOR_KEY_NULL;
    if (!p->sort.sql) {
        segs[n++].seg = SEG_UNKEYED;
        segs[0].bound = at;
    } else if (up) {
        if (!at || at_keyed) {
            segs[n].seg = SEG_KEYED;
            segs[n++].bound = at;
        }
        segs[n].seg = SEG_UNKEYED;
        segs[n++].bound = at_keyed ? NULL : at;
    } else {
        if (!at || !at_keyed) {
            segs[n].seg = SEG_UNKEYED;
            segs[n++].bound = at;
        }
        segs[n].seg = SEG_KEYED;
        segs[n++].bound = at_keyed ? at : NULL;
    }
    for (int i = 0; i < n && (int64_t)out->n < limit; i++) {
        rc = run_segment(c, p, tenant, rt_name, segs[i].seg, up, segs[i].bound,
                         limit - (int64_t)out->n, out, err);
        if (rc)
            break;
    }
    return rc;
}

/* Returns a new cursor text (scim_free) for the boundary k, walking backward or forward. */
static char *issue_cursor(const struct sqlite_store *s, const struct plan *p,
                          const struct scim_store_cursor *k, bool backward)
{
    struct scim_store_cursor c = *k;
    c.backward = backward;
    return scim_store_cursor_encode(&c, s->cursor_secret, p->fingerprint);
}

/*
 * Cursor paging (RFC 9865): fetches count + 1 rows from the position of cur (NULL: the first
 * page) to learn whether more follow, and issues the cursors of the page.
 */
static int cursor_page(struct sqlite_store *s, struct conn *c, const struct plan *p,
                       const struct scim_tenant *tenant, const char *rt_name,
                       const struct scim_store_cursor *cur, int64_t count,
                       struct scim_list_page *page, struct scim_err *err)
{
    struct fetched f = {0};
    bool backward = cur && cur->backward;
    /* Forward in ascending order, or backward in descending order, walks up. */
    bool up = p->descending == backward;
    /* One row more than the page, to learn whether another page follows. */
    int64_t limit = count < INT64_MAX ? count + 1 : count;
    int rc = walk(c, p, tenant, rt_name, up, cur, limit, &f, err);
    if (rc)
        goto out;
    bool more = (int64_t)f.n > count;
    size_t m = more ? (size_t)count : f.n;
    if (backward) {
        /* Fetched nearest first: the page shows them in list order. */
        for (size_t i = 0, j = m ? m - 1 : 0; i < j; i++, j--) {
            struct scim_resource r = f.rows[i];
            struct scim_store_cursor k = f.keys[i];
            f.rows[i] = f.rows[j];
            f.keys[i] = f.keys[j];
            f.rows[j] = r;
            f.keys[j] = k;
        }
    }
    /* The page's first and last rows in list order; an empty page keeps the request's place. */
    const struct scim_store_cursor *first = m ? &f.keys[0] : cur;
    const struct scim_store_cursor *last = m ? &f.keys[m - 1] : cur;
    if (backward) {
        /* Going back, rows after the position exist: that is where the client came from. */
        page->previous_cursor = more ? issue_cursor(s, p, first, true) : NULL;
        page->next_cursor = issue_cursor(s, p, last, false);
    } else {
        page->next_cursor = more ? issue_cursor(s, p, last, false) : NULL;
        page->previous_cursor = cur ? issue_cursor(s, p, first, true) : NULL;
    }
    /* The page takes the first m rows; the look-ahead row (index m) is dropped. */
    page->rows = f.rows;
    page->n = m;
    for (size_t i = m; i < f.n; i++)
        scim_resource_clear(&f.rows[i]);
    f.rows = NULL;
out:
    fetched_clear(&f);
    return rc;
}

/* Index paging: LIMIT count OFFSET start_index - 1 over the whole order. */
static int offset_page(struct conn *c, const struct plan *p, const struct scim_tenant *tenant,
                       const char *rt_name, int64_t offset, int64_t count,
                       struct scim_list_page *page, struct scim_err *err)
{
    struct fetched f = {0};
    char *sql = sql_offset_page(p);
    int rc = 0;
    sqlite3_stmt *q = dyn_get(c, sql, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (plan_bind(q, p, tenant, rt_name, true) || bind_i64(q, p->next_param, count) ||
        bind_i64(q, p->next_param + 1, offset)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    rc = fetch_rows(c, q, &f, err);
    if (rc)
        goto out;
    page->rows = f.rows;
    page->n = f.n;
    f.rows = NULL;
out:
    fetched_clear(&f);
    scim_free(sql);
    return rc;
}

/* Counts the rows matching the plan. Without a filter the count is the one the triggers of
 * migration 005 keep in resource_counts: O(1), however many resources the tenant holds. */
static int count_rows(struct conn *c, const struct plan *p, const struct scim_tenant *tenant,
                      const char *rt_name, int64_t *total, struct scim_err *err)
{
    char *sql = p->where.sql ? sql_count(p)
                             : scim_strdup("SELECT coalesce((SELECT live FROM resource_counts "
                                           "WHERE tenant_id = ?1 AND type = ?2), 0)");
    int rc = 0;
    sqlite3_stmt *q = dyn_get(c, sql, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (plan_bind(q, p, tenant, rt_name, false)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    if (sqlite3_step(q) != SQLITE_ROW) {
        rc = db_fail(c->db, "count resources", err);
        goto out;
    }
    *total = sqlite3_column_int64(q, 0);
out:
    scim_free(sql);
    return rc;
}

static int sqlite_resource_query(struct scim_store *st, const struct scim_tenant *tenant,
                                 const char *rt_name, const struct scim_list_query *query,
                                 struct scim_list_page *page, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct plan p;
    struct scim_store_cursor cur = {0};
    struct scim_list_page result = {0};
    bool positioned = query->cursor && query->cursor[0];
    struct conn *c = NULL;
    int rc = plan_build(tenant, rt_name, query, &p, err);
    if (rc)
        return rc;
    if (positioned) {
        rc = scim_store_cursor_decode(query->cursor, s->cursor_secret, p.fingerprint, &cur, err);
        if (rc)
            goto out;
    }
    int64_t count = query->count < 0 ? 0 : query->count;
    int64_t offset = query->start_index < 1 ? 0 : query->start_index - 1;
    c = conn_get(s);
    /* One read transaction, so the total and the page describe the same snapshot. */
    rc = tx_exec(c, ST_BEGIN, err);
    if (rc)
        goto out;
    if (count > 0 && !query->cursor && offset == 0) {
        /* A first page shorter than count is the whole result: its length is the total, and
         * the COUNT query is skipped (the common "userName eq" lookup of an IdP). */
        rc = offset_page(c, &p, tenant, rt_name, 0, count, &result, err);
        if (rc == 0 && (int64_t)result.n < count)
            result.total = (int64_t)result.n;
        else if (rc == 0)
            rc = count_rows(c, &p, tenant, rt_name, &result.total, err);
    } else {
        rc = count_rows(c, &p, tenant, rt_name, &result.total, err);
        if (rc)
            goto out;
        if (count > 0 && query->cursor)
            rc = cursor_page(s, c, &p, tenant, rt_name, positioned ? &cur : NULL, count, &result,
                             err);
        else if (count > 0 && offset < result.total)
            rc = offset_page(c, &p, tenant, rt_name, offset, count, &result, err);
    }
    if (rc)
        goto out;
    rc = tx_commit(c, err);
    if (rc)
        goto out;
    *page = result;
    memset(&result, 0, sizeof(result));
out:
    if (c)
        conn_put(s, c);
    scim_store_page_clear(&result);
    scim_store_cursor_clear(&cur);
    plan_clear(&p);
    return rc;
}

/* Appends the EXPLAIN QUERY PLAN of sql (bound as the plan says) to b, one step per line. */
static int explain_into(struct conn *c, const char *label, const char *sql, const struct plan *p,
                        bool with_sort, const struct scim_tenant *tenant, const char *rt_name,
                        struct scim_sqlbuf *b, struct scim_err *err)
{
    int rc = 0;
    sqlite3_stmt *q = NULL;
    char *text = scim_asprintf("EXPLAIN QUERY PLAN %s", sql);
    if (sqlite3_prepare_v2(c->db, text, -1, &q, NULL) != SQLITE_OK) {
        rc = db_fail(c->db, "prepare explain", err);
        goto out;
    }
    if (plan_bind(q, p, tenant, rt_name, with_sort)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW)
        scim_sqlbuf_addf(b, "%s: %s\n", label, (const char *)sqlite3_column_text(q, 3));
    if (step != SQLITE_DONE)
        rc = db_fail(c->db, "explain", err);
out:
    sqlite3_finalize(q);
    scim_free(text);
    return rc;
}

int scim_store_sqlite_explain(struct scim_store *st, const struct scim_tenant *tenant,
                              const char *rt_name, const struct scim_list_query *query, char **plan,
                              struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct plan p;
    struct scim_sqlbuf b = {0};
    char *count_sql = NULL, *page_sql = NULL;
    struct conn *c = NULL;
    int rc = plan_build(tenant, rt_name, query, &p, err);
    if (rc)
        return rc;
    count_sql = sql_count(&p);
    if (query->cursor)
        page_sql = sql_segment(&p, p.sort.sql && !p.descending ? SEG_KEYED : SEG_UNKEYED,
                               !p.descending, false);
    else
        page_sql = sql_offset_page(&p);
    c = conn_get(s);
    rc = explain_into(c, "count", count_sql, &p, false, tenant, rt_name, &b, err);
    if (rc == 0)
        rc = explain_into(c, "page", page_sql, &p, true, tenant, rt_name, &b, err);
    if (rc == 0)
        *plan = scim_sqlbuf_take(&b);
    conn_put(s, c);
    scim_sqlbuf_clear(&b);
    scim_free(count_sql);
    scim_free(page_sql);
    plan_clear(&p);
    return rc;
}

static const struct scim_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .check = sqlite_check,
    .read_begin = sqlite_read_begin,
    .read_end = sqlite_read_end,
    .tenant_create = sqlite_tenant_create,
    .tenant_get = sqlite_tenant_get,
    .tenant_list = sqlite_tenant_list,
    .token_insert = sqlite_token_insert,
    .token_find = sqlite_token_find,
    .token_list = sqlite_token_list,
    .token_revoke = sqlite_token_revoke,
    .token_touch = sqlite_token_touch,
    .resource_create = sqlite_resource_create,
    .resource_get = sqlite_resource_get,
    .password_hash_get = sqlite_password_hash_get,
    .resource_replace = sqlite_resource_replace,
    .resource_delete = sqlite_resource_delete,
    .resource_query = sqlite_resource_query,
    .audit_append = scim_sqlite_audit_append,
    .audit_query = scim_sqlite_audit_query,
    .audit_prune = scim_sqlite_audit_prune,
    .client_insert = scim_sqlite_client_insert,
    .client_get = scim_sqlite_client_get,
    .client_list = scim_sqlite_client_list,
    .client_revoke = scim_sqlite_client_revoke,
    .groups = &scim_sqlite_group_ops,
};

/* ---- for the sibling files of this backend (store_sqlite_internal.h) ----------------------- */

struct sqlite_store *scim_sqlite_store(struct scim_store *st)
{
    return from_base(st);
}

struct conn *scim_sqlite_conn_get(struct sqlite_store *s)
{
    return conn_get(s);
}

struct conn *scim_sqlite_writer_get(struct sqlite_store *s)
{
    return writer_get(s);
}

void scim_sqlite_conn_put(struct sqlite_store *s, struct conn *c)
{
    conn_put(s, c);
}

sqlite3 *scim_sqlite_conn_db(struct conn *c)
{
    return c->db;
}

sqlite3_stmt *scim_sqlite_stmt(struct conn *c, const char *sql, struct scim_err *err)
{
    return dyn_get(c, sql, err);
}

void scim_sqlite_stmts_release(struct conn *c)
{
    stmts_release(c);
}

int scim_sqlite_begin(struct conn *c, struct scim_err *err)
{
    return tx_exec(c, ST_BEGIN_IMMEDIATE, err);
}

int scim_sqlite_begin_read(struct conn *c, struct scim_err *err)
{
    return tx_exec(c, ST_BEGIN, err);
}

int scim_sqlite_commit(struct conn *c, struct scim_err *err)
{
    return tx_commit(c, err);
}

int scim_sqlite_fail(struct conn *c, const char *what, struct scim_err *err)
{
    return db_fail(c->db, what, err);
}

void scim_sqlite_copy_column(char *dst, size_t size, sqlite3_stmt *q, int col)
{
    copy_column(dst, size, q, col);
}

json_t *scim_sqlite_column_text(sqlite3_stmt *q, int col)
{
    return column_json_text(q, col);
}

json_t *scim_sqlite_column_time(sqlite3_stmt *q, int col)
{
    return column_json_time(q, col);
}
