/*
 * test_json — request-body parsing limits and errors, case-insensitive lookup, serialisation
 * (byte for byte jansson's compact text); and the SCIM Error rendering of err.c that every failed
 * request ends in.
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
    /* A \u0000 is named as such, not by jansson's flag. */
    expect_syntax_error("{\"userName\":\"a\\u0000b\"}", 22, 8, "contains \\u0000 (NUL)");
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

/* scim_json_dump(doc) is exactly json_dumps(doc, JSON_COMPACT). */
static void assert_dump_like_jansson(const json_t *doc)
{
    size_t len = 0;
    char *ours = scim_json_dump(doc, &len);
    char *theirs = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(theirs);
    assert_int_equal(len, strlen(theirs));
    assert_memory_equal(ours, theirs, len);
    assert_int_equal(ours[len], '\0');
    scim_free(ours);
    scim_free(theirs);
}

static void test_json_dump_matches_jansson(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{}",
        "[]",
        "{\"a\":{},\"b\":[],\"c\":[{}],\"d\":[[[]]]}",
        "{\"userName\":\"bjensen\",\"active\":true,\"x\":false,\"n\":null,\"i\":0}",
        "{\"ints\":[1,-1,9223372036854775807,-9223372036854775808,10,-10,1234567890]}",
        "{\"reals\":[0.5,-0.25,1e300,1.0,3.141592653589793,-2.5e-10,100.0]}",
        "{\"esc\":\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001f\\u007f end\"}",
        "{\"nul\":\"a\\u0000b\"}",
        "{\"utf8\":\"Zo\u00eb \u65e5\u672c \U0001F600\",\"\u00fcber\":\"\u00e9\"}",
        "{\"order\":1,\"a\":2,\"z\":3,\"m\":{\"y\":1,\"b\":2}}",
        "{\"emails\":[{\"value\":\"a@example.com\",\"type\":\"work\",\"primary\":true},"
        "{\"value\":\"b@example.com\",\"type\":\"home\"}],\"name\":{\"givenName\":\"B\"}}",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        json_error_t jerr;
        json_t *doc = json_loads(texts[i], JSON_ALLOW_NUL, &jerr);
        if (!doc)
            fail_msg("test text %zu does not parse: %s", i, jerr.text);
        assert_dump_like_jansson(doc);
        json_decref(doc);
    }
    /* Every single byte value from 1 to 127 in a string, and a long string (buffer growth). */
    char all[128];
    for (int c = 1; c < 128; c++)
        all[c - 1] = (char)c;
    all[127] = '\0';
    json_t *doc = json_pack("{s:s, s:s%}", "all", all, "zeros", "\0\0\0", (size_t)3);
    char *big = scim_malloc(100000);
    memset(big, '"', 99999);
    big[99999] = '\0';
    json_object_set_new(doc, "big", json_string(big));
    scim_free(big);
    assert_dump_like_jansson(doc);
    json_decref(doc);
    /* A scalar root is written as itself. */
    json_t *scalar = json_string("s");
    assert_dump_like_jansson(scalar);
    json_decref(scalar);
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
    /* A detail quoting bytes that are not UTF-8 (a percent-decoded path) or cut inside a
     * character still has its detail, with '?' for the bad bytes. */
    scim_err_set(&err, 404, NULL, "No endpoint at /Users/%s and \u00e9 \xe2\x82", "\xc0\xaf");
    doc = scim_err_to_json(&err);
    assert_string_equal(json_string_value(json_object_get(doc, "detail")),
                        "No endpoint at /Users/?? and \u00e9 ??");
    json_decref(doc);
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
        cmocka_unit_test(test_json_dump_matches_jansson),
        cmocka_unit_test(test_err_to_json_is_scim_error),
        cmocka_unit_test(test_err_internal_hides_cause),
    };
    scim_mem_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
