/*
 * e2e_roles — group→role mapping for the host application's RBAC over a real scimd: the admin
 * API (GET/PUT/DELETE /api/v1/role-mappings, GET /api/v1/users/{id}/roles; scope admin only),
 * scimctl role-map and tenant set, the default role on create, effective roles through nested
 * groups, the Veza rule (a role persists while any group still grants it: removed from one of
 * two granting groups the user keeps it, removed from both it is gone), deleting a group,
 * roles the IdP wrote itself as their own source, and effective roles merged into the User's
 * "roles" (group-derived entries marked and never stored back).
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
#define MAPPINGS "/api/v1/role-mappings"

static struct e2e_server *srv;
static char *admin;       /* an admin-scoped token of tenant e2e */
static char *other_admin; /* an admin-scoped token of tenant "other" */

/* Mints a token of tenant with one scope through scimctl; new string. */
static char *scoped_token(const char *tenant, const char *scope, const char *description)
{
    char *out = NULL;
    int status =
        e2e_scimctl(srv, &out, "token", "create", "--tenant", tenant, "--description", description,
                    "--expires-in-days", "1", "--scope", scope, "--quiet", NULL);
    if (status != 0) {
        scim_free(out);
        return NULL;
    }
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}

static int group_setup(void **state)
{
    (void)state;
    if (e2e_setup(NULL, &srv) != 0 || e2e_tenant_create(srv, "other") != 0)
        return -1;
    admin = scoped_token("e2e", "admin", "e2e admin");
    other_admin = scoped_token("other", "admin", "other admin");
    return admin && other_admin ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    scim_free(admin);
    scim_free(other_admin);
    return e2e_teardown(srv);
}

struct id {
    char v[64];
};

static void user(const char *user_name, const char *extra, struct id *out)
{
    struct e2e_resp *r = e2e_create_user(srv, srv->token, user_name, extra);
    snprintf(out->v, sizeof(out->v), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);
}

/* Creates a group with the given members (ids, NULL-terminated). */
static void group(const char *name, struct id *out, ...)
{
    char *members = scim_strdup("");
    va_list ap;
    va_start(ap, out);
    const char *m;
    while ((m = va_arg(ap, const char *)) != NULL) {
        char *next = scim_asprintf("%s%s{\"value\":\"%s\"}", members, members[0] ? "," : "", m);
        scim_free(members);
        members = next;
    }
    va_end(ap);
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"displayName\":\"%s\",\"members\":[%s]}",
                               GROUP_SCHEMA, name, members);
    struct e2e_resp *r = e2e_send(srv, "POST", srv->token, body, "/scim/v2/Groups");
    assert_status(r, 201);
    snprintf(out->v, sizeof(out->v), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);
    scim_free(body);
    scim_free(members);
}

/* PATCH /Groups/gid with one operation on a member. */
static void membership(const char *op, const char *gid, const char *uid)
{
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"%s\",\"path\":"
                               "\"members\",\"value\":[{\"value\":\"%s\"}]}]}",
                               E2E_PATCH_SCHEMA, op, uid);
    struct e2e_resp *r = e2e_send(srv, "PATCH", srv->token, body, "/scim/v2/Groups/%s", gid);
    assert_status(r, 204);
    e2e_resp_free(r);
    scim_free(body);
}

/* PUT /api/v1/role-mappings with the admin token; returns the response. */
static struct e2e_resp *put_mapping(const char *token, const char *body)
{
    return e2e_http(srv, &(struct e2e_req){.method = "PUT",
                                           .path = MAPPINGS,
                                           .token = token,
                                           .body = body,
                                           .content_type = "application/json"});
}

static void map(const char *group_ref, const char *roles_json, int priority)
{
    char *body = scim_asprintf("{\"group\":\"%s\",\"roles\":%s,\"priority\":%d}", group_ref,
                               roles_json, priority);
    struct e2e_resp *r = put_mapping(admin, body);
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(body);
}

/* GET /api/v1/users/{id}/roles: the role values joined by ",", and the primary role. */
static void roles(const char *uid, char *out, size_t size, char *primary, size_t psize)
{
    struct e2e_resp *r = e2e_get(srv, admin, "/api/v1/users/%s/roles", uid);
    assert_status(r, 200);
    assert_json_str(r, "user", uid);
    size_t i, used = 0;
    json_t *role;
    out[0] = '\0';
    json_array_foreach (json_object_get(r->json, "roles"), i, role)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "",
                                 json_string_value(json_object_get(role, "value")));
    const char *p = e2e_str(r->json, "primary");
    snprintf(primary, psize, "%s", p ? p : "");
    e2e_resp_free(r);
}

static void assert_roles(const char *uid, const char *want, const char *want_primary)
{
    char got[256], primary[64];
    roles(uid, got, sizeof(got), primary, sizeof(primary));
    assert_str(got, want);
    if (want_primary)
        assert_str(primary, want_primary);
}

/* ---- cases ---- */

static void test_e2e_roles_admin_scope_required(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, MAPPINGS);
    assert_scim_error(r, 403, NULL);
    e2e_resp_free(r);
    r = e2e_get(srv, NULL, MAPPINGS);
    assert_scim_error(r, 401, NULL);
    e2e_resp_free(r);
    r = e2e_get(srv, admin, MAPPINGS);
    assert_status(r, 200);
    assert_json_str(r, "default_role", "viewer");
    assert_true(json_is_array(json_object_get(r->json, "role_mappings")));
    e2e_resp_free(r);
    /* An admin token is not a SCIM token. */
    r = e2e_get(srv, admin, "/scim/v2/Users");
    assert_scim_error(r, 403, NULL);
    e2e_resp_free(r);
}

static void test_e2e_roles_default_role_on_create(void **state)
{
    (void)state;
    struct id u;
    user("default-role@example.com", NULL, &u);
    assert_roles(u.v, "viewer", "viewer");
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.v);
    assert_json_str(r, "roles[0].value", "viewer");
    assert_json_str(r, "roles[0].type", "default");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s?excludedAttributes=roles", u.v);
    assert_json_absent(r, "roles");
    e2e_resp_free(r);
}

static void test_e2e_roles_mapping_api(void **state)
{
    (void)state;
    struct id u, g;
    user("mapped@example.com", NULL, &u);
    group("Mapped Admins", &g, u.v, NULL);
    /* By displayName, ignoring case. */
    struct e2e_resp *r =
        put_mapping(admin, "{\"group\":\"mapped admins\",\"roles\":[\"admin\",\"auditor\"],"
                           "\"priority\":10}");
    assert_status(r, 200);
    assert_json_str(r, "group", g.v);
    assert_json_str(r, "displayName", "Mapped Admins");
    assert_json_str(r, "roles[0]", "admin");
    assert_json_str(r, "roles[1]", "auditor");
    assert_json_int(r, "priority", 10);
    e2e_resp_free(r);
    assert_roles(u.v, "admin,auditor,viewer", "admin");
    r = e2e_get(srv, admin, "/api/v1/users/%s/roles", u.v);
    char *source = scim_asprintf("group:%s", g.v);
    assert_json_str(r, "roles[0].sources[0]", source);
    assert_json_str(r, "roles[2].sources[0]", "default");
    e2e_resp_free(r);
    scim_free(source);
    /* Merged into the User resource, marked as group-derived. */
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s?attributes=roles", u.v);
    assert_json_str(r, "roles[0].value", "admin");
    assert_json_str(r, "roles[0].type", "group");
    e2e_resp_free(r);
    /* GET lists it; DELETE removes it, then 404. */
    r = e2e_get(srv, admin, MAPPINGS);
    assert_json_str(r, "role_mappings[0].group", g.v);
    e2e_resp_free(r);
    r = e2e_send(srv, "DELETE", admin, NULL, MAPPINGS "?group=%s", g.v);
    assert_status(r, 204);
    e2e_resp_free(r);
    assert_roles(u.v, "viewer", "viewer");
    r = e2e_send(srv, "DELETE", admin, NULL, MAPPINGS "?group=%s", g.v);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    /* Bad bodies. */
    static const char *const bad[] = {
        "{\"roles\":[\"admin\"]}",
        "{\"group\":\"Mapped Admins\",\"roles\":[]}",
        "{\"group\":\"Mapped Admins\",\"roles\":[\"\"]}",
        "{\"group\":\"Mapped Admins\",\"roles\":[\"admin\"],\"priority\":\"high\"}",
        "{\"group\":\"Mapped Admins\",\"roles\":[\"admin\"],\"priority\":99999999}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = put_mapping(admin, bad[i]);
        assert_scim_error(r, 400, "invalidValue");
        e2e_resp_free(r);
    }
    r = put_mapping(admin, "{\"group\":\"No Such Group\",\"roles\":[\"admin\"]}");
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    /* Another tenant's admin sees neither the group nor the user. */
    r = put_mapping(other_admin, "{\"group\":\"Mapped Admins\",\"roles\":[\"admin\"]}");
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
    r = e2e_get(srv, other_admin, "/api/v1/users/%s/roles", u.v);
    assert_scim_error(r, 404, NULL);
    e2e_resp_free(r);
}

/* Veza: "if a user belongs to two groups that both assign Admin roles, removing them from only
 * one group will not revoke their Admin permissions". */
static void test_e2e_roles_persist_while_any_group_grants(void **state)
{
    (void)state;
    struct id u, g1, g2;
    user("veza@example.com", NULL, &u);
    group("Veza Admins East", &g1, u.v, NULL);
    group("Veza Admins West", &g2, u.v, NULL);
    map(g1.v, "[\"admin\"]", 10);
    map(g2.v, "[\"admin\"]", 10);
    assert_roles(u.v, "admin,viewer", "admin");
    membership("remove", g1.v, u.v);
    assert_roles(u.v, "admin,viewer", "admin");
    membership("remove", g2.v, u.v);
    assert_roles(u.v, "viewer", "viewer");
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.v);
    assert_json_str(r, "roles[0].value", "viewer");
    assert_json_absent(r, "roles[1]");
    e2e_resp_free(r);
}

static void test_e2e_roles_nested_groups_and_group_delete(void **state)
{
    (void)state;
    struct id u, team, dept;
    user("nested-roles@example.com", NULL, &u);
    group("Roles Team", &team, u.v, NULL);
    group("Roles Department", &dept, team.v, NULL);
    map(team.v, "[\"editor\"]", 5);
    map(dept.v, "[\"billing\"]", 20);
    assert_roles(u.v, "billing,editor,viewer", "billing");
    /* Deleting the department takes its role away. */
    struct e2e_resp *r = e2e_send(srv, "DELETE", srv->token, NULL, "/scim/v2/Groups/%s", dept.v);
    assert_status(r, 204);
    e2e_resp_free(r);
    assert_roles(u.v, "editor,viewer", "editor");
    /* Its mapping went with it. */
    r = e2e_get(srv, admin, MAPPINGS);
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get(r->json, "role_mappings"), i, m)
        if (strcmp(json_string_value(json_object_get(m, "group")), dept.v) == 0)
            e2e_fail(r, "the deleted group's mapping must be gone");
    e2e_resp_free(r);
}

/* Roles the IdP writes itself are their own source; what a client sends back of the derived
 * entries is not stored. */
static void test_e2e_roles_idp_roles_and_round_trip(void **state)
{
    (void)state;
    struct id u, g;
    user("idp-roles@example.com", "{\"roles\":[{\"value\":\"support\"}]}", &u);
    group("Round Trip", &g, u.v, NULL);
    map(g.v, "[\"admin\"]", 1);
    struct e2e_resp *r = e2e_get(srv, admin, "/api/v1/users/%s/roles", u.v);
    assert_json_str(r, "roles[0].value", "admin");
    assert_json_str(r, "roles[1].value", "support");
    assert_json_str(r, "roles[1].sources[0]", "idp");
    e2e_resp_free(r);
    /* GET, then PUT back what was read (derived entries included). */
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", u.v);
    json_t *doc = json_deep_copy(r->json);
    e2e_resp_free(r);
    json_object_del(doc, "meta");
    char *body = json_dumps(doc, JSON_COMPACT);
    r = e2e_send(srv, "PUT", srv->token, body, "/scim/v2/Users/%s", u.v);
    assert_status(r, 200);
    /* The write's response shows the same groups and roles as the GET (read by the write). */
    if (!json_equal(json_object_get(r->json, "groups"), json_object_get(doc, "groups")) ||
        !json_equal(json_object_get(r->json, "roles"), json_object_get(doc, "roles")))
        e2e_fail(r, "the PUT response must carry the user's groups and roles as GET shows them");
    assert_json_str(r, "groups[0].value", g.v);
    e2e_resp_free(r);
    json_decref(doc);
    scim_free(body);
    /* Removed from the group, admin goes: the PUT did not make it an IdP role. */
    membership("remove", g.v, u.v);
    assert_roles(u.v, "support,viewer", "support");
}

static void test_e2e_roles_scimctl(void **state)
{
    (void)state;
    struct id u, g;
    user("cli-roles@example.com", NULL, &u);
    group("CLI Operators", &g, u.v, NULL);
    char *out = NULL;
    assert_int_equal(e2e_scimctl(srv, &out, "role-map", "set", "--tenant", "e2e", "--group",
                                 "cli operators", "--role", "operator", "--priority", "3", NULL),
                     0);
    if (!strstr(out, g.v) || !strstr(out, "operator"))
        e2e_fail(NULL, "role-map set prints the mapping: %s", out);
    scim_free(out);
    assert_roles(u.v, "operator,viewer", "operator");
    out = NULL;
    assert_int_equal(e2e_scimctl(srv, &out, "role-map", "list", "--tenant", "e2e", "--json", NULL),
                     0);
    if (!strstr(out, "\"operator\""))
        e2e_fail(NULL, "role-map list --json lists the mapping: %s", out);
    scim_free(out);
    /* The default role is a tenant setting. */
    assert_int_equal(e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "default_role=member", NULL),
                     0);
    assert_roles(u.v, "operator,member", "operator");
    assert_int_equal(e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "default_role=bad\trole", NULL),
                     2);
    assert_int_equal(e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "default_role=viewer", NULL),
                     0);
    assert_int_equal(
        e2e_scimctl(srv, NULL, "role-map", "remove", "--tenant", "e2e", "--group", g.v, NULL), 0);
    assert_roles(u.v, "viewer", "viewer");
    assert_int_equal(
        e2e_scimctl(srv, NULL, "role-map", "remove", "--tenant", "e2e", "--group", g.v, NULL), 1);
}

/* Group writes are audited in their transaction: the membership changes requested, and the
 * member ids a tenant with unknown_members=skip ignored. */
static void test_e2e_roles_group_writes_audited(void **state)
{
    (void)state;
    struct id u, g;
    user("audited-member@example.com", NULL, &u);
    group("Audited Group", &g, NULL);
    membership("add", g.v, u.v);
    struct e2e_resp *r = e2e_get(srv, admin, "/api/v1/audit?resource_id=%s", g.v);
    assert_status(r, 200);
    /* Newest first: the PATCH, then the POST. */
    assert_json_str(r, "entries[0].method", "PATCH");
    assert_json_int(r, "entries[0].status", 204);
    assert_json_str(r, "entries[0].resource_type", "Group");
    assert_json_str(r, "entries[0].diff.members[0].op", "add");
    assert_json_str(r, "entries[0].diff.members[0].value[0]", u.v);
    assert_json_str(r, "entries[1].method", "POST");
    assert_json_str(r, "entries[1].diff.after.displayName", "Audited Group");
    e2e_resp_free(r);
    assert_int_equal(e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "unknown_members=skip", NULL),
                     0);
    membership("add", g.v, "no-such-member");
    assert_int_equal(e2e_scimctl(srv, NULL, "tenant", "set", "e2e", "unknown_members=reject", NULL),
                     0);
    r = e2e_get(srv, admin, "/api/v1/audit?resource_id=%s", g.v);
    /* One row for the request, with the status it answered and what it did: nothing added,
     * the unknown id skipped. */
    assert_json_str(r, "entries[0].method", "PATCH");
    assert_json_int(r, "entries[0].status", 204);
    assert_json_str(r, "entries[0].diff.skipped_members[0]", "no-such-member");
    assert_json_int(r, "entries[0].diff.skipped_count", 1);
    assert_json_int(r, "entries[0].diff.members_added", 0);
    const char *rid = e2e_str(r->json, "entries[0].request_id");
    const char *prev = e2e_str(r->json, "entries[1].request_id");
    if (!rid || !prev || strcmp(rid, prev) == 0)
        e2e_fail(r, "one audit row per request");
    /* The add before it did add one member. */
    assert_json_int(r, "entries[1].diff.members_added", 1);
    assert_json_int(r, "entries[1].diff.members_removed", 0);
    e2e_resp_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_roles_admin_scope_required),
        cmocka_unit_test(test_e2e_roles_default_role_on_create),
        cmocka_unit_test(test_e2e_roles_mapping_api),
        cmocka_unit_test(test_e2e_roles_persist_while_any_group_grants),
        cmocka_unit_test(test_e2e_roles_nested_groups_and_group_delete),
        cmocka_unit_test(test_e2e_roles_idp_roles_and_round_trip),
        cmocka_unit_test(test_e2e_roles_scimctl),
        cmocka_unit_test(test_e2e_roles_group_writes_audited),
    };
    return cmocka_run_group_tests_name("e2e_roles", tests, group_setup, group_teardown);
}
