/*
 * store — the public scim_store_* functions: scim_store_open picks a backend from the path, and
 * every other call checks its arguments (assertions: a NULL store, tenant handle, type or id is a
 * bug of the caller, never client input) and dispatches through the backend's ops table.
 * Owns: backend selection, scim_store_rows_free. Must not: contain SQL or know any backend's
 * internals beyond store_backend.h.
 */
#include "store.h"

#include "mem.h"
#include "store_backend.h"

#include <assert.h>
#include <string.h>
#include <strings.h>

static bool has_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int scim_store_open(const char *path, int pool_size, struct scim_store **out, struct scim_err *err)
{
    assert(path && out);
    if (has_prefix_ci(path, "postgres://") || has_prefix_ci(path, "postgresql://"))
        return scim_err_set(err, 500, NULL, "PostgreSQL backend is not available in this build");
    return scim_store_sqlite_open(path, pool_size < 1 ? 1 : pool_size, out, err);
}

void scim_store_close(struct scim_store *st)
{
    if (st)
        st->ops->close(st);
}

int scim_store_check(struct scim_store *st, struct scim_err *err)
{
    assert(st);
    return st->ops->check(st, err);
}

int scim_store_tenant_create(struct scim_store *st, const char *name, struct scim_tenant *out,
                             struct scim_err *err)
{
    assert(st && name);
    return st->ops->tenant_create(st, name, out, err);
}

int scim_store_tenant_get(struct scim_store *st, const char *name, struct scim_tenant *out,
                          struct scim_err *err)
{
    assert(st && name && out);
    return st->ops->tenant_get(st, name, out, err);
}

int scim_store_tenant_list(struct scim_store *st, json_t **out, struct scim_err *err)
{
    assert(st && out);
    return st->ops->tenant_list(st, out, err);
}

int scim_store_token_insert(struct scim_store *st, const struct scim_token_record *rec,
                            const unsigned char hash[SCIM_TOKEN_HASH_LEN], struct scim_err *err)
{
    assert(st && rec && hash);
    return st->ops->token_insert(st, rec, hash, err);
}

int scim_store_token_find(struct scim_store *st, const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                          struct scim_token_record *out, struct scim_err *err)
{
    assert(st && hash && out);
    return st->ops->token_find(st, hash, out, err);
}

int scim_store_token_list(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                          struct scim_err *err)
{
    /* tenant may be NULL here: scimctl lists the tokens of every tenant. */
    assert(st && out);
    return st->ops->token_list(st, tenant, out, err);
}

int scim_store_token_revoke(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                            int64_t now_ms, struct scim_err *err)
{
    /* tenant may be NULL here: scimctl revokes by token id alone. */
    assert(st && id);
    return st->ops->token_revoke(st, tenant, id, now_ms, err);
}

int scim_store_token_touch(struct scim_store *st, const char *id, int64_t now_ms,
                           struct scim_err *err)
{
    assert(st && id);
    return st->ops->token_touch(st, id, now_ms, err);
}

int scim_store_resource_create(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *rt_name, const json_t *doc, const char *password_hash,
                               struct scim_resource *out, struct scim_err *err)
{
    assert(st && tenant && rt_name && doc);
    return st->ops->resource_create(st, tenant, rt_name, doc, password_hash, out, err);
}

int scim_store_resource_get(struct scim_store *st, const struct scim_tenant *tenant,
                            const char *rt_name, const char *id, struct scim_resource *out,
                            struct scim_err *err)
{
    assert(st && tenant && rt_name && id);
    return st->ops->resource_get(st, tenant, rt_name, id, out, err);
}

int scim_store_resource_replace(struct scim_store *st, const struct scim_tenant *tenant,
                                const char *rt_name, const char *id, int64_t expected_version,
                                const json_t *doc, const char *password_hash,
                                struct scim_resource *out, struct scim_err *err)
{
    assert(st && tenant && rt_name && id && doc);
    return st->ops->resource_replace(st, tenant, rt_name, id, expected_version, doc, password_hash,
                                     out, err);
}

int scim_store_resource_delete(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *rt_name, const char *id, int64_t expected_version,
                               struct scim_err *err)
{
    assert(st && tenant && rt_name && id);
    return st->ops->resource_delete(st, tenant, rt_name, id, expected_version, err);
}

int scim_store_resource_list(struct scim_store *st, const struct scim_tenant *tenant,
                             const char *rt_name, const struct scim_list_query *query,
                             struct scim_resource **rows, size_t *n, int64_t *total,
                             struct scim_err *err)
{
    assert(st && tenant && rt_name && query && rows && n && total);
    return st->ops->resource_list(st, tenant, rt_name, query, rows, n, total, err);
}

void scim_store_rows_free(struct scim_resource *rows, size_t n)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++)
        scim_resource_clear(&rows[i]);
    scim_free(rows);
}
