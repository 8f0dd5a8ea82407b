/*
 * dialect — the one place where what identity providers really send is turned into what RFC 7643
 * and RFC 7644 describe, before the PATCH engine (patch.c, RFC 7644 §3.5.2) or the resource
 * validator (resource.c, RFC 7644 §3.3 and §3.5.1) sees a request body. Every quirk is a named
 * rule ("entra.string-boolean"), and every rule that fires on a request is recorded in a
 * struct scim_dialect_report, so that the access log (and later the audit row) can say what
 * each IdP really sent. docs/IDP_DIALECTS.md is the table of rules.
 * Some quirks are rewritten here (the body the engine receives is already standard); others are
 * accepted by patch.c itself because they need the document being patched, and are only detected
 * and named here. Either way, a rule name appears in the report exactly when the quirk occurred.
 * Owns: the rule table, the rewrites, the detection. Must not: change the caller's body or
 * document, apply PATCH operations, validate types beyond the rewrites (resource.c does), or
 * know SQL/HTTP.
 */
#ifndef SCIM_DIALECT_H
#define SCIM_DIALECT_H

#include "err.h"
#include "schema.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The rules; the comment names the IdP known to send the quirk. See docs/IDP_DIALECTS.md. */
enum scim_dialect_rule {
    SCIM_DIALECT_ENTRA_CAPITALISED_OP, /* Entra ID: "op": "Replace" / "Add" / "Remove" */
    SCIM_DIALECT_ENTRA_STRING_BOOLEAN, /* Entra ID: "active": "False" */
    SCIM_DIALECT_ENTRA_DOTTED_KEY,     /* Entra ID: no-path {"name.givenName": "A"} */
    SCIM_DIALECT_ENTRA_URN_KEY,        /* Entra ID: no-path {"urn:...:User:manager": …} */
    SCIM_DIALECT_ENTRA_FILTERED_KEY, /* Entra ID: no-path {"emails[type eq \"work\"].value": …} */
    SCIM_DIALECT_ENTRA_MANAGER_STRING,            /* Entra ID: manager as a plain id string */
    SCIM_DIALECT_ENTRA_EMPTY_CLEARS,              /* Entra ID: "" or null to clear a value */
    SCIM_DIALECT_ENTRA_REMOVE_MEMBERS_BY_VALUE,   /* Entra ID: remove "members" with a value list */
    SCIM_DIALECT_ENTRA_ADD_ABSENT_FILTER_ELEMENT, /* Entra ID: add emails[type eq "work"].value */
    SCIM_DIALECT_ENTRA_SINGULAR_VALUE_FILTER,     /* Entra ID: remove manager[value eq "id"] */
    SCIM_DIALECT_OKTA_NO_PATH_REPLACE,            /* Okta: replace without path, plain keys */
    SCIM_DIALECT_OKTA_MEMBER_WITHOUT_TYPE,        /* Okta: members added without "type" */
    SCIM_DIALECT_JUMPCLOUD_REPEATED_MEMBER_ADD,   /* JumpCloud: adds a member already present */
    SCIM_DIALECT_ENTRA_ADSCIM_SCHEMA,             /* Entra ID: Microsoft's ADSCIM URN in schemas */
    SCIM_DIALECT_ENTRA_REPLACE_ABSENT_FILTER_ELEMENT, /* Entra ID: "Replace" emails[type eq …] */
    SCIM_DIALECT_ENTRA_SINGULAR_ARRAY,                /* Entra ID: manager as [{"value": id}] */
    SCIM_DIALECT_OKTA_TOKEN_WITHOUT_BEARER,           /* Okta: "Authorization: <token>" (auth.c) */
    SCIM_DIALECT_N_RULES
};

/* The rules that fired on one request: one bit per enum scim_dialect_rule. Fixed size, no
 * allocation; a zeroed struct is an empty report. */
struct scim_dialect_report {
    uint32_t applied;
};

/* A buffer size that always holds scim_dialect_report_join's text for every rule at once. */
#define SCIM_DIALECT_REPORT_BUF 512

/* Empties the report. */
void scim_dialect_report_clear(struct scim_dialect_report *report);

/* Records that rule fired (for rules detected outside this module, e.g. in a query filter). */
void scim_dialect_report_note(struct scim_dialect_report *report, enum scim_dialect_rule rule);

/* True when rule fired. */
bool scim_dialect_report_has(const struct scim_dialect_report *report, enum scim_dialect_rule rule);

/* True when no rule fired. */
bool scim_dialect_report_empty(const struct scim_dialect_report *report);

/* The rule's name, e.g. "entra.capitalised-op" (a static string), or "?" for an unknown rule. */
const char *scim_dialect_rule_name(enum scim_dialect_rule rule);

/*
 * Writes the names of the rules that fired, in enum order, joined by ",", into buf (size bytes;
 * SCIM_DIALECT_REPORT_BUF always suffices; "" when none fired). Returns buf.
 */
char *scim_dialect_report_join(const struct scim_dialect_report *report, char *buf, size_t size);

/*
 * Normalises a PATCH body (borrowed; a PatchOp message, RFC 7644 §3.5.2) for rt before
 * scim_patch_apply. current (borrowed; the normalised document being patched, without id and
 * meta; may be NULL) is what the detections that depend on the document (an absent filtered
 * element, a member already present) look at: the document before the request, not between its
 * operations, so it only affects the report, never the result (except
 * entra.replace-absent-filter-element, which turns a capitalised "Replace" whose value filter
 * matches no element of current into an "add" that creates it). *out is a new reference the
 * caller json_decref()s: a rewritten deep copy of body (body itself is never changed). The rules
 * that fired are added to report (which is not cleared first; NULL: not recorded).
 * A body of the wrong shape is copied unchanged for scim_patch_apply to reject with the right
 * error. Returns 0; err is reserved for rules that may one day refuse a body and is not filled.
 */
int scim_dialect_normalize_patch(const struct scim_resource_type *rt, const json_t *current,
                                 const json_t *body, json_t **out,
                                 struct scim_dialect_report *report, struct scim_err *err);

/*
 * Normalises a resource body (borrowed; a POST or PUT body, RFC 7644 §3.3 and §3.5.1) for rt
 * before scim_resource_normalize: string booleans and a manager given as a plain string are
 * rewritten. *out is a new reference (a rewritten deep copy; body is never changed); the rules
 * that fired are added to report (NULL: not recorded). A body of the wrong shape is copied for
 * the validator to reject. Returns 0; err is reserved as above.
 */
int scim_dialect_normalize_resource(const struct scim_resource_type *rt, const json_t *body,
                                    json_t **out, struct scim_dialect_report *report,
                                    struct scim_err *err);

#endif
