/*
 * test_resource — unit tests of src/lib/resource.c: normalisation of client documents against
 * the User resource type and a test-only Widget type (RFC 7643 §2, §4; RFC 7644 §3.3, §3.5.1),
 * rendering with id and meta (RFC 7643 §3.1), weak ETags and time stamps.
 * The Widget schema exists only here, to reach the characteristics the User schema lacks
 * (integer, decimal, dateTime, immutable, required sub-attributes, returned never).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mem.h"
#include "resource.h"
#include "schema.h"

#include <string.h>

#define BASE "https://idp.example.com/scim/v2"
#define ENT SCIM_SCHEMA_ENTERPRISE_USER
#define WIDGET_URN "urn:example:params:scim:schemas:core:1.0:Widget"
#define WIDGET_EXT_URN "urn:example:params:scim:schemas:extension:1.0:Widget"

/* ---- The test-only Widget resource type ---- */

static const struct scim_attr widget_spec_subs[] = {
    {.name = "kind", .type = SCIM_ATTR_STRING, .required = true, .description = "Kind."},
    {.name = "serial",
     .type = SCIM_ATTR_STRING,
     .case_exact = true,
     .mutability = SCIM_MUT_IMMUTABLE,
     .description = "Serial."},
    {.name = "note", .type = SCIM_ATTR_STRING, .description = "Note."},
};

static const struct scim_attr widget_part_subs[] = {
    {.name = "value", .type = SCIM_ATTR_STRING, .description = "Value."},
    {.name = "label",
     .type = SCIM_ATTR_STRING,
     .case_exact = true,
     .mutability = SCIM_MUT_IMMUTABLE,
     .description = "Label."},
    {.name = "primary", .type = SCIM_ATTR_BOOLEAN, .description = "Primary."},
};

static const struct scim_attr widget_attrs[] = {
    {.name = "code",
     .type = SCIM_ATTR_STRING,
     .case_exact = true,
     .mutability = SCIM_MUT_IMMUTABLE,
     .description = "Code."},
    {.name = "count", .type = SCIM_ATTR_INTEGER, .description = "Count."},
    {.name = "ratio", .type = SCIM_ATTR_DECIMAL, .description = "Ratio."},
    {.name = "since", .type = SCIM_ATTR_DATETIME, .description = "Since."},
    {.name = "blob", .type = SCIM_ATTR_BINARY, .description = "Blob."},
    {.name = "tags", .type = SCIM_ATTR_STRING, .multi_valued = true, .description = "Tags."},
    {.name = "secret",
     .type = SCIM_ATTR_STRING,
     .returned = SCIM_RET_NEVER,
     .description = "Secret."},
    {.name = "spec",
     .type = SCIM_ATTR_COMPLEX,
     .description = "Spec.",
     .sub_attrs = widget_spec_subs,
     .n_sub_attrs = 3},
    {.name = "parts",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "Parts.",
     .sub_attrs = widget_part_subs,
     .n_sub_attrs = 3},
};

static const struct scim_schema widget_schema = {
    .id = WIDGET_URN,
    .name = "Widget",
    .description = "Widget",
    .attrs = widget_attrs,
    .n_attrs = sizeof(widget_attrs) / sizeof(widget_attrs[0]),
};

static const struct scim_attr widget_ext_attrs[] = {
    {.name = "level", .type = SCIM_ATTR_STRING, .required = true, .description = "Level."},
};

static const struct scim_schema widget_ext_schema = {
    .id = WIDGET_EXT_URN,
    .name = "WidgetExtension",
    .description = "Widget extension",
    .attrs = widget_ext_attrs,
    .n_attrs = 1,
};

static const struct scim_resource_type widget_rt = {
    .id = "Widget",
    .name = "Widget",
    .endpoint = "/Widgets",
    .description = "Widget",
    .schema = &widget_schema,
};

static const struct scim_schema_extension widget_required_ext[] = {
    {.schema = &widget_ext_schema, .required = true},
};

static const struct scim_resource_type widget_ext_rt = {
    .id = "StrictWidget",
    .name = "StrictWidget",
    .endpoint = "/StrictWidgets",
    .description = "Widget with a required extension",
    .schema = &widget_schema,
    .extensions = widget_required_ext,
    .n_extensions = 1,
};

/* ---- Helpers ---- */

static const struct scim_resource_type *user_rt(void)
{
    const struct scim_resource_type *rt = scim_resource_type_find("User");
    assert_non_null(rt);
    return rt;
}

/* Returns a new reference: text parsed as JSON after turning every ' into ". */
static json_t *parse(const char *text)
{
    char *copy = scim_strdup(text);
    for (char *p = copy; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    json_error_t error;
    json_t *value = json_loads(copy, JSON_DECODE_ANY, &error);
    if (!value)
        fail_msg("test JSON does not parse: %s: %s", error.text, copy);
    scim_free(copy);
    return value;
}

/*
 * Normalises input (JSON text, ' for ") for rt; existing (JSON text or NULL) selects REPLACE
 * mode. Returns the scim_rc; *doc (caller's, json_decref) and *password (scim_free) may be NULL.
 */
static int normalize(const struct scim_resource_type *rt, const char *input, const char *existing,
                     json_t **doc, char **password, struct scim_err *err)
{
    json_t *in = parse(input);
    json_t *old = existing ? parse(existing) : NULL;
    scim_err_clear(err);
    int rc = scim_resource_normalize(rt, in, old ? SCIM_WRITE_REPLACE : SCIM_WRITE_CREATE, old, doc,
                                     password, err);
    if (rc == 0)
        assert_non_null(*doc);
    else
        assert_null(*doc);
    json_decref(old);
    json_decref(in);
    return rc;
}

/* Normalises input and asserts success; returns the document (new reference). */
static json_t *normalize_ok(const struct scim_resource_type *rt, const char *input,
                            const char *existing)
{
    json_t *doc = NULL;
    char *password = NULL;
    struct scim_err err;
    int rc = normalize(rt, input, existing, &doc, &password, &err);
    if (rc != 0)
        fail_msg("normalize failed: %d %s: %s", err.status, err.scim_type, err.detail);
    scim_free(password);
    return doc;
}

/* Normalises input and asserts a 400 with scimType and, when detail is not NULL, that detail. */
static void normalize_fails(const struct scim_resource_type *rt, const char *input,
                            const char *existing, const char *scim_type, const char *detail)
{
    json_t *doc = NULL;
    char *password = NULL;
    struct scim_err err;
    int rc = normalize(rt, input, existing, &doc, &password, &err);
    if (rc == 0) {
        char *text = json_dumps(doc, JSON_COMPACT);
        fail_msg("normalize accepted %s and produced %s", input, text);
    }
    assert_int_equal(rc, SCIM_ERR);
    assert_null(password);
    assert_int_equal(err.status, 400);
    assert_non_null(err.scim_type);
    assert_string_equal(err.scim_type, scim_type);
    if (detail)
        assert_string_equal(err.detail, detail);
}

/* Asserts that doc equals the JSON text expected (' for "), key order included. */
static void assert_json(const json_t *doc, const char *expected)
{
    json_t *want = parse(expected);
    char *got_text = json_dumps(doc, JSON_COMPACT);
    char *want_text = json_dumps(want, JSON_COMPACT);
    assert_non_null(got_text);
    assert_string_equal(got_text, want_text);
    scim_free(got_text);
    scim_free(want_text);
    json_decref(want);
}

/* Asserts that the keys of obj, joined with ',', are keys. */
static void assert_keys(const json_t *obj, const char *keys)
{
    char joined[1024] = "";
    size_t used = 0;
    for (void *it = json_object_iter((json_t *)obj); it;
         it = json_object_iter_next((json_t *)obj, it)) {
        const char *key = json_object_iter_key(it);
        size_t len = strlen(key);
        assert_true(used + len + 2 < sizeof(joined));
        if (used > 0)
            joined[used++] = ',';
        memcpy(joined + used, key, len + 1);
        used += len;
    }
    assert_string_equal(joined, keys);
}

/* ---- Normalisation: names, order, readOnly ---- */

static void test_resource_normalize_minimal_user(void **state)
{
    (void)state;
    json_t *doc = normalize_ok(user_rt(), "{'userName': 'bjensen'}", NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'bjensen'}");
    json_decref(doc);
}

static void test_resource_normalize_canonical_spelling(void **state)
{
    (void)state;
    json_t *doc = normalize_ok(
        user_rt(),
        "{'SCHEMAS': ['URN:ietf:params:scim:schemas:core:2.0:user'], 'USERNAME': 'bjensen',"
        " 'Name': {'GIVENNAME': 'Barbara', 'familyname': 'Jensen'},"
        " 'emails': [{'VALUE': 'b@example.com', 'Type': 'WORK', 'PRIMARY': true}],"
        " 'externalid': 'x1', 'ACTIVE': true,"
        " 'urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:user':"
        "   {'EMPLOYEENUMBER': '42', 'Manager': {'VALUE': 'm1', '$REF': '../Users/m1'}}}",
        NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "', '" ENT "'], 'externalId': 'x1',"
                     " 'userName': 'bjensen', 'name': {'familyName': 'Jensen', 'givenName':"
                     " 'Barbara'}, 'active': true, 'emails': [{'value': 'b@example.com',"
                     " 'type': 'work', 'primary': true}], '" ENT "': {'employeeNumber': '42',"
                     " 'manager': {'value': 'm1', '$ref': '../Users/m1'}}}");
    json_decref(doc);
}

static void test_resource_normalize_canonical_values(void **state)
{
    (void)state;
    json_t *doc = normalize_ok(user_rt(),
                               "{'userName': 'u', 'phoneNumbers': [{'value': '1', 'type':"
                               " 'Mobile'}, {'value': '2', 'type': 'satellite'}],"
                               " 'ims': [{'value': 'i', 'type': 'XMPP'}]}",
                               NULL);
    /* Matching values take the canonical spelling; others are kept (RFC 7643 §2.3.1). */
    json_t *phones = json_object_get(doc, "phoneNumbers");
    assert_string_equal(json_string_value(json_object_get(json_array_get(phones, 0), "type")),
                        "mobile");
    assert_string_equal(json_string_value(json_object_get(json_array_get(phones, 1), "type")),
                        "satellite");
    json_t *im = json_array_get(json_object_get(doc, "ims"), 0);
    assert_string_equal(json_string_value(json_object_get(im, "type")), "xmpp");
    /* Values of attributes without canonical values are never rewritten. */
    json_decref(doc);
    doc = normalize_ok(user_rt(), "{'userName': 'BJensen', 'roles': [{'value': 'WORK'}]}", NULL);
    assert_string_equal(json_string_value(json_object_get(doc, "userName")), "BJensen");
    json_decref(doc);
}

static void test_resource_normalize_key_order(void **state)
{
    (void)state;
    json_t *doc = normalize_ok(user_rt(),
                               "{'" ENT "': {'department': 'd', 'costCenter': 'c'},"
                               " 'emails': [{'primary': false, 'type': 'home', 'value': 'e'}],"
                               " 'displayName': 'D', 'name': {'middleName': 'M', 'formatted':"
                               " 'F'}, 'userName': 'u', 'externalId': 'x',"
                               " 'schemas': ['" ENT "', '" SCIM_SCHEMA_USER "']}",
                               NULL);
    assert_keys(doc, "schemas,externalId,userName,name,displayName,emails," ENT);
    assert_keys(json_object_get(doc, "name"), "formatted,middleName");
    assert_keys(json_array_get(json_object_get(doc, "emails"), 0), "value,type,primary");
    assert_keys(json_object_get(doc, ENT), "costCenter,department");
    json_decref(doc);
}

static void test_resource_normalize_read_only_dropped(void **state)
{
    (void)state;
    json_t *doc =
        normalize_ok(user_rt(),
                     "{'id': 'client-chosen', 'meta': {'version': 'W/\\'9\\''}, 'userName': 'u',"
                     " 'groups': [{'value': 'g1', 'display': 'Admins'}],"
                     " '" ENT "': {'manager': {'value': 'm1', 'displayName': 'Boss'}}}",
                     NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "', '" ENT "'], 'userName': 'u',"
                     " '" ENT "': {'manager': {'value': 'm1'}}}");
    json_decref(doc);
    /* A readOnly value is dropped without even looking at its type. */
    doc = normalize_ok(user_rt(), "{'userName': 'u', 'groups': 'nonsense', 'id': 7}", NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u'}");
    json_decref(doc);
    /* A manager left with only its readOnly part is unassigned, and so is the extension. */
    doc = normalize_ok(user_rt(), "{'userName': 'u', '" ENT "': {'manager': {'displayName': 'B'}}}",
                       NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u'}");
    json_decref(doc);
}

/* ---- Normalisation: unknown attributes ---- */

static void test_resource_normalize_unknown_attribute(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'u', 'foo': 1}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'foo' is not defined by " SCIM_SCHEMA_USER);
    /* Set to null it carries nothing (unassigned, RFC 7643 §2.5): Entra ID's tutorial sends
     * "department": null and "manager": null at the top level. */
    json_t *doc = normalize_ok(user_rt(),
                               "{'userName': 'u', 'department': null, 'manager': null, "
                               "'name': {'givenName': 'G', 'nick': null}}",
                               NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u', "
                     "'name': {'givenName': 'G'}}");
    json_decref(doc);
}

static void test_resource_normalize_unknown_sub_attribute(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'u', 'NAME': {'givenName': 'a', 'nick': 'b'}}", NULL,
                    SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'name.nick' is not defined by " SCIM_SCHEMA_USER);
    normalize_fails(user_rt(), "{'userName': 'u', 'emails': [{'value': 'a', 'kind': 'b'}]}", NULL,
                    SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'emails.kind' is not defined by " SCIM_SCHEMA_USER);
}

/* A name too long for an error detail's path is cut and ends in "...", nothing overflows. */
static void test_resource_normalize_unknown_long_name_cut(void **state)
{
    (void)state;
    char name[400];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    char input[512];
    snprintf(input, sizeof(input), "{'userName': 'u', 'name': {'%s': 1}}", name);
    char expected[512];
    /* 256 bytes of path ("name." and 247 x, then "...") */
    snprintf(expected, sizeof(expected), "Attribute 'name.%.247s...' is not defined by %s", name,
             SCIM_SCHEMA_USER);
    normalize_fails(user_rt(), input, NULL, SCIM_TYPE_INVALID_VALUE, expected);
}

static void test_resource_normalize_unknown_extension_attribute(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'u', '" ENT "': {'department': 'd', 'floor': 3}}",
                    NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute '" ENT ":floor' is not defined by " ENT);
    /* Core attributes are not accepted inside the extension object. */
    normalize_fails(user_rt(), "{'userName': 'u', '" ENT "': {'userName': 'x'}}", NULL,
                    SCIM_TYPE_INVALID_VALUE, "Attribute '" ENT ":userName' is not defined by " ENT);
}

static void test_resource_normalize_unknown_schema_key(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'u', 'urn:example:ext:1.0:User': {'a': 1}}", NULL,
                    SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'urn:example:ext:1.0:User' is not defined by " SCIM_SCHEMA_USER);
    /* An extension of some other resource type is unknown here too. */
    normalize_fails(&widget_rt, "{'" WIDGET_EXT_URN "': {'level': 'x'}}", NULL,
                    SCIM_TYPE_INVALID_VALUE, NULL);
}

static void test_resource_normalize_duplicate_names(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'a', 'USERNAME': 'b'}", NULL, SCIM_TYPE_INVALID_SYNTAX,
                    NULL);
    normalize_fails(user_rt(), "{'userName': 'a', 'name': {'givenName': 'x', 'GivenName': 'y'}}",
                    NULL, SCIM_TYPE_INVALID_SYNTAX, NULL);
    normalize_fails(user_rt(), "{'userName': 'a', 'password': 'p', 'Password': 'q'}", NULL,
                    SCIM_TYPE_INVALID_SYNTAX, NULL);
    normalize_fails(user_rt(),
                    "{'userName': 'a', '" ENT "': {}, 'urn:ietf:params:scim:schemas:extension:"
                    "enterprise:2.0:user': {}}",
                    NULL, SCIM_TYPE_INVALID_SYNTAX, NULL);
}

static void test_resource_normalize_not_an_object(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "['userName']", NULL, SCIM_TYPE_INVALID_SYNTAX, NULL);
    normalize_fails(user_rt(), "'bjensen'", NULL, SCIM_TYPE_INVALID_SYNTAX, NULL);
}

/* ---- Normalisation: types ---- */

static void test_resource_normalize_wrong_type_string(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 5}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'userName' must be a string");
    normalize_fails(user_rt(), "{'userName': 'u', 'displayName': true}", NULL,
                    SCIM_TYPE_INVALID_VALUE, "Attribute 'displayName' must be a string");
    normalize_fails(user_rt(), "{'userName': 'u', 'name': {'givenName': ['a']}}", NULL,
                    SCIM_TYPE_INVALID_VALUE, "Attribute 'name.givenName' must be a string");
    normalize_fails(user_rt(), "{'userName': 'u', 'externalId': 12}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'externalId' must be a string");
    normalize_fails(user_rt(), "{'userName': 'u', '" ENT "': {'department': {}}}", NULL,
                    SCIM_TYPE_INVALID_VALUE, "Attribute '" ENT ":department' must be a string");
}

static void test_resource_normalize_wrong_type_boolean(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'u', 'active': 'true'}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'active' must be a boolean (true or false)");
    normalize_fails(user_rt(), "{'userName': 'u', 'active': 1}", NULL, SCIM_TYPE_INVALID_VALUE,
                    NULL);
    normalize_fails(user_rt(), "{'userName': 'u', 'emails': [{'value': 'a', 'primary': 'yes'}]}",
                    NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'emails.primary' must be a boolean (true or false)");
    json_t *doc = normalize_ok(user_rt(), "{'userName': 'u', 'active': false}", NULL);
    assert_true(json_is_false(json_object_get(doc, "active")));
    json_decref(doc);
}

static void test_resource_normalize_wrong_type_complex(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'u', 'name': 'Barbara Jensen'}", NULL,
                    SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'name' must be a complex value (a JSON object)");
    normalize_fails(user_rt(), "{'userName': 'u', 'name': [{'givenName': 'B'}]}", NULL,
                    SCIM_TYPE_INVALID_VALUE, NULL);
    normalize_fails(user_rt(), "{'userName': 'u', '" ENT "': {'manager': 'm1'}}", NULL,
                    SCIM_TYPE_INVALID_VALUE,
                    "Attribute '" ENT ":manager' must be a complex value (a JSON object)");
}

static void test_resource_normalize_wrong_type_multi_valued(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'u', 'emails': {'value': 'a'}}", NULL,
                    SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'emails' must be an array of complex values");
    normalize_fails(user_rt(), "{'userName': 'u', 'emails': 'a@example.com'}", NULL,
                    SCIM_TYPE_INVALID_VALUE, NULL);
    normalize_fails(user_rt(), "{'userName': 'u', 'emails': ['a@example.com']}", NULL,
                    SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'emails' must be an array of complex values");
    normalize_fails(user_rt(), "{'userName': 'u', 'emails': [null]}", NULL, SCIM_TYPE_INVALID_VALUE,
                    NULL);
    /* Multi-valued simple attributes take an array of that type. */
    json_t *doc = normalize_ok(&widget_rt, "{'TAGS': ['a', 'b']}", NULL);
    assert_json(doc, "{'schemas': ['" WIDGET_URN "'], 'tags': ['a', 'b']}");
    json_decref(doc);
    normalize_fails(&widget_rt, "{'tags': ['a', 1]}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'tags' must be an array of string values");
    normalize_fails(&widget_rt, "{'tags': 'a'}", NULL, SCIM_TYPE_INVALID_VALUE, NULL);
}

static void test_resource_normalize_wrong_type_reference(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'userName': 'u', 'profileUrl': 1}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'profileUrl' must be a reference (a URI string)");
    normalize_fails(user_rt(), "{'userName': 'u', 'photos': [{'value': {'url': 'x'}}]}", NULL,
                    SCIM_TYPE_INVALID_VALUE, NULL);
    json_t *doc =
        normalize_ok(user_rt(), "{'userName': 'u', 'profileUrl': 'https://e.org/u'}", NULL);
    assert_string_equal(json_string_value(json_object_get(doc, "profileUrl")), "https://e.org/u");
    json_decref(doc);
}

static void test_resource_normalize_integer_and_decimal(void **state)
{
    (void)state;
    json_t *doc = normalize_ok(&widget_rt, "{'count': 3, 'ratio': 0.5}", NULL);
    assert_int_equal(json_integer_value(json_object_get(doc, "count")), 3);
    assert_true(json_real_value(json_object_get(doc, "ratio")) == 0.5);
    json_decref(doc);
    /* A decimal accepts any JSON number, integers included. */
    doc = normalize_ok(&widget_rt, "{'ratio': 2}", NULL);
    assert_true(json_is_number(json_object_get(doc, "ratio")));
    json_decref(doc);
    normalize_fails(&widget_rt, "{'count': 1.5}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'count' must be an integer");
    normalize_fails(&widget_rt, "{'count': '3'}", NULL, SCIM_TYPE_INVALID_VALUE, NULL);
    normalize_fails(&widget_rt, "{'ratio': '0.5'}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'ratio' must be a number");
    normalize_fails(&widget_rt, "{'ratio': true}", NULL, SCIM_TYPE_INVALID_VALUE, NULL);
}

static void test_resource_normalize_datetime(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "2026-01-15T12:00:00Z",      "2026-01-15T12:00:00.123Z",  "2026-01-15T12:00:00",
        "2026-01-15T12:00:00+01:00", "2026-01-15T23:59:59-14:00", "2024-02-29T00:00:00Z",
        "2016-12-31T23:59:60Z",      "0001-01-01T00:00:00.1Z",
    };
    static const char *const invalid[] = {
        "2026-01-15",
        "2026-01-15 12:00:00Z",
        "2026-1-15T12:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-01-32T00:00:00Z",
        "2026-01-15T24:00:00Z",
        "2026-01-15T12:60:00Z",
        "2026-01-15T12:00:00.Z",
        "2026-01-15T12:00:00z",
        "2026-01-15T12:00:00+0100",
        "2026-01-15T12:00:00+15:00",
        "2026-01-15T12:00:00ZZ",
        "0000-01-01T00:00:00Z",
        "yesterday",
        "",
    };
    char input[160];
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        snprintf(input, sizeof(input), "{'since': '%s'}", valid[i]);
        json_t *doc = normalize_ok(&widget_rt, input, NULL);
        assert_string_equal(json_string_value(json_object_get(doc, "since")), valid[i]);
        json_decref(doc);
    }
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        snprintf(input, sizeof(input), "{'since': '%s'}", invalid[i]);
        normalize_fails(&widget_rt, input, NULL, SCIM_TYPE_INVALID_VALUE,
                        "Attribute 'since' must be a dateTime string such as "
                        "\"2026-01-15T12:00:00Z\"");
    }
    normalize_fails(&widget_rt, "{'since': 1768478400}", NULL, SCIM_TYPE_INVALID_VALUE, NULL);
}

static void test_resource_normalize_binary(void **state)
{
    (void)state;
    static const char *const valid[] = {"", "TWFu", "TWE=", "TQ==", "AAEC/+9z", "MIIB+A=="};
    static const char *const invalid[] = {"TWF",  "TQ=",     "T===", "TQ==TWFu",
                                          "TW u", "TWFu\\n", "TW-_", "=TWF"};
    char input[160];
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        snprintf(input, sizeof(input), "{'userName': 'u', 'x509Certificates': [{'value': '%s'}]}",
                 valid[i]);
        json_t *doc = normalize_ok(user_rt(), input, NULL);
        json_decref(doc);
    }
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        snprintf(input, sizeof(input), "{'userName': 'u', 'x509Certificates': [{'value': '%s'}]}",
                 invalid[i]);
        normalize_fails(user_rt(), input, NULL, SCIM_TYPE_INVALID_VALUE,
                        "Attribute 'x509Certificates.value' must be a base64-encoded string");
    }
    json_t *doc = normalize_ok(&widget_rt, "{'blob': 'AAEC'}", NULL);
    assert_string_equal(json_string_value(json_object_get(doc, "blob")), "AAEC");
    json_decref(doc);
    normalize_fails(&widget_rt, "{'blob': 12}", NULL, SCIM_TYPE_INVALID_VALUE, NULL);
}

static void test_resource_normalize_string_limit(void **state)
{
    (void)state;
    char *input = scim_malloc(SCIM_RESOURCE_MAX_STRING + 64);
    char *fill = scim_malloc(SCIM_RESOURCE_MAX_STRING + 2);
    memset(fill, 'a', SCIM_RESOURCE_MAX_STRING + 1);
    fill[SCIM_RESOURCE_MAX_STRING] = '\0';
    snprintf(input, SCIM_RESOURCE_MAX_STRING + 64, "{'userName': '%s'}", fill);
    json_t *doc = normalize_ok(user_rt(), input, NULL);
    assert_int_equal(json_string_length(json_object_get(doc, "userName")),
                     SCIM_RESOURCE_MAX_STRING);
    json_decref(doc);

    fill[SCIM_RESOURCE_MAX_STRING] = 'a';
    fill[SCIM_RESOURCE_MAX_STRING + 1] = '\0';
    snprintf(input, SCIM_RESOURCE_MAX_STRING + 64, "{'userName': '%s'}", fill);
    normalize_fails(user_rt(), input, NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'userName' is longer than 8192 bytes");
    snprintf(input, SCIM_RESOURCE_MAX_STRING + 64, "{'userName': 'u', 'emails': [{'value': '%s'}]}",
             fill);
    normalize_fails(user_rt(), input, NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'emails.value' is longer than 8192 bytes");
    snprintf(input, SCIM_RESOURCE_MAX_STRING + 64, "{'userName': 'u', 'password': '%s'}", fill);
    normalize_fails(user_rt(), input, NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'password' is longer than 8192 bytes");
    scim_free(fill);
    scim_free(input);
}

/* ---- Normalisation: required, unassigned, primary ---- */

static void test_resource_normalize_required_missing(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'userName' is required");
    normalize_fails(user_rt(), "{'displayName': 'D', 'name': {'givenName': 'G'}}", NULL,
                    SCIM_TYPE_INVALID_VALUE, "Attribute 'userName' is required");
    normalize_fails(user_rt(), "{'userName': null}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'userName' is required");
    normalize_fails(user_rt(), "{'userName': ''}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'userName' is required");
    /* White space alone is no userName either. */
    normalize_fails(user_rt(), "{'userName': '   '}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'userName' is required");
    normalize_fails(user_rt(), "{'userName': ' \\t\\n'}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'userName' is required");
}

static void test_resource_normalize_required_sub_attribute(void **state)
{
    (void)state;
    normalize_fails(&widget_rt, "{'spec': {'note': 'n'}}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'spec.kind' is required");
    json_t *doc = normalize_ok(&widget_rt, "{'spec': {'KIND': 'k', 'note': 'n'}}", NULL);
    assert_json(doc, "{'schemas': ['" WIDGET_URN "'], 'spec': {'kind': 'k', 'note': 'n'}}");
    json_decref(doc);
    /* A complex value with nothing assigned is itself unassigned; nothing is then required. */
    doc = normalize_ok(&widget_rt, "{'spec': {'note': null}}", NULL);
    assert_json(doc, "{'schemas': ['" WIDGET_URN "']}");
    json_decref(doc);
}

static void test_resource_normalize_required_extension(void **state)
{
    (void)state;
    normalize_fails(&widget_ext_rt, "{'count': 1}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Schema extension " WIDGET_EXT_URN " is required for resource type "
                    "'StrictWidget'");
    normalize_fails(&widget_ext_rt, "{'" WIDGET_EXT_URN "': {'level': ''}}", NULL,
                    SCIM_TYPE_INVALID_VALUE, "Attribute '" WIDGET_EXT_URN ":level' is required");
    json_t *doc = normalize_ok(&widget_ext_rt, "{'" WIDGET_EXT_URN "': {'level': 'x'}}", NULL);
    assert_json(doc, "{'schemas': ['" WIDGET_URN "', '" WIDGET_EXT_URN "'], '" WIDGET_EXT_URN
                     "': {'level': 'x'}}");
    json_decref(doc);
}

static void test_resource_normalize_null_and_empty_omitted(void **state)
{
    (void)state;
    json_t *doc = normalize_ok(user_rt(),
                               "{'userName': 'u', 'displayName': null, 'emails': [],"
                               " 'name': {}, 'addresses': [{}], 'phoneNumbers': [{'value':"
                               " null}], 'x509Certificates': null, '" ENT "': {},"
                               " 'externalId': null}",
                               NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u'}");
    json_decref(doc);
    doc = normalize_ok(user_rt(), "{'userName': 'u', '" ENT "': null}", NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u'}");
    json_decref(doc);
    /* An empty string is a value, not unassigned. */
    doc = normalize_ok(user_rt(), "{'userName': 'u', 'title': ''}", NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u', 'title': ''}");
    json_decref(doc);
}

static void test_resource_normalize_two_primaries(void **state)
{
    (void)state;
    normalize_fails(user_rt(),
                    "{'userName': 'u', 'emails': [{'value': 'a', 'primary': true},"
                    " {'value': 'b', 'PRIMARY': true}]}",
                    NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'emails' has more than one value with \"primary\": true");
    json_t *doc = normalize_ok(user_rt(),
                               "{'userName': 'u', 'emails': [{'value': 'a', 'primary': true},"
                               " {'value': 'b', 'primary': false}, {'value': 'c', 'primary':"
                               " false}]}",
                               NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "emails")), 3);
    json_decref(doc);
}

/* ---- Normalisation: password ---- */

static void test_resource_normalize_password_extracted(void **state)
{
    (void)state;
    json_t *doc = NULL;
    char *password = NULL;
    struct scim_err err;
    assert_int_equal(normalize(user_rt(), "{'userName': 'u', 'PassWord': 't1gerS!'}", NULL, &doc,
                               &password, &err),
                     0);
    assert_non_null(password);
    assert_string_equal(password, "t1gerS!");
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u'}");
    scim_free(password);
    json_decref(doc);

    /* Without a place to return it, the password is still removed from the document. */
    json_t *in = parse("{'userName': 'u', 'password': 'secret'}");
    doc = NULL;
    assert_int_equal(
        scim_resource_normalize(user_rt(), in, SCIM_WRITE_CREATE, NULL, &doc, NULL, &err), 0);
    assert_null(json_object_get(doc, "password"));
    json_decref(doc);
    json_decref(in);
}

static void test_resource_normalize_password_absent_or_invalid(void **state)
{
    (void)state;
    static const char *const absent[] = {
        "{'userName': 'u'}",
        "{'userName': 'u', 'password': ''}",
        "{'userName': 'u', 'password': null}",
    };
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        json_t *doc = NULL;
        char *password = (char *)"stale";
        struct scim_err err;
        assert_int_equal(normalize(user_rt(), absent[i], NULL, &doc, &password, &err), 0);
        assert_null(password);
        assert_null(json_object_get(doc, "password"));
        json_decref(doc);
    }
    normalize_fails(user_rt(), "{'userName': 'u', 'password': 1234}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'password' must be a string");
    /* A later error leaves no password behind (normalize_fails checks it is NULL). */
    normalize_fails(user_rt(), "{'password': 'secret'}", NULL, SCIM_TYPE_INVALID_VALUE,
                    "Attribute 'userName' is required");
}

/* ---- Normalisation: extensions and schemas ---- */

static void test_resource_normalize_extension(void **state)
{
    (void)state;
    /* The extension may be sent without being listed in "schemas"; the output lists it. */
    json_t *doc = normalize_ok(user_rt(),
                               "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u',"
                               " 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:USER':"
                               " {'Department': 'Tour Operations'}}",
                               NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "', '" ENT "'], 'userName': 'u', '" ENT
                     "': {'department': 'Tour Operations'}}");
    json_decref(doc);
    /* Listing an extension without sending any of it does not put it in the output. */
    doc = normalize_ok(user_rt(),
                       "{'schemas': ['" SCIM_SCHEMA_USER "', '" ENT "'], 'userName': 'u'}", NULL);
    assert_json(doc, "{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u'}");
    json_decref(doc);
    normalize_fails(user_rt(), "{'userName': 'u', '" ENT "': 'Tour Operations'}", NULL,
                    SCIM_TYPE_INVALID_VALUE, NULL);
    normalize_fails(user_rt(), "{'userName': 'u', '" ENT "': [{'department': 'd'}]}", NULL,
                    SCIM_TYPE_INVALID_VALUE, NULL);
}

static void test_resource_normalize_schemas_validation(void **state)
{
    (void)state;
    normalize_fails(user_rt(), "{'schemas': '" SCIM_SCHEMA_USER "', 'userName': 'u'}", NULL,
                    SCIM_TYPE_INVALID_SYNTAX, "\"schemas\" must be an array of schema URNs");
    normalize_fails(user_rt(), "{'schemas': [1], 'userName': 'u'}", NULL, SCIM_TYPE_INVALID_SYNTAX,
                    "\"schemas\" must be an array of schema URNs");
    normalize_fails(user_rt(), "{'schemas': [], 'userName': 'u'}", NULL, SCIM_TYPE_INVALID_SYNTAX,
                    "\"schemas\" must contain " SCIM_SCHEMA_USER);
    normalize_fails(user_rt(), "{'schemas': ['" ENT "'], 'userName': 'u'}", NULL,
                    SCIM_TYPE_INVALID_SYNTAX, "\"schemas\" must contain " SCIM_SCHEMA_USER);
    normalize_fails(user_rt(),
                    "{'schemas': ['" SCIM_SCHEMA_USER "', '" SCIM_SCHEMA_GROUP "'],"
                    " 'userName': 'u'}",
                    NULL, SCIM_TYPE_INVALID_VALUE,
                    "Schema '" SCIM_SCHEMA_GROUP "' is not the schema or an extension of "
                    "resource type 'User'");
    normalize_fails(user_rt(),
                    "{'schemas': ['" SCIM_SCHEMA_USER "'], 'SCHEMAS': [], 'userName':"
                    " 'u'}",
                    NULL, SCIM_TYPE_INVALID_SYNTAX, NULL);
    /* Absent "schemas" is accepted; the output always carries the right list. */
    json_t *doc = normalize_ok(user_rt(), "{'userName': 'u'}", NULL);
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "schemas"), 0)),
                        SCIM_SCHEMA_USER);
    json_decref(doc);
}

/* ---- Normalisation: immutable (REPLACE mode) ---- */

static void test_resource_normalize_immutable_replace(void **state)
{
    (void)state;
    const char *existing = "{'schemas': ['" WIDGET_URN "'], 'code': 'A1', 'count': 1}";
    normalize_fails(&widget_rt, "{'code': 'B2', 'count': 1}", existing, SCIM_TYPE_MUTABILITY,
                    "Attribute 'code' is immutable and cannot be changed");
    /* code is caseExact, so a change of case is a change. */
    normalize_fails(&widget_rt, "{'code': 'a1'}", existing, SCIM_TYPE_MUTABILITY, NULL);
    /* Removing the value is changing it. */
    normalize_fails(&widget_rt, "{'count': 2}", existing, SCIM_TYPE_MUTABILITY, NULL);
    json_t *doc = normalize_ok(&widget_rt, "{'CODE': 'A1', 'count': 2}", existing);
    assert_json(doc, "{'schemas': ['" WIDGET_URN "'], 'code': 'A1', 'count': 2}");
    json_decref(doc);
    /* Without an existing value the new one is accepted (RFC 7643 §2.2). */
    doc = normalize_ok(&widget_rt, "{'code': 'C3'}", "{'schemas': ['" WIDGET_URN "']}");
    assert_string_equal(json_string_value(json_object_get(doc, "code")), "C3");
    json_decref(doc);
    /* CREATE mode ignores any existing document. */
    json_t *in = parse("{'code': 'B2'}");
    json_t *old = parse(existing);
    struct scim_err err;
    doc = NULL;
    assert_int_equal(
        scim_resource_normalize(&widget_rt, in, SCIM_WRITE_CREATE, old, &doc, NULL, &err), 0);
    json_decref(doc);
    json_decref(old);
    json_decref(in);
}

static void test_resource_normalize_immutable_sub_attribute(void **state)
{
    (void)state;
    const char *existing = "{'spec': {'kind': 'k', 'serial': 'S-1'}}";
    normalize_fails(&widget_rt, "{'spec': {'kind': 'k', 'serial': 'S-2'}}", existing,
                    SCIM_TYPE_MUTABILITY,
                    "Attribute 'spec.serial' is immutable and cannot be changed");
    json_t *doc =
        normalize_ok(&widget_rt, "{'spec': {'kind': 'other', 'serial': 'S-1'}}", existing);
    json_decref(doc);
    doc = normalize_ok(&widget_rt, "{'spec': {'kind': 'k', 'serial': 'S-9'}}",
                       "{'spec': {'kind': 'k'}}");
    json_decref(doc);
}

static void test_resource_normalize_immutable_multi_valued(void **state)
{
    (void)state;
    const char *existing = "{'parts': [{'value': 'p1', 'label': 'L1'}, {'value': 'p2', 'label':"
                           " 'L2'}]}";
    /* An element matched by its value may not change an immutable sub-attribute. */
    normalize_fails(&widget_rt, "{'parts': [{'value': 'p1', 'label': 'X'}]}", existing,
                    SCIM_TYPE_MUTABILITY,
                    "Attribute 'parts.label' is immutable and cannot be changed");
    /* Adding, removing and restating elements is fine. */
    json_t *doc = normalize_ok(&widget_rt,
                               "{'parts': [{'value': 'p2', 'label': 'L2'}, {'value': 'p3',"
                               " 'label': 'L3'}]}",
                               existing);
    assert_int_equal(json_array_size(json_object_get(doc, "parts")), 2);
    json_decref(doc);
    /* An element that omits the immutable sub-attribute does not ask to change it. */
    doc = normalize_ok(&widget_rt, "{'parts': [{'value': 'p1'}]}", existing);
    json_decref(doc);
    doc = normalize_ok(&widget_rt, "{}", existing);
    json_decref(doc);
}

static void test_resource_normalize_idempotent(void **state)
{
    (void)state;
    const char *input =
        "{'userName': 'u', 'name': {'givenName': 'G'}, 'emails': [{'value': 'a', 'type': 'Work',"
        " 'primary': true}], '" ENT "': {'manager': {'value': 'm'}}, 'externalId': 'x'}";
    json_t *first = normalize_ok(user_rt(), input, NULL);
    char *text = json_dumps(first, JSON_COMPACT);
    json_t *second = normalize_ok(user_rt(), text, text);
    assert_true(json_equal(first, second));
    scim_free(text);
    json_decref(second);
    json_decref(first);
}

/* ---- Rendering ---- */

static void test_resource_render_order_and_meta(void **state)
{
    (void)state;
    struct scim_resource r = {
        .version = 3, .created_ms = 1768478400000, .modified_ms = 1768478461234};
    memcpy(r.id, "2819c223-7f76-453a-919d-413861904646", 37);
    r.doc = normalize_ok(user_rt(),
                         "{'" ENT "': {'department': 'd'}, 'active': true, 'userName': 'u',"
                         " 'externalId': 'x', 'displayName': 'D'}",
                         NULL);
    json_t *out = scim_resource_render(user_rt(), &r, BASE);
    assert_keys(out, "schemas,id,externalId,userName,displayName,active," ENT ",meta");
    assert_string_equal(json_string_value(json_object_get(out, "id")), r.id);
    json_t *meta = json_object_get(out, "meta");
    assert_keys(meta, "resourceType,created,lastModified,location,version");
    assert_json(meta, "{'resourceType': 'User', 'created': '2026-01-15T12:00:00.000Z',"
                      " 'lastModified': '2026-01-15T12:01:01.234Z', 'location': '" BASE
                      "/Users/2819c223-7f76-453a-919d-413861904646', 'version': 'W/\\'3\\''}");
    json_decref(out);
    /* A trailing slash on the base URL is not doubled. */
    out = scim_resource_render(user_rt(), &r, BASE "/");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(out, "meta"), "location")),
        BASE "/Users/2819c223-7f76-453a-919d-413861904646");
    json_decref(out);
    scim_resource_clear(&r);
}

static void test_resource_render_drops_returned_never(void **state)
{
    (void)state;
    struct scim_resource r = {.version = 1};
    memcpy(r.id, "u1", 3);
    /* Even if a document held a password, it is never rendered. */
    r.doc = parse("{'schemas': ['" SCIM_SCHEMA_USER "'], 'userName': 'u', 'password': 'p'}");
    json_t *out = scim_resource_render(user_rt(), &r, BASE);
    assert_null(json_object_get(out, "password"));
    assert_non_null(json_object_get(out, "userName"));
    json_decref(out);
    scim_resource_clear(&r);

    memcpy(r.id, "w1", 3);
    r.doc = normalize_ok(&widget_rt, "{'secret': 's', 'count': 2}", NULL);
    assert_string_equal(json_string_value(json_object_get(r.doc, "secret")), "s");
    out = scim_resource_render(&widget_rt, &r, BASE);
    assert_keys(out, "schemas,id,count,meta");
    json_decref(out);
    scim_resource_clear(&r);
}

static void test_resource_render_copies_document(void **state)
{
    (void)state;
    struct scim_resource r = {.version = 1};
    memcpy(r.id, "u1", 3);
    r.doc = normalize_ok(user_rt(), "{'userName': 'u', 'name': {'givenName': 'G'}}", NULL);
    json_t *out = scim_resource_render(user_rt(), &r, BASE);
    json_object_set_new(json_object_get(out, "name"), "givenName", json_string("changed"));
    json_object_del(out, "userName");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.doc, "name"), "givenName")), "G");
    assert_non_null(json_object_get(r.doc, "userName"));
    json_decref(out);
    scim_resource_clear(&r);
}

static void test_resource_render_empty_document(void **state)
{
    (void)state;
    struct scim_resource r = {.version = 7, .created_ms = 0, .modified_ms = 0};
    memcpy(r.id, "x", 2);
    json_t *out = scim_resource_render(user_rt(), &r, BASE);
    assert_keys(out, "schemas,id,meta");
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "schemas"), 0)),
                        SCIM_SCHEMA_USER);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "meta"), "created")),
                        "1970-01-01T00:00:00.000Z");
    json_decref(out);
}

/* ---- ETags, time, clear ---- */

static void test_resource_etag_format(void **state)
{
    (void)state;
    char buf[SCIM_ETAG_BUF];
    assert_string_equal(scim_resource_etag(1, buf, sizeof(buf)), "W/\"1\"");
    assert_string_equal(scim_resource_etag(1234567890123, buf, sizeof(buf)), "W/\"1234567890123\"");
    assert_string_equal(scim_resource_etag(INT64_MAX, buf, sizeof(buf)),
                        "W/\"9223372036854775807\"");
    assert_int_equal(scim_resource_etag_parse(scim_resource_etag(42, buf, sizeof(buf))), 42);
}

static void test_resource_etag_parse(void **state)
{
    (void)state;
    assert_int_equal(scim_resource_etag_parse("W/\"12\""), 12);
    assert_int_equal(scim_resource_etag_parse("\"12\""), 12);
    assert_int_equal(scim_resource_etag_parse(" W/\"12\" "), 12);
    assert_int_equal(scim_resource_etag_parse("*"), 0);
    assert_int_equal(scim_resource_etag_parse("W/\"9223372036854775807\""), INT64_MAX);
    static const char *const bad[] = {
        "",        "12",
        "W/12",    "w/\"12\"",
        "W/\"\"",  "\"\"",
        "\"1a\"",  "\"-1\"",
        "\"0\"",   "\"012\"",
        "W/\"12",  "W/\"12\"x",
        "**",      "W/\"9223372036854775808\"",
        "\"1 2\"", "W/ \"1\"",
        "\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (scim_resource_etag_parse(bad[i]) != -1)
            fail_msg("ETag '%s' was accepted", bad[i]);
    }
    assert_int_equal(scim_resource_etag_parse(NULL), -1);
}

static void test_resource_etag_list_matches(void **state)
{
    (void)state;
    assert_true(scim_resource_etag_list_matches("W/\"3\"", 3));
    assert_true(scim_resource_etag_list_matches("*", 7));
    assert_true(scim_resource_etag_list_matches("W/\"1\", W/\"2\"", 2));
    assert_true(scim_resource_etag_list_matches("W/\"77\",\"1\"", 1));
    assert_true(scim_resource_etag_list_matches("garbage, W/\"5\"", 5));
    assert_false(scim_resource_etag_list_matches("W/\"1\", W/\"2\"", 3));
    assert_false(scim_resource_etag_list_matches("", 1));
    assert_false(scim_resource_etag_list_matches(",,", 1));
    assert_false(scim_resource_etag_list_matches("\"0\"", 0));
    assert_false(scim_resource_etag_list_matches(NULL, 1));
}

static void test_resource_time_format(void **state)
{
    (void)state;
    char buf[SCIM_TIME_BUF];
    assert_string_equal(scim_time_format(0, buf, sizeof(buf)), "1970-01-01T00:00:00.000Z");
    assert_string_equal(scim_time_format(1768478400000, buf, sizeof(buf)),
                        "2026-01-15T12:00:00.000Z");
    assert_string_equal(scim_time_format(1768478400007, buf, sizeof(buf)),
                        "2026-01-15T12:00:00.007Z");
    assert_string_equal(scim_time_format(951782400999, buf, sizeof(buf)),
                        "2000-02-29T00:00:00.999Z");
    assert_string_equal(scim_time_format(-1, buf, sizeof(buf)), "1969-12-31T23:59:59.999Z");
    /* A buffer too small gets an empty string, never a cut time stamp. */
    char small[10];
    assert_string_equal(scim_time_format(0, small, sizeof(small)), "");
}

static void test_resource_time_now(void **state)
{
    (void)state;
    int64_t a = scim_time_now_ms();
    int64_t b = scim_time_now_ms();
    assert_true(a > 1700000000000); /* after November 2023 */
    assert_true(b >= a);
}

static void test_resource_clear(void **state)
{
    (void)state;
    struct scim_resource r = {.version = 5, .created_ms = 1, .modified_ms = 2};
    memcpy(r.id, "abc", 4);
    r.doc = json_pack("{s:s}", "userName", "u");
    scim_resource_clear(&r);
    assert_null(r.doc);
    assert_int_equal(r.version, 0);
    assert_int_equal(r.id[0], '\0');
    /* Clearing twice, or a zeroed struct, is safe. */
    scim_resource_clear(&r);
}

int main(void)
{
    scim_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_normalize_minimal_user),
        cmocka_unit_test(test_resource_normalize_canonical_spelling),
        cmocka_unit_test(test_resource_normalize_canonical_values),
        cmocka_unit_test(test_resource_normalize_key_order),
        cmocka_unit_test(test_resource_normalize_read_only_dropped),
        cmocka_unit_test(test_resource_normalize_unknown_attribute),
        cmocka_unit_test(test_resource_normalize_unknown_sub_attribute),
        cmocka_unit_test(test_resource_normalize_unknown_long_name_cut),
        cmocka_unit_test(test_resource_normalize_unknown_extension_attribute),
        cmocka_unit_test(test_resource_normalize_unknown_schema_key),
        cmocka_unit_test(test_resource_normalize_duplicate_names),
        cmocka_unit_test(test_resource_normalize_not_an_object),
        cmocka_unit_test(test_resource_normalize_wrong_type_string),
        cmocka_unit_test(test_resource_normalize_wrong_type_boolean),
        cmocka_unit_test(test_resource_normalize_wrong_type_complex),
        cmocka_unit_test(test_resource_normalize_wrong_type_multi_valued),
        cmocka_unit_test(test_resource_normalize_wrong_type_reference),
        cmocka_unit_test(test_resource_normalize_integer_and_decimal),
        cmocka_unit_test(test_resource_normalize_datetime),
        cmocka_unit_test(test_resource_normalize_binary),
        cmocka_unit_test(test_resource_normalize_string_limit),
        cmocka_unit_test(test_resource_normalize_required_missing),
        cmocka_unit_test(test_resource_normalize_required_sub_attribute),
        cmocka_unit_test(test_resource_normalize_required_extension),
        cmocka_unit_test(test_resource_normalize_null_and_empty_omitted),
        cmocka_unit_test(test_resource_normalize_two_primaries),
        cmocka_unit_test(test_resource_normalize_password_extracted),
        cmocka_unit_test(test_resource_normalize_password_absent_or_invalid),
        cmocka_unit_test(test_resource_normalize_extension),
        cmocka_unit_test(test_resource_normalize_schemas_validation),
        cmocka_unit_test(test_resource_normalize_immutable_replace),
        cmocka_unit_test(test_resource_normalize_immutable_sub_attribute),
        cmocka_unit_test(test_resource_normalize_immutable_multi_valued),
        cmocka_unit_test(test_resource_normalize_idempotent),
        cmocka_unit_test(test_resource_render_order_and_meta),
        cmocka_unit_test(test_resource_render_drops_returned_never),
        cmocka_unit_test(test_resource_render_copies_document),
        cmocka_unit_test(test_resource_render_empty_document),
        cmocka_unit_test(test_resource_etag_format),
        cmocka_unit_test(test_resource_etag_parse),
        cmocka_unit_test(test_resource_etag_list_matches),
        cmocka_unit_test(test_resource_time_format),
        cmocka_unit_test(test_resource_time_now),
        cmocka_unit_test(test_resource_clear),
    };
    return cmocka_run_group_tests_name("resource", tests, NULL, NULL);
}
