/*
 * log — one line per message on stderr: RFC 3339 UTC time, level, text. Each line is one write(2),
 * so concurrent threads do not interleave inside a line. The date and time to the second are
 * formatted once per second per thread (a line per request is the hot path of the access log).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum scim_log_level min_level = SCIM_LOG_INFO;

void scim_log_set_level(enum scim_log_level level)
{
    min_level = level;
}

int scim_log_level_parse(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
}

void scim_log(enum scim_log_level level, const char *fmt, ...)
{
    static const char *const labels[] = {"debug", "info", "warn", "error"};
    static _Thread_local time_t stamp_second = -1;
    static _Thread_local char stamp[32]; /* "YYYY-MM-DDTHH:MM:SS" of stamp_second */
    if (level < min_level)
        return;
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tv.tv_sec != stamp_second) {
        struct tm tm;
        gmtime_r(&tv.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        stamp_second = tv.tv_sec;
    }
    int n = snprintf(line, sizeof(line), "%s.%03ldZ level=%s ", stamp, (long)(tv.tv_usec / 1000),
                     labels[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    /* One message, one line: a control character from a client (a path, a header) cannot start
     * a forged line or move the terminal's cursor. */
    for (size_t i = (size_t)n; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        unsigned char next = i + 1 < len ? (unsigned char)line[i + 1] : 0;
        if (c < 0x20 || c == 0x7f) {
            line[i] = '?';
        } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {
            /* A C1 control (U+0080 to U+009F, such as NEL) in UTF-8: both bytes. */
            line[i] = '?';
            line[++i] = '?';
        }
    }
    line[len++] = '\n';
    ssize_t written = write(STDERR_FILENO, line, len);
    (void)written; /* nowhere left to report a failed log write */
}
