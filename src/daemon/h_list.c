/*
 * h_list — listing and searching (RFC 7644 §3.4.2 GET with query parameters, §3.4.3 POST
 * /.search with a SearchRequest body, for one resource type or for all of them at the root),
 * with RFC 9865 cursor pagination. Query parameters and SearchRequest bodies are turned into one
 * struct list_params so both take the same path: parse the filter and sortBy against the
 * resource type, ask the store for one page (the store compiles the filter to indexed SQL),
 * render and project each row, wrap in a ListResponse.
 * Must not: evaluate filters itself (the store does, in SQL) or build SQL.
 */
#include "handlers.h"

#include "filter.h"
#include "json.h"
#include "list.h"
#include "mem.h"
#include "path.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The list parameters of one request, from the query string or a SearchRequest body. Strings
 * are borrowed from libmicrohttpd or from the parsed body, except the owned joined lists. */
struct list_params {
    const char *filter;
    const char *sort_by;
    const char *sort_order;
    const char *start_index;
    const char *count;
    const char *cursor; /* NULL: index paging; "" or text: cursor paging */
    const char *attributes;
    const char *excluded;
    char *owned[4]; /* joined attribute lists and number texts from a body */
};

static void params_clear(struct list_params *p)
{
    for (size_t i = 0; i < sizeof(p->owned) / sizeof(p->owned[0]); i++)
        scim_free(p->owned[i]);
}

static void params_from_query(const struct scim_request *req, struct list_params *p)
{
    memset(p, 0, sizeof(*p));
    p->filter = scim_request_query(req, "filter");
    p->sort_by = scim_request_query(req, "sortBy");
    p->sort_order = scim_request_query(req, "sortOrder");
    p->start_index = scim_request_query(req, "startIndex");
    p->count = scim_request_query(req, "count");
    p->cursor = scim_request_query(req, "cursor");
    p->attributes = scim_request_query(req, "attributes");
    p->excluded = scim_request_query(req, "excludedAttributes");
}

/* A SearchRequest member that must be a string (or absent). */
static int body_string(const json_t *body, const char *key, const char **out, struct scim_err *err)
{
    const json_t *v = scim_json_get_ci(body, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "SearchRequest '%s' must be a string.", key);
    *out = json_string_value(v);
    return 0;
}

/* A SearchRequest member that must be an integer (or absent), kept as text for one parser. */
static int body_integer(const json_t *body, const char *key, const char **out, char **owned,
                        struct scim_err *err)
{
    const json_t *v = scim_json_get_ci(body, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "SearchRequest '%s' must be an integer.", key);
    *owned = scim_asprintf("%lld", (long long)json_integer_value(v));
    *out = *owned;
    return 0;
}

/* A SearchRequest attribute list: an array of strings (or one comma-separated string), joined
 * with commas into an owned string. */
static int body_attr_list(const json_t *body, const char *key, const char **out, char **owned,
                          struct scim_err *err)
{
    const json_t *v = scim_json_get_ci(body, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 0;
    }
    if (!json_is_array(v))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "SearchRequest '%s' must be an array of attribute names.", key);
    size_t len = 1;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *item = json_array_get(v, i);
        if (!json_is_string(item))
            return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                                "SearchRequest '%s' must be an array of attribute names.", key);
        len += json_string_length(item) + 1;
    }
    char *joined = scim_calloc(1, len);
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        used += (size_t)snprintf(joined + used, len - used, "%s%s", i ? "," : "", s);
    }
    *owned = joined;
    *out = joined;
    return 0;
}

static int params_from_body(const json_t *body, struct list_params *p, struct scim_err *err)
{
    memset(p, 0, sizeof(*p));
    const json_t *schemas = scim_json_get_ci(body, "schemas");
    bool ok = false;
    for (size_t i = 0; json_is_array(schemas) && i < json_array_size(schemas); i++) {
        const char *s = json_string_value(json_array_get(schemas, i));
        ok = ok || (s && strcasecmp(s, SCIM_SCHEMA_SEARCH_REQUEST) == 0);
    }
    if (!ok)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                            "A search body must list the schema %s.", SCIM_SCHEMA_SEARCH_REQUEST);
    if (body_string(body, "filter", &p->filter, err) < 0 ||
        body_string(body, "sortBy", &p->sort_by, err) < 0 ||
        body_string(body, "sortOrder", &p->sort_order, err) < 0 ||
        body_string(body, "cursor", &p->cursor, err) < 0 ||
        body_integer(body, "startIndex", &p->start_index, &p->owned[0], err) < 0 ||
        body_integer(body, "count", &p->count, &p->owned[1], err) < 0 ||
        body_attr_list(body, "attributes", &p->attributes, &p->owned[2], err) < 0 ||
        body_attr_list(body, "excludedAttributes", &p->excluded, &p->owned[3], err) < 0)
        return SCIM_ERR;
    return 0;
}

/* Everything parsed for one resource type. */
struct list_plan {
    struct scim_filter *filter;
    struct scim_path sort_by;
    bool has_sort;
    struct scim_projection projection;
    struct scim_list_query query;
};

static void plan_clear(struct list_plan *plan)
{
    scim_filter_free(plan->filter);
    if (plan->has_sort)
        scim_path_clear(&plan->sort_by);
    scim_projection_clear(&plan->projection);
    memset(plan, 0, sizeof(*plan));
}

/* Builds the plan of p for rt. across_types (a query at the root): names rt does not define in
 * attributes/excludedAttributes are left out and a sortBy it does not define sorts nothing
 * (each has been checked to name something of some type); an unknown filter stays an error. */
static int plan_build(struct scim_request *req, const struct scim_resource_type *rt,
                      const struct list_params *p, bool across_types, struct list_plan *plan,
                      struct scim_err *err)
{
    const struct scim_config *cfg = req->ctx->cfg;
    int rc = 0;
    memset(plan, 0, sizeof(*plan));
    plan->projection.include = -1;
    rc = scim_list_parse_paging(p->start_index, p->count, cfg->default_count, cfg->max_results,
                                &plan->query.start_index, &plan->query.count, err);
    if (rc < 0)
        goto out;
    rc = scim_projection_parse_for(rt, p->attributes, p->excluded, across_types, &plan->projection,
                                   err);
    if (rc < 0)
        goto out;
    if (p->filter) {
        struct scim_filter_limits limits = {(size_t)cfg->filter_max_length,
                                            (size_t)cfg->filter_max_depth};
        rc = scim_filter_parse(rt, p->filter, &limits, &plan->filter, err);
        if (rc < 0)
            goto out;
        plan->query.filter = plan->filter;
        if (scim_filter_has_string_boolean(plan->filter))
            scim_dialect_report_note(&req->dialect, SCIM_DIALECT_ENTRA_STRING_BOOLEAN);
    }
    if (p->sort_by && p->sort_by[0]) {
        rc = scim_path_parse(rt, p->sort_by, strlen(p->sort_by), 0, &plan->sort_by, err);
        if (rc < 0 && across_types) {
            rc = 0;
            scim_err_clear(err);
        } else if (rc < 0) {
            err->scim_type = SCIM_TYPE_INVALID_VALUE;
            /* Prefix the path error with the parameter it came from. */
            size_t keep = sizeof(err->detail) - 9;
            memmove(err->detail + 8, err->detail, keep);
            err->detail[sizeof(err->detail) - 1] = '\0';
            memcpy(err->detail, "sortBy: ", 8);
            goto out;
        } else {
            plan->has_sort = true;
            plan->query.sort_by = &plan->sort_by;
        }
    }
    if (p->sort_order) {
        if (strcasecmp(p->sort_order, "descending") == 0) {
            plan->query.descending = true;
        } else if (strcasecmp(p->sort_order, "ascending") != 0) {
            rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                              "sortOrder must be 'ascending' or 'descending', got '%s'.",
                              p->sort_order);
            goto out;
        }
    }
    plan->query.cursor = p->cursor;
out:
    if (rc < 0)
        plan_clear(plan);
    return rc;
}

/*
 * Appends the rendered, projected rows of page to resources. What comes from membership rows (a
 * Group's members, a User's groups and roles) is added for the whole page at once, and only when
 * the projection keeps it (h_groups.c): excludedAttributes=members reads no membership row.
 */
static int append_rows(struct scim_request *req, const struct scim_resource_type *rt,
                       const struct list_plan *plan, const struct scim_list_page *page,
                       json_t *resources, struct scim_err *err)
{
    int rc = 0;
    const char **ids = page->n ? scim_calloc(page->n, sizeof(*ids)) : NULL;
    json_t **docs = page->n ? scim_calloc(page->n, sizeof(*docs)) : NULL;
    for (size_t i = 0; i < page->n; i++) {
        ids[i] = page->rows[i].id;
        docs[i] = scim_resource_render(rt, &page->rows[i], req->base_url);
    }
    rc = scim_derive_fill(req, rt, &plan->projection, ids, docs, page->n, err);
    for (size_t i = 0; i < page->n; i++) {
        if (rc == 0) {
            scim_projection_apply(rt, &plan->projection, docs[i]);
            json_array_append_new(resources, docs[i]);
        } else {
            json_decref(docs[i]);
        }
    }
    scim_free(ids);
    scim_free(docs);
    return rc;
}

/* Lists one resource type with p and responds. */
static int list_one(struct scim_request *req, const struct scim_resource_type *rt,
                    const struct list_params *p, struct scim_err *err)
{
    struct list_plan plan;
    struct scim_list_page page = {0};
    int rc = plan_build(req, rt, p, false, &plan, err);
    if (rc < 0)
        return rc;
    rc = scim_store_resource_query(req->ctx->store, &req->auth.tenant, rt->name, &plan.query, &page,
                                   err);
    if (rc < 0)
        goto out;
    json_t *resources = json_array();
    rc = append_rows(req, rt, &plan, &page, resources, err);
    if (rc < 0) {
        json_decref(resources);
        goto out;
    }
    json_t *doc = scim_list_response(resources, page.total, plan.query.start_index);
    if (plan.query.cursor) {
        /* RFC 9865: cursor pages carry cursors instead of an index. */
        json_object_del(doc, "startIndex");
        if (page.next_cursor)
            json_object_set_new(doc, "nextCursor", json_string(page.next_cursor));
        if (page.previous_cursor)
            json_object_set_new(doc, "previousCursor", json_string(page.previous_cursor));
    }
    scim_request_respond(req, 200, doc);
out:
    scim_store_page_clear(&page);
    plan_clear(&plan);
    return rc;
}

/*
 * Searches every served resource type (POST /.search, RFC 7644 §3.4.3): index paging runs over
 * the types in table order as one sequence. A filter that names an attribute one type lacks
 * simply matches nothing of that type; if no type understands it, that is the client's error.
 */
/* True when text[0..len) is an attribute path or schema URN of some served resource type. */
static bool names_some_type(const char *text, size_t len)
{
    for (size_t i = 0; i < scim_resource_type_count(); i++) {
        const struct scim_resource_type *rt = scim_resource_type_at(i);
        struct scim_path path;
        struct scim_err scratch;
        scim_err_clear(&scratch);
        if (scim_path_schema(rt, text, len))
            return true;
        bool known = scim_path_parse(rt, text, len, 0, &path, &scratch) == 0;
        scim_path_clear(&path);
        if (known)
            return true;
    }
    return false;
}

/* 400 invalidValue when an item of list (comma-separated, as attributes= is; NULL: none) names
 * nothing of any resource type: a query at the root leaves a name out only for the types that
 * do not have it. */
static int check_across_types(const char *param, const char *list, struct scim_err *err)
{
    for (const char *at = list; at && *at;) {
        at += strspn(at, " ,");
        size_t len = strcspn(at, ",");
        size_t trimmed = len;
        while (trimmed > 0 && at[trimmed - 1] == ' ')
            trimmed--;
        if (trimmed > 0 && !names_some_type(at, trimmed))
            return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                                "%s: '%.*s' is not an attribute of any resource type.", param,
                                (int)(trimmed > 200 ? 200 : trimmed), at);
        at += len;
    }
    return 0;
}

static int search_all(struct scim_request *req, const struct list_params *p, struct scim_err *err)
{
    int rc = 0;
    if (p->cursor)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "Cursor pagination is available per resource type "
                            "(POST /Users/.search), not across all types.");
    int64_t total = 0, start = 1, wanted = 0;
    const struct scim_config *cfg = req->ctx->cfg;
    rc = scim_list_parse_paging(p->start_index, p->count, cfg->default_count, cfg->max_results,
                                &start, &wanted, err);
    if (rc < 0)
        return rc;
    if (check_across_types("attributes", p->attributes, err) < 0 ||
        check_across_types("excludedAttributes", p->excluded, err) < 0)
        return SCIM_ERR;
    if (p->sort_by && p->sort_by[0] && !names_some_type(p->sort_by, strlen(p->sort_by)))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "sortBy: '%.200s' is not an attribute of any resource type.",
                            p->sort_by);
    int64_t skip = start - 1;
    json_t *resources = json_array();
    size_t understood = 0;
    struct scim_err first_err;
    scim_err_clear(&first_err);
    for (size_t i = 0; i < scim_resource_type_count(); i++) {
        const struct scim_resource_type *rt = scim_resource_type_at(i);
        struct list_plan plan;
        struct scim_err type_err;
        scim_err_clear(&type_err);
        if (plan_build(req, rt, p, true, &plan, &type_err) < 0) {
            if (first_err.status == 0)
                first_err = type_err;
            continue;
        }
        understood++;
        /* First the type's total, then only the slice this page needs from it. */
        struct scim_list_page page = {0};
        plan.query.count = 0;
        plan.query.start_index = 1;
        rc = scim_store_resource_query(req->ctx->store, &req->auth.tenant, rt->name, &plan.query,
                                       &page, err);
        int64_t type_total = page.total;
        scim_store_page_clear(&page);
        int64_t room = wanted - (int64_t)json_array_size(resources);
        if (rc == 0 && skip < type_total && room > 0) {
            plan.query.start_index = skip + 1;
            plan.query.count = room;
            rc = scim_store_resource_query(req->ctx->store, &req->auth.tenant, rt->name,
                                           &plan.query, &page, err);
            if (rc == 0)
                rc = append_rows(req, rt, &plan, &page, resources, err);
            scim_store_page_clear(&page);
        }
        skip = skip > type_total ? skip - type_total : 0;
        total += type_total;
        plan_clear(&plan);
        if (rc < 0)
            goto out;
    }
    if (understood == 0) {
        *err = first_err;
        rc = SCIM_ERR;
        goto out;
    }
    scim_request_respond(req, 200, scim_list_response(resources, total, start));
    resources = NULL;
out:
    json_decref(resources);
    return rc;
}

int scim_h_resource_list(struct scim_request *req, struct scim_err *err)
{
    struct list_params p;
    params_from_query(req, &p);
    int rc = list_one(req, req->route_data, &p, err);
    params_clear(&p);
    return rc;
}

int scim_h_root_list(struct scim_request *req, struct scim_err *err)
{
    struct list_params p;
    params_from_query(req, &p);
    int rc = search_all(req, &p, err);
    params_clear(&p);
    return rc;
}

int scim_h_resource_search(struct scim_request *req, struct scim_err *err)
{
    struct list_params p = {0};
    json_t *body = NULL;
    int rc = scim_request_json(req, &body, err);
    if (rc < 0)
        goto out;
    rc = params_from_body(body, &p, err);
    if (rc < 0)
        goto out;
    rc = req->route_data ? list_one(req, req->route_data, &p, err) : search_all(req, &p, err);
out:
    params_clear(&p);
    json_decref(body);
    return rc;
}
