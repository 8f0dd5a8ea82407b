/*
 * resource — one resource of any type in the resource-type table: validating and normalising what
 * a client sends against the schema registry (RFC 7643 §2, §4; RFC 7644 §3.3, §3.5.1), and
 * rendering a stored resource with id and meta (RFC 7643 §3.1) for a response.
 * Owns: struct scim_resource, write-mode rules (readOnly ignored, immutable enforced, required
 * checked), canonical attribute spelling, the weak ETag format. Must not: know SQL or HTTP.
 */
#ifndef SCIM_RESOURCE_H
#define SCIM_RESOURCE_H

#include "err.h"
#include "schema.h"

#include <jansson.h>
#include <stdint.h>

/* The longest value, in bytes of UTF-8, that scim_resource_normalize accepts for any one string,
 * reference, dateTime or binary value (and for the password); longer → 400 invalidValue. */
#define SCIM_RESOURCE_MAX_STRING 8192

/* A stored resource as the store returns it. */
struct scim_resource {
    char id[40];         /* server-assigned id (a UUID) */
    int64_t version;     /* per-resource counter, starts at 1, +1 on every change */
    int64_t created_ms;  /* milliseconds since the Unix epoch, UTC */
    int64_t modified_ms; /* milliseconds since the Unix epoch, UTC */
    json_t *doc;         /* owned: the normalised document without id and meta */
    /* owned or NULL: what a write read about the resource's memberships inside its own
     * transaction, for rendering the response (scim_store_derived_apply) */
    json_t *derived;
};

/* Releases r->doc and zeroes r. Safe on a zeroed struct. */
void scim_resource_clear(struct scim_resource *r);

enum scim_write_mode {
    SCIM_WRITE_CREATE, /* POST: no existing resource */
    SCIM_WRITE_REPLACE /* PUT, or the result of a PATCH: compared with the existing document */
};

/*
 * Validates input (borrowed) against rt and builds the normalised document *doc_out (new
 * reference): attribute names in their canonical spelling (input names are case-insensitive,
 * extension attributes under their schema URN key), values type-checked, readOnly attributes
 * (id, meta, groups, ...) dropped, required attributes present, canonical values given their
 * canonical spelling, "schemas" set to the core schema plus every extension present, without id
 * or meta. In SCIM_WRITE_REPLACE mode, existing (borrowed, a normalised document) is used to
 * enforce immutable attributes. A "password" in input is removed from the document and returned
 * in *password_out (new string for scim_free(), NULL if none or empty; password_out may be NULL)
 * for the caller to hash.
 * Details: null, an empty array and an empty complex value all mean "unassigned" and are omitted;
 * keys appear as schemas, externalId, core attributes in schema order, extensions in rt order;
 * "schemas" may be absent, and extension objects need not be listed in it. Within a multi-valued
 * complex attribute, REPLACE matches elements by "value": a matched element may not change an
 * immutable sub-attribute it states (RFC 7644 §3.5.1).
 * Returns 0, or a negative scim_rc with err filled (400 invalidValue / invalidSyntax / mutability);
 * on error *doc_out and *password_out are NULL.
 */
int scim_resource_normalize(const struct scim_resource_type *rt, const json_t *input,
                            enum scim_write_mode mode, const json_t *existing, json_t **doc_out,
                            char **password_out, struct scim_err *err);

/*
 * Returns a new reference: r->doc plus "id" and "meta" {resourceType, created, lastModified,
 * location (base_url + rt->endpoint + "/" + id), version}. Attributes whose returned is "never"
 * are absent. Keys appear as schemas, id, externalId, core attributes, extensions, meta.
 */
json_t *scim_resource_render(const struct scim_resource_type *rt, const struct scim_resource *r,
                             const char *base_url);

/* Buffer sizes that always suffice for scim_resource_etag and scim_time_format. */
#define SCIM_ETAG_BUF 32
#define SCIM_TIME_BUF 32

/* Writes the weak ETag of a version, W/"<version>", into buf. Returns buf. */
char *scim_resource_etag(int64_t version, char *buf, size_t size);

/*
 * Parses an ETag as sent in If-Match/If-None-Match (W/"n" or "n"); returns the version or -1 if
 * the text is not an ETag this server issued. "*" returns 0 (matches any version).
 */
int64_t scim_resource_etag_parse(const char *etag);

/*
 * True when header, the value of If-Match or If-None-Match ("*" or a comma-separated list of
 * ETags, RFC 9110 §13.1.1-2), names the resource at version: "*" names any version, and ETags
 * compare weakly (RFC 7644 §3.14 issues weak ones). Entries this server never issued name none.
 */
bool scim_resource_etag_list_matches(const char *header, int64_t version);

/*
 * Formats ms since the epoch as RFC 3339 UTC with milliseconds ("2026-01-15T12:00:00.000Z") into
 * buf and returns buf; a buffer too small for the whole text receives an empty string.
 */
char *scim_time_format(int64_t ms, char *buf, size_t size);
/* Current time in milliseconds since the epoch. */
int64_t scim_time_now_ms(void);
/*
 * Parses an RFC 3339 date-time ("2026-01-15T12:00:00Z", fraction and offset allowed) or a full
 * date ("2026-01-15", midnight UTC) into milliseconds since the epoch; -1 when s is neither or is
 * before 1970.
 */
int64_t scim_time_parse(const char *s);

#endif
