/*
 * deadline — the slow-client defence: a connection has --request-timeout seconds (at least
 * --connection-timeout + 1, server.c), from the moment it opens or its previous request
 * completes, to deliver a request's complete headers, and --request-timeout seconds for the
 * body (server.c checks the body on each piece and closes the connection). libmicrohttpd's
 * own --connection-timeout only closes a connection that stays silent, so a client sending a
 * header line every few seconds could otherwise hold a connection (and, a thousand times over,
 * every connection slot) for ever. A watchdog thread walks the open connections once a second
 * and shuts down the socket of any still waiting for headers past its deadline; libmicrohttpd
 * then closes it as it would any broken connection.
 * Owns: the list of open connections and their phase, the watchdog thread. Must not: close a
 * socket itself (shutdown only, under the lock that the close notification also takes, so the
 * descriptor is still the connection's), or touch a connection's request.
 */
#include "deadline.h"

#include "log.h"
#include "mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* How often the watchdog looks. */
#define SWEEP_MS 1000

/* One open connection. The phase is written by the connection's thread without the lock (two
 * atomic stores per request) and read by the watchdog under it. */
struct tracked {
    int fd;
    atomic_llong phase_start_ms;  /* when it opened or its last request completed */
    atomic_bool awaiting_headers; /* no request's headers complete since phase_start_ms */
    bool cut;                     /* shut down by the watchdog (under the lock) */
    struct tracked *prev, *next;  /* under the lock */
};

struct scimd_deadlines {
    int64_t timeout_ms;
    pthread_mutex_t lock; /* guards the list and every record in it */
    pthread_cond_t wake;
    struct tracked *head;
    bool stopping;
    pthread_t thread;
};

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Shuts down every connection past its header deadline; returns how many it cut. */
static int sweep(struct scimd_deadlines *d, int64_t now)
{
    int cut = 0;
    for (struct tracked *t = d->head; t; t = t->next) {
        if (t->cut || !atomic_load(&t->awaiting_headers) ||
            now - atomic_load(&t->phase_start_ms) <= d->timeout_ms)
            continue;
        shutdown(t->fd, SHUT_RDWR);
        t->cut = true;
        cut++;
    }
    return cut;
}

static void *watchdog_main(void *arg)
{
    struct scimd_deadlines *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += SWEEP_MS / 1000;
        pthread_cond_timedwait(&d->wake, &d->lock, &deadline);
        if (d->stopping)
            break;
        int cut = sweep(d, monotonic_ms());
        if (cut > 0)
            scim_log(SCIM_LOG_WARN,
                     "http: closed %d connection(s) that sent no complete request headers within "
                     "%lld s (--request-timeout)",
                     cut, (long long)(d->timeout_ms / 1000));
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

struct scimd_deadlines *scimd_deadlines_start(int64_t timeout_s)
{
    struct scimd_deadlines *d = scim_calloc(1, sizeof(*d));
    d->timeout_ms = timeout_s * 1000;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    if (pthread_create(&d->thread, NULL, watchdog_main, d) != 0) {
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        scim_free(d);
        return NULL;
    }
    return d;
}

void scimd_deadlines_stop(struct scimd_deadlines *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    /* libmicrohttpd has stopped: every close notification has run and the list is empty. */
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    scim_free(d);
}

void scimd_deadlines_opened(struct scimd_deadlines *d, int fd, void **socket_context)
{
    struct tracked *t = scim_calloc(1, sizeof(*t));
    t->fd = fd;
    atomic_init(&t->phase_start_ms, monotonic_ms());
    atomic_init(&t->awaiting_headers, true);
    pthread_mutex_lock(&d->lock);
    t->next = d->head;
    if (d->head)
        d->head->prev = t;
    d->head = t;
    pthread_mutex_unlock(&d->lock);
    *socket_context = t;
}

void scimd_deadlines_closed(struct scimd_deadlines *d, void **socket_context)
{
    struct tracked *t = *socket_context;
    if (!t)
        return;
    pthread_mutex_lock(&d->lock);
    if (t->prev)
        t->prev->next = t->next;
    else
        d->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&d->lock);
    *socket_context = NULL;
    scim_free(t);
}

void scimd_deadlines_headers_in(struct scimd_deadlines *d, void *socket_context)
{
    (void)d;
    struct tracked *t = socket_context;
    if (t)
        atomic_store(&t->awaiting_headers, false);
}

void scimd_deadlines_request_done(struct scimd_deadlines *d, void *socket_context)
{
    (void)d;
    struct tracked *t = socket_context;
    if (!t)
        return;
    atomic_store(&t->phase_start_ms, monotonic_ms());
    atomic_store(&t->awaiting_headers, true);
}
