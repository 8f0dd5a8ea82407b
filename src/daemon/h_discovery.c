/*
 * h_discovery — the discovery endpoints of RFC 7644 §4: /ServiceProviderConfig (RFC 7643 §5),
 * /Schemas and /Schemas/{urn} (§7), /ResourceTypes and /ResourceTypes/{name} (§6). Everything
 * they say is derived from the schema registry and the configuration, so discovery stays truthful
 * as features land. "pagination" is the RFC 9865 §4 advertisement of index and cursor paging.
 * The RFC endpoints scimd does not offer (/Me, /Bulk) answer 501, as RFC 7644 §3.12 lists for an
 * operation the service provider does not support, so that a client learns that rather than 404.
 */
#include "handlers.h"

#include "list.h"
#include "schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int scim_h_not_implemented(struct scim_request *req, struct scim_err *err)
{
    return scim_err_set(err, 501, NULL,
                        "%s %s is not supported by this service provider; see "
                        "/ServiceProviderConfig for what is.",
                        req->method, req->path);
}

/* RFC 7644 §4: the discovery endpoints take no filter, and answer one with 403 so that a client
 * cannot take what they return for matches. */
static int refuse_filter(const struct scim_request *req, struct scim_err *err)
{
    if (!scim_request_query(req, "filter"))
        return 0;
    return scim_err_set(err, 403, NULL,
                        "%s does not take a filter (RFC 7644 §4); request it without one.",
                        req->path);
}

int scim_h_service_provider_config(struct scim_request *req, struct scim_err *err)
{
    int refused = refuse_filter(req, err);
    if (refused < 0)
        return refused;
    const struct scim_config *cfg = req->ctx->cfg;
    char location[640];
    snprintf(location, sizeof(location), "%s/ServiceProviderConfig", req->base_url);
    json_t *doc = json_pack(
        "{s:[s], s:s, s:{s:b}, s:{s:b, s:i, s:i}, s:{s:b, s:I}, s:{s:b}, s:{s:b}, s:{s:b},"
        " s:{s:b, s:b, s:s, s:I, s:I}}",
        "schemas", SCIM_SCHEMA_SPC, "documentationUri",
        "https://datatracker.ietf.org/doc/html/rfc7644", "patch", "supported", 1, "bulk",
        "supported", 0, "maxOperations", 0, "maxPayloadSize", 0, "filter", "supported", 1,
        "maxResults", (json_int_t)cfg->max_results, "changePassword", "supported", 1, "sort",
        "supported", 1, "etag", "supported", 1, "pagination", "cursor", 1, "index", 1,
        "defaultPaginationMethod", "index", "defaultPageSize", (json_int_t)cfg->default_count,
        "maxPageSize", (json_int_t)cfg->max_results);
    /* The OAuth 2.0 token endpoint sits beside /scim/v2 on the same origin. */
    char token_endpoint[640];
    size_t base_len = strlen(req->base_url);
    if (base_len >= 8 && strcmp(req->base_url + base_len - 8, "/scim/v2") == 0)
        base_len -= 8;
    snprintf(token_endpoint, sizeof(token_endpoint), "%.*s/oauth/token", (int)base_len,
             req->base_url);
    json_object_set_new(
        doc, "authenticationSchemes",
        json_pack("[{s:s, s:s, s:s, s:s, s:b}, {s:s, s:s, s:s, s:s, s:s, s:b}]", "type",
                  "oauthbearertoken", "name", "OAuth Bearer Token", "description",
                  "Authentication with a bearer token minted by scimctl (Authorization: Bearer "
                  "<token>)",
                  "specUri", "https://www.rfc-editor.org/rfc/rfc6750", "primary", 1, "type",
                  "oauth2", "name", "OAuth 2.0 client credentials", "description",
                  "Bearer access tokens from the token endpoint (documentationUri) with the "
                  "client-credentials grant; clients are created with scimctl client create",
                  "specUri", "https://www.rfc-editor.org/rfc/rfc6749#section-4.4",
                  "documentationUri", token_endpoint, "primary", 0));
    json_object_set_new(
        doc, "meta",
        json_pack("{s:s, s:s}", "resourceType", "ServiceProviderConfig", "location", location));
    scim_request_respond(req, 200, doc);
    return 0;
}

int scim_h_schemas_list(struct scim_request *req, struct scim_err *err)
{
    int refused = refuse_filter(req, err);
    if (refused < 0)
        return refused;
    json_t *resources = json_array();
    for (size_t i = 0; i < scim_schema_count(); i++)
        json_array_append_new(resources, scim_schema_to_json(scim_schema_at(i), req->base_url));
    size_t n = json_array_size(resources);
    scim_request_respond(req, 200, scim_list_response(resources, (int64_t)n, 1));
    return 0;
}

int scim_h_schema_get(struct scim_request *req, struct scim_err *err)
{
    int refused = refuse_filter(req, err);
    if (refused < 0)
        return refused;
    const char *urn = req->params[0];
    for (size_t i = 0; i < scim_schema_count(); i++) {
        const struct scim_schema *s = scim_schema_at(i);
        if (strcasecmp(s->id, urn) == 0) {
            scim_request_respond(req, 200, scim_schema_to_json(s, req->base_url));
            return 0;
        }
    }
    return scim_err_set(err, 404, NULL, "Schema '%s' is not served here; see /Schemas.", urn);
}

int scim_h_resource_types_list(struct scim_request *req, struct scim_err *err)
{
    int refused = refuse_filter(req, err);
    if (refused < 0)
        return refused;
    json_t *resources = json_array();
    for (size_t i = 0; i < scim_resource_type_count(); i++)
        json_array_append_new(resources,
                              scim_resource_type_to_json(scim_resource_type_at(i), req->base_url));
    size_t n = json_array_size(resources);
    scim_request_respond(req, 200, scim_list_response(resources, (int64_t)n, 1));
    return 0;
}

int scim_h_resource_type_get(struct scim_request *req, struct scim_err *err)
{
    int refused = refuse_filter(req, err);
    if (refused < 0)
        return refused;
    const char *name = req->params[0];
    for (size_t i = 0; i < scim_resource_type_count(); i++) {
        const struct scim_resource_type *rt = scim_resource_type_at(i);
        if (strcasecmp(rt->id, name) == 0) {
            scim_request_respond(req, 200, scim_resource_type_to_json(rt, req->base_url));
            return 0;
        }
    }
    return scim_err_set(err, 404, NULL,
                        "Resource type '%s' is not served here; see /ResourceTypes.", name);
}
