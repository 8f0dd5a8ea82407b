/*
 * test_store — the store contract (store.h) against the SQLite backend: opening and migrating,
 * tenants, tokens, resources (uniqueness, tenant isolation, tombstones, versions, listing),
 * filters compiled to SQL (every result set compared with the in-memory evaluator
 * scim_filter_match over the rendered resources), query plans, sorting, RFC 9865 cursors, the
 * value index, concurrency, integrity and rollback on failure. Each test gets a fresh database in
 * its own temporary directory; a raw sqlite3 connection inspects what the store wrote.
 * Owns: nothing but its fixtures. Must not: depend on the daemon. (The filter tests build their
 * documents with scim_resource_normalize, so they are exactly what the daemon would store.)
 */
#include "err.h"
#include "filter.h"
#include "log.h"
#include "mem.h"
#include "path.h"
#include "resource.h"
#include "store.h"
#include "store_backend.h"
#include "text.h"
#include "token.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>

#include <cmocka.h>

#define USER "User"
#define GROUP "Group"
#define USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"
#define GROUP_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Group"

struct fixture {
    char dir[64];
    char path[128];
    struct scim_store *st;
    struct scim_tenant acme;
    struct scim_tenant globex;
};

/* ---- helpers ---------------------------------------------------------------------------- */

static void path_join(char *out, size_t size, const char *dir, const char *rest)
{
    int n = snprintf(out, size, "%s/%s", dir, rest);
    assert_true(n > 0 && (size_t)n < size);
}

/* Opens the fixture's store with pool_size connections, asserting success. */
static void reopen(struct fixture *f, int pool_size)
{
    struct scim_err err;
    scim_err_clear(&err);
    scim_store_close(f->st);
    f->st = NULL;
    int rc = scim_store_open(f->path, pool_size, &f->st, &err);
    if (rc != 0)
        fail_msg("open failed: %d %s", err.status, err.detail);
}

static int setup(void **state)
{
    struct fixture *f = scim_calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/scimd-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    /* The nested directories do not exist yet: the store creates them. */
    path_join(f->path, sizeof(f->path), f->dir, "var/db/scimd.db");
    reopen(f, 4);
    struct scim_err err;
    assert_int_equal(scim_store_tenant_create(f->st, "acme", &f->acme, &err), 0);
    assert_int_equal(scim_store_tenant_create(f->st, "globex", &f->globex, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    scim_store_close(f->st);
    static const char *const files[] = {"var/db/scimd.db", "var/db/scimd.db-wal",
                                        "var/db/scimd.db-shm", "var/db/scimd.db-journal"};
    char p[160];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        path_join(p, sizeof(p), f->dir, files[i]);
        unlink(p);
    }
    path_join(p, sizeof(p), f->dir, "var/db");
    rmdir(p);
    path_join(p, sizeof(p), f->dir, "var");
    rmdir(p);
    rmdir(f->dir);
    scim_free(f);
    return 0;
}

/* A raw connection to the fixture's database, for inspecting and tampering. */
static sqlite3 *raw_open(const struct fixture *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* Runs a printf-formatted query and returns the first column of its first row (-1 if none). */
static int64_t raw_int(sqlite3 *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t raw_int(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_free(sql);
    return v;
}

/* Copies the text of the first column of the first row into out ("" for none or NULL). */
static void raw_text(sqlite3 *db, char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void raw_text(sqlite3 *db, char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    const unsigned char *t = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_text(q, 0) : NULL;
    snprintf(out, size, "%s", t ? (const char *)t : "");
    sqlite3_finalize(q);
    sqlite3_free(sql);
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("exec %s: %s", sql, msg ? msg : "?");
}

/* Returns a new reference: a User document with userName and displayName. */
static json_t *user_doc(const char *user_name)
{
    json_t *doc = json_pack("{s:[s], s:s}", "schemas", USER_SCHEMA, "userName", user_name);
    char display[128];
    snprintf(display, sizeof(display), "Display %s", user_name);
    json_object_set_new(doc, "displayName", json_string(display));
    return doc;
}

/* Creates a user in tenant t, asserting success; out (optional) receives the stored resource. */
static void create_user(struct fixture *f, const struct scim_tenant *t, const char *user_name,
                        struct scim_resource *out)
{
    struct scim_err err;
    scim_err_clear(&err);
    json_t *doc = user_doc(user_name);
    int rc = scim_store_resource_create(f->st, t, USER, doc, NULL, out, NULL, &err);
    if (rc != 0)
        fail_msg("create %s: %d %s", user_name, err.status, err.detail);
    json_decref(doc);
}

static struct scim_token_record token_rec(const struct scim_tenant *t, const char *id)
{
    struct scim_token_record rec;
    memset(&rec, 0, sizeof(rec));
    snprintf(rec.id, sizeof(rec.id), "%s", id);
    rec.tenant = *t;
    snprintf(rec.description, sizeof(rec.description), "Okta provisioning");
    snprintf(rec.scopes, sizeof(rec.scopes), "scim");
    snprintf(rec.hint, sizeof(rec.hint), "scim_…AbCd");
    rec.created_ms = 1700000000000;
    return rec;
}

static void fill_hash(unsigned char hash[SCIM_TOKEN_HASH_LEN], unsigned char seed)
{
    for (int i = 0; i < SCIM_TOKEN_HASH_LEN; i++)
        hash[i] = (unsigned char)(seed + i);
}

static int64_t list_total(struct fixture *f, const struct scim_tenant *t, const char *type,
                          const char *attr, const char *value)
{
    struct scim_list_query q = {attr, value, 1, 0};
    struct scim_resource *rows = NULL;
    size_t n = 99;
    int64_t total = -1;
    struct scim_err err;
    assert_int_equal(scim_store_resource_list(f->st, t, type, &q, &rows, &n, &total, &err), 0);
    assert_null(rows);
    assert_int_equal(n, 0);
    return total;
}

/* The migrations this build embeds (generated from src/store/migrations/sqlite). */
#include "migrations_sqlite.h"
#define N_MIGRATIONS ((int)(sizeof(scim_sqlite_migrations) / sizeof(scim_sqlite_migrations[0])))
#define LAST_MIGRATION (scim_sqlite_migrations[N_MIGRATIONS - 1].version)

/* ---- open and migrate ---------------------------------------------------------------------- */

static void test_store_open_creates_dir_and_migrates(void **state)
{
    struct fixture *f = *state;
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_migrations"), N_MIGRATIONS);
    assert_int_equal(raw_int(db, "SELECT max(version) FROM schema_migrations"), LAST_MIGRATION);
    char mode[16];
    raw_text(db, mode, sizeof(mode), "PRAGMA journal_mode");
    assert_string_equal(mode, "wal");
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                 "name IN ('tenants', 'tokens', 'resources', 'resource_values', "
                                 "'store_keys')"),
                     5);
    assert_int_equal(raw_int(db, "SELECT length(secret) FROM store_keys WHERE name = 'cursor'"),
                     32);
    sqlite3_close(db);
}

static void test_store_open_twice_is_idempotent(void **state)
{
    struct fixture *f = *state;
    reopen(f, 2);
    reopen(f, 1);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_migrations"), N_MIGRATIONS);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM store_keys"), 1);
    sqlite3_close(db);
    struct scim_tenant t;
    struct scim_err err;
    assert_int_equal(scim_store_tenant_get(f->st, "acme", &t, &err), 0);
    assert_int_equal(t.id, f->acme.id);
}

static void test_store_open_postgres_is_unavailable(void **state)
{
    (void)state;
    struct scim_store *st = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_equal(scim_store_open("postgres://db/scim", 2, &st, &err), SCIM_ERR);
    assert_int_equal(err.status, 500);
    assert_string_equal(err.detail, "PostgreSQL backend is not available in this build");
    assert_int_equal(scim_store_open("postgresql://db/scim", 2, &st, &err), SCIM_ERR);
    assert_null(st);
}

static void test_store_open_refuses_newer_schema(void **state)
{
    struct fixture *f = *state;
    scim_store_close(f->st);
    f->st = NULL;
    sqlite3 *db = raw_open(f);
    raw_exec(db, "INSERT INTO schema_migrations VALUES (999, '999_future', 0)");
    sqlite3_close(db);
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_equal(scim_store_open(f->path, 1, &f->st, &err), SCIM_ERR);
    assert_null(f->st);
    assert_int_equal(err.status, 500);
    assert_non_null(strstr(err.detail, "newer than this build"));
}

static void test_store_open_rejects_unusable_paths(void **state)
{
    struct fixture *f = *state;
    struct scim_store *st = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_equal(scim_store_open("", 1, &st, &err), SCIM_ERR);
    assert_int_equal(err.status, 500);
    /* Each pooled connection would be a separate empty database. */
    assert_int_equal(scim_store_open(":memory:", 1, &st, &err), SCIM_ERR);
    /* A regular file where a parent directory should be. */
    char file[160], below[200];
    path_join(file, sizeof(file), f->dir, "plainfile");
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    path_join(below, sizeof(below), file, "sub/scimd.db");
    scim_err_clear(&err);
    assert_int_equal(scim_store_open(below, 1, &st, &err), SCIM_ERR);
    assert_null(st);
    assert_non_null(strstr(err.detail, "cannot create directory"));
    unlink(file);
}

/* ---- tenants ------------------------------------------------------------------------------ */

static void test_store_tenant_create_get_list(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    assert_true(f->acme.id > 0);
    assert_true(f->globex.id != f->acme.id);
    assert_string_equal(f->acme.name, "acme");
    struct scim_tenant t;
    assert_int_equal(scim_store_tenant_get(f->st, "globex", &t, &err), 0);
    assert_int_equal(t.id, f->globex.id);
    assert_string_equal(t.name, "globex");
    json_t *list = NULL;
    assert_int_equal(scim_store_tenant_list(f->st, &list, &err), 0);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")),
                        "acme");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "name")),
                        "globex");
    const char *created = json_string_value(json_object_get(json_array_get(list, 0), "created"));
    assert_non_null(created);
    assert_int_equal(strlen(created), strlen("2026-01-15T12:00:00.000Z"));
    json_decref(list);
}

static void test_store_tenant_duplicate_is_409(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    scim_err_clear(&err);
    struct scim_tenant t;
    assert_int_equal(scim_store_tenant_create(f->st, "acme", &t, &err), SCIM_ECONFLICT);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.scim_type, SCIM_TYPE_UNIQUENESS);
    assert_string_equal(err.detail, "Tenant 'acme' already exists");
}

static void test_store_tenant_unknown_and_invalid(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_tenant t;
    assert_int_equal(scim_store_tenant_get(f->st, "initech", &t, &err), SCIM_ENOTFOUND);
    assert_int_equal(err.status, 404);
    assert_int_equal(scim_store_tenant_create(f->st, "", &t, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
    char long_name[80];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(scim_store_tenant_create(f->st, long_name, &t, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
}

/* ---- tokens ------------------------------------------------------------------------------- */

static void test_store_token_insert_find(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_token_record rec = token_rec(&f->acme, "tok_aaaaaaaaaaaaaaaaaaaaaa");
    rec.expires_ms = rec.created_ms + 86400000;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    fill_hash(hash, 7);
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), 0);
    struct scim_token_record got;
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_string_equal(got.id, rec.id);
    assert_int_equal(got.tenant.id, f->acme.id);
    assert_string_equal(got.tenant.name, "acme");
    assert_string_equal(got.description, "Okta provisioning");
    assert_string_equal(got.scopes, "scim");
    assert_string_equal(got.hint, "scim_…AbCd");
    assert_int_equal(got.created_ms, rec.created_ms);
    assert_int_equal(got.expires_ms, rec.expires_ms);
    assert_int_equal(got.revoked_ms, 0);
    assert_int_equal(got.last_used_ms, 0);
    fill_hash(hash, 8);
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), SCIM_ENOTFOUND);
    /* Only the hash is stored, exactly 32 bytes of it. */
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT length(hash) FROM tokens"), 32);
    sqlite3_close(db);
}

static void test_store_token_insert_errors(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    fill_hash(hash, 1);
    struct scim_token_record rec = token_rec(&f->acme, "tok_1");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), 0);
    /* The same secret again. */
    rec = token_rec(&f->acme, "tok_2");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), SCIM_ECONFLICT);
    assert_string_equal(err.scim_type, SCIM_TYPE_UNIQUENESS);
    /* The same id again. */
    fill_hash(hash, 2);
    rec = token_rec(&f->acme, "tok_1");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), SCIM_ECONFLICT);
    /* A tenant that does not exist. */
    struct scim_tenant ghost = {.id = 4242, .name = "ghost"};
    rec = token_rec(&ghost, "tok_3");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), SCIM_ENOTFOUND);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM tokens"), 1);
    sqlite3_close(db);
}

static void test_store_token_hint_cut_short_is_trimmed(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    fill_hash(hash, 3);
    struct scim_token_record rec = token_rec(&f->acme, "tok_cut");
    /* What snprintf leaves when "…" (E2 80 A6) does not fit: the final character is dropped. */
    snprintf(rec.hint, sizeof(rec.hint), "abc_\xe2\x80");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), 0);
    struct scim_token_record got;
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_string_equal(got.hint, "abc_");
    /* Invalid UTF-8 in the middle is refused. */
    fill_hash(hash, 4);
    rec = token_rec(&f->acme, "tok_bad");
    snprintf(rec.description, sizeof(rec.description), "bad \xff text");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
}

static void test_store_token_revoke(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    fill_hash(hash, 9);
    struct scim_token_record rec = token_rec(&f->acme, "tok_r");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), 0);
    /* Another tenant cannot revoke it. */
    assert_int_equal(scim_store_token_revoke(f->st, &f->globex, "tok_r", 1000, NULL, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(scim_store_token_revoke(f->st, NULL, "tok_nope", 1000, NULL, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(scim_store_token_revoke(f->st, &f->acme, "tok_r", 1000, NULL, &err), 0);
    /* Revoked tokens are still found; the caller decides. */
    struct scim_token_record got;
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_int_equal(got.revoked_ms, 1000);
    /* A second revocation keeps the first time. */
    assert_int_equal(scim_store_token_revoke(f->st, NULL, "tok_r", 2000, NULL, &err), 0);
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_int_equal(got.revoked_ms, 1000);
}

static void test_store_token_touch_skips_recent(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    fill_hash(hash, 11);
    struct scim_token_record rec = token_rec(&f->acme, "tok_t");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), 0);
    int64_t t0 = 1800000000000;
    struct scim_token_record got;
    assert_int_equal(scim_store_token_touch(f->st, "tok_t", t0, &err), 0);
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_int_equal(got.last_used_ms, t0);
    assert_int_equal(scim_store_token_touch(f->st, "tok_t", t0 + 30000, &err), 0);
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_int_equal(got.last_used_ms, t0);
    assert_int_equal(scim_store_token_touch(f->st, "tok_t", t0 + 61000, &err), 0);
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_int_equal(got.last_used_ms, t0 + 61000);
    assert_int_equal(scim_store_token_touch(f->st, "tok_missing", t0, &err), SCIM_ENOTFOUND);
}

static void test_store_token_list_has_no_hash(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    fill_hash(hash, 20);
    struct scim_token_record rec = token_rec(&f->acme, "tok_a");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), 0);
    fill_hash(hash, 21);
    rec = token_rec(&f->globex, "tok_g");
    rec.expires_ms = rec.created_ms + 1000;
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), 0);

    json_t *list = NULL;
    assert_int_equal(scim_store_token_list(f->st, &f->acme, &list, &err), 0);
    assert_int_equal(json_array_size(list), 1);
    json_t *item = json_array_get(list, 0);
    static const char *const keys[] = {"id",         "tenant",     "description",
                                       "scopes",     "hint",       "created_at",
                                       "expires_at", "revoked_at", "last_used_at"};
    assert_int_equal(json_object_size(item), sizeof(keys) / sizeof(keys[0]));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(json_object_get(item, keys[i]));
    assert_null(json_object_get(item, "hash"));
    assert_string_equal(json_string_value(json_object_get(item, "id")), "tok_a");
    assert_string_equal(json_string_value(json_object_get(item, "tenant")), "acme");
    assert_true(json_is_string(json_object_get(item, "created_at")));
    assert_true(json_is_null(json_object_get(item, "expires_at")));
    assert_true(json_is_null(json_object_get(item, "last_used_at")));
    json_decref(list);

    /* Every tenant's tokens when tenant is NULL (scimctl). */
    assert_int_equal(scim_store_token_list(f->st, NULL, &list, &err), 0);
    assert_int_equal(json_array_size(list), 2);
    item = json_array_get(list, 1);
    assert_string_equal(json_string_value(json_object_get(item, "tenant")), "globex");
    assert_true(json_is_string(json_object_get(item, "expires_at")));
    char *text = json_dumps(list, 0);
    assert_null(strstr(text, "hash"));
    scim_free(text);
    json_decref(list);
}

/* ---- resources ---------------------------------------------------------------------------- */

static void test_store_resource_create_get(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    json_t *doc = user_doc("bjensen");
    json_object_set_new(doc, "externalId", json_string("ext-1"));
    struct scim_resource r = {0};
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, &r, NULL, &err),
                     0);
    assert_int_equal(strlen(r.id), 36);
    assert_int_equal(r.id[14], '7'); /* UUID v7 */
    assert_int_equal(r.version, 1);
    assert_true(r.created_ms > 0);
    assert_int_equal(r.created_ms, r.modified_ms);
    assert_true(json_equal(r.doc, doc));
    /* Shared, not copied (store.h): the caller's document is the stored one. */
    assert_ptr_equal(r.doc, doc);

    struct scim_resource got = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    assert_string_equal(got.id, r.id);
    assert_int_equal(got.version, 1);
    assert_int_equal(got.created_ms, r.created_ms);
    assert_true(json_equal(got.doc, doc));
    scim_resource_clear(&got);

    /* The same id under another type is not the same resource. */
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, GROUP, r.id, &got, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, "no-such-id", &got, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(err.status, 404);
    assert_string_equal(err.detail, "Resource no-such-id not found");
    scim_resource_clear(&r);
    json_decref(doc);
}

static void test_store_resource_replace(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_resource r = {0};
    create_user(f, &f->acme, "bjensen", &r);
    json_t *doc = user_doc("bjensen");
    json_object_set_new(doc, "displayName", json_string("Barbara Jensen"));
    struct scim_resource after = {0};
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, -1, doc, NULL, &after, NULL, &err),
        0);
    assert_string_equal(after.id, r.id);
    assert_int_equal(after.version, 2);
    assert_int_equal(after.created_ms, r.created_ms);
    assert_true(after.modified_ms >= r.modified_ms);
    assert_true(json_equal(after.doc, doc));
    scim_resource_clear(&after);
    struct scim_resource got = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    assert_int_equal(got.version, 2);
    assert_string_equal(json_string_value(json_object_get(got.doc, "displayName")),
                        "Barbara Jensen");
    scim_resource_clear(&got);
    scim_resource_clear(&r);
    json_decref(doc);
}

/* Inside a read snapshot every read sees the database as of the snapshot's first read, even
 * after another connection committed meanwhile; after scim_store_read_end, reads see that
 * write. A write of the thread itself ends the snapshot first: the reads after it see it. */
static void test_store_read_snapshot_is_one_transaction(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_resource r = {0}, got = {0};
    create_user(f, &f->acme, "bjensen", &r);
    scim_store_read_begin(f->st);
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    assert_int_equal(got.version, 1);
    scim_resource_clear(&got);
    sqlite3 *db = raw_open(f);
    raw_exec(db, "UPDATE resources SET version = 5 WHERE user_name_ci = 'bjensen'");
    sqlite3_close(db);
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    assert_int_equal(got.version, 1);
    scim_resource_clear(&got);
    scim_store_read_end(f->st);
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    assert_int_equal(got.version, 5);
    scim_resource_clear(&got);
    /* A write inside the snapshot ends it. */
    scim_store_read_begin(f->st);
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    scim_resource_clear(&got);
    json_t *doc = user_doc("bjensen");
    json_object_set_new(doc, "displayName", json_string("Barbara Jensen"));
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 5, doc, NULL, NULL, NULL, &err),
        0);
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    assert_int_equal(got.version, 6);
    assert_string_equal(json_string_value(json_object_get(got.doc, "displayName")),
                        "Barbara Jensen");
    scim_resource_clear(&got);
    scim_store_read_end(f->st);
    json_decref(doc);
    scim_resource_clear(&r);
}

/* A replace that keeps the indexed columns takes the narrow update; one that changes userName
 * takes the full one: both land, the index follows the rename, and a stale version is 412. */
static void test_store_resource_replace_narrow_and_full_update(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_resource r = {0}, got = {0};
    create_user(f, &f->acme, "bjensen", &r);
    json_t *doc = user_doc("bjensen");
    json_object_set_new(doc, "active", json_false());
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 1, doc, NULL, NULL, NULL, &err),
        0);
    json_decref(doc);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT active FROM resources WHERE user_name_ci = 'bjensen'"), 0);
    doc = user_doc("babs");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 2, doc, NULL, NULL, NULL, &err),
        0);
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 2, doc, NULL, NULL, NULL, &err),
        SCIM_EPRECONDITION);
    json_decref(doc);
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    assert_int_equal(got.version, 3);
    assert_string_equal(json_string_value(json_object_get(got.doc, "userName")), "babs");
    scim_resource_clear(&got);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resources WHERE user_name_ci = 'babs'"), 1);
    sqlite3_close(db);
    /* The old name is free again. */
    create_user(f, &f->acme, "bjensen", NULL);
    scim_resource_clear(&r);
}

/* The WAL restarts under sustained writes, whether or not the background checkpoint keeps up:
 * past 32,000 pages (128 MiB) the committing writer checkpoints itself, so the file stays near
 * that size however many frames are written, and everything written is there. */
static void test_store_wal_stays_bounded_under_writes(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    char padding[3000];
    memset(padding, 'x', sizeof(padding) - 1);
    padding[sizeof(padding) - 1] = '\0';
    char wal[160];
    path_join(wal, sizeof(wal), f->dir, "var/db/scimd.db-wal");
    struct stat st_wal;
    off_t largest = 0;
    for (int i = 0; i < 8000; i++) {
        char name[32];
        snprintf(name, sizeof(name), "user%05d", i);
        json_t *doc = user_doc(name);
        json_object_set_new(doc, "title", json_string(padding));
        if (scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, NULL, NULL, &err) != 0)
            fail_msg("create %s: %d %s", name, err.status, err.detail);
        json_decref(doc);
        assert_int_equal(stat(wal, &st_wal), 0);
        if (st_wal.st_size > largest)
            largest = st_wal.st_size;
    }
    /* 8,000 creates of 3-KB documents write over 300 MiB of WAL frames; without restarts
     * the file would hold them all. A frame is a 4-KiB page and a 24-byte header. */
    if (largest >= (off_t)32400 * (4096 + 24))
        fail_msg("the WAL grew to %lld bytes", (long long)largest);
    assert_int_equal(list_total(f, &f->acme, USER, NULL, NULL), 8000);
}

static void test_store_resource_delete(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_resource r = {0};
    create_user(f, &f->acme, "bjensen", &r);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, -1, NULL, &err), 0);
    struct scim_resource got = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, -1, NULL, &err),
                     SCIM_ENOTFOUND);
    json_t *doc = user_doc("bjensen");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, -1, doc, NULL, NULL, NULL, &err),
        SCIM_ENOTFOUND);
    assert_int_equal(list_total(f, &f->acme, USER, NULL, NULL), 0);
    json_decref(doc);
    scim_resource_clear(&r);
}

static void test_store_resource_user_name_unique_case_insensitive(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    scim_err_clear(&err);
    create_user(f, &f->acme, "bjensen", NULL);
    json_t *doc = user_doc("BJensen");
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, NULL, NULL, &err),
                     SCIM_ECONFLICT);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.scim_type, SCIM_TYPE_UNIQUENESS);
    assert_string_equal(err.detail, "userName 'BJensen' is already in use in this tenant");
    json_decref(doc);
    /* Case folding is Unicode-aware, not ASCII-only. */
    create_user(f, &f->acme, "\xc3\x89mile", NULL); /* Émile */
    doc = user_doc("\xc3\xa9MILE");                 /* éMILE */
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, NULL, NULL, &err),
                     SCIM_ECONFLICT);
    json_decref(doc);
    assert_int_equal(list_total(f, &f->acme, USER, NULL, NULL), 2);
}

static void test_store_resource_replace_user_name_conflict(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_resource a = {0}, b = {0};
    create_user(f, &f->acme, "alice", &a);
    create_user(f, &f->acme, "bob", &b);
    json_t *doc = user_doc("ALICE");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, b.id, -1, doc, NULL, NULL, NULL, &err),
        SCIM_ECONFLICT);
    assert_string_equal(err.detail, "userName 'ALICE' is already in use in this tenant");
    json_decref(doc);
    /* Renaming a resource to its own userName in another case is not a conflict. */
    doc = user_doc("Alice");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, a.id, 1, doc, NULL, NULL, NULL, &err),
        0);
    json_decref(doc);
    struct scim_resource got = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, b.id, &got, &err), 0);
    assert_int_equal(got.version, 1);
    assert_string_equal(json_string_value(json_object_get(got.doc, "userName")), "bob");
    scim_resource_clear(&got);
    scim_resource_clear(&a);
    scim_resource_clear(&b);
}

static void test_store_resource_tenants_are_isolated(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_resource a = {0}, g = {0};
    create_user(f, &f->acme, "bjensen", &a);
    create_user(f, &f->globex, "bjensen", &g);
    struct scim_resource got = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->globex, USER, a.id, &got, &err),
                     SCIM_ENOTFOUND);
    json_t *doc = user_doc("mallory");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->globex, USER, a.id, -1, doc, NULL, NULL, NULL, &err),
        SCIM_ENOTFOUND);
    assert_int_equal(scim_store_resource_delete(f->st, &f->globex, USER, a.id, -1, NULL, &err),
                     SCIM_ENOTFOUND);
    json_decref(doc);
    assert_int_equal(list_total(f, &f->globex, USER, NULL, NULL), 1);
    assert_int_equal(list_total(f, &f->globex, USER, "id", a.id), 0);
    assert_int_equal(list_total(f, &f->acme, USER, "id", a.id), 1);
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, a.id, &got, &err), 0);
    assert_int_equal(got.version, 1);
    assert_string_equal(json_string_value(json_object_get(got.doc, "userName")), "bjensen");
    scim_resource_clear(&got);
    scim_resource_clear(&a);
    scim_resource_clear(&g);
}

static void test_store_resource_recreate_after_delete_keeps_tombstone(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    json_t *doc = user_doc("bjensen");
    struct scim_resource first = {0}, second = {0};
    assert_int_equal(
        scim_store_resource_create(f->st, &f->acme, USER, doc, "$argon2id$old", &first, NULL, &err),
        0);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, first.id, 1, NULL, &err), 0);
    json_decref(doc);
    doc = user_doc("BJENSEN");
    assert_int_equal(
        scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, &second, NULL, &err), 0);
    assert_string_not_equal(first.id, second.id);
    json_decref(doc);

    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resources WHERE user_name_ci = 'bjensen'"),
                     2);
    assert_true(raw_int(db, "SELECT deleted_ms FROM resources WHERE id = '%s'", first.id) > 0);
    assert_int_equal(raw_int(db, "SELECT version FROM resources WHERE id = '%s'", first.id), 2);
    /* The tombstone keeps no password hash. */
    assert_int_equal(
        raw_int(db, "SELECT password_hash IS NULL FROM resources WHERE id = '%s'", first.id), 1);
    assert_int_equal(
        raw_int(db, "SELECT deleted_ms IS NULL FROM resources WHERE id = '%s'", second.id), 1);
    sqlite3_close(db);
    scim_resource_clear(&first);
    scim_resource_clear(&second);
}

static void test_store_resource_version_mismatch_is_412(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    scim_err_clear(&err);
    struct scim_resource r = {0};
    create_user(f, &f->acme, "bjensen", &r);
    json_t *doc = user_doc("bjensen");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 5, doc, NULL, NULL, NULL, &err),
        SCIM_EPRECONDITION);
    assert_int_equal(err.status, 412);
    assert_string_equal(err.detail, "The resource was modified (version 1); fetch it again");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 1, doc, NULL, NULL, NULL, &err),
        0);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, 1, NULL, &err),
                     SCIM_EPRECONDITION);
    assert_string_equal(err.detail, "The resource was modified (version 2); fetch it again");
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, 2, NULL, &err), 0);
    /* A version check on a deleted resource is a 404, not a 412. */
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 3, doc, NULL, NULL, NULL, &err),
        SCIM_ENOTFOUND);
    json_decref(doc);
    scim_resource_clear(&r);
}

static void test_store_resource_indexed_columns(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    json_t *doc = user_doc("BJensen");
    json_object_set_new(doc, "externalId", json_string("Ext-42"));
    json_object_set_new(doc, "active", json_true());
    struct scim_resource u = {0}, g = {0};
    assert_int_equal(
        scim_store_resource_create(f->st, &f->acme, USER, doc, "$argon2id$one", &u, NULL, &err), 0);
    json_t *group = json_pack("{s:[s], s:s}", "schemas", GROUP_SCHEMA, "displayName", "Admins");
    assert_int_equal(
        scim_store_resource_create(f->st, &f->acme, GROUP, group, NULL, &g, NULL, &err), 0);

    sqlite3 *db = raw_open(f);
    char text[128];
    raw_text(db, text, sizeof(text), "SELECT user_name_ci FROM resources WHERE id = '%s'", u.id);
    assert_string_equal(text, "bjensen");
    raw_text(db, text, sizeof(text), "SELECT external_id FROM resources WHERE id = '%s'", u.id);
    assert_string_equal(text, "Ext-42");
    raw_text(db, text, sizeof(text), "SELECT display_name FROM resources WHERE id = '%s'", u.id);
    assert_string_equal(text, "Display BJensen");
    assert_int_equal(raw_int(db, "SELECT active FROM resources WHERE id = '%s'", u.id), 1);
    assert_int_equal(raw_int(db, "SELECT tenant_id FROM resources WHERE id = '%s'", u.id),
                     f->acme.id);
    raw_text(db, text, sizeof(text), "SELECT password_hash FROM resources WHERE id = '%s'", u.id);
    assert_string_equal(text, "$argon2id$one");
    assert_int_equal(
        raw_int(db, "SELECT user_name_ci IS NULL AND active IS NULL FROM resources WHERE id = '%s'",
                g.id),
        1);

    /* Replace without a password keeps the hash; with one, changes it; columns follow the doc. */
    json_object_set_new(doc, "active", json_false());
    json_object_del(doc, "externalId");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, u.id, -1, doc, NULL, NULL, NULL, &err),
        0);
    raw_text(db, text, sizeof(text), "SELECT password_hash FROM resources WHERE id = '%s'", u.id);
    assert_string_equal(text, "$argon2id$one");
    assert_int_equal(raw_int(db, "SELECT active FROM resources WHERE id = '%s'", u.id), 0);
    assert_int_equal(raw_int(db, "SELECT external_id IS NULL FROM resources WHERE id = '%s'", u.id),
                     1);
    assert_int_equal(scim_store_resource_replace(f->st, &f->acme, USER, u.id, -1, doc,
                                                 "$argon2id$two", NULL, NULL, &err),
                     0);
    raw_text(db, text, sizeof(text), "SELECT password_hash FROM resources WHERE id = '%s'", u.id);
    assert_string_equal(text, "$argon2id$two");
    sqlite3_close(db);
    json_decref(doc);
    json_decref(group);
    scim_resource_clear(&u);
    scim_resource_clear(&g);
}

static void test_store_resource_list_paging(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    char ids[25][40];
    for (int i = 0; i < 25; i++) {
        char name[32];
        snprintf(name, sizeof(name), "user%02d", i);
        struct scim_resource r = {0};
        create_user(f, &f->acme, name, &r);
        snprintf(ids[i], sizeof(ids[i]), "%s", r.id);
        scim_resource_clear(&r);
    }
    /* Deleting one in the middle removes it from the list and the total. */
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, ids[12], -1, NULL, &err), 0);
    int seen = 0;
    for (int64_t start = 1; start <= 30; start += 10) {
        struct scim_list_query q = {NULL, NULL, start, 10};
        struct scim_resource *rows = NULL;
        size_t n = 0;
        int64_t total = 0;
        assert_int_equal(
            scim_store_resource_list(f->st, &f->acme, USER, &q, &rows, &n, &total, &err), 0);
        assert_int_equal(total, 24);
        assert_int_equal(n, start == 21 ? 4 : start > 21 ? 0 : 10);
        for (size_t i = 0; i < n; i++) {
            int expected = seen < 12 ? seen : seen + 1;
            assert_string_equal(rows[i].id, ids[expected]);
            assert_int_equal(rows[i].version, 1);
            assert_non_null(rows[i].doc);
            seen++;
        }
        scim_store_rows_free(rows, n);
    }
    assert_int_equal(seen, 24);
    /* count 0: only the total; start_index < 1 counts as 1. */
    assert_int_equal(list_total(f, &f->acme, USER, NULL, NULL), 24);
    struct scim_list_query q = {NULL, NULL, -5, 2};
    struct scim_resource *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(scim_store_resource_list(f->st, &f->acme, USER, &q, &rows, &n, &total, &err),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, ids[0]);
    scim_store_rows_free(rows, n);
}

static void test_store_resource_list_filters(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    json_t *doc = user_doc("BJensen");
    json_object_set_new(doc, "externalId", json_string("Ext-1"));
    struct scim_resource r = {0};
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, &r, NULL, &err),
                     0);
    json_decref(doc);
    create_user(f, &f->acme, "other", NULL);
    json_t *group = json_pack("{s:[s], s:s}", "schemas", GROUP_SCHEMA, "displayName", "G");
    assert_int_equal(
        scim_store_resource_create(f->st, &f->acme, GROUP, group, NULL, NULL, NULL, &err), 0);
    json_decref(group);

    assert_int_equal(list_total(f, &f->acme, USER, NULL, NULL), 2);
    assert_int_equal(list_total(f, &f->acme, GROUP, NULL, NULL), 1);
    assert_int_equal(list_total(f, &f->acme, USER, "userName", "bjensen"), 1);
    assert_int_equal(list_total(f, &f->acme, USER, "userName", "BJENSEN"), 1);
    assert_int_equal(list_total(f, &f->acme, USER, "externalId", "Ext-1"), 1);
    assert_int_equal(list_total(f, &f->acme, USER, "externalId", "ext-1"), 0);
    assert_int_equal(list_total(f, &f->acme, USER, "id", r.id), 1);
    assert_int_equal(list_total(f, &f->acme, GROUP, "id", r.id), 0);

    struct scim_list_query q = {"userName", "bJeNsEn", 1, 10};
    struct scim_resource *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(scim_store_resource_list(f->st, &f->acme, USER, &q, &rows, &n, &total, &err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_string_equal(rows[0].id, r.id);
    scim_store_rows_free(rows, n);

    struct scim_list_query bad = {"displayName", "x", 1, 10};
    assert_int_equal(scim_store_resource_list(f->st, &f->acme, USER, &bad, &rows, &n, &total, &err),
                     SCIM_ERR);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_FILTER);

    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, -1, NULL, &err), 0);
    assert_int_equal(list_total(f, &f->acme, USER, "userName", "bjensen"), 0);
    assert_int_equal(list_total(f, &f->acme, USER, "externalId", "Ext-1"), 0);
    assert_int_equal(list_total(f, &f->acme, USER, "id", r.id), 0);
    scim_resource_clear(&r);
}

/* ---- filters, sorting and cursors (issue 3) ------------------------------------------------ */

#define BASE_URL "https://scim.example.com/scim/v2"
#define ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define N_SEED 300
#define N_DECOY 40

/* The seeded tenant: every live User, rendered as a client would see it, in creation order. */
struct seeded {
    const struct scim_resource_type *rt;
    char ids[N_SEED][40]; /* every created id, by seed number (deleted ones included) */
    size_t n;             /* live resources */
    char live_ids[N_SEED][40];
    json_t *rendered[N_SEED]; /* owned */
};

static void seeded_free(struct seeded *s)
{
    for (size_t i = 0; i < s->n; i++)
        json_decref(s->rendered[i]);
    scim_free(s);
}

/* Returns a new reference: the input a client would POST for seed user i (varied on purpose:
 * mixed case, non-ASCII, LIKE and GLOB metacharacters, empty strings, missing attributes). */
static json_t *seed_input(int i, const struct seeded *s, const char *tag)
{
    static const char *const families[] = {"Smith",   "Jensen",  "Müller",      "ÉMILE",
                                           "Johnson", "O'Brien", "van der Berg"};
    static const char *const titles[] = {"Engineer", "engineer", "Manager", "", NULL, "Zookeeper"};
    static const char *const departments[] = {"Sales", "sales", "R&D"};
    char buf[160];
    json_t *u = json_object();
    if (i % 37 == 5)
        snprintf(buf, sizeof(buf), "Ünïcode.%03d%s", i, tag);
    else if (i % 41 == 7)
        snprintf(buf, sizeof(buf), "under_score%03d%s", i, tag);
    else if (i % 43 == 9)
        snprintf(buf, sizeof(buf), "per%%cent%03d%s", i, tag);
    else
        snprintf(buf, sizeof(buf), "%s%03d%s",
                 i % 3 == 0   ? "User"
                 : i % 3 == 1 ? "user"
                              : "USER",
                 i, tag);
    json_object_set_new(u, "userName", json_string(buf));
    if (i % 5 != 0) {
        snprintf(buf, sizeof(buf), "%s %s %d", i % 2 ? "Display" : "DISPLAY", families[i % 7], i);
        json_object_set_new(u, "displayName", json_string(buf));
    }
    if (i % 29 == 3) {
        snprintf(buf, sizeof(buf), "x*y?[z]%d", i);
        json_object_set_new(u, "externalId", json_string(buf));
    } else if (i % 4 != 0) {
        snprintf(buf, sizeof(buf), "%s-%d", i % 2 ? "EXT" : "ext", i);
        json_object_set_new(u, "externalId", json_string(buf));
    }
    if (i % 3 != 2)
        json_object_set_new(u, "active", json_boolean(i % 3 == 0));
    if (titles[i % 6])
        json_object_set_new(u, "title", json_string(titles[i % 6]));
    if (i % 10 == 0) {
        snprintf(buf, sizeof(buf), "n*ck?%d", i);
        json_object_set_new(u, "nickName", json_string(buf));
    } else if (i % 10 == 1) {
        json_object_set_new(u, "nickName", json_string("50%_off"));
    }
    if (i % 4 == 0)
        json_object_set_new(u, "name",
                            json_pack("{s:s, s:s}", "givenName", i % 8 ? "Alice" : "alex",
                                      "familyName", families[i % 7]));
    else if (i % 4 == 1)
        json_object_set_new(u, "name", json_pack("{s:s}", "familyName", "Johnson"));
    else if (i % 4 == 2)
        json_object_set_new(u, "name",
                            json_pack("{s:s, s:s}", "givenName", "bob", "familyName", ""));
    json_t *emails = json_array();
    for (int k = 0; k < i % 4; k++) {
        json_t *e = json_object();
        snprintf(buf, sizeof(buf), "%s%03d.%d%s@%s", i % 2 ? "user" : "User", i, k, tag,
                 k % 2 ? "Example.ORG" : "example.com");
        json_object_set_new(e, "value", json_string(buf));
        if (k < 2)
            json_object_set_new(e, "type", json_string(k == 0 ? "work" : "home"));
        if (k == i % 3)
            json_object_set_new(e, "primary", json_true());
        json_array_append_new(emails, e);
    }
    json_object_set_new(u, "emails", emails);
    if (i % 5 == 0) {
        snprintf(buf, sizeof(buf), "+1 555 %04d", i);
        json_object_set_new(u, "phoneNumbers",
                            json_pack("[{s:s, s:s}]", "value", buf, "type", "mobile"));
    } else if (i % 5 == 1) {
        snprintf(buf, sizeof(buf), "+49 30 %d", i);
        json_object_set_new(u, "phoneNumbers",
                            json_pack("[{s:s, s:s}]", "value", buf, "type", "work"));
    }
    if (i % 7 == 0)
        json_object_set_new(
            u, "addresses",
            json_pack("[{s:s, s:s, s:s}]", "locality", "Berlin", "country", "DE", "type", "work"));
    else if (i % 7 == 1)
        json_object_set_new(u, "addresses",
                            json_pack("[{s:s, s:s}]", "locality", "BERLIN", "country", "de"));
    else if (i % 7 == 2)
        json_object_set_new(u, "addresses",
                            json_pack("[{s:s, s:s}]", "locality", "Paris", "country", "FR"));
    if (i % 9 == 0) {
        snprintf(buf, sizeof(buf), "IM%d", i);
        json_object_set_new(u, "ims", json_pack("[{s:s, s:s}]", "value", buf, "type", "xmpp"));
    }
    if (i % 8 < 2) {
        snprintf(buf, sizeof(buf), "%s://%s/u/%d", i % 8 ? "HTTPS" : "https",
                 i % 8 ? "Example.com" : "example.com", i);
        json_object_set_new(u, "profileUrl", json_string(buf));
    }
    if (i % 3 != 2) {
        json_t *ext = json_object();
        snprintf(buf, sizeof(buf), "%d", i == 12 ? 701984 : 1000 + i);
        json_object_set_new(ext, "employeeNumber", json_string(buf));
        json_object_set_new(ext, "department", json_string(departments[(i / 3) % 3]));
        if (i % 4 == 0 && i >= 2 && s)
            json_object_set_new(ext, "manager", json_pack("{s:s}", "value", s->ids[i / 2]));
        json_object_set_new(u, ENTERPRISE, ext);
    }
    return u;
}

/* Normalises input as the daemon does and returns the document (new reference). */
static json_t *normalized(const struct scim_resource_type *rt, const json_t *input,
                          const json_t *existing)
{
    struct scim_err err;
    scim_err_clear(&err);
    json_t *doc = NULL;
    int rc = scim_resource_normalize(rt, input, existing ? SCIM_WRITE_REPLACE : SCIM_WRITE_CREATE,
                                     existing, &doc, NULL, &err);
    if (rc != 0)
        fail_msg("normalize: %d %s", err.status, err.detail);
    return doc;
}

/* Creates the seed users in acme (then replaces and deletes some), decoys in globex and a few
 * Groups in acme; returns the live Users rendered, in creation order. */
static struct seeded *seed(struct fixture *f)
{
    struct seeded *s = scim_calloc(1, sizeof(*s));
    struct scim_err err;
    scim_err_clear(&err);
    s->rt = scim_resource_type_find(USER);
    assert_non_null(s->rt);
    for (int i = 0; i < N_SEED; i++) {
        json_t *in = seed_input(i, s, "");
        json_t *doc = normalized(s->rt, in, NULL);
        struct scim_resource r = {0};
        if (scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, &r, NULL, &err) != 0)
            fail_msg("create seed %d: %s", i, err.detail);
        snprintf(s->ids[i], sizeof(s->ids[i]), "%s", r.id);
        scim_resource_clear(&r);
        json_decref(doc);
        json_decref(in);
        if (i < N_DECOY) {
            /* The same names and addresses in another tenant: none may leak into acme. */
            in = seed_input(i, NULL, "");
            doc = normalized(s->rt, in, NULL);
            assert_int_equal(
                scim_store_resource_create(f->st, &f->globex, USER, doc, NULL, NULL, NULL, &err),
                0);
            json_decref(doc);
            json_decref(in);
        }
    }
    json_t *group =
        json_pack("{s:[s], s:s}", "schemas", GROUP_SCHEMA, "displayName", "Display Smith 1");
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            scim_store_resource_create(f->st, &f->acme, GROUP, group, NULL, NULL, NULL, &err), 0);
    json_decref(group);
    /* Replaces change the value index and meta.version; deletes leave tombstones. */
    for (int i = 0; i < N_SEED; i++) {
        if (i % 50 == 20) {
            struct scim_resource old = {0};
            assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, s->ids[i], &old, &err),
                             0);
            json_t *in = seed_input(i, s, "");
            char buf[64];
            snprintf(buf, sizeof(buf), "changed%d@Example.NET", i);
            json_object_set_new(in, "emails",
                                json_pack("[{s:s, s:s}]", "value", buf, "type", "work"));
            json_object_set_new(in, "title", json_string("Replaced"));
            json_t *doc = normalized(s->rt, in, old.doc);
            assert_int_equal(scim_store_resource_replace(f->st, &f->acme, USER, s->ids[i], -1, doc,
                                                         NULL, NULL, NULL, &err),
                             0);
            json_decref(doc);
            json_decref(in);
            scim_resource_clear(&old);
        } else if (i % 50 == 10) {
            assert_int_equal(
                scim_store_resource_delete(f->st, &f->acme, USER, s->ids[i], -1, NULL, &err), 0);
        }
    }
    /* The reference: every live User, read back in creation order and rendered. */
    struct scim_list_query all = {.start_index = 1, .count = 10000};
    struct scim_list_page page = {0};
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &all, &page, &err), 0);
    assert_int_equal(page.n, N_SEED - N_SEED / 50);
    assert_int_equal(page.total, (int64_t)page.n);
    for (size_t i = 0; i < page.n; i++) {
        snprintf(s->live_ids[i], sizeof(s->live_ids[i]), "%s", page.rows[i].id);
        s->rendered[i] = scim_resource_render(s->rt, &page.rows[i], BASE_URL);
    }
    s->n = page.n;
    scim_store_page_clear(&page);
    return s;
}

/* Parses text against User, asserting success. Caller frees. */
static struct scim_filter *parse_filter(const struct scim_resource_type *rt, const char *text)
{
    struct scim_filter *flt = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_filter_parse(rt, text, NULL, &flt, &err) != 0)
        fail_msg("parse '%s': %s", text, err.detail);
    return flt;
}

/* Compares the store's answer to text with the evaluator over every rendered resource;
 * returns the number of matches. */
static size_t check_filter(struct fixture *f, const struct seeded *s, const char *text)
{
    struct scim_filter *flt = parse_filter(s->rt, text);
    struct scim_err err;
    scim_err_clear(&err);
    struct scim_list_query q = {.filter = flt, .start_index = 1, .count = 10000};
    struct scim_list_page page = {0};
    if (scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err) != 0)
        fail_msg("query '%s': %d %s", text, err.status, err.detail);
    size_t expected = 0, got = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!scim_filter_match(flt, s->rendered[i]))
            continue;
        if (got >= page.n || strcmp(page.rows[got].id, s->live_ids[i]) != 0) {
            char *dump = json_dumps(s->rendered[i], JSON_COMPACT);
            print_error("filter '%s': the store %s resource %zu: %s\n", text,
                        got < page.n ? "returned another row instead of" : "missed", i, dump);
            scim_free(dump);
            fail();
        }
        expected++;
        got++;
    }
    if (got != page.n)
        fail_msg("filter '%s': the store returned %zu rows, the evaluator matches %zu", text,
                 page.n, expected);
    assert_int_equal(page.total, (int64_t)expected);
    scim_store_page_clear(&page);

    /* count 0: the same total, no rows. */
    q.count = 0;
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
    assert_int_equal(page.total, (int64_t)expected);
    assert_int_equal(page.n, 0);
    assert_null(page.rows);
    scim_store_page_clear(&page);
    scim_filter_free(flt);
    return expected;
}

/* The rendered meta time of seed resource i ("meta"/which), copied into buf. */
static const char *meta_time(const struct seeded *s, size_t i, const char *which, char *buf,
                             size_t size)
{
    const json_t *meta = json_object_get(s->rendered[i], "meta");
    snprintf(buf, size, "%s", json_string_value(json_object_get(meta, which)));
    return buf;
}

/* Formats one filter into the next free slot of bufs; returns it. */
struct filter_texts {
    char buf[40][256];
    int n;
};

static const char *ftext(struct filter_texts *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *ftext(struct filter_texts *t, const char *fmt, ...)
{
    assert_true(t->n < 40);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->buf[t->n], sizeof(t->buf[t->n]), fmt, ap);
    va_end(ap);
    return t->buf[t->n++];
}

static void test_store_query_filters_match_evaluator(void **state)
{
    struct fixture *f = *state;
    struct seeded *s = seed(f);
    char mid_mod[48], mid_created[48], frac[64], offset[64], id_prefix[8];
    meta_time(s, s->n / 2, "lastModified", mid_mod, sizeof(mid_mod));
    meta_time(s, s->n / 3, "created", mid_created, sizeof(mid_created));
    /* A literal between two milliseconds: "...T12:00:00.123" + "4Z". */
    snprintf(frac, sizeof(frac), "%.23s4Z", mid_created);
    /* The same instant as mid_mod written in +02:00. */
    {
        int64_t ms;
        bool exact;
        assert_true(scim_sqlgen_datetime_ms(mid_mod, &ms, &exact));
        char t[48];
        scim_time_format(ms + 2 * 3600 * 1000, t, sizeof(t));
        snprintf(offset, sizeof(offset), "%.23s+02:00", t);
    }
    snprintf(id_prefix, sizeof(id_prefix), "%.4s", s->live_ids[7]);
    struct filter_texts *t = scim_calloc(1, sizeof(*t));
#define F(...) ftext(t, __VA_ARGS__)
    const char *filters[] = {
        /* userName: case-insensitive, indexed */
        "userName eq \"user004\"",
        "userName eq \"USER004\"",
        "userName ne \"user004\"",
        "userName co \"ER01\"",
        "userName sw \"USER1\"",
        "userName sw \"\"",
        "userName ew \"5\"",
        "userName gt \"user150\"",
        "userName le \"user050\"",
        "userName sw \"ünï\"",
        "userName eq \"ÜNÏCODE.042\"",
        "userName co \"_\"",
        "userName co \"%\"",
        "userName pr",
        "userName eq \"nobody\"",
        /* displayName: case-insensitive, indexed */
        "displayName eq \"display smith 7\"",
        "displayName co \"müller\"",
        "displayName co \"MÜLLER\"",
        "displayName sw \"DISPLAY É\"",
        "displayName pr",
        "displayName eq null",
        "displayName lt \"display n\"",
        /* externalId: caseExact */
        "externalId eq \"EXT-11\"",
        "externalId eq \"ext-11\"",
        "externalId sw \"EXT-1\"",
        "externalId co \"*\"",
        "externalId co \"?[z]\"",
        "externalId ew \"[z]3\"",
        "externalId pr",
        "externalId ne \"EXT-11\"",
        "externalId gt \"ext\"",
        /* id */
        F("id eq \"%s\"", s->live_ids[7]),
        F("id sw \"%s\"", id_prefix),
        "id pr",
        /* booleans */
        "active eq true",
        "active eq false",
        "active ne true",
        "active pr",
        "active eq null",
        "not (active eq true)",
        /* singular strings in the document */
        "title eq \"Engineer\"",
        "title pr",
        "title eq null",
        "title ne null",
        "not (title eq \"Engineer\")",
        "title gt \"m\"",
        "title ne \"engineer\"",
        "title sw \"\"",
        "nickName co \"*\"",
        "nickName co \"%\"",
        "nickName co \"_o\"",
        "nickName ew \"?20\"",
        "profileUrl sw \"https://example\"",
        /* singular complex */
        "name.familyName co \"son\"",
        "name.givenName sw \"A\"",
        "name pr",
        "name.familyName pr",
        "name.familyName eq null",
        "not (name.familyName eq \"Johnson\")",
        "name.familyName eq \"MÜLLER\"",
        /* multi-valued: the value index and JSON */
        "emails.value eq \"user007.0@example.com\"",
        "emails.value eq \"USER007.1@EXAMPLE.org\"",
        "emails co \"@example.org\"",
        "emails.value ew \".ORG\"",
        "emails.value sw \"user01\"",
        "emails.value ne \"user007.0@example.com\"",
        "emails.value gt \"user2\"",
        "emails pr",
        "emails.value pr",
        "emails eq null",
        "emails.value eq \"changed20@example.net\"",
        "emails.value eq \"user020.0@example.com\"",
        "emails.type eq \"work\"",
        "emails.type pr",
        "emails.type eq null",
        "emails.primary eq true",
        "emails[type eq \"work\" and value co \"EXAMPLE.com\"]",
        "emails[type eq \"home\" and value eq \"USER006.1@example.org\"]",
        "emails[value eq \"user005.0@example.com\" and type eq \"home\"]",
        "emails[not (type eq \"work\")]",
        "emails[primary eq true]",
        "emails[type eq \"work\" or primary eq true]",
        "emails[type pr and not (primary pr)]",
        "not (emails[type eq \"home\"])",
        "emails[type eq \"work\"] and emails[type eq \"home\"]",
        "not (emails.value co \"example\")",
        "phoneNumbers.value sw \"+1\"",
        "phoneNumbers[type eq \"mobile\"]",
        "phoneNumbers.value co \"555 0\"",
        "addresses.locality eq \"berlin\"",
        "addresses[locality eq \"berlin\" and country eq \"de\"]",
        "ims.value eq \"im18\"",
        "schemas eq \"" ENTERPRISE "\"",
        "not (schemas eq \"" ENTERPRISE "\")",
        /* the enterprise extension by URN */
        ENTERPRISE ":employeeNumber eq \"701984\"",
        ENTERPRISE ":employeeNumber pr",
        ENTERPRISE ":department eq \"sales\"",
        "not (" ENTERPRISE ":department eq \"Sales\")",
        F(ENTERPRISE ":manager.value eq \"%s\"", s->ids[60]),
        F(ENTERPRISE ":manager.value eq \"%s\"", s->ids[12]),
        ENTERPRISE ":manager.value pr",
        ENTERPRISE ":manager pr",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT eq \"R&D\"",
        /* dateTimes */
        F("meta.lastModified gt \"%s\"", mid_mod),
        F("meta.lastModified ge \"%s\"", mid_mod),
        F("meta.lastModified lt \"%s\"", mid_mod),
        F("meta.lastModified le \"%s\"", mid_mod),
        F("meta.lastModified eq \"%s\"", mid_mod),
        F("meta.lastModified ne \"%s\"", mid_mod),
        F("meta.lastModified eq \"%s\"", offset),
        F("meta.lastModified lt \"%s\"", offset),
        F("meta.created gt \"%s\"", frac),
        F("meta.created ge \"%s\"", frac),
        F("meta.created lt \"%s\"", frac),
        F("meta.created le \"%s\"", frac),
        F("meta.created eq \"%s\"", frac),
        F("meta.created ne \"%s\"", frac),
        F("meta.created sw \"%.4s\"", mid_created),
        "meta.created co \"t\"",
        "meta.created gt \"1999-12-31T23:59:59Z\"",
        /* other meta */
        "meta.resourceType eq \"User\"",
        "meta.resourceType eq \"user\"",
        "meta.version eq \"W/\\\"2\\\"\"",
        "meta.version ne \"W/\\\"1\\\"\"",
        "meta pr",
        "meta.lastModified pr",
        /* and/or/not precedence */
        "userName sw \"user0\" or active eq true and title eq \"Engineer\"",
        "(userName sw \"user0\" or active eq true) and title eq \"Engineer\"",
        "not (userName sw \"user0\" or title pr) and active eq false",
        "not (not (title eq \"Engineer\"))",
        "title ne \"Engineer\" or title eq null",
        "active eq true and not (emails pr) or displayName eq null",
        "not (active eq false or name.givenName eq \"bob\") and not (emails.value ew \".com\")",
    };
#undef F
    size_t n = sizeof(filters) / sizeof(filters[0]);
    size_t interesting = 0;
    assert_true(n >= 60);
    for (size_t i = 0; i < n; i++) {
        size_t m = check_filter(f, s, filters[i]);
        if (m > 0 && m < s->n)
            interesting++;
    }
    /* Most filters select some resources but not all, so the comparison means something. */
    assert_true(interesting >= n * 3 / 4);
    scim_free(t);

    /* meta.location depends on the base URL the store does not know. */
    struct scim_filter *flt = parse_filter(s->rt, "meta.location eq \"x\"");
    struct scim_list_query q = {.filter = flt, .count = 10};
    struct scim_list_page page = {0};
    struct scim_err err;
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_FILTER);
    scim_filter_free(flt);
    seeded_free(s);
}

/* True when plan (EXPLAIN QUERY PLAN lines) never scans the resources table in full. */
static bool plan_uses_index(const char *plan)
{
    return !strstr(plan, "SCAN r\n") && !strstr(plan, "SCAN r ") && !strstr(plan, "SCAN resources");
}

static char *explain(struct fixture *f, const char *text, const char *cursor)
{
    const struct scim_resource_type *rt = scim_resource_type_find(USER);
    struct scim_filter *flt = text ? parse_filter(rt, text) : NULL;
    struct scim_list_query q = {.filter = flt, .start_index = 1, .count = 100, .cursor = cursor};
    struct scim_err err;
    char *plan = NULL;
    assert_int_equal(scim_store_sqlite_explain(f->st, &f->acme, USER, &q, &plan, &err), 0);
    scim_filter_free(flt);
    return plan;
}

static void test_store_query_plans_use_indexes(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "plan%02d", i);
        create_user(f, &f->acme, name, NULL);
    }
    static const struct {
        const char *filter;
        const char *index; /* the index the count and the page must search */
    } cases[] = {
        {"userName eq \"Plan01\"", "SEARCH r USING INDEX resources_user_name"},
        {"externalId eq \"x\"", "SEARCH r USING INDEX resources_external_id"},
        {"emails.value eq \"a@example.com\"", "SEARCH v USING PRIMARY KEY"},
        {"meta.lastModified gt \"2020-01-01T00:00:00Z\"",
         "SEARCH r USING INDEX resources_modified"},
        {"userName sw \"plan\"", "SEARCH r USING INDEX resources_user_name"},
        {"displayName eq \"x\"", "SEARCH r USING INDEX resources_display_name"},
        {"id eq \"x\"", "SEARCH r USING INDEX resources_id"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *plan = explain(f, cases[i].filter, NULL);
        if (!plan_uses_index(plan) || !strstr(plan, cases[i].index))
            fail_msg("%s:\n%s", cases[i].filter, plan);
        /* Both the count and the page use it. */
        const char *page = strstr(plan, "page:");
        assert_non_null(page);
        assert_non_null(strstr(page, cases[i].index));
        scim_free(plan);
    }
    /* A cursor walk in creation order follows resources_live, without sorting. */
    char *plan = explain(f, NULL, "");
    assert_true(plan_uses_index(plan));
    assert_non_null(strstr(strstr(plan, "page:"), "resources_live"));
    assert_null(strstr(plan, "TEMP B-TREE"));
    scim_free(plan);
}

/* The sort key of a rendered resource for the paths tested below, as the RFC orders them:
 * case-folded strings, or NULL when there is none. Returned string is new (scim_free). */
static char *expected_key(const json_t *doc, const char *sort)
{
    const json_t *v = NULL;
    if (strcmp(sort, "userName") == 0 || strcmp(sort, "title") == 0 ||
        strcmp(sort, "displayName") == 0) {
        v = json_object_get(doc, sort);
    } else if (strcmp(sort, "name.familyName") == 0) {
        v = json_object_get(json_object_get(doc, "name"), "familyName");
    } else if (strcmp(sort, "emails") == 0) {
        const json_t *emails = json_object_get(doc, "emails");
        size_t i;
        const json_t *e;
        json_array_foreach (emails, i, e) {
            if (!v)
                v = json_object_get(e, "value");
            if (json_is_true(json_object_get(e, "primary"))) {
                v = json_object_get(e, "value");
                break;
            }
        }
    } else if (strcmp(sort, "meta.created") == 0) {
        v = json_object_get(json_object_get(doc, "meta"), "created");
        /* Rendered times sort as text in this fixed format. */
        return scim_strdup(json_string_value(v));
    }
    if (!json_is_string(v))
        return NULL;
    return scim_text_casefold(json_string_value(v), json_string_length(v));
}

/* The position of id among the seeded live resources (creation order). */
static size_t seed_pos(const struct seeded *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->live_ids[i], id) == 0)
            return i;
    }
    fail_msg("unknown id %s", id);
    return 0;
}

/* Lists everything sorted by sort (index paging, one page) into ids (caller-sized). */
static void list_sorted(struct fixture *f, const struct seeded *s, const char *sort, bool desc,
                        const struct scim_filter *flt, char (*ids)[40], size_t *n)
{
    struct scim_path path = {0};
    struct scim_err err;
    assert_int_equal(scim_path_parse(s->rt, sort, strlen(sort), 0, &path, &err), 0);
    struct scim_list_query q = {
        .filter = flt, .sort_by = &path, .descending = desc, .start_index = 1, .count = 10000};
    struct scim_list_page page = {0};
    if (scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err) != 0)
        fail_msg("sort %s: %s", sort, err.detail);
    for (size_t i = 0; i < page.n; i++)
        snprintf(ids[i], 40, "%s", page.rows[i].id);
    *n = page.n;
    scim_store_page_clear(&page);
    scim_path_clear(&path);
}

static void test_store_query_sorting(void **state)
{
    struct fixture *f = *state;
    struct seeded *s = seed(f);
    static const char *const sorts[] = {"userName", "title",        "displayName",
                                        "emails",   "meta.created", "name.familyName"};
    char(*asc)[40] = scim_calloc(N_SEED, 40);
    char(*desc)[40] = scim_calloc(N_SEED, 40);
    for (size_t k = 0; k < sizeof(sorts) / sizeof(sorts[0]); k++) {
        size_t na = 0, nd = 0;
        list_sorted(f, s, sorts[k], false, NULL, asc, &na);
        list_sorted(f, s, sorts[k], true, NULL, desc, &nd);
        assert_int_equal(na, s->n);
        assert_int_equal(nd, s->n);
        /* Every adjacent pair in order: keys ascending, missing keys last, ties by creation. */
        for (size_t i = 0; i + 1 < na; i++) {
            size_t pa = seed_pos(s, asc[i]), pb = seed_pos(s, asc[i + 1]);
            char *ka = expected_key(s->rendered[pa], sorts[k]);
            char *kb = expected_key(s->rendered[pb], sorts[k]);
            int cmp = !ka && !kb ? 0 : !ka ? 1 : !kb ? -1 : strcmp(ka, kb);
            if (cmp > 0 || (cmp == 0 && pa > pb))
                fail_msg("sortBy %s: '%s' (#%zu) before '%s' (#%zu)", sorts[k], ka ? ka : "null",
                         pa, kb ? kb : "null", pb);
            scim_free(ka);
            scim_free(kb);
        }
        /* Descending is the exact reverse, ties included. */
        for (size_t i = 0; i < na; i++)
            assert_string_equal(asc[i], desc[na - 1 - i]);
    }
    /* Sorting composes with a filter and with paging. */
    struct scim_filter *flt = parse_filter(s->rt, "title pr");
    size_t na = 0;
    list_sorted(f, s, "title", false, flt, asc, &na);
    struct scim_path path = {0};
    struct scim_err err;
    assert_int_equal(scim_path_parse(s->rt, "title", 5, 0, &path, &err), 0);
    for (int64_t start = 1; start <= (int64_t)na; start += 17) {
        struct scim_list_query q = {
            .filter = flt, .sort_by = &path, .start_index = start, .count = 17};
        struct scim_list_page page = {0};
        assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
        assert_int_equal(page.total, (int64_t)na);
        for (size_t i = 0; i < page.n; i++)
            assert_string_equal(page.rows[i].id, asc[start - 1 + (int64_t)i]);
        scim_store_page_clear(&page);
    }
    scim_path_clear(&path);
    scim_filter_free(flt);
    /* A complex attribute cannot be a sort key. */
    assert_int_equal(scim_path_parse(s->rt, "name", 4, 0, &path, &err), 0);
    struct scim_list_query bad = {.sort_by = &path, .count = 5};
    struct scim_list_page page = {0};
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &bad, &page, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_VALUE);
    scim_path_clear(&path);
    scim_free(asc);
    scim_free(desc);
    seeded_free(s);
}

/*
 * Walks a whole list with cursors (count per page), forward from cursor "" to the end, then
 * backward through previous cursors to the start; both walks must give the index-paged order.
 */
static void cursor_walk(struct fixture *f, const struct seeded *s, const char *sort, bool desc,
                        const char *filter, int64_t count)
{
    struct scim_err err;
    struct scim_path path = {0};
    if (sort)
        assert_int_equal(scim_path_parse(s->rt, sort, strlen(sort), 0, &path, &err), 0);
    struct scim_filter *flt = filter ? parse_filter(s->rt, filter) : NULL;
    char(*expected)[40] = scim_calloc(N_SEED, 40);
    size_t n = 0;
    if (sort) {
        list_sorted(f, s, sort, desc, flt, expected, &n);
    } else {
        for (size_t i = 0; i < s->n; i++) {
            if (!flt || scim_filter_match(flt, s->rendered[i]))
                snprintf(expected[n++], 40, "%s", s->live_ids[i]);
        }
    }
    struct scim_list_query q = {.filter = flt,
                                .sort_by = sort ? &path : NULL,
                                .descending = desc,
                                .count = count,
                                .cursor = ""};
    size_t seen = 0, pages = 0;
    char *last_cursor = NULL;
    for (;;) {
        struct scim_list_page page = {0};
        if (scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err) != 0)
            fail_msg("walk %s: %s", sort ? sort : "(creation)", err.detail);
        assert_int_equal(page.total, (int64_t)n);
        assert_true(page.n <= (size_t)count);
        for (size_t i = 0; i < page.n; i++) {
            assert_true(seen < n);
            assert_string_equal(page.rows[i].id, expected[seen]);
            seen++;
        }
        if (pages == 0)
            assert_null(page.previous_cursor);
        else
            assert_non_null(page.previous_cursor);
        pages++;
        scim_free(last_cursor);
        last_cursor = NULL;
        if (!page.next_cursor) {
            /* Walk back from the last page. */
            last_cursor = page.previous_cursor;
            page.previous_cursor = NULL;
            scim_store_page_clear(&page);
            break;
        }
        last_cursor = page.next_cursor;
        page.next_cursor = NULL;
        q.cursor = last_cursor;
        scim_store_page_clear(&page);
    }
    assert_int_equal(seen, n);
    assert_int_equal(pages, n == 0 ? 1 : (n + (size_t)count - 1) / (size_t)count);
    /* Backward: the pages before the last one, in reverse. */
    size_t end = n - (n % (size_t)count ? n % (size_t)count : (size_t)count);
    if (n == 0)
        end = 0;
    while (last_cursor) {
        q.cursor = last_cursor;
        struct scim_list_page page = {0};
        assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
        assert_int_equal(page.n, (size_t)count);
        assert_true(end >= page.n);
        end -= page.n;
        for (size_t i = 0; i < page.n; i++)
            assert_string_equal(page.rows[i].id, expected[end + i]);
        assert_non_null(page.next_cursor);
        scim_free(last_cursor);
        last_cursor = page.previous_cursor;
        page.previous_cursor = NULL;
        scim_store_page_clear(&page);
    }
    assert_int_equal(end, 0);
    scim_free(expected);
    scim_filter_free(flt);
    scim_path_clear(&path);
}

static void test_store_query_cursor_walks(void **state)
{
    struct fixture *f = *state;
    struct seeded *s = seed(f);
    cursor_walk(f, s, NULL, false, NULL, 7);
    cursor_walk(f, s, NULL, false, NULL, 1000);
    cursor_walk(f, s, "userName", false, NULL, 13);
    cursor_walk(f, s, "userName", true, NULL, 13);
    /* title has missing values (sorted last ascending, first descending) and "" values. */
    cursor_walk(f, s, "title", false, NULL, 9);
    cursor_walk(f, s, "title", true, NULL, 9);
    cursor_walk(f, s, "meta.created", false, NULL, 11);
    cursor_walk(f, s, "meta.lastModified", true, "emails pr", 5);
    cursor_walk(f, s, "emails", false, NULL, 10);
    cursor_walk(f, s, "active", true, NULL, 50);
    cursor_walk(f, s, NULL, false, "userName eq \"nobody\"", 5);
    seeded_free(s);
}

static void test_store_query_cursor_errors(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof(name), "walker%02d", i);
        create_user(f, &f->acme, name, NULL);
        create_user(f, &f->globex, name, NULL);
    }
    const struct scim_resource_type *rt = scim_resource_type_find(USER);
    struct scim_list_query q = {.count = 3, .cursor = ""};
    struct scim_list_page first = {0}, page = {0};
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &first, &err), 0);
    assert_int_equal(first.n, 3);
    assert_int_equal(first.total, 10);
    assert_non_null(first.next_cursor);
    assert_null(first.previous_cursor);

    /* The cursor works, and keeps working after a restart (the secret is in the database). */
    reopen(f, 2);
    q.cursor = first.next_cursor;
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
    assert_int_equal(page.n, 3);
    scim_store_page_clear(&page);

    /* Altered: every single-character change is detected. */
    char *bad = scim_strdup(first.next_cursor);
    for (size_t i = 0; bad[i]; i++) {
        char saved = bad[i];
        bad[i] = saved == 'A' ? 'B' : 'A';
        q.cursor = bad;
        assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err),
                         SCIM_ERR);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_CURSOR);
        bad[i] = saved;
    }
    scim_free(bad);
    /* Malformed, empty of content, or too long. */
    static const char *const garbage[] = {"!!!", "AAAA", "a", "not a cursor at all"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        q.cursor = garbage[i];
        assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err),
                         SCIM_ERR);
        assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_CURSOR);
    }
    char *huge = scim_malloc(SCIM_STORE_CURSOR_MAX + 2);
    memset(huge, 'A', SCIM_STORE_CURSOR_MAX + 1);
    huge[SCIM_STORE_CURSOR_MAX + 1] = '\0';
    q.cursor = huge;
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), SCIM_ERR);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_CURSOR);
    scim_free(huge);

    /* Foreign: another tenant, another type, another filter, another sort or direction. */
    q.cursor = first.next_cursor;
    assert_int_equal(scim_store_resource_query(f->st, &f->globex, USER, &q, &page, &err), SCIM_ERR);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_CURSOR);
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, GROUP, &q, &page, &err), SCIM_ERR);
    struct scim_filter *flt = parse_filter(rt, "userName pr");
    q.filter = flt;
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), SCIM_ERR);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_CURSOR);
    q.filter = NULL;
    struct scim_path path = {0};
    assert_int_equal(scim_path_parse(rt, "userName", 8, 0, &path, &err), 0);
    q.sort_by = &path;
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), SCIM_ERR);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_CURSOR);
    scim_path_clear(&path);
    scim_filter_free(flt);

    /* count 0 in cursor mode: the total only, no cursors; a bad cursor is still refused. */
    struct scim_list_query zero = {.count = 0, .cursor = ""};
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &zero, &page, &err), 0);
    assert_int_equal(page.total, 10);
    assert_int_equal(page.n, 0);
    assert_null(page.next_cursor);
    assert_null(page.previous_cursor);
    zero.cursor = "!!";
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &zero, &page, &err),
                     SCIM_ERR);

    /* A row deleted between pages does not break the walk: the next page starts after it. */
    q.cursor = first.next_cursor;
    q.sort_by = NULL;
    assert_int_equal(
        scim_store_resource_delete(f->st, &f->acme, USER, first.rows[2].id, -1, NULL, &err), 0);
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
    assert_int_equal(page.n, 3);
    assert_int_equal(page.total, 9);
    scim_store_page_clear(&page);
    scim_store_page_clear(&first);
}

static void test_store_value_index_follows_writes(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    const struct scim_resource_type *rt = scim_resource_type_find(USER);
    json_t *in = json_pack("{s:s, s:[{s:s}, {s:s}], s:[{s:s}]}", "userName", "bjensen", "emails",
                           "value", "BJensen@Example.com", "value", "bj@example.org",
                           "phoneNumbers", "value", "+1 555 0100");
    json_t *doc = normalized(rt, in, NULL);
    struct scim_resource r = {0};
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, &r, NULL, &err),
                     0);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resource_values"), 3);
    char text[128];
    raw_text(db, text, sizeof(text),
             "SELECT group_concat(attr || '=' || value_ci, ',') FROM "
             "(SELECT * FROM resource_values ORDER BY attr, value_ci)");
    assert_string_equal(text, "emails.value=bj@example.org,emails.value=bjensen@example.com,"
                              "phoneNumbers.value=+1 555 0100");
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resource_values WHERE tenant_id = %lld",
                             (long long)f->acme.id),
                     3);
    struct scim_list_query q = {.count = 10};
    struct scim_filter *flt = parse_filter(rt, "emails.value eq \"bjensen@EXAMPLE.COM\"");
    q.filter = flt;
    struct scim_list_page page = {0};
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
    assert_int_equal(page.total, 1);
    scim_store_page_clear(&page);
    /* Replace: the old values leave the index with the write. */
    json_object_set_new(in, "emails", json_pack("[{s:s}]", "value", "new@example.com"));
    json_t *doc2 = normalized(rt, in, doc);
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, -1, doc2, NULL, NULL, NULL, &err),
        0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resource_values"), 2);
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
    assert_int_equal(page.total, 0);
    scim_store_page_clear(&page);
    /* A failed replace (stale version) changes nothing in the index either. */
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 1, doc, NULL, NULL, NULL, &err),
        SCIM_EPRECONDITION);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resource_values WHERE value_ci = "
                                 "'new@example.com'"),
                     1);
    /* Delete: the tombstone keeps no index entries. */
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, -1, NULL, &err), 0);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resource_values"), 0);
    sqlite3_close(db);
    scim_filter_free(flt);
    json_decref(doc);
    json_decref(doc2);
    json_decref(in);
    scim_resource_clear(&r);
}

/* Migration 002 on a database written before it: the value index and displayName folding are
 * filled from the existing rows. */
static void test_store_migration_002_backfills(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    const struct scim_resource_type *rt = scim_resource_type_find(USER);
    json_t *in = json_pack("{s:s, s:s, s:[{s:s}]}", "userName", "old", "displayName", "Ölaf OLD",
                           "emails", "value", "Old@Example.com");
    json_t *doc = normalized(rt, in, NULL);
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, NULL, NULL, &err),
                     0);
    scim_store_close(f->st);
    f->st = NULL;
    /* Roll the database back to schema version 1. */
    sqlite3 *db = raw_open(f);
    raw_exec(db, "DROP TABLE resource_values; DROP TABLE store_keys; "
                 "DROP INDEX resources_display_name; DROP INDEX resources_modified; "
                 "DROP INDEX resources_created; ALTER TABLE resources DROP COLUMN display_name_ci; "
                 "DELETE FROM schema_migrations WHERE version = 2");
    sqlite3_close(db);
    reopen(f, 1);
    db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_migrations WHERE version = 2"), 1);
    char text[64];
    raw_text(db, text, sizeof(text), "SELECT display_name_ci FROM resources");
    assert_string_equal(text, "ölaf old");
    raw_text(db, text, sizeof(text), "SELECT value_ci FROM resource_values");
    assert_string_equal(text, "old@example.com");
    sqlite3_close(db);
    struct scim_filter *flt = parse_filter(rt, "emails.value eq \"OLD@example.com\" and "
                                               "displayName eq \"ÖLAF old\"");
    struct scim_list_query q = {.filter = flt, .count = 10};
    struct scim_list_page page = {0};
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
    assert_int_equal(page.total, 1);
    scim_store_page_clear(&page);
    scim_filter_free(flt);
    json_decref(doc);
    json_decref(in);
}

/* Filtered and sorted lists reuse their prepared statements: the same shape never prepares
 * twice on a connection. */
static void test_store_query_statements_are_cached(void **state)
{
    struct fixture *f = *state;
    reopen(f, 1);
    struct scim_err err;
    const struct scim_resource_type *rt = scim_resource_type_find(USER);
    struct scim_path path = {0};
    assert_int_equal(scim_path_parse(rt, "userName", 8, 0, &path, &err), 0);
    long before = 0;
    for (int round = 0; round < 5; round++) {
        if (round == 1)
            before = scim_store_sqlite_prepare_count(f->st);
        char text[64];
        snprintf(text, sizeof(text), "userName sw \"u%d\" and emails.value eq \"x%d\"", round,
                 round);
        struct scim_filter *flt = parse_filter(rt, text);
        struct scim_list_query q = {.filter = flt, .sort_by = &path, .count = 5, .cursor = ""};
        struct scim_list_page page = {0};
        assert_int_equal(scim_store_resource_query(f->st, &f->acme, USER, &q, &page, &err), 0);
        scim_store_page_clear(&page);
        scim_filter_free(flt);
    }
    assert_true(before > 0);
    assert_int_equal(scim_store_sqlite_prepare_count(f->st), before);
    scim_path_clear(&path);
}

/* ---- concurrency -------------------------------------------------------------------------- */

struct worker {
    struct fixture *f;
    int index;
    const char *same_name; /* all workers create this userName, or NULL for distinct names */
    int created;
    int conflicts;
    int failures;
};

enum { WORKERS = 4, PER_WORKER = 50 };

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int rounds = w->same_name ? 1 : PER_WORKER;
    for (int i = 0; i < rounds; i++) {
        char name[48];
        snprintf(name, sizeof(name), "w%d-user%03d", w->index, i);
        json_t *doc = user_doc(w->same_name ? w->same_name : name);
        struct scim_err err;
        int rc =
            scim_store_resource_create(w->f->st, &w->f->acme, USER, doc, NULL, NULL, NULL, &err);
        if (rc == 0)
            w->created++;
        else if (rc == SCIM_ECONFLICT)
            w->conflicts++;
        else
            w->failures++;
        json_decref(doc);
    }
    return NULL;
}

static void run_workers(struct fixture *f, struct worker *w, int count, const char *same_name)
{
    pthread_t threads[16];
    for (int i = 0; i < count; i++) {
        w[i] = (struct worker){.f = f, .index = i, .same_name = same_name};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < count; i++)
        pthread_join(threads[i], NULL);
}

static void test_store_concurrent_creates_lose_nothing(void **state)
{
    struct fixture *f = *state;
    struct worker w[WORKERS];
    run_workers(f, w, WORKERS, NULL);
    for (int i = 0; i < WORKERS; i++) {
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].conflicts, 0);
        assert_int_equal(w[i].created, PER_WORKER);
    }
    assert_int_equal(list_total(f, &f->acme, USER, NULL, NULL), WORKERS * PER_WORKER);
    struct scim_err err;
    assert_int_equal(scim_store_check(f->st, &err), 0);
}

/* Eight writers at once: their writes share commits (group commit, store_sqlite.c), and every
 * write that succeeded is there. */
static void test_store_concurrent_writes_share_commits(void **state)
{
    struct fixture *f = *state;
    struct worker w[8];
    long commits_before = 0, writes_before = 0, commits = 0, writes = 0;
    scim_store_sqlite_batch_stats(f->st, &commits_before, &writes_before);
    run_workers(f, w, 8, NULL);
    scim_store_sqlite_batch_stats(f->st, &commits, &writes);
    for (int i = 0; i < 8; i++)
        assert_int_equal(w[i].created, PER_WORKER);
    assert_int_equal(writes - writes_before, 8 * PER_WORKER);
    assert_true(commits - commits_before < writes - writes_before);
    assert_int_equal(list_total(f, &f->acme, USER, NULL, NULL), 8 * PER_WORKER);
    struct scim_err err;
    assert_int_equal(scim_store_check(f->st, &err), 0);
}

static void test_store_concurrent_same_user_name_has_one_winner(void **state)
{
    struct fixture *f = *state;
    struct worker w[8];
    run_workers(f, w, 8, "contested");
    int created = 0, conflicts = 0;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(w[i].failures, 0);
        created += w[i].created;
        conflicts += w[i].conflicts;
    }
    assert_int_equal(created, 1);
    assert_int_equal(conflicts, 7);
    assert_int_equal(list_total(f, &f->acme, USER, NULL, NULL), 1);
}

/* ---- integrity, failures, statement cache ------------------------------------------------- */

static void test_store_check_detects_problems(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    create_user(f, &f->acme, "bjensen", NULL);
    assert_int_equal(scim_store_check(f->st, &err), 0);
    /* A row that points at no tenant, written behind the store's back. */
    sqlite3 *db = raw_open(f);
    raw_exec(db, "PRAGMA foreign_keys=OFF");
    raw_exec(db, "INSERT INTO tokens(id, tenant_id, hash, scopes, hint, created_ms) VALUES "
                 "('tok_orphan', 999, zeroblob(32), 'scim', 'h', 0)");
    sqlite3_close(db);
    scim_err_clear(&err);
    assert_int_equal(scim_store_check(f->st, &err), SCIM_ERR);
    assert_int_equal(err.status, 500);
    assert_non_null(strstr(err.detail, "tokens"));
}

static void test_store_failed_write_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    /* One connection, so every call below reuses the connection that saw the failure. */
    reopen(f, 1);
    sqlite3 *db = raw_open(f);
    raw_exec(db, "CREATE TRIGGER fail_insert AFTER INSERT ON resources "
                 "WHEN NEW.display_name = 'boom' BEGIN SELECT RAISE(ABORT, 'injected'); END");
    raw_exec(db, "CREATE TRIGGER fail_update AFTER UPDATE ON resources "
                 "WHEN NEW.display_name = 'boom' BEGIN SELECT RAISE(ABORT, 'injected'); END");
    struct scim_err err;
    scim_err_clear(&err);
    json_t *boom = user_doc("bjensen");
    json_object_set_new(boom, "displayName", json_string("boom"));
    assert_int_equal(
        scim_store_resource_create(f->st, &f->acme, USER, boom, NULL, NULL, NULL, &err), SCIM_ERR);
    assert_int_equal(err.status, 500);
    assert_null(strstr(err.detail, "injected"));
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resources"), 0);

    /* The connection is usable again: no transaction was left open. */
    struct scim_resource r = {0};
    create_user(f, &f->acme, "bjensen", &r);
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, -1, boom, "$x", NULL, NULL, &err),
        SCIM_ERR);
    struct scim_resource got = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
    assert_int_equal(got.version, 1);
    assert_string_equal(json_string_value(json_object_get(got.doc, "displayName")),
                        "Display bjensen");
    assert_int_equal(raw_int(db, "SELECT password_hash IS NULL FROM resources"), 1);
    scim_resource_clear(&got);

    /* A conflict rolls back too, and the next write succeeds. */
    json_t *dup = user_doc("BJENSEN");
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, dup, NULL, NULL, NULL, &err),
                     SCIM_ECONFLICT);
    json_decref(dup);
    create_user(f, &f->acme, "other", NULL);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resources"), 2);
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    sqlite3_close(db);
    json_decref(boom);
    scim_resource_clear(&r);
}

static void test_store_hot_paths_do_not_reprepare(void **state)
{
    struct fixture *f = *state;
    reopen(f, 1);
    struct scim_err err;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    fill_hash(hash, 30);
    struct scim_token_record rec = token_rec(&f->acme, "tok_hot");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, NULL, &err), 0);
    long before = 0;
    for (int round = 0; round < 20; round++) {
        /* Warm-up: a list prepares its COUNT statement only once a page comes back full
         * (round 5 here), so measuring starts after every shape has run once. */
        if (round == 6)
            before = scim_store_sqlite_prepare_count(f->st);
        char name[32];
        snprintf(name, sizeof(name), "hot%02d", round);
        struct scim_resource r = {0};
        create_user(f, &f->acme, name, &r);
        struct scim_resource got = {0};
        assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
        scim_resource_clear(&got);
        assert_int_equal(scim_store_resource_replace(f->st, &f->acme, USER, r.id, 1, r.doc, NULL,
                                                     NULL, NULL, &err),
                         0);
        struct scim_token_record found;
        assert_int_equal(scim_store_token_find(f->st, hash, &found, &err), 0);
        assert_int_equal(scim_store_token_touch(f->st, "tok_hot", 1000, &err), 0);
        struct scim_list_query q = {NULL, NULL, 1, 5};
        struct scim_resource *rows = NULL;
        size_t n = 0;
        int64_t total = 0;
        assert_int_equal(
            scim_store_resource_list(f->st, &f->acme, USER, &q, &rows, &n, &total, &err), 0);
        scim_store_rows_free(rows, n);
        scim_resource_clear(&r);
    }
    assert_true(before > 0);
    assert_int_equal(scim_store_sqlite_prepare_count(f->st), before);
}

int main(void)
{
    scim_mem_init();
    scim_log_set_level(SCIM_LOG_ERROR);
    assert_int_equal(scim_token_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_open_creates_dir_and_migrates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open_twice_is_idempotent, setup, teardown),
        cmocka_unit_test(test_store_open_postgres_is_unavailable),
        cmocka_unit_test_setup_teardown(test_store_open_refuses_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open_rejects_unusable_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_create_get_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_duplicate_is_409, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_tenant_unknown_and_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_token_insert_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_token_insert_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_token_hint_cut_short_is_trimmed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_token_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_token_touch_skips_recent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_token_list_has_no_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_create_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_user_name_unique_case_insensitive,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_replace_user_name_conflict, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_tenants_are_isolated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_recreate_after_delete_keeps_tombstone,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_version_mismatch_is_412, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_indexed_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_list_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query_filters_match_evaluator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query_plans_use_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query_sorting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query_cursor_walks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query_cursor_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_value_index_follows_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_migration_002_backfills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_query_statements_are_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_concurrent_creates_lose_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_concurrent_writes_share_commits, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_concurrent_same_user_name_has_one_winner, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_check_detects_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_failed_write_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_hot_paths_do_not_reprepare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_read_snapshot_is_one_transaction, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_resource_replace_narrow_and_full_update, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_wal_stays_bounded_under_writes, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
