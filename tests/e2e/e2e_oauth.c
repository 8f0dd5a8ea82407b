/*
 * e2e_oauth — the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) of a real scimd, end to
 * end: a client from `scimctl client create`, POST /oauth/token with the credentials in the form
 * body or with HTTP Basic, the access token on /scim/v2/Users exactly like a static token (with
 * the client's scopes, audited as oauth-client:<id>), and every error of §5.2 as OAuth JSON:
 * wrong secret and unknown client (401 invalid_client with WWW-Authenticate), missing or other
 * grant types, wrong media type, repeated parameters, two authentication methods, a scope the
 * client lacks; an expired access token (401), a revoked client (its live tokens 401, the token
 * endpoint invalid_client); the lifetime option; ServiceProviderConfig advertising oauth2.
 * Expiry is simulated by rewriting expires_ms with a raw sqlite3 connection: test setup only.
 */
#include "harness.h"

#include "mem.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define FORM "application/x-www-form-urlencoded"

static struct e2e_server *srv;

static int group_setup(void **state)
{
    (void)state;
    return e2e_setup(NULL, &srv);
}

static int group_teardown(void **state)
{
    (void)state;
    return e2e_teardown(srv);
}

/* A client created with scimctl: id and secret (owned). */
struct client {
    char *id;
    char *secret;
};

static void client_clear(struct client *c)
{
    scim_free(c->id);
    scim_free(c->secret);
}

/* `scimctl client create --tenant T --description D [--scope S] --json`. */
static struct client client_create(struct e2e_server *s, const char *tenant, const char *scope)
{
    char *out = NULL;
    int status = scope
                     ? e2e_scimctl(s, &out, "client", "create", "--tenant", tenant, "--description",
                                   "Entra gallery", "--scope", scope, "--json", NULL)
                     : e2e_scimctl(s, &out, "client", "create", "--tenant", tenant, "--description",
                                   "Entra gallery", "--json", NULL);
    assert_int_equal(status, 0);
    json_t *doc = json_loads(out, 0, NULL);
    assert_non_null(doc);
    struct client c = {scim_strdup(json_string_value(json_object_get(doc, "client_id"))),
                       scim_strdup(json_string_value(json_object_get(doc, "client_secret")))};
    assert_int_equal(strncmp(c.id, "cli_", 4), 0);
    assert_int_equal(strlen(c.secret), 43);
    json_decref(doc);
    scim_free(out);
    return c;
}

/* POST /oauth/token with a form body (and extra header lines, NULL-terminated, or NULL). */
static struct e2e_resp *token_request(struct e2e_server *s, const char *body,
                                      const char *content_type, const char *const *headers)
{
    return e2e_http(s, &(struct e2e_req){.method = "POST",
                                         .path = "/oauth/token",
                                         .body = body,
                                         .content_type = content_type,
                                         .headers = headers});
}

/* The body-credentials form for c. */
static char *credentials_form(const struct client *c)
{
    return scim_asprintf("grant_type=client_credentials&client_id=%s&client_secret=%s", c->id,
                         c->secret);
}

/* Obtains an access token for c (asserting 200); new string. */
static char *access_token(struct e2e_server *s, const struct client *c)
{
    char *form = credentials_form(c);
    struct e2e_resp *r = token_request(s, form, FORM, NULL);
    assert_status(r, 200);
    char *token = scim_strdup(e2e_str(r->json, "access_token"));
    e2e_resp_free(r);
    scim_free(form);
    return token;
}

/* An RFC 6749 §5.2 error: status, JSON (not a SCIM Error) with this "error" code. */
static void assert_oauth_error(const struct e2e_resp *r, long status, const char *code)
{
    assert_status(r, status);
    const char *ct = e2e_header(r, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        e2e_fail(r, "an OAuth error is application/json");
    assert_json_str(r, "error", code);
    assert_json_absent(r, "schemas");
    if (status == 401) {
        const char *www = e2e_header(r, "WWW-Authenticate");
        if (!www || strncmp(www, "Basic", 5) != 0)
            e2e_fail(r, "a 401 invalid_client carries WWW-Authenticate: Basic");
    }
}

/* The HTTP Basic header line for id:secret. */
static char *basic_header(const char *id, const char *secret)
{
    char *pair = scim_asprintf("%s:%s", id, secret);
    size_t len = sodium_base64_ENCODED_LEN(strlen(pair), sodium_base64_VARIANT_ORIGINAL);
    char *b64 = scim_malloc(len);
    sodium_bin2base64(b64, len, (const unsigned char *)pair, strlen(pair),
                      sodium_base64_VARIANT_ORIGINAL);
    char *line = scim_asprintf("Authorization: Basic %s", b64);
    scim_free(b64);
    scim_free(pair);
    return line;
}

static void test_e2e_oauth_token_with_body_credentials(void **state)
{
    (void)state;
    struct client c = client_create(srv, "e2e", NULL);
    char *form = credentials_form(&c);
    struct e2e_resp *r = token_request(srv, form, FORM, NULL);
    assert_status(r, 200);
    assert_json_str(r, "token_type", "Bearer");
    assert_json_int(r, "expires_in", 3600);
    assert_json_str(r, "scope", "scim");
    assert_header(r, "Cache-Control", "no-store");
    assert_header(r, "Pragma", "no-cache");
    const char *ct = e2e_header(r, "Content-Type");
    assert_non_null(ct);
    assert_int_equal(strncmp(ct, "application/json", 16), 0);
    char *token = scim_strdup(e2e_str(r->json, "access_token"));
    e2e_resp_free(r);
    /* The access token works on SCIM like a static token. */
    r = e2e_get(srv, token, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    e2e_resp_free(e2e_create_user(srv, token, "oauth-made@example.com", NULL));
    /* It is not listed among the organisation's tokens, and neither secret is stored. */
    char *out = NULL;
    assert_int_equal(e2e_scimctl(srv, &out, "token", "list", "--json", NULL), 0);
    assert_null(strstr(out, c.id));
    scim_free(out);
    assert_false(e2e_database_contains(srv, token));
    assert_false(e2e_database_contains(srv, c.secret));
    scim_free(token);
    scim_free(form);
    client_clear(&c);
}

static void test_e2e_oauth_token_with_basic(void **state)
{
    (void)state;
    struct client c = client_create(srv, "e2e", NULL);
    char *line = basic_header(c.id, c.secret);
    const char *const headers[] = {line, NULL};
    struct e2e_resp *r = token_request(srv, "grant_type=client_credentials", FORM, headers);
    assert_status(r, 200);
    char *token = scim_strdup(e2e_str(r->json, "access_token"));
    e2e_resp_free(r);
    r = e2e_get(srv, token, "/scim/v2/Users?count=1");
    assert_status(r, 200);
    e2e_resp_free(r);
    /* A wrong secret over Basic: 401 invalid_client with WWW-Authenticate. */
    char *wrong = basic_header(c.id, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    const char *const wrong_headers[] = {wrong, NULL};
    r = token_request(srv, "grant_type=client_credentials", FORM, wrong_headers);
    assert_oauth_error(r, 401, "invalid_client");
    e2e_resp_free(r);
    /* Basic and a body secret at once: invalid_request (RFC 6749 §2.3). */
    char *both = scim_asprintf("grant_type=client_credentials&client_secret=%s", c.secret);
    r = token_request(srv, both, FORM, headers);
    assert_oauth_error(r, 400, "invalid_request");
    e2e_resp_free(r);
    scim_free(both);
    scim_free(wrong);
    scim_free(token);
    scim_free(line);
    client_clear(&c);
}

static void test_e2e_oauth_wrong_secret_and_unknown_client_401(void **state)
{
    (void)state;
    struct client c = client_create(srv, "e2e", NULL);
    char *form = scim_asprintf("grant_type=client_credentials&client_id=%s&client_secret=%s", c.id,
                               "wrong-secret");
    struct e2e_resp *r = token_request(srv, form, FORM, NULL);
    assert_oauth_error(r, 401, "invalid_client");
    assert_null(strstr(r->body, "wrong-secret"));
    e2e_resp_free(r);
    scim_free(form);
    form = scim_asprintf("grant_type=client_credentials&client_id=cli_nobody&client_secret=%s",
                         c.secret);
    r = token_request(srv, form, FORM, NULL);
    assert_oauth_error(r, 401, "invalid_client");
    e2e_resp_free(r);
    scim_free(form);
    /* No credentials at all. */
    r = token_request(srv, "grant_type=client_credentials", FORM, NULL);
    assert_oauth_error(r, 401, "invalid_client");
    e2e_resp_free(r);
    client_clear(&c);
}

static void test_e2e_oauth_request_errors_400(void **state)
{
    (void)state;
    struct client c = client_create(srv, "e2e", NULL);
    char *no_grant = scim_asprintf("client_id=%s&client_secret=%s", c.id, c.secret);
    struct e2e_resp *r = token_request(srv, no_grant, FORM, NULL);
    assert_oauth_error(r, 400, "invalid_request");
    e2e_resp_free(r);
    char *password =
        scim_asprintf("grant_type=password&client_id=%s&client_secret=%s", c.id, c.secret);
    r = token_request(srv, password, FORM, NULL);
    assert_oauth_error(r, 400, "unsupported_grant_type");
    e2e_resp_free(r);
    /* JSON instead of a form. */
    char *json =
        scim_asprintf("{\"grant_type\":\"client_credentials\",\"client_id\":\"%s\"}", c.id);
    r = token_request(srv, json, "application/json", NULL);
    assert_oauth_error(r, 400, "invalid_request");
    e2e_resp_free(r);
    /* A parameter twice (RFC 6749 §3.2). */
    char *twice = scim_asprintf("grant_type=client_credentials&grant_type=client_credentials&"
                                "client_id=%s&client_secret=%s",
                                c.id, c.secret);
    r = token_request(srv, twice, FORM, NULL);
    assert_oauth_error(r, 400, "invalid_request");
    e2e_resp_free(r);
    /* A scope the client was not granted. */
    char *scoped = scim_asprintf("grant_type=client_credentials&client_id=%s&client_secret=%s&"
                                 "scope=admin",
                                 c.id, c.secret);
    r = token_request(srv, scoped, FORM, NULL);
    assert_oauth_error(r, 400, "invalid_scope");
    e2e_resp_free(r);
    /* scim:read is part of scim: a client granted scim may ask for read-only access, and the
     * token it gets reads but cannot write. */
    char *read_only = scim_asprintf("grant_type=client_credentials&client_id=%s&client_secret=%s&"
                                    "scope=scim%%3Aread",
                                    c.id, c.secret);
    r = token_request(srv, read_only, FORM, NULL);
    assert_int_equal(r->status, 200);
    char *bearer = scim_strdup(e2e_str(r->json, "access_token"));
    e2e_resp_free(r);
    r = e2e_get(srv, bearer, "/scim/v2/Users?count=1");
    assert_status(r, 200);
    e2e_resp_free(r);
    r = e2e_send(srv, "POST", bearer,
                 "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                 "\"userName\":\"read-only-oauth@example.com\"}",
                 "%s", "/scim/v2/Users");
    assert_scim_error(r, 403, NULL);
    e2e_resp_free(r);
    scim_free(bearer);
    scim_free(read_only);
    /* GET is not the token endpoint's method: a SCIM 405 like any other route. */
    r = e2e_get(srv, NULL, "/oauth/token");
    assert_scim_error(r, 405, NULL);
    e2e_resp_free(r);
    scim_free(scoped);
    scim_free(twice);
    scim_free(json);
    scim_free(password);
    scim_free(no_grant);
    client_clear(&c);
}

static void test_e2e_oauth_expired_access_token_401(void **state)
{
    (void)state;
    struct client c = client_create(srv, "e2e", NULL);
    char *token = access_token(srv, &c);
    struct e2e_resp *r = e2e_get(srv, token, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    char *sql = scim_asprintf("UPDATE tokens SET expires_ms = "
                              "CAST(strftime('%%s','now') AS INTEGER) * 1000 - 1000 "
                              "WHERE client_id = '%s'",
                              c.id);
    assert_int_equal(e2e_sql_exec(srv, sql), 0);
    r = e2e_get(srv, token, "/scim/v2/Users");
    assert_scim_error(r, 401, NULL);
    e2e_resp_free(r);
    /* A fresh token from the same client works. */
    char *fresh = access_token(srv, &c);
    r = e2e_get(srv, fresh, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(fresh);
    scim_free(sql);
    scim_free(token);
    client_clear(&c);
}

static void test_e2e_oauth_revoked_client_401(void **state)
{
    (void)state;
    struct client c = client_create(srv, "e2e", NULL);
    char *one = access_token(srv, &c);
    char *two = access_token(srv, &c);
    struct e2e_resp *r = e2e_get(srv, one, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    assert_int_equal(e2e_scimctl(srv, NULL, "client", "revoke", c.id, NULL), 0);
    /* Every live access token of the client dies at once. */
    r = e2e_get(srv, one, "/scim/v2/Users");
    assert_scim_error(r, 401, NULL);
    e2e_resp_free(r);
    r = e2e_get(srv, two, "/scim/v2/Users");
    assert_scim_error(r, 401, NULL);
    e2e_resp_free(r);
    /* And the client gets no new one. */
    char *form = credentials_form(&c);
    r = token_request(srv, form, FORM, NULL);
    assert_oauth_error(r, 401, "invalid_client");
    e2e_resp_free(r);
    /* scimctl client list shows it revoked. */
    char *out = NULL;
    assert_int_equal(e2e_scimctl(srv, &out, "client", "list", "--json", NULL), 0);
    json_t *list = json_loads(out, 0, NULL);
    size_t i;
    json_t *item;
    bool seen = false;
    json_array_foreach (list, i, item) {
        if (strcmp(json_string_value(json_object_get(item, "id")), c.id) == 0) {
            seen = true;
            assert_true(json_is_string(json_object_get(item, "revoked_at")));
            assert_null(json_object_get(item, "secret_hash"));
        }
    }
    assert_true(seen);
    assert_null(strstr(out, c.secret));
    json_decref(list);
    scim_free(out);
    scim_free(form);
    scim_free(one);
    scim_free(two);
    client_clear(&c);
}

static void test_e2e_oauth_scopes_and_audit_actor(void **state)
{
    (void)state;
    struct client c = client_create(srv, "e2e", "scim:read");
    char *token = access_token(srv, &c);
    struct e2e_resp *r = e2e_get(srv, token, "/scim/v2/Users?count=1");
    assert_status(r, 200);
    e2e_resp_free(r);
    char *body =
        scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"ro@example.com\"}", E2E_USER_SCHEMA);
    r = e2e_send(srv, "POST", token, body, "/scim/v2/Users");
    assert_scim_error(r, 403, NULL);
    e2e_resp_free(r);
    /* The audit log names the client as the actor (the API writes queued rows first). */
    char *admin = NULL;
    assert_int_equal(e2e_scimctl(srv, &admin, "token", "create", "--tenant", "e2e", "--description",
                                 "oauth audit reader", "--expires-in-days", "1", "--scope", "admin",
                                 "--quiet", NULL),
                     0);
    admin[strcspn(admin, "\n")] = '\0';
    char *actor = scim_asprintf("oauth-client:%s", c.id);
    char *encoded = e2e_urlencode(actor);
    r = e2e_get(srv, admin, "/api/v1/audit?actor=%s", encoded);
    assert_status(r, 200);
    char *out = scim_strdup(r->body);
    e2e_resp_free(r);
    json_t *page = json_loads(out, 0, NULL);
    json_t *entries = json_object_get(page, "entries");
    /* Newest first: the refused POST, the GET, the token issuance. */
    assert_true(json_array_size(entries) >= 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(entries, 0), "status")),
                     403);
    size_t i;
    json_t *e;
    bool issued = false;
    json_array_foreach (entries, i, e) {
        const char *path = json_string_value(json_object_get(e, "path"));
        if (strcmp(path, "/oauth/token") == 0 &&
            json_integer_value(json_object_get(e, "status")) == 200)
            issued = true;
    }
    assert_true(issued);
    assert_null(strstr(out, token));
    json_decref(page);
    scim_free(out);
    scim_free(encoded);
    scim_free(admin);
    scim_free(actor);
    scim_free(body);
    scim_free(token);
    client_clear(&c);
}

static void test_e2e_oauth_service_provider_config(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/ServiceProviderConfig");
    assert_status(r, 200);
    json_t *schemes = json_object_get(r->json, "authenticationSchemes");
    size_t i;
    json_t *s;
    bool bearer = false, oauth2 = false;
    json_array_foreach (schemes, i, s) {
        const char *type = json_string_value(json_object_get(s, "type"));
        if (type && strcmp(type, "oauthbearertoken") == 0)
            bearer = true;
        if (type && strcmp(type, "oauth2") == 0) {
            oauth2 = true;
            const char *doc = json_string_value(json_object_get(s, "documentationUri"));
            assert_non_null(doc);
            size_t len = strlen(doc);
            assert_true(len > 12 && strcmp(doc + len - 12, "/oauth/token") == 0);
            assert_non_null(json_string_value(json_object_get(s, "specUri")));
        }
    }
    assert_true(bearer);
    assert_true(oauth2);
    e2e_resp_free(r);
}

/* --oauth-token-lifetime-minutes sets expires_in (60..360; outside, scimd refuses to start). */
static void test_e2e_oauth_lifetime_option(void **state)
{
    (void)state;
    const char *const args[] = {"--oauth-token-lifetime-minutes", "120", NULL};
    struct e2e_server *s = NULL;
    assert_int_equal(e2e_setup(args, &s), 0);
    struct client c = client_create(s, "e2e", NULL);
    char *form = credentials_form(&c);
    struct e2e_resp *r = token_request(s, form, FORM, NULL);
    assert_status(r, 200);
    assert_json_int(r, "expires_in", 7200);
    e2e_resp_free(r);
    scim_free(form);
    client_clear(&c);
    assert_int_equal(e2e_teardown(s), 0);
    const char *const bad[] = {"--oauth-token-lifetime-minutes", "30", NULL};
    s = NULL;
    assert_int_not_equal(e2e_server_start(bad, &s), 0);
    e2e_server_free(s);
}

/* An access token minted for a client is one the failed-auth limiter lets through from the
 * client's address: when the (shared) address is blocked before the token's first use, it is
 * still served, while tokens new to the address are 429. */
static void test_e2e_oauth_fresh_token_passes_blocked_address(void **state)
{
    (void)state;
    const char *const args[] = {"--auth-fail-limit", "3", NULL};
    struct e2e_server *s = NULL;
    assert_int_equal(e2e_setup(args, &s), 0);
    struct client c = client_create(s, "e2e", NULL);
    char *token = access_token(s, &c);
    for (int i = 0; i < 4; i++) {
        struct e2e_resp *r = e2e_get(s, "scim_nope", "/scim/v2/Users");
        e2e_resp_free(r);
    }
    struct e2e_resp *r = e2e_get(s, "scim_nope", "/scim/v2/Users");
    assert_int_equal(r->status, 429);
    e2e_resp_free(r);
    r = e2e_get(s, token, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(token);
    client_clear(&c);
    assert_int_equal(e2e_teardown(s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_oauth_token_with_body_credentials),
        cmocka_unit_test(test_e2e_oauth_token_with_basic),
        cmocka_unit_test(test_e2e_oauth_wrong_secret_and_unknown_client_401),
        cmocka_unit_test(test_e2e_oauth_request_errors_400),
        cmocka_unit_test(test_e2e_oauth_expired_access_token_401),
        cmocka_unit_test(test_e2e_oauth_revoked_client_401),
        cmocka_unit_test(test_e2e_oauth_scopes_and_audit_actor),
        cmocka_unit_test(test_e2e_oauth_service_provider_config),
        cmocka_unit_test(test_e2e_oauth_lifetime_option),
        cmocka_unit_test(test_e2e_oauth_fresh_token_passes_blocked_address),
    };
    return cmocka_run_group_tests_name("e2e_oauth", tests, group_setup, group_teardown);
}
