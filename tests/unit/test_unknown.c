/*
 * test_unknown — the unknown-attribute walker (unknown.h) on the bodies IdPs send with custom
 * attributes: Okta's external namespaces, OneLogin template extras, unknown sub-attributes of
 * known complex attributes, in POST/PUT bodies and in PATCH paths and no-path values; what is
 * counted, what a strip leaves, and that well-formed-but-known and malformed paths are not counted.
 * Owns: nothing. Must not: touch a store.
 */
#include "mem.h"
#include "schema.h"
#include "unknown.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define CORE "urn:ietf:params:scim:schemas:core:2.0:User"
#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define CUSTOM "urn:ietf:params:scim:schemas:extension:CustomApp:2.0:User"
#define PATCHOP "urn:ietf:params:scim:api:messages:2.0:PatchOp"

/* Parses JSON written with single quotes; new reference. */
static json_t *q(const char *text)
{
    char *s = scim_strdup(text);
    for (char *p = s; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    json_error_t jerr;
    json_t *v = json_loads(s, 0, &jerr);
    if (!v)
        fail_msg("bad test JSON (%s): %s", jerr.text, s);
    scim_free(s);
    return v;
}

/* Asserts find's names (in order) and count, that body is untouched, and what strip leaves. */
static void check(const char *rt_name, bool patch, const char *body_text, const char *names_text,
                  const char *stripped_text)
{
    const struct scim_resource_type *rt = scim_resource_type_find(rt_name);
    json_t *body = q(body_text);
    json_t *before = json_deep_copy(body);
    json_t *names = json_array();
    json_t *want_names = q(names_text);
    size_t n = scim_unknown_find(rt, body, patch, names);
    if (!json_equal(names, want_names)) {
        char *got = json_dumps(names, 0);
        fail_msg("%s: names %s", body_text, got);
    }
    assert_int_equal(n, json_array_size(want_names));
    assert_true(json_equal(body, before));
    json_t *dropped = json_array();
    json_t *stripped = scim_unknown_strip(rt, body, patch, dropped);
    /* The strip names what it dropped as find lists it. */
    assert_true(json_equal(dropped, want_names));
    json_decref(dropped);
    json_t *want = q(stripped_text);
    if (!json_equal(stripped, want)) {
        char *got = json_dumps(stripped, 0);
        fail_msg("%s: stripped to %s", body_text, got);
    }
    assert_true(json_equal(body, before));
    assert_int_equal(scim_unknown_find(rt, stripped, patch, NULL), 0);
    json_decref(want);
    json_decref(stripped);
    json_decref(want_names);
    json_decref(names);
    json_decref(before);
    json_decref(body);
}

static void test_unknown_resource_body(void **state)
{
    (void)state;
    /* Okta with a custom namespace, and OneLogin template extras. */
    check("User", false,
          "{'schemas':['" CORE "','" ENT "','" CUSTOM "'],'userName':'a@example.com',"
          "'employeeId':'7','name':{'givenName':'A','nick':'x'},"
          "'addresses':[{'locality':'Oslo','city':'Oslo'}],"
          "'" ENT "':{'department':'D','manager':{'managerId':'m','value':'m'},'floor':3},"
          "'" CUSTOM "':{'costCode':'X1'},'id':'ignored','meta':{'x':1},"
          "'groups':[{'whatever':1}]}",
          "['schemas:" CUSTOM "','employeeId','name.nick','addresses.city','" ENT
          ":manager.managerId','" ENT ":floor','" CUSTOM "']",
          "{'schemas':['" CORE "','" ENT "'],'userName':'a@example.com',"
          "'name':{'givenName':'A'},'addresses':[{'locality':'Oslo'}],"
          "'" ENT "':{'department':'D','manager':{'value':'m'}},'id':'ignored','meta':{'x':1},"
          "'groups':[{'whatever':1}]}");
    /* Unknown attributes set to null are unassigned: not counted (the validator skips them). */
    check("User", false, "{'userName':'n','department':null,'name':{'nick':null}}", "[]",
          "{'userName':'n','department':null,'name':{'nick':null}}");
    /* A body the schemas define entirely, in other letter cases. */
    check("User", false,
          "{'SCHEMAS':['" CORE "'],'UserName':'b','EMAILS':[{'Value':'b@x','TYPE':'work'}]}", "[]",
          "{'SCHEMAS':['" CORE "'],'UserName':'b','EMAILS':[{'Value':'b@x','TYPE':'work'}]}");
    check("Group", false,
          "{'displayName':'G','members':[{'value':'u1','display':'U','extra':1}],'owner':'x'}",
          "['members.extra','owner']",
          "{'displayName':'G','members':[{'value':'u1','display':'U'}]}");
}

static void test_unknown_patch_paths(void **state)
{
    (void)state;
    check("User", true,
          "{'schemas':['" PATCHOP "'],'Operations':["
          "{'op':'replace','path':'" CUSTOM ":costCode','value':'X2'},"
          "{'op':'replace','path':'active','value':false},"
          "{'op':'add','path':'emails[type eq \\'work\\'].city','value':'Oslo'},"
          "{'op':'add','path':'emails[type eq \\'work\\'].value','value':'a@x'},"
          "{'op':'replace','path':'name','value':{'givenName':'A','nick':'n'}},"
          "{'op':'add','path':'" ENT "','value':{'department':'D','floor':3}},"
          "{'op':'remove','path':'employeeId'},"
          "{'op':'remove','path':'emails[type eq'},"
          "{'op':'remove','path':'userName..x'}]}",
          "['" CUSTOM ":costCode','emails[type eq \\'work\\'].city','name.nick','" ENT
          ":floor','employeeId']",
          "{'schemas':['" PATCHOP "'],'Operations':["
          "{'op':'replace','path':'active','value':false},"
          "{'op':'add','path':'emails[type eq \\'work\\'].value','value':'a@x'},"
          "{'op':'replace','path':'name','value':{'givenName':'A'}},"
          "{'op':'add','path':'" ENT "','value':{'department':'D'}},"
          "{'op':'remove','path':'emails[type eq'},"
          "{'op':'remove','path':'userName..x'}]}");
}

/* Malformed paths and operations are the engine's 400, never dropped as unknown; a path under a
 * whole schema URN takes dotted keys as the engine does. */
static void test_unknown_patch_malformed_kept(void **state)
{
    (void)state;
    const char *body = "{'schemas':['" PATCHOP "'],'Operations':["
                       "{'op':'add','path':'foo[type eq]','value':'x'},"
                       "{'op':'add','path':'emails[type xx \\'work\\'].foo','value':'x'},"
                       "{'op':'remove','path':'name[givenName eq \\'G\\'].foo'},"
                       "{'op':'frob','path':'foo','value':1},{'path':'foo','value':1},"
                       "{'op':'add','path':'foo'},{'op':1,'path':'foo'},"
                       "{'op':'replace','value':{'foo[a eq]':'v'}}]}";
    check("User", true, body, "[]", body);
    check("User", true,
          "{'schemas':['" PATCHOP "'],'Operations':[{'op':'replace','path':'" ENT "',"
          "'value':{'manager.value':'m','manager.foo':'x','department':'D'}}]}",
          "['" ENT ":manager.foo']",
          "{'schemas':['" PATCHOP "'],'Operations':[{'op':'replace','path':'" ENT "',"
          "'value':{'manager.value':'m','department':'D'}}]}");
}

/* Okta's no-path deactivation with a custom namespace block, Entra's dotted and filtered keys. */
static void test_unknown_patch_no_path(void **state)
{
    (void)state;
    check("User", true,
          "{'schemas':['" PATCHOP "'],'Operations':[{'op':'replace','value':{'active':false,"
          "'" CUSTOM "':{'costCode':'X'},'name.givenName':'A','name.nick':'n',"
          "'emails[type eq \\'work\\'].value':'a@x','" CORE ":employeeId':'1',"
          "'" ENT "':{'department':'D','floor':2}}}]}",
          "['" CUSTOM "','name.nick','" CORE ":employeeId','" ENT ":floor']",
          "{'schemas':['" PATCHOP "'],'Operations':[{'op':'replace','value':{'active':false,"
          "'name.givenName':'A','emails[type eq \\'work\\'].value':'a@x',"
          "'" ENT "':{'department':'D'}}}]}");
    /* Nothing left to do: one operation that changes nothing keeps the PATCH valid. */
    check("User", true,
          "{'schemas':['" PATCHOP "'],'Operations':[{'op':'replace','path':'" CUSTOM
          ":costCode','value':'X'}]}",
          "['" CUSTOM ":costCode']",
          "{'schemas':['" PATCHOP "'],'Operations':[{'op':'add','value':{}}]}");
}

int main(void)
{
    scim_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_resource_body),
        cmocka_unit_test(test_unknown_patch_paths),
        cmocka_unit_test(test_unknown_patch_no_path),
        cmocka_unit_test(test_unknown_patch_malformed_kept),
    };
    return cmocka_run_group_tests_name("test_unknown", tests, NULL, NULL);
}
