/*
 * roles — group→role mapping rules as pure logic (see roles.h): role names, tenant settings,
 * effective roles merged from the default role, group grants and IdP-written roles, their order
 * and primary role, and the derived entries of a User's "roles" attribute (RFC 7643 §4.1.2).
 * Owns: the merge rules. Must not: know SQL or HTTP.
 */
#include "roles.h"

#include "mem.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The priority of the default role: below every mapping, so it is primary only when alone. */
#define DEFAULT_PRIORITY ((int64_t)SCIM_ROLE_PRIORITY_MIN - 1)
/* The priority of a role the IdP wrote itself. */
#define IDP_PRIORITY 0

int scim_role_name_check(const char *role, struct scim_err *err)
{
    size_t len = role ? strlen(role) : 0;
    if (len == 0 || len > SCIM_ROLE_MAX)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "A role name is 1 to %d bytes of UTF-8.", SCIM_ROLE_MAX);
    if (!scim_text_valid_utf8(role, len))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "A role name must be UTF-8 text.");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)role[i];
        if (c < 0x20 || c == 0x7f)
            return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                                "A role name must not contain control characters.");
    }
    if (role[0] == ' ' || role[len - 1] == ' ')
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "A role name must not start or end with a space: '%.64s'.", role);
    return 0;
}

int scim_tenant_setting_check(const char *name, const char *value, struct scim_err *err)
{
    if (!name || !value)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "A setting needs a name and value.");
    if (strcmp(name, SCIM_SETTING_DEFAULT_ROLE) == 0) {
        if (value[0] == '\0')
            return 0;
        return scim_role_name_check(value, err);
    }
    if (strcmp(name, SCIM_SETTING_UNKNOWN_MEMBERS) == 0) {
        if (strcmp(value, "reject") == 0 || strcmp(value, "skip") == 0)
            return 0;
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "unknown_members is 'reject' or 'skip', not '%.64s'.", value);
    }
    if (strcmp(name, SCIM_SETTING_UNKNOWN_ATTRIBUTES) == 0) {
        if (strcmp(value, "reject") == 0 || strcmp(value, "ignore") == 0)
            return 0;
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "unknown_attributes is 'reject' or 'ignore', not '%.64s'.", value);
    }
    return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                        "Unknown tenant setting '%.64s' (known: " SCIM_SETTING_DEFAULT_ROLE
                        ", " SCIM_SETTING_UNKNOWN_MEMBERS ", " SCIM_SETTING_UNKNOWN_ATTRIBUTES ").",
                        name);
}

/* One role being merged: its name (borrowed), sources and best priority. */
struct merged {
    const char *value;
    size_t len;
    json_t *sources; /* owned array of strings */
    int64_t priority;
};

struct merge {
    struct merged *items; /* owned */
    size_t n, cap;
};

/* True when the sources array already lists source. */
static bool has_source(const json_t *sources, const char *source)
{
    size_t i;
    const json_t *s;
    json_array_foreach (sources, i, s)
        if (strcmp(json_string_value(s), source) == 0)
            return true;
    return false;
}

/* Records that source grants role value[0..len) with priority. */
static void merge_add(struct merge *m, const char *value, size_t len, const char *source,
                      int64_t priority)
{
    struct merged *e = NULL;
    for (size_t i = 0; i < m->n; i++) {
        if (m->items[i].len == len && memcmp(m->items[i].value, value, len) == 0) {
            e = &m->items[i];
            break;
        }
    }
    if (!e) {
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 8;
            m->items = scim_realloc(m->items, m->cap * sizeof(*m->items));
        }
        e = &m->items[m->n++];
        e->value = value;
        e->len = len;
        e->sources = json_array();
        e->priority = priority;
    }
    if (priority > e->priority)
        e->priority = priority;
    if (!has_source(e->sources, source))
        json_array_append_new(e->sources, json_string(source));
}

/* Highest priority first, then by name (bytes), so the order is total and stable. */
static int merged_cmp(const void *a, const void *b)
{
    const struct merged *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->value, y->value, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

/* True when a "roles" element is an entry scim_roles_merge adds (type group or default). */
static bool is_derived(const json_t *element)
{
    const char *type = json_string_value(json_object_get(element, "type"));
    return type && (strcasecmp(type, SCIM_ROLE_TYPE_GROUP) == 0 ||
                    strcasecmp(type, SCIM_ROLE_TYPE_DEFAULT) == 0);
}

json_t *scim_roles_effective(const char *default_role, const struct scim_role_grant *grants,
                             size_t n, const json_t *user_doc)
{
    struct merge m = {0};
    const json_t *roles = json_object_get(user_doc, "roles");
    size_t i;
    const json_t *element;
    json_array_foreach (roles, i, element) {
        const json_t *value = json_object_get(element, "value");
        if (!json_is_string(value) || json_string_length(value) == 0 || is_derived(element))
            continue;
        merge_add(&m, json_string_value(value), json_string_length(value), "idp", IDP_PRIORITY);
    }
    for (i = 0; i < n; i++) {
        if (!grants[i].role || !grants[i].role[0] || !grants[i].group_id)
            continue;
        char *source = scim_asprintf("group:%s", grants[i].group_id);
        merge_add(&m, grants[i].role, strlen(grants[i].role), source, grants[i].priority);
        scim_free(source);
    }
    if (default_role && default_role[0])
        merge_add(&m, default_role, strlen(default_role), "default", DEFAULT_PRIORITY);
    if (m.n > 1)
        qsort(m.items, m.n, sizeof(*m.items), merged_cmp);
    json_t *out = json_array();
    for (i = 0; i < m.n; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "value", json_stringn(m.items[i].value, m.items[i].len));
        json_object_set_new(e, "sources", m.items[i].sources);
        json_object_set_new(e, "priority", json_integer(m.items[i].priority));
        json_array_append_new(out, e);
    }
    scim_free(m.items);
    return out;
}

json_t *scim_roles_response(const char *user_id, const json_t *effective)
{
    json_t *roles = json_array();
    size_t i;
    const json_t *e;
    json_array_foreach (effective, i, e) {
        json_array_append_new(roles, json_pack("{s:O,s:O}", "value", json_object_get(e, "value"),
                                               "sources", json_object_get(e, "sources")));
    }
    const json_t *first = json_object_get(json_array_get(effective, 0), "value");
    return json_pack("{s:s,s:o,s:O}", "user", user_id, "roles", roles, "primary",
                     first ? first : json_null());
}

/* True when the source list names a group. */
static bool from_group(const json_t *sources)
{
    size_t i;
    const json_t *s;
    json_array_foreach (sources, i, s)
        if (strncmp(json_string_value(s), "group:", 6) == 0)
            return true;
    return false;
}

void scim_roles_merge(json_t *user_doc, const json_t *effective)
{
    json_t *roles = json_object_get(user_doc, "roles");
    if (!json_is_array(roles)) {
        /* Keep "roles" ahead of "meta" in a rendered resource: take meta out and put it back. */
        json_t *meta = json_incref(json_object_get(user_doc, "meta"));
        if (meta)
            json_object_del(user_doc, "meta");
        roles = json_array();
        json_object_set_new(user_doc, "roles", roles);
        if (meta)
            json_object_set_new(user_doc, "meta", meta);
    }
    size_t i;
    const json_t *e;
    json_array_foreach (effective, i, e) {
        const json_t *sources = json_object_get(e, "sources");
        if (has_source(sources, "idp"))
            continue;
        json_array_append_new(
            roles, json_pack("{s:O,s:s}", "value", json_object_get(e, "value"), "type",
                             from_group(sources) ? SCIM_ROLE_TYPE_GROUP : SCIM_ROLE_TYPE_DEFAULT));
    }
    if (json_array_size(roles) == 0)
        json_object_del(user_doc, "roles");
}

bool scim_roles_strip_derived(json_t *doc)
{
    json_t *roles = json_object_get(doc, "roles");
    bool removed = false;
    if (!json_is_array(roles))
        return false;
    for (size_t i = json_array_size(roles); i-- > 0;) {
        if (is_derived(json_array_get(roles, i))) {
            json_array_remove(roles, i);
            removed = true;
        }
    }
    if (removed && json_array_size(roles) == 0)
        json_object_del(doc, "roles");
    return removed;
}
