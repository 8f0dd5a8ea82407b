/*
 * datetime — the dateTime values of RFC 7643 §2.3.5 (xsd:dateTime; RFC 3339 §5.6 time stamps
 * are a subset): one parser that turns "YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]" into an
 * instant in UTC, the order of instants, their milliseconds, and a sortable text key.
 * Owns: the grammar and its variants (the flags below), the proleptic Gregorian calendar
 * arithmetic. Must not: allocate, know JSON, SQL or HTTP, or depend on the process's locale or
 * time zone.
 */
#ifndef SCIM_DATETIME_H
#define SCIM_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A point in time: seconds since 1970-01-01T00:00:00Z (negative before) plus nanoseconds. */
struct scim_instant {
    int64_t sec;
    int32_t nsec; /* 0 to 999999999 */
};

/*
 * Variants of the grammar, combined with '|'. With none (SCIM_DATETIME_LENIENT) the parser
 * accepts what a filter literal may hold (RFC 7644 §3.4.2.2): 'T' and 'Z' in either case, years
 * 0000-9999, seconds up to 60 (a leap second), any number of fraction digits (truncated to
 * nanoseconds), an offset up to ±23:59, and no zone at all meaning UTC.
 */
enum scim_datetime_flags {
    SCIM_DATETIME_LENIENT = 0,
    /* A value a client writes (RFC 7643 §2.3.5): 'T' and 'Z' upper case only, the year 0001 or
     * later, and an offset within ±14:00 as xsd:dateTime bounds it. */
    SCIM_DATETIME_STRICT = 1 << 0,
    /* A space may separate the date from the time, as RFC 3339 §5.6 lets applications choose. */
    SCIM_DATETIME_SPACE = 1 << 1,
    /* A full date alone ("2026-01-15") is accepted and means midnight UTC. */
    SCIM_DATETIME_DATE_ONLY = 1 << 2,
    /* A time must carry its zone: 'Z' or a numeric offset. */
    SCIM_DATETIME_NEED_ZONE = 1 << 3,
};

/*
 * Parses s[0..len) (no NUL needed; a NUL inside the range makes the text invalid) under flags
 * (a combination of enum scim_datetime_flags) into *out, which may be NULL when only validity
 * matters. Returns false, leaving *out untouched, when the text is not such a dateTime.
 */
bool scim_datetime_parse(const char *s, size_t len, unsigned flags, struct scim_instant *out);

/* Orders two instants: <0, 0 or >0 as a is earlier than, equal to or later than b. */
int scim_datetime_cmp(const struct scim_instant *a, const struct scim_instant *b);

/*
 * Returns t in milliseconds since the epoch, rounded down (towards the past). When exact is not
 * NULL, *exact tells whether nothing finer than a millisecond was lost.
 */
int64_t scim_datetime_ms(const struct scim_instant *t, bool *exact);

/* Size of a buffer that always holds a sort key and its NUL. */
#define SCIM_DATETIME_KEY_BUF 32

/*
 * Writes into key the fixed-width text of t whose byte order is the order of the instants, for
 * every instant scim_datetime_parse returns (with any flags). Returns key.
 */
char *scim_datetime_key(const struct scim_instant *t, char key[SCIM_DATETIME_KEY_BUF]);

#endif
