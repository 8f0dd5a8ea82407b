/*
 * store_groups — the part of the store API (see store.h for the conventions every store call
 * follows: a tenant handle on every call, one transaction per write, output parameters written
 * only on success) that serves Groups (RFC 7643 §4.2) and the host application's RBAC:
 *   - group writes, where membership is rows of (group, member), never an array in the group's
 *     document: adding or removing one member of a 100,000-member group is one indexed write;
 *   - what is computed from those rows when a resource is rendered: a Group's "members", a
 *     User's "groups" (direct and indirect, RFC 7643 §4.1.2) and its effective "roles";
 *   - group→role mappings, effective roles, and per-tenant settings.
 * Documents passed to the group writes never hold "members" (the caller moves them into
 * struct scim_member_ref lists); the generic scim_store_resource_* functions must not be used to
 * write Groups, but scim_store_resource_get/query/delete serve Groups like any type (a delete
 * removes the resource's membership rows and a group's role mappings with the tombstone).
 * Must not: parse HTTP or validate SCIM documents.
 */
#ifndef SCIM_STORE_GROUPS_H
#define SCIM_STORE_GROUPS_H

#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The resource type a member reference says it is; UNTYPED means "look it up" (Okta sends no
 * "type"). */
enum scim_member_type { SCIM_MEMBER_UNTYPED, SCIM_MEMBER_USER, SCIM_MEMBER_GROUP };

/* A member as a client names it: the id of a User or Group of the same tenant. Borrowed. */
struct scim_member_ref {
    const char *value;
    enum scim_member_type type;
};

enum scim_members_op {
    SCIM_MEMBERS_ADD,        /* add refs; members already present are left as they are */
    SCIM_MEMBERS_REMOVE,     /* remove refs; ids that are not members are ignored */
    SCIM_MEMBERS_REMOVE_ALL, /* remove every member (refs unused) */
    SCIM_MEMBERS_SET         /* make the members exactly refs: only the difference is written */
};

/* One step of a membership change; the steps of one write apply in order. */
struct scim_members_change {
    enum scim_members_op op;
    const struct scim_member_ref *refs; /* borrowed array of n */
    size_t n;
};

/* What a group write did to the membership rows. Zero-initialise; release with
 * scim_members_report_clear. */
struct scim_members_report {
    size_t added;
    size_t removed;
    /* Ids a write ignored because no User or Group of the tenant has them, when the tenant's
     * setting unknown_members is "skip" (owned strings; the caller logs or audits them). */
    char **skipped;
    size_t n_skipped;
};

void scim_members_report_clear(struct scim_members_report *report);

/*
 * Creates a Group: doc (borrowed; a normalised Group document without "members") and the members
 * refs[0..n) in one transaction. The group gets id, version 1 and created = modified = now, like
 * scim_store_resource_create. Errors (nothing is written):
 *   409 uniqueness — another live group of the tenant has the same displayName, ignoring case;
 *   400 invalidValue — a member id that is no User or Group of this tenant (detail names it;
 *       ignored and listed in report->skipped when the tenant's unknown_members is "skip"), or a
 *       ref whose type is not the member's type.
 * out (may be NULL) receives the stored group (doc without members; clear with
 * scim_resource_clear); report (may be NULL) what was done. audit as in store.h (NULL: none).
 */
int scim_store_group_create(struct scim_store *st, const struct scim_tenant *tenant,
                            const json_t *doc, const struct scim_member_ref *refs, size_t n,
                            struct scim_resource *out, struct scim_members_report *report,
                            const struct scim_audit_entry *audit, struct scim_err *err);

/*
 * Changes the Group id in one transaction: when doc is non-NULL it replaces the document (without
 * "members"; displayName and externalId are re-indexed), then changes[0..n_changes) apply in
 * order. expected_version < 0 means any version; otherwise 412 when the stored version differs.
 * The version goes up by one (and lastModified moves to now) when the document is replaced or any
 * membership row changes; a write that changes nothing leaves both as they were. Adding a group
 * as a member of itself or of one of its own members (directly or through nested groups) is a
 * 400 invalidValue (a cycle). Errors as for create, plus 404 for an unknown or deleted group.
 * out (may be NULL) receives the stored group after the write (doc without members).
 */
int scim_store_group_modify(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                            int64_t expected_version, const json_t *doc,
                            const struct scim_members_change *changes, size_t n_changes,
                            struct scim_resource *out, struct scim_members_report *report,
                            const struct scim_audit_entry *audit, struct scim_err *err);

/* What scim_store_derive computes; bits of `what`. */
enum scim_derive {
    SCIM_DERIVE_MEMBERS = 1 << 0, /* Group: "members" [{value, type, display}] */
    SCIM_DERIVE_GROUPS = 1 << 1,  /* User: "groups" [{value, display, type direct|indirect}] */
    SCIM_DERIVE_ROLES = 1 << 2    /* User: effective roles merged into "roles" (roles.h) */
};

/*
 * Adds to docs[i] (a rendered or stored document of the resource ids[i] of type rt_name; changed
 * in place) the attributes `what` asks for that apply to rt_name, read from the membership and
 * role-mapping rows in one read transaction. "members" and "groups" carry no "$ref" (the caller
 * knows the base URL) and are omitted when empty; members are in the order they were added
 * (by member creation order), groups by group creation order; "display" is the member's or
 * group's displayName (a User without one: its userName). A resource that no longer exists gets
 * nothing. Roles follow scim_roles_merge. With `what` 0 (or nothing that applies) no row is read.
 */
int scim_store_derive(struct scim_store *st, const struct scim_tenant *tenant, const char *rt_name,
                      const char *const *ids, json_t *const *docs, size_t n, unsigned what,
                      struct scim_err *err);

/*
 * Adds to doc (a User's rendered or stored document; changed in place) what `what` asks for, as
 * scim_store_derive would, from derived: the rows a write read in its own transaction
 * (struct scim_resource.derived: {"groups": [...], "grants": [[role, group id, priority]...],
 * "default_role": "..."}). Reads nothing.
 */
void scim_store_derived_apply(const json_t *derived, json_t *doc, unsigned what);

/* The effective roles (scim_roles_effective; new reference) from derived (as above) and the
 * user's document. */
json_t *scim_store_derived_roles(const json_t *derived, const json_t *doc);

/*
 * The effective roles of the User id (404 if unknown or deleted), as scim_roles_effective
 * computes them from the tenant's default role, the mappings of every group the user belongs to
 * (directly or through nested groups) and the roles in its document. *out: new reference.
 */
int scim_store_user_roles(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                          json_t **out, struct scim_err *err);

/*
 * Sets the role mapping of one group: group is a live Group's id or, failing that, its
 * displayName (ignoring case); 404 when neither matches. roles[0..n) (n >= 1, each checked by the
 * caller with scim_role_name_check; duplicates ignored) replace the roles the group granted,
 * all with priority. *out (may be NULL): new reference {"group": id, "displayName", "roles":
 * [...], "priority"}.
 */
int scim_store_role_mapping_set(struct scim_store *st, const struct scim_tenant *tenant,
                                const char *group, const char *const *roles, size_t n,
                                int64_t priority, json_t **out,
                                const struct scim_audit_entry *audit, struct scim_err *err);

/* Removes the role mapping of a group (id or displayName as above); 404 when the group is
 * unknown or has no mapping. */
int scim_store_role_mapping_remove(struct scim_store *st, const struct scim_tenant *tenant,
                                   const char *group, const struct scim_audit_entry *audit,
                                   struct scim_err *err);

/* *out: new array of the tenant's mappings as role_mapping_set returns them, by group creation
 * order, roles sorted. */
int scim_store_role_mapping_list(struct scim_store *st, const struct scim_tenant *tenant,
                                 json_t **out, struct scim_err *err);

/*
 * Tenant settings (names and values checked by the caller with scim_tenant_setting_check).
 * set: value NULL removes the setting (back to the built-in default). get: *out (new reference)
 * is an object of every setting the tenant has set.
 */
int scim_store_tenant_setting_set(struct scim_store *st, const struct scim_tenant *tenant,
                                  const char *name, const char *value, struct scim_err *err);
int scim_store_tenant_settings(struct scim_store *st, const struct scim_tenant *tenant,
                               json_t **out, struct scim_err *err);

#endif
