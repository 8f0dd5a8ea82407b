/*
 * filter — the SCIM filter language of RFC 7644 §3.4.2.2: a lexer and a recursive-descent parser
 * (precedence not > and > or, grouping with ( ), value paths attr[valFilter] with an optional
 * ".sub" after the brackets, JSON literals of RFC 8259), resolution of every attribute path
 * against a resource type's schemas (RFC 7643 §2, §3.1, §3.3; names via path.c), type checks of
 * each comparison, and an in-memory evaluator over rendered resources (RFC 7644 §3.4.2.2 operator
 * semantics; dateTime values compared as instants, read by datetime.c's lenient grammar).
 * Owns: the AST, the limits on length and nesting, the comparison semantics that
 * src/store/sqlgen must reproduce. Must not: know SQL or HTTP, or allocate outside mem.h.
 */
#include "filter.h"

#include "datetime.h"
#include "json.h"
#include "mem.h"
#include "text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------------------------ */
/* Lexer                                                                                       */
/* ------------------------------------------------------------------------------------------ */

enum tok_kind {
    TOK_END,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_LBRACKET,
    TOK_RBRACKET,
    TOK_WORD,   /* attribute path, operator, and/or/not, true/false/null */
    TOK_STRING, /* "..." including the quotes, decoded by the parser */
    TOK_NUMBER  /* a run starting with '-' or a digit, validated by the parser */
};

struct token {
    enum tok_kind kind;
    size_t start; /* byte offset in the parser's text */
    size_t len;
};

struct parser {
    const struct scim_resource_type *rt;
    const char *text;
    size_t len;
    size_t pos;           /* where the lexer continues */
    size_t column_offset; /* bytes before text in the caller's string */
    size_t max_depth;
    size_t depth;
    bool in_value;           /* inside [ ]: names are sub-attributes of parent.attr */
    struct scim_path parent; /* the attribute of the enclosing [ ] (no filter, no sub) */
    struct token tok;        /* the current token */
    struct scim_err *err;
};

/* The longest piece of client text quoted back in an error detail. */
#define QUOTE_MAX 60

static int quote_len(size_t len)
{
    return len > QUOTE_MAX ? QUOTE_MAX : (int)len;
}

static size_t column_of(const struct parser *p, size_t pos)
{
    return p->column_offset + pos + 1;
}

/* Records a 400 invalidFilter whose detail ends with "(at column N)" for byte pos of the text. */
static int fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return scim_err_set(p->err, 400, SCIM_TYPE_INVALID_FILTER, "%s (at column %zu)", msg,
                        column_of(p, pos));
}

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Characters of an attribute path: ATTRNAME characters plus '$' ("$ref"), '.' and ':' (URNs). */
static bool is_word_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '$' || c == '.' || c == ':';
}

/* Characters of a sub-attribute name after "].". */
static bool is_name_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '$';
}

/* Reads the next token into p->tok. */
static int advance(struct parser *p)
{
    int rc = 0;
    while (p->pos < p->len && is_space(p->text[p->pos]))
        p->pos++;
    size_t start = p->pos;
    p->tok.start = start;
    p->tok.len = 0;
    if (start >= p->len) {
        p->tok.kind = TOK_END;
        goto out;
    }
    char c = p->text[start];
    size_t end = start + 1;
    switch (c) {
    case '(':
        p->tok.kind = TOK_LPAREN;
        break;
    case ')':
        p->tok.kind = TOK_RPAREN;
        break;
    case '[':
        p->tok.kind = TOK_LBRACKET;
        break;
    case ']':
        p->tok.kind = TOK_RBRACKET;
        break;
    case '"':
        while (end < p->len && p->text[end] != '"')
            end += p->text[end] == '\\' ? 2 : 1;
        if (end >= p->len) {
            rc = fail(p, start, "Unterminated string (a '\"' without its closing '\"')");
            goto out;
        }
        end++;
        p->tok.kind = TOK_STRING;
        break;
    default:
        if (c == '-' || is_digit(c)) {
            while (end < p->len &&
                   (is_alpha(p->text[end]) || is_digit(p->text[end]) || p->text[end] == '.' ||
                    p->text[end] == '+' || p->text[end] == '-'))
                end++;
            p->tok.kind = TOK_NUMBER;
        } else if (is_alpha(c) || c == '$' || c == '_') {
            while (end < p->len && is_word_char(p->text[end]))
                end++;
            p->tok.kind = TOK_WORD;
        } else if (c >= 0x21 && c <= 0x7e) {
            rc = fail(p, start, "Unexpected character '%c'", c);
            goto out;
        } else {
            rc = fail(p, start, "Unexpected byte 0x%02x", (unsigned)(unsigned char)c);
            goto out;
        }
    }
    p->tok.len = end - start;
    p->pos = end;
out:
    return rc;
}

/* True when the current token is the word kw (ASCII case-insensitive). */
static bool tok_is(const struct parser *p, const char *kw)
{
    size_t n = strlen(kw);
    return p->tok.kind == TOK_WORD && p->tok.len == n &&
           strncasecmp(p->text + p->tok.start, kw, n) == 0;
}

/* Describes the current token for an error detail ("the end of the filter", "'foo'"). */
static const char *describe(const struct parser *p, char *buf, size_t size)
{
    switch (p->tok.kind) {
    case TOK_END:
        return "the end of the filter";
    case TOK_LPAREN:
        return "'('";
    case TOK_RPAREN:
        return "')'";
    case TOK_LBRACKET:
        return "'['";
    case TOK_RBRACKET:
        return "']'";
    case TOK_STRING:
        return "a string";
    default:
        snprintf(buf, size, "'%.*s'", quote_len(p->tok.len), p->text + p->tok.start);
        return buf;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Literals                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at s (n bytes available) into *cp; false when they are not there. */
static bool hex4(const char *s, size_t n, uint32_t *cp)
{
    if (n < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(s[i]);
        if (h < 0)
            return false;
        v = (v << 4) | (uint32_t)h;
    }
    *cp = v;
    return true;
}

/* The byte that the two-character escape "\\e" of RFC 8259 §7 stands for, or 0 when e is 'u' or
 * no escape at all. */
static char simple_escape(char e)
{
    switch (e) {
    case '"':
    case '\\':
    case '/':
        return e;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return 0;
    }
}

/*
 * Decodes the JSON string token (quotes included) into *out, a new reference. All escapes of
 * RFC 8259 §7 are honoured; \u surrogate pairs become one code point. Unpaired surrogates,
 * \u0000, unknown escapes, raw control characters and invalid UTF-8 are errors.
 */
static int decode_string(struct parser *p, json_t **out)
{
    int rc = 0;
    size_t base = p->tok.start + 1;
    const char *s = p->text + base;
    size_t n = p->tok.len - 2;
    /* Decoding never lengthens: "\uXXXX" (6 bytes) yields at most 3, a pair (12) yields 4. */
    char *buf = scim_malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) {
            rc = fail(p, base + i, "Control character 0x%02x in a string; escape it", c);
            goto out;
        }
        if (c != '\\') {
            buf[o++] = (char)c;
            i++;
            continue;
        }
        /* The lexer guarantees a character after every backslash inside the string. */
        char e = s[i + 1];
        char plain = simple_escape(e);
        if (plain) {
            buf[o++] = plain;
            i += 2;
            continue;
        }
        if (e != 'u') {
            if (e >= 0x21 && e <= 0x7e)
                rc = fail(p, base + i, "Invalid escape '\\%c' in a string", e);
            else
                rc = fail(p, base + i, "Invalid escape in a string");
            goto out;
        }
        uint32_t cp = 0;
        if (!hex4(s + i + 2, n - i - 2, &cp)) {
            rc = fail(p, base + i, "Invalid \\u escape (four hex digits expected)");
            goto out;
        }
        size_t used = 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            rc = fail(p, base + i, "Unpaired low surrogate in a \\u escape");
            goto out;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
                !hex4(s + i + 8, n - i - 8, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                rc = fail(p, base + i, "Unpaired high surrogate in a \\u escape");
                goto out;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            used = 12;
        }
        if (cp == 0) {
            rc = fail(p, base + i, "\\u0000 is not allowed in a filter string");
            goto out;
        }
        o += scim_text_encode_utf8(cp, buf + o);
        i += used;
    }
    if (!scim_text_valid_utf8(buf, o)) {
        rc = fail(p, p->tok.start, "The string is not valid UTF-8");
        goto out;
    }
    *out = json_stringn(buf, o);
    if (!*out)
        rc = fail(p, p->tok.start, "The string is not valid UTF-8");
out:
    scim_free(buf);
    return rc;
}

/* True when s[0..n) is a number of the JSON grammar (RFC 8259 §6). */
static bool json_number_syntax(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && is_digit(s[i])) {
        while (i < n && is_digit(s[i]))
            i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return false;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return false;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i == n;
}

/* Parses the number token into *out, a new reference (an integer unless it has a fraction or an
 * exponent). */
static int decode_number(struct parser *p, json_t **out)
{
    int rc = 0;
    const char *s = p->text + p->tok.start;
    size_t n = p->tok.len;
    if (!json_number_syntax(s, n)) {
        rc = fail(p, p->tok.start, "Invalid number '%.*s'", quote_len(n), s);
        goto out;
    }
    /* jansson converts without depending on the process locale. */
    json_error_t jerr;
    *out = json_loadb(s, n, JSON_DECODE_ANY, &jerr);
    if (!*out)
        rc = fail(p, p->tok.start, "The number %.*s is out of range", quote_len(n), s);
out:
    return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Parser                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    enum scim_filter_op op;
} operators[] = {
    {"eq", SCIM_OP_EQ}, {"ne", SCIM_OP_NE}, {"co", SCIM_OP_CO}, {"sw", SCIM_OP_SW},
    {"ew", SCIM_OP_EW}, {"pr", SCIM_OP_PR}, {"gt", SCIM_OP_GT}, {"ge", SCIM_OP_GE},
    {"lt", SCIM_OP_LT}, {"le", SCIM_OP_LE},
};

static const char *op_name(enum scim_filter_op op)
{
    for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
        if (operators[i].op == op)
            return operators[i].name;
    }
    return "?";
}

static bool is_ordering(enum scim_filter_op op)
{
    return op == SCIM_OP_GT || op == SCIM_OP_GE || op == SCIM_OP_LT || op == SCIM_OP_LE;
}

static bool is_substring(enum scim_filter_op op)
{
    return op == SCIM_OP_CO || op == SCIM_OP_SW || op == SCIM_OP_EW;
}

/* Returns a new node the caller owns (scim_filter_free). */
static struct scim_filter *new_node(const struct parser *p, enum scim_filter_kind kind, size_t pos)
{
    struct scim_filter *f = scim_calloc(1, sizeof(*f));
    f->kind = kind;
    f->column = column_of(p, pos);
    return f;
}

/* Counts one more level of ( ), not( ) or [ ] opened at pos. */
static int enter(struct parser *p, size_t pos)
{
    if (p->depth + 1 > p->max_depth)
        return fail(p, pos, "The filter nests deeper than %zu levels of ( ), not( ) and [ ]",
                    p->max_depth);
    p->depth++;
    return 0;
}

static int parse_or(struct parser *p, struct scim_filter **out);

/*
 * Checks a COMPARE node against its attribute's type and normalises it (a multi-valued complex
 * attribute compared directly means its "value" sub-attribute).
 */
static int check_compare(struct parser *p, struct scim_filter *f, size_t path_pos, size_t op_pos,
                         size_t value_pos)
{
    int rc = 0;
    char name[256];
    const struct scim_attr *leaf = f->path.sub ? f->path.sub : f->path.attr;
    if (leaf->type == SCIM_ATTR_COMPLEX) {
        /* Presence tests (pr, eq null, ne null) apply to the complex attribute as a whole. */
        if (f->op == SCIM_OP_PR ||
            (json_is_null(f->value) && (f->op == SCIM_OP_EQ || f->op == SCIM_OP_NE)))
            goto out;
        /* "emails eq x" and "manager eq id" compare the "value" sub-attribute (Entra ID filters
         * a user's manager so, RFC 7643 §4.3 gives it one). */
        const struct scim_attr *value = scim_attr_find(leaf->sub_attrs, leaf->n_sub_attrs, "value");
        if (!value) {
            scim_path_format(&f->path, name, sizeof(name));
            rc = fail(p, path_pos, "%s is complex; compare one of its sub-attributes, e.g. %s.%s",
                      name, name, leaf->n_sub_attrs ? leaf->sub_attrs[0].name : "value");
            goto out;
        }
        f->path.sub = value;
        leaf = value;
    }
    scim_path_format(&f->path, name, sizeof(name));
    if (f->op == SCIM_OP_PR)
        goto out;

    const json_t *v = f->value;
    if (json_is_null(v)) {
        if (f->op != SCIM_OP_EQ && f->op != SCIM_OP_NE)
            rc = fail(p, value_pos, "null can only be compared with eq or ne");
        goto out;
    }
    switch (leaf->type) {
    case SCIM_ATTR_BOOLEAN:
        if (is_ordering(f->op) || is_substring(f->op)) {
            rc = fail(p, op_pos, "'%s' is not defined for the boolean attribute %s", op_name(f->op),
                      name);
            goto out;
        }
        /* entra.string-boolean in a filter: Entra ID writes app roles to
         * roles[primary eq "True"].value; the string stands for the boolean. */
        if (json_is_string(v) && (strcasecmp(json_string_value(v), "true") == 0 ||
                                  strcasecmp(json_string_value(v), "false") == 0)) {
            bool truth = strcasecmp(json_string_value(v), "true") == 0;
            json_decref(f->value);
            f->value = json_boolean(truth);
            f->string_boolean = true;
            break;
        }
        if (!json_is_boolean(v))
            rc = fail(p, value_pos, "%s is boolean; compare it with true or false", name);
        break;
    case SCIM_ATTR_INTEGER:
    case SCIM_ATTR_DECIMAL:
        if (is_substring(f->op)) {
            rc = fail(p, op_pos, "'%s' applies to strings; %s is a number", op_name(f->op), name);
            goto out;
        }
        if (!json_is_number(v))
            rc = fail(p, value_pos, "%s is a number; compare it with a number", name);
        break;
    case SCIM_ATTR_BINARY:
        if (is_ordering(f->op)) {
            rc = fail(p, op_pos, "'%s' is not defined for the binary attribute %s", op_name(f->op),
                      name);
            goto out;
        }
        if (!json_is_string(v))
            rc = fail(p, value_pos, "%s is binary; compare it with a base64 string", name);
        break;
    case SCIM_ATTR_DATETIME:
        if (!json_is_string(v)) {
            rc = fail(p, value_pos,
                      "%s is a dateTime; compare it with a string such as "
                      "\"2011-05-13T04:42:34Z\"",
                      name);
            goto out;
        }
        if (!is_substring(f->op) &&
            !scim_datetime_parse(json_string_value(v), json_string_length(v), SCIM_DATETIME_LENIENT,
                                 NULL))
            rc = fail(p, value_pos,
                      "'%.*s' is not a valid dateTime for %s (RFC 3339, e.g. "
                      "2011-05-13T04:42:34Z)",
                      quote_len(json_string_length(v)), json_string_value(v), name);
        break;
    default:
        if (!json_is_string(v))
            rc = fail(p, value_pos, "%s is a string; compare it with a string in double quotes",
                      name);
        break;
    }
out:
    return rc;
}

/*
 * Parses "op value" (or "pr") after the resolved path; *path moves into the new COMPARE node.
 * *out is a new node owned by the caller.
 */
static int parse_comparison(struct parser *p, struct scim_path *path, size_t path_pos,
                            struct scim_filter **out)
{
    int rc = 0;
    struct scim_filter *f = NULL;
    char what[QUOTE_MAX + 8];
    char pathname[256];
    if (p->tok.kind != TOK_WORD) {
        scim_path_format(path, pathname, sizeof(pathname));
        rc = fail(p, p->tok.start, "Expected an operator after %s, found %s", pathname,
                  describe(p, what, sizeof(what)));
        goto out;
    }
    size_t op_pos = p->tok.start;
    size_t i = 0, n_ops = sizeof(operators) / sizeof(operators[0]);
    while (i < n_ops && !tok_is(p, operators[i].name))
        i++;
    if (i == n_ops) {
        rc = fail(p, op_pos,
                  "Unknown operator %s (expected eq, ne, co, sw, ew, gt, ge, lt, le or pr)",
                  describe(p, what, sizeof(what)));
        goto out;
    }
    f = new_node(p, SCIM_FILTER_COMPARE, path_pos);
    f->path = *path;
    memset(path, 0, sizeof(*path));
    f->op = operators[i].op;
    rc = advance(p);
    if (rc)
        goto out;

    size_t value_pos = p->tok.start;
    if (f->op == SCIM_OP_PR) {
        if (p->tok.kind == TOK_STRING || p->tok.kind == TOK_NUMBER || tok_is(p, "true") ||
            tok_is(p, "false") || tok_is(p, "null")) {
            rc = fail(p, value_pos, "'pr' takes no value");
            goto out;
        }
    } else {
        if (p->tok.kind == TOK_STRING) {
            rc = decode_string(p, &f->value);
        } else if (p->tok.kind == TOK_NUMBER) {
            rc = decode_number(p, &f->value);
        } else if (tok_is(p, "true")) {
            f->value = json_true();
        } else if (tok_is(p, "false")) {
            f->value = json_false();
        } else if (tok_is(p, "null")) {
            f->value = json_null();
        } else {
            rc = fail(p, value_pos,
                      "Expected a value after '%s' (a string in double quotes, a number, true, "
                      "false or null), found %s",
                      op_name(f->op), describe(p, what, sizeof(what)));
        }
        if (rc)
            goto out;
        rc = advance(p);
        if (rc)
            goto out;
    }
    rc = check_compare(p, f, path_pos, op_pos, value_pos);
    if (rc)
        goto out;
    *out = f;
    f = NULL;
out:
    scim_filter_free(f);
    return rc;
}

/* Resolves the current word token as an attribute path into *path. */
static int resolve_word(struct parser *p, struct scim_path *path)
{
    int rc = 0;
    const char *s = p->text + p->tok.start;
    size_t n = p->tok.len;
    if (p->in_value) {
        const struct scim_attr *parent = p->parent.attr;
        const struct scim_attr *sub = scim_attr_findn(parent->sub_attrs, parent->n_sub_attrs, s, n);
        if (!sub) {
            rc = fail(p, p->tok.start, "'%.*s' is not a sub-attribute of %s", quote_len(n), s,
                      parent->name);
            goto out;
        }
        *path = p->parent;
        path->sub = sub;
        goto out;
    }
    struct scim_err perr;
    scim_err_clear(&perr);
    if (scim_path_parse(p->rt, s, n, 0, path, &perr) != 0)
        rc = fail(p, p->tok.start, "%s", perr.detail);
out:
    return rc;
}

/*
 * Parses "attr[valFilter]" and its optional ".sub op value" once the attribute is resolved and
 * the current token is '['. *path moves into the new VALUE_PATH node (*out, caller-owned).
 */
static int parse_value_path(struct parser *p, struct scim_path *path, size_t path_pos,
                            struct scim_filter **out)
{
    int rc = 0;
    struct scim_filter *f = NULL, *inner = NULL, *cmp = NULL;
    char what[QUOTE_MAX + 8];
    size_t open = p->tok.start;
    if (p->in_value) {
        rc = fail(p, open, "Value filters [ ] cannot be nested");
        goto out;
    }
    if (path->sub) {
        rc = fail(p, open, "A value filter [ ] must follow an attribute, not a sub-attribute");
        goto out;
    }
    if (path->attr->type != SCIM_ATTR_COMPLEX || !path->attr->multi_valued) {
        rc = fail(p, path_pos,
                  "%s is not a multi-valued complex attribute, so it takes no value filter [ ]",
                  path->attr->name);
        goto out;
    }
    rc = enter(p, open);
    if (rc)
        goto out;
    p->in_value = true;
    p->parent = *path;
    rc = advance(p);
    if (rc == 0)
        rc = parse_or(p, &inner);
    p->in_value = false;
    memset(&p->parent, 0, sizeof(p->parent));
    if (rc)
        goto out;
    if (p->tok.kind != TOK_RBRACKET) {
        rc = fail(p, p->tok.start,
                  "Expected 'and', 'or' or ']' to close the '[' opened at column %zu, found %s",
                  column_of(p, open), describe(p, what, sizeof(what)));
        goto out;
    }
    p->depth--;

    f = new_node(p, SCIM_FILTER_VALUE_PATH, path_pos);
    f->path = *path;
    memset(path, 0, sizeof(*path));

    size_t dot = p->pos;
    if (dot < p->len && p->text[dot] == '.') {
        /* "attr[filter].sub op value": the same element must satisfy both. */
        size_t start = dot + 1, end = start;
        while (end < p->len && is_name_char(p->text[end]))
            end++;
        const struct scim_attr *attr = f->path.attr;
        const struct scim_attr *sub =
            scim_attr_findn(attr->sub_attrs, attr->n_sub_attrs, p->text + start, end - start);
        if (!sub) {
            rc = fail(p, start, "'%s.%.*s': no such sub-attribute", attr->name,
                      quote_len(end - start), p->text + start);
            goto out;
        }
        struct scim_path sub_path = f->path;
        sub_path.sub = sub;
        p->pos = end;
        rc = advance(p);
        if (rc)
            goto out;
        rc = parse_comparison(p, &sub_path, start, &cmp);
        if (rc)
            goto out;
        struct scim_filter *both = new_node(p, SCIM_FILTER_AND, start);
        both->left = inner;
        both->right = cmp;
        inner = cmp = NULL;
        f->left = both;
    } else {
        rc = advance(p);
        if (rc)
            goto out;
        f->left = inner;
        inner = NULL;
    }
    *out = f;
    f = NULL;
out:
    scim_filter_free(inner);
    scim_filter_free(cmp);
    scim_filter_free(f);
    return rc;
}

/* Parses '(' filter ')' with the current token '('; *out is the inner filter. */
static int parse_group(struct parser *p, struct scim_filter **out)
{
    int rc = 0;
    struct scim_filter *inner = NULL;
    char what[QUOTE_MAX + 8];
    size_t open = p->tok.start;
    rc = enter(p, open);
    if (rc)
        goto out;
    rc = advance(p);
    if (rc)
        goto out;
    rc = parse_or(p, &inner);
    if (rc)
        goto out;
    if (p->tok.kind != TOK_RPAREN) {
        if (p->tok.kind == TOK_END)
            rc = fail(p, p->tok.start, "Missing ')' for the '(' opened at column %zu",
                      column_of(p, open));
        else
            rc = fail(p, p->tok.start,
                      "Expected 'and', 'or' or ')' to close the '(' opened at column %zu, found %s",
                      column_of(p, open), describe(p, what, sizeof(what)));
        goto out;
    }
    p->depth--;
    rc = advance(p);
    if (rc)
        goto out;
    *out = inner;
    inner = NULL;
out:
    scim_filter_free(inner);
    return rc;
}

/* unary = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath */
static int parse_unary(struct parser *p, struct scim_filter **out)
{
    int rc = 0;
    struct scim_filter *f = NULL;
    struct scim_path path = {0};
    char what[QUOTE_MAX + 8];
    if (p->tok.kind == TOK_LPAREN) {
        rc = parse_group(p, out);
        goto out;
    }
    if (p->tok.kind != TOK_WORD) {
        rc = fail(p, p->tok.start, "Expected an attribute path, '(' or 'not', found %s",
                  describe(p, what, sizeof(what)));
        goto out;
    }
    if (tok_is(p, "not")) {
        size_t at = p->tok.start;
        rc = advance(p);
        if (rc)
            goto out;
        if (p->tok.kind != TOK_LPAREN) {
            rc = fail(p, p->tok.start, "'not' must be followed by '(', found %s",
                      describe(p, what, sizeof(what)));
            goto out;
        }
        f = new_node(p, SCIM_FILTER_NOT, at);
        rc = parse_group(p, &f->left);
        if (rc)
            goto out;
        *out = f;
        f = NULL;
        goto out;
    }
    size_t path_pos = p->tok.start;
    rc = resolve_word(p, &path);
    if (rc)
        goto out;
    rc = advance(p);
    if (rc)
        goto out;
    if (p->tok.kind == TOK_LBRACKET)
        rc = parse_value_path(p, &path, path_pos, out);
    else
        rc = parse_comparison(p, &path, path_pos, out);
out:
    scim_path_clear(&path);
    scim_filter_free(f);
    return rc;
}

/*
 * chain = operand *(kw operand), left-associative: "and" over unary expressions and "or" over
 * "and" chains, each joined into nodes of kind. *out is caller-owned.
 */
static int parse_chain(struct parser *p, int (*operand)(struct parser *, struct scim_filter **),
                       const char *kw, enum scim_filter_kind kind, struct scim_filter **out)
{
    int rc = 0;
    struct scim_filter *left = NULL, *right = NULL;
    rc = operand(p, &left);
    if (rc)
        goto out;
    while (tok_is(p, kw)) {
        size_t at = p->tok.start;
        rc = advance(p);
        if (rc)
            goto out;
        rc = operand(p, &right);
        if (rc)
            goto out;
        struct scim_filter *node = new_node(p, kind, at);
        node->left = left;
        node->right = right;
        left = node;
        right = NULL;
    }
    *out = left;
    left = NULL;
out:
    scim_filter_free(left);
    scim_filter_free(right);
    return rc;
}

/* and = unary *("and" unary). */
static int parse_and(struct parser *p, struct scim_filter **out)
{
    return parse_chain(p, parse_unary, "and", SCIM_FILTER_AND, out);
}

/* or = and *("or" and). */
static int parse_or(struct parser *p, struct scim_filter **out)
{
    return parse_chain(p, parse_and, "or", SCIM_FILTER_OR, out);
}

/* Parses the whole text of p; *out is caller-owned. */
static int parse_all(struct parser *p, struct scim_filter **out)
{
    int rc = 0;
    struct scim_filter *f = NULL;
    char what[QUOTE_MAX + 8];
    rc = advance(p);
    if (rc)
        goto out;
    if (p->tok.kind == TOK_END) {
        rc = fail(p, p->tok.start, "The filter is empty");
        goto out;
    }
    rc = parse_or(p, &f);
    if (rc)
        goto out;
    if (p->tok.kind == TOK_RPAREN)
        rc = fail(p, p->tok.start, "Unbalanced parentheses: ')' without a matching '('");
    else if (p->tok.kind == TOK_RBRACKET)
        rc = fail(p, p->tok.start, "Unbalanced brackets: ']' without a matching '['");
    else if (p->tok.kind != TOK_END)
        rc = fail(p, p->tok.start, "Expected 'and', 'or' or the end of the filter, found %s",
                  describe(p, what, sizeof(what)));
    if (rc)
        goto out;
    *out = f;
    f = NULL;
out:
    scim_filter_free(f);
    return rc;
}

static size_t max_length_of(const struct scim_filter_limits *limits)
{
    return limits && limits->max_length ? limits->max_length : SCIM_FILTER_DEFAULT_MAX_LENGTH;
}

/*
 * Sets p up to parse text[0..len) of resource type rt under limits. Records a 400
 * invalidFilter when the text is longer than the limit.
 */
static int start_parser(struct parser *p, const struct scim_resource_type *rt, const char *text,
                        size_t len, const struct scim_filter_limits *limits, struct scim_err *err)
{
    size_t max_length = max_length_of(limits);
    if (len > max_length)
        return scim_err_set(err, 400, SCIM_TYPE_INVALID_FILTER,
                            "The filter is longer than the limit of %zu bytes", max_length);
    p->rt = rt;
    p->text = text;
    p->len = len;
    p->max_depth = limits && limits->max_depth ? limits->max_depth : SCIM_FILTER_DEFAULT_MAX_DEPTH;
    p->err = err;
    return 0;
}

int scim_filter_parse(const struct scim_resource_type *rt, const char *text,
                      const struct scim_filter_limits *limits, struct scim_filter **out,
                      struct scim_err *err)
{
    struct parser p = {0};
    *out = NULL;
    int rc = start_parser(&p, rt, text, strnlen(text, max_length_of(limits) + 1), limits, err);
    if (rc == 0)
        rc = parse_all(&p, out);
    return rc;
}

int scim_filter_parse_in(const struct scim_resource_type *rt, const struct scim_attr *parent,
                         const char *text, size_t len, size_t column_offset,
                         const struct scim_filter_limits *limits, size_t depth,
                         struct scim_filter **out, struct scim_err *err)
{
    struct parser p = {0};
    *out = NULL;
    int rc = start_parser(&p, rt, text, len, limits, err);
    if (rc)
        goto out;
    if (parent->type != SCIM_ATTR_COMPLEX) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_FILTER,
                          "%s is not complex, so it takes no value filter [ ]", parent->name);
        goto out;
    }
    if (depth > p.max_depth) {
        rc = scim_err_set(err, 400, SCIM_TYPE_INVALID_FILTER,
                          "The filter nests deeper than %zu levels of ( ), not( ) and [ ] (at "
                          "column %zu)",
                          p.max_depth, column_offset);
        goto out;
    }
    p.column_offset = column_offset;
    p.depth = depth;
    p.in_value = true;
    if (scim_path_from_attr(rt, parent, NULL, &p.parent) != 0)
        p.parent.attr = parent;
    rc = parse_all(&p, out);
out:
    return rc;
}

void scim_filter_free(struct scim_filter *f)
{
    if (!f)
        return;
    scim_filter_free(f->left);
    scim_filter_free(f->right);
    json_decref(f->value);
    scim_path_clear(&f->path);
    scim_free(f);
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluator                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Member key of obj: the exact spelling first (a hash lookup; rendered resources use canonical
 * names), then ignoring ASCII case. Borrowed, or NULL. */
static const json_t *member(const json_t *obj, const char *key)
{
    if (!json_is_object(obj))
        return NULL;
    const json_t *v = json_object_get(obj, key);
    return v ? v : scim_json_get_ci(obj, key);
}

/* RFC 7644 §3.4.2.2 "pr": not null, not "", not an empty array or object (recursively). */
static bool non_empty(const json_t *v)
{
    if (!v || json_is_null(v))
        return false;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e) {
            if (non_empty(e))
                return true;
        }
        return false;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach ((json_t *)v, k, e) {
            if (non_empty(e))
                return true;
        }
        return false;
    }
    return true;
}

static bool is_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80)
            return false;
    }
    return true;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool ascii_prefix_ci(const char *s, const char *prefix, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(s[i]) != ascii_lower(prefix[i]))
            return false;
    }
    return true;
}

/* co/sw/ew on a (len la) and b (len lb), byte-exact or ASCII case-insensitive. */
static bool substring_match(enum scim_filter_op op, const char *a, size_t la, const char *b,
                            size_t lb, bool fold_ascii)
{
    if (lb > la)
        return false;
    switch (op) {
    case SCIM_OP_SW:
        return fold_ascii ? ascii_prefix_ci(a, b, lb) : memcmp(a, b, lb) == 0;
    case SCIM_OP_EW:
        return fold_ascii ? ascii_prefix_ci(a + la - lb, b, lb) : memcmp(a + la - lb, b, lb) == 0;
    default:
        for (size_t i = 0; i + lb <= la; i++) {
            if (fold_ascii ? ascii_prefix_ci(a + i, b, lb) : memcmp(a + i, b, lb) == 0)
                return true;
        }
        return false;
    }
}

static bool order_holds(enum scim_filter_op op, int cmp)
{
    switch (op) {
    case SCIM_OP_EQ:
        return cmp == 0;
    case SCIM_OP_NE:
        return cmp != 0;
    case SCIM_OP_GT:
        return cmp > 0;
    case SCIM_OP_GE:
        return cmp >= 0;
    case SCIM_OP_LT:
        return cmp < 0;
    case SCIM_OP_LE:
        return cmp <= 0;
    default:
        return false;
    }
}

/* String operators; case-insensitive comparisons fold with text.c (ASCII needs no allocation). */
static bool string_holds(enum scim_filter_op op, const char *a, const char *b, bool case_exact)
{
    if (!is_substring(op))
        return order_holds(op, case_exact ? strcmp(a, b) : scim_text_casecmp(a, b));
    if (case_exact)
        return substring_match(op, a, strlen(a), b, strlen(b), false);
    if (is_ascii(a) && is_ascii(b))
        return substring_match(op, a, strlen(a), b, strlen(b), true);
    char *fa = scim_text_casefold(a, strlen(a));
    char *fb = scim_text_casefold(b, strlen(b));
    bool result = substring_match(op, fa, strlen(fa), fb, strlen(fb), false);
    scim_free(fa);
    scim_free(fb);
    return result;
}

static int number_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    double x = json_number_value(a), y = json_number_value(b);
    return x < y ? -1 : x > y;
}

/*
 * Orders the dateTime strings a and b as instants (RFC 7643 §2.3.5); a value that is not a
 * dateTime satisfies no comparison. Both are read up to their first NUL, as stored text is.
 */
static bool datetime_holds(enum scim_filter_op op, const char *a, const char *b)
{
    struct scim_instant x, y;
    if (!scim_datetime_parse(a, strlen(a), SCIM_DATETIME_LENIENT, &x) ||
        !scim_datetime_parse(b, strlen(b), SCIM_DATETIME_LENIENT, &y))
        return false;
    return order_holds(op, scim_datetime_cmp(&x, &y));
}

/* One value v (not an array) of the attribute leaf against the COMPARE node f. */
static bool value_holds(const struct scim_filter *f, const struct scim_attr *leaf, const json_t *v)
{
    const json_t *lit = f->value;
    if (!v || json_is_null(v))
        return false;
    switch (leaf->type) {
    case SCIM_ATTR_BOOLEAN:
        return json_is_boolean(v) && json_is_boolean(lit) &&
               order_holds(f->op, json_boolean_value(v) != json_boolean_value(lit));
    case SCIM_ATTR_INTEGER:
    case SCIM_ATTR_DECIMAL:
        return json_is_number(v) && json_is_number(lit) && order_holds(f->op, number_cmp(v, lit));
    case SCIM_ATTR_DATETIME:
        if (!json_is_string(v) || !json_is_string(lit))
            return false;
        if (is_substring(f->op))
            return string_holds(f->op, json_string_value(v), json_string_value(lit),
                                leaf->case_exact);
        return datetime_holds(f->op, json_string_value(v), json_string_value(lit));
    default:
        return json_is_string(v) && json_is_string(lit) &&
               string_holds(f->op, json_string_value(v), json_string_value(lit), leaf->case_exact);
    }
}

/* True when some value in v (a value or an array of values) satisfies the comparison. */
static bool any_holds(const struct scim_filter *f, const struct scim_attr *leaf, const json_t *v)
{
    if (!json_is_array(v))
        return value_holds(f, leaf, v);
    size_t i;
    json_t *e;
    json_array_foreach (v, i, e) {
        if (value_holds(f, leaf, e))
            return true;
    }
    return false;
}

/*
 * Evaluates a COMPARE node over v, the attribute's value in the resource (or the sub-attribute's
 * value in one element when sub_level is true). When f compares a sub-attribute and v is the
 * attribute itself, the sub-attribute is looked up in v or in each of its elements.
 */
static bool compare_holds(const struct scim_filter *f, const json_t *v, bool sub_level)
{
    const struct scim_attr *leaf = f->path.sub ? f->path.sub : f->path.attr;
    bool presence = f->op == SCIM_OP_PR || json_is_null(f->value);
    bool found = false;
    if (f->path.sub && !sub_level) {
        if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach (v, i, e) {
                const json_t *sv = member(e, f->path.sub->name);
                if (presence ? non_empty(sv) : any_holds(f, leaf, sv)) {
                    found = true;
                    break;
                }
            }
        } else {
            const json_t *sv = member(v, f->path.sub->name);
            found = presence ? non_empty(sv) : any_holds(f, leaf, sv);
        }
    } else {
        found = presence ? non_empty(v) : any_holds(f, leaf, v);
    }
    if (presence && f->op == SCIM_OP_EQ)
        return !found;
    return found;
}

bool scim_filter_has_string_boolean(const struct scim_filter *f)
{
    if (!f)
        return false;
    return f->string_boolean || scim_filter_has_string_boolean(f->left) ||
           scim_filter_has_string_boolean(f->right);
}

bool scim_filter_match_element(const struct scim_filter *f, const json_t *element)
{
    switch (f->kind) {
    case SCIM_FILTER_AND:
        return scim_filter_match_element(f->left, element) &&
               scim_filter_match_element(f->right, element);
    case SCIM_FILTER_OR:
        return scim_filter_match_element(f->left, element) ||
               scim_filter_match_element(f->right, element);
    case SCIM_FILTER_NOT:
        return !scim_filter_match_element(f->left, element);
    case SCIM_FILTER_COMPARE:
        if (!f->path.sub)
            return compare_holds(f, element, true);
        return compare_holds(f, member(element, f->path.sub->name), true);
    default:
        /* Value paths are never nested, so none can appear inside an element's filter. */
        return false;
    }
}

/* The value of path's attribute in a rendered resource; borrowed or NULL. */
static const json_t *attr_value(const struct scim_path *path, const json_t *resource)
{
    const json_t *base = resource;
    if (path->in_extension && path->schema)
        base = member(resource, path->schema->id);
    return member(base, path->attr->name);
}

bool scim_filter_match(const struct scim_filter *f, const json_t *resource)
{
    switch (f->kind) {
    case SCIM_FILTER_AND:
        return scim_filter_match(f->left, resource) && scim_filter_match(f->right, resource);
    case SCIM_FILTER_OR:
        return scim_filter_match(f->left, resource) || scim_filter_match(f->right, resource);
    case SCIM_FILTER_NOT:
        return !scim_filter_match(f->left, resource);
    case SCIM_FILTER_COMPARE:
        return compare_holds(f, attr_value(&f->path, resource), false);
    case SCIM_FILTER_VALUE_PATH: {
        const json_t *v = attr_value(&f->path, resource);
        if (json_is_object(v))
            return scim_filter_match_element(f->left, v);
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e) {
            if (json_is_object(e) && scim_filter_match_element(f->left, e))
                return true;
        }
        return false;
    }
    }
    return false;
}
