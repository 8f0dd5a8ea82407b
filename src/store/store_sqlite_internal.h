/*
 * store_sqlite_internal — what the files of the SQLite backend share: store_sqlite.c owns the
 * connection pool, the transactions and the statement caches and exposes them here (as opaque
 * handles and thin functions) to its sibling files, which hold the SQL of their own tables:
 * store_sqlite_audit.c (audit log, OAuth clients; migration 003), store_sqlite_groups.c
 * (group membership rows, role mappings, tenant settings; migration 004), and
 * store_sqlite_checkpoint.c (the background WAL checkpoints).
 * Every function has the contract of the static one it wraps in store_sqlite.c: a connection is
 * borrowed by one thread for one store call (a pooled one to read, the writer to write) and given
 * back with scim_sqlite_conn_put, which rolls back a transaction still open (so an error path
 * only has to give the connection back).
 * Must not: be included outside src/store (and the store's unit tests).
 */
#ifndef SCIM_STORE_SQLITE_INTERNAL_H
#define SCIM_STORE_SQLITE_INTERNAL_H

#include "store.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite_store;
struct conn;

/* The backend behind a public handle (asserts that st is a SQLite store). */
struct sqlite_store *scim_sqlite_store(struct scim_store *st);

/* Borrows a pooled connection (waiting while all are in use) / gives it back. */
struct conn *scim_sqlite_conn_get(struct sqlite_store *s);
void scim_sqlite_conn_put(struct sqlite_store *s, struct conn *c);

/* Takes the process's write lock and returns the one writing connection (the only one that may
 * scim_sqlite_begin); scim_sqlite_conn_put gives both back. */
struct conn *scim_sqlite_writer_get(struct sqlite_store *s);

/* The text of doc for a resource's doc column (scim_free), or NULL when doc is not an object. */
char *scim_sqlite_doc_text(const json_t *doc);

/* Background WAL checkpoints (store_sqlite_checkpoint.c): a thread with its own connection to
 * path, woken by a WAL hook on the writing connection `writer` (which turns SQLite's automatic
 * checkpoint off there); write_lock is what writer_get takes. Stop it before closing writer. */
struct scim_sqlite_checkpointer;
int scim_sqlite_checkpointer_start(const char *path, sqlite3 *writer, pthread_mutex_t *write_lock,
                                   struct scim_sqlite_checkpointer **out, struct scim_err *err);
void scim_sqlite_checkpointer_stop(struct scim_sqlite_checkpointer *k, sqlite3 *writer);

/* What scim_store_derived_apply needs about the User id, read on c (inside the caller's
 * transaction): a new reference, or NULL with err set. */
json_t *scim_sqlite_user_derived(struct conn *c, const struct scim_tenant *tenant, const char *id,
                                 struct scim_err *err);

/* The connection's database handle (borrowed). */
sqlite3 *scim_sqlite_conn_db(struct conn *c);

/*
 * The connection's cached prepared statement for sql (borrowed; prepared on first use and kept
 * in the connection's cache of generated statements; reset if already used in this call). NULL
 * with err filled when it cannot be prepared.
 */
sqlite3_stmt *scim_sqlite_stmt(struct conn *c, const char *sql, struct scim_err *err);

/* Resets every statement used since the connection was borrowed (no open read cursor remains). */
void scim_sqlite_stmts_release(struct conn *c);

/* BEGIN IMMEDIATE / COMMIT (the latter releases the statements first). */
int scim_sqlite_begin(struct conn *c, struct scim_err *err);
/* A read transaction (deferred BEGIN), so several reads see one snapshot; ended by
 * scim_sqlite_commit. Inside a thread's read snapshot (scim_store_read_begin) both are no-ops. */
int scim_sqlite_begin_read(struct conn *c, struct scim_err *err);
int scim_sqlite_commit(struct conn *c, struct scim_err *err);

/* A SQLite failure on c: the message goes to the log, err becomes a plain 500. */
int scim_sqlite_fail(struct conn *c, const char *what, struct scim_err *err);

/* Column helpers: a NUL-terminated (truncated) copy; a new JSON string or null; a new RFC 3339
 * JSON string from milliseconds, or null for NULL. */
void scim_sqlite_copy_column(char *dst, size_t size, sqlite3_stmt *q, int col);
json_t *scim_sqlite_column_text(sqlite3_stmt *q, int col);
json_t *scim_sqlite_column_time(sqlite3_stmt *q, int col);

/* ---- store_sqlite_audit.c ------------------------------------------------------------------ */

/*
 * Inserts one audit row for tenant_id inside the caller's open transaction on c (the write it
 * records). The entry's resource_type and resource_id default to rt_name and id. A failure
 * (including one a trigger raises) is returned, and the caller's write must then fail.
 */
int scim_sqlite_audit_insert(struct conn *c, int64_t tenant_id, const struct scim_audit_entry *e,
                             const char *rt_name, const char *id, struct scim_err *err);

/* The ops of store_backend.h implemented in store_sqlite_audit.c (contracts in store.h). */
int scim_sqlite_audit_append(struct scim_store *st, const struct scim_audit_entry *entries,
                             size_t n, struct scim_err *err);
int scim_sqlite_audit_query(struct scim_store *st, const struct scim_tenant *tenant,
                            const struct scim_audit_query *query, json_t **entries,
                            char **next_cursor, struct scim_err *err);
int scim_sqlite_audit_prune(struct scim_store *st, int64_t audit_before_ms,
                            int64_t tokens_before_ms, int64_t max_rows, int64_t *deleted,
                            struct scim_err *err);
int scim_sqlite_client_insert(struct scim_store *st, const struct scim_client_record *rec,
                              struct scim_err *err);
int scim_sqlite_client_get(struct scim_store *st, const char *id, struct scim_client_record *out,
                           struct scim_err *err);
int scim_sqlite_client_list(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                            struct scim_err *err);
int scim_sqlite_client_revoke(struct scim_store *st, const struct scim_tenant *tenant,
                              const char *id, int64_t now_ms, struct scim_err *err);

/* ---- store_sqlite_groups.c ----------------------------------------------------------------- */

/* The group ops of store_backend.h (contracts in store_groups.h). */
extern const struct scim_store_group_ops scim_sqlite_group_ops;

/*
 * Called by the resource delete inside its open transaction on c, after the resource at rowid
 * became a tombstone: the groups it was a member of get a new version, its membership rows (as a
 * member and, for a group, as the group) and a group's role mappings are removed.
 */
int scim_sqlite_groups_on_delete(struct conn *c, const struct scim_tenant *tenant, int64_t rowid,
                                 int64_t now_ms, struct scim_err *err);

/*
 * Test support: how many statements that read membership rows for rendering (members, groups,
 * role grants) have run in this process, so that a test can prove a request read none.
 */
long scim_sqlite_membership_reads(void);

#endif
