/*
 * path — attribute paths resolved against the schemas of one resource type: attrPath of
 * RFC 7644 §3.10 ([URI ":"] ATTRNAME *1subAttr, as used by attributes=, excludedAttributes= and
 * sortBy) and the PATCH path of RFC 7644 §3.5.2 (attrPath / valuePath [subAttr]), with the
 * attribute model of RFC 7643 §2, §3.1 (common attributes) and §3.3 (extension URN prefixes).
 * Owns: struct scim_path, the resolution order of unqualified names and the canonical spelling of
 * a path. Must not: touch documents (patch.c does), parse filter text itself (filter.c does,
 * through scim_filter_parse_in), or know SQL or HTTP.
 */
#include "path.h"

#include "filter.h"
#include "mem.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The longest piece of client text quoted back in an error detail. */
#define QUOTE_MAX 200

/*
 * "schemas" (RFC 7643 §3) is carried by every resource. When the registry's common attributes do
 * not define it, this definition lets paths and filters such as the RFC 7644 §3.4.2.2 example
 * 'schemas eq "urn:...:enterprise:2.0:User"' resolve.
 */
static const char *const schemas_reference_types[] = {"uri", NULL};
static const struct scim_attr schemas_attr = {
    .name = "schemas",
    .type = SCIM_ATTR_REFERENCE,
    .multi_valued = true,
    .required = true,
    .case_exact = false,
    .mutability = SCIM_MUT_READ_WRITE,
    .returned = SCIM_RET_ALWAYS,
    .uniqueness = SCIM_UNIQ_NONE,
    .description = "The schema URIs of the resource.",
    .reference_types = schemas_reference_types,
};

/* Clips a length for quoting with "%.*s". */
static int quote_len(size_t len)
{
    return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * True when s[0..len) is an ATTRNAME of RFC 7644 §3.10 (ALPHA *(nameChar)), extended with '$'
 * because RFC 7643 itself names sub-attributes "$ref".
 */
static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || !(is_alpha(s[0]) || s[0] == '$'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '$'))
            return false;
    }
    return true;
}

/* True when the NUL-terminated URN id equals s[0..len) ignoring ASCII case. */
static bool urn_equals(const char *id, const char *s, size_t len)
{
    return strlen(id) == len && strncasecmp(id, s, len) == 0;
}

const struct scim_schema *scim_path_schema(const struct scim_resource_type *rt, const char *s,
                                           size_t len)
{
    if (urn_equals(rt->schema->id, s, len))
        return rt->schema;
    for (size_t i = 0; i < rt->n_extensions; i++)
        if (urn_equals(rt->extensions[i].schema->id, s, len))
            return rt->extensions[i].schema;
    return NULL;
}

/* True when attr is one of the n entries of list (compared by address). */
static bool attr_in(const struct scim_attr *attr, const struct scim_attr *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (&list[i] == attr)
            return true;
    }
    return false;
}

/* Looks name up among the common attributes, then the built-in "schemas". Borrowed result. */
static const struct scim_attr *find_common(const char *name, size_t len)
{
    size_t n = 0;
    const struct scim_attr *common = scim_schema_common_attrs(&n);
    const struct scim_attr *attr = scim_attr_findn(common, n, name, len);
    if (!attr && len == 7 && strncasecmp(name, "schemas", 7) == 0)
        attr = &schemas_attr;
    return attr;
}

/* True when attr is a common attribute (including the built-in "schemas"). */
static bool is_common(const struct scim_attr *attr)
{
    size_t n = 0;
    const struct scim_attr *common = scim_schema_common_attrs(&n);
    return attr == &schemas_attr || attr_in(attr, common, n);
}

/*
 * Resolves sub (s[0..len), the text after "attr.") among attr's sub-attributes into out->sub.
 * whole[0..whole_len) is the complete path, quoted in error details.
 */
static int resolve_sub(const struct scim_attr *attr, const char *s, size_t len, const char *whole,
                       size_t whole_len, struct scim_path *out, struct scim_err *err)
{
    int rc = 0;
    if (memchr(s, '.', len)) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                          "'%.*s': sub-attributes have no sub-attributes of their own",
                          quote_len(whole_len), whole);
        goto out;
    }
    if (!valid_name(s, len)) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                          "'%.*s': '%.*s' is not a valid sub-attribute name", quote_len(whole_len),
                          whole, quote_len(len), s);
        goto out;
    }
    if (attr->type != SCIM_ATTR_COMPLEX) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                          "'%.*s': %s is not complex, so it has no sub-attributes",
                          quote_len(whole_len), whole, attr->name);
        goto out;
    }
    out->sub = scim_attr_findn(attr->sub_attrs, attr->n_sub_attrs, s, len);
    if (!out->sub) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH, "'%.*s': no such sub-attribute",
                          quote_len(whole_len), whole);
        goto out;
    }
out:
    return rc;
}

/*
 * Resolves the part of a path before any '[': [urn ":"] name ["." sub]. The URN ends at the last
 * ':' (URNs contain '.', names do not contain ':'). Fills out->schema, in_extension, attr and sub.
 */
static int resolve_head(const struct scim_resource_type *rt, const char *s, size_t len,
                        const char *whole, size_t whole_len, struct scim_path *out,
                        struct scim_err *err)
{
    int rc = 0;
    const char *urn = NULL;
    size_t urn_len = 0;
    const char *name = s;
    size_t name_len = len;
    const char *colon = memrchr(s, ':', len);
    if (colon) {
        urn = s;
        urn_len = (size_t)(colon - s);
        name = colon + 1;
        name_len = len - urn_len - 1;
    }
    const char *dot = memchr(name, '.', name_len);
    size_t attr_len = dot ? (size_t)(dot - name) : name_len;

    if (!valid_name(name, attr_len) || (urn && urn_len == 0)) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH, "'%.*s' is not a valid attribute path",
                          quote_len(whole_len), whole);
        goto out;
    }

    if (urn) {
        const struct scim_schema *schema = scim_path_schema(rt, urn, urn_len);
        if (!schema) {
            rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                              "'%.*s': '%.*s' is not a schema of %s", quote_len(whole_len), whole,
                              quote_len(urn_len), urn, rt->name);
            goto out;
        }
        out->schema = schema;
        out->in_extension = schema != rt->schema;
        out->attr = scim_attr_findn(schema->attrs, schema->n_attrs, name, attr_len);
        if (!out->attr && schema == rt->schema) {
            /* Some clients qualify id, externalId and meta with the core schema URN. */
            out->attr = find_common(name, attr_len);
            out->schema = NULL;
        }
        if (!out->attr) {
            rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                              "Attribute '%.*s' is not defined in %.*s", quote_len(attr_len), name,
                              quote_len(urn_len), urn);
            goto out;
        }
    } else {
        /* Unqualified names: the core schema, the common attributes, then the extensions. */
        out->schema = rt->schema;
        out->attr = scim_attr_findn(rt->schema->attrs, rt->schema->n_attrs, name, attr_len);
        if (!out->attr) {
            out->schema = NULL;
            out->attr = find_common(name, attr_len);
        }
        for (size_t i = 0; !out->attr && i < rt->n_extensions; i++) {
            const struct scim_schema *ext = rt->extensions[i].schema;
            out->attr = scim_attr_findn(ext->attrs, ext->n_attrs, name, attr_len);
            if (out->attr) {
                out->schema = ext;
                out->in_extension = true;
            }
        }
        if (!out->attr) {
            rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                              "Attribute '%.*s' is not defined for %s", quote_len(attr_len), name,
                              rt->name);
            goto out;
        }
    }

    if (dot)
        rc = resolve_sub(out->attr, dot + 1, name_len - attr_len - 1, whole, whole_len, out, err);
out:
    return rc;
}

/*
 * Finds the ']' that closes the '[' at text[open], skipping JSON strings (a ']' inside "..." is
 * part of a value). Returns its index, or len when there is none.
 */
static size_t find_close(const char *text, size_t len, size_t open)
{
    bool in_string = false;
    for (size_t i = open + 1; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == ']') {
            return i;
        }
    }
    return len;
}

int scim_path_parse(const struct scim_resource_type *rt, const char *text, size_t len,
                    unsigned flags, struct scim_path *out, struct scim_err *err)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (len == 0) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH, "The attribute path is empty");
        goto out;
    }
    if (memchr(text, '\0', len)) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                          "The attribute path contains a NUL character");
        goto out;
    }

    const char *bracket = memchr(text, '[', len);
    size_t head_len = bracket ? (size_t)(bracket - text) : len;
    rc = resolve_head(rt, text, head_len, text, len, out, err);
    if (rc)
        goto out;
    if (!bracket)
        goto out;

    if (!(flags & SCIM_PATH_ALLOW_FILTER)) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                          "'%.*s': a value filter [...] is not allowed here", quote_len(len), text);
        goto out;
    }
    if (out->sub) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                          "'%.*s': a value filter must follow an attribute, not a sub-attribute",
                          quote_len(len), text);
        goto out;
    }
    if (out->attr->type != SCIM_ATTR_COMPLEX || !out->attr->multi_valued) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH,
                          "'%.*s': %s is not a multi-valued complex attribute, so it takes no "
                          "value filter",
                          quote_len(len), text, out->attr->name);
        goto out;
    }

    size_t open = head_len;
    size_t close = find_close(text, len, open);
    if (close == len) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH, "'%.*s': missing ']'", quote_len(len),
                          text);
        goto out;
    }
    rc = scim_filter_parse_in(rt, out->attr, text + open + 1, close - open - 1, open + 1, NULL, 1,
                              &out->filter, err);
    if (rc)
        goto out;

    size_t after = close + 1;
    if (after == len)
        goto out;
    if (text[after] != '.') {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_PATH, "'%.*s': unexpected text after ']'",
                          quote_len(len), text);
        goto out;
    }
    rc = resolve_sub(out->attr, text + after + 1, len - after - 1, text, len, out, err);
out:
    if (rc)
        scim_path_clear(out);
    return rc;
}

int scim_path_from_attr(const struct scim_resource_type *rt, const struct scim_attr *attr,
                        const struct scim_attr *sub, struct scim_path *out)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (attr_in(attr, rt->schema->attrs, rt->schema->n_attrs)) {
        out->schema = rt->schema;
    } else if (is_common(attr)) {
        out->schema = NULL;
    } else {
        for (size_t i = 0; i < rt->n_extensions; i++) {
            const struct scim_schema *ext = rt->extensions[i].schema;
            if (attr_in(attr, ext->attrs, ext->n_attrs)) {
                out->schema = ext;
                out->in_extension = true;
                break;
            }
        }
        if (!out->schema) {
            rc = SCIM_ERR;
            goto out;
        }
    }
    out->attr = attr;
    out->sub = sub;
out:
    return rc;
}

void scim_path_clear(struct scim_path *path)
{
    scim_filter_free(path->filter);
    memset(path, 0, sizeof(*path));
}

char *scim_path_format(const struct scim_path *path, char *buf, size_t size)
{
    if (size == 0)
        goto out;
    if (!path->attr) {
        buf[0] = '\0';
        goto out;
    }
    const char *urn = path->in_extension && path->schema ? path->schema->id : NULL;
    snprintf(buf, size, "%s%s%s%s%s", urn ? urn : "", urn ? ":" : "", path->attr->name,
             path->sub ? "." : "", path->sub ? path->sub->name : "");
out:
    return buf;
}
