/*
 * e2e_patch — PATCH (RFC 7644 §3.5.2) and PUT (§3.5.1) of a real scimd over HTTP the way identity
 * providers send them: every IdP dialect quirk with the body the IdP is documented to send
 * (Microsoft's Entra ID SCIM documentation, Okta's, and reports of what Entra ID sent), the rule
 * names in scimd's access log line, versions and preconditions (§3.14: ETag, If-Match,
 * If-None-Match), atomicity of a request's operations, deactivation, and two concurrent writers
 * that must not lose an update.
 * Owns: nothing but these cases. Must not: reach into the database except to read it.
 */
#include "harness.h"

#include "mem.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define MANAGER_PATH "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
#define MANAGER_AT E2E_ENTERPRISE_SCHEMA ".manager.value"

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

/* A created user's id and ETag. */
struct user {
    char id[64];
    char etag[64];
};

/* Creates a user (asserting 201) and records its id and ETag. */
static void create(const char *user_name, const char *extra, struct user *u)
{
    struct e2e_resp *r = e2e_create_user(srv, srv->token, user_name, extra);
    const char *id = e2e_str(r->json, "id");
    const char *etag = e2e_header(r, "ETag");
    if (!id || !etag)
        e2e_fail(r, "a created user has an id and an ETag");
    snprintf(u->id, sizeof(u->id), "%s", id);
    snprintf(u->etag, sizeof(u->etag), "%s", etag);
    e2e_resp_free(r);
}

/* PATCH /Users/id with body as it is (an IdP's exact request) and optional extra headers. */
static struct e2e_resp *patch_raw(const char *id, const char *body, const char *const *headers)
{
    char *path = scim_asprintf("/scim/v2/Users/%s", id);
    struct e2e_resp *r = e2e_http(srv, &(struct e2e_req){.method = "PATCH",
                                                         .path = path,
                                                         .token = srv->token,
                                                         .body = body,
                                                         .headers = headers});
    scim_free(path);
    return r;
}

/* PATCH /Users/id with a PatchOp whose Operations are ops (a JSON array text). */
static struct e2e_resp *patch(const char *id, const char *ops, const char *const *headers)
{
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":%s}", E2E_PATCH_SCHEMA, ops);
    struct e2e_resp *r = patch_raw(id, body, headers);
    scim_free(body);
    return r;
}

/* PUT /Users/id with body and optional extra headers. */
static struct e2e_resp *put(const char *id, const char *body, const char *const *headers)
{
    char *path = scim_asprintf("/scim/v2/Users/%s", id);
    struct e2e_resp *r = e2e_http(
        srv,
        &(struct e2e_req){
            .method = "PUT", .path = path, .token = srv->token, .body = body, .headers = headers});
    scim_free(path);
    return r;
}

static struct e2e_resp *get_user(const char *id)
{
    return e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/*
 * The line of scimd's log that contains needle, waiting up to 5 s for it (the access log line is
 * written when libmicrohttpd completes the request, just after the client has the response).
 * Returns a new string (the line without its newline) for scim_free, or NULL.
 */
static char *log_line_with(const char *needle)
{
    for (int waited = 0; waited <= 5000; waited += 20) {
        char *log = e2e_server_read_log(srv);
        const char *hit = strstr(log, needle);
        if (hit) {
            const char *start = hit;
            const char *end = strchr(hit, '\n');
            while (start > log && start[-1] != '\n')
                start--;
            char *line = scim_strndup(start, end ? (size_t)(end - start) : strlen(start));
            scim_free(log);
            return line;
        }
        scim_free(log);
        sleep_ms(20);
    }
    return NULL;
}

/* The access log line of the request that produced r, found by its X-Request-Id. */
static char *access_line(const struct e2e_resp *r)
{
    const char *rid = e2e_header(r, "X-Request-Id");
    if (!rid)
        e2e_fail(r, "every response carries X-Request-Id");
    char *needle = scim_asprintf("request_id=%s method=", rid);
    char *line = log_line_with(needle);
    scim_free(needle);
    if (!line)
        e2e_fail(r, "no access log line for request %s", rid);
    return line;
}

/* The access log line of r ends with " dialect=<rules>" (rules NULL: has no dialect field), and
 * carries the latency. */
static void assert_dialect_logged(const struct e2e_resp *r, const char *rules)
{
    char *line = access_line(r);
    /* The latency is milliseconds with three decimals: " latency_ms=<digits>.<3 digits>". */
    const char *latency = strstr(line, " latency_ms=");
    size_t whole = latency ? strspn(latency + 12, "0123456789") : 0;
    if (!latency || whole == 0 || latency[12 + whole] != '.' ||
        strspn(latency + 13 + whole, "0123456789") != 3)
        e2e_fail(r, "no latency_ms=<ms>.<3 digits> in: %s", line);
    const char *field = strstr(line, " dialect=");
    if (!rules) {
        if (field)
            e2e_fail(r, "unexpected dialect field in: %s", line);
    } else {
        char *want = scim_asprintf(" dialect=%s", rules);
        size_t len = strlen(line), wlen = strlen(want);
        if (len < wlen || strcmp(line + len - wlen, want) != 0)
            e2e_fail(r, "the access log line should end with \"%s\": %s", want, line);
        scim_free(want);
    }
    scim_free(line);
}

/* scimd logged "user deactivated tenant=e2e id=<id>" (once the request is complete). */
static void assert_deactivation_logged(const char *id)
{
    char *needle = scim_asprintf("user deactivated tenant=%s id=%s ", srv->tenant, id);
    char *line = log_line_with(needle);
    if (!line)
        e2e_fail(NULL, "scimd did not log \"%s\"", needle);
    scim_free(line);
    scim_free(needle);
}

/* ---- Microsoft Entra ID ---- */

/* "Requests made to disable users" without the aadOptscim062020 flag: a capitalised op and the
 * boolean as the string "False". The user stays, inactive. */
static void test_e2e_patch_entra_disable_string_false(void **state)
{
    (void)state;
    struct user u;
    create("entra-disable@example.com", "{\"active\":true}", &u);
    struct e2e_resp *r = patch_raw(
        u.id,
        "{\n    \"schemas\": [\n        \"urn:ietf:params:scim:api:messages:2.0:PatchOp\"\n"
        "    ],\n    \"Operations\": [\n        {\n            \"op\": \"Replace\",\n"
        "            \"path\": \"active\",\n            \"value\": \"False\"\n"
        "        }\n    ]\n}",
        NULL);
    assert_status(r, 200);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    assert_dialect_logged(r, "entra.capitalised-op,entra.string-boolean");
    e2e_resp_free(r);
    assert_deactivation_logged(u.id);

    r = get_user(u.id);
    assert_status(r, 200);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    e2e_resp_free(r);
    r = e2e_filter_users(srv, srv->token, "userName eq \"entra-disable@example.com\"");
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 1);
    assert_true(json_is_false(e2e_json_at(r->json, "Resources[0].active")));
    e2e_resp_free(r);

    /* Reactivation the same way. */
    r = patch_raw(u.id,
                  "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                  "\"Operations\":[{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"True\"}]}",
                  NULL);
    assert_status(r, 200);
    assert_true(json_is_true(e2e_json_at(r->json, "active")));
    e2e_resp_free(r);
}

/* "Requests to replace multiple attributes" without the flag: capitalised ops, a filtered path,
 * sub-attributes, externalId and a URN-qualified extension attribute. */
static void test_e2e_patch_entra_replace_multiple_without_flag(void **state)
{
    (void)state;
    struct user u;
    create("entra-multi@example.com",
           "{\"displayName\":\"Old\",\"name\":{\"givenName\":\"G\",\"familyName\":\"F\"},"
           "\"emails\":[{\"value\":\"old@example.com\",\"type\":\"work\",\"primary\":true}]}",
           &u);
    struct e2e_resp *r = patch_raw(
        u.id,
        "{\n    \"schemas\": [\n        \"urn:ietf:params:scim:api:messages:2.0:PatchOp\"\n    ],\n"
        "    \"Operations\": [\n"
        "        {\n            \"op\": \"Replace\",\n            \"path\": \"displayName\",\n"
        "            \"value\": \"Pvlo\"\n        },\n"
        "        {\n            \"op\": \"Replace\",\n"
        "            \"path\": \"emails[type eq \\\"work\\\"].value\",\n"
        "            \"value\": \"TestBcwqnm@test.microsoft.com\"\n        },\n"
        "        {\n            \"op\": \"Replace\",\n            \"path\": \"name.givenName\",\n"
        "            \"value\": \"Gtfd\"\n        },\n"
        "        {\n            \"op\": \"Replace\",\n            \"path\": \"name.familyName\",\n"
        "            \"value\": \"Pkqf\"\n        },\n"
        "        {\n            \"op\": \"Replace\",\n            \"path\": \"externalId\",\n"
        "            \"value\": \"Eqpj\"\n        },\n"
        "        {\n            \"op\": \"Replace\",\n            \"path\": "
        "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber\",\n"
        "            \"value\": \"Eqpj\"\n        }\n    ]\n}",
        NULL);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "Pvlo");
    assert_json_str(r, "emails[0].value", "TestBcwqnm@test.microsoft.com");
    assert_json_str(r, "emails[0].type", "work");
    assert_json_str(r, "name.givenName", "Gtfd");
    assert_json_str(r, "name.familyName", "Pkqf");
    assert_json_str(r, "externalId", "Eqpj");
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".employeeNumber", "Eqpj");
    assert_dialect_logged(r, "entra.capitalised-op");
    e2e_resp_free(r);
}

/* The same with the flag: a no-path replace whose value has dotted and URN-qualified keys. */
static void test_e2e_patch_entra_dotted_and_urn_keys(void **state)
{
    (void)state;
    struct user u;
    create("entra-dotted@example.com",
           "{\"name\":{\"givenName\":\"G\",\"familyName\":\"F\"},"
           "\"emails\":[{\"value\":\"old@example.com\",\"type\":\"work\"}]}",
           &u);
    struct e2e_resp *r = patch_raw(
        u.id,
        "{\n    \"schemas\": [\n        \"urn:ietf:params:scim:api:messages:2.0:PatchOp\"\n    ],\n"
        "    \"Operations\": [\n        {\n            \"op\": \"replace\",\n"
        "            \"path\": \"emails[type eq \\\"work\\\"].value\",\n"
        "            \"value\": \"TestMhvaes@test.microsoft.com\"\n        },\n"
        "        {\n            \"op\": \"replace\",\n            \"value\": {\n"
        "                \"displayName\": \"Bjfe\",\n"
        "                \"name.givenName\": \"Kkom\",\n"
        "                \"name.familyName\": \"Unua\",\n"
        "                \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:"
        "employeeNumber\": \"Aklq\"\n            }\n        }\n    ]\n}",
        NULL);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "Bjfe");
    assert_json_str(r, "name.givenName", "Kkom");
    assert_json_str(r, "name.familyName", "Unua");
    assert_json_str(r, "emails[0].value", "TestMhvaes@test.microsoft.com");
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".employeeNumber", "Aklq");
    assert_dialect_logged(r, "entra.dotted-key,entra.urn-key");
    e2e_resp_free(r);
    r = get_user(u.id);
    assert_json_str(r, "name.givenName", "Kkom");
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".employeeNumber", "Aklq");
    e2e_resp_free(r);
}

/* The manager set as a plain id string at its URN path, changed as {"value": id} under a URN
 * key of a no-path value, set as a string under that key, then removed by path and by a value
 * filter. */
static void test_e2e_patch_entra_manager(void **state)
{
    (void)state;
    struct user boss, boss2, u;
    create("entra-boss@example.com", NULL, &boss);
    create("entra-boss2@example.com", NULL, &boss2);
    create("entra-report@example.com", NULL, &u);

    char *body = scim_asprintf(
        "{\n  \"schemas\": [\n    \"urn:ietf:params:scim:api:messages:2.0:PatchOp\"\n  ],\n"
        "  \"Operations\": [\n    {\n      \"op\": \"add\",\n"
        "      \"path\": \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager\",\n"
        "      \"value\": \"%s\"\n    }\n  ]\n}",
        boss.id);
    struct e2e_resp *r = patch_raw(u.id, body, NULL);
    scim_free(body);
    assert_status(r, 200);
    assert_json_str(r, MANAGER_AT, boss.id);
    assert_dialect_logged(r, "entra.manager-string");
    e2e_resp_free(r);

    body = scim_asprintf(
        "[{\"op\":\"Replace\",\"value\":{\"" MANAGER_PATH "\":{\"value\":\"%s\"}}}]", boss2.id);
    r = patch(u.id, body, NULL);
    scim_free(body);
    assert_status(r, 200);
    assert_json_str(r, MANAGER_AT, boss2.id);
    assert_dialect_logged(r, "entra.capitalised-op,entra.urn-key");
    e2e_resp_free(r);

    body = scim_asprintf("[{\"op\":\"Replace\",\"value\":{\"" MANAGER_PATH "\":\"%s\"}}]", boss.id);
    r = patch(u.id, body, NULL);
    scim_free(body);
    assert_status(r, 200);
    assert_json_str(r, MANAGER_AT, boss.id);
    assert_dialect_logged(r, "entra.capitalised-op,entra.urn-key,entra.manager-string");
    e2e_resp_free(r);

    r = patch(u.id, "[{\"op\":\"Remove\",\"path\":\"" MANAGER_PATH "\"}]", NULL);
    assert_status(r, 200);
    assert_json_absent(r, E2E_ENTERPRISE_SCHEMA ".manager");
    e2e_resp_free(r);
    r = get_user(u.id);
    assert_json_absent(r, E2E_ENTERPRISE_SCHEMA ".manager");
    e2e_resp_free(r);

    /* Set again, then removed with a value filter on the singular attribute. */
    body = scim_asprintf("[{\"op\":\"add\",\"path\":\"" MANAGER_PATH "\",\"value\":\"%s\"}]",
                         boss2.id);
    r = patch(u.id, body, NULL);
    scim_free(body);
    assert_status(r, 200);
    e2e_resp_free(r);
    body =
        scim_asprintf("[{\"op\":\"remove\",\"path\":\"manager[value eq \\\"%s\\\"]\"}]", boss.id);
    r = patch(u.id, body, NULL);
    scim_free(body);
    assert_scim_error(r, 400, "noTarget");
    e2e_resp_free(r);
    body =
        scim_asprintf("[{\"op\":\"remove\",\"path\":\"manager[value eq \\\"%s\\\"]\"}]", boss2.id);
    r = patch(u.id, body, NULL);
    scim_free(body);
    assert_status(r, 200);
    assert_json_absent(r, E2E_ENTERPRISE_SCHEMA ".manager");
    assert_dialect_logged(r, "entra.singular-value-filter");
    e2e_resp_free(r);
}

/* The tutorial's "Example 5" (a manager as a list of one with $ref) and "Example 4" (the manager
 * checked with a filter on the complex attribute itself). */
static void test_e2e_patch_entra_manager_list_and_filter(void **state)
{
    (void)state;
    struct user boss, u;
    create("entra-ex5-boss@example.com", NULL, &boss);
    create("entra-ex5@example.com", NULL, &u);
    char *body = scim_asprintf(
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{"
        "\"op\":\"Add\",\"path\":\"manager\",\"value\":[{\"$ref\":"
        "\"http://example.com/scim/Users/%s\",\"value\":\"%s\"}]}]}",
        boss.id, boss.id);
    struct e2e_resp *r = patch_raw(u.id, body, NULL);
    scim_free(body);
    assert_status(r, 200);
    assert_json_str(r, MANAGER_AT, boss.id);
    assert_dialect_logged(r, "entra.capitalised-op,entra.singular-array");
    e2e_resp_free(r);

    char *filter = scim_asprintf("id eq \"%s\" and manager eq \"%s\"", u.id, boss.id);
    r = e2e_filter_users(srv, srv->token, filter);
    scim_free(filter);
    assert_status(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "totalResults")), 1);
    assert_json_str(r, "Resources[0].id", u.id);
    e2e_resp_free(r);
    filter = scim_asprintf("id eq \"%s\" and manager eq \"%s\"", u.id, u.id);
    r = e2e_filter_users(srv, srv->token, filter);
    scim_free(filter);
    assert_status(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "totalResults")), 0);
    e2e_resp_free(r);
}

/* App roles ("Customize attribute mappings", SingleAppRoleAssignment): Entra ID writes
 * roles[primary eq "True"].value, a string where the filter grammar wants a boolean. */
static void test_e2e_patch_entra_app_role(void **state)
{
    (void)state;
    struct user u;
    create("entra-approle@example.com",
           "{\"emails\":[{\"value\":\"approle@example.com\",\"primary\":true}]}", &u);
    struct e2e_resp *r = patch_raw(
        u.id,
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{"
        "\"op\":\"Add\",\"path\":\"roles[primary eq \\\"True\\\"].value\",\"value\":\"User\"}]}",
        NULL);
    assert_status(r, 200);
    assert_dialect_logged(
        r, "entra.capitalised-op,entra.string-boolean,entra.add-absent-filter-element");
    e2e_resp_free(r);
    r = patch_raw(
        u.id,
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{"
        "\"op\":\"Replace\",\"path\":\"roles[primary eq \\\"True\\\"].value\","
        "\"value\":\"Admin\"}]}",
        NULL);
    assert_status(r, 200);
    assert_dialect_logged(r, "entra.capitalised-op,entra.string-boolean");
    /* The IdP's role first, then the default role every user has (roles.h). */
    assert_json_str(r, "roles[0].value", "Admin");
    assert_true(json_is_true(e2e_json_at(r->json, "roles[0].primary")));
    e2e_resp_free(r);
    /* The same string boolean in a query filter. */
    char *filter = scim_asprintf("id eq \"%s\" and emails[primary eq \"True\"]", u.id);
    r = e2e_filter_users(srv, srv->token, filter);
    scim_free(filter);
    assert_status(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "totalResults")), 1);
    assert_dialect_logged(r, "entra.string-boolean");
    e2e_resp_free(r);
}

/* "Replace" (Entra ID's spelling) of a filtered element the user does not have adds it; the
 * RFC's lower-case replace keeps 400 noTarget (test_e2e_patch_entra_add_absent_filter_element). */
static void test_e2e_patch_entra_replace_absent_filter_element(void **state)
{
    (void)state;
    struct user u;
    create("entra-replace-absent@example.com", NULL, &u);
    struct e2e_resp *r = patch_raw(
        u.id,
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[{"
        "\"op\":\"Replace\",\"path\":\"emails[type eq \\\"work\\\"].value\","
        "\"value\":\"kkom@contoso.example\"}]}",
        NULL);
    assert_status(r, 200);
    assert_json_str(r, "emails[0].value", "kkom@contoso.example");
    assert_json_str(r, "emails[0].type", "work");
    assert_dialect_logged(r, "entra.capitalised-op,entra.replace-absent-filter-element");
    e2e_resp_free(r);
}

/* The line of r's request ends with ` ignored="<names>"`. */
static void assert_ignored_logged(const struct e2e_resp *r, const char *names)
{
    char *line = access_line(r);
    char *want = scim_asprintf(" ignored=\"%s\"", names);
    const char *at = strstr(line, want);
    if (!at || at[strlen(want)] != '\0')
        e2e_fail(r, "the access line must end with%s: %s", want, line);
    scim_free(want);
    scim_free(line);
}

#define CUSTOM_NS "urn:ietf:params:scim:schemas:extension:CustomApp:2.0:User"

/* Okta pushes custom attributes under the namespace its admin typed; OneLogin templates carry
 * extras. Refused by default (400 naming them); with the tenant's unknown_attributes=ignore they
 * are dropped, the rest is written, and the access line names what was dropped. */
static void test_e2e_unknown_attributes_setting(void **state)
{
    (void)state;
    const char *create_body =
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\",\"" CUSTOM_NS "\"],"
        "\"userName\":\"okta-custom@example.com\",\"active\":true,\"employeeId\":\"7\","
        "\"name\":{\"givenName\":\"Oka\",\"familyName\":\"Custom\"},"
        "\"" CUSTOM_NS "\":{\"costCode\":\"X1\"}}";
    struct e2e_resp *r = e2e_send(srv, "POST", srv->token, create_body, "/scim/v2/Users");
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);

    assert_int_equal(
        e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "unknown_attributes=ignore", NULL), 0);
    r = e2e_send(srv, "POST", srv->token, create_body, "/scim/v2/Users");
    assert_status(r, 201);
    assert_json_str(r, "name.givenName", "Oka");
    assert_json_absent(r, "employeeId");
    assert_json_absent(r, CUSTOM_NS);
    assert_json_absent(r, "schemas[1]");
    assert_ignored_logged(r, "schemas:" CUSTOM_NS ",employeeId," CUSTOM_NS);
    char id[64];
    snprintf(id, sizeof(id), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);

    /* Okta's App Integration Wizard deactivates with a full PUT carrying the block again. */
    char *put_body = scim_asprintf(
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\",\"" CUSTOM_NS "\"],"
        "\"id\":\"%s\",\"userName\":\"okta-custom@example.com\",\"active\":false,"
        "\"name\":{\"givenName\":\"Oka\",\"familyName\":\"Custom\",\"nick\":\"o\"},"
        "\"" CUSTOM_NS "\":{\"costCode\":\"X2\"}}",
        id);
    r = put(id, put_body, NULL);
    scim_free(put_body);
    assert_status(r, 200);
    assert_false(json_is_true(e2e_json_at(r->json, "active")));
    assert_ignored_logged(r, "schemas:" CUSTOM_NS ",name.nick," CUSTOM_NS);
    e2e_resp_free(r);

    /* PATCH: an operation on an unknown path is dropped; the others apply. */
    r = patch(id,
              "[{\"op\":\"replace\",\"value\":{\"active\":true,\"" CUSTOM_NS
              "\":{\"costCode\":\"X3\"}}},{\"op\":\"replace\",\"path\":\"" CUSTOM_NS
              ":costCode\",\"value\":\"X4\"},{\"op\":\"add\",\"path\":\"title\",\"value\":\"T\"}]",
              NULL);
    assert_status(r, 200);
    assert_true(json_is_true(e2e_json_at(r->json, "active")));
    assert_json_str(r, "title", "T");
    assert_ignored_logged(r, CUSTOM_NS "," CUSTOM_NS ":costCode");
    const char *version = e2e_header(r, "ETag");
    char etag[64];
    snprintf(etag, sizeof(etag), "%s", version ? version : "");
    e2e_resp_free(r);
    /* Nothing but unknown: a PATCH that changes nothing (the version stays). */
    r = patch(id, "[{\"op\":\"replace\",\"path\":\"" CUSTOM_NS ":costCode\",\"value\":\"X5\"}]",
              NULL);
    assert_status(r, 200);
    assert_header(r, "ETag", etag);
    e2e_resp_free(r);

    assert_int_equal(
        e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "unknown_attributes=reject", NULL), 0);
    r = patch(id, "[{\"op\":\"replace\",\"path\":\"" CUSTOM_NS ":costCode\",\"value\":\"X5\"}]",
              NULL);
    assert_scim_error(r, 400, "invalidPath");
    e2e_resp_free(r);
}

/* A first work e-mail added with emails[type eq "work"].value when the user has none. */
static void test_e2e_patch_entra_add_absent_filter_element(void **state)
{
    (void)state;
    struct user u;
    create("entra-noemail@example.com", NULL, &u);
    struct e2e_resp *r = patch_raw(
        u.id,
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":["
        "{\"op\":\"Replace\",\"path\":\"title\",\"value\":\"tester\"},\n"
        "{\"op\":\"Add\",\"path\":\"emails[type eq \\\"work\\\"].value\","
        "\"value\":\"joe@example.com\"}]}",
        NULL);
    assert_status(r, 200);
    assert_json_str(r, "title", "tester");
    assert_json_str(r, "emails[0].value", "joe@example.com");
    assert_json_str(r, "emails[0].type", "work");
    assert_dialect_logged(r, "entra.capitalised-op,entra.add-absent-filter-element");
    e2e_resp_free(r);

    /* replace on an absent element is noTarget (RFC 7644 §3.5.2.3) and changes nothing. */
    r = patch(u.id,
              "[{\"op\":\"replace\",\"path\":\"emails[type eq \\\"home\\\"].value\","
              "\"value\":\"h@example.com\"}]",
              NULL);
    assert_scim_error(r, 400, "noTarget");
    e2e_resp_free(r);
}

/* Entra ID with aadOptscim062020: one no-path replace whose keys include a filtered one. The
 * user has no work e-mail the first time (created), and one the second time (changed). */
static void test_e2e_patch_entra_filtered_key_without_path(void **state)
{
    (void)state;
    struct user u;
    create("entra-filtered@example.com", NULL, &u);
    const char *body =
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":["
        "{\"op\":\"replace\",\"value\":{\"displayName\":\"Kkom Unua\","
        "\"emails[type eq \\\"work\\\"].value\":\"%s\",\"name.givenName\":\"Kkom\","
        "\"name.familyName\":\"Unua\"}}]}";
    char text[512];
    snprintf(text, sizeof(text), body, "kkom@contoso.example");
    struct e2e_resp *r = patch_raw(u.id, text, NULL);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "Kkom Unua");
    assert_json_str(r, "name.givenName", "Kkom");
    assert_json_str(r, "emails[0].value", "kkom@contoso.example");
    assert_json_str(r, "emails[0].type", "work");
    assert_dialect_logged(r, "entra.dotted-key,entra.filtered-key,entra.add-absent-filter-element");
    e2e_resp_free(r);

    snprintf(text, sizeof(text), body, "kkom.unua@contoso.example");
    r = patch_raw(u.id, text, NULL);
    assert_status(r, 200);
    assert_json_str(r, "emails[0].value", "kkom.unua@contoso.example");
    assert_json_absent(r, "emails[1]");
    assert_dialect_logged(r, "entra.dotted-key,entra.filtered-key");
    e2e_resp_free(r);
}

/* Entra ID clears an attribute with "" and, later, with null. */
static void test_e2e_patch_entra_empty_then_null_clear(void **state)
{
    (void)state;
    struct user u;
    create("entra-clear@example.com", "{\"displayName\":\"Shown\",\"title\":\"T\"}", &u);
    struct e2e_resp *r =
        patch(u.id, "[{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"\"}]", NULL);
    assert_status(r, 200);
    assert_json_absent(r, "displayName");
    assert_json_str(r, "title", "T");
    assert_dialect_logged(r, "entra.capitalised-op,entra.empty-clears");
    e2e_resp_free(r);

    r = patch(u.id, "[{\"op\":\"Replace\",\"path\":\"title\",\"value\":null}]", NULL);
    assert_status(r, 200);
    assert_json_absent(r, "title");
    assert_dialect_logged(r, "entra.capitalised-op,entra.empty-clears");
    e2e_resp_free(r);

    r = get_user(u.id);
    assert_json_absent(r, "displayName");
    assert_json_absent(r, "title");
    e2e_resp_free(r);
}

/* ---- Okta ---- */

/* Okta deactivates with a replace without path; the user stays visible, inactive. */
static void test_e2e_patch_okta_no_path_deactivate(void **state)
{
    (void)state;
    struct user u;
    create("okta-off@example.com", "{\"active\":true}", &u);
    struct e2e_resp *r =
        patch_raw(u.id,
                  "{\n    \"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\n"
                  "    \"Operations\": [{\n        \"op\": \"replace\",\n"
                  "        \"value\": {\n            \"active\": false\n        }\n    }]\n}",
                  NULL);
    assert_status(r, 200);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    assert_json_str(r, "userName", "okta-off@example.com");
    assert_dialect_logged(r, "okta.no-path-replace");
    e2e_resp_free(r);
    assert_deactivation_logged(u.id);
    r = get_user(u.id);
    assert_status(r, 200);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    e2e_resp_free(r);
}

/* ---- PUT ---- */

/* A PUT with Entra ID's string boolean and manager string is accepted, deactivates the user and
 * names the rules in the log. */
static void test_e2e_put_dialect_and_deactivation(void **state)
{
    (void)state;
    struct user boss, u;
    create("put-boss@example.com", NULL, &boss);
    create("put-dialect@example.com", "{\"active\":true}", &u);
    char *body =
        scim_asprintf("{\"schemas\":[\"%s\",\"%s\"],\"userName\":\"put-dialect@example."
                      "com\",\"active\":\"False\",\"%s\":{\"manager\":\"%s\"}}",
                      E2E_USER_SCHEMA, E2E_ENTERPRISE_SCHEMA, E2E_ENTERPRISE_SCHEMA, boss.id);
    struct e2e_resp *r = put(u.id, body, NULL);
    scim_free(body);
    assert_status(r, 200);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    assert_json_str(r, MANAGER_AT, boss.id);
    assert_dialect_logged(r, "entra.string-boolean,entra.manager-string");
    e2e_resp_free(r);
    assert_deactivation_logged(u.id);
    r = get_user(u.id);
    assert_status(r, 200);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    e2e_resp_free(r);
}

/* ---- Versions, preconditions, atomicity ---- */

/* An add that changes nothing keeps ETag, meta.version and meta.lastModified; the log line of a
 * standard request has no dialect field. */
static void test_e2e_patch_noop_keeps_version(void **state)
{
    (void)state;
    struct user u;
    create(
        "noop@example.com",
        "{\"displayName\":\"Same\",\"emails\":[{\"value\":\"n@example.com\",\"type\":\"work\"}]}",
        &u);
    struct e2e_resp *before = get_user(u.id);
    assert_status(before, 200);
    sleep_ms(5); /* so that a wrongly bumped lastModified would differ */
    struct e2e_resp *r = patch(u.id,
                               "[{\"op\":\"add\",\"path\":\"displayName\",\"value\":\"Same\"},"
                               "{\"op\":\"add\",\"path\":\"emails\",\"value\":[{\"value\":"
                               "\"n@example.com\",\"type\":\"work\"}]}]",
                               NULL);
    assert_status(r, 200);
    assert_header(r, "ETag", u.etag);
    assert_json_str(r, "meta.version", e2e_str(before->json, "meta.version"));
    assert_json_str(r, "meta.lastModified", e2e_str(before->json, "meta.lastModified"));
    assert_dialect_logged(r, NULL);
    e2e_resp_free(r);
    r = get_user(u.id);
    assert_header(r, "ETag", u.etag);
    assert_json_str(r, "meta.lastModified", e2e_str(before->json, "meta.lastModified"));
    e2e_resp_free(r);

    /* A change bumps both. */
    r = patch(u.id, "[{\"op\":\"add\",\"path\":\"displayName\",\"value\":\"Other\"}]", NULL);
    assert_status(r, 200);
    if (strcmp(e2e_header(r, "ETag"), u.etag) == 0)
        e2e_fail(r, "a change must change the ETag");
    if (strcmp(e2e_str(r->json, "meta.lastModified"), e2e_str(before->json, "meta.lastModified")) ==
        0)
        e2e_fail(r, "a change must change meta.lastModified");
    e2e_resp_free(r);
    e2e_resp_free(before);
}

/* A valid operation followed by an invalid one: 400, and the user is exactly as before. */
static void test_e2e_patch_atomic(void **state)
{
    (void)state;
    struct user u;
    create("atomic@example.com", "{\"displayName\":\"Before\",\"title\":\"T\"}", &u);
    struct e2e_resp *before = get_user(u.id);
    struct e2e_resp *r = patch(u.id,
                               "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"After\"},"
                               "{\"op\":\"remove\",\"path\":\"title\"},"
                               "{\"op\":\"add\",\"path\":\"id\",\"value\":\"x\"}]",
                               NULL);
    assert_scim_error(r, 400, "mutability");
    e2e_resp_free(r);
    r = patch(u.id,
              "[{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"After\"},"
              "{\"op\":\"Remove\",\"path\":\"emails[type eq \\\"work\\\"]\"}]",
              NULL);
    assert_scim_error(r, 400, "noTarget");
    e2e_resp_free(r);
    r = get_user(u.id);
    assert_header(r, "ETag", u.etag);
    if (!json_equal(r->json, before->json))
        e2e_fail(r, "a failed PATCH must leave the user unchanged");
    e2e_resp_free(r);
    e2e_resp_free(before);
}

/* If-Match with a stale ETag: 412 SCIM Error for PUT, PATCH and DELETE; a current one works;
 * "*" matches any version. */
static void test_e2e_if_match_put_patch_delete(void **state)
{
    (void)state;
    struct user u;
    create("precondition@example.com", "{\"displayName\":\"v1\"}", &u);
    char *stale = scim_asprintf("If-Match: %s", u.etag);
    const char *const stale_h[] = {stale, NULL};
    struct e2e_resp *r =
        patch(u.id, "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"v2\"}]", stale_h);
    assert_status(r, 200);
    char current[64];
    snprintf(current, sizeof(current), "%s", e2e_header(r, "ETag"));
    e2e_resp_free(r);

    r = patch(u.id, "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"v3\"}]", stale_h);
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"precondition@example.com\","
                               "\"displayName\":\"v3\"}",
                               E2E_USER_SCHEMA);
    r = put(u.id, body, stale_h);
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    char *path = scim_asprintf("/scim/v2/Users/%s", u.id);
    r = e2e_http(srv,
                 &(struct e2e_req){
                     .method = "DELETE", .path = path, .token = srv->token, .headers = stale_h});
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);

    const char *const any_h[] = {"If-Match: *", NULL};
    r = put(u.id, body, any_h);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "v3");
    snprintf(current, sizeof(current), "%s", e2e_header(r, "ETag"));
    e2e_resp_free(r);

    char *fresh = scim_asprintf("If-Match: %s", current);
    const char *const fresh_h[] = {fresh, NULL};
    r = e2e_http(srv,
                 &(struct e2e_req){
                     .method = "DELETE", .path = path, .token = srv->token, .headers = fresh_h});
    assert_status(r, 204);
    e2e_resp_free(r);
    r = get_user(u.id);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    scim_free(fresh);
    scim_free(path);
    scim_free(body);
    scim_free(stale);
}

/* If-None-Match with the current ETag: 304 without a body; after a change the old one gets 200. */
static void test_e2e_if_none_match_304(void **state)
{
    (void)state;
    struct user u;
    create("not-modified@example.com", NULL, &u);
    char *path = scim_asprintf("/scim/v2/Users/%s", u.id);
    char *inm = scim_asprintf("If-None-Match: %s", u.etag);
    const char *const h[] = {inm, NULL};
    struct e2e_resp *r =
        e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .headers = h});
    assert_status(r, 304);
    assert_int_equal(r->body_len, 0);
    assert_header(r, "ETag", u.etag);
    e2e_resp_free(r);
    r = patch(u.id, "[{\"op\":\"add\",\"path\":\"nickName\",\"value\":\"N\"}]", NULL);
    assert_status(r, 200);
    e2e_resp_free(r);
    r = e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .headers = h});
    assert_status(r, 200);
    assert_json_str(r, "nickName", "N");
    const char *fresh = e2e_header(r, "ETag");
    char *current = scim_asprintf("If-Match: %s", fresh ? fresh : "");
    e2e_resp_free(r);
    /* If-Match on a GET (RFC 9110 §13.1.1): the old version is a 412, the current one or "*"
     * a 200. */
    char *stale = scim_asprintf("If-Match: %s", u.etag);
    const char *const hs[] = {stale, NULL};
    r = e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .headers = hs});
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    const char *const hc[] = {current, NULL};
    r = e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .headers = hc});
    assert_status(r, 200);
    e2e_resp_free(r);
    const char *const ha[] = {"If-Match: *", NULL};
    r = e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .headers = ha});
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(stale);
    scim_free(current);
    scim_free(inm);
    scim_free(path);
}

/* ETag lists (RFC 9110 §13.1.1-2) in If-Match and If-None-Match, and If-None-Match on writes:
 * a write whose If-None-Match names the current version (or is "*") is a 412 and changes
 * nothing. */
static void test_e2e_conditional_lists_and_if_none_match_writes(void **state)
{
    (void)state;
    struct user u;
    create("etag-lists@example.com", NULL, &u);
    char *path = scim_asprintf("/scim/v2/Users/%s", u.id);
    char *inm_list = scim_asprintf("If-None-Match: W/\"987\", %s", u.etag);
    const char *const inm_h[] = {inm_list, NULL};
    struct e2e_resp *r =
        e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .headers = inm_h});
    assert_status(r, 304);
    e2e_resp_free(r);

    /* If-None-Match naming the current version refuses PUT, PATCH and DELETE. */
    r = patch(u.id, "[{\"op\":\"add\",\"path\":\"title\",\"value\":\"T\"}]", inm_h);
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    /* The same list as two header lines (RFC 9110 §5.3) is the same list. */
    char *inm_line = scim_asprintf("If-None-Match: %s", u.etag);
    const char *const two_lines[] = {"If-None-Match: W/\"987\"", inm_line, NULL};
    r = patch(u.id, "[{\"op\":\"add\",\"path\":\"title\",\"value\":\"T\"}]", two_lines);
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    scim_free(inm_line);
    const char *const star_h[] = {"If-None-Match: *", NULL};
    r = put(u.id,
            "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
            "\"userName\":\"etag-lists@example.com\",\"title\":\"T\"}",
            star_h);
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    r = e2e_http(srv,
                 &(struct e2e_req){
                     .method = "DELETE", .path = path, .token = srv->token, .headers = star_h});
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    r = e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token});
    assert_status(r, 200);
    assert_json_absent(r, "title");
    assert_header(r, "ETag", u.etag);
    e2e_resp_free(r);

    /* An If-None-Match of another version lets the write through. */
    const char *const other_h[] = {"If-None-Match: W/\"987\"", NULL};
    r = patch(u.id, "[{\"op\":\"add\",\"path\":\"title\",\"value\":\"T\"}]", other_h);
    assert_status(r, 200);
    char *current = scim_strdup(e2e_header(r, "ETag"));
    e2e_resp_free(r);

    /* If-Match with a list that holds the current version among others. */
    char *im_list = scim_asprintf("If-Match: %s, %s", u.etag, current);
    const char *const im_h[] = {im_list, NULL};
    r = patch(u.id, "[{\"op\":\"add\",\"path\":\"nickName\",\"value\":\"N\"}]", im_h);
    assert_status(r, 200);
    assert_json_str(r, "nickName", "N");
    e2e_resp_free(r);
    /* The same list is now stale (neither version is current). */
    r = patch(u.id, "[{\"op\":\"add\",\"path\":\"nickName\",\"value\":\"M\"}]", im_h);
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    scim_free(im_list);
    scim_free(current);
    scim_free(inm_list);
    scim_free(path);
}

/* ---- Concurrency ---- */

#define APPENDS_PER_WRITER 20

/* One writer: read the user, PATCH-add a distinct e-mail with If-Match, retry after 412. */
struct writer {
    const char *id;
    int number;
    int appended;
    int retried; /* 412 answers, each followed by a fresh read and a retry */
    char error[256];
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    CURL *curl = curl_easy_init();
    char *path = scim_asprintf("/scim/v2/Users/%s", w->id);

    for (int attempts = 0; w->appended < APPENDS_PER_WRITER && attempts < 1000; attempts++) {
        struct e2e_resp *r =
            e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .curl = curl});
        const char *etag = e2e_header(r, "ETag");
        if (r->status != 200 || !etag) {
            snprintf(w->error, sizeof(w->error), "GET answered %ld", r->status);
            e2e_resp_free(r);
            break;
        }
        char *if_match = scim_asprintf("If-Match: %s", etag);
        e2e_resp_free(r);
        const char *const headers[] = {if_match, NULL};
        char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"add\","
                                   "\"path\":\"emails\",\"value\":[{\"value\":"
                                   "\"w%d-%d@example.com\"}]}]}",
                                   E2E_PATCH_SCHEMA, w->number, w->appended);
        r = e2e_http(srv, &(struct e2e_req){.method = "PATCH",
                                            .path = path,
                                            .token = srv->token,
                                            .body = body,
                                            .headers = headers,
                                            .curl = curl});
        if (r->status == 200)
            w->appended++;
        else if (r->status == 412)
            w->retried++;
        else
            snprintf(w->error, sizeof(w->error), "PATCH answered %ld: %s", r->status, r->body);
        e2e_resp_free(r);
        scim_free(body);
        scim_free(if_match);
        if (w->error[0])
            break;
    }
    scim_free(path);
    curl_easy_cleanup(curl);
    return NULL;
}

/* Two clients append distinct e-mails to one user with read-If-Match-PATCH loops: every append
 * that got a 200 is there at the end, and the version counted every one of them. */
static void test_e2e_patch_concurrent_if_match_no_lost_update(void **state)
{
    (void)state;
    struct user u;
    create("concurrent@example.com", NULL, &u);
    struct writer writers[2] = {{.id = u.id, .number = 1}, {.id = u.id, .number = 2}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, writer_main, &writers[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < 2; i++) {
        if (writers[i].error[0])
            e2e_fail(NULL, "writer %d: %s", i + 1, writers[i].error);
        assert_int_equal(writers[i].appended, APPENDS_PER_WRITER);
    }
    print_message("concurrent writers: %d and %d retries after 412\n", writers[0].retried,
                  writers[1].retried);

    struct e2e_resp *r = get_user(u.id);
    assert_status(r, 200);
    const json_t *emails = e2e_json_at(r->json, "emails");
    if (json_array_size(emails) != 2 * APPENDS_PER_WRITER)
        e2e_fail(r, "expected %d e-mails", 2 * APPENDS_PER_WRITER);
    for (int w = 1; w <= 2; w++) {
        for (int i = 0; i < APPENDS_PER_WRITER; i++) {
            char want[64];
            bool found = false;
            size_t k;
            json_t *el;
            snprintf(want, sizeof(want), "w%d-%d@example.com", w, i);
            json_array_foreach (emails, k, el) {
                const char *v = json_string_value(json_object_get(el, "value"));
                if (v && strcmp(v, want) == 0)
                    found = true;
            }
            if (!found)
                e2e_fail(r, "the append of %s was lost", want);
        }
    }
    /* Created at version 1, and every successful PATCH added exactly one. */
    char version[32];
    snprintf(version, sizeof(version), "W/\"%d\"", 1 + 2 * APPENDS_PER_WRITER);
    assert_header(r, "ETag", version);
    e2e_resp_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_patch_entra_disable_string_false),
        cmocka_unit_test(test_e2e_patch_entra_replace_multiple_without_flag),
        cmocka_unit_test(test_e2e_patch_entra_dotted_and_urn_keys),
        cmocka_unit_test(test_e2e_patch_entra_manager),
        cmocka_unit_test(test_e2e_patch_entra_add_absent_filter_element),
        cmocka_unit_test(test_e2e_patch_entra_manager_list_and_filter),
        cmocka_unit_test(test_e2e_patch_entra_app_role),
        cmocka_unit_test(test_e2e_patch_entra_replace_absent_filter_element),
        cmocka_unit_test(test_e2e_unknown_attributes_setting),
        cmocka_unit_test(test_e2e_patch_entra_filtered_key_without_path),
        cmocka_unit_test(test_e2e_patch_entra_empty_then_null_clear),
        cmocka_unit_test(test_e2e_patch_okta_no_path_deactivate),
        cmocka_unit_test(test_e2e_put_dialect_and_deactivation),
        cmocka_unit_test(test_e2e_patch_noop_keeps_version),
        cmocka_unit_test(test_e2e_patch_atomic),
        cmocka_unit_test(test_e2e_if_match_put_patch_delete),
        cmocka_unit_test(test_e2e_if_none_match_304),
        cmocka_unit_test(test_e2e_conditional_lists_and_if_none_match_writes),
        cmocka_unit_test(test_e2e_patch_concurrent_if_match_no_lost_update),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
