/*
 * patch — applies a PatchOp request (RFC 7644 §3.5.2) to a normalised resource document in
 * memory. All operations of one request apply to a private copy; on any error the caller's
 * document is untouched, which makes a PATCH atomic before the store is ever called.
 * Operations: add, replace, remove; paths: none (value is an object of attributes), "attr",
 * "attr.sub", "urn:...:attr[.sub]", "attr[filter]", "attr[filter].sub".
 * Owns: multi-valued semantics (add appends without duplicates, primary kept unique), noTarget,
 * mutability checks on the paths written. Must not: validate types beyond what the path needs
 * (the caller re-validates the result with scim_resource_normalize) or know SQL/HTTP.
 */
#ifndef SCIM_PATCH_H
#define SCIM_PATCH_H

#include "err.h"
#include "schema.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct scim_filter;

struct scim_patch_limits {
    size_t max_operations; /* more Operations → 400 invalidValue; 0 means no limit */
};

/*
 * Applies request (borrowed; the PatchOp body with "schemas" and "Operations") to a deep copy of
 * doc (borrowed; a normalised document without id/meta). *out (new reference, the caller
 * json_decref()s it) is the patched document, to be re-validated by scim_resource_normalize in
 * REPLACE mode; *changed (may be NULL) tells whether it differs from doc, so a no-op PATCH need
 * not bump the version. limits may be NULL (no limit). Errors leave *out NULL and doc untouched;
 * err->detail starts with "Operations[i]: " when operation i failed:
 *   400 invalidSyntax — body not an object, "schemas" without the PatchOp URN, "Operations"
 *                       missing/empty/not an array, an operation not an object, "op" unknown;
 *   400 invalidPath   — "path" not a string, unknown attribute (from scim_path_parse);
 *   400 invalidFilter — a bad filter inside attr[...] (from scim_path_parse);
 *   400 invalidValue  — too many operations, add/replace without "value", a value of the wrong
 *                       shape for its path (e.g. a non-object for a complex attribute);
 *   400 noTarget      — remove without path, a value filter that matches nothing (replace,
 *                       remove), "attr.sub" on a multi-valued attribute without values;
 *   400 mutability    — writing a readOnly attribute (id, meta, groups, ...), changing or
 *                       removing an immutable one that has a value, removing (or clearing) a
 *                       required attribute (userName) as RFC 7644 §3.5.2.2 asks.
 * Keys "schemas", "Operations", "op", "path", "value" and op names are case-insensitive. A value
 * of null or "" in add/replace clears the target. remove of a multi-valued attribute with a
 * "value" list removes the elements whose "value" matches. add with "attr[sub eq x].y" that
 * matches nothing creates the element {sub: x, y: value}. Empty objects and arrays left behind
 * are dropped. See patch.c for the full rules.
 */
/* The PatchOp message's envelope, as scim_patch_apply checks it first: a JSON object whose
 * "schemas" lists the PatchOp URN. 0, or 400 invalidSyntax (for callers with their own engine:
 * a Group's membership writes). */
int scim_patch_check_message(const json_t *request, struct scim_err *err);

/* True when the value filter f (of "attr[f].sub") describes an element scim_patch_apply can
 * create when none matches: "sub eq literal" comparisons joined by "and". */
bool scim_patch_filter_builds_element(const struct scim_filter *f);

int scim_patch_apply(const struct scim_resource_type *rt, const json_t *doc, const json_t *request,
                     const struct scim_patch_limits *limits, json_t **out, bool *changed,
                     struct scim_err *err);

#endif
