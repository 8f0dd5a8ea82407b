/*
 * test_ratelimit — the abuse limits with an injected clock: the token bucket (full at start,
 * burst, refill at the rate, never above the burst, the wait until the next token), the
 * failed-authentication window per address (refusal at the limit, Retry-After, a new window
 * after a minute, addresses independent, looking creates nothing), the per-tenant limiter (off
 * at 0, buckets per tenant), bounded tables under many keys, and concurrent use from threads.
 * Owns: nothing. Must not: sleep (time is a parameter).
 */
#include "ratelimit.h"

#include "mem.h"
#include "token.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h>

#include <cmocka.h>

static void test_ratelimit_bucket_starts_full_and_drains(void **state)
{
    (void)state;
    struct scim_token_bucket b = {0};
    for (int i = 0; i < 5; i++)
        assert_true(scim_token_bucket_take(&b, 1.0, 5.0, 1000, NULL));
    int64_t wait = 0;
    assert_false(scim_token_bucket_take(&b, 1.0, 5.0, 1000, &wait));
    assert_int_equal(wait, 1000);
    /* Half a token later, half the wait. */
    assert_false(scim_token_bucket_take(&b, 1.0, 5.0, 1500, &wait));
    assert_int_equal(wait, 500);
    assert_true(scim_token_bucket_take(&b, 1.0, 5.0, 2000, &wait));
    assert_false(scim_token_bucket_take(&b, 1.0, 5.0, 2000, &wait));
}

static void test_ratelimit_bucket_refills_at_rate_up_to_burst(void **state)
{
    (void)state;
    struct scim_token_bucket b = {0};
    /* 10 per second, burst 3. */
    for (int i = 0; i < 3; i++)
        assert_true(scim_token_bucket_take(&b, 10.0, 3.0, 0, NULL));
    assert_false(scim_token_bucket_take(&b, 10.0, 3.0, 0, NULL));
    /* 250 ms later: 2.5 tokens, so two requests pass. */
    assert_true(scim_token_bucket_take(&b, 10.0, 3.0, 250, NULL));
    assert_true(scim_token_bucket_take(&b, 10.0, 3.0, 250, NULL));
    int64_t wait = 0;
    assert_false(scim_token_bucket_take(&b, 10.0, 3.0, 250, &wait));
    assert_int_equal(wait, 50);
    /* An hour idle fills to the burst only. */
    int passed = 0;
    while (scim_token_bucket_take(&b, 10.0, 3.0, 3600000, NULL))
        passed++;
    assert_int_equal(passed, 3);
    /* A clock that goes backwards takes nothing and breaks nothing. */
    assert_false(scim_token_bucket_take(&b, 10.0, 3.0, 100, &wait));
    assert_true(wait >= 1);
}

static void test_ratelimit_sustained_rate_is_the_rate(void **state)
{
    (void)state;
    struct scim_token_bucket b = {0};
    /* Ten seconds of a client asking every millisecond at 50/s with burst 20: 20 + 500. */
    int passed = 0;
    for (int64_t t = 0; t < 10000; t++)
        passed += scim_token_bucket_take(&b, 50.0, 20.0, t, NULL) ? 1 : 0;
    assert_in_range(passed, 518, 521);
}

static const unsigned char addr_a[4] = {192, 0, 2, 1};
static const unsigned char addr_b[4] = {192, 0, 2, 2};

static void test_ratelimit_auth_failures_block_the_address(void **state)
{
    (void)state;
    struct scim_ratelimit *rl = scim_ratelimit_new(3, 0, 0);
    int64_t retry = 0;
    assert_false(scim_ratelimit_auth_blocked(rl, addr_a, 4, 0, &retry));
    for (int i = 0; i < 3; i++) {
        assert_false(scim_ratelimit_auth_blocked(rl, addr_a, 4, 1000 + i, &retry));
        scim_ratelimit_auth_failed(rl, addr_a, 4, 1000 + i);
    }
    assert_true(scim_ratelimit_auth_blocked(rl, addr_a, 4, 1010, &retry));
    /* The window started at the first failure (t = 1000 ms) and lasts a minute. */
    assert_int_equal(retry, 60);
    assert_true(scim_ratelimit_auth_blocked(rl, addr_a, 4, 31000, &retry));
    assert_int_equal(retry, 30);
    assert_true(scim_ratelimit_auth_blocked(rl, addr_a, 4, 60999, &retry));
    assert_int_equal(retry, 1);
    /* Another address is not affected. */
    assert_false(scim_ratelimit_auth_blocked(rl, addr_b, 4, 1010, &retry));
    /* After the minute, a new window. */
    assert_false(scim_ratelimit_auth_blocked(rl, addr_a, 4, 61000, &retry));
    scim_ratelimit_auth_failed(rl, addr_a, 4, 61000);
    assert_false(scim_ratelimit_auth_blocked(rl, addr_a, 4, 61001, &retry));
    scim_ratelimit_free(rl);
}

static void test_ratelimit_auth_limit_off(void **state)
{
    (void)state;
    struct scim_ratelimit *rl = scim_ratelimit_new(0, 0, 0);
    for (int i = 0; i < 1000; i++)
        scim_ratelimit_auth_failed(rl, addr_a, 4, i);
    assert_false(scim_ratelimit_auth_blocked(rl, addr_a, 4, 1000, NULL));
    /* An unknown address (length 0) is never limited. */
    assert_false(scim_ratelimit_auth_blocked(rl, addr_a, 0, 1000, NULL));
    scim_ratelimit_free(rl);
}

/* The tokens that authenticated from an address: known per (address, token) for a day after
 * their last success; with the limit off every token is known and nothing is kept. */
static void test_ratelimit_known_tokens(void **state)
{
    (void)state;
    unsigned char t1[32], t2[32];
    memset(t1, 1, sizeof(t1));
    memset(t2, 2, sizeof(t2));
    struct scim_ratelimit *rl = scim_ratelimit_new(3, 0, 0);
    assert_false(scim_ratelimit_token_known(rl, addr_a, 4, t1, 0));
    scim_ratelimit_token_good(rl, addr_a, 4, t1, 1000);
    assert_true(scim_ratelimit_token_known(rl, addr_a, 4, t1, 2000));
    assert_false(scim_ratelimit_token_known(rl, addr_a, 4, t2, 2000));
    assert_false(scim_ratelimit_token_known(rl, addr_b, 4, t1, 2000));
    /* A day after the last success it is forgotten; a success refreshes it. */
    int64_t day = 24LL * 3600 * 1000;
    assert_true(scim_ratelimit_token_known(rl, addr_a, 4, t1, 1000 + day - 1));
    assert_false(scim_ratelimit_token_known(rl, addr_a, 4, t1, 1000 + day));
    scim_ratelimit_token_good(rl, addr_a, 4, t1, 1000 + day);
    assert_true(scim_ratelimit_token_known(rl, addr_a, 4, t1, 1000 + day + 5));
    scim_ratelimit_free(rl);
    rl = scim_ratelimit_new(0, 0, 0);
    scim_ratelimit_token_good(rl, addr_a, 4, t1, 0);
    assert_true(scim_ratelimit_token_known(rl, addr_a, 4, t2, 0));
    scim_ratelimit_free(rl);
}

static void test_ratelimit_ipv6_addresses_are_distinct(void **state)
{
    (void)state;
    struct scim_ratelimit *rl = scim_ratelimit_new(1, 0, 0);
    unsigned char v6a[16] = {0x20, 0x01, 0x0d, 0xb8};
    unsigned char v6b[16] = {0x20, 0x01, 0x0d, 0xb8};
    v6b[15] = 1;
    scim_ratelimit_auth_failed(rl, v6a, 16, 0);
    assert_true(scim_ratelimit_auth_blocked(rl, v6a, 16, 1, NULL));
    assert_false(scim_ratelimit_auth_blocked(rl, v6b, 16, 1, NULL));
    /* The first four bytes of v6a are not the IPv4 address they spell. */
    assert_false(scim_ratelimit_auth_blocked(rl, v6a, 4, 1, NULL));
    scim_ratelimit_free(rl);
}

static void test_ratelimit_tenant_buckets(void **state)
{
    (void)state;
    struct scim_ratelimit *off = scim_ratelimit_new(0, 0, 0);
    for (int i = 0; i < 10000; i++)
        assert_true(scim_ratelimit_tenant_allow(off, 1, 0, NULL));
    scim_ratelimit_free(off);

    /* 5 per second; burst 0 means one second's worth. */
    struct scim_ratelimit *rl = scim_ratelimit_new(0, 5, 0);
    for (int i = 0; i < 5; i++)
        assert_true(scim_ratelimit_tenant_allow(rl, 1, 0, NULL));
    int64_t retry = 0;
    assert_false(scim_ratelimit_tenant_allow(rl, 1, 0, &retry));
    assert_int_equal(retry, 1);
    /* Tenant 2 has its own bucket. */
    assert_true(scim_ratelimit_tenant_allow(rl, 2, 0, NULL));
    /* 200 ms later one more. */
    assert_true(scim_ratelimit_tenant_allow(rl, 1, 200, NULL));
    assert_false(scim_ratelimit_tenant_allow(rl, 1, 200, NULL));
    scim_ratelimit_free(rl);

    /* An explicit burst. */
    rl = scim_ratelimit_new(0, 1, 10);
    int passed = 0;
    while (scim_ratelimit_tenant_allow(rl, 7, 0, NULL))
        passed++;
    assert_int_equal(passed, 10);
    assert_false(scim_ratelimit_tenant_allow(rl, 7, 0, &retry));
    assert_int_equal(retry, 1);
    scim_ratelimit_free(rl);
}

/* A million distinct addresses fit in the fixed table (older ones are forgotten), and a fresh,
 * active offender is still caught. */
static void test_ratelimit_tables_stay_bounded(void **state)
{
    (void)state;
    struct scim_ratelimit *rl = scim_ratelimit_new(2, 100, 100);
    for (uint32_t i = 0; i < 1000000; i++) {
        unsigned char a[4] = {10, (unsigned char)(i >> 16), (unsigned char)(i >> 8),
                              (unsigned char)i};
        scim_ratelimit_auth_failed(rl, a, 4, (int64_t)i / 1000);
        if (i % 16 == 0)
            scim_ratelimit_tenant_allow(rl, (int64_t)i, (int64_t)i / 1000, NULL);
    }
    scim_ratelimit_auth_failed(rl, addr_a, 4, 1000);
    scim_ratelimit_auth_failed(rl, addr_a, 4, 1000);
    assert_true(scim_ratelimit_auth_blocked(rl, addr_a, 4, 1000, NULL));
    scim_ratelimit_free(rl);
}

struct worker {
    struct scim_ratelimit *rl;
    int allowed;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 20000; i++) {
        if (scim_ratelimit_tenant_allow(w->rl, 42, 0, NULL))
            w->allowed++;
        unsigned char a[4] = {172, 16, (unsigned char)(i >> 8), (unsigned char)i};
        scim_ratelimit_auth_failed(w->rl, a, 4, 0);
        scim_ratelimit_auth_blocked(w->rl, a, 4, 0, NULL);
    }
    return NULL;
}

/* Eight threads on one tenant at one instant: exactly the burst passes in total. */
static void test_ratelimit_threads_share_one_bucket(void **state)
{
    (void)state;
    struct scim_ratelimit *rl = scim_ratelimit_new(5, 1, 1000);
    pthread_t threads[8];
    struct worker workers[8];
    for (int i = 0; i < 8; i++) {
        workers[i] = (struct worker){rl, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, hammer, &workers[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        total += workers[i].allowed;
    }
    assert_int_equal(total, 1000);
    scim_ratelimit_free(rl);
}

int main(void)
{
    scim_mem_init();
    assert_int_equal(scim_token_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit_bucket_starts_full_and_drains),
        cmocka_unit_test(test_ratelimit_bucket_refills_at_rate_up_to_burst),
        cmocka_unit_test(test_ratelimit_sustained_rate_is_the_rate),
        cmocka_unit_test(test_ratelimit_auth_failures_block_the_address),
        cmocka_unit_test(test_ratelimit_auth_limit_off),
        cmocka_unit_test(test_ratelimit_known_tokens),
        cmocka_unit_test(test_ratelimit_ipv6_addresses_are_distinct),
        cmocka_unit_test(test_ratelimit_tenant_buckets),
        cmocka_unit_test(test_ratelimit_tables_stay_bounded),
        cmocka_unit_test(test_ratelimit_threads_share_one_bucket),
    };
    return cmocka_run_group_tests_name("test_ratelimit", tests, NULL, NULL);
}
