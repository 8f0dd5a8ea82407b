/*
 * harness — the end-to-end test harness: runs a real scimd (from $SCIMD_BIN) on an ephemeral
 * loopback port with a fresh database in its own temporary directory, drives scimctl (from
 * $SCIMCTL_BIN) to create tenants and tokens, sends real HTTP with libcurl (and raw bytes over a
 * socket for what libcurl would normalise), and offers cmocka assertions for SCIM responses.
 * Owns: the scimd child process, its temporary directory and log. Must not: link the daemon's
 * code or reach into the database except through the explicit raw-SQL helpers used for test setup.
 */
#ifndef SCIM_E2E_HARNESS_H
#define SCIM_E2E_HARNESS_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define E2E_SCIM_ERROR_SCHEMA "urn:ietf:params:scim:api:messages:2.0:Error"
#define E2E_LIST_SCHEMA "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define E2E_USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"
#define E2E_ENTERPRISE_SCHEMA "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define E2E_PATCH_SCHEMA "urn:ietf:params:scim:api:messages:2.0:PatchOp"

/* A running (or stopped) scimd and everything it owns on disk. */
struct e2e_server {
    char dir[256];     /* temporary directory, removed by e2e_server_free */
    char db[320];      /* <dir>/scimd.db */
    char log[320];     /* <dir>/scimd.log: scimd's stdout and stderr, appended across restarts */
    char **extra_args; /* owned copy of the extra scimd arguments, NULL-terminated */
    pid_t pid;         /* 0 when not running */
    uint16_t port;     /* the port of the current run */
    char *tenant;      /* owned: the tenant e2e_setup created, or NULL */
    char *token;       /* owned: a token of that tenant, or NULL */
};

/*
 * Creates a temporary directory and starts scimd in it with
 * `--listen 127.0.0.1:0 --database <dir>/scimd.db` plus extra_args (NULL-terminated, may be NULL),
 * then waits up to 10 s for its "listening on 127.0.0.1:<port>" log line. Returns 0 and *out
 * (free with e2e_server_free), or -1 after printing why (and the log).
 */
int e2e_server_start(const char *const *extra_args, struct e2e_server **out);

/* e2e_server_start plus tenant "e2e" and a token for it in srv->tenant and srv->token. */
int e2e_setup(const char *const *extra_args, struct e2e_server **out);

/* Starts scimd again on the same database (a new ephemeral port). 0, or -1 after printing why. */
int e2e_server_restart(struct e2e_server *srv);

/*
 * Sends SIGTERM and waits up to 20 s. Returns scimd's exit status (0 for a clean stop), 128 plus
 * the signal number when it died from a signal, or -1 when it had to be killed after the timeout.
 */
int e2e_server_stop(struct e2e_server *srv);

/* Sends a signal to the running scimd (nothing when it is not running). */
void e2e_server_signal(struct e2e_server *srv, int sig);

/*
 * Waits up to timeout_ms for scimd to exit and reaps it. Returns the exit status, 128 plus the
 * signal number when it died from a signal, or -1 on timeout (it is then still running).
 */
int e2e_server_wait(struct e2e_server *srv, int timeout_ms);

/* Sends SIGKILL and reaps the process. */
void e2e_server_kill(struct e2e_server *srv);

/* True while the scimd process exists (it is reaped here if it has died). */
bool e2e_server_alive(struct e2e_server *srv);

/*
 * Kills scimd if it still runs and removes the temporary directory (kept when the environment
 * variable E2E_KEEP is set, for a post-mortem). Safe with NULL.
 */
void e2e_server_free(struct e2e_server *srv);

/*
 * Group teardown helper: stops scimd with SIGTERM, prints the log when the exit status is not 0,
 * frees srv. Returns 0 when scimd exited with status 0, else -1 (cmocka reports the failure).
 */
int e2e_teardown(struct e2e_server *srv);

/* Prints the last lines of scimd's log to stderr (used when an assertion fails). */
void e2e_server_dump_log(const struct e2e_server *srv);

/* Reads the whole log (new string for scim_free, never NULL). */
char *e2e_server_read_log(const struct e2e_server *srv);

/*
 * Runs `$SCIMCTL_BIN --database <db> <args...>` (a NULL-terminated list of const char *).
 * Captures stdout into *out (new string for scim_free; pass NULL to discard); stderr is appended
 * to <dir>/scimctl.log. Returns the exit status, or -1 when it could not run.
 */
int e2e_scimctl(struct e2e_server *srv, char **out, ...) __attribute__((sentinel));

/* `tenant create NAME`; 0 on success. */
int e2e_tenant_create(struct e2e_server *srv, const char *name);

/*
 * `token create --tenant T --description D --expires-in-days N --quiet`; returns the plaintext
 * (new string for scim_free) or NULL.
 */
char *e2e_token_create(struct e2e_server *srv, const char *tenant, const char *description,
                       int days);

/* The id of the token with this description, from `token list --json` (new string or NULL). */
char *e2e_token_id(struct e2e_server *srv, const char *description);

/*
 * Raw SQL on the database with a private sqlite3 connection (busy timeout 5 s): test setup and
 * inspection only, never product behaviour. e2e_sql_exec returns 0 or -1 (message printed);
 * e2e_sql_text returns the first column of the first row as a new string, or NULL.
 */
int e2e_sql_exec(const struct e2e_server *srv, const char *sql);
char *e2e_sql_text(const struct e2e_server *srv, const char *sql);

/* True when needle occurs in the bytes of any file of the database (db, -wal, -shm, -journal). */
bool e2e_database_contains(const struct e2e_server *srv, const char *needle);

/* A response as the client saw it. */
struct e2e_resp {
    long status; /* HTTP status; 0 when no response arrived (see error) */
    char *body;  /* owned, NUL-terminated raw body (may be empty, never NULL) */
    size_t body_len;
    json_t *json;                    /* owned: the body parsed as JSON, or NULL */
    size_t n_headers;                /* headers of the final response (after any 1xx) */
    char **header_names;             /* owned */
    char **header_values;            /* owned, trimmed */
    char error[256];                 /* transport error text when status is 0 */
    const struct e2e_server *server; /* borrowed, for failure diagnostics */
};

/* Frees a response; safe with NULL. */
void e2e_resp_free(struct e2e_resp *resp);

/* The first response header with this name (case-insensitive), borrowed; or NULL. */
const char *e2e_header(const struct e2e_resp *resp, const char *name);

/* The content type that means "send no Content-Type header at all". */
#define E2E_NO_CONTENT_TYPE ""

/* A request. Unset members mean: no token, no body, no extra headers, a fresh connection. */
struct e2e_req {
    const char *method;         /* "GET" when NULL */
    const char *path;           /* relative to http://127.0.0.1:<port>, e.g. "/scim/v2/Users" */
    const char *token;          /* bearer token, or NULL for no Authorization header */
    const char *body;           /* request body, or NULL */
    size_t body_len;            /* 0: strlen(body) */
    const char *content_type;   /* NULL: application/scim+json when there is a body */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
    CURL *curl;                 /* a handle to reuse (keeps its connection), or NULL */
};

/* Sends req to srv and returns the response (never NULL; free with e2e_resp_free). */
struct e2e_resp *e2e_http(const struct e2e_server *srv, const struct e2e_req *req);

/* GET path (printf format) with a token. */
struct e2e_resp *e2e_get(const struct e2e_server *srv, const char *token, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* method path (printf format) with a token and an application/scim+json body (or NULL). */
struct e2e_resp *e2e_send(const struct e2e_server *srv, const char *method, const char *token,
                          const char *body, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* GET /scim/v2/Users?filter=<filter, URL-encoded> with a token. */
struct e2e_resp *e2e_filter_users(const struct e2e_server *srv, const char *token,
                                  const char *filter);

/* Percent-encodes s for a query string; new string for scim_free. */
char *e2e_urlencode(const char *s);

/* Flags of e2e_raw. */
enum e2e_raw_flags {
    E2E_RAW_SHUT_WR = 1 << 0, /* half-close the socket after sending everything */
    E2E_RAW_NO_READ = 1 << 1  /* close right after sending: a client that goes away */
};

/*
 * Sends head (the request line and headers, ending with the blank line) and then body_len bytes
 * of body over a plain TCP socket, exactly as given, and reads one response (by Content-Length,
 * or until the server closes, at most 15 s). If the server answers before the body is sent, the
 * rest of the body is not sent. Returns the response (status 0 with error set when none came;
 * always so with E2E_RAW_NO_READ).
 */
struct e2e_resp *e2e_raw(const struct e2e_server *srv, const char *head, const char *body,
                         size_t body_len, unsigned flags);

/*
 * The member at a dotted path of doc ("meta.location", "emails[0].value",
 * "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value": a segment that
 * starts with "urn:" runs to the first '.' after the last ':' of the path); borrowed or NULL.
 */
json_t *e2e_json_at(const json_t *doc, const char *path);

/* String at a dotted path, or NULL. */
const char *e2e_str(const json_t *doc, const char *path);

/* Creates a user {"userName": user_name} plus extra members (a JSON object text, or NULL);
 * asserts 201 and returns the response. */
struct e2e_resp *e2e_create_user_(const struct e2e_server *srv, const char *token,
                                  const char *user_name, const char *extra_json, const char *file,
                                  int line);
#define e2e_create_user(srv, token, user_name, extra_json)                                         \
    e2e_create_user_((srv), (token), (user_name), (extra_json), __FILE__, __LINE__)

/* cmocka assertions that print the response and the end of scimd's log when they fail. */
void e2e_assert_status_(const struct e2e_resp *resp, long status, const char *file, int line);
void e2e_assert_scim_error_(const struct e2e_resp *resp, long status, const char *scim_type,
                            const char *file, int line);
void e2e_assert_scim_content_type_(const struct e2e_resp *resp, const char *file, int line);
void e2e_assert_json_str_(const struct e2e_resp *resp, const char *path, const char *expected,
                          const char *file, int line);
void e2e_assert_json_int_(const struct e2e_resp *resp, const char *path, long long expected,
                          const char *file, int line);
void e2e_assert_json_absent_(const struct e2e_resp *resp, const char *path, const char *file,
                             int line);
void e2e_assert_header_(const struct e2e_resp *resp, const char *name, const char *expected,
                        const char *file, int line);
void e2e_assert_str_(const char *got, const char *expected, const char *file, int line);
void e2e_fail_(const struct e2e_resp *resp, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The response's status is status. */
#define assert_status(resp, status) e2e_assert_status_((resp), (status), __FILE__, __LINE__)
/*
 * A SCIM Error (RFC 7644 §3.12): the status, Content-Type application/scim+json, schemas exactly
 * [Error], "status" the code as a string, and scimType equal to scim_type (or not checked when
 * NULL).
 */
#define assert_scim_error(resp, status, scim_type)                                                 \
    e2e_assert_scim_error_((resp), (status), (scim_type), __FILE__, __LINE__)
/* Content-Type is application/scim+json (parameters such as charset allowed). */
#define assert_scim_content_type(resp) e2e_assert_scim_content_type_((resp), __FILE__, __LINE__)
/* The string at a dotted path of the JSON body equals expected. */
#define assert_json_str(resp, path, expected)                                                      \
    e2e_assert_json_str_((resp), (path), (expected), __FILE__, __LINE__)
/* The integer at a dotted path of the JSON body equals expected. */
#define assert_json_int(resp, path, expected)                                                      \
    e2e_assert_json_int_((resp), (path), (expected), __FILE__, __LINE__)
/* Nothing is at a dotted path of the JSON body. */
#define assert_json_absent(resp, path) e2e_assert_json_absent_((resp), (path), __FILE__, __LINE__)
/* A response header equals expected (expected NULL: the header is present at all). */
#define assert_header(resp, name, expected)                                                        \
    e2e_assert_header_((resp), (name), (expected), __FILE__, __LINE__)
/* Two strings are equal; got may be NULL (a failure, not a crash). */
#define assert_str(got, expected) e2e_assert_str_((got), (expected), __FILE__, __LINE__)
/* Fails the test with a message, printing the response (may be NULL). */
#define e2e_fail(resp, ...) e2e_fail_((resp), __FILE__, __LINE__, __VA_ARGS__)

#endif
