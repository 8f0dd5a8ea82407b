/*
 * e2e_admin — the token admin API (/api/v1/org/scim-tokens) of a real scimd, step by step as the
 * seeds' token workflows describe them: create (plaintext once, RFC 3339 UTC times), list (never
 * a plaintext), use, revoke (the next request is a 401), rotate without a gap; input validation
 * (expires_in_days 0, 366, missing, a string, a fraction; description and scopes); scope
 * enforcement for every scope (scim, scim:read, admin) on every endpoint family (discovery,
 * reads, .search, writes, admin API, audit); tenant isolation of the admin API; and the abuse
 * limits (failed authentications per address, per-tenant token bucket): 429 with Retry-After
 * and a SCIM Error body.
 * Owns: nothing but its servers. Must not: reach into the database except through scimctl.
 */
#include "harness.h"

#include "mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define TOKENS "/api/v1/org/scim-tokens"

static struct e2e_server *srv;
static char *admin; /* an admin-scoped token of tenant e2e */

/* Mints a token of tenant with one scope through scimctl; new string. */
static char *scoped_token(struct e2e_server *s, const char *tenant, const char *scope,
                          const char *description)
{
    char *out = NULL;
    int status =
        e2e_scimctl(s, &out, "token", "create", "--tenant", tenant, "--description", description,
                    "--expires-in-days", "1", "--scope", scope, "--quiet", NULL);
    assert_int_equal(status, 0);
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}

static int group_setup(void **state)
{
    (void)state;
    if (e2e_setup(NULL, &srv) != 0)
        return -1;
    admin = scoped_token(srv, "e2e", "admin", "e2e admin");
    return admin ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    scim_free(admin);
    return e2e_teardown(srv);
}

/* True when s is an RFC 3339 UTC time as scimd writes it: 2026-01-15T12:00:00[.000]Z. */
static bool rfc3339_utc(const char *s)
{
    if (!s)
        return false;
    const char *shape = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
    }
    const char *p = s + strlen(shape);
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return strcmp(p, "Z") == 0;
}

/* POST /api/v1/org/scim-tokens with body as the admin token. */
static struct e2e_resp *create_token(const char *token, const char *body)
{
    return e2e_http(srv, &(struct e2e_req){.method = "POST",
                                           .path = TOKENS,
                                           .token = token,
                                           .body = body,
                                           .content_type = "application/json"});
}

/* Creates a token through the API, asserting 201; returns the response. */
static struct e2e_resp *create_ok(const char *description, int days)
{
    char *body =
        scim_asprintf("{\"description\": \"%s\", \"expires_in_days\": %d}", description, days);
    struct e2e_resp *r = create_token(admin, body);
    scim_free(body);
    assert_status(r, 201);
    return r;
}

/* The token object with this id in a list response, or NULL. */
static json_t *listed(const struct e2e_resp *r, const char *id)
{
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(r->json, "tokens"), i, t) {
        if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
            return t;
    }
    return NULL;
}

static void assert_users_status(const char *token, long status)
{
    struct e2e_resp *r = e2e_get(srv, token, "/scim/v2/Users?count=1");
    assert_status(r, status);
    e2e_resp_free(r);
}

/* Step 1 of the seed: create a token; the plaintext comes back once, with RFC 3339 times. */
static void test_e2e_admin_create_returns_plaintext_once(void **state)
{
    (void)state;
    struct e2e_resp *r = create_ok("Google Workspace SCIM", 365);
    const char *token = e2e_str(r->json, "token");
    const char *id = e2e_str(r->json, "id");
    assert_non_null(token);
    assert_non_null(id);
    assert_int_equal(strncmp(token, "scim_", 5), 0);
    assert_int_equal(strlen(token), 5 + 43);
    assert_json_str(r, "description", "Google Workspace SCIM");
    assert_true(rfc3339_utc(e2e_str(r->json, "created_at")));
    assert_true(rfc3339_utc(e2e_str(r->json, "expires_at")));
    assert_json_str(r, "scopes[0]", "scim");
    assert_header(r, "Cache-Control", "no-store");
    /* 365 days between created_at and expires_at: the same time of day, a year later. */
    const char *created = e2e_str(r->json, "created_at");
    const char *expires = e2e_str(r->json, "expires_at");
    assert_string_equal(created + 10, expires + 10);
    assert_true(strncmp(expires, created, 4) > 0);
    /* The token works on SCIM at once. */
    assert_users_status(token, 200);
    e2e_resp_free(r);
}

/* The list holds metadata only: never the plaintext or a hash, with a display hint and
 * last_used_at once the token was used. */
static void test_e2e_admin_list_never_shows_plaintext(void **state)
{
    (void)state;
    struct e2e_resp *c = create_ok("Okta SCIM Integration", 180);
    char *token = scim_strdup(e2e_str(c->json, "token"));
    char *id = scim_strdup(e2e_str(c->json, "id"));
    e2e_resp_free(c);
    assert_users_status(token, 200);
    struct e2e_resp *r = e2e_get(srv, admin, TOKENS);
    assert_status(r, 200);
    assert_null(strstr(r->body, token));
    assert_null(strstr(r->body, token + 5));
    json_t *t = listed(r, id);
    assert_non_null(t);
    assert_null(json_object_get(t, "token"));
    assert_null(json_object_get(t, "hash"));
    assert_string_equal(json_string_value(json_object_get(t, "description")),
                        "Okta SCIM Integration");
    const char *hint = json_string_value(json_object_get(t, "hint"));
    assert_non_null(hint);
    /* The hint is the prefix and the last four characters. */
    assert_int_equal(strncmp(hint, "scim_", 5), 0);
    assert_non_null(strstr(hint, token + strlen(token) - 4));
    assert_true(rfc3339_utc(json_string_value(json_object_get(t, "created_at"))));
    assert_true(rfc3339_utc(json_string_value(json_object_get(t, "expires_at"))));
    assert_true(rfc3339_utc(json_string_value(json_object_get(t, "last_used_at"))));
    assert_true(json_is_null(json_object_get(t, "revoked_at")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(t, "scopes"), 0)), "scim");
    e2e_resp_free(r);
    scim_free(token);
    scim_free(id);
}

/* Revocation is immediate: the next request with the token is a 401. */
static void test_e2e_admin_revoke_then_401(void **state)
{
    (void)state;
    struct e2e_resp *c = create_ok("to revoke", 30);
    char *token = scim_strdup(e2e_str(c->json, "token"));
    char *id = scim_strdup(e2e_str(c->json, "id"));
    e2e_resp_free(c);
    assert_users_status(token, 200);
    struct e2e_resp *r = e2e_send(srv, "DELETE", admin, NULL, TOKENS "/%s", id);
    assert_status(r, 204);
    e2e_resp_free(r);
    r = e2e_get(srv, token, "/scim/v2/Users");
    assert_scim_error(r, 401, NULL);
    e2e_resp_free(r);
    /* The list shows it revoked; revoking again keeps the first time. */
    r = e2e_get(srv, admin, TOKENS);
    json_t *t = listed(r, id);
    assert_non_null(t);
    char *revoked = scim_strdup(json_string_value(json_object_get(t, "revoked_at")));
    assert_true(rfc3339_utc(revoked));
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", admin, NULL, TOKENS "/%s", id);
    assert_status(r, 204);
    e2e_resp_free(r);
    r = e2e_get(srv, admin, TOKENS);
    assert_string_equal(json_string_value(json_object_get(listed(r, id), "revoked_at")), revoked);
    e2e_resp_free(r);
    /* An unknown id is a SCIM 404. */
    r = e2e_send(srv, "DELETE", admin, NULL, TOKENS "/tok_doesnotexist");
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    scim_free(revoked);
    scim_free(token);
    scim_free(id);
}

/* The seed's rotation: create new, both work, revoke old, new still works; never a gap. */
static void test_e2e_admin_rotation_without_gap(void **state)
{
    (void)state;
    struct e2e_resp *c = create_ok("Google Workspace SCIM (2026-01)", 365);
    char *old_token = scim_strdup(e2e_str(c->json, "token"));
    char *old_id = scim_strdup(e2e_str(c->json, "id"));
    e2e_resp_free(c);
    assert_users_status(old_token, 200);
    c = create_ok("Google Workspace SCIM (rotated 2026-02)", 365);
    char *new_token = scim_strdup(e2e_str(c->json, "token"));
    e2e_resp_free(c);
    /* Both work while the IdP is switched over. */
    assert_users_status(old_token, 200);
    assert_users_status(new_token, 200);
    struct e2e_resp *r = e2e_send(srv, "DELETE", admin, NULL, TOKENS "/%s", old_id);
    assert_status(r, 204);
    e2e_resp_free(r);
    assert_users_status(old_token, 401);
    assert_users_status(new_token, 200);
    scim_free(old_token);
    scim_free(old_id);
    scim_free(new_token);
}

/* expires_in_days must be a JSON integer from 1 to 365, description is required. */
static void test_e2e_admin_create_validation_400(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *detail_word;
    } cases[] = {
        {"{\"description\": \"x\", \"expires_in_days\": 0}", "expires_in_days"},
        {"{\"description\": \"x\", \"expires_in_days\": 366}", "expires_in_days"},
        {"{\"description\": \"x\", \"expires_in_days\": -5}", "expires_in_days"},
        {"{\"description\": \"x\"}", "expires_in_days"},
        {"{\"description\": \"x\", \"expires_in_days\": \"30\"}", "expires_in_days"},
        {"{\"description\": \"x\", \"expires_in_days\": 30.5}", "expires_in_days"},
        {"{\"description\": \"x\", \"expires_in_days\": null}", "expires_in_days"},
        {"{\"expires_in_days\": 30}", "description"},
        {"{\"description\": \"\", \"expires_in_days\": 30}", "description"},
        {"{\"description\": 7, \"expires_in_days\": 30}", "description"},
        {"{\"description\": \"   \", \"expires_in_days\": 30}", "description"},
        {"{\"description\": \"Okta\\u001b[2Jfake\\nline\", \"expires_in_days\": 30}",
         "control characters"},
        {"{\"description\": \"x\", \"expires_in_days\": 30, \"scopes\": []}", "scopes"},
        {"{\"description\": \"x\", \"expires_in_days\": 30, \"scopes\": [\"root\"]}", "scopes"},
        {"{\"description\": \"x\", \"expires_in_days\": 30, \"scopes\": \"scim\"}", "scopes"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct e2e_resp *r = create_token(admin, cases[i].body);
        assert_scim_error(r, 400, "invalidValue");
        const char *detail = e2e_str(r->json, "detail");
        if (!detail || !strstr(detail, cases[i].detail_word))
            e2e_fail(r, "the detail of case %zu should name %s", i, cases[i].detail_word);
        e2e_resp_free(r);
    }
    /* Malformed JSON is the usual invalidSyntax; nothing was created by any of it. */
    struct e2e_resp *r = create_token(admin, "{\"description\": ");
    assert_scim_error(r, 400, "invalidSyntax");
    e2e_resp_free(r);
    r = e2e_get(srv, admin, TOKENS);
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get(r->json, "tokens"), i, t)
        assert_string_not_equal(json_string_value(json_object_get(t, "description")), "x");
    e2e_resp_free(r);
    /* The edges are accepted; the limit counts characters, not bytes. */
    e2e_resp_free(create_ok("one day", 1));
    e2e_resp_free(create_ok("a year", 365));
    char accented[2 * 255 + 1] = "";
    for (int k = 0; k < 255; k++)
        strcat(accented, "\xc3\xa9");
    e2e_resp_free(create_ok(accented, 30));
    char *too_long =
        scim_asprintf("{\"description\": \"%s\xc3\xa9\", \"expires_in_days\": 30}", accented);
    r = create_token(admin, too_long);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(too_long);
}

/* What each scope may reach; the expected status for each endpoint family. */
struct family {
    const char *name;
    const char *method;
    const char *path;
    const char *body;
    long scim, read, admin_only;
};

static void test_e2e_admin_scope_matrix(void **state)
{
    (void)state;
    char *scim = scoped_token(srv, "e2e", "scim", "matrix scim");
    char *read = scoped_token(srv, "e2e", "scim:read", "matrix read");
    /* A user for the per-resource endpoints. */
    struct e2e_resp *u = e2e_create_user(srv, scim, "matrix@example.com", NULL);
    char *uid = scim_strdup(e2e_str(u->json, "id"));
    e2e_resp_free(u);
    char users_id[128];
    snprintf(users_id, sizeof(users_id), "/scim/v2/Users/%s", uid);
    char put_body[256];
    snprintf(put_body, sizeof(put_body),
             "{\"schemas\":[\"%s\"],\"userName\":\"matrix@example.com\"}", E2E_USER_SCHEMA);
    char patch_body[256];
    snprintf(patch_body, sizeof(patch_body),
             "{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"replace\",\"path\":\"title\","
             "\"value\":\"t\"}]}",
             E2E_PATCH_SCHEMA);
    char post_body[256];
    snprintf(post_body, sizeof(post_body), "{\"schemas\":[\"%s\"],\"userName\":\"m-%%s@x.com\"}",
             E2E_USER_SCHEMA);
    const char *search_body = "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:"
                              "SearchRequest\"],\"filter\":\"userName pr\"}";
    const struct family families[] = {
        {"discovery", "GET", "/scim/v2/ServiceProviderConfig", NULL, 200, 200, 403},
        {"schemas", "GET", "/scim/v2/Schemas", NULL, 200, 200, 403},
        {"list", "GET", "/scim/v2/Users", NULL, 200, 200, 403},
        {"get", "GET", users_id, NULL, 200, 200, 403},
        {".search", "POST", "/scim/v2/Users/.search", search_body, 200, 200, 403},
        {"root .search", "POST", "/scim/v2/.search", search_body, 200, 200, 403},
        {"put", "PUT", users_id, put_body, 200, 403, 403},
        {"patch", "PATCH", users_id, patch_body, 200, 403, 403},
        {"token list", "GET", TOKENS, NULL, 403, 403, 200},
        {"token create", "POST", TOKENS, "{\"description\":\"m\",\"expires_in_days\":1}", 403, 403,
         201},
        {"audit", "GET", "/api/v1/audit?limit=1", NULL, 403, 403, 200},
    };
    const char *tokens[] = {scim, read, admin};
    const char *scope_names[] = {"scim", "scim:read", "admin"};
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        for (size_t k = 0; k < 3; k++) {
            long want = k == 0   ? families[f].scim
                        : k == 1 ? families[f].read
                                 : families[f].admin_only;
            struct e2e_resp *r = e2e_send(srv, families[f].method, tokens[k], families[f].body,
                                          "%s", families[f].path);
            if (r->status != want)
                e2e_fail(r, "%s with scope %s: expected %ld", families[f].name, scope_names[k],
                         want);
            if (want == 403) {
                assert_scim_error(r, 403, NULL);
                /* The detail names the scope that is missing. */
                const char *detail = e2e_str(r->json, "detail");
                const char *needed =
                    strncmp(families[f].path, "/api/", 5) == 0 ? "'admin'" : "'scim'";
                if (!detail || !strstr(detail, needed))
                    e2e_fail(r, "the 403 detail should name the %s scope", needed);
            }
            e2e_resp_free(r);
        }
    }
    /* Writes that create or delete, once per scope (a success cannot be repeated). */
    for (size_t k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof(name), "%zu", k);
        char *body = scim_asprintf(post_body, name);
        struct e2e_resp *r = e2e_send(srv, "POST", tokens[k], body, "/scim/v2/Users");
        assert_int_equal(r->status, k == 0 ? 201 : 403);
        e2e_resp_free(r);
        scim_free(body);
    }
    struct e2e_resp *r = e2e_send(srv, "DELETE", read, NULL, "%s", users_id);
    assert_scim_error(r, 403, NULL);
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", admin, NULL, "%s", users_id);
    assert_scim_error(r, 403, NULL);
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", scim, NULL, "%s", users_id);
    assert_status(r, 204);
    e2e_resp_free(r);
    /* Tokens minted through the API carry the scopes asked for. */
    r = create_token(admin, "{\"description\":\"reader\",\"expires_in_days\":1,"
                            "\"scopes\":[\"scim:read\"]}");
    assert_status(r, 201);
    assert_json_str(r, "scopes[0]", "scim:read");
    char *minted = scim_strdup(e2e_str(r->json, "token"));
    e2e_resp_free(r);
    assert_users_status(minted, 200);
    r = e2e_send(srv, "POST", minted, put_body, "/scim/v2/Users");
    assert_scim_error(r, 403, NULL);
    e2e_resp_free(r);
    scim_free(minted);
    scim_free(uid);
    scim_free(scim);
    scim_free(read);
}

/* The admin API only ever sees its own tenant. */
static void test_e2e_admin_tenant_isolation(void **state)
{
    (void)state;
    assert_int_equal(e2e_tenant_create(srv, "other"), 0);
    char *other_admin = scoped_token(srv, "other", "admin", "other admin");
    struct e2e_resp *c = create_ok("e2e tenant token", 10);
    char *id = scim_strdup(e2e_str(c->json, "id"));
    char *token = scim_strdup(e2e_str(c->json, "token"));
    e2e_resp_free(c);
    struct e2e_resp *r = e2e_get(srv, other_admin, TOKENS);
    assert_status(r, 200);
    assert_null(listed(r, id));
    assert_null(strstr(r->body, "e2e tenant token"));
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", other_admin, NULL, TOKENS "/%s", id);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    assert_users_status(token, 200);
    scim_free(other_admin);
    scim_free(id);
    scim_free(token);
}

/* ---- abuse limits (each test runs its own scimd: the limits are per process) ------------- */

/* Past --auth-fail-limit failures in a minute, the address gets 429 with Retry-After and a SCIM
 * Error until the minute is over, except for the tokens that authenticated from it before
 * (behind a reverse proxy all IdPs share one address); a token new to the address is refused
 * without a lookup; the token endpoint refuses the address. */
static void test_e2e_admin_failed_auth_limit_429(void **state)
{
    (void)state;
    const char *const args[] = {"--auth-fail-limit", "5", NULL};
    struct e2e_server *s = NULL;
    assert_int_equal(e2e_setup(args, &s), 0);
    char *unused = e2e_token_create(s, s->tenant, "never used before the block", 10);
    assert_non_null(unused);
    /* The IdP's token works before the attack. */
    struct e2e_resp *r = e2e_get(s, s->token, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    char bad[64];
    snprintf(bad, sizeof(bad), "scim_%s", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    for (int i = 0; i < 5; i++) {
        r = e2e_get(s, bad, "/scim/v2/Users");
        assert_scim_error(r, 401, NULL);
        e2e_resp_free(r);
    }
    r = e2e_get(s, bad, "/scim/v2/Users");
    assert_scim_error(r, 429, NULL);
    const char *retry = e2e_header(r, "Retry-After");
    assert_non_null(retry);
    long seconds = strtol(retry, NULL, 10);
    assert_true(seconds >= 1 && seconds <= 60);
    e2e_resp_free(r);
    /* The token that authenticated from this address before is still served, without a
     * Retry-After; one it has not used, valid or not, is refused. */
    r = e2e_get(s, s->token, "/scim/v2/Users");
    assert_status(r, 200);
    assert_null(e2e_header(r, "Retry-After"));
    e2e_resp_free(r);
    r = e2e_get(s, unused, "/scim/v2/Users");
    assert_scim_error(r, 429, NULL);
    assert_non_null(e2e_header(r, "Retry-After"));
    e2e_resp_free(r);
    r = e2e_get(s, "scim_nope", "/scim/v2/Users");
    assert_scim_error(r, 429, NULL);
    e2e_resp_free(r);
    /* The token endpoint refuses the address whatever it presents. */
    r = e2e_http(s, &(struct e2e_req){.method = "POST",
                                      .path = "/oauth/token",
                                      .body = "grant_type=client_credentials",
                                      .content_type = "application/x-www-form-urlencoded"});
    assert_scim_error(r, 429, NULL);
    e2e_resp_free(r);
    /* Endpoints without authentication are not limited. */
    r = e2e_get(s, NULL, "/healthz");
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(unused);
    assert_int_equal(e2e_teardown(s), 0);
}

/* The limit is off with --auth-fail-limit 0. */
static void test_e2e_admin_failed_auth_limit_off(void **state)
{
    (void)state;
    const char *const args[] = {"--auth-fail-limit", "0", NULL};
    struct e2e_server *s = NULL;
    assert_int_equal(e2e_setup(args, &s), 0);
    for (int i = 0; i < 30; i++) {
        struct e2e_resp *r = e2e_get(s, "scim_nope", "/scim/v2/Users");
        assert_int_equal(r->status, 401);
        e2e_resp_free(r);
    }
    assert_int_equal(e2e_teardown(s), 0);
}

/* Per-tenant token bucket: a burst passes, then 429 with Retry-After; other tenants are not
 * affected; the bucket refills. */
static void test_e2e_admin_tenant_rate_limit_429(void **state)
{
    (void)state;
    const char *const args[] = {"--rate-limit-per-tenant", "2", "--rate-limit-burst", "4", NULL};
    struct e2e_server *s = NULL;
    assert_int_equal(e2e_setup(args, &s), 0);
    assert_int_equal(e2e_tenant_create(s, "quiet"), 0);
    char *quiet = e2e_token_create(s, "quiet", "quiet tenant", 1);
    assert_non_null(quiet);
    CURL *curl = curl_easy_init();
    int ok = 0;
    struct e2e_resp *limited = NULL;
    for (int i = 0; i < 12 && !limited; i++) {
        struct e2e_resp *r = e2e_http(
            s, &(struct e2e_req){.path = "/scim/v2/Users", .token = s->token, .curl = curl});
        if (r->status == 200) {
            ok++;
            e2e_resp_free(r);
        } else {
            limited = r;
        }
    }
    /* The burst of 4 (plus what refilled meanwhile) passes; then the tenant is refused. */
    assert_non_null(limited);
    assert_true(ok >= 4);
    assert_scim_error(limited, 429, NULL);
    const char *retry = e2e_header(limited, "Retry-After");
    assert_non_null(retry);
    assert_true(strtol(retry, NULL, 10) >= 1);
    e2e_resp_free(limited);
    /* Another tenant has its own bucket. */
    struct e2e_resp *r = e2e_get(s, quiet, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    /* One second later at least two more requests are allowed. */
    struct timespec pause = {1, 100000000};
    nanosleep(&pause, NULL);
    r = e2e_get(s, s->token, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    curl_easy_cleanup(curl);
    scim_free(quiet);
    assert_int_equal(e2e_teardown(s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_admin_create_returns_plaintext_once),
        cmocka_unit_test(test_e2e_admin_list_never_shows_plaintext),
        cmocka_unit_test(test_e2e_admin_revoke_then_401),
        cmocka_unit_test(test_e2e_admin_rotation_without_gap),
        cmocka_unit_test(test_e2e_admin_create_validation_400),
        cmocka_unit_test(test_e2e_admin_scope_matrix),
        cmocka_unit_test(test_e2e_admin_tenant_isolation),
        cmocka_unit_test(test_e2e_admin_failed_auth_limit_429),
        cmocka_unit_test(test_e2e_admin_failed_auth_limit_off),
        cmocka_unit_test(test_e2e_admin_tenant_rate_limit_429),
    };
    return cmocka_run_group_tests_name("e2e_admin", tests, group_setup, group_teardown);
}
