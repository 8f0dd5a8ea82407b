/*
 * store — the only place SQL exists. One ops table every backend implements (SQLite now,
 * PostgreSQL later; see store_backend.h); callers use the scim_store_* functions below, which
 * dispatch through it.
 * Tenant isolation by construction: every function that touches resources takes a tenant handle,
 * and every query it runs is bound to that tenant's id; there is no function that reads across
 * tenants. Tokens are looked up by hash (that lookup is what resolves the tenant).
 * Every write runs in one transaction; a failed call changes nothing.
 * Thread safety: a store may be used by any number of threads at once (each call borrows one
 * pooled connection); scim_store_close must only be called once no call is in flight.
 * Errors: 404, 409 (scimType "uniqueness"), 412 as documented per function; any database failure
 * is a 500 whose cause goes to the log, never to the client.
 * Listing: filters compile to indexed SQL (sqlgen.h), sorting and RFC 9865 cursors use keyset
 * pagination; the multi-valued value index (emails.value, ...) is maintained by every write in
 * the same transaction.
 * Output parameters are written only on success; on failure they are left untouched.
 * Must not: parse HTTP or validate SCIM documents (resource.c does that before the store is
 * called).
 */
#ifndef SCIM_STORE_H
#define SCIM_STORE_H

#include "err.h"
#include "filter.h"
#include "path.h"
#include "resource.h"
#include "token.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scim_store;

/* A tenant handle: resolved once (from a token, or by name in scimctl) and passed to every call. */
struct scim_tenant {
    int64_t id;
    char name[64];
};

#define SCIM_TOKEN_HASH_LEN 32

struct scim_token_record {
    char id[48]; /* "tok_" + 22 base64url chars */
    struct scim_tenant tenant;
    char description[SCIM_DESCRIPTION_BUF];
    char scopes[128]; /* space-separated, e.g. "scim" or "admin" */
    char hint[48];    /* display hint: prefix (up to 32 characters), "_…" and the
                         last four characters, "scim_…AbCd" */
    int64_t created_ms;
    int64_t expires_ms;                      /* 0 = never */
    int64_t revoked_ms;                      /* 0 = not revoked */
    int64_t last_used_ms;                    /* 0 = never used */
    unsigned char hash[SCIM_TOKEN_HASH_LEN]; /* filled by find only: the stored SHA-256 */
    /* The OAuth client that obtained this access token at /oauth/token; "" for a static token.
     * find reports the token revoked (revoked_ms) when its client is revoked. */
    char client_id[48];
};

/*
 * One audit row (see the audit table of migration 003). Strings are borrowed; NULL is stored as
 * NULL. Written either inside the transaction of a successful write (the write functions below
 * take it as their audit parameter; NULL = not audited, for internal callers) or appended after
 * the fact with scim_store_audit_append. It must never hold a token, secret or password:
 * diff is JSON text already redacted by the caller.
 */
struct scim_audit_entry {
    int64_t tenant_id; /* 0 = none (failed authentication); ignored by the write functions, which
                          use the tenant they write to */
    int64_t time_ms;
    const char *actor; /* "scim-key:tok_…", "admin-key:tok_…", "oauth-client:cli_…", "anonymous" */
    const char *method;
    const char *path;
    const char *resource_type; /* write functions: NULL = the resource type written */
    const char *resource_id;   /* write functions: NULL = the id written (create assigns it) */
    int status;                /* the HTTP status of the response */
    const char *request_id;    /* as in the X-Request-Id response header */
    const char *diff;          /* JSON object text or NULL */
    const char *dialect;       /* comma-separated IdP dialect rule names or NULL */
};

/* RFC 9865 §3.2: the cursor is malformed, was issued for another query, or was altered. */
#ifndef SCIM_TYPE_INVALID_CURSOR
#define SCIM_TYPE_INVALID_CURSOR "invalidCursor"
#endif

/* The longest cursor text the store accepts; longer is an invalidCursor. */
#define SCIM_STORE_CURSOR_MAX 16384

/*
 * What a list request asks of the store. Zero-initialise it (designated initialisers), then set
 * what applies: a zeroed query lists everything in creation order with index paging.
 */
struct scim_list_query {
    /*
     * Deprecated (kept for callers not yet using filter): one equality on "id", "userName"
     * (case-insensitive) or "externalId" (case-exact); NULL filter_attr = none. Ignored when
     * filter is set. Any other attribute is a 400 invalidFilter.
     */
    const char *filter_attr;
    const char *filter_value;
    int64_t start_index; /* index paging: 1-based; values < 1 are treated as 1 */
    int64_t count;       /* maximum rows to return; 0 (or less) = only the total; the caller
                            bounds it */
    /* The filter (borrowed), parsed and resolved against the resource type listed; NULL = all.
     * Translated to SQL by sqlgen (see scim_sqlgen_where for its exact semantics). */
    const struct scim_filter *filter;
    /* sortBy (borrowed, resolved against the same resource type; path->filter must be NULL);
     * NULL = creation order. Resources without a value sort last ascending, first descending
     * (RFC 7644 §3.4.2.3); ties are broken by creation order, so the order is total and stable.
     * descending reverses the whole order (ties too); it is ignored without sort_by. */
    const struct scim_path *sort_by;
    bool descending;
    /*
     * RFC 9865 cursor paging. NULL: index paging with start_index. "": the first page in cursor
     * mode. Otherwise a next_cursor or previous_cursor this store issued for the same tenant,
     * resource type, filter, sort_by and descending (anything else: 400 invalidCursor);
     * start_index is then ignored. Pages are found by keyset (sort key, creation order) on an
     * index where there is one, never by offset, so a page deep in the walk costs what the first
     * costs (the total is still a COUNT over every match, on every page).
     */
    const char *cursor;
};

/* One page of a list. Zero-initialise; release with scim_store_page_clear. */
struct scim_list_page {
    struct scim_resource *rows; /* owned array of n rows; NULL when n is 0 */
    size_t n;
    int64_t total; /* resources matching the filter overall (in cursor mode too) */
    /*
     * Cursor mode only, else NULL. Owned strings (freed by scim_store_page_clear), opaque
     * base64url text. next_cursor is NULL on the last page; previous_cursor is NULL on the
     * first page. Both stay valid across restarts of the same database.
     */
    char *next_cursor;
    char *previous_cursor;
};

/*
 * Opens (creating if needed) the database at path and brings its schema up to date by running the
 * numbered migrations. pool_size connections are kept for concurrent callers (at least 1).
 * A path starting with "postgres://" or "postgresql://" selects PostgreSQL (not available in this
 * build yet: 500); anything else is a SQLite file path whose missing parent directory is created.
 * SQLite runs in WAL mode with synchronous=NORMAL: a committed write survives a crash or SIGKILL
 * of the process; an operating-system crash or power loss may roll back the last commits but
 * never corrupts the file.
 * Returns 0 and *out (free with scim_store_close), or a negative scim_rc with err filled (the
 * detail of an open error names the path and cause, for the operator).
 */
int scim_store_open(const char *path, int pool_size, struct scim_store **out, struct scim_err *err);
void scim_store_close(struct scim_store *st);

/*
 * Runs PRAGMA integrity_check and foreign_key_check (or the backend's equivalent); 0 when the
 * database is sound, else a 500 whose detail says what failed.
 */
int scim_store_check(struct scim_store *st, struct scim_err *err);

/*
 * A read snapshot for the calling thread: until scim_store_read_end, or until the thread's first
 * write, the reads this thread makes share one connection and one read transaction (a GET's
 * token lookup, resource and memberships then cost one transaction, not three, and agree with
 * each other; a PATCH reads its token and the current resource in one). A write ends the
 * snapshot before it starts, so reads after a write see it. Not nested. scim_store_read_end ends
 * it (a no-op when a write already did; a failure to begin is only logged: the reads then run
 * one transaction each, as without a snapshot).
 */
void scim_store_read_begin(struct scim_store *st);
void scim_store_read_end(struct scim_store *st);

/*
 * Tenants. create: 409 uniqueness if the name exists; 400 invalidValue when name is empty or does
 * not fit struct scim_tenant.name. get: 404 if unknown.
 */
int scim_store_tenant_create(struct scim_store *st, const char *name, struct scim_tenant *out,
                             struct scim_err *err);
int scim_store_tenant_get(struct scim_store *st, const char *name, struct scim_tenant *out,
                          struct scim_err *err);
/*
 * *out: new reference, an array of {"name", "created"} objects in creation order; created is an
 * RFC 3339 time.
 */
int scim_store_tenant_list(struct scim_store *st, json_t **out, struct scim_err *err);

/*
 * Tokens. insert: stores rec (its tenant must exist, else 404; a duplicate id or hash is a 409)
 * with the SHA-256 of the plaintext. rec->last_used_ms and rec->revoked_ms are stored as given;
 * rec->client_id (when not "") must name an existing OAuth client. audit (NULL: none) is
 * inserted in the same transaction (its resource_id defaults to the token id); if that insert
 * fails the token is not stored.
 */
int scim_store_token_insert(struct scim_store *st, const struct scim_token_record *rec,
                            const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                            const struct scim_audit_entry *audit, struct scim_err *err);
/* Finds the token whose hash equals hash; 404 when none. Revoked/expired rows are returned too. */
int scim_store_token_find(struct scim_store *st, const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                          struct scim_token_record *out, struct scim_err *err);
/*
 * Lists tokens (metadata only, never a hash) of one tenant, or of every tenant when tenant is
 * NULL (scimctl only). OAuth access tokens (client_id set) are not listed. *out: new array of
 * objects {id, tenant, description, scopes, hint, created_at, expires_at, revoked_at, last_used_at}
 * with RFC 3339 times or null.
 */
int scim_store_token_list(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                          struct scim_err *err);
/*
 * Marks a token revoked at now_ms; 404 if unknown (or, with tenant non-NULL, of another tenant).
 * Revoking a revoked token succeeds and keeps the first revocation time. audit (NULL: none; only
 * with tenant non-NULL) is inserted in the same transaction.
 */
int scim_store_token_revoke(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                            int64_t now_ms, const struct scim_audit_entry *audit,
                            struct scim_err *err);
/*
 * Records last use; cheap (one indexed read), and the write is skipped when the stored value is
 * less than a minute old. 404 if the token is unknown.
 */
int scim_store_token_touch(struct scim_store *st, const char *id, int64_t now_ms,
                           struct scim_err *err);

/*
 * Resources of type rt_name ("User", ...) in one tenant. doc is a normalised document (borrowed)
 * without id and meta. password_hash is an Argon2id string or NULL.
 * create: assigns id (UUID v7), version 1, created = modified = now; 409 uniqueness when an
 *   active resource of the tenant already has the same userName (case-insensitive).
 * get: 404 for unknown or deleted ids.
 * replace: expected_version < 0 means any; otherwise 412 when the stored version differs.
 *   password_hash NULL keeps the stored hash. version + 1, modified = now. 404, 409 as above.
 * delete: marks the row deleted (a tombstone stays, without its password hash; the userName
 *   becomes free). 404, 412.
 * The indexed columns (userName and displayName case-folded, externalId, active) and the value
 * index entries (scim_sqlgen_index_values) are taken from doc, in the same transaction; delete
 * removes the resource's value index entries.
 * On success *out (if non-NULL) receives the stored resource; its doc is a new reference to
 * the doc given (shared, not copied: neither side may change it in place afterwards); clear it
 * with scim_resource_clear.
 * audit (NULL: not audited, for internal callers) is inserted into the audit table inside the
 * write's transaction, for the write's tenant; when that insert fails, the whole write fails
 * (500) and nothing is changed: there is no unaudited change.
 */
int scim_store_resource_create(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *rt_name, const json_t *doc, const char *password_hash,
                               struct scim_resource *out, const struct scim_audit_entry *audit,
                               struct scim_err *err);
/* The stored password hash (an Argon2id string) of a live resource into out (size bytes; ""
 * when it has none). 0, 404, or a store failure. For telling a re-sent password from a new one;
 * the hash never leaves the process. */
int scim_store_password_hash_get(struct scim_store *st, const struct scim_tenant *tenant,
                                 const char *rt_name, const char *id, char *out, size_t size,
                                 struct scim_err *err);
int scim_store_resource_get(struct scim_store *st, const struct scim_tenant *tenant,
                            const char *rt_name, const char *id, struct scim_resource *out,
                            struct scim_err *err);
int scim_store_resource_replace(struct scim_store *st, const struct scim_tenant *tenant,
                                const char *rt_name, const char *id, int64_t expected_version,
                                const json_t *doc, const char *password_hash,
                                struct scim_resource *out, const struct scim_audit_entry *audit,
                                struct scim_err *err);
int scim_store_resource_delete(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *rt_name, const char *id, int64_t expected_version,
                               const struct scim_audit_entry *audit, struct scim_err *err);
/*
 * Lists live resources of type rt_name in one tenant as query asks (filter, sort, index or cursor
 * paging; see struct scim_list_query). All of it reads one snapshot: the total and the page agree.
 * On success *page (zeroed by the caller) holds the rows, the total and, in cursor mode, the
 * cursors; release it with scim_store_page_clear. count 0 returns no rows (and no cursors) but the
 * total. Errors: 400 invalidFilter for a filter the store cannot answer (meta.location) or an
 * unsupported filter_attr; 400 invalidValue for a sort_by on a complex attribute; 400
 * invalidCursor for a malformed, altered or foreign cursor.
 */
int scim_store_resource_query(struct scim_store *st, const struct scim_tenant *tenant,
                              const char *rt_name, const struct scim_list_query *query,
                              struct scim_list_page *page, struct scim_err *err);
/* Frees everything page owns and zeroes it. Safe on a zeroed page. */
void scim_store_page_clear(struct scim_list_page *page);

/*
 * The older form of scim_store_resource_query, kept for existing callers: the same query, but
 * only rows and total come back (any cursors are dropped). *rows: array of *n resources (free
 * with scim_store_rows_free; NULL when *n is 0).
 */
int scim_store_resource_list(struct scim_store *st, const struct scim_tenant *tenant,
                             const char *rt_name, const struct scim_list_query *query,
                             struct scim_resource **rows, size_t *n, int64_t *total,
                             struct scim_err *err);
/* Clears every row and frees the array; safe with NULL. */
void scim_store_rows_free(struct scim_resource *rows, size_t n);

/* ---- audit log (store_sqlite_audit.c) -------------------------------------------------------- */

/*
 * Appends n audit rows (each with its own tenant_id, 0 = none) in one transaction: all or none.
 * Used for what is not written with a change: reads, failed requests, failed authentication.
 */
int scim_store_audit_append(struct scim_store *st, const struct scim_audit_entry *entries, size_t n,
                            struct scim_err *err);

/* What an audit search asks; zero-initialise and set what applies. */
struct scim_audit_query {
    int64_t since_ms;        /* rows at or after this time; 0 = no lower bound */
    int64_t until_ms;        /* rows before this time; 0 = no upper bound */
    const char *actor;       /* exact actor, or NULL */
    const char *resource_id; /* exact resource id, or NULL */
    int64_t limit;           /* rows per page, 1..SCIM_AUDIT_PAGE_MAX (other values: 100) */
    const char *cursor;      /* a next_cursor from an earlier page of the same search, or NULL */
};

#define SCIM_AUDIT_PAGE_MAX 1000

/*
 * Searches the audit rows of one tenant (NULL: every tenant, for scimctl), newest first (by time,
 * then insertion order). *entries: new array of objects {id, time (RFC 3339), tenant (name or
 * null), actor, method, path, resource_type, resource_id, status, request_id, diff (object or
 * null), dialect (array of rule names)}. *next_cursor: new string for scim_free when more rows
 * follow, else NULL. A cursor that is not one this store issued: 400 invalidValue.
 */
int scim_store_audit_query(struct scim_store *st, const struct scim_tenant *tenant,
                           const struct scim_audit_query *query, json_t **entries,
                           char **next_cursor, struct scim_err *err);

/*
 * Retention: deletes audit rows older than audit_before_ms (0: none), then OAuth access tokens
 * that expired before tokens_before_ms (0: none), in small transactions so that writers are never
 * held up for long, and at most max_rows rows in all (0: no bound), so that a caller can do other
 * work between calls. *deleted (if non-NULL) receives the number of rows deleted; fewer than
 * max_rows means nothing due is left.
 */
int scim_store_audit_prune(struct scim_store *st, int64_t audit_before_ms, int64_t tokens_before_ms,
                           int64_t max_rows, int64_t *deleted, struct scim_err *err);

/* ---- OAuth 2.0 clients (RFC 6749 §4.4; store_sqlite_audit.c) --------------------------------- */

struct scim_client_record {
    char id[48]; /* "cli_" + 22 base64url chars */
    struct scim_tenant tenant;
    char description[SCIM_DESCRIPTION_BUF];
    char scopes[128]; /* space-separated, as for tokens */
    int64_t created_ms;
    int64_t revoked_ms;                             /* 0 = not revoked */
    unsigned char secret_hash[SCIM_TOKEN_HASH_LEN]; /* SHA-256 of the secret */
};

/* Stores a client (its tenant must exist, else 404; a duplicate id is a 409). */
int scim_store_client_insert(struct scim_store *st, const struct scim_client_record *rec,
                             struct scim_err *err);
/* Finds a client by id, revoked or not, with its secret hash; 404 when unknown. */
int scim_store_client_get(struct scim_store *st, const char *id, struct scim_client_record *out,
                          struct scim_err *err);
/*
 * Lists the clients of one tenant (NULL: every tenant). *out: new array of objects {id, tenant,
 * description, scopes, created_at, revoked_at}; never a hash.
 */
int scim_store_client_list(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                           struct scim_err *err);
/*
 * Revokes a client (404 if unknown, or of another tenant when tenant is non-NULL) and, in the
 * same transaction, every access token it obtained: the next request with any of them is a 401.
 * Revoking a revoked client succeeds and keeps the first time.
 */
int scim_store_client_revoke(struct scim_store *st, const struct scim_tenant *tenant,
                             const char *id, int64_t now_ms, struct scim_err *err);

#endif
