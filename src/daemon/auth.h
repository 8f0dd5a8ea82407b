/*
 * auth — bearer-token authentication (RFC 6750 §2.1): the Authorization header (scheme
 * case-insensitive), token shape check, SHA-256 lookup in the store, expiry and revocation,
 * last-use bookkeeping, and the scopes the token grants.
 * Owns: the 401 responses and their WWW-Authenticate header. Must not: log a token.
 */
#ifndef SCIM_AUTH_H
#define SCIM_AUTH_H

#include "request.h"

/*
 * Authenticates req; on success fills req->auth and returns 0. Otherwise returns a negative
 * scim_rc with a 401 in err and adds WWW-Authenticate to req.
 */
int scim_auth_bearer(struct scim_request *req, struct scim_err *err);

#endif
