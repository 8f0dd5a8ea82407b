/*
 * store — the public scim_store_* functions: scim_store_open picks a backend from the path, and
 * every other call checks its arguments (assertions: a NULL store, tenant handle, type or id is a
 * bug of the caller, never client input) and dispatches through the backend's ops table.
 * Also the RFC 9865 cursor format every backend shares: an opaque base64url position
 * authenticated with HMAC-SHA-256 (libsodium) under a per-database secret and bound to the query.
 * Owns: backend selection, scim_store_rows_free, the cursor format. Must not: contain SQL or know
 * any backend's internals beyond store_backend.h.
 */
#include "store.h"

#include "mem.h"
#include "store_backend.h"

#include <assert.h>
#include <sodium.h>
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

void scim_store_read_begin(struct scim_store *st)
{
    assert(st);
    st->ops->read_begin(st);
}

void scim_store_read_end(struct scim_store *st)
{
    assert(st);
    st->ops->read_end(st);
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
                            const unsigned char hash[SCIM_TOKEN_HASH_LEN],
                            const struct scim_audit_entry *audit, struct scim_err *err)
{
    assert(st && rec && hash);
    return st->ops->token_insert(st, rec, hash, audit, err);
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
                            int64_t now_ms, const struct scim_audit_entry *audit,
                            struct scim_err *err)
{
    /* tenant may be NULL here: scimctl revokes by token id alone (and is not audited). */
    assert(st && id && (tenant || !audit));
    return st->ops->token_revoke(st, tenant, id, now_ms, audit, err);
}

int scim_store_token_touch(struct scim_store *st, const char *id, int64_t now_ms,
                           struct scim_err *err)
{
    assert(st && id);
    return st->ops->token_touch(st, id, now_ms, err);
}

int scim_store_resource_create(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *rt_name, const json_t *doc, const char *password_hash,
                               struct scim_resource *out, const struct scim_audit_entry *audit,
                               struct scim_err *err)
{
    assert(st && tenant && rt_name && doc);
    return st->ops->resource_create(st, tenant, rt_name, doc, password_hash, out, audit, err);
}

int scim_store_resource_get(struct scim_store *st, const struct scim_tenant *tenant,
                            const char *rt_name, const char *id, struct scim_resource *out,
                            struct scim_err *err)
{
    assert(st && tenant && rt_name && id);
    return st->ops->resource_get(st, tenant, rt_name, id, out, err);
}

int scim_store_password_hash_get(struct scim_store *st, const struct scim_tenant *tenant,
                                 const char *rt_name, const char *id, char *out, size_t size,
                                 struct scim_err *err)
{
    assert(st && tenant && rt_name && id && out && size > 0);
    return st->ops->password_hash_get(st, tenant, rt_name, id, out, size, err);
}

int scim_store_resource_replace(struct scim_store *st, const struct scim_tenant *tenant,
                                const char *rt_name, const char *id, int64_t expected_version,
                                const json_t *doc, const char *password_hash,
                                struct scim_resource *out, const struct scim_audit_entry *audit,
                                struct scim_err *err)
{
    assert(st && tenant && rt_name && id && doc);
    return st->ops->resource_replace(st, tenant, rt_name, id, expected_version, doc, password_hash,
                                     out, audit, err);
}

int scim_store_resource_delete(struct scim_store *st, const struct scim_tenant *tenant,
                               const char *rt_name, const char *id, int64_t expected_version,
                               const struct scim_audit_entry *audit, struct scim_err *err)
{
    assert(st && tenant && rt_name && id);
    return st->ops->resource_delete(st, tenant, rt_name, id, expected_version, audit, err);
}

int scim_store_resource_query(struct scim_store *st, const struct scim_tenant *tenant,
                              const char *rt_name, const struct scim_list_query *query,
                              struct scim_list_page *page, struct scim_err *err)
{
    assert(st && tenant && rt_name && query && page);
    assert(!query->sort_by || (query->sort_by->attr && !query->sort_by->filter));
    return st->ops->resource_query(st, tenant, rt_name, query, page, err);
}

void scim_store_page_clear(struct scim_list_page *page)
{
    if (!page)
        return;
    scim_store_rows_free(page->rows, page->n);
    scim_free(page->next_cursor);
    scim_free(page->previous_cursor);
    memset(page, 0, sizeof(*page));
}

int scim_store_resource_list(struct scim_store *st, const struct scim_tenant *tenant,
                             const char *rt_name, const struct scim_list_query *query,
                             struct scim_resource **rows, size_t *n, int64_t *total,
                             struct scim_err *err)
{
    assert(rows && n && total);
    struct scim_list_page page = {0};
    int rc = scim_store_resource_query(st, tenant, rt_name, query, &page, err);
    if (rc)
        goto out;
    *rows = page.rows;
    *n = page.n;
    *total = page.total;
    page.rows = NULL;
    page.n = 0;
out:
    scim_store_page_clear(&page);
    return rc;
}

void scim_store_rows_free(struct scim_resource *rows, size_t n)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++)
        scim_resource_clear(&rows[i]);
    scim_free(rows);
}

int scim_store_audit_append(struct scim_store *st, const struct scim_audit_entry *entries, size_t n,
                            struct scim_err *err)
{
    assert(st && (entries || n == 0));
    if (n == 0)
        return 0;
    return st->ops->audit_append(st, entries, n, err);
}

int scim_store_audit_query(struct scim_store *st, const struct scim_tenant *tenant,
                           const struct scim_audit_query *query, json_t **entries,
                           char **next_cursor, struct scim_err *err)
{
    /* tenant may be NULL here: scimctl searches every tenant. */
    assert(st && query && entries && next_cursor);
    return st->ops->audit_query(st, tenant, query, entries, next_cursor, err);
}

int scim_store_audit_prune(struct scim_store *st, int64_t audit_before_ms, int64_t tokens_before_ms,
                           int64_t max_rows, int64_t *deleted, struct scim_err *err)
{
    assert(st && max_rows >= 0);
    return st->ops->audit_prune(st, audit_before_ms, tokens_before_ms, max_rows, deleted, err);
}

int scim_store_client_insert(struct scim_store *st, const struct scim_client_record *rec,
                             struct scim_err *err)
{
    assert(st && rec);
    return st->ops->client_insert(st, rec, err);
}

int scim_store_client_get(struct scim_store *st, const char *id, struct scim_client_record *out,
                          struct scim_err *err)
{
    assert(st && id && out);
    return st->ops->client_get(st, id, out, err);
}

int scim_store_client_list(struct scim_store *st, const struct scim_tenant *tenant, json_t **out,
                           struct scim_err *err)
{
    /* tenant may be NULL here: scimctl lists the clients of every tenant. */
    assert(st && out);
    return st->ops->client_list(st, tenant, out, err);
}

int scim_store_client_revoke(struct scim_store *st, const struct scim_tenant *tenant,
                             const char *id, int64_t now_ms, struct scim_err *err)
{
    /* tenant may be NULL here: scimctl revokes by client id alone. */
    assert(st && id);
    return st->ops->client_revoke(st, tenant, id, now_ms, err);
}

/* ---- cursors -------------------------------------------------------------------------------- */

/* Cursor layout before base64url: version, flags, key type, rowid (8 bytes, big-endian), key
 * (8 bytes for numbers, the bytes of a text), MAC. */
#define CURSOR_VERSION 1
#define CURSOR_HEADER 11
#define CURSOR_MAC_LEN 16
#define CURSOR_FLAG_BACKWARD 0x01

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void hash_bytes(crypto_hash_sha256_state *h, const void *p, size_t n)
{
    unsigned char len[8];
    put_u64(len, n);
    crypto_hash_sha256_update(h, len, sizeof(len));
    crypto_hash_sha256_update(h, p, n);
}

static void hash_fragment(crypto_hash_sha256_state *h, const struct scim_sqlgen *g)
{
    const char *sql = g && g->sql ? g->sql : "";
    hash_bytes(h, sql, strlen(sql));
    for (size_t i = 0; g && i < g->n_params; i++) {
        const struct scim_sqlgen_param *p = &g->params[i];
        unsigned char head[9];
        put_u64(head, (uint64_t)p->index);
        head[8] = (unsigned char)p->type;
        crypto_hash_sha256_update(h, head, sizeof(head));
        if (p->type == SCIM_SQLGEN_TEXT) {
            hash_bytes(h, p->text, p->text_len);
        } else {
            unsigned char v[8];
            uint64_t bits;
            if (p->type == SCIM_SQLGEN_INT) {
                bits = (uint64_t)p->i;
            } else {
                memcpy(&bits, &p->r, sizeof(bits));
            }
            put_u64(v, bits);
            crypto_hash_sha256_update(h, v, sizeof(v));
        }
    }
}

void scim_store_query_fingerprint(int64_t tenant_id, const char *rt_name, bool descending,
                                  const struct scim_sqlgen *where, const struct scim_sqlgen *sort,
                                  unsigned char out[SCIM_STORE_FINGERPRINT_LEN])
{
    crypto_hash_sha256_state h;
    unsigned char head[9];
    crypto_hash_sha256_init(&h);
    put_u64(head, (uint64_t)tenant_id);
    head[8] = descending ? 1 : 0;
    crypto_hash_sha256_update(&h, head, sizeof(head));
    hash_bytes(&h, rt_name, strlen(rt_name));
    hash_fragment(&h, where);
    hash_fragment(&h, sort);
    crypto_hash_sha256_final(&h, out);
}

/* The MAC of payload[0..n) for the query with fingerprint. */
static void cursor_mac(const unsigned char *payload, size_t n,
                       const unsigned char secret[SCIM_STORE_SECRET_LEN],
                       const unsigned char fingerprint[SCIM_STORE_FINGERPRINT_LEN],
                       unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state h;
    crypto_auth_hmacsha256_init(&h, secret, SCIM_STORE_SECRET_LEN);
    crypto_auth_hmacsha256_update(&h, payload, n);
    crypto_auth_hmacsha256_update(&h, fingerprint, SCIM_STORE_FINGERPRINT_LEN);
    crypto_auth_hmacsha256_final(&h, mac);
}

char *scim_store_cursor_encode(const struct scim_store_cursor *c,
                               const unsigned char secret[SCIM_STORE_SECRET_LEN],
                               const unsigned char fingerprint[SCIM_STORE_FINGERPRINT_LEN])
{
    size_t key_len = c->key_type == SCIM_CURSOR_KEY_TEXT   ? c->key_len
                     : c->key_type == SCIM_CURSOR_KEY_NULL ? 0
                                                           : 8;
    size_t n = CURSOR_HEADER + key_len;
    unsigned char *raw = scim_malloc(n + CURSOR_MAC_LEN);
    raw[0] = CURSOR_VERSION;
    raw[1] = c->backward ? CURSOR_FLAG_BACKWARD : 0;
    raw[2] = (unsigned char)c->key_type;
    put_u64(raw + 3, (uint64_t)c->rowid);
    if (c->key_type == SCIM_CURSOR_KEY_INT) {
        put_u64(raw + CURSOR_HEADER, (uint64_t)c->key_int);
    } else if (c->key_type == SCIM_CURSOR_KEY_REAL) {
        uint64_t bits;
        memcpy(&bits, &c->key_real, sizeof(bits));
        put_u64(raw + CURSOR_HEADER, bits);
    } else if (key_len) {
        memcpy(raw + CURSOR_HEADER, c->key_text, key_len);
    }
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    cursor_mac(raw, n, secret, fingerprint, mac);
    memcpy(raw + n, mac, CURSOR_MAC_LEN);
    size_t text_len =
        sodium_base64_ENCODED_LEN(n + CURSOR_MAC_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *text = scim_malloc(text_len);
    sodium_bin2base64(text, text_len, raw, n + CURSOR_MAC_LEN,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    scim_free(raw);
    return text;
}

int scim_store_cursor_decode(const char *text, const unsigned char secret[SCIM_STORE_SECRET_LEN],
                             const unsigned char fingerprint[SCIM_STORE_FINGERPRINT_LEN],
                             struct scim_store_cursor *out, struct scim_err *err)
{
    int rc = 0;
    size_t text_len = strnlen(text, SCIM_STORE_CURSOR_MAX + 1);
    size_t max = text_len / 4 * 3 + 3, n = 0;
    unsigned char *raw = NULL;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    memset(out, 0, sizeof(*out));
    if (text_len > SCIM_STORE_CURSOR_MAX) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_CURSOR, "The cursor is too long");
        goto out;
    }
    raw = scim_malloc(max);
    if (sodium_base642bin(raw, max, text, text_len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n < CURSOR_HEADER + CURSOR_MAC_LEN || raw[0] != CURSOR_VERSION ||
        (raw[1] & ~CURSOR_FLAG_BACKWARD) != 0 || raw[2] > SCIM_CURSOR_KEY_TEXT) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_CURSOR,
                          "The cursor is not one this server issued; start again with cursor=");
        goto out;
    }
    n -= CURSOR_MAC_LEN;
    cursor_mac(raw, n, secret, fingerprint, mac);
    size_t key_len = n - CURSOR_HEADER;
    enum scim_cursor_key type = (enum scim_cursor_key)raw[2];
    bool shape_ok = type == SCIM_CURSOR_KEY_TEXT ||
                    (type == SCIM_CURSOR_KEY_NULL && key_len == 0) ||
                    ((type == SCIM_CURSOR_KEY_INT || type == SCIM_CURSOR_KEY_REAL) && key_len == 8);
    if (sodium_memcmp(mac, raw + n, CURSOR_MAC_LEN) != 0 || !shape_ok) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_CURSOR,
                          "The cursor does not belong to this query (filter, sortBy and "
                          "sortOrder must stay the same); start again with cursor=");
        goto out;
    }
    out->backward = (raw[1] & CURSOR_FLAG_BACKWARD) != 0;
    out->key_type = type;
    out->rowid = (int64_t)get_u64(raw + 3);
    if (type == SCIM_CURSOR_KEY_INT) {
        out->key_int = (int64_t)get_u64(raw + CURSOR_HEADER);
    } else if (type == SCIM_CURSOR_KEY_REAL) {
        uint64_t bits = get_u64(raw + CURSOR_HEADER);
        memcpy(&out->key_real, &bits, sizeof(bits));
    } else if (type == SCIM_CURSOR_KEY_TEXT) {
        /* A text key may hold any bytes, NUL included. */
        out->key_text = scim_malloc(key_len + 1);
        memcpy(out->key_text, raw + CURSOR_HEADER, key_len);
        out->key_text[key_len] = '\0';
        out->key_len = key_len;
    }
out:
    scim_free(raw);
    return rc;
}

void scim_store_cursor_clear(struct scim_store_cursor *c)
{
    if (!c)
        return;
    scim_free(c->key_text);
    memset(c, 0, sizeof(*c));
}
