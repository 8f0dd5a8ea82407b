/*
 * dialect — identity-provider quirks normalised in one place before the PATCH engine (RFC 7644
 * §3.5.2, patch.c) and the resource validator (RFC 7643 §2.3 data types, RFC 7644 §3.3 and
 * §3.5.1, resource.c). Each rule below has a name, the IdP that sends the quirk, and either a
 * rewrite (the body handed on is standard) or a detection (patch.c accepts the form because it
 * needs the document to apply it; see the interoperability notes at the top of patch.c).
 * docs/IDP_DIALECTS.md is the table of rules with the exact request bodies.
 * Owns: the rule names, the rewrites, the detection, the report. Must not: change the caller's
 * body or document, apply operations (patch.c does), validate types beyond the rewrites
 * (resource.c does), or know SQL/HTTP.
 *
 * Rules (each also described where it is implemented):
 * - entra.capitalised-op            rewrite   "op": "Replace" → "replace" (and "Add", "Remove").
 * - entra.string-boolean            rewrite   "True"/"False" (any case) where the schema says
 *                                             boolean → true/false, at any depth of a value.
 * - entra.dotted-key                detect    no-path value key "name.givenName".
 * - entra.urn-key                   detect    no-path value key "urn:...:User:manager".
 * - entra.filtered-key              detect    no-path value key "emails[type eq \"work\"].value":
 *                                             patch.c sets it, creating the element if absent.
 * - entra.manager-string            rewrite   a singular complex attribute with a "value"
 *                                             sub-attribute (manager) given as a non-empty
 *                                             string "id" → {"value": "id"}.
 * - entra.empty-clears              detect    "" or null in add/replace clears the target.
 * - entra.remove-members-by-value   detect    remove "members" (any multi-valued attribute) with
 *                                             a "value" list instead of a filter.
 * - entra.add-absent-filter-element detect    add "emails[type eq \"work\"].value" when no
 *                                             element matches: patch.c creates it.
 * - entra.singular-value-filter     detect    remove "manager[value eq \"id\"]": patch.c removes
 *                                             the manager when its value matches.
 * - okta.no-path-replace            detect    replace without path whose value has only plain
 *                                             attribute names ({"active": false}).
 * - okta.member-without-type        detect    members added without "type".
 * - jumpcloud.repeated-member-add   detect    a member added that is already present (or twice
 *                                             in one request): patch.c keeps one.
 * - entra.adscim-schema             rewrite   Microsoft's "http://schemas.microsoft.com/2006/11/
 *                                             ResourceManagement/ADSCIM/2.0/Group" (or /User)
 *                                             in "schemas" of a POST/PUT body is dropped.
 * - entra.replace-absent-filter-element
 *                                   rewrite   "op": "Replace" (Entra's capitalised spelling) of
 *                                             "emails[type eq \"work\"].value" when no element
 *                                             matches → "add", which creates it. A lower-case
 *                                             "replace" keeps RFC 7644's 400 noTarget.
 * - entra.singular-array            rewrite   a one-element array for a singular complex
 *                                             attribute ("manager": [{"value": id}]) → the
 *                                             element.
 * - entra.string-boolean also covers filters (filter.c): roles[primary eq "True"].
 * - okta.token-without-bearer       detect    "Authorization: <token>" without the Bearer
 *                                             scheme, taken as the token (daemon/auth.c).
 */
#include "dialect.h"

#include "filter.h"
#include "json.h"
#include "patch.h"
#include "path.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert(SCIM_DIALECT_N_RULES <= 32, "struct scim_dialect_report holds 32 rules");

static const char *const rule_names[SCIM_DIALECT_N_RULES] = {
    [SCIM_DIALECT_ENTRA_CAPITALISED_OP] = "entra.capitalised-op",
    [SCIM_DIALECT_ENTRA_STRING_BOOLEAN] = "entra.string-boolean",
    [SCIM_DIALECT_ENTRA_DOTTED_KEY] = "entra.dotted-key",
    [SCIM_DIALECT_ENTRA_URN_KEY] = "entra.urn-key",
    [SCIM_DIALECT_ENTRA_FILTERED_KEY] = "entra.filtered-key",
    [SCIM_DIALECT_ENTRA_MANAGER_STRING] = "entra.manager-string",
    [SCIM_DIALECT_ENTRA_EMPTY_CLEARS] = "entra.empty-clears",
    [SCIM_DIALECT_ENTRA_REMOVE_MEMBERS_BY_VALUE] = "entra.remove-members-by-value",
    [SCIM_DIALECT_ENTRA_ADD_ABSENT_FILTER_ELEMENT] = "entra.add-absent-filter-element",
    [SCIM_DIALECT_ENTRA_SINGULAR_VALUE_FILTER] = "entra.singular-value-filter",
    [SCIM_DIALECT_OKTA_NO_PATH_REPLACE] = "okta.no-path-replace",
    [SCIM_DIALECT_OKTA_MEMBER_WITHOUT_TYPE] = "okta.member-without-type",
    [SCIM_DIALECT_JUMPCLOUD_REPEATED_MEMBER_ADD] = "jumpcloud.repeated-member-add",
    [SCIM_DIALECT_ENTRA_ADSCIM_SCHEMA] = "entra.adscim-schema",
    [SCIM_DIALECT_ENTRA_REPLACE_ABSENT_FILTER_ELEMENT] = "entra.replace-absent-filter-element",
    [SCIM_DIALECT_ENTRA_SINGULAR_ARRAY] = "entra.singular-array",
    [SCIM_DIALECT_OKTA_TOKEN_WITHOUT_BEARER] = "okta.token-without-bearer",
};

enum op_kind { OP_ADD, OP_REPLACE, OP_REMOVE, OP_UNKNOWN };
static const char *const op_names[] = {"add", "replace", "remove"};

/* The state of one normalisation. */
struct dctx {
    const struct scim_resource_type *rt;
    const json_t *current; /* the document being patched (borrowed), or NULL */
    struct scim_dialect_report *report;
    bool patch; /* a PATCH body: "" and null clear (entra.empty-clears is noted) */
};

/* ---- The report ---- */

void scim_dialect_report_clear(struct scim_dialect_report *report)
{
    report->applied = 0;
}

void scim_dialect_report_note(struct scim_dialect_report *report, enum scim_dialect_rule rule)
{
    if (rule < SCIM_DIALECT_N_RULES)
        report->applied |= 1u << rule;
}

bool scim_dialect_report_has(const struct scim_dialect_report *report, enum scim_dialect_rule rule)
{
    return rule < SCIM_DIALECT_N_RULES && (report->applied & (1u << rule)) != 0;
}

bool scim_dialect_report_empty(const struct scim_dialect_report *report)
{
    return report->applied == 0;
}

const char *scim_dialect_rule_name(enum scim_dialect_rule rule)
{
    return rule < SCIM_DIALECT_N_RULES ? rule_names[rule] : "?";
}

char *scim_dialect_report_join(const struct scim_dialect_report *report, char *buf, size_t size)
{
    size_t used = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned rule = 0; rule < SCIM_DIALECT_N_RULES; rule++) {
        int n;
        if (!scim_dialect_report_has(report, (enum scim_dialect_rule)rule))
            continue;
        n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", rule_names[rule]);
        if (n < 0 || (size_t)n >= size - used) {
            /* Too small a buffer: keep whole names only. */
            buf[used] = '\0';
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

/* Records that rule fired. */
static void note(struct dctx *d, enum scim_dialect_rule rule)
{
    scim_dialect_report_note(d->report, rule);
}

/* ---- Small helpers ---- */

/* True for the values that clear a target in add/replace (as patch.c treats them). */
static bool is_clear(const json_t *value)
{
    return json_is_null(value) || (json_is_string(value) && json_string_length(value) == 0);
}

/* The extension of rt whose URN is text[0..len) ignoring case, or NULL. */
static const struct scim_schema_extension *find_extension(const struct scim_resource_type *rt,
                                                          const char *text, size_t len)
{
    for (size_t i = 0; i < rt->n_extensions; i++) {
        const char *urn = rt->extensions[i].schema->id;
        if (strlen(urn) == len && strncasecmp(urn, text, len) == 0)
            return &rt->extensions[i];
    }
    return NULL;
}

/* The value of p's attribute in the current document (borrowed), or NULL. */
static const json_t *current_value(const struct dctx *d, const struct scim_path *p)
{
    const json_t *box = d->current;

    if (!box)
        return NULL;
    if (p->in_extension && p->schema)
        box = scim_json_get_ci(box, p->schema->id);
    return json_is_object(box) ? scim_json_get_ci(box, p->attr->name) : NULL;
}

/* True for a complex attribute that has a "value" sub-attribute. */
static bool has_value_sub(const struct scim_attr *def)
{
    return scim_attr_find(def->sub_attrs, def->n_sub_attrs, "value") != NULL;
}

/* True for the "members" attribute of a group (any multi-valued complex attribute so named). */
static bool is_members(const struct scim_attr *def)
{
    return def->multi_valued && def->type == SCIM_ATTR_COMPLEX && strcmp(def->name, "members") == 0;
}

/* ---- Rewriting values against the schema ---- */

static void fix_members(struct dctx *d, const struct scim_attr *attrs, size_t n, json_t *obj,
                        bool note_clear);

/*
 * Normalises v, a value of attribute def (one element of it when element is true), in place as
 * far as it can. Returns a new reference that must replace v in its parent (a string boolean or
 * a manager id string), or NULL when v stays where it is.
 */
static json_t *fix_value(struct dctx *d, const struct scim_attr *def, bool element, json_t *v)
{
    if (def->multi_valued && !element) {
        if (json_is_array(v)) {
            size_t i;
            json_t *item;
            json_array_foreach (v, i, item) {
                json_t *replacement = fix_value(d, def, true, item);
                if (replacement)
                    json_array_set_new(v, i, replacement);
            }
            return NULL;
        }
        /* patch.c treats a single value of a multi-valued attribute as a list of one. */
        return fix_value(d, def, true, v);
    }
    switch (def->type) {
    case SCIM_ATTR_BOOLEAN:
        /* entra.string-boolean: Entra ID (without the aadOptscim062020 flag) sends
         * "active": "False"; booleans are JSON true/false in RFC 7643 §2.3.2. */
        if (json_is_string(v)) {
            if (strcasecmp(json_string_value(v), "true") == 0) {
                note(d, SCIM_DIALECT_ENTRA_STRING_BOOLEAN);
                return json_true();
            }
            if (strcasecmp(json_string_value(v), "false") == 0) {
                note(d, SCIM_DIALECT_ENTRA_STRING_BOOLEAN);
                return json_false();
            }
        }
        return NULL;
    case SCIM_ATTR_COMPLEX:
        /* entra.singular-array: Entra ID's tutorial adds a manager as
         * [{"$ref": …, "value": id}], a list of one for a singular attribute. */
        if (json_is_array(v) && json_array_size(v) == 1 && !def->multi_valued &&
            json_is_object(json_array_get(v, 0))) {
            json_t *only = json_array_get(v, 0);
            note(d, SCIM_DIALECT_ENTRA_SINGULAR_ARRAY);
            fix_members(d, def->sub_attrs, def->n_sub_attrs, only, d->patch);
            return json_incref(only);
        }
        /* entra.manager-string: Entra ID sends the enterprise manager as the manager's id,
         * a plain string, where RFC 7643 §4.3 defines a complex value {"value": id}. */
        if (json_is_string(v) && json_string_length(v) > 0 && !def->multi_valued &&
            has_value_sub(def)) {
            json_t *obj = json_object();
            note(d, SCIM_DIALECT_ENTRA_MANAGER_STRING);
            json_object_set(obj, "value", v);
            return obj;
        }
        if (json_is_object(v))
            fix_members(d, def->sub_attrs, def->n_sub_attrs, v, d->patch && !def->multi_valued);
        return NULL;
    default:
        return NULL;
    }
}

/*
 * Applies fix_value to every member of obj that names one of attrs (case-insensitively; other
 * members are left for the validator). With note_clear, a member whose value is "" or null is
 * noted as entra.empty-clears (patch.c removes such sub-attributes).
 */
static void fix_members(struct dctx *d, const struct scim_attr *attrs, size_t n, json_t *obj,
                        bool note_clear)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe (obj, tmp, key, v) {
        const struct scim_attr *def = scim_attr_find(attrs, n, key);
        json_t *replacement;
        if (!def)
            continue;
        if (note_clear && is_clear(v))
            note(d, SCIM_DIALECT_ENTRA_EMPTY_CLEARS);
        replacement = fix_value(d, def, false, v);
        if (replacement)
            json_object_set_new(obj, key, replacement);
    }
}

/* ---- Detection that needs the current document ---- */

/* For an add to "members" (value: a list or one member): okta.member-without-type when a member
 * has no "type", jumpcloud.repeated-member-add when its "value" is already a member or appears
 * earlier in the same list. */
static void check_member_add(struct dctx *d, const struct scim_path *p, const json_t *value)
{
    const json_t *cur = current_value(d, p);
    size_t n = json_is_array(value) ? json_array_size(value) : 1;

    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_is_array(value) ? json_array_get(value, i) : value;
        const json_t *id = scim_json_get_ci(item, "value");
        size_t k;
        json_t *el;
        if (!json_is_object(item))
            continue;
        if (!scim_json_get_ci(item, "type"))
            note(d, SCIM_DIALECT_OKTA_MEMBER_WITHOUT_TYPE);
        if (!json_is_string(id))
            continue;
        json_array_foreach (cur, k, el) {
            if (json_equal(scim_json_get_ci(el, "value"), id))
                note(d, SCIM_DIALECT_JUMPCLOUD_REPEATED_MEMBER_ADD);
        }
        for (k = 0; json_is_array(value) && k < i; k++) {
            if (json_equal(scim_json_get_ci(json_array_get(value, k), "value"), id))
                note(d, SCIM_DIALECT_JUMPCLOUD_REPEATED_MEMBER_ADD);
        }
    }
}

/* True when some element of p's multi-valued attribute in the current document matches p's
 * value filter; also true when there is no current document (nothing can be said). */
static bool filter_hits(const struct dctx *d, const struct scim_path *p)
{
    const json_t *arr = current_value(d, p);
    size_t i;
    json_t *el;

    if (!d->current)
        return true;
    json_array_foreach (arr, i, el) {
        if (json_is_object(el) && scim_filter_match_element(p->filter, el))
            return true;
    }
    return false;
}

/* ---- Operations ---- */

/*
 * entra.singular-value-filter: Entra ID removes a manager with "manager[value eq \"id\"]", a
 * value filter on a singular complex attribute that the PATCH grammar (RFC 7644 §3.5.2) allows
 * only on multi-valued ones. patch.c applies it against the document being patched (removing the
 * attribute when its value matches, 400 noTarget otherwise); here it is only recognised.
 */
static bool is_singular_value_filter(const struct dctx *d, const char *text, size_t len)
{
    const char *bracket = memchr(text, '[', len);
    struct scim_path p;
    struct scim_err scratch;
    bool yes;

    if (!bracket || len < 3 || text[len - 1] != ']')
        return false;
    memset(&p, 0, sizeof(p));
    scim_err_clear(&scratch);
    yes = scim_path_parse(d->rt, text, (size_t)(bracket - text), 0, &p, &scratch) == 0 && !p.sub &&
          !p.attr->multi_valued && p.attr->type == SCIM_ATTR_COMPLEX;
    scim_path_clear(&p);
    return yes;
}

/*
 * entra.replace-absent-filter-element: Entra ID (without aadOptscim062020, so "Replace") replaces
 * a work e-mail the application no longer has with "emails[type eq \"work\"].value"; it is added
 * instead of failing with noTarget, as the no-path form (entra.filtered-key) is. Only where the
 * element can be built (an eq conjunction) and means something: the "value" of an attribute
 * that has one (an e-mail without an address is none), any sub-attribute of one that has not
 * (addresses[type eq "work"].locality).
 */
static bool replaces_absent_element(const struct dctx *d, enum op_kind op, bool capitalised,
                                    const struct scim_path *p)
{
    if (op != OP_REPLACE || !capitalised || !p->filter || !p->sub || !d->current)
        return false;
    if (has_value_sub(p->attr) && strcmp(p->sub->name, "value") != 0)
        return false;
    return scim_patch_filter_builds_element(p->filter) && !filter_hits(d, p);
}

static void rewrite_to_add(struct dctx *d, json_t *operation, const char *op_key)
{
    note(d, SCIM_DIALECT_ENTRA_REPLACE_ABSENT_FILTER_ELEMENT);
    json_object_set_new(operation, op_key, json_string(op_names[OP_ADD]));
}

/* An operation with a string "path": value rewrites against the attribute the path names, and
 * the detections that depend on the path. */
static void fix_path_operation(struct dctx *d, enum op_kind op, bool capitalised, json_t *operation,
                               const char *op_key, const char *path_key, const char *value_key)
{
    const json_t *pathv = json_object_get(operation, path_key);
    const char *text = json_string_value(pathv);
    size_t len = json_string_length(pathv);
    json_t *value = value_key ? json_object_get(operation, value_key) : NULL;
    const struct scim_schema_extension *ext = find_extension(d->rt, text, len);
    struct scim_path p;
    struct scim_err scratch;
    json_t *replacement;

    memset(&p, 0, sizeof(p));
    if (ext) {
        /* The path is a whole extension: the value is an object of its attributes. */
        if (op != OP_REMOVE && is_clear(value))
            note(d, SCIM_DIALECT_ENTRA_EMPTY_CLEARS);
        else if (op != OP_REMOVE && json_is_object(value))
            fix_members(d, ext->schema->attrs, ext->schema->n_attrs, value, true);
        goto out;
    }
    scim_err_clear(&scratch);
    if (scim_path_parse(d->rt, text, len, SCIM_PATH_ALLOW_FILTER, &p, &scratch) != 0) {
        if (op == OP_REMOVE && is_singular_value_filter(d, text, len))
            note(d, SCIM_DIALECT_ENTRA_SINGULAR_VALUE_FILTER);
        goto out;
    }
    if (scim_filter_has_string_boolean(p.filter))
        note(d, SCIM_DIALECT_ENTRA_STRING_BOOLEAN);
    if (op == OP_REMOVE) {
        /* entra.remove-members-by-value: Entra ID (without aadOptscim062020) removes group
         * members with "path": "members" and "value": [{"value": id}]; patch.c removes the
         * elements named. */
        if (!p.filter && !p.sub && p.attr->multi_valued && value && !is_clear(value))
            note(d, SCIM_DIALECT_ENTRA_REMOVE_MEMBERS_BY_VALUE);
        goto out;
    }
    if (!value)
        goto out;
    if (is_clear(value)) {
        /* entra.empty-clears: Entra ID clears an attribute by sending "" (and later null). */
        note(d, SCIM_DIALECT_ENTRA_EMPTY_CLEARS);
        /* Cleared again once it is gone (Entra retries its clears): an add of nothing. */
        if (replaces_absent_element(d, op, capitalised, &p))
            rewrite_to_add(d, operation, op_key);
        goto out;
    }
    replacement =
        p.sub ? fix_value(d, p.sub, false, value) : fix_value(d, p.attr, p.filter != NULL, value);
    if (replacement) {
        json_object_set_new(operation, value_key, replacement);
        value = replacement;
    }
    /* entra.add-absent-filter-element: Entra ID adds a first work e-mail with
     * "emails[type eq \"work\"].value"; patch.c creates the element the filter describes. */
    if (op == OP_ADD && p.filter && !filter_hits(d, &p))
        note(d, SCIM_DIALECT_ENTRA_ADD_ABSENT_FILTER_ELEMENT);
    if (replaces_absent_element(d, op, capitalised, &p))
        rewrite_to_add(d, operation, op_key);
    if (op == OP_ADD && !p.filter && !p.sub && is_members(p.attr))
        check_member_add(d, &p, value);
out:
    scim_path_clear(&p);
}

/*
 * add/replace without a path: value is an object of attributes. Keys are classified (plain,
 * dotted, fully qualified URN, schema URN) and each value is rewritten against the attribute its
 * key names.
 */
static void fix_no_path_operation(struct dctx *d, enum op_kind op, json_t *value)
{
    bool plain = false;
    bool qualified = false;
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe (value, tmp, key, v) {
        size_t len = strlen(key);
        const struct scim_schema_extension *ext = find_extension(d->rt, key, len);
        struct scim_path p;
        struct scim_err scratch;
        json_t *replacement;

        if (strcasecmp(key, "schemas") == 0)
            continue;
        if (ext || strcasecmp(key, d->rt->schema->id) == 0) {
            /* An object of one schema's attributes under its URN (RFC 7643 §3.3): standard. */
            const struct scim_schema *s = ext ? ext->schema : d->rt->schema;
            if (is_clear(v))
                note(d, SCIM_DIALECT_ENTRA_EMPTY_CLEARS);
            else if (json_is_object(v))
                fix_members(d, s->attrs, s->n_attrs, v, true);
            continue;
        }
        if (memchr(key, '[', len)) {
            /* entra.filtered-key: Entra ID (with aadOptscim062020) sends a changed work e-mail
             * as the key "emails[type eq \"work\"].value" of a no-path value; patch.c sets the
             * matching elements, or creates the one the filter describes. */
            note(d, SCIM_DIALECT_ENTRA_FILTERED_KEY);
            qualified = true;
        } else if (len > 4 && strncasecmp(key, "urn:", 4) == 0) {
            /* entra.urn-key: Entra ID qualifies extension attributes in a no-path value,
             * "urn:...:enterprise:2.0:User:manager"; patch.c resolves the key as a path. */
            note(d, SCIM_DIALECT_ENTRA_URN_KEY);
            qualified = true;
        } else if (memchr(key, '.', len)) {
            /* entra.dotted-key: Entra ID (with aadOptscim062020) sends "name.givenName" as a
             * key of a no-path value; patch.c resolves the key as a path. */
            note(d, SCIM_DIALECT_ENTRA_DOTTED_KEY);
            qualified = true;
        } else {
            plain = true;
        }
        memset(&p, 0, sizeof(p));
        scim_err_clear(&scratch);
        if (scim_path_parse(d->rt, key, len, SCIM_PATH_ALLOW_FILTER, &p, &scratch) != 0) {
            scim_path_clear(&p);
            continue;
        }
        if (is_clear(v)) {
            note(d, SCIM_DIALECT_ENTRA_EMPTY_CLEARS);
        } else {
            replacement =
                p.sub ? fix_value(d, p.sub, false, v) : fix_value(d, p.attr, p.filter != NULL, v);
            if (replacement) {
                json_object_set_new(value, key, replacement);
                v = replacement;
            }
            if (op == OP_ADD && !p.sub && is_members(p.attr))
                check_member_add(d, &p, v);
            if (p.filter && !filter_hits(d, &p))
                note(d, SCIM_DIALECT_ENTRA_ADD_ABSENT_FILTER_ELEMENT);
        }
        if (scim_filter_has_string_boolean(p.filter))
            note(d, SCIM_DIALECT_ENTRA_STRING_BOOLEAN);
        scim_path_clear(&p);
    }
    /* okta.no-path-replace: Okta deactivates and reactivates with {"op": "replace", "value":
     * {"active": false}}; RFC 7644 §3.5.2.3 allows it, and it is named so that an operator can
     * tell it from Entra ID's no-path form with dotted or URN keys. */
    if (op == OP_REPLACE && plain && !qualified)
        note(d, SCIM_DIALECT_OKTA_NO_PATH_REPLACE);
}

/* The canonical op of text ignoring case, or OP_UNKNOWN. */
static enum op_kind op_of(const char *text)
{
    if (strcasecmp(text, "add") == 0)
        return OP_ADD;
    if (strcasecmp(text, "replace") == 0)
        return OP_REPLACE;
    if (strcasecmp(text, "remove") == 0)
        return OP_REMOVE;
    return OP_UNKNOWN;
}

/* Normalises one member of "Operations" in place. Operations of the wrong shape are left for
 * patch.c to reject. */
static void fix_operation(struct dctx *d, json_t *operation)
{
    const char *op_key = scim_json_key_ci(operation, "op");
    const char *path_key = scim_json_key_ci(operation, "path");
    const char *value_key = scim_json_key_ci(operation, "value");
    json_t *opv = op_key ? json_object_get(operation, op_key) : NULL;
    json_t *pathv = path_key ? json_object_get(operation, path_key) : NULL;
    json_t *value = value_key ? json_object_get(operation, value_key) : NULL;
    enum op_kind op;

    if (!json_is_string(opv))
        return;
    op = op_of(json_string_value(opv));
    if (op == OP_UNKNOWN)
        return;
    bool capitalised = strcmp(json_string_value(opv), op_names[op]) != 0;
    if (capitalised) {
        /* entra.capitalised-op: Entra ID (without aadOptscim062020) sends "Replace", "Add" and
         * "Remove"; RFC 7644 §3.5.2 spells them in lower case. */
        note(d, SCIM_DIALECT_ENTRA_CAPITALISED_OP);
        json_object_set_new(operation, op_key, json_string(op_names[op]));
    }
    if (json_is_string(pathv))
        fix_path_operation(d, op, capitalised, operation, op_key, path_key, value_key);
    else if ((!pathv || json_is_null(pathv)) && op != OP_REMOVE && json_is_object(value))
        fix_no_path_operation(d, op, value);
}

/* ---- Entry points ---- */

int scim_dialect_normalize_patch(const struct scim_resource_type *rt, const json_t *current,
                                 const json_t *body, json_t **out,
                                 struct scim_dialect_report *report, struct scim_err *err)
{
    struct scim_dialect_report scratch = {0};
    struct dctx d = {.rt = rt,
                     .current = json_is_object(current) ? current : NULL,
                     .report = report ? report : &scratch,
                     .patch = true};
    json_t *copy = json_deep_copy(body);
    json_t *ops = rt && json_is_object(copy) ? scim_json_get_ci(copy, "Operations") : NULL;
    size_t i;
    json_t *operation;

    (void)err;
    json_array_foreach (ops, i, operation) {
        if (json_is_object(operation))
            fix_operation(&d, operation);
    }
    *out = copy;
    return 0;
}

/*
 * entra.adscim-schema: Entra ID's "Create Group" (and older User) requests list Microsoft's own
 * "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group" in "schemas"; it
 * names no attributes scimd could store, so it is dropped instead of refused as an unknown schema.
 */
static void drop_adscim_schemas(struct dctx *d, json_t *schemas)
{
    static const char prefix[] = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/";
    for (size_t i = json_array_size(schemas); i-- > 0;) {
        const char *urn = json_string_value(json_array_get(schemas, i));
        if (urn && strncasecmp(urn, prefix, sizeof(prefix) - 1) == 0) {
            note(d, SCIM_DIALECT_ENTRA_ADSCIM_SCHEMA);
            json_array_remove(schemas, i);
        }
    }
}

int scim_dialect_normalize_resource(const struct scim_resource_type *rt, const json_t *body,
                                    json_t **out, struct scim_dialect_report *report,
                                    struct scim_err *err)
{
    struct scim_dialect_report scratch = {0};
    struct dctx d = {
        .rt = rt, .current = NULL, .report = report ? report : &scratch, .patch = false};
    json_t *copy = json_deep_copy(body);
    const char *key;
    json_t *v;
    void *tmp;

    (void)err;
    if (json_is_object(copy))
        drop_adscim_schemas(&d, scim_json_get_ci(copy, "schemas"));
    if (rt && json_is_object(copy)) {
        size_t n_common;
        const struct scim_attr *common = scim_schema_common_attrs(&n_common);
        json_object_foreach_safe (copy, tmp, key, v) {
            const struct scim_schema_extension *ext = find_extension(rt, key, strlen(key));
            const struct scim_attr *def;
            json_t *replacement;
            if (ext) {
                if (json_is_object(v))
                    fix_members(&d, ext->schema->attrs, ext->schema->n_attrs, v, false);
                continue;
            }
            def = scim_attr_find(rt->schema->attrs, rt->schema->n_attrs, key);
            if (!def)
                def = scim_attr_find(common, n_common, key);
            if (!def)
                continue;
            replacement = fix_value(&d, def, false, v);
            if (replacement)
                json_object_set_new(copy, key, replacement);
        }
    }
    *out = copy;
    return 0;
}
