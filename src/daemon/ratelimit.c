/*
 * ratelimit — fixed-size limiter tables. Each table has SETS sets of WAYS entries; a key (source
 * address bytes or tenant id) is hashed with SipHash-2-4 (libsodium crypto_shorthash, random key
 * per process) to pick its set, and the set's mutex (one of LOCKS stripes) guards the entries. A
 * key not in its set takes a free entry, else evicts the stalest one: the table never grows, at
 * the price of forgetting the least recently active keys when more than WAYS collide.
 * Must not: allocate after scim_ratelimit_new, or block other than on one stripe mutex.
 */
#include "ratelimit.h"

#include "mem.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define SETS 1024 /* power of two */
#define WAYS 4
#define LOCKS 64 /* power of two, divides SETS */
#define WINDOW_MS 60000
#define GOOD_TTL_MS (24 * 3600 * 1000LL) /* how long a token that authenticated stays known */
#define KEY_MAX (SCIM_RATELIMIT_ADDR_MAX + SCIM_RATELIMIT_TOKEN_KEY)

/* One table entry; which members are used depends on the table. */
struct entry {
    bool used;
    unsigned char key[KEY_MAX]; /* key bytes; key_len of them */
    size_t key_len;
    int64_t seen_ms; /* last activity, for eviction */
    /* Failed authentications: the window's start and its count. */
    int64_t window_ms;
    int64_t failures;
    /* Tenant requests. */
    struct scim_token_bucket bucket;
};

struct table {
    struct entry entries[SETS][WAYS];
    pthread_mutex_t locks[LOCKS];
};

struct scim_ratelimit {
    int64_t auth_fail_limit;
    double tenant_rate;
    double tenant_burst;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    struct table auth;
    struct table tenants;
    struct table good; /* (address, token hash prefix) pairs that authenticated */
};

bool scim_token_bucket_take(struct scim_token_bucket *b, double rate, double burst, int64_t now_ms,
                            int64_t *wait_ms)
{
    if (!b->started) {
        b->started = true;
        b->tokens = burst;
        b->last_ms = now_ms;
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
        if (b->tokens > burst)
            b->tokens = burst;
        b->last_ms = now_ms;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return true;
    }
    if (wait_ms) {
        double ms = (1.0 - b->tokens) * 1000.0 / rate;
        int64_t w = (int64_t)ms;
        if ((double)w < ms)
            w++;
        *wait_ms = w < 1 ? 1 : w;
    }
    return false;
}

static void table_init(struct table *t)
{
    memset(t->entries, 0, sizeof(t->entries));
    for (int i = 0; i < LOCKS; i++)
        pthread_mutex_init(&t->locks[i], NULL);
}

static void table_destroy(struct table *t)
{
    for (int i = 0; i < LOCKS; i++)
        pthread_mutex_destroy(&t->locks[i]);
}

struct scim_ratelimit *scim_ratelimit_new(int64_t auth_fail_per_minute, int64_t tenant_rate,
                                          int64_t tenant_burst)
{
    struct scim_ratelimit *rl = scim_calloc(1, sizeof(*rl));
    rl->auth_fail_limit = auth_fail_per_minute > 0 ? auth_fail_per_minute : 0;
    rl->tenant_rate = tenant_rate > 0 ? (double)tenant_rate : 0.0;
    rl->tenant_burst = tenant_burst > 0 ? (double)tenant_burst : rl->tenant_rate;
    if (rl->tenant_burst < 1.0)
        rl->tenant_burst = 1.0;
    crypto_shorthash_keygen(rl->hash_key);
    table_init(&rl->auth);
    table_init(&rl->tenants);
    table_init(&rl->good);
    return rl;
}

void scim_ratelimit_free(struct scim_ratelimit *rl)
{
    if (!rl)
        return;
    table_destroy(&rl->auth);
    table_destroy(&rl->tenants);
    table_destroy(&rl->good);
    scim_free(rl);
}

/*
 * Locks key's set and returns its entry. A new key gets a free entry or evicts the stalest one
 * (zeroed, holding the key) when create is true; otherwise NULL is returned. The caller unlocks
 * *lock in every case.
 */
static struct entry *lookup(struct scim_ratelimit *rl, struct table *t, const unsigned char *key,
                            size_t len, int64_t now_ms, bool create, pthread_mutex_t **lock)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key, len, rl->hash_key);
    uint32_t v = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    size_t set = v & (SETS - 1);
    *lock = &t->locks[set & (LOCKS - 1)];
    pthread_mutex_lock(*lock);
    struct entry *ways = t->entries[set];
    struct entry *victim = &ways[0];
    for (int i = 0; i < WAYS; i++) {
        struct entry *e = &ways[i];
        if (e->used && e->key_len == len && memcmp(e->key, key, len) == 0) {
            if (create)
                e->seen_ms = now_ms;
            return e;
        }
        if (!e->used)
            victim = e;
        else if (victim->used && e->seen_ms < victim->seen_ms)
            victim = e;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof(*victim));
    victim->used = true;
    memcpy(victim->key, key, len);
    victim->key_len = len;
    victim->seen_ms = now_ms;
    return victim;
}

/* Clamps an address length to the key size. */
static size_t addr_len(size_t len)
{
    return len > SCIM_RATELIMIT_ADDR_MAX ? SCIM_RATELIMIT_ADDR_MAX : len;
}

bool scim_ratelimit_auth_blocked(struct scim_ratelimit *rl, const unsigned char *addr, size_t len,
                                 int64_t now_ms, int64_t *retry_after_s)
{
    if (rl->auth_fail_limit == 0 || len == 0)
        return false;
    pthread_mutex_t *lock;
    /* Looking does not create an entry: only failures take table space. */
    struct entry *e = lookup(rl, &rl->auth, addr, addr_len(len), now_ms, false, &lock);
    bool blocked = e && e->failures >= rl->auth_fail_limit && now_ms < e->window_ms + WINDOW_MS;
    if (blocked && retry_after_s) {
        int64_t left = e->window_ms + WINDOW_MS - now_ms;
        *retry_after_s = (left + 999) / 1000;
    }
    pthread_mutex_unlock(lock);
    return blocked;
}

void scim_ratelimit_auth_failed(struct scim_ratelimit *rl, const unsigned char *addr, size_t len,
                                int64_t now_ms)
{
    if (rl->auth_fail_limit == 0 || len == 0)
        return;
    pthread_mutex_t *lock;
    struct entry *e = lookup(rl, &rl->auth, addr, addr_len(len), now_ms, true, &lock);
    if (e->failures == 0 || now_ms >= e->window_ms + WINDOW_MS) {
        e->window_ms = now_ms;
        e->failures = 0;
    }
    e->failures++;
    pthread_mutex_unlock(lock);
}

/* The key of the good table: the address, then the token hash's first bytes. */
static size_t good_key(const unsigned char *addr, size_t len, const unsigned char *hash,
                       unsigned char key[KEY_MAX])
{
    size_t n = addr_len(len);
    memcpy(key, addr, n);
    memcpy(key + n, hash, SCIM_RATELIMIT_TOKEN_KEY);
    return n + SCIM_RATELIMIT_TOKEN_KEY;
}

void scim_ratelimit_token_good(struct scim_ratelimit *rl, const unsigned char *addr, size_t len,
                               const unsigned char *hash, int64_t now_ms)
{
    if (rl->auth_fail_limit == 0 || len == 0)
        return;
    unsigned char key[KEY_MAX];
    pthread_mutex_t *lock;
    lookup(rl, &rl->good, key, good_key(addr, len, hash, key), now_ms, true, &lock);
    pthread_mutex_unlock(lock);
}

bool scim_ratelimit_token_known(struct scim_ratelimit *rl, const unsigned char *addr, size_t len,
                                const unsigned char *hash, int64_t now_ms)
{
    if (rl->auth_fail_limit == 0 || len == 0)
        return true;
    unsigned char key[KEY_MAX];
    pthread_mutex_t *lock;
    struct entry *e =
        lookup(rl, &rl->good, key, good_key(addr, len, hash, key), now_ms, false, &lock);
    bool known = e && now_ms - e->seen_ms < GOOD_TTL_MS;
    pthread_mutex_unlock(lock);
    return known;
}

bool scim_ratelimit_tenant_allow(struct scim_ratelimit *rl, int64_t tenant_id, int64_t now_ms,
                                 int64_t *retry_after_s)
{
    if (rl->tenant_rate <= 0.0)
        return true;
    unsigned char key[8];
    for (int i = 0; i < 8; i++)
        key[i] = (unsigned char)((uint64_t)tenant_id >> (8 * i));
    pthread_mutex_t *lock;
    struct entry *e = lookup(rl, &rl->tenants, key, sizeof(key), now_ms, true, &lock);
    int64_t wait_ms = 0;
    bool ok =
        scim_token_bucket_take(&e->bucket, rl->tenant_rate, rl->tenant_burst, now_ms, &wait_ms);
    pthread_mutex_unlock(lock);
    if (!ok && retry_after_s)
        *retry_after_s = (wait_ms + 999) / 1000;
    return ok;
}
