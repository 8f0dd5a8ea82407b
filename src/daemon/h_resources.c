/*
 * h_resources — the generic resource endpoints of RFC 7644 §3: create (POST, §3.3), read (GET,
 * §3.4.1), list (GET with filter/paging/projection, §3.4.2), replace (PUT, §3.5.1), modify
 * (PATCH, §3.5.2) and delete (DELETE, §3.6), with ETag preconditions (§3.14). One code path
 * serves every row of the resource-type table; the row comes from the router.
 * Owns: the read-modify-write loop that keeps concurrent writers from losing updates.
 * Must not: build SQL (the store does) or validate documents itself (resource.c does).
 */
#include "handlers.h"

#include "audit.h"
#include "dialect.h"
#include "filter.h"
#include "list.h"
#include "log.h"
#include "mem.h"
#include "patch.h"
#include "resource.h"
#include "roles.h"
#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* How often a write is retried when another writer changed the resource in between. Each retry
 * re-reads the fresh version, so only sustained contention on one resource exhausts it. */
#define WRITE_ATTEMPTS 32

static const struct scim_resource_type *route_rt(const struct scim_request *req)
{
    return req->route_data;
}

/* Responds with one rendered, projected resource. */
static int respond_resource(struct scim_request *req, const struct scim_resource_type *rt,
                            const struct scim_resource *res, int status, struct scim_err *err)
{
    struct scim_projection p;
    int rc = scim_request_projection(req, rt, &p, err);
    if (rc < 0)
        return rc;
    json_t *doc = scim_resource_render(rt, res, req->base_url);
    /* What comes from membership rows (a Group's members, a User's groups and roles), only
     * when the projection keeps it (h_groups.c); after a write, the rows it read. */
    rc = scim_derive_fill_resource(req, rt, &p, res, doc, err);
    if (rc < 0) {
        json_decref(doc);
        scim_projection_clear(&p);
        return rc;
    }
    scim_projection_apply(rt, &p, doc);
    scim_projection_clear(&p);
    scim_request_resource_headers(req, rt, res);
    scim_request_respond(req, status, doc);
    return 0;
}

/* When *password is the one stored for id, forgets it (*password NULL, the memory wiped). */
static int password_unchanged(struct scim_request *req, const struct scim_resource_type *rt,
                              const char *id, char **password, struct scim_err *err)
{
    char stored[SCIM_PASSWORD_HASH_MAX];
    int rc = scim_store_password_hash_get(req->ctx->store, &req->auth.tenant, rt->name, id, stored,
                                          sizeof(stored), err);
    if (rc < 0)
        goto out;
    if (scim_password_matches(*password, strlen(*password), stored)) {
        sodium_memzero(*password, strlen(*password));
        scim_free(*password);
        *password = NULL;
    }
out:
    sodium_memzero(stored, sizeof(stored));
    return rc;
}

static int hash_password(const char *password, char *out, struct scim_err *err)
{
    if (scim_password_hash(password, strlen(password), out) < 0)
        return scim_err_internal(err, "Argon2id password hashing failed (out of memory?)");
    return 0;
}

/* Checks attributes= / excludedAttributes= before a write, so a bad projection is a 400 that
 * changes nothing rather than a 400 after the write happened. */
static int validate_projection(const struct scim_request *req, const struct scim_resource_type *rt,
                               struct scim_err *err)
{
    struct scim_projection p;
    int rc = scim_request_projection(req, rt, &p, err);
    if (rc == 0)
        scim_projection_clear(&p);
    return rc;
}

int scim_h_resource_create(struct scim_request *req, struct scim_err *err)
{
    const struct scim_resource_type *rt = route_rt(req);
    json_t *body = NULL, *normalized = NULL, *doc = NULL;
    char *password = NULL;
    char password_hash[SCIM_PASSWORD_HASH_MAX];
    struct scim_resource res = {0};
    int rc = validate_projection(req, rt, err);
    if (rc < 0)
        return rc;
    /* Group membership is rows, not a members array (h_groups.c). */
    if (scim_groups_is_group(rt))
        return scim_h_group_create(req, err);
    rc = scim_request_json(req, &body, err);
    if (rc < 0)
        goto out;
    /* The same IdP dialect step as PUT (string booleans, manager as a plain id). */
    rc = scim_dialect_normalize_resource(rt, body, &normalized, &req->dialect, err);
    if (rc < 0)
        goto out;
    rc = scim_request_unknown_attributes(req, rt, false, &normalized, err);
    if (rc < 0)
        goto out;
    rc = scim_resource_normalize(rt, normalized, SCIM_WRITE_CREATE, NULL, &doc, &password, err);
    if (rc < 0)
        goto out;
    /* Roles derived from groups or the default role are shown, never stored (roles.h). */
    scim_roles_strip_derived(doc);
    if (password) {
        rc = hash_password(password, password_hash, err);
        if (rc < 0)
            goto out;
    }
    /* The audit row goes into the create's transaction: no user exists without it. */
    json_t *diff = scim_audit_diff(NULL, doc, password != NULL, &req->dialect);
    struct scim_audit_row row;
    scim_audit_row_init(&row, req, 201, diff);
    json_decref(diff);
    rc = scim_store_resource_create(req->ctx->store, &req->auth.tenant, rt->name, doc,
                                    password ? password_hash : NULL, &res, &row.e, err);
    scim_audit_row_clear(&row);
    if (rc < 0)
        goto out;
    req->audit.written = true;
    snprintf(req->audit.resource_id, sizeof(req->audit.resource_id), "%s", res.id);
    rc = respond_resource(req, rt, &res, 201, err);
out:
    if (password) {
        sodium_memzero(password, strlen(password));
        scim_free(password);
    }
    scim_resource_clear(&res);
    json_decref(doc);
    json_decref(normalized);
    json_decref(body);
    return rc;
}

int scim_h_resource_get(struct scim_request *req, struct scim_err *err)
{
    const struct scim_resource_type *rt = route_rt(req);
    struct scim_resource res = {0};
    int rc = scim_store_resource_get(req->ctx->store, &req->auth.tenant, rt->name, req->params[0],
                                     &res, err);
    if (rc < 0)
        goto out;
    rc = scim_request_read_precondition(req, res.version, err);
    if (rc < 0)
        goto out;
    char inm[512];
    if (scim_resource_etag_list_matches(
            scim_request_header_list(req, "If-None-Match", inm, sizeof(inm)), res.version)) {
        scim_request_resource_headers(req, rt, &res);
        scim_request_respond(req, 304, NULL);
        goto out;
    }
    rc = respond_resource(req, rt, &res, 200, err);
out:
    scim_resource_clear(&res);
    return rc;
}

/* What a write computes from the current resource: the new document and password. It records
 * the IdP dialect rules it applied in req->dialect (cleared first: the last attempt counts). */
typedef int (*compute_fn)(struct scim_request *req, const struct scim_resource_type *rt,
                          const json_t *body, const struct scim_resource *current, json_t **doc,
                          char **password, bool *changed, struct scim_err *err);

/* PUT: the body, after the dialect step (string booleans, manager as a string), replaces the
 * resource (RFC 7644 §3.5.1). */
static int compute_replace(struct scim_request *req, const struct scim_resource_type *rt,
                           const json_t *body, const struct scim_resource *current, json_t **doc,
                           char **password, bool *changed, struct scim_err *err)
{
    json_t *normalized = NULL;
    scim_dialect_report_clear(&req->dialect);
    int rc = scim_dialect_normalize_resource(rt, body, &normalized, &req->dialect, err);
    if (rc < 0)
        goto out;
    rc = scim_request_unknown_attributes(req, rt, false, &normalized, err);
    if (rc < 0)
        goto out;
    rc = scim_resource_normalize(rt, normalized, SCIM_WRITE_REPLACE, current->doc, doc, password,
                                 err);
    *changed = rc == 0 && (*password != NULL || !json_equal(*doc, current->doc));
out:
    json_decref(normalized);
    return rc;
}

/* PATCH: the dialect step rewrites the PatchOp body into standard form (dialect.c), the engine
 * applies it to a copy (patch.c, RFC 7644 §3.5.2), and the result is validated as a PUT would
 * be. A PATCH that changes nothing leaves *changed false, so version and lastModified stay. */
static int compute_patch(struct scim_request *req, const struct scim_resource_type *rt,
                         const json_t *body, const struct scim_resource *current, json_t **doc,
                         char **password, bool *changed, struct scim_err *err)
{
    struct scim_patch_limits limits = {(size_t)req->ctx->cfg->patch_max_operations};
    json_t *normalized = NULL;
    json_t *patched = NULL;
    scim_dialect_report_clear(&req->dialect);
    int rc = scim_dialect_normalize_patch(rt, current->doc, body, &normalized, &req->dialect, err);
    if (rc < 0)
        goto out;
    rc = scim_request_unknown_attributes(req, rt, true, &normalized, err);
    if (rc < 0)
        goto out;
    rc = scim_patch_apply(rt, current->doc, normalized, &limits, &patched, changed, err);
    if (rc < 0 || !*changed)
        goto out;
    rc = scim_resource_normalize(rt, patched, SCIM_WRITE_REPLACE, current->doc, doc, password, err);
    if (rc == 0)
        *changed = *password != NULL || !json_equal(*doc, current->doc);
out:
    json_decref(patched);
    json_decref(normalized);
    return rc;
}

/*
 * The deactivation hook: modify() calls it once when a PUT or PATCH turned "active" from true
 * (or unset) to false. The user stays visible with "active": false; the host application learns
 * of it from this log line and req->deactivated now, and from the audit row and change event
 * that later issues add here.
 */
static void on_deactivated(struct scim_request *req, const struct scim_resource *res)
{
    req->deactivated = true;
    scim_log(SCIM_LOG_INFO, "user deactivated tenant=%s id=%s request_id=%s", req->auth.tenant.name,
             res->id, req->request_id);
}

/* True when a write from before to after (normalised documents) deactivates the resource. */
static bool deactivates(const json_t *before, const json_t *after)
{
    return json_is_false(json_object_get(after, "active")) &&
           !json_is_false(json_object_get(before, "active"));
}

/*
 * Read-modify-write with optimistic concurrency: read the current version, compute the new
 * document, write it only if the version is unchanged. Without If-Match a lost race is retried
 * on the fresh version; with If-Match it is a 412, as RFC 7644 §3.14 requires.
 */
static int modify(struct scim_request *req, compute_fn compute, struct scim_err *err)
{
    const struct scim_resource_type *rt = route_rt(req);
    json_t *body = NULL, *doc = NULL;
    char *password = NULL;
    char password_hash[SCIM_PASSWORD_HASH_MAX];
    struct scim_resource current = {0}, updated = {0};
    int64_t required = -1;
    int rc = validate_projection(req, rt, err);
    if (rc < 0)
        goto out;
    rc = scim_request_json(req, &body, err);
    if (rc < 0)
        goto out;
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        scim_resource_clear(&current);
        json_decref(doc);
        doc = NULL;
        scim_free(password);
        password = NULL;
        rc = scim_store_resource_get(req->ctx->store, &req->auth.tenant, rt->name, req->params[0],
                                     &current, err);
        if (rc < 0)
            goto out;
        rc = scim_request_write_precondition(req, current.version, &required, err);
        if (rc < 0)
            goto out;
        bool changed = false;
        rc = compute(req, rt, body, &current, &doc, &password, &changed, err);
        if (rc < 0)
            goto out;
        /* Group-derived and default roles a client sent back are not its own (roles.h). */
        if (changed && scim_roles_strip_derived(doc))
            changed = password != NULL || !json_equal(doc, current.doc);
        /* A password re-sent unchanged (Okta's password push sends it with every update) is no
         * change: the version stays when nothing else differs. */
        if (changed && password) {
            rc = password_unchanged(req, rt, current.id, &password, err);
            if (rc < 0)
                goto out;
            changed = password != NULL || !json_equal(doc, current.doc);
        }
        if (!changed) {
            /* Nothing to write: version and lastModified stay as they are. */
            rc = respond_resource(req, rt, &current, 200, err);
            goto out;
        }
        if (password) {
            rc = hash_password(password, password_hash, err);
            if (rc < 0)
                goto out;
        }
        /* The audit row (what changed, secrets redacted, dialect rules) is written in the
         * replace's transaction. */
        json_t *diff = scim_audit_diff(current.doc, doc, password != NULL, &req->dialect);
        struct scim_audit_row row;
        scim_audit_row_init(&row, req, 200, diff);
        json_decref(diff);
        rc = scim_store_resource_replace(req->ctx->store, &req->auth.tenant, rt->name, current.id,
                                         current.version, doc, password ? password_hash : NULL,
                                         &updated, &row.e, err);
        scim_audit_row_clear(&row);
        if (rc == SCIM_EPRECONDITION && required < 0)
            continue;
        if (rc < 0)
            goto out;
        req->audit.written = true;
        if (deactivates(current.doc, doc))
            on_deactivated(req, &updated);
        rc = respond_resource(req, rt, &updated, 200, err);
        goto out;
    }
    rc = scim_err_set(err, 409, NULL,
                      "The resource is being changed by other requests; retry the request.");
out:
    if (password) {
        sodium_memzero(password, strlen(password));
        scim_free(password);
    }
    scim_resource_clear(&current);
    scim_resource_clear(&updated);
    json_decref(doc);
    json_decref(body);
    return rc;
}

int scim_h_resource_replace(struct scim_request *req, struct scim_err *err)
{
    if (scim_groups_is_group(route_rt(req)))
        return scim_h_group_replace(req, err);
    return modify(req, compute_replace, err);
}

int scim_h_resource_patch(struct scim_request *req, struct scim_err *err)
{
    if (scim_groups_is_group(route_rt(req)))
        return scim_h_group_patch(req, err);
    return modify(req, compute_patch, err);
}

/*
 * DELETE reads the resource first so that its audit row records what was deleted, then deletes
 * that version (or the If-Match one) with the row in the same transaction; a concurrent change
 * in between is retried like a write without If-Match.
 */
int scim_h_resource_delete(struct scim_request *req, struct scim_err *err)
{
    const struct scim_resource_type *rt = route_rt(req);
    struct scim_resource current = {0};
    int64_t required = -1;
    int rc = 0;
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        scim_resource_clear(&current);
        rc = scim_store_resource_get(req->ctx->store, &req->auth.tenant, rt->name, req->params[0],
                                     &current, err);
        if (rc < 0)
            goto out;
        rc = scim_request_write_precondition(req, current.version, &required, err);
        if (rc < 0)
            goto out;
        json_t *diff = scim_audit_diff(current.doc, NULL, false, NULL);
        struct scim_audit_row row;
        scim_audit_row_init(&row, req, 204, diff);
        json_decref(diff);
        rc = scim_store_resource_delete(req->ctx->store, &req->auth.tenant, rt->name, current.id,
                                        required >= 0 ? required : current.version, &row.e, err);
        scim_audit_row_clear(&row);
        if (rc == SCIM_EPRECONDITION && required < 0)
            continue;
        if (rc < 0)
            goto out;
        req->audit.written = true;
        scim_request_respond(req, 204, NULL);
        goto out;
    }
    rc = scim_err_set(err, 409, NULL,
                      "The resource is being changed by other requests; retry the request.");
out:
    scim_resource_clear(&current);
    return rc;
}
