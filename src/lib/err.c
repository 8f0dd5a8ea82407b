/*
 * err — fills struct scim_err and renders it as a SCIM Error message (RFC 7644 §3.12).
 * Owns: the mapping from HTTP status to enum scim_rc. Must not: send anything.
 */
#include "err.h"

#include "log.h"

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

json_t *scim_err_to_json(const struct scim_err *err)
{
    char status[16];
    snprintf(status, sizeof(status), "%d", err->status ? err->status : 500);
    json_t *doc = json_pack("{s:[s], s:s}", "schemas", SCIM_ERROR_SCHEMA, "status", status);
    if (err->scim_type)
        json_object_set_new(doc, "scimType", json_string(err->scim_type));
    if (err->detail[0])
        json_object_set_new(doc, "detail", json_string(err->detail));
    return doc;
}
