/*
 * test_roles — the roles module (roles.h) on its own: role names, tenant settings, effective
 * roles merged from the default role, group grants and IdP roles (order, priority, sources,
 * primary, duplicates), the response shape of /api/v1/users/{id}/roles, and the derived entries
 * of a User's "roles" (merge keeps "meta" last; strip removes exactly what merge adds).
 * Owns: nothing. Must not: touch a store.
 */
#include "err.h"
#include "mem.h"
#include "roles.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* Parses a JSON text written with single quotes; new reference. */
static json_t *js(const char *text)
{
    char *copy = scim_strdup(text);
    for (char *p = copy; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *v = json_loads(copy, 0, &e);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, e.text);
    scim_free(copy);
    return v;
}

static void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = js(want_text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT);
        fail_msg("got %s\nwant %s", g, want_text);
    }
    json_decref(want);
}

static void test_roles_name_check(void **state)
{
    (void)state;
    struct scim_err err;
    assert_int_equal(scim_role_name_check("admin", &err), 0);
    assert_int_equal(scim_role_name_check("org:billing-admin", &err), 0);
    assert_int_equal(scim_role_name_check("Прибиральник", &err), 0);
    static const char *const bad[] = {"", " admin", "admin ", "ad\tmin", "a\x7f"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(scim_role_name_check(bad[i], &err), SCIM_ERR);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_VALUE);
    }
    assert_int_equal(scim_role_name_check(NULL, &err), SCIM_ERR);
    char long_name[SCIM_ROLE_MAX + 2];
    memset(long_name, 'r', sizeof(long_name) - 1);
    long_name[SCIM_ROLE_MAX] = '\0';
    assert_int_equal(scim_role_name_check(long_name, &err), 0);
    long_name[SCIM_ROLE_MAX] = 'r';
    long_name[SCIM_ROLE_MAX + 1] = '\0';
    assert_int_equal(scim_role_name_check(long_name, &err), SCIM_ERR);
    assert_int_equal(scim_role_name_check("\xc3\x28", &err), SCIM_ERR);
}

static void test_roles_tenant_setting_check(void **state)
{
    (void)state;
    struct scim_err err;
    assert_int_equal(scim_tenant_setting_check("default_role", "member", &err), 0);
    assert_int_equal(scim_tenant_setting_check("default_role", "", &err), 0);
    assert_int_equal(scim_tenant_setting_check("default_role", " x", &err), SCIM_ERR);
    assert_int_equal(scim_tenant_setting_check("unknown_members", "skip", &err), 0);
    assert_int_equal(scim_tenant_setting_check("unknown_members", "reject", &err), 0);
    assert_int_equal(scim_tenant_setting_check("unknown_members", "SKIP", &err), SCIM_ERR);
    assert_int_equal(scim_tenant_setting_check("unknown_attributes", "ignore", &err), 0);
    assert_int_equal(scim_tenant_setting_check("unknown_attributes", "reject", &err), 0);
    assert_int_equal(scim_tenant_setting_check("unknown_attributes", "skip", &err), SCIM_ERR);
    assert_non_null(strstr(err.detail, "'reject' or 'ignore'"));
    assert_int_equal(scim_tenant_setting_check("colour", "blue", &err), SCIM_ERR);
    assert_non_null(strstr(err.detail, "default_role"));
}

static void test_roles_effective_merges_sources(void **state)
{
    (void)state;
    json_t *doc = js("{'roles':[{'value':'support'},{'value':'admin','primary':true},"
                     "{'value':'stale','type':'group'},{'display':'no value'}]}");
    struct scim_role_grant grants[] = {
        {"admin", "g1", 10},   {"admin", "g2", 30},
        {"auditor", "g2", 30}, {"admin", "g1", 10}, /* the same grant twice: one source */
        {"viewer", "g3", -5},
    };
    json_t *eff = scim_roles_effective("viewer", grants, 5, doc);
    /* admin: 30 (best of idp 0, g1 10, g2 30); auditor 30; support 0 (idp); viewer: g3 -5. The
     * entry marked as derived ("stale") is not the IdP's. */
    assert_json(eff, "[{'value':'admin','sources':['idp','group:g1','group:g2'],'priority':30},"
                     "{'value':'auditor','sources':['group:g2'],'priority':30},"
                     "{'value':'support','sources':['idp'],'priority':0},"
                     "{'value':'viewer','sources':['group:g3','default'],'priority':-5}]");
    json_t *resp = scim_roles_response("u1", eff);
    assert_json(resp, "{'user':'u1','primary':'admin','roles':["
                      "{'value':'admin','sources':['idp','group:g1','group:g2']},"
                      "{'value':'auditor','sources':['group:g2']},"
                      "{'value':'support','sources':['idp']},"
                      "{'value':'viewer','sources':['group:g3','default']}]}");
    json_decref(resp);
    json_decref(eff);
    json_decref(doc);
}

static void test_roles_default_only_and_none(void **state)
{
    (void)state;
    json_t *doc = js("{}");
    json_t *eff = scim_roles_effective("viewer", NULL, 0, doc);
    assert_json(eff, "[{'value':'viewer','sources':['default'],'priority':-1000001}]");
    json_t *resp = scim_roles_response("u", eff);
    assert_string_equal(json_string_value(json_object_get(resp, "primary")), "viewer");
    json_decref(resp);
    json_decref(eff);
    /* No default role and nothing else: no roles, primary null. */
    eff = scim_roles_effective("", NULL, 0, doc);
    assert_int_equal(json_array_size(eff), 0);
    resp = scim_roles_response("u", eff);
    assert_true(json_is_null(json_object_get(resp, "primary")));
    json_decref(resp);
    json_decref(eff);
    json_decref(doc);
}

static void test_roles_merge_and_strip_round_trip(void **state)
{
    (void)state;
    json_t *rendered = js("{'id':'u','userName':'a','roles':[{'value':'support'}],'meta':{}}");
    struct scim_role_grant grants[] = {{"admin", "g1", 10}, {"support", "g2", 1}};
    json_t *eff = scim_roles_effective("viewer", grants, 2, rendered);
    scim_roles_merge(rendered, eff);
    /* The IdP's entry stays as written (its role is also granted by g2); admin and viewer are
     * added, marked. */
    assert_json(json_object_get(rendered, "roles"),
                "[{'value':'support'},{'value':'admin','type':'group'},"
                "{'value':'viewer','type':'default'}]");
    /* Stripping removes exactly the marked entries (any case of the mark). */
    json_t *back = json_deep_copy(rendered);
    json_object_set_new(json_array_get(json_object_get(back, "roles"), 1), "type",
                        json_string("GROUP"));
    assert_true(scim_roles_strip_derived(back));
    assert_json(json_object_get(back, "roles"), "[{'value':'support'}]");
    assert_false(scim_roles_strip_derived(back));
    json_decref(back);
    json_decref(eff);
    json_decref(rendered);
    /* Without roles, merge adds "roles" before "meta"; stripping all of it removes "roles". */
    json_t *doc = js("{'id':'u','meta':{'version':'W/\\'1\\''}}");
    eff = scim_roles_effective("viewer", NULL, 0, doc);
    scim_roles_merge(doc, eff);
    const char *keys[3];
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach (doc, key, v)
        keys[n++] = key;
    assert_int_equal(n, 3);
    assert_string_equal(keys[1], "roles");
    assert_string_equal(keys[2], "meta");
    assert_true(scim_roles_strip_derived(doc));
    assert_null(json_object_get(doc, "roles"));
    json_decref(eff);
    json_decref(doc);
    /* No effective roles at all: nothing is added. */
    doc = js("{'id':'u'}");
    eff = scim_roles_effective(NULL, NULL, 0, doc);
    scim_roles_merge(doc, eff);
    assert_null(json_object_get(doc, "roles"));
    json_decref(eff);
    json_decref(doc);
}

int main(void)
{
    scim_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_name_check),
        cmocka_unit_test(test_roles_tenant_setting_check),
        cmocka_unit_test(test_roles_effective_merges_sources),
        cmocka_unit_test(test_roles_default_only_and_none),
        cmocka_unit_test(test_roles_merge_and_strip_round_trip),
    };
    return cmocka_run_group_tests_name("test_roles", tests, NULL, NULL);
}
