/*
 * test_store — the store contract (store.h) against the SQLite backend: opening and migrating,
 * tenants, tokens, resources (uniqueness, tenant isolation, tombstones, versions, listing),
 * concurrency, integrity and rollback on failure. Each test gets a fresh database in its own
 * temporary directory; a raw sqlite3 connection inspects what the store wrote.
 * Owns: nothing but its fixtures. Must not: depend on the daemon or on resource validation.
 */
#include "err.h"
#include "log.h"
#include "mem.h"
#include "resource.h"
#include "store.h"
#include "store_backend.h"
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
    int rc = scim_store_resource_create(f->st, t, USER, doc, NULL, out, &err);
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

/* ---- open and migrate ---------------------------------------------------------------------- */

static void test_store_open_creates_dir_and_migrates(void **state)
{
    struct fixture *f = *state;
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_migrations"), 1);
    assert_int_equal(raw_int(db, "SELECT version FROM schema_migrations"), 1);
    char mode[16];
    raw_text(db, mode, sizeof(mode), "PRAGMA journal_mode");
    assert_string_equal(mode, "wal");
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                 "name IN ('tenants', 'tokens', 'resources')"),
                     3);
    sqlite3_close(db);
}

static void test_store_open_twice_is_idempotent(void **state)
{
    struct fixture *f = *state;
    reopen(f, 2);
    reopen(f, 1);
    sqlite3 *db = raw_open(f);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_migrations"), 1);
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
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), 0);
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
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), 0);
    /* The same secret again. */
    rec = token_rec(&f->acme, "tok_2");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), SCIM_ECONFLICT);
    assert_string_equal(err.scim_type, SCIM_TYPE_UNIQUENESS);
    /* The same id again. */
    fill_hash(hash, 2);
    rec = token_rec(&f->acme, "tok_1");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), SCIM_ECONFLICT);
    /* A tenant that does not exist. */
    struct scim_tenant ghost = {.id = 4242, .name = "ghost"};
    rec = token_rec(&ghost, "tok_3");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), SCIM_ENOTFOUND);
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
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), 0);
    struct scim_token_record got;
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_string_equal(got.hint, "abc_");
    /* Invalid UTF-8 in the middle is refused. */
    fill_hash(hash, 4);
    rec = token_rec(&f->acme, "tok_bad");
    snprintf(rec.description, sizeof(rec.description), "bad \xff text");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
}

static void test_store_token_revoke(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    fill_hash(hash, 9);
    struct scim_token_record rec = token_rec(&f->acme, "tok_r");
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), 0);
    /* Another tenant cannot revoke it. */
    assert_int_equal(scim_store_token_revoke(f->st, &f->globex, "tok_r", 1000, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(scim_store_token_revoke(f->st, NULL, "tok_nope", 1000, &err), SCIM_ENOTFOUND);
    assert_int_equal(scim_store_token_revoke(f->st, &f->acme, "tok_r", 1000, &err), 0);
    /* Revoked tokens are still found; the caller decides. */
    struct scim_token_record got;
    assert_int_equal(scim_store_token_find(f->st, hash, &got, &err), 0);
    assert_int_equal(got.revoked_ms, 1000);
    /* A second revocation keeps the first time. */
    assert_int_equal(scim_store_token_revoke(f->st, NULL, "tok_r", 2000, &err), 0);
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
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), 0);
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
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), 0);
    fill_hash(hash, 21);
    rec = token_rec(&f->globex, "tok_g");
    rec.expires_ms = rec.created_ms + 1000;
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), 0);

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
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, &r, &err), 0);
    assert_int_equal(strlen(r.id), 36);
    assert_int_equal(r.id[14], '4');
    assert_int_equal(r.version, 1);
    assert_true(r.created_ms > 0);
    assert_int_equal(r.created_ms, r.modified_ms);
    assert_true(json_equal(r.doc, doc));
    assert_true(r.doc != doc);

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
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, -1, doc, NULL, &after, &err), 0);
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

static void test_store_resource_delete(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    struct scim_resource r = {0};
    create_user(f, &f->acme, "bjensen", &r);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, -1, &err), 0);
    struct scim_resource got = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, -1, &err),
                     SCIM_ENOTFOUND);
    json_t *doc = user_doc("bjensen");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, -1, doc, NULL, NULL, &err),
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
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, NULL, &err),
                     SCIM_ECONFLICT);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.scim_type, SCIM_TYPE_UNIQUENESS);
    assert_string_equal(err.detail, "userName 'BJensen' is already in use in this tenant");
    json_decref(doc);
    /* Case folding is Unicode-aware, not ASCII-only. */
    create_user(f, &f->acme, "\xc3\x89mile", NULL); /* Émile */
    doc = user_doc("\xc3\xa9MILE");                 /* éMILE */
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, NULL, &err),
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
        scim_store_resource_replace(f->st, &f->acme, USER, b.id, -1, doc, NULL, NULL, &err),
        SCIM_ECONFLICT);
    assert_string_equal(err.detail, "userName 'ALICE' is already in use in this tenant");
    json_decref(doc);
    /* Renaming a resource to its own userName in another case is not a conflict. */
    doc = user_doc("Alice");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, a.id, 1, doc, NULL, NULL, &err), 0);
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
        scim_store_resource_replace(f->st, &f->globex, USER, a.id, -1, doc, NULL, NULL, &err),
        SCIM_ENOTFOUND);
    assert_int_equal(scim_store_resource_delete(f->st, &f->globex, USER, a.id, -1, &err),
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
        scim_store_resource_create(f->st, &f->acme, USER, doc, "$argon2id$old", &first, &err), 0);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, first.id, 1, &err), 0);
    json_decref(doc);
    doc = user_doc("BJENSEN");
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, &second, &err),
                     0);
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
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 5, doc, NULL, NULL, &err),
        SCIM_EPRECONDITION);
    assert_int_equal(err.status, 412);
    assert_string_equal(err.detail, "The resource was modified (version 1); fetch it again");
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 1, doc, NULL, NULL, &err), 0);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, 1, &err),
                     SCIM_EPRECONDITION);
    assert_string_equal(err.detail, "The resource was modified (version 2); fetch it again");
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, 2, &err), 0);
    /* A version check on a deleted resource is a 404, not a 412. */
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, 3, doc, NULL, NULL, &err),
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
        scim_store_resource_create(f->st, &f->acme, USER, doc, "$argon2id$one", &u, &err), 0);
    json_t *group = json_pack("{s:[s], s:s}", "schemas", GROUP_SCHEMA, "displayName", "Admins");
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, GROUP, group, NULL, &g, &err), 0);

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
        scim_store_resource_replace(f->st, &f->acme, USER, u.id, -1, doc, NULL, NULL, &err), 0);
    raw_text(db, text, sizeof(text), "SELECT password_hash FROM resources WHERE id = '%s'", u.id);
    assert_string_equal(text, "$argon2id$one");
    assert_int_equal(raw_int(db, "SELECT active FROM resources WHERE id = '%s'", u.id), 0);
    assert_int_equal(raw_int(db, "SELECT external_id IS NULL FROM resources WHERE id = '%s'", u.id),
                     1);
    assert_int_equal(scim_store_resource_replace(f->st, &f->acme, USER, u.id, -1, doc,
                                                 "$argon2id$two", NULL, &err),
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
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, ids[12], -1, &err), 0);
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
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, doc, NULL, &r, &err), 0);
    json_decref(doc);
    create_user(f, &f->acme, "other", NULL);
    json_t *group = json_pack("{s:[s], s:s}", "schemas", GROUP_SCHEMA, "displayName", "G");
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, GROUP, group, NULL, NULL, &err),
                     0);
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

    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, USER, r.id, -1, &err), 0);
    assert_int_equal(list_total(f, &f->acme, USER, "userName", "bjensen"), 0);
    assert_int_equal(list_total(f, &f->acme, USER, "externalId", "Ext-1"), 0);
    assert_int_equal(list_total(f, &f->acme, USER, "id", r.id), 0);
    scim_resource_clear(&r);
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
        int rc = scim_store_resource_create(w->f->st, &w->f->acme, USER, doc, NULL, NULL, &err);
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
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, boom, NULL, NULL, &err),
                     SCIM_ERR);
    assert_int_equal(err.status, 500);
    assert_null(strstr(err.detail, "injected"));
    assert_int_equal(raw_int(db, "SELECT count(*) FROM resources"), 0);

    /* The connection is usable again: no transaction was left open. */
    struct scim_resource r = {0};
    create_user(f, &f->acme, "bjensen", &r);
    assert_int_equal(
        scim_store_resource_replace(f->st, &f->acme, USER, r.id, -1, boom, "$x", NULL, &err),
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
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, USER, dup, NULL, NULL, &err),
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
    assert_int_equal(scim_store_token_insert(f->st, &rec, hash, &err), 0);
    long before = 0;
    for (int round = 0; round < 20; round++) {
        if (round == 1)
            before = scim_store_sqlite_prepare_count(f->st);
        char name[32];
        snprintf(name, sizeof(name), "hot%02d", round);
        struct scim_resource r = {0};
        create_user(f, &f->acme, name, &r);
        struct scim_resource got = {0};
        assert_int_equal(scim_store_resource_get(f->st, &f->acme, USER, r.id, &got, &err), 0);
        scim_resource_clear(&got);
        assert_int_equal(
            scim_store_resource_replace(f->st, &f->acme, USER, r.id, 1, r.doc, NULL, NULL, &err),
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
        cmocka_unit_test_setup_teardown(test_store_concurrent_creates_lose_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_concurrent_same_user_name_has_one_winner, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_check_detects_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_failed_write_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_hot_paths_do_not_reprepare, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
