/*
 * server — the libmicrohttpd lifecycle (epoll, worker thread pool, HTTP/1.1 keep-alive), the
 * bounded request body (413 past the limit), response rendering (application/scim+json, SCIM
 * Error bodies), the one-line access log, and graceful shutdown that lets in-flight requests
 * finish. Owns: struct scim_request's lifetime. Must not: contain endpoint logic (router and
 * handlers do).
 */
#ifndef SCIM_SERVER_H
#define SCIM_SERVER_H

#include "request.h"

#include <stdint.h>

struct scimd_server;

/* Starts serving; *out is freed by scimd_server_stop. Logs the bound address and port. */
int scimd_server_start(const struct scimd_context *ctx, struct scimd_server **out,
                       struct scim_err *err);

/* The TCP port actually bound (useful with port 0). */
uint16_t scimd_server_port(const struct scimd_server *srv);

/*
 * Stops accepting connections, waits up to grace_ms for in-flight requests to finish, then
 * stops the daemon and frees srv.
 */
void scimd_server_stop(struct scimd_server *srv, int grace_ms);

#endif
