/*
 * err — fills struct scim_err and renders it as a SCIM Error message (RFC 7644 §3.12).
 * Owns: the mapping from HTTP status to enum scim_rc. Must not: send anything.
 */
#include "err.h"

#include "log.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void scim_err_clear(struct scim_err *err)
{
    err->status = 0;
    err->scim_type = NULL;
    err->detail[0] = '\0';
}

static int rc_for_status(int status)
{
    switch (status) {
    case 404:
        return SCIM_ENOTFOUND;
    case 409:
        return SCIM_ECONFLICT;
    case 412:
        return SCIM_EPRECONDITION;
    default:
        return SCIM_ERR;
    }
}

int scim_err_set(struct scim_err *err, int status, const char *scim_type, const char *fmt, ...)
{
    if (err) {
        err->status = status;
        err->scim_type = scim_type;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
        va_end(ap);
    }
    return rc_for_status(status);
}

int scim_err_internal(struct scim_err *err, const char *log_cause)
{
    scim_log(SCIM_LOG_ERROR, "internal error: %s", log_cause ? log_cause : "(unknown)");
    return scim_err_set(err, 500, NULL, "The server failed to process the request; see its log.");
}

/* Copies detail into out (the same size), every byte of a sequence that is not well-formed
 * UTF-8 as '?': a detail quoting a client's bytes (a percent-decoded path), or cut inside a
 * character, must still be a JSON string. */
static void detail_utf8(const char *detail, char *out, size_t size)
{
    size_t len = strnlen(detail, size - 1);
    size_t i = 0;
    while (i < len) {
        size_t n = 1;
        unsigned char c = (unsigned char)detail[i];
        if (c >= 0xC0)
            n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (i + n <= len && scim_text_valid_utf8(detail + i, n)) {
            memcpy(out + i, detail + i, n);
            i += n;
        } else {
            out[i++] = '?';
        }
    }
    out[len] = '\0';
}

json_t *scim_err_to_json(const struct scim_err *err)
{
    char status[16];
    snprintf(status, sizeof(status), "%d", err->status ? err->status : 500);
    json_t *doc = json_pack("{s:[s], s:s}", "schemas", SCIM_ERROR_SCHEMA, "status", status);
    if (err->scim_type)
        json_object_set_new(doc, "scimType", json_string(err->scim_type));
    if (err->detail[0]) {
        char detail[sizeof(err->detail)];
        detail_utf8(err->detail, detail, sizeof(detail));
        json_object_set_new(doc, "detail", json_string(detail));
    }
    return doc;
}
