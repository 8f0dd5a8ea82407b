/*
 * e2e_users — the /Users endpoints of a real scimd over HTTP, the way identity providers (Okta,
 * Entra ID) drive them: create (RFC 7644 §3.3), read (§3.4.1), list with filter and paging
 * (§3.4.2), replace (§3.5.1), modify (§3.5.2), delete (§3.6), versions and preconditions
 * (§3.14), projection (§3.4.2.5, §3.9), and the User schema rules of RFC 7643 §4.1 (userName
 * uniqueness ignoring case, password never returned, the enterprise extension of §4.3).
 * Paging runs in its own tenant so its totals are exact.
 */
#include "harness.h"

#include "mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static struct e2e_server *srv;
static char *paging_token;

static int group_setup(void **state)
{
    (void)state;
    int rc = e2e_setup(NULL, &srv);
    if (rc < 0)
        return rc;
    if (e2e_tenant_create(srv, "paging") != 0)
        return -1;
    paging_token = e2e_token_create(srv, "paging", "users paging", 1);
    return paging_token ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    scim_free(paging_token);
    return e2e_teardown(srv);
}

/* A created user's id and ETag. */
struct user {
    char id[64];
    char etag[64];
};

/* Creates a user (asserting 201) and records its id and ETag. */
static void create(const char *token, const char *user_name, const char *extra, struct user *u)
{
    struct e2e_resp *r = e2e_create_user(srv, token, user_name, extra);
    const char *id = e2e_str(r->json, "id");
    const char *etag = e2e_header(r, "ETag");
    if (!id || !etag)
        e2e_fail(r, "a created user has an id and an ETag");
    snprintf(u->id, sizeof(u->id), "%s", id);
    snprintf(u->etag, sizeof(u->etag), "%s", etag);
    e2e_resp_free(r);
}

/* PATCH /Users/id with a PatchOp whose Operations are ops (a JSON array text). */
static struct e2e_resp *patch(const char *id, const char *ops, const char *const *headers)
{
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":%s}", E2E_PATCH_SCHEMA, ops);
    char *path = scim_asprintf("/scim/v2/Users/%s", id);
    struct e2e_resp *r = e2e_http(srv, &(struct e2e_req){.method = "PATCH",
                                                         .path = path,
                                                         .token = srv->token,
                                                         .body = body,
                                                         .headers = headers});
    scim_free(path);
    scim_free(body);
    return r;
}

/* totalResults of a list response, asserting its shape. */
static long long list_total(const struct e2e_resp *r)
{
    assert_status(r, 200);
    assert_scim_content_type(r);
    assert_json_str(r, "schemas[0]", E2E_LIST_SCHEMA);
    const json_t *total = json_object_get(r->json, "totalResults");
    if (!json_is_integer(total))
        e2e_fail(r, "totalResults must be an integer");
    return json_integer_value(total);
}

static void test_e2e_create_user_201(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_create_user(
        srv, srv->token, "alice@example.com",
        "{\"externalId\":\"ext-alice\",\"name\":{\"givenName\":\"Alice\",\"familyName\":"
        "\"Liddell\"},"
        "\"emails\":[{\"value\":\"alice@example.com\",\"type\":\"work\",\"primary\":true}],"
        "\"active\":true}");
    assert_scim_content_type(r);
    const char *id = e2e_str(r->json, "id");
    if (!id || !id[0])
        e2e_fail(r, "the created user must have an id");
    assert_json_str(r, "userName", "alice@example.com");
    assert_json_str(r, "externalId", "ext-alice");
    assert_json_str(r, "name.givenName", "Alice");
    assert_json_str(r, "emails[0].value", "alice@example.com");
    assert_true(json_is_true(e2e_json_at(r->json, "active")));
    assert_json_str(r, "schemas[0]", E2E_USER_SCHEMA);
    assert_json_str(r, "meta.resourceType", "User");
    const char *created = e2e_str(r->json, "meta.created");
    const char *modified = e2e_str(r->json, "meta.lastModified");
    if (!created || !modified || strlen(created) < 20 || created[4] != '-' || created[10] != 'T')
        e2e_fail(r, "meta.created and meta.lastModified must be RFC 3339 date-times");
    assert_str(modified, created);
    char want_location[256];
    snprintf(want_location, sizeof(want_location), "http://127.0.0.1:%u/scim/v2/Users/%s",
             (unsigned)srv->port, id);
    assert_json_str(r, "meta.location", want_location);
    assert_header(r, "Location", want_location);
    const char *version = e2e_str(r->json, "meta.version");
    if (!version)
        e2e_fail(r, "meta.version must be present");
    assert_header(r, "ETag", version);
    e2e_resp_free(r);
}

static void test_e2e_get_user_by_id(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "get-by-id@example.com", "{\"displayName\":\"Get Me\"}", &u);
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.id);
    assert_status(r, 200);
    assert_scim_content_type(r);
    assert_json_str(r, "id", u.id);
    assert_json_str(r, "userName", "get-by-id@example.com");
    assert_json_str(r, "displayName", "Get Me");
    assert_header(r, "ETag", u.etag);
    assert_json_str(r, "meta.version", u.etag);
    /* Location on every response with the resource, as RFC 7644 §3.4.1's example shows. */
    assert_header(r, "Location", e2e_str(r->json, "meta.location"));
    e2e_resp_free(r);
}

/* A base URL configured with a trailing slash makes IdPs ask for "/scim/v2//Users": runs of
 * slashes are one, and trailing ones are dropped. */
static void test_e2e_slashes_folded(void **state)
{
    (void)state;
    static const char *const paths[] = {"/scim/v2//Users?count=1", "/scim/v2/Users/?count=1",
                                        "//scim//v2///Users//?count=1"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct e2e_resp *r = e2e_get(srv, srv->token, "%s", paths[i]);
        assert_status(r, 200);
        assert_json_str(r, "schemas[0]", "urn:ietf:params:scim:api:messages:2.0:ListResponse");
        e2e_resp_free(r);
    }
}

static void test_e2e_list_paging(void **state)
{
    (void)state;
    struct user users[5];
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof(name), "page-%d@example.com", i);
        create(paging_token, name, NULL, &users[i]);
    }
    struct e2e_resp *r = e2e_get(srv, paging_token, "/scim/v2/Users?count=0");
    assert_int_equal(list_total(r), 5);
    assert_json_int(r, "itemsPerPage", 0);
    e2e_resp_free(r);

    /* Walking pages of two must return every user exactly once. */
    int seen[5] = {0};
    static const int starts[] = {1, 3, 5};
    static const int sizes[] = {2, 2, 1};
    for (int p = 0; p < 3; p++) {
        r = e2e_get(srv, paging_token, "/scim/v2/Users?startIndex=%d&count=2", starts[p]);
        assert_int_equal(list_total(r), 5);
        assert_json_int(r, "startIndex", starts[p]);
        assert_json_int(r, "itemsPerPage", sizes[p]);
        const json_t *resources = json_object_get(r->json, "Resources");
        if (json_array_size(resources) != (size_t)sizes[p])
            e2e_fail(r, "page at startIndex %d must hold %d resources", starts[p], sizes[p]);
        for (size_t i = 0; i < json_array_size(resources); i++) {
            const char *id = json_string_value(json_object_get(json_array_get(resources, i), "id"));
            for (int k = 0; k < 5; k++)
                if (id && strcmp(id, users[k].id) == 0)
                    seen[k]++;
        }
        e2e_resp_free(r);
    }
    for (int k = 0; k < 5; k++)
        assert_int_equal(seen[k], 1);

    r = e2e_get(srv, paging_token, "/scim/v2/Users?startIndex=6&count=2");
    assert_int_equal(list_total(r), 5);
    assert_json_int(r, "itemsPerPage", 0);
    assert_int_equal(json_array_size(json_object_get(r->json, "Resources")), 0);
    e2e_resp_free(r);
}

static void test_e2e_filter_username_eq(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "Filter.Me@example.com", NULL, &u);
    /* The exact value, the value in another case (Okta lower-cases), the attribute name in
     * another case: userName is caseExact false and attribute names are case-insensitive. */
    static const char *const filters[] = {"userName eq \"Filter.Me@example.com\"",
                                          "userName eq \"filter.me@example.com\"",
                                          "USERNAME eq \"FILTER.ME@EXAMPLE.COM\""};
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        struct e2e_resp *r = e2e_filter_users(srv, srv->token, filters[i]);
        if (list_total(r) != 1)
            e2e_fail(r, "filter %s must find exactly one user", filters[i]);
        assert_json_str(r, "Resources[0].id", u.id);
        assert_json_str(r, "Resources[0].userName", "Filter.Me@example.com");
        e2e_resp_free(r);
    }
}

static void test_e2e_filter_external_id_eq(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "external@example.com", "{\"externalId\":\"00u-ExT-123\"}", &u);
    struct e2e_resp *r = e2e_filter_users(srv, srv->token, "externalId eq \"00u-ExT-123\"");
    assert_int_equal(list_total(r), 1);
    assert_json_str(r, "Resources[0].id", u.id);
    e2e_resp_free(r);
    /* externalId is caseExact (RFC 7643 §3.1). */
    r = e2e_filter_users(srv, srv->token, "externalId eq \"00U-EXT-123\"");
    assert_int_equal(list_total(r), 0);
    e2e_resp_free(r);
}

static void test_e2e_filter_id_eq(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "by-id-filter@example.com", NULL, &u);
    char filter[128];
    snprintf(filter, sizeof(filter), "id eq \"%s\"", u.id);
    struct e2e_resp *r = e2e_filter_users(srv, srv->token, filter);
    assert_int_equal(list_total(r), 1);
    assert_json_str(r, "Resources[0].userName", "by-id-filter@example.com");
    e2e_resp_free(r);
}

static void test_e2e_filter_other_operators(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "Operators.Zeta@example.com",
           "{\"displayName\":\"Zeta Operator\",\"title\":\"Zeta\",\"active\":true,"
           "\"emails\":[{\"value\":\"zeta.work@example.com\",\"type\":\"work\"}]}",
           &u);
    static const char *const filters[] = {
        "userName sw \"operators.zeta\"",
        "userName co \"ZETA@\"",
        "displayName eq \"Zeta Operator\" and active eq true",
        "title eq \"nothing\" or userName eq \"operators.zeta@example.com\"",
        "title pr and userName ew \"zeta@example.com\"",
        "not (title eq \"Other\") and displayName sw \"Zeta\"",
        "emails.value eq \"zeta.work@example.com\"",
        "emails[type eq \"work\" and value ew \"@example.com\"] and title eq \"Zeta\"",
        "emails.type eq \"work\" and displayName eq \"Zeta Operator\"",
        "meta.lastModified gt \"2000-01-01T00:00:00Z\" and userName eq "
        "\"operators.zeta@example.com\"",
        "meta.resourceType eq \"User\" and title eq \"Zeta\"",
        "active eq true and title eq \"Zeta\"",
    };
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        struct e2e_resp *r = e2e_filter_users(srv, srv->token, filters[i]);
        if (list_total(r) != 1)
            e2e_fail(r, "filter %s must find exactly one user", filters[i]);
        assert_json_str(r, "Resources[0].id", u.id);
        e2e_resp_free(r);
    }
    static const char *const none[] = {
        "meta.created lt \"2000-01-01T00:00:00Z\" and title eq \"Zeta\"",
        "emails[type eq \"home\"] and title eq \"Zeta\"",
        "active eq false and title eq \"Zeta\"",
        "title eq \"Zeta\" and not (userName pr)",
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        struct e2e_resp *r = e2e_filter_users(srv, srv->token, none[i]);
        if (list_total(r) != 0)
            e2e_fail(r, "filter %s must find nothing", none[i]);
        e2e_resp_free(r);
    }
}

/* totalResults of a filtered list in the tenant of token. */
static long long filter_total(const char *token, const char *filter)
{
    struct e2e_resp *r = e2e_filter_users(srv, token, filter);
    long long total = list_total(r);
    e2e_resp_free(r);
    return total;
}

static void test_e2e_filter_literals_are_literal(void **state)
{
    (void)state;
    /* A tenant of its own, so the expected totals are exact. */
    assert_int_equal(e2e_tenant_create(srv, "literals"), 0);
    char *token = e2e_token_create(srv, "literals", "filter literals", 1);
    assert_non_null(token);
    struct user u;
    create(token, "alpha@example.com", "{\"displayName\":\"100% Real\"}", &u);
    create(token, "Bravo@example.com", "{\"displayName\":\"Under_score\"}", &u);
    create(token, "charlie@example.com", "{\"displayName\":\"Back\\\\slash\"}", &u);
    create(token, "delta@example.com", "{\"displayName\":\"O'Brien\"}", &u);
    /* LIKE wildcards and escapes in a value match only themselves. */
    assert_int_equal(filter_total(token, "displayName co \"%\""), 1);
    assert_int_equal(filter_total(token, "displayName co \"_\""), 1);
    assert_int_equal(filter_total(token, "displayName sw \"%\""), 0);
    assert_int_equal(filter_total(token, "displayName ew \"_\""), 0);
    assert_int_equal(filter_total(token, "displayName co \"\\\\\""), 1);
    assert_int_equal(filter_total(token, "displayName co \"'\""), 1);
    assert_int_equal(filter_total(token, "displayName eq \"O'Brien\""), 1);
    assert_int_equal(filter_total(token, "userName eq \"x' OR '1'='1\""), 0);
    assert_int_equal(filter_total(token, "displayName co \"') OR 1=1 --\""), 0);
    /* caseExact false: co and sw ignore case. */
    assert_int_equal(filter_total(token, "displayName co \"REAL\""), 1);
    assert_int_equal(filter_total(token, "userName sw \"BRAVO\""), 1);
    /* Ordering compares case-insensitively too (RFC 7644 §3.4.2.2): Bravo, charlie, delta. */
    assert_int_equal(filter_total(token, "userName gt \"b\""), 3);
    assert_int_equal(filter_total(token, "userName ge \"bravo@example.com\""), 3);
    assert_int_equal(filter_total(token, "userName lt \"C\""), 2);
    /* Paging a filtered list: totalResults counts every match, not the page. */
    static const struct {
        const char *query;
        long long items;
    } pages[] = {{"count=1", 1},
                 {"startIndex=4&count=10", 1},
                 {"count=0", 0},
                 {"startIndex=2&count=2", 2},
                 {"startIndex=9", 0}};
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        struct e2e_resp *r =
            e2e_get(srv, token, "/scim/v2/Users?filter=displayName%%20pr&%s", pages[i].query);
        if (list_total(r) != 4)
            e2e_fail(r, "totalResults of 'displayName pr' with %s must be 4", pages[i].query);
        assert_json_int(r, "itemsPerPage", pages[i].items);
        e2e_resp_free(r);
    }
    scim_free(token);
}

static void test_e2e_filter_plus_encoded_spaces_entra(void **state)
{
    (void)state;
    /* Entra ID encodes the spaces of a filter as '+' (form encoding). */
    struct user u;
    create(srv->token, "Entra.Plus@example.com", "{\"externalId\":\"entra-plus-1\"}", &u);
    struct e2e_resp *r = e2e_get(
        srv, srv->token, "/scim/v2/Users?filter=userName+eq+%%22entra.plus%%40example.com%%22");
    assert_int_equal(list_total(r), 1);
    assert_json_str(r, "Resources[0].id", u.id);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users?filter=externalId+eq+%%22entra-plus-1%%22");
    assert_int_equal(list_total(r), 1);
    e2e_resp_free(r);
}

static void test_e2e_filter_no_match_is_empty_200(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_filter_users(srv, srv->token, "userName eq \"nobody@nowhere.test\"");
    assert_int_equal(list_total(r), 0);
    assert_int_equal(json_array_size(json_object_get(r->json, "Resources")), 0);
    e2e_resp_free(r);
    /* A filter the store answers in memory (not an indexed equality) as well. */
    r = e2e_filter_users(srv, srv->token, "displayName eq \"No Such Display Name\"");
    assert_int_equal(list_total(r), 0);
    e2e_resp_free(r);
}

static void test_e2e_put_replace_ignores_read_only(void **state)
{
    (void)state;
    struct e2e_resp *created =
        e2e_create_user(srv, srv->token, "put@example.com", "{\"displayName\":\"Before\"}");
    const char *id = e2e_str(created->json, "id");
    const char *created_at = e2e_str(created->json, "meta.created");
    const char *etag = e2e_header(created, "ETag");
    char *body = scim_asprintf(
        "{\"schemas\":[\"%s\"],\"id\":\"not-the-id\",\"userName\":\"put@example.com\","
        "\"displayName\":\"After\",\"meta\":{\"resourceType\":\"Group\",\"created\":"
        "\"2001-01-01T00:00:00Z\",\"version\":\"W/\\\"999\\\"\"}}",
        E2E_USER_SCHEMA);
    struct e2e_resp *r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    assert_scim_content_type(r);
    assert_json_str(r, "id", id);
    assert_json_str(r, "displayName", "After");
    assert_json_str(r, "meta.resourceType", "User");
    assert_json_str(r, "meta.created", created_at);
    const char *new_etag = e2e_header(r, "ETag");
    if (!new_etag || strcmp(new_etag, etag) == 0 || strcmp(new_etag, "W/\"999\"") == 0)
        e2e_fail(r, "PUT must change the ETag (was %s) and ignore meta.version", etag);
    assert_json_str(r, "meta.version", new_etag);
    e2e_resp_free(r);

    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "After");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/not-the-id");
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    scim_free(body);
    e2e_resp_free(created);
}

static void test_e2e_patch_add_replace_remove_with_path(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "patch-path@example.com", "{\"displayName\":\"Old\"}", &u);
    struct e2e_resp *r =
        patch(u.id, "[{\"op\":\"add\",\"path\":\"title\",\"value\":\"Engineer\"}]", NULL);
    assert_status(r, 200);
    assert_scim_content_type(r);
    assert_json_str(r, "title", "Engineer");
    const char *etag1 = e2e_header(r, "ETag");
    if (!etag1 || strcmp(etag1, u.etag) == 0)
        e2e_fail(r, "a PATCH that changes the user must change the ETag");
    char etag_add[64];
    snprintf(etag_add, sizeof(etag_add), "%s", etag1);
    e2e_resp_free(r);

    r = patch(u.id, "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"New\"}]", NULL);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "New");
    assert_json_str(r, "title", "Engineer");
    if (!e2e_header(r, "ETag") || strcmp(e2e_header(r, "ETag"), etag_add) == 0)
        e2e_fail(r, "a PATCH that changes the user must change the ETag");
    e2e_resp_free(r);

    r = patch(u.id, "[{\"op\":\"remove\",\"path\":\"title\"}]", NULL);
    assert_status(r, 200);
    assert_json_absent(r, "title");
    e2e_resp_free(r);

    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.id);
    assert_status(r, 200);
    assert_json_absent(r, "title");
    assert_json_str(r, "displayName", "New");
    e2e_resp_free(r);
}

static void test_e2e_patch_sub_attribute_path(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "patch-sub@example.com",
           "{\"name\":{\"givenName\":\"Barbara\",\"familyName\":\"Jensen\"}}", &u);
    struct e2e_resp *r =
        patch(u.id, "[{\"op\":\"replace\",\"path\":\"name.givenName\",\"value\":\"Babs\"}]", NULL);
    assert_status(r, 200);
    assert_json_str(r, "name.givenName", "Babs");
    assert_json_str(r, "name.familyName", "Jensen");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.id);
    assert_json_str(r, "name.givenName", "Babs");
    assert_json_str(r, "name.familyName", "Jensen");
    e2e_resp_free(r);
}

static void test_e2e_patch_value_filter_path(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "patch-filter@example.com",
           "{\"emails\":[{\"value\":\"work@example.com\",\"type\":\"work\",\"primary\":true},"
           "{\"value\":\"home@example.com\",\"type\":\"home\"}]}",
           &u);
    /* The shape Entra ID sends to change one e-mail address. */
    struct e2e_resp *r =
        patch(u.id,
              "[{\"op\":\"replace\",\"path\":\"emails[type eq \\\"work\\\"].value\","
              "\"value\":\"new-work@example.com\"}]",
              NULL);
    assert_status(r, 200);
    const json_t *emails = e2e_json_at(r->json, "emails");
    bool work = false, home = false;
    for (size_t i = 0; i < json_array_size(emails); i++) {
        const json_t *e = json_array_get(emails, i);
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *value = json_string_value(json_object_get(e, "value"));
        if (type && value && strcmp(type, "work") == 0)
            work = strcmp(value, "new-work@example.com") == 0;
        if (type && value && strcmp(type, "home") == 0)
            home = strcmp(value, "home@example.com") == 0;
    }
    if (json_array_size(emails) != 2 || !work || !home)
        e2e_fail(r, "only the work e-mail's value must change");
    e2e_resp_free(r);

    r = patch(u.id, "[{\"op\":\"remove\",\"path\":\"emails[type eq \\\"home\\\"]\"}]", NULL);
    assert_status(r, 200);
    assert_int_equal(json_array_size(e2e_json_at(r->json, "emails")), 1);
    assert_json_str(r, "emails[0].value", "new-work@example.com");
    e2e_resp_free(r);
}

static void test_e2e_patch_without_path_okta_deactivate(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "okta-deactivate@example.com", "{\"active\":true}", &u);
    struct e2e_resp *r = patch(u.id, "[{\"op\":\"replace\",\"value\":{\"active\":false}}]", NULL);
    assert_status(r, 200);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.id);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    assert_json_str(r, "userName", "okta-deactivate@example.com");
    e2e_resp_free(r);
}

static void test_e2e_patch_entra_quirks(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "entra-quirks@example.com", "{\"active\":true}", &u);
    /* Capitalised op names, and a first work e-mail added through a value filter path. */
    struct e2e_resp *r =
        patch(u.id,
              "[{\"op\":\"Replace\",\"path\":\"active\",\"value\":false},"
              "{\"op\":\"Add\",\"path\":\"emails[type eq \\\"work\\\"].value\","
              "\"value\":\"first-work@example.com\"},"
              "{\"op\":\"Add\",\"path\":\"externalId\",\"value\":\"entra-object-1\"}]",
              NULL);
    assert_status(r, 200);
    assert_true(json_is_false(e2e_json_at(r->json, "active")));
    assert_json_str(r, "emails[0].type", "work");
    assert_json_str(r, "emails[0].value", "first-work@example.com");
    assert_json_str(r, "externalId", "entra-object-1");
    e2e_resp_free(r);
}

static void test_e2e_put_duplicate_username_409(void **state)
{
    (void)state;
    struct user a, b;
    create(srv->token, "put-dup-a@example.com", NULL, &a);
    create(srv->token, "put-dup-b@example.com", NULL, &b);
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"PUT-DUP-A@example.com\"}",
                               E2E_USER_SCHEMA);
    struct e2e_resp *r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Users/%s", b.id);
    assert_scim_error(r, 409, "uniqueness");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", b.id);
    assert_json_str(r, "userName", "put-dup-b@example.com");
    assert_header(r, "ETag", b.etag);
    e2e_resp_free(r);
    /* Changing only the case of one's own userName is not a conflict. */
    scim_free(body);
    body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"Put-Dup-B@Example.com\"}",
                         E2E_USER_SCHEMA);
    r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Users/%s", b.id);
    assert_status(r, 200);
    assert_json_str(r, "userName", "Put-Dup-B@Example.com");
    e2e_resp_free(r);
    scim_free(body);
}

static void test_e2e_delete_then_404_then_recreate(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "deleted@example.com",
           "{\"externalId\":\"deleted-ext\",\"displayName\":\"Deleted User\"}", &u);
    struct e2e_resp *r = e2e_send(srv, "DELETE", srv->token, NULL, "/scim/v2/Users/%s", u.id);
    assert_status(r, 204);
    assert_int_equal(r->body_len, 0);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.id);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", srv->token, NULL, "/scim/v2/Users/%s", u.id);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    /* The tombstone is invisible to every kind of filter. */
    char by_id[96];
    snprintf(by_id, sizeof(by_id), "id eq \"%s\"", u.id);
    const char *const filters[] = {"userName eq \"deleted@example.com\"",
                                   "externalId eq \"deleted-ext\"", by_id,
                                   "displayName eq \"Deleted User\""};
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        r = e2e_filter_users(srv, srv->token, filters[i]);
        if (list_total(r) != 0)
            e2e_fail(r, "filter %s must not find a deleted user", filters[i]);
        e2e_resp_free(r);
    }
    r = e2e_send(srv, "PUT", srv->token,
                 "{\"schemas\":[\"" E2E_USER_SCHEMA "\"],\"userName\":\"deleted@example.com\"}",
                 "/scim/v2/Users/%s", u.id);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    r = patch(u.id, "[{\"op\":\"replace\",\"path\":\"title\",\"value\":\"ghost\"}]", NULL);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);

    struct user again;
    create(srv->token, "deleted@example.com", NULL, &again);
    assert_true(strcmp(again.id, u.id) != 0);
}

static void test_e2e_duplicate_username_409(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "Dup@Example.com", NULL, &u);
    static const char *const names[] = {"Dup@Example.com", "dup@example.com", "DUP@EXAMPLE.COM"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *body =
            scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"%s\"}", E2E_USER_SCHEMA, names[i]);
        struct e2e_resp *r = e2e_send(srv, "POST", srv->token, body, "/scim/v2/Users");
        assert_scim_error(r, 409, "uniqueness");
        e2e_resp_free(r);
        scim_free(body);
    }
    /* Renaming another user onto the taken name is a conflict too. */
    struct user other;
    create(srv->token, "not-dup@example.com", NULL, &other);
    struct e2e_resp *r =
        patch(other.id,
              "[{\"op\":\"replace\",\"path\":\"userName\",\"value\":\"DUP@example.COM\"}]", NULL);
    assert_scim_error(r, 409, "uniqueness");
    e2e_resp_free(r);
}

static void test_e2e_unicode_username_case_insensitive(void **state)
{
    (void)state;
    /* userName is caseExact false (RFC 7643 §4.1.1) for every script, not only ASCII. */
    struct user u;
    create(srv->token, "J\xc3\xb6ns.\xc3\x84rlig@example.com", NULL, &u);
    char *body = scim_asprintf(
        "{\"schemas\":[\"%s\"],\"userName\":\"J\xc3\x96NS.\xc3\x84RLIG@EXAMPLE.COM\"}",
        E2E_USER_SCHEMA);
    struct e2e_resp *r = e2e_send(srv, "POST", srv->token, body, "/scim/v2/Users");
    assert_scim_error(r, 409, "uniqueness");
    e2e_resp_free(r);
    scim_free(body);
    r = e2e_filter_users(srv, srv->token, "userName eq \"j\xc3\xb6ns.\xc3\xa4rlig@example.com\"");
    assert_int_equal(list_total(r), 1);
    assert_json_str(r, "Resources[0].id", u.id);
    assert_json_str(r, "Resources[0].userName", "J\xc3\xb6ns.\xc3\x84rlig@example.com");
    e2e_resp_free(r);
    r = e2e_filter_users(srv, srv->token, "userName sw \"J\xc3\x96NS.\"");
    assert_int_equal(list_total(r), 1);
    e2e_resp_free(r);
}

static void test_e2e_password_never_returned(void **state)
{
    (void)state;
    static const char password[] = "Tr0ub4dor&3-e2e";
    struct e2e_resp *r =
        e2e_create_user(srv, srv->token, "pw@example.com", "{\"password\":\"Tr0ub4dor&3-e2e\"}");
    assert_json_absent(r, "password");
    assert_null(strstr(r->body, password));
    char id[64];
    snprintf(id, sizeof(id), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);

    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    assert_json_absent(r, "password");
    assert_null(strstr(r->body, password));
    e2e_resp_free(r);

    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s?attributes=password", id);
    assert_status(r, 200);
    assert_json_absent(r, "password");
    e2e_resp_free(r);

    r = e2e_filter_users(srv, srv->token, "userName eq \"pw@example.com\"");
    assert_int_equal(list_total(r), 1);
    assert_json_absent(r, "Resources[0].password");
    assert_null(strstr(r->body, password));
    e2e_resp_free(r);

    /* Changing the password through PATCH does not return it either. */
    r = patch(id, "[{\"op\":\"replace\",\"path\":\"password\",\"value\":\"N3w-Secret-e2e\"}]",
              NULL);
    assert_status(r, 200);
    assert_json_absent(r, "password");
    assert_null(strstr(r->body, "N3w-Secret-e2e"));
    char etag[64];
    snprintf(etag, sizeof(etag), "%s", e2e_header(r, "ETag") ? e2e_header(r, "ETag") : "");
    e2e_resp_free(r);

    /* The same password re-sent (Okta's password push sends it with every update) is no
     * change: version and stored hash stay; a new one changes both. */
    char *sql = scim_asprintf("SELECT password_hash FROM resources WHERE id = '%s'", id);
    char *hash_before = e2e_sql_text(srv, sql);
    assert_non_null(hash_before);
    const char *put_body = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                           "\"userName\":\"pw@example.com\",\"password\":\"%s\"}";
    char *body = scim_asprintf(put_body, "N3w-Secret-e2e");
    r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Users/%s", id);
    scim_free(body);
    assert_status(r, 200);
    assert_header(r, "ETag", etag);
    e2e_resp_free(r);
    char *hash_after = e2e_sql_text(srv, sql);
    assert_string_equal(hash_after, hash_before);
    scim_free(hash_after);
    body = scim_asprintf(put_body, "An0ther-Secret-e2e");
    r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Users/%s", id);
    scim_free(body);
    assert_status(r, 200);
    if (strcmp(e2e_header(r, "ETag") ? e2e_header(r, "ETag") : "", etag) == 0)
        e2e_fail(r, "a new password is a new version");
    e2e_resp_free(r);
    hash_after = e2e_sql_text(srv, sql);
    assert_string_not_equal(hash_after, hash_before);
    scim_free(hash_after);
    scim_free(hash_before);
    scim_free(sql);
}

static void test_e2e_enterprise_manager_round_trip(void **state)
{
    (void)state;
    struct user boss;
    create(srv->token, "boss@example.com", NULL, &boss);
    char *extra =
        scim_asprintf("{\"schemas\":[\"%s\",\"%s\"],\"%s\":{\"employeeNumber\":\"701984\","
                      "\"department\":\"Tour Operations\",\"manager\":{\"value\":\"%s\"}}}",
                      E2E_USER_SCHEMA, E2E_ENTERPRISE_SCHEMA, E2E_ENTERPRISE_SCHEMA, boss.id);
    struct e2e_resp *r = e2e_create_user(srv, srv->token, "employee@example.com", extra);
    const json_t *schemas = json_object_get(r->json, "schemas");
    bool has_ext = false;
    for (size_t i = 0; i < json_array_size(schemas); i++) {
        const char *s = json_string_value(json_array_get(schemas, i));
        has_ext = has_ext || (s && strcmp(s, E2E_ENTERPRISE_SCHEMA) == 0);
    }
    if (!has_ext)
        e2e_fail(r, "schemas must list the enterprise extension");
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".employeeNumber", "701984");
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".department", "Tour Operations");
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".manager.value", boss.id);
    char id[64];
    snprintf(id, sizeof(id), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);

    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".employeeNumber", "701984");
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".manager.value", boss.id);
    e2e_resp_free(r);

    /* Entra ID sets the manager with a path into the extension. */
    char *ops = scim_asprintf("[{\"op\":\"replace\",\"path\":\"%s:department\",\"value\":\"R&D\"}]",
                              E2E_ENTERPRISE_SCHEMA);
    r = patch(id, ops, NULL);
    assert_status(r, 200);
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".department", "R&D");
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".manager.value", boss.id);
    e2e_resp_free(r);
    scim_free(ops);
    scim_free(extra);
}

static void test_e2e_odd_case_attribute_names_normalised(void **state)
{
    (void)state;
    char *body = scim_asprintf(
        "{\"schemas\":[\"%s\"],\"USERNAME\":\"oddcase@example.com\",\"Name\":{\"GIVENNAME\":"
        "\"Odd\",\"familyname\":\"Case\"},\"Emails\":[{\"VALUE\":\"odd@example.com\","
        "\"Type\":\"work\"}],\"ACTIVE\":true,\"displayname\":\"Odd Case\"}",
        E2E_USER_SCHEMA);
    struct e2e_resp *r = e2e_send(srv, "POST", srv->token, body, "/scim/v2/Users");
    assert_status(r, 201);
    assert_json_str(r, "userName", "oddcase@example.com");
    assert_json_str(r, "name.givenName", "Odd");
    assert_json_str(r, "name.familyName", "Case");
    assert_json_str(r, "emails[0].value", "odd@example.com");
    assert_json_str(r, "emails[0].type", "work");
    assert_json_str(r, "displayName", "Odd Case");
    assert_true(json_is_true(e2e_json_at(r->json, "active")));
    static const char *const odd[] = {"USERNAME", "Name", "Emails", "ACTIVE", "displayname"};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        assert_json_absent(r, odd[i]);
    assert_json_absent(r, "name.GIVENNAME");
    assert_json_absent(r, "emails[0].VALUE");
    e2e_resp_free(r);
    scim_free(body);
}

static void test_e2e_if_match_stale_412(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "if-match@example.com", "{\"displayName\":\"v1\"}", &u);
    struct e2e_resp *r =
        patch(u.id, "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"v2\"}]", NULL);
    assert_status(r, 200);
    char current[64];
    snprintf(current, sizeof(current), "%s", e2e_header(r, "ETag"));
    e2e_resp_free(r);

    char *stale = scim_asprintf("If-Match: %s", u.etag);
    const char *const stale_headers[] = {stale, NULL};
    r = patch(u.id, "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"v3\"}]",
              stale_headers);
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);

    char *path = scim_asprintf("/scim/v2/Users/%s", u.id);
    char *put = scim_asprintf(
        "{\"schemas\":[\"%s\"],\"userName\":\"if-match@example.com\",\"displayName\":\"v3\"}",
        E2E_USER_SCHEMA);
    r = e2e_http(srv, &(struct e2e_req){.method = "PUT",
                                        .path = path,
                                        .token = srv->token,
                                        .body = put,
                                        .headers = stale_headers});
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    r = e2e_http(
        srv, &(struct e2e_req){
                 .method = "DELETE", .path = path, .token = srv->token, .headers = stale_headers});
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);

    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.id);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "v2");
    assert_header(r, "ETag", current);
    e2e_resp_free(r);

    char *fresh = scim_asprintf("If-Match: %s", current);
    const char *const fresh_headers[] = {fresh, NULL};
    r = patch(u.id, "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"v3\"}]",
              fresh_headers);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "v3");
    e2e_resp_free(r);

    /* "*" matches any version; an ETag this server never issued matches none. */
    const char *const any[] = {"If-Match: *", NULL};
    r = patch(u.id, "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"v4\"}]", any);
    assert_status(r, 200);
    char latest[64];
    snprintf(latest, sizeof(latest), "%s", e2e_header(r, "ETag"));
    e2e_resp_free(r);
    const char *const garbage[] = {"If-Match: \"not-a-version\"", NULL};
    r = patch(u.id, "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"v5\"}]", garbage);
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);

    /* DELETE with the current ETag succeeds. */
    char *current_line = scim_asprintf("If-Match: %s", latest);
    const char *const current_headers[] = {current_line, NULL};
    r = e2e_http(srv, &(struct e2e_req){.method = "DELETE",
                                        .path = path,
                                        .token = srv->token,
                                        .headers = current_headers});
    assert_status(r, 204);
    e2e_resp_free(r);
    scim_free(current_line);
    scim_free(fresh);
    scim_free(put);
    scim_free(path);
    scim_free(stale);
}

static void test_e2e_if_none_match_current_304(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "if-none-match@example.com", NULL, &u);
    char *path = scim_asprintf("/scim/v2/Users/%s", u.id);
    char *current = scim_asprintf("If-None-Match: %s", u.etag);
    const char *const h1[] = {current, NULL};
    struct e2e_resp *r =
        e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .headers = h1});
    assert_status(r, 304);
    assert_int_equal(r->body_len, 0);
    assert_header(r, "ETag", u.etag);
    e2e_resp_free(r);
    const char *const h2[] = {"If-None-Match: W/\"987654\"", NULL};
    r = e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .headers = h2});
    assert_status(r, 200);
    assert_json_str(r, "id", u.id);
    e2e_resp_free(r);
    scim_free(current);
    scim_free(path);
}

static void test_e2e_attributes_projection(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "projection@example.com",
           "{\"displayName\":\"Pro Jection\",\"emails\":[{\"value\":\"p@example.com\"}],"
           "\"name\":{\"givenName\":\"Pro\"}}",
           &u);
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s?attributes=userName", u.id);
    assert_status(r, 200);
    assert_json_str(r, "id", u.id);
    assert_json_str(r, "userName", "projection@example.com");
    assert_json_absent(r, "emails");
    assert_json_absent(r, "displayName");
    assert_json_absent(r, "name");
    e2e_resp_free(r);

    r = e2e_get(srv, srv->token,
                "/scim/v2/Users?filter=userName%%20eq%%20%%22projection@example.com%%22"
                "&attributes=userName");
    assert_int_equal(list_total(r), 1);
    assert_json_str(r, "Resources[0].id", u.id);
    assert_json_str(r, "Resources[0].userName", "projection@example.com");
    assert_json_absent(r, "Resources[0].emails");
    assert_json_absent(r, "Resources[0].displayName");
    e2e_resp_free(r);
}

static void test_e2e_excluded_attributes_projection(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "excluded@example.com",
           "{\"displayName\":\"Ex Cluded\",\"emails\":[{\"value\":\"x@example.com\"}]}", &u);
    struct e2e_resp *r =
        e2e_get(srv, srv->token, "/scim/v2/Users/%s?excludedAttributes=emails", u.id);
    assert_status(r, 200);
    assert_json_str(r, "id", u.id);
    assert_json_str(r, "userName", "excluded@example.com");
    assert_json_str(r, "displayName", "Ex Cluded");
    assert_json_absent(r, "emails");
    e2e_resp_free(r);
}

/* A schema URN alone in attributes= / excludedAttributes= names all of its attributes: the
 * Enterprise extension's whole object is excluded, or is all that is returned besides the
 * attributes returned always. */
static void test_e2e_projection_by_schema_urn(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "by-urn@example.com",
           "{\"schemas\":[\"" E2E_USER_SCHEMA "\",\"" E2E_ENTERPRISE_SCHEMA "\"],"
           "\"displayName\":\"By Urn\",\"" E2E_ENTERPRISE_SCHEMA "\":{\"department\":\"Eng\"}}",
           &u);
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s?excludedAttributes=%s", u.id,
                                 E2E_ENTERPRISE_SCHEMA);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "By Urn");
    assert_json_absent(r, E2E_ENTERPRISE_SCHEMA);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s?attributes=%s", u.id, E2E_ENTERPRISE_SCHEMA);
    assert_status(r, 200);
    assert_json_str(r, "id", u.id);
    assert_json_str(r, E2E_ENTERPRISE_SCHEMA ".department", "Eng");
    assert_json_absent(r, "displayName");
    e2e_resp_free(r);
    /* A URN that is no schema of User is still an error. */
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s?excludedAttributes=%s", u.id,
                "urn:ietf:params:scim:schemas:core:2.0:Group");
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
}

static void test_e2e_application_json_accepted(void **state)
{
    (void)state;
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"plain-json@example.com\"}",
                               E2E_USER_SCHEMA);
    struct e2e_resp *r = e2e_http(srv, &(struct e2e_req){.method = "POST",
                                                         .path = "/scim/v2/Users",
                                                         .token = srv->token,
                                                         .body = body,
                                                         .content_type = "application/json"});
    assert_status(r, 201);
    assert_scim_content_type(r);
    assert_json_str(r, "userName", "plain-json@example.com");
    e2e_resp_free(r);
    r = e2e_http(srv, &(struct e2e_req){.method = "POST",
                                        .path = "/scim/v2/Users",
                                        .token = srv->token,
                                        .body = body,
                                        .content_type = "application/json; charset=utf-8"});
    assert_scim_error(r, 409, "uniqueness");
    e2e_resp_free(r);
    scim_free(body);
}

static void test_e2e_responses_are_scim_json(void **state)
{
    (void)state;
    struct user u;
    create(srv->token, "content-type@example.com", NULL, &u);
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.id);
    assert_scim_content_type(r);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users");
    assert_scim_content_type(r);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", "00000000-0000-4000-8000-000000000000");
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_create_user_201),
        cmocka_unit_test(test_e2e_get_user_by_id),
        cmocka_unit_test(test_e2e_slashes_folded),
        cmocka_unit_test(test_e2e_list_paging),
        cmocka_unit_test(test_e2e_filter_username_eq),
        cmocka_unit_test(test_e2e_filter_external_id_eq),
        cmocka_unit_test(test_e2e_filter_id_eq),
        cmocka_unit_test(test_e2e_filter_other_operators),
        cmocka_unit_test(test_e2e_filter_literals_are_literal),
        cmocka_unit_test(test_e2e_filter_plus_encoded_spaces_entra),
        cmocka_unit_test(test_e2e_filter_no_match_is_empty_200),
        cmocka_unit_test(test_e2e_put_replace_ignores_read_only),
        cmocka_unit_test(test_e2e_patch_add_replace_remove_with_path),
        cmocka_unit_test(test_e2e_patch_sub_attribute_path),
        cmocka_unit_test(test_e2e_patch_value_filter_path),
        cmocka_unit_test(test_e2e_patch_without_path_okta_deactivate),
        cmocka_unit_test(test_e2e_patch_entra_quirks),
        cmocka_unit_test(test_e2e_put_duplicate_username_409),
        cmocka_unit_test(test_e2e_delete_then_404_then_recreate),
        cmocka_unit_test(test_e2e_duplicate_username_409),
        cmocka_unit_test(test_e2e_unicode_username_case_insensitive),
        cmocka_unit_test(test_e2e_password_never_returned),
        cmocka_unit_test(test_e2e_enterprise_manager_round_trip),
        cmocka_unit_test(test_e2e_odd_case_attribute_names_normalised),
        cmocka_unit_test(test_e2e_if_match_stale_412),
        cmocka_unit_test(test_e2e_if_none_match_current_304),
        cmocka_unit_test(test_e2e_attributes_projection),
        cmocka_unit_test(test_e2e_excluded_attributes_projection),
        cmocka_unit_test(test_e2e_projection_by_schema_urn),
        cmocka_unit_test(test_e2e_application_json_accepted),
        cmocka_unit_test(test_e2e_responses_are_scim_json),
    };
    return cmocka_run_group_tests_name("e2e_users", tests, group_setup, group_teardown);
}
