/*
 * filter — the SCIM filter language of RFC 7644 §3.4.2.2: lexer and recursive-descent parser to an
 * AST (operators eq ne co sw ew pr gt ge lt le, and/or/not, grouping, value paths
 * attr[filter], sub-attribute and URN-qualified paths, JSON literals), resolution of every path
 * against a resource type's schemas, and an in-memory evaluator over a rendered resource (used
 * by PATCH value paths and by tests as the reference for the SQL translation).
 * Owns: the AST and its limits (length, depth). Must not: know SQL (src/store/sqlgen does the
 * translation) or HTTP.
 */
#ifndef SCIM_FILTER_H
#define SCIM_FILTER_H

#include "err.h"
#include "path.h"
#include "schema.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum scim_filter_op {
    SCIM_OP_EQ,
    SCIM_OP_NE,
    SCIM_OP_CO,
    SCIM_OP_SW,
    SCIM_OP_EW,
    SCIM_OP_PR,
    SCIM_OP_GT,
    SCIM_OP_GE,
    SCIM_OP_LT,
    SCIM_OP_LE
};

enum scim_filter_kind {
    SCIM_FILTER_COMPARE,   /* path op value (or path pr) */
    SCIM_FILTER_AND,       /* left and right */
    SCIM_FILTER_OR,        /* left or right */
    SCIM_FILTER_NOT,       /* not (left) */
    SCIM_FILTER_VALUE_PATH /* path[left]: left's paths are sub-attributes of path.attr */
};

/*
 * One node of the AST. Paths are resolved (struct scim_path, borrowed schema pointers):
 * - A top-level COMPARE has the attribute compared in path.attr and, when a sub-attribute is
 *   compared, path.sub. path.sub is NULL on a complex attribute only for pr, eq null and
 *   ne null (presence of the attribute as a whole). Comparing a multi-valued complex attribute
 *   that has a "value" sub-attribute with any other literal ("emails co \"@x\"") is resolved as
 *   path.sub = value.
 * - Inside a VALUE_PATH (and everything scim_filter_parse_in returns), every COMPARE has the
 *   same schema/attr as the value path's attribute and path.sub set to the sub-attribute of one
 *   element that is compared: emails[type eq "work"] is VALUE_PATH{emails} over
 *   COMPARE{emails.type eq "work"}, to be evaluated per element.
 * - "attr[filter].sub op value" is parsed as VALUE_PATH{attr} over AND(filter, attr.sub op
 *   value): the same element must satisfy both.
 * path.filter is always NULL in filter nodes.
 */
struct scim_filter {
    enum scim_filter_kind kind;
    size_t column;             /* 1-based byte position in the filter text, for messages */
    struct scim_path path;     /* COMPARE and VALUE_PATH: the resolved attribute path */
    enum scim_filter_op op;    /* COMPARE */
    json_t *value;             /* COMPARE: owned literal (string, number, true/false, null);
                                  NULL for pr */
    bool string_boolean;       /* COMPARE: value was "True"/"False" (any case) for a boolean */
    struct scim_filter *left;  /* AND, OR, NOT, VALUE_PATH */
    struct scim_filter *right; /* AND, OR */
};

/* Defaults used when limits is NULL or a field is 0 (the config table has the same defaults). */
#define SCIM_FILTER_DEFAULT_MAX_LENGTH 4096
#define SCIM_FILTER_DEFAULT_MAX_DEPTH 16

struct scim_filter_limits {
    size_t max_length; /* bytes of filter text; longer → 400 invalidFilter */
    size_t max_depth;  /* nesting of parentheses, not() and [ ]; deeper → 400 invalidFilter */
};

/*
 * Parses text and resolves every attribute path against rt (attribute names case-insensitive;
 * unknown attributes, comparison of a complex attribute without sub-attribute, gt/ge/lt/le on a
 * boolean or binary, pr with a value → 400 invalidFilter). Errors name the 1-based column where
 * parsing failed. *out is owned by the caller (scim_filter_free); it is NULL on failure.
 * Literals are type-checked against the attribute: strings for string, reference, binary and
 * dateTime attributes (dateTime literals must be RFC 3339 date-times unless compared with
 * co/sw/ew), numbers for integer and decimal, true/false for boolean; null only with eq/ne;
 * co/sw/ew are rejected on boolean, integer and decimal attributes.
 */
int scim_filter_parse(const struct scim_resource_type *rt, const char *text,
                      const struct scim_filter_limits *limits, struct scim_filter **out,
                      struct scim_err *err);

/*
 * Parses the inside of a value path (the text between [ and ], len bytes) with paths resolved as
 * sub-attributes of parent (a complex attribute of rt), as described above struct scim_filter.
 * column_offset is the number of bytes before text in the caller's string (added to every
 * column reported); depth is the nesting already used (1 for the brackets themselves).
 * Used by path.c for PATCH paths. *out is owned by the caller (scim_filter_free).
 */
int scim_filter_parse_in(const struct scim_resource_type *rt, const struct scim_attr *parent,
                         const char *text, size_t len, size_t column_offset,
                         const struct scim_filter_limits *limits, size_t depth,
                         struct scim_filter **out, struct scim_err *err);

/* Frees f and everything below it. NULL is allowed. */
void scim_filter_free(struct scim_filter *f);

/*
 * True when resource (borrowed; a rendered resource with id and meta, as
 * scim_resource_render returns) matches f. String comparisons honour each attribute's caseExact;
 * dateTime compares as instants; multi-valued attributes match when any value matches.
 * An absent, null or empty attribute matches no comparison except "eq null" (and "ne null"
 * matches exactly when pr does); so "ne" matches when some value is present and differs.
 * pr matches a value that is not null, not "" and not an empty array or object.
 */
bool scim_filter_match(const struct scim_filter *f, const json_t *resource);

/* True when some comparison of f took a string "True"/"False" for a boolean (reported as the
 * IdP dialect rule entra.string-boolean). */
bool scim_filter_has_string_boolean(const struct scim_filter *f);

/*
 * True when one element (borrowed) of a multi-valued complex attribute matches f, whose paths are
 * relative to that attribute (as produced by scim_filter_parse_in).
 */
bool scim_filter_match_element(const struct scim_filter *f, const json_t *element);

#endif
