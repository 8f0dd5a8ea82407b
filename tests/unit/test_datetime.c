/*
 * test_datetime — the dateTime parser of RFC 7643 §2.3.5 and its variants: lenient (filter
 * literals), strict (values clients write), dates alone, a space for 'T', a required zone;
 * offsets, fractions, leap seconds, comparison, milliseconds and sort keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "datetime.h"
#include "mem.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Parses the NUL-terminated s under flags; fails the test when it is not a dateTime. */
static struct scim_instant parse_ok(const char *s, unsigned flags)
{
    struct scim_instant t = {0, 0};
    if (!scim_datetime_parse(s, strlen(s), flags, &t))
        fail_msg("'%s' should parse under flags %u", s, flags);
    return t;
}

static void expect_instant(const char *s, unsigned flags, int64_t sec, int32_t nsec)
{
    struct scim_instant t = parse_ok(s, flags);
    assert_int_equal(t.sec, sec);
    assert_int_equal(t.nsec, nsec);
}

static void expect_invalid(const char *s, unsigned flags)
{
    struct scim_instant t = {7, 7};
    if (scim_datetime_parse(s, strlen(s), flags, &t))
        fail_msg("'%s' should not parse under flags %u", s, flags);
    /* A failed parse leaves the instant alone. */
    assert_int_equal(t.sec, 7);
    assert_int_equal(t.nsec, 7);
}

static void test_datetime_lenient_instants(void **state)
{
    (void)state;
    expect_instant("1970-01-01T00:00:00Z", 0, 0, 0);
    expect_instant("2011-05-13T04:42:34Z", 0, 1305261754, 0);
    /* No zone means UTC; 't' and 'z' are accepted in lower case. */
    expect_instant("2011-05-13T04:42:34", 0, 1305261754, 0);
    expect_instant("2011-05-13t04:42:34z", 0, 1305261754, 0);
    expect_instant("1969-12-31T23:59:59Z", 0, -1, 0);
    expect_instant("2000-02-29T00:00:00Z", 0, 951782400, 0);
    expect_instant("0000-01-01T00:00:00Z", 0, INT64_C(-62167219200), 0);
    expect_instant("9999-12-31T23:59:59Z", 0, INT64_C(253402300799), 0);
    /* A leap second reads as the first second of the next minute. */
    expect_instant("2016-12-31T23:59:60Z", 0, 1483228800, 0);
}

static void test_datetime_offsets(void **state)
{
    (void)state;
    expect_instant("2011-05-13T06:42:34+02:00", 0, 1305261754, 0);
    expect_instant("2011-05-13T00:12:34-04:30", 0, 1305261754, 0);
    expect_instant("2011-05-13T04:42:34-00:00", 0, 1305261754, 0);
    expect_instant("2011-05-14T04:41:34+23:59", 0, 1305261754, 0);
    expect_instant("1970-01-01T00:00:00-23:59", 0, 86340, 0);
    static const char *const bad[] = {
        "2011-05-13T04:42:34+2",     "2011-05-13T04:42:34+0200",   "2011-05-13T04:42:34+24:00",
        "2011-05-13T04:42:34+02:60", "2011-05-13T04:42:34+02:00Z", "2011-05-13T04:42:34 +02:00",
        "2011-05-13T04:42:34+02-00", "2011-05-13T04:42:34Z+02:00", "2011-05-13T04:42:34UTC",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        expect_invalid(bad[i], 0);
}

static void test_datetime_fractions(void **state)
{
    (void)state;
    expect_instant("2011-05-13T04:42:34.5Z", 0, 1305261754, 500000000);
    expect_instant("2011-05-13T04:42:34.000000001Z", 0, 1305261754, 1);
    expect_instant("2011-05-13T04:42:34.123456789+02:00", 0, 1305261754 - 7200, 123456789);
    /* Digits beyond nanoseconds are truncated, never rounded. */
    expect_instant("2011-05-13T04:42:34.9999999999999Z", 0, 1305261754, 999999999);
    expect_instant("1969-12-31T23:59:59.25Z", 0, -1, 250000000);
    expect_invalid("2011-05-13T04:42:34.Z", 0);
    expect_invalid("2011-05-13T04:42:34.", 0);
    expect_invalid("2011-05-13T04:42:34,5Z", 0);
    expect_invalid("2011-05-13T04:42:34.5.5Z", 0);
}

static void test_datetime_invalid_forms(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "yesterday",
        "2011-05-13",
        "2011-05-13T04:42",
        "2011-05-13T04:42:3",
        "11-05-13T04:42:34Z",
        "2011-5-13T04:42:34Z",
        "2011/05/13T04:42:34Z",
        "2011-05-13 04:42:34Z",
        "2011-05-13_04:42:34Z",
        "+2011-05-13T04:42:34Z",
        "2011-00-13T04:42:34Z",
        "2011-13-13T04:42:34Z",
        "2011-05-00T04:42:34Z",
        "2011-05-32T04:42:34Z",
        "2011-04-31T04:42:34Z",
        "2011-02-29T04:42:34Z",
        "1900-02-29T00:00:00Z",
        "2011-05-13T24:00:00Z",
        "2011-05-13T04:60:34Z",
        "2011-05-13T04:42:61Z",
        "2011-05-13T04:42:34ZZ",
        "2011-05-13T04:42:34Zx",
        " 2011-05-13T04:42:34Z",
        "2011-05-13T04:42:34Z ",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        expect_invalid(bad[i], 0);
}

/* The parser reads exactly len bytes: what follows is ignored, a NUL inside is invalid. */
static void test_datetime_explicit_length(void **state)
{
    (void)state;
    struct scim_instant t;
    assert_true(scim_datetime_parse("2011-05-13T04:42:34Zjunk", 20, 0, &t));
    assert_int_equal(t.sec, 1305261754);
    assert_true(scim_datetime_parse("2011-05-13T04:42:34.5", 19, 0, &t));
    assert_int_equal(t.nsec, 0);
    assert_false(scim_datetime_parse("2011-05-13T04:42:34Z\0", 21, 0, &t));
    assert_false(scim_datetime_parse("2011-05-13T04:42\0:34Z", 21, 0, &t));
    assert_false(scim_datetime_parse("2011-05-13T04:42:34Z", 18, 0, &t));
    /* Validity alone needs no instant. */
    assert_true(scim_datetime_parse("2011-05-13T04:42:34Z", 20, 0, NULL));
}

/* Strict: what a client may write into a dateTime attribute (resource.c). */
static void test_datetime_strict(void **state)
{
    (void)state;
    static const char *const good[] = {
        "2026-01-15T12:00:00Z",      "2026-01-15T12:00:00.123Z",  "2026-01-15T12:00:00",
        "2026-01-15T12:00:00+01:00", "2026-01-15T23:59:59-14:00", "2026-01-15T23:59:59+14:00",
        "2026-01-15T23:59:59+13:59", "2024-02-29T00:00:00Z",      "2016-12-31T23:59:60Z",
        "0001-01-01T00:00:00.1Z",
    };
    for (size_t i = 0; i < N_ELEMS(good); i++) {
        assert_true(scim_datetime_parse(good[i], strlen(good[i]), SCIM_DATETIME_STRICT, NULL));
        /* Every strict value is also a filter's dateTime, so stored values stay comparable. */
        assert_true(scim_datetime_parse(good[i], strlen(good[i]), 0, NULL));
    }
    static const char *const bad[] = {
        "2026-01-15t12:00:00Z",      "2026-01-15T12:00:00z",
        "0000-01-01T00:00:00Z",      "2026-01-15T12:00:00+14:01",
        "2026-01-15T12:00:00-15:00", "2026-01-15T12:00:00+23:59",
        "2026-01-15 12:00:00Z",      "2026-01-15",
        "2026-01-15T12:00:00.Z",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        expect_invalid(bad[i], SCIM_DATETIME_STRICT);
    /* The instant is the same as the lenient one. */
    struct scim_instant a = parse_ok("2026-01-15T12:00:00.5-14:00", SCIM_DATETIME_STRICT);
    struct scim_instant b = parse_ok("2026-01-16T02:00:00.5Z", 0);
    assert_int_equal(scim_datetime_cmp(&a, &b), 0);
}

/* The variants scim_time_parse combines for admin time bounds. */
static void test_datetime_date_only_space_and_zone(void **state)
{
    (void)state;
    const unsigned admin = SCIM_DATETIME_DATE_ONLY | SCIM_DATETIME_SPACE | SCIM_DATETIME_NEED_ZONE;
    expect_instant("2026-01-15", SCIM_DATETIME_DATE_ONLY, 1768435200, 0);
    expect_instant("2026-01-15", admin, 1768435200, 0);
    expect_invalid("2026-01-15", 0);
    expect_invalid("2026-02-30", SCIM_DATETIME_DATE_ONLY);
    expect_invalid("2026-01-15T", admin);
    expect_invalid("2026-01-15Z", admin);
    expect_instant("2026-01-15 12:00:00Z", SCIM_DATETIME_SPACE, 1768478400, 0);
    expect_instant("2026-01-15 12:00:00+01:00", admin, 1768474800, 0);
    expect_instant("2026-01-15t12:00:00.250z", admin, 1768478400, 250000000);
    expect_invalid("2026-01-15  12:00:00Z", SCIM_DATETIME_SPACE);
    expect_invalid("2026-01-15T12:00:00", SCIM_DATETIME_NEED_ZONE);
    expect_invalid("2026-01-15T12:00:00.5", admin);
    expect_instant("2026-01-15T12:00:00", 0, 1768478400, 0);
}

static void test_datetime_compare(void **state)
{
    (void)state;
    static const char *const ordered[] = {
        "0000-01-01T00:00:00+23:59",      "0000-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00Z",
        "1970-01-01T00:00:00.000000001Z", "2011-05-13T04:42:34Z",
        "2011-05-13T04:42:34.5Z",         "2011-05-13T04:42:35+00:00",
        "9999-12-31T23:59:60-23:59",
    };
    for (size_t i = 0; i < N_ELEMS(ordered); i++) {
        struct scim_instant a = parse_ok(ordered[i], 0);
        assert_int_equal(scim_datetime_cmp(&a, &a), 0);
        for (size_t j = i + 1; j < N_ELEMS(ordered); j++) {
            struct scim_instant b = parse_ok(ordered[j], 0);
            assert_true(scim_datetime_cmp(&a, &b) < 0);
            assert_true(scim_datetime_cmp(&b, &a) > 0);
        }
    }
    /* One instant written three ways. */
    struct scim_instant x = parse_ok("2011-05-13T04:42:34.250Z", 0);
    struct scim_instant y = parse_ok("2011-05-13T06:42:34.25+02:00", 0);
    struct scim_instant z = parse_ok("2011-05-12T23:42:34.2500-05:00", 0);
    assert_int_equal(scim_datetime_cmp(&x, &y), 0);
    assert_int_equal(scim_datetime_cmp(&y, &z), 0);
}

static void test_datetime_milliseconds(void **state)
{
    (void)state;
    bool exact = false;
    struct scim_instant t = parse_ok("2011-05-13T04:42:34.250Z", 0);
    assert_int_equal(scim_datetime_ms(&t, &exact), INT64_C(1305261754250));
    assert_true(exact);
    t = parse_ok("1970-01-01T00:00:00.0019Z", 0);
    assert_int_equal(scim_datetime_ms(&t, &exact), 1);
    assert_false(exact);
    /* Before the epoch the milliseconds round towards the past. */
    t = parse_ok("1969-12-31T23:59:59.999Z", 0);
    assert_int_equal(scim_datetime_ms(&t, &exact), -1);
    assert_true(exact);
    t = parse_ok("1969-12-31T23:59:59.9995Z", 0);
    assert_int_equal(scim_datetime_ms(&t, &exact), -1);
    assert_false(exact);
    assert_int_equal(scim_datetime_ms(&t, NULL), -1);
}

static void test_datetime_sort_keys(void **state)
{
    (void)state;
    static const char *const ordered[] = {
        "0000-01-01T00:00:00+23:59", "1969-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00Z",
        "2011-05-13T04:42:34Z",      "2011-05-13T04:42:34.000000001Z", "9999-12-31T23:59:60-23:59",
    };
    char prev[SCIM_DATETIME_KEY_BUF] = "";
    size_t width = 0;
    for (size_t i = 0; i < N_ELEMS(ordered); i++) {
        char key[SCIM_DATETIME_KEY_BUF];
        struct scim_instant t = parse_ok(ordered[i], 0);
        assert_ptr_equal(scim_datetime_key(&t, key), key);
        if (i == 0)
            width = strlen(key);
        else
            assert_true(strcmp(prev, key) < 0);
        assert_int_equal(strlen(key), width);
        memcpy(prev, key, sizeof(prev));
    }
    char a[SCIM_DATETIME_KEY_BUF], b[SCIM_DATETIME_KEY_BUF];
    struct scim_instant x = parse_ok("2011-05-13T04:42:34Z", 0);
    struct scim_instant y = parse_ok("2011-05-13t06:42:34+02:00", 0);
    assert_string_equal(scim_datetime_key(&x, a), scim_datetime_key(&y, b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datetime_lenient_instants),
        cmocka_unit_test(test_datetime_offsets),
        cmocka_unit_test(test_datetime_fractions),
        cmocka_unit_test(test_datetime_invalid_forms),
        cmocka_unit_test(test_datetime_explicit_length),
        cmocka_unit_test(test_datetime_strict),
        cmocka_unit_test(test_datetime_date_only_space_and_zone),
        cmocka_unit_test(test_datetime_compare),
        cmocka_unit_test(test_datetime_milliseconds),
        cmocka_unit_test(test_datetime_sort_keys),
    };
    scim_mem_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
