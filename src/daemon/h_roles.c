/*
 * h_roles — the role-mapping part of the admin API under /api/v1 (scope admin; the router checks
 * it), always for the admin token's own tenant, for the host application's RBAC:
 *   GET    /api/v1/role-mappings              every group→roles mapping and the default role
 *   PUT    /api/v1/role-mappings              {"group": "<id or displayName>", "roles": [...],
 *                                             "priority": n} sets the roles a group grants
 *   DELETE /api/v1/role-mappings?group=...    removes a group's mapping
 *   GET    /api/v1/users/{id}/roles           a user's effective roles, with their sources
 * Effective roles are the tenant's default role plus the roles of every group the user belongs
 * to, directly or through nested groups, plus the roles the IdP wrote in the User's "roles"
 * (roles.h); a role persists while any group still grants it. docs/GROUPS_AND_ROLES.md is the
 * reference. Errors are SCIM Errors like everywhere else in scimd.
 * Owns: the request and response shapes of these endpoints. Must not: build SQL.
 */
#include "handlers.h"

#include "audit.h"
#include "json.h"
#include "mem.h"
#include "roles.h"
#include "store_groups.h"

#include <stdio.h>
#include <string.h>

/* At most this many roles in one mapping, and bytes in the group reference. */
#define ROLES_MAX 64
#define GROUP_REF_MAX 256

int scim_h_role_mappings_list(struct scim_request *req, struct scim_err *err)
{
    json_t *list = NULL, *settings = NULL;
    req->audit.resource_type = "RoleMapping";
    int rc = scim_store_role_mapping_list(req->ctx->store, &req->auth.tenant, &list, err);
    if (rc == 0)
        rc = scim_store_tenant_settings(req->ctx->store, &req->auth.tenant, &settings, err);
    if (rc < 0)
        goto out;
    const json_t *def = json_object_get(settings, SCIM_SETTING_DEFAULT_ROLE);
    const char *role = def ? json_string_value(def) : SCIM_ROLE_DEFAULT;
    scim_request_respond(req, 200,
                         json_pack("{s:O,s:o}", "role_mappings", list, "default_role",
                                   role && role[0] ? json_string(role) : json_null()));
out:
    json_decref(list);
    json_decref(settings);
    return rc;
}

/* Checks a group reference (an id or a displayName) from a body or a query parameter. */
static int check_group_ref(const char *group, struct scim_err *err)
{
    if (!group || !group[0] || strlen(group) > GROUP_REF_MAX)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "\"group\" is the id or the displayName of a group (1 to %d bytes).",
                            GROUP_REF_MAX);
    return 0;
}

int scim_h_role_mappings_put(struct scim_request *req, struct scim_err *err)
{
    json_t *body = NULL, *out = NULL;
    const char **roles = NULL;
    req->audit.resource_type = "RoleMapping";
    int rc = scim_request_json(req, &body, err);
    if (rc < 0)
        goto out;
    const char *group = json_string_value(scim_json_get_ci(body, "group"));
    rc = check_group_ref(group, err);
    if (rc < 0)
        goto out;
    const json_t *list = scim_json_get_ci(body, "roles");
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > ROLES_MAX) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                          "\"roles\" is a list of 1 to %d role names; to stop a group granting "
                          "roles, DELETE /api/v1/role-mappings?group=<group>.",
                          ROLES_MAX);
        goto out;
    }
    size_t n = json_array_size(list);
    roles = scim_calloc(n, sizeof(*roles));
    for (size_t i = 0; i < n; i++) {
        roles[i] = json_string_value(json_array_get(list, i));
        if (!roles[i]) {
            rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "\"roles\"[%zu] is not a string.",
                              i);
            goto out;
        }
        rc = scim_role_name_check(roles[i], err);
        if (rc < 0)
            goto out;
    }
    const json_t *priority = scim_json_get_ci(body, "priority");
    json_int_t prio = 0;
    if (priority && !json_is_null(priority)) {
        prio =
            json_is_integer(priority) ? json_integer_value(priority) : SCIM_ROLE_PRIORITY_MAX + 1;
        if (prio < SCIM_ROLE_PRIORITY_MIN || prio > SCIM_ROLE_PRIORITY_MAX) {
            rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                              "\"priority\" is an integer from %d to %d (higher wins).",
                              SCIM_ROLE_PRIORITY_MIN, SCIM_ROLE_PRIORITY_MAX);
            goto out;
        }
    }
    json_t *diff = json_pack("{s:s,s:O,s:I}", "group", group, "roles", list, "priority", prio);
    struct scim_audit_row row;
    scim_audit_row_init(&row, req, 200, diff);
    json_decref(diff);
    rc = scim_store_role_mapping_set(req->ctx->store, &req->auth.tenant, group, roles, n, prio,
                                     &out, &row.e, err);
    scim_audit_row_clear(&row);
    if (rc < 0)
        goto out;
    req->audit.written = true;
    scim_request_respond(req, 200, out);
    out = NULL;
out:
    scim_free(roles);
    json_decref(out);
    json_decref(body);
    return rc;
}

int scim_h_role_mappings_delete(struct scim_request *req, struct scim_err *err)
{
    const char *group = scim_request_query(req, "group");
    req->audit.resource_type = "RoleMapping";
    int rc = check_group_ref(group, err);
    if (rc < 0)
        return rc;
    struct scim_audit_row row;
    scim_audit_row_init(&row, req, 204, NULL);
    rc = scim_store_role_mapping_remove(req->ctx->store, &req->auth.tenant, group, &row.e, err);
    scim_audit_row_clear(&row);
    if (rc < 0)
        return rc;
    req->audit.written = true;
    scim_request_respond(req, 204, NULL);
    return 0;
}

int scim_h_user_roles(struct scim_request *req, struct scim_err *err)
{
    const char *id = req->params[0];
    json_t *effective = NULL;
    req->audit.resource_type = "User";
    snprintf(req->audit.resource_id, sizeof(req->audit.resource_id), "%s", id);
    int rc = scim_store_user_roles(req->ctx->store, &req->auth.tenant, id, &effective, err);
    if (rc < 0)
        return rc;
    scim_request_respond(req, 200, scim_roles_response(id, effective));
    json_decref(effective);
    return 0;
}
