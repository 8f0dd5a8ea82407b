/*
 * resource — validation and normalisation of a resource a client sends (RFC 7643 §2.1-§2.5, §3,
 * §4; RFC 7644 §3.3 and §3.5.1 write semantics), rendering of a stored resource with id and meta
 * (RFC 7643 §3.1), the weak ETag of a version (RFC 7644 §3.14) and RFC 3339 time stamps.
 * Owns: the write-mode rules (readOnly dropped, immutable enforced, required checked, writeOnly
 * password extracted), canonical attribute spelling and key order, value type checks, and the
 * ETag text. Must not: know SQL or HTTP, or look anything up beyond the schema registry.
 * Normalised documents hold canonical attribute names in schema order: schemas, externalId, core
 * attributes, then one object per extension present under its schema URN; never id or meta.
 */
#include "resource.h"

#include "datetime.h"
#include "json.h"
#include "mem.h"
#include "text.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Attribute paths quoted in error details ("emails.type", "urn:...:User:manager.value") are cut
 * to this many bytes; the detail itself holds 512. */
#define PATH_BYTES 256

/* ---- Small helpers ---- */

/* True when v holds no value: absent, null or an empty array (RFC 7643 §2.5). */
static bool is_unassigned(const json_t *v)
{
    return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0);
}

/* True when v is a string of nothing but white space (or nothing at all): no value for a
 * required attribute such as userName. */
static bool is_blank_string(const json_t *v)
{
    if (!json_is_string(v))
        return false;
    const char *text = json_string_value(v);
    return text[strspn(text, " \t\r\n")] == '\0';
}

static bool has_immutable_sub_attr(const struct scim_attr *attr)
{
    for (size_t i = 0; i < attr->n_sub_attrs; i++) {
        if (attr->sub_attrs[i].mutability == SCIM_MUT_IMMUTABLE)
            return true;
    }
    return false;
}

/* ---- Value syntax (RFC 7643 §2.3) ---- */

static bool is_base64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/*
 * True when s[0..len) is base64 as RFC 7643 §2.3.6 requires (RFC 4648 §4: the standard
 * alphabet, padded with '=' to a multiple of four characters, no whitespace).
 */
static bool valid_base64(const char *s, size_t len)
{
    if (len % 4 != 0)
        return false;
    size_t padding = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=') {
            padding++;
            continue;
        }
        if (padding > 0 || !is_base64_char(s[i]))
            return false;
    }
    return padding <= 2;
}

/* ---- Errors ---- */

/*
 * Writes prefix + name + suffix into buf (PATH_BYTES); a path too long for it is cut and ends
 * in "..." so that error details stay readable.
 */
static void path_join(char *buf, const char *prefix, const char *name, const char *suffix)
{
    /* Once per attribute of every write: copies, not snprintf. */
    const char *parts[] = {prefix, name, suffix};
    size_t used = 0;
    for (size_t i = 0; i < 3; i++) {
        size_t len = strlen(parts[i]);
        if (used + len >= PATH_BYTES) {
            memcpy(buf + used, parts[i], PATH_BYTES - 1 - used);
            memcpy(buf + PATH_BYTES - 4, "...", 4);
            return;
        }
        memcpy(buf + used, parts[i], len);
        used += len;
    }
    buf[used] = '\0';
}

/* Fills err with the 400 invalidValue for a value of attr (at path) of the wrong shape. */
static int type_error(const struct scim_attr *attr, const char *path, struct scim_err *err)
{
    const char *expected = "a string";
    switch (attr->type) {
    case SCIM_ATTR_STRING:
        expected = "a string";
        break;
    case SCIM_ATTR_BOOLEAN:
        expected = "a boolean (true or false)";
        break;
    case SCIM_ATTR_DECIMAL:
        expected = "a number";
        break;
    case SCIM_ATTR_INTEGER:
        expected = "an integer";
        break;
    case SCIM_ATTR_DATETIME:
        expected = "a dateTime string such as \"2026-01-15T12:00:00Z\"";
        break;
    case SCIM_ATTR_BINARY:
        expected = "a base64-encoded string";
        break;
    case SCIM_ATTR_REFERENCE:
        expected = "a reference (a URI string)";
        break;
    case SCIM_ATTR_COMPLEX:
        expected = "a complex value (a JSON object)";
        break;
    }
    if (attr->multi_valued) {
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                            "Attribute '%s' must be an array of %s values", path,
                            scim_attr_type_name(attr->type));
    }
    return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "Attribute '%s' must be %s", path,
                        expected);
}

static int duplicate_error(const char *path, struct scim_err *err)
{
    return scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                        "Attribute '%s' appears more than once (attribute names are "
                        "case-insensitive)",
                        path);
}

static int too_long_error(const char *path, struct scim_err *err)
{
    return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "Attribute '%s' is longer than %d bytes",
                        path, SCIM_RESOURCE_MAX_STRING);
}

/* ---- Normalisation ---- */

static int normalize_attrs(const struct scim_attr *attrs, size_t n, const char *schema_urn,
                           const char *prefix, const json_t *in, bool required_if_empty,
                           json_t **out, struct scim_err *err);

/*
 * Returns a new reference: the string in (already checked to be a string), rewritten to the
 * spelling of the canonical value of attr it matches case-insensitively, if any.
 */
static json_t *string_value(const struct scim_attr *attr, const json_t *in)
{
    const char *s = json_string_value(in);
    if (attr->canonical_values) {
        for (size_t i = 0; attr->canonical_values[i]; i++) {
            if (scim_text_caseeq(attr->canonical_values[i], s))
                return json_string(attr->canonical_values[i]);
        }
    }
    return json_stringn(s, json_string_length(in));
}

/*
 * Normalises one (not multi-valued) value of attr at path. *out is a new reference, or NULL when
 * a complex value is left without any sub-attribute (unassigned).
 */
static int normalize_single(const struct scim_attr *attr, const char *schema_urn, const char *path,
                            const json_t *in, json_t **out, struct scim_err *err)
{
    *out = NULL;
    switch (attr->type) {
    case SCIM_ATTR_COMPLEX: {
        if (!json_is_object(in))
            return type_error(attr, path, err);
        char prefix[PATH_BYTES];
        path_join(prefix, path, "", ".");
        json_t *obj = NULL;
        int rc = normalize_attrs(attr->sub_attrs, attr->n_sub_attrs, schema_urn, prefix, in, false,
                                 &obj, err);
        if (rc)
            return rc;
        if (json_object_size(obj) == 0) {
            json_decref(obj);
            obj = NULL;
        }
        *out = obj;
        return 0;
    }
    case SCIM_ATTR_STRING:
    case SCIM_ATTR_REFERENCE:
    case SCIM_ATTR_DATETIME:
    case SCIM_ATTR_BINARY: {
        if (!json_is_string(in))
            return type_error(attr, path, err);
        size_t len = json_string_length(in);
        if (len > SCIM_RESOURCE_MAX_STRING)
            return too_long_error(path, err);
        /* dateTime (RFC 7643 §2.3.5): the xsd:dateTime lexical form with a four-digit year,
         * optional fractional seconds and an optional zone "Z" or "+hh:mm"/"-hh:mm" within
         * ±14:00; a leap second (:60) is accepted as RFC 3339 allows it. */
        if (attr->type == SCIM_ATTR_DATETIME &&
            !scim_datetime_parse(json_string_value(in), len, SCIM_DATETIME_STRICT, NULL))
            return type_error(attr, path, err);
        if (attr->type == SCIM_ATTR_BINARY && !valid_base64(json_string_value(in), len))
            return type_error(attr, path, err);
        *out = string_value(attr, in);
        return 0;
    }
    case SCIM_ATTR_BOOLEAN:
        if (!json_is_boolean(in))
            return type_error(attr, path, err);
        *out = json_boolean(json_is_true(in));
        return 0;
    case SCIM_ATTR_INTEGER:
        if (!json_is_integer(in))
            return type_error(attr, path, err);
        *out = json_integer(json_integer_value(in));
        return 0;
    case SCIM_ATTR_DECIMAL:
        if (!json_is_number(in))
            return type_error(attr, path, err);
        *out = json_is_integer(in) ? json_integer(json_integer_value(in))
                                   : json_real(json_real_value(in));
        return 0;
    }
    return scim_err_internal(err, "resource: attribute of unknown type");
}

/*
 * Normalises the value of attr at path. *out is a new reference, or NULL when the value is
 * unassigned: null, an empty array, or nothing left after dropping empty complex values.
 * Multi-valued complex attributes may hold at most one value with "primary": true.
 */
static int normalize_value(const struct scim_attr *attr, const char *schema_urn, const char *path,
                           const json_t *in, json_t **out, struct scim_err *err)
{
    *out = NULL;
    if (json_is_null(in))
        return 0;
    if (!attr->multi_valued)
        return normalize_single(attr, schema_urn, path, in, out, err);
    if (!json_is_array(in))
        return type_error(attr, path, err);

    int rc = 0;
    json_t *array = json_array();
    size_t primaries = 0;
    for (size_t index = 0; index < json_array_size(in); index++) {
        json_t *elem = json_array_get(in, index);
        json_t *value = NULL;
        rc = normalize_single(attr, schema_urn, path, elem, &value, err);
        if (rc)
            goto out;
        if (!value)
            continue;
        if (attr->type == SCIM_ATTR_COMPLEX && json_is_true(json_object_get(value, "primary")))
            primaries++;
        json_array_append_new(array, value);
    }
    if (primaries > 1) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                          "Attribute '%s' has more than one value with \"primary\": true", path);
        goto out;
    }
    if (json_array_size(array) > 0) {
        *out = array;
        array = NULL;
    }
out:
    json_decref(array);
    return rc;
}

/*
 * Normalises the object in against the attribute list attrs (the attributes of a schema, or the
 * sub-attributes of a complex attribute). prefix is prepended to names in error details ("",
 * "name." or "urn:...:User:"). On success *out is a new reference to an object holding the
 * assigned attributes in list order under their canonical names (possibly empty). readOnly
 * attributes are dropped; required ones are checked when the result is not empty, or always when
 * required_if_empty is set.
 */
static int normalize_attrs(const struct scim_attr *attrs, size_t n, const char *schema_urn,
                           const char *prefix, const json_t *in, bool required_if_empty,
                           json_t **out, struct scim_err *err)
{
    int rc = 0;
    char path[PATH_BYTES];
    /* Slot i: the normalised value of attrs[i] (a new reference), NULL while unassigned; given[i]
     * is set once any spelling of its name was seen, so that a second spelling is caught. */
    json_t *values[SCIM_SCHEMA_MAX_ATTRS] = {NULL};
    bool given[SCIM_SCHEMA_MAX_ATTRS] = {false};
    json_t *result = NULL;

    *out = NULL;
    if (n > SCIM_SCHEMA_MAX_ATTRS) {
        rc = scim_err_internal(err, "resource: an attribute list is longer than the schema limit");
        goto out;
    }
    for (void *it = json_object_iter((json_t *)in); it;
         it = json_object_iter_next((json_t *)in, it)) {
        const char *key = json_object_iter_key(it);
        json_t *value = json_object_iter_value(it);
        const struct scim_attr *attr = scim_attr_find(attrs, n, key);
        /* null is unassigned (RFC 7643 §2.5): an unknown attribute set to null carries nothing
         * (Entra ID's tutorial creates a user with "department": null at the top level). */
        if (!attr && json_is_null(value))
            continue;
        if (!attr) {
            path_join(path, prefix, key, "");
            rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                              "Attribute '%s' is not defined by %s", path, schema_urn);
            goto out;
        }
        size_t slot = (size_t)(attr - attrs);
        path_join(path, prefix, attr->name, "");
        if (given[slot]) {
            rc = duplicate_error(path, err);
            goto out;
        }
        given[slot] = true;
        /* RFC 7644 §3.3, §3.5.1: values of readOnly attributes a client sends are ignored. */
        if (attr->mutability != SCIM_MUT_READ_ONLY) {
            rc = normalize_value(attr, schema_urn, path, value, &values[slot], err);
            if (rc)
                goto out;
        }
    }

    result = json_object();
    for (size_t i = 0; i < n; i++) {
        if (values[i]) {
            json_object_set_new(result, attrs[i].name, values[i]);
            values[i] = NULL;
        }
    }
    if (json_object_size(result) > 0 || required_if_empty) {
        for (size_t i = 0; i < n; i++) {
            if (!attrs[i].required || attrs[i].mutability == SCIM_MUT_READ_ONLY)
                continue;
            json_t *value = json_object_get(result, attrs[i].name);
            if (!value || is_blank_string(value)) {
                path_join(path, prefix, attrs[i].name, "");
                rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE, "Attribute '%s' is required",
                                  path);
                goto out;
            }
        }
    }
    *out = result;
    result = NULL;
out:
    for (size_t i = 0; i < n && i < SCIM_SCHEMA_MAX_ATTRS; i++)
        json_decref(values[i]);
    json_decref(result);
    return rc;
}

/* Checks the "schemas" member of a request (RFC 7643 §3): URNs of rt only, the core one among. */
static int check_schemas(const struct scim_resource_type *rt, const json_t *schemas,
                         struct scim_err *err)
{
    bool has_core = false;
    if (!json_is_array(schemas)) {
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                            "\"schemas\" must be an array of schema URNs");
    }
    for (size_t index = 0; index < json_array_size(schemas); index++) {
        json_t *elem = json_array_get(schemas, index);
        if (!json_is_string(elem)) {
            return scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                                "\"schemas\" must be an array of schema URNs");
        }
        const char *urn = json_string_value(elem);
        if (strcasecmp(urn, rt->schema->id) == 0) {
            has_core = true;
        } else if (!scim_resource_type_extension(rt, urn)) {
            return scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                                "Schema '%.200s' is not the schema or an extension of resource "
                                "type '%s'",
                                urn, rt->name);
        }
    }
    if (!has_core) {
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX, "\"schemas\" must contain %s",
                            rt->schema->id);
    }
    return 0;
}

static bool value_equal(const struct scim_attr *attr, const json_t *a, const json_t *b);

/* Compares two single values of attr; caseExact=false strings compare ignoring case. */
static bool single_equal(const struct scim_attr *attr, const json_t *a, const json_t *b)
{
    if (attr->type == SCIM_ATTR_COMPLEX) {
        if (!json_is_object(a) || !json_is_object(b))
            return json_equal(a, b);
        for (size_t i = 0; i < attr->n_sub_attrs; i++) {
            const struct scim_attr *sub = &attr->sub_attrs[i];
            if (!value_equal(sub, scim_json_get_ci(a, sub->name), scim_json_get_ci(b, sub->name)))
                return false;
        }
        return true;
    }
    if ((attr->type == SCIM_ATTR_STRING || attr->type == SCIM_ATTR_REFERENCE) &&
        !attr->case_exact && json_is_string(a) && json_is_string(b))
        return scim_text_caseeq(json_string_value(a), json_string_value(b));
    return json_equal(a, b);
}

/* Compares two values of attr (either may be unassigned); multi-valued ones element by element. */
static bool value_equal(const struct scim_attr *attr, const json_t *a, const json_t *b)
{
    if (is_unassigned(a) || is_unassigned(b))
        return is_unassigned(a) && is_unassigned(b);
    if (!attr->multi_valued)
        return single_equal(attr, a, b);
    if (!json_is_array(a) || !json_is_array(b) || json_array_size(a) != json_array_size(b))
        return false;
    for (size_t i = 0; i < json_array_size(a); i++) {
        if (!single_equal(attr, json_array_get(a, i), json_array_get(b, i)))
            return false;
    }
    return true;
}

/*
 * Enforces immutable attributes (RFC 7643 §2.2, RFC 7644 §3.5.1) of the list attrs between the
 * new object and the old one (either may be NULL): an attribute the old object has a value for
 * must have an equal value in the new one. Within a multi-valued complex attribute, whose values
 * have no identity but their "value", a new element is matched with the old element of the same
 * "value"; immutable sub-attributes it gives must then equal the old ones (one it omits is left
 * as it was by the client's intent and not treated as a change), and unmatched elements are new.
 */
static int check_immutable(const struct scim_attr *attrs, size_t n, const char *prefix,
                           const json_t *new_obj, const json_t *old_obj, bool omitted_is_change,
                           struct scim_err *err)
{
    char path[PATH_BYTES];
    for (size_t i = 0; i < n; i++) {
        const struct scim_attr *attr = &attrs[i];
        if (attr->mutability == SCIM_MUT_READ_ONLY)
            continue;
        const json_t *new_value = scim_json_get_ci(new_obj, attr->name);
        const json_t *old_value = scim_json_get_ci(old_obj, attr->name);
        if (is_unassigned(old_value))
            continue;
        path_join(path, prefix, attr->name, "");
        if (attr->mutability == SCIM_MUT_IMMUTABLE) {
            if (!omitted_is_change && is_unassigned(new_value))
                continue;
            if (!value_equal(attr, new_value, old_value)) {
                return scim_err_set(err, 400, SCIM_TYPE_MUTABILITY,
                                    "Attribute '%s' is immutable and cannot be changed", path);
            }
            continue;
        }
        if (attr->type != SCIM_ATTR_COMPLEX || !has_immutable_sub_attr(attr))
            continue;
        char sub_prefix[PATH_BYTES];
        path_join(sub_prefix, path, "", ".");
        if (!attr->multi_valued) {
            int rc = check_immutable(attr->sub_attrs, attr->n_sub_attrs, sub_prefix, new_value,
                                     old_value, omitted_is_change, err);
            if (rc)
                return rc;
            continue;
        }
        const struct scim_attr *value_attr =
            scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, "value");
        if (!value_attr || !json_is_array(new_value) || !json_is_array(old_value))
            continue;
        for (size_t j = 0; j < json_array_size(new_value); j++) {
            const json_t *new_elem = json_array_get(new_value, j);
            const json_t *key = scim_json_get_ci(new_elem, "value");
            if (is_unassigned(key))
                continue;
            for (size_t k = 0; k < json_array_size(old_value); k++) {
                const json_t *old_elem = json_array_get(old_value, k);
                if (!single_equal(value_attr, key, scim_json_get_ci(old_elem, "value")))
                    continue;
                int rc = check_immutable(attr->sub_attrs, attr->n_sub_attrs, sub_prefix, new_elem,
                                         old_elem, false, err);
                if (rc)
                    return rc;
                break;
            }
        }
    }
    return 0;
}

/* True for the writeOnly "password" of the core User schema (RFC 7643 §4.1.1). */
static bool is_password_attr(const struct scim_attr *attr)
{
    return attr && attr->mutability == SCIM_MUT_WRITE_ONLY && strcmp(attr->name, "password") == 0;
}

int scim_resource_normalize(const struct scim_resource_type *rt, const json_t *input,
                            enum scim_write_mode mode, const json_t *existing, json_t **doc_out,
                            char **password_out, struct scim_err *err)
{
    int rc = 0;
    const struct scim_schema *core = rt->schema;
    size_t n_common = 0;
    const struct scim_attr *common = scim_schema_common_attrs(&n_common);
    const json_t *schemas = NULL;
    json_t *common_in = json_object();
    json_t *core_in = json_object();
    json_t *ext_in = json_object(); /* canonical extension URN → the object the client sent */
    json_t *common_doc = NULL;
    json_t *core_doc = NULL;
    json_t *ext_docs = json_object(); /* canonical extension URN → normalised object */
    json_t *doc = NULL;
    char *password = NULL;
    bool password_seen = false;

    *doc_out = NULL;
    if (password_out)
        *password_out = NULL;
    if (!json_is_object(input)) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX, "The resource must be a JSON object");
        goto out;
    }

    /* Sort the members into "schemas", common attributes, the password, extensions and the
     * core schema's attributes; unknown names are reported by the core schema. */
    for (void *it = json_object_iter((json_t *)input); it;
         it = json_object_iter_next((json_t *)input, it)) {
        const char *key = json_object_iter_key(it);
        json_t *value = json_object_iter_value(it);
        const struct scim_attr *core_attr = scim_attr_find(core->attrs, core->n_attrs, key);
        const struct scim_schema *ext = scim_resource_type_extension(rt, key);
        if (strcasecmp(key, "schemas") == 0) {
            if (schemas) {
                rc = duplicate_error("schemas", err);
                goto out;
            }
            schemas = value;
        } else if (scim_attr_find(common, n_common, key)) {
            json_object_set(common_in, key, value);
        } else if (is_password_attr(core_attr)) {
            if (password_seen) {
                rc = duplicate_error(core_attr->name, err);
                goto out;
            }
            password_seen = true;
            if (json_is_null(value))
                continue;
            if (!json_is_string(value)) {
                rc = type_error(core_attr, core_attr->name, err);
                goto out;
            }
            if (json_string_length(value) > SCIM_RESOURCE_MAX_STRING) {
                rc = too_long_error(core_attr->name, err);
                goto out;
            }
            /* An empty password is treated as no password at all. */
            if (json_string_length(value) > 0)
                password = scim_strndup(json_string_value(value), json_string_length(value));
        } else if (ext) {
            if (json_object_get(ext_in, ext->id)) {
                rc = duplicate_error(ext->id, err);
                goto out;
            }
            if (!json_is_null(value) && !json_is_object(value)) {
                rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                                  "Attribute '%s' must be a complex value (a JSON object) holding "
                                  "the attributes of that extension",
                                  ext->id);
                goto out;
            }
            json_object_set(ext_in, ext->id, value);
        } else {
            json_object_set(core_in, key, value);
        }
    }

    if (schemas && !json_is_null(schemas)) {
        rc = check_schemas(rt, schemas, err);
        if (rc)
            goto out;
    }

    rc = normalize_attrs(common, n_common, core->id, "", common_in, false, &common_doc, err);
    if (rc)
        goto out;
    rc = normalize_attrs(core->attrs, core->n_attrs, core->id, "", core_in, true, &core_doc, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < rt->n_extensions; i++) {
        const struct scim_schema *ext = rt->extensions[i].schema;
        json_t *in = json_object_get(ext_in, ext->id);
        json_t *ext_doc = NULL;
        if (json_is_object(in)) {
            char prefix[PATH_BYTES];
            path_join(prefix, ext->id, "", ":");
            rc = normalize_attrs(ext->attrs, ext->n_attrs, ext->id, prefix, in, false, &ext_doc,
                                 err);
            if (rc)
                goto out;
        }
        if (json_object_size(ext_doc) > 0) {
            json_object_set_new(ext_docs, ext->id, ext_doc);
        } else {
            json_decref(ext_doc);
            if (rt->extensions[i].required) {
                rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_VALUE,
                                  "Schema extension %s is required for resource type '%s'", ext->id,
                                  rt->name);
                goto out;
            }
        }
    }

    /* Assemble in the canonical order: schemas, externalId, core attributes, extensions. */
    doc = json_object();
    json_t *schema_list = json_array();
    json_array_append_new(schema_list, json_string(core->id));
    for (size_t i = 0; i < rt->n_extensions; i++) {
        const char *urn = rt->extensions[i].schema->id;
        if (json_object_get(ext_docs, urn))
            json_array_append_new(schema_list, json_string(urn));
    }
    json_object_set_new(doc, "schemas", schema_list);
    json_object_update(doc, common_doc);
    json_object_update(doc, core_doc);
    json_object_update(doc, ext_docs);

    if (mode == SCIM_WRITE_REPLACE && json_is_object(existing)) {
        rc = check_immutable(common, n_common, "", doc, existing, true, err);
        if (rc)
            goto out;
        rc = check_immutable(core->attrs, core->n_attrs, "", doc, existing, true, err);
        if (rc)
            goto out;
        for (size_t i = 0; i < rt->n_extensions; i++) {
            const struct scim_schema *ext = rt->extensions[i].schema;
            char prefix[PATH_BYTES];
            path_join(prefix, ext->id, "", ":");
            rc = check_immutable(ext->attrs, ext->n_attrs, prefix, json_object_get(doc, ext->id),
                                 scim_json_get_ci(existing, ext->id), true, err);
            if (rc)
                goto out;
        }
    }

    *doc_out = doc;
    doc = NULL;
    if (password_out) {
        *password_out = password;
        password = NULL;
    }
out:
    if (password) {
        explicit_bzero(password, strlen(password));
        scim_free(password);
    }
    json_decref(doc);
    json_decref(ext_docs);
    json_decref(core_doc);
    json_decref(common_doc);
    json_decref(ext_in);
    json_decref(core_in);
    json_decref(common_in);
    return rc;
}

/* ---- Rendering ----
 * The stored document is normalised (canonical keys), so rendering uses exact-key lookups. */

static json_t *render_attrs(const struct scim_attr *attrs, size_t n, const json_t *obj);

/* A new reference to the scalar v (string, number, boolean): shared with the stored document,
 * which nothing changes in place; containers are copied. */
static json_t *share_or_copy(const json_t *v)
{
    if (json_is_object(v) || json_is_array(v))
        return json_deep_copy(v);
    return json_incref((json_t *)v);
}

/* Returns a new reference: v, a value of attr, without returned=never parts (containers are
 * new, scalars shared). */
static json_t *render_value(const struct scim_attr *attr, const json_t *v)
{
    if (attr->type != SCIM_ATTR_COMPLEX)
        return share_or_copy(v);
    if (json_is_object(v))
        return render_attrs(attr->sub_attrs, attr->n_sub_attrs, v);
    if (!json_is_array(v))
        return share_or_copy(v);
    json_t *array = json_array();
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *elem = json_array_get(v, i);
        json_array_append_new(array, json_is_object(elem)
                                         ? render_attrs(attr->sub_attrs, attr->n_sub_attrs, elem)
                                         : share_or_copy(elem));
    }
    return array;
}

/*
 * Returns a new reference: the attributes of list attrs that obj holds, in list order under
 * their canonical names, without those whose returned is "never".
 */
static json_t *render_attrs(const struct scim_attr *attrs, size_t n, const json_t *obj)
{
    json_t *out = json_object();
    for (size_t i = 0; i < n; i++) {
        if (attrs[i].returned == SCIM_RET_NEVER)
            continue;
        const json_t *v = json_object_get(obj, attrs[i].name);
        if (is_unassigned(v))
            continue;
        json_object_set_new(out, attrs[i].name, render_value(&attrs[i], v));
    }
    return out;
}

json_t *scim_resource_render(const struct scim_resource_type *rt, const struct scim_resource *r,
                             const char *base_url)
{
    const json_t *doc = r->doc;
    json_t *out = json_object();

    const json_t *schemas = json_object_get(doc, "schemas");
    if (json_is_array(schemas) && json_array_size(schemas) > 0)
        json_object_set_new(out, "schemas", json_deep_copy(schemas));
    else
        json_object_set_new(out, "schemas", json_pack("[s]", rt->schema->id));
    json_object_set_new(out, "id", json_string(r->id));
    const json_t *external_id = json_object_get(doc, "externalId");
    if (json_is_string(external_id))
        json_object_set_new(out, "externalId", share_or_copy(external_id));

    json_t *core = render_attrs(rt->schema->attrs, rt->schema->n_attrs, doc);
    json_object_update(out, core);
    json_decref(core);
    for (size_t i = 0; i < rt->n_extensions; i++) {
        const struct scim_schema *ext = rt->extensions[i].schema;
        const json_t *ext_in = json_object_get(doc, ext->id);
        if (!json_is_object(ext_in))
            continue;
        json_t *ext_out = render_attrs(ext->attrs, ext->n_attrs, ext_in);
        if (json_object_size(ext_out) > 0)
            json_object_set_new(out, ext->id, ext_out);
        else
            json_decref(ext_out);
    }

    char created[SCIM_TIME_BUF], modified[SCIM_TIME_BUF], version[SCIM_ETAG_BUF];
    scim_time_format(r->created_ms, created, sizeof(created));
    scim_time_format(r->modified_ms, modified, sizeof(modified));
    scim_resource_etag(r->version, version, sizeof(version));
    const char *base = base_url ? base_url : "";
    size_t base_len = strlen(base);
    /* A trailing slash on the base would double the separator. */
    if (base_len > 0 && base[base_len - 1] == '/')
        base_len--;
    char *location = scim_asprintf("%.*s%s/%s", (int)base_len, base, rt->endpoint, r->id);
    json_t *meta = json_object();
    json_object_set_new(meta, "resourceType", json_string(rt->name));
    json_object_set_new(meta, "created", json_string(created));
    json_object_set_new(meta, "lastModified", json_string(modified));
    json_object_set_new(meta, "location", json_string(location));
    json_object_set_new(meta, "version", json_string(version));
    json_object_set_new(out, "meta", meta);
    scim_free(location);
    return out;
}

void scim_resource_clear(struct scim_resource *r)
{
    if (!r)
        return;
    json_decref(r->doc);
    json_decref(r->derived);
    memset(r, 0, sizeof(*r));
}

/* ---- ETags and time ---- */

bool scim_resource_etag_list_matches(const char *header, int64_t version)
{
    if (!header)
        return false;
    for (const char *p = header; *p;) {
        size_t len = strcspn(p, ",");
        char entry[64];
        if (len < sizeof(entry)) {
            memcpy(entry, p, len);
            entry[len] = '\0';
            int64_t v = scim_resource_etag_parse(entry);
            if (v == 0 || (v > 0 && v == version))
                return true;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

char *scim_resource_etag(int64_t version, char *buf, size_t size)
{
    if (size > 0)
        snprintf(buf, size, "W/\"%" PRId64 "\"", version);
    return buf;
}

int64_t scim_resource_etag_parse(const char *etag)
{
    if (!etag)
        return -1;
    size_t len = strlen(etag);
    /* Optional whitespace around a header field value is not part of it (RFC 9110 §5.5). */
    while (len > 0 && (*etag == ' ' || *etag == '\t')) {
        etag++;
        len--;
    }
    while (len > 0 && (etag[len - 1] == ' ' || etag[len - 1] == '\t'))
        len--;
    if (len == 1 && etag[0] == '*')
        return 0;
    if (len >= 2 && etag[0] == 'W' && etag[1] == '/') {
        etag += 2;
        len -= 2;
    }
    if (len < 3 || etag[0] != '"' || etag[len - 1] != '"')
        return -1;
    etag++;
    len -= 2;
    /* Versions start at 1 and are written without leading zeros; anything else was not issued
     * by this server. */
    if (etag[0] == '0')
        return -1;
    int64_t version = 0;
    for (size_t i = 0; i < len; i++) {
        if (etag[i] < '0' || etag[i] > '9')
            return -1;
        int digit = etag[i] - '0';
        if (version > (INT64_MAX - digit) / 10)
            return -1;
        version = version * 10 + digit;
    }
    return version;
}

char *scim_time_format(int64_t ms, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    int64_t seconds = ms / 1000;
    int64_t millis = ms % 1000;
    if (millis < 0) {
        millis += 1000;
        seconds -= 1;
    }
    time_t t = (time_t)seconds;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        buf[0] = '\0';
        return buf;
    }
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)millis);
    /* A cut time stamp would be a wrong one; a buffer too small gets an empty string. */
    if (n < 0 || (size_t)n >= size)
        buf[0] = '\0';
    return buf;
}

int64_t scim_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t scim_time_parse(const char *s)
{
    /* The admin API and scimctl read time bounds with this: a date alone or a space before the
     * time is accepted for people typing them, but a time must carry its zone. */
    unsigned flags = SCIM_DATETIME_DATE_ONLY | SCIM_DATETIME_SPACE | SCIM_DATETIME_NEED_ZONE;
    struct scim_instant t;
    if (!scim_datetime_parse(s, strlen(s), flags, &t) || t.sec < 0)
        return -1;
    return scim_datetime_ms(&t, NULL);
}
