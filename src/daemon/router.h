/*
 * router — the route table (method, path pattern, handler, flags) and dispatch: pattern match,
 * 405 with Allow for a known path and wrong method, one SCIM 404 for anything unclaimed,
 * media type, abuse limits (ratelimit.h), authentication and scope checks for routes that need
 * them, then the handler.
 * Owns: the table. Must not: contain endpoint logic.
 */
#ifndef SCIM_ROUTER_H
#define SCIM_ROUTER_H

#include "request.h"

/* A handler fills req's response and returns 0, or returns a negative scim_rc with err set. */
typedef int (*scim_handler_fn)(struct scim_request *req, struct scim_err *err);

/* Routes req (method and path) and runs its handler. */
int scim_router_dispatch(struct scim_request *req, struct scim_err *err);

/* Counts one failed authentication against req's source address (the failed-authentication limit
 * of ratelimit.h); for handlers that authenticate clients themselves (/oauth/token). */
void scim_router_auth_failed(struct scim_request *req);

#endif
