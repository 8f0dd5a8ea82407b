/*
 * datetime — RFC 7643 §2.3.5 dateTime values (xsd:dateTime, of which RFC 3339 §5.6 time stamps
 * are a subset) parsed into instants in UTC, with the variants of the grammar that the filter
 * (lenient), resource validation (strict) and the admin tools (dates alone, a space for 'T')
 * need, all in one parser so that they cannot drift apart.
 * Owns: the grammar, the calendar arithmetic (proleptic Gregorian, March-based 400-year eras),
 * the sort key. Must not: allocate, use the C library's time functions (they depend on time_t
 * and the time zone), or read past the length it is given.
 */
#include "datetime.h"

#include <inttypes.h>
#include <stdio.h>

/* Added to the seconds of a key so that every parseable instant (the year 0000 with an offset of
 * +23:59 at the earliest) is non-negative and fits twelve digits. */
#define KEY_EPOCH_SHIFT INT64_C(62167305600)

/* The largest offset from UTC, in minutes, that a strict value may carry (xsd:dateTime). */
#define STRICT_MAX_OFFSET (14 * 60)

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly count ASCII digits at s into *out; false when any of them is not a digit. */
static bool read_digits(const char *s, int count, int *out)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* True when c may separate the date from the time under flags. */
static bool is_time_separator(char c, unsigned flags)
{
    if (c == 'T')
        return true;
    if (c == 't')
        return !(flags & SCIM_DATETIME_STRICT);
    return c == ' ' && (flags & SCIM_DATETIME_SPACE);
}

/*
 * Reads the zone at s[0..n) (n > 0) into *offset (seconds east of UTC) and *used (its length):
 * "Z" (or "z" unless strict) or "+hh:mm"/"-hh:mm" with hh up to 23 (14:00 at most when strict)
 * and mm up to 59. False when s does not start with a zone.
 */
static bool read_zone(const char *s, size_t n, unsigned flags, int64_t *offset, size_t *used)
{
    bool strict = flags & SCIM_DATETIME_STRICT;
    if (s[0] == 'Z' || (s[0] == 'z' && !strict)) {
        *offset = 0;
        *used = 1;
        return true;
    }
    if (s[0] != '+' && s[0] != '-')
        return false;
    int oh, om;
    if (n < 6 || !read_digits(s + 1, 2, &oh) || s[3] != ':' || !read_digits(s + 4, 2, &om) ||
        oh > 23 || om > 59)
        return false;
    if (strict && oh * 60 + om > STRICT_MAX_OFFSET)
        return false;
    *offset = (int64_t)oh * 3600 + om * 60;
    if (s[0] == '-')
        *offset = -*offset;
    *used = 6;
    return true;
}

bool scim_datetime_parse(const char *s, size_t len, unsigned flags, struct scim_instant *out)
{
    bool strict = flags & SCIM_DATETIME_STRICT;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (len < 10 || !read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &mo) ||
        s[7] != '-' || !read_digits(s + 8, 2, &d))
        return false;
    if ((strict && y < 1) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return false;
    int32_t nsec = 0;
    int64_t offset = 0;
    size_t i = 10;
    if (i == len && (flags & SCIM_DATETIME_DATE_ONLY))
        goto done;
    if (len < 19 || !is_time_separator(s[10], flags) || !read_digits(s + 11, 2, &h) ||
        s[13] != ':' || !read_digits(s + 14, 2, &mi) || s[16] != ':' ||
        !read_digits(s + 17, 2, &se))
        return false;
    /* A second of 60 is a leap second, as RFC 3339 §5.6 allows; it counts as the next second. */
    if (h > 23 || mi > 59 || se > 60)
        return false;
    i = 19;
    if (i < len && s[i] == '.') {
        size_t first = ++i;
        int used = 0;
        while (i < len && is_digit(s[i])) {
            if (used < 9) {
                nsec = nsec * 10 + (s[i] - '0');
                used++;
            }
            i++;
        }
        if (i == first)
            return false;
        for (; used < 9; used++)
            nsec *= 10;
    }
    if (i < len) {
        size_t used = 0;
        if (!read_zone(s + i, len - i, flags, &offset, &used))
            return false;
        i += used;
    } else if (flags & SCIM_DATETIME_NEED_ZONE) {
        return false;
    }
    if (i != len)
        return false;
done:
    if (out) {
        out->sec = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + se - offset;
        out->nsec = nsec;
    }
    return true;
}

int scim_datetime_cmp(const struct scim_instant *a, const struct scim_instant *b)
{
    if (a->sec != b->sec)
        return a->sec < b->sec ? -1 : 1;
    if (a->nsec != b->nsec)
        return a->nsec < b->nsec ? -1 : 1;
    return 0;
}

int64_t scim_datetime_ms(const struct scim_instant *t, bool *exact)
{
    if (exact)
        *exact = t->nsec % 1000000 == 0;
    return t->sec * 1000 + t->nsec / 1000000;
}

char *scim_datetime_key(const struct scim_instant *t, char key[SCIM_DATETIME_KEY_BUF])
{
    snprintf(key, SCIM_DATETIME_KEY_BUF, "%012" PRId64 ".%09" PRId32, t->sec + KEY_EPOCH_SHIFT,
             t->nsec);
    return key;
}
