/*
 * h_health — GET /healthz: a liveness and readiness probe for load balancers and orchestrators.
 * Answers 200 when the database answers a trivial integrity-free query, 503 otherwise. Needs no
 * token and reveals nothing about tenants.
 */
#include "handlers.h"

int scim_h_healthz(struct scim_request *req, struct scim_err *err)
{
    (void)err;
    struct scim_tenant probe;
    struct scim_err probe_err;
    scim_err_clear(&probe_err);
    int rc = scim_store_tenant_get(req->ctx->store, "default", &probe, &probe_err);
    bool db_ok = rc == 0 || rc == SCIM_ENOTFOUND;
    scim_request_respond(req, db_ok ? 200 : 503,
                         json_pack("{s:s, s:s}", "status", db_ok ? "ok" : "unavailable", "database",
                                   db_ok ? "ok" : "error"));
    return 0;
}
