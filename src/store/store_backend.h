/*
 * store_backend — the internal contract between store.c and the storage backends: one function
 * pointer per public scim_store_* operation, with the same arguments and the same promises as
 * documented in store.h (404/409/412 with the same details, one transaction per write, output
 * parameters written only on success). store.c checks the caller's arguments and dispatches; a
 * backend never sees a NULL store, and never a NULL tenant where store.h requires one.
 * Owns: struct scim_store (the base every backend embeds first) and the backend constructors.
 * Must not: be included by anything outside src/store and tests/unit/test_store.c.
 */
#ifndef SCIM_STORE_BACKEND_H
#define SCIM_STORE_BACKEND_H

#include "store.h"

struct scim_store_ops {
    const char *name; /* "sqlite", "postgresql": for log lines */

    /* Releases every connection and frees the store itself. */
    void (*close)(struct scim_store *st);
    int (*check)(struct scim_store *st, struct scim_err *err);

    int (*tenant_create)(struct scim_store *st, const char *name, struct scim_tenant *out,
                         struct scim_err *err);
    int (*tenant_get)(struct scim_store *st, const char *name, struct scim_tenant *out,
                      struct scim_err *err);
    int (*tenant_list)(struct scim_store *st, json_t **out, struct scim_err *err);

    int (*token_insert)(struct scim_store *st, const struct scim_token_record *rec,
                        const unsigned char hash[SCIM_TOKEN_HASH_LEN], struct scim_err *err);
    int (*token_find)(struct scim_store *st, const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                      struct scim_token_record *out, struct scim_err *err);
    int (*token_list)(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                      struct scim_err *err);
    int (*token_revoke)(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                        int64_t now_ms, struct scim_err *err);
    int (*token_touch)(struct scim_store *st, const char *id, int64_t now_ms, struct scim_err *err);

    int (*resource_create)(struct scim_store *st, const struct scim_tenant *tenant,
                           const char *rt_name, const json_t *doc, const char *password_hash,
                           struct scim_resource *out, struct scim_err *err);
    int (*resource_get)(struct scim_store *st, const struct scim_tenant *tenant,
                        const char *rt_name, const char *id, struct scim_resource *out,
                        struct scim_err *err);
    int (*resource_replace)(struct scim_store *st, const struct scim_tenant *tenant,
                            const char *rt_name, const char *id, int64_t expected_version,
                            const json_t *doc, const char *password_hash, struct scim_resource *out,
                            struct scim_err *err);
    int (*resource_delete)(struct scim_store *st, const struct scim_tenant *tenant,
                           const char *rt_name, const char *id, int64_t expected_version,
                           struct scim_err *err);
    int (*resource_list)(struct scim_store *st, const struct scim_tenant *tenant,
                         const char *rt_name, const struct scim_list_query *query,
                         struct scim_resource **rows, size_t *n, int64_t *total,
                         struct scim_err *err);
};

/*
 * The public handle. Each backend allocates its own larger struct whose first member is this one,
 * and frees it in ops->close.
 */
struct scim_store {
    const struct scim_store_ops *ops;
};

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

#endif
