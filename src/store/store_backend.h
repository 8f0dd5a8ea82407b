/*
 * store_backend — the internal contract between store.c and the storage backends: one function
 * pointer per public scim_store_* operation, with the same arguments and the same promises as
 * documented in store.h (404/409/412 with the same details, one transaction per write, output
 * parameters written only on success). store.c checks the caller's arguments and dispatches; a
 * backend never sees a NULL store, and never a NULL tenant where store.h requires one.
 * Owns: struct scim_store (the base every backend embeds first), the backend constructors, and
 * the cursor format every backend shares (implemented in store.c).
 * Must not: be included by anything outside src/store and tests/unit/test_store.c.
 */
#ifndef SCIM_STORE_BACKEND_H
#define SCIM_STORE_BACKEND_H

#include "sqlgen.h"
#include "store.h"
#include "store_groups.h"

struct scim_store_ops {
    const char *name; /* "sqlite", "postgresql": for log lines */

    /* Releases every connection and frees the store itself. */
    void (*close)(struct scim_store *st);
    int (*check)(struct scim_store *st, struct scim_err *err);
    void (*read_begin)(struct scim_store *st);
    void (*read_end)(struct scim_store *st);

    int (*tenant_create)(struct scim_store *st, const char *name, struct scim_tenant *out,
                         struct scim_err *err);
    int (*tenant_get)(struct scim_store *st, const char *name, struct scim_tenant *out,
                      struct scim_err *err);
    int (*tenant_list)(struct scim_store *st, json_t **out, struct scim_err *err);

    int (*token_insert)(struct scim_store *st, const struct scim_token_record *rec,
                        const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                        const struct scim_audit_entry *audit, struct scim_err *err);
    int (*token_find)(struct scim_store *st, const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                      struct scim_token_record *out, struct scim_err *err);
    int (*token_list)(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                      struct scim_err *err);
    int (*token_revoke)(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                        int64_t now_ms, const struct scim_audit_entry *audit, struct scim_err *err);
    int (*token_touch)(struct scim_store *st, const char *id, int64_t now_ms, struct scim_err *err);

    int (*resource_create)(struct scim_store *st, const struct scim_tenant *tenant,
                           const char *rt_name, const json_t *doc, const char *password_hash,
                           struct scim_resource *out, const struct scim_audit_entry *audit,
                           struct scim_err *err);
    int (*resource_get)(struct scim_store *st, const struct scim_tenant *tenant,
                        const char *rt_name, const char *id, struct scim_resource *out,
                        struct scim_err *err);
    int (*password_hash_get)(struct scim_store *st, const struct scim_tenant *tenant,
                             const char *rt_name, const char *id, char *out, size_t size,
                             struct scim_err *err);
    int (*resource_replace)(struct scim_store *st, const struct scim_tenant *tenant,
                            const char *rt_name, const char *id, int64_t expected_version,
                            const json_t *doc, const char *password_hash, struct scim_resource *out,
                            const struct scim_audit_entry *audit, struct scim_err *err);
    int (*resource_delete)(struct scim_store *st, const struct scim_tenant *tenant,
                           const char *rt_name, const char *id, int64_t expected_version,
                           const struct scim_audit_entry *audit, struct scim_err *err);
    int (*resource_query)(struct scim_store *st, const struct scim_tenant *tenant,
                          const char *rt_name, const struct scim_list_query *query,
                          struct scim_list_page *page, struct scim_err *err);

    int (*audit_append)(struct scim_store *st, const struct scim_audit_entry *entries, size_t n,
                        struct scim_err *err);
    int (*audit_query)(struct scim_store *st, const struct scim_tenant *tenant,
                       const struct scim_audit_query *query, json_t **entries, char **next_cursor,
                       struct scim_err *err);
    int (*audit_prune)(struct scim_store *st, int64_t audit_before_ms, int64_t tokens_before_ms,
                       int64_t max_rows, int64_t *deleted, struct scim_err *err);

    int (*client_insert)(struct scim_store *st, const struct scim_client_record *rec,
                         struct scim_err *err);
    int (*client_get)(struct scim_store *st, const char *id, struct scim_client_record *out,
                      struct scim_err *err);
    int (*client_list)(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                       struct scim_err *err);
    int (*client_revoke)(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                         int64_t now_ms, struct scim_err *err);

    /* Groups, memberships, role mappings and tenant settings (store_groups.h). */
    const struct scim_store_group_ops *groups;
};

/* The operations of store_groups.h, one per public function, with the same contracts. */
struct scim_store_group_ops {
    int (*group_create)(struct scim_store *st, const struct scim_tenant *tenant, const json_t *doc,
                        const struct scim_member_ref *refs, size_t n, struct scim_resource *out,
                        struct scim_members_report *report, const struct scim_audit_entry *audit,
                        struct scim_err *err);
    int (*group_modify)(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                        int64_t expected_version, const json_t *doc,
                        const struct scim_members_change *changes, size_t n_changes,
                        struct scim_resource *out, struct scim_members_report *report,
                        const struct scim_audit_entry *audit, struct scim_err *err);
    int (*derive)(struct scim_store *st, const struct scim_tenant *tenant, const char *rt_name,
                  const char *const *ids, json_t *const *docs, size_t n, unsigned what,
                  struct scim_err *err);
    int (*user_roles)(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                      json_t **out, struct scim_err *err);
    int (*role_mapping_set)(struct scim_store *st, const struct scim_tenant *tenant,
                            const char *group, const char *const *roles, size_t n, int64_t priority,
                            json_t **out, const struct scim_audit_entry *audit,
                            struct scim_err *err);
    int (*role_mapping_remove)(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *group, const struct scim_audit_entry *audit,
                               struct scim_err *err);
    int (*role_mapping_list)(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                             struct scim_err *err);
    int (*tenant_setting_set)(struct scim_store *st, const struct scim_tenant *tenant,
                              const char *name, const char *value, struct scim_err *err);
    int (*tenant_settings)(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                           struct scim_err *err);
};

/*
 * The public handle. Each backend allocates its own larger struct whose first member is this one,
 * and frees it in ops->close.
 */
struct scim_store {
    const struct scim_store_ops *ops;
};

/* ---- cursors (RFC 9865), shared by the backends ------------------------------------------- */

#define SCIM_STORE_SECRET_LEN 32
#define SCIM_STORE_FINGERPRINT_LEN 32

enum scim_cursor_key {
    SCIM_CURSOR_KEY_NULL, /* the row has no sort key (or the list is unsorted) */
    SCIM_CURSOR_KEY_INT,
    SCIM_CURSOR_KEY_REAL,
    SCIM_CURSOR_KEY_TEXT
};

/*
 * A position between two rows of a list in its total order (sort key, creation order): the
 * boundary row's sort key and rowid, and the direction to walk from it.
 */
struct scim_store_cursor {
    bool backward; /* rows before the boundary (a previousCursor), else after it */
    enum scim_cursor_key key_type;
    int64_t key_int;
    double key_real;
    char *key_text; /* TEXT: owned by a decoded cursor, borrowed when encoding; may hold any
                       bytes */
    size_t key_len;
    int64_t rowid;
};

/*
 * Computes the fingerprint of a list query: tenant, resource type, direction, and the generated
 * filter and sort SQL with their parameters (where and sort may be zeroed). A cursor is only
 * accepted by the query it was issued for.
 */
void scim_store_query_fingerprint(int64_t tenant_id, const char *rt_name, bool descending,
                                  const struct scim_sqlgen *where, const struct scim_sqlgen *sort,
                                  unsigned char out[SCIM_STORE_FINGERPRINT_LEN]);

/*
 * Returns the cursor text of c (a new string for scim_free): base64url of the position and an
 * HMAC-SHA-256 (truncated to 128 bits) keyed with the store's secret over the position and the
 * query fingerprint.
 */
char *scim_store_cursor_encode(const struct scim_store_cursor *c,
                               const unsigned char secret[SCIM_STORE_SECRET_LEN],
                               const unsigned char fingerprint[SCIM_STORE_FINGERPRINT_LEN]);

/*
 * Decodes text into *out (release with scim_store_cursor_clear); 400 invalidCursor when it is
 * not base64url, too long or short, of an unknown version, or its MAC does not verify for this
 * secret and fingerprint (altered, or issued for another tenant or query).
 */
int scim_store_cursor_decode(const char *text, const unsigned char secret[SCIM_STORE_SECRET_LEN],
                             const unsigned char fingerprint[SCIM_STORE_FINGERPRINT_LEN],
                             struct scim_store_cursor *out, struct scim_err *err);
void scim_store_cursor_clear(struct scim_store_cursor *c);

/*
 * Opens the SQLite database file at path (creating it and its parent directory if missing), runs
 * the embedded migrations and fills a pool of pool_size (>= 1) connections. *out is freed through
 * its ops->close.
 */
int scim_store_sqlite_open(const char *path, int pool_size, struct scim_store **out,
                           struct scim_err *err);

/*
 * Test support: how many statements the SQLite backend st has prepared since it was opened
 * (cached statements are prepared once per connection, so hot paths must not move this).
 */
long scim_store_sqlite_prepare_count(struct scim_store *st);

/* Test support: how many group commits the SQLite backend st has made since it was opened, and
 * how many resource writes they carried (more writes than commits: some commits carried several).
 */
void scim_store_sqlite_batch_stats(struct scim_store *st, long *commits, long *writes);

/*
 * Test support: the EXPLAIN QUERY PLAN of the statements scim_store_resource_query would run for
 * query (the count, then the first page), one plan step per line. *plan is a new string
 * (scim_free).
 */
int scim_store_sqlite_explain(struct scim_store *st, const struct scim_tenant *tenant,
                              const char *rt_name, const struct scim_list_query *query, char **plan,
                              struct scim_err *err);

#endif
