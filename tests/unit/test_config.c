/*
 * test_config — the option table: defaults, environment, flags overriding the environment,
 * bounds, unknown options, listen address parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mem.h"

static void test_config_defaults(void **state)
{
    (void)state;
    unsetenv("SCIMD_LISTEN");
    unsetenv("SCIMD_DATABASE");
    char *argv[] = {"scimd", NULL};
    struct scim_config cfg;
    struct scim_err err;
    assert_int_equal(scim_config_load(&cfg, 1, argv, stdout, &err), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:8080");
    assert_string_equal(cfg.database, "./var/scimd.db");
    assert_string_equal(cfg.token_prefix, "scim");
    assert_int_equal(cfg.max_body_bytes, 1048576);
    scim_config_free(&cfg);
}

static void test_config_flags_override_environment(void **state)
{
    (void)state;
    setenv("SCIMD_LISTEN", "127.0.0.1:9000", 1);
    setenv("SCIMD_THREADS", "3", 1);
    char *argv[] = {"scimd", "--listen", "127.0.0.1:9100", "--database=/tmp/x.db", NULL};
    struct scim_config cfg;
    struct scim_err err;
    assert_int_equal(scim_config_load(&cfg, 4, argv, stdout, &err), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:9100");
    assert_string_equal(cfg.database, "/tmp/x.db");
    assert_int_equal(cfg.threads, 3);
    char host[64];
    uint16_t port;
    assert_int_equal(scim_config_listen_parts(&cfg, host, sizeof(host), &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9100);
    scim_config_free(&cfg);
    unsetenv("SCIMD_LISTEN");
    unsetenv("SCIMD_THREADS");
}

static void test_config_rejects_out_of_range_and_unknown(void **state)
{
    (void)state;
    struct scim_config cfg;
    struct scim_err err;
    char *big[] = {"scimd", "--max-body-bytes=10", NULL};
    assert_true(scim_config_load(&cfg, 2, big, stdout, &err) < 0);
    assert_non_null(strstr(err.detail, "max-body-bytes"));
    char *unknown[] = {"scimd", "--frobnicate=1", NULL};
    assert_true(scim_config_load(&cfg, 2, unknown, stdout, &err) < 0);
    assert_non_null(strstr(err.detail, "frobnicate"));
    setenv("SCIMD_THREADS", "many", 1);
    char *plain[] = {"scimd", NULL};
    assert_true(scim_config_load(&cfg, 1, plain, stdout, &err) < 0);
    assert_non_null(strstr(err.detail, "SCIMD_THREADS"));
    /* A flag stands in for a broken variable: the variable is then not read at all. */
    char *flag[] = {"scimd", "--threads", "2", NULL};
    assert_int_equal(scim_config_load(&cfg, 3, flag, stdout, &err), 0);
    assert_int_equal(cfg.threads, 2);
    scim_config_free(&cfg);
    unsetenv("SCIMD_THREADS");
}

static void test_config_listen_parts_rejects_garbage(void **state)
{
    (void)state;
    struct scim_config cfg = {0};
    char host[64];
    uint16_t port;
    cfg.listen = "nohost";
    assert_int_equal(scim_config_listen_parts(&cfg, host, sizeof(host), &port), -1);
    cfg.listen = "127.0.0.1:99999";
    assert_int_equal(scim_config_listen_parts(&cfg, host, sizeof(host), &port), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_flags_override_environment),
        cmocka_unit_test(test_config_rejects_out_of_range_and_unknown),
        cmocka_unit_test(test_config_listen_parts_rejects_garbage),
    };
    scim_mem_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
