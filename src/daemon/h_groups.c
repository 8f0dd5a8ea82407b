/*
 * h_groups — what the Group endpoints (RFC 7643 §4.2; RFC 7644 §3.3, §3.5.1, §3.5.2) do beyond
 * the generic handlers of h_resources.c, because membership is rows in the store, never an array
 * in the group's document (store_groups.h):
 *   - POST and PUT move "members" out of the normalised document into member references; PUT
 *     sets the members, so that the store writes only the difference.
 *   - PATCH takes a fast path for operations on "members" (add with any number of values, remove
 *     by members[value eq "id"] or Entra ID's value list, remove all, replace): they become
 *     membership changes applied in one transaction, without loading or rewriting the member
 *     list; operations on other attributes (displayName, externalId) go through the PATCH engine
 *     on the document. An operation on members the fast path does not cover (a filter on display
 *     or type, a sub-attribute path) falls back to the engine on the document with its members,
 *     and the result is written as a SET. A successful PATCH answers 204 unless the request asks
 *     for attributes or excludedAttributes (then 200 with the resource).
 *   - Rendering adds what is computed from membership rows, and only when the response includes
 *     it (projection): a Group's "members", a User's "groups" (direct and indirect) and its
 *     effective "roles" (roles.h), each with "$ref" where RFC 7643 defines it.
 * Deviation from the engine, on purpose: removing a member that is not in the group (by filter or
 * by value) is not an error, so that an IdP's retried removal succeeds.
 * Owns: the classification of Group PATCH operations. Must not: build SQL or validate documents
 * itself (resource.c does).
 */
#include "handlers.h"

#include "audit.h"
#include "dialect.h"
#include "filter.h"
#include "json.h"
#include "list.h"
#include "log.h"
#include "mem.h"
#include "patch.h"
#include "path.h"
#include "resource.h"
#include "roles.h"
#include "store_groups.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* As in h_resources.c: how often a write is retried when another writer changed the group. */
#define WRITE_ATTEMPTS 32
/* At most this many member ids of one operation are named in an audit row. */
#define AUDIT_IDS_MAX 100

bool scim_groups_is_group(const struct scim_resource_type *rt)
{
    return rt && strcmp(rt->name, "Group") == 0;
}

static bool is_user(const struct scim_resource_type *rt)
{
    return rt && strcmp(rt->name, "User") == 0;
}

static const struct scim_attr *core_attr(const struct scim_resource_type *rt, const char *name)
{
    return scim_attr_find(rt->schema->attrs, rt->schema->n_attrs, name);
}

/* True when a response projected with p includes the core attribute attr. */
static bool wants(const struct scim_resource_type *rt, const struct scim_projection *p,
                  const struct scim_attr *attr)
{
    return attr && scim_projection_keeps(p, rt->schema, attr);
}

unsigned scim_derive_wanted(const struct scim_resource_type *rt, const struct scim_projection *p)
{
    unsigned what = 0;
    if (scim_groups_is_group(rt) && wants(rt, p, core_attr(rt, "members")))
        what |= SCIM_DERIVE_MEMBERS;
    if (is_user(rt) && wants(rt, p, core_attr(rt, "groups")))
        what |= SCIM_DERIVE_GROUPS;
    if (is_user(rt) && wants(rt, p, core_attr(rt, "roles")))
        what |= SCIM_DERIVE_ROLES;
    return what;
}

/* Adds "$ref" (base_url + endpoint + "/" + value) to every element of list; the endpoint is
 * fixed, or taken from each element's "type" ("User" or "Group") when endpoint is NULL. */
static void add_refs(const char *base_url, json_t *list, const char *endpoint)
{
    size_t base_len = strlen(base_url);
    if (base_len > 0 && base_url[base_len - 1] == '/')
        base_len--;
    size_t i;
    json_t *e;
    json_array_foreach (list, i, e) {
        const char *value = json_string_value(json_object_get(e, "value"));
        if (!value)
            continue;
        const char *ep = endpoint;
        if (!ep) {
            const char *type = json_string_value(json_object_get(e, "type"));
            ep = type && strcmp(type, "Group") == 0 ? "/Groups" : "/Users";
        }
        /* Built in a stack buffer: a full GET of a large group does this per member. */
        char ref[1024];
        int n = snprintf(ref, sizeof(ref), "%.*s%s/%s", (int)base_len, base_url, ep, value);
        if (n > 0 && (size_t)n < sizeof(ref))
            json_object_set_new_nocheck(e, "$ref", json_stringn_nocheck(ref, (size_t)n));
    }
}

int scim_derive_fill(struct scim_request *req, const struct scim_resource_type *rt,
                     const struct scim_projection *p, const char *const *ids, json_t *const *docs,
                     size_t n, struct scim_err *err)
{
    unsigned what = scim_derive_wanted(rt, p);
    if (!what || n == 0)
        return 0;
    int rc =
        scim_store_derive(req->ctx->store, &req->auth.tenant, rt->name, ids, docs, n, what, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        add_refs(req->base_url, json_object_get(docs[i], "members"), NULL);
        add_refs(req->base_url, json_object_get(docs[i], "groups"), "/Groups");
    }
    return 0;
}

int scim_derive_fill_resource(struct scim_request *req, const struct scim_resource_type *rt,
                              const struct scim_projection *p, const struct scim_resource *res,
                              json_t *doc, struct scim_err *err)
{
    if (!res->derived) {
        const char *ids[1] = {res->id};
        return scim_derive_fill(req, rt, p, ids, &doc, 1, err);
    }
    scim_store_derived_apply(res->derived, doc, scim_derive_wanted(rt, p));
    add_refs(req->base_url, json_object_get(doc, "groups"), "/Groups");
    return 0;
}

/* ---- responses ----------------------------------------------------------------------------- */

/* Responds with the group res rendered with what p asks for (members from the rows). */
static int respond_group(struct scim_request *req, const struct scim_resource_type *rt,
                         const struct scim_projection *p, const struct scim_resource *res,
                         int status, struct scim_err *err)
{
    json_t *doc = scim_resource_render(rt, res, req->base_url);
    const char *ids[1] = {res->id};
    int rc = scim_derive_fill(req, rt, p, ids, &doc, 1, err);
    if (rc < 0) {
        json_decref(doc);
        return rc;
    }
    scim_projection_apply(rt, p, doc);
    scim_request_resource_headers(req, rt, res);
    scim_request_respond(req, status, doc);
    return 0;
}

static int busy(struct scim_err *err)
{
    return scim_err_set(err, 409, NULL,
                        "The resource is being changed by other requests; retry the request.");
}

/* ---- member references ----------------------------------------------------------------------- */

/* A growable list of member references; the strings are borrowed from JSON the caller keeps. */
struct refs {
    struct scim_member_ref *v;
    size_t n, cap;
};

static void refs_push(struct refs *r, const char *value, enum scim_member_type type)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->v = scim_realloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n++] = (struct scim_member_ref){value, type};
}

static void refs_clear(struct refs *r)
{
    scim_free(r->v);
    memset(r, 0, sizeof(*r));
}

/* Appends one member object's reference: "value" (the id) and the optional "type". */
static int ref_from_object(const json_t *m, const char *where, struct refs *out,
                           struct scim_err *err)
{
    const json_t *value = scim_json_get_ci(m, "value");
    if (!json_is_object(m) || !json_is_string(value) || json_string_length(value) == 0)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "%s: each member is an object with a \"value\" holding the id of a "
                            "User or Group",
                            where);
    const json_t *type = scim_json_get_ci(m, "type");
    enum scim_member_type t = SCIM_MEMBER_UNTYPED;
    if (json_is_string(type) && strcasecmp(json_string_value(type), "User") == 0)
        t = SCIM_MEMBER_USER;
    else if (json_is_string(type) && strcasecmp(json_string_value(type), "Group") == 0)
        t = SCIM_MEMBER_GROUP;
    else if (type && !json_is_null(type))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "%s: a member's \"type\" is \"User\" or \"Group\"", where);
    refs_push(out, json_string_value(value), t);
    return 0;
}

/* Appends the references of value: an array of member objects, or one member object. */
static int refs_from_value(const json_t *value, const char *where, struct refs *out,
                           struct scim_err *err)
{
    if (json_is_object(value))
        return ref_from_object(value, where, out, err);
    if (!json_is_array(value))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "%s: members are given as a list of {\"value\": \"<id>\"} objects",
                            where);
    size_t i;
    const json_t *m;
    json_array_foreach (value, i, m) {
        int rc = ref_from_object(m, where, out, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * Moves "members" out of a normalised group document: *members receives the array (new
 * reference, or NULL when there is none) that out's strings point into.
 */
static int members_take(json_t *doc, json_t **members, struct refs *out, struct scim_err *err)
{
    *members = json_incref(json_object_get(doc, "members"));
    json_object_del(doc, "members");
    return *members ? refs_from_value(*members, "members", out, err) : 0;
}

/* ---- audit ---------------------------------------------------------------------------------- */

static const char *op_name(enum scim_members_op op)
{
    switch (op) {
    case SCIM_MEMBERS_ADD:
        return "add";
    case SCIM_MEMBERS_REMOVE:
        return "remove";
    case SCIM_MEMBERS_REMOVE_ALL:
        return "remove-all";
    case SCIM_MEMBERS_SET:
        return "set";
    }
    return "?";
}

/*
 * The diff of a group write for its audit row (new reference or NULL): the document diff of
 * audit.h plus "members": the membership changes requested, each {"op", "count", "value": the
 * first AUDIT_IDS_MAX ids}.
 */
static json_t *group_diff(const struct scim_request *req, const json_t *before, const json_t *after,
                          const struct scim_members_change *changes, size_t n)
{
    json_t *diff = before || after ? scim_audit_diff(before, after, false, &req->dialect) : NULL;
    if (n == 0)
        return diff;
    if (!diff)
        diff = json_object();
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *ids = json_array();
        for (size_t k = 0; k < changes[i].n && k < AUDIT_IDS_MAX; k++)
            json_array_append_new(ids, json_string(changes[i].refs[k].value));
        json_array_append_new(list, json_pack("{s:s,s:I,s:o}", "op", op_name(changes[i].op),
                                              "count", (json_int_t)changes[i].n, "value", ids));
    }
    json_object_set_new(diff, "members", list);
    return diff;
}

/* Logs the member ids a write skipped because the tenant's unknown_members is "skip" (the
 * store puts them into the write's audit row: skipped_members, skipped_count). */
static void note_skipped(struct scim_request *req, const char *group_id,
                         const struct scim_members_report *rep)
{
    for (size_t i = 0; i < rep->n_skipped; i++)
        scim_log(SCIM_LOG_WARN,
                 "group member skipped: no User or Group has this id tenant=%s group=%s "
                 "member=%.100s request_id=%s",
                 req->auth.tenant.name, group_id, rep->skipped[i], req->request_id);
}

/* ---- POST and PUT -----------------------------------------------------------------------------
 */

int scim_h_group_create(struct scim_request *req, struct scim_err *err)
{
    const struct scim_resource_type *rt = req->route_data;
    json_t *body = NULL, *normalized = NULL, *doc = NULL, *members = NULL;
    struct refs refs = {0};
    struct scim_resource res = {0};
    struct scim_members_report rep = {0};
    struct scim_projection p;
    int rc = scim_request_projection(req, rt, &p, err);
    if (rc < 0)
        return rc;
    rc = scim_request_json(req, &body, err);
    if (rc < 0)
        goto out;
    rc = scim_dialect_normalize_resource(rt, body, &normalized, &req->dialect, err);
    if (rc < 0)
        goto out;
    rc = scim_request_unknown_attributes(req, rt, false, &normalized, err);
    if (rc < 0)
        goto out;
    rc = scim_resource_normalize(rt, normalized, SCIM_WRITE_CREATE, NULL, &doc, NULL, err);
    if (rc < 0)
        goto out;
    rc = members_take(doc, &members, &refs, err);
    if (rc < 0)
        goto out;
    struct scim_members_change add = {SCIM_MEMBERS_ADD, refs.v, refs.n};
    json_t *diff = group_diff(req, NULL, doc, &add, refs.n ? 1 : 0);
    struct scim_audit_row row;
    scim_audit_row_init(&row, req, 201, diff);
    json_decref(diff);
    rc = scim_store_group_create(req->ctx->store, &req->auth.tenant, doc, refs.v, refs.n, &res,
                                 &rep, &row.e, err);
    scim_audit_row_clear(&row);
    if (rc < 0)
        goto out;
    req->audit.written = true;
    snprintf(req->audit.resource_id, sizeof(req->audit.resource_id), "%s", res.id);
    note_skipped(req, res.id, &rep);
    rc = respond_group(req, rt, &p, &res, 201, err);
out:
    scim_members_report_clear(&rep);
    scim_resource_clear(&res);
    refs_clear(&refs);
    json_decref(members);
    json_decref(doc);
    json_decref(normalized);
    json_decref(body);
    scim_projection_clear(&p);
    return rc;
}

int scim_h_group_replace(struct scim_request *req, struct scim_err *err)
{
    const struct scim_resource_type *rt = req->route_data;
    json_t *body = NULL, *normalized = NULL, *doc = NULL, *members = NULL;
    struct refs refs = {0};
    struct scim_resource current = {0}, updated = {0};
    struct scim_members_report rep = {0};
    struct scim_projection p;
    int64_t required = -1;
    int rc = scim_request_projection(req, rt, &p, err);
    if (rc < 0)
        return rc;
    rc = scim_request_json(req, &body, err);
    if (rc < 0)
        goto out;
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        scim_resource_clear(&current);
        json_decref(normalized);
        json_decref(doc);
        json_decref(members);
        normalized = doc = members = NULL;
        refs_clear(&refs);
        rc = scim_store_resource_get(req->ctx->store, &req->auth.tenant, rt->name, req->params[0],
                                     &current, err);
        if (rc < 0)
            goto out;
        rc = scim_request_write_precondition(req, current.version, &required, err);
        if (rc < 0)
            goto out;
        scim_dialect_report_clear(&req->dialect);
        rc = scim_dialect_normalize_resource(rt, body, &normalized, &req->dialect, err);
        if (rc < 0)
            goto out;
        rc = scim_request_unknown_attributes(req, rt, false, &normalized, err);
        if (rc < 0)
            goto out;
        rc = scim_resource_normalize(rt, normalized, SCIM_WRITE_REPLACE, current.doc, &doc, NULL,
                                     err);
        if (rc < 0)
            goto out;
        rc = members_take(doc, &members, &refs, err);
        if (rc < 0)
            goto out;
        /* PUT replaces the member list: the store writes only the difference (RFC 7644 §3.5.1). */
        bool doc_changed = !json_equal(doc, current.doc);
        struct scim_members_change set = {SCIM_MEMBERS_SET, refs.v, refs.n};
        json_t *diff = group_diff(req, current.doc, doc_changed ? doc : current.doc, &set, 1);
        struct scim_audit_row row;
        scim_audit_row_init(&row, req, 200, diff);
        json_decref(diff);
        rc =
            scim_store_group_modify(req->ctx->store, &req->auth.tenant, current.id, current.version,
                                    doc_changed ? doc : NULL, &set, 1, &updated, &rep, &row.e, err);
        scim_audit_row_clear(&row);
        if (rc == SCIM_EPRECONDITION && required < 0)
            continue;
        if (rc < 0)
            goto out;
        req->audit.written = true;
        note_skipped(req, current.id, &rep);
        rc = respond_group(req, rt, &p, &updated, 200, err);
        goto out;
    }
    rc = busy(err);
out:
    scim_members_report_clear(&rep);
    scim_resource_clear(&current);
    scim_resource_clear(&updated);
    refs_clear(&refs);
    json_decref(members);
    json_decref(doc);
    json_decref(normalized);
    json_decref(body);
    scim_projection_clear(&p);
    return rc;
}

/* ---- PATCH ------------------------------------------------------------------------------------
 */

enum op_kind { OP_ADD, OP_REMOVE, OP_REPLACE };

/* A Group PATCH split into membership changes and operations for the engine. */
struct plan {
    json_t *doc_ops;   /* owned array of the operations on other attributes */
    json_t *doc_index; /* owned array: the request's index of each doc_ops entry (for errors) */
    struct scim_members_change *changes; /* owned array; each refs array owned */
    size_t n_changes, cap;
    json_t *keep; /* owned array of the JSON strings that refs point into (from filters) */
    bool slow;    /* an operation on members the fast path does not cover: use the engine */
};

static void plan_clear(struct plan *plan)
{
    for (size_t i = 0; i < plan->n_changes; i++)
        scim_free((void *)plan->changes[i].refs);
    scim_free(plan->changes);
    json_decref(plan->doc_ops);
    json_decref(plan->doc_index);
    json_decref(plan->keep);
    memset(plan, 0, sizeof(*plan));
}

/* Appends a membership change; the refs array is taken over (refs is emptied). */
static void plan_push(struct plan *plan, enum scim_members_op op, struct refs *refs)
{
    if (plan->n_changes == plan->cap) {
        plan->cap = plan->cap ? plan->cap * 2 : 4;
        plan->changes = scim_realloc(plan->changes, plan->cap * sizeof(*plan->changes));
    }
    plan->changes[plan->n_changes++] = (struct scim_members_change){op, refs->v, refs->n};
    memset(refs, 0, sizeof(*refs));
}

/*
 * Collects the ids of a removal filter that is "value eq "id"" or several of them joined by or
 * (Okta and Entra ID with aadOptscim062020 send one). False for anything else.
 */
static bool filter_ids(const struct scim_filter *f, struct refs *out, json_t *keep)
{
    if (f->kind == SCIM_FILTER_OR)
        return filter_ids(f->left, out, keep) && filter_ids(f->right, out, keep);
    if (f->kind != SCIM_FILTER_COMPARE || f->op != SCIM_OP_EQ || !f->path.sub ||
        strcmp(f->path.sub->name, "value") != 0 || !json_is_string(f->value))
        return false;
    json_array_append(keep, f->value);
    refs_push(out, json_string_value(f->value), SCIM_MEMBER_UNTYPED);
    return true;
}

/* True when value clears its target in add/replace (null or "", as the engine treats them). */
static bool clears(const json_t *value)
{
    return json_is_null(value) || (json_is_string(value) && json_string_length(value) == 0);
}

/* Turns one operation on "members" as a whole (value: the members, NULL when absent) into a
 * membership change. */
static int plan_members(struct plan *plan, enum op_kind kind, const json_t *value,
                        const char *where, struct scim_err *err)
{
    struct refs refs = {0};
    int rc = 0;
    if (kind == OP_REMOVE) {
        if (!value || json_is_null(value)) {
            plan_push(plan, SCIM_MEMBERS_REMOVE_ALL, &refs);
            return 0;
        }
        /* Entra ID's remove with a value list (entra.remove-members-by-value). */
        rc = refs_from_value(value, where, &refs, err);
        if (rc == 0)
            plan_push(plan, SCIM_MEMBERS_REMOVE, &refs);
    } else if (!value) {
        plan->slow = true; /* add/replace without a value: the engine says what is wrong */
    } else if (clears(value) || (json_is_array(value) && json_array_size(value) == 0)) {
        if (kind == OP_REPLACE || clears(value))
            plan_push(plan, SCIM_MEMBERS_SET, &refs);
    } else {
        rc = refs_from_value(value, where, &refs, err);
        if (rc == 0)
            plan_push(plan, kind == OP_ADD ? SCIM_MEMBERS_ADD : SCIM_MEMBERS_SET, &refs);
    }
    refs_clear(&refs);
    return rc;
}

/* True when a no-path value key addresses members some other way than "members" itself. */
static bool other_members_key(const char *key)
{
    if (strncasecmp(key, "members", 7) == 0)
        return true; /* "members.value", "members[...]" */
    return strncasecmp(key, "urn:", 4) == 0 && strcasestr(key, "members") != NULL;
}

/* Classifies one operation with a path. */
static int plan_path_op(const struct scim_resource_type *rt, struct plan *plan, const json_t *op,
                        enum op_kind kind, const json_t *path, const json_t *value,
                        const char *where, struct scim_err *err)
{
    struct scim_path p;
    struct scim_err ignored;
    int rc = 0;
    if (!json_is_string(path) ||
        scim_path_parse(rt, json_string_value(path), json_string_length(path),
                        SCIM_PATH_ALLOW_FILTER, &p, &ignored) < 0) {
        plan->slow = true; /* the engine reports the bad path */
        return 0;
    }
    if (p.attr != core_attr(rt, "members")) {
        json_array_append(plan->doc_ops, (json_t *)op);
    } else if (!p.filter && !p.sub) {
        rc = plan_members(plan, kind, value, where, err);
    } else if (kind == OP_REMOVE && p.filter && !p.sub) {
        struct refs refs = {0};
        if (filter_ids(p.filter, &refs, plan->keep))
            plan_push(plan, SCIM_MEMBERS_REMOVE, &refs);
        else
            plan->slow = true;
        refs_clear(&refs);
    } else {
        plan->slow = true;
    }
    scim_path_clear(&p);
    return rc;
}

/*
 * Classifies one operation without a path: its value is an object of attributes. Okta renames a
 * group with {"op": "replace", "value": {"id": "<the group's id>", "displayName": "..."}}: an "id"
 * equal to the group's own (group_id) changes nothing and is dropped instead of failing as a
 * write of a readOnly attribute; any other id is left for the engine to refuse.
 */
static int plan_value_op(struct plan *plan, const json_t *op, const char *name, enum op_kind kind,
                         const json_t *value, const char *group_id, const char *where,
                         struct scim_err *err)
{
    if (!json_is_object(value) || kind == OP_REMOVE) {
        plan->slow = true;
        return 0;
    }
    const json_t *members = NULL;
    json_t *rest = json_object();
    const char *key;
    json_t *v;
    bool echo = false;
    json_object_foreach ((json_t *)value, key, v) {
        if (strcasecmp(key, "members") == 0)
            members = v;
        else if (other_members_key(key))
            plan->slow = true;
        else if (strcasecmp(key, "id") == 0 && json_is_string(v) &&
                 strcmp(json_string_value(v), group_id) == 0)
            echo = true;
        else
            json_object_set(rest, key, v);
    }
    int rc = 0;
    if (!members && !echo)
        json_array_append(plan->doc_ops, (json_t *)op);
    else if (json_object_size(rest) > 0)
        json_array_append_new(plan->doc_ops, json_pack("{s:s,s:O}", "op", name, "value", rest));
    if (members && !plan->slow)
        rc = plan_members(plan, kind, members, where, err);
    json_decref(rest);
    return rc;
}

/*
 * Splits the (dialect-normalised) PatchOp body into plan. A body the fast path cannot take
 * (malformed, or an operation on members it does not cover) sets plan->slow; member values of
 * the wrong shape are a 400 here.
 */
static int plan_build(const struct scim_resource_type *rt, const json_t *body, size_t max_ops,
                      const char *group_id, struct plan *plan, struct scim_err *err)
{
    memset(plan, 0, sizeof(*plan));
    plan->doc_ops = json_array();
    plan->doc_index = json_array();
    plan->keep = json_array();
    const json_t *ops = scim_json_get_ci(body, "Operations");
    if (!json_is_array(ops) || json_array_size(ops) == 0 ||
        (max_ops && json_array_size(ops) > max_ops)) {
        plan->slow = true;
        return 0;
    }
    size_t i;
    const json_t *op;
    json_array_foreach (ops, i, op) {
        const char *name = json_string_value(scim_json_get_ci(op, "op"));
        enum op_kind kind = OP_ADD;
        if (name && strcasecmp(name, "add") == 0)
            kind = OP_ADD;
        else if (name && strcasecmp(name, "remove") == 0)
            kind = OP_REMOVE;
        else if (name && strcasecmp(name, "replace") == 0)
            kind = OP_REPLACE;
        else
            plan->slow = true;
        if (plan->slow)
            return 0;
        char where[40];
        snprintf(where, sizeof(where), "Operations[%zu]", i);
        const json_t *path = scim_json_get_ci(op, "path");
        const json_t *value = scim_json_get_ci(op, "value");
        int rc = path && !json_is_null(path)
                     ? plan_path_op(rt, plan, op, kind, path, value, where, err)
                     : plan_value_op(plan, op, name, kind, value, group_id, where, err);
        if (rc < 0)
            return rc;
        while (json_array_size(plan->doc_index) < json_array_size(plan->doc_ops))
            json_array_append_new(plan->doc_index, json_integer((json_int_t)i));
        if (plan->slow)
            return 0;
    }
    return 0;
}

/* The engine numbers the operations it was given; an error names the request's own index
 * ("Operations[1]: ..."), from doc_index. */
static void renumber_error(const struct plan *plan, struct scim_err *err)
{
    static const char prefix[] = "Operations[";
    if (strncmp(err->detail, prefix, sizeof(prefix) - 1) != 0)
        return;
    char *end = NULL;
    errno = 0;
    unsigned long long k = strtoull(err->detail + sizeof(prefix) - 1, &end, 10);
    if (errno || !end || *end != ']' || k >= json_array_size(plan->doc_index))
        return;
    int consumed = (int)(end + 1 - err->detail);
    char index[32];
    int n = snprintf(index, sizeof(index), "Operations[%lld]",
                     (long long)json_integer_value(json_array_get(plan->doc_index, k)));
    size_t rest = strlen(err->detail + consumed);
    if (n <= 0 || (size_t)n + rest >= sizeof(err->detail))
        return;
    memmove(err->detail + n, err->detail + consumed, rest + 1);
    memcpy(err->detail, index, (size_t)n);
}

/* Applies a PatchOp request to doc with the engine (RFC 7644 §3.5.2); *out is the normalised
 * result, or NULL when it equals doc. */
static int apply_engine(const struct scim_request *req, const struct scim_resource_type *rt,
                        const json_t *doc, const json_t *request, json_t **out,
                        struct scim_err *err)
{
    struct scim_patch_limits limits = {(size_t)req->ctx->cfg->patch_max_operations};
    json_t *patched = NULL;
    bool changed = false;
    *out = NULL;
    int rc = scim_patch_apply(rt, doc, request, &limits, &patched, &changed, err);
    if (rc == 0 && changed)
        rc = scim_resource_normalize(rt, patched, SCIM_WRITE_REPLACE, doc, out, NULL, err);
    if (rc == 0 && *out && json_equal(*out, doc)) {
        json_decref(*out);
        *out = NULL;
    }
    json_decref(patched);
    return rc;
}

/*
 * The fast path: membership changes as indexed writes; operations on other attributes through the
 * engine on the document (read-modify-write with the version checked in the store). Without such
 * operations the group's document is never read.
 */
static int patch_fast(struct scim_request *req, const struct scim_resource_type *rt,
                      const struct plan *plan, int status, struct scim_resource *updated,
                      struct scim_err *err)
{
    struct scim_resource current = {0};
    struct scim_members_report rep = {0};
    json_t *doc = NULL;
    bool with_doc = json_array_size(plan->doc_ops) > 0;
    /* Conditional headers need the current version; a plain member change reads nothing. */
    bool read_current = with_doc || scim_request_is_conditional(req);
    int64_t required = -1;
    int rc = 0;
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        scim_resource_clear(&current);
        json_decref(doc);
        doc = NULL;
        int64_t expected = -1;
        if (read_current) {
            rc = scim_store_resource_get(req->ctx->store, &req->auth.tenant, rt->name,
                                         req->params[0], &current, err);
            if (rc < 0)
                goto out;
            rc = scim_request_write_precondition(req, current.version, &required, err);
            if (rc < 0)
                goto out;
            expected = current.version;
        }
        if (with_doc) {
            json_t *request = json_pack("{s:[s],s:O}", "schemas", SCIM_SCHEMA_PATCH_OP,
                                        "Operations", plan->doc_ops);
            rc = apply_engine(req, rt, current.doc, request, &doc, err);
            json_decref(request);
            if (rc < 0) {
                renumber_error(plan, err);
                goto out;
            }
        }
        json_t *diff =
            group_diff(req, doc ? current.doc : NULL, doc, plan->changes, plan->n_changes);
        struct scim_audit_row row;
        scim_audit_row_init(&row, req, status, diff);
        json_decref(diff);
        rc = scim_store_group_modify(req->ctx->store, &req->auth.tenant, req->params[0], expected,
                                     doc, plan->changes, plan->n_changes, updated, &rep, &row.e,
                                     err);
        scim_audit_row_clear(&row);
        if (rc == SCIM_EPRECONDITION && required < 0 && with_doc)
            continue;
        if (rc < 0)
            goto out;
        req->audit.written = true;
        note_skipped(req, updated->id, &rep);
        goto out;
    }
    rc = busy(err);
out:
    scim_members_report_clear(&rep);
    scim_resource_clear(&current);
    json_decref(doc);
    return rc;
}

/*
 * The general path, for member operations the fast path does not cover: the engine runs on the
 * document with its members (read from the rows), and the resulting member list is written as
 * a SET (only the difference), with the version checked.
 */
static int patch_slow(struct scim_request *req, const struct scim_resource_type *rt,
                      const json_t *body, int status, struct scim_resource *updated,
                      struct scim_err *err)
{
    int64_t required = -1;
    struct scim_resource current = {0};
    struct scim_members_report rep = {0};
    struct refs refs = {0};
    json_t *full = NULL, *doc = NULL, *members = NULL;
    int rc = 0;
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        scim_resource_clear(&current);
        json_decref(full);
        json_decref(doc);
        json_decref(members);
        full = doc = members = NULL;
        refs_clear(&refs);
        rc = scim_store_resource_get(req->ctx->store, &req->auth.tenant, rt->name, req->params[0],
                                     &current, err);
        if (rc < 0)
            goto out;
        rc = scim_request_write_precondition(req, current.version, &required, err);
        if (rc < 0)
            goto out;
        full = json_deep_copy(current.doc);
        const char *ids[1] = {current.id};
        rc = scim_store_derive(req->ctx->store, &req->auth.tenant, rt->name, ids, &full, 1,
                               SCIM_DERIVE_MEMBERS, err);
        if (rc < 0)
            goto out;
        rc = apply_engine(req, rt, full, body, &doc, err);
        if (rc < 0)
            goto out;
        if (!doc) {
            /* Nothing changed: version and lastModified stay. */
            *updated = current;
            memset(&current, 0, sizeof(current));
            goto out;
        }
        rc = members_take(doc, &members, &refs, err);
        if (rc < 0)
            goto out;
        bool doc_changed = !json_equal(doc, current.doc);
        struct scim_members_change set = {SCIM_MEMBERS_SET, refs.v, refs.n};
        json_t *diff = group_diff(req, current.doc, doc_changed ? doc : current.doc, &set, 1);
        struct scim_audit_row row;
        scim_audit_row_init(&row, req, status, diff);
        json_decref(diff);
        rc =
            scim_store_group_modify(req->ctx->store, &req->auth.tenant, current.id, current.version,
                                    doc_changed ? doc : NULL, &set, 1, updated, &rep, &row.e, err);
        scim_audit_row_clear(&row);
        if (rc == SCIM_EPRECONDITION && required < 0)
            continue;
        if (rc < 0)
            goto out;
        req->audit.written = true;
        note_skipped(req, current.id, &rep);
        goto out;
    }
    rc = busy(err);
out:
    scim_members_report_clear(&rep);
    scim_resource_clear(&current);
    refs_clear(&refs);
    json_decref(members);
    json_decref(doc);
    json_decref(full);
    return rc;
}

int scim_h_group_patch(struct scim_request *req, struct scim_err *err)
{
    const struct scim_resource_type *rt = req->route_data;
    json_t *body = NULL, *normalized = NULL;
    struct scim_resource updated = {0};
    struct plan plan = {0};
    struct scim_projection p;
    int rc = scim_request_projection(req, rt, &p, err);
    if (rc < 0)
        return rc;
    /* RFC 7644 §3.5.2: 204 unless the client asks for the resource with attributes or
     * excludedAttributes (naming something: "attributes=" is as if absent); a 100,000-member
     * group is then never rendered for a PATCH. */
    bool with_body = p.include >= 0;
    int status = with_body ? 200 : 204;
    rc = scim_request_json(req, &body, err);
    if (rc < 0)
        goto out;
    /* The envelope first, as for a User: the member fast path below has its own engine. */
    rc = scim_patch_check_message(body, err);
    if (rc < 0)
        goto out;
    scim_dialect_report_clear(&req->dialect);
    rc = scim_dialect_normalize_patch(rt, NULL, body, &normalized, &req->dialect, err);
    if (rc < 0)
        goto out;
    rc = scim_request_unknown_attributes(req, rt, true, &normalized, err);
    if (rc < 0)
        goto out;
    rc = plan_build(rt, normalized, (size_t)req->ctx->cfg->patch_max_operations, req->params[0],
                    &plan, err);
    if (rc < 0)
        goto out;
    if (plan.slow)
        rc = patch_slow(req, rt, normalized, status, &updated, err);
    else
        rc = patch_fast(req, rt, &plan, status, &updated, err);
    if (rc < 0)
        goto out;
    if (with_body) {
        rc = respond_group(req, rt, &p, &updated, 200, err);
    } else {
        scim_request_resource_headers(req, rt, &updated);
        scim_request_respond(req, 204, NULL);
    }
out:
    plan_clear(&plan);
    scim_resource_clear(&updated);
    json_decref(normalized);
    json_decref(body);
    scim_projection_clear(&p);
    return rc;
}
