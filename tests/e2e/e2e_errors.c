/*
 * e2e_errors — what a real scimd answers to bad requests (RFC 7644 §3.12): malformed, oversized,
 * deeply nested and non-UTF-8 bodies, wrong content types, schema violations, unknown endpoints
 * and methods, and lying Content-Length headers; and that a failed request changes nothing.
 * Raw sockets are used where libcurl would normalise the request (Content-Length, early answers).
 * The server runs with --connection-timeout 2 and --request-timeout 3.
 */
#include "harness.h"

#include "json.h"
#include "mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define TEN_MB (10 * 1024 * 1024)

static struct e2e_server *srv;

static int group_setup(void **state)
{
    (void)state;
    /* A short idle timeout lets the server drop the client that promises bytes it never sends. */
    static const char *const args[] = {"--connection-timeout", "2", "--request-timeout", "3", NULL};
    return e2e_setup(args, &srv);
}

static int group_teardown(void **state)
{
    (void)state;
    return e2e_teardown(srv);
}

/* POST /scim/v2/Users with body[0..len) (len 0: strlen) and a content type (NULL: SCIM's). */
static struct e2e_resp *post_users(const char *body, size_t len, const char *content_type)
{
    return e2e_http(srv, &(struct e2e_req){.method = "POST",
                                           .path = "/scim/v2/Users",
                                           .token = srv->token,
                                           .body = body,
                                           .body_len = len,
                                           .content_type = content_type});
}

/* Asserts scimd still answers, with a clean /healthz. */
static void assert_alive(void)
{
    assert_true(e2e_server_alive(srv));
    struct e2e_resp *r = e2e_get(srv, NULL, "/healthz");
    assert_status(r, 200);
    e2e_resp_free(r);
}

/* Number of users in the tenant. */
static long long user_total(void)
{
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users?count=0");
    assert_status(r, 200);
    long long total = json_integer_value(json_object_get(r->json, "totalResults"));
    e2e_resp_free(r);
    return total;
}

/* Asserts that no user has this userName. */
static void assert_no_user(const char *user_name)
{
    char filter[256];
    snprintf(filter, sizeof(filter), "userName eq \"%s\"", user_name);
    struct e2e_resp *r = e2e_filter_users(srv, srv->token, filter);
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
}

/* The request line and headers of a raw POST /scim/v2/Users; new string for scim_free. */
static char *raw_head(const char *extra_headers)
{
    return scim_asprintf("POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                         "Authorization: Bearer %s\r\nContent-Type: application/scim+json\r\n"
                         "Connection: close\r\n%s\r\n",
                         (unsigned)srv->port, srv->token, extra_headers);
}

/* ---- slow clients (--request-timeout), the log ---- */

/* scimd's log once it holds needle (a line can follow the response by a moment: the access
 * line is written when the request completes), or after 2 s; new string for scim_free. */
static char *log_with(const char *needle)
{
    char *log = e2e_server_read_log(srv);
    for (int tries = 0; tries < 40 && !strstr(log, needle); tries++) {
        usleep(50000);
        scim_free(log);
        log = e2e_server_read_log(srv);
    }
    return log;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_raw(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(srv->port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 500000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/*
 * Sends head at once, then one piece of drip every 500 ms (never idle for the 2 s connection
 * timeout), reading whatever the server answers into out (size bytes), until the server closes
 * the connection or 12 s pass. Returns the milliseconds until the close, or -1 if none came.
 */
static int64_t drip(const char *head, const char *drip_piece, char *out, size_t size)
{
    int fd = connect_raw();
    int64_t start = mono_ms(), closed_after = -1;
    size_t got = 0;
    out[0] = '\0';
    assert_true(send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
    while (mono_ms() - start < 12000) {
        ssize_t n = recv(fd, out + got, size - 1 - got, 0);
        if (n > 0) {
            got += (size_t)n;
            out[got] = '\0';
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            closed_after = mono_ms() - start;
            break;
        }
        if (send(fd, drip_piece, strlen(drip_piece), MSG_NOSIGNAL) < 0) {
            closed_after = mono_ms() - start;
            break;
        }
    }
    close(fd);
    return closed_after;
}

/* A client that sends a header line every half second never completes its request: the
 * connection is closed once the 3 s request deadline passes, and others are served meanwhile. */
static void test_e2e_slow_headers_are_cut(void **state)
{
    (void)state;
    char head[128], out[4096];
    snprintf(head, sizeof(head), "GET /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n",
             (unsigned)srv->port);
    int64_t closed_after = drip(head, "X-Slow: a\r\n", out, sizeof(out));
    assert_true(closed_after >= 2500);
    assert_true(closed_after <= 6500);
    assert_string_equal(out, "");
    assert_alive();
    char *log = log_with("no complete request headers within 3 s");
    assert_non_null(strstr(log, "no complete request headers within 3 s"));
    scim_free(log);
}

/* A body trickling in a byte every half second: the connection is closed once the deadline
 * passes (libmicrohttpd cannot answer in the middle of a body), nothing is created, and the
 * access log records a 408. */
static void test_e2e_slow_body_is_cut(void **state)
{
    (void)state;
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"slow-body@example.com\"}",
                               E2E_USER_SCHEMA);
    char *extra = scim_asprintf("Content-Length: %zu\r\n", strlen(body) + 100);
    char *head = raw_head(extra);
    char *head_and_body = scim_asprintf("%s%s", head, body);
    char out[4096];
    int64_t closed_after = drip(head_and_body, " ", out, sizeof(out));
    scim_free(head_and_body);
    scim_free(head);
    scim_free(extra);
    scim_free(body);
    assert_true(closed_after >= 2500);
    assert_true(closed_after <= 6500);
    assert_string_equal(out, "");
    char *log = log_with("status=408");
    assert_non_null(strstr(log, "request body took over 3 s"));
    assert_non_null(strstr(log, "status=408"));
    scim_free(log);
    assert_no_user("slow-body@example.com");
    assert_alive();
}

/* A path with a newline and a quote cannot forge a log line or a field: the access line of the
 * request stays one line with the path's quote escaped. */
static void test_e2e_log_lines_cannot_be_forged(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, NULL, "%s",
                                 "/nothing%C2%85%0A2026-01-01T00:00:00.000Z%20level=info%20"
                                 "forged=1%22%20status=204");
    assert_int_equal(r->status, 404);
    char *rid = scim_strdup(e2e_header(r, "X-Request-Id"));
    e2e_resp_free(r);
    char *log = log_with(rid);
    assert_null(strstr(log, "\n2026-01-01T00:00:00.000Z"));
    const char *line = strstr(log, rid);
    assert_non_null(line);
    const char *end = strchr(line, '\n');
    assert_non_null(end);
    char *own = scim_strndup(line, (size_t)(end - line));
    /* NEL (U+0085, a C1 control) and the line feed are '?' each byte. */
    assert_non_null(strstr(own, "path=\"/nothing???2026-01-01T00:00:00.000Z level=info "
                                "forged=1\\\" status=204\" status=404"));
    scim_free(own);
    scim_free(log);
    scim_free(rid);
}

static void test_e2e_invalid_json_400(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":",
        "{userName: 'single-quotes'}",
        "{\"userName\":\"trailing\",}",
        "{\"userName\":\"a\",\"userName\":\"b\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct e2e_resp *r = post_users(bodies[i], 0, NULL);
        assert_scim_error(r, 400, "invalidSyntax");
        e2e_resp_free(r);
    }
}

static void test_e2e_non_object_json_400(void **state)
{
    (void)state;
    static const char *const bodies[] = {"[1,2,3]", "\"userName\"", "null", "42"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct e2e_resp *r = post_users(bodies[i], 0, NULL);
        assert_scim_error(r, 400, "invalidSyntax");
        e2e_resp_free(r);
    }
}

static void test_e2e_empty_body_400(void **state)
{
    (void)state;
    char *head = raw_head("Content-Length: 0\r\n");
    struct e2e_resp *r = e2e_raw(srv, head, NULL, 0, 0);
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    scim_free(head);
}

static void test_e2e_invalid_utf8_400(void **state)
{
    (void)state;
    long long before = user_total();
    static const char body[] = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                               "\"userName\":\"bad-\xff\xfe-utf8@example.com\"}";
    struct e2e_resp *r = post_users(body, sizeof(body) - 1, NULL);
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    /* An overlong encoding of '/' and a lone surrogate (CESU) are not UTF-8 either. */
    static const char overlong[] = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                                   "\"userName\":\"over\xc0\xaflong@example.com\"}";
    r = post_users(overlong, sizeof(overlong) - 1, NULL);
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    static const char surrogate[] = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                                    "\"userName\":\"sur\xed\xa0\x80rogate@example.com\"}";
    r = post_users(surrogate, sizeof(surrogate) - 1, NULL);
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    assert_int_equal(user_total(), before);
}

static void test_e2e_ten_megabyte_body_413(void **state)
{
    (void)state;
    char *body = scim_malloc(TEN_MB);
    memset(body, ' ', TEN_MB);
    memcpy(body, "{\"userName\":\"huge\",\"x\":\"", 24);
    memcpy(body + TEN_MB - 2, "\"}", 2);
    char *length = scim_asprintf("Content-Length: %d\r\n", TEN_MB);
    char *head = raw_head(length);
    struct e2e_resp *r = e2e_raw(srv, head, body, TEN_MB, 0);
    assert_scim_error(r, 413, NULL);
    e2e_resp_free(r);
    scim_free(head);
    scim_free(length);
    scim_free(body);
    assert_alive();
}

static void test_e2e_ten_megabyte_chunked_body_413(void **state)
{
    (void)state;
    /* No Content-Length: the limit must hold while the body streams in. */
    const size_t chunk = 1024 * 1024;
    size_t total = 0;
    struct e2e_resp *r = NULL;
    char *wire = scim_malloc(10 * (chunk + 16) + 16);
    for (int i = 0; i < 10; i++) {
        int n = snprintf(wire + total, 16, "%zx\r\n", chunk);
        total += (size_t)n;
        memset(wire + total, i == 0 ? '{' : ' ', chunk);
        total += chunk;
        memcpy(wire + total, "\r\n", 2);
        total += 2;
    }
    memcpy(wire + total, "0\r\n\r\n", 5);
    total += 5;
    char *head = raw_head("Transfer-Encoding: chunked\r\n");
    r = e2e_raw(srv, head, wire, total, 0);
    assert_scim_error(r, 413, NULL);
    e2e_resp_free(r);
    scim_free(head);
    scim_free(wire);
    assert_alive();
}

static void test_e2e_deeply_nested_json_400(void **state)
{
    (void)state;
    const size_t depth = 10000;
    const char *prefix = "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                         "\"userName\":\"deep@example.com\",\"x\":";
    size_t plen = strlen(prefix);
    char *body = scim_malloc(plen + 2 * depth + 2);
    memcpy(body, prefix, plen);
    memset(body + plen, '[', depth);
    memset(body + plen + depth, ']', depth);
    body[plen + 2 * depth] = '}';
    body[plen + 2 * depth + 1] = '\0';
    struct e2e_resp *r = post_users(body, 0, NULL);
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    /* Objects nest as well as arrays. */
    size_t pos = plen;
    char *objects = scim_malloc(plen + depth * 6 + depth + 2);
    memcpy(objects, prefix, plen);
    for (size_t i = 0; i < depth; i++) {
        memcpy(objects + pos, "{\"a\":", 5);
        pos += 5;
    }
    objects[pos++] = '1';
    memset(objects + pos, '}', depth + 1);
    pos += depth + 1;
    objects[pos] = '\0';
    r = post_users(objects, 0, NULL);
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    scim_free(objects);
    scim_free(body);
    assert_alive();
    assert_no_user("deep@example.com");
}

static void test_e2e_text_plain_415(void **state)
{
    (void)state;
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"text-plain@example.com\"}",
                               E2E_USER_SCHEMA);
    struct e2e_resp *r = post_users(body, 0, "text/plain");
    assert_scim_error(r, 415, NULL);
    e2e_resp_free(r);
    r = post_users(body, 0, "application/x-www-form-urlencoded");
    assert_scim_error(r, 415, NULL);
    e2e_resp_free(r);
    scim_free(body);
    assert_no_user("text-plain@example.com");
}

static void test_e2e_unknown_attribute_400_invalid_value(void **state)
{
    (void)state;
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"unknown-attr@example.com\","
                               "\"favouriteColour\":\"blue\"}",
                               E2E_USER_SCHEMA);
    struct e2e_resp *r = post_users(body, 0, NULL);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(body);
    /* An unknown sub-attribute of a known complex attribute as well. */
    body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"unknown-sub@example.com\","
                         "\"name\":{\"givenName\":\"A\",\"nickName\":\"B\"}}",
                         E2E_USER_SCHEMA);
    r = post_users(body, 0, NULL);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(body);
    assert_no_user("unknown-attr@example.com");
}

static void test_e2e_wrong_type_400_invalid_value(void **state)
{
    (void)state;
    static const char *const members[] = {
        "\"active\":5",
        "\"active\":\"yes\"",
        "\"displayName\":42",
        "\"emails\":\"not-a-list@example.com\"",
        "\"name\":\"Not Complex\"",
        "\"emails\":[{\"value\":true}]",
    };
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        char *body =
            scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"wrong-type-%zu@example.com\",%s}",
                          E2E_USER_SCHEMA, i, members[i]);
        struct e2e_resp *r = post_users(body, 0, NULL);
        if (r->status != 400)
            e2e_fail(r, "%s must be rejected", members[i]);
        assert_scim_error(r, 400, "invalidValue");
        e2e_resp_free(r);
        scim_free(body);
    }
}

static void test_e2e_missing_username_400(void **state)
{
    (void)state;
    char *body =
        scim_asprintf("{\"schemas\":[\"%s\"],\"displayName\":\"No Username\"}", E2E_USER_SCHEMA);
    struct e2e_resp *r = post_users(body, 0, NULL);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(body);
    body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"\"}", E2E_USER_SCHEMA);
    r = post_users(body, 0, NULL);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(body);
    body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":null}", E2E_USER_SCHEMA);
    r = post_users(body, 0, NULL);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    scim_free(body);
}

static void test_e2e_invalid_filter_400(void **state)
{
    (void)state;
    static const char *const filters[] = {"userName eq", "userName zz \"x\"", "(userName eq \"x\"",
                                          "noSuchAttribute eq \"x\"", "userName eq \"unterminated"};
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        struct e2e_resp *r = e2e_filter_users(srv, srv->token, filters[i]);
        if (r->status != 400)
            e2e_fail(r, "filter %s must be rejected", filters[i]);
        assert_scim_error(r, 400, "invalidFilter");
        e2e_resp_free(r);
    }
    /* Longer than --filter-max-length (4096) and deeper than --filter-max-depth (16). */
    char *filter = scim_malloc(6000);
    size_t n = 0;
    while (n + 40 < 5000)
        n += (size_t)snprintf(filter + n, 6000 - n, "userName eq \"u%zu\" or ", n);
    snprintf(filter + n, 6000 - n, "userName eq \"last\"");
    struct e2e_resp *r = e2e_filter_users(srv, srv->token, filter);
    assert_scim_error(r, 400, "invalidFilter");
    e2e_resp_free(r);
    n = 0;
    for (int i = 0; i < 200; i++)
        filter[n++] = '(';
    n += (size_t)snprintf(filter + n, 6000 - n, "userName eq \"x\"");
    for (int i = 0; i < 200; i++)
        filter[n++] = ')';
    filter[n] = '\0';
    r = e2e_filter_users(srv, srv->token, filter);
    assert_scim_error(r, 400, "invalidFilter");
    e2e_resp_free(r);
    scim_free(filter);
    assert_alive();
}

static void test_e2e_bad_paging_parameters_400(void **state)
{
    (void)state;
    static const char *const queries[] = {"count=abc", "startIndex=one", "count=10abc"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users?%s", queries[i]);
        assert_scim_error(r, 400, "invalidValue");
        e2e_resp_free(r);
    }
}

static void test_e2e_too_many_patch_operations_400(void **state)
{
    (void)state;
    struct e2e_resp *created = e2e_create_user(srv, srv->token, "many-ops@example.com", NULL);
    char id[64], etag[64];
    snprintf(id, sizeof(id), "%s", e2e_str(created->json, "id"));
    snprintf(etag, sizeof(etag), "%s", e2e_header(created, "ETag"));
    e2e_resp_free(created);
    /* One more operation than --patch-max-operations (1000). */
    json_t *ops = json_array();
    for (int i = 0; i < 1001; i++)
        json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "replace", "path",
                                             "displayName", "value", "x"));
    json_t *doc = json_pack("{s:[s], s:o}", "schemas", E2E_PATCH_SCHEMA, "Operations", ops);
    char *body = scim_json_dump(doc, NULL);
    json_decref(doc);
    struct e2e_resp *r = e2e_send(srv, "PATCH", srv->token, body, "/scim/v2/Users/%s", id);
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    scim_free(body);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    assert_header(r, "ETag", etag);
    assert_json_absent(r, "displayName");
    e2e_resp_free(r);
}

static void test_e2e_unknown_endpoint_404(void **state)
{
    (void)state;
    static const char *const paths[] = {"/scim/v2/Widgets", "/scim/v2/Users/x/y/z", "/nope",
                                        "/scim/v1/Users", "/"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct e2e_resp *r = e2e_get(srv, srv->token, "%s", paths[i]);
        assert_scim_error(r, 404, NULL);
        e2e_resp_free(r);
    }
}

static void test_e2e_wrong_method_405_with_allow(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_send(srv, "DELETE", srv->token, NULL, "/scim/v2/Users");
    assert_scim_error(r, 405, NULL);
    const char *allow = e2e_header(r, "Allow");
    if (!allow || !strstr(allow, "GET") || !strstr(allow, "POST") || strstr(allow, "DELETE"))
        e2e_fail(r, "Allow must list GET and POST, and not DELETE");
    e2e_resp_free(r);
    r = e2e_send(srv, "POST", srv->token, "{}", "/scim/v2/ServiceProviderConfig");
    assert_scim_error(r, 405, NULL);
    assert_header(r, "Allow", "GET");
    e2e_resp_free(r);
}

static void test_e2e_short_content_length_400(void **state)
{
    (void)state;
    /* The server reads 10 bytes of the body: a truncated JSON document. */
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"short-cl@example.com\"}",
                               E2E_USER_SCHEMA);
    char *head = raw_head("Content-Length: 10\r\n");
    struct e2e_resp *r = e2e_raw(srv, head, body, strlen(body), 0);
    assert_scim_error(r, 400, "invalidSyntax");
    e2e_resp_free(r);
    scim_free(head);
    assert_alive();
    assert_no_user("short-cl@example.com");
    scim_free(body);
}

static void test_e2e_long_content_length_creates_nothing(void **state)
{
    (void)state;
    /* Content-Length promises more than arrives before the client half-closes: no user. */
    char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"long-cl@example.com\"}",
                               E2E_USER_SCHEMA);
    char *length = scim_asprintf("Content-Length: %zu\r\n", strlen(body) + 100);
    char *head = raw_head(length);
    time_t started = time(NULL);
    struct e2e_resp *r = e2e_raw(srv, head, body, strlen(body), E2E_RAW_SHUT_WR);
    if (r->status >= 200 && r->status < 300)
        e2e_fail(r, "an incomplete body must not be accepted");
    /* The connection ends by the server's 2 s timeout, not by the client's 15 s one. */
    if (time(NULL) - started > 8)
        e2e_fail(r, "the server kept a connection with an incomplete body past its timeout");
    e2e_resp_free(r);
    scim_free(head);
    scim_free(length);
    scim_free(body);
    assert_alive();
    assert_no_user("long-cl@example.com");
}

static void test_e2e_failed_create_changes_nothing(void **state)
{
    (void)state;
    long long before = user_total();
    char *body = scim_asprintf(
        "{\"schemas\":[\"%s\"],\"userName\":\"failed-create@example.com\",\"active\":5}",
        E2E_USER_SCHEMA);
    struct e2e_resp *r = post_users(body, 0, NULL);
    assert_scim_error(r, 400, NULL);
    e2e_resp_free(r);
    scim_free(body);
    assert_int_equal(user_total(), before);
    assert_no_user("failed-create@example.com");
}

/* Creates a user, applies a PATCH whose last op is bad, and checks nothing changed. */
static void check_failed_patch(const char *user_name, const char *bad_op, const char *scim_type)
{
    struct e2e_resp *created = e2e_create_user(
        srv, srv->token, user_name, "{\"displayName\":\"Unchanged\",\"title\":\"Same\"}");
    char id[64], etag[64];
    snprintf(id, sizeof(id), "%s", e2e_str(created->json, "id"));
    snprintf(etag, sizeof(etag), "%s", e2e_header(created, "ETag"));
    e2e_resp_free(created);
    char *ops = scim_asprintf("{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"replace\","
                              "\"path\":\"displayName\",\"value\":\"Changed\"},%s]}",
                              E2E_PATCH_SCHEMA, bad_op);
    struct e2e_resp *r = e2e_send(srv, "PATCH", srv->token, ops, "/scim/v2/Users/%s", id);
    assert_scim_error(r, 400, scim_type);
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    assert_json_str(r, "displayName", "Unchanged");
    assert_json_str(r, "title", "Same");
    assert_header(r, "ETag", etag);
    assert_json_str(r, "meta.version", etag);
    e2e_resp_free(r);
    scim_free(ops);
}

static void test_e2e_failed_patch_changes_nothing(void **state)
{
    (void)state;
    check_failed_patch("failed-patch-1@example.com",
                       "{\"op\":\"replace\",\"path\":\"active\",\"value\":\"notabool\"}",
                       "invalidValue");
    check_failed_patch("failed-patch-2@example.com",
                       "{\"op\":\"frobnicate\",\"path\":\"title\",\"value\":\"x\"}", NULL);
    check_failed_patch("failed-patch-3@example.com",
                       "{\"op\":\"replace\",\"path\":\"noSuchAttribute\",\"value\":\"x\"}", NULL);
}

/* A bad attributes= on a write is refused before anything is written. */
static void test_e2e_bad_projection_on_write_changes_nothing(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_send(srv, "POST", srv->token,
                                  "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                                  "\"userName\":\"projection-victim\"}",
                                  "/scim/v2/Users?attributes=noSuchAttribute");
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    r = e2e_filter_users(srv, srv->token, "userName eq \"projection-victim\"");
    assert_status(r, 200);
    assert_json_int(r, "totalResults", 0);
    e2e_resp_free(r);
    struct e2e_resp *made = e2e_create_user(srv, srv->token, "projection-patch", NULL);
    const char *id = e2e_str(made->json, "id");
    r = e2e_send(srv, "PATCH", srv->token,
                 "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
                 "\"Operations\":[{\"op\":\"replace\",\"path\":\"displayName\","
                 "\"value\":\"changed\"}]}",
                 "/scim/v2/Users/%s?excludedAttributes=bogus", id);
    assert_scim_error(r, 400, "invalidValue");
    e2e_resp_free(r);
    r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    assert_json_absent(r, "displayName");
    e2e_resp_free(r);
    e2e_resp_free(made);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_invalid_json_400),
        cmocka_unit_test(test_e2e_non_object_json_400),
        cmocka_unit_test(test_e2e_empty_body_400),
        cmocka_unit_test(test_e2e_invalid_utf8_400),
        cmocka_unit_test(test_e2e_ten_megabyte_body_413),
        cmocka_unit_test(test_e2e_ten_megabyte_chunked_body_413),
        cmocka_unit_test(test_e2e_deeply_nested_json_400),
        cmocka_unit_test(test_e2e_text_plain_415),
        cmocka_unit_test(test_e2e_unknown_attribute_400_invalid_value),
        cmocka_unit_test(test_e2e_wrong_type_400_invalid_value),
        cmocka_unit_test(test_e2e_missing_username_400),
        cmocka_unit_test(test_e2e_invalid_filter_400),
        cmocka_unit_test(test_e2e_bad_paging_parameters_400),
        cmocka_unit_test(test_e2e_too_many_patch_operations_400),
        cmocka_unit_test(test_e2e_unknown_endpoint_404),
        cmocka_unit_test(test_e2e_wrong_method_405_with_allow),
        cmocka_unit_test(test_e2e_short_content_length_400),
        cmocka_unit_test(test_e2e_long_content_length_creates_nothing),
        cmocka_unit_test(test_e2e_log_lines_cannot_be_forged),
        cmocka_unit_test(test_e2e_slow_headers_are_cut),
        cmocka_unit_test(test_e2e_slow_body_is_cut),
        cmocka_unit_test(test_e2e_failed_create_changes_nothing),
        cmocka_unit_test(test_e2e_failed_patch_changes_nothing),
        cmocka_unit_test(test_e2e_bad_projection_on_write_changes_nothing),
    };
    return cmocka_run_group_tests_name("e2e_errors", tests, group_setup, group_teardown);
}
