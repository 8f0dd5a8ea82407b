/*
 * h_oauth — POST /oauth/token, the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) that
 * Microsoft Entra's app gallery uses: the client (created with `scimctl client create`)
 * authenticates with its id and secret, either in the form body (client_id, client_secret,
 * §2.3.1) or with HTTP Basic (id and secret form-urlencoded, then base64), sends
 * grant_type=client_credentials as application/x-www-form-urlencoded (§4.4.2), and receives a
 * short-lived bearer access token (§4.4.3, §5.1). The access token is stored like a static token
 * (its SHA-256 only, in the same table) with the client's tenant and scopes, so auth.c
 * authenticates SCIM requests with it exactly as with a static token; revoking the client revokes
 * it. Errors are the JSON of §5.2 ({"error", "error_description"}), not SCIM Errors, as the RFC
 * requires: invalid_client is a 401 with WWW-Authenticate (RFC 7235 §3.1 requires the header on
 * every 401; §5.2 requires it when Basic was used), the others are 400s.
 * Owns: the form and Basic parsing and the token response. Must not: log or store a client
 * secret or an access token plaintext, or build SQL.
 */
#include "handlers.h"

#include "audit.h"
#include "mem.h"
#include "resource.h"
#include "router.h"
#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_PARAMS 16
#define JSON_TYPE "application/json; charset=utf-8"
#define SECRET_MAX 256
/* The size of struct scim_client_record.id: a longer client_id is unknown. */
#define CLIENT_ID_MAX 48

/* One decoded form parameter (owned strings). */
struct param {
    char *name;
    char *value;
};

struct form {
    struct param p[MAX_PARAMS];
    size_t n;
};

static void form_clear(struct form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        scim_free(f->p[i].name);
        if (f->p[i].value) {
            sodium_memzero(f->p[i].value, strlen(f->p[i].value));
            scim_free(f->p[i].value);
        }
    }
    f->n = 0;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Decodes s[0..len) from application/x-www-form-urlencoded ('+' is a space, %XX a byte) into a
 * new string (scim_free); NULL when an escape is malformed or decodes to a NUL byte.
 */
static char *form_decode(const char *s, size_t len)
{
    char *out = scim_malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len) {
                scim_free(out);
                return NULL;
            }
            int h = hex_digit(s[i + 1]), l = hex_digit(s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                scim_free(out);
                return NULL;
            }
            c = (char)(h * 16 + l);
            i += 2;
        } else if (c == '\0') {
            scim_free(out);
            return NULL;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return out;
}

/* The value of the only parameter called name, or NULL. */
static const char *form_get(const struct form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->p[i].name, name) == 0)
            return f->p[i].value;
    return NULL;
}

/* Parses the body; false (with *why set) when it is not a well-formed form of at most
 * MAX_PARAMS distinct parameters (RFC 6749 §3.2: no parameter more than once). */
static bool form_parse(const char *body, size_t len, struct form *f, const char **why)
{
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            const char *eq = memchr(body + i, '=', end - i);
            size_t name_len = eq ? (size_t)(eq - (body + i)) : end - i;
            if (f->n == MAX_PARAMS) {
                *why = "too many parameters";
                return false;
            }
            char *name = form_decode(body + i, name_len);
            char *value =
                eq ? form_decode(eq + 1, (size_t)(body + end - (eq + 1))) : scim_strdup("");
            if (!name || !value) {
                scim_free(name);
                scim_free(value);
                *why = "a parameter is not valid form encoding";
                return false;
            }
            if (form_get(f, name)) {
                scim_free(name);
                sodium_memzero(value, strlen(value));
                scim_free(value);
                *why = "a parameter is repeated";
                return false;
            }
            f->p[f->n].name = name;
            f->p[f->n].value = value;
            f->n++;
        }
        i = end + 1;
    }
    return true;
}

/* Responds with an RFC 6749 §5.2 error. */
static int oauth_error(struct scim_request *req, int status, const char *error,
                       const char *description)
{
    if (status == 401)
        scim_request_add_header(req, "WWW-Authenticate", "Basic realm=\"scimd\"");
    scim_request_add_header(req, "Content-Type", JSON_TYPE);
    scim_request_add_header(req, "Cache-Control", "no-store");
    scim_request_add_header(req, "Pragma", "no-cache");
    scim_request_respond(req, status,
                         json_pack("{s:s, s:s}", "error", error, "error_description", description));
    return 0;
}

/* A client that could not be authenticated: 401 invalid_client, counted against the address. */
static int invalid_client(struct scim_request *req, const char *description)
{
    scim_router_auth_failed(req);
    return oauth_error(req, 401, "invalid_client", description);
}

/*
 * Reads HTTP Basic credentials (RFC 6749 §2.3.1, RFC 7617) into owned strings. Returns 1 when
 * the header uses Basic and decodes, 0 when there is no Basic header, -1 when it is malformed.
 */
static int basic_credentials(const struct scim_request *req, char **id, char **secret)
{
    const char *h = scim_request_header(req, "Authorization");
    if (!h || strncasecmp(h, "Basic ", 6) != 0)
        return 0;
    const char *b64 = h + 6;
    while (*b64 == ' ')
        b64++;
    size_t len = strlen(b64);
    if (len == 0 || len > 4 * SECRET_MAX)
        return -1;
    unsigned char *raw = scim_malloc(len);
    size_t raw_len = 0;
    int rc = -1;
    if (sodium_base642bin(raw, len, b64, len, NULL, &raw_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        goto out;
    const unsigned char *colon = memchr(raw, ':', raw_len);
    if (!colon)
        goto out;
    *id = form_decode((const char *)raw, (size_t)(colon - raw));
    *secret = form_decode((const char *)colon + 1, raw_len - (size_t)(colon - raw) - 1);
    if (!*id || !*secret) {
        scim_free(*id);
        scim_free(*secret);
        *id = *secret = NULL;
        goto out;
    }
    rc = 1;
out:
    sodium_memzero(raw, len);
    scim_free(raw);
    return rc;
}

/* True when every scope of requested (bits) is among granted (a client's scope string);
 * scim:read counts as part of scim, so a client may ask for less than it holds (RFC 6749 §3.3). */
static bool scopes_within(unsigned requested, const char *granted)
{
    unsigned granted_bits = 0;
    if (scim_token_parse_scopes(granted, &granted_bits) < 0)
        return false;
    if (granted_bits & SCIM_SCOPE_SCIM)
        granted_bits |= SCIM_SCOPE_SCIM_READ;
    return (requested & ~granted_bits) == 0;
}

/* Verifies client_id/secret against the store; fills *client on success. Returns NULL when the
 * client is authenticated, else the description of an invalid_client error. */
static const char *authenticate(struct scim_request *req, const char *client_id, const char *secret,
                                struct scim_client_record *client)
{
    unsigned char hash[SCIM_TOKEN_HASH_BYTES];
    struct scim_err err;
    scim_err_clear(&err);
    /* The hash is computed before the lookup, so an unknown id costs what a known one does. */
    scim_token_hash(secret, strlen(secret), hash);
    int rc = scim_store_client_get(req->ctx->store, client_id, client, &err);
    bool match = rc == 0 && scim_token_hash_equal(hash, client->secret_hash);
    sodium_memzero(hash, sizeof(hash));
    if (rc == 0) {
        /* A known client is named in the audit row, also when it fails. */
        snprintf(req->audit.actor, sizeof(req->audit.actor), "oauth-client:%s", client->id);
        req->audit.tenant_id = client->tenant.id;
    }
    if (rc < 0 && rc != SCIM_ENOTFOUND)
        return "The client could not be verified (server error); retry later.";
    if (!match)
        return "Client authentication failed: unknown client or wrong secret.";
    if (client->revoked_ms != 0)
        return "This client has been revoked.";
    return NULL;
}

int scim_h_oauth_token(struct scim_request *req, struct scim_err *err)
{
    struct form form = {0};
    char *basic_id = NULL, *basic_secret = NULL;
    char plain[SCIM_TOKEN_PLAIN_MAX] = "";
    struct scim_audit_row row = {0};
    int rc = 0;
    req->audit.resource_type = "OAuthClient";
    const char *ct = scim_request_header(req, "Content-Type");
    size_t ct_len = ct ? strcspn(ct, "; \t") : 0;
    if (ct_len != 33 || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        rc = oauth_error(req, 400, "invalid_request",
                         "The request must be application/x-www-form-urlencoded (RFC 6749 "
                         "§4.4.2).");
        goto out;
    }
    const char *why = NULL;
    if (!form_parse(req->body ? req->body : "", req->body_len, &form, &why)) {
        rc = oauth_error(req, 400, "invalid_request", why);
        goto out;
    }
    int basic = basic_credentials(req, &basic_id, &basic_secret);
    if (basic < 0) {
        rc = invalid_client(req, "The Basic Authorization header is malformed.");
        goto out;
    }
    const char *client_id = form_get(&form, "client_id");
    const char *secret = form_get(&form, "client_secret");
    if (basic == 1) {
        if (secret || (client_id && strcmp(client_id, basic_id) != 0)) {
            rc = oauth_error(req, 400, "invalid_request",
                             "Use one client authentication method: HTTP Basic or client_id and "
                             "client_secret in the body, not both (RFC 6749 §2.3).");
            goto out;
        }
        client_id = basic_id;
        secret = basic_secret;
    }
    const char *grant = form_get(&form, "grant_type");
    if (!grant) {
        rc = oauth_error(req, 400, "invalid_request", "grant_type is required.");
        goto out;
    }
    if (strcmp(grant, "client_credentials") != 0) {
        rc = oauth_error(req, 400, "unsupported_grant_type",
                         "Only grant_type=client_credentials is supported.");
        goto out;
    }
    if (!client_id || !client_id[0] || !secret || !secret[0]) {
        rc = invalid_client(req, "Client authentication is required: client_id and "
                                 "client_secret, or HTTP Basic.");
        goto out;
    }
    if (strlen(client_id) >= CLIENT_ID_MAX || strlen(secret) > SECRET_MAX) {
        rc = invalid_client(req, "Client authentication failed: unknown client or wrong secret.");
        goto out;
    }
    snprintf(req->audit.resource_id, sizeof(req->audit.resource_id), "%.47s", client_id);
    struct scim_client_record client;
    const char *failure = authenticate(req, client_id, secret, &client);
    if (failure) {
        rc = invalid_client(req, failure);
        goto out;
    }
    unsigned scope_bits = 0;
    const char *requested = form_get(&form, "scope");
    if (requested && requested[0] &&
        (scim_token_parse_scopes(requested, &scope_bits) < 0 ||
         !scopes_within(scope_bits, client.scopes))) {
        rc = oauth_error(req, 400, "invalid_scope",
                         "The requested scope is not one this client was granted.");
        goto out;
    }

    /* Mint the access token: a bearer token like any other, bound to the client. */
    struct scim_token_record rec;
    memset(&rec, 0, sizeof(rec));
    unsigned char hash[SCIM_TOKEN_HASH_BYTES];
    char id[SCIM_TOKEN_ID_MAX];
    scim_token_mint(req->ctx->cfg->token_prefix, plain, hash, id);
    int64_t lifetime_s = req->ctx->cfg->oauth_token_lifetime_minutes * 60;
    rec.tenant = client.tenant;
    snprintf(rec.id, sizeof(rec.id), "%s", id);
    snprintf(rec.description, sizeof(rec.description), "OAuth access token of client %s",
             client.id);
    snprintf(rec.scopes, sizeof(rec.scopes), "%s",
             requested && requested[0] ? requested : client.scopes);
    snprintf(rec.client_id, sizeof(rec.client_id), "%s", client.id);
    scim_token_hint(plain, rec.hint, sizeof(rec.hint));
    rec.created_ms = scim_time_now_ms();
    rec.expires_ms = rec.created_ms + lifetime_s * 1000;
    scim_audit_row_init(&row, req, 200, NULL);
    row.e.tenant_id = client.tenant.id;
    row.e.resource_type = "OAuthClient";
    row.e.resource_id = client.id;
    rc = scim_store_token_insert(req->ctx->store, &rec, hash, &row.e, err);
    /* The client authenticated from this address: its new token is one the failed-auth limiter
     * lets through (ratelimit.h), also when the address is blocked before the token's first use
     * (clients behind a proxy rotate tokens every hour). */
    if (rc == 0)
        scim_request_token_good(req, hash);
    sodium_memzero(hash, sizeof(hash));
    if (rc < 0)
        goto out;
    req->audit.written = true;
    scim_request_add_header(req, "Content-Type", JSON_TYPE);
    scim_request_add_header(req, "Cache-Control", "no-store");
    scim_request_add_header(req, "Pragma", "no-cache");
    scim_request_respond(req, 200,
                         json_pack("{s:s, s:s, s:I, s:s}", "access_token", plain, "token_type",
                                   "Bearer", "expires_in", (json_int_t)lifetime_s, "scope",
                                   rec.scopes));
out:
    sodium_memzero(plain, sizeof(plain));
    scim_audit_row_clear(&row);
    if (basic_secret) {
        sodium_memzero(basic_secret, strlen(basic_secret));
        scim_free(basic_secret);
    }
    scim_free(basic_id);
    form_clear(&form);
    return rc;
}
