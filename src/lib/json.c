/*
 * json — request-body parsing with limits and clear SCIM errors, case-insensitive lookup, setting
 * a member ahead of a rendered resource's "meta",
 * serialisation. The depth check is a single pass over the bytes before jansson runs, so a
 * hostile 100,000-deep array costs one scan and no allocation.
 */
#include "json.h"

#include "mem.h"
#include "text.h"

#include <string.h>
#include <strings.h>

/* Returns the deepest nesting of [ and { outside strings in body; stops early past limit. */
static size_t nesting_depth(const char *body, size_t len, size_t limit)
{
    size_t depth = 0, max = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max) {
                max = depth;
                if (max > limit)
                    return max;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

int scim_json_parse_object(const char *body, size_t len, size_t max_depth, json_t **out,
                           struct scim_err *err)
{
    int rc = 0;
    json_t *doc = NULL;
    *out = NULL;
    if (len == 0) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                          "The request body is empty; a JSON object is required.");
        goto out;
    }
    if (!scim_text_valid_utf8(body, len)) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                          "The request body is not valid UTF-8 (RFC 7644 §3.1 requires UTF-8 "
                          "JSON).");
        goto out;
    }
    if (nesting_depth(body, len, max_depth) > max_depth) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                          "The request body nests JSON deeper than the limit of %zu levels.",
                          max_depth);
        goto out;
    }
    json_error_t jerr;
    doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                          "The request body is not valid JSON: %s (line %d, column %d).", jerr.text,
                          jerr.line, jerr.column);
        goto out;
    }
    if (!json_is_object(doc)) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                          "The request body must be a JSON object.");
        goto out;
    }
    *out = doc;
    doc = NULL;
out:
    json_decref(doc);
    return rc;
}

const char *scim_json_key_ci(const json_t *obj, const char *key)
{
    const char *k;
    json_t *v;
    if (!json_is_object(obj))
        return NULL;
    /* Exact spelling first: the common case costs one hash lookup. */
    if (json_object_get(obj, key))
        return json_object_iter_key(json_object_iter_at((json_t *)obj, key));
    json_object_foreach ((json_t *)obj, k, v) {
        (void)v;
        if (strcasecmp(k, key) == 0)
            return k;
    }
    return NULL;
}

json_t *scim_json_get_ci(const json_t *obj, const char *key)
{
    const char *k = scim_json_key_ci(obj, key);
    return k ? json_object_get(obj, k) : NULL;
}

/* The growing buffer json_dump_callback writes into. */
struct dump_buf {
    char *text;
    size_t len, cap;
};

static int dump_append(const char *chunk, size_t size, void *data)
{
    struct dump_buf *b = data;
    if (b->len + size + 1 > b->cap) {
        while (b->len + size + 1 > b->cap)
            b->cap *= 2;
        b->text = scim_realloc(b->text, b->cap);
    }
    memcpy(b->text + b->len, chunk, size);
    b->len += size;
    return 0;
}

char *scim_json_dump(const json_t *doc, size_t *len)
{
    /* One pass always (json_dumpb into a buffer that turns out too small would serialise the
     * document twice, which a 100,000-member group feels). */
    struct dump_buf b = {scim_malloc(4096), 0, 4096};
    json_dump_callback(doc, dump_append, &b, JSON_COMPACT);
    b.text[b.len] = '\0';
    if (len)
        *len = b.len;
    return b.text;
}

void scim_json_set_before_meta(json_t *doc, const char *key, json_t *value)
{
    json_t *meta = json_object_get(doc, key) ? NULL : json_incref(json_object_get(doc, "meta"));
    if (meta)
        json_object_del(doc, "meta");
    json_object_set_new(doc, key, value);
    if (meta)
        json_object_set_new(doc, "meta", meta);
}
