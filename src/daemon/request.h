/*
 * request — the per-request state every handler receives: what the client sent (method, path,
 * bounded body, query and header accessors), who it is (the auth result), and what to send back
 * (status, JSON body, headers). The server owns and frees it in libmicrohttpd's completion
 * callback; handlers only fill the response part.
 */
#ifndef SCIM_REQUEST_H
#define SCIM_REQUEST_H

#include "config.h"
#include "dialect.h"
#include "err.h"
#include "list.h"
#include "store.h"
#include "token.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct scim_audit_log;
struct scim_ratelimit;

/* Shared, read-only after start (except the in-flight counter the server maintains). */
struct scimd_context {
    const struct scim_config *cfg;
    struct scim_store *store;
    struct scim_audit_log *audit;  /* audit.h: the row writer; NULL = rows are not queued */
    struct scim_ratelimit *limits; /* ratelimit.h; NULL = no limits */
};

struct scim_auth {
    bool ok;
    struct scim_tenant tenant;
    char token_id[48];
    unsigned scopes;     /* enum scim_scope bits */
    char client_id[48];  /* the OAuth client of an access token from /oauth/token; "" otherwise */
    bool without_bearer; /* the token came without "Bearer " (okta.token-without-bearer) */
    /* Set by the router when the client's address is over its failed-authentication limit:
     * only a token that authenticated from it before is looked up (ratelimit.h). */
    bool known_tokens_only;
};

/* What the audit row of a request says beyond the request itself (audit.h). */
struct scim_request_audit {
    char actor[96];            /* set by auth, also for a failed authentication with a known
                                  token; "" = "anonymous" */
    int64_t tenant_id;         /* 0 = unknown */
    const char *resource_type; /* static string (route's resource type, "Token", ...) or NULL */
    char resource_id[64];      /* from the path, or set by the handler (create) */
    bool written;              /* the handler's store write inserted the row in its transaction */
    bool skip;                 /* not an audited endpoint (/healthz) */
};

#define SCIM_REQUEST_MAX_HEADERS 8
#define SCIM_REQUEST_MAX_PARAMS 2

struct scim_request {
    struct MHD_Connection *conn;
    const struct scimd_context *ctx;
    const char *method;                    /* borrowed from libmicrohttpd, valid for the request */
    char *path;                            /* owned copy of the URL path without trailing '/' */
    char *params[SCIM_REQUEST_MAX_PARAMS]; /* pointers into path_segments for '*' parts */
    char *path_segments;                   /* owned scratch copy split by the router */
    const void *route_data;                /* the matched route's data (e.g. resource type) */

    char *body; /* owned, NUL-terminated */
    size_t body_len;
    size_t body_cap;
    bool body_too_large;

    bool counted;        /* the server counts it in flight (dispatched, not yet completed) */
    bool large_response; /* the body was at least LARGE_RESPONSE_BYTES: trim the heap after */
    char request_id[24];
    int64_t start_us;
    char base_url[512];
    struct scim_auth auth;

    /* The unknown attributes a write dropped (tenant setting unknown_attributes=ignore), joined
     * by ","; "" when none. The access log names them (" ignored=..."). */
    char ignored[256];

    /* Set by the PUT and PATCH handlers: the IdP dialect rules (dialect.h) applied to the body.
     * The access log names them (" dialect=entra.capitalised-op,..."); audit rows will too. */
    struct scim_dialect_report dialect;
    /* Set by the PUT and PATCH handlers when the request deactivated a resource (active went
     * from true or unset to false): the hook for audit rows and change events. */
    bool deactivated;

    struct scim_request_audit audit;

    /* Response, filled by handlers. */
    int status;
    json_t *resp_body; /* owned; NULL for no body */
    const char *header_names[SCIM_REQUEST_MAX_HEADERS];
    char *header_values[SCIM_REQUEST_MAX_HEADERS]; /* owned */
    size_t n_headers;
};

/* Header and query accessors; the strings are borrowed from libmicrohttpd (valid for the
 * request) or NULL when absent. A query parameter given without "=" ("?cursor") is "". */
const char *scim_request_header(const struct scim_request *req, const char *name);
const char *scim_request_query(const struct scim_request *req, const char *name);
/* All lines of a repeated header joined with ", " into buf (RFC 9110 §5.3), or NULL when there
 * is none; a list longer than buf is replaced by an entry that names no version. */
const char *scim_request_header_list(const struct scim_request *req, const char *name, char *buf,
                                     size_t size);

/*
 * The client's IP address bytes (4 for IPv4, 16 for IPv6) into out; returns their count, or 0
 * when unknown.
 */
size_t scim_request_client_addr(const struct scim_request *req, unsigned char out[16]);

/* Adds a response header; value is copied. A handler that adds "Content-Type" replaces the
 * default application/scim+json. */
void scim_request_add_header(struct scim_request *req, const char *name, const char *value);

/* Sets the response: status and body (the reference is stolen; NULL for none). */
void scim_request_respond(struct scim_request *req, int status, json_t *body);

/* The failed-authentication limiter's record of the tokens that authenticated from req's
 * address (ratelimit.h): remember hash (a token's SHA-256) as good / ask whether it is. Known
 * when the limiter is off. */
void scim_request_token_good(const struct scim_request *req, const unsigned char *hash);
bool scim_request_token_known(const struct scim_request *req, const unsigned char *hash);

/* The first query parameter of req whose name is not in known (NULL-terminated; names compared
 * exactly), or NULL when all are known. Borrowed for the request's lifetime. */
const char *scim_request_unknown_query(const struct scim_request *req, const char *const *known);

/* Parses attributes= / excludedAttributes= of the query against rt (see list.h). */
int scim_request_projection(const struct scim_request *req, const struct scim_resource_type *rt,
                            struct scim_projection *p, struct scim_err *err);

/*
 * The unknown-attribute step of a write (unknown.h), after the dialect step: when *body (a
 * POST/PUT body, or with patch a PatchOp body) names attributes no schema of rt defines and the
 * tenant's unknown_attributes is "ignore", *body is replaced by a copy without them and
 * req->ignored names them; otherwise *body is left for the validator to refuse. The tenant's
 * settings are read only when there is something unknown. 0, or a store failure.
 */
int scim_request_unknown_attributes(struct scim_request *req, const struct scim_resource_type *rt,
                                    bool patch, json_t **body, struct scim_err *err);

/* Adds ETag and Location (meta.location) for a stored resource of type rt. */
void scim_request_resource_headers(struct scim_request *req, const struct scim_resource_type *rt,
                                   const struct scim_resource *res);

/* The precondition of a read (RFC 9110 §13.2.2: If-Match before If-None-Match): 412 when
 * If-Match does not name the version current (nor is "*"); 0 otherwise, also without it. */
int scim_request_read_precondition(const struct scim_request *req, int64_t current,
                                   struct scim_err *err);

/*
 * The conditional headers of a write, If-Match and If-None-Match (RFC 9110 §13.1.1-2 with the
 * weak ETags of RFC 7644 §3.14), against the resource's current version. Returns 0 with
 * *required the version the write must happen at (so that a concurrent change is a 412, not a
 * retry), or -1 when neither header was sent; 412 in err when the headers refuse the write.
 */
int scim_request_write_precondition(const struct scim_request *req, int64_t current,
                                    int64_t *required, struct scim_err *err);

/* True when the request carries If-Match or If-None-Match. */
bool scim_request_is_conditional(const struct scim_request *req);

/* Parses the body as a JSON object with the configured limits (see scim_json_parse_object). */
int scim_request_json(const struct scim_request *req, json_t **out, struct scim_err *err);

#endif
