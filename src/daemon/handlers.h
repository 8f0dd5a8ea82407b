/*
 * handlers — every endpoint handler the route table points at, grouped by file:
 * h_health.c (/healthz), h_discovery.c (ServiceProviderConfig, Schemas, ResourceTypes),
 * h_resources.c (generic CRUD for every row of the resource-type table), h_list.c (list and
 * .search), h_admin.c (the /api/v1 admin API), h_oauth.c (/oauth/token), h_groups.c (Group
 * writes with membership rows; computed members/groups/roles), h_roles.c (role mappings).
 * Each fills the request's response and returns 0, or returns a negative scim_rc with err set.
 */
#ifndef SCIM_HANDLERS_H
#define SCIM_HANDLERS_H

#include "list.h"
#include "request.h"

int scim_h_healthz(struct scim_request *req, struct scim_err *err);

int scim_h_service_provider_config(struct scim_request *req, struct scim_err *err);
/* /Me and /Bulk: 501 with a SCIM Error saying so. */
int scim_h_not_implemented(struct scim_request *req, struct scim_err *err);
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

/* h_list.c: GET on the SCIM root, a query across every served resource type (RFC 7644
 * §3.4.2.1) with the parameters of GET /{rt}: what POST /.search answers for the same query. */
int scim_h_root_list(struct scim_request *req, struct scim_err *err);

/* h_admin.c: the admin API under /api/v1 (scope admin; docs/ADMIN_API.md). The tenant is the
 * admin token's; req->params[0] is the token id of DELETE. */
int scim_h_admin_tokens_create(struct scim_request *req, struct scim_err *err);
int scim_h_admin_tokens_list(struct scim_request *req, struct scim_err *err);
int scim_h_admin_tokens_revoke(struct scim_request *req, struct scim_err *err);
int scim_h_admin_audit(struct scim_request *req, struct scim_err *err);

/* h_oauth.c: POST /oauth/token, the client-credentials grant (RFC 6749 §4.4). */
int scim_h_oauth_token(struct scim_request *req, struct scim_err *err);

/*
 * h_groups.c: what Groups do beyond the generic handlers, because membership is rows in the
 * store (store_groups.h). scim_h_resource_create/replace/patch hand a Group request to
 * scim_h_group_create/replace/patch (a Group PATCH answers 204 unless attributes or
 * excludedAttributes are asked for).
 */
bool scim_groups_is_group(const struct scim_resource_type *rt);
int scim_h_group_create(struct scim_request *req, struct scim_err *err);
int scim_h_group_replace(struct scim_request *req, struct scim_err *err);
int scim_h_group_patch(struct scim_request *req, struct scim_err *err);

/* The attributes computed from membership rows (enum scim_derive bits) that a response of type
 * rt projected with p (may be NULL: no projection) includes. */
unsigned scim_derive_wanted(const struct scim_resource_type *rt, const struct scim_projection *p);

/*
 * Adds to docs[i] (rendered resources of type rt with ids ids[i], changed in place) what p lets
 * the response include: a Group's "members", a User's "groups" and effective "roles", with
 * "$ref" URIs under req->base_url. Reads nothing when the projection excludes them all.
 */
int scim_derive_fill(struct scim_request *req, const struct scim_resource_type *rt,
                     const struct scim_projection *p, const char *const *ids, json_t *const *docs,
                     size_t n, struct scim_err *err);

/* scim_derive_fill for one resource, doc its rendering: from res->derived (the rows its write
 * read in its own transaction) when present, without reading; else as scim_derive_fill. */
int scim_derive_fill_resource(struct scim_request *req, const struct scim_resource_type *rt,
                              const struct scim_projection *p, const struct scim_resource *res,
                              json_t *doc, struct scim_err *err);

/* h_roles.c: the role-mapping admin API (scope admin; docs/GROUPS_AND_ROLES.md).
 * req->params[0] is the user id of GET /api/v1/users/{id}/roles. */
int scim_h_role_mappings_list(struct scim_request *req, struct scim_err *err);
int scim_h_role_mappings_put(struct scim_request *req, struct scim_err *err);
int scim_h_role_mappings_delete(struct scim_request *req, struct scim_err *err);
int scim_h_user_roles(struct scim_request *req, struct scim_err *err);

#endif
