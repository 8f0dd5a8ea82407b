/*
 * Unit tests of path.c: attribute paths (RFC 7644 §3.10) and PATCH paths (§3.5.2) resolved
 * against the User and Group resource types of schema.c — case-insensitive names, URN prefixes
 * of the core schema and the enterprise extension, common attributes, value filters, every
 * invalidPath error and the canonical spelling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "filter.h"
#include "mem.h"
#include "path.h"

#include <string.h>

#define ENTERPRISE SCIM_SCHEMA_ENTERPRISE_USER

static const struct scim_resource_type *user_rt(void)
{
    const struct scim_resource_type *rt = scim_resource_type_find("User");
    assert_non_null(rt);
    return rt;
}

/* Parses text against User with flags; fails the test on error. Clear *out afterwards. */
static void parse_ok(const char *text, unsigned flags, struct scim_path *out)
{
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_path_parse(user_rt(), text, strlen(text), flags, out, &err) != 0)
        fail_msg("path '%s' failed: %s", text, err.detail);
    assert_non_null(out->attr);
}

/* Asserts that text fails with 400, the given scimType and want in the detail. */
static void parse_fails(const char *text, unsigned flags, const char *scim_type, const char *want)
{
    struct scim_path path;
    struct scim_err err;
    scim_err_clear(&err);
    int rc = scim_path_parse(user_rt(), text, strlen(text), flags, &path, &err);
    if (rc == 0)
        fail_msg("path '%s' parsed but should fail", text);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, scim_type);
    if (!strstr(err.detail, want))
        fail_msg("path '%s': detail '%s' lacks '%s'", text, err.detail, want);
    /* The struct is zeroed on failure. */
    assert_null(path.attr);
    assert_null(path.filter);
}

/* The canonical spelling of text, which must parse. */
static void assert_canonical(const char *text, unsigned flags, const char *want)
{
    struct scim_path path;
    char buf[256];
    parse_ok(text, flags, &path);
    assert_string_equal(scim_path_format(&path, buf, sizeof(buf)), want);
    scim_path_clear(&path);
}

static void test_path_simple_attribute(void **state)
{
    (void)state;
    struct scim_path path;
    parse_ok("userName", 0, &path);
    assert_ptr_equal(path.schema, user_rt()->schema);
    assert_false(path.in_extension);
    assert_string_equal(path.attr->name, "userName");
    assert_null(path.sub);
    assert_null(path.filter);
    scim_path_clear(&path);
    assert_null(path.attr);
}

static void test_path_sub_attribute(void **state)
{
    (void)state;
    struct scim_path path;
    parse_ok("name.givenName", 0, &path);
    assert_string_equal(path.attr->name, "name");
    assert_string_equal(path.sub->name, "givenName");
    scim_path_clear(&path);
    parse_ok("emails.value", 0, &path);
    assert_true(path.attr->multi_valued);
    assert_string_equal(path.sub->name, "value");
    scim_path_clear(&path);
}

static void test_path_names_case_insensitive(void **state)
{
    (void)state;
    assert_canonical("USERNAME", 0, "userName");
    assert_canonical("NAME.givenname", 0, "name.givenName");
    assert_canonical("Meta.LASTMODIFIED", 0, "meta.lastModified");
}

static void test_path_urn_core_schema(void **state)
{
    (void)state;
    struct scim_path path;
    parse_ok("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", 0, &path);
    assert_ptr_equal(path.schema, user_rt()->schema);
    assert_false(path.in_extension);
    assert_string_equal(path.sub->name, "familyName");
    scim_path_clear(&path);
    /* The core URN is dropped from the canonical spelling. */
    assert_canonical("urn:ietf:params:scim:schemas:core:2.0:User:userName", 0, "userName");
    /* Common attributes qualified with the core URN still resolve. */
    parse_ok("urn:ietf:params:scim:schemas:core:2.0:User:meta.created", 0, &path);
    assert_null(path.schema);
    scim_path_clear(&path);
}

static void test_path_urn_case_insensitive(void **state)
{
    (void)state;
    assert_canonical("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:USERNAME", 0, "userName");
    assert_canonical("urn:ietf:params:scim:schemas:EXTENSION:enterprise:2.0:user:Manager.Value", 0,
                     ENTERPRISE ":manager.value");
}

static void test_path_enterprise_manager_value(void **state)
{
    (void)state;
    struct scim_path path;
    parse_ok(ENTERPRISE ":manager.value", 0, &path);
    assert_true(path.in_extension);
    assert_string_equal(path.schema->id, ENTERPRISE);
    assert_string_equal(path.attr->name, "manager");
    assert_string_equal(path.sub->name, "value");
    char buf[128];
    assert_string_equal(scim_path_format(&path, buf, sizeof(buf)), ENTERPRISE ":manager.value");
    scim_path_clear(&path);

    parse_ok(ENTERPRISE ":employeeNumber", 0, &path);
    assert_true(path.in_extension);
    assert_null(path.sub);
    scim_path_clear(&path);
}

static void test_path_unqualified_extension_attribute(void **state)
{
    (void)state;
    /* Core first, then common, then extensions: employeeNumber exists only in the extension. */
    assert_canonical("employeeNumber", 0, ENTERPRISE ":employeeNumber");
    assert_canonical("manager.displayName", 0, ENTERPRISE ":manager.displayName");
}

static void test_path_common_attributes(void **state)
{
    (void)state;
    static const char *const names[] = {
        "id", "externalId", "meta", "meta.lastModified", "meta.resourceType", "schemas"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct scim_path path;
        parse_ok(names[i], 0, &path);
        assert_null(path.schema);
        assert_false(path.in_extension);
        scim_path_clear(&path);
    }
    assert_canonical("EXTERNALID", 0, "externalId");
}

static void test_path_unknown_attribute(void **state)
{
    (void)state;
    parse_fails("foo", 0, SCIM_TYPE_INVALID_PATH, "Attribute 'foo' is not defined for User");
    parse_fails("urn:ietf:params:scim:schemas:core:2.0:User:foo", 0, SCIM_TYPE_INVALID_PATH,
                "Attribute 'foo' is not defined in urn:ietf:params:scim:schemas:core:2.0:User");
    parse_fails(ENTERPRISE ":userName", 0, SCIM_TYPE_INVALID_PATH,
                "Attribute 'userName' is not defined in " ENTERPRISE);
}

static void test_path_unknown_sub_attribute(void **state)
{
    (void)state;
    parse_fails("name.bar", 0, SCIM_TYPE_INVALID_PATH, "'name.bar': no such sub-attribute");
    parse_fails(ENTERPRISE ":manager.nope", 0, SCIM_TYPE_INVALID_PATH,
                "manager.nope': no such sub-attribute");
}

static void test_path_sub_attribute_of_simple(void **state)
{
    (void)state;
    parse_fails("userName.x", 0, SCIM_TYPE_INVALID_PATH,
                "'userName.x': userName is not complex, so it has no sub-attributes");
    parse_fails("name.givenName.x", 0, SCIM_TYPE_INVALID_PATH,
                "'name.givenName.x': sub-attributes have no sub-attributes");
}

static void test_path_unknown_schema_urn(void **state)
{
    (void)state;
    parse_fails("urn:example:foo:userName", 0, SCIM_TYPE_INVALID_PATH,
                "'urn:example:foo' is not a schema of User");
    /* Group schema URN is not a schema of User. */
    parse_fails(SCIM_SCHEMA_GROUP ":displayName", 0, SCIM_TYPE_INVALID_PATH,
                "not a schema of User");
}

static void test_path_invalid_syntax(void **state)
{
    (void)state;
    parse_fails("", 0, SCIM_TYPE_INVALID_PATH, "empty");
    parse_fails("user name", 0, SCIM_TYPE_INVALID_PATH, "not a valid attribute path");
    parse_fails("1userName", 0, SCIM_TYPE_INVALID_PATH, "not a valid attribute path");
    parse_fails(".userName", 0, SCIM_TYPE_INVALID_PATH, "not a valid attribute path");
    parse_fails(":userName", 0, SCIM_TYPE_INVALID_PATH, "not a valid attribute path");
    parse_fails("name.", 0, SCIM_TYPE_INVALID_PATH, "not a valid sub-attribute name");
    parse_fails("name.given*", 0, SCIM_TYPE_INVALID_PATH, "not a valid sub-attribute name");

    /* Embedded NUL within len. */
    struct scim_path path;
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_not_equal(scim_path_parse(user_rt(), "title\0x", 7, 0, &path, &err), 0);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_PATH);
}

static void test_path_length_bounded_text(void **state)
{
    (void)state;
    /* Only len bytes are read: "userNameXYZ" with len 8 is "userName". */
    struct scim_path path;
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_equal(scim_path_parse(user_rt(), "userNameXYZ", 8, 0, &path, &err), 0);
    assert_string_equal(path.attr->name, "userName");
    scim_path_clear(&path);
}

static void test_path_filter_not_allowed(void **state)
{
    (void)state;
    parse_fails("emails[type eq \"work\"]", 0, SCIM_TYPE_INVALID_PATH,
                "a value filter [...] is not allowed here");
}

static void test_path_value_filter(void **state)
{
    (void)state;
    struct scim_path path;
    parse_ok("emails[type eq \"work\"]", SCIM_PATH_ALLOW_FILTER, &path);
    assert_string_equal(path.attr->name, "emails");
    assert_null(path.sub);
    assert_non_null(path.filter);
    assert_int_equal(path.filter->kind, SCIM_FILTER_COMPARE);
    assert_string_equal(path.filter->path.sub->name, "type");
    assert_int_equal(path.filter->column, 8);

    json_t *work = json_pack("{s:s, s:s}", "type", "work", "value", "a@x");
    json_t *home = json_pack("{s:s}", "type", "home");
    assert_true(scim_filter_match_element(path.filter, work));
    assert_false(scim_filter_match_element(path.filter, home));
    json_decref(work);
    json_decref(home);
    scim_path_clear(&path);
    assert_null(path.filter);
}

static void test_path_value_filter_with_sub_attribute(void **state)
{
    (void)state;
    struct scim_path path;
    parse_ok("emails[type eq \"work\" and primary eq true].value", SCIM_PATH_ALLOW_FILTER, &path);
    assert_string_equal(path.sub->name, "value");
    assert_int_equal(path.filter->kind, SCIM_FILTER_AND);
    char buf[64];
    assert_string_equal(scim_path_format(&path, buf, sizeof(buf)), "emails.value");
    scim_path_clear(&path);

    /* A ']' inside a string does not close the brackets. */
    parse_ok("emails[value eq \"a]b\\\"]\"].display", SCIM_PATH_ALLOW_FILTER, &path);
    assert_string_equal(json_string_value(path.filter->value), "a]b\"]");
    assert_string_equal(path.sub->name, "display");
    scim_path_clear(&path);

    /* URN-qualified (the core URN) with a filter and sub-attribute. */
    parse_ok("urn:ietf:params:scim:schemas:core:2.0:User:addresses[type eq \"work\"].locality",
             SCIM_PATH_ALLOW_FILTER, &path);
    assert_string_equal(path.attr->name, "addresses");
    scim_path_clear(&path);
}

/* A private resource type shaped like Group (RFC 7643 §4.2), whatever the registry serves. */
static const struct scim_attr team_member_sub[] = {
    {.name = "value", .type = SCIM_ATTR_STRING, .case_exact = true},
    {.name = "$ref", .type = SCIM_ATTR_REFERENCE, .case_exact = true},
    {.name = "type", .type = SCIM_ATTR_STRING},
};
static const struct scim_attr team_attrs[] = {
    {.name = "displayName", .type = SCIM_ATTR_STRING},
    {.name = "members",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .sub_attrs = team_member_sub,
     .n_sub_attrs = 3},
};
static const struct scim_schema team_schema = {
    .id = "urn:example:params:scim:schemas:core:2.0:Team",
    .name = "Team",
    .attrs = team_attrs,
    .n_attrs = 2,
};
static const struct scim_resource_type team_rt = {
    .id = "Team", .name = "Team", .endpoint = "/Teams", .schema = &team_schema};

static void test_path_value_filter_on_members(void **state)
{
    (void)state;
    const char *text = "members[value eq \"2819c223\" or $ref ew \"/2819c223\"].$ref";
    struct scim_path path;
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_equal(
        scim_path_parse(&team_rt, text, strlen(text), SCIM_PATH_ALLOW_FILTER, &path, &err), 0);
    assert_string_equal(path.attr->name, "members");
    assert_string_equal(path.sub->name, "$ref");
    assert_int_equal(path.filter->kind, SCIM_FILTER_OR);
    json_t *el = json_pack("{s:s}", "value", "2819c223");
    assert_true(scim_filter_match_element(path.filter, el));
    json_object_set_new(el, "value", json_string("2819C223"));
    assert_false(scim_filter_match_element(path.filter, el)); /* value is caseExact here */
    json_decref(el);
    scim_path_clear(&path);

    /* The team's own schema URN qualifies its attributes; User's does not. */
    text = "urn:example:params:scim:schemas:core:2.0:Team:displayName";
    assert_int_equal(scim_path_parse(&team_rt, text, strlen(text), 0, &path, &err), 0);
    scim_path_clear(&path);
    text = "urn:ietf:params:scim:schemas:core:2.0:User:displayName";
    assert_int_not_equal(scim_path_parse(&team_rt, text, strlen(text), 0, &path, &err), 0);
    assert_non_null(strstr(err.detail, "is not a schema of Team"));
}

static void test_path_value_filter_errors(void **state)
{
    (void)state;
    parse_fails("name[givenName eq \"x\"]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "name is not a multi-valued complex attribute");
    parse_fails("userName[value eq \"x\"]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "not a multi-valued complex attribute");
    parse_fails("emails.value[type eq \"x\"]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "must follow an attribute, not a sub-attribute");
    parse_fails("emails[type eq \"work\"", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "missing ']'");
    parse_fails("emails[type eq \"work\"]value", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "unexpected text after ']'");
    parse_fails("emails[type eq \"work\"].nope", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "no such sub-attribute");
    parse_fails("emails[type eq \"work\"].value.x", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "sub-attributes have no sub-attributes");
    parse_fails("nope[type eq \"work\"]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "Attribute 'nope' is not defined for User");
}

static void test_path_filter_errors_are_invalid_filter(void **state)
{
    (void)state;
    /* Errors inside the brackets are invalidFilter (RFC 7644 §3.12), columns of the whole path. */
    parse_fails("emails[nope eq \"x\"]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_FILTER,
                "'nope' is not a sub-attribute of emails (at column 8)");
    parse_fails("emails[type eq \"x]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_PATH,
                "missing ']'");
    parse_fails("emails[]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_FILTER,
                "empty (at column 8)");
    parse_fails("emails[type eq work]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_FILTER,
                "(at column 16)");
    parse_fails("emails[primary gt true]", SCIM_PATH_ALLOW_FILTER, SCIM_TYPE_INVALID_FILTER,
                "boolean");
    parse_fails("emails[type eq \"a\" and display[value pr]]", SCIM_PATH_ALLOW_FILTER,
                SCIM_TYPE_INVALID_FILTER, "cannot be nested");
}

static void test_path_format(void **state)
{
    (void)state;
    struct scim_path path;
    char buf[8];
    parse_ok("name.givenName", 0, &path);
    /* Truncated to the buffer, always terminated. */
    assert_string_equal(scim_path_format(&path, buf, sizeof(buf)), "name.gi");
    assert_ptr_equal(scim_path_format(&path, NULL, 0), NULL);
    scim_path_clear(&path);

    struct scim_path empty = {0};
    assert_string_equal(scim_path_format(&empty, buf, sizeof(buf)), "");
}

static void test_path_from_attr(void **state)
{
    (void)state;
    const struct scim_resource_type *rt = user_rt();
    struct scim_path path, parsed;
    parse_ok(ENTERPRISE ":manager.value", 0, &parsed);
    assert_int_equal(scim_path_from_attr(rt, parsed.attr, parsed.sub, &path), 0);
    assert_ptr_equal(path.schema, parsed.schema);
    assert_true(path.in_extension);
    assert_ptr_equal(path.sub, parsed.sub);
    scim_path_clear(&parsed);

    parse_ok("meta", 0, &parsed);
    assert_int_equal(scim_path_from_attr(rt, parsed.attr, NULL, &path), 0);
    assert_null(path.schema);
    scim_path_clear(&parsed);

    parse_ok("emails", 0, &parsed);
    assert_int_equal(scim_path_from_attr(rt, parsed.attr, NULL, &path), 0);
    assert_ptr_equal(path.schema, rt->schema);
    scim_path_clear(&parsed);

    /* An attribute of another resource type does not belong to User. */
    static const struct scim_attr stray = {.name = "stray", .type = SCIM_ATTR_STRING};
    assert_int_equal(scim_path_from_attr(rt, &stray, NULL, &path), SCIM_ERR);
}

static void test_path_clear_twice(void **state)
{
    (void)state;
    struct scim_path path;
    parse_ok("emails[value pr]", SCIM_PATH_ALLOW_FILTER, &path);
    scim_path_clear(&path);
    scim_path_clear(&path);
    assert_null(path.filter);
}

int main(void)
{
    scim_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_simple_attribute),
        cmocka_unit_test(test_path_sub_attribute),
        cmocka_unit_test(test_path_names_case_insensitive),
        cmocka_unit_test(test_path_urn_core_schema),
        cmocka_unit_test(test_path_urn_case_insensitive),
        cmocka_unit_test(test_path_enterprise_manager_value),
        cmocka_unit_test(test_path_unqualified_extension_attribute),
        cmocka_unit_test(test_path_common_attributes),
        cmocka_unit_test(test_path_unknown_attribute),
        cmocka_unit_test(test_path_unknown_sub_attribute),
        cmocka_unit_test(test_path_sub_attribute_of_simple),
        cmocka_unit_test(test_path_unknown_schema_urn),
        cmocka_unit_test(test_path_invalid_syntax),
        cmocka_unit_test(test_path_length_bounded_text),
        cmocka_unit_test(test_path_filter_not_allowed),
        cmocka_unit_test(test_path_value_filter),
        cmocka_unit_test(test_path_value_filter_with_sub_attribute),
        cmocka_unit_test(test_path_value_filter_on_members),
        cmocka_unit_test(test_path_value_filter_errors),
        cmocka_unit_test(test_path_filter_errors_are_invalid_filter),
        cmocka_unit_test(test_path_format),
        cmocka_unit_test(test_path_from_attr),
        cmocka_unit_test(test_path_clear_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
