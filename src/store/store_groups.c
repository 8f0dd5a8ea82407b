/*
 * store_groups — the public functions of store_groups.h: each checks its arguments (assertions:
 * a NULL store, tenant or id is a bug of the caller, never client input) and dispatches through
 * the backend's group ops (struct scim_store_group_ops in store_backend.h).
 * Owns: nothing but the dispatch. Must not: contain SQL.
 */
#include "store_groups.h"

#include "store_backend.h"

#include <assert.h>

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
