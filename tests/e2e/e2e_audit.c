/*
 * e2e_audit — the audit log of a real scimd: one row per SCIM and admin request, successful or
 * not, with the right actor (scim-key:<tokenId>, admin-key:<tokenId>, anonymous), method, path,
 * resource type and id, status, the X-Request-Id the client saw, a before/after diff of what
 * changed with the password redacted, and the IdP dialect rules applied; failed authentication
 * (with and without a known token) audited without the token; no token plaintext or password in
 * the database files (db, -wal, -shm); a write whose audit row cannot be inserted fails as a
 * whole (a trigger that RAISEs in the test database: 500 and nothing changed); GET
 * /api/v1/audit filters and cursor pagination; scimctl audit tail|search; retention pruning.
 * Raw SQL is test setup only (the failing trigger, rows dated in the past).
 */
#include "harness.h"

#include "mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#define PASSWORD "Sup3r-Secret-Pa55!"

static struct e2e_server *srv;
static char *admin;    /* admin token of tenant e2e */
static char *token_id; /* id of srv->token, the scim token */

static char *quiet_token(struct e2e_server *s, const char *description, const char *scope)
{
    char *out = NULL;
    int status =
        e2e_scimctl(s, &out, "token", "create", "--tenant", "e2e", "--description", description,
                    "--expires-in-days", "1", "--scope", scope, "--quiet", NULL);
    assert_int_equal(status, 0);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

static int group_setup(void **state)
{
    (void)state;
    if (e2e_setup(NULL, &srv) != 0)
        return -1;
    admin = quiet_token(srv, "audit admin", "admin");
    token_id = e2e_token_id(srv, "e2e default token");
    return admin && token_id ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    scim_free(admin);
    scim_free(token_id);
    return e2e_teardown(srv);
}

/* GET /api/v1/audit?<query> as the admin; asserts 200. */
static struct e2e_resp *audit(const char *query)
{
    struct e2e_resp *r = e2e_get(srv, admin, "/api/v1/audit?%s", query);
    assert_status(r, 200);
    return r;
}

static json_t *entry(const struct e2e_resp *r, size_t i)
{
    return json_array_get(json_object_get(r->json, "entries"), i);
}

static const char *field(const json_t *e, const char *name)
{
    return json_string_value(json_object_get(e, name));
}

static long long status_of(const json_t *e)
{
    return json_integer_value(json_object_get(e, "status"));
}

/* Asserts one row's common members. */
static void assert_row(const json_t *e, const char *actor, const char *method, const char *path,
                       const char *resource_id, long long status, const char *request_id)
{
    assert_non_null(e);
    assert_string_equal(field(e, "actor"), actor);
    assert_string_equal(field(e, "method"), method);
    assert_string_equal(field(e, "path"), path);
    if (resource_id) {
        assert_string_equal(field(e, "resource_type"), "User");
        assert_string_equal(field(e, "resource_id"), resource_id);
    }
    assert_int_equal(status_of(e), status);
    if (request_id)
        assert_string_equal(field(e, "request_id"), request_id);
    const char *time = field(e, "time");
    assert_non_null(time);
    assert_int_equal(time[strlen(time) - 1], 'Z');
}

/* The diff value at diff.<side>.<name> of a row (borrowed) or NULL. */
static json_t *diff_at(const json_t *e, const char *side, const char *name)
{
    return json_object_get(json_object_get(json_object_get(e, "diff"), side), name);
}

static void test_e2e_audit_writes_have_actor_diff_and_request_id(void **state)
{
    (void)state;
    char *actor = scim_asprintf("scim-key:%s", token_id);
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"audited@example.com\","
                               "\"name\":{\"givenName\":\"Ada\"},\"password\":\"%s\"}",
                               E2E_USER_SCHEMA, PASSWORD);
    struct e2e_resp *r = e2e_send(srv, "POST", srv->token, body, "/scim/v2/Users");
    assert_status(r, 201);
    char *id = scim_strdup(e2e_str(r->json, "id"));
    char *rid_post = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    char *path = scim_asprintf("/scim/v2/Users/%s", id);
    char *put = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"audited@example.com\","
                              "\"name\":{\"givenName\":\"Ada\"},\"title\":\"Boss\"}",
                              E2E_USER_SCHEMA);
    r = e2e_send(srv, "PUT", srv->token, put, "%s", path);
    assert_status(r, 200);
    char *rid_put = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    /* Entra's capitalised op and string boolean: the row names the dialect rules. */
    char *patch = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"Replace\","
                                "\"path\":\"active\",\"value\":\"False\"}]}",
                                E2E_PATCH_SCHEMA);
    r = e2e_send(srv, "PATCH", srv->token, patch, "%s", path);
    assert_status(r, 200);
    char *rid_patch = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", srv->token, NULL, "%s", path);
    assert_status(r, 204);
    char *rid_delete = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);

    char *query = scim_asprintf("resource_id=%s", id);
    r = audit(query);
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 4);
    /* Newest first. */
    const json_t *del = entry(r, 0), *pat = entry(r, 1), *rep = entry(r, 2), *cre = entry(r, 3);
    assert_row(del, actor, "DELETE", path, id, 204, rid_delete);
    assert_row(pat, actor, "PATCH", path, id, 200, rid_patch);
    assert_row(rep, actor, "PUT", path, id, 200, rid_put);
    assert_row(cre, actor, "POST", "/scim/v2/Users", id, 201, rid_post);
    /* Create: every attribute after, the password only as "[redacted]". */
    assert_string_equal(json_string_value(diff_at(cre, "after", "userName")),
                        "audited@example.com");
    assert_string_equal(json_string_value(diff_at(cre, "after", "name.givenName")), "Ada");
    assert_string_equal(json_string_value(diff_at(cre, "after", "password")), "[redacted]");
    assert_true(json_is_null(diff_at(cre, "before", "password")));
    assert_true(json_is_null(diff_at(cre, "before", "userName")));
    /* Replace: only what changed. */
    assert_true(json_is_null(diff_at(rep, "before", "title")));
    assert_string_equal(json_string_value(diff_at(rep, "after", "title")), "Boss");
    assert_null(diff_at(rep, "after", "userName"));
    /* Patch: active went to false; the Entra rules are named, in the row and in the diff. */
    assert_true(json_is_false(diff_at(pat, "after", "active")));
    json_t *rules = json_object_get(pat, "dialect");
    bool capitalised = false;
    size_t i;
    json_t *rule;
    json_array_foreach (rules, i, rule)
        capitalised = capitalised || strcmp(json_string_value(rule), "entra.capitalised-op") == 0;
    assert_true(capitalised);
    assert_true(json_array_size(json_object_get(json_object_get(pat, "diff"), "dialect")) > 0);
    /* Delete: what was deleted. */
    assert_string_equal(json_string_value(diff_at(del, "before", "userName")),
                        "audited@example.com");
    /* No secret anywhere in the rows. */
    assert_null(strstr(r->body, PASSWORD));
    assert_null(strstr(r->body, srv->token));
    e2e_resp_free(r);
    scim_free(query);
    scim_free(rid_post);
    scim_free(rid_put);
    scim_free(rid_patch);
    scim_free(rid_delete);
    scim_free(patch);
    scim_free(put);
    scim_free(path);
    scim_free(id);
    scim_free(body);
    scim_free(actor);
}

static void test_e2e_audit_reads_and_failed_requests(void **state)
{
    (void)state;
    char *actor = scim_asprintf("scim-key:%s", token_id);
    /* A read, a 404, a 409, a 400: each one row. */
    struct e2e_resp *u = e2e_create_user(srv, srv->token, "reader@example.com", NULL);
    char *id = scim_strdup(e2e_str(u->json, "id"));
    e2e_resp_free(u);
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    char *rid_get = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/no-such-id");
    assert_scim_error(r, 404, NULL);
    char *rid_404 = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    char *dup = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"READER@example.com\"}",
                              E2E_USER_SCHEMA);
    r = e2e_send(srv, "POST", srv->token, dup, "/scim/v2/Users");
    assert_scim_error(r, 409, "uniqueness");
    char *rid_409 = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);

    char *q = scim_asprintf("resource_id=%s", id);
    char *path = scim_asprintf("/scim/v2/Users/%s", id);
    r = audit(q);
    assert_row(entry(r, 0), actor, "GET", path, id, 200, rid_get);
    e2e_resp_free(r);
    scim_free(path);
    scim_free(q);
    r = audit("resource_id=no-such-id");
    assert_row(entry(r, 0), actor, "GET", "/scim/v2/Users/no-such-id", "no-such-id", 404, rid_404);
    e2e_resp_free(r);
    q = scim_asprintf("actor=%s&limit=5", actor);
    r = audit(q);
    bool found = false;
    for (size_t i = 0; i < json_array_size(json_object_get(r->json, "entries")); i++) {
        const json_t *e = entry(r, i);
        if (strcmp(field(e, "request_id"), rid_409) == 0) {
            found = true;
            assert_int_equal(status_of(e), 409);
            assert_string_equal(field(e, "method"), "POST");
        }
    }
    assert_true(found);
    e2e_resp_free(r);
    scim_free(q);
    /* The seeds' name for the field: every row carries actorEmail = scim-key:<tokenId> too, and
     * the search takes it as the actor filter. */
    q = scim_asprintf("actorEmail=%s&limit=5", actor);
    r = audit(q);
    assert_true(json_array_size(json_object_get(r->json, "entries")) > 0);
    for (size_t i = 0; i < json_array_size(json_object_get(r->json, "entries")); i++) {
        assert_string_equal(field(entry(r, i), "actorEmail"), actor);
        assert_string_equal(field(entry(r, i), "actor"), actor);
    }
    e2e_resp_free(r);
    scim_free(q);
    /* An unknown parameter is refused, not ignored (it would return every row). */
    r = e2e_get(srv, admin, "/api/v1/audit?actor_email=x");
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    q = scim_asprintf("/api/v1/audit?actor=%s&actorEmail=anonymous", actor);
    r = e2e_get(srv, admin, "%s", q);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(q);

    /* Failed authentication with a known (revoked) token: the row names the token, never the
     * plaintext, and belongs to its tenant. */
    char *revoked = quiet_token(srv, "audit revoked", "scim");
    char *revoked_id = e2e_token_id(srv, "audit revoked");
    assert_int_equal(e2e_scimctl(srv, NULL, "token", "revoke", revoked_id, NULL), 0);
    r = e2e_get(srv, revoked, "/scim/v2/Users");
    assert_scim_error(r, 401, NULL);
    char *rid_401 = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    char *revoked_actor = scim_asprintf("scim-key:%s", revoked_id);
    q = scim_asprintf("actor=%s", revoked_actor);
    r = audit(q);
    assert_row(entry(r, 0), revoked_actor, "GET", "/scim/v2/Users", NULL, 401, rid_401);
    assert_null(strstr(r->body, revoked));
    e2e_resp_free(r);
    scim_free(q);

    /* Failed authentication with an unknown token: actor "anonymous", no tenant; the tenant's
     * API does not see it, scimctl (every tenant) does. */
    char unknown[64];
    snprintf(unknown, sizeof(unknown), "scim_%s", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ");
    r = e2e_get(srv, unknown, "/scim/v2/Users");
    assert_scim_error(r, 401, NULL);
    char *rid_anon = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    r = audit("actor=anonymous");
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 0);
    e2e_resp_free(r);
    char *out = NULL;
    assert_int_equal(
        e2e_scimctl(srv, &out, "audit", "search", "--actor", "anonymous", "--json", NULL), 0);
    json_t *page = json_loads(out, 0, NULL);
    json_t *rows = json_object_get(page, "entries");
    found = false;
    size_t i;
    json_t *e;
    json_array_foreach (rows, i, e) {
        if (strcmp(field(e, "request_id"), rid_anon) == 0) {
            found = true;
            assert_true(json_is_null(json_object_get(e, "tenant")));
            assert_int_equal(status_of(e), 401);
        }
    }
    assert_true(found);
    assert_null(strstr(out, unknown));
    json_decref(page);
    scim_free(out);
    scim_free(rid_anon);
    scim_free(revoked_actor);
    scim_free(rid_401);
    scim_free(revoked_id);
    scim_free(revoked);
    scim_free(dup);
    scim_free(rid_409);
    scim_free(rid_404);
    scim_free(rid_get);
    scim_free(id);
    scim_free(actor);
}

/* The admin API is audited too, as admin-key:<tokenId>. */
/* True when scimctl (another process, reading the database) sees a row with request_id. */
static bool scimctl_sees(const char *request_id)
{
    char *out = NULL;
    bool seen = false;
    if (e2e_scimctl(srv, &out, "audit", "search", "--actor", "anonymous", "--json", NULL) == 0) {
        json_t *page = json_loads(out, 0, NULL);
        size_t i;
        json_t *e;
        json_array_foreach (json_object_get(page, "entries"), i, e) {
            if (strcmp(field(e, "request_id"), request_id) == 0)
                seen = true;
        }
        json_decref(page);
    }
    scim_free(out);
    return seen;
}

/* The row of a failed request reaches the database on its own within moments (the writer's
 * linger), without 1,024 rows gathering or an audit search flushing the queue; a kill -9 then
 * cannot lose it. */
static void test_e2e_audit_lone_row_is_written_promptly(void **state)
{
    (void)state;
    char unknown[64];
    snprintf(unknown, sizeof(unknown), "scim_%s", "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY");
    struct e2e_resp *r = e2e_get(srv, unknown, "/scim/v2/Users");
    assert_scim_error(r, 401, NULL);
    char *rid = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    bool seen = false;
    for (int tries = 0; tries < 20 && !seen; tries++) {
        seen = scimctl_sees(rid);
        if (!seen)
            usleep(100000);
    }
    assert_true(seen);
    scim_free(rid);
}

/* A body of the wrong media type is refused after authentication: its audit row names the
 * token and the tenant (it was "anonymous" and tenantless). */
static void test_e2e_audit_refused_media_type_names_the_token(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_http(srv, &(struct e2e_req){.method = "POST",
                                                         .path = "/scim/v2/Users",
                                                         .token = srv->token,
                                                         .body = "userName=x",
                                                         .content_type = "text/plain"});
    assert_scim_error(r, 415, NULL);
    char *rid = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    char *actor = scim_asprintf("scim-key:%s", token_id);
    char *q = scim_asprintf("actor=%s&limit=1", actor);
    r = audit(q);
    assert_row(entry(r, 0), actor, "POST", "/scim/v2/Users", NULL, 415, rid);
    e2e_resp_free(r);
    scim_free(q);
    scim_free(actor);
    scim_free(rid);
}

static void test_e2e_audit_admin_operations(void **state)
{
    (void)state;
    char *admin_id = e2e_token_id(srv, "audit admin");
    char *actor = scim_asprintf("admin-key:%s", admin_id);
    struct e2e_resp *r =
        e2e_send(srv, "POST", admin, "{\"description\":\"audited token\",\"expires_in_days\":5}",
                 "/api/v1/org/scim-tokens");
    assert_status(r, 201);
    char *plain = scim_strdup(e2e_str(r->json, "token"));
    char *new_id = scim_strdup(e2e_str(r->json, "id"));
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", admin, NULL, "/api/v1/org/scim-tokens/%s", new_id);
    assert_status(r, 204);
    e2e_resp_free(r);
    char *q = scim_asprintf("resource_id=%s", new_id);
    r = audit(q);
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 2);
    const json_t *rev = entry(r, 0), *cre = entry(r, 1);
    assert_string_equal(field(rev, "actor"), actor);
    assert_string_equal(field(rev, "method"), "DELETE");
    assert_string_equal(field(rev, "resource_type"), "Token");
    assert_int_equal(status_of(rev), 204);
    assert_string_equal(field(cre, "actor"), actor);
    assert_int_equal(status_of(cre), 201);
    assert_string_equal(json_string_value(diff_at(cre, "after", "description")), "audited token");
    assert_null(strstr(r->body, plain));
    e2e_resp_free(r);
    scim_free(q);
    scim_free(new_id);
    scim_free(plain);
    scim_free(actor);
    scim_free(admin_id);
}

/* Nothing secret reaches the database files: token plaintexts (static, minted by the admin API,
 * OAuth access tokens), client secrets, user passwords. */
static void test_e2e_audit_database_holds_no_secrets(void **state)
{
    (void)state;
    struct e2e_resp *r =
        e2e_send(srv, "POST", admin, "{\"description\":\"secret check\",\"expires_in_days\":5}",
                 "/api/v1/org/scim-tokens");
    assert_status(r, 201);
    char *minted = scim_strdup(e2e_str(r->json, "token"));
    e2e_resp_free(r);
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"pw@example.com\","
                               "\"password\":\"%s\"}",
                               E2E_USER_SCHEMA, PASSWORD);
    r = e2e_send(srv, "POST", minted, body, "/scim/v2/Users");
    assert_status(r, 201);
    char *id = scim_strdup(e2e_str(r->json, "id"));
    e2e_resp_free(r);
    /* A password change by PATCH is audited as a redacted change. */
    char *patch = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"replace\","
                                "\"path\":\"password\",\"value\":\"%s-2\"}]}",
                                E2E_PATCH_SCHEMA, PASSWORD);
    r = e2e_send(srv, "PATCH", minted, patch, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    e2e_resp_free(r);
    /* Reads with the token, and a flush of the queued rows. */
    e2e_resp_free(audit("limit=1"));
    assert_false(e2e_database_contains(srv, minted));
    assert_false(e2e_database_contains(srv, minted + 5));
    assert_false(e2e_database_contains(srv, srv->token));
    assert_false(e2e_database_contains(srv, admin));
    assert_false(e2e_database_contains(srv, PASSWORD));
    char *log = e2e_server_read_log(srv);
    assert_null(strstr(log, minted));
    assert_null(strstr(log, PASSWORD));
    scim_free(log);
    scim_free(patch);
    scim_free(id);
    scim_free(body);
    scim_free(minted);
}

/* A write whose audit row cannot be inserted fails as a whole: 500 and nothing changed. */
static void test_e2e_audit_insert_failure_fails_the_write(void **state)
{
    (void)state;
    struct e2e_resp *u = e2e_create_user(srv, srv->token, "kept@example.com", NULL);
    char *id = scim_strdup(e2e_str(u->json, "id"));
    char *etag = scim_strdup(e2e_header(u, "ETag"));
    e2e_resp_free(u);
    assert_int_equal(e2e_sql_exec(srv, "CREATE TRIGGER audit_down BEFORE INSERT ON audit "
                                       "WHEN NEW.status < 400 AND NEW.method <> 'GET' "
                                       "BEGIN SELECT RAISE(ABORT, 'audit is down'); END"),
                     0);
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"unaudited@example.com\"}",
                               E2E_USER_SCHEMA);
    struct e2e_resp *r = e2e_send(srv, "POST", srv->token, body, "/scim/v2/Users");
    assert_scim_error(r, 500, NULL);
    /* The client learns nothing of the cause. */
    assert_null(strstr(r->body, "audit is down"));
    e2e_resp_free(r);
    r = e2e_filter_users(srv, srv->token, "userName eq \"unaudited@example.com\"");
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
    char *patch = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"replace\","
                                "\"path\":\"title\",\"value\":\"Changed\"}]}",
                                E2E_PATCH_SCHEMA);
    r = e2e_send(srv, "PATCH", srv->token, patch, "/scim/v2/Users/%s", id);
    assert_scim_error(r, 500, NULL);
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", srv->token, NULL, "/scim/v2/Users/%s", id);
    assert_scim_error(r, 500, NULL);
    e2e_resp_free(r);
    r = e2e_send(srv, "POST", admin, "{\"description\":\"unaudited\",\"expires_in_days\":1}",
                 "/api/v1/org/scim-tokens");
    assert_scim_error(r, 500, NULL);
    e2e_resp_free(r);
    /* Unchanged: same version, no title, still there; no token minted. */
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    assert_header(r, "ETag", etag);
    assert_json_absent(r, "title");
    e2e_resp_free(r);
    r = e2e_get(srv, admin, "/api/v1/org/scim-tokens");
    assert_null(strstr(r->body, "\"unaudited\""));
    e2e_resp_free(r);
    assert_int_equal(e2e_sql_exec(srv, "DROP TRIGGER audit_down"), 0);
    /* The failed attempts were audited after the fact (their rows are not refused). */
    char *q = scim_asprintf("resource_id=%s", id);
    r = audit(q);
    /* Newest first: the GET that checked the user, then the refused DELETE and PATCH. */
    assert_string_equal(field(entry(r, 0), "method"), "GET");
    assert_int_equal(status_of(entry(r, 1)), 500);
    assert_string_equal(field(entry(r, 1), "method"), "DELETE");
    assert_int_equal(status_of(entry(r, 2)), 500);
    assert_string_equal(field(entry(r, 2), "method"), "PATCH");
    e2e_resp_free(r);
    /* With the audit back, writes work again. */
    r = e2e_send(srv, "POST", srv->token, body, "/scim/v2/Users");
    assert_status(r, 201);
    e2e_resp_free(r);
    scim_free(q);
    scim_free(patch);
    scim_free(body);
    scim_free(etag);
    scim_free(id);
}

static void test_e2e_audit_filters_and_cursor_pages(void **state)
{
    (void)state;
    char *pager = quiet_token(srv, "audit pager", "scim");
    char *pager_id = e2e_token_id(srv, "audit pager");
    for (int i = 0; i < 7; i++) {
        char name[64];
        snprintf(name, sizeof(name), "page-%d@example.com", i);
        e2e_resp_free(e2e_create_user(srv, pager, name, NULL));
    }
    char *actor = scim_asprintf("actor=scim-key:%s", pager_id);
    char *q = scim_asprintf("%s&limit=3", actor);
    struct e2e_resp *r = audit(q);
    size_t seen = 0;
    char last_time[64] = "9999";
    json_t *ids = json_object();
    for (int page = 0; page < 5; page++) {
        json_t *entries = json_object_get(r->json, "entries");
        size_t i;
        json_t *e;
        json_array_foreach (entries, i, e) {
            assert_string_equal(field(e, "method"), "POST");
            /* Newest first, no row twice. */
            assert_true(strcmp(field(e, "time"), last_time) <= 0);
            snprintf(last_time, sizeof(last_time), "%s", field(e, "time"));
            char key[32];
            snprintf(key, sizeof(key), "%lld",
                     (long long)json_integer_value(json_object_get(e, "id")));
            assert_null(json_object_get(ids, key));
            json_object_set_new(ids, key, json_true());
            seen++;
        }
        const char *next = e2e_str(r->json, "next_cursor");
        if (!next) {
            assert_true(json_is_null(json_object_get(r->json, "next_cursor")));
            break;
        }
        assert_int_equal(json_array_size(entries), 3);
        char *nq = scim_asprintf("%s&limit=3&cursor=%s", actor, next);
        e2e_resp_free(r);
        r = audit(nq);
        scim_free(nq);
    }
    assert_int_equal(seen, 7);
    e2e_resp_free(r);
    json_decref(ids);
    /* Time bounds. */
    char *future = scim_asprintf("%s&since=2999-01-01T00:00:00Z", actor);
    r = audit(future);
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 0);
    e2e_resp_free(r);
    char *past = scim_asprintf("%s&until=2001-01-01T00:00:00Z", actor);
    r = audit(past);
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 0);
    e2e_resp_free(r);
    char *window =
        scim_asprintf("%s&since=2001-01-01T00:00:00Z&until=2999-01-01T00:00:00%%2B02:00", actor);
    r = audit(window);
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 7);
    e2e_resp_free(r);
    /* Bad parameters are SCIM 400s. */
    static const char *const bad[] = {"since=yesterday", "until=2026-13-01",
                                      "limit=0",         "limit=1001",
                                      "limit=ten",       "cursor=not-a-cursor!"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct e2e_resp *b = e2e_get(srv, admin, "/api/v1/audit?%s", bad[i]);
        assert_scim_error(b, 400, "invalidValue");
        e2e_resp_free(b);
    }
    scim_free(window);
    scim_free(past);
    scim_free(future);
    scim_free(q);
    scim_free(actor);
    scim_free(pager_id);
    scim_free(pager);
}

static void test_e2e_audit_scimctl_tail_and_search(void **state)
{
    (void)state;
    struct e2e_resp *u = e2e_create_user(srv, srv->token, "cli-audit@example.com", NULL);
    char *id = scim_strdup(e2e_str(u->json, "id"));
    e2e_resp_free(u);
    char *out = NULL;
    assert_int_equal(
        e2e_scimctl(srv, &out, "audit", "tail", "--tenant", "e2e", "-n", "2", "--json", NULL), 0);
    json_t *page = json_loads(out, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(page, "entries")), 2);
    json_decref(page);
    scim_free(out);
    assert_int_equal(e2e_scimctl(srv, &out, "audit", "search", "--resource-id", id, "--json", NULL),
                     0);
    page = json_loads(out, 0, NULL);
    json_t *e = json_array_get(json_object_get(page, "entries"), 0);
    assert_string_equal(field(e, "method"), "POST");
    assert_string_equal(field(e, "tenant"), "e2e");
    assert_int_equal(status_of(e), 201);
    json_decref(page);
    scim_free(out);
    /* The text form: one line per row. */
    assert_int_equal(e2e_scimctl(srv, &out, "audit", "search", "--resource-id", id, NULL), 0);
    assert_non_null(strstr(out, "POST"));
    assert_non_null(strstr(out, id));
    scim_free(out);
    /* Bad options are usage errors. */
    assert_int_equal(e2e_scimctl(srv, NULL, "audit", "search", "--since", "soon", NULL), 2);
    assert_int_equal(e2e_scimctl(srv, NULL, "audit", "tail", "-n", "0", NULL), 2);
    scim_free(id);
}

/* Rows older than --audit-retention-days (default 90) are pruned at start. */
static void test_e2e_audit_retention_prunes_at_start(void **state)
{
    (void)state;
    assert_int_equal(
        e2e_sql_exec(srv, "INSERT INTO audit(tenant_id, time_ms, actor, method, path, status, "
                          "request_id) SELECT id, CAST(strftime('%s','now') AS INTEGER) * 1000 - "
                          "100 * 86400000, 'scim-key:tok_old', 'GET', '/scim/v2/Users', 200, "
                          "'old-row' FROM tenants WHERE name = 'e2e'"),
        0);
    assert_int_equal(
        e2e_sql_exec(srv, "INSERT INTO audit(tenant_id, time_ms, actor, method, path, status, "
                          "request_id) SELECT id, CAST(strftime('%s','now') AS INTEGER) * 1000 - "
                          "10 * 86400000, 'scim-key:tok_recent', 'GET', '/scim/v2/Users', 200, "
                          "'recent-row' FROM tenants WHERE name = 'e2e'"),
        0);
    struct e2e_resp *r = audit("actor=scim-key:tok_old");
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 1);
    e2e_resp_free(r);
    assert_int_equal(e2e_server_stop(srv), 0);
    assert_int_equal(e2e_server_restart(srv), 0);
    /* Pruning runs on the writer thread before it writes anything; a search waits for it. */
    r = audit("actor=scim-key:tok_old");
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 0);
    e2e_resp_free(r);
    r = audit("actor=scim-key:tok_recent");
    assert_int_equal(json_array_size(json_object_get(r->json, "entries")), 1);
    e2e_resp_free(r);
}

/* --audit-reads=0: successful reads leave no row; writes and failed reads still do. */
static void test_e2e_audit_reads_can_be_turned_off(void **state)
{
    (void)state;
    struct e2e_server *quiet = NULL;
    const char *const args[] = {"--audit-reads=0", NULL};
    assert_int_equal(e2e_setup(args, &quiet), 0);
    struct e2e_resp *made = e2e_create_user(quiet, quiet->token, "reads-off", NULL);
    struct e2e_resp *r =
        e2e_get(quiet, quiet->token, "/scim/v2/Users/%s", e2e_str(made->json, "id"));
    assert_status(r, 200);
    e2e_resp_free(r);
    r = e2e_get(quiet, quiet->token, "/scim/v2/Users/no-such-user");
    assert_status(r, 404);
    e2e_resp_free(r);
    e2e_resp_free(made);
    /* A clean stop writes every queued row. */
    assert_int_equal(e2e_server_stop(quiet), 0);
    char *ok_reads = e2e_sql_text(quiet, "SELECT count(*) FROM audit WHERE method = 'GET' AND "
                                         "status = 200");
    char *failed_reads = e2e_sql_text(quiet, "SELECT count(*) FROM audit WHERE method = 'GET' "
                                             "AND status = 404");
    char *writes = e2e_sql_text(quiet, "SELECT count(*) FROM audit WHERE method = 'POST' AND "
                                       "status = 201");
    assert_string_equal(ok_reads, "0");
    assert_string_equal(failed_reads, "1");
    assert_string_equal(writes, "1");
    scim_free(ok_reads);
    scim_free(failed_reads);
    scim_free(writes);
    e2e_server_free(quiet);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_audit_writes_have_actor_diff_and_request_id),
        cmocka_unit_test(test_e2e_audit_reads_and_failed_requests),
        cmocka_unit_test(test_e2e_audit_lone_row_is_written_promptly),
        cmocka_unit_test(test_e2e_audit_refused_media_type_names_the_token),
        cmocka_unit_test(test_e2e_audit_admin_operations),
        cmocka_unit_test(test_e2e_audit_database_holds_no_secrets),
        cmocka_unit_test(test_e2e_audit_insert_failure_fails_the_write),
        cmocka_unit_test(test_e2e_audit_filters_and_cursor_pages),
        cmocka_unit_test(test_e2e_audit_scimctl_tail_and_search),
        cmocka_unit_test(test_e2e_audit_retention_prunes_at_start),
        cmocka_unit_test(test_e2e_audit_reads_can_be_turned_off),
    };
    return cmocka_run_group_tests_name("e2e_audit", tests, group_setup, group_teardown);
}
