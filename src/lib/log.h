/*
 * log — levelled one-line logging to stderr, with the request id of the current thread when one
 * is set; control characters in a message are written as '?', so a message is always one line.
 * Owns: the log format and level. Must not: print tokens or passwords (callers pass none).
 */
#ifndef SCIM_LOG_H
#define SCIM_LOG_H

enum scim_log_level { SCIM_LOG_DEBUG, SCIM_LOG_INFO, SCIM_LOG_WARN, SCIM_LOG_ERROR };

/* Sets the minimum level written; messages below it are dropped. Call once at start. */
void scim_log_set_level(enum scim_log_level level);
/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int scim_log_level_parse(const char *name);
/* Writes one line: time, level, message. */
void scim_log(enum scim_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
