/*
 * test_token — token minting, shape checks, hashing, hints, scopes, Argon2id and UUIDs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "token.h"

static int setup(void **state)
{
    (void)state;
    scim_mem_init();
    return scim_token_init();
}

static void test_token_mint_has_prefix_and_43_chars(void **state)
{
    (void)state;
    char plain[SCIM_TOKEN_PLAIN_MAX], id[SCIM_TOKEN_ID_MAX];
    unsigned char hash[SCIM_TOKEN_HASH_BYTES], again[SCIM_TOKEN_HASH_BYTES];
    scim_token_mint("scim", plain, hash, id);
    assert_int_equal(strlen(plain), 5 + 43);
    assert_memory_equal(plain, "scim_", 5);
    assert_true(scim_token_well_formed(plain, strlen(plain)));
    assert_memory_equal(id, "tok_", 4);
    assert_int_equal(strlen(id), 4 + 22);
    scim_token_hash(plain, strlen(plain), again);
    assert_true(scim_token_hash_equal(hash, again));
}

static void test_token_mint_is_unique(void **state)
{
    (void)state;
    char a[SCIM_TOKEN_PLAIN_MAX], b[SCIM_TOKEN_PLAIN_MAX], ida[SCIM_TOKEN_ID_MAX],
        idb[SCIM_TOKEN_ID_MAX];
    unsigned char ha[SCIM_TOKEN_HASH_BYTES], hb[SCIM_TOKEN_HASH_BYTES];
    scim_token_mint("acme-prod", a, ha, ida);
    scim_token_mint("acme-prod", b, hb, idb);
    assert_string_not_equal(a, b);
    assert_string_not_equal(ida, idb);
    assert_false(scim_token_hash_equal(ha, hb));
}

static void test_token_well_formed_rejects_bad_shapes(void **state)
{
    (void)state;
    char secret[44];
    memset(secret, 'A', 43);
    secret[43] = '\0';
    secret[41] = '-';
    secret[42] = '_';
    char good[64], bad[64];
    snprintf(good, sizeof(good), "scim_%s", secret);
    assert_true(scim_token_well_formed(good, strlen(good)));
    /* Too short, missing separator, bad prefix character, bad secret character. */
    assert_false(scim_token_well_formed("", 0));
    assert_false(scim_token_well_formed("scim_", 5));
    assert_false(scim_token_well_formed(good, strlen(good) - 1));
    snprintf(bad, sizeof(bad), "scimX%s", secret);
    assert_false(scim_token_well_formed(bad, strlen(bad)));
    snprintf(bad, sizeof(bad), "sc m_%s", secret);
    assert_false(scim_token_well_formed(bad, strlen(bad)));
    snprintf(bad, sizeof(bad), "scim_%.42s+", secret);
    assert_false(scim_token_well_formed(bad, strlen(bad)));
    snprintf(bad, sizeof(bad), "_%s", secret);
    assert_false(scim_token_well_formed(bad, strlen(bad)));
}

static void test_token_prefix_valid(void **state)
{
    (void)state;
    assert_true(scim_token_prefix_valid("scim"));
    assert_true(scim_token_prefix_valid("vouch-scim"));
    assert_false(scim_token_prefix_valid(""));
    assert_false(scim_token_prefix_valid("has_underscore"));
    assert_false(scim_token_prefix_valid("012345678901234567890123456789012"));
}

static void test_token_hint_shows_prefix_and_last_four(void **state)
{
    (void)state;
    char hint[48];
    scim_token_hint("scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwxyz", hint, sizeof(hint));
    assert_string_equal(hint, "scim_…wxyz");
}

static void test_token_parse_scopes(void **state)
{
    (void)state;
    unsigned bits = 0;
    assert_int_equal(scim_token_parse_scopes("scim admin", &bits), 0);
    assert_int_equal(bits, SCIM_SCOPE_SCIM | SCIM_SCOPE_ADMIN);
    assert_int_equal(scim_token_parse_scopes("scim:read", &bits), 0);
    assert_int_equal(bits, SCIM_SCOPE_SCIM_READ);
    assert_int_equal(scim_token_parse_scopes("scim,root", &bits), -1);
}

static void test_token_password_hash_is_argon2id(void **state)
{
    (void)state;
    char out[SCIM_PASSWORD_HASH_MAX];
    assert_int_equal(scim_password_hash("t1meMa$heen", 11, out), 0);
    assert_memory_equal(out, "$argon2id$", 10);
    assert_int_equal(crypto_pwhash_str_verify(out, "t1meMa$heen", 11), 0);
    assert_int_not_equal(crypto_pwhash_str_verify(out, "wrong", 5), 0);
    /* scim_password_matches: the password the hash was made from, nothing else, no hash. */
    assert_true(scim_password_matches("t1meMa$heen", 11, out));
    assert_false(scim_password_matches("t1meMa$heeN", 11, out));
    assert_false(scim_password_matches("t1meMa$heen", 11, ""));
    assert_false(scim_password_matches("t1meMa$heen", 11, NULL));
}

static void test_token_uuid_v7_shape_and_order(void **state)
{
    (void)state;
    char a[37], b[37], later[37];
    scim_uuid_v7(a);
    scim_uuid_v7(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[8], '-');
    assert_int_equal(a[14], '7');
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_string_not_equal(a, b);
    /* The first 48 bits are the time in milliseconds: now, and later ids sort after. */
    struct timespec now, pause = {0, 3 * 1000 * 1000};
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned long long ms = strtoull(
        (char[]){a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[9], a[10], a[11], a[12], '\0'},
        NULL, 16);
    unsigned long long now_ms = (unsigned long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    assert_true(ms <= now_ms && now_ms - ms < 1000);
    nanosleep(&pause, NULL);
    scim_uuid_v7(later);
    assert_true(strcmp(later, a) > 0);
}

static void test_token_scopes_text_names_each_once(void **state)
{
    (void)state;
    char text[64];
    unsigned bits = 0;
    assert_int_equal(scim_token_parse_scopes("admin scim,scim admin", &bits), 0);
    scim_token_scopes_text(bits, text, sizeof(text));
    assert_string_equal(text, "scim admin");
    scim_token_scopes_text(SCIM_SCOPE_SCIM_READ, text, sizeof(text));
    assert_string_equal(text, "scim:read");
    scim_token_scopes_text(0, text, sizeof(text));
    assert_string_equal(text, "");
}

static void test_token_description_rules(void **state)
{
    (void)state;
    assert_null(scim_token_description_problem("Okta SCIM"));
    assert_null(scim_token_description_problem("Entra ID \xe2\x80\x94 production"));
    char chars255[2 * 255 + 1] = "";
    for (int i = 0; i < 255; i++)
        strcat(chars255, "\xc3\xa9");
    assert_null(scim_token_description_problem(chars255));
    char chars256[2 * 256 + 1];
    snprintf(chars256, sizeof(chars256), "%s\xc3\xa9", chars255);
    assert_non_null(scim_token_description_problem(chars256));
    assert_non_null(scim_token_description_problem(""));
    assert_non_null(scim_token_description_problem("   "));
    assert_non_null(scim_token_description_problem("line\nbreak"));
    assert_non_null(scim_token_description_problem("tab\there"));
    assert_non_null(scim_token_description_problem("\x1b[2J"));
    assert_non_null(scim_token_description_problem("Okta \xc2\x9b"
                                                   "2J"));                 /* C1 CSI */
    assert_non_null(scim_token_description_problem("next \xc2\x85 line")); /* C1 NEL */
    assert_null(scim_token_description_problem("caf\xc3\xa9 \xc2\xa0nbsp"));
    assert_non_null(scim_token_description_problem("bad \xff utf-8"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_mint_has_prefix_and_43_chars),
        cmocka_unit_test(test_token_mint_is_unique),
        cmocka_unit_test(test_token_well_formed_rejects_bad_shapes),
        cmocka_unit_test(test_token_prefix_valid),
        cmocka_unit_test(test_token_hint_shows_prefix_and_last_four),
        cmocka_unit_test(test_token_parse_scopes),
        cmocka_unit_test(test_token_password_hash_is_argon2id),
        cmocka_unit_test(test_token_uuid_v7_shape_and_order),
        cmocka_unit_test(test_token_description_rules),
        cmocka_unit_test(test_token_scopes_text_names_each_once),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
