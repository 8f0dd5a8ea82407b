/*
 * config — the option table (redis static_configs[] style) and the code it drives: defaults,
 * SCIMD_* environment variables, flags, bounds checks and --help.
 * Owns: struct scim_config's contents. Must not: open files or sockets.
 */
#include "config.h"

#include "mem.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

enum option_type { OPT_STRING, OPT_INT };

struct option_def {
    const char *name; /* flag name without "--" */
    enum option_type type;
    size_t offset;
    const char *default_value;
    int64_t min, max; /* OPT_INT only */
    const char *env;
    const char *help;
};

#define STR_OPT(n, field, def, env, help)                                                          \
    {                                                                                              \
        n, OPT_STRING, offsetof(struct scim_config, field), def, 0, 0, env, help                   \
    }
#define INT_OPT(n, field, def, lo, hi, env, help)                                                  \
    {                                                                                              \
        n, OPT_INT, offsetof(struct scim_config, field), def, lo, hi, env, help                    \
    }

static const struct option_def options[] = {
    STR_OPT("listen", listen, "127.0.0.1:8080", "SCIMD_LISTEN", "address and port to serve on"),
    STR_OPT("database", database, "./var/scimd.db", "SCIMD_DATABASE", "SQLite database file"),
    STR_OPT("token-prefix", token_prefix, "scim", "SCIMD_TOKEN_PREFIX",
            "prefix of minted bearer tokens ([A-Za-z0-9-], 1-32 chars)"),
    STR_OPT("base-url", base_url, "", "SCIMD_BASE_URL",
            "public SCIM base URL for meta.location (empty: from the Host header)"),
    STR_OPT("log-level", log_level, "info", "SCIMD_LOG_LEVEL", "debug, info, warn or error"),
    INT_OPT("threads", threads, "0", 0, 256, "SCIMD_THREADS", "worker threads (0: one per CPU)"),
    INT_OPT("max-body-bytes", max_body_bytes, "1048576", 1024, 67108864, "SCIMD_MAX_BODY_BYTES",
            "largest request body accepted (413 beyond)"),
    INT_OPT("max-json-depth", max_json_depth, "32", 4, 256, "SCIMD_MAX_JSON_DEPTH",
            "deepest JSON nesting accepted in a request body"),
    INT_OPT("max-results", max_results, "1000", 1, 100000, "SCIMD_MAX_RESULTS",
            "largest page a list returns (filter.maxResults)"),
    INT_OPT("default-count", default_count, "100", 1, 100000, "SCIMD_DEFAULT_COUNT",
            "page size when a list request gives no count"),
    INT_OPT("filter-max-length", filter_max_length, "4096", 16, 65536, "SCIMD_FILTER_MAX_LENGTH",
            "longest filter expression accepted, in bytes"),
    INT_OPT("filter-max-depth", filter_max_depth, "16", 1, 128, "SCIMD_FILTER_MAX_DEPTH",
            "deepest nesting of parentheses, not() and [] in a filter"),
    INT_OPT("patch-max-operations", patch_max_operations, "1000", 1, 100000,
            "SCIMD_PATCH_MAX_OPERATIONS", "most Operations accepted in one PATCH request"),
    INT_OPT("connection-timeout", connection_timeout, "30", 1, 3600, "SCIMD_CONNECTION_TIMEOUT",
            "seconds a connection may stay silent before it is closed"),
    INT_OPT("request-timeout", request_timeout, "30", 1, 3600, "SCIMD_REQUEST_TIMEOUT",
            "seconds a client has to send a request's headers, and again its body; a slower "
            "one's connection is closed"),
    INT_OPT("max-connections", max_connections, "1024", 1, 65536, "SCIMD_MAX_CONNECTIONS",
            "most concurrent client connections"),
    INT_OPT("audit-reads", audit_reads, "1", 0, 1, "SCIMD_AUDIT_READS",
            "1: successful GETs and searches get audit rows too; 0: only writes and failures"),
    INT_OPT("audit-retention-days", audit_retention_days, "90", 0, 36500,
            "SCIMD_AUDIT_RETENTION_DAYS",
            "days audit rows are kept (pruned at start and hourly; 0: forever)"),
    INT_OPT("auth-fail-limit", auth_fail_limit, "20", 0, 1000000, "SCIMD_AUTH_FAIL_LIMIT",
            "failed authentications per source address and minute before 429, except for tokens "
            "that authenticated from it (0: no limit)"),
    INT_OPT("rate-limit-per-tenant", rate_limit_per_tenant, "0", 0, 1000000,
            "SCIMD_RATE_LIMIT_PER_TENANT", "requests per second per tenant before 429 (0: off)"),
    INT_OPT("rate-limit-burst", rate_limit_burst, "0", 0, 10000000, "SCIMD_RATE_LIMIT_BURST",
            "requests a tenant may send at once above its rate (0: one second's worth)"),
    INT_OPT("oauth-token-lifetime-minutes", oauth_token_lifetime_minutes, "60", 60, 360,
            "SCIMD_OAUTH_TOKEN_LIFETIME_MINUTES",
            "lifetime of access tokens issued at /oauth/token"),
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static int set_option(struct scim_config *cfg, const struct option_def *opt, const char *value,
                      const char *source, struct scim_err *err)
{
    char *field = (char *)cfg + opt->offset;
    if (opt->type == OPT_STRING) {
        char **slot = (char **)(void *)field;
        scim_free(*slot);
        *slot = scim_strdup(value);
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < opt->min || v > opt->max)
        return scim_err_set(err, 400, NULL,
                            "%s: --%s must be an integer from %lld to %lld, got '%s'", source,
                            opt->name, (long long)opt->min, (long long)opt->max, value);
    *(int64_t *)(void *)field = (int64_t)v;
    return 0;
}

static const struct option_def *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

/* True when argv sets option opt ("--name value" or "--name=value"): its environment variable
 * is then not read at all, so a flag can stand in for a broken variable. */
static bool flag_given(int argc, char **argv, const struct option_def *opt)
{
    size_t len = strlen(opt->name);
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i] + 2, opt->name, len) == 0 &&
            (argv[i][2 + len] == '\0' || argv[i][2 + len] == '='))
            return true;
    return false;
}

void scim_config_usage(FILE *out)
{
    fprintf(out, "usage: scimd [--option=value ...]\n\noptions (environment variable, default, "
                 "bounds):\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &options[i];
        if (o->type == OPT_INT)
            fprintf(out, "  --%-22s %s\n  %24s (%s, default \"%s\", %lld to %lld)\n", o->name,
                    o->help, "", o->env, o->default_value, (long long)o->min, (long long)o->max);
        else
            fprintf(out, "  --%-22s %s\n  %24s (%s, default \"%s\")\n", o->name, o->help, "",
                    o->env, o->default_value);
    }
    fprintf(out, "  --%-22s %s\n  --%-22s %s\n", "help", "show this text", "version",
            "print the version");
}

int scim_config_load(struct scim_config *cfg, int argc, char **argv, FILE *out,
                     struct scim_err *err)
{
    int rc = 0;
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < N_OPTIONS; i++) {
        rc = set_option(cfg, &options[i], options[i].default_value, "default", err);
        if (rc < 0)
            goto out;
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *value = getenv(options[i].env);
        if (value && !flag_given(argc, argv, &options[i])) {
            rc = set_option(cfg, &options[i], value, options[i].env, err);
            if (rc < 0)
                goto out;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            scim_config_usage(out);
            rc = 1;
            goto out;
        }
        if (strcmp(arg, "--version") == 0) {
            fprintf(out, "scimd %s\n", SCIMD_VERSION);
            rc = 1;
            goto out;
        }
        if (strncmp(arg, "--", 2) != 0) {
            rc = scim_err_set(err, 400, NULL, "unexpected argument '%s' (see --help)", arg);
            goto out;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const struct option_def *opt = find_option(name, name_len);
        if (!opt) {
            rc = scim_err_set(err, 400, NULL, "unknown option '%s' (see --help)", arg);
            goto out;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) {
                rc = scim_err_set(err, 400, NULL, "option --%s needs a value", opt->name);
                goto out;
            }
            value = argv[++i];
        }
        rc = set_option(cfg, opt, value, "command line", err);
        if (rc < 0)
            goto out;
    }
out:
    if (rc != 0)
        scim_config_free(cfg);
    return rc;
}

void scim_config_free(struct scim_config *cfg)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (options[i].type != OPT_STRING)
            continue;
        char **slot = (char **)(void *)((char *)cfg + options[i].offset);
        scim_free(*slot);
        *slot = NULL;
    }
}

int scim_config_listen_parts(const struct scim_config *cfg, char *host, size_t host_size,
                             uint16_t *port)
{
    const char *colon = strrchr(cfg->listen, ':');
    if (!colon || colon == cfg->listen || (size_t)(colon - cfg->listen) >= host_size)
        return -1;
    char *end = NULL;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    memcpy(host, cfg->listen, (size_t)(colon - cfg->listen));
    host[colon - cfg->listen] = '\0';
    *port = (uint16_t)p;
    return 0;
}
