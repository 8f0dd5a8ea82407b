/*
 * cmd_tenant — scimctl tenant create|list|set. A tenant is the isolation boundary: every token
 * belongs to one, and every resource a token touches is that tenant's. `tenant set` changes a
 * tenant's settings (default_role, unknown_members, unknown_attributes; roles.h,
 * docs/GROUPS_AND_ROLES.md, docs/IDP_DIALECTS.md).
 */
#include "cli.h"

#include "mem.h"
#include "json.h"
#include "roles.h"
#include "store_groups.h"

#include <stdio.h>
#include <string.h>

int scimctl_tenant_create(struct scimctl *ctl, int argc, char **argv)
{
    if (argc < 2 || strncmp(argv[1], "--", 2) == 0)
        return scimctl_fail(2, "usage: scimctl tenant create NAME");
    const char *name = argv[1];
    size_t len = strlen(name);
    if (len == 0 || len > 63)
        return scimctl_fail(2, "a tenant name is 1 to 63 characters");
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return scimctl_fail(2, "a tenant name uses only letters, digits, '-', '_' and '.'");
    }
    struct scim_tenant tenant;
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_store_tenant_create(ctl->store, name, &tenant, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    printf("created tenant %s\n", tenant.name);
    return 0;
}

int scimctl_tenant_list(struct scimctl *ctl, int argc, char **argv)
{
    json_t *list = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    bool as_json = scimctl_switch(argc, argv, "json");
    if (scim_store_tenant_list(ctl->store, &list, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    /* Each tenant's settings (default_role, unknown_members, unknown_attributes), so that an
     * operator sees what `tenant set` changed. */
    size_t i;
    json_t *t;
    json_array_foreach (list, i, t) {
        struct scim_tenant tenant;
        json_t *settings = NULL;
        if (scim_store_tenant_get(ctl->store, json_string_value(json_object_get(t, "name")),
                                  &tenant, &err) < 0 ||
            scim_store_tenant_settings(ctl->store, &tenant, &settings, &err) < 0) {
            json_decref(list);
            return scimctl_fail(1, "%s", err.detail);
        }
        json_object_set_new(t, "settings", settings);
    }
    if (as_json) {
        char *text = scim_json_dump(list, NULL);
        puts(text);
        scim_free(text);
    } else {
        printf("%-32s %-26s %s\n", "NAME", "CREATED", "SETTINGS");
        json_array_foreach (list, i, t) {
            printf("%-32s %-26s", json_string_value(json_object_get(t, "name")),
                   json_string_value(json_object_get(t, "created")));
            const char *key;
            json_t *value;
            bool any = false;
            json_object_foreach (json_object_get(t, "settings"), key, value) {
                printf(" %s=%s", key, json_string_value(value));
                any = true;
            }
            printf("%s\n", any ? "" : " -");
        }
    }
    json_decref(list);
    return 0;
}

int scimctl_tenant_set(struct scimctl *ctl, int argc, char **argv)
{
    if (argc < 3 || strncmp(argv[1], "--", 2) == 0)
        return scimctl_fail(
            2, "usage: scimctl tenant set NAME key=value... (keys: " SCIM_SETTING_DEFAULT_ROLE
               ", " SCIM_SETTING_UNKNOWN_MEMBERS ", " SCIM_SETTING_UNKNOWN_ATTRIBUTES ")");
    struct scim_tenant tenant;
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_store_tenant_get(ctl->store, argv[1], &tenant, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    /* Every pair is checked before anything is written. */
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0)
            continue;
        const char *eq = strchr(argv[i], '=');
        if (!eq)
            return scimctl_fail(2, "'%s' is not key=value", argv[i]);
        char *key = scim_strndup(argv[i], (size_t)(eq - argv[i]));
        int rc = scim_tenant_setting_check(key, eq + 1, &err);
        scim_free(key);
        if (rc < 0)
            return scimctl_fail(2, "%s", err.detail);
    }
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0)
            continue;
        const char *eq = strchr(argv[i], '=');
        char *key = scim_strndup(argv[i], (size_t)(eq - argv[i]));
        int rc = scim_store_tenant_setting_set(ctl->store, &tenant, key, eq + 1, &err);
        if (rc == 0)
            printf("%s: %s = '%s'\n", tenant.name, key, eq + 1);
        scim_free(key);
        if (rc < 0)
            return scimctl_fail(1, "%s", err.detail);
    }
    return 0;
}
