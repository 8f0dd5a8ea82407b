/*
 * server — libmicrohttpd glue. A request's life: first callback allocates struct scim_request
 * (and answers 413 at once when Content-Length is over the limit), later callbacks append the
 * body into a bounded buffer, the final callback hands the request to the router and queues
 * the response; the completion callback writes the access log line and frees everything.
 * Owns: the in-flight counter used for graceful shutdown. Must not: know endpoints.
 */
#include "server.h"

#include "audit.h"
#include "deadline.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "ratelimit.h"
#include "resource.h"
#include "roles.h"
#include "router.h"
#include "store_groups.h"
#include "unknown.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SCIM_CONTENT_TYPE "application/scim+json; charset=utf-8"

struct scimd_server {
    const struct scimd_context *ctx;
    struct MHD_Daemon *mhd;
    uint16_t port;
    atomic_int in_flight; /* requests between dispatch and completion */
    atomic_bool stopping; /* set by scimd_server_stop: new requests are refused with 503 */
    struct scimd_deadlines *deadlines; /* the slow-client watchdog (deadline.c) */
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *scim_request_header(const struct scim_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* Appends each value of one header (named in the collector) to a comma-separated list. */
struct header_list {
    const char *name;
    char *buf;
    size_t size, len;
    bool truncated;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    struct header_list *l = cls;
    if (!value || strcasecmp(key, l->name) != 0)
        return MHD_YES;
    int n = snprintf(l->buf + l->len, l->size - l->len, "%s%s", l->len ? ", " : "", value);
    if (n < 0 || (size_t)n >= l->size - l->len) {
        l->truncated = true;
        return MHD_NO;
    }
    l->len += (size_t)n;
    return MHD_YES;
}

const char *scim_request_header_list(const struct scim_request *req, const char *name, char *buf,
                                     size_t size)
{
    /* Most requests carry no such header: one lookup, no walk over all of them. */
    if (!scim_request_header(req, name))
        return NULL;
    struct header_list l = {name, buf, size, 0, false};
    buf[0] = '\0';
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_header, &l);
    /* A list cut short could drop the entry that matters: treat it as naming nothing. */
    if (l.truncated)
        snprintf(buf, size, "W/\"0\"");
    return l.len || l.truncated ? buf : NULL;
}

const char *scim_request_query(const struct scim_request *req, const char *name)
{
    const char *value = NULL;
    size_t len = 0;
    if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &value,
                                      &len) != MHD_YES)
        return NULL;
    /* A parameter without "=" ("?cursor&count=10", RFC 9865 §2) is present and empty. */
    return value ? value : "";
}

/* The state of scim_request_unknown_query's walk over the query arguments. */
struct query_check {
    const char *const *known;
    const char *unknown;
};

static enum MHD_Result check_query_name(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    (void)kind;
    (void)value;
    struct query_check *c = cls;
    /* "?limit=1&&cursor=x": the empty name between the ampersands is no parameter. */
    if (!key || !key[0])
        return MHD_YES;
    for (size_t i = 0; c->known[i]; i++) {
        if (strcmp(c->known[i], key) == 0)
            return MHD_YES;
    }
    c->unknown = key;
    return MHD_NO;
}

const char *scim_request_unknown_query(const struct scim_request *req, const char *const *known)
{
    struct query_check c = {known, NULL};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_query_name, &c);
    return c.unknown;
}

void scim_request_token_good(const struct scim_request *req, const unsigned char *hash)
{
    unsigned char addr[16];
    size_t len = req->ctx->limits ? scim_request_client_addr(req, addr) : 0;
    if (len > 0)
        scim_ratelimit_token_good(req->ctx->limits, addr, len, hash, now_us() / 1000);
}

bool scim_request_token_known(const struct scim_request *req, const unsigned char *hash)
{
    unsigned char addr[16];
    size_t len = req->ctx->limits ? scim_request_client_addr(req, addr) : 0;
    return len == 0 ||
           scim_ratelimit_token_known(req->ctx->limits, addr, len, hash, now_us() / 1000);
}

size_t scim_request_client_addr(const struct scim_request *req, unsigned char out[16])
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 4;
    }
    if (sa && sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

void scim_request_add_header(struct scim_request *req, const char *name, const char *value)
{
    if (req->n_headers >= SCIM_REQUEST_MAX_HEADERS) {
        scim_log(SCIM_LOG_ERROR, "request_id=%s too many response headers; dropped %s",
                 req->request_id, name);
        return;
    }
    req->header_names[req->n_headers] = name;
    req->header_values[req->n_headers] = scim_strdup(value);
    req->n_headers++;
}

void scim_request_respond(struct scim_request *req, int status, json_t *body)
{
    req->status = status;
    json_decref(req->resp_body);
    req->resp_body = body;
}

int scim_request_projection(const struct scim_request *req, const struct scim_resource_type *rt,
                            struct scim_projection *p, struct scim_err *err)
{
    return scim_projection_parse(rt, scim_request_query(req, "attributes"),
                                 scim_request_query(req, "excludedAttributes"), p, err);
}

int scim_request_unknown_attributes(struct scim_request *req, const struct scim_resource_type *rt,
                                    bool patch, json_t **body, struct scim_err *err)
{
    json_t *names = NULL;
    json_t *settings = NULL;
    int rc = 0;
    /* Counted first (linear, no names kept): most writes have nothing unknown. */
    size_t n_unknown = scim_unknown_find(rt, *body, patch, NULL);
    if (n_unknown == 0)
        goto out;
    rc = scim_store_tenant_settings(req->ctx->store, &req->auth.tenant, &settings, err);
    if (rc < 0)
        goto out;
    const char *policy =
        json_string_value(json_object_get(settings, SCIM_SETTING_UNKNOWN_ATTRIBUTES));
    if (!policy || strcmp(policy, "ignore") != 0)
        goto out;
    names = json_array();
    json_t *stripped = scim_unknown_strip(rt, *body, patch, names);
    json_decref(*body);
    *body = stripped;
    size_t used = 0;
    size_t i;
    json_t *name;
    req->ignored[0] = '\0';
    json_array_foreach (names, i, name) {
        int n = snprintf(req->ignored + used, sizeof(req->ignored) - used, "%s%s", i ? "," : "",
                         json_string_value(name));
        if (n < 0 || (size_t)n >= sizeof(req->ignored) - used) {
            /* Cut: the list ends in "...". */
            memcpy(req->ignored + sizeof(req->ignored) - 4, "...", 4);
            break;
        }
        used += (size_t)n;
    }
    if (n_unknown > json_array_size(names) && used + 5 < sizeof(req->ignored))
        memcpy(req->ignored + used, ",...", 5);
out:
    json_decref(settings);
    json_decref(names);
    return rc;
}

void scim_request_resource_headers(struct scim_request *req, const struct scim_resource_type *rt,
                                   const struct scim_resource *res)
{
    char etag[SCIM_ETAG_BUF];
    scim_request_add_header(req, "ETag", scim_resource_etag(res->version, etag, sizeof(etag)));
    /* On every response that carries the resource, as RFC 7644's examples show (§3.3 requires
     * it on 201); the same URI as meta.location. */
    char *location = scim_asprintf("%s%s/%s", req->base_url, rt->endpoint, res->id);
    scim_request_add_header(req, "Location", location);
    scim_free(location);
}

/* 412 when req's If-Match (a list, or "*") does not name the version current; *match (when
 * non-NULL) receives the header's text in buf, or NULL without one. */
static int if_match_holds(const struct scim_request *req, int64_t current, char *buf, size_t size,
                          const char **match, struct scim_err *err)
{
    const char *m = scim_request_header_list(req, "If-Match", buf, size);
    char etag[SCIM_ETAG_BUF];
    if (match)
        *match = m;
    if (m && !scim_resource_etag_list_matches(m, current))
        return scim_err_set(err, 412, NULL,
                            "If-Match '%.80s' does not match the resource's current version %s.", m,
                            scim_resource_etag(current, etag, sizeof(etag)));
    return 0;
}

int scim_request_read_precondition(const struct scim_request *req, int64_t current,
                                   struct scim_err *err)
{
    char buf[512];
    return if_match_holds(req, current, buf, sizeof(buf), NULL, err);
}

int scim_request_write_precondition(const struct scim_request *req, int64_t current,
                                    int64_t *required, struct scim_err *err)
{
    char match_buf[512], none_match_buf[512];
    const char *match = NULL;
    const char *none_match =
        scim_request_header_list(req, "If-None-Match", none_match_buf, sizeof(none_match_buf));
    char etag[SCIM_ETAG_BUF];
    int rc = if_match_holds(req, current, match_buf, sizeof(match_buf), &match, err);
    /* A write pinned to the version checked: a concurrent change is then a 412. "If-Match: *"
     * alone names no version, so its write is retried like an unconditional one. */
    bool match_any = match && strspn(match, " \t*") == strlen(match) && strchr(match, '*');
    *required = (match && !match_any) || none_match ? current : -1;
    if (rc < 0)
        return rc;
    if (none_match && scim_resource_etag_list_matches(none_match, current))
        return scim_err_set(err, 412, NULL,
                            "If-None-Match '%.80s' matches the resource's current version %s.",
                            none_match, scim_resource_etag(current, etag, sizeof(etag)));
    return 0;
}

bool scim_request_is_conditional(const struct scim_request *req)
{
    return scim_request_header(req, "If-Match") || scim_request_header(req, "If-None-Match");
}

int scim_request_json(const struct scim_request *req, json_t **out, struct scim_err *err)
{
    return scim_json_parse_object(req->body ? req->body : "", req->body_len,
                                  (size_t)req->ctx->cfg->max_json_depth, out, err);
}

static void request_free(struct scim_request *req)
{
    if (!req)
        return;
    json_decref(req->resp_body);
    for (size_t i = 0; i < req->n_headers; i++)
        scim_free(req->header_values[i]);
    scim_free(req->path);
    scim_free(req->path_segments);
    scim_free(req->body);
    scim_free(req);
}

/* The public base URL: the configured one, or http://<Host>/scim/v2 when the Host header is a
 * plausible host[:port]; otherwise the listen address. */
static void compute_base_url(struct scim_request *req)
{
    const struct scim_config *cfg = req->ctx->cfg;
    if (cfg->base_url[0]) {
        snprintf(req->base_url, sizeof(req->base_url), "%s", cfg->base_url);
        size_t len = strlen(req->base_url);
        if (len > 0 && req->base_url[len - 1] == '/')
            req->base_url[len - 1] = '\0';
        return;
    }
    const char *host = scim_request_header(req, MHD_HTTP_HEADER_HOST);
    bool ok = host && host[0] && strlen(host) < 256;
    for (const char *p = host; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr(".-:[]_", *p) != NULL;
    snprintf(req->base_url, sizeof(req->base_url), "http://%s/scim/v2", ok ? host : cfg->listen);
}

/* A request id: 16 hex digits, unique within the process and across restarts (a random per-thread
 * start, then a counter), without a system call per request. */
static void new_request_id(char *buf, size_t size)
{
    static _Thread_local uint64_t next;
    if (next == 0)
        randombytes_buf(&next, sizeof(next));
    uint64_t id = next++;
    snprintf(buf, size, "%016" PRIx64, id);
}

static void render_error(struct scim_request *req, const struct scim_err *err)
{
    struct scim_err copy = *err;
    if (copy.status < 400 || copy.status > 599)
        copy.status = 500;
    scim_request_respond(req, copy.status, scim_err_to_json(&copy));
}

/* A response body from this size on returns the heap's free memory to the system afterwards. */
#define LARGE_RESPONSE_BYTES (1024 * 1024)

static enum MHD_Result send_response(struct scim_request *req)
{
    struct MHD_Response *resp;
    if (req->resp_body) {
        size_t len;
        char *text = scim_json_dump(req->resp_body, &len);
        req->large_response = len >= LARGE_RESPONSE_BYTES;
        resp = MHD_create_response_from_buffer_with_free_callback(
            len, text, req->large_response ? scim_free_and_trim : scim_free);
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    bool typed = false;
    for (size_t i = 0; i < req->n_headers; i++)
        typed = typed || strcasecmp(req->header_names[i], MHD_HTTP_HEADER_CONTENT_TYPE) == 0;
    if (req->resp_body && !typed)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, SCIM_CONTENT_TYPE);
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    for (size_t i = 0; i < req->n_headers; i++)
        MHD_add_response_header(resp, req->header_names[i], req->header_values[i]);
    enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Copies text for the inside of a quoted log field: '"' and '\\' escaped with a backslash (a
 * client's path cannot close the field and append forged ones), cut short to fit size. */
static void quote_for_log(const char *text, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = text; *p && n + 3 < size; p++) {
        if (*p == '"' || *p == '\\')
            out[n++] = '\\';
        out[n++] = *p;
    }
    out[n] = '\0';
}

/* One line per request. When IdP dialect rules rewrote or accepted a non-standard body, the line
 * ends with " dialect=<rule>,<rule>" (names from dialect.h) so an operator sees what was sent. */
static void access_log(const struct scim_request *req)
{
    /* Milliseconds with three decimals, formatted from integers (printf's %f is slow). */
    long long us = (long long)(now_us() - req->start_us);
    if (us < 0)
        us = 0;
    char dialect[SCIM_DIALECT_REPORT_BUF];
    struct scim_dialect_report rules = req->dialect;
    if (req->auth.without_bearer)
        scim_dialect_report_note(&rules, SCIM_DIALECT_OKTA_TOKEN_WITHOUT_BEARER);
    scim_dialect_report_join(&rules, dialect, sizeof(dialect));
    char path[512];
    quote_for_log(req->path ? req->path : "-", path, sizeof(path));
    char ignored[sizeof(req->ignored) + 32];
    quote_for_log(req->ignored, ignored, sizeof(ignored));
    scim_log(SCIM_LOG_INFO,
             "request_id=%s method=%s path=\"%s\" status=%d tenant=%s token=%s "
             "latency_ms=%lld.%03lld%s%s%s%s%s",
             req->request_id, req->method, path, req->status,
             req->auth.ok ? req->auth.tenant.name : "-", req->auth.ok ? req->auth.token_id : "-",
             us / 1000, us % 1000, dialect[0] ? " dialect=" : "", dialect,
             ignored[0] ? " ignored=\"" : "", ignored, ignored[0] ? "\"" : "");
}

/* Copies the URL path (libmicrohttpd has already removed the query and percent-decoded it),
 * dropping trailing slashes so "/scim/v2/Users/" routes like "/scim/v2/Users", and folding runs
 * of slashes into one: an IdP given the base URL ".../scim/v2/" asks for "/scim/v2//Users". */
static char *normalised_path(const char *url)
{
    size_t len = strlen(url);
    char *path = scim_malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (url[i] == '/' && n > 0 && path[n - 1] == '/')
            continue;
        path[n++] = url[i];
    }
    while (n > 1 && path[n - 1] == '/')
        n--;
    path[n] = '\0';
    return path;
}

static void handle(struct scim_request *req)
{
    struct scim_err err;
    scim_err_clear(&err);
    int rc = 0;
    if (req->body_too_large) {
        rc = scim_err_set(&err, 413, NULL,
                          "The request body is larger than the limit of %lld bytes.",
                          (long long)req->ctx->cfg->max_body_bytes);
        goto out;
    }
    /* The media type of a body is checked by the router: it depends on the endpoint. */
    compute_base_url(req);
    rc = scim_router_dispatch(req, &err);
out:
    if (rc < 0) {
        if (err.status == 0)
            scim_err_internal(&err, "handler failed without an error status");
        render_error(req, &err);
    }
    /* The status is final: the request's audit row is queued before the response is sent. */
    scim_audit_request(req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct scimd_server *srv = cls;
    struct scim_request *req = *con_cls;
    if (!req) {
        req = scim_calloc(1, sizeof(*req));
        req->conn = conn;
        req->ctx = srv->ctx;
        req->method = method;
        req->path = normalised_path(url);
        req->start_us = now_us();
        new_request_id(req->request_id, sizeof(req->request_id));
        *con_cls = req;
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        scimd_deadlines_headers_in(srv->deadlines, info ? info->socket_context : NULL);
        if (atomic_load(&srv->stopping)) {
            /* Draining: a request that arrives on a kept-alive connection is not started. */
            struct scim_err err;
            scim_err_set(&err, 503, NULL, "scimd is shutting down; retry the request.");
            render_error(req, &err);
            scim_request_add_header(req, "Connection", "close");
            scim_request_add_header(req, "Retry-After", "1");
            return send_response(req);
        }
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && n > (unsigned long long)srv->ctx->cfg->max_body_bytes) {
                req->body_too_large = true;
                handle(req);
                return send_response(req);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (now_us() - req->start_us > srv->ctx->cfg->request_timeout * 1000000) {
            /* A body trickling in past the deadline: libmicrohttpd cannot answer in the middle
             * of a body, so the connection is closed; the access log records a 408. */
            req->status = 408;
            scim_log(SCIM_LOG_WARN,
                     "http: closed a connection whose request body took over %lld s "
                     "(--request-timeout) request_id=%s",
                     (long long)srv->ctx->cfg->request_timeout, req->request_id);
            return MHD_NO;
        }
        if (req->body_too_large || req->body_len + n > (size_t)srv->ctx->cfg->max_body_bytes) {
            req->body_too_large = true;
            return MHD_YES; /* Keep reading and discard; answer 413 at the end. */
        }
        if (req->body_len + n + 1 > req->body_cap) {
            size_t cap = req->body_cap ? req->body_cap : 1024;
            while (cap < req->body_len + n + 1)
                cap *= 2;
            req->body = scim_realloc(req->body, cap);
            req->body_cap = cap;
        }
        memcpy(req->body + req->body_len, upload_data, n);
        req->body_len += n;
        req->body[req->body_len] = '\0';
        return MHD_YES;
    }
    if (req->status != 0)
        return MHD_YES; /* Already answered (early 413 or 503). */
    /* From here until completion the request counts as in flight: shutdown waits for it. A
     * request still receiving its body is not in flight; nothing of it has been acted on. */
    req->counted = true;
    atomic_fetch_add(&srv->in_flight, 1);
    handle(req);
    return send_response(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    struct scimd_server *srv = cls;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    scimd_deadlines_request_done(srv->deadlines, info ? info->socket_context : NULL);
    struct scim_request *req = *con_cls;
    if (!req)
        return;
    access_log(req);
    bool counted = req->counted;
    bool large = req->large_response;
    request_free(req);
    if (large)
        scim_mem_trim();
    *con_cls = NULL;
    if (counted)
        atomic_fetch_sub(&srv->in_flight, 1);
}

/* libmicrohttpd's connection notification: the slow-client watchdog tracks each connection. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct scimd_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        scimd_deadlines_closed(srv->deadlines, socket_context);
        return;
    }
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info)
        scimd_deadlines_opened(srv->deadlines, info->connect_fd, socket_context);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    scim_log(SCIM_LOG_WARN, "http: %s", line);
}

int scimd_server_start(const struct scimd_context *ctx, struct scimd_server **out,
                       struct scim_err *err)
{
    int rc = 0;
    struct scimd_server *srv = scim_calloc(1, sizeof(*srv));
    srv->ctx = ctx;
    char host[256];
    uint16_t port;
    if (scim_config_listen_parts(ctx->cfg, host, sizeof(host), &port) < 0) {
        rc = scim_err_set(err, 400, NULL, "--listen must be host:port, got '%s'", ctx->cfg->listen);
        goto out;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        rc = scim_err_set(err, 400, NULL, "--listen host must be an IPv4 address, got '%s'", host);
        goto out;
    }
    /* The header deadline is never shorter than the idle timeout: a kept-alive connection
     * that stays silent is closed by libmicrohttpd (quietly), not cut as a slow client. */
    int64_t header_deadline = ctx->cfg->request_timeout > ctx->cfg->connection_timeout
                                  ? ctx->cfg->request_timeout
                                  : ctx->cfg->connection_timeout + 1;
    srv->deadlines = scimd_deadlines_start(header_deadline);
    if (!srv->deadlines) {
        rc = scim_err_set(err, 500, NULL, "cannot start the request-deadline thread");
        goto out;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads =
        ctx->cfg->threads > 0 ? (unsigned)ctx->cfg->threads : (unsigned)(cpus > 0 ? cpus : 2);
    srv->mhd = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC, 0, NULL, NULL, on_request,
        srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ctx->cfg->connection_timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)ctx->cfg->max_connections, MHD_OPTION_END);
    if (!srv->mhd) {
        rc = scim_err_set(err, 500, NULL, "cannot listen on %s (address in use or not allowed)",
                          ctx->cfg->listen);
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : port;
    scim_log(SCIM_LOG_INFO,
             "scimd %s listening on %s:%u (SCIM base http://%s:%u/scim/v2, %u threads)",
             SCIMD_VERSION, host, srv->port, host, srv->port, threads);
    *out = srv;
    srv = NULL;
out:
    if (srv)
        scimd_deadlines_stop(srv->deadlines);
    scim_free(srv);
    return rc;
}

uint16_t scimd_server_port(const struct scimd_server *srv)
{
    return srv->port;
}

void scimd_server_stop(struct scimd_server *srv, int grace_ms)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, true);
    MHD_quiesce_daemon(srv->mhd);
    int waited = 0;
    while (atomic_load(&srv->in_flight) > 0 && waited < grace_ms) {
        usleep(10000);
        waited += 10;
    }
    MHD_stop_daemon(srv->mhd);
    scimd_deadlines_stop(srv->deadlines);
    scim_free(srv);
}
