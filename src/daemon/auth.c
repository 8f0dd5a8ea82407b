/*
 * auth — resolves "Authorization: Bearer <token>" to a tenant, token id and scopes. The token is
 * hashed with SHA-256 and looked up by hash; the stored hash is compared again in constant time.
 * Every failure is a 401 with a SCIM Error and WWW-Authenticate (RFC 6750 §3); the detail says
 * what is wrong without echoing the token.
 */
#include "auth.h"

#include "audit.h"
#include "resource.h"
#include "token.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#define REALM "Bearer realm=\"scimd\""
#define SCIM_TOKEN_TOUCH_INTERVAL_MS 60000

static int unauthorized(struct scim_request *req, struct scim_err *err, bool token_given,
                        const char *detail)
{
    scim_request_add_header(req, "WWW-Authenticate",
                            token_given ? REALM ", error=\"invalid_token\"" : REALM);
    return scim_err_set(err, 401, NULL, "%s", detail);
}

int scim_auth_bearer(struct scim_request *req, struct scim_err *err)
{
    const char *header = scim_request_header(req, "Authorization");
    if (!header || !header[0])
        return unauthorized(req, err, false,
                            "Authentication required: send 'Authorization: Bearer <token>'.");
    const char *token = header;
    if (strncasecmp(header, "Bearer ", 7) == 0) {
        token = header + 7;
    } else {
        /* okta.token-without-bearer: Okta's "HTTP Header" authentication sends the header value
         * as the admin typed it, often the token alone. A value that is a whole well-formed
         * token is taken as one (it is verified like any other). */
        size_t n = strlen(header);
        while (n > 0 && header[n - 1] == ' ')
            n--;
        if (!scim_token_well_formed(header, n))
            return unauthorized(req, err, false,
                                "The Authorization header must use the Bearer scheme: "
                                "'Authorization: Bearer <token>'.");
        req->auth.without_bearer = true;
    }
    while (*token == ' ')
        token++;
    size_t len = strlen(token);
    while (len > 0 && token[len - 1] == ' ')
        len--;
    if (!scim_token_well_formed(token, len))
        return unauthorized(req, err, true, "The bearer token is malformed.");

    unsigned char hash[SCIM_TOKEN_HASH_BYTES];
    scim_token_hash(token, len, hash);
    /* An address over its failure limit tries no new tokens; the router answers 429. */
    if (req->auth.known_tokens_only && !scim_request_token_known(req, hash))
        return scim_err_set(err, 429, NULL, "Too many failed authentications from this address.");
    struct scim_token_record rec;
    struct scim_err lookup_err;
    scim_err_clear(&lookup_err);
    int rc = scim_store_token_find(req->ctx->store, hash, &rec, &lookup_err);
    if (rc == SCIM_ENOTFOUND)
        return unauthorized(req, err, true, "The bearer token is not valid.");
    if (rc < 0) {
        *err = lookup_err;
        return rc;
    }
    /* The index found the row; confirm the stored hash in constant time all the same. */
    if (!scim_token_hash_equal(hash, rec.hash))
        return unauthorized(req, err, true, "The bearer token is not valid.");
    unsigned scopes = 0;
    int scopes_rc = scim_token_parse_scopes(rec.scopes, &scopes);
    /* From here the token is known: the audit row names it (never the plaintext), also when
     * the request is refused below. */
    scim_audit_actor(rec.id, scopes, rec.client_id, req->audit.actor, sizeof(req->audit.actor));
    req->audit.tenant_id = rec.tenant.id;
    int64_t now = scim_time_now_ms();
    if (rec.revoked_ms != 0)
        return unauthorized(req, err, true, "The bearer token has been revoked.");
    if (rec.expires_ms != 0 && rec.expires_ms <= now)
        return unauthorized(req, err, true, "The bearer token has expired.");
    if (scopes_rc < 0)
        return unauthorized(req, err, true, "The bearer token carries an unknown scope.");

    req->auth.ok = true;
    scim_request_token_good(req, hash);
    req->auth.tenant = rec.tenant;
    memcpy(req->auth.token_id, rec.id, sizeof(req->auth.token_id));
    req->auth.token_id[sizeof(req->auth.token_id) - 1] = '\0';
    req->auth.scopes = scopes;
    memcpy(req->auth.client_id, rec.client_id, sizeof(req->auth.client_id));
    req->auth.client_id[sizeof(req->auth.client_id) - 1] = '\0';
    /* Last-use bookkeeping is minute-grained, so most requests skip the write entirely, and it
     * must never fail a request. */
    if (now - rec.last_used_ms >= SCIM_TOKEN_TOUCH_INTERVAL_MS) {
        struct scim_err touch_err;
        scim_store_token_touch(req->ctx->store, rec.id, now, &touch_err);
    }
    sodium_memzero(hash, sizeof(hash));
    return 0;
}
