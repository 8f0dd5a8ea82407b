/*
 * router — the route table and dispatch. Patterns are '/'-separated literal segments (compared
 * case-insensitively), '*' (any one segment, captured into req->params) and '{rt}' (a resource
 * type endpoint such as "Users", captured into req->route_data). User and Group are rows of the
 * resource-type table, so one set of routes serves every resource type.
 * Per matched route, in order: the body's media type (415), the failed-authentication limit of
 * the client address (429, ratelimit.h), authentication (401, counted against the address), the
 * tenant's request rate (429), scopes (403: ROUTE_READ scim or scim:read, ROUTE_WRITE scim,
 * ROUTE_ADMIN admin), and the audit fields of the request (resource type and id).
 */
#include "router.h"

#include "auth.h"
#include "handlers.h"
#include "mem.h"
#include "ratelimit.h"
#include "schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum route_flags {
    ROUTE_AUTH = 1 << 0,    /* needs a bearer token */
    ROUTE_READ = 1 << 1,    /* allowed with scope scim or scim:read */
    ROUTE_WRITE = 1 << 2,   /* needs scope scim */
    ROUTE_ADMIN = 1 << 3,   /* needs scope admin (the /api/v1 admin API) */
    ROUTE_FORM = 1 << 4,    /* the body is application/x-www-form-urlencoded, not JSON */
    ROUTE_LIMITED = 1 << 5, /* authenticates a client itself: the failed-auth limit applies */
    ROUTE_NOAUDIT = 1 << 6  /* no audit row (health checks) */
};

struct route {
    const char *method;
    const char *pattern;
    scim_handler_fn handler;
    unsigned flags;
};

#define SCIM_READ (ROUTE_AUTH | ROUTE_READ)
#define SCIM_WRITE (ROUTE_AUTH | ROUTE_WRITE)
#define ADMIN (ROUTE_AUTH | ROUTE_ADMIN)

static const struct route routes[] = {
    {"GET", "/healthz", scim_h_healthz, ROUTE_NOAUDIT},
    {"POST", "/oauth/token", scim_h_oauth_token, ROUTE_FORM | ROUTE_LIMITED},
    {"GET", "/api/v1/org/scim-tokens", scim_h_admin_tokens_list, ADMIN},
    {"POST", "/api/v1/org/scim-tokens", scim_h_admin_tokens_create, ADMIN},
    {"DELETE", "/api/v1/org/scim-tokens/*", scim_h_admin_tokens_revoke, ADMIN},
    {"GET", "/api/v1/audit", scim_h_admin_audit, ADMIN},
    {"GET", "/api/v1/role-mappings", scim_h_role_mappings_list, ADMIN},
    {"PUT", "/api/v1/role-mappings", scim_h_role_mappings_put, ADMIN},
    {"DELETE", "/api/v1/role-mappings", scim_h_role_mappings_delete, ADMIN},
    {"GET", "/api/v1/users/*/roles", scim_h_user_roles, ADMIN},
    {"GET", "/scim/v2/ServiceProviderConfig", scim_h_service_provider_config, SCIM_READ},
    /* Before {rt}: not resource types, and not offered (501). */
    {"GET", "/scim/v2/Me", scim_h_not_implemented, SCIM_READ},
    {"POST", "/scim/v2/Me", scim_h_not_implemented, SCIM_READ},
    {"PUT", "/scim/v2/Me", scim_h_not_implemented, SCIM_READ},
    {"PATCH", "/scim/v2/Me", scim_h_not_implemented, SCIM_READ},
    {"DELETE", "/scim/v2/Me", scim_h_not_implemented, SCIM_READ},
    {"POST", "/scim/v2/Bulk", scim_h_not_implemented, SCIM_READ},
    /* Queries across resource types at the root (RFC 7644 §3.4.2.1), as POST /.search. */
    {"GET", "/scim/v2", scim_h_root_list, SCIM_READ},
    {"GET", "/scim/v2/Schemas", scim_h_schemas_list, SCIM_READ},
    {"GET", "/scim/v2/Schemas/*", scim_h_schema_get, SCIM_READ},
    {"GET", "/scim/v2/ResourceTypes", scim_h_resource_types_list, SCIM_READ},
    {"GET", "/scim/v2/ResourceTypes/*", scim_h_resource_type_get, SCIM_READ},
    {"GET", "/scim/v2/{rt}", scim_h_resource_list, SCIM_READ},
    {"POST", "/scim/v2/{rt}", scim_h_resource_create, SCIM_WRITE},
    {"POST", "/scim/v2/.search", scim_h_resource_search, SCIM_READ},
    {"POST", "/scim/v2/{rt}/.search", scim_h_resource_search, SCIM_READ},
    {"GET", "/scim/v2/{rt}/*", scim_h_resource_get, SCIM_READ},
    {"PUT", "/scim/v2/{rt}/*", scim_h_resource_replace, SCIM_WRITE},
    {"PATCH", "/scim/v2/{rt}/*", scim_h_resource_patch, SCIM_WRITE},
    {"DELETE", "/scim/v2/{rt}/*", scim_h_resource_delete, SCIM_WRITE},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))
#define MAX_SEGMENTS 8

/* Splits a copy of path into at most MAX_SEGMENTS segments; returns the count, or -1 if more. */
static int split(char *copy, char **segments)
{
    int n = 0;
    char *p = copy;
    while (*p == '/')
        p++;
    while (*p) {
        if (n == MAX_SEGMENTS)
            return -1;
        segments[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
        p = slash + 1;
    }
    return n;
}

/* Matches one route's pattern against path segments; fills params and rt on success. The
 * pattern is walked in place, one '/'-separated segment at a time. */
static bool match(const char *pattern, char **segments, int n, char **params,
                  const struct scim_resource_type **rt)
{
    int n_params = 0;
    *rt = NULL;
    const char *p = pattern;
    for (int i = 0; i < n; i++) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            return false;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 1 && p[0] == '*') {
            if (n_params < SCIM_REQUEST_MAX_PARAMS)
                params[n_params++] = segments[i];
        } else if (len == 4 && strncmp(p, "{rt}", 4) == 0) {
            char endpoint[128];
            snprintf(endpoint, sizeof(endpoint), "/%s", segments[i]);
            *rt = scim_resource_type_by_endpoint(endpoint);
            if (!*rt)
                return false;
        } else if (strlen(segments[i]) != len || strncasecmp(p, segments[i], len) != 0) {
            return false;
        }
        p += len;
    }
    while (*p == '/')
        p++;
    return *p == '\0';
}

static int check_scope(const struct scim_request *req, unsigned flags, struct scim_err *err)
{
    unsigned scopes = req->auth.scopes;
    if ((flags & ROUTE_ADMIN) && !(scopes & SCIM_SCOPE_ADMIN))
        return scim_err_set(err, 403, NULL,
                            "This token lacks the 'admin' scope needed for the admin API; mint "
                            "one with: scimctl token create --scope admin.");
    if ((flags & ROUTE_WRITE) && !(scopes & SCIM_SCOPE_SCIM))
        return scim_err_set(err, 403, NULL,
                            "This token lacks the 'scim' scope needed to change resources.");
    if ((flags & ROUTE_READ) && !(scopes & (SCIM_SCOPE_SCIM | SCIM_SCOPE_SCIM_READ)))
        return scim_err_set(err, 403, NULL,
                            "This token lacks the 'scim' or 'scim:read' scope needed to read "
                            "resources.");
    return 0;
}

/* True when the request's Content-Type suits the route. Form routes check their own body (an
 * OAuth endpoint answers with OAuth errors, RFC 6749 §5.2); every other route takes JSON, and a
 * missing Content-Type is accepted (some clients omit it; the body must still parse). */
static bool media_type_ok(const struct scim_request *req, unsigned flags)
{
    const char *ct = scim_request_header(req, "Content-Type");
    size_t len = ct ? strcspn(ct, "; \t") : 0;
    if ((flags & ROUTE_FORM) || len == 0)
        return true;
    return (len == 21 && strncasecmp(ct, "application/scim+json", 21) == 0) ||
           (len == 16 && strncasecmp(ct, "application/json", 16) == 0);
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 429 with Retry-After (RFC 6585 §4) and a SCIM Error body. */
static int too_many(struct scim_request *req, int64_t retry_after_s, struct scim_err *err,
                    const char *detail)
{
    char seconds[24];
    snprintf(seconds, sizeof(seconds), "%lld", (long long)retry_after_s);
    scim_request_add_header(req, "Retry-After", seconds);
    return scim_err_set(err, 429, NULL, "%s Retry in %lld second%s.", detail,
                        (long long)retry_after_s, retry_after_s == 1 ? "" : "s");
}

/* True when the client's address has failed authentication too often in the current minute;
 * *retry_s then receives the seconds until it may try again. */
static bool address_blocked(const struct scim_request *req, int64_t *retry_s)
{
    struct scim_ratelimit *rl = req->ctx->limits;
    unsigned char addr[16];
    size_t len = rl ? scim_request_client_addr(req, addr) : 0;
    return len > 0 && scim_ratelimit_auth_blocked(rl, addr, len, monotonic_ms(), retry_s);
}

/* The 429 of a blocked address. */
static int refuse_address(struct scim_request *req, int64_t retry_s, struct scim_err *err)
{
    return too_many(req, retry_s, err,
                    "Too many failed authentications from this address; until the minute is "
                    "over only tokens that authenticated from it before are accepted.");
}

void scim_router_auth_failed(struct scim_request *req)
{
    struct scim_ratelimit *rl = req->ctx->limits;
    unsigned char addr[16];
    size_t len = rl ? scim_request_client_addr(req, addr) : 0;
    if (len > 0)
        scim_ratelimit_auth_failed(rl, addr, len, monotonic_ms());
}

/* Refuses a request over its tenant's rate (token bucket). */
static int check_tenant_rate(struct scim_request *req, struct scim_err *err)
{
    struct scim_ratelimit *rl = req->ctx->limits;
    int64_t retry = 0;
    if (rl && !scim_ratelimit_tenant_allow(rl, req->auth.tenant.id, monotonic_ms(), &retry))
        return too_many(req, retry, err, "This tenant is over its request rate limit.");
    return 0;
}

int scim_router_dispatch(struct scim_request *req, struct scim_err *err)
{
    int rc = 0;
    bool snapshot = false;
    char allow[64] = "";
    const struct route *chosen = NULL;
    req->path_segments = scim_strdup(req->path);
    char *segments[MAX_SEGMENTS];
    int n = split(req->path_segments, segments);
    for (size_t i = 0; n >= 0 && i < N_ROUTES; i++) {
        char *params[SCIM_REQUEST_MAX_PARAMS] = {NULL, NULL};
        const struct scim_resource_type *rt = NULL;
        if (!match(routes[i].pattern, segments, n, params, &rt))
            continue;
        /* HEAD is GET without the body (RFC 9110 §9.3.2); libmicrohttpd drops the body. */
        if (strcmp(routes[i].method, req->method) == 0 ||
            (strcmp(req->method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
            chosen = &routes[i];
            memcpy(req->params, params, sizeof(params));
            req->route_data = rt;
            break;
        }
        size_t len = strlen(allow);
        snprintf(allow + len, sizeof(allow) - len, "%s%s", len ? ", " : "", routes[i].method);
    }
    if (!chosen && allow[0]) {
        scim_request_add_header(req, "Allow", allow);
        rc = scim_err_set(err, 405, NULL, "Method %s is not allowed on %s; allowed: %s.",
                          req->method, req->path, allow);
        goto out;
    }
    if (!chosen) {
        rc = scim_err_set(err, 404, NULL, "No endpoint at %s.", req->path);
        goto out;
    }
    req->audit.skip = (chosen->flags & ROUTE_NOAUDIT) != 0;
    if (req->route_data) {
        const struct scim_resource_type *rt = req->route_data;
        req->audit.resource_type = rt->name;
    }
    if (req->params[0] && req->route_data)
        snprintf(req->audit.resource_id, sizeof(req->audit.resource_id), "%s", req->params[0]);
    /* The token endpoint refuses a blocked address outright. On bearer routes a blocked address
     * still gets the tokens that authenticated from it before (behind a reverse proxy every IdP
     * shares one address, and a stranger's bad tokens must not lock the working IdPs out); any
     * other token is a 429 without a lookup. */
    int64_t retry_s = 0;
    if ((chosen->flags & (ROUTE_AUTH | ROUTE_LIMITED)) && address_blocked(req, &retry_s)) {
        if (!(chosen->flags & ROUTE_AUTH)) {
            rc = refuse_address(req, retry_s, err);
            goto out;
        }
        req->auth.known_tokens_only = true;
    }
    /* A SCIM request reads one snapshot until it writes: token, resource and memberships in
     * one transaction on one connection (the store ends it at the first write). Not the admin
     * API: the audit search waits for the audit writer's rows, committed after it started. */
    if (chosen->flags & (ROUTE_READ | ROUTE_WRITE)) {
        scim_store_read_begin(req->ctx->store);
        snapshot = true;
    }
    if (chosen->flags & ROUTE_AUTH) {
        rc = scim_auth_bearer(req, err);
        if (rc < 0) {
            if (err->status == 401)
                scim_router_auth_failed(req);
            if (req->auth.known_tokens_only && (err->status == 401 || err->status == 429))
                rc = refuse_address(req, retry_s, err);
            goto out;
        }
        rc = check_tenant_rate(req, err);
        if (rc < 0)
            goto out;
        rc = check_scope(req, chosen->flags, err);
        if (rc < 0)
            goto out;
    }
    /* After authentication, so that the audit row of a refused body names its token. */
    if (req->body_len > 0 && !media_type_ok(req, chosen->flags)) {
        rc = scim_err_set(err, 415, NULL,
                          "Content-Type must be application/scim+json or application/json.");
        goto out;
    }
    rc = chosen->handler(req, err);
out:
    if (snapshot)
        scim_store_read_end(req->ctx->store);
    return rc;
}
