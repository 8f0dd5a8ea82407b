/*
 * test_sqlgen — the filter → SQL translation of src/store/sqlgen for the SQLite dialect: the
 * exact SQL text and the ordered parameters for every operator and filter shape (indexed
 * columns, the value index, JSON values, multi-valued attributes, value paths, not/and/or),
 * pattern escaping, dateTime literals, sort keys, the value index entries and the error cases.
 * Whether the SQL means what the evaluator means is test_store's job (it runs both over the same
 * resources); this file pins the SQL down so that changes to it are deliberate.
 * Owns: nothing but its fixtures. Must not: open a database.
 */
#include "filter.h"
#include "mem.h"
#include "path.h"
#include "schema.h"
#include "sqlgen.h"

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <setjmp.h>

#include <cmocka.h>

#define ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

static const struct scim_resource_type *user_rt(void)
{
    const struct scim_resource_type *rt = scim_resource_type_find("User");
    assert_non_null(rt);
    return rt;
}

/* Formats the parameters of g as "?3='text' ?4=12 ?5=1.5" for comparisons. Returns a new
 * string (scim_free). Text bytes that are not printable ASCII or UTF-8 lead bytes of text
 * appear as \xNN. */
static char *params_text(const struct scim_sqlgen *g)
{
    struct scim_sqlbuf b = {0};
    for (size_t i = 0; i < g->n_params; i++) {
        const struct scim_sqlgen_param *p = &g->params[i];
        if (i)
            scim_sqlbuf_add(&b, " ");
        scim_sqlbuf_addf(&b, "?%d=", p->index);
        if (p->type == SCIM_SQLGEN_INT) {
            scim_sqlbuf_addf(&b, "%lld", (long long)p->i);
        } else if (p->type == SCIM_SQLGEN_REAL) {
            scim_sqlbuf_addf(&b, "%g", p->r);
        } else {
            scim_sqlbuf_add(&b, "'");
            for (size_t k = 0; k < p->text_len; k++) {
                unsigned char c = (unsigned char)p->text[k];
                if (c >= 0xF4)
                    scim_sqlbuf_addf(&b, "\\x%02X", c);
                else if (c == 0x90 && k > 0 && (unsigned char)p->text[k - 1] == 0xF4)
                    scim_sqlbuf_addf(&b, "\\x%02X", c);
                else
                    scim_sqlbuf_addf(&b, "%c", (char)c);
            }
            scim_sqlbuf_add(&b, "'");
        }
    }
    return scim_sqlbuf_take(&b);
}

/* Translates filter (parsed against User) and checks the SQL and the parameters. */
static void expect_where(const char *filter, const char *sql, const char *params)
{
    struct scim_filter *f = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_filter_parse(user_rt(), filter, NULL, &f, &err) != 0)
        fail_msg("parse '%s': %s", filter, err.detail);
    struct scim_sqlgen g = {0};
    if (scim_sqlgen_where(&scim_sqlgen_sqlite, f, 1, 3, &g, &err) != 0)
        fail_msg("sqlgen '%s': %s", filter, err.detail);
    char *got = params_text(&g);
    if (strcmp(g.sql, sql) != 0 || strcmp(got, params) != 0)
        fail_msg("filter '%s'\n  sql:    %s\n  wanted: %s\n  params: %s\n  wanted: %s", filter,
                 g.sql, sql, got, params);
    /* Parameters are numbered densely from first_param, in order. */
    for (size_t i = 0; i < g.n_params; i++)
        assert_int_equal(g.params[i].index, 3 + (int)i);
    assert_int_equal(g.next_param, 3 + (int)g.n_params);
    scim_free(got);
    scim_sqlgen_clear(&g);
    scim_filter_free(f);
}

static void test_sqlgen_indexed_columns(void **state)
{
    (void)state;
    /* userName and displayName: folded columns, literal folded in C. */
    expect_where("userName eq \"BJensen\"", "r.user_name_ci = ?3", "?3='bjensen'");
    expect_where("USERNAME Eq \"ÀÉÎ\"", "r.user_name_ci = ?3", "?3='àéî'");
    expect_where("userName ne \"x\"", "r.user_name_ci <> ?3", "?3='x'");
    expect_where("userName gt \"M\"", "r.user_name_ci > ?3", "?3='m'");
    expect_where("userName ge \"M\"", "r.user_name_ci >= ?3", "?3='m'");
    expect_where("userName lt \"M\"", "r.user_name_ci < ?3", "?3='m'");
    expect_where("userName le \"M\"", "r.user_name_ci <= ?3", "?3='m'");
    expect_where("displayName eq \"Babs\"", "r.display_name_ci = ?3", "?3='babs'");
    /* caseExact columns: the literal as written. */
    expect_where("externalId eq \"Ext-1\"", "r.external_id = ?3", "?3='Ext-1'");
    expect_where("id eq \"2819c223\"", "r.id = ?3", "?3='2819c223'");
    expect_where("meta.resourceType eq \"User\"", "r.type = ?3", "?3='User'");
    expect_where("meta.version eq \"W/\\\"3\\\"\"", "('W/\"' || r.version || '\"') = ?3",
                 "?3='W/\"3\"'");
    /* booleans */
    expect_where("active eq true", "r.active = ?3", "?3=1");
    expect_where("active ne false", "r.active <> ?3", "?3=0");
}

static void test_sqlgen_substrings_and_escaping(void **state)
{
    (void)state;
    /* Case-insensitive: LIKE over folded text, % _ \ escaped. */
    expect_where("userName co \"A%b_c\\\\d\"", "r.user_name_ci LIKE ?3 ESCAPE '\\'",
                 "?3='%a\\%b\\_c\\\\d%'");
    expect_where("userName ew \"X\"", "r.user_name_ci LIKE ?3 ESCAPE '\\'", "?3='%x'");
    /* sw on an indexed column is a range ending past every continuation of the prefix. */
    expect_where("userName sw \"Bj\"", "(r.user_name_ci >= ?3 AND r.user_name_ci < ?4)",
                 "?3='bj' ?4='bj\\xF4\\x90'");
    expect_where("externalId sw \"A*\"", "(r.external_id >= ?3 AND r.external_id < ?4)",
                 "?3='A*' ?4='A*\\xF4\\x90'");
    /* caseExact: GLOB, with * ? [ escaped as one-character classes. */
    expect_where("externalId co \"a*b?c[d]\"", "r.external_id GLOB ?3", "?3='*a[*]b[?]c[[]d]*'");
    expect_where("externalId ew \"%_\"", "r.external_id GLOB ?3", "?3='*%_'");
    /* JSON values are folded by scim_fold() in SQL. */
    expect_where("title sw \"Dr_\"", "scim_fold(json_extract(r.doc, ?3)) LIKE ?4 ESCAPE '\\'",
                 "?3='$.title' ?4='dr\\_%'");
    expect_where("title co \"\"", "scim_fold(json_extract(r.doc, ?3)) LIKE ?4 ESCAPE '\\'",
                 "?3='$.title' ?4='%%'");
}

static void test_sqlgen_json_values(void **state)
{
    (void)state;
    expect_where("title eq \"Tour Guide\"", "scim_fold(json_extract(r.doc, ?3)) = ?4",
                 "?3='$.title' ?4='tour guide'");
    expect_where("name.familyName ne \"Jensen\"", "scim_fold(json_extract(r.doc, ?3)) <> ?4",
                 "?3='$.name.familyName' ?4='jensen'");
    /* Extension attributes live under their URN key, which the JSON path quotes. */
    expect_where(ENTERPRISE ":employeeNumber eq \"701984\"",
                 "scim_fold(json_extract(r.doc, ?3)) = ?4",
                 "?3='$.\"" ENTERPRISE "\".employeeNumber' ?4='701984'");
    expect_where(ENTERPRISE ":manager.value eq \"26118915\"",
                 "scim_fold(json_extract(r.doc, ?3)) = ?4",
                 "?3='$.\"" ENTERPRISE "\".manager.value' ?4='26118915'");
    /* schemas is multi-valued: any element. */
    expect_where("schemas eq \"" ENTERPRISE "\"",
                 "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE scim_fold(e1.value) = ?4)",
                 "?3='$.schemas' ?4='urn:ietf:params:scim:schemas:extension:enterprise:2.0:user'");
}

static void test_sqlgen_presence(void **state)
{
    (void)state;
    expect_where("title pr", "json_extract(r.doc, ?3) <> ''", "?3='$.title'");
    expect_where("title eq null", "(json_extract(r.doc, ?3) <> '') IS NOT TRUE", "?3='$.title'");
    expect_where("title ne null", "json_extract(r.doc, ?3) <> ''", "?3='$.title'");
    expect_where("userName pr", "r.user_name_ci <> ''", "");
    expect_where("externalId eq null", "(r.external_id <> '') IS NOT TRUE", "");
    expect_where("active pr", "r.active IS NOT NULL", "");
    expect_where("meta pr", "1", "");
    expect_where("meta.lastModified pr", "1", "");
    /* Complex and multi-valued values: some leaf that is not null and not "". */
    expect_where("name pr",
                 "EXISTS (SELECT 1 FROM json_tree(r.doc, ?3) AS t WHERE t.type NOT IN ('null', "
                 "'object', 'array') AND (t.type <> 'text' OR t.atom <> ''))",
                 "?3='$.name'");
    expect_where("emails.type pr",
                 "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE json_extract(CASE "
                 "e1.type WHEN 'object' THEN e1.value END, ?4) <> '')",
                 "?3='$.emails' ?4='$.type'");
    expect_where("emails.type eq null",
                 "NOT EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE json_extract(CASE "
                 "e1.type WHEN 'object' THEN e1.value END, ?4) <> '')",
                 "?3='$.emails' ?4='$.type'");
}

static void test_sqlgen_value_index(void **state)
{
    (void)state;
    expect_where("emails.value eq \"BJ@Example.com\"",
                 "r.rowid IN (SELECT v.resource_rowid FROM resource_values v WHERE v.tenant_id = "
                 "?1 AND v.attr = ?3 AND v.value_ci = ?4)",
                 "?3='emails.value' ?4='bj@example.com'");
    /* A multi-valued attribute compared directly means its value. */
    expect_where("emails co \"@EXAMPLE\"",
                 "r.rowid IN (SELECT v.resource_rowid FROM resource_values v WHERE v.tenant_id = "
                 "?1 AND v.attr = ?3 AND v.value_ci LIKE ?4 ESCAPE '\\')",
                 "?3='emails.value' ?4='%@example%'");
    expect_where("phoneNumbers.value sw \"+1\"",
                 "r.rowid IN (SELECT v.resource_rowid FROM resource_values v WHERE v.tenant_id = "
                 "?1 AND v.attr = ?3 AND (v.value_ci >= ?4 AND v.value_ci < ?5))",
                 "?3='phoneNumbers.value' ?4='+1' ?5='+1\\xF4\\x90'");
    expect_where("emails.value pr",
                 "r.rowid IN (SELECT v.resource_rowid FROM resource_values v WHERE v.tenant_id = "
                 "?1 AND v.attr = ?3 AND v.value_ci <> '')",
                 "?3='emails.value'");
    /* "emails eq null" is about the attribute itself: no element holds anything. */
    expect_where("emails eq null",
                 "(EXISTS (SELECT 1 FROM json_tree(r.doc, ?3) AS t WHERE t.type NOT IN ('null', "
                 "'object', 'array') AND (t.type <> 'text' OR t.atom <> ''))) IS NOT TRUE",
                 "?3='$.emails'");
    expect_where("emails.value eq null",
                 "r.rowid NOT IN (SELECT v.resource_rowid FROM resource_values v WHERE "
                 "v.tenant_id = ?1 AND v.attr = ?3 AND v.value_ci <> '')",
                 "?3='emails.value'");
    /* Sub-attributes other than value are read from the document. */
    expect_where("emails.type eq \"Work\"",
                 "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE scim_fold(json_extract("
                 "CASE e1.type WHEN 'object' THEN e1.value END, ?4)) = ?5)",
                 "?3='$.emails' ?4='$.type' ?5='work'");
    expect_where("emails.primary eq true",
                 "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE json_extract(CASE "
                 "e1.type WHEN 'object' THEN e1.value END, ?4) = ?5)",
                 "?3='$.emails' ?4='$.primary' ?5=1");
    /* x509Certificates.value is binary: not indexed. */
    expect_where("x509Certificates.value eq \"MIIC\"",
                 "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE scim_fold(json_extract("
                 "CASE e1.type WHEN 'object' THEN e1.value END, ?4)) = ?5)",
                 "?3='$.x509Certificates' ?4='$.value' ?5='miic'");
}

static void test_sqlgen_value_paths(void **state)
{
    (void)state;
    /* One element must satisfy the whole inner filter. */
    expect_where("emails[type eq \"work\" and value co \"@example.com\"]",
                 "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE e1.type = 'object' AND "
                 "(scim_fold(json_extract(CASE e1.type WHEN 'object' THEN e1.value END, ?4)) = ?5 "
                 "AND scim_fold(json_extract(CASE e1.type WHEN 'object' THEN e1.value END, ?6)) "
                 "LIKE ?7 ESCAPE '\\'))",
                 "?3='$.emails' ?4='$.type' ?5='work' ?6='$.value' ?7='%@example.com%'");
    /* A "value eq" conjunct narrows the rows through the value index first. */
    expect_where("emails[value eq \"A@x.org\" and type eq \"work\"]",
                 "(r.rowid IN (SELECT v.resource_rowid FROM resource_values v WHERE v.tenant_id = "
                 "?1 AND v.attr = ?4 AND v.value_ci = ?5) AND EXISTS (SELECT 1 FROM "
                 "json_each(r.doc, ?3) AS e1 WHERE e1.type = 'object' AND (scim_fold(json_extract("
                 "CASE e1.type WHEN 'object' THEN e1.value END, ?6)) = ?7 AND scim_fold("
                 "json_extract(CASE e1.type WHEN 'object' THEN e1.value END, ?8)) = ?9)))",
                 "?3='$.emails' ?4='emails.value' ?5='a@x.org' ?6='$.value' ?7='a@x.org' "
                 "?8='$.type' ?9='work'");
    /* Not inside an element: two-valued, so elements without type count. */
    expect_where("emails[not (type eq \"work\")]",
                 "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE e1.type = 'object' AND "
                 "NOT ((scim_fold(json_extract(CASE e1.type WHEN 'object' THEN e1.value END, ?4)) "
                 "= ?5) IS TRUE))",
                 "?3='$.emails' ?4='$.type' ?5='work'");
    /* attr[filter].sub is one element satisfying both. */
    expect_where("emails[type eq \"work\"].value ew \".org\"",
                 "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE e1.type = 'object' AND "
                 "(scim_fold(json_extract(CASE e1.type WHEN 'object' THEN e1.value END, ?4)) = ?5 "
                 "AND scim_fold(json_extract(CASE e1.type WHEN 'object' THEN e1.value END, ?6)) "
                 "LIKE ?7 ESCAPE '\\'))",
                 "?3='$.emails' ?4='$.type' ?5='work' ?6='$.value' ?7='%.org'");
    /* Aliases stay distinct when several value paths meet. */
    expect_where("emails[type eq \"a\"] or addresses[type eq \"b\"]",
                 "(EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE e1.type = 'object' AND "
                 "scim_fold(json_extract(CASE e1.type WHEN 'object' THEN e1.value END, ?4)) = ?5) "
                 "OR EXISTS (SELECT 1 FROM json_each(r.doc, ?6) AS e2 WHERE e2.type = 'object' AND "
                 "scim_fold(json_extract(CASE e2.type WHEN 'object' THEN e2.value END, ?7)) = ?8))",
                 "?3='$.emails' ?4='$.type' ?5='a' ?6='$.addresses' ?7='$.type' ?8='b'");
}

static void test_sqlgen_logic_and_not(void **state)
{
    (void)state;
    /* Precedence is the parser's; the SQL parenthesises every node. */
    expect_where("userName eq \"a\" or active eq true and title pr",
                 "(r.user_name_ci = ?3 OR (r.active = ?4 AND json_extract(r.doc, ?5) <> ''))",
                 "?3='a' ?4=1 ?5='$.title'");
    /* Below not(), every possibly-NULL comparison becomes two-valued: an absent attribute
     * makes "x eq v" false, so "not (x eq v)" true, as in the evaluator. */
    expect_where("not (title eq \"x\" or active eq false)",
                 "NOT (((scim_fold(json_extract(r.doc, ?3)) = ?4) IS TRUE OR (r.active = ?5) IS "
                 "TRUE))",
                 "?3='$.title' ?4='x' ?5=0");
    expect_where("not (not (userName eq \"a\"))", "NOT (NOT ((r.user_name_ci = ?3) IS TRUE))",
                 "?3='a'");
    /* EXISTS and IN are two-valued already. */
    expect_where("not (emails.value eq \"a\")",
                 "NOT (r.rowid IN (SELECT v.resource_rowid FROM resource_values v WHERE "
                 "v.tenant_id = ?1 AND v.attr = ?3 AND v.value_ci = ?4))",
                 "?3='emails.value' ?4='a'");
    expect_where("not (title pr)", "NOT ((json_extract(r.doc, ?3) <> '') IS TRUE)", "?3='$.title'");
}

static void test_sqlgen_datetimes(void **state)
{
    (void)state;
    /* Millisecond columns; offsets resolved to UTC. */
    expect_where("meta.lastModified gt \"2011-05-13T04:42:34Z\"", "r.modified_ms > ?3",
                 "?3=1305261754000");
    expect_where("meta.lastModified ge \"2011-05-13T06:42:34.5+02:00\"", "r.modified_ms >= ?3",
                 "?3=1305261754500");
    expect_where("meta.created eq \"2011-05-13T04:42:34.001Z\"", "r.created_ms = ?3",
                 "?3=1305261754001");
    /* A literal finer than a millisecond falls between two column values. */
    expect_where("meta.created eq \"2011-05-13T04:42:34.0015Z\"", "0", "");
    expect_where("meta.created ne \"2011-05-13T04:42:34.0015Z\"", "r.created_ms IS NOT NULL", "");
    expect_where("meta.created gt \"2011-05-13T04:42:34.0015Z\"", "r.created_ms > ?3",
                 "?3=1305261754001");
    expect_where("meta.created ge \"2011-05-13T04:42:34.0015Z\"", "r.created_ms > ?3",
                 "?3=1305261754001");
    expect_where("meta.created lt \"2011-05-13T04:42:34.0015Z\"", "r.created_ms <= ?3",
                 "?3=1305261754001");
    expect_where("meta.created le \"2011-05-13T04:42:34.0015Z\"", "r.created_ms <= ?3",
                 "?3=1305261754001");
    /* Substrings compare the rendered text. */
    expect_where("meta.created sw \"2011-05\"",
                 "scim_fold(scim_time(r.created_ms)) LIKE ?3 ESCAPE '\\'", "?3='2011-05%'");
}

static void test_sqlgen_datetime_keys(void **state)
{
    (void)state;
    char a[SCIM_SQLGEN_DATETIME_KEY], b[SCIM_SQLGEN_DATETIME_KEY];
    assert_true(scim_sqlgen_datetime_key("2011-05-13T04:42:34Z", 20, a));
    assert_true(scim_sqlgen_datetime_key("2011-05-13t06:42:34+02:00", 25, b));
    assert_string_equal(a, b);
    assert_true(scim_sqlgen_datetime_key("2011-05-13T04:42:34.000000001Z", 30, b));
    assert_true(strcmp(a, b) < 0);
    assert_true(scim_sqlgen_datetime_key("0000-01-01T00:00:00+23:59", 25, a));
    assert_true(scim_sqlgen_datetime_key("9999-12-31T23:59:60-23:59", 25, b));
    assert_true(strcmp(a, b) < 0);
    assert_int_equal(strlen(a), strlen(b));
    /* No offset means UTC, as the evaluator reads it. */
    assert_true(scim_sqlgen_datetime_key("2011-05-13T04:42:34", 19, a));
    assert_true(scim_sqlgen_datetime_key("2011-05-13T04:42:34z", 20, b));
    assert_string_equal(a, b);
    static const char *const bad[] = {"2011-05-13",
                                      "2011-02-30T00:00:00Z",
                                      "2011-05-13T24:00:00Z",
                                      "2011-05-13T04:42:34.Z",
                                      "2011-05-13T04:42:34+2",
                                      "2011-05-13T04:42:34Zx"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(scim_sqlgen_datetime_key(bad[i], strlen(bad[i]), a));
        assert_string_equal(a, "");
    }
    int64_t ms;
    bool exact;
    assert_true(scim_sqlgen_datetime_ms("1970-01-01T00:00:00.0019Z", &ms, &exact));
    assert_int_equal(ms, 1);
    assert_false(exact);
    assert_true(scim_sqlgen_datetime_ms("1969-12-31T23:59:59.999Z", &ms, &exact));
    assert_int_equal(ms, -1);
    assert_true(exact);
    /* JSON dateTime attributes (none in the core schemas) compare by key; see a custom one in
     * test_sqlgen_custom_attributes. */
}

/* A resource type with a custom extension: dateTime, integer, decimal and caseExact strings. */
static const struct scim_attr custom_attrs[] = {
    {.name = "hired", .type = SCIM_ATTR_DATETIME},
    {.name = "level", .type = SCIM_ATTR_INTEGER},
    {.name = "score", .type = SCIM_ATTR_DECIMAL},
    {.name = "badge", .type = SCIM_ATTR_STRING, .case_exact = true},
    {.name = "tags", .type = SCIM_ATTR_STRING, .multi_valued = true, .case_exact = true},
};
static const struct scim_schema custom_schema = {
    .id = "urn:example:params:scim:schemas:extension:custom:2.0:User",
    .name = "Custom",
    .attrs = custom_attrs,
    .n_attrs = sizeof(custom_attrs) / sizeof(custom_attrs[0]),
};

static void expect_custom(const char *filter, const char *sql, const char *params)
{
    static struct scim_schema_extension ext[2];
    static struct scim_resource_type rt;
    rt = *user_rt();
    ext[0] = rt.extensions[0];
    ext[1] = (struct scim_schema_extension){&custom_schema, false};
    rt.extensions = ext;
    rt.n_extensions = 2;
    struct scim_filter *f = NULL;
    struct scim_err err;
    if (scim_filter_parse(&rt, filter, NULL, &f, &err) != 0)
        fail_msg("parse '%s': %s", filter, err.detail);
    struct scim_sqlgen g = {0};
    assert_int_equal(scim_sqlgen_where(&scim_sqlgen_sqlite, f, 1, 3, &g, &err), 0);
    char *got = params_text(&g);
    if (strcmp(g.sql, sql) != 0 || strcmp(got, params) != 0)
        fail_msg("filter '%s'\n  sql:    %s\n  wanted: %s\n  params: %s\n  wanted: %s", filter,
                 g.sql, sql, got, params);
    scim_free(got);
    scim_sqlgen_clear(&g);
    scim_filter_free(f);
}

#define CUSTOM "urn:example:params:scim:schemas:extension:custom:2.0:User"

static void test_sqlgen_custom_attributes(void **state)
{
    (void)state;
    expect_custom(CUSTOM ":hired lt \"2020-01-01T00:00:00+01:00\"",
                  "scim_datetime_key(json_extract(r.doc, ?3)) < ?4",
                  "?3='$.\"" CUSTOM "\".hired' ?4='063745138800.000000000'");
    expect_custom(CUSTOM ":level ge 3", "json_extract(r.doc, ?3) >= ?4",
                  "?3='$.\"" CUSTOM "\".level' ?4=3");
    expect_custom(CUSTOM ":score gt 1.5", "json_extract(r.doc, ?3) > ?4",
                  "?3='$.\"" CUSTOM "\".score' ?4=1.5");
    expect_custom(CUSTOM ":badge eq \"AbC\"", "json_extract(r.doc, ?3) = ?4",
                  "?3='$.\"" CUSTOM "\".badge' ?4='AbC'");
    expect_custom(CUSTOM ":tags co \"X\"",
                  "EXISTS (SELECT 1 FROM json_each(r.doc, ?3) AS e1 WHERE e1.value GLOB ?4)",
                  "?3='$.\"" CUSTOM "\".tags' ?4='*X*'");
}

static void test_sqlgen_errors(void **state)
{
    (void)state;
    struct scim_filter *f = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_equal(scim_filter_parse(user_rt(), "meta.location sw \"https://\"", NULL, &f, &err),
                     0);
    struct scim_sqlgen g = {0};
    assert_int_equal(scim_sqlgen_where(&scim_sqlgen_sqlite, f, 1, 3, &g, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_FILTER);
    assert_non_null(strstr(err.detail, "meta.location"));
    assert_null(g.sql);
    assert_int_equal(g.n_params, 0);
    scim_filter_free(f);

    /* Inside a larger filter the error wins and nothing leaks. */
    assert_int_equal(
        scim_filter_parse(user_rt(), "userName eq \"a\" and meta.location pr", NULL, &f, &err), 0);
    assert_int_equal(scim_sqlgen_where(&scim_sqlgen_sqlite, f, 1, 3, &g, &err), SCIM_ERR);
    assert_null(g.sql);
    scim_filter_free(f);

    /* A literal whose type cannot match (only reachable by building the AST by hand) matches
     * nothing, as in the evaluator. */
    assert_int_equal(scim_filter_parse(user_rt(), "active eq true", NULL, &f, &err), 0);
    json_decref(f->value);
    f->value = json_string("true");
    assert_int_equal(scim_sqlgen_where(&scim_sqlgen_sqlite, f, 1, 3, &g, &err), 0);
    assert_string_equal(g.sql, "0");
    scim_sqlgen_clear(&g);
    scim_filter_free(f);
}

/* Checks the sort key of path (parsed against User). */
static void expect_sort(const char *path, const char *sql, const char *params)
{
    struct scim_path p = {0};
    struct scim_err err;
    assert_int_equal(scim_path_parse(user_rt(), path, strlen(path), 0, &p, &err), 0);
    struct scim_sqlgen g = {0};
    if (scim_sqlgen_sort_key(&scim_sqlgen_sqlite, &p, 5, &g, &err) != 0)
        fail_msg("sort '%s': %s", path, err.detail);
    char *got = params_text(&g);
    if (strcmp(g.sql, sql) != 0 || strcmp(got, params) != 0)
        fail_msg("sort '%s'\n  sql:    %s\n  wanted: %s\n  params: %s\n  wanted: %s", path, g.sql,
                 sql, got, params);
    assert_int_equal(g.next_param, 5 + (int)g.n_params);
    scim_free(got);
    scim_sqlgen_clear(&g);
    scim_path_clear(&p);
}

static void test_sqlgen_sort_keys(void **state)
{
    (void)state;
    expect_sort("userName", "r.user_name_ci", "");
    expect_sort("displayName", "r.display_name_ci", "");
    expect_sort("externalId", "r.external_id", "");
    expect_sort("id", "r.id", "");
    expect_sort("active", "r.active", "");
    expect_sort("meta.created", "r.created_ms", "");
    expect_sort("meta.lastModified", "r.modified_ms", "");
    expect_sort("meta.location", "r.id", "");
    expect_sort("meta.version", "r.version", "");
    expect_sort("title", "scim_fold(json_extract(r.doc, ?5))", "?5='$.title'");
    expect_sort("name.familyName", "scim_fold(json_extract(r.doc, ?5))", "?5='$.name.familyName'");
    expect_sort(ENTERPRISE ":manager.value", "scim_fold(json_extract(r.doc, ?5))",
                "?5='$.\"" ENTERPRISE "\".manager.value'");
    /* Multi-valued: the primary value, else the first. */
    expect_sort("emails",
                "(SELECT scim_fold(json_extract(CASE s.type WHEN 'object' THEN s.value END, ?6)) "
                "FROM json_each(r.doc, ?5) AS s ORDER BY (json_extract(CASE s.type WHEN 'object' "
                "THEN s.value END, ?7)) IS TRUE DESC, s.key LIMIT 1)",
                "?5='$.emails' ?6='$.value' ?7='$.primary'");
    expect_sort("addresses.locality",
                "(SELECT scim_fold(json_extract(CASE s.type WHEN 'object' THEN s.value END, ?6)) "
                "FROM json_each(r.doc, ?5) AS s ORDER BY (json_extract(CASE s.type WHEN 'object' "
                "THEN s.value END, ?7)) IS TRUE DESC, s.key LIMIT 1)",
                "?5='$.addresses' ?6='$.locality' ?7='$.primary'");
    expect_sort("schemas",
                "(SELECT scim_fold(s.value) FROM json_each(r.doc, ?5) AS s ORDER BY s.key LIMIT 1)",
                "?5='$.schemas'");

    /* Complex attributes have no sort key. */
    static const char *const bad[] = {"name", "meta", ENTERPRISE ":manager", "addresses"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct scim_path p = {0};
        struct scim_err err;
        assert_int_equal(scim_path_parse(user_rt(), bad[i], strlen(bad[i]), 0, &p, &err), 0);
        struct scim_sqlgen g = {0};
        assert_int_equal(scim_sqlgen_sort_key(&scim_sqlgen_sqlite, &p, 3, &g, &err), SCIM_ERR);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_VALUE);
        assert_null(g.sql);
        scim_path_clear(&p);
    }
}

static void test_sqlgen_index_values(void **state)
{
    (void)state;
    json_t *doc =
        json_pack("{s:s, s:[{s:s, s:s}, {s:s}, {s:s}, s], s:[{s:s}], s:[{s:s}], "
                  "s:[{s:s}], s:{s:{s:s}}}",
                  "userName", "x", "emails", "value", "BJ@Example.com", "type", "work", "value",
                  "bj@example.com", "type", "other", "not-an-object", "phoneNumbers", "value",
                  "+1 555", "addresses", "locality", "Berlin", "x509Certificates", "value", "MIIC",
                  ENTERPRISE, "manager", "value", "M1");
    struct scim_sqlgen_index_entry *e = NULL;
    size_t n = 0;
    scim_sqlgen_index_values(user_rt(), doc, &e, &n);
    /* emails.value twice (duplicates are kept; the store ignores them), phoneNumbers.value;
     * not addresses (no value), x509Certificates (binary) or manager (singular). */
    assert_int_equal(n, 3);
    assert_string_equal(e[0].attr, "emails.value");
    assert_string_equal(e[0].value, "bj@example.com");
    assert_string_equal(e[1].attr, "emails.value");
    assert_string_equal(e[1].value, "bj@example.com");
    assert_string_equal(e[2].attr, "phoneNumbers.value");
    assert_string_equal(e[2].value, "+1 555");
    scim_sqlgen_index_free(e, n);
    scim_sqlgen_index_values(NULL, doc, &e, &n);
    assert_int_equal(n, 0);
    assert_null(e);
    json_decref(doc);

    const struct scim_attr *emails =
        scim_attr_find(user_rt()->schema->attrs, user_rt()->schema->n_attrs, "emails");
    assert_true(scim_sqlgen_value_indexed(
        emails, scim_attr_find(emails->sub_attrs, emails->n_sub_attrs, "value")));
    assert_false(scim_sqlgen_value_indexed(
        emails, scim_attr_find(emails->sub_attrs, emails->n_sub_attrs, "type")));
    assert_false(scim_sqlgen_value_indexed(emails, NULL));
}

static void test_sqlgen_buffer_and_paths(void **state)
{
    (void)state;
    struct scim_sqlbuf b = {0};
    for (int i = 0; i < 1000; i++)
        scim_sqlbuf_addf(&b, "%d,", i % 10);
    assert_int_equal(b.len, 2000);
    char *s = scim_sqlbuf_take(&b);
    assert_int_equal(strlen(s), 2000);
    assert_null(b.data);
    scim_free(s);
    s = scim_sqlbuf_take(&b);
    assert_string_equal(s, "");
    scim_free(s);
    const char *keys[] = {"a", "$ref", "urn:x:y"};
    char *p = scim_sqlgen_sqlite.json_path(keys, 3);
    assert_string_equal(p, "$.a.\"$ref\".\"urn:x:y\"");
    scim_free(p);
    const char *quote[] = {"a\"b"};
    assert_null(scim_sqlgen_sqlite.json_path(quote, 1));
    struct scim_sqlgen empty = {0};
    scim_sqlgen_clear(&empty);
    scim_sqlgen_clear(NULL);
}

int main(void)
{
    scim_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlgen_indexed_columns),
        cmocka_unit_test(test_sqlgen_substrings_and_escaping),
        cmocka_unit_test(test_sqlgen_json_values),
        cmocka_unit_test(test_sqlgen_presence),
        cmocka_unit_test(test_sqlgen_value_index),
        cmocka_unit_test(test_sqlgen_value_paths),
        cmocka_unit_test(test_sqlgen_logic_and_not),
        cmocka_unit_test(test_sqlgen_datetimes),
        cmocka_unit_test(test_sqlgen_datetime_keys),
        cmocka_unit_test(test_sqlgen_custom_attributes),
        cmocka_unit_test(test_sqlgen_errors),
        cmocka_unit_test(test_sqlgen_sort_keys),
        cmocka_unit_test(test_sqlgen_index_values),
        cmocka_unit_test(test_sqlgen_buffer_and_paths),
    };
    return cmocka_run_group_tests_name("sqlgen", tests, NULL, NULL);
}
