/*
 * test_json — request-body parsing limits and errors, case-insensitive lookup; and the SCIM
 * Error rendering of err.c that every failed request ends in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "mem.h"

static void expect_syntax_error(const char *body, size_t len, size_t depth, const char *needle)
{
    json_t *doc = (json_t *)1;
    struct scim_err err;
    scim_err_clear(&err);
    assert_true(scim_json_parse_object(body, len, depth, &doc, &err) < 0);
    assert_null(doc);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, "invalidSyntax");
    assert_non_null(strstr(err.detail, needle));
}

static void test_json_parse_object_ok(void **state)
{
    (void)state;
    json_t *doc = NULL;
    struct scim_err err;
    const char *body = "{\"userName\":\"bjensen\"}";
    assert_int_equal(scim_json_parse_object(body, strlen(body), 8, &doc, &err), 0);
    assert_string_equal(json_string_value(json_object_get(doc, "userName")), "bjensen");
    json_decref(doc);
}

static void test_json_parse_rejects_malformed(void **state)
{
    (void)state;
    expect_syntax_error("{\"a\":", 5, 8, "not valid JSON");
    expect_syntax_error("", 0, 8, "empty");
    expect_syntax_error("[1,2]", 5, 8, "JSON object");
    expect_syntax_error("{\"a\":1,\"a\":2}", 13, 8, "not valid JSON");
}

static void test_json_parse_rejects_invalid_utf8(void **state)
{
    (void)state;
    expect_syntax_error("{\"a\":\"\xff\"}", 9, 8, "UTF-8");
}

static void test_json_parse_rejects_deep_nesting(void **state)
{
    (void)state;
    size_t n = 100000;
    char *deep = scim_malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    expect_syntax_error(deep, 2 * n, 32, "deeper");
    scim_free(deep);
    /* Brackets inside strings do not count. */
    json_t *doc = NULL;
    struct scim_err err;
    const char *body = "{\"a\":\"[[[[[[[[[[[[\"}";
    assert_int_equal(scim_json_parse_object(body, strlen(body), 2, &doc, &err), 0);
    json_decref(doc);
}

static void test_json_get_ci_finds_any_case(void **state)
{
    (void)state;
    json_t *obj = json_pack("{s:i, s:i}", "userName", 1, "Emails", 2);
    assert_int_equal(json_integer_value(scim_json_get_ci(obj, "username")), 1);
    assert_int_equal(json_integer_value(scim_json_get_ci(obj, "emails")), 2);
    assert_string_equal(scim_json_key_ci(obj, "EMAILS"), "Emails");
    assert_null(scim_json_get_ci(obj, "phones"));
    json_decref(obj);
}

static void test_err_to_json_is_scim_error(void **state)
{
    (void)state;
    struct scim_err err;
    scim_err_clear(&err);
    assert_int_equal(scim_err_set(&err, 409, SCIM_TYPE_UNIQUENESS, "userName '%s' taken", "x"),
                     SCIM_ECONFLICT);
    json_t *doc = scim_err_to_json(&err);
    assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "schemas"), 0)),
                        SCIM_ERROR_SCHEMA);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "409");
    assert_string_equal(json_string_value(json_object_get(doc, "scimType")), "uniqueness");
    assert_string_equal(json_string_value(json_object_get(doc, "detail")), "userName 'x' taken");
    json_decref(doc);
    assert_int_equal(scim_err_set(NULL, 404, NULL, "gone"), SCIM_ENOTFOUND);
    assert_int_equal(scim_err_set(NULL, 412, NULL, "stale"), SCIM_EPRECONDITION);
    assert_int_equal(scim_err_set(NULL, 400, NULL, "bad"), SCIM_ERR);
}

static void test_err_internal_hides_cause(void **state)
{
    (void)state;
    struct scim_err err;
    scim_err_internal(&err, "sqlite: disk I/O error at /secret/path");
    assert_int_equal(err.status, 500);
    assert_null(strstr(err.detail, "/secret/path"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse_object_ok),
        cmocka_unit_test(test_json_parse_rejects_malformed),
        cmocka_unit_test(test_json_parse_rejects_invalid_utf8),
        cmocka_unit_test(test_json_parse_rejects_deep_nesting),
        cmocka_unit_test(test_json_get_ci_finds_any_case),
        cmocka_unit_test(test_err_to_json_is_scim_error),
        cmocka_unit_test(test_err_internal_hides_cause),
    };
    scim_mem_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
