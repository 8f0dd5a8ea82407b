/*
 * cmd_client — scimctl client create|list|revoke: OAuth 2.0 clients of the client-credentials
 * grant (RFC 6749 §4.4) that scimd's POST /oauth/token serves. A client has an id ("cli_" + 22
 * base64url characters) and a secret (43 base64url characters of 32 random bytes) shown exactly
 * once, at creation; the store keeps only the secret's SHA-256. Revoking a client revokes every
 * access token it obtained, effective on a running scimd's very next request.
 * Must not: print a secret anywhere but the create output, or contain SQL.
 */
#include "cli.h"

#include "json.h"
#include "mem.h"
#include "resource.h"
#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define SECRET_BYTES 32
#define ID_BYTES 16

/* Writes base64url (no padding) of n random bytes into out (size bytes). */
static void random_text(char *out, size_t size, size_t n)
{
    unsigned char raw[SECRET_BYTES];
    randombytes_buf(raw, n);
    sodium_bin2base64(out, size, raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

int scimctl_client_create(struct scimctl *ctl, int argc, char **argv)
{
    const char *tenant_name = scimctl_flag(argc, argv, "tenant", NULL);
    const char *description = scimctl_flag(argc, argv, "description", NULL);
    bool json = scimctl_switch(argc, argv, "json");
    if (!tenant_name)
        return scimctl_fail(2, "--tenant is required: the tenant whose roster the client reaches");
    if (!description || !description[0])
        return scimctl_fail(2, "--description is required (say which IdP will use the client)");
    const char *problem = scim_token_description_problem(description);
    if (problem)
        return scimctl_fail(2, "--description %s", problem);
    char scopes[128];
    int scope_status = scimctl_scopes(argc, argv, scopes, sizeof(scopes));
    if (scope_status != 0)
        return scope_status;

    struct scim_err err;
    scim_err_clear(&err);
    struct scim_client_record rec;
    memset(&rec, 0, sizeof(rec));
    if (scim_store_tenant_get(ctl->store, tenant_name, &rec.tenant, &err) < 0)
        return scimctl_fail(1,
                            "tenant '%s' does not exist (create it with: scimctl tenant create %s)",
                            tenant_name, tenant_name);
    char id_part[sodium_base64_ENCODED_LEN(ID_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    char secret[sodium_base64_ENCODED_LEN(SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    random_text(id_part, sizeof(id_part), ID_BYTES);
    random_text(secret, sizeof(secret), SECRET_BYTES);
    snprintf(rec.id, sizeof(rec.id), "cli_%s", id_part);
    snprintf(rec.description, sizeof(rec.description), "%s", description);
    snprintf(rec.scopes, sizeof(rec.scopes), "%s", scopes);
    rec.created_ms = scim_time_now_ms();
    scim_token_hash(secret, strlen(secret), rec.secret_hash);
    int status = 0;
    if (scim_store_client_insert(ctl->store, &rec, &err) < 0) {
        status = scimctl_fail(1, "%s", err.detail);
        goto out;
    }
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "client_id", rec.id, "client_secret", secret,
                              "tenant", rec.tenant.name, "scopes", rec.scopes);
        char *text = scim_json_dump(o, NULL);
        puts(text);
        sodium_memzero(text, strlen(text));
        scim_free(text);
        json_decref(o);
    } else {
        printf("Created OAuth client %s for tenant %s (scopes: %s).\n", rec.id, rec.tenant.name,
               rec.scopes);
        printf("This is the only time the secret is shown; store it in your IdP now:\n\n");
        printf("  client_id:     %s\n  client_secret: %s\n\n", rec.id, secret);
        printf("Token endpoint: POST https://<your host>/oauth/token with "
               "grant_type=client_credentials.\nRevoke it with: scimctl client revoke %s\n",
               rec.id);
    }
out:
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(&rec, sizeof(rec));
    return status;
}

int scimctl_client_list(struct scimctl *ctl, int argc, char **argv)
{
    struct scim_err err;
    scim_err_clear(&err);
    const char *tenant_name = scimctl_flag(argc, argv, "tenant", NULL);
    struct scim_tenant tenant;
    if (tenant_name && scim_store_tenant_get(ctl->store, tenant_name, &tenant, &err) < 0)
        return scimctl_fail(1, "tenant '%s' does not exist", tenant_name);
    json_t *list = NULL;
    if (scim_store_client_list(ctl->store, tenant_name ? &tenant : NULL, &list, &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    if (scimctl_switch(argc, argv, "json")) {
        char *text = scim_json_dump(list, NULL);
        puts(text);
        scim_free(text);
    } else {
        printf("%-28s %-12s %-16s %-24s %-8s %s\n", "ID", "TENANT", "SCOPES", "CREATED", "STATE",
               "DESCRIPTION");
        size_t i;
        json_t *c;
        json_array_foreach (list, i, c) {
            const char *state =
                json_is_string(json_object_get(c, "revoked_at")) ? "revoked" : "active";
            printf("%-28s %-12s %-16s %-24s %-8s %s\n", scimctl_text_or_dash(c, "id"),
                   scimctl_text_or_dash(c, "tenant"), scimctl_text_or_dash(c, "scopes"),
                   scimctl_text_or_dash(c, "created_at"), state,
                   scimctl_text_or_dash(c, "description"));
        }
    }
    json_decref(list);
    return 0;
}

int scimctl_client_revoke(struct scimctl *ctl, int argc, char **argv)
{
    if (argc < 2 || strncmp(argv[1], "--", 2) == 0)
        return scimctl_fail(2, "usage: scimctl client revoke ID");
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_store_client_revoke(ctl->store, NULL, argv[1], scim_time_now_ms(), &err) < 0)
        return scimctl_fail(1, "%s", err.detail);
    printf("revoked OAuth client %s and its access tokens; requests with them now get 401\n",
           argv[1]);
    return 0;
}
