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

struct scim_patch_limits {
    size_t max_operations; /* more Operations → 400 tooMany... (invalidValue) */
};

/*
 * Applies request (borrowed; the PatchOp body with "schemas" and "Operations") to a deep copy of
 * doc (borrowed; a normalised document without id/meta). *out (new reference) is the patched
 * document, to be re-validated by scim_resource_normalize in REPLACE mode; *changed tells whether
 * it differs from doc. Errors (400 invalidSyntax, invalidPath, invalidValue, noTarget,
 * mutability) leave *out NULL.
 */
int scim_patch_apply(const struct scim_resource_type *rt, const json_t *doc,
                     const json_t *request, const struct scim_patch_limits *limits, json_t **out,
                     bool *changed, struct scim_err *err);

#endif
