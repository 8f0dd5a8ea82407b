/*
 * store_sqlite_checkpoint — WAL checkpoints off the write path. SQLite's automatic checkpoint
 * runs inside the COMMIT that takes the WAL past 1000 pages: that write copies the WAL into the
 * database file and waits for two fsyncs while every other writer queues behind it, which is the
 * tail of write latency. Here the writing connection only reports the WAL size (a WAL hook, which
 * also turns SQLite's automatic checkpoint off on it), and a thread with a connection of its own
 * runs a PASSIVE checkpoint, which blocks neither readers nor writers, each time the WAL has
 * grown by WANT_PAGES. Once the WAL holds RESTART_PAGES, the last few pages are copied under the
 * process's write lock, because only a checkpoint that has caught up lets the next writer start
 * the WAL over from its beginning (without that step, writers that never pause keep the
 * checkpoint behind and the WAL grows). That pass waits for two fsyncs with writers queued, so
 * it is kept rare.
 * Should the thread fall behind (FORCE_PAGES: a slow disk, a starved thread), the committing
 * writer checkpoints inline while it still holds the write lock, waiting out a background pass
 * that holds SQLite's checkpoint lock, so the WAL stops growing there whatever the thread does:
 * the next writer starts it over.
 * Owns: the checkpoint thread and its connection.
 */
#include "store_sqlite_internal.h"

#include "log.h"
#include "mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/* SQLite's own automatic checkpoint size: WAL growth in pages before a checkpoint is wanted. */
#define WANT_PAGES 1000
/* WAL pages at which a checkpoint ends with the pass under the write lock (64 MiB). That pass
 * holds writers for its fsync (1-3 ms here), so it is kept rare: at 4,000 pages a stream of group
 * member writes (about 7 WAL pages each) met it 17 times a second and set their p99. */
#define RESTART_PAGES 16000
/* Pages still to copy at which the checkpoint takes the write lock for its last pass. */
#define CAUGHT_UP_PAGES 64
/* Lock-free passes before the last one, whatever is left. */
#define MAX_PASSES 4
/* WAL pages at which the committing writer checkpoints itself (128 MiB of 4 KiB pages): the
 * bound on the WAL file, give or take one transaction. */
#define FORCE_PAGES 32000
/* How long the writer waits for a background pass to release the checkpoint lock. */
#define FORCE_WAIT_TRIES 2000
#define FORCE_WAIT_NS 1000000L
/* An idle database is checkpointed this often, so the WAL does not sit unmerged. */
#define IDLE_SECONDS 1

struct scim_sqlite_checkpointer {
    sqlite3 *db;                 /* the thread's own connection */
    pthread_mutex_t *write_lock; /* the store's: while held, no writer of this process commits */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool due;           /* the WAL reached next_at */
    bool stop;          /* set once by scim_sqlite_checkpointer_stop */
    atomic_int next_at; /* WAL size in pages at which the hook wakes the thread */
};

/* The writing connection's WAL hook: runs after each commit, with the WAL size in pages. */
static int on_commit(void *arg, sqlite3 *db, const char *schema, int pages)
{
    struct scim_sqlite_checkpointer *k = arg;
    if (pages >= FORCE_PAGES) {
        /* The caller holds the write lock, so no writer of this process adds frames meanwhile;
         * BUSY means the background pass holds the checkpoint lock for a moment. */
        int rc = SQLITE_BUSY;
        for (int tries = 0; rc == SQLITE_BUSY && tries < FORCE_WAIT_TRIES; tries++) {
            rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
            if (rc == SQLITE_BUSY)
                nanosleep(&(struct timespec){.tv_nsec = FORCE_WAIT_NS}, NULL);
        }
        if (rc != SQLITE_OK)
            scim_log(SCIM_LOG_ERROR, "store: checkpoint of a %d-page WAL failed: %s", pages,
                     sqlite3_errstr(rc));
        atomic_store_explicit(&k->next_at, WANT_PAGES, memory_order_relaxed);
        return SQLITE_OK;
    }
    if (pages >= atomic_load_explicit(&k->next_at, memory_order_relaxed)) {
        pthread_mutex_lock(&k->lock);
        if (!k->due) {
            k->due = true;
            pthread_cond_signal(&k->wake);
        }
        pthread_mutex_unlock(&k->lock);
    }
    return SQLITE_OK;
}

/* One checkpoint: lock-free passes until little is left; once the WAL is RESTART_PAGES long,
 * the rest under the write lock. Sets next_at for the hook. */
static void checkpoint(struct scim_sqlite_checkpointer *k)
{
    int rc = SQLITE_OK, wal_pages = 0;
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        int copied = 0;
        rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
        if (rc != SQLITE_OK || wal_pages - copied <= CAUGHT_UP_PAGES)
            break;
    }
    int next_at = wal_pages + WANT_PAGES;
    if (rc == SQLITE_OK && wal_pages >= RESTART_PAGES) {
        pthread_mutex_lock(k->write_lock);
        rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_unlock(k->write_lock);
        /* The next writer starts the WAL over. */
        next_at = WANT_PAGES;
    }
    atomic_store_explicit(&k->next_at, next_at, memory_order_relaxed);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        scim_log(SCIM_LOG_ERROR, "store: background checkpoint failed: %s", sqlite3_errmsg(k->db));
}

static void *checkpoint_main(void *arg)
{
    struct scim_sqlite_checkpointer *k = arg;
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        if (!k->due) {
            struct timespec deadline;
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_sec += IDLE_SECONDS;
            pthread_cond_timedwait(&k->wake, &k->lock, &deadline);
            if (k->stop)
                break;
        }
        k->due = false;
        pthread_mutex_unlock(&k->lock);
        checkpoint(k);
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int scim_sqlite_checkpointer_start(const char *path, sqlite3 *writer, pthread_mutex_t *write_lock,
                                   struct scim_sqlite_checkpointer **out, struct scim_err *err)
{
    int rc = 0;
    struct scim_sqlite_checkpointer *k = scim_calloc(1, sizeof(*k));
    k->write_lock = write_lock;
    atomic_init(&k->next_at, WANT_PAGES);
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->wake, NULL);
    if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = scim_err_internal(err, "store: the checkpoint connection cannot open the database");
        goto out;
    }
    sqlite3_busy_timeout(k->db, 1000);
    /* A checkpoint needs a connection that has read the database (and so knows it uses WAL). */
    if (sqlite3_exec(k->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
        rc = scim_err_internal(err, "store: the checkpoint connection cannot read the database");
        goto out;
    }
    if (pthread_create(&k->thread, NULL, checkpoint_main, k) != 0) {
        rc = scim_err_internal(err, "store: cannot start the checkpoint thread");
        goto out;
    }
    sqlite3_wal_hook(writer, on_commit, k);
    *out = k;
out:
    if (rc) {
        sqlite3_close(k->db);
        pthread_cond_destroy(&k->wake);
        pthread_mutex_destroy(&k->lock);
        scim_free(k);
    }
    return rc;
}

void scim_sqlite_checkpointer_stop(struct scim_sqlite_checkpointer *k, sqlite3 *writer)
{
    if (!k)
        return;
    sqlite3_wal_hook(writer, NULL, NULL);
    pthread_mutex_lock(&k->lock);
    k->stop = true;
    pthread_cond_signal(&k->wake);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    if (sqlite3_close(k->db) != SQLITE_OK)
        scim_log(SCIM_LOG_ERROR, "store: closing the checkpoint connection failed");
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->lock);
    scim_free(k);
}
