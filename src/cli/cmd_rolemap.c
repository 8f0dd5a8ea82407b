/*
 * cmd_rolemap — scimctl role-map set|list|remove: which roles of the host application's RBAC a
 * group grants to its members (directly or through nested groups), with a priority for a host
 * that wants one primary role. The same store functions as the admin API (/api/v1/role-mappings,
 * h_roles.c); docs/GROUPS_AND_ROLES.md describes the rules.
 * Owns: the command-line shape. Must not: contain SQL.
 */
#include "cli.h"

#include "json.h"
#include "mem.h"
#include "roles.h"
#include "store_groups.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROLES_MAX 64

/* Resolves --tenant (default "default") into *tenant. */
static int tenant_of(struct scimctl *ctl, int argc, char **argv, struct scim_tenant *tenant)
{
    const char *name = scimctl_flag(argc, argv, "tenant", NULL);
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_store_tenant_get(ctl->store, name ? name : "default", tenant, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    return 0;
}

static void print_mapping(const json_t *m)
{
    const json_t *roles = json_object_get(m, "roles");
    const char *name = json_string_value(json_object_get(m, "displayName"));
    printf("%-38s %-24s %8lld  ", json_string_value(json_object_get(m, "group")), name ? name : "",
           (long long)json_integer_value(json_object_get(m, "priority")));
    size_t i;
    const json_t *r;
    json_array_foreach (roles, i, r)
        printf("%s%s", i ? "," : "", json_string_value(r));
    putchar('\n');
}

int scimctl_rolemap_set(struct scimctl *ctl, int argc, char **argv)
{
    const char *group = scimctl_flag(argc, argv, "group", NULL);
    const char *prio_text = scimctl_flag(argc, argv, "priority", NULL);
    const char *roles[ROLES_MAX];
    size_t n = 0;
    int index = 1;
    const char *role;
    struct scim_err err;
    scim_err_clear(&err);
    if (!group || !group[0])
        return scimctl_fail(2, "--group is required: the id or displayName of a group");
    while ((role = scimctl_flag(argc, argv, "role", &index)) != NULL) {
        if (n == ROLES_MAX)
            return scimctl_fail(2, "at most %d --role flags", ROLES_MAX);
        if (scim_role_name_check(role, &err) < 0)
            return scimctl_fail(2, "--role '%s': %s", role, err.detail);
        roles[n++] = role;
    }
    if (n == 0)
        return scimctl_fail(2, "at least one --role is required (to remove a mapping: scimctl "
                               "role-map remove --group G)");
    long long priority = 0;
    if (prio_text) {
        char *end = NULL;
        errno = 0;
        priority = strtoll(prio_text, &end, 10);
        if (errno || end == prio_text || *end || priority < SCIM_ROLE_PRIORITY_MIN ||
            priority > SCIM_ROLE_PRIORITY_MAX)
            return scimctl_fail(2, "--priority must be an integer from %d to %d, got '%s'",
                                SCIM_ROLE_PRIORITY_MIN, SCIM_ROLE_PRIORITY_MAX, prio_text);
    }
    struct scim_tenant tenant;
    int status = tenant_of(ctl, argc, argv, &tenant);
    if (status)
        return status;
    json_t *out = NULL;
    if (scim_store_role_mapping_set(ctl->store, &tenant, group, roles, n, priority, &out, NULL,
                                    &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    if (scimctl_switch(argc, argv, "json")) {
        char *text = scim_json_dump(out, NULL);
        puts(text);
        scim_free(text);
    } else {
        print_mapping(out);
    }
    json_decref(out);
    return 0;
}

int scimctl_rolemap_list(struct scimctl *ctl, int argc, char **argv)
{
    struct scim_tenant tenant;
    struct scim_err err;
    scim_err_clear(&err);
    int status = tenant_of(ctl, argc, argv, &tenant);
    if (status)
        return status;
    json_t *list = NULL;
    if (scim_store_role_mapping_list(ctl->store, &tenant, &list, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    if (scimctl_switch(argc, argv, "json")) {
        char *text = scim_json_dump(list, NULL);
        puts(text);
        scim_free(text);
    } else {
        printf("%-38s %-24s %8s  %s\n", "GROUP", "DISPLAY NAME", "PRIORITY", "ROLES");
        size_t i;
        const json_t *m;
        json_array_foreach (list, i, m)
            print_mapping(m);
    }
    json_decref(list);
    return 0;
}

int scimctl_rolemap_remove(struct scimctl *ctl, int argc, char **argv)
{
    const char *group = scimctl_flag(argc, argv, "group", NULL);
    struct scim_err err;
    scim_err_clear(&err);
    if (!group || !group[0])
        return scimctl_fail(2, "--group is required: the id or displayName of a group");
    struct scim_tenant tenant;
    int status = tenant_of(ctl, argc, argv, &tenant);
    if (status)
        return status;
    if (scim_store_role_mapping_remove(ctl->store, &tenant, group, NULL, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    printf("removed the role mapping of %s\n", group);
    return 0;
}
