/*
 * e2e_groups — Groups (RFC 7643 §4.2; RFC 7644 §3.3-§3.6) of a real scimd over HTTP, the way
 * identity providers push them: Okta (create, PATCH add members in batches without "type",
 * remove members[value eq "id"], rename with {"op":"replace","value":{"id":…,"displayName":…}}),
 * Microsoft Entra ID (capitalised ops, "Add" with value arrays, "Remove" with a value array,
 * GET and filter with excludedAttributes=members), JumpCloud (repeated adds); discovery, the
 * 204 answer of a Group PATCH, displayName uniqueness, nested groups and cycle rejection, unknown
 * and cross-tenant member ids (rejected, or skipped with the tenant setting), PUT as a member
 * diff, deletes that remove memberships, and the User's read-only "groups".
 * Owns: nothing but these cases. Must not: reach into the database.
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

#define GROUP_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Group"

static struct e2e_server *srv;
static char *other_token; /* a token of tenant "other" */

static int group_setup(void **state)
{
    (void)state;
    if (e2e_setup(NULL, &srv) != 0)
        return -1;
    if (e2e_tenant_create(srv, "other") != 0)
        return -1;
    other_token = e2e_token_create(srv, "other", "other tenant", 1);
    return other_token ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    scim_free(other_token);
    return e2e_teardown(srv);
}

/* A created resource's id. */
struct id {
    char v[64];
};

static void user(const char *user_name, struct id *out)
{
    struct e2e_resp *r = e2e_create_user(srv, srv->token, user_name, NULL);
    snprintf(out->v, sizeof(out->v), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);
}

/* POST /Groups with body, asserting 201; returns the response. */
static struct e2e_resp *post_group(const char *token, const char *body)
{
    struct e2e_resp *r = e2e_send(srv, "POST", token, body, "/scim/v2/Groups");
    return r;
}

static void group(const char *name, const char *members_json, struct id *out)
{
    char *body =
        scim_asprintf("{\"schemas\":[\"%s\"],\"displayName\":\"%s\"%s%s}", GROUP_SCHEMA, name,
                      members_json ? ",\"members\":" : "", members_json ? members_json : "");
    struct e2e_resp *r = post_group(srv->token, body);
    assert_status(r, 201);
    snprintf(out->v, sizeof(out->v), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);
    scim_free(body);
}

/* PATCH /Groups/id (plus query, may be "") with Operations ops (a JSON array text). */
static struct e2e_resp *patch(const char *id, const char *query, const char *ops)
{
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":%s}", E2E_PATCH_SCHEMA, ops);
    struct e2e_resp *r =
        e2e_send(srv, "PATCH", srv->token, body, "/scim/v2/Groups/%s%s", id, query);
    scim_free(body);
    return r;
}

static void patch_204(const char *id, const char *ops)
{
    struct e2e_resp *r = patch(id, "", ops);
    assert_status(r, 204);
    e2e_resp_free(r);
}

static struct e2e_resp *get_group(const char *id, const char *query)
{
    return e2e_get(srv, srv->token, "/scim/v2/Groups/%s%s", id, query);
}

/* True when the "members" of a group response list id. */
static bool has_member(const struct e2e_resp *r, const char *id)
{
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get(r->json, "members"), i, m)
        if (strcmp(json_string_value(json_object_get(m, "value")), id) == 0)
            return true;
    return false;
}

static size_t member_count(const char *gid)
{
    struct e2e_resp *r = get_group(gid, "");
    assert_status(r, 200);
    size_t n = json_array_size(json_object_get(r->json, "members"));
    e2e_resp_free(r);
    return n;
}

/* The "groups" of a user: the type of group gid in it ("direct", "indirect"), or NULL. */
static char *user_group_type(const char *uid, const char *gid)
{
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", uid);
    assert_status(r, 200);
    char *type = NULL;
    size_t i;
    json_t *g;
    json_array_foreach (json_object_get(r->json, "groups"), i, g) {
        if (strcmp(json_string_value(json_object_get(g, "value")), gid) == 0)
            type = scim_strdup(json_string_value(json_object_get(g, "type")));
    }
    e2e_resp_free(r);
    return type;
}

/* ---- discovery ---- */

static void test_e2e_groups_discovery(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/ResourceTypes/Group");
    assert_status(r, 200);
    assert_json_str(r, "endpoint", "/Groups");
    assert_json_str(r, "schema", GROUP_SCHEMA);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Schemas/%s", GROUP_SCHEMA);
    assert_status(r, 200);
    assert_json_str(r, "attributes[0].name", "displayName");
    assert_json_str(r, "attributes[0].uniqueness", "server");
    assert_json_str(r, "attributes[1].name", "members");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/ResourceTypes");
    assert_status(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "totalResults")), 2);
    e2e_resp_free(r);
}

/* ---- Okta ---- */

/* Okta's group push: create the group, add members in batches (no "type"), remove one with a
 * value filter, rename with the id echoed in the value. */
static void test_e2e_groups_okta_push(void **state)
{
    (void)state;
    struct id users[25], g;
    for (int i = 0; i < 25; i++) {
        char name[64];
        snprintf(name, sizeof(name), "okta-push-%02d@example.com", i);
        user(name, &users[i]);
    }
    /* Okta first looks the group up by name, then creates it without members. */
    char *filter = e2e_urlencode("displayName eq \"Okta Engineers\"");
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Groups?filter=%s", filter);
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
    r = post_group(srv->token, "{\"schemas\":[\"" GROUP_SCHEMA "\"],\"displayName\":\"Okta "
                               "Engineers\",\"members\":[]}");
    assert_status(r, 201);
    assert_header(r, "Location", NULL);
    assert_json_absent(r, "members");
    snprintf(g.v, sizeof(g.v), "%s", e2e_str(r->json, "id"));
    const char *etag = e2e_header(r, "ETag");
    assert_str(etag, "W/\"1\"");
    e2e_resp_free(r);
    /* Batches of 10, 10 and 5, each one PATCH with one add operation. */
    for (int b = 0; b < 3; b++) {
        char *ops = scim_asprintf("[{\"op\":\"add\",\"path\":\"members\",\"value\":[");
        for (int i = b * 10; i < 25 && i < b * 10 + 10; i++) {
            char *next = scim_asprintf("%s%s{\"value\":\"%s\",\"display\":\"user %d\"}", ops,
                                       i % 10 ? "," : "", users[i].v, i);
            scim_free(ops);
            ops = next;
        }
        char *done = scim_asprintf("%s]}]", ops);
        r = patch(g.v, "", done);
        assert_status(r, 204);
        assert_int_equal(r->body_len, 0);
        char want[16];
        snprintf(want, sizeof(want), "W/\"%d\"", b + 2);
        assert_header(r, "ETag", want);
        e2e_resp_free(r);
        scim_free(ops);
        scim_free(done);
    }
    r = get_group(g.v, "");
    assert_status(r, 200);
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 25);
    assert_json_str(r, "members[0].value", users[0].v);
    assert_json_str(r, "members[0].type", "User");
    assert_json_str(r, "members[0].display", "okta-push-00@example.com");
    char *ref = scim_asprintf("/scim/v2/Users/%s", users[0].v);
    const char *got = e2e_str(r->json, "members[0].$ref");
    if (!got || !strstr(got, ref))
        e2e_fail(r, "members[0].$ref must end with %s", ref);
    scim_free(ref);
    e2e_resp_free(r);
    /* Okta removes one member with a value filter. */
    char *ops = scim_asprintf("[{\"op\":\"remove\",\"path\":\"members[value eq \\\"%s\\\"]\"}]",
                              users[3].v);
    patch_204(g.v, ops);
    scim_free(ops);
    r = get_group(g.v, "");
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 24);
    assert_false(has_member(r, users[3].v));
    e2e_resp_free(r);
    /* Okta's rename echoes the group's id in the value. */
    ops = scim_asprintf("[{\"op\":\"replace\",\"value\":{\"id\":\"%s\",\"displayName\":\"Okta "
                        "Engineering\"}}]",
                        g.v);
    patch_204(g.v, ops);
    scim_free(ops);
    r = get_group(g.v, "?excludedAttributes=members");
    assert_json_str(r, "displayName", "Okta Engineering");
    assert_json_absent(r, "members");
    e2e_resp_free(r);
    /* Another id in that place is a write of a readOnly attribute. */
    r = patch(g.v, "", "[{\"op\":\"replace\",\"value\":{\"id\":\"x\",\"displayName\":\"Y\"}}]");
    assert_scim_error(r, 400, "mutability");
    e2e_resp_free(r);
    /* The user's read-only groups attribute shows the membership. */
    char *type = user_group_type(users[0].v, g.v);
    assert_str(type, "direct");
    scim_free(type);
    scim_free(filter);
}

/* ---- Microsoft Entra ID ---- */

static void test_e2e_groups_entra(void **state)
{
    (void)state;
    struct id u[4], g;
    user("entra-g-0@example.com", &u[0]);
    user("entra-g-1@example.com", &u[1]);
    user("entra-g-2@example.com", &u[2]);
    user("entra-g-3@example.com", &u[3]);
    /* Entra ID's existence check: a filter on displayName without members. */
    char *filter = e2e_urlencode("displayName eq \"Entra Group\"");
    struct e2e_resp *r =
        e2e_get(srv, srv->token, "/scim/v2/Groups?excludedAttributes=members&filter=%s", filter);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
    /* The "Create Group" body of Microsoft's SCIM tutorial, Microsoft's ADSCIM schema URN and
     * all (entra.adscim-schema drops it). */
    r = post_group(
        srv->token,
        "{\n    \"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:Group\", "
        "\"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group\"],\n"
        "    \"externalId\": \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\",\n"
        "    \"displayName\": \"Entra Group\",\n"
        "    \"meta\": {\n        \"resourceType\": \"Group\"\n    }\n}");
    assert_status(r, 201);
    assert_json_str(r, "schemas[0]", GROUP_SCHEMA);
    assert_json_absent(r, "schemas[1]");
    assert_json_str(r, "externalId", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    snprintf(g.v, sizeof(g.v), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);
    /* "Add" with a value array of several members. */
    char *ops = scim_asprintf("[{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"},"
                              "{\"value\":\"%s\"},{\"value\":\"%s\"}]}]",
                              u[0].v, u[1].v, u[2].v);
    patch_204(g.v, ops);
    scim_free(ops);
    /* "Remove" with a value array (without the aadOptscim062020 flag). */
    ops = scim_asprintf("[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"},{"
                        "\"value\":\"%s\"}]}]",
                        u[0].v, u[2].v);
    patch_204(g.v, ops);
    scim_free(ops);
    r = get_group(g.v, "");
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 1);
    assert_json_str(r, "members[0].value", u[1].v);
    e2e_resp_free(r);
    /* GET and the filter with excludedAttributes=members carry no members. */
    r = get_group(g.v, "?excludedAttributes=members");
    assert_status(r, 200);
    assert_json_absent(r, "members");
    assert_json_str(r, "displayName", "Entra Group");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Groups?excludedAttributes=members&filter=%s", filter);
    assert_json_int(r, "totalResults", 1);
    assert_json_str(r, "Resources[0].id", g.v);
    assert_json_absent(r, "Resources[0].members");
    e2e_resp_free(r);
    /* "Replace" of displayName and a members add in one request (the flag's standard form,
     * members[value eq ...] removal, too). */
    ops =
        scim_asprintf("[{\"op\":\"Replace\",\"path\":\"displayName\",\"value\":\"Entra Group 2\"},"
                      "{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]},"
                      "{\"op\":\"Remove\",\"path\":\"members[value eq \\\"%s\\\"]\"}]",
                      u[3].v, u[1].v);
    r = patch(g.v, "?attributes=displayName,members", ops);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "Entra Group 2");
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 1);
    assert_json_str(r, "members[0].value", u[3].v);
    assert_json_absent(r, "meta");
    e2e_resp_free(r);
    scim_free(ops);
    /* "Remove" of an id that is not a member succeeds and changes nothing (IdPs retry). */
    r = get_group(g.v, "");
    char *before = scim_strdup(e2e_header(r, "ETag"));
    e2e_resp_free(r);
    ops = scim_asprintf("[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]",
                        u[0].v);
    r = patch(g.v, "", ops);
    assert_status(r, 204);
    assert_header(r, "ETag", before);
    e2e_resp_free(r);
    scim_free(ops);
    scim_free(before);
    scim_free(filter);
}

/* JumpCloud adds members that are already there: idempotent, the version stays. */
static void test_e2e_groups_repeated_add_is_idempotent(void **state)
{
    (void)state;
    struct id u, g;
    user("jumpcloud-member@example.com", &u);
    char *members = scim_asprintf("[{\"value\":\"%s\",\"type\":\"User\"}]", u.v);
    group("JumpCloud Group", members, &g);
    char *ops = scim_asprintf("[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"},"
                              "{\"value\":\"%s\",\"type\":\"User\"}]}]",
                              u.v, u.v);
    struct e2e_resp *r = patch(g.v, "", ops);
    assert_status(r, 204);
    assert_header(r, "ETag", "W/\"1\"");
    e2e_resp_free(r);
    assert_int_equal(member_count(g.v), 1);
    /* attributes= names nothing: as if absent, still 204 without the group. */
    r = patch(g.v, "?attributes=", ops);
    assert_status(r, 204);
    assert_int_equal(r->body_len, 0);
    e2e_resp_free(r);
    scim_free(ops);
    scim_free(members);
}

/* ---- rules ---- */

static void test_e2e_groups_display_name_unique(void **state)
{
    (void)state;
    struct id g;
    group("Unique Name", NULL, &g);
    struct e2e_resp *r = post_group(srv->token, "{\"schemas\":[\"" GROUP_SCHEMA
                                                "\"],\"displayName\":\"UNIQUE name\"}");
    assert_scim_error(r, 409, "uniqueness");
    e2e_resp_free(r);
    /* Another tenant may use it. */
    r = post_group(other_token,
                   "{\"schemas\":[\"" GROUP_SCHEMA "\"],\"displayName\":\"Unique Name\"}");
    assert_status(r, 201);
    e2e_resp_free(r);
    /* A rename onto it is a 409 as well. */
    struct id h;
    group("Other Name", NULL, &h);
    r = patch(h.v, "", "[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"unique NAME\"}]");
    assert_scim_error(r, 409, "uniqueness");
    e2e_resp_free(r);
    /* displayName is required. */
    r = post_group(srv->token, "{\"schemas\":[\"" GROUP_SCHEMA "\"]}");
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    /* After a delete the name is free again. */
    r = e2e_send(srv, "DELETE", srv->token, NULL, "/scim/v2/Groups/%s", g.v);
    assert_status(r, 204);
    e2e_resp_free(r);
    group("Unique Name", NULL, &g);
}

static void test_e2e_groups_nested_and_cycles(void **state)
{
    (void)state;
    struct id u, a, b, c;
    user("nested@example.com", &u);
    char *m = scim_asprintf("[{\"value\":\"%s\"}]", u.v);
    group("Nested A", m, &a);
    scim_free(m);
    m = scim_asprintf("[{\"value\":\"%s\",\"type\":\"Group\"}]", a.v);
    group("Nested B", m, &b);
    scim_free(m);
    m = scim_asprintf("[{\"value\":\"%s\"}]", b.v);
    group("Nested C", m, &c);
    scim_free(m);
    /* The user's groups: A direct, B and C indirect. */
    char *t = user_group_type(u.v, a.v);
    assert_str(t, "direct");
    scim_free(t);
    t = user_group_type(u.v, c.v);
    assert_str(t, "indirect");
    scim_free(t);
    struct e2e_resp *r = get_group(b.v, "");
    assert_json_str(r, "members[0].type", "Group");
    assert_json_str(r, "members[0].display", "Nested A");
    e2e_resp_free(r);
    /* C into A would close A ⊂ B ⊂ C ⊂ A. */
    char *ops = scim_asprintf(
        "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]", c.v);
    r = patch(a.v, "", ops);
    assert_scim_error(r, 400, "invalidValue");
    if (!strstr(e2e_str(r->json, "detail"), "cycle"))
        e2e_fail(r, "the detail must say that this is a cycle");
    e2e_resp_free(r);
    scim_free(ops);
    /* A group in itself; a PUT that would close a cycle. */
    ops = scim_asprintf("[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"}]}]",
                        a.v);
    r = patch(a.v, "", ops);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(ops);
    char *body = scim_asprintf("{\"schemas\":[\"" GROUP_SCHEMA
                               "\"],\"displayName\":\"Nested A\",\"members\":[{\"value\":\"%s\"}]}",
                               b.v);
    r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Groups/%s", a.v);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(body);
    /* Nothing changed: A still holds only the user. */
    r = get_group(a.v, "");
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 1);
    assert_true(has_member(r, u.v));
    e2e_resp_free(r);
}

static void test_e2e_groups_unknown_and_foreign_members(void **state)
{
    (void)state;
    struct id mine, foreign, g;
    user("member-mine@example.com", &mine);
    struct e2e_resp *r = e2e_create_user(srv, other_token, "member-foreign@example.com", NULL);
    snprintf(foreign.v, sizeof(foreign.v), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);
    group("Strict Group", NULL, &g);
    /* An id of another tenant is unknown here: 400 naming it, and nothing is added. */
    char *ops = scim_asprintf("[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"%s\"},"
                              "{\"value\":\"%s\"}]}]",
                              mine.v, foreign.v);
    r = patch(g.v, "", ops);
    assert_scim_error(r, 400, "invalidValue");
    if (!strstr(e2e_str(r->json, "detail"), foreign.v))
        e2e_fail(r, "the detail must name the unknown member id");
    e2e_resp_free(r);
    assert_int_equal(member_count(g.v), 0);
    /* The same on create. */
    char *body = scim_asprintf("{\"schemas\":[\"" GROUP_SCHEMA
                               "\"],\"displayName\":\"Strict 2\",\"members\":[{\"value\":"
                               "\"no-such-user\"}]}");
    r = post_group(srv->token, body);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(body);
    /* A member object without "value". */
    r = patch(g.v, "", "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"display\":\"x\"}]}]");
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    /* With unknown_members=skip the unknown id is ignored (and logged); the rest is added. */
    assert_int_equal(e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "unknown_members=skip", NULL),
                     0);
    r = patch(g.v, "", ops);
    assert_status(r, 204);
    e2e_resp_free(r);
    assert_int_equal(member_count(g.v), 1);
    char *log = e2e_server_read_log(srv);
    char *needle = scim_asprintf("member=%s", foreign.v);
    if (!strstr(log, needle))
        e2e_fail(NULL, "scimd must log the skipped member %s", foreign.v);
    scim_free(needle);
    scim_free(log);
    assert_int_equal(e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "unknown_members=reject", NULL),
                     0);
    scim_free(ops);
}

static void test_e2e_groups_put_sets_members(void **state)
{
    (void)state;
    struct id u[3], g;
    user("put-0@example.com", &u[0]);
    user("put-1@example.com", &u[1]);
    user("put-2@example.com", &u[2]);
    char *m = scim_asprintf("[{\"value\":\"%s\"},{\"value\":\"%s\"}]", u[0].v, u[1].v);
    group("Put Group", m, &g);
    scim_free(m);
    char *body = scim_asprintf("{\"schemas\":[\"" GROUP_SCHEMA "\"],\"displayName\":\"Put Group\","
                               "\"members\":[{\"value\":\"%s\"},{\"value\":\"%s\"}]}",
                               u[1].v, u[2].v);
    struct e2e_resp *r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Groups/%s", g.v);
    assert_status(r, 200);
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 2);
    assert_false(has_member(r, u[0].v));
    assert_true(has_member(r, u[1].v));
    assert_true(has_member(r, u[2].v));
    assert_json_str(r, "meta.version", "W/\"2\"");
    e2e_resp_free(r);
    /* The same PUT again changes nothing. */
    r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Groups/%s", g.v);
    assert_status(r, 200);
    assert_json_str(r, "meta.version", "W/\"2\"");
    e2e_resp_free(r);
    /* If-Match with a stale version: 412, nothing changed. */
    char *path = scim_asprintf("/scim/v2/Groups/%s", g.v);
    static const char *const stale[] = {"If-Match: W/\"1\"", NULL};
    r = e2e_http(srv, &(struct e2e_req){.method = "PATCH",
                                        .path = path,
                                        .token = srv->token,
                                        .body = "{\"schemas\":[\"" E2E_PATCH_SCHEMA
                                                "\"],\"Operations\":[{\"op\":\"remove\","
                                                "\"path\":\"members\"}]}",
                                        .headers = stale});
    assert_scim_error(r, 412, NULL);
    e2e_resp_free(r);
    scim_free(path);
    assert_int_equal(member_count(g.v), 2);
    scim_free(body);
}

static void test_e2e_groups_delete_removes_memberships(void **state)
{
    (void)state;
    struct id u[2], g, parent;
    user("del-0@example.com", &u[0]);
    user("del-1@example.com", &u[1]);
    char *m = scim_asprintf("[{\"value\":\"%s\"},{\"value\":\"%s\"}]", u[0].v, u[1].v);
    group("Delete Group", m, &g);
    scim_free(m);
    m = scim_asprintf("[{\"value\":\"%s\"}]", g.v);
    group("Delete Parent", m, &parent);
    scim_free(m);
    struct e2e_resp *r = e2e_send(srv, "DELETE", srv->token, NULL, "/scim/v2/Users/%s", u[0].v);
    assert_status(r, 204);
    e2e_resp_free(r);
    r = get_group(g.v, "");
    assert_int_equal(json_array_size(json_object_get(r->json, "members")), 1);
    assert_json_str(r, "members[0].value", u[1].v);
    e2e_resp_free(r);
    /* Deleting the group: 404 afterwards, gone from its parent and from the user's groups. */
    r = e2e_send(srv, "DELETE", srv->token, NULL, "/scim/v2/Groups/%s", g.v);
    assert_status(r, 204);
    e2e_resp_free(r);
    r = get_group(g.v, "");
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    assert_int_equal(member_count(parent.v), 0);
    char *t = user_group_type(u[1].v, g.v);
    assert_null(t);
}

static void test_e2e_groups_list_filter_and_projection(void **state)
{
    (void)state;
    struct id u, g;
    user("list-member@example.com", &u);
    char *m = scim_asprintf("[{\"value\":\"%s\"}]", u.v);
    group("Listed Group", m, &g);
    scim_free(m);
    char *filter = e2e_urlencode("displayName eq \"LISTED group\"");
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Groups?filter=%s", filter);
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 1);
    assert_json_str(r, "Resources[0].members[0].value", u.v);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Groups?filter=%s&attributes=displayName", filter);
    assert_json_absent(r, "Resources[0].members");
    assert_json_str(r, "Resources[0].displayName", "Listed Group");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Groups?filter=%s&attributes=members.value", filter);
    assert_json_str(r, "Resources[0].members[0].value", u.v);
    assert_json_absent(r, "Resources[0].members[0].display");
    e2e_resp_free(r);
    /* The other tenant sees nothing of it. */
    r = e2e_get(srv, other_token, "/scim/v2/Groups?filter=%s", filter);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
    r = e2e_get(srv, other_token, "/scim/v2/Groups/%s", g.v);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    /* A User's groups are read-only: what a client writes there is ignored. */
    char *body = scim_asprintf("{\"schemas\":[\"" E2E_USER_SCHEMA "\"],\"userName\":\"list-member@"
                               "example.com\",\"groups\":[{\"value\":\"bogus\"}]}");
    r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Users/%s", u.v);
    assert_status(r, 200);
    assert_json_str(r, "groups[0].value", g.v);
    assert_json_absent(r, "groups[1]");
    e2e_resp_free(r);
    scim_free(body);
    scim_free(filter);
}

/* A Group PATCH is a PatchOp message like a User's: without the PatchOp URN in "schemas" it is
 * 400 invalidSyntax and changes nothing, also on the membership fast path. */
static void test_e2e_groups_patch_needs_patchop_schema(void **state)
{
    (void)state;
    struct id u, g;
    user("patchop-schema@example.com", &u);
    group("PatchOp Schema", NULL, &g);
    static const char *const envelopes[] = {"", "\"schemas\":[\"urn:x\"],"};
    for (size_t i = 0; i < 2; i++) {
        char *body = scim_asprintf("{%s\"Operations\":[{\"op\":\"add\",\"path\":\"members\","
                                   "\"value\":[{\"value\":\"%s\"}]}]}",
                                   envelopes[i], u.v);
        struct e2e_resp *r = e2e_send(srv, "PATCH", srv->token, body, "/scim/v2/Groups/%s", g.v);
        scim_free(body);
        assert_scim_error(r, 400, "invalidSyntax");
        e2e_resp_free(r);
    }
    assert_int_equal(member_count(g.v), 0);
    /* An error names the operation by its place in the request, also when the member
     * operations before it took the fast path. */
    char *ops = scim_asprintf("[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":"
                              "\"%s\"}]},{\"op\":\"remove\",\"path\":\"displayName\"}]",
                              u.v);
    struct e2e_resp *r = patch(g.v, "", ops);
    scim_free(ops);
    assert_scim_error(r, 400, "mutability");
    const char *detail = e2e_str(r->json, "detail");
    if (!detail || strncmp(detail, "Operations[1]", 13) != 0)
        e2e_fail(r, "the detail names Operations[1]");
    e2e_resp_free(r);
    assert_int_equal(member_count(g.v), 0);
}

/* A query at the root (RFC 7644 §3.4.2.1) covers every type whatever attributes,
 * excludedAttributes and sortBy name: a type without the attribute is projected without it and
 * unsorted, never left out. A name no type has is a 400. */
static void test_e2e_groups_root_query_projection(void **state)
{
    (void)state;
    struct id u, g;
    user("root-query@example.com", &u);
    group("Root Query Group", NULL, &g);
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2?count=0");
    assert_status(r, 200);
    long long all = json_integer_value(json_object_get(r->json, "totalResults"));
    e2e_resp_free(r);
    static const char *const queries[] = {"attributes=userName",  "excludedAttributes=userName",
                                          "sortBy=userName",      "attributes=members",
                                          "sortBy=members.value", "attributes=userName,members"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        r = e2e_get(srv, srv->token, "/scim/v2?count=0&%s", queries[i]);
        assert_json_int(r, "totalResults", all);
        e2e_resp_free(r);
    }
    char *filter = e2e_urlencode("displayName eq \"Root Query Group\"");
    r = e2e_get(srv, srv->token, "/scim/v2?attributes=userName&filter=%s", filter);
    scim_free(filter);
    assert_json_int(r, "totalResults", 1);
    assert_json_str(r, "Resources[0].id", g.v);
    assert_json_absent(r, "Resources[0].displayName");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2?attributes=noSuchThing");
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2?sortBy=noSuchThing");
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_groups_discovery),
        cmocka_unit_test(test_e2e_groups_okta_push),
        cmocka_unit_test(test_e2e_groups_entra),
        cmocka_unit_test(test_e2e_groups_repeated_add_is_idempotent),
        cmocka_unit_test(test_e2e_groups_display_name_unique),
        cmocka_unit_test(test_e2e_groups_nested_and_cycles),
        cmocka_unit_test(test_e2e_groups_unknown_and_foreign_members),
        cmocka_unit_test(test_e2e_groups_put_sets_members),
        cmocka_unit_test(test_e2e_groups_delete_removes_memberships),
        cmocka_unit_test(test_e2e_groups_list_filter_and_projection),
        cmocka_unit_test(test_e2e_groups_root_query_projection),
        cmocka_unit_test(test_e2e_groups_patch_needs_patchop_schema),
    };
    return cmocka_run_group_tests_name("e2e_groups", tests, group_setup, group_teardown);
}
