/*
 * test_text — UTF-8 validation and case folding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "mem.h"
#include "text.h"

static void test_text_valid_utf8_accepts_well_formed(void **state)
{
    (void)state;
    const char *ok = "Barbara Jensen, Zoë, 日本語, 😀";
    assert_true(scim_text_valid_utf8(ok, strlen(ok)));
    assert_true(scim_text_valid_utf8("", 0));
}

static void test_text_valid_utf8_rejects_malformed(void **state)
{
    (void)state;
    assert_false(scim_text_valid_utf8("\xff", 1));
    assert_false(scim_text_valid_utf8("\xc3", 1));             /* truncated */
    assert_false(scim_text_valid_utf8("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(scim_text_valid_utf8("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(scim_text_valid_utf8("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(scim_text_valid_utf8("ab\x80", 3));
}

static void test_text_casefold_ascii_and_unicode(void **state)
{
    (void)state;
    char *a = scim_text_casefold("BJensen@Example.COM", 19);
    assert_string_equal(a, "bjensen@example.com");
    scim_free(a);
    const char *zoe = "ZOË ÅSTRÖM";
    char *b = scim_text_casefold(zoe, strlen(zoe));
    assert_string_equal(b, "zoë åström");
    scim_free(b);
}

static void test_text_casecmp_orders_and_matches(void **state)
{
    (void)state;
    assert_true(scim_text_caseeq("bjensen", "BJENSEN"));
    assert_true(scim_text_caseeq("Zoë", "ZOË"));
    assert_false(scim_text_caseeq("bjensen", "bjensen2"));
    assert_true(scim_text_casecmp("a", "B") < 0);
    assert_true(scim_text_casecmp("b", "A") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_valid_utf8_accepts_well_formed),
        cmocka_unit_test(test_text_valid_utf8_rejects_malformed),
        cmocka_unit_test(test_text_casefold_ascii_and_unicode),
        cmocka_unit_test(test_text_casecmp_orders_and_matches),
    };
    scim_mem_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
