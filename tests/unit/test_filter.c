/*
 * Unit tests of filter.c: every production of the RFC 7644 §3.4.2.2 grammar, every syntax and
 * resolution error (with its column), precedence, case-insensitivity, literals and escapes, the
 * limits, and the evaluator on each operator and attribute type (RFC 7643 §2.3 types,
 * multi-valued attributes, value paths, caseExact).
 * Uses the real User/Group schemas of schema.c, plus a private "Widget" resource type for the
 * attribute types those schemas lack (integer, decimal, top-level binary and dateTime).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "filter.h"
#include "mem.h"

#include <string.h>

/* ---- fixtures ---------------------------------------------------------------------------- */

static const struct scim_attr widget_attrs[] = {
    {.name = "count", .type = SCIM_ATTR_INTEGER},
    {.name = "ratio", .type = SCIM_ATTR_DECIMAL},
    {.name = "flag", .type = SCIM_ATTR_BOOLEAN},
    {.name = "blob", .type = SCIM_ATTR_BINARY, .case_exact = true},
    {.name = "when", .type = SCIM_ATTR_DATETIME},
    {.name = "code", .type = SCIM_ATTR_STRING, .case_exact = true},
    {.name = "label", .type = SCIM_ATTR_STRING},
    {.name = "tags", .type = SCIM_ATTR_STRING, .multi_valued = true},
    {.name = "scores", .type = SCIM_ATTR_INTEGER, .multi_valued = true},
};
static const struct scim_schema widget_schema = {
    .id = "urn:example:params:scim:schemas:core:2.0:Widget",
    .name = "Widget",
    .description = "A test resource type with one attribute of each simple type.",
    .attrs = widget_attrs,
    .n_attrs = sizeof(widget_attrs) / sizeof(widget_attrs[0]),
};
static const struct scim_resource_type widget_rt = {
    .id = "Widget",
    .name = "Widget",
    .endpoint = "/Widgets",
    .description = "Test only.",
    .schema = &widget_schema,
};

static const struct scim_resource_type *user_rt(void)
{
    const struct scim_resource_type *rt = scim_resource_type_find("User");
    assert_non_null(rt);
    return rt;
}

/* Parses text against rt and fails the test on error; the caller frees the result. */
static struct scim_filter *parse_rt(const struct scim_resource_type *rt, const char *text)
{
    struct scim_filter *f = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    int rc = scim_filter_parse(rt, text, NULL, &f, &err);
    if (rc != 0)
        fail_msg("filter '%s' failed: %s", text, err.detail);
    assert_non_null(f);
    return f;
}

static struct scim_filter *parse_ok(const char *text)
{
    return parse_rt(user_rt(), text);
}

/* Asserts that text fails with 400 invalidFilter, "at column <column>" and want in the detail. */
static void parse_fails_rt(const struct scim_resource_type *rt, const char *text,
                           const struct scim_filter_limits *limits, size_t column, const char *want)
{
    struct scim_filter *f = (struct scim_filter *)1;
    struct scim_err err;
    scim_err_clear(&err);
    int rc = scim_filter_parse(rt, text, limits, &f, &err);
    if (rc == 0)
        fail_msg("filter '%s' parsed but should fail", text);
    assert_null(f);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_FILTER);
    if (column) {
        char at[48];
        snprintf(at, sizeof(at), "(at column %zu)", column);
        if (!strstr(err.detail, at))
            fail_msg("filter '%s': detail '%s' lacks '%s'", text, err.detail, at);
    }
    if (want && !strstr(err.detail, want))
        fail_msg("filter '%s': detail '%s' lacks '%s'", text, err.detail, want);
}

static void parse_fails(const char *text, size_t column, const char *want)
{
    parse_fails_rt(user_rt(), text, NULL, column, want);
}

/* A rendered User with id and meta, as scim_resource_render would produce. */
static const char *const bjensen_json =
    "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\","
    "  \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"
    " \"id\": \"2819c223-7f76-453a-919d-413861904646\","
    " \"externalId\": \"Ext-BJ\","
    " \"userName\": \"bjensen\","
    " \"name\": {\"familyName\": \"Jensen\", \"givenName\": \"Barbara\","
    "          \"formatted\": \"Ms. Barbara J Jensen, III\"},"
    " \"displayName\": \"Babs Jensen\","
    " \"title\": \"\","
    " \"userType\": \"Employee\","
    " \"active\": true,"
    " \"emails\": [{\"value\": \"bjensen@example.com\", \"type\": \"work\", \"primary\": true},"
    "             {\"value\": \"babs@jensen.org\", \"type\": \"home\"}],"
    " \"ims\": [],"
    " \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
    "   {\"employeeNumber\": \"701984\", \"manager\": {\"value\": \"26118915-6090\","
    "    \"displayName\": \"John Smith\"}},"
    " \"meta\": {\"resourceType\": \"User\", \"created\": \"2010-01-23T04:56:22Z\","
    "   \"lastModified\": \"2011-05-13T04:42:34.250Z\", \"version\": \"W/\\\"3\\\"\","
    "   \"location\": \"https://example.com/v2/Users/2819c223\"}}";

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (!doc)
        fail_msg("bad test JSON: %s", jerr.text);
    return doc;
}

/* True when the filter text (which must parse against rt) matches doc. */
static bool matches_rt(const struct scim_resource_type *rt, const char *text, const json_t *doc)
{
    struct scim_filter *f = parse_rt(rt, text);
    bool result = scim_filter_match(f, doc);
    scim_filter_free(f);
    return result;
}

static void assert_matches(const json_t *doc, const char *text, bool want)
{
    bool got = matches_rt(user_rt(), text, doc);
    if (got != want)
        fail_msg("filter '%s' %s but should %s", text, got ? "matched" : "did not match",
                 want ? "match" : "not match");
}

static void assert_widget(const json_t *doc, const char *text, bool want)
{
    bool got = matches_rt(&widget_rt, text, doc);
    if (got != want)
        fail_msg("filter '%s' %s but should %s", text, got ? "matched" : "did not match",
                 want ? "match" : "not match");
}

/* ---- grammar and AST --------------------------------------------------------------------- */

static void test_filter_rfc_examples_parse(void **state)
{
    (void)state;
    /* RFC 7644 §3.4.2.2, Figure 3 (without the "filter=" prefix). */
    static const char *const examples[] = {
        "userName eq \"bjensen\"",
        "name.familyName co \"O'Malley\"",
        "userName sw \"J\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"",
        "title pr",
        "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
        "meta.lastModified ge \"2011-05-13T04:42:34Z\"",
        "meta.lastModified lt \"2011-05-13T04:42:34Z\"",
        "meta.lastModified le \"2011-05-13T04:42:34Z\"",
        "title pr and userType eq \"Employee\"",
        "title pr or userType eq \"Intern\"",
        "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
        "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co "
        "\"example.org\")",
        "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co "
        "\"example.org\")",
        "userType eq \"Employee\" and (emails.type eq \"work\")",
        "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
        "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and "
        "value co \"@foo.com\"]",
    };
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
        scim_filter_free(parse_ok(examples[i]));
}

static void test_filter_compare_node(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok("userName eq \"bjensen\"");
    assert_int_equal(f->kind, SCIM_FILTER_COMPARE);
    assert_int_equal(f->op, SCIM_OP_EQ);
    assert_int_equal(f->column, 1);
    assert_string_equal(f->path.attr->name, "userName");
    assert_null(f->path.sub);
    assert_ptr_equal(f->path.schema, user_rt()->schema);
    assert_false(f->path.in_extension);
    assert_null(f->path.filter);
    assert_string_equal(json_string_value(f->value), "bjensen");
    scim_filter_free(f);

    f = parse_ok("  title pr");
    assert_int_equal(f->op, SCIM_OP_PR);
    assert_null(f->value);
    assert_int_equal(f->column, 3);
    scim_filter_free(f);
}

static void test_filter_every_operator(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum scim_filter_op op;
    } cases[] = {
        {"userName eq \"a\"", SCIM_OP_EQ}, {"userName ne \"a\"", SCIM_OP_NE},
        {"userName co \"a\"", SCIM_OP_CO}, {"userName sw \"a\"", SCIM_OP_SW},
        {"userName ew \"a\"", SCIM_OP_EW}, {"userName pr", SCIM_OP_PR},
        {"userName gt \"a\"", SCIM_OP_GT}, {"userName ge \"a\"", SCIM_OP_GE},
        {"userName lt \"a\"", SCIM_OP_LT}, {"userName le \"a\"", SCIM_OP_LE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct scim_filter *f = parse_ok(cases[i].text);
        assert_int_equal(f->op, cases[i].op);
        scim_filter_free(f);
    }
}

static void test_filter_operators_case_insensitive(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok("userName EQ \"a\" AND title Pr OR NoT (userType nE \"b\")");
    assert_int_equal(f->kind, SCIM_FILTER_OR);
    assert_int_equal(f->left->kind, SCIM_FILTER_AND);
    assert_int_equal(f->left->left->op, SCIM_OP_EQ);
    assert_int_equal(f->left->right->op, SCIM_OP_PR);
    assert_int_equal(f->right->kind, SCIM_FILTER_NOT);
    assert_int_equal(f->right->left->op, SCIM_OP_NE);
    scim_filter_free(f);

    f = parse_ok("active eq TRUE");
    assert_true(json_is_true(f->value));
    scim_filter_free(f);
}

static void test_filter_attribute_names_case_insensitive(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok("USERNAME eq \"a\"");
    assert_string_equal(f->path.attr->name, "userName");
    scim_filter_free(f);
    f = parse_ok("Name.FAMILYNAME co \"x\"");
    assert_string_equal(f->path.attr->name, "name");
    assert_string_equal(f->path.sub->name, "familyName");
    scim_filter_free(f);
    f = parse_ok("EMAILS[TYPE eq \"work\"]");
    assert_string_equal(f->left->path.sub->name, "type");
    scim_filter_free(f);
}

static void test_filter_precedence_and_over_or(void **state)
{
    (void)state;
    /* a or b and c  ==  a or (b and c) */
    struct scim_filter *f = parse_ok("title pr or userType eq \"x\" and active eq true");
    assert_int_equal(f->kind, SCIM_FILTER_OR);
    assert_int_equal(f->left->kind, SCIM_FILTER_COMPARE);
    assert_int_equal(f->right->kind, SCIM_FILTER_AND);
    scim_filter_free(f);

    /* a and b or c  ==  (a and b) or c */
    f = parse_ok("title pr and userType eq \"x\" or active eq true");
    assert_int_equal(f->kind, SCIM_FILTER_OR);
    assert_int_equal(f->left->kind, SCIM_FILTER_AND);
    assert_int_equal(f->right->kind, SCIM_FILTER_COMPARE);
    scim_filter_free(f);
}

static void test_filter_precedence_not_and_grouping(void **state)
{
    (void)state;
    /* not binds tighter than and. */
    struct scim_filter *f = parse_ok("not (title pr) and active eq true");
    assert_int_equal(f->kind, SCIM_FILTER_AND);
    assert_int_equal(f->left->kind, SCIM_FILTER_NOT);
    assert_int_equal(f->left->column, 1);
    scim_filter_free(f);

    /* Parentheses override precedence. */
    f = parse_ok("(title pr or userType eq \"x\") and active eq true");
    assert_int_equal(f->kind, SCIM_FILTER_AND);
    assert_int_equal(f->left->kind, SCIM_FILTER_OR);
    scim_filter_free(f);

    /* Chains are left-associative. */
    f = parse_ok("title pr and userType pr and active pr");
    assert_int_equal(f->kind, SCIM_FILTER_AND);
    assert_int_equal(f->left->kind, SCIM_FILTER_AND);
    assert_string_equal(f->right->path.attr->name, "active");
    scim_filter_free(f);

    /* Redundant parentheses and not( without a space. */
    f = parse_ok("((not(title pr)))");
    assert_int_equal(f->kind, SCIM_FILTER_NOT);
    scim_filter_free(f);
}

static void test_filter_urn_paths(void **state)
{
    (void)state;
    struct scim_filter *f =
        parse_ok("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq \"Barbara\"");
    assert_string_equal(f->path.attr->name, "name");
    assert_string_equal(f->path.sub->name, "givenName");
    assert_false(f->path.in_extension);
    scim_filter_free(f);

    f = parse_ok("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:username eq \"x\"");
    assert_string_equal(f->path.attr->name, "userName");
    scim_filter_free(f);
}

static void test_filter_enterprise_manager_value(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"26118915\"");
    assert_true(f->path.in_extension);
    assert_string_equal(f->path.schema->id, SCIM_SCHEMA_ENTERPRISE_USER);
    assert_string_equal(f->path.attr->name, "manager");
    assert_string_equal(f->path.sub->name, "value");
    char buf[128];
    assert_string_equal(scim_path_format(&f->path, buf, sizeof(buf)),
                        SCIM_SCHEMA_ENTERPRISE_USER ":manager.value");
    scim_filter_free(f);

    /* Unqualified extension attributes resolve too. */
    f = parse_ok("employeeNumber eq \"701984\"");
    assert_true(f->path.in_extension);
    scim_filter_free(f);
}

static void test_filter_meta_and_common_attributes(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok("meta.lastModified gt \"2011-05-13T04:42:34Z\"");
    assert_null(f->path.schema);
    assert_string_equal(f->path.attr->name, "meta");
    assert_string_equal(f->path.sub->name, "lastModified");
    assert_int_equal(f->op, SCIM_OP_GT);
    scim_filter_free(f);
    scim_filter_free(parse_ok("id eq \"2819c223\" or externalId eq \"x\""));
}

static void test_filter_value_path_node(void **state)
{
    (void)state;
    struct scim_filter *f =
        parse_ok("userType eq \"Employee\" and emails[type eq \"work\" and value co \"@x\"]");
    struct scim_filter *vp = f->right;
    assert_int_equal(vp->kind, SCIM_FILTER_VALUE_PATH);
    assert_int_equal(vp->column, 28);
    assert_string_equal(vp->path.attr->name, "emails");
    assert_null(vp->path.sub);
    assert_int_equal(vp->left->kind, SCIM_FILTER_AND);
    const struct scim_filter *type = vp->left->left;
    assert_int_equal(type->kind, SCIM_FILTER_COMPARE);
    assert_string_equal(type->path.attr->name, "emails");
    assert_string_equal(type->path.sub->name, "type");
    assert_int_equal(type->column, 35);
    scim_filter_free(f);

    /* not() inside brackets (valFilter = ... / "not" "(" valFilter ")"). */
    scim_filter_free(parse_ok("emails[not (type eq \"work\")]"));
}

static void test_filter_value_path_with_subattribute(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok("emails[type eq \"work\"].value ew \"@example.com\"");
    assert_int_equal(f->kind, SCIM_FILTER_VALUE_PATH);
    assert_int_equal(f->left->kind, SCIM_FILTER_AND);
    assert_string_equal(f->left->left->path.sub->name, "type");
    const struct scim_filter *cmp = f->left->right;
    assert_string_equal(cmp->path.sub->name, "value");
    assert_int_equal(cmp->op, SCIM_OP_EW);
    assert_int_equal(cmp->column, 24);
    scim_filter_free(f);

    scim_filter_free(parse_ok("emails[type eq \"work\"].primary eq true and title pr"));
    parse_fails("emails[type eq \"work\"].nope eq \"x\"", 24, "no such sub-attribute");
    parse_fails("emails[type eq \"work\"].value", 29, "Expected an operator");
    parse_fails("emails[type eq \"work\"]. value eq \"x\"", 24, "no such sub-attribute");
}

static void test_filter_multivalued_direct_compare(void **state)
{
    (void)state;
    /* Common IdP usage: emails co "@x" means emails.value co "@x". */
    struct scim_filter *f = parse_ok("emails co \"@example.com\"");
    assert_string_equal(f->path.attr->name, "emails");
    assert_non_null(f->path.sub);
    assert_string_equal(f->path.sub->name, "value");
    scim_filter_free(f);

    /* pr on a complex attribute needs no sub-attribute and keeps none. */
    f = parse_ok("emails pr and name pr");
    assert_null(f->left->path.sub);
    assert_null(f->right->path.sub);
    scim_filter_free(f);

    /* So do eq null and ne null; other literals still need a sub-attribute. */
    f = parse_ok("name eq null or emails ne null");
    assert_null(f->left->path.sub);
    assert_null(f->right->path.sub);
    scim_filter_free(f);
}

static void test_filter_schemas_attribute(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok("schemas eq \"" SCIM_SCHEMA_ENTERPRISE_USER "\"");
    assert_string_equal(f->path.attr->name, "schemas");
    assert_null(f->path.schema);
    scim_filter_free(f);
}

static void test_filter_whitespace_tolerance(void **state)
{
    (void)state;
    scim_filter_free(parse_ok("\tuserName  eq\t\"a\"  and\n title pr  "));
    scim_filter_free(parse_ok("(userName eq \"a\")and(title pr)"));
    scim_filter_free(parse_ok("emails [ type eq \"work\" ]"));
}

/* ---- literals ------------------------------------------------------------------------------ */

static void test_filter_string_escapes(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok("displayName eq \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t end\"");
    assert_string_equal(json_string_value(f->value), "q\" b\\ s/ \b\f\n\r\t end");
    scim_filter_free(f);
}

static void test_filter_unicode_escapes(void **state)
{
    (void)state;
    /* U+00E9, U+20AC, U+1F600 as a surrogate pair, U+0041 with lowercase hex digits. */
    struct scim_filter *f = parse_ok("displayName eq \"\\u00e9\\u20AC\\ud83d\\ude00\\u0041\"");
    assert_string_equal(json_string_value(f->value), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                                     "A");
    scim_filter_free(f);

    /* Raw UTF-8 passes through. */
    f = parse_ok("displayName eq \"J\xc3\xb6rg\"");
    assert_string_equal(json_string_value(f->value), "J\xc3\xb6rg");
    scim_filter_free(f);
}

static void test_filter_invalid_escapes(void **state)
{
    (void)state;
    parse_fails("displayName eq \"ab\\x\"", 19, "Invalid escape '\\x'");
    parse_fails("displayName eq \"\\u12G4\"", 17, "four hex digits");
    parse_fails("displayName eq \"\\u12\"", 17, "four hex digits");
    parse_fails("displayName eq \"a\\ud83d\"", 18, "Unpaired high surrogate");
    parse_fails("displayName eq \"\\ud83d\\u0041\"", 17, "Unpaired high surrogate");
    parse_fails("displayName eq \"\\ude00\"", 17, "Unpaired low surrogate");
    parse_fails("displayName eq \"\\u0000\"", 17, "\\u0000");
    parse_fails("displayName eq \"a\tb\"", 18, "Control character");
    parse_fails("displayName eq \"\xff\"", 16, "UTF-8");
}

static void test_filter_numbers(void **state)
{
    (void)state;
    struct scim_filter *f = parse_rt(&widget_rt, "count eq 42");
    assert_true(json_is_integer(f->value));
    assert_int_equal(json_integer_value(f->value), 42);
    scim_filter_free(f);

    f = parse_rt(&widget_rt, "count gt -7");
    assert_int_equal(json_integer_value(f->value), -7);
    scim_filter_free(f);

    f = parse_rt(&widget_rt, "ratio le 0.25");
    assert_true(json_is_real(f->value));
    assert_true(json_real_value(f->value) == 0.25);
    scim_filter_free(f);

    f = parse_rt(&widget_rt, "ratio lt -1.5E+2");
    assert_true(json_real_value(f->value) == -150.0);
    scim_filter_free(f);

    f = parse_rt(&widget_rt, "(count eq 0)");
    assert_int_equal(json_integer_value(f->value), 0);
    scim_filter_free(f);
}

static void test_filter_invalid_numbers(void **state)
{
    (void)state;
    static const char *const bad[] = {"count eq 01",    "count eq 1.",  "count eq -",
                                      "count eq 1e",    "count eq .5x", "count eq 10abc",
                                      "count eq 1.2.3", "count eq +1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        parse_fails_rt(&widget_rt, bad[i], NULL, 10, NULL);
    parse_fails_rt(&widget_rt, "count eq 10abc", NULL, 10, "Invalid number '10abc'");
    parse_fails_rt(&widget_rt, "count eq 99999999999999999999999", NULL, 10, "out of range");
    parse_fails_rt(&widget_rt, "ratio eq 1e999", NULL, 10, "out of range");
}

static void test_filter_true_false_null(void **state)
{
    (void)state;
    struct scim_filter *f = parse_ok("active eq true or active eq false or title eq null");
    assert_true(json_is_true(f->left->left->value));
    assert_true(json_is_false(f->left->right->value));
    assert_true(json_is_null(f->right->value));
    scim_filter_free(f);
    scim_filter_free(parse_ok("title ne null"));
    parse_fails("title gt null", 10, "null can only be compared with eq or ne");
    parse_fails("title co null", 10, "null");
}

/* ---- syntax errors --------------------------------------------------------------------------- */

static void test_filter_empty_filter(void **state)
{
    (void)state;
    parse_fails("", 1, "empty");
    parse_fails("   ", 4, "empty");
    parse_fails("()", 2, "Expected an attribute path");
    parse_fails("emails[]", 8, "Expected an attribute path");
}

static void test_filter_unterminated_string(void **state)
{
    (void)state;
    parse_fails("userName eq \"bjensen", 13, "Unterminated string");
    parse_fails("userName eq \"bjensen\\\"", 13, "Unterminated string");
    parse_fails("title pr and userName eq \"a\\", 26, "Unterminated string");
}

static void test_filter_unbalanced_parentheses(void **state)
{
    (void)state;
    parse_fails("(title pr", 10, "Missing ')' for the '(' opened at column 1");
    parse_fails("not (title pr and (userType pr)", 32,
                "Missing ')' for the '(' opened at column 5");
    parse_fails("title pr)", 9, "Unbalanced parentheses");
    parse_fails("(title pr))", 11, "Unbalanced parentheses");
    parse_fails("(title pr userType pr)", 11, "Expected 'and', 'or' or ')'");
}

static void test_filter_unbalanced_brackets(void **state)
{
    (void)state;
    parse_fails("emails[type eq \"work\"", 22, "to close the '[' opened at column 7");
    parse_fails("emails[type eq \"work\" or (value pr]", 35, "Expected 'and', 'or' or ')'");
    parse_fails("title pr]", 9, "Unbalanced brackets");
    parse_fails("emails[type eq \"work\"]]", 23, "Unbalanced brackets");
}

static void test_filter_unknown_operator(void **state)
{
    (void)state;
    parse_fails("userName equals \"a\"", 10, "Unknown operator 'equals'");
    parse_fails("userName = \"a\"", 10, "Unexpected character '='");
    parse_fails("userName", 9, "Expected an operator after userName");
    parse_fails("userName \"a\"", 10, "Expected an operator");
}

static void test_filter_pr_with_value(void **state)
{
    (void)state;
    parse_fails("title pr \"x\"", 10, "'pr' takes no value");
    parse_fails("title pr true", 10, "'pr' takes no value");
    parse_fails("emails[value pr 3]", 17, "'pr' takes no value");
}

static void test_filter_missing_or_bad_value(void **state)
{
    (void)state;
    parse_fails("userName eq", 12, "Expected a value after 'eq'");
    parse_fails("userName eq bjensen", 13, "Expected a value after 'eq'");
    parse_fails("userName eq 'bjensen'", 13, "Unexpected character");
    parse_fails("userName eq \"a\" and", 20, "Expected an attribute path");
}

static void test_filter_trailing_garbage(void **state)
{
    (void)state;
    parse_fails("userName eq \"a\" \"b\"", 17, "Expected 'and', 'or' or the end of the filter");
    parse_fails("userName eq \"a\" xor title pr", 17, "found 'xor'");
    parse_fails("title pr andx userType pr", 10, "found 'andx'");
    parse_fails("title pr #", 10, "Unexpected character '#'");
    parse_fails("title pr \x01", 10, "Unexpected byte 0x01");
}

static void test_filter_not_requires_parentheses(void **state)
{
    (void)state;
    parse_fails("not title pr", 5, "'not' must be followed by '('");
    parse_fails("not", 4, "'not' must be followed by '('");
}

/* ---- resolution errors ------------------------------------------------------------------- */

static void test_filter_unknown_attribute(void **state)
{
    (void)state;
    parse_fails("title pr and fooBar eq \"x\"", 14, "Attribute 'fooBar' is not defined for User");
    parse_fails("name.bar eq \"x\"", 1, "'name.bar': no such sub-attribute");
    parse_fails("userName.first eq \"x\"", 1, "userName is not complex");
    parse_fails("urn:example:nope:User:userName eq \"x\"", 1, "not a schema of User");
    parse_fails("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nope pr", 1,
                "Attribute 'nope' is not defined");
    parse_fails("emails[nope eq \"x\"]", 8, "'nope' is not a sub-attribute of emails");
    parse_fails("emails[emails.type eq \"x\"]", 8, "is not a sub-attribute of emails");
}

static void test_filter_complex_without_subattribute(void **state)
{
    (void)state;
    parse_fails("name eq \"Barbara\"", 1,
                "name is complex; compare one of its sub-attributes, e.g. name.");
    parse_fails("meta gt \"x\"", 1, "meta is complex");
    parse_fails(SCIM_SCHEMA_ENTERPRISE_USER ":manager.nope eq \"x\"", 1, "no such sub-attribute");
}

/* A singular complex attribute with a "value" sub-attribute compares it, as a multi-valued one
 * does: Entra ID checks a manager with "manager eq \"id\"". */
static void test_filter_manager_compares_value(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    struct scim_filter *f = parse_ok("manager eq \"26118915-6090\"");
    assert_non_null(f->path.sub);
    assert_string_equal(f->path.sub->name, "value");
    scim_filter_free(f);
    assert_matches(doc, "manager eq \"26118915-6090\"", true);
    assert_matches(doc, SCIM_SCHEMA_ENTERPRISE_USER ":manager eq \"26118915-6090\"", true);
    assert_matches(doc, "manager eq \"someone-else\"", false);
    json_decref(doc);
}

/* entra.string-boolean: "True"/"false" in any case compare as booleans, and the parse says so. */
static void test_filter_string_boolean(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    struct scim_filter *f = parse_ok("emails[primary eq \"True\"]");
    assert_true(scim_filter_has_string_boolean(f));
    scim_filter_free(f);
    f = parse_ok("emails[primary eq true] and active eq true");
    assert_false(scim_filter_has_string_boolean(f));
    scim_filter_free(f);
    assert_matches(doc, "emails[primary eq \"True\" and type eq \"work\"]", true);
    assert_matches(doc, "emails[primary eq \"TRUE\" and type eq \"home\"]", false);
    assert_matches(doc, "active eq \"false\"", false);
    assert_matches(doc, "not (active eq \"False\")", true);
    json_decref(doc);
}

static void test_filter_ordering_on_boolean_or_binary(void **state)
{
    (void)state;
    parse_fails("active gt true", 8, "'gt' is not defined for the boolean attribute active");
    parse_fails("emails.primary le false", 16, "boolean");
    parse_fails("x509Certificates.value ge \"TUlJ\"", 24, "binary");
    parse_fails_rt(&widget_rt, "blob lt \"QUJD\"", NULL, 6, "binary");
    parse_fails("active co \"t\"", 8, "boolean");
    parse_fails_rt(&widget_rt, "count sw 1", NULL, 7, "applies to strings");
}

static void test_filter_literal_type_mismatch(void **state)
{
    (void)state;
    parse_fails("active eq \"yes\"", 11, "active is boolean");
    parse_fails("userName eq 42", 13, "userName is a string");
    parse_fails("userName eq true", 13, "is a string");
    parse_fails_rt(&widget_rt, "count eq \"3\"", NULL, 10, "count is a number");
    parse_fails_rt(&widget_rt, "ratio gt false", NULL, 10, "is a number");
    parse_fails("meta.created gt 2011", 17, "dateTime");
}

static void test_filter_datetime_literals(void **state)
{
    (void)state;
    scim_filter_free(parse_ok("meta.created ge \"2011-05-13T04:42:34.123456789+02:00\""));
    scim_filter_free(parse_ok("meta.created lt \"2011-05-13t04:42:34z\""));
    scim_filter_free(parse_ok("meta.created eq \"2016-02-29T00:00:00-11:30\""));
    /* Substring operators compare text, so partial dates are fine there. */
    scim_filter_free(parse_ok("meta.created sw \"2011-05\""));
    parse_fails("meta.lastModified gt \"yesterday\"", 22, "not a valid dateTime");
    parse_fails("meta.lastModified gt \"2011-02-29T00:00:00Z\"", 22, "not a valid dateTime");
    parse_fails("meta.lastModified gt \"2011-05-13T24:00:00Z\"", 22, "dateTime");
    parse_fails("meta.lastModified gt \"2011-05-13T04:42:34.Z\"", 22, "dateTime");
    parse_fails("meta.lastModified gt \"2011-05-13T04:42:34+0200\"", 22, "dateTime");
    parse_fails("meta.lastModified gt \"2011-05-13 04:42:34Z\"", 22, "dateTime");
}

static void test_filter_value_path_errors(void **state)
{
    (void)state;
    parse_fails("name[givenName eq \"x\"]", 1, "not a multi-valued complex attribute");
    parse_fails("userName[value eq \"x\"]", 1, "not a multi-valued complex attribute");
    parse_fails("emails.value[type eq \"x\"]", 13, "not a sub-attribute");
    parse_fails("emails[type eq \"work\" and display[value pr]]", 34, "cannot be nested");
}

/* ---- limits ---------------------------------------------------------------------------------- */

static void test_filter_length_limit(void **state)
{
    (void)state;
    struct scim_filter_limits limits = {.max_length = 20, .max_depth = 4};
    struct scim_filter *f = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    /* Exactly 20 bytes is accepted. */
    assert_int_equal(scim_filter_parse(user_rt(), "userName eq \"abcdef\"", &limits, &f, &err), 0);
    scim_filter_free(f);
    parse_fails_rt(user_rt(), "userName eq \"abcdefg\"", &limits, 0, "longer than the limit of 20");

    /* The default applies with NULL limits. */
    char *big = scim_malloc(SCIM_FILTER_DEFAULT_MAX_LENGTH + 16);
    memset(big, ' ', SCIM_FILTER_DEFAULT_MAX_LENGTH + 15);
    memcpy(big, "title pr", 8);
    big[SCIM_FILTER_DEFAULT_MAX_LENGTH + 15] = '\0';
    parse_fails(big, 0, "longer than the limit");
    big[SCIM_FILTER_DEFAULT_MAX_LENGTH] = '\0';
    scim_filter_free(parse_ok(big));
    scim_free(big);
}

static void test_filter_depth_limit(void **state)
{
    (void)state;
    struct scim_filter_limits limits = {.max_length = 1000, .max_depth = 3};
    struct scim_filter *f = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_equal(scim_filter_parse(user_rt(), "((not (title pr)))", &limits, &f, &err), 0);
    scim_filter_free(f);
    parse_fails_rt(user_rt(), "(((not (title pr))))", &limits, 8, "deeper than 3 levels");
    assert_int_equal(scim_filter_parse(user_rt(), "((emails[type eq \"w\"]))", &limits, &f, &err),
                     0);
    scim_filter_free(f);
    parse_fails_rt(user_rt(), "((emails[not (type eq \"w\")]))", &limits, 14, "deeper than 3");

    /* Deep nesting far beyond the limit fails cleanly rather than recursing. */
    char deep[2100];
    memset(deep, '(', 2000);
    deep[2000] = '\0';
    parse_fails_rt(user_rt(), deep, &(struct scim_filter_limits){.max_length = 4096}, 17,
                   "deeper than 16");
}

/* ---- evaluation -------------------------------------------------------------------------- */

static void test_filter_eval_rfc_examples(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, "userName eq \"bjensen\"", true);
    assert_matches(doc, "name.familyName co \"O'Malley\"", false);
    assert_matches(doc, "userName sw \"J\"", false);
    assert_matches(doc, "userName sw \"B\"", true);
    assert_matches(doc, "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"bj\"", true);
    assert_matches(doc, "title pr", false);
    assert_matches(doc, "meta.lastModified gt \"2011-05-13T04:42:34Z\"", true);
    assert_matches(doc, "meta.lastModified ge \"2011-05-13T04:42:34Z\"", true);
    assert_matches(doc, "meta.lastModified lt \"2011-05-13T04:42:34Z\"", false);
    assert_matches(doc, "meta.lastModified le \"2011-05-13T04:42:34Z\"", false);
    assert_matches(doc, "title pr and userType eq \"Employee\"", false);
    assert_matches(doc, "title pr or userType eq \"Employee\"", true);
    assert_matches(doc, "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
                   true);
    assert_matches(doc,
                   "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co "
                   "\"example.org\")",
                   true);
    assert_matches(doc,
                   "userType ne \"Employee\" and not (emails co \"example.com\" or "
                   "emails.value co \"example.org\")",
                   false);
    assert_matches(doc, "userType eq \"Employee\" and (emails.type eq \"work\")", true);
    assert_matches(doc,
                   "userType eq \"Employee\" and emails[type eq \"work\" and value co "
                   "\"@example.com\"]",
                   true);
    assert_matches(doc,
                   "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq "
                   "\"xmpp\" and value co \"@foo.com\"]",
                   true);
    json_decref(doc);
}

static void test_filter_eval_case_exact(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    /* userName is caseExact=false; externalId and id are caseExact=true. */
    assert_matches(doc, "userName eq \"BJensen\"", true);
    assert_matches(doc, "userName ne \"BJENSEN\"", false);
    assert_matches(doc, "externalId eq \"Ext-BJ\"", true);
    assert_matches(doc, "externalId eq \"ext-bj\"", false);
    assert_matches(doc, "externalId ne \"ext-bj\"", true);
    assert_matches(doc, "externalId sw \"ext\"", false);
    assert_matches(doc, "externalId sw \"Ext\"", true);
    assert_matches(doc, "id eq \"2819C223-7F76-453A-919D-413861904646\"", false);
    assert_matches(doc, "emails.value eq \"BJENSEN@EXAMPLE.COM\"", true);
    json_decref(doc);
}

static void test_filter_eval_substring_operators(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, "displayName co \"JENS\"", true);
    assert_matches(doc, "displayName co \"\"", true);
    assert_matches(doc, "displayName co \"Jensen!\"", false);
    assert_matches(doc, "displayName sw \"babs\"", true);
    assert_matches(doc, "displayName sw \"Jensen\"", false);
    assert_matches(doc, "displayName ew \"JENSEN\"", true);
    assert_matches(doc, "displayName ew \"Babs\"", false);
    assert_matches(doc, "displayName sw \"Babs Jensen\"", true);
    assert_matches(doc, "displayName ew \"xBabs Jensen\"", false);
    json_decref(doc);
}

static void test_filter_eval_unicode_case_folding(void **state)
{
    (void)state;
    json_t *doc = load("{\"userName\": \"J\xc3\x96RG\", \"displayName\": \"\xc3\x84rger\"}");
    assert_matches(doc, "userName eq \"j\xc3\xb6rg\"", true);
    assert_matches(doc, "userName co \"\xc3\xb6r\"", true);
    assert_matches(doc, "userName sw \"J\\u00f6\"", true);
    assert_matches(doc, "displayName ew \"RGER\"", true);
    assert_matches(doc, "displayName sw \"\xc3\xa4R\"", true);
    assert_matches(doc, "displayName co \"\xc3\xb6\"", false);
    json_decref(doc);
}

static void test_filter_eval_string_ordering(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, "userName gt \"a\"", true);
    assert_matches(doc, "userName gt \"B\"", true); /* case-insensitive: "bjensen" > "b" */
    assert_matches(doc, "userName gt \"bjensen\"", false);
    assert_matches(doc, "userName ge \"BJENSEN\"", true);
    assert_matches(doc, "userName lt \"c\"", true);
    assert_matches(doc, "userName le \"bjensen\"", true);
    assert_matches(doc, "userName lt \"bjensen\"", false);
    /* caseExact: "Ext-BJ" < "a" bytewise ('E' < 'a'). */
    assert_matches(doc, "externalId lt \"a\"", true);
    assert_matches(doc, "externalId gt \"E\"", true);
    json_decref(doc);
}

static void test_filter_eval_datetime(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    /* lastModified is 2011-05-13T04:42:34.250Z. */
    assert_matches(doc, "meta.lastModified eq \"2011-05-13T04:42:34.25Z\"", true);
    assert_matches(doc, "meta.lastModified eq \"2011-05-13T06:42:34.250+02:00\"", true);
    assert_matches(doc, "meta.lastModified gt \"2011-05-13T04:42:34.249Z\"", true);
    assert_matches(doc, "meta.lastModified lt \"2011-05-13T04:42:34.251Z\"", true);
    assert_matches(doc, "meta.lastModified gt \"2011-05-13T00:00:00-05:00\"", false);
    assert_matches(doc, "meta.lastModified lt \"2011-05-13T00:00:00-05:00\"", true);
    assert_matches(doc, "meta.lastModified le \"2011-05-12T23:42:34.25-05:00\"", true);
    assert_matches(doc, "meta.lastModified ge \"2011-05-12T23:42:34.2500001-05:00\"", false);
    assert_matches(doc, "meta.created lt \"2010-01-23T04:56:23Z\"", true);
    assert_matches(doc, "meta.created gt \"1969-12-31T23:59:59Z\"", true);
    assert_matches(doc, "meta.created sw \"2010-01\"", true);
    assert_matches(doc, "meta.created ne \"2010-01-23T04:56:22Z\"", false);
    json_decref(doc);

    json_t *w = load("{\"when\": \"2000-02-29T12:00:00Z\"}");
    assert_widget(w, "when gt \"2000-02-28T23:59:59+23:59\"", true);
    assert_widget(w, "when lt \"2000-03-01T00:00:00Z\"", true);
    json_decref(w);
}

static void test_filter_eval_presence(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, "userName pr", true);
    assert_matches(doc, "title pr", false);    /* "" is empty */
    assert_matches(doc, "nickName pr", false); /* absent */
    assert_matches(doc, "ims pr", false);      /* [] is empty */
    assert_matches(doc, "emails pr", true);
    assert_matches(doc, "emails.primary pr", true);
    assert_matches(doc, "emails.display pr", false);
    assert_matches(doc, "name pr", true);
    assert_matches(doc, "meta.lastModified pr", true);
    assert_matches(doc, "not (title pr)", true);
    json_decref(doc);

    json_t *sparse = load("{\"name\": {\"givenName\": null}, \"emails\": [{\"value\": \"\"}],"
                          " \"nickName\": null}");
    assert_matches(sparse, "name pr", false);
    assert_matches(sparse, "emails pr", false);
    assert_matches(sparse, "nickName pr", false);
    json_decref(sparse);
}

static void test_filter_eval_null_and_absent(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, "nickName eq null", true);
    assert_matches(doc, "title eq null", true);
    assert_matches(doc, "userName eq null", false);
    assert_matches(doc, "userName ne null", true);
    assert_matches(doc, "nickName ne null", false);
    /* An absent attribute matches no comparison, not even ne. */
    assert_matches(doc, "nickName ne \"x\"", false);
    assert_matches(doc, "nickName eq \"x\"", false);
    assert_matches(doc, "not (nickName eq \"x\")", true);
    assert_matches(doc, "emails[display eq null]", true);
    assert_matches(doc, "emails[type eq null]", false);
    assert_matches(doc, "name eq null", false);
    assert_matches(doc, "name ne null", true);
    assert_matches(doc, "ims eq null", true);
    assert_matches(doc, "emails eq null", false);
    assert_matches(doc, SCIM_SCHEMA_ENTERPRISE_USER ":manager ne null", true);
    json_decref(doc);
}

static void test_filter_eval_boolean(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, "active eq true", true);
    assert_matches(doc, "active eq false", false);
    assert_matches(doc, "active ne false", true);
    assert_matches(doc, "emails.primary eq true", true);
    assert_matches(doc, "emails[type eq \"home\" and primary eq true]", false);
    json_decref(doc);

    json_t *w = load("{\"flag\": false}");
    assert_widget(w, "flag eq false", true);
    assert_widget(w, "flag ne true", true);
    assert_widget(w, "flag eq true", false);
    json_decref(w);
}

static void test_filter_eval_numbers(void **state)
{
    (void)state;
    json_t *w = load("{\"count\": 10, \"ratio\": 0.5, \"scores\": [3, 7, 11]}");
    assert_widget(w, "count eq 10", true);
    assert_widget(w, "count eq 10.0", true);
    assert_widget(w, "count ne 10", false);
    assert_widget(w, "count gt 9", true);
    assert_widget(w, "count gt 10", false);
    assert_widget(w, "count ge 10", true);
    assert_widget(w, "count lt 10.5", true);
    assert_widget(w, "count le 9", false);
    assert_widget(w, "count gt -1e3", true);
    assert_widget(w, "ratio eq 0.5", true);
    assert_widget(w, "ratio eq 5e-1", true);
    assert_widget(w, "ratio lt 1", true);
    assert_widget(w, "ratio gt 0.5", false);
    assert_widget(w, "ratio ge 0.5", true);
    assert_widget(w, "scores eq 7", true);
    assert_widget(w, "scores gt 10", true);
    assert_widget(w, "scores gt 11", false);
    assert_widget(w, "scores lt 3", false);
    json_decref(w);
}

static void test_filter_eval_binary_and_strings_of_widget(void **state)
{
    (void)state;
    json_t *w = load("{\"blob\": \"QUJD\", \"code\": \"AbC\", \"label\": \"AbC\","
                     " \"tags\": [\"red\", \"Green\"]}");
    assert_widget(w, "blob eq \"QUJD\"", true);
    assert_widget(w, "blob eq \"qujd\"", false);
    assert_widget(w, "blob ne \"qujd\"", true);
    assert_widget(w, "code eq \"abc\"", false);
    assert_widget(w, "label eq \"abc\"", true);
    assert_widget(w, "tags eq \"green\"", true);
    assert_widget(w, "tags sw \"R\"", true);
    assert_widget(w, "tags eq \"blue\"", false);
    assert_widget(w, "tags ne \"red\"", true); /* some value differs */
    json_decref(w);
}

static void test_filter_eval_multivalued(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, "emails co \"@jensen.org\"", true);
    assert_matches(doc, "emails.value ew \".org\"", true);
    assert_matches(doc, "emails.type eq \"other\"", false);
    assert_matches(doc, "emails eq \"bjensen@example.com\"", true);
    assert_matches(doc, "schemas eq \"urn:ietf:params:scim:schemas:core:2.0:User\"", true);
    assert_matches(doc, "schemas eq \"urn:example:other\"", false);
    json_decref(doc);
}

static void test_filter_eval_value_path_same_element(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    /* The work address is at example.com, the home one at jensen.org. */
    assert_matches(doc, "emails[type eq \"work\" and value co \"@example.com\"]", true);
    assert_matches(doc, "emails[type eq \"home\" and value co \"@example.com\"]", false);
    /* Without brackets the two conditions may hold for different elements. */
    assert_matches(doc, "emails.type eq \"home\" and emails.value co \"@example.com\"", true);
    assert_matches(doc, "emails[type eq \"home\" or value co \"nothing\"]", true);
    assert_matches(doc, "emails[not (type eq \"work\")]", true);
    assert_matches(doc, "emails[type eq \"work\"].value ew \"example.com\"", true);
    assert_matches(doc, "emails[type eq \"home\"].value ew \"example.com\"", false);
    assert_matches(doc, "emails[type eq \"home\"].primary pr", false);
    assert_matches(doc, "ims[type eq \"xmpp\"]", false);
    assert_matches(doc, "not (ims[type eq \"xmpp\"])", true);
    json_decref(doc);
}

static void test_filter_eval_logic(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, "userName eq \"bjensen\" and active eq true", true);
    assert_matches(doc, "userName eq \"bjensen\" and active eq false", false);
    assert_matches(doc, "userName eq \"x\" or active eq true", true);
    assert_matches(doc, "userName eq \"x\" or active eq false", false);
    assert_matches(doc, "not (userName eq \"bjensen\")", false);
    assert_matches(doc, "not (not (userName eq \"bjensen\"))", true);
    /* or binds looser: true or (false and false) */
    assert_matches(doc, "active eq true or title pr and nickName pr", true);
    assert_matches(doc, "(active eq true or title pr) and nickName pr", false);
    json_decref(doc);
}

static void test_filter_eval_extension(void **state)
{
    (void)state;
    json_t *doc = load(bjensen_json);
    assert_matches(doc, SCIM_SCHEMA_ENTERPRISE_USER ":manager.value eq \"26118915-6090\"", true);
    assert_matches(doc, SCIM_SCHEMA_ENTERPRISE_USER ":manager.value eq \"other\"", false);
    assert_matches(doc, SCIM_SCHEMA_ENTERPRISE_USER ":employeeNumber sw \"70\"", true);
    assert_matches(doc, "employeeNumber eq \"701984\"", true);
    assert_matches(doc, SCIM_SCHEMA_ENTERPRISE_USER ":costCenter pr", false);
    assert_matches(doc, SCIM_SCHEMA_ENTERPRISE_USER ":manager pr", true);
    json_decref(doc);

    /* A resource without the extension object matches nothing in it. */
    json_t *plain = load("{\"userName\": \"x\"}");
    assert_matches(plain, SCIM_SCHEMA_ENTERPRISE_USER ":manager.value eq \"26118915-6090\"", false);
    assert_matches(plain, SCIM_SCHEMA_ENTERPRISE_USER ":manager.value eq null", true);
    json_decref(plain);
}

static void test_filter_eval_wrong_json_types(void **state)
{
    (void)state;
    /* Values of an unexpected JSON type never match (and never crash). */
    json_t *doc = load("{\"userName\": 5, \"active\": \"true\", \"emails\": [\"x\", 3, null],"
                       " \"name\": \"flat\", \"meta\": {\"lastModified\": \"garbage\"}}");
    assert_matches(doc, "userName eq \"5\"", false);
    assert_matches(doc, "active eq true", false);
    assert_matches(doc, "emails co \"x\"", false);
    assert_matches(doc, "emails[value eq \"x\"]", false);
    assert_matches(doc, "name.givenName pr", false);
    assert_matches(doc, "meta.lastModified gt \"2000-01-01T00:00:00Z\"", false);
    json_decref(doc);
}

static void test_filter_parse_in_and_match_element(void **state)
{
    (void)state;
    const struct scim_resource_type *rt = user_rt();
    const struct scim_attr *emails =
        scim_attr_find(rt->schema->attrs, rt->schema->n_attrs, "emails");
    assert_non_null(emails);
    struct scim_filter *f = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    const char *text = "type eq \"work\" and value ew \"@example.com\"";
    assert_int_equal(scim_filter_parse_in(rt, emails, text, strlen(text), 7, NULL, 1, &f, &err), 0);
    assert_ptr_equal(f->left->path.attr, emails);
    assert_string_equal(f->left->path.sub->name, "type");
    assert_ptr_equal(f->left->path.schema, rt->schema);
    assert_int_equal(f->left->column, 8);

    json_t *work = load("{\"type\": \"Work\", \"value\": \"a@EXAMPLE.com\"}");
    json_t *home = load("{\"type\": \"home\", \"value\": \"a@example.com\"}");
    assert_true(scim_filter_match_element(f, work));
    assert_false(scim_filter_match_element(f, home));
    json_decref(work);
    json_decref(home);
    scim_filter_free(f);

    /* Errors report columns shifted by the offset. */
    text = "type eq \"work\" and nope pr";
    assert_int_not_equal(scim_filter_parse_in(rt, emails, text, strlen(text), 7, NULL, 1, &f, &err),
                         0);
    assert_null(f);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_FILTER);
    assert_non_null(strstr(err.detail, "(at column 27)"));

    /* The text need not be NUL-terminated at len. */
    text = "value pr]garbage";
    assert_int_equal(scim_filter_parse_in(rt, emails, text, 8, 0, NULL, 1, &f, &err), 0);
    scim_filter_free(f);

    /* Depth already at the limit. */
    struct scim_filter_limits limits = {.max_length = 100, .max_depth = 1};
    text = "(value pr)";
    assert_int_not_equal(
        scim_filter_parse_in(rt, emails, text, strlen(text), 7, &limits, 1, &f, &err), 0);
    assert_non_null(strstr(err.detail, "deeper than 1"));
}

static void test_filter_free_null(void **state)
{
    (void)state;
    scim_filter_free(NULL);
}

int main(void)
{
    scim_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_rfc_examples_parse),
        cmocka_unit_test(test_filter_compare_node),
        cmocka_unit_test(test_filter_every_operator),
        cmocka_unit_test(test_filter_operators_case_insensitive),
        cmocka_unit_test(test_filter_attribute_names_case_insensitive),
        cmocka_unit_test(test_filter_precedence_and_over_or),
        cmocka_unit_test(test_filter_precedence_not_and_grouping),
        cmocka_unit_test(test_filter_urn_paths),
        cmocka_unit_test(test_filter_enterprise_manager_value),
        cmocka_unit_test(test_filter_meta_and_common_attributes),
        cmocka_unit_test(test_filter_value_path_node),
        cmocka_unit_test(test_filter_value_path_with_subattribute),
        cmocka_unit_test(test_filter_multivalued_direct_compare),
        cmocka_unit_test(test_filter_schemas_attribute),
        cmocka_unit_test(test_filter_whitespace_tolerance),
        cmocka_unit_test(test_filter_string_escapes),
        cmocka_unit_test(test_filter_unicode_escapes),
        cmocka_unit_test(test_filter_invalid_escapes),
        cmocka_unit_test(test_filter_numbers),
        cmocka_unit_test(test_filter_invalid_numbers),
        cmocka_unit_test(test_filter_true_false_null),
        cmocka_unit_test(test_filter_empty_filter),
        cmocka_unit_test(test_filter_unterminated_string),
        cmocka_unit_test(test_filter_unbalanced_parentheses),
        cmocka_unit_test(test_filter_unbalanced_brackets),
        cmocka_unit_test(test_filter_unknown_operator),
        cmocka_unit_test(test_filter_pr_with_value),
        cmocka_unit_test(test_filter_missing_or_bad_value),
        cmocka_unit_test(test_filter_trailing_garbage),
        cmocka_unit_test(test_filter_not_requires_parentheses),
        cmocka_unit_test(test_filter_unknown_attribute),
        cmocka_unit_test(test_filter_complex_without_subattribute),
        cmocka_unit_test(test_filter_manager_compares_value),
        cmocka_unit_test(test_filter_string_boolean),
        cmocka_unit_test(test_filter_ordering_on_boolean_or_binary),
        cmocka_unit_test(test_filter_literal_type_mismatch),
        cmocka_unit_test(test_filter_datetime_literals),
        cmocka_unit_test(test_filter_value_path_errors),
        cmocka_unit_test(test_filter_length_limit),
        cmocka_unit_test(test_filter_depth_limit),
        cmocka_unit_test(test_filter_eval_rfc_examples),
        cmocka_unit_test(test_filter_eval_case_exact),
        cmocka_unit_test(test_filter_eval_substring_operators),
        cmocka_unit_test(test_filter_eval_unicode_case_folding),
        cmocka_unit_test(test_filter_eval_string_ordering),
        cmocka_unit_test(test_filter_eval_datetime),
        cmocka_unit_test(test_filter_eval_presence),
        cmocka_unit_test(test_filter_eval_null_and_absent),
        cmocka_unit_test(test_filter_eval_boolean),
        cmocka_unit_test(test_filter_eval_numbers),
        cmocka_unit_test(test_filter_eval_binary_and_strings_of_widget),
        cmocka_unit_test(test_filter_eval_multivalued),
        cmocka_unit_test(test_filter_eval_value_path_same_element),
        cmocka_unit_test(test_filter_eval_logic),
        cmocka_unit_test(test_filter_eval_extension),
        cmocka_unit_test(test_filter_eval_wrong_json_types),
        cmocka_unit_test(test_filter_parse_in_and_match_element),
        cmocka_unit_test(test_filter_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
