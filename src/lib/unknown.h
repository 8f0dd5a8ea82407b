/*
 * unknown — the attributes a write names that no schema of its resource type defines: a custom
 * extension an IdP admin mapped (Okta's external namespaces such as
 * "urn:ietf:params:scim:schemas:extension:CustomApp:2.0:User:costCode"), a vendor template's
 * extra ("employeeId", "addresses.city"), an unknown schema URN in "schemas". By default such a
 * write is refused by the validator (resource.c) or the PATCH engine (patch.c), naming the
 * attribute; a tenant whose setting unknown_attributes is "ignore" has them dropped here first
 * and the request's log line names them (docs/IDP_DIALECTS.md).
 * Owns: finding and dropping them. Must not: validate what the schemas define, apply operations,
 * or change the caller's body.
 */
#ifndef SCIM_UNKNOWN_H
#define SCIM_UNKNOWN_H

#include "schema.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Counts the unknown attributes of body (borrowed): a POST/PUT resource body, or with patch a
 * PatchOp body (operations whose path, or no-path value keys, name an unknown attribute, and
 * unknown sub-attributes inside values). The first SCIM_UNKNOWN_MAX_NAMES distinct ones are
 * appended to names (a JSON array; NULL: only counted) as the path the client wrote
 * ("employeeId", "name.nick", "urn:…:User:costCode", "schemas:urn:…"). Malformed paths and
 * operations are not unknown attributes: the engine refuses them.
 */
#define SCIM_UNKNOWN_MAX_NAMES 16

size_t scim_unknown_find(const struct scim_resource_type *rt, const json_t *body, bool patch,
                         json_t *names);

/* A new reference: a copy of body without what scim_unknown_find counts (a PATCH operation whose
 * path names an unknown attribute is dropped whole); names (or NULL) receives what was dropped,
 * as scim_unknown_find lists it. */
json_t *scim_unknown_strip(const struct scim_resource_type *rt, const json_t *body, bool patch,
                           json_t *names);

#endif
