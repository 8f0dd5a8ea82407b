/*
 * config — the one option table of scimd (name, type, default, bounds, SCIMD_* environment
 * variable, help) and the read-only struct scim_config built from it at start. The table drives
 * command-line flags, environment variables, --help and validation; flags override the
 * environment, which overrides the defaults.
 * Owns: every tunable and its bounds. Must not: be mutated after start.
 */
#ifndef SCIM_CONFIG_H
#define SCIM_CONFIG_H

#include "err.h"

#include <stdint.h>
#include <stdio.h>

struct scim_config {
    char *listen;           /* "host:port" */
    char *database;         /* SQLite file path */
    char *token_prefix;     /* prefix of minted tokens */
    char *base_url;         /* public SCIM base URL; empty = from the Host header */
    char *log_level;        /* debug, info, warn, error */
    int64_t threads;        /* worker threads; 0 = one per CPU */
    int64_t max_body_bytes; /* request body limit (413 beyond) */
    int64_t max_json_depth; /* nesting limit of request JSON (400 beyond) */
    int64_t max_results;    /* filter.maxResults: cap on count */
    int64_t default_count;  /* page size when count is absent */
    int64_t filter_max_length;
    int64_t filter_max_depth;
    int64_t patch_max_operations;
    int64_t connection_timeout; /* seconds a connection may stay idle */
    int64_t request_timeout;    /* seconds to send a request's headers, and its body */
    int64_t max_connections;
    int64_t audit_reads;                  /* 1: successful reads are audited too */
    int64_t audit_retention_days;         /* audit rows older than this are pruned; 0 = never */
    int64_t auth_fail_limit;              /* failed authentications per source address and
                                             minute before 429; 0 = no limit */
    int64_t rate_limit_per_tenant;        /* requests per second per tenant; 0 = no limit */
    int64_t rate_limit_burst;             /* token-bucket size; 0 = rate_limit_per_tenant */
    int64_t oauth_token_lifetime_minutes; /* lifetime of /oauth/token access tokens */
};

/*
 * Fills cfg from defaults, then the environment, then argv (--name=value or --name value).
 * Returns 0; 1 when --help or --version was handled (text written to out); a negative scim_rc
 * with err->detail naming the bad option. Release with scim_config_free.
 */
int scim_config_load(struct scim_config *cfg, int argc, char **argv, FILE *out,
                     struct scim_err *err);
void scim_config_free(struct scim_config *cfg);

/* Writes the option table as --help text. */
void scim_config_usage(FILE *out);

/* Splits cfg->listen into host and port; 0, or -1 when it is not "host:port". */
int scim_config_listen_parts(const struct scim_config *cfg, char *host, size_t host_size,
                             uint16_t *port);

#define SCIMD_VERSION "0.1.0"

#endif
