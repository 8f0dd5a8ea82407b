/*
 * roles — group→role mapping for the host application's RBAC, as pure logic: what a role name
 * and a tenant setting may be, a user's effective roles computed from their sources, the primary
 * role, and how effective roles appear in the User resource's "roles" attribute (RFC 7643
 * §4.1.2). The sources of a role are:
 *   - "default": the tenant's default role (setting default_role, "viewer" unless configured),
 *     which every user holds;
 *   - "group:<id>": a group the user belongs to, directly or through nested groups, that a role
 *     mapping grants the role to (a role persists while any group still grants it);
 *   - "idp": the IdP wrote the role itself in the User's "roles" attribute.
 * Owns: role-name and tenant-setting rules, the merge and the order of effective roles, the marks
 * ("type": "group" / "default") of derived entries in a rendered User.
 * Must not: know SQL (the store reads mappings and memberships and calls this module) or HTTP
 * (h_roles.c serves /api/v1/role-mappings and /api/v1/users/{id}/roles).
 */
#ifndef SCIM_ROLES_H
#define SCIM_ROLES_H

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest role name, in bytes of UTF-8. */
#define SCIM_ROLE_MAX 64
/* The default role of a tenant that has not configured one. */
#define SCIM_ROLE_DEFAULT "viewer"
/* The bounds of a role mapping's priority. */
#define SCIM_ROLE_PRIORITY_MIN (-1000000)
#define SCIM_ROLE_PRIORITY_MAX 1000000

/* The "type" that marks a derived entry in a rendered User's "roles". */
#define SCIM_ROLE_TYPE_GROUP "group"
#define SCIM_ROLE_TYPE_DEFAULT "default"

/* Tenant settings (scimctl tenant set NAME key=value). */
#define SCIM_SETTING_DEFAULT_ROLE "default_role"
#define SCIM_SETTING_UNKNOWN_MEMBERS "unknown_members"
#define SCIM_SETTING_UNKNOWN_ATTRIBUTES "unknown_attributes"

/*
 * Checks a role name: 1 to SCIM_ROLE_MAX bytes of UTF-8, no control characters, no leading or
 * trailing space. 0, or 400 invalidValue naming the problem.
 */
int scim_role_name_check(const char *role, struct scim_err *err);

/*
 * Checks a tenant setting before it is stored: default_role is a role name or "" (no default
 * role); unknown_members is "reject" (the default: an unknown member id in a group write is a
 * 400) or "skip" (unknown ids are ignored and logged); unknown_attributes is "reject" (the
 * default: a write naming an attribute no schema defines is a 400) or "ignore" (such attributes
 * are dropped and logged, unknown.h). Any other name: 400 invalidValue listing the known ones.
 */
int scim_tenant_setting_check(const char *name, const char *value, struct scim_err *err);

/* One role a role mapping grants through a group the user belongs to. Strings are borrowed. */
struct scim_role_grant {
    const char *role;
    const char *group_id;
    int64_t priority;
};

/*
 * Computes the effective roles of a user. default_role (NULL or "": none), grants[0..n) (the
 * mappings of every group the user belongs to, directly or not; duplicates are harmless) and the
 * "roles" attribute of user_doc (borrowed; entries marked as derived are ignored, see
 * scim_roles_strip_derived) are merged into a new array (new reference) of
 *   {"value": role, "sources": ["idp", "group:<id>", ..., "default"], "priority": n}
 * one per distinct role (case-sensitive), where priority is the highest of its sources (a group's
 * mapping priority, 0 for "idp", SCIM_ROLE_PRIORITY_MIN - 1 for "default"). The array is sorted
 * by priority, highest first, then by value; its first entry is the primary role.
 */
json_t *scim_roles_effective(const char *default_role, const struct scim_role_grant *grants,
                             size_t n, const json_t *user_doc);

/*
 * The response of GET /api/v1/users/{id}/roles (new reference):
 *   {"user": id, "roles": [{"value", "sources"}...], "primary": role or null}
 * from effective (borrowed, as scim_roles_effective returns).
 */
json_t *scim_roles_response(const char *user_id, const json_t *effective);

/*
 * Merges effective roles (borrowed) into a User document (a rendered resource or a stored
 * document; changed in place): every effective role the IdP did not write itself is appended to
 * "roles" as {"value": role, "type": "group"} (granted by a group) or {"value": role, "type":
 * "default"} (the tenant's default role only). "roles" is created when absent; when the document
 * has "meta" (rendered), "roles" is kept before it.
 */
void scim_roles_merge(json_t *user_doc, const json_t *effective);

/*
 * Removes from doc's "roles" (changed in place) the entries that scim_roles_merge adds: objects
 * whose "type" is "group" or "default" (ASCII case-insensitive), so that a client that sends back
 * what it read (GET then PUT) does not turn group-derived roles into roles of its own. An emptied
 * "roles" is removed. Returns true when anything was removed.
 */
bool scim_roles_strip_derived(json_t *doc);

#endif
