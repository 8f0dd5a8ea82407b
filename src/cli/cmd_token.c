/*
 * cmd_token — scimctl token create|list|revoke. A token is shown in plaintext exactly once, at
 * creation; the store keeps only its SHA-256. Revocation takes effect on a running scimd's very
 * next request, because scimd looks every token up in the database.
 */
#include "cli.h"

#include "datetime.h"
#include "json.h"
#include "mem.h"
#include "resource.h"
#include "token.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 60 * 60 * 1000)

int scimctl_token_create(struct scimctl *ctl, int argc, char **argv)
{
    const char *tenant_name = scimctl_flag(argc, argv, "tenant", NULL);
    const char *description = scimctl_flag(argc, argv, "description", NULL);
    const char *days_text = scimctl_flag(argc, argv, "expires-in-days", NULL);
    bool quiet = scimctl_switch(argc, argv, "quiet");
    if (!tenant_name)
        return scimctl_fail(2, "--tenant is required: the tenant whose roster the token reaches");
    if (!description || !description[0])
        return scimctl_fail(2, "--description is required (say which IdP will use the token)");
    const char *problem = scim_token_description_problem(description);
    if (problem)
        return scimctl_fail(2, "--description %s", problem);
    if (!days_text)
        return scimctl_fail(2, "--expires-in-days is required: an integer from 1 to 365");
    char *end = NULL;
    errno = 0;
    long days = strtol(days_text, &end, 10);
    if (errno || end == days_text || *end || days < 1 || days > 365)
        return scimctl_fail(2, "--expires-in-days must be an integer from 1 to 365, got '%s'",
                            days_text);

    char scopes[128];
    int scope_status = scimctl_scopes(argc, argv, scopes, sizeof(scopes));
    if (scope_status != 0)
        return scope_status;

    struct scim_err err;
    scim_err_clear(&err);
    struct scim_token_record rec;
    memset(&rec, 0, sizeof(rec));
    if (scim_store_tenant_get(ctl->store, tenant_name, &rec.tenant, &err) < 0)
        return scimctl_fail(1,
                            "tenant '%s' does not exist (create it with: scimctl tenant create %s)",
                            tenant_name, tenant_name);

    char plain[SCIM_TOKEN_PLAIN_MAX];
    unsigned char hash[SCIM_TOKEN_HASH_BYTES];
    char id[SCIM_TOKEN_ID_MAX];
    scim_token_mint(ctl->cfg.token_prefix, plain, hash, id);
    snprintf(rec.id, sizeof(rec.id), "%s", id);
    snprintf(rec.description, sizeof(rec.description), "%s", description);
    snprintf(rec.scopes, sizeof(rec.scopes), "%s", scopes);
    scim_token_hint(plain, rec.hint, sizeof(rec.hint));
    rec.created_ms = scim_time_now_ms();
    rec.expires_ms = rec.created_ms + days * DAY_MS;
    int status = 0;
    if (scim_store_token_insert(ctl->store, &rec, hash, NULL, &err) < 0) {
        status = scimctl_fail(1, "%s", err.detail);
        goto out;
    }
    if (quiet) {
        printf("%s\n", plain);
    } else {
        char expires[40];
        scim_time_format(rec.expires_ms, expires, sizeof(expires));
        printf("Created token %s for tenant %s (scopes: %s, expires %s).\n", rec.id,
               rec.tenant.name, rec.scopes, expires);
        printf("This is the only time the token is shown; store it in your IdP now:\n\n%s\n\n",
               plain);
        printf(
            "Use it as: Authorization: Bearer <token>   Revoke it with: scimctl token revoke %s\n",
            rec.id);
    }
out:
    sodium_memzero(plain, sizeof(plain));
    return status;
}

/* "revoked", "expired" or "active", for the STATE column of token list. */
static const char *token_state(const json_t *t, int64_t now_ms)
{
    if (json_is_string(json_object_get(t, "revoked_at")))
        return "revoked";
    const char *expires = json_string_value(json_object_get(t, "expires_at"));
    struct scim_instant at;
    if (expires && scim_datetime_parse(expires, strlen(expires), SCIM_DATETIME_STRICT, &at) &&
        at.sec * 1000 + at.nsec / 1000000 <= now_ms)
        return "expired";
    return "active";
}

int scimctl_token_list(struct scimctl *ctl, int argc, char **argv)
{
    int64_t now_ms = scim_time_now_ms();
    struct scim_err err;
    scim_err_clear(&err);
    const char *tenant_name = scimctl_flag(argc, argv, "tenant", NULL);
    struct scim_tenant tenant;
    if (tenant_name && scim_store_tenant_get(ctl->store, tenant_name, &tenant, &err) < 0)
        return scimctl_fail(1, "tenant '%s' does not exist", tenant_name);
    json_t *list = NULL;
    if (scim_store_token_list(ctl->store, tenant_name ? &tenant : NULL, &list, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    if (scimctl_switch(argc, argv, "json")) {
        char *text = scim_json_dump(list, NULL);
        puts(text);
        scim_free(text);
    } else {
        printf("%-28s %-12s %-14s %-16s %-24s %-24s %-8s %s\n", "ID", "TENANT", "SCOPES", "HINT",
               "EXPIRES", "LAST USED", "STATE", "DESCRIPTION");
        size_t i;
        json_t *t;
        json_array_foreach (list, i, t) {
            const char *state = token_state(t, now_ms);
            printf("%-28s %-12s %-14s %-16s %-24s %-24s %-8s %s\n", scimctl_text_or_dash(t, "id"),
                   scimctl_text_or_dash(t, "tenant"), scimctl_text_or_dash(t, "scopes"),
                   scimctl_text_or_dash(t, "hint"), scimctl_text_or_dash(t, "expires_at"),
                   scimctl_text_or_dash(t, "last_used_at"), state,
                   scimctl_text_or_dash(t, "description"));
        }
    }
    json_decref(list);
    return 0;
}

int scimctl_token_revoke(struct scimctl *ctl, int argc, char **argv)
{
    if (argc < 2 || strncmp(argv[1], "--", 2) == 0)
        return scimctl_fail(2, "usage: scimctl token revoke ID");
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_store_token_revoke(ctl->store, NULL, argv[1], scim_time_now_ms(), NULL, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    printf("revoked token %s; requests with it now get 401\n", argv[1]);
    return 0;
}
