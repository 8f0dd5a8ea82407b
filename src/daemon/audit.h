/*
 * audit — the audit log of scimd, daemon side: who did what (the actor names of tokens and OAuth
 * clients), the before/after diff of a write with secrets redacted and the IdP dialect rules
 * named, the audit row of a request, and the background writer that appends the rows not
 * written inside a change's transaction (reads, failures, failed authentication) in batches and
 * prunes old rows (retention) at start and hourly.
 * A successful write's row is never queued: the handler hands it to the store write function,
 * which inserts it in the same transaction (store.h), so no change exists without its row.
 * Owns: the diff format, redaction, the row queue and its thread. Must not: hold a token or
 * password (rows name token ids, never plaintexts; diffs are redacted before they leave here),
 * build SQL, or send responses.
 */
#ifndef SCIM_AUDIT_H
#define SCIM_AUDIT_H

#include "dialect.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scim_request;

/* What replaces a secret value in a diff. */
#define SCIM_AUDIT_REDACTED "[redacted]"
/* Buffer sizes that always suffice for an actor and a path of a row. */
#define SCIM_AUDIT_ACTOR_MAX 96
#define SCIM_AUDIT_PATH_MAX 1024

/*
 * The actor of a request authenticated by token token_id with scopes (enum scim_scope bits)
 * obtained by OAuth client client_id ("" or NULL for a static token), into out:
 * "oauth-client:<clientId>", "admin-key:<tokenId>" (a token with the admin scope) or
 * "scim-key:<tokenId>".
 */
void scim_audit_actor(const char *token_id, unsigned scopes, const char *client_id, char *out,
                      size_t size);

/* True when an attribute name (any case) names a secret: it contains "password", "secret" or
 * "token". */
bool scim_audit_sensitive_name(const char *name);

/* Replaces, in place and at any depth, the value of every member with a sensitive name by
 * SCIM_AUDIT_REDACTED. */
void scim_audit_redact(json_t *v);

/*
 * The diff of a write: returns a new reference {"before": {...}, "after": {...}} holding, for
 * each attribute that differs between before and after (borrowed normalised documents; NULL or
 * an empty object for "none", as in a create or a delete), its old and new value (null when
 * absent). Complex and extension attributes are compared one level down and named
 * "name.givenName" or "<extension URN>:<attribute>"; others are compared whole. Secret values
 * are redacted; password_changed adds "password": "[redacted]" on both sides. When dialect
 * (may be NULL) names rules, "dialect": [rule names] is added. Returns NULL when nothing
 * changed and no rule fired.
 */
json_t *scim_audit_diff(const json_t *before, const json_t *after, bool password_changed,
                        const struct scim_dialect_report *dialect);

/*
 * One audit row being built for a request, with the storage its borrowed strings point into.
 * Fill it with scim_audit_row_init, adjust e as needed, then pass &row.e to a store write or to
 * scim_audit_log_submit; release it with scim_audit_row_clear.
 */
struct scim_audit_row {
    struct scim_audit_entry e;
    char actor[SCIM_AUDIT_ACTOR_MAX];
    char path[SCIM_AUDIT_PATH_MAX];
    char resource_id[64];
    char dialect[SCIM_DIALECT_REPORT_BUF];
    char *diff; /* owned JSON text or NULL */
};

/*
 * Fills row from req (tenant, actor, method, path made printable UTF-8, resource type and id
 * noted on the request, request id, dialect rules, now) with status; diff (borrowed, may be NULL)
 * is serialised into row->diff.
 */
void scim_audit_row_init(struct scim_audit_row *row, const struct scim_request *req, int status,
                         const json_t *diff);
void scim_audit_row_clear(struct scim_audit_row *row);

/*
 * Called by the server once the response of req is decided (status final): unless the row was
 * already written in the handler's transaction, or the endpoint is not audited, queues the
 * request's row on the context's audit log.
 */
void scim_audit_request(const struct scim_request *req);

/* ---- the background writer ---------------------------------------------------------------- */

struct scim_audit_log;

/*
 * Starts the writer thread on st (borrowed; must outlive the log). retention_days > 0 prunes
 * rows older than that at start and hourly (0 keeps them); expired OAuth access tokens are pruned
 * a day after expiry either way. Free with scim_audit_log_stop. NULL when the thread cannot be
 * started.
 */
struct scim_audit_log *scim_audit_log_start(struct scim_store *st, int64_t retention_days);

/*
 * Queues a copy of e (its strings are copied). The queue is bounded: when it is full the caller
 * waits for the writer, so rows are never dropped for lack of room.
 */
void scim_audit_log_submit(struct scim_audit_log *log, const struct scim_audit_entry *e);

/* Waits until every row queued before the call has been written (or has failed, logged), and
 * the pruning pass at start is over. */
void scim_audit_log_flush(struct scim_audit_log *log);

/* Writes what is queued, stops the thread and frees log. Safe with NULL. */
void scim_audit_log_stop(struct scim_audit_log *log);

#endif
