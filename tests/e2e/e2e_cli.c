/*
 * e2e_cli — scimctl against the database a running scimd serves: argument validation with clear
 * errors (expires-in-days 1..365, required description, known tenant and scopes), --quiet output
 * that scripts can use, tenants, token listing without secrets, revocation seen by scimd at once,
 * and SCIMD_DATABASE read like scimd reads it.
 */
#include "harness.h"

#include "mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static struct e2e_server *srv;

static int group_setup(void **state)
{
    (void)state;
    return e2e_setup(NULL, &srv);
}

static int group_teardown(void **state)
{
    (void)state;
    return e2e_teardown(srv);
}

/* The last lines scimctl wrote to stderr (its log in the server directory). */
static char *scimctl_log(void)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/scimctl.log", srv->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = scim_calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void expect_rejected(const char *days, const char *description, const char *needle)
{
    char *out = NULL;
    int status;
    if (description)
        status = e2e_scimctl(srv, &out, "token", "create", "--tenant", "e2e", "--description",
                             description, "--expires-in-days", days, "--quiet", NULL);
    else
        status = e2e_scimctl(srv, &out, "token", "create", "--tenant", "e2e", "--expires-in-days",
                             days, "--quiet", NULL);
    assert_int_not_equal(status, 0);
    assert_true(out == NULL || out[0] == '\0');
    char *log = scimctl_log();
    if (!strstr(log, needle))
        fail_msg("scimctl's error does not say '%s':\n%s", needle, log);
    scim_free(log);
    scim_free(out);
}

static void test_e2e_cli_expires_in_days_bounds(void **state)
{
    (void)state;
    expect_rejected("0", "zero", "from 1 to 365");
    expect_rejected("366", "too long", "from 1 to 365");
    expect_rejected("thirty", "not a number", "from 1 to 365");
    expect_rejected("-5", "negative", "from 1 to 365");
    expect_rejected("30", NULL, "--description is required");
    char *ok1 = e2e_token_create(srv, "e2e", "one day", 1);
    char *ok365 = e2e_token_create(srv, "e2e", "a year", 365);
    assert_non_null(ok1);
    assert_non_null(ok365);
    scim_free(ok1);
    scim_free(ok365);
}

static void test_e2e_cli_quiet_prints_only_a_working_token(void **state)
{
    (void)state;
    char *token = e2e_token_create(srv, "e2e", "quiet", 30);
    assert_non_null(token);
    assert_memory_equal(token, "scim_", 5);
    assert_int_equal(strlen(token), 5 + 43);
    struct e2e_resp *r = e2e_get(srv, token, "/scim/v2/Users?count=1");
    assert_status(r, 200);
    e2e_resp_free(r);
    scim_free(token);
}

static void test_e2e_cli_unknown_tenant_and_scope(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_not_equal(e2e_scimctl(srv, &out, "token", "create", "--tenant", "nosuch",
                                     "--description", "x", "--expires-in-days", "3", NULL),
                         0);
    scim_free(out);
    out = NULL;
    assert_int_not_equal(e2e_scimctl(srv, &out, "token", "create", "--tenant", "e2e",
                                     "--description", "x", "--expires-in-days", "3", "--scope",
                                     "root", NULL),
                         0);
    scim_free(out);
    char *log = scimctl_log();
    assert_non_null(strstr(log, "tenant 'nosuch' does not exist"));
    assert_non_null(strstr(log, "unknown scope 'root'"));
    scim_free(log);
}

/* Asserts that scimctl args... exits 2 without output and says needle on stderr. */
#define expect_usage_error(needle, ...)                                                            \
    do {                                                                                           \
        char *out_ = NULL;                                                                         \
        assert_int_equal(e2e_scimctl(srv, &out_, __VA_ARGS__, NULL), 2);                           \
        assert_true(out_ == NULL || out_[0] == '\0');                                              \
        char *log_ = scimctl_log();                                                                \
        if (!strstr(log_, needle))                                                                 \
            fail_msg("scimctl's error does not say '%s':\n%s", needle, log_);                      \
        scim_free(log_);                                                                           \
        scim_free(out_);                                                                           \
    } while (0)

/* A mistyped or missing option never mints a token for another tenant: unknown options, a
 * missing --tenant, a value-less option and a repeated single one are usage errors (exit 2,
 * nothing printed on stdout); --help after a command prints its usage and changes nothing. */
static void test_e2e_cli_rejects_unknown_and_missing_options(void **state)
{
    (void)state;
    expect_usage_error("unknown option --tennant", "token", "create", "--tennant", "e2e",
                       "--description", "typo", "--expires-in-days", "5", "--quiet");
    expect_usage_error("--tenant is required", "token", "create", "--description", "no tenant",
                       "--expires-in-days", "5", "--quiet");
    expect_usage_error("unknown option --scopes", "token", "create", "--tenant", "e2e",
                       "--description", "typo", "--expires-in-days", "5", "--scopes", "admin");
    expect_usage_error("given twice", "token", "create", "--tenant", "e2e", "--description", "x",
                       "--expires-in-days", "5", "--expires-in-days", "400");
    expect_usage_error("needs a value", "token", "create", "--tenant", "e2e", "--description", "x",
                       "--expires-in-days");
    expect_usage_error("unknown option --bogus", "token", "list", "--bogus");
    /* One dash is not two: the command would not see it (and list every tenant's tokens). */
    expect_usage_error("unknown option -tenant", "token", "list", "-tenant", "e2e");
    expect_usage_error("takes no '='", "token", "list", "--json=no");
    expect_usage_error("takes no '='", "audit", "tail", "-n=5");
    expect_usage_error("--tenant is required", "client", "create", "--description", "x");
    /* A mistyped database path is an error, not an empty list, and creates nothing. */
    char missing[400];
    snprintf(missing, sizeof(missing), "%s/no-such-dir/scimd.db", srv->dir);
    char *none = NULL;
    assert_int_equal(e2e_scimctl(srv, &none, "tenant", "list", "--database", missing, NULL), 1);
    scim_free(none);
    char *log = scimctl_log();
    assert_non_null(strstr(log, "no database at"));
    scim_free(log);
    char missing_dir[400];
    snprintf(missing_dir, sizeof(missing_dir), "%s/no-such-dir", srv->dir);
    assert_int_not_equal(access(missing_dir, F_OK), 0);
    /* A prefix scimd would refuse never reaches a token. */
    setenv("SCIMD_TOKEN_PREFIX", "bad_p", 1);
    expect_usage_error("SCIMD_TOKEN_PREFIX must be", "token", "create", "--tenant", "e2e",
                       "--description", "bad prefix", "--expires-in-days", "5");
    unsetenv("SCIMD_TOKEN_PREFIX");
    char *out = NULL;
    assert_int_equal(e2e_scimctl(srv, &out, "token", "create", "--tenant", "e2e", "--description",
                                 "help asked", "--expires-in-days", "5", "--help", NULL),
                     0);
    assert_non_null(strstr(out, "usage: scimctl token create"));
    scim_free(out);
    out = NULL;
    assert_int_equal(e2e_scimctl(srv, &out, "token", "list", NULL), 0);
    assert_null(strstr(out, "help asked"));
    assert_null(strstr(out, "typo"));
    assert_null(strstr(out, "no tenant"));
    scim_free(out);
}

static void test_e2e_cli_tenants_create_list_duplicate(void **state)
{
    (void)state;
    assert_int_equal(e2e_tenant_create(srv, "acme-cli"), 0);
    assert_int_not_equal(e2e_tenant_create(srv, "acme-cli"), 0);
    assert_int_not_equal(e2e_tenant_create(srv, "bad name!"), 0);
    char *out = NULL;
    assert_int_equal(e2e_scimctl(srv, &out, "tenant", "list", NULL), 0);
    assert_non_null(strstr(out, "acme-cli"));
    assert_non_null(strstr(out, "e2e"));
    scim_free(out);
    /* Settings show in the list (text and JSON), so an operator sees what is set. */
    assert_int_equal(e2e_scimctl(srv, NULL, "tenant", "set", "acme-cli",
                                 "unknown_attributes=ignore", "default_role=member", NULL),
                     0);
    assert_int_equal(e2e_scimctl(srv, &out, "tenant", "list", NULL), 0);
    assert_non_null(strstr(out, " default_role=member unknown_attributes=ignore"));
    scim_free(out);
    assert_int_equal(e2e_scimctl(srv, &out, "tenant", "list", "--json", NULL), 0);
    assert_non_null(strstr(
        out, "\"settings\":{\"default_role\":\"member\",\"unknown_attributes\":\"ignore\"}"));
    scim_free(out);
}

static void test_e2e_cli_token_list_and_revoke(void **state)
{
    (void)state;
    char *token = e2e_token_create(srv, "e2e", "to revoke via cli", 10);
    assert_non_null(token);
    char *out = NULL;
    assert_int_equal(e2e_scimctl(srv, &out, "token", "list", NULL), 0);
    assert_non_null(strstr(out, "to revoke via cli"));
    assert_null(strstr(out, token));
    /* The display hint shows only the last four characters. */
    assert_non_null(strstr(out, token + strlen(token) - 4));
    scim_free(out);
    char *id = e2e_token_id(srv, "to revoke via cli");
    assert_non_null(id);
    struct e2e_resp *r = e2e_get(srv, token, "/scim/v2/Users?count=1");
    assert_status(r, 200);
    e2e_resp_free(r);
    assert_int_equal(e2e_scimctl(srv, NULL, "token", "revoke", id, NULL), 0);
    r = e2e_get(srv, token, "/scim/v2/Users?count=1");
    assert_status(r, 401);
    e2e_resp_free(r);
    assert_int_not_equal(e2e_scimctl(srv, NULL, "token", "revoke", "tok_doesnotexist", NULL), 0);
    scim_free(id);
    scim_free(token);
}

static void test_e2e_cli_reads_scimd_database_env(void **state)
{
    (void)state;
    /* Without --database, scimctl uses SCIMD_DATABASE as scimd does. */
    const char *bin = getenv("SCIMCTL_BIN") ? getenv("SCIMCTL_BIN") : "build/san/scimctl";
    char *cmd = scim_asprintf("SCIMD_DATABASE='%s' '%s' tenant list 2>/dev/null", srv->db, bin);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, p);
    buf[n] = '\0';
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(buf, "e2e"));
    scim_free(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_cli_expires_in_days_bounds),
        cmocka_unit_test(test_e2e_cli_quiet_prints_only_a_working_token),
        cmocka_unit_test(test_e2e_cli_unknown_tenant_and_scope),
        cmocka_unit_test(test_e2e_cli_rejects_unknown_and_missing_options),
        cmocka_unit_test(test_e2e_cli_tenants_create_list_duplicate),
        cmocka_unit_test(test_e2e_cli_token_list_and_revoke),
        cmocka_unit_test(test_e2e_cli_reads_scimd_database_env),
    };
    return cmocka_run_group_tests_name("e2e_cli", tests, group_setup, group_teardown);
}
