/*
 * list — ListResponse, paging parameters and attribute projection (RFC 7644 §3.4.2, §3.9).
 * Projection works on a rendered resource whose keys are already canonical (resource.c writes
 * them so), so every lookup here is an exact-key hash lookup.
 */
#include "list.h"

#include "mem.h"
#include "path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

json_t *scim_list_response(json_t *resources, int64_t total, int64_t start_index)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "schemas", json_pack("[s]", SCIM_SCHEMA_LIST_RESPONSE));
    json_object_set_new(doc, "totalResults", json_integer(total));
    json_object_set_new(doc, "itemsPerPage", json_integer((json_int_t)json_array_size(resources)));
    json_object_set_new(doc, "startIndex", json_integer(start_index));
    json_object_set_new(doc, "Resources", resources);
    return doc;
}

static int parse_int(const char *name, const char *text, int64_t *out, struct scim_err *err)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno == ERANGE) {
        v = v < 0 ? INT64_MIN / 2 : INT64_MAX / 2;
    } else if (end == text || *end != '\0') {
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "Query parameter '%s' must be an integer, got '%s'.", name, text);
    }
    *out = (int64_t)v;
    return 0;
}

int scim_list_parse_paging(const char *start_index, const char *count, int64_t default_count,
                           int64_t max_results, int64_t *start_out, int64_t *count_out,
                           struct scim_err *err)
{
    int64_t start = 1, n = default_count;
    if (start_index && parse_int("startIndex", start_index, &start, err) < 0)
        return SCIM_ERR;
    if (count && parse_int("count", count, &n, err) < 0)
        return SCIM_ERR;
    if (start < 1)
        start = 1;
    if (n < 0)
        n = 0;
    if (n > max_results)
        n = max_results;
    *start_out = start;
    *count_out = n;
    return 0;
}

void scim_projection_clear(struct scim_projection *p)
{
    scim_free(p->items);
    p->items = NULL;
    p->n = 0;
    p->include = -1;
}

int scim_projection_parse(const struct scim_resource_type *rt, const char *attributes,
                          const char *excluded, struct scim_projection *out, struct scim_err *err)
{
    return scim_projection_parse_for(rt, attributes, excluded, false, out, err);
}

int scim_projection_parse_for(const struct scim_resource_type *rt, const char *attributes,
                              const char *excluded, bool skip_unknown, struct scim_projection *out,
                              struct scim_err *err)
{
    int rc = 0;
    out->n = 0;
    out->items = NULL;
    out->include = -1;
    /* A parameter that names nothing ("attributes=") is as if it were absent. */
    if (attributes && attributes[strspn(attributes, " ,")] == '\0')
        attributes = NULL;
    if (excluded && excluded[strspn(excluded, " ,")] == '\0')
        excluded = NULL;
    const char *text = attributes ? attributes : excluded;
    if (!text)
        goto out;
    out->include = attributes ? 1 : 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    out->items = scim_calloc(cap, sizeof(*out->items));
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed > 0 && p[trimmed - 1] == ' ')
            trimmed--;
        const struct scim_schema *whole_schema =
            trimmed > 0 ? scim_path_schema(rt, p, trimmed) : NULL;
        if (whole_schema) {
            /* A schema URN alone names all of its attributes (an extension's whole object). */
            out->items[out->n].schema = whole_schema;
            out->n++;
        } else if (trimmed > 0) {
            struct scim_path path;
            struct scim_err scratch;
            scim_err_clear(&scratch);
            rc = scim_path_parse(rt, p, trimmed, 0, &path, skip_unknown ? &scratch : err);
            if (rc < 0 && !skip_unknown) {
                err->scim_type = SCIM_TYPE_INVALID_VALUE;
                goto out;
            }
            if (rc == 0) {
                out->items[out->n].schema = path.schema;
                out->items[out->n].attr = path.attr;
                out->items[out->n].sub = path.sub;
                out->n++;
            }
            rc = 0;
            scim_path_clear(&path);
        }
        p += len;
        if (*p == ',')
            p++;
    }
out:
    if (rc < 0)
        scim_projection_clear(out);
    return rc;
}

/* The object holding attributes of schema in resource: the resource itself for the core schema
 * and common attributes, resource[urn] for an extension. Borrowed or NULL. */
static json_t *container(const struct scim_resource_type *rt, json_t *resource,
                         const struct scim_schema *schema)
{
    if (!schema || schema == rt->schema)
        return resource;
    return json_object_get(resource, schema->id);
}

/* True when the projection names attr (of schema) itself, or one of its sub-attributes when
 * sub_too; *whole is set when attr is named without a sub-attribute. */
static bool named(const struct scim_projection *p, const struct scim_schema *schema,
                  const struct scim_attr *attr, bool *whole)
{
    bool found = false;
    *whole = false;
    for (size_t i = 0; i < p->n; i++) {
        /* An item without attr names its whole schema (a URN alone). */
        if (p->items[i].schema != schema || (p->items[i].attr && p->items[i].attr != attr))
            continue;
        found = true;
        if (!p->items[i].sub)
            *whole = true;
    }
    return found;
}

static bool sub_named(const struct scim_projection *p, const struct scim_attr *attr,
                      const struct scim_attr *sub)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].attr == attr && p->items[i].sub == sub)
            return true;
    return false;
}

/* Keeps or drops the sub-attributes of one complex value (an object) per the projection. */
static void project_complex_value(const struct scim_projection *p, const struct scim_attr *attr,
                                  json_t *value)
{
    for (size_t i = 0; i < attr->n_sub_attrs; i++) {
        const struct scim_attr *sub = &attr->sub_attrs[i];
        if (!json_object_get(value, sub->name))
            continue;
        bool listed = sub_named(p, attr, sub);
        bool keep = sub->returned == SCIM_RET_ALWAYS || (p->include == 1 ? listed : !listed);
        if (sub->returned == SCIM_RET_NEVER)
            keep = false;
        if (!keep)
            json_object_del(value, sub->name);
    }
}

bool scim_projection_keeps(const struct scim_projection *p, const struct scim_schema *schema,
                           const struct scim_attr *attr)
{
    if (attr->returned == SCIM_RET_NEVER)
        return false;
    if (attr->returned == SCIM_RET_ALWAYS)
        return true;
    bool whole = false;
    bool listed = p && p->include >= 0 && named(p, schema, attr, &whole);
    if (p && p->include == 1)
        return listed;
    if (p && p->include == 0)
        return !(listed && whole);
    return attr->returned != SCIM_RET_REQUEST;
}

static void project_attr(const struct scim_projection *p, const struct scim_schema *schema,
                         const struct scim_attr *attr, json_t *holder)
{
    json_t *value = json_object_get(holder, attr->name);
    if (!value)
        return;
    if (!scim_projection_keeps(p, schema, attr)) {
        json_object_del(holder, attr->name);
        return;
    }
    bool whole = false;
    bool listed =
        attr->returned != SCIM_RET_ALWAYS && p->include >= 0 && named(p, schema, attr, &whole);
    if (!listed || whole || attr->type != SCIM_ATTR_COMPLEX)
        return;
    /* Only some sub-attributes are named: filter inside the value(s). A value left without any
     * sub-attribute is unassigned, so it disappears rather than showing as {}. */
    if (json_is_array(value)) {
        for (size_t i = json_array_size(value); i-- > 0;) {
            json_t *element = json_array_get(value, i);
            project_complex_value(p, attr, element);
            if (json_is_object(element) && json_object_size(element) == 0)
                json_array_remove(value, i);
        }
        if (json_array_size(value) == 0)
            json_object_del(holder, attr->name);
    } else {
        project_complex_value(p, attr, value);
        if (json_is_object(value) && json_object_size(value) == 0)
            json_object_del(holder, attr->name);
    }
}

void scim_projection_apply(const struct scim_resource_type *rt, const struct scim_projection *p,
                           json_t *resource)
{
    size_t n_common;
    const struct scim_attr *common = scim_schema_common_attrs(&n_common);
    for (size_t i = 0; i < n_common; i++)
        project_attr(p, NULL, &common[i], resource);
    for (size_t i = 0; i < rt->schema->n_attrs; i++)
        project_attr(p, rt->schema, &rt->schema->attrs[i], resource);
    for (size_t e = 0; e < rt->n_extensions; e++) {
        const struct scim_schema *ext = rt->extensions[e].schema;
        json_t *holder = container(rt, resource, ext);
        if (!holder)
            continue;
        for (size_t i = 0; i < ext->n_attrs; i++)
            project_attr(p, ext, &ext->attrs[i], holder);
        if (json_object_size(holder) == 0)
            json_object_del(resource, ext->id);
    }
}
