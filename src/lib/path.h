/*
 * path — attribute paths (RFC 7644 §3.10 attrPath, and the PATCH path grammar of §3.5.2:
 * attrPath / valuePath [subAttr]) parsed and resolved against a resource type's schemas.
 * Used by filters, PATCH, attributes=/excludedAttributes= and sortBy.
 * Forms: "attr", "attr.sub", "urn:...:attr", "urn:...:attr.sub", and with SCIM_PATH_ALLOW_FILTER
 * "attr[filter]", "attr[filter].sub", "urn:...:attr[filter].sub".
 * Owns: struct scim_path. Must not: touch documents (patch.c does) or know SQL.
 */
#ifndef SCIM_PATH_H
#define SCIM_PATH_H

#include "err.h"
#include "schema.h"

#include <stdbool.h>
#include <stddef.h>

struct scim_filter;

enum scim_path_flags {
    SCIM_PATH_ALLOW_FILTER = 1 << 0 /* accept attr[filter] and attr[filter].sub (PATCH) */
};

struct scim_path {
    /* The schema that defines attr: rt's core schema, an extension, or NULL for the common
     * attributes (id, externalId, meta). Borrowed, static. */
    const struct scim_schema *schema;
    /* True when schema is one of rt's extensions: in documents, attr lives in the object under
     * the key schema->id (RFC 7643 §3.3) rather than at the top level. */
    bool in_extension;
    const struct scim_attr *attr; /* resolved top-level attribute; borrowed, static */
    const struct scim_attr *sub;  /* resolved sub-attribute or NULL; borrowed, static */
    struct scim_filter *filter;   /* owned value filter of attr[filter], or NULL */
};

/*
 * Parses text (len bytes) and resolves it against rt. Unknown attributes and sub-attributes,
 * a sub-attribute on a non-complex attribute, or (without SCIM_PATH_ALLOW_FILTER) a filter →
 * 400 with scimType invalidPath, detail naming the offending part. *out must be released with
 * scim_path_clear (it is zeroed on failure, so clearing it then is harmless).
 * Names are case-insensitive; a URN prefix is matched case-insensitively against rt's core schema
 * and extensions. An unqualified name is looked up in the core schema, then among the common
 * attributes (id, externalId, meta, schemas; schema NULL), then in rt's extensions.
 * With SCIM_PATH_ALLOW_FILTER, "attr[filter]" is accepted only on a multi-valued complex
 * attribute; the filter is parsed by scim_filter_parse_in with the default limits of filter.h,
 * and errors inside the brackets are 400 invalidFilter (RFC 7644 §3.12, Table 9).
 */
int scim_path_parse(const struct scim_resource_type *rt, const char *text, size_t len,
                    unsigned flags, struct scim_path *out, struct scim_err *err);

/*
 * Fills out (schema, in_extension, attr, sub; no filter) for attr, a pointer into the attribute
 * list of rt's core schema, one of its extensions or the common attributes, and sub (one of
 * attr's sub-attributes, or NULL). Returns 0, or SCIM_ERR when attr does not belong to rt.
 */
int scim_path_from_attr(const struct scim_resource_type *rt, const struct scim_attr *attr,
                        const struct scim_attr *sub, struct scim_path *out);

/* rt's core schema or the extension whose URN is s[0..len) (ASCII case ignored), or NULL. */
const struct scim_schema *scim_path_schema(const struct scim_resource_type *rt, const char *s,
                                           size_t len);

/* Frees out->filter and zeroes the struct. */
void scim_path_clear(struct scim_path *path);

/* Writes the canonical text of the path without filter ("name.givenName",
 * "urn:...:User:manager.value") into buf; returns buf. */
char *scim_path_format(const struct scim_path *path, char *buf, size_t size);

#endif
