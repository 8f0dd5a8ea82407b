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
        /* jansson names its own flag for a \u0000; say what the client can change. */
        const char *why = json_error_code(&jerr) == json_error_null_character
                              ? "a string contains \\u0000 (NUL), which no SCIM value may hold"
                              : jerr.text;
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_SYNTAX,
                          "The request body is not valid JSON: %s (line %d, column %d).", why,
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

/*
 * Serialisation: every response and every stored document goes through it, so it writes
 * straight into one growing buffer. The text is byte for byte jansson's JSON_COMPACT output
 * (tests/unit/test_json.c compares them) without jansson's per-container cycle check, which
 * formats each container's address and hashes it: documents built here have no cycles.
 */
struct dump_buf {
    char *text;
    size_t len, cap;
};

/* Makes room for extra more bytes (and the final NUL). */
static char *dump_reserve(struct dump_buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        while (b->len + extra + 1 > b->cap)
            b->cap *= 2;
        b->text = scim_realloc(b->text, b->cap);
    }
    return b->text + b->len;
}

static void dump_bytes(struct dump_buf *b, const char *bytes, size_t size)
{
    memcpy(dump_reserve(b, size), bytes, size);
    b->len += size;
}

/* A JSON string literal: ", \ and control characters escaped as jansson escapes them. Runs of
 * plain bytes are copied whole; the buffer grows by what is written, not by a worst case. */
static void dump_string(struct dump_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    dump_bytes(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        dump_bytes(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (ch) {
        case '"':
        case '\\':
            esc[1] = (char)ch;
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 0xf];
            n = 6;
            break;
        }
        dump_bytes(b, esc, n);
    }
    dump_bytes(b, s + run, len - run);
    dump_bytes(b, "\"", 1);
}

static void dump_integer(struct dump_buf *b, json_int_t value)
{
    char digits[24];
    size_t n = 0;
    /* Unsigned so that the most negative value negates. */
    unsigned long long magnitude =
        value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0)
        digits[sizeof(digits) - 1 - n++] = '-';
    dump_bytes(b, digits + sizeof(digits) - n, n);
}

static void dump_value(struct dump_buf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        dump_bytes(b, "{", 1);
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                dump_bytes(b, ",", 1);
            first = false;
            const char *key = json_object_iter_key(it);
            dump_string(b, key, json_object_iter_key_len(it));
            dump_bytes(b, ":", 1);
            dump_value(b, json_object_iter_value(it));
        }
        dump_bytes(b, "}", 1);
        return;
    }
    case JSON_ARRAY: {
        dump_bytes(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0)
                dump_bytes(b, ",", 1);
            dump_value(b, json_array_get(v, i));
        }
        dump_bytes(b, "]", 1);
        return;
    }
    case JSON_STRING:
        dump_string(b, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        dump_integer(b, json_integer_value(v));
        return;
    case JSON_REAL: {
        /* Rare (decimal attributes): jansson's own shortest round-trip form. */
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (text)
            dump_bytes(b, text, strlen(text));
        scim_free(text);
        return;
    }
    case JSON_TRUE:
        dump_bytes(b, "true", 4);
        return;
    case JSON_FALSE:
        dump_bytes(b, "false", 5);
        return;
    case JSON_NULL:
        dump_bytes(b, "null", 4);
        return;
    }
}

char *scim_json_dump(const json_t *doc, size_t *len)
{
    struct dump_buf b = {scim_malloc(4096), 0, 4096};
    if (doc)
        dump_value(&b, doc);
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
