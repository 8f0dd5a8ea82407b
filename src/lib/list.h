/*
 * list — list responses and what shapes them: the ListResponse message (RFC 7644 §3.4.2),
 * startIndex/count parsing and clamping (§3.4.2.4), and attribute projection with attributes /
 * excludedAttributes (§3.4.2.5, §3.9) honouring each attribute's "returned" characteristic.
 * Owns: paging rules. Must not: know SQL or HTTP.
 */
#ifndef SCIM_LIST_H
#define SCIM_LIST_H

#include "err.h"
#include "schema.h"

#include <jansson.h>
#include <stdint.h>

/*
 * Returns a new ListResponse; resources (a JSON array) is stolen. itemsPerPage is the number of
 * resources actually returned.
 */
json_t *scim_list_response(json_t *resources, int64_t total, int64_t start_index);

/*
 * Parses the startIndex and count query values (either may be NULL = absent). startIndex < 1 is
 * treated as 1; count < 0 as 0; count above max_results is capped; absent count is
 * default_count. Non-numeric values → 400 invalidValue naming the parameter.
 */
int scim_list_parse_paging(const char *start_index, const char *count, int64_t default_count,
                           int64_t max_results, int64_t *start_out, int64_t *count_out,
                           struct scim_err *err);

/* A parsed attributes= or excludedAttributes= list. */
struct scim_projection {
    size_t n;
    int include; /* 1: attributes=, 0: excludedAttributes=, -1: none */
    struct scim_projection_item {
        const struct scim_schema *schema; /* NULL for common attributes */
        const struct scim_attr *attr;     /* NULL: all of schema's attributes (its URN alone) */
        const struct scim_attr *sub;      /* or NULL */
    } * items;                            /* owned */
};

/*
 * Parses attributes (comma-separated paths) or, if it is NULL, excluded. Both NULL (or naming
 * nothing, as "attributes=" does) → no projection. Unknown attributes → 400 invalidValue naming
 * them. Free with scim_projection_clear.
 */
int scim_projection_parse(const struct scim_resource_type *rt, const char *attributes,
                          const char *excluded, struct scim_projection *out, struct scim_err *err);

/* The same; with skip_unknown, names rt does not define are left out instead of refused (a
 * query across resource types projects each type by the names it has). */
int scim_projection_parse_for(const struct scim_resource_type *rt, const char *attributes,
                              const char *excluded, bool skip_unknown, struct scim_projection *out,
                              struct scim_err *err);
void scim_projection_clear(struct scim_projection *p);

/* True when a response projected with p (NULL: none) shows attr of schema (NULL: a common
 * attribute): the rules below, for one attribute. */
bool scim_projection_keeps(const struct scim_projection *p, const struct scim_schema *schema,
                           const struct scim_attr *attr);

/*
 * Applies p to a rendered resource in place (resource is borrowed and modified): attributes
 * returned "always" (schemas, id, ...) stay; "request" attributes only when asked for; "never"
 * attributes never appear.
 */
void scim_projection_apply(const struct scim_resource_type *rt, const struct scim_projection *p,
                           json_t *resource);

#endif
