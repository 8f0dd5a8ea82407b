/*
 * deadline — the slow-client defence (deadline.c): a connection gets --request-timeout seconds to
 * deliver each request's headers, counted from when it opened or its previous request completed;
 * a watchdog thread shuts down the ones that do not. server.c wires the calls below into
 * libmicrohttpd's connection and request callbacks.
 */
#ifndef SCIMD_DEADLINE_H
#define SCIMD_DEADLINE_H

#include <stdint.h>

struct scimd_deadlines;

/* Starts the watchdog; NULL when the thread cannot start. Stop it after libmicrohttpd. */
struct scimd_deadlines *scimd_deadlines_start(int64_t timeout_s);
void scimd_deadlines_stop(struct scimd_deadlines *d);

/* A connection on socket fd opened / closed (libmicrohttpd's connection notification; the
 * record lives in its socket context). */
void scimd_deadlines_opened(struct scimd_deadlines *d, int fd, void **socket_context);
void scimd_deadlines_closed(struct scimd_deadlines *d, void **socket_context);

/* The connection's current request has its headers / has completed (the next one's deadline
 * starts now). Lock-free: called on every request. */
void scimd_deadlines_headers_in(struct scimd_deadlines *d, void *socket_context);
void scimd_deadlines_request_done(struct scimd_deadlines *d, void *socket_context);

#endif
