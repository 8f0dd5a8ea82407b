/*
 * audit — actors, diffs with redaction, request rows, and the background row writer.
 * The writer: a bounded ring of owned row copies, one thread that takes up to BATCH rows at a
 * time and appends them with scim_store_audit_append in one transaction (so reads and failures
 * cost the request a mutex and a copy, never a database write of its own), sequence numbers so
 * that scim_audit_log_flush can wait for exactly what was queued before it, and retention
 * pruning on the same thread, at start and every PRUNE_INTERVAL_MS, in slices of PRUNE_SLICE
 * rows with the queue served in between (a large backlog never stalls requests).
 * Rows queued but not yet written when the process is killed (SIGKILL) are lost; a clean stop
 * writes them all. Rows of successful writes never go through the queue (see audit.h).
 * Must not: block a request for longer than a full queue takes to drain, or log a row's diff.
 */
#include "audit.h"

#include "json.h"
#include "log.h"
#include "mem.h"
#include "request.h"
#include "resource.h"
#include "text.h"
#include "token.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#define QUEUE_CAP 8192
#define BATCH 1024
/* Rows wait in the ring at most LINGER_MS, or until EAGER_ROWS have gathered, so the writer
 * wakes a few dozen times a second under load instead of once per request. */
#define LINGER_MS 50
#define EAGER_ROWS 1024
#define PRUNE_INTERVAL_MS (60LL * 60 * 1000)
/* Rows a pruning pass deletes before the writer looks at its queue again. */
#define PRUNE_SLICE 2000
#define DAY_MS (24LL * 60 * 60 * 1000)
/* Expired OAuth access tokens are deleted this long after they expire. */
#define TOKEN_GRACE_MS DAY_MS

/* ---- actors --------------------------------------------------------------------------------- */

void scim_audit_actor(const char *token_id, unsigned scopes, const char *client_id, char *out,
                      size_t size)
{
    if (client_id && client_id[0])
        snprintf(out, size, "oauth-client:%s", client_id);
    else if (scopes & SCIM_SCOPE_ADMIN)
        snprintf(out, size, "admin-key:%s", token_id);
    else
        snprintf(out, size, "scim-key:%s", token_id);
}

/* ---- redaction and diffs -------------------------------------------------------------------- */

bool scim_audit_sensitive_name(const char *name)
{
    static const char *const words[] = {"password", "secret", "token"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t wlen = strlen(words[i]);
        for (const char *p = name; *p; p++)
            if (strncasecmp(p, words[i], wlen) == 0)
                return true;
    }
    return false;
}

void scim_audit_redact(json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach (v, i, item)
            scim_audit_redact(item);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *key;
    json_t *member;
    json_object_foreach (v, key, member) {
        if (scim_audit_sensitive_name(key) && !json_is_null(member))
            json_object_set_new(v, key, json_string(SCIM_AUDIT_REDACTED));
        else
            scim_audit_redact(member);
    }
}

/* Returns a new reference: a copy of v (NULL: null) with secrets redacted; the whole value is
 * redacted when name itself is sensitive. */
static json_t *safe_value(const char *name, const json_t *v)
{
    if (!v || json_is_null(v))
        return json_null();
    if (scim_audit_sensitive_name(name))
        return json_string(SCIM_AUDIT_REDACTED);
    json_t *copy = json_deep_copy(v);
    scim_audit_redact(copy);
    return copy;
}

/* Records name's old and new value in the diff. */
static void record(json_t *before, json_t *after, const char *name, const json_t *old_v,
                   const json_t *new_v)
{
    json_object_set_new(before, name, safe_value(name, old_v));
    json_object_set_new(after, name, safe_value(name, new_v));
}

/* Compares the members of two objects (either may be NULL) one level down, naming each
 * "<prefix><sep><member>". */
static void diff_members(json_t *before, json_t *after, const char *prefix, char sep,
                         const json_t *old_o, const json_t *new_o)
{
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)old_o, key, v) {
        const json_t *w = json_object_get(new_o, key);
        if (!w || !json_equal(v, w)) {
            char *name = scim_asprintf("%s%c%s", prefix, sep, key);
            record(before, after, name, v, w);
            scim_free(name);
        }
    }
    json_object_foreach ((json_t *)new_o, key, v) {
        if (json_object_get(old_o, key))
            continue;
        char *name = scim_asprintf("%s%c%s", prefix, sep, key);
        record(before, after, name, NULL, v);
        scim_free(name);
    }
}

/* Compares one top-level attribute present in old_o or new_o. */
static void diff_attribute(json_t *before, json_t *after, const char *key, const json_t *old_v,
                           const json_t *new_v)
{
    if (old_v && new_v && json_equal(old_v, new_v))
        return;
    bool old_obj = !old_v || json_is_object(old_v);
    bool new_obj = !new_v || json_is_object(new_v);
    if (old_obj && new_obj && !scim_audit_sensitive_name(key)) {
        /* A complex attribute or an extension: name the sub-attributes that changed. */
        diff_members(before, after, key, strncmp(key, "urn:", 4) == 0 ? ':' : '.', old_v, new_v);
        return;
    }
    record(before, after, key, old_v, new_v);
}

json_t *scim_audit_diff(const json_t *before, const json_t *after, bool password_changed,
                        const struct scim_dialect_report *dialect)
{
    json_t *b = json_object(), *a = json_object();
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)before, key, v)
        diff_attribute(b, a, key, v, json_object_get(after, key));
    json_object_foreach ((json_t *)after, key, v) {
        if (!json_object_get(before, key))
            diff_attribute(b, a, key, NULL, v);
    }
    if (password_changed) {
        /* A created resource had no password before. */
        json_object_set_new(b, "password", before ? json_string(SCIM_AUDIT_REDACTED) : json_null());
        json_object_set_new(a, "password", json_string(SCIM_AUDIT_REDACTED));
    }
    bool rules = dialect && !scim_dialect_report_empty(dialect);
    if (json_object_size(a) == 0 && !rules) {
        json_decref(b);
        json_decref(a);
        return NULL;
    }
    json_t *diff = json_pack("{s:o, s:o}", "before", b, "after", a);
    if (rules) {
        json_t *names = json_array();
        for (int r = 0; r < SCIM_DIALECT_N_RULES; r++)
            if (scim_dialect_report_has(dialect, (enum scim_dialect_rule)r))
                json_array_append_new(
                    names, json_string(scim_dialect_rule_name((enum scim_dialect_rule)r)));
        json_object_set_new(diff, "dialect", names);
    }
    return diff;
}

/* ---- rows ----------------------------------------------------------------------------------- */

/* Copies src into dst as printable UTF-8: control bytes become '?', and so does every non-ASCII
 * byte when src is not valid UTF-8; cut at a character boundary when too long. */
static void printable(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);
    bool utf8 = scim_text_valid_utf8(src, len);
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8))
            ch = '?';
        dst[n++] = (char)ch;
    }
    /* Do not end inside a multi-byte character. */
    while (utf8 && n > 0 && n < len && ((unsigned char)src[n] & 0xC0) == 0x80)
        n--;
    dst[n] = '\0';
}

void scim_audit_row_init(struct scim_audit_row *row, const struct scim_request *req, int status,
                         const json_t *diff)
{
    memset(row, 0, sizeof(*row));
    const struct scim_request_audit *a = &req->audit;
    snprintf(row->actor, sizeof(row->actor), "%s", a->actor[0] ? a->actor : "anonymous");
    printable(row->path, sizeof(row->path), req->path ? req->path : "-");
    printable(row->resource_id, sizeof(row->resource_id), a->resource_id);
    scim_dialect_report_join(&req->dialect, row->dialect, sizeof(row->dialect));
    row->diff = diff ? scim_json_dump(diff, NULL) : NULL;
    row->e.tenant_id = req->auth.ok ? req->auth.tenant.id : a->tenant_id;
    row->e.time_ms = scim_time_now_ms();
    row->e.actor = row->actor;
    row->e.method = req->method ? req->method : "-";
    row->e.path = row->path;
    row->e.resource_type = a->resource_type;
    row->e.resource_id = row->resource_id[0] ? row->resource_id : NULL;
    row->e.status = status;
    row->e.request_id = req->request_id;
    row->e.diff = row->diff;
    row->e.dialect = row->dialect[0] ? row->dialect : NULL;
}

void scim_audit_row_clear(struct scim_audit_row *row)
{
    scim_free(row->diff);
    row->diff = NULL;
}

void scim_audit_request(const struct scim_request *req)
{
    if (req->audit.written || req->audit.skip || !req->ctx->audit || req->status == 0)
        return;
    /* A successful read changes nothing; operators who audit only changes and failures turn
     * these rows off with --audit-reads=0. */
    bool read = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ||
                (strcmp(req->method, "POST") == 0 && strstr(req->path, ".search") != NULL);
    if (read && req->status < 400 && !req->ctx->cfg->audit_reads)
        return;
    struct scim_audit_row row;
    scim_audit_row_init(&row, req, req->status, NULL);
    scim_audit_log_submit(req->ctx->audit, &row.e);
    scim_audit_row_clear(&row);
}

/* ---- the writer ----------------------------------------------------------------------------- */

/* A queued row: the entry and one block holding all its strings. */
struct queued {
    struct scim_audit_entry e;
    char *strings; /* owned */
};

struct scim_audit_log {
    struct scim_store *store;
    int64_t retention_days;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* rows queued, or stop */
    pthread_cond_t space; /* room in the ring, or rows written (for flush) */
    struct queued ring[QUEUE_CAP];
    size_t head, count;
    uint64_t queued_seq;  /* rows ever queued */
    uint64_t written_seq; /* rows ever taken and finished (written or failed) */
    bool stopping;
    bool flush_wanted;       /* a flush waits: write without lingering until the ring is empty */
    int64_t first_queued_ms; /* monotonic time the oldest queued row arrived */
    /* Retention: a pass in progress, its cut-offs, its count; the first pass done (flush waits
     * for it, so that a search never sees rows past retention). */
    bool pruning;
    bool pruned_once;
    int64_t prune_audit_before, prune_tokens_before, pruned_rows;
};

/* Appends a string to the block being built; returns the offset, or -1 for NULL. */
static ptrdiff_t pack(char *block, size_t *used, const char *s)
{
    if (!s)
        return -1;
    size_t n = strlen(s) + 1;
    memcpy(block + *used, s, n);
    ptrdiff_t at = (ptrdiff_t)*used;
    *used += n;
    return at;
}

static const char *unpack(char *block, ptrdiff_t at)
{
    return at < 0 ? NULL : block + at;
}

/* Makes q an owned deep copy of e. */
static void copy_entry(struct queued *q, const struct scim_audit_entry *e)
{
    const char *fields[] = {e->actor,       e->method,     e->path, e->resource_type,
                            e->resource_id, e->request_id, e->diff, e->dialect};
    size_t total = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        total += fields[i] ? strlen(fields[i]) + 1 : 0;
    q->strings = scim_malloc(total ? total : 1);
    size_t used = 0;
    ptrdiff_t at[sizeof(fields) / sizeof(fields[0])];
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        at[i] = pack(q->strings, &used, fields[i]);
    q->e = *e;
    q->e.actor = unpack(q->strings, at[0]);
    q->e.method = unpack(q->strings, at[1]);
    q->e.path = unpack(q->strings, at[2]);
    q->e.resource_type = unpack(q->strings, at[3]);
    q->e.resource_id = unpack(q->strings, at[4]);
    q->e.request_id = unpack(q->strings, at[5]);
    q->e.diff = unpack(q->strings, at[6]);
    q->e.dialect = unpack(q->strings, at[7]);
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts a pruning pass: rows past retention, OAuth access tokens expired a day ago. */
static void prune_begin(struct scim_audit_log *log)
{
    int64_t now = scim_time_now_ms();
    log->pruning = true;
    log->pruned_rows = 0;
    log->prune_audit_before = log->retention_days > 0 ? now - log->retention_days * DAY_MS : 0;
    log->prune_tokens_before = now - TOKEN_GRACE_MS;
}

/* Runs one slice of the pass (called without the lock); true when the pass is over. Failures
 * are logged and end the pass (the next one retries). */
static bool prune_slice(struct scim_audit_log *log)
{
    struct scim_err err;
    scim_err_clear(&err);
    int64_t deleted = 0;
    if (scim_store_audit_prune(log->store, log->prune_audit_before, log->prune_tokens_before,
                               PRUNE_SLICE, &deleted, &err) < 0) {
        scim_log(SCIM_LOG_ERROR, "audit: pruning failed: %s", err.detail);
        return true;
    }
    log->pruned_rows += deleted;
    if (deleted < PRUNE_SLICE && log->pruned_rows > 0)
        scim_log(SCIM_LOG_INFO,
                 "audit: pruned %lld rows (audit past %lld days, expired access "
                 "tokens)",
                 (long long)log->pruned_rows, (long long)log->retention_days);
    return deleted < PRUNE_SLICE;
}

/* Writes up to BATCH queued rows (called with the lock held; drops it while writing). */
static void write_batch(struct scim_audit_log *log)
{
    struct scim_audit_entry batch[BATCH];
    char *strings[BATCH];
    size_t n = 0;
    while (log->count > 0 && n < BATCH) {
        struct queued *q = &log->ring[log->head];
        batch[n] = q->e;
        strings[n] = q->strings;
        q->strings = NULL;
        n++;
        log->head = (log->head + 1) % QUEUE_CAP;
        log->count--;
    }
    pthread_cond_broadcast(&log->space);
    pthread_mutex_unlock(&log->lock);
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_store_audit_append(log->store, batch, n, &err) < 0)
        scim_log(SCIM_LOG_ERROR, "audit: %zu rows could not be written: %s", n, err.detail);
    for (size_t i = 0; i < n; i++)
        scim_free(strings[i]);
    pthread_mutex_lock(&log->lock);
    log->written_seq += n;
    pthread_cond_broadcast(&log->space);
}

/* Sleeps on the work condition until deadline_ms of the monotonic clock (or a signal). The
 * condition variable waits on CLOCK_REALTIME; a clock jump only moves the next pruning. */
static void wait_until(struct scim_audit_log *log, int64_t deadline_ms)
{
    int64_t wait_ms = deadline_ms - monotonic_ms();
    if (wait_ms <= 0)
        return;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)(wait_ms / 1000);
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&log->work, &log->lock, &deadline);
}

/* The writer: queued rows first, then a slice of pruning when one is due, else sleep. */
static void *writer_main(void *arg)
{
    struct scim_audit_log *log = arg;
    int64_t next_prune = 0;
    pthread_mutex_lock(&log->lock);
    for (;;) {
        if (log->count > 0 && (log->count >= EAGER_ROWS || log->stopping || log->flush_wanted ||
                               monotonic_ms() >= log->first_queued_ms + LINGER_MS)) {
            write_batch(log);
            if (log->count > 0)
                log->first_queued_ms = monotonic_ms();
            continue;
        }
        log->flush_wanted = false;
        if (log->count > 0) {
            /* Rows are lingering: sleep until the oldest is due (or EAGER_ROWS arrive). */
            int64_t due = log->first_queued_ms + LINGER_MS;
            wait_until(log, next_prune < due && !log->pruning ? next_prune : due);
            continue;
        }
        if (log->stopping)
            break;
        if (!log->pruning && monotonic_ms() >= next_prune)
            prune_begin(log);
        if (log->pruning) {
            pthread_mutex_unlock(&log->lock);
            bool over = prune_slice(log);
            pthread_mutex_lock(&log->lock);
            if (over) {
                log->pruning = false;
                log->pruned_once = true;
                next_prune = monotonic_ms() + PRUNE_INTERVAL_MS;
                pthread_cond_broadcast(&log->space);
            }
            continue;
        }
        wait_until(log, next_prune);
    }
    pthread_mutex_unlock(&log->lock);
    return NULL;
}

struct scim_audit_log *scim_audit_log_start(struct scim_store *st, int64_t retention_days)
{
    struct scim_audit_log *log = scim_calloc(1, sizeof(*log));
    log->store = st;
    log->retention_days = retention_days;
    pthread_mutex_init(&log->lock, NULL);
    pthread_cond_init(&log->work, NULL);
    pthread_cond_init(&log->space, NULL);
    if (pthread_create(&log->thread, NULL, writer_main, log) != 0) {
        pthread_cond_destroy(&log->space);
        pthread_cond_destroy(&log->work);
        pthread_mutex_destroy(&log->lock);
        scim_free(log);
        return NULL;
    }
    return log;
}

void scim_audit_log_submit(struct scim_audit_log *log, const struct scim_audit_entry *e)
{
    struct queued q;
    copy_entry(&q, e);
    pthread_mutex_lock(&log->lock);
    while (log->count == QUEUE_CAP)
        pthread_cond_wait(&log->space, &log->lock);
    log->ring[(log->head + log->count) % QUEUE_CAP] = q;
    if (log->count == 0)
        log->first_queued_ms = monotonic_ms();
    log->count++;
    log->queued_seq++;
    /* The first row wakes the writer, which then sleeps until it is due (LINGER_MS); the
     * EAGER_ROWS-th wakes it to write at once. */
    if (log->count == 1 || log->count == EAGER_ROWS)
        pthread_cond_signal(&log->work);
    pthread_mutex_unlock(&log->lock);
}

void scim_audit_log_flush(struct scim_audit_log *log)
{
    pthread_mutex_lock(&log->lock);
    uint64_t target = log->queued_seq;
    log->flush_wanted = true;
    pthread_cond_signal(&log->work);
    while (log->written_seq < target || !log->pruned_once)
        pthread_cond_wait(&log->space, &log->lock);
    pthread_mutex_unlock(&log->lock);
}

void scim_audit_log_stop(struct scim_audit_log *log)
{
    if (!log)
        return;
    pthread_mutex_lock(&log->lock);
    log->stopping = true;
    pthread_cond_signal(&log->work);
    pthread_mutex_unlock(&log->lock);
    pthread_join(log->thread, NULL);
    pthread_cond_destroy(&log->space);
    pthread_cond_destroy(&log->work);
    pthread_mutex_destroy(&log->lock);
    scim_free(log);
}
