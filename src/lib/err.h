/*
 * err — the one error type of the project (struct scim_err) and its rendering as a SCIM Error
 * (RFC 7644 §3.12). Library code fills a scim_err where a problem is found and returns a negative
 * enum scim_rc; only the server turns a scim_err into an HTTP response.
 * Owns: status codes, scimType strings, the Error JSON. Must not: know about HTTP connections.
 */
#ifndef SCIM_ERR_H
#define SCIM_ERR_H

#include <jansson.h>

#define SCIM_ERROR_SCHEMA "urn:ietf:params:scim:api:messages:2.0:Error"

/* Return codes: 0 on success, a negative value on failure (the scim_err tells the details). */
enum scim_rc {
    SCIM_OK = 0,
    SCIM_ERR = -1,          /* generic failure; see err->status */
    SCIM_ENOTFOUND = -2,    /* no such resource (404) */
    SCIM_ECONFLICT = -3,    /* uniqueness violation (409) */
    SCIM_EPRECONDITION = -4 /* version mismatch (412) */
};

/* scimType values of RFC 7644 §3.12, Table 9. */
#define SCIM_TYPE_INVALID_FILTER "invalidFilter"
#define SCIM_TYPE_TOO_MANY "tooMany"
#define SCIM_TYPE_UNIQUENESS "uniqueness"
#define SCIM_TYPE_MUTABILITY "mutability"
#define SCIM_TYPE_INVALID_SYNTAX "invalidSyntax"
#define SCIM_TYPE_INVALID_PATH "invalidPath"
#define SCIM_TYPE_NO_TARGET "noTarget"
#define SCIM_TYPE_INVALID_VALUE "invalidValue"
#define SCIM_TYPE_INVALID_VERS "invalidVers"
#define SCIM_TYPE_SENSITIVE "sensitive"

struct scim_err {
    int status;            /* HTTP status, e.g. 400 */
    const char *scim_type; /* static string from the list above, or NULL */
    char detail[512];      /* human-readable, tells the IdP admin what to fix */
};

/* Clears err (status 0, no scimType, empty detail). */
void scim_err_clear(struct scim_err *err);

/*
 * Fills err (err may be NULL, then nothing is recorded) and returns the scim_rc that matches the
 * status: SCIM_ENOTFOUND for 404, SCIM_ECONFLICT for 409, SCIM_EPRECONDITION for 412, else
 * SCIM_ERR.
 */
int scim_err_set(struct scim_err *err, int status, const char *scim_type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Shorthand for a 500 whose detail does not leak internals; the cause goes to the log. */
int scim_err_internal(struct scim_err *err, const char *log_cause);

/* Returns a new reference: the SCIM Error document for err (status rendered as a string). */
json_t *scim_err_to_json(const struct scim_err *err);

#endif
