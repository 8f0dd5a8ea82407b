/*
 * e2e_auth — bearer authentication (RFC 6750, RFC 7644 §2) and tenant isolation of a real scimd:
 * missing, malformed, unknown, revoked and expired tokens are 401 with WWW-Authenticate and a
 * SCIM Error; scopes are enforced; two tenants never see each other's users; and secrets (token
 * plaintexts, user passwords) never reach the database file, scimctl's listing or the log.
 * Expiry is simulated by rewriting expires_ms with a raw sqlite3 connection: test setup only.
 */
#include "harness.h"

#include "mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

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

/* Asserts a 401 SCIM Error with a WWW-Authenticate header of the Bearer scheme. */
static void assert_unauthorized(const struct e2e_resp *r)
{
    assert_scim_error(r, 401, NULL);
    const char *www = e2e_header(r, "WWW-Authenticate");
    if (!www || strncmp(www, "Bearer", 6) != 0)
        e2e_fail(r, "a 401 must carry WWW-Authenticate: Bearer ... (RFC 6750 §3)");
}

/* GET /scim/v2/Users with a literal Authorization header line (or none when NULL). */
static struct e2e_resp *get_users_with_header(const char *authorization)
{
    const char *const headers[] = {authorization, NULL};
    return e2e_http(srv, &(struct e2e_req){.path = "/scim/v2/Users?count=1",
                                           .headers = authorization ? headers : NULL});
}

/* Writes "scim_" and 43 characters: 42 times fill, then last. */
static void well_formed(char *buf, size_t size, char fill, char last)
{
    char secret[44];
    memset(secret, fill, 42);
    secret[42] = last;
    secret[43] = '\0';
    snprintf(buf, size, "scim_%s", secret);
}

static void test_e2e_missing_authorization_401(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, NULL, "/scim/v2/Users");
    assert_unauthorized(r);
    e2e_resp_free(r);
    char *body =
        scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"anon@example.com\"}", E2E_USER_SCHEMA);
    r = e2e_send(srv, "POST", NULL, body, "/scim/v2/Users");
    assert_unauthorized(r);
    e2e_resp_free(r);
    scim_free(body);
    r = e2e_filter_users(srv, srv->token, "userName eq \"anon@example.com\"");
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
}

static void test_e2e_lowercase_bearer_scheme_accepted(void **state)
{
    (void)state;
    char *line = scim_asprintf("Authorization: bearer %s", srv->token);
    struct e2e_resp *r = get_users_with_header(line);
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(line);
    line = scim_asprintf("Authorization: BEARER %s", srv->token);
    r = get_users_with_header(line);
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(line);
}

/* okta.token-without-bearer: Okta's "HTTP Header" authentication sends the value as typed, often
 * the token alone. It is served and the access line names the rule; an unknown one is a 401. */
static void test_e2e_token_without_bearer_scheme(void **state)
{
    (void)state;
    char *line = scim_asprintf("Authorization: %s", srv->token);
    struct e2e_resp *r = get_users_with_header(line);
    scim_free(line);
    assert_status(r, 200);
    const char *rid = e2e_header(r, "X-Request-Id");
    assert_non_null(rid);
    /* The access line is written once the response has gone: wait for it. */
    char *needle = scim_asprintf("request_id=%s method=", rid);
    bool named = false;
    for (int waited = 0; !named && waited <= 5000; waited += 20) {
        char *log = e2e_server_read_log(srv);
        const char *at = strstr(log, needle);
        const char *eol = at ? strchr(at, '\n') : NULL;
        const char *rule = at ? strstr(at, " dialect=okta.token-without-bearer") : NULL;
        named = rule && eol && rule < eol;
        scim_free(log);
        if (!named)
            nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
    if (!named)
        e2e_fail(r, "the access line must name okta.token-without-bearer");
    scim_free(needle);
    e2e_resp_free(r);
    char unknown[96];
    well_formed(unknown + 15, sizeof(unknown) - 15, 'B', 'A');
    memcpy(unknown, "Authorization: ", 15);
    r = get_users_with_header(unknown);
    assert_unauthorized(r);
    e2e_resp_free(r);
}

static void test_e2e_malformed_token_401(void **state)
{
    (void)state;
    char bad_char[96], too_long[96];
    well_formed(bad_char + 22, sizeof(bad_char) - 22, 'A', '!');
    memcpy(bad_char, "Authorization: Bearer ", 22);
    well_formed(too_long + 22, sizeof(too_long) - 23, 'A', 'A');
    memcpy(too_long, "Authorization: Bearer ", 22);
    size_t n = strlen(too_long);
    too_long[n] = 'A';
    too_long[n + 1] = '\0';
    const char *const lines[] = {
        "Authorization: Bearer not-a-token",
        "Authorization: Bearer ",
        "Authorization: Bearer scim_tooshort",
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "Authorization: Token abc",
        bad_char,
        too_long,
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct e2e_resp *r = get_users_with_header(lines[i]);
        assert_unauthorized(r);
        e2e_resp_free(r);
    }
    /* The token of the default tenant with one character changed is well-formed but unknown. */
    char *tampered = scim_strdup(srv->token);
    size_t last = strlen(tampered) - 1;
    tampered[last] = tampered[last] == 'A' ? 'B' : 'A';
    struct e2e_resp *r = e2e_get(srv, tampered, "/scim/v2/Users");
    assert_unauthorized(r);
    e2e_resp_free(r);
    scim_free(tampered);
}

static void test_e2e_unknown_well_formed_token_401(void **state)
{
    (void)state;
    /* "<prefix>_<43 base64url characters>", the shape scimctl mints, but never minted. */
    char token[64];
    well_formed(token, sizeof(token), 'Q', 'w');
    struct e2e_resp *r = e2e_get(srv, token, "/scim/v2/Users");
    assert_unauthorized(r);
    e2e_resp_free(r);
}

static void test_e2e_revoked_token_401_on_next_request(void **state)
{
    (void)state;
    char *token = e2e_token_create(srv, "e2e", "to be revoked", 1);
    assert_non_null(token);
    struct e2e_resp *r = e2e_get(srv, token, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    char *id = e2e_token_id(srv, "to be revoked");
    assert_non_null(id);
    assert_int_equal(e2e_scimctl(srv, NULL, "token", "revoke", id, NULL), 0);
    r = e2e_get(srv, token, "/scim/v2/Users");
    assert_unauthorized(r);
    e2e_resp_free(r);
    /* Other tokens of the tenant are untouched. */
    r = e2e_get(srv, srv->token, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(id);
    scim_free(token);
}

static void test_e2e_expired_token_401(void **state)
{
    (void)state;
    char *token = e2e_token_create(srv, "e2e", "to expire", 1);
    assert_non_null(token);
    struct e2e_resp *r = e2e_get(srv, token, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    char *id = e2e_token_id(srv, "to expire");
    assert_non_null(id);
    char *sql = scim_asprintf("UPDATE tokens SET expires_ms = "
                              "CAST(strftime('%%s','now') AS INTEGER) * 1000 - 60000 "
                              "WHERE id = '%s'",
                              id);
    assert_int_equal(e2e_sql_exec(srv, sql), 0);
    r = e2e_get(srv, token, "/scim/v2/Users");
    assert_unauthorized(r);
    e2e_resp_free(r);
    scim_free(sql);
    scim_free(id);
    scim_free(token);
}

static void test_e2e_read_scope_cannot_write(void **state)
{
    (void)state;
    char *out = NULL;
    int status =
        e2e_scimctl(srv, &out, "token", "create", "--tenant", "e2e", "--description", "read only",
                    "--expires-in-days", "1", "--scope", "scim:read", "--quiet", NULL);
    assert_int_equal(status, 0);
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    struct e2e_resp *r = e2e_get(srv, out, "/scim/v2/Users");
    assert_status(r, 200);
    e2e_resp_free(r);
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"reader@example.com\"}",
                               E2E_USER_SCHEMA);
    r = e2e_send(srv, "POST", out, body, "/scim/v2/Users");
    assert_scim_error(r, 403, NULL);
    e2e_resp_free(r);
    scim_free(body);
    scim_free(out);
}

static void test_e2e_tenants_are_isolated(void **state)
{
    (void)state;
    assert_int_equal(e2e_tenant_create(srv, "acme"), 0);
    assert_int_equal(e2e_tenant_create(srv, "globex"), 0);
    char *a = e2e_token_create(srv, "acme", "acme okta", 1);
    char *b = e2e_token_create(srv, "globex", "globex entra", 1);
    assert_non_null(a);
    assert_non_null(b);

    /* The same userName may exist once per tenant. */
    struct e2e_resp *ra = e2e_create_user(srv, a, "shared@example.com", "{\"title\":\"acme\"}");
    struct e2e_resp *rb = e2e_create_user(srv, b, "shared@example.com", "{\"title\":\"globex\"}");
    char id_a[64], id_b[64];
    snprintf(id_a, sizeof(id_a), "%s", e2e_str(ra->json, "id"));
    snprintf(id_b, sizeof(id_b), "%s", e2e_str(rb->json, "id"));
    e2e_resp_free(ra);
    e2e_resp_free(rb);
    assert_true(strcmp(id_a, id_b) != 0);

    /* Tenant B cannot read, change or delete tenant A's user. */
    struct e2e_resp *r = e2e_get(srv, b, "/scim/v2/Users/%s", id_a);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    char *put = scim_asprintf(
        "{\"schemas\":[\"%s\"],\"userName\":\"shared@example.com\",\"title\":\"stolen\"}",
        E2E_USER_SCHEMA);
    r = e2e_send(srv, "PUT", b, put, "/scim/v2/Users/%s", id_a);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    char *ops = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"replace\","
                              "\"path\":\"title\",\"value\":\"stolen\"}]}",
                              E2E_PATCH_SCHEMA);
    r = e2e_send(srv, "PATCH", b, ops, "/scim/v2/Users/%s", id_a);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", b, NULL, "/scim/v2/Users/%s", id_a);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);

    /* B's lists show only B's user, filtered or not. */
    r = e2e_filter_users(srv, b, "userName eq \"shared@example.com\"");
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 1);
    assert_json_str(r, "Resources[0].id", id_b);
    e2e_resp_free(r);
    char filter[128];
    snprintf(filter, sizeof(filter), "id eq \"%s\"", id_a);
    r = e2e_filter_users(srv, b, filter);
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
    r = e2e_filter_users(srv, b, "title eq \"acme\"");
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
    r = e2e_get(srv, b, "/scim/v2/Users");
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 1);
    assert_null(strstr(r->body, id_a));
    e2e_resp_free(r);

    /* A's user is intact. */
    r = e2e_get(srv, a, "/scim/v2/Users/%s", id_a);
    assert_status(r, 200);
    assert_json_str(r, "title", "acme");
    e2e_resp_free(r);
    scim_free(ops);
    scim_free(put);
    scim_free(b);
    scim_free(a);
}

static void test_e2e_token_list_never_shows_plaintext(void **state)
{
    (void)state;
    char *token = e2e_token_create(srv, "e2e", "listing check", 1);
    assert_non_null(token);
    /* The secret part: everything after the prefix's '_'. */
    const char *secret = strchr(token, '_');
    assert_non_null(secret);
    secret++;
    static const char *const variants[][3] = {{"token", "list", NULL}, {"token", "list", "--json"}};
    for (size_t i = 0; i < 2; i++) {
        char *out = NULL;
        int status = variants[i][2] ? e2e_scimctl(srv, &out, variants[i][0], variants[i][1],
                                                  variants[i][2], NULL)
                                    : e2e_scimctl(srv, &out, variants[i][0], variants[i][1], NULL);
        assert_int_equal(status, 0);
        assert_non_null(strstr(out, "listing check"));
        assert_null(strstr(out, token));
        assert_null(strstr(out, secret));
        assert_null(strstr(out, srv->token));
        scim_free(out);
    }
    scim_free(token);
}

static void test_e2e_database_and_log_hold_no_secrets(void **state)
{
    (void)state;
    static const char password[] = "Pw-e2e-8f3c1d9a-never-stored";
    char *extra = scim_asprintf("{\"password\":\"%s\"}", password);
    struct e2e_resp *r = e2e_create_user(srv, srv->token, "secretive@example.com", extra);
    e2e_resp_free(r);
    scim_free(extra);
    /* Change it once more through PATCH so both write paths are covered. */
    struct e2e_resp *found =
        e2e_filter_users(srv, srv->token, "userName eq \"secretive@example.com\"");
    const char *id = e2e_str(found->json, "Resources[0].id");
    assert_non_null(id);
    char *ops = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"replace\","
                              "\"path\":\"password\",\"value\":\"%s-2\"}]}",
                              E2E_PATCH_SCHEMA, password);
    r = e2e_send(srv, "PATCH", srv->token, ops, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    e2e_resp_free(r);
    e2e_resp_free(found);
    scim_free(ops);

    const char *secret = strchr(srv->token, '_') + 1;
    assert_false(e2e_database_contains(srv, srv->token));
    assert_false(e2e_database_contains(srv, secret));
    assert_false(e2e_database_contains(srv, password));
    char *log = e2e_server_read_log(srv);
    assert_null(strstr(log, secret));
    assert_null(strstr(log, password));
    scim_free(log);
    /* The hash of the password is kept, so the user row does exist with a hash. */
    char *sql = scim_asprintf("SELECT password_hash FROM resources WHERE user_name_ci = "
                              "'secretive@example.com' AND deleted_ms IS NULL");
    char *hash = e2e_sql_text(srv, sql);
    assert_non_null(hash);
    assert_non_null(strstr(hash, "$argon2id$"));
    scim_free(hash);
    scim_free(sql);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_missing_authorization_401),
        cmocka_unit_test(test_e2e_lowercase_bearer_scheme_accepted),
        cmocka_unit_test(test_e2e_token_without_bearer_scheme),
        cmocka_unit_test(test_e2e_malformed_token_401),
        cmocka_unit_test(test_e2e_unknown_well_formed_token_401),
        cmocka_unit_test(test_e2e_revoked_token_401_on_next_request),
        cmocka_unit_test(test_e2e_expired_token_401),
        cmocka_unit_test(test_e2e_read_scope_cannot_write),
        cmocka_unit_test(test_e2e_tenants_are_isolated),
        cmocka_unit_test(test_e2e_token_list_never_shows_plaintext),
        cmocka_unit_test(test_e2e_database_and_log_hold_no_secrets),
    };
    return cmocka_run_group_tests_name("e2e_auth", tests, group_setup, group_teardown);
}
