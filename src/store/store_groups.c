/*
 * store_groups — the public functions of store_groups.h: each checks its arguments (assertions:
 * a NULL store, tenant or id is a bug of the caller, never client input) and dispatches through
 * the backend's group ops (struct scim_store_group_ops in store_backend.h).
 * Owns: the dispatch, and turning a user's membership rows (as every backend reads them) into
 * its "groups" and effective "roles" (scim_store_derived_apply). Must not: contain SQL.
 */
#include "store_groups.h"

#include "json.h"
#include "mem.h"
#include "roles.h"
#include "store_backend.h"

#include <assert.h>

json_t *scim_store_derived_roles(const json_t *derived, const json_t *doc)
{
    const json_t *rows = json_object_get(derived, "grants");
    size_t n = json_array_size(rows);
    struct scim_role_grant *grants = n ? scim_calloc(n, sizeof(*grants)) : NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(rows, i);
        grants[i].role = json_string_value(json_array_get(row, 0));
        grants[i].group_id = json_string_value(json_array_get(row, 1));
        grants[i].priority = json_integer_value(json_array_get(row, 2));
    }
    json_t *effective = scim_roles_effective(
        json_string_value(json_object_get(derived, "default_role")), grants, n, doc);
    scim_free(grants);
    return effective;
}

void scim_store_derived_apply(const json_t *derived, json_t *doc, unsigned what)
{
    json_t *groups = json_object_get(derived, "groups");
    if ((what & SCIM_DERIVE_GROUPS) && json_array_size(groups) > 0)
        scim_json_set_before_meta(doc, "groups", json_incref(groups));
    if (what & SCIM_DERIVE_ROLES) {
        json_t *effective = scim_store_derived_roles(derived, doc);
        scim_roles_merge(doc, effective);
        json_decref(effective);
    }
}

int scim_store_group_create(struct scim_store *st, const struct scim_tenant *tenant,
                            const json_t *doc, const struct scim_member_ref *refs, size_t n,
                            struct scim_resource *out, struct scim_members_report *report,
                            const struct scim_audit_entry *audit, struct scim_err *err)
{
    assert(st && tenant && doc && (refs || n == 0));
    return st->ops->groups->group_create(st, tenant, doc, refs, n, out, report, audit, err);
}

int scim_store_group_modify(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                            int64_t expected_version, const json_t *doc,
                            const struct scim_members_change *changes, size_t n_changes,
                            struct scim_resource *out, struct scim_members_report *report,
                            const struct scim_audit_entry *audit, struct scim_err *err)
{
    assert(st && tenant && id && (changes || n_changes == 0));
    return st->ops->groups->group_modify(st, tenant, id, expected_version, doc, changes, n_changes,
                                         out, report, audit, err);
}

int scim_store_derive(struct scim_store *st, const struct scim_tenant *tenant, const char *rt_name,
                      const char *const *ids, json_t *const *docs, size_t n, unsigned what,
                      struct scim_err *err)
{
    assert(st && tenant && rt_name && ((ids && docs) || n == 0));
    return st->ops->groups->derive(st, tenant, rt_name, ids, docs, n, what, err);
}

int scim_store_user_roles(struct scim_store *st, const struct scim_tenant *tenant, const char *id,
                          json_t **out, struct scim_err *err)
{
    assert(st && tenant && id && out);
    return st->ops->groups->user_roles(st, tenant, id, out, err);
}

int scim_store_role_mapping_set(struct scim_store *st, const struct scim_tenant *tenant,
                                const char *group, const char *const *roles, size_t n,
                                int64_t priority, json_t **out,
                                const struct scim_audit_entry *audit, struct scim_err *err)
{
    assert(st && tenant && group && (roles || n == 0));
    return st->ops->groups->role_mapping_set(st, tenant, group, roles, n, priority, out, audit,
                                             err);
}

int scim_store_role_mapping_remove(struct scim_store *st, const struct scim_tenant *tenant,
                                   const char *group, const struct scim_audit_entry *audit,
                                   struct scim_err *err)
{
    assert(st && tenant && group);
    return st->ops->groups->role_mapping_remove(st, tenant, group, audit, err);
}

int scim_store_role_mapping_list(struct scim_store *st, const struct scim_tenant *tenant,
                                 json_t **out, struct scim_err *err)
{
    assert(st && tenant && out);
    return st->ops->groups->role_mapping_list(st, tenant, out, err);
}

int scim_store_tenant_setting_set(struct scim_store *st, const struct scim_tenant *tenant,
                                  const char *name, const char *value, struct scim_err *err)
{
    assert(st && tenant && name);
    return st->ops->groups->tenant_setting_set(st, tenant, name, value, err);
}

int scim_store_tenant_settings(struct scim_store *st, const struct scim_tenant *tenant,
                               json_t **out, struct scim_err *err)
{
    assert(st && tenant && out);
    return st->ops->groups->tenant_settings(st, tenant, out, err);
}
