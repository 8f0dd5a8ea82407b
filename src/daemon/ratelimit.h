/*
 * ratelimit — the two abuse limits of scimd: failed authentications per source address (a fixed
 * one-minute window: past the limit, every authenticated endpoint answers that address 429 until
 * the window ends) and requests per tenant (a token bucket: rate per second, burst size).
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
 * Takes one request from tenant_id's bucket. True when allowed (always, when the tenant limit is
 * off); otherwise *retry_after_s receives the seconds until the next request is allowed (>= 1).
 */
bool scim_ratelimit_tenant_allow(struct scim_ratelimit *rl, int64_t tenant_id, int64_t now_ms,
                                 int64_t *retry_after_s);

#endif
