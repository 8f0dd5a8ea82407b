/*
 * handlers — every endpoint handler the route table points at, grouped by file:
 * h_health.c (/healthz), h_discovery.c (ServiceProviderConfig, Schemas, ResourceTypes),
 * h_resources.c (generic CRUD for every row of the resource-type table), h_list.c (list and
 * .search), h_admin.c (the /api/v1 admin API), h_oauth.c (/oauth/token).
 * Each fills the request's response and returns 0, or returns a negative scim_rc with err set.
 */
#ifndef SCIM_HANDLERS_H
#define SCIM_HANDLERS_H

#include "request.h"

int scim_h_healthz(struct scim_request *req, struct scim_err *err);

int scim_h_service_provider_config(struct scim_request *req, struct scim_err *err);
int scim_h_schemas_list(struct scim_request *req, struct scim_err *err);
int scim_h_schema_get(struct scim_request *req, struct scim_err *err);
int scim_h_resource_types_list(struct scim_request *req, struct scim_err *err);
int scim_h_resource_type_get(struct scim_request *req, struct scim_err *err);

/* req->route_data is the struct scim_resource_type; req->params[0] the id where present. */
int scim_h_resource_create(struct scim_request *req, struct scim_err *err);
int scim_h_resource_get(struct scim_request *req, struct scim_err *err);
int scim_h_resource_list(struct scim_request *req, struct scim_err *err);
int scim_h_resource_replace(struct scim_request *req, struct scim_err *err);
int scim_h_resource_patch(struct scim_request *req, struct scim_err *err);
int scim_h_resource_delete(struct scim_request *req, struct scim_err *err);

/* h_list.c: GET /{rt} and POST /{rt}/.search; POST /.search (route_data NULL) searches every
 * served resource type. */
int scim_h_resource_search(struct scim_request *req, struct scim_err *err);

/* h_admin.c: the admin API under /api/v1 (scope admin; docs/ADMIN_API.md). The tenant is the
 * admin token's; req->params[0] is the token id of DELETE. */
int scim_h_admin_tokens_create(struct scim_request *req, struct scim_err *err);
int scim_h_admin_tokens_list(struct scim_request *req, struct scim_err *err);
int scim_h_admin_tokens_revoke(struct scim_request *req, struct scim_err *err);
int scim_h_admin_audit(struct scim_request *req, struct scim_err *err);

/* h_oauth.c: POST /oauth/token, the client-credentials grant (RFC 6749 §4.4). */
int scim_h_oauth_token(struct scim_request *req, struct scim_err *err);

#endif
