/*
 * cmd_audit — scimctl audit tail|search: the audit log straight from the database, through the
 * same store search as GET /api/v1/audit. tail prints the newest rows oldest-first (like tail(1));
 * search prints newest-first one page and, when more rows match, the --cursor for the next page.
 * Rows of reads and failed requests reach the database a few milliseconds after the response
 * (scimd's audit writer batches them); rows of changes are there when the response is sent.
 * Must not: contain SQL.
 */
#include "cli.h"

#include "json.h"
#include "mem.h"
#include "resource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAIL_DEFAULT 20

/* Prints one row as a line: time, tenant, actor, method, path, status, type/id, request id,
 * and the dialect rules when any fired. */
static void print_row(const json_t *row)
{
    char rules[512] = "";
    size_t len = 0, i;
    json_t *rule;
    json_array_foreach (json_object_get(row, "dialect"), i, rule)
        len += (size_t)snprintf(rules + len, len < sizeof(rules) ? sizeof(rules) - len : 0, "%s%s",
                                len ? "," : " dialect=", json_string_value(rule));
    printf("%-24s %-12s %-36s %-6s %-40s %3lld %s/%s %s%s\n", scimctl_text_or_dash(row, "time"),
           scimctl_text_or_dash(row, "tenant"), scimctl_text_or_dash(row, "actor"),
           scimctl_text_or_dash(row, "method"), scimctl_text_or_dash(row, "path"),
           (long long)json_integer_value(json_object_get(row, "status")),
           scimctl_text_or_dash(row, "resource_type"), scimctl_text_or_dash(row, "resource_id"),
           scimctl_text_or_dash(row, "request_id"), rules);
}

/* Parses a positive integer option value; -1 when it is not one from 1 to max. */
static long long positive(const char *text, long long max)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno || end == text || *end || n < 1 || n > max)
        return -1;
    return n;
}

/* Resolves --tenant (NULL: every tenant) into *tenant; *use says whether one was given. */
static int tenant_option(struct scimctl *ctl, int argc, char **argv, struct scim_tenant *tenant,
                         bool *use)
{
    struct scim_err err;
    scim_err_clear(&err);
    const char *name = scimctl_flag(argc, argv, "tenant", NULL);
    *use = name != NULL;
    if (name && scim_store_tenant_get(ctl->store, name, tenant, &err) < 0)
        return scimctl_fail(1, "tenant '%s' does not exist", name);
    return 0;
}

/* Runs the search and prints it; reverse prints oldest-first. */
static int run(struct scimctl *ctl, const struct scim_tenant *tenant,
               const struct scim_audit_query *q, bool json, bool reverse)
{
    struct scim_err err;
    scim_err_clear(&err);
    json_t *rows = NULL;
    char *next = NULL;
    if (scim_store_audit_query(ctl->store, tenant, q, &rows, &next, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    size_t n = json_array_size(rows);
    if (json) {
        json_t *page = json_pack("{s:O, s:o}", "entries", rows, "next_cursor",
                                 next ? json_string(next) : json_null());
        char *text = scim_json_dump(page, NULL);
        puts(text);
        scim_free(text);
        json_decref(page);
    } else {
        for (size_t i = 0; i < n; i++)
            print_row(json_array_get(rows, reverse ? n - 1 - i : i));
        if (next && !reverse)
            printf("(more rows: add --cursor %s)\n", next);
    }
    json_decref(rows);
    scim_free(next);
    return 0;
}

int scimctl_audit_tail(struct scimctl *ctl, int argc, char **argv)
{
    struct scim_tenant tenant;
    bool use_tenant = false;
    int status = tenant_option(ctl, argc, argv, &tenant, &use_tenant);
    if (status)
        return status;
    long long n = TAIL_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            n = positive(argv[i + 1], SCIM_AUDIT_PAGE_MAX);
            if (n < 0)
                return scimctl_fail(2, "-n must be an integer from 1 to %d", SCIM_AUDIT_PAGE_MAX);
        }
    }
    struct scim_audit_query q = {.limit = n};
    return run(ctl, use_tenant ? &tenant : NULL, &q, scimctl_switch(argc, argv, "json"), true);
}

int scimctl_audit_search(struct scimctl *ctl, int argc, char **argv)
{
    struct scim_tenant tenant;
    bool use_tenant = false;
    int status = tenant_option(ctl, argc, argv, &tenant, &use_tenant);
    if (status)
        return status;
    struct scim_audit_query q = {.limit = 100};
    const char *since = scimctl_flag(argc, argv, "since", NULL);
    const char *until = scimctl_flag(argc, argv, "until", NULL);
    const char *limit = scimctl_flag(argc, argv, "limit", NULL);
    if (since && (q.since_ms = scim_time_parse(since)) < 0)
        return scimctl_fail(2, "--since must be an RFC 3339 time such as 2026-01-15T12:00:00Z "
                               "or a date such as 2026-01-15");
    if (until && (q.until_ms = scim_time_parse(until)) < 0)
        return scimctl_fail(2, "--until must be an RFC 3339 time such as 2026-01-15T12:00:00Z "
                               "or a date such as 2026-01-15");
    if (limit && (q.limit = positive(limit, SCIM_AUDIT_PAGE_MAX)) < 0)
        return scimctl_fail(2, "--limit must be an integer from 1 to %d", SCIM_AUDIT_PAGE_MAX);
    q.actor = scimctl_flag(argc, argv, "actor", NULL);
    q.resource_id = scimctl_flag(argc, argv, "resource-id", NULL);
    q.cursor = scimctl_flag(argc, argv, "cursor", NULL);
    return run(ctl, use_tenant ? &tenant : NULL, &q, scimctl_switch(argc, argv, "json"), false);
}
