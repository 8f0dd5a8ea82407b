/*
 * e2e_discovery — the discovery endpoints of a real scimd over HTTP: /ServiceProviderConfig
 * (RFC 7643 §5), /Schemas and /Schemas/{urn} (§7, §8.7), /ResourceTypes and
 * /ResourceTypes/{name} (§6), all behind a bearer token (RFC 7644 §4), and the unauthenticated
 * /healthz probe. The server runs with --max-results 250 so filter.maxResults can be checked
 * against the configuration.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static struct e2e_server *srv;

static int group_setup(void **state)
{
    (void)state;
    static const char *const args[] = {"--max-results", "250", NULL};
    return e2e_setup(args, &srv);
}

static int group_teardown(void **state)
{
    (void)state;
    return e2e_teardown(srv);
}

/* Asserts that member path of resp's body is a JSON boolean. */
static void assert_bool_at(const struct e2e_resp *resp, const char *path)
{
    if (!json_is_boolean(e2e_json_at(resp->json, path)))
        e2e_fail(resp, "%s must be a boolean", path);
}

/* Asserts that member path of resp's body is a JSON integer. */
static void assert_int_at(const struct e2e_resp *resp, const char *path)
{
    if (!json_is_integer(e2e_json_at(resp->json, path)))
        e2e_fail(resp, "%s must be an integer", path);
}

/* True when the string ends with suffix. */
static bool ends_with(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, m = strlen(suffix);
    return s && n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The element of the Resources array whose "id" is id; borrowed or NULL. */
static json_t *resource_with_id(const struct e2e_resp *resp, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get(resp->json, "Resources"), i, r) {
        const char *rid = json_string_value(json_object_get(r, "id"));
        if (rid && strcmp(rid, id) == 0)
            return r;
    }
    return NULL;
}

/* The attribute definition named name in a schema representation's "attributes"; or NULL. */
static json_t *schema_attribute(const json_t *schema, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get(schema, "attributes"), i, a) {
        const char *n = json_string_value(json_object_get(a, "name"));
        if (n && strcmp(n, name) == 0)
            return a;
    }
    return NULL;
}

/* Asserts a ListResponse (RFC 7644 §3.4.2) with at least min_total resources. */
static void assert_list_response(const struct e2e_resp *resp, long long min_total)
{
    assert_status(resp, 200);
    assert_scim_content_type(resp);
    assert_json_str(resp, "schemas[0]", E2E_LIST_SCHEMA);
    const json_t *total = json_object_get(resp->json, "totalResults");
    if (!json_is_integer(total) || json_integer_value(total) < min_total)
        e2e_fail(resp, "totalResults must be an integer >= %lld", min_total);
    if (json_array_size(json_object_get(resp->json, "Resources")) !=
        (size_t)json_integer_value(total))
        e2e_fail(resp, "a discovery list returns all of its totalResults in Resources");
}

static void test_e2e_service_provider_config_shape(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/ServiceProviderConfig");
    assert_status(r, 200);
    assert_scim_content_type(r);
    assert_json_str(r, "schemas[0]", "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
    assert_bool_at(r, "patch.supported");
    assert_true(json_is_true(e2e_json_at(r->json, "patch.supported")));
    assert_bool_at(r, "bulk.supported");
    assert_int_at(r, "bulk.maxOperations");
    assert_int_at(r, "bulk.maxPayloadSize");
    assert_bool_at(r, "filter.supported");
    assert_true(json_is_true(e2e_json_at(r->json, "filter.supported")));
    assert_json_int(r, "filter.maxResults", 250);
    assert_bool_at(r, "changePassword.supported");
    assert_bool_at(r, "sort.supported");
    assert_bool_at(r, "etag.supported");
    assert_true(json_is_true(e2e_json_at(r->json, "etag.supported")));
    if (!json_is_array(e2e_json_at(r->json, "authenticationSchemes")))
        e2e_fail(r, "authenticationSchemes must be an array");
    assert_json_str(r, "authenticationSchemes[0].type", "oauthbearertoken");
    if (!e2e_str(r->json, "authenticationSchemes[0].name") ||
        !e2e_str(r->json, "authenticationSchemes[0].description"))
        e2e_fail(r, "an authentication scheme has a name and a description (RFC 7643 §5)");
    assert_json_str(r, "meta.resourceType", "ServiceProviderConfig");
    if (!ends_with(e2e_str(r->json, "meta.location"), "/ServiceProviderConfig"))
        e2e_fail(r, "meta.location must end with /ServiceProviderConfig");
    e2e_resp_free(r);
}

static void test_e2e_schemas_list_has_user_and_enterprise(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Schemas");
    assert_list_response(r, 2);
    const json_t *user = resource_with_id(r, E2E_USER_SCHEMA);
    const json_t *ent = resource_with_id(r, E2E_ENTERPRISE_SCHEMA);
    if (!user || !ent)
        e2e_fail(r, "/Schemas must list the User and EnterpriseUser schemas");
    assert_str(json_string_value(json_object_get(user, "name")), "User");
    assert_true(json_is_array(json_object_get(user, "attributes")));
    assert_true(json_is_array(json_object_get(ent, "attributes")));
    e2e_resp_free(r);
}

static void test_e2e_schema_username_characteristics(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Schemas/%s", E2E_USER_SCHEMA);
    assert_status(r, 200);
    assert_scim_content_type(r);
    assert_json_str(r, "id", E2E_USER_SCHEMA);
    assert_json_str(r, "meta.resourceType", "Schema");
    const json_t *a = schema_attribute(r->json, "userName");
    if (!a)
        e2e_fail(r, "the User schema must define userName");
    /* RFC 7643 §8.7.1. */
    assert_str(json_string_value(json_object_get(a, "type")), "string");
    assert_true(json_is_false(json_object_get(a, "multiValued")));
    assert_true(json_is_true(json_object_get(a, "required")));
    assert_true(json_is_false(json_object_get(a, "caseExact")));
    assert_str(json_string_value(json_object_get(a, "mutability")), "readWrite");
    assert_str(json_string_value(json_object_get(a, "returned")), "default");
    assert_str(json_string_value(json_object_get(a, "uniqueness")), "server");
    const json_t *pw = schema_attribute(r->json, "password");
    if (!pw)
        e2e_fail(r, "the User schema must define password");
    assert_str(json_string_value(json_object_get(pw, "mutability")), "writeOnly");
    assert_str(json_string_value(json_object_get(pw, "returned")), "never");
    e2e_resp_free(r);
}

static void test_e2e_schema_enterprise_by_urn(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Schemas/%s", E2E_ENTERPRISE_SCHEMA);
    assert_status(r, 200);
    assert_json_str(r, "id", E2E_ENTERPRISE_SCHEMA);
    const json_t *manager = schema_attribute(r->json, "manager");
    if (!manager)
        e2e_fail(r, "the EnterpriseUser schema must define manager");
    assert_str(json_string_value(json_object_get(manager, "type")), "complex");
    const json_t *subs = json_object_get(manager, "subAttributes");
    bool has_value = false;
    size_t i;
    json_t *s;
    json_array_foreach (subs, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        if (name && strcmp(name, "value") == 0)
            has_value = true;
    }
    if (!has_value)
        e2e_fail(r, "manager must have a 'value' sub-attribute");
    e2e_resp_free(r);
}

static void test_e2e_schema_unknown_is_404(void **state)
{
    (void)state;
    struct e2e_resp *r =
        e2e_get(srv, srv->token, "/scim/v2/Schemas/urn:example:params:scim:schemas:Nope");
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
}

static void test_e2e_resource_types_list(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/ResourceTypes");
    assert_list_response(r, 1);
    const json_t *user = resource_with_id(r, "User");
    if (!user)
        e2e_fail(r, "/ResourceTypes must list User");
    assert_str(json_string_value(json_object_get(user, "endpoint")), "/Users");
    assert_str(json_string_value(json_object_get(user, "schema")), E2E_USER_SCHEMA);
    const json_t *ext = json_object_get(user, "schemaExtensions");
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach (ext, i, e) {
        const char *urn = json_string_value(json_object_get(e, "schema"));
        if (urn && strcmp(urn, E2E_ENTERPRISE_SCHEMA) == 0) {
            found = true;
            assert_true(json_is_false(json_object_get(e, "required")));
        }
    }
    if (!found)
        e2e_fail(r, "User's schemaExtensions must list EnterpriseUser");
    e2e_resp_free(r);
}

static void test_e2e_resource_type_user(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/ResourceTypes/User");
    assert_status(r, 200);
    assert_scim_content_type(r);
    assert_json_str(r, "schemas[0]", "urn:ietf:params:scim:schemas:core:2.0:ResourceType");
    assert_json_str(r, "id", "User");
    assert_json_str(r, "name", "User");
    assert_json_str(r, "endpoint", "/Users");
    assert_json_str(r, "schema", E2E_USER_SCHEMA);
    assert_json_str(r, "meta.resourceType", "ResourceType");
    if (!ends_with(e2e_str(r->json, "meta.location"), "/ResourceTypes/User"))
        e2e_fail(r, "meta.location must end with /ResourceTypes/User");
    e2e_resp_free(r);
}

static void test_e2e_resource_type_unknown_is_404(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/ResourceTypes/Widget");
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
}

/* What ServiceProviderConfig says is not offered answers 501 (RFC 7644 §3.12), not 404: /Me in
 * every method, POST /Bulk (bulk.supported is false); GET /Bulk is no method of /Bulk. */
static void test_e2e_me_and_bulk_are_501(void **state)
{
    (void)state;
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct e2e_resp *r =
            e2e_send(srv, methods[i], srv->token, i == 0 ? NULL : "{}", "%s", "/scim/v2/Me");
        assert_scim_error(r, 501, NULL);
        e2e_resp_free(r);
    }
    struct e2e_resp *r = e2e_send(srv, "POST", srv->token,
                                  "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:"
                                  "BulkRequest\"],\"Operations\":[]}",
                                  "%s", "/scim/v2/Bulk");
    assert_scim_error(r, 501, NULL);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Bulk");
    assert_scim_error(r, 405, NULL);
    e2e_resp_free(r);
    /* Still behind authentication. */
    r = e2e_get(srv, NULL, "/scim/v2/Me");
    assert_scim_error(r, 401, NULL);
    e2e_resp_free(r);
}

/* A filter on a discovery endpoint is 403 (RFC 7644 §4); paging parameters stay ignored. */
static void test_e2e_discovery_refuses_filters(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/scim/v2/ServiceProviderConfig?filter=bulk.supported%20eq%20true",
        "/scim/v2/Schemas?filter=id%20eq%20%22x%22",
        "/scim/v2/ResourceTypes?filter=name%20eq%20%22User%22",
        "/scim/v2/ResourceTypes/User?filter=name%20eq%20%22User%22",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct e2e_resp *r = e2e_get(srv, srv->token, "%s", paths[i]);
        assert_scim_error(r, 403, NULL);
        e2e_resp_free(r);
    }
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Schemas?startIndex=2&count=1");
    assert_int_equal(r->status, 200);
    e2e_resp_free(r);
    /* GET on the root is a query across resource types (e2e_query.c), never a 403 or 404. */
    r = e2e_get(srv, srv->token, "%s", "/scim/v2?filter=displayName%20sw%20%22T%22");
    assert_int_equal(r->status, 200);
    assert_json_str(r, "schemas[0]", "urn:ietf:params:scim:api:messages:2.0:ListResponse");
    e2e_resp_free(r);
}

/* HEAD answers as GET would, with the headers and without the body. */
static void test_e2e_head_is_get_without_body(void **state)
{
    (void)state;
    struct e2e_resp *created = e2e_create_user(srv, srv->token, "head@example.com", NULL);
    assert_int_equal(created->status, 201);
    const char *id = e2e_str(created->json, "id");
    struct e2e_resp *r = e2e_send(srv, "HEAD", srv->token, NULL, "/scim/v2/Users/%s", id);
    assert_int_equal(r->status, 200);
    assert_string_equal(r->body, "");
    assert_header(r, "ETag", e2e_header(created, "ETag"));
    e2e_resp_free(r);
    r = e2e_send(srv, "HEAD", srv->token, NULL, "%s", "/scim/v2/ServiceProviderConfig");
    assert_int_equal(r->status, 200);
    assert_string_equal(r->body, "");
    e2e_resp_free(r);
    r = e2e_send(srv, "HEAD", srv->token, NULL, "%s", "/scim/v2/Users/no-such-id");
    assert_int_equal(r->status, 404);
    e2e_resp_free(r);
    e2e_resp_free(created);
}

/* A second scimd on a port already in use fails to start instead of sharing the port (and
 * splitting the IdPs' requests between two databases). */
static void test_e2e_second_server_on_same_port_fails(void **state)
{
    (void)state;
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", (unsigned)srv->port);
    const char *const args[] = {"--listen", listen, NULL};
    struct e2e_server *second = NULL;
    assert_int_equal(e2e_server_start(args, &second), -1);
    assert_null(second);
    struct e2e_resp *r = e2e_get(srv, NULL, "/healthz");
    assert_int_equal(r->status, 200);
    e2e_resp_free(r);
}

/* --base-url must be an absolute http(s) URL; a valid one is what meta.location is built on. */
static void test_e2e_base_url_checked_and_used(void **state)
{
    (void)state;
    const char *const bad[] = {"--base-url", "not a url", NULL};
    struct e2e_server *other = NULL;
    assert_int_equal(e2e_server_start(bad, &other), -1);
    const char *const good[] = {"--base-url", "https://scim.example.com/scim/v2", NULL};
    assert_int_equal(e2e_setup(good, &other), 0);
    struct e2e_resp *r = e2e_get(other, other->token, "/scim/v2/ServiceProviderConfig");
    assert_int_equal(r->status, 200);
    assert_string_equal(e2e_str(r->json, "meta.location"),
                        "https://scim.example.com/scim/v2/ServiceProviderConfig");
    e2e_resp_free(r);
    assert_int_equal(e2e_teardown(other), 0);
}

static void test_e2e_healthz_without_token(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, NULL, "/healthz");
    assert_status(r, 200);
    e2e_resp_free(r);
}

static void test_e2e_discovery_without_token_is_401(void **state)
{
    (void)state;
    static const char *const paths[] = {"/scim/v2/ServiceProviderConfig", "/scim/v2/Schemas",
                                        "/scim/v2/Schemas/" E2E_USER_SCHEMA,
                                        "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes/User"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct e2e_resp *r = e2e_get(srv, NULL, "%s", paths[i]);
        assert_scim_error(r, 401, NULL);
        const char *www = e2e_header(r, "WWW-Authenticate");
        if (!www || strncmp(www, "Bearer", 6) != 0)
            e2e_fail(r, "a 401 must carry WWW-Authenticate: Bearer ...");
        e2e_resp_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_service_provider_config_shape),
        cmocka_unit_test(test_e2e_schemas_list_has_user_and_enterprise),
        cmocka_unit_test(test_e2e_schema_username_characteristics),
        cmocka_unit_test(test_e2e_schema_enterprise_by_urn),
        cmocka_unit_test(test_e2e_schema_unknown_is_404),
        cmocka_unit_test(test_e2e_resource_types_list),
        cmocka_unit_test(test_e2e_resource_type_user),
        cmocka_unit_test(test_e2e_resource_type_unknown_is_404),
        cmocka_unit_test(test_e2e_me_and_bulk_are_501),
        cmocka_unit_test(test_e2e_discovery_refuses_filters),
        cmocka_unit_test(test_e2e_head_is_get_without_body),
        cmocka_unit_test(test_e2e_second_server_on_same_port_fails),
        cmocka_unit_test(test_e2e_base_url_checked_and_used),
        cmocka_unit_test(test_e2e_healthz_without_token),
        cmocka_unit_test(test_e2e_discovery_without_token_is_401),
    };
    return cmocka_run_group_tests_name("e2e_discovery", tests, group_setup, group_teardown);
}
