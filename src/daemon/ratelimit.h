/*
 * ratelimit — the two abuse limits of scimd: failed authentications per source address (a fixed
 * one-minute window: past the limit, the address gets 429 until the window ends, except for the
 * tokens that authenticated from it before) and requests per tenant (a token bucket: rate per
 * second, burst size).
 * Both live in fixed-size, 4-way set-associative tables keyed through SipHash with a random key
 * (so a client cannot aim at a slot); a full set evicts its stalest entry, so memory is bounded
 * whatever the number of addresses or tenants, and every call is O(1) under one striped mutex.
 * Owns: the limiter state. Must not: know HTTP (the router turns a refusal into a 429 with
 * Retry-After) or allocate per request.
 */
#ifndef SCIM_RATELIMIT_H
#define SCIM_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest source address key (an IPv6 address). */
#define SCIM_RATELIMIT_ADDR_MAX 16

/* Bytes of a token's SHA-256 that identify it in the table of tokens that authenticated. */
#define SCIM_RATELIMIT_TOKEN_KEY 8

/*
 * A token bucket: tokens available and when they were last refilled. Zero-initialised means
 * "not used yet" (the first take starts it full).
 */
struct scim_token_bucket {
    double tokens;
    int64_t last_ms;
    bool started;
};

/*
 * Takes one token from b at now_ms (a monotonic clock in milliseconds), refilling at rate tokens
 * per second up to burst first. True when a token was taken; otherwise false and *wait_ms (if
 * non-NULL) receives how long until one is available (at least 1). rate and burst must be > 0.
 */
bool scim_token_bucket_take(struct scim_token_bucket *b, double rate, double burst, int64_t now_ms,
                            int64_t *wait_ms);

struct scim_ratelimit;

/*
 * Creates the limiters: auth_fail_per_minute failed authentications per address and minute
 * (0 = off), tenant_rate requests per second per tenant (0 = off) with tenant_burst (0 = the
 * rate, at least 1). Free with scim_ratelimit_free.
 */
struct scim_ratelimit *scim_ratelimit_new(int64_t auth_fail_per_minute, int64_t tenant_rate,
                                          int64_t tenant_burst);
void scim_ratelimit_free(struct scim_ratelimit *rl);

/*
 * True when the address addr[0..len) has reached its failed-authentication limit in the current
 * window; *retry_after_s then receives the seconds until the window ends (at least 1).
 */
bool scim_ratelimit_auth_blocked(struct scim_ratelimit *rl, const unsigned char *addr, size_t len,
                                 int64_t now_ms, int64_t *retry_after_s);

/* Records one failed authentication from addr[0..len). */
void scim_ratelimit_auth_failed(struct scim_ratelimit *rl, const unsigned char *addr, size_t len,
                                int64_t now_ms);

/*
 * The tokens that authenticated from an address: while the address is over its failure limit,
 * only these are looked up (so that behind a reverse proxy, where every IdP shares an address,
 * a stranger's bad tokens do not lock the working IdPs out, and the blocked address still cannot
 * try new tokens). hash is the token's SHA-256 (its first SCIM_RATELIMIT_TOKEN_KEY bytes are
 * kept); a pair is known for a day after its last success, or until its set evicts it. With
 * the limit off, nothing is kept and every token is known.
 */
void scim_ratelimit_token_good(struct scim_ratelimit *rl, const unsigned char *addr, size_t len,
                               const unsigned char *hash, int64_t now_ms);
bool scim_ratelimit_token_known(struct scim_ratelimit *rl, const unsigned char *addr, size_t len,
                                const unsigned char *hash, int64_t now_ms);

/*
 * Takes one request from tenant_id's bucket. True when allowed (always, when the tenant limit is
 * off); otherwise *retry_after_s receives the seconds until the next request is allowed (>= 1).
 */
bool scim_ratelimit_tenant_allow(struct scim_ratelimit *rl, int64_t tenant_id, int64_t now_ms,
                                 int64_t *retry_after_s);

#endif
