/*
 * store_sqlite — the SQLite backend of the store ops table (store_backend.h): a pool of
 * connections opened without SQLite's own mutex (SQLITE_OPEN_NOMUTEX), each borrowed by one
 * thread for one call; the embedded numbered migrations (schema_migrations); one cache of
 * prepared statements per connection, prepared lazily with SQLITE_PREPARE_PERSISTENT and reset
 * after each call, so hot paths never prepare again.
 * Durability: journal_mode=WAL with synchronous=NORMAL. A committed write survives a crash or
 * SIGKILL of the process; an operating-system crash or power loss may roll back the last
 * commits, but the database is never corrupted.
 * Every write runs between BEGIN IMMEDIATE and COMMIT; any failure rolls back, so nothing is
 * half-written. Every resource statement binds tenant_id.
 * Owns: the SQLite schema (src/store/migrations/sqlite) and all SQL against it.
 * Must not: validate SCIM documents, know HTTP, or let a SQLite message reach a client (those go
 * to the log through scim_err_internal).
 */
#include "store_backend.h"

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
    ST_RES_UPDATE,
    ST_RES_DELETE,
    ST_RES_VERSION,
    ST_RES_NAME_TAKEN,
    ST_COUNT_ALL,
    ST_COUNT_ID,
    ST_COUNT_USER_NAME,
    ST_COUNT_EXTERNAL_ID,
    ST_PAGE_ALL,
    ST_PAGE_ID,
    ST_PAGE_USER_NAME,
    ST_PAGE_EXTERNAL_ID,
    ST_INTEGRITY_CHECK,
    ST_FOREIGN_KEY_CHECK,
    ST_MAX
};

_Static_assert(ST_MAX <= 64, "in_use is a 64-bit mask of statements");

#define LIVE_ROWS "FROM resources WHERE tenant_id = ?1 AND type = ?2 AND deleted_ms IS NULL"
#define ROW_COLUMNS "SELECT id, version, created_ms, modified_ms, doc "
#define PAGE " ORDER BY rowid LIMIT ?4 OFFSET ?5"

static const char *const stmt_sql[ST_MAX] = {
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_TENANT_INSERT] = "INSERT INTO tenants(name, created_ms) VALUES (?1, ?2)",
    [ST_TENANT_GET] = "SELECT id, name FROM tenants WHERE name = ?1",
    [ST_TENANT_LIST] = "SELECT name, created_ms FROM tenants ORDER BY id",
    [ST_TOKEN_INSERT] = "INSERT INTO tokens(id, tenant_id, hash, description, scopes, hint, "
                        "created_ms, expires_ms, revoked_ms, last_used_ms) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_TOKEN_FIND] = "SELECT t.id, t.tenant_id, n.name, t.description, t.scopes, t.hint, "
                      "t.created_ms, t.expires_ms, t.revoked_ms, t.last_used_ms, t.hash "
                      "FROM tokens t JOIN tenants n ON n.id = t.tenant_id WHERE t.hash = ?1",
    [ST_TOKEN_LIST] = "SELECT t.id, n.name, t.description, t.scopes, t.hint, t.created_ms, "
                      "t.expires_ms, t.revoked_ms, t.last_used_ms "
                      "FROM tokens t JOIN tenants n ON n.id = t.tenant_id "
                      "WHERE ?1 IS NULL OR t.tenant_id = ?1 ORDER BY t.rowid",
    [ST_TOKEN_REVOKE] = "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, ?2) "
                        "WHERE id = ?1 AND (?3 IS NULL OR tenant_id = ?3)",
    [ST_TOKEN_LAST_USED] = "SELECT last_used_ms FROM tokens WHERE id = ?1",
    [ST_TOKEN_TOUCH] = "UPDATE tokens SET last_used_ms = ?2 WHERE id = ?1 "
                       "AND (last_used_ms IS NULL OR last_used_ms <= ?3)",
    [ST_RES_INSERT] = "INSERT INTO resources(tenant_id, type, id, user_name_ci, external_id, "
                      "display_name, active, created_ms, modified_ms, version, doc, password_hash) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 1, ?9, ?10)",
    [ST_RES_GET] = ROW_COLUMNS "FROM resources WHERE tenant_id = ?1 AND type = ?2 AND id = ?3 "
                               "AND deleted_ms IS NULL",
    [ST_RES_UPDATE] = "UPDATE resources SET user_name_ci = ?4, external_id = ?5, "
                      "display_name = ?6, active = ?7, modified_ms = max(?8, modified_ms), "
                      "version = version + 1, doc = ?9, "
                      "password_hash = coalesce(?10, password_hash) "
                      "WHERE tenant_id = ?1 AND type = ?2 AND id = ?3 AND deleted_ms IS NULL "
                      "AND (?11 < 0 OR version = ?11) "
                      "RETURNING version, created_ms, modified_ms",
    [ST_RES_DELETE] = "UPDATE resources SET deleted_ms = ?4, modified_ms = max(?4, modified_ms), "
                      "version = version + 1, password_hash = NULL "
                      "WHERE tenant_id = ?1 AND type = ?2 AND id = ?3 AND deleted_ms IS NULL "
                      "AND (?5 < 0 OR version = ?5)",
    [ST_RES_VERSION] = "SELECT version FROM resources WHERE tenant_id = ?1 AND type = ?2 "
                       "AND id = ?3 AND deleted_ms IS NULL",
    [ST_RES_NAME_TAKEN] = "SELECT 1 FROM resources WHERE tenant_id = ?1 AND type = ?2 "
                          "AND user_name_ci = ?3 AND deleted_ms IS NULL AND id <> ?4",
    [ST_COUNT_ALL] = "SELECT count(*) " LIVE_ROWS,
    [ST_COUNT_ID] = "SELECT count(*) " LIVE_ROWS " AND id = ?3",
    [ST_COUNT_USER_NAME] = "SELECT count(*) " LIVE_ROWS " AND user_name_ci = ?3",
    [ST_COUNT_EXTERNAL_ID] = "SELECT count(*) " LIVE_ROWS " AND external_id = ?3",
    [ST_PAGE_ALL] = ROW_COLUMNS LIVE_ROWS PAGE,
    [ST_PAGE_ID] = ROW_COLUMNS LIVE_ROWS " AND id = ?3" PAGE,
    [ST_PAGE_USER_NAME] = ROW_COLUMNS LIVE_ROWS " AND user_name_ci = ?3" PAGE,
    [ST_PAGE_EXTERNAL_ID] = ROW_COLUMNS LIVE_ROWS " AND external_id = ?3" PAGE,
    [ST_INTEGRITY_CHECK] = "PRAGMA integrity_check",
    [ST_FOREIGN_KEY_CHECK] = "PRAGMA foreign_key_check",
};

struct sqlite_store;

/* One pooled connection and its statement cache. Used by one thread at a time. */
struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_MAX];
    uint64_t in_use; /* one bit per statement stepped since the last stmts_release */
    struct sqlite_store *owner;
    struct conn *next_free;
};

struct sqlite_store {
    struct scim_store base; /* must stay first: ops->close casts back */
    pthread_mutex_t lock;
    pthread_cond_t available;
    struct conn *free_list;
    struct conn *conns; /* array of size entries */
    int size;
    atomic_long prepares;
};

static const struct scim_store_ops sqlite_ops;

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
}

/* Runs one of the transaction-control statements. */
static int tx_exec(struct conn *c, enum stmt_id id, struct scim_err *err)
{
    sqlite3_stmt *q = stmt_get(c, id, err);
    if (!q)
        return SCIM_ERR;
    int step = sqlite3_step(q);
    int rc = step == SQLITE_DONE ? 0 : db_fail(c->db, stmt_sql[id], err);
    sqlite3_reset(q);
    c->in_use &= ~(UINT64_C(1) << id);
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
    pthread_mutex_lock(&s->lock);
    while (!s->free_list)
        pthread_cond_wait(&s->available, &s->lock);
    struct conn *c = s->free_list;
    s->free_list = c->next_free;
    pthread_mutex_unlock(&s->lock);
    return c;
}

/*
 * Returns c to the pool. A transaction still open here belongs to a failed call and is rolled
 * back, so nothing of it is written.
 */
static void conn_put(struct sqlite_store *s, struct conn *c)
{
    stmts_release(c);
    if (!sqlite3_get_autocommit(c->db)) {
        struct scim_err ignored;
        if (tx_exec(c, ST_ROLLBACK, &ignored) != 0)
            scim_log(SCIM_LOG_ERROR, "store: rollback failed on a pooled connection");
    }
    pthread_mutex_lock(&s->lock);
    c->next_free = s->free_list;
    s->free_list = c;
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
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
    rc = exec_sql(c->db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", "pragmas", err);
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
    if (sqlite3_close(c->db) != SQLITE_OK)
        scim_log(SCIM_LOG_ERROR, "store: closing a connection failed: %s", sqlite3_errmsg(c->db));
    c->db = NULL;
}

static void sqlite_close(struct scim_store *st)
{
    struct sqlite_store *s = from_base(st);
    for (int i = 0; i < s->size; i++)
        conn_close(&s->conns[i]);
    pthread_cond_destroy(&s->available);
    pthread_mutex_destroy(&s->lock);
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
        }
        s->conns[i].next_free = s->free_list;
        s->free_list = &s->conns[i];
    }
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
    struct conn *c = conn_get(s);
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
                               const unsigned char hash[SCIM_TOKEN_HASH_LEN], struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    size_t id_len = FIELD_LEN(rec->id), desc_len = 0, scopes_len = 0, hint_len = 0;
    if (id_len == 0 || id_len == sizeof(rec->id) || !scim_text_valid_utf8(rec->id, id_len))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "A token needs an id");
    if (!token_field(rec->description, sizeof(rec->description), &desc_len) ||
        !token_field(rec->scopes, sizeof(rec->scopes), &scopes_len) ||
        !token_field(rec->hint, sizeof(rec->hint), &hint_len))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "Token description, scopes and hint must be UTF-8 text");
    struct conn *c = conn_get(s);
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
        bind_time_or_null(q, 10, rec->last_used_ms)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_CONSTRAINT_FOREIGNKEY) {
        rc = scim_err_set(err, 404, NULL, "Tenant %" PRId64 " not found", rec->tenant.id);
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
                               const char *id, int64_t now_ms, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
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
    stmts_release(c);
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

/* Returns the compact JSON text of doc (free with scim_free), or NULL when doc is not an
 * object or cannot be encoded. */
static char *doc_text(const json_t *doc)
{
    if (!json_is_object(doc))
        return NULL;
    return json_dumps(doc, JSON_COMPACT);
}

static int sqlite_resource_create(struct scim_store *st, const struct scim_tenant *tenant,
                                  const char *rt_name, const json_t *doc, const char *password_hash,
                                  struct scim_resource *out, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct indexed ix;
    indexed_from_doc(doc, &ix);
    char *text = doc_text(doc);
    char id[37];
    scim_uuid_v4(id);
    int64_t now = scim_time_now_ms();
    struct conn *c = conn_get(s);
    int rc = 0;
    if (!text) {
        rc = scim_err_internal(err, "store: resource document is not an encodable JSON object");
        goto out;
    }
    rc = tx_exec(c, ST_BEGIN_IMMEDIATE, err);
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
    rc = tx_commit(c, err);
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
out:
    conn_put(s, c);
    scim_free(text);
    scim_free(ix.user_name_ci);
    return rc;
}

static int sqlite_resource_get(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *rt_name, const char *id, struct scim_resource *out,
                               struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    int rc = 0;
    sqlite3_stmt *q = stmt_get(c, ST_RES_GET, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_key(q, tenant, rt_name, id)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_DONE) {
        rc = scim_err_set(err, 404, NULL, "Resource %.100s not found", id);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = db_fail(c->db, "get resource", err);
        goto out;
    }
    if (out)
        rc = row_to_resource(q, out, err);
out:
    conn_put(s, c);
    return rc;
}

static int sqlite_resource_replace(struct scim_store *st, const struct scim_tenant *tenant,
                                   const char *rt_name, const char *id, int64_t expected_version,
                                   const json_t *doc, const char *password_hash,
                                   struct scim_resource *out, struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct indexed ix;
    indexed_from_doc(doc, &ix);
    char *text = doc_text(doc);
    int64_t now = scim_time_now_ms();
    struct conn *c = conn_get(s);
    int rc = 0;
    if (!text) {
        rc = scim_err_internal(err, "store: resource document is not an encodable JSON object");
        goto out;
    }
    rc = tx_exec(c, ST_BEGIN_IMMEDIATE, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = stmt_get(c, ST_RES_UPDATE, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_key(q, tenant, rt_name, id) || bind_columns(q, &ix, now, text, password_hash) ||
        bind_i64(q, 11, expected_version < 0 ? -1 : expected_version)) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    int step = sqlite3_step(q);
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
    struct scim_resource stored = {.version = sqlite3_column_int64(q, 0),
                                   .created_ms = sqlite3_column_int64(q, 1),
                                   .modified_ms = sqlite3_column_int64(q, 2)};
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = db_fail(c->db, "update resource", err);
        goto out;
    }
    rc = tx_commit(c, err);
    if (rc)
        goto out;
    if (out) {
        *out = stored;
        snprintf(out->id, sizeof(out->id), "%s", id);
        out->doc = json_deep_copy(doc);
    }
out:
    conn_put(s, c);
    scim_free(text);
    scim_free(ix.user_name_ci);
    return rc;
}

static int sqlite_resource_delete(struct scim_store *st, const struct scim_tenant *tenant,
                                  const char *rt_name, const char *id, int64_t expected_version,
                                  struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    struct conn *c = conn_get(s);
    int rc = tx_exec(c, ST_BEGIN_IMMEDIATE, err);
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
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = db_fail(c->db, "delete resource", err);
        goto out;
    }
    if (sqlite3_changes(c->db) == 0) {
        rc = missing_or_stale(c, tenant, rt_name, id, err);
        goto out;
    }
    rc = tx_commit(c, err);
out:
    conn_put(s, c);
    return rc;
}

static int sqlite_resource_list(struct scim_store *st, const struct scim_tenant *tenant,
                                const char *rt_name, const struct scim_list_query *query,
                                struct scim_resource **rows, size_t *n, int64_t *total,
                                struct scim_err *err)
{
    struct sqlite_store *s = from_base(st);
    enum stmt_id count_id = ST_COUNT_ALL, page_id = ST_PAGE_ALL;
    char *folded = NULL;
    const char *value = NULL;
    if (query->filter_attr) {
        if (!query->filter_value)
            return scim_err_set(err, 400, SCIM_TYPE_INVALID_FILTER, "The filter has no value");
        value = query->filter_value;
        if (strcmp(query->filter_attr, "id") == 0) {
            count_id = ST_COUNT_ID;
            page_id = ST_PAGE_ID;
        } else if (strcmp(query->filter_attr, "userName") == 0) {
            count_id = ST_COUNT_USER_NAME;
            page_id = ST_PAGE_USER_NAME;
            folded = scim_text_casefold(value, strlen(value));
            value = folded;
        } else if (strcmp(query->filter_attr, "externalId") == 0) {
            count_id = ST_COUNT_EXTERNAL_ID;
            page_id = ST_PAGE_EXTERNAL_ID;
        } else {
            return scim_err_set(err, 400, SCIM_TYPE_INVALID_FILTER,
                                "Filtering on '%.100s' is not supported", query->filter_attr);
        }
    }
    int64_t offset = query->start_index < 1 ? 0 : query->start_index - 1;
    int64_t limit = query->count < 0 ? 0 : query->count;
    struct scim_resource *list = NULL;
    size_t used = 0, cap = 0;
    int64_t matched = 0;
    struct conn *c = conn_get(s);
    /* One read transaction, so the total and the page describe the same snapshot. */
    int rc = tx_exec(c, ST_BEGIN, err);
    if (rc)
        goto out;
    sqlite3_stmt *q = stmt_get(c, count_id, err);
    if (!q) {
        rc = SCIM_ERR;
        goto out;
    }
    if (bind_i64(q, 1, tenant->id) || bind_text(q, 2, rt_name) ||
        (value && bind_text(q, 3, value))) {
        rc = db_fail(c->db, "bind", err);
        goto out;
    }
    if (sqlite3_step(q) != SQLITE_ROW) {
        rc = db_fail(c->db, "count resources", err);
        goto out;
    }
    matched = sqlite3_column_int64(q, 0);
    if (limit > 0 && offset < matched) {
        q = stmt_get(c, page_id, err);
        if (!q) {
            rc = SCIM_ERR;
            goto out;
        }
        if (bind_i64(q, 1, tenant->id) || bind_text(q, 2, rt_name) ||
            (value && bind_text(q, 3, value)) || bind_i64(q, 4, limit) || bind_i64(q, 5, offset)) {
            rc = db_fail(c->db, "bind", err);
            goto out;
        }
        int step;
        while ((step = sqlite3_step(q)) == SQLITE_ROW) {
            if (used == cap) {
                cap = cap ? cap * 2 : 16;
                list = scim_realloc(list, cap * sizeof(*list));
            }
            rc = row_to_resource(q, &list[used], err);
            if (rc)
                goto out;
            used++;
        }
        if (step != SQLITE_DONE) {
            rc = db_fail(c->db, "list resources", err);
            goto out;
        }
    }
    rc = tx_commit(c, err);
    if (rc)
        goto out;
    *rows = list;
    *n = used;
    *total = matched;
    list = NULL;
out:
    conn_put(s, c);
    scim_store_rows_free(list, used);
    scim_free(folded);
    return rc;
}

static const struct scim_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .check = sqlite_check,
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
    .resource_replace = sqlite_resource_replace,
    .resource_delete = sqlite_resource_delete,
    .resource_list = sqlite_resource_list,
};
