/*
 * patch — RFC 7644 §3.5.2 PATCH: the PatchOp message (§3.5.2, "schemas" and "Operations"), the
 * add (§3.5.2.1), remove (§3.5.2.2) and replace (§3.5.2.3) operations with every path form of the
 * PATCH grammar (attrPath, valuePath and valuePath.subAttr, URN-qualified), mutability on the
 * attributes written (RFC 7643 §2.2), primary uniqueness of multi-valued attributes (RFC 7643
 * §2.4), and the error types of RFC 7644 §3.12 (invalidSyntax, invalidPath, invalidValue,
 * noTarget, mutability).
 * Owns: how a normalised document changes under a PatchOp. Everything happens on a private deep
 * copy, so a failing operation leaves nothing half-applied.
 * Must not: type-check values beyond what a path needs (the caller re-validates the result with
 * scim_resource_normalize in REPLACE mode), parse paths or filters itself (path.c, filter.c),
 * touch the caller's document, or know SQL/HTTP.
 *
 * Interoperability choices, each also described where it is implemented:
 * - "op", "path", "value", "schemas" and "Operations" are matched case-insensitively; Entra ID
 *   sends "Replace" and "Add".
 * - A value of null or "" in add/replace clears the target, as Entra ID and RFC 7644 §3.5.2.3
 *   examples imply.
 * - remove with path "members" (any multi-valued attribute) and a "value" array removes the
 *   elements whose "value" matches; Entra ID removes group members that way.
 * - add with "attr[sub eq literal].x" that matches no element creates {sub: literal, x: value};
 *   Entra ID adds a first work e-mail that way. replace and remove answer noTarget instead.
 * - A value without path may hold such a filtered key ({"emails[type eq \"work\"].value": x}):
 *   Entra ID with aadOptscim062020 sends every changed attribute that way. For add and replace
 *   alike it sets the matching elements, or creates the element the filter describes.
 * - An added element that is a subset of an existing element (or equal to it) is not appended
 *   again, so re-adding a member or an e-mail does not change the document.
 * - remove with a filter that matches no member of a Group changes nothing (IdPs retry
 *   removals); on other attributes it answers noTarget as RFC 7644 §3.5.2.2 says.
 * - remove with "attr[filter]" on a singular complex attribute removes it when its value matches
 *   (Entra ID removes a manager with "manager[value eq \"id\"]"); noTarget otherwise.
 * dialect.c names each of these in the request's report when it occurs.
 */
#include "patch.h"

#include "filter.h"
#include "json.h"
#include "mem.h"
#include "path.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum op_kind { OP_ADD, OP_REPLACE, OP_REMOVE };

/* The state of one scim_patch_apply call. */
struct ctx {
    const struct scim_resource_type *rt;
    json_t *doc; /* the working copy, owned by scim_patch_apply */
    struct scim_err *err;
    size_t index; /* of the operation being applied, for messages */
    /* A filtered key of a value without path is being applied: add and replace alike create
     * the element its filter describes when none matches (entra.filtered-key). */
    bool creates_absent_element;
};

/* How deep prune() looks: document, extension object, attribute, array, element, sub-attribute,
 * with room to spare. Values deeper than this are left to scim_resource_normalize. */
#define PRUNE_MAX_DEPTH 8

/* ---- Small JSON helpers ---- */

/* Deletes every member of obj whose key equals name ignoring ASCII case. */
static void obj_del(json_t *obj, const char *name)
{
    const char *key;
    json_t *value;
    void *tmp;

    if (!json_is_object(obj))
        return;
    json_object_foreach_safe (obj, tmp, key, value) {
        (void)value;
        if (strcasecmp(key, name) == 0)
            json_object_del(obj, key);
    }
}

/* Sets obj[name] = value (reference stolen), replacing any member whose key differs from name
 * only in case, so the document keeps one canonical spelling. */
static void obj_put(json_t *obj, const char *name, json_t *value)
{
    if (!json_object_get(obj, name))
        obj_del(obj, name);
    json_object_set_new(obj, name, value);
}

/* True for the values that clear a target in add/replace: JSON null and the empty string. */
static bool is_clear(const json_t *value)
{
    return json_is_null(value) || (json_is_string(value) && json_string_length(value) == 0);
}

/* Compares two values of attribute def (NULL when unknown): strings of a caseExact=false
 * attribute ignore case (not binary ones: base64 is case exact, RFC 7643 §2.3.6), everything
 * else must be equal JSON. */
static bool values_equal(const struct scim_attr *def, const json_t *a, const json_t *b)
{
    if (def && !def->case_exact && def->type != SCIM_ATTR_BINARY && json_is_string(a) &&
        json_is_string(b))
        return scim_text_caseeq(json_string_value(a), json_string_value(b));
    return json_equal(a, b);
}

/* True when every member of small (a non-empty object) is in big with an equal value, as
 * values_equal compares values of attr's sub-attributes (attr complex; NULL: exact JSON). */
static bool is_subset(const struct scim_attr *attr, const json_t *small, const json_t *big)
{
    const char *key;
    json_t *value;

    if (!json_is_object(small) || !json_is_object(big) || json_object_size(small) == 0)
        return false;
    json_object_foreach ((json_t *)small, key, value) {
        json_t *other = scim_json_get_ci(big, key);
        const struct scim_attr *sub =
            attr ? scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, key) : NULL;
        if (!other || !values_equal(sub, other, value))
            return false;
    }
    return true;
}

/* True when arr, the value of multi-valued attr, already holds item: an equal value (strings of
 * a caseExact=false attribute or sub-attribute ignoring case, RFC 7644 §3.5.2.1), or an element
 * that item is a subset of. */
static bool array_contains(const struct scim_attr *attr, const json_t *arr, const json_t *item)
{
    size_t i;
    json_t *el;

    json_array_foreach (arr, i, el) {
        if (values_equal(attr, el, item) || is_subset(attr, item, el))
            return true;
    }
    return false;
}

/*
 * The element of arr (multi-valued complex attr with a "value" sub-attribute) that item names
 * again: the same "value" (as the schema compares it) and no conflicting "type". RFC 7643 §2.4:
 * a (type, value) pair should not appear twice. NULL when none, or attr has no "value".
 */
static json_t *same_value_element(const struct scim_attr *attr, const json_t *arr,
                                  const json_t *item)
{
    const struct scim_attr *vdef = attr->type == SCIM_ATTR_COMPLEX
                                       ? scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, "value")
                                       : NULL;
    const struct scim_attr *tdef =
        vdef ? scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, "type") : NULL;
    const json_t *want = json_is_object(item) ? json_object_get(item, "value") : NULL;
    if (!vdef || !json_is_string(want))
        return NULL;
    const json_t *want_type = json_object_get(item, "type");
    size_t i;
    json_t *el;
    json_array_foreach (arr, i, el) {
        const json_t *have = json_object_get(el, "value");
        const json_t *have_type = json_object_get(el, "type");
        if (have && values_equal(vdef, have, want) &&
            (!want_type || !have_type || values_equal(tdef, have_type, want_type)))
            return el;
    }
    return NULL;
}

/*
 * Drops empty arrays and objects below v (not v itself), depth-first, so that removing the last
 * sub-attribute or element leaves the attribute unassigned (RFC 7644 §3.5.2.2).
 */
static void prune(json_t *v, int depth)
{
    if (depth >= PRUNE_MAX_DEPTH)
        return;
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        void *tmp;
        json_object_foreach_safe (v, tmp, key, child) {
            prune(child, depth + 1);
            if ((json_is_object(child) && json_object_size(child) == 0) ||
                (json_is_array(child) && json_array_size(child) == 0))
                json_object_del(v, key);
        }
    } else if (json_is_array(v)) {
        size_t i = json_array_size(v);
        while (i-- > 0) {
            json_t *child = json_array_get(v, i);
            prune(child, depth + 1);
            if ((json_is_object(child) && json_object_size(child) == 0) ||
                (json_is_array(child) && json_array_size(child) == 0))
                json_array_remove(v, i);
        }
    }
}

/* ---- Errors ---- */

/* Fills c->err with a 400 of the given scimType, the detail prefixed with the operation's index.
 * Returns the scim_rc for the caller to return. */
__attribute__((format(printf, 3, 4))) static int fail(struct ctx *c, const char *scim_type,
                                                      const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return scim_err_set(c->err, 400, scim_type, "Operations[%zu]: %s", c->index, msg);
}

/* Prefixes the detail that another module wrote into c->err with the operation's index. */
static int prefix_err(struct ctx *c, int rc)
{
    char detail[sizeof(c->err->detail)];

    if (!c->err)
        return rc;
    memcpy(detail, c->err->detail, sizeof(detail));
    detail[sizeof(detail) - 1] = '\0';
    scim_err_set(c->err, c->err->status ? c->err->status : 400, c->err->scim_type,
                 "Operations[%zu]: %s", c->index, detail);
    return rc;
}

/* The canonical text of p without filter, for messages; returns buf. */
static const char *path_name(const struct scim_path *p, char *buf, size_t size)
{
    if (!p->attr) {
        snprintf(buf, size, "(unknown)");
        return buf;
    }
    return scim_path_format(p, buf, size);
}

/* ---- Locating the target ---- */

/* The object that holds p->attr: the document, or the object under the extension's URN key.
 * With create, a missing (or malformed) extension object is created. Borrowed, or NULL. */
static json_t *container(struct ctx *c, const struct scim_path *p, bool create)
{
    json_t *obj;

    if (!p->in_extension || !p->schema)
        return c->doc;
    obj = scim_json_get_ci(c->doc, p->schema->id);
    if (json_is_object(obj))
        return obj;
    if (!create)
        return NULL;
    obj = json_object();
    obj_put(c->doc, p->schema->id, obj);
    return obj;
}

/* The value of attr in box (borrowed, or NULL); a key spelled in another case is renamed to the
 * canonical name so that later writes replace it instead of adding a second member. */
static json_t *attr_get(json_t *box, const struct scim_attr *attr)
{
    const char *key = scim_json_key_ci(box, attr->name);
    json_t *value = key ? json_object_get(box, key) : NULL;

    if (value && strcmp(key, attr->name) != 0) {
        json_incref(value);
        obj_put(box, attr->name, value);
    }
    return value;
}

/* RFC 7643 §2.2: readOnly attributes cannot be written by a client, whatever the operation. */
static int check_writable(struct ctx *c, const struct scim_path *p)
{
    char name[256];

    if (p->attr->mutability == SCIM_MUT_READ_ONLY ||
        (p->sub && p->sub->mutability == SCIM_MUT_READ_ONLY))
        return fail(c, SCIM_TYPE_MUTABILITY, "\"%s\" is readOnly and cannot be modified.",
                    path_name(p, name, sizeof(name)));
    return 0;
}

/* The extension of c->rt whose URN is text[0..len) ignoring case, or NULL. */
static const struct scim_schema_extension *find_extension(const struct ctx *c, const char *text,
                                                          size_t len)
{
    for (size_t i = 0; i < c->rt->n_extensions; i++) {
        const char *urn = c->rt->extensions[i].schema->id;
        if (strlen(urn) == len && strncasecmp(urn, text, len) == 0)
            return &c->rt->extensions[i];
    }
    return NULL;
}

/* ---- Writing values ---- */

/* Returns a new reference: item in canonical form for attr. Objects of a complex attribute get
 * canonical sub-attribute names and lose members that are null or "" (they clear, they do not
 * set); anything else is deep-copied unchanged for the caller's validation to judge. */
static json_t *canon_value(const struct scim_attr *attr, const json_t *item)
{
    json_t *out;
    const char *key;
    json_t *value;

    if (attr->type != SCIM_ATTR_COMPLEX || !json_is_object(item))
        return json_deep_copy(item);
    out = json_object();
    json_object_foreach ((json_t *)item, key, value) {
        const struct scim_attr *sd = scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, key);
        if (is_clear(value))
            continue;
        obj_put(out, sd ? sd->name : key, json_deep_copy(value));
    }
    return out;
}

/* True when the sub-attribute sd (NULL when unknown) of parent may not change once set. */
static bool is_immutable(const struct scim_attr *parent, const struct scim_attr *sd)
{
    return parent->mutability == SCIM_MUT_IMMUTABLE || (sd && sd->mutability == SCIM_MUT_IMMUTABLE);
}

/* Sets the sub-attribute sub of obj (an object of parent) to a copy of value (not a clearing
 * value); an immutable sub-attribute that already holds something else → 400 mutability. */
static int put_sub(struct ctx *c, const struct scim_attr *parent, const struct scim_attr *sub,
                   json_t *obj, const json_t *value)
{
    json_t *cur = scim_json_get_ci(obj, sub->name);

    if (cur && is_immutable(parent, sub) && !json_equal(cur, value))
        return fail(c, SCIM_TYPE_MUTABILITY, "\"%s.%s\" is immutable and already has a value.",
                    parent->name, sub->name);
    obj_put(obj, sub->name, json_deep_copy(value));
    return 0;
}

/*
 * Merges src (an object of sub-attributes of parent) into obj: each sub-attribute given replaces
 * or adds, null or "" removes it, the others stay (RFC 7644 §3.5.2.1 and §3.5.2.3 for complex
 * attributes). Unknown sub-attribute names are copied as given for the caller's validation.
 */
static int merge_into(struct ctx *c, const struct scim_attr *parent, json_t *obj, const json_t *src)
{
    const char *key;
    json_t *value;

    json_object_foreach ((json_t *)src, key, value) {
        const struct scim_attr *sd = scim_attr_find(parent->sub_attrs, parent->n_sub_attrs, key);
        const char *name = sd ? sd->name : key;
        json_t *cur = scim_json_get_ci(obj, name);
        bool clear = is_clear(value);

        if (cur && is_immutable(parent, sd) && (clear || !json_equal(cur, value)))
            return fail(c, SCIM_TYPE_MUTABILITY, "\"%s.%s\" is immutable and already has a value.",
                        parent->name, name);
        if (clear)
            obj_del(obj, name);
        else
            obj_put(obj, name, json_deep_copy(value));
    }
    return 0;
}

/* Keeps "primary": true on winner only (RFC 7643 §2.4): the other elements of arr lose it. */
static void fix_primary(json_t *arr, const json_t *winner)
{
    size_t i;
    json_t *el;

    if (!winner || !json_is_array(arr))
        return;
    json_array_foreach (arr, i, el) {
        if (el != winner && json_is_true(scim_json_get_ci(el, "primary")))
            obj_del(el, "primary");
    }
}

/* Records el as the element that keeps "primary" when it has "primary": true. */
static void note_primary(json_t *el, json_t **winner)
{
    if (json_is_true(scim_json_get_ci(el, "primary")))
        *winner = el;
}

/*
 * Fills el (an empty object) from a value filter made only of "sub eq literal" comparisons joined
 * by "and", so that the new element matches the filter. Returns false for any other filter.
 */
static bool build_from_filter(const struct scim_filter *f, json_t *el)
{
    if (!f)
        return false;
    switch (f->kind) {
    case SCIM_FILTER_COMPARE:
        if (f->op != SCIM_OP_EQ || !f->path.sub || !f->value || json_is_null(f->value))
            return false;
        obj_put(el, f->path.sub->name, json_deep_copy(f->value));
        return true;
    case SCIM_FILTER_AND:
        return build_from_filter(f->left, el) && build_from_filter(f->right, el);
    default:
        return false;
    }
}

bool scim_patch_filter_builds_element(const struct scim_filter *f)
{
    json_t *scratch = json_object();
    bool builds = build_from_filter(f, scratch);
    json_decref(scratch);
    return builds;
}

/* Writes value into one element of a multi-valued complex attribute that a value path selected:
 * the sub-attribute for "attr[filter].sub", otherwise a merge of the object value. */
static int write_element(struct ctx *c, const struct scim_path *p, json_t *el, const json_t *value)
{
    char name[256];

    if (p->sub)
        return put_sub(c, p->attr, p->sub, el, value);
    if (!json_is_object(value))
        return fail(c, SCIM_TYPE_INVALID_VALUE,
                    "The value for \"%s[...]\" must be an object of sub-attributes.",
                    path_name(p, name, sizeof(name)));
    return merge_into(c, p->attr, el, value);
}

/* add/replace with "attr[filter]" or "attr[filter].sub" (RFC 7644 §3.5.2.1, §3.5.2.3). */
static int set_filtered(struct ctx *c, enum op_kind op, const struct scim_path *p,
                        const json_t *value)
{
    int rc = 0;
    char name[256];
    json_t *box = container(c, p, true);
    json_t *arr = attr_get(box, p->attr);
    json_t *winner = NULL;
    json_t *fresh = NULL;
    size_t hits = 0;
    size_t i;
    json_t *el;

    if (json_is_array(arr)) {
        json_array_foreach (arr, i, el) {
            if (!json_is_object(el) || !scim_filter_match_element(p->filter, el))
                continue;
            hits++;
            rc = write_element(c, p, el, value);
            if (rc)
                goto out;
            note_primary(el, &winner);
        }
    }
    if (hits == 0) {
        /* Entra ID adds a first value with "emails[type eq \"work\"].value"; when the filter says
         * exactly what the element is, add creates it. */
        fresh = json_object();
        if ((op != OP_ADD && !c->creates_absent_element) || !build_from_filter(p->filter, fresh)) {
            rc = fail(c, SCIM_TYPE_NO_TARGET, "No value of \"%s\" matches the filter.",
                      path_name(p, name, sizeof(name)));
            goto out;
        }
        rc = write_element(c, p, fresh, value);
        if (rc)
            goto out;
        if (!json_is_array(arr)) {
            arr = json_array();
            obj_put(box, p->attr->name, arr);
        }
        json_array_append(arr, fresh);
        note_primary(fresh, &winner);
    }
    fix_primary(arr, winner);
out:
    json_decref(fresh);
    return rc;
}

/* add/replace with "attr.sub" and no filter: the sub-attribute of a singular complex attribute,
 * or of every element of a multi-valued one (noTarget when it has none). */
static int set_sub_path(struct ctx *c, const struct scim_path *p, const json_t *value)
{
    int rc = 0;
    char name[256];
    json_t *box = container(c, p, true);
    json_t *cur = attr_get(box, p->attr);
    json_t *winner = NULL;
    size_t i;
    json_t *el;

    if (p->attr->multi_valued) {
        if (!json_is_array(cur) || json_array_size(cur) == 0) {
            rc = fail(c, SCIM_TYPE_NO_TARGET, "\"%s\" has no values to set \"%s\" on.",
                      p->attr->name, path_name(p, name, sizeof(name)));
            goto out;
        }
        json_array_foreach (cur, i, el) {
            if (!json_is_object(el))
                continue;
            rc = put_sub(c, p->attr, p->sub, el, value);
            if (rc)
                goto out;
            note_primary(el, &winner);
        }
        fix_primary(cur, winner);
        goto out;
    }
    if (!json_is_object(cur)) {
        cur = json_object();
        obj_put(box, p->attr->name, cur);
    }
    rc = put_sub(c, p->attr, p->sub, cur, value);
out:
    return rc;
}

/* add/replace of a whole multi-valued attribute: add appends the values not yet present,
 * replace swaps the whole list (RFC 7644 §3.5.2.1, §3.5.2.3). A single value counts as a list
 * of one. */
static int set_multi(enum op_kind op, const struct scim_path *p, json_t *box, const json_t *value)
{
    json_t *cur = attr_get(box, p->attr);
    json_t *winner = NULL;
    size_t n = json_is_array(value) ? json_array_size(value) : 1;

    if (op == OP_REPLACE || !json_is_array(cur)) {
        cur = json_array();
        obj_put(box, p->attr->name, cur);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_is_array(value) ? json_array_get(value, i) : value;
        json_t *canon;
        if (is_clear(item))
            continue;
        canon = canon_value(p->attr, item);
        if (array_contains(p->attr, cur, canon)) {
            json_decref(canon);
            continue;
        }
        json_t *same = same_value_element(p->attr, cur, canon);
        if (same) {
            /* The same e-mail again with more to say ("primary": true): one element. */
            json_object_update(same, canon);
            json_decref(canon);
            note_primary(same, &winner);
            continue;
        }
        json_array_append_new(cur, canon);
        note_primary(canon, &winner);
    }
    fix_primary(cur, winner);
    return 0;
}

/* add/replace of a singular attribute: complex ones merge sub-attributes, simple ones are set;
 * an immutable attribute that already holds another value → 400 mutability. */
static int set_single(struct ctx *c, const struct scim_path *p, json_t *box, const json_t *value)
{
    char name[256];
    json_t *cur = attr_get(box, p->attr);

    if (p->attr->type == SCIM_ATTR_COMPLEX) {
        if (!json_is_object(value))
            return fail(c, SCIM_TYPE_INVALID_VALUE,
                        "\"%s\" is complex; its value must be an object of sub-attributes.",
                        path_name(p, name, sizeof(name)));
        if (!json_is_object(cur)) {
            cur = json_object();
            obj_put(box, p->attr->name, cur);
        }
        return merge_into(c, p->attr, cur, value);
    }
    if (cur && p->attr->mutability == SCIM_MUT_IMMUTABLE && !json_equal(cur, value))
        return fail(c, SCIM_TYPE_MUTABILITY, "\"%s\" is immutable and already has a value.",
                    path_name(p, name, sizeof(name)));
    obj_put(box, p->attr->name, json_deep_copy(value));
    return 0;
}

/* ---- Removing values ---- */

/* True when element el of a multi-valued attribute is named by item of a remove "value" list:
 * by its "value" sub-attribute, or for items without one by containing all of item. */
static bool element_named(const struct scim_attr *attr, const json_t *el, const json_t *item)
{
    const struct scim_attr *vdef = attr->type == SCIM_ATTR_COMPLEX
                                       ? scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, "value")
                                       : attr;
    const json_t *want = item;
    const json_t *have = el;

    if (json_is_object(item)) {
        want = scim_json_get_ci(item, "value");
        if (!want)
            return is_subset(attr, item, el);
    }
    if (json_is_object(el))
        have = scim_json_get_ci(el, "value");
    return have && values_equal(vdef, have, want);
}

/* remove with path "attr" and a "value" list: removes the elements the list names (Entra ID's
 * way to remove group members). Naming an element that is not there is not an error. */
static void remove_by_value(const struct scim_attr *attr, json_t *arr, const json_t *value)
{
    size_t n = json_is_array(value) ? json_array_size(value) : 1;
    size_t i = json_array_size(arr);

    while (i-- > 0) {
        json_t *el = json_array_get(arr, i);
        for (size_t k = 0; k < n; k++) {
            const json_t *item = json_is_array(value) ? json_array_get(value, k) : value;
            if (element_named(attr, el, item)) {
                json_array_remove(arr, i);
                break;
            }
        }
    }
}

/* Removes the sub-attribute p->sub from el; immutable with a value → 400 mutability. */
static int remove_sub(struct ctx *c, const struct scim_path *p, json_t *el)
{
    char name[256];

    if (scim_json_get_ci(el, p->sub->name) && is_immutable(p->attr, p->sub))
        return fail(c, SCIM_TYPE_MUTABILITY, "\"%s\" is immutable and cannot be removed.",
                    path_name(p, name, sizeof(name)));
    obj_del(el, p->sub->name);
    return 0;
}

/*
 * remove (RFC 7644 §3.5.2.2), also used by add/replace with a clearing value. value is the
 * operation's "value" (NULL when absent). strict: a value filter that matches nothing → 400
 * noTarget (remove and replace); otherwise nothing happens (add). clearing: an add/replace with
 * "" or null (entra.empty-clears): clearing "attr[filter].value" removes the matching elements
 * whole (Entra ID clears a user's work e-mail so; an element left with only "type" and "primary"
 * would be an e-mail without an address), where a remove takes the sub-attribute alone.
 */
static int do_remove(struct ctx *c, const struct scim_path *p, const json_t *value, bool strict,
                     bool clearing)
{
    int rc = 0;
    char name[256];
    json_t *box;
    json_t *cur;
    size_t hits = 0;

    rc = check_writable(c, p);
    if (rc)
        goto out;
    if (p->sub && p->sub->required) {
        rc = fail(c, SCIM_TYPE_MUTABILITY, "\"%s\" is required and cannot be removed.",
                  path_name(p, name, sizeof(name)));
        goto out;
    }
    if (!p->filter && !p->sub && p->attr->required) {
        rc = fail(c, SCIM_TYPE_MUTABILITY, "\"%s\" is required and cannot be removed.",
                  path_name(p, name, sizeof(name)));
        goto out;
    }
    box = container(c, p, false);
    cur = box ? attr_get(box, p->attr) : NULL;

    if (p->filter) {
        size_t i = json_is_array(cur) ? json_array_size(cur) : 0;
        while (i-- > 0) {
            json_t *el = json_array_get(cur, i);
            if (!json_is_object(el) || !scim_filter_match_element(p->filter, el))
                continue;
            hits++;
            bool whole = !p->sub || (clearing && strcmp(p->sub->name, "value") == 0 &&
                                     !is_immutable(p->attr, p->sub));
            if (whole) {
                json_array_remove(cur, i);
            } else {
                rc = remove_sub(c, p, el);
                if (rc)
                    goto out;
            }
        }
        /* A Group's members are the exception: IdPs retry removals, so removing a member that
         * is not there changes nothing, whatever the filter (as removal by value and the
         * indexed removal of members[value eq "id"] in h_groups.c do). */
        if (hits == 0 && strict && strcasecmp(p->attr->name, "members") != 0)
            rc = fail(c, SCIM_TYPE_NO_TARGET, "No value of \"%s\" matches the filter.",
                      path_name(p, name, sizeof(name)));
        goto out;
    }
    if (!cur)
        goto out;
    if (p->sub) {
        if (json_is_array(cur)) {
            size_t i;
            json_t *el;
            json_array_foreach (cur, i, el) {
                rc = remove_sub(c, p, el);
                if (rc)
                    goto out;
            }
        } else {
            rc = remove_sub(c, p, cur);
        }
        goto out;
    }
    if (p->attr->multi_valued && value && !is_clear(value) && json_is_array(cur)) {
        remove_by_value(p->attr, cur, value);
        goto out;
    }
    if (p->attr->mutability == SCIM_MUT_IMMUTABLE) {
        rc = fail(c, SCIM_TYPE_MUTABILITY, "\"%s\" is immutable and cannot be removed.",
                  path_name(p, name, sizeof(name)));
        goto out;
    }
    obj_del(box, p->attr->name);
out:
    return rc;
}

/* ---- One operation ---- */

/* add or replace at a parsed path (RFC 7644 §3.5.2.1, §3.5.2.3). */
static int set_value(struct ctx *c, enum op_kind op, const struct scim_path *p, const json_t *value)
{
    int rc;
    json_t *box;

    /* Clearing what is not there changes nothing for a filtered key without path, which
     * would otherwise have created the element. */
    if (is_clear(value))
        return do_remove(c, p, NULL, op != OP_ADD && !c->creates_absent_element, true);
    rc = check_writable(c, p);
    if (rc)
        return rc;
    if (p->filter)
        return set_filtered(c, op, p, value);
    if (p->sub)
        return set_sub_path(c, p, value);
    box = container(c, p, true);
    if (p->attr->multi_valued)
        return set_multi(op, p, box, value);
    return set_single(c, p, box, value);
}

/*
 * remove of "attr[filter]" where attr is a singular complex attribute. Entra ID removes the
 * enterprise manager with "manager[value eq \"id\"]", although the PATCH grammar of RFC 7644
 * §3.5.2 allows value filters only on multi-valued attributes. attr is removed when its value
 * matches the filter; otherwise 400 noTarget, as for a multi-valued attribute. *handled is false
 * (and nothing is done) when text has any other shape, so that the caller reports its own error.
 */
static int remove_singular_filtered(struct ctx *c, const char *text, size_t len, bool *handled)
{
    int rc = 0;
    const char *bracket = memchr(text, '[', len);
    struct scim_path p;
    struct scim_filter *f = NULL;
    struct scim_err scratch;
    char name[256];
    json_t *box;
    json_t *cur;
    size_t prefix;

    memset(&p, 0, sizeof(p));
    *handled = false;
    if (!bracket || len < 3 || text[len - 1] != ']')
        goto out;
    prefix = (size_t)(bracket - text);
    scim_err_clear(&scratch);
    if (scim_path_parse(c->rt, text, prefix, 0, &p, &scratch) != 0 || p.sub ||
        p.attr->multi_valued || p.attr->type != SCIM_ATTR_COMPLEX)
        goto out;
    *handled = true;
    rc = scim_filter_parse_in(c->rt, p.attr, bracket + 1, len - prefix - 2, prefix + 1, NULL, 1, &f,
                              c->err);
    if (rc) {
        rc = prefix_err(c, rc);
        goto out;
    }
    box = container(c, &p, false);
    cur = box ? attr_get(box, p.attr) : NULL;
    if (!json_is_object(cur) || !scim_filter_match_element(f, cur)) {
        rc = fail(c, SCIM_TYPE_NO_TARGET, "The value of \"%s\" does not match the filter.",
                  path_name(&p, name, sizeof(name)));
        goto out;
    }
    rc = do_remove(c, &p, NULL, true, false);
out:
    scim_filter_free(f);
    scim_path_clear(&p);
    return rc;
}

/* Parses text (len bytes) as a path with flags and applies op with value there. */
static int apply_at(struct ctx *c, enum op_kind op, const char *text, size_t len, unsigned flags,
                    const json_t *value)
{
    int rc;
    struct scim_path p;
    bool handled = false;

    memset(&p, 0, sizeof(p));
    rc = scim_path_parse(c->rt, text, len, flags, &p, c->err);
    if (rc && op == OP_REMOVE && (flags & SCIM_PATH_ALLOW_FILTER)) {
        int alt = remove_singular_filtered(c, text, len, &handled);
        if (handled) {
            rc = alt;
            goto out;
        }
    }
    if (rc) {
        rc = prefix_err(c, rc);
        goto out;
    }
    if (op == OP_REMOVE)
        rc = do_remove(c, &p, value, true, false);
    else
        rc = set_value(c, op, &p, value);
out:
    scim_path_clear(&p);
    return rc;
}

/* add/replace of the attributes of one schema given as an object under its URN (the whole
 * extension as a path, or a URN key of a value without path). Each key is resolved as a path
 * qualified by the URN, so "manager.value" works there too. */
static int apply_schema_object(struct ctx *c, enum op_kind op, const char *urn, const json_t *value)
{
    int rc = 0;
    const char *key;
    json_t *v;

    if (!json_is_object(value))
        return fail(c, SCIM_TYPE_INVALID_VALUE, "The value of \"%s\" must be an object.", urn);
    json_object_foreach ((json_t *)value, key, v) {
        char *text = scim_asprintf("%s:%s", urn, key);
        rc = apply_at(c, op, text, strlen(text), 0, v);
        scim_free(text);
        if (rc)
            break;
    }
    return rc;
}

/* Removes (or, for add/replace with null or "", clears) a whole extension object. */
static int clear_extension(struct ctx *c, const struct scim_schema_extension *ext)
{
    if (ext->required && scim_json_get_ci(c->doc, ext->schema->id))
        return fail(c, SCIM_TYPE_MUTABILITY, "The extension \"%s\" is required.", ext->schema->id);
    obj_del(c->doc, ext->schema->id);
    return 0;
}

/*
 * add/replace without a path (RFC 7644 §3.5.2.1, §3.5.2.3): value is an object of attributes.
 * Keys are resolved as paths, so "name.givenName", fully qualified
 * "urn:...:enterprise:2.0:User:employeeNumber" and filtered "emails[type eq \"work\"].value"
 * (creating the element when none matches) work; a key that is the URN of a schema takes an
 * object of that schema's attributes. "schemas" is skipped: the caller's normalisation derives
 * it from the attributes present.
 */
static int apply_without_path(struct ctx *c, enum op_kind op, const json_t *value)
{
    int rc = 0;
    const char *key;
    json_t *v;

    if (!json_is_object(value))
        return fail(c, SCIM_TYPE_INVALID_VALUE,
                    "Without a \"path\", \"value\" must be an object of attributes.");
    json_object_foreach ((json_t *)value, key, v) {
        const struct scim_schema_extension *ext = find_extension(c, key, strlen(key));
        if (strcasecmp(key, "schemas") == 0)
            continue;
        if (ext)
            rc = is_clear(v) ? clear_extension(c, ext)
                             : apply_schema_object(c, op, ext->schema->id, v);
        else if (strcasecmp(key, c->rt->schema->id) == 0)
            rc = apply_schema_object(c, op, c->rt->schema->id, v);
        else {
            c->creates_absent_element = true;
            rc = apply_at(c, op, key, strlen(key), SCIM_PATH_ALLOW_FILTER, v);
            c->creates_absent_element = false;
        }
        if (rc)
            break;
    }
    return rc;
}

/* Validates one member of "Operations" and applies it to c->doc. */
static int apply_operation(struct ctx *c, const json_t *operation)
{
    enum op_kind op;
    const json_t *opv = scim_json_get_ci(operation, "op");
    const json_t *pathv = scim_json_get_ci(operation, "path");
    const json_t *value = scim_json_get_ci(operation, "value");
    const struct scim_schema_extension *ext;
    const char *text;
    size_t len;

    if (!json_is_object(operation))
        return fail(c, SCIM_TYPE_INVALID_SYNTAX, "Each operation must be a JSON object.");
    if (!json_is_string(opv))
        return fail(c, SCIM_TYPE_INVALID_SYNTAX,
                    "\"op\" is required and must be \"add\", \"replace\" or \"remove\".");
    if (strcasecmp(json_string_value(opv), "add") == 0)
        op = OP_ADD;
    else if (strcasecmp(json_string_value(opv), "replace") == 0)
        op = OP_REPLACE;
    else if (strcasecmp(json_string_value(opv), "remove") == 0)
        op = OP_REMOVE;
    else
        return fail(c, SCIM_TYPE_INVALID_SYNTAX,
                    "\"op\" must be \"add\", \"replace\" or \"remove\", not \"%.64s\".",
                    json_string_value(opv));
    if (pathv && !json_is_null(pathv) && !json_is_string(pathv))
        return fail(c, SCIM_TYPE_INVALID_PATH, "\"path\" must be a string.");
    if (json_is_null(pathv))
        pathv = NULL;
    if (op != OP_REMOVE && !value)
        return fail(c, SCIM_TYPE_INVALID_VALUE, "\"%s\" requires a \"value\".",
                    op == OP_ADD ? "add" : "replace");

    if (!pathv) {
        if (op == OP_REMOVE)
            return fail(c, SCIM_TYPE_NO_TARGET, "\"remove\" requires a \"path\".");
        return apply_without_path(c, op, value);
    }
    text = json_string_value(pathv);
    len = json_string_length(pathv);
    ext = find_extension(c, text, len);
    if (ext) {
        /* The path is a whole extension: its attributes are written or it is dropped. */
        if (op == OP_REMOVE || is_clear(value))
            return clear_extension(c, ext);
        return apply_schema_object(c, op, ext->schema->id, value);
    }
    return apply_at(c, op, text, len, SCIM_PATH_ALLOW_FILTER, value);
}

/* ---- Entry point ---- */

/* True when schemas (the request's "schemas") is an array listing the PatchOp URN. */
static bool lists_patch_op(const json_t *schemas)
{
    size_t i;
    json_t *urn;

    json_array_foreach (schemas, i, urn) {
        if (json_is_string(urn) && strcasecmp(json_string_value(urn), SCIM_SCHEMA_PATCH_OP) == 0)
            return true;
    }
    return false;
}

int scim_patch_check_message(const json_t *request, struct scim_err *err)
{
    if (!json_is_object(request))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                            "The PATCH body must be a JSON object (a PatchOp message).");
    if (!lists_patch_op(scim_json_get_ci(request, "schemas")))
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                            "The PATCH body's \"schemas\" must list \"%s\".", SCIM_SCHEMA_PATCH_OP);
    return 0;
}

int scim_patch_apply(const struct scim_resource_type *rt, const json_t *doc, const json_t *request,
                     const struct scim_patch_limits *limits, json_t **out, bool *changed,
                     struct scim_err *err)
{
    int rc = SCIM_ERR;
    struct ctx c = {.rt = rt, .doc = NULL, .err = err, .index = 0};
    const json_t *ops;
    size_t n;

    *out = NULL;
    if (changed)
        *changed = false;
    rc = scim_patch_check_message(request, err);
    if (rc)
        goto out;
    rc = SCIM_ERR;
    ops = scim_json_get_ci(request, "Operations");
    if (!json_is_array(ops) || json_array_size(ops) == 0) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                          "The PATCH body needs \"Operations\": a non-empty array of operations.");
        goto out;
    }
    n = json_array_size(ops);
    if (limits && limits->max_operations && n > limits->max_operations) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                          "The request has %zu operations; this server accepts at most %zu.", n,
                          limits->max_operations);
        goto out;
    }
    if (!rt || !json_is_object(doc)) {
        rc = scim_err_internal(err, "scim_patch_apply: no resource type or document");
        goto out;
    }

    c.doc = json_deep_copy(doc);
    for (c.index = 0; c.index < n; c.index++) {
        rc = apply_operation(&c, json_array_get(ops, c.index));
        if (rc)
            goto out;
    }
    prune(c.doc, 0);
    if (changed)
        *changed = !json_equal(c.doc, doc);
    *out = c.doc;
    c.doc = NULL;
    rc = 0;
out:
    json_decref(c.doc);
    return rc;
}
