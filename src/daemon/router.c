/*
 * router — the route table and dispatch. Patterns are '/'-separated literal segments (compared
 * case-insensitively), '*' (any one segment, captured into req->params) and '{rt}' (a resource
 * type endpoint such as "Users", captured into req->route_data). User and Group are rows of the
 * resource-type table, so one set of routes serves every resource type.
 */
#include "router.h"

#include "auth.h"
#include "handlers.h"
#include "mem.h"
#include "schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum route_flags {
    ROUTE_AUTH = 1 << 0, /* needs a bearer token */
    ROUTE_READ = 1 << 1, /* allowed with scope scim or scim:read */
    ROUTE_WRITE = 1 << 2 /* needs scope scim */
};

struct route {
    const char *method;
    const char *pattern;
    scim_handler_fn handler;
    unsigned flags;
};

#define SCIM_READ (ROUTE_AUTH | ROUTE_READ)
#define SCIM_WRITE (ROUTE_AUTH | ROUTE_WRITE)

static const struct route routes[] = {
    {"GET", "/healthz", scim_h_healthz, 0},
    {"GET", "/scim/v2/ServiceProviderConfig", scim_h_service_provider_config, SCIM_READ},
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

/* Matches one route's pattern against path segments; fills params and rt on success. */
static bool match(const char *pattern, char **segments, int n, char **params,
                  const struct scim_resource_type **rt)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", pattern);
    char *pat[MAX_SEGMENTS];
    int np = split(buf, pat);
    if (np != n)
        return false;
    int n_params = 0;
    *rt = NULL;
    for (int i = 0; i < n; i++) {
        if (strcmp(pat[i], "*") == 0) {
            if (n_params < SCIM_REQUEST_MAX_PARAMS)
                params[n_params++] = segments[i];
        } else if (strcmp(pat[i], "{rt}") == 0) {
            char endpoint[128];
            snprintf(endpoint, sizeof(endpoint), "/%s", segments[i]);
            *rt = scim_resource_type_by_endpoint(endpoint);
            if (!*rt)
                return false;
        } else if (strcasecmp(pat[i], segments[i]) != 0) {
            return false;
        }
    }
    return true;
}

static int check_scope(const struct scim_request *req, unsigned flags, struct scim_err *err)
{
    unsigned scopes = req->auth.scopes;
    if ((flags & ROUTE_WRITE) && !(scopes & SCIM_SCOPE_SCIM))
        return scim_err_set(err, 403, NULL,
                            "This token lacks the 'scim' scope needed to change resources.");
    if ((flags & ROUTE_READ) && !(scopes & (SCIM_SCOPE_SCIM | SCIM_SCOPE_SCIM_READ)))
        return scim_err_set(err, 403, NULL,
                            "This token lacks the 'scim' or 'scim:read' scope needed to read "
                            "resources.");
    return 0;
}

int scim_router_dispatch(struct scim_request *req, struct scim_err *err)
{
    int rc = 0;
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
        if (strcmp(routes[i].method, req->method) == 0) {
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
    if (chosen->flags & ROUTE_AUTH) {
        rc = scim_auth_bearer(req, err);
        if (rc < 0)
            goto out;
        rc = check_scope(req, chosen->flags, err);
        if (rc < 0)
            goto out;
    }
    rc = chosen->handler(req, err);
out:
    return rc;
}
