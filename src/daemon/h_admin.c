/*
 * h_admin — the admin API under /api/v1 for an organisation administrator (a token with scope
 * admin; the router checks it), always for the admin token's own tenant:
 *   POST   /api/v1/org/scim-tokens        mint a token (plaintext in this response only)
 *   GET    /api/v1/org/scim-tokens        token metadata, never a plaintext or hash
 *   DELETE /api/v1/org/scim-tokens/{id}   revoke at once (the next request with it is a 401)
 *   GET    /api/v1/audit                  the tenant's audit rows, newest first, cursor paging
 * Token changes are audited inside their own transaction (store.h); times are RFC 3339 UTC.
 * docs/ADMIN_API.md is the reference. Errors are SCIM Errors like everywhere else in scimd.
 * Owns: the request and response shapes of the admin API. Must not: build SQL, or keep or log a
 * token plaintext beyond the one response that shows it.
 */
#include "handlers.h"

#include "audit.h"
#include "mem.h"
#include "resource.h"
#include "token.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 60 * 60 * 1000)
#define MAX_DAYS 365
#define AUDIT_DEFAULT_LIMIT 100

/* Returns a new reference: the space-separated scope text as a JSON array of names. */
static json_t *scopes_array(const char *text)
{
    json_t *out = json_array();
    while (text && *text) {
        size_t n = strcspn(text, " ,");
        if (n > 0)
            json_array_append_new(out, json_stringn(text, n));
        text += n;
        while (*text == ' ' || *text == ',')
            text++;
    }
    return out;
}

/* Reads "description" (required; scim_token_description_problem says what is acceptable). */
static int body_description(const json_t *body, const char **out, struct scim_err *err)
{
    const json_t *v = json_object_get(body, "description");
    if (!v)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "\"description\" is required: say which identity provider will use "
                            "the token, e.g. \"Okta SCIM\".");
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "\"description\" must be a string of 1 to %d characters.",
                            SCIM_DESCRIPTION_MAX_CHARS);
    const char *problem = scim_token_description_problem(json_string_value(v));
    if (problem)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "\"description\" %s.", problem);
    *out = json_string_value(v);
    return 0;
}

/* Reads "expires_in_days" (required, a JSON integer from 1 to 365). */
static int body_days(const json_t *body, int64_t *out, struct scim_err *err)
{
    const json_t *v = json_object_get(body, "expires_in_days");
    if (!v)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "\"expires_in_days\" is required: an integer from 1 to %d.", MAX_DAYS);
    if (!json_is_integer(v))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "\"expires_in_days\" must be a JSON integer from 1 to %d (not a %s).",
                            MAX_DAYS,
                            json_is_string(v) ? "string"
                            : json_is_real(v) ? "fraction"
                                              : "value");
    json_int_t days = json_integer_value(v);
    if (days < 1 || days > MAX_DAYS)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "\"expires_in_days\" must be from 1 to %d, got %lld.", MAX_DAYS,
                            (long long)days);
    *out = (int64_t)days;
    return 0;
}

/* Reads "scopes" (optional array of known scope names; default ["scim"]) into text. */
static int body_scopes(const json_t *body, char *text, size_t size, struct scim_err *err)
{
    const json_t *v = json_object_get(body, "scopes");
    unsigned bits = 0;
    if (!v) {
        bits = SCIM_SCOPE_SCIM;
    } else if (!json_is_array(v) || json_array_size(v) == 0) {
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "\"scopes\" must be a non-empty array of \"scim\", \"scim:read\" "
                            "and \"admin\".");
    }
    size_t i;
    const json_t *item;
    json_array_foreach (v, i, item) {
        unsigned bit = 0;
        const char *name = json_string_value(item);
        if (!name || strpbrk(name, " ,") || scim_token_parse_scopes(name, &bit) < 0)
            bit = 0;
        if (!bit)
            return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                                "\"scopes\"[%zu] is not a scope; use \"scim\", \"scim:read\" or "
                                "\"admin\".",
                                i);
        bits |= bit;
    }
    scim_token_scopes_text(bits, text, size);
    return 0;
}

int scim_h_admin_tokens_create(struct scim_request *req, struct scim_err *err)
{
    json_t *body = NULL, *meta = NULL, *diff = NULL;
    const char *description = NULL;
    int64_t days = 0;
    struct scim_token_record rec;
    struct scim_audit_row row = {0};
    char plain[SCIM_TOKEN_PLAIN_MAX] = "";
    memset(&rec, 0, sizeof(rec));
    req->audit.resource_type = "Token";
    int rc = scim_request_json(req, &body, err);
    if (rc < 0)
        goto out;
    rc = body_description(body, &description, err);
    if (rc < 0)
        goto out;
    rc = body_days(body, &days, err);
    if (rc < 0)
        goto out;
    rc = body_scopes(body, rec.scopes, sizeof(rec.scopes), err);
    if (rc < 0)
        goto out;

    unsigned char hash[SCIM_TOKEN_HASH_BYTES];
    char id[SCIM_TOKEN_ID_MAX];
    scim_token_mint(req->ctx->cfg->token_prefix, plain, hash, id);
    rec.tenant = req->auth.tenant;
    snprintf(rec.id, sizeof(rec.id), "%s", id);
    snprintf(rec.description, sizeof(rec.description), "%s", description);
    scim_token_hint(plain, rec.hint, sizeof(rec.hint));
    rec.created_ms = scim_time_now_ms();
    rec.expires_ms = rec.created_ms + days * DAY_MS;
    snprintf(req->audit.resource_id, sizeof(req->audit.resource_id), "%s", rec.id);

    char created[SCIM_TIME_BUF], expires[SCIM_TIME_BUF];
    scim_time_format(rec.created_ms, created, sizeof(created));
    scim_time_format(rec.expires_ms, expires, sizeof(expires));
    /* The metadata, which is also what the audit row records: never the plaintext. */
    meta = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s}", "id", rec.id, "description", rec.description,
                     "scopes", scopes_array(rec.scopes), "hint", rec.hint, "created_at", created,
                     "expires_at", expires);
    diff = scim_audit_diff(NULL, meta, false, NULL);
    scim_audit_row_init(&row, req, 201, diff);
    rc = scim_store_token_insert(req->ctx->store, &rec, hash, &row.e, err);
    sodium_memzero(hash, sizeof(hash));
    if (rc < 0)
        goto out;
    req->audit.written = true;
    json_object_set_new(meta, "token", json_string(plain));
    /* The one response that carries the plaintext must not be cached anywhere. */
    scim_request_add_header(req, "Cache-Control", "no-store");
    scim_request_respond(req, 201, meta);
    meta = NULL;
out:
    sodium_memzero(plain, sizeof(plain));
    scim_audit_row_clear(&row);
    json_decref(diff);
    json_decref(meta);
    json_decref(body);
    return rc;
}

int scim_h_admin_tokens_list(struct scim_request *req, struct scim_err *err)
{
    json_t *list = NULL;
    req->audit.resource_type = "Token";
    int rc = scim_store_token_list(req->ctx->store, &req->auth.tenant, &list, err);
    if (rc < 0)
        return rc;
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        /* The tenant is the caller's own; scopes become an array as in the create response. */
        json_object_del(item, "tenant");
        json_object_set_new(item, "scopes",
                            scopes_array(json_string_value(json_object_get(item, "scopes"))));
    }
    scim_request_respond(req, 200, json_pack("{s:o}", "tokens", list));
    return 0;
}

int scim_h_admin_tokens_revoke(struct scim_request *req, struct scim_err *err)
{
    const char *id = req->params[0];
    struct scim_audit_row row;
    req->audit.resource_type = "Token";
    snprintf(req->audit.resource_id, sizeof(req->audit.resource_id), "%s", id);
    scim_audit_row_init(&row, req, 204, NULL);
    int rc = scim_store_token_revoke(req->ctx->store, &req->auth.tenant, id, scim_time_now_ms(),
                                     &row.e, err);
    scim_audit_row_clear(&row);
    if (rc == SCIM_ENOTFOUND)
        return scim_err_set(err, 404, NULL,
                            "Token '%.64s' is not one of this organisation's tokens; see GET "
                            "/api/v1/org/scim-tokens.",
                            id);
    if (rc < 0)
        return rc;
    req->audit.written = true;
    scim_request_respond(req, 204, NULL);
    return 0;
}

/* Reads an optional RFC 3339 time parameter into *out (0 when absent). */
static int query_time(const struct scim_request *req, const char *name, int64_t *out,
                      struct scim_err *err)
{
    const char *v = scim_request_query(req, name);
    *out = 0;
    if (!v)
        return 0;
    int64_t ms = scim_time_parse(v);
    if (ms < 0)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "'%s' must be an RFC 3339 time such as 2026-01-15T12:00:00Z, got "
                            "'%.64s'.",
                            name, v);
    *out = ms;
    return 0;
}

int scim_h_admin_audit(struct scim_request *req, struct scim_err *err)
{
    struct scim_audit_query q = {.limit = AUDIT_DEFAULT_LIMIT};
    json_t *entries = NULL;
    char *next = NULL;
    static const char *const known[] = {"since",       "until", "actor",  "actorEmail",
                                        "resource_id", "limit", "cursor", NULL};
    const char *unknown = scim_request_unknown_query(req, known);
    if (unknown)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "Unknown parameter '%.64s'; the audit search takes since, until, "
                            "actor (or actorEmail), resource_id, limit and cursor.",
                            unknown);
    int rc = query_time(req, "since", &q.since_ms, err);
    if (rc == 0)
        rc = query_time(req, "until", &q.until_ms, err);
    if (rc < 0)
        goto out;
    const char *limit = scim_request_query(req, "limit");
    if (limit) {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(limit, &end, 10);
        if (errno || end == limit || *end || n < 1 || n > SCIM_AUDIT_PAGE_MAX) {
            rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                              "'limit' must be an integer from 1 to %d.", SCIM_AUDIT_PAGE_MAX);
            goto out;
        }
        q.limit = n;
    }
    /* actorEmail is the name host applications give the field (the actor of a SCIM request is
     * "scim-key:<tokenId>"); either may be used, not two different values. */
    q.actor = scim_request_query(req, "actor");
    const char *actor_email = scim_request_query(req, "actorEmail");
    if (actor_email && q.actor && strcmp(actor_email, q.actor) != 0) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                          "'actor' and 'actorEmail' name the same field; give one.");
        goto out;
    }
    if (actor_email)
        q.actor = actor_email;
    q.resource_id = scim_request_query(req, "resource_id");
    q.cursor = scim_request_query(req, "cursor");
    /* Rows of earlier requests may still be queued: write them first, so a search sees every
     * request that was answered before it. */
    if (req->ctx->audit)
        scim_audit_log_flush(req->ctx->audit);
    rc = scim_store_audit_query(req->ctx->store, &req->auth.tenant, &q, &entries, &next, err);
    if (rc < 0)
        goto out;
    size_t i;
    json_t *item;
    json_array_foreach (entries, i, item)
        json_object_del(item, "tenant");
    scim_request_respond(req, 200,
                         json_pack("{s:o, s:o}", "entries", entries, "next_cursor",
                                   next ? json_string(next) : json_null()));
    entries = NULL;
out:
    json_decref(entries);
    scim_free(next);
    return rc;
}
