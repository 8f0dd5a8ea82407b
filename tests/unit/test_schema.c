/*
 * test_schema — unit tests of the schema registry (src/lib/schema.c): the served schemas and
 * resource types, case-insensitive lookups, the attribute characteristics of RFC 7643 §4.1, §4.3
 * and §8.7.1, and the discovery JSON of RFC 7643 §6 and §7.
 * Touches nothing but the registry's public functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mem.h"
#include "schema.h"

#include <string.h>

#define BASE "https://idp.example.com/scim/v2"

/* Returns a borrowed attribute of the User schema by dotted path ("emails.type"). */
static const struct scim_attr *user_attr(const char *path)
{
    const struct scim_schema *user = scim_schema_find(SCIM_SCHEMA_USER);
    assert_non_null(user);
    const char *dot = strchr(path, '.');
    size_t len = dot ? (size_t)(dot - path) : strlen(path);
    const struct scim_attr *attr = scim_attr_findn(user->attrs, user->n_attrs, path, len);
    assert_non_null(attr);
    if (dot) {
        attr = scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, dot + 1);
        assert_non_null(attr);
    }
    return attr;
}

/* Returns a borrowed element of the JSON array attrs whose "name" is name. */
static json_t *json_attr(json_t *attrs, const char *name)
{
    for (size_t i = 0; i < json_array_size(attrs); i++) {
        json_t *attr = json_array_get(attrs, i);
        if (strcmp(json_string_value(json_object_get(attr, "name")), name) == 0)
            return attr;
    }
    fail_msg("attribute %s not in the discovery JSON", name);
    return NULL;
}

static bool list_has(const char *const *list, const char *value)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], value) == 0)
            return true;
    }
    return false;
}

static void test_schema_find_case_insensitive(void **state)
{
    (void)state;
    const struct scim_schema *user = scim_schema_find(SCIM_SCHEMA_USER);
    assert_non_null(user);
    assert_string_equal(user->id, SCIM_SCHEMA_USER);
    assert_ptr_equal(scim_schema_find("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"), user);
    const struct scim_schema *ent = scim_schema_find(SCIM_SCHEMA_ENTERPRISE_USER);
    assert_non_null(ent);
    assert_string_equal(ent->id, SCIM_SCHEMA_ENTERPRISE_USER);
    assert_null(scim_schema_find("urn:ietf:params:scim:schemas:core:2.0:Nope"));
    assert_null(scim_schema_find(""));
    assert_null(scim_schema_find(NULL));
}

static void test_schema_served_lists_users_and_groups(void **state)
{
    (void)state;
    assert_int_equal(scim_schema_count(), 3);
    assert_string_equal(scim_schema_at(0)->id, SCIM_SCHEMA_USER);
    assert_string_equal(scim_schema_at(1)->id, SCIM_SCHEMA_ENTERPRISE_USER);
    assert_string_equal(scim_schema_at(2)->id, SCIM_SCHEMA_GROUP);
    assert_null(scim_schema_at(3));
    assert_int_equal(scim_resource_type_count(), 2);
    assert_string_equal(scim_resource_type_at(0)->id, "User");
    assert_string_equal(scim_resource_type_at(1)->id, "Group");
    assert_null(scim_resource_type_at(2));
    /* Groups are served (RFC 7643 §4.2). */
    assert_non_null(scim_schema_find(SCIM_SCHEMA_GROUP));
    assert_non_null(scim_resource_type_find("Group"));
    assert_non_null(scim_resource_type_by_endpoint("/Groups"));
}

static void test_schema_resource_type_lookup(void **state)
{
    (void)state;
    const struct scim_resource_type *rt = scim_resource_type_find("user");
    assert_non_null(rt);
    assert_string_equal(rt->id, "User");
    assert_string_equal(rt->name, "User");
    assert_string_equal(rt->endpoint, "/Users");
    assert_ptr_equal(rt->schema, scim_schema_find(SCIM_SCHEMA_USER));
    assert_ptr_equal(scim_resource_type_by_endpoint("/Users"), rt);
    assert_ptr_equal(scim_resource_type_by_endpoint("/users"), rt);
    assert_null(scim_resource_type_by_endpoint("/Userz"));
    assert_null(scim_resource_type_find("Users"));
    assert_int_equal(rt->n_extensions, 1);
    assert_false(rt->extensions[0].required);
    assert_ptr_equal(rt->extensions[0].schema, scim_schema_find(SCIM_SCHEMA_ENTERPRISE_USER));
}

static void test_schema_resource_type_extension(void **state)
{
    (void)state;
    const struct scim_resource_type *rt = scim_resource_type_find("User");
    assert_ptr_equal(scim_resource_type_extension(rt, SCIM_SCHEMA_ENTERPRISE_USER),
                     scim_schema_find(SCIM_SCHEMA_ENTERPRISE_USER));
    assert_non_null(scim_resource_type_extension(
        rt, "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user"));
    /* The core schema is not an extension of its own resource type. */
    assert_null(scim_resource_type_extension(rt, SCIM_SCHEMA_USER));
    assert_null(scim_resource_type_extension(rt, "urn:example:ext"));
}

static void test_schema_attr_find_case_insensitive(void **state)
{
    (void)state;
    const struct scim_schema *user = scim_schema_find(SCIM_SCHEMA_USER);
    const struct scim_attr *a = scim_attr_find(user->attrs, user->n_attrs, "USERNAME");
    assert_non_null(a);
    assert_string_equal(a->name, "userName");
    assert_null(scim_attr_find(user->attrs, user->n_attrs, "userNam"));
    assert_null(scim_attr_find(user->attrs, user->n_attrs, "userNames"));
    a = scim_attr_findn(user->attrs, user->n_attrs, "Emails.value", 6);
    assert_non_null(a);
    assert_string_equal(a->name, "emails");
    assert_null(scim_attr_findn(user->attrs, user->n_attrs, "emails", 5));
    const struct scim_attr *ref =
        scim_attr_find(user_attr("groups")->sub_attrs, user_attr("groups")->n_sub_attrs, "$REF");
    assert_non_null(ref);
    assert_string_equal(ref->name, "$ref");
}

static void test_schema_user_name_characteristics(void **state)
{
    (void)state;
    const struct scim_attr *a = user_attr("userName");
    assert_int_equal(a->type, SCIM_ATTR_STRING);
    assert_false(a->multi_valued);
    assert_true(a->required);
    assert_false(a->case_exact);
    assert_int_equal(a->mutability, SCIM_MUT_READ_WRITE);
    assert_int_equal(a->returned, SCIM_RET_DEFAULT);
    assert_int_equal(a->uniqueness, SCIM_UNIQ_SERVER);
}

static void test_schema_user_attribute_list(void **state)
{
    (void)state;
    static const char *const names[] = {
        "userName",        "name",         "displayName",  "nickName",
        "profileUrl",      "title",        "userType",     "preferredLanguage",
        "locale",          "timezone",     "active",       "password",
        "emails",          "phoneNumbers", "ims",          "photos",
        "addresses",       "groups",       "entitlements", "roles",
        "x509Certificates"};
    const struct scim_schema *user = scim_schema_find(SCIM_SCHEMA_USER);
    assert_int_equal(user->n_attrs, sizeof(names) / sizeof(names[0]));
    for (size_t i = 0; i < user->n_attrs; i++)
        assert_string_equal(user->attrs[i].name, names[i]);

    const struct scim_attr *name = user_attr("name");
    assert_int_equal(name->type, SCIM_ATTR_COMPLEX);
    assert_int_equal(name->n_sub_attrs, 6);
    static const char *const name_subs[] = {"formatted",  "familyName",      "givenName",
                                            "middleName", "honorificPrefix", "honorificSuffix"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(name->sub_attrs[i].name, name_subs[i]);

    const struct scim_attr *profile = user_attr("profileUrl");
    assert_int_equal(profile->type, SCIM_ATTR_REFERENCE);
    assert_true(list_has(profile->reference_types, "external"));
    assert_int_equal(user_attr("active")->type, SCIM_ATTR_BOOLEAN);
}

static void test_schema_password_write_only_never_returned(void **state)
{
    (void)state;
    const struct scim_attr *a = user_attr("password");
    assert_int_equal(a->type, SCIM_ATTR_STRING);
    assert_int_equal(a->mutability, SCIM_MUT_WRITE_ONLY);
    assert_int_equal(a->returned, SCIM_RET_NEVER);
    assert_false(a->required);
}

static void test_schema_multi_valued_attributes(void **state)
{
    (void)state;
    static const char *const multi[] = {"emails",       "phoneNumbers", "ims",
                                        "photos",       "addresses",    "groups",
                                        "entitlements", "roles",        "x509Certificates"};
    for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
        const struct scim_attr *a = user_attr(multi[i]);
        assert_true(a->multi_valued);
        assert_int_equal(a->type, SCIM_ATTR_COMPLEX);
        const struct scim_attr *type = scim_attr_find(a->sub_attrs, a->n_sub_attrs, "type");
        assert_non_null(type);
        if (strcmp(multi[i], "groups") != 0) {
            const struct scim_attr *primary =
                scim_attr_find(a->sub_attrs, a->n_sub_attrs, "primary");
            assert_non_null(primary);
            assert_int_equal(primary->type, SCIM_ATTR_BOOLEAN);
        }
    }
    assert_true(list_has(user_attr("emails.type")->canonical_values, "work"));
    assert_true(list_has(user_attr("emails.type")->canonical_values, "other"));
    assert_true(list_has(user_attr("phoneNumbers.type")->canonical_values, "pager"));
    assert_true(list_has(user_attr("ims.type")->canonical_values, "xmpp"));
    assert_true(list_has(user_attr("photos.type")->canonical_values, "thumbnail"));
    assert_true(list_has(user_attr("addresses.type")->canonical_values, "home"));
    assert_int_equal(user_attr("photos.value")->type, SCIM_ATTR_REFERENCE);
    assert_int_equal(user_attr("x509Certificates.value")->type, SCIM_ATTR_BINARY);
    assert_non_null(user_attr("addresses.postalCode"));
    assert_null(user_attr("roles.type")->canonical_values);
}

static void test_schema_groups_read_only(void **state)
{
    (void)state;
    const struct scim_attr *groups = user_attr("groups");
    assert_int_equal(groups->mutability, SCIM_MUT_READ_ONLY);
    for (size_t i = 0; i < groups->n_sub_attrs; i++)
        assert_int_equal(groups->sub_attrs[i].mutability, SCIM_MUT_READ_ONLY);
    const struct scim_attr *ref = user_attr("groups.$ref");
    assert_int_equal(ref->type, SCIM_ATTR_REFERENCE);
    assert_true(list_has(ref->reference_types, "Group"));
    const struct scim_attr *type = user_attr("groups.type");
    assert_true(list_has(type->canonical_values, "direct"));
    assert_true(list_has(type->canonical_values, "indirect"));
}

static void test_schema_common_attrs(void **state)
{
    (void)state;
    size_t n = 0;
    const struct scim_attr *common = scim_schema_common_attrs(&n);
    assert_int_equal(n, 3);
    const struct scim_attr *id = scim_attr_find(common, n, "id");
    assert_non_null(id);
    assert_int_equal(id->mutability, SCIM_MUT_READ_ONLY);
    assert_int_equal(id->returned, SCIM_RET_ALWAYS);
    assert_true(id->case_exact);
    assert_int_equal(id->uniqueness, SCIM_UNIQ_SERVER);
    const struct scim_attr *ext = scim_attr_find(common, n, "EXTERNALID");
    assert_non_null(ext);
    assert_int_equal(ext->mutability, SCIM_MUT_READ_WRITE);
    assert_true(ext->case_exact);
    const struct scim_attr *meta = scim_attr_find(common, n, "meta");
    assert_non_null(meta);
    assert_int_equal(meta->type, SCIM_ATTR_COMPLEX);
    assert_int_equal(meta->mutability, SCIM_MUT_READ_ONLY);
    static const char *const subs[] = {"resourceType", "created", "lastModified", "location",
                                       "version"};
    assert_int_equal(meta->n_sub_attrs, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(meta->sub_attrs[i].name, subs[i]);
    assert_int_equal(scim_attr_find(meta->sub_attrs, 5, "created")->type, SCIM_ATTR_DATETIME);
}

/* Every attribute list (and sub-attribute list, recursively) fits SCIM_SCHEMA_MAX_ATTRS. */
static void assert_lists_fit(const struct scim_attr *attrs, size_t n)
{
    assert_true(n <= SCIM_SCHEMA_MAX_ATTRS);
    for (size_t i = 0; i < n; i++)
        assert_lists_fit(attrs[i].sub_attrs, attrs[i].n_sub_attrs);
}

static void test_schema_lists_fit_max_attrs(void **state)
{
    (void)state;
    for (size_t i = 0; i < scim_schema_count(); i++)
        assert_lists_fit(scim_schema_at(i)->attrs, scim_schema_at(i)->n_attrs);
    size_t n = 0;
    assert_lists_fit(scim_schema_common_attrs(&n), n);
}

static void test_schema_enterprise_manager(void **state)
{
    (void)state;
    const struct scim_schema *ent = scim_schema_find(SCIM_SCHEMA_ENTERPRISE_USER);
    static const char *const names[] = {"employeeNumber", "costCenter", "organization",
                                        "division",       "department", "manager"};
    assert_int_equal(ent->n_attrs, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(ent->attrs[i].name, names[i]);
    const struct scim_attr *manager = scim_attr_find(ent->attrs, ent->n_attrs, "manager");
    assert_int_equal(manager->type, SCIM_ATTR_COMPLEX);
    assert_false(manager->multi_valued);
    assert_int_equal(manager->n_sub_attrs, 3);
    assert_string_equal(manager->sub_attrs[0].name, "value");
    assert_string_equal(manager->sub_attrs[1].name, "$ref");
    assert_true(list_has(manager->sub_attrs[1].reference_types, "User"));
    assert_string_equal(manager->sub_attrs[2].name, "displayName");
    assert_int_equal(manager->sub_attrs[2].mutability, SCIM_MUT_READ_ONLY);
}

static void test_schema_characteristic_names(void **state)
{
    (void)state;
    assert_string_equal(scim_attr_type_name(SCIM_ATTR_STRING), "string");
    assert_string_equal(scim_attr_type_name(SCIM_ATTR_BOOLEAN), "boolean");
    assert_string_equal(scim_attr_type_name(SCIM_ATTR_DECIMAL), "decimal");
    assert_string_equal(scim_attr_type_name(SCIM_ATTR_INTEGER), "integer");
    assert_string_equal(scim_attr_type_name(SCIM_ATTR_DATETIME), "dateTime");
    assert_string_equal(scim_attr_type_name(SCIM_ATTR_BINARY), "binary");
    assert_string_equal(scim_attr_type_name(SCIM_ATTR_REFERENCE), "reference");
    assert_string_equal(scim_attr_type_name(SCIM_ATTR_COMPLEX), "complex");
    assert_string_equal(scim_mutability_name(SCIM_MUT_READ_WRITE), "readWrite");
    assert_string_equal(scim_mutability_name(SCIM_MUT_READ_ONLY), "readOnly");
    assert_string_equal(scim_mutability_name(SCIM_MUT_IMMUTABLE), "immutable");
    assert_string_equal(scim_mutability_name(SCIM_MUT_WRITE_ONLY), "writeOnly");
    assert_string_equal(scim_returned_name(SCIM_RET_DEFAULT), "default");
    assert_string_equal(scim_returned_name(SCIM_RET_ALWAYS), "always");
    assert_string_equal(scim_returned_name(SCIM_RET_NEVER), "never");
    assert_string_equal(scim_returned_name(SCIM_RET_REQUEST), "request");
    assert_string_equal(scim_uniqueness_name(SCIM_UNIQ_NONE), "none");
    assert_string_equal(scim_uniqueness_name(SCIM_UNIQ_SERVER), "server");
    assert_string_equal(scim_uniqueness_name(SCIM_UNIQ_GLOBAL), "global");
}

/* Every definition is complete: descriptions everywhere, sub-attributes exactly on complex ones,
 * reference types on references, and no complex attribute nested in another. */
static void check_attrs_complete(const struct scim_attr *attrs, size_t n, bool nested)
{
    for (size_t i = 0; i < n; i++) {
        const struct scim_attr *a = &attrs[i];
        assert_non_null(a->name);
        assert_non_null(a->description);
        assert_true(strlen(a->description) > 0);
        if (a->type == SCIM_ATTR_REFERENCE)
            assert_non_null(a->reference_types);
        else
            assert_null(a->reference_types);
        if (a->type == SCIM_ATTR_COMPLEX) {
            assert_false(nested);
            assert_true(a->n_sub_attrs > 0);
            check_attrs_complete(a->sub_attrs, a->n_sub_attrs, true);
        } else {
            assert_int_equal(a->n_sub_attrs, 0);
        }
    }
}

static void test_schema_definitions_complete(void **state)
{
    (void)state;
    for (size_t i = 0; i < scim_schema_count(); i++) {
        const struct scim_schema *s = scim_schema_at(i);
        assert_non_null(s->name);
        assert_non_null(s->description);
        check_attrs_complete(s->attrs, s->n_attrs, false);
    }
    size_t n;
    const struct scim_attr *common = scim_schema_common_attrs(&n);
    check_attrs_complete(common, n, false);
}

static void test_schema_to_json_user(void **state)
{
    (void)state;
    json_t *doc = scim_schema_to_json(scim_schema_find(SCIM_SCHEMA_USER), BASE);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "schemas"), 0)),
                        SCIM_SCHEMA_SCHEMA);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), SCIM_SCHEMA_USER);
    assert_string_equal(json_string_value(json_object_get(doc, "name")), "User");
    assert_true(json_is_string(json_object_get(doc, "description")));
    json_t *meta = json_object_get(doc, "meta");
    assert_string_equal(json_string_value(json_object_get(meta, "resourceType")), "Schema");
    assert_string_equal(json_string_value(json_object_get(meta, "location")),
                        BASE "/Schemas/" SCIM_SCHEMA_USER);

    json_t *attrs = json_object_get(doc, "attributes");
    assert_int_equal(json_array_size(attrs), 21);
    json_t *user_name = json_attr(attrs, "userName");
    json_t *expected = json_pack("{s:s, s:s, s:b, s:s, s:b, s:b, s:s, s:s, s:s}", "name",
                                 "userName", "type", "string", "multiValued", 0, "description",
                                 json_string_value(json_object_get(user_name, "description")),
                                 "required", 1, "caseExact", 0, "mutability", "readWrite",
                                 "returned", "default", "uniqueness", "server");
    assert_true(json_equal(user_name, expected));
    json_decref(expected);

    json_t *password = json_attr(attrs, "password");
    assert_string_equal(json_string_value(json_object_get(password, "returned")), "never");
    assert_string_equal(json_string_value(json_object_get(password, "mutability")), "writeOnly");

    json_t *emails = json_attr(attrs, "emails");
    assert_true(json_is_true(json_object_get(emails, "multiValued")));
    assert_string_equal(json_string_value(json_object_get(emails, "type")), "complex");
    json_t *type = json_attr(json_object_get(emails, "subAttributes"), "type");
    json_t *cv = json_object_get(type, "canonicalValues");
    assert_int_equal(json_array_size(cv), 3);
    assert_string_equal(json_string_value(json_array_get(cv, 0)), "work");

    json_t *profile = json_attr(attrs, "profileUrl");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(profile, "referenceTypes"), 0)),
        "external");
    /* Simple attributes carry neither subAttributes nor empty lists. */
    assert_null(json_object_get(user_name, "subAttributes"));
    assert_null(json_object_get(user_name, "canonicalValues"));
    assert_null(json_object_get(user_name, "referenceTypes"));
    /* The common attributes (RFC 7643 §3.1) are not part of a schema's attribute list. */
    for (size_t i = 0; i < json_array_size(attrs); i++) {
        json_t *attr = json_array_get(attrs, i);
        const char *name = json_string_value(json_object_get(attr, "name"));
        assert_string_not_equal(name, "id");
        assert_string_not_equal(name, "meta");
    }
    json_decref(doc);
}

static void test_schema_to_json_enterprise_manager(void **state)
{
    (void)state;
    json_t *doc = scim_schema_to_json(scim_schema_find(SCIM_SCHEMA_ENTERPRISE_USER), BASE "/");
    json_t *meta = json_object_get(doc, "meta");
    /* A trailing slash on the base URL is not doubled. */
    assert_string_equal(json_string_value(json_object_get(meta, "location")),
                        BASE "/Schemas/" SCIM_SCHEMA_ENTERPRISE_USER);
    json_t *manager = json_attr(json_object_get(doc, "attributes"), "manager");
    assert_string_equal(json_string_value(json_object_get(manager, "type")), "complex");
    json_t *subs = json_object_get(manager, "subAttributes");
    assert_int_equal(json_array_size(subs), 3);
    json_t *ref = json_attr(subs, "$ref");
    assert_string_equal(json_string_value(json_object_get(ref, "type")), "reference");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(ref, "referenceTypes"), 0)), "User");
    json_t *display = json_attr(subs, "displayName");
    assert_string_equal(json_string_value(json_object_get(display, "mutability")), "readOnly");
    json_t *value = json_attr(subs, "value");
    assert_string_equal(json_string_value(json_object_get(value, "mutability")), "readWrite");
    json_decref(doc);
}

static void test_schema_resource_type_to_json(void **state)
{
    (void)state;
    json_t *doc = scim_resource_type_to_json(scim_resource_type_find("User"), BASE);
    json_t *expected = json_pack(
        "{s:[s], s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:b}], s:{s:s, s:s}}", "schemas",
        SCIM_SCHEMA_RESOURCE_TYPE, "id", "User", "name", "User", "endpoint", "/Users",
        "description", json_string_value(json_object_get(doc, "description")), "schema",
        SCIM_SCHEMA_USER, "schemaExtensions", "schema", SCIM_SCHEMA_ENTERPRISE_USER, "required", 0,
        "meta", "resourceType", "ResourceType", "location", BASE "/ResourceTypes/User");
    assert_non_null(expected);
    assert_true(json_equal(doc, expected));
    /* Key order follows RFC 7643 §6: schemas first, meta last. */
    void *iter = json_object_iter(doc);
    assert_string_equal(json_object_iter_key(iter), "schemas");
    const char *last = NULL;
    for (; iter; iter = json_object_iter_next(doc, iter))
        last = json_object_iter_key(iter);
    assert_string_equal(last, "meta");
    json_decref(expected);
    json_decref(doc);
}

int main(void)
{
    scim_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_find_case_insensitive),
        cmocka_unit_test(test_schema_served_lists_users_and_groups),
        cmocka_unit_test(test_schema_resource_type_lookup),
        cmocka_unit_test(test_schema_resource_type_extension),
        cmocka_unit_test(test_schema_attr_find_case_insensitive),
        cmocka_unit_test(test_schema_user_name_characteristics),
        cmocka_unit_test(test_schema_user_attribute_list),
        cmocka_unit_test(test_schema_password_write_only_never_returned),
        cmocka_unit_test(test_schema_multi_valued_attributes),
        cmocka_unit_test(test_schema_groups_read_only),
        cmocka_unit_test(test_schema_common_attrs),
        cmocka_unit_test(test_schema_enterprise_manager),
        cmocka_unit_test(test_schema_characteristic_names),
        cmocka_unit_test(test_schema_definitions_complete),
        cmocka_unit_test(test_schema_lists_fit_max_attrs),
        cmocka_unit_test(test_schema_to_json_user),
        cmocka_unit_test(test_schema_to_json_enterprise_manager),
        cmocka_unit_test(test_schema_resource_type_to_json),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
