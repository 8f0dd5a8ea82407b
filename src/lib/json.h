/*
 * json — jansson helpers the whole library shares: parsing a request body with size, depth and
 * UTF-8 checks that end in SCIM errors, case-insensitive member lookup (SCIM attribute names are
 * case-insensitive, RFC 7643 §2.1), and compact serialisation.
 * Owns: the JSON limits' error messages. Must not: know schemas.
 */
#ifndef SCIM_JSON_H
#define SCIM_JSON_H

#include "err.h"

#include <jansson.h>
#include <stddef.h>

/*
 * Parses body[0..len) into *out (new reference). Invalid UTF-8, malformed JSON, nesting deeper
 * than max_depth, or a top level that is not an object → 400 invalidSyntax with a detail that
 * says where.
 */
int scim_json_parse_object(const char *body, size_t len, size_t max_depth, json_t **out,
                           struct scim_err *err);

/* Member of obj whose key equals key ignoring ASCII case; borrowed, or NULL. */
json_t *scim_json_get_ci(const json_t *obj, const char *key);

/* Sets doc[key] = value (reference stolen), keeping "meta" (of a rendered resource) last. */
void scim_json_set_before_meta(json_t *doc, const char *key, json_t *value);

/* Key (borrowed, valid while obj lives) of the member matched by scim_json_get_ci, or NULL. */
const char *scim_json_key_ci(const json_t *obj, const char *key);

/* Compact UTF-8 text of doc; new string for scim_free. *len receives its length if non-NULL. */
char *scim_json_dump(const json_t *doc, size_t *len);

#endif
