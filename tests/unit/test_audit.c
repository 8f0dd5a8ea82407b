/*
 * test_audit — the audit log: actor names, the before/after diff (what changed only, complex and
 * extension attributes one level down, secrets redacted at any depth, dialect rules named), RFC
 * 3339 parsing for the search bounds, and the store side against a real SQLite file: rows written
 * in a write's transaction (and the write failing when its row cannot be), batched appends
 * through the background writer with flush, newest-first search with filters and cursor pages,
 * retention pruning, OAuth clients whose revocation revokes their access tokens.
 * Owns: nothing but its fixtures. Must not: start an HTTP server.
 */
#include "audit.h"
#include "dialect.h"
#include "mem.h"
#include "resource.h"
#include "store.h"
#include "token.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>

#include <cmocka.h>

#define DAY_MS (24LL * 60 * 60 * 1000)
#define ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v)
        fail_msg("bad test JSON: %s", e.text);
    return v;
}

/* The string at diff.<side>.<name>, or NULL. */
static const char *side_str(const json_t *diff, const char *side, const char *name)
{
    return json_string_value(json_object_get(json_object_get(diff, side), name));
}

static json_t *side_get(const json_t *diff, const char *side, const char *name)
{
    return json_object_get(json_object_get(diff, side), name);
}

/* ---- actors ------------------------------------------------------------------------------ */

static void test_audit_actor_names(void **state)
{
    (void)state;
    char out[SCIM_AUDIT_ACTOR_MAX];
    scim_audit_actor("tok_a", SCIM_SCOPE_SCIM, "", out, sizeof(out));
    assert_string_equal(out, "scim-key:tok_a");
    scim_audit_actor("tok_a", SCIM_SCOPE_SCIM_READ, NULL, out, sizeof(out));
    assert_string_equal(out, "scim-key:tok_a");
    scim_audit_actor("tok_b", SCIM_SCOPE_ADMIN, "", out, sizeof(out));
    assert_string_equal(out, "admin-key:tok_b");
    scim_audit_actor("tok_c", SCIM_SCOPE_SCIM | SCIM_SCOPE_ADMIN, "", out, sizeof(out));
    assert_string_equal(out, "admin-key:tok_c");
    scim_audit_actor("tok_d", SCIM_SCOPE_SCIM, "cli_x", out, sizeof(out));
    assert_string_equal(out, "oauth-client:cli_x");
}

/* ---- diffs and redaction --------------------------------------------------------------------- */

static void test_audit_sensitive_names(void **state)
{
    (void)state;
    assert_true(scim_audit_sensitive_name("password"));
    assert_true(scim_audit_sensitive_name("Password"));
    assert_true(scim_audit_sensitive_name("clientSecret"));
    assert_true(scim_audit_sensitive_name("x-API-TOKEN"));
    assert_true(scim_audit_sensitive_name("urn:example:ext:1.0:User:refreshToken"));
    assert_false(scim_audit_sensitive_name("userName"));
    assert_false(scim_audit_sensitive_name("emails"));
    assert_false(scim_audit_sensitive_name(""));
}

static void test_audit_redact_at_any_depth(void **state)
{
    (void)state;
    json_t *v = parse("{\"a\": {\"b\": [{\"apiToken\": \"t1\", \"keep\": 1}]}, "
                      "\"Secret\": {\"nested\": true}, \"pw\": \"x\", \"oldPassword\": null}");
    scim_audit_redact(v);
    json_t *item = json_array_get(json_object_get(json_object_get(v, "a"), "b"), 0);
    assert_string_equal(json_string_value(json_object_get(item, "apiToken")), "[redacted]");
    assert_int_equal(json_integer_value(json_object_get(item, "keep")), 1);
    assert_string_equal(json_string_value(json_object_get(v, "Secret")), "[redacted]");
    assert_string_equal(json_string_value(json_object_get(v, "pw")), "x");
    /* null stays null: nothing to hide. */
    assert_true(json_is_null(json_object_get(v, "oldPassword")));
    json_decref(v);
}

static void test_audit_diff_create_lists_everything(void **state)
{
    (void)state;
    json_t *after = parse("{\"userName\": \"ada\", \"name\": {\"givenName\": \"Ada\", "
                          "\"familyName\": \"L\"}, \"emails\": [{\"value\": \"a@x\"}]}");
    json_t *d = scim_audit_diff(NULL, after, true, NULL);
    assert_non_null(d);
    assert_string_equal(side_str(d, "after", "userName"), "ada");
    assert_string_equal(side_str(d, "after", "name.givenName"), "Ada");
    assert_string_equal(side_str(d, "after", "name.familyName"), "L");
    assert_true(json_is_array(side_get(d, "after", "emails")));
    assert_true(json_is_null(side_get(d, "before", "userName")));
    assert_string_equal(side_str(d, "after", "password"), "[redacted]");
    /* A created user had no password before. */
    assert_true(json_is_null(json_object_get(json_object_get(d, "before"), "password")));
    assert_null(json_object_get(d, "dialect"));
    json_decref(d);
    json_decref(after);
}

static void test_audit_diff_replace_only_changes(void **state)
{
    (void)state;
    json_t *before = parse("{\"userName\": \"ada\", \"title\": \"Dev\", \"active\": true, "
                           "\"name\": {\"givenName\": \"Ada\", \"familyName\": \"L\"}, "
                           "\"" ENTERPRISE "\": {\"department\": \"R&D\", \"manager\": "
                           "{\"value\": \"m1\"}}}");
    json_t *after = parse("{\"userName\": \"ada\", \"active\": false, "
                          "\"name\": {\"givenName\": \"Ada\", \"familyName\": \"Lovelace\"}, "
                          "\"" ENTERPRISE "\": {\"department\": \"R&D\", \"manager\": "
                          "{\"value\": \"m2\"}}, \"nickName\": \"al\"}");
    json_t *d = scim_audit_diff(before, after, false, NULL);
    assert_non_null(d);
    json_t *b = json_object_get(d, "before"), *a = json_object_get(d, "after");
    /* Unchanged attributes are absent. */
    assert_null(json_object_get(a, "userName"));
    assert_null(json_object_get(a, "name.givenName"));
    assert_null(json_object_get(a, ENTERPRISE ":department"));
    /* Removed, changed, added. */
    assert_string_equal(json_string_value(json_object_get(b, "title")), "Dev");
    assert_true(json_is_null(json_object_get(a, "title")));
    assert_true(json_is_true(json_object_get(b, "active")));
    assert_true(json_is_false(json_object_get(a, "active")));
    assert_string_equal(json_string_value(json_object_get(a, "name.familyName")), "Lovelace");
    assert_true(json_is_null(json_object_get(b, "nickName")));
    /* Extension attributes are named "<urn>:<attribute>"; deeper values whole. */
    json_t *mgr = json_object_get(a, ENTERPRISE ":manager");
    assert_string_equal(json_string_value(json_object_get(mgr, "value")), "m2");
    assert_null(json_object_get(d, "password"));
    assert_int_equal(json_object_size(a), 5); /* title, active, familyName, nickName, manager */
    json_decref(d);
    json_decref(before);
    json_decref(after);
}

static void test_audit_diff_redacts_secrets(void **state)
{
    (void)state;
    json_t *before = parse("{\"userName\": \"u\", \"urn:example:ext\": {\"apiSecret\": \"s1\"}}");
    json_t *after = parse("{\"userName\": \"u\", \"urn:example:ext\": {\"apiSecret\": \"s2\"}, "
                          "\"x509Certificates\": [{\"value\": \"c\", \"accessToken\": \"t\"}]}");
    json_t *d = scim_audit_diff(before, after, false, NULL);
    char *text = json_dumps(d, JSON_COMPACT);
    assert_null(strstr(text, "s1"));
    assert_null(strstr(text, "s2"));
    assert_null(strstr(text, "\"t\""));
    assert_string_equal(side_str(d, "after", "urn:example:ext:apiSecret"), "[redacted]");
    assert_string_equal(side_str(d, "before", "urn:example:ext:apiSecret"), "[redacted]");
    scim_free(text);
    json_decref(d);
    json_decref(before);
    json_decref(after);
}

static void test_audit_diff_nothing_changed_is_null(void **state)
{
    (void)state;
    json_t *doc = parse("{\"userName\": \"u\", \"name\": {\"givenName\": \"G\"}}");
    assert_null(scim_audit_diff(doc, doc, false, NULL));
    struct scim_dialect_report empty = {0};
    assert_null(scim_audit_diff(doc, doc, false, &empty));
    /* A rule that fired is worth a row even when nothing changed. */
    struct scim_dialect_report fired = {0};
    fired.applied = 1u << SCIM_DIALECT_ENTRA_CAPITALISED_OP;
    json_t *d = scim_audit_diff(doc, doc, false, &fired);
    assert_non_null(d);
    json_t *rules = json_object_get(d, "dialect");
    assert_int_equal(json_array_size(rules), 1);
    assert_string_equal(json_string_value(json_array_get(rules, 0)), "entra.capitalised-op");
    json_decref(d);
    json_decref(doc);
}

static void test_audit_diff_delete_lists_before(void **state)
{
    (void)state;
    json_t *before = parse("{\"userName\": \"gone\", \"active\": true}");
    json_t *d = scim_audit_diff(before, NULL, false, NULL);
    assert_string_equal(side_str(d, "before", "userName"), "gone");
    assert_true(json_is_null(side_get(d, "after", "userName")));
    json_decref(d);
    json_decref(before);
}

/* ---- time parsing ---------------------------------------------------------------------------- */

static void test_audit_time_parse(void **state)
{
    (void)state;
    assert_int_equal(scim_time_parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(scim_time_parse("2026-01-15T12:00:00Z"), 1768478400000LL);
    assert_int_equal(scim_time_parse("2026-01-15T12:00:00.250Z"), 1768478400250LL);
    assert_int_equal(scim_time_parse("2026-01-15T14:00:00+02:00"), 1768478400000LL);
    assert_int_equal(scim_time_parse("2026-01-15T11:30:00.5-00:30"), 1768478400500LL);
    assert_int_equal(scim_time_parse("2026-01-15"), 1768435200000LL);
    assert_int_equal(scim_time_parse("2024-02-29T00:00:00Z"), 1709164800000LL);
    /* And what scim_time_format writes reads back. */
    char buf[SCIM_TIME_BUF];
    assert_int_equal(scim_time_parse(scim_time_format(1768478400123LL, buf, sizeof(buf))),
                     1768478400123LL);
    static const char *const bad[] = {"",
                                      "yesterday",
                                      "2026-1-15",
                                      "2026-13-01",
                                      "2026-02-30",
                                      "2025-02-29",
                                      "2026-01-15T25:00:00Z",
                                      "2026-01-15T12:00:00",
                                      "2026-01-15T12:00:00Zjunk",
                                      "2026-01-15T12:00:00.Z",
                                      "2026-01-15T12:00Z",
                                      "1969-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (scim_time_parse(bad[i]) != -1)
            fail_msg("'%s' should not parse", bad[i]);
    }
}

/* ---- the store side -------------------------------------------------------------------------- */

struct fixture {
    char dir[64];
    char path[128];
    struct scim_store *st;
    struct scim_tenant acme;
    struct scim_tenant globex;
};

static int setup(void **state)
{
    struct fixture *f = scim_calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/scimd-test-audit-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/scimd.db", f->dir);
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_store_open(f->path, 3, &f->st, &err) != 0)
        fail_msg("open: %s", err.detail);
    assert_int_equal(scim_store_tenant_create(f->st, "acme", &f->acme, &err), 0);
    assert_int_equal(scim_store_tenant_create(f->st, "globex", &f->globex, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    scim_store_close(f->st);
    char p[160];
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    rmdir(f->dir);
    scim_free(f);
    return 0;
}

static void raw_exec(const struct fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql: %s", msg);
    sqlite3_close(db);
}

static struct scim_audit_entry entry_for(int64_t tenant_id, int64_t time_ms, const char *actor,
                                         const char *resource_id, int status)
{
    struct scim_audit_entry e = {.tenant_id = tenant_id,
                                 .time_ms = time_ms,
                                 .actor = actor,
                                 .method = "GET",
                                 .path = "/scim/v2/Users",
                                 .resource_type = "User",
                                 .resource_id = resource_id,
                                 .status = status,
                                 .request_id = "req"};
    return e;
}

/* Searches one tenant; returns the entries (new reference) and the next cursor (scim_free). */
static json_t *search(struct fixture *f, const struct scim_tenant *t,
                      const struct scim_audit_query *q, char **next)
{
    struct scim_err err;
    scim_err_clear(&err);
    json_t *rows = NULL;
    char *cursor = NULL;
    if (scim_store_audit_query(f->st, t, q, &rows, &cursor, &err) != 0)
        fail_msg("search: %s", err.detail);
    if (next)
        *next = cursor;
    else
        scim_free(cursor);
    return rows;
}

/*
 * Walks every page of q (limit is the page size) and returns all rows in order (new reference),
 * checking on the way that times never increase and no row comes twice; *pages counts the pages.
 */
static json_t *search_every_page(struct fixture *f, const struct scim_tenant *t,
                                 struct scim_audit_query *q, int *pages)
{
    json_t *all = json_array(), *seen = json_object();
    char *cursor = NULL;
    int64_t last_time = INT64_MAX;
    *pages = 0;
    do {
        q->cursor = cursor;
        char *next = NULL;
        json_t *page = search(f, t, q, &next);
        scim_free(cursor);
        cursor = next;
        size_t i;
        json_t *row;
        json_array_foreach (page, i, row) {
            int64_t time = scim_time_parse(json_string_value(json_object_get(row, "time")));
            assert_true(time <= last_time);
            last_time = time;
            char key[32];
            snprintf(key, sizeof(key), "%lld",
                     (long long)json_integer_value(json_object_get(row, "id")));
            assert_null(json_object_get(seen, key));
            json_object_set_new(seen, key, json_true());
            json_array_append(all, row);
        }
        json_decref(page);
        (*pages)++;
    } while (cursor && *pages < 20);
    assert_null(cursor);
    q->cursor = NULL;
    json_decref(seen);
    return all;
}

static void test_audit_store_row_in_write_transaction(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    scim_err_clear(&err);
    json_t *doc = parse("{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], "
                        "\"userName\": \"tx@example.com\"}");
    struct scim_audit_entry e = entry_for(0, scim_time_now_ms(), "scim-key:tok_t", NULL, 201);
    e.method = "POST";
    e.resource_type = NULL;
    e.diff = "{\"before\":{},\"after\":{\"userName\":\"tx@example.com\"}}";
    e.dialect = "entra.string-boolean";
    struct scim_resource r = {0};
    assert_int_equal(scim_store_resource_create(f->st, &f->acme, "User", doc, NULL, &r, &e, &err),
                     0);
    struct scim_audit_query q = {.limit = 10};
    json_t *rows = search(f, &f->acme, &q, NULL);
    assert_int_equal(json_array_size(rows), 1);
    json_t *row = json_array_get(rows, 0);
    /* The store fills in the type and the id it assigned, and the write's tenant. */
    assert_string_equal(json_string_value(json_object_get(row, "resource_type")), "User");
    assert_string_equal(json_string_value(json_object_get(row, "resource_id")), r.id);
    assert_string_equal(json_string_value(json_object_get(row, "tenant")), "acme");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(row, "diff"), "after"), "userName")),
                        "tx@example.com");
    assert_string_equal(json_string_value(json_array_get(json_object_get(row, "dialect"), 0)),
                        "entra.string-boolean");
    json_decref(rows);
    /* The other tenant sees nothing. */
    rows = search(f, &f->globex, &q, NULL);
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);

    /* When the row cannot be written, the write fails and nothing is left of it. */
    raw_exec(f, "CREATE TRIGGER no_audit BEFORE INSERT ON audit "
                "BEGIN SELECT RAISE(ABORT, 'no audit'); END");
    json_t *doc2 = parse("{\"userName\": \"lost@example.com\"}");
    e.resource_id = NULL;
    assert_int_equal(
        scim_store_resource_create(f->st, &f->acme, "User", doc2, NULL, NULL, &e, &err), SCIM_ERR);
    assert_int_equal(err.status, 500);
    json_t *changed = parse("{\"userName\": \"tx@example.com\", \"title\": \"t\"}");
    assert_int_equal(scim_store_resource_replace(f->st, &f->acme, "User", r.id, -1, changed, NULL,
                                                 NULL, &e, &err),
                     SCIM_ERR);
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, "User", r.id, -1, &e, &err),
                     SCIM_ERR);
    struct scim_resource got = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, "User", r.id, &got, &err), 0);
    assert_int_equal(got.version, 1);
    assert_null(json_object_get(got.doc, "title"));
    scim_resource_clear(&got);
    struct scim_list_query lq = {.filter_attr = "userName",
                                 .filter_value = "lost@example.com",
                                 .start_index = 1,
                                 .count = 10};
    struct scim_resource *found = NULL;
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(
        scim_store_resource_list(f->st, &f->acme, "User", &lq, &found, &n, &total, &err), 0);
    assert_int_equal(total, 0);
    scim_store_rows_free(found, n);
    /* Internal callers (audit NULL) are not affected. */
    assert_int_equal(scim_store_resource_replace(f->st, &f->acme, "User", r.id, -1, changed, NULL,
                                                 NULL, NULL, &err),
                     0);
    raw_exec(f, "DROP TRIGGER no_audit");
    json_decref(changed);
    json_decref(doc2);
    scim_resource_clear(&r);
    json_decref(doc);
}

static void test_audit_store_search_filters_and_cursor(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    scim_err_clear(&err);
    int64_t t0 = 1700000000000LL;
    struct scim_audit_entry rows[25];
    char ids[25][16];
    for (int i = 0; i < 25; i++) {
        snprintf(ids[i], sizeof(ids[i]), "r%02d", i % 5);
        /* Some rows share a time: the cursor must still walk them exactly once. */
        rows[i] = entry_for(f->acme.id, t0 + (i / 2) * 1000, i % 3 ? "scim-key:a" : "admin-key:b",
                            ids[i], 200 + i);
    }
    rows[24].tenant_id = 0; /* no tenant: scimctl sees it, tenants do not */
    assert_int_equal(scim_store_audit_append(f->st, rows, 25, &err), 0);

    struct scim_audit_query q = {.limit = 4};
    int pages = 0;
    json_t *walked = search_every_page(f, &f->acme, &q, &pages);
    assert_int_equal(json_array_size(walked), 24);
    assert_int_equal(pages, 6);
    json_decref(walked);

    /* Filters. */
    struct scim_audit_query by_actor = {.actor = "admin-key:b", .limit = 100};
    json_t *page = search(f, &f->acme, &by_actor, NULL);
    assert_int_equal(json_array_size(page), 8); /* i = 0, 3, ..., 21 */
    json_decref(page);
    struct scim_audit_query by_resource = {.resource_id = "r01", .limit = 100};
    page = search(f, &f->acme, &by_resource, NULL);
    assert_int_equal(json_array_size(page), 5);
    json_decref(page);
    struct scim_audit_query window = {.since_ms = t0 + 2000, .until_ms = t0 + 4000, .limit = 100};
    page = search(f, &f->acme, &window, NULL);
    assert_int_equal(json_array_size(page), 4); /* times t0+2s and t0+3s, two rows each */
    json_decref(page);
    /* Every tenant (scimctl) includes the tenant-less row. */
    struct scim_audit_query all = {.limit = 1000};
    page = search(f, NULL, &all, NULL);
    assert_int_equal(json_array_size(page), 25);
    json_decref(page);
    /* A cursor the store did not issue. */
    struct scim_audit_query forged = {.cursor = "AAAA", .limit = 10};
    json_t *out = NULL;
    char *next = NULL;
    assert_int_equal(scim_store_audit_query(f->st, &f->acme, &forged, &out, &next, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
}

/* Search by resource across buckets of the resource index (4,096 rows each): every row of the
 * resource once, newest first by time even where ids disagree (a queued read row is written
 * after a newer change), pages joined by the cursor, the tenant checked, the index used. */
static void test_audit_store_search_by_resource_across_buckets(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    scim_err_clear(&err);
    enum { ROWS = 10000 };
    int64_t t0 = 1700000000000LL;
    struct scim_audit_entry *rows = scim_calloc(ROWS, sizeof(*rows));
    for (int i = 0; i < ROWS; i++)
        rows[i] = entry_for(f->acme.id, t0 + i, "scim-key:a", "other", 200);
    /* The resource: every 700th row, so its rows lie in all three buckets. */
    for (int i = 0; i < ROWS; i += 700)
        rows[i].resource_id = "target";
    /* Written last but older than everything: it must come out last. */
    rows[ROWS - 1].resource_id = "target";
    rows[ROWS - 1].time_ms = t0 - 1;
    /* The same id in the other tenant is not acme's. */
    rows[ROWS - 2].resource_id = "target";
    rows[ROWS - 2].tenant_id = f->globex.id;
    assert_int_equal(scim_store_audit_append(f->st, rows, ROWS, &err), 0);
    scim_free(rows);
    int expected = ROWS / 700 + 1 + 1; /* i = 0, 700, ..., 9800, and the last row */

    struct scim_audit_query q = {.resource_id = "target", .limit = 4};
    int pages = 0;
    json_t *all = search_every_page(f, &f->acme, &q, &pages);
    assert_int_equal(json_array_size(all), expected);
    assert_int_equal(pages, (expected + 3) / 4);
    size_t i;
    json_t *row;
    json_array_foreach (all, i, row) {
        assert_string_equal(json_string_value(json_object_get(row, "resource_id")), "target");
        assert_string_equal(json_string_value(json_object_get(row, "tenant")), "acme");
    }
    row = json_array_get(all, json_array_size(all) - 1);
    assert_int_equal(scim_time_parse(json_string_value(json_object_get(row, "time"))), t0 - 1);
    json_decref(all);
    /* With a window: rows from t0 + 5000 on. */
    struct scim_audit_query window = {.resource_id = "target", .since_ms = t0 + 5000, .limit = 100};
    json_t *page = search(f, &f->acme, &window, NULL);
    assert_int_equal(json_array_size(page), 7); /* 5600, 6300, ..., 9800 */
    json_decref(page);
    /* The other tenant sees its own row only. */
    struct scim_audit_query theirs = {.resource_id = "target", .limit = 100};
    page = search(f, &f->globex, &theirs, NULL);
    assert_int_equal(json_array_size(page), 1);
    json_decref(page);

    /* Each bucket is one index seek, not a scan. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *plan = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "EXPLAIN QUERY PLAN SELECT a.id, a.time_ms FROM audit a "
                                        "WHERE a.tenant_id = ?1 AND (a.id >> 12) = ?9 AND "
                                        "a.resource_id = ?5",
                                        -1, &plan, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(plan), SQLITE_ROW);
    const char *detail = (const char *)sqlite3_column_text(plan, 3);
    if (!strstr(detail, "audit_by_resource_bucket"))
        fail_msg("plan: %s", detail);
    sqlite3_finalize(plan);
    sqlite3_close(db);
}

static void test_audit_store_prune(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    scim_err_clear(&err);
    int64_t now = scim_time_now_ms();
    struct scim_audit_entry rows[3] = {
        entry_for(f->acme.id, now - 100 * DAY_MS, "scim-key:a", "old", 200),
        entry_for(f->acme.id, now - 89 * DAY_MS, "scim-key:a", "kept", 200),
        entry_for(f->acme.id, now, "scim-key:a", "new", 200),
    };
    assert_int_equal(scim_store_audit_append(f->st, rows, 3, &err), 0);
    int64_t deleted = -1;
    assert_int_equal(scim_store_audit_prune(f->st, now - 90 * DAY_MS, 0, 0, &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    struct scim_audit_query q = {.limit = 10};
    json_t *page = search(f, &f->acme, &q, NULL);
    assert_int_equal(json_array_size(page), 2);
    json_decref(page);
    /* 0 keeps everything. */
    assert_int_equal(scim_store_audit_prune(f->st, 0, 0, 0, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    /* A bounded call deletes at most max_rows; calls continue where the last stopped. */
    struct scim_audit_entry many[50];
    for (int i = 0; i < 50; i++)
        many[i] = entry_for(f->acme.id, now - 200 * DAY_MS + i, "scim-key:old", "x", 200);
    assert_int_equal(scim_store_audit_append(f->st, many, 50, &err), 0);
    int64_t total = 0;
    int calls = 0;
    do {
        assert_int_equal(scim_store_audit_prune(f->st, now - 90 * DAY_MS, 0, 16, &deleted, &err),
                         0);
        assert_true(deleted <= 16);
        total += deleted;
        calls++;
    } while (deleted == 16 && calls < 10);
    assert_int_equal(total, 50);
    assert_int_equal(calls, 4);
    page = search(f, &f->acme, &q, NULL);
    assert_int_equal(json_array_size(page), 2);
    json_decref(page);
}

static void test_audit_writer_batches_and_flushes(void **state)
{
    struct fixture *f = *state;
    struct scim_audit_log *log = scim_audit_log_start(f->st, 90);
    assert_non_null(log);
    char actor[32], rid[32];
    for (int i = 0; i < 600; i++) {
        snprintf(actor, sizeof(actor), "scim-key:w%d", i % 3);
        snprintf(rid, sizeof(rid), "res-%d", i);
        struct scim_audit_entry e = entry_for(f->acme.id, scim_time_now_ms(), actor, rid, 200);
        /* The writer copies: the caller's buffers change right after. */
        scim_audit_log_submit(log, &e);
    }
    scim_audit_log_flush(log);
    struct scim_audit_query q = {.limit = 1000};
    json_t *page = search(f, &f->acme, &q, NULL);
    assert_int_equal(json_array_size(page), 600);
    json_decref(page);
    struct scim_audit_query one = {.resource_id = "res-599", .actor = "scim-key:w2", .limit = 5};
    page = search(f, &f->acme, &one, NULL);
    assert_int_equal(json_array_size(page), 1);
    json_decref(page);
    /* Rows queued before stop are written by stop. */
    struct scim_audit_entry last = entry_for(f->acme.id, scim_time_now_ms(), "scim-key:z", "z", 1);
    scim_audit_log_submit(log, &last);
    scim_audit_log_stop(log);
    struct scim_audit_query z = {.actor = "scim-key:z", .limit = 5};
    page = search(f, &f->acme, &z, NULL);
    assert_int_equal(json_array_size(page), 1);
    json_decref(page);
}

static void test_audit_store_clients_and_their_tokens(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    scim_err_clear(&err);
    struct scim_client_record c;
    memset(&c, 0, sizeof(c));
    snprintf(c.id, sizeof(c.id), "cli_one");
    c.tenant = f->acme;
    snprintf(c.description, sizeof(c.description), "Entra");
    snprintf(c.scopes, sizeof(c.scopes), "scim");
    c.created_ms = 1000;
    scim_token_hash("secret", 6, c.secret_hash);
    assert_int_equal(scim_store_client_insert(f->st, &c, &err), 0);
    assert_int_equal(scim_store_client_insert(f->st, &c, &err), SCIM_ECONFLICT);
    struct scim_client_record got;
    assert_int_equal(scim_store_client_get(f->st, "cli_one", &got, &err), 0);
    assert_string_equal(got.tenant.name, "acme");
    assert_memory_equal(got.secret_hash, c.secret_hash, SCIM_TOKEN_HASH_LEN);
    assert_int_equal(scim_store_client_get(f->st, "cli_none", &got, &err), SCIM_ENOTFOUND);

    /* An access token of the client. */
    struct scim_token_record t;
    memset(&t, 0, sizeof(t));
    snprintf(t.id, sizeof(t.id), "tok_access");
    t.tenant = f->acme;
    snprintf(t.scopes, sizeof(t.scopes), "scim");
    snprintf(t.hint, sizeof(t.hint), "scim_…abcd");
    snprintf(t.client_id, sizeof(t.client_id), "cli_one");
    t.created_ms = 1000;
    t.expires_ms = scim_time_now_ms() + 3600000;
    unsigned char hash[SCIM_TOKEN_HASH_LEN];
    scim_token_hash("access", 6, hash);
    assert_int_equal(scim_store_token_insert(f->st, &t, hash, NULL, &err), 0);
    struct scim_token_record found;
    assert_int_equal(scim_store_token_find(f->st, hash, &found, &err), 0);
    assert_string_equal(found.client_id, "cli_one");
    assert_int_equal(found.revoked_ms, 0);
    /* Access tokens are not listed with the organisation's tokens. */
    json_t *list = NULL;
    assert_int_equal(scim_store_token_list(f->st, &f->acme, &list, &err), 0);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    /* Another tenant cannot revoke it; its own can, and the token goes with it. */
    assert_int_equal(scim_store_client_revoke(f->st, &f->globex, "cli_one", 5000, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(scim_store_client_revoke(f->st, &f->acme, "cli_one", 5000, &err), 0);
    assert_int_equal(scim_store_token_find(f->st, hash, &found, &err), 0);
    assert_int_equal(found.revoked_ms, 5000);
    /* A token inserted after the revocation (a race with the token endpoint) is dead too. */
    snprintf(t.id, sizeof(t.id), "tok_late");
    scim_token_hash("late", 4, hash);
    assert_int_equal(scim_store_token_insert(f->st, &t, hash, NULL, &err), 0);
    assert_int_equal(scim_store_token_find(f->st, hash, &found, &err), 0);
    assert_int_not_equal(found.revoked_ms, 0);
    assert_int_equal(scim_store_client_list(f->st, NULL, &list, &err), 0);
    assert_int_equal(json_array_size(list), 1);
    assert_true(json_is_string(json_object_get(json_array_get(list, 0), "revoked_at")));
    assert_null(json_object_get(json_array_get(list, 0), "secret_hash"));
    json_decref(list);
    /* Expired access tokens are pruned. */
    int64_t deleted = 0;
    assert_int_equal(
        scim_store_audit_prune(f->st, 0, scim_time_now_ms() + 2 * 3600000, 0, &deleted, &err), 0);
    assert_int_equal(scim_store_token_find(f->st, hash, &found, &err), SCIM_ENOTFOUND);
}

int main(void)
{
    scim_mem_init();
    assert_int_equal(scim_token_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_actor_names),
        cmocka_unit_test(test_audit_sensitive_names),
        cmocka_unit_test(test_audit_redact_at_any_depth),
        cmocka_unit_test(test_audit_diff_create_lists_everything),
        cmocka_unit_test(test_audit_diff_replace_only_changes),
        cmocka_unit_test(test_audit_diff_redacts_secrets),
        cmocka_unit_test(test_audit_diff_nothing_changed_is_null),
        cmocka_unit_test(test_audit_diff_delete_lists_before),
        cmocka_unit_test(test_audit_time_parse),
        cmocka_unit_test_setup_teardown(test_audit_store_row_in_write_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_store_search_filters_and_cursor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_store_search_by_resource_across_buckets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_store_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_writer_batches_and_flushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_store_clients_and_their_tokens, setup, teardown),
    };
    return cmocka_run_group_tests_name("test_audit", tests, NULL, NULL);
}
