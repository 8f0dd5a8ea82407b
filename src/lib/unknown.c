/*
 * unknown — finds (and, in a copy, drops) the attributes a write names that no schema of its
 * resource type defines. One walker serves both: it counts, and when stripping it deletes what it
 * counted. It mirrors what the validator accepts: "schemas", the common attributes (id,
 * externalId, meta: readOnly or plain), the core schema's attributes and each extension's object
 * under its URN; readOnly attributes are not looked into (their values are ignored anyway).
 */
#include "unknown.h"

#include "json.h"
#include "mem.h"
#include "path.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The state of one walk. */
struct walk {
    const struct scim_resource_type *rt;
    json_t *names; /* where found names go, or NULL */
    bool strip;    /* delete what is found (the body is the walker's own copy) */
    size_t found;
};

/* Records one unknown attribute, named prefix + sep + name (prefix may be NULL). */
static void found(struct walk *w, const char *prefix, const char *sep, const char *name)
{
    w->found++;
    if (!w->names || json_array_size(w->names) >= SCIM_UNKNOWN_MAX_NAMES)
        return;
    char *text = scim_asprintf("%s%s%s", prefix ? prefix : "", prefix ? sep : "", name);
    size_t i;
    json_t *have;
    json_array_foreach (w->names, i, have) {
        if (strcmp(json_string_value(have), text) == 0) {
            scim_free(text);
            return;
        }
    }
    json_array_append_new(w->names, json_string(text));
    scim_free(text);
}

/* Looks into obj, an object of the sub-attributes of complex attr (or of a schema's attributes,
 * attrs[0..n)), and counts the members none of them names. prefix names the object in reports. */
static void walk_members(struct walk *w, const struct scim_attr *attrs, size_t n, json_t *obj,
                         const char *prefix, const char *sep);

/* Looks into v, a value of attr named prefix: complex values (an object, or a list of them)
 * must hold only attr's sub-attributes. */
static void walk_value(struct walk *w, const struct scim_attr *attr, json_t *v, const char *prefix)
{
    if (attr->type != SCIM_ATTR_COMPLEX || attr->mutability == SCIM_MUT_READ_ONLY)
        return;
    if (json_is_object(v)) {
        walk_members(w, attr->sub_attrs, attr->n_sub_attrs, v, prefix, ".");
        return;
    }
    size_t i;
    json_t *el;
    json_array_foreach (v, i, el) {
        if (json_is_object(el))
            walk_members(w, attr->sub_attrs, attr->n_sub_attrs, el, prefix, ".");
    }
}

static void walk_members(struct walk *w, const struct scim_attr *attrs, size_t n, json_t *obj,
                         const char *prefix, const char *sep)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe (obj, tmp, key, v) {
        const struct scim_attr *attr = scim_attr_find(attrs, n, key);
        if (!attr && json_is_null(v))
            continue; /* unassigned: the validator skips it too */
        if (attr) {
            char *name = scim_asprintf("%s%s%s", prefix ? prefix : "", prefix ? sep : "", key);
            walk_value(w, attr, v, name);
            scim_free(name);
            continue;
        }
        found(w, prefix, sep, key);
        if (w->strip)
            json_object_del(obj, key);
    }
}

/* "schemas" of a resource body: URNs that are neither rt's core schema nor an extension. */
static void walk_schemas(struct walk *w, json_t *schemas)
{
    for (size_t i = 0; i < json_array_size(schemas);) {
        const json_t *urn = json_array_get(schemas, i);
        if (!json_is_string(urn) ||
            scim_path_schema(w->rt, json_string_value(urn), json_string_length(urn))) {
            i++;
            continue;
        }
        found(w, "schemas", ":", json_string_value(urn));
        if (w->strip)
            json_array_remove(schemas, i);
        else
            i++;
    }
}

/* A POST/PUT body (validator: resource.c scim_resource_normalize). */
static void walk_resource(struct walk *w, json_t *body)
{
    const struct scim_schema *core = w->rt->schema;
    size_t n_common = 0;
    const struct scim_attr *common = scim_schema_common_attrs(&n_common);
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe (body, tmp, key, v) {
        const struct scim_attr *attr = scim_attr_find(core->attrs, core->n_attrs, key);
        const struct scim_schema *ext = scim_resource_type_extension(w->rt, key);
        if (strcasecmp(key, "schemas") == 0) {
            walk_schemas(w, v);
        } else if (scim_attr_find(common, n_common, key)) {
            continue;
        } else if (attr) {
            walk_value(w, attr, v, attr->name);
        } else if (ext) {
            if (json_is_object(v))
                walk_members(w, ext->attrs, ext->n_attrs, v, ext->id, ":");
        } else if (!json_is_null(v)) {
            found(w, NULL, "", key);
            if (w->strip)
                json_object_del(body, key);
        }
    }
}

enum path_kind { PATH_KNOWN, PATH_SCHEMA, PATH_UNKNOWN, PATH_MALFORMED };

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* True for an attribute name of RFC 7643 §2.1 (ALPHA *(nameChar)), "$ref" included. */
static bool is_name(const char *s, size_t len)
{
    if (len == 0 || !(is_alpha(s[0]) || s[0] == '$'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!(is_alpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* True for "name" or "name.name". */
static bool is_attr_path(const char *s, size_t len)
{
    const char *dot = memchr(s, '.', len);
    if (!dot)
        return is_name(s, len);
    return is_name(s, (size_t)(dot - s)) && is_name(dot + 1, len - (size_t)(dot - s) - 1);
}

/*
 * What a PATCH path (or a no-path value key) text[0..len) names. A whole schema URN is
 * PATH_SCHEMA (*schema set); a well-formed path that resolves is PATH_KNOWN (*p filled), one
 * that does not is PATH_UNKNOWN; anything else is PATH_MALFORMED, left for the engine to refuse.
 * A path with a value filter is unknown only when "attr[filter]" itself is valid (a known
 * multi-valued attribute, a filter that parses) and the sub-attribute after it is not defined:
 * a broken filter, or one on an unknown attribute, is malformed, never dropped.
 */
static enum path_kind classify(const struct scim_resource_type *rt, const char *text, size_t len,
                               struct scim_path *p, const struct scim_schema **schema)
{
    struct scim_err ignored;
    scim_err_clear(&ignored);
    *schema = scim_path_schema(rt, text, len);
    if (*schema)
        return PATH_SCHEMA;
    const char *open = memchr(text, '[', len);
    if (open) {
        const char *close = NULL;
        for (const char *c = text + len; c-- > open;) {
            if (*c == ']') {
                close = c;
                break;
            }
        }
        size_t head = close ? (size_t)(close + 1 - text) : 0;
        if (!close || scim_path_parse(rt, text, head, SCIM_PATH_ALLOW_FILTER, p, &ignored) != 0)
            return PATH_MALFORMED;
        if (head == len)
            return PATH_KNOWN;
        const char *sub = close + 2;
        size_t sub_len = len - head - 1;
        if (close[1] != '.' || !is_name(sub, sub_len)) {
            scim_path_clear(p);
            return PATH_MALFORMED;
        }
        p->sub = scim_attr_findn(p->attr->sub_attrs, p->attr->n_sub_attrs, sub, sub_len);
        if (p->sub)
            return PATH_KNOWN;
        scim_path_clear(p);
        return PATH_UNKNOWN;
    }
    char bare[512];
    if (len >= sizeof(bare))
        return PATH_MALFORMED;
    memcpy(bare, text, len);
    bare[len] = '\0';
    const char *attr_part = bare;
    if (len > 4 && strncasecmp(bare, "urn:", 4) == 0)
        attr_part = strrchr(bare, ':') + 1;
    if (!is_attr_path(attr_part, len - (size_t)(attr_part - bare)))
        return PATH_MALFORMED;
    return scim_path_parse(rt, bare, len, 0, p, &ignored) == 0 ? PATH_KNOWN : PATH_UNKNOWN;
}

static bool walk_target(struct walk *w, const char *text, size_t len, json_t *v);

/* The value of a PATCH at a whole schema URN: its keys are paths within that schema (the engine
 * takes "manager.value" there too), each looked at as "<urn>:<key>". */
static void walk_schema_object(struct walk *w, const struct scim_schema *schema, json_t *obj)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe (obj, tmp, key, v) {
        char *text = scim_asprintf("%s:%s", schema->id, key);
        if (walk_target(w, text, strlen(text), v) && w->strip)
            json_object_del(obj, key);
        scim_free(text);
    }
}

/*
 * One path-or-key of a PATCH with its value v: counts it when unknown (returns true then, so
 * that the caller can drop it), else looks into v as a value of what it names.
 */
static bool walk_target(struct walk *w, const char *text, size_t len, json_t *v)
{
    struct scim_path p;
    const struct scim_schema *schema = NULL;
    memset(&p, 0, sizeof(p));
    enum path_kind kind = classify(w->rt, text, len, &p, &schema);
    bool unknown = kind == PATH_UNKNOWN;
    if (kind == PATH_SCHEMA && json_is_object(v))
        walk_schema_object(w, schema, v);
    if (kind == PATH_KNOWN && !p.sub && v) {
        char name[512];
        walk_value(w, p.attr, v, scim_path_format(&p, name, sizeof(name)));
    }
    if (unknown)
        found(w, NULL, "", text);
    scim_path_clear(&p);
    return unknown;
}

/* A PatchOp body (engine: patch.c). */
static void walk_patch(struct walk *w, json_t *body)
{
    json_t *ops = scim_json_get_ci(body, "Operations");
    for (size_t i = 0; i < json_array_size(ops); i++) {
        json_t *op = json_array_get(ops, i);
        if (!json_is_object(op))
            continue;
        json_t *path = scim_json_get_ci(op, "path");
        json_t *value = scim_json_get_ci(op, "value");
        /* Only well-formed operations: anything else is the engine's 400, never dropped. */
        const char *name = json_string_value(scim_json_get_ci(op, "op"));
        bool remove = name && strcasecmp(name, "remove") == 0;
        if (!name ||
            (!remove && strcasecmp(name, "add") != 0 && strcasecmp(name, "replace") != 0) ||
            (!remove && !value))
            continue;
        if (json_is_string(path)) {
            if (walk_target(w, json_string_value(path), json_string_length(path), value) &&
                w->strip)
                json_array_remove(ops, i--);
            continue;
        }
        if (!json_is_object(value))
            continue;
        const char *key;
        json_t *v;
        void *tmp;
        json_object_foreach_safe (value, tmp, key, v) {
            if (walk_target(w, key, strlen(key), v) && w->strip)
                json_object_del(value, key);
        }
    }
    /* Every operation dropped: one that changes nothing keeps the request valid (a PATCH
     * needs a non-empty list), so it answers with the resource as it is. */
    if (w->strip && json_is_array(ops) && json_array_size(ops) == 0)
        json_array_append_new(ops, json_pack("{s:s, s:{}}", "op", "add", "value"));
}

size_t scim_unknown_find(const struct scim_resource_type *rt, const json_t *body, bool patch,
                         json_t *names)
{
    struct walk w = {.rt = rt, .names = names, .strip = false, .found = 0};
    if (!rt || !json_is_object(body))
        return 0;
    /* Not stripping: nothing is changed, whatever the walker's signatures say. */
    if (patch)
        walk_patch(&w, (json_t *)body);
    else
        walk_resource(&w, (json_t *)body);
    return w.found;
}

json_t *scim_unknown_strip(const struct scim_resource_type *rt, const json_t *body, bool patch,
                           json_t *names)
{
    json_t *copy = json_deep_copy(body);
    struct walk w = {.rt = rt, .names = names, .strip = true, .found = 0};
    if (rt && json_is_object(copy)) {
        if (patch)
            walk_patch(&w, copy);
        else
            walk_resource(&w, copy);
    }
    return copy;
}
