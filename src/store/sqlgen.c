/*
 * sqlgen — SCIM filter AST (RFC 7644 §3.4.2.2) and sortBy paths (§3.4.2.3) to parameterised SQL,
 * with the SQLite dialect. Every comparison reproduces scim_filter_match (filter.c): the same
 * caseExact folding, the same "absent matches nothing but eq null" rule, the same pr, the same
 * dateTime instants; the unit tests hold the two side by side.
 * Owns: the attribute → column mapping of the resources table, the choice of multi-valued values
 * kept in the value index (resource_values), the use of dateTime sort keys (datetime.c writes
 * them). Must not: run SQL, splice a client's value into SQL text (literals, JSON paths and
 * patterns are always parameters), or change the AST it is given.
 */
#include "sqlgen.h"

#include "datetime.h"
#include "mem.h"
#include "text.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- buffers ------------------------------------------------------------------------------ */

static void buf_reserve(struct scim_sqlbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->data = scim_realloc(b->data, cap);
    b->cap = cap;
}

static void buf_addn(struct scim_sqlbuf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void scim_sqlbuf_add(struct scim_sqlbuf *b, const char *s)
{
    buf_addn(b, s, strlen(s));
}

void scim_sqlbuf_addf(struct scim_sqlbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert(n >= 0);
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *scim_sqlbuf_take(struct scim_sqlbuf *b)
{
    char *s = b->data ? b->data : scim_strdup("");
    memset(b, 0, sizeof(*b));
    return s;
}

void scim_sqlbuf_clear(struct scim_sqlbuf *b)
{
    scim_free(b->data);
    memset(b, 0, sizeof(*b));
}

void scim_sqlgen_clear(struct scim_sqlgen *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_params; i++)
        scim_free(g->params[i].text);
    scim_free(g->params);
    scim_free(g->sql);
    memset(g, 0, sizeof(*g));
}

/* ---- dateTime ----------------------------------------------------------------------------- */

/* Literals and stored values are read with the filter's lenient grammar so that SQL and the
 * evaluator agree on every instant; a NUL inside the text makes it no dateTime. */
bool scim_sqlgen_datetime_key(const char *text, size_t len, char key[SCIM_SQLGEN_DATETIME_KEY])
{
    struct scim_instant t;
    key[0] = '\0';
    if (!text || !scim_datetime_parse(text, len, SCIM_DATETIME_LENIENT, &t))
        return false;
    scim_datetime_key(&t, key);
    return true;
}

bool scim_sqlgen_datetime_ms(const char *text, int64_t *ms, bool *exact)
{
    struct scim_instant t;
    if (!scim_datetime_parse(text, strlen(text), SCIM_DATETIME_LENIENT, &t))
        return false;
    *ms = scim_datetime_ms(&t, exact);
    return true;
}

/* ---- the SQLite dialect --------------------------------------------------------------------- */

static void sqlite_param(struct scim_sqlbuf *b, int n)
{
    scim_sqlbuf_addf(b, "?%d", n);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool plain_key(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++) {
        char c = *k;
        if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
            return false;
    }
    return true;
}

/* "$.emails", "$.\"urn:...:User\".manager.value"; keys containing '"' cannot be written. */
static char *sqlite_json_path(const char *const *keys, size_t n)
{
    struct scim_sqlbuf b = {0};
    scim_sqlbuf_add(&b, "$");
    for (size_t i = 0; i < n; i++) {
        if (strchr(keys[i], '"')) {
            scim_sqlbuf_clear(&b);
            return NULL;
        }
        scim_sqlbuf_addf(&b, plain_key(keys[i]) ? ".%s" : ".\"%s\"", keys[i]);
    }
    return scim_sqlbuf_take(&b);
}

static void sqlite_json_value(struct scim_sqlbuf *b, const char *base, const char *ph)
{
    scim_sqlbuf_addf(b, "json_extract(%s, %s)", base, ph);
}

static void sqlite_json_present(struct scim_sqlbuf *b, const char *base, const char *ph)
{
    scim_sqlbuf_addf(b,
                     "EXISTS (SELECT 1 FROM json_tree(%s, %s) AS t "
                     "WHERE t.type NOT IN ('null', 'object', 'array') "
                     "AND (t.type <> 'text' OR t.atom <> ''))",
                     base, ph);
}

static void sqlite_json_is_obj(struct scim_sqlbuf *b, const char *base, const char *ph)
{
    scim_sqlbuf_addf(b, "json_type(%s, %s) IS 'object'", base, ph);
}

static void sqlite_json_elements(struct scim_sqlbuf *b, const char *base, const char *ph,
                                 const char *alias)
{
    scim_sqlbuf_addf(b, "json_each(%s, %s) AS %s", base, ph, alias);
}

static void sqlite_element_value(struct scim_sqlbuf *b, const char *alias)
{
    scim_sqlbuf_addf(b, "%s.value", alias);
}

/* The CASE keeps json_extract away from elements that are not objects (it would fail on text). */
static void sqlite_element_member(struct scim_sqlbuf *b, const char *alias, const char *ph)
{
    scim_sqlbuf_addf(b, "json_extract(CASE %s.type WHEN 'object' THEN %s.value END, %s)", alias,
                     alias, ph);
}

static void sqlite_element_is_object(struct scim_sqlbuf *b, const char *alias)
{
    scim_sqlbuf_addf(b, "%s.type = 'object'", alias);
}

static void sqlite_element_index(struct scim_sqlbuf *b, const char *alias)
{
    scim_sqlbuf_addf(b, "%s.key", alias);
}

static void sqlite_fold(struct scim_sqlbuf *b, const char *expr)
{
    scim_sqlbuf_addf(b, "scim_fold(%s)", expr);
}

/*
 * LIKE patterns for folded operands (LIKE's own ASCII case-insensitivity is harmless once both
 * sides are folded) with '\' escaping '%', '_' and itself; GLOB patterns (case-sensitive) for
 * caseExact operands, where '*', '?' and '[' are escaped by a one-character class.
 */
static char *sqlite_pattern(enum scim_filter_op op, const char *lit, size_t n, bool folded,
                            size_t *len)
{
    struct scim_sqlbuf b = {0};
    const char *any = folded ? "%" : "*";
    buf_reserve(&b, n + 2);
    if (op == SCIM_OP_CO || op == SCIM_OP_EW)
        scim_sqlbuf_add(&b, any);
    for (size_t i = 0; i < n; i++) {
        char c = lit[i];
        if (folded && (c == '%' || c == '_' || c == '\\')) {
            char esc[2] = {'\\', c};
            buf_addn(&b, esc, 2);
        } else if (!folded && (c == '*' || c == '?' || c == '[')) {
            char esc[3] = {'[', c, ']'};
            buf_addn(&b, esc, 3);
        } else {
            buf_addn(&b, &c, 1);
        }
    }
    if (op == SCIM_OP_CO || op == SCIM_OP_SW)
        scim_sqlbuf_add(&b, any);
    *len = b.len;
    return scim_sqlbuf_take(&b);
}

static void sqlite_match(struct scim_sqlbuf *b, const char *expr, const char *ph, bool folded)
{
    if (folded)
        scim_sqlbuf_addf(b, "%s LIKE %s ESCAPE '\\'", expr, ph);
    else
        scim_sqlbuf_addf(b, "%s GLOB %s", expr, ph);
}

/*
 * SQLite compares text bytewise (BINARY), and no well-formed UTF-8 continues a prefix with the
 * bytes F4 90 or above, so prefix + F4 90 bounds every string that starts with the prefix.
 */
static char *sqlite_prefix_end(const char *lit, size_t n, size_t *len)
{
    char *end = scim_malloc(n + 3);
    memcpy(end, lit, n);
    end[n] = (char)0xF4;
    end[n + 1] = (char)0x90;
    end[n + 2] = '\0';
    *len = n + 2;
    return end;
}

static void sqlite_time_text(struct scim_sqlbuf *b, const char *expr)
{
    scim_sqlbuf_addf(b, "scim_time(%s)", expr);
}

static void sqlite_datetime_key(struct scim_sqlbuf *b, const char *expr)
{
    scim_sqlbuf_addf(b, "scim_datetime_key(%s)", expr);
}

const struct scim_sqlgen_dialect scim_sqlgen_sqlite = {
    .name = "sqlite",
    .param = sqlite_param,
    .json_path = sqlite_json_path,
    .json_value = sqlite_json_value,
    .json_present = sqlite_json_present,
    .json_is_obj = sqlite_json_is_obj,
    .json_elements = sqlite_json_elements,
    .element_value = sqlite_element_value,
    .element_member = sqlite_element_member,
    .element_is_object = sqlite_element_is_object,
    .element_index = sqlite_element_index,
    .fold = sqlite_fold,
    .pattern = sqlite_pattern,
    .match = sqlite_match,
    .prefix_end = sqlite_prefix_end,
    .time_text = sqlite_time_text,
    .datetime_key = sqlite_datetime_key,
};

/* ---- generator state ------------------------------------------------------------------------ */

struct gen {
    const struct scim_sqlgen_dialect *d;
    struct scim_sqlgen *out; /* parameters accumulate here */
    size_t cap;
    int tenant_param;
    int aliases; /* element aliases used so far: e1, e2, ... */
    struct scim_err *err;
};

/* A placeholder's text ("?12"), small enough for any int. */
struct ph {
    char s[24];
};

static struct ph placeholder(const struct gen *g, int n)
{
    struct scim_sqlbuf b = {0};
    g->d->param(&b, n);
    struct ph p;
    snprintf(p.s, sizeof(p.s), "%s", b.data ? b.data : "");
    scim_sqlbuf_clear(&b);
    return p;
}

static struct scim_sqlgen_param *new_param(struct gen *g, enum scim_sqlgen_type type)
{
    struct scim_sqlgen *o = g->out;
    if (o->n_params == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 8;
        o->params = scim_realloc(o->params, g->cap * sizeof(*o->params));
    }
    struct scim_sqlgen_param *p = &o->params[o->n_params++];
    memset(p, 0, sizeof(*p));
    p->index = o->next_param++;
    p->type = type;
    return p;
}

/* Adds a text parameter that takes ownership of s (len bytes, NUL-terminated); returns its
 * placeholder. */
static struct ph param_text_owned(struct gen *g, char *s, size_t len)
{
    struct scim_sqlgen_param *p = new_param(g, SCIM_SQLGEN_TEXT);
    p->text = s;
    p->text_len = len;
    return placeholder(g, p->index);
}

static struct ph param_text(struct gen *g, const char *s, size_t len)
{
    return param_text_owned(g, scim_strndup(s, len), len);
}

static struct ph param_int(struct gen *g, int64_t v)
{
    struct scim_sqlgen_param *p = new_param(g, SCIM_SQLGEN_INT);
    p->i = v;
    return placeholder(g, p->index);
}

static struct ph param_real(struct gen *g, double v)
{
    struct scim_sqlgen_param *p = new_param(g, SCIM_SQLGEN_REAL);
    p->r = v;
    return placeholder(g, p->index);
}

/* Adds the JSON path of keys[0..n) as a parameter; false (err filled) when it cannot be
 * written in this dialect. */
static bool param_path(struct gen *g, const char *const *keys, size_t n, struct ph *out)
{
    char *path = g->d->json_path(keys, n);
    if (!path) {
        scim_err_internal(g->err, "sqlgen: an attribute name cannot be written as a JSON path");
        return false;
    }
    *out = param_text_owned(g, path, strlen(path));
    return true;
}

/* Writes the next element alias ("e1") into alias. */
static void next_alias(struct gen *g, char alias[16])
{
    snprintf(alias, 16, "e%d", ++g->aliases);
}

/* ---- attributes ------------------------------------------------------------------------------ */

enum col_kind {
    COL_TEXT,    /* a text column */
    COL_BOOL,    /* 0/1 or NULL */
    COL_MS,      /* milliseconds since the epoch, never NULL (meta.created, meta.lastModified) */
    COL_ALWAYS,  /* "meta" itself: always present, only pr / eq null make sense */
    COL_LOCATION /* meta.location: depends on the base URL the store does not know */
};

/* An attribute the resources table holds in a column of its own. */
struct column {
    const char *expr;
    enum col_kind kind;
    bool folded;         /* the column holds scim_text_casefold of the value */
    bool ranged;         /* an index leads with it after (tenant_id, type): sw becomes a range */
    const char *present; /* the 0/1 SQL of "pr" */
};

static bool named(const struct scim_attr *a, const char *name)
{
    return a && strcmp(a->name, name) == 0;
}

/* The column holding path's value, or false when the value lives only in the document. */
static bool column_of(const struct scim_path *path, struct column *c)
{
    const struct scim_attr *a = path->attr, *sub = path->sub;
    memset(c, 0, sizeof(*c));
    if (path->in_extension || a->multi_valued)
        return false;
    if (!path->schema) {
        if (named(a, "id") && !sub) {
            *c = (struct column){"r.id", COL_TEXT, false, true, "r.id <> ''"};
            return true;
        }
        if (named(a, "externalId") && !sub) {
            *c = (struct column){"r.external_id", COL_TEXT, false, true, "r.external_id <> ''"};
            return true;
        }
        if (!named(a, "meta"))
            return false;
        if (!sub) {
            *c = (struct column){"1", COL_ALWAYS, false, false, "1"};
        } else if (named(sub, "created")) {
            *c = (struct column){"r.created_ms", COL_MS, false, true, "1"};
        } else if (named(sub, "lastModified")) {
            *c = (struct column){"r.modified_ms", COL_MS, false, true, "1"};
        } else if (named(sub, "resourceType")) {
            *c = (struct column){"r.type", COL_TEXT, false, false, "r.type <> ''"};
        } else if (named(sub, "version")) {
            *c = (struct column){"('W/\"' || r.version || '\"')", COL_TEXT, false, false, "1"};
        } else if (named(sub, "location")) {
            *c = (struct column){"r.id", COL_LOCATION, false, false, "1"};
        } else {
            return false;
        }
        return true;
    }
    if (sub)
        return false;
    /* The store folds userName and displayName into their columns: only right for attributes
     * that are not caseExact, which they are in every schema served. */
    if (named(a, "userName") && a->type == SCIM_ATTR_STRING && !a->case_exact) {
        *c = (struct column){"r.user_name_ci", COL_TEXT, true, true, "r.user_name_ci <> ''"};
        return true;
    }
    if (named(a, "displayName") && a->type == SCIM_ATTR_STRING && !a->case_exact) {
        *c = (struct column){"r.display_name_ci", COL_TEXT, true, true, "r.display_name_ci <> ''"};
        return true;
    }
    if (named(a, "active") && a->type == SCIM_ATTR_BOOLEAN) {
        *c = (struct column){"r.active", COL_BOOL, false, false, "r.active IS NOT NULL"};
        return true;
    }
    return false;
}

bool scim_sqlgen_value_indexed(const struct scim_attr *attr, const struct scim_attr *sub)
{
    return attr && sub && attr->multi_valued && attr->type == SCIM_ATTR_COMPLEX &&
           named(sub, "value") && !sub->multi_valued &&
           (sub->type == SCIM_ATTR_STRING || sub->type == SCIM_ATTR_REFERENCE);
}

/* The document keys that lead to path's attribute (and to its sub-attribute when with_sub). */
static size_t doc_keys(const struct scim_path *path, bool with_sub, const char *keys[3])
{
    size_t n = 0;
    if (path->in_extension && path->schema)
        keys[n++] = path->schema->id;
    keys[n++] = path->attr->name;
    if (with_sub && path->sub)
        keys[n++] = path->sub->name;
    return n;
}

/* ---- comparisons ------------------------------------------------------------------------------
 */

static bool is_substring(enum scim_filter_op op)
{
    return op == SCIM_OP_CO || op == SCIM_OP_SW || op == SCIM_OP_EW;
}

static const char *sql_op(enum scim_filter_op op)
{
    switch (op) {
    case SCIM_OP_EQ:
        return "=";
    case SCIM_OP_NE:
        return "<>";
    case SCIM_OP_GT:
        return ">";
    case SCIM_OP_GE:
        return ">=";
    case SCIM_OP_LT:
        return "<";
    case SCIM_OP_LE:
        return "<=";
    default:
        return NULL;
    }
}

/* How the value being compared is held. */
struct operand {
    const char *expr; /* SQL of the value (NULL when absent) */
    bool folded;      /* expr is already case-folded */
    bool ranged;      /* sw may be written as an index range on expr */
    bool ms;          /* expr is milliseconds (a dateTime column) */
};

/* String comparison of op.expr with the string literal lit under attr's caseExact. */
static int string_pred(struct gen *g, struct scim_sqlbuf *b, const struct operand *o,
                       const struct scim_attr *leaf, enum scim_filter_op op, const char *lit,
                       size_t lit_len)
{
    bool ci = !leaf->case_exact;
    struct scim_sqlbuf lhs = {0};
    if (ci && !o->folded)
        g->d->fold(&lhs, o->expr);
    else
        scim_sqlbuf_add(&lhs, o->expr);
    char *value = ci ? scim_text_casefold(lit, lit_len) : scim_strndup(lit, lit_len);
    size_t value_len = strlen(value);
    if (!is_substring(op)) {
        struct ph p = param_text_owned(g, value, value_len);
        scim_sqlbuf_addf(b, "%s %s %s", lhs.data, sql_op(op), p.s);
    } else if (op == SCIM_OP_SW && o->ranged && g->d->prefix_end) {
        size_t end_len = 0;
        char *end = g->d->prefix_end(value, value_len, &end_len);
        struct ph lo = param_text_owned(g, value, value_len);
        struct ph hi = param_text_owned(g, end, end_len);
        scim_sqlbuf_addf(b, "(%s >= %s AND %s < %s)", lhs.data, lo.s, lhs.data, hi.s);
    } else {
        size_t pat_len = 0;
        char *pat = g->d->pattern(op, value, value_len, ci, &pat_len);
        scim_free(value);
        struct ph p = param_text_owned(g, pat, pat_len);
        g->d->match(b, lhs.data, p.s, ci);
    }
    scim_sqlbuf_clear(&lhs);
    return 0;
}

/* dateTime comparison against a millisecond column: exact even for finer literals. */
static void ms_pred(struct gen *g, struct scim_sqlbuf *b, const char *expr, enum scim_filter_op op,
                    int64_t ms, bool exact)
{
    if (!exact && op == SCIM_OP_EQ) {
        scim_sqlbuf_add(b, "0");
        return;
    }
    if (!exact && op == SCIM_OP_NE) {
        scim_sqlbuf_addf(b, "%s IS NOT NULL", expr);
        return;
    }
    /* A literal between two milliseconds L and L+1: "> lit" is "> L", ">= lit" is "> L",
     * "< lit" is "<= L", "<= lit" is "<= L". */
    const char *sop = sql_op(op);
    if (!exact && op == SCIM_OP_GE)
        sop = ">";
    else if (!exact && op == SCIM_OP_LT)
        sop = "<=";
    struct ph p = param_int(g, ms);
    scim_sqlbuf_addf(b, "%s %s %s", expr, sop, p.s);
}

/*
 * Writes the comparison of operand o (the value of leaf) with f's literal. The result may be NULL
 * when the operand is absent (callers make it two-valued where that matters). A literal whose
 * type cannot match the attribute matches nothing, as in the evaluator.
 */
static int value_pred(struct gen *g, struct scim_sqlbuf *b, const struct operand *o,
                      const struct scim_attr *leaf, const struct scim_filter *f)
{
    const json_t *lit = f->value;
    switch (leaf->type) {
    case SCIM_ATTR_BOOLEAN:
        if (!json_is_boolean(lit) || (f->op != SCIM_OP_EQ && f->op != SCIM_OP_NE))
            break;
        scim_sqlbuf_addf(b, "%s %s %s", o->expr, sql_op(f->op),
                         param_int(g, json_is_true(lit) ? 1 : 0).s);
        return 0;
    case SCIM_ATTR_INTEGER:
    case SCIM_ATTR_DECIMAL:
        if (!json_is_number(lit) || is_substring(f->op))
            break;
        scim_sqlbuf_addf(b, "%s %s %s", o->expr, sql_op(f->op),
                         json_is_integer(lit) ? param_int(g, json_integer_value(lit)).s
                                              : param_real(g, json_real_value(lit)).s);
        return 0;
    case SCIM_ATTR_DATETIME: {
        if (!json_is_string(lit))
            break;
        const char *s = json_string_value(lit);
        size_t n = json_string_length(lit);
        if (is_substring(f->op)) {
            if (!o->ms)
                return string_pred(g, b, o, leaf, f->op, s, n);
            struct scim_sqlbuf text = {0};
            g->d->time_text(&text, o->expr);
            struct operand t = {text.data, false, false, false};
            int rc = string_pred(g, b, &t, leaf, f->op, s, n);
            scim_sqlbuf_clear(&text);
            return rc;
        }
        if (o->ms) {
            int64_t ms;
            bool exact;
            if (memchr(s, '\0', n) || !scim_sqlgen_datetime_ms(s, &ms, &exact))
                break;
            ms_pred(g, b, o->expr, f->op, ms, exact);
            return 0;
        }
        char key[SCIM_SQLGEN_DATETIME_KEY];
        if (!scim_sqlgen_datetime_key(s, n, key))
            break;
        struct scim_sqlbuf lhs = {0};
        g->d->datetime_key(&lhs, o->expr);
        struct ph p = param_text(g, key, strlen(key));
        scim_sqlbuf_addf(b, "%s %s %s", lhs.data, sql_op(f->op), p.s);
        scim_sqlbuf_clear(&lhs);
        return 0;
    }
    case SCIM_ATTR_COMPLEX:
        break;
    default:
        if (!json_is_string(lit))
            break;
        return string_pred(g, b, o, leaf, f->op, json_string_value(lit), json_string_length(lit));
    }
    scim_sqlbuf_add(b, "0");
    return 0;
}

/* Appends sql; below a not() a possibly-NULL condition is made two-valued. */
static void emit(struct scim_sqlbuf *b, const char *sql, bool nullable, bool strict)
{
    if (nullable && strict)
        scim_sqlbuf_addf(b, "(%s) IS TRUE", sql);
    else
        scim_sqlbuf_add(b, sql);
}

/* Appends "pr" (present) or its negation "eq null" (absent) of a 0/1-or-NULL test. */
static void emit_presence(struct scim_sqlbuf *b, const char *present, bool nullable, bool absent,
                          bool strict)
{
    if (absent)
        scim_sqlbuf_addf(b, "(%s) IS NOT TRUE", present);
    else
        emit(b, present, nullable, strict);
}

static bool is_presence(const struct scim_filter *f)
{
    return f->op == SCIM_OP_PR || json_is_null(f->value);
}

/* "r.rowid IN (SELECT ... FROM resource_values ...)" for the value-index attribute of path with
 * the condition on v.value_ci that f states (pr when presence). */
static int value_index_in(struct gen *g, struct scim_sqlbuf *b, const struct scim_path *path,
                          const struct scim_filter *f, bool presence, bool negate)
{
    char key[512];
    scim_path_format(path, key, sizeof(key));
    struct ph tenant = placeholder(g, g->tenant_param);
    struct ph attr = param_text(g, key, strlen(key));
    scim_sqlbuf_addf(b,
                     "r.rowid %sIN (SELECT v.resource_rowid FROM resource_values v "
                     "WHERE v.tenant_id = %s AND v.attr = %s AND ",
                     negate ? "NOT " : "", tenant.s, attr.s);
    int rc = 0;
    if (presence) {
        scim_sqlbuf_add(b, "v.value_ci <> ''");
    } else {
        struct operand o = {"v.value_ci", !path->sub->case_exact, true, false};
        rc = value_pred(g, b, &o, path->sub, f);
    }
    scim_sqlbuf_add(b, ")");
    return rc;
}

/*
 * The COMPARE f on expr, the SQL of a single value that is NULL when absent (in the document or a
 * membership row): presence tests compare it with '', other operators go through value_pred;
 * below a not() (strict) the condition is made two-valued.
 */
static int nullable_compare(struct gen *g, struct scim_sqlbuf *b, const char *expr,
                            const struct scim_attr *leaf, const struct scim_filter *f, bool strict)
{
    struct scim_sqlbuf t = {0};
    int rc = 0;
    if (is_presence(f)) {
        scim_sqlbuf_addf(&t, "%s <> ''", expr);
        emit_presence(b, t.data, true, f->op == SCIM_OP_EQ, strict);
    } else {
        struct operand o = {expr, false, false, false};
        rc = value_pred(g, &t, &o, leaf, f);
        if (rc == 0)
            emit(b, t.data, true, strict);
    }
    scim_sqlbuf_clear(&t);
    return rc;
}

/* Appends the SQL of the array element alias itself, or of its member sub when sub is not NULL;
 * false (err filled) when sub's name cannot be written as a JSON path. */
static bool element_expr(struct gen *g, struct scim_sqlbuf *b, const char *alias,
                         const struct scim_attr *sub)
{
    if (!sub) {
        g->d->element_value(b, alias);
        return true;
    }
    const char *sub_key[1] = {sub->name};
    struct ph sp;
    if (!param_path(g, sub_key, 1, &sp))
        return false;
    g->d->element_member(b, alias, sp.s);
    return true;
}

/* A COMPARE on an attribute held in a column of its own. */
static int column_compare(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                          const struct column *col, bool strict)
{
    const struct scim_attr *leaf = f->path.sub ? f->path.sub : f->path.attr;
    bool presence = is_presence(f);
    bool nullable = col->kind == COL_TEXT;
    struct scim_sqlbuf t = {0};
    int rc = 0;
    if (col->kind == COL_LOCATION) {
        rc = scim_err_set(g->err, 400, SCIM_TYPE_INVALID_FILTER,
                          "meta.location cannot be used in a filter; filter on id instead");
        goto out;
    }
    if (presence) {
        emit_presence(b, col->present, nullable, f->op == SCIM_OP_EQ, strict);
        goto out;
    }
    if (col->kind == COL_ALWAYS) {
        scim_sqlbuf_add(b, "0");
        goto out;
    }
    struct operand o = {col->expr, col->folded, col->ranged, col->kind == COL_MS};
    rc = value_pred(g, &t, &o, leaf, f);
    if (rc == 0)
        emit(b, t.data, nullable || col->kind == COL_BOOL, strict);
out:
    scim_sqlbuf_clear(&t);
    return rc;
}

/* A COMPARE on a multi-valued attribute of the document: some value (or, with a sub-attribute,
 * the sub-attribute of some element) must match. */
static int multi_compare(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                         bool strict)
{
    const struct scim_path *path = &f->path;
    const struct scim_attr *leaf = path->sub ? path->sub : path->attr;
    bool presence = is_presence(f);
    bool absent = presence && f->op == SCIM_OP_EQ;
    const char *keys[3];
    char alias[16];
    struct ph arr;
    struct scim_sqlbuf from = {0}, elem = {0}, t = {0};
    int rc = 0;
    if (!param_path(g, keys, doc_keys(path, false, keys), &arr)) {
        rc = SCIM_ERR;
        goto out;
    }
    if (presence && !path->sub) {
        g->d->json_present(&t, "r.doc", arr.s);
        emit_presence(b, t.data, false, absent, strict);
        goto out;
    }
    next_alias(g, alias);
    g->d->json_elements(&from, "r.doc", arr.s, alias);
    if (!element_expr(g, &elem, alias, path->sub)) {
        rc = SCIM_ERR;
        goto out;
    }
    scim_sqlbuf_addf(b, "%sEXISTS (SELECT 1 FROM %s WHERE ", absent ? "NOT " : "", from.data);
    if (presence) {
        scim_sqlbuf_addf(b, "%s <> ''", elem.data);
    } else {
        struct operand o = {elem.data, false, false, false};
        rc = value_pred(g, b, &o, leaf, f);
    }
    scim_sqlbuf_add(b, ")");
out:
    scim_sqlbuf_clear(&from);
    scim_sqlbuf_clear(&elem);
    scim_sqlbuf_clear(&t);
    return rc;
}

/* A COMPARE on a singular attribute of the document (or a sub-attribute of a singular complex
 * attribute). */
static int single_compare(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                          bool strict)
{
    const struct scim_path *path = &f->path;
    const struct scim_attr *leaf = path->sub ? path->sub : path->attr;
    bool presence = is_presence(f);
    bool absent = presence && f->op == SCIM_OP_EQ;
    const char *keys[3];
    struct ph p;
    struct scim_sqlbuf value = {0}, t = {0};
    int rc = 0;
    if (!param_path(g, keys, doc_keys(path, true, keys), &p)) {
        rc = SCIM_ERR;
        goto out;
    }
    if (leaf->type == SCIM_ATTR_COMPLEX) {
        /* Only pr and eq/ne null reach here: the parser refuses other comparisons. */
        g->d->json_present(&t, "r.doc", p.s);
        if (presence)
            emit_presence(b, t.data, false, absent, strict);
        else
            scim_sqlbuf_add(b, "0");
        goto out;
    }
    g->d->json_value(&value, "r.doc", p.s);
    rc = nullable_compare(g, b, value.data, leaf, f, strict);
out:
    scim_sqlbuf_clear(&value);
    scim_sqlbuf_clear(&t);
    return rc;
}

/* ---- membership rows (migration 004) ------------------------------------------------------ */

/*
 * A Group's "members" and a User's "groups" are not in the document: they are rows of
 * group_members (store_sqlite_groups.c renders them). A filter on them becomes
 * "r.rowid IN (<the resources that have an element satisfying the condition>)": for members the
 * elements are (membership row mx, member resource mr); for groups they are (the user, a group gr
 * it belongs to directly or through nested groups, direct) from a recursive walk down from every
 * group, so that "type" is "direct" exactly when the rendered groups attribute says so.
 */
enum membership { MS_NONE, MS_MEMBERS, MS_GROUPS };

static enum membership membership_of(const struct scim_path *path)
{
    const struct scim_attr *a = path->attr;
    if (!path->schema || path->in_extension || !a->multi_valued || a->type != SCIM_ATTR_COMPLEX)
        return MS_NONE;
    if (strcmp(path->schema->id, SCIM_SCHEMA_GROUP) == 0 && named(a, "members"))
        return MS_MEMBERS;
    if (strcmp(path->schema->id, SCIM_SCHEMA_USER) == 0 && named(a, "groups"))
        return MS_GROUPS;
    return MS_NONE;
}

/* Appends the SQL of sub-attribute sub of one membership element. "$ref" depends on the base URL
 * the store does not know: 400 invalidFilter, as for meta.location. */
static int membership_expr(struct gen *g, struct scim_sqlbuf *b, enum membership ms,
                           const struct scim_attr *sub)
{
    if (ms == MS_MEMBERS && named(sub, "value")) {
        scim_sqlbuf_add(b, "mr.id");
    } else if (ms == MS_MEMBERS && named(sub, "type")) {
        scim_sqlbuf_add(b, "mx.member_type");
    } else if (ms == MS_MEMBERS && named(sub, "display")) {
        /* As rendered: the member's displayName, for a User without one its userName. */
        const char *key[1] = {"userName"};
        struct ph p;
        if (!param_path(g, key, 1, &p))
            return SCIM_ERR;
        scim_sqlbuf_add(b, "coalesce(mr.display_name, ");
        g->d->json_value(b, "mr.doc", p.s);
        scim_sqlbuf_add(b, ")");
    } else if (ms == MS_GROUPS && named(sub, "value")) {
        scim_sqlbuf_add(b, "gr.id");
    } else if (ms == MS_GROUPS && named(sub, "display")) {
        scim_sqlbuf_add(b, "gr.display_name");
    } else if (ms == MS_GROUPS && named(sub, "type")) {
        scim_sqlbuf_add(b, "(CASE WHEN e.direct = 1 THEN 'direct' ELSE 'indirect' END)");
    } else {
        return scim_err_set(g->err, 400, SCIM_TYPE_INVALID_FILTER,
                            "%s.%s cannot be used in a filter; filter on %s.value instead",
                            ms == MS_MEMBERS ? "members" : "groups", sub ? sub->name : "?",
                            ms == MS_MEMBERS ? "members" : "groups");
    }
    return 0;
}

/* The condition on one membership element that the COMPARE f (on a sub-attribute) states. */
static int membership_compare(struct gen *g, struct scim_sqlbuf *b, enum membership ms,
                              const struct scim_filter *f, bool strict)
{
    const struct scim_attr *leaf = f->path.sub;
    struct scim_sqlbuf value = {0};
    int rc = leaf ? membership_expr(g, &value, ms, leaf)
                  : scim_err_internal(g->err, "sqlgen: a membership compare without sub-attribute");
    if (rc == 0)
        rc = nullable_compare(g, b, value.data, leaf, f, strict);
    scim_sqlbuf_clear(&value);
    return rc;
}

/*
 * A run of the same connective ("a or b or c", however the parser nested it) is written flat,
 * "(a OR b OR c)", not "((a OR b) OR c)": AND and OR are associative (also for SQL's NULL), and
 * nested parentheses cost SQLite's parser a stack level each (it fails near 100 of them). Each
 * operand that is not the same connective is written by gen->fn.
 */
struct operand_gen {
    int (*fn)(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f, const void *ctx,
              bool strict);
    const void *ctx;
};

static int gen_chain(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                     enum scim_filter_kind kind, const struct operand_gen *og, bool strict)
{
    if (f->kind != kind)
        return og->fn(g, b, f, og->ctx, strict);
    int rc = gen_chain(g, b, f->left, kind, og, strict);
    if (rc == 0) {
        scim_sqlbuf_add(b, kind == SCIM_FILTER_AND ? " AND " : " OR ");
        rc = gen_chain(g, b, f->right, kind, og, strict);
    }
    return rc;
}

/* A connective node: its flattened run in one pair of parentheses. */
static int gen_connective(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                          const struct operand_gen *og, bool strict)
{
    scim_sqlbuf_add(b, "(");
    int rc = gen_chain(g, b, f, f->kind, og, strict);
    scim_sqlbuf_add(b, ")");
    return rc;
}

static int membership_element(struct gen *g, struct scim_sqlbuf *b, enum membership ms,
                              const struct scim_filter *f, bool strict);

static int membership_operand(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                              const void *ctx, bool strict)
{
    return membership_element(g, b, *(const enum membership *)ctx, f, strict);
}

/* The condition on one membership element of a value filter (and/or/not of compares). */
static int membership_element(struct gen *g, struct scim_sqlbuf *b, enum membership ms,
                              const struct scim_filter *f, bool strict)
{
    int rc = 0;
    switch (f->kind) {
    case SCIM_FILTER_AND:
    case SCIM_FILTER_OR: {
        struct operand_gen og = {membership_operand, &ms};
        rc = gen_connective(g, b, f, &og, strict);
        break;
    }
    case SCIM_FILTER_NOT:
        scim_sqlbuf_add(b, "NOT (");
        rc = membership_element(g, b, ms, f->left, true);
        scim_sqlbuf_add(b, ")");
        break;
    case SCIM_FILTER_COMPARE:
        rc = membership_compare(g, b, ms, f, strict);
        break;
    default:
        scim_sqlbuf_add(b, "0");
        break;
    }
    return rc;
}

/*
 * "r.rowid [NOT] IN (...)": the resources with an element that satisfies inner (NULL: any
 * element, for presence). inner's compares are on sub-attributes of the membership attribute.
 */
static int membership_in(struct gen *g, struct scim_sqlbuf *b, enum membership ms,
                         const struct scim_filter *inner, bool negate)
{
    struct ph tenant = placeholder(g, g->tenant_param);
    if (ms == MS_MEMBERS)
        scim_sqlbuf_addf(b,
                         "r.rowid %sIN (SELECT mx.group_rowid FROM group_members mx "
                         "JOIN resources mr ON mr.rowid = mx.member_rowid "
                         "WHERE mx.tenant_id = %s AND ",
                         negate ? "NOT " : "", tenant.s);
    else
        scim_sqlbuf_addf(b,
                         "r.rowid %sIN (WITH RECURSIVE down(m, g, direct) AS ("
                         "SELECT member_rowid, group_rowid, 1 FROM group_members "
                         "WHERE tenant_id = %s UNION SELECT mx.member_rowid, down.g, 0 FROM down "
                         "JOIN group_members mx ON mx.tenant_id = %s AND mx.group_rowid = down.m) "
                         "SELECT e.m FROM (SELECT m, g, max(direct) AS direct FROM down "
                         "GROUP BY m, g) e JOIN resources gr ON gr.rowid = e.g "
                         "WHERE gr.deleted_ms IS NULL AND ",
                         negate ? "NOT " : "", tenant.s, tenant.s);
    int rc = 0;
    if (inner)
        rc = membership_element(g, b, ms, inner, false);
    else
        scim_sqlbuf_add(b, "1");
    scim_sqlbuf_add(b, ")");
    return rc;
}

/* A top-level COMPARE on a membership attribute: some element must match ("pr" and "eq null"
 * of the attribute itself test whether there is any). */
static int membership_top(struct gen *g, struct scim_sqlbuf *b, enum membership ms,
                          const struct scim_filter *f)
{
    if (!f->path.sub)
        return membership_in(g, b, ms, NULL, is_presence(f) && f->op == SCIM_OP_EQ);
    if (is_presence(f) && f->op == SCIM_OP_EQ) {
        /* "members.value eq null": no element has a value. */
        struct scim_filter present = *f;
        present.op = SCIM_OP_PR;
        present.value = NULL;
        return membership_in(g, b, ms, &present, true);
    }
    return membership_in(g, b, ms, f, false);
}

/* A COMPARE at the top level of the filter. */
static int gen_compare(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                       bool strict)
{
    struct column col;
    enum membership ms = membership_of(&f->path);
    if (ms != MS_NONE)
        return membership_top(g, b, ms, f);
    if (column_of(&f->path, &col))
        return column_compare(g, b, f, &col, strict);
    if (scim_sqlgen_value_indexed(f->path.attr, f->path.sub)) {
        bool presence = is_presence(f);
        return value_index_in(g, b, &f->path, f, presence, presence && f->op == SCIM_OP_EQ);
    }
    if (f->path.attr->multi_valued)
        return multi_compare(g, b, f, strict);
    return single_compare(g, b, f, strict);
}

/* Where the elements of a value path come from. */
struct element {
    const char *alias;              /* multi-valued: the element's alias; NULL when singular */
    const struct scim_path *parent; /* the value path's attribute */
};

/* A COMPARE inside a value path, on one element. */
static int gen_element_compare(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                               const struct element *e, bool strict)
{
    const struct scim_attr *leaf = f->path.sub ? f->path.sub : f->path.attr;
    struct scim_sqlbuf value = {0};
    int rc = 0;
    if (leaf->type == SCIM_ATTR_COMPLEX || (!f->path.sub && !e->alias)) {
        rc = scim_err_internal(g->err, "sqlgen: a value filter compares a complex value");
        goto out;
    }
    if (e->alias) {
        if (!element_expr(g, &value, e->alias, f->path.sub)) {
            rc = SCIM_ERR;
            goto out;
        }
    } else {
        const char *keys[3];
        struct scim_path sub_path = *e->parent;
        sub_path.sub = f->path.sub;
        sub_path.filter = NULL;
        struct ph p;
        if (!param_path(g, keys, doc_keys(&sub_path, true, keys), &p)) {
            rc = SCIM_ERR;
            goto out;
        }
        g->d->json_value(&value, "r.doc", p.s);
    }
    rc = nullable_compare(g, b, value.data, leaf, f, strict);
out:
    scim_sqlbuf_clear(&value);
    return rc;
}

static int gen_element(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                       const struct element *e, bool strict);

static int element_operand(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                           const void *ctx, bool strict)
{
    return gen_element(g, b, f, ctx, strict);
}

static int gen_element(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                       const struct element *e, bool strict)
{
    int rc = 0;
    switch (f->kind) {
    case SCIM_FILTER_AND:
    case SCIM_FILTER_OR: {
        struct operand_gen og = {element_operand, e};
        rc = gen_connective(g, b, f, &og, strict);
        if (rc)
            goto out;
        break;
    }
    case SCIM_FILTER_NOT:
        scim_sqlbuf_add(b, "NOT (");
        rc = gen_element(g, b, f->left, e, true);
        if (rc)
            goto out;
        scim_sqlbuf_add(b, ")");
        break;
    case SCIM_FILTER_COMPARE:
        rc = gen_element_compare(g, b, f, e, strict);
        break;
    case SCIM_FILTER_VALUE_PATH:
        /* Value paths do not nest; the evaluator matches nothing for one. */
        scim_sqlbuf_add(b, "0");
        break;
    }
out:
    return rc;
}

/* The first "value eq <string>" that every element matching f must satisfy (a conjunct of f),
 * which lets the value index narrow the rows before the per-element test. */
static const struct scim_filter *indexable_conjunct(const struct scim_filter *f)
{
    if (f->kind == SCIM_FILTER_AND) {
        const struct scim_filter *c = indexable_conjunct(f->left);
        return c ? c : indexable_conjunct(f->right);
    }
    if (f->kind == SCIM_FILTER_COMPARE && f->op == SCIM_OP_EQ && json_is_string(f->value) &&
        scim_sqlgen_value_indexed(f->path.attr, f->path.sub))
        return f;
    return NULL;
}

static int gen_value_path(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f)
{
    const struct scim_path *path = &f->path;
    const char *keys[3];
    struct ph p;
    char alias[16];
    struct scim_sqlbuf from = {0}, obj = {0};
    int rc = 0;
    if (path->attr->type != SCIM_ATTR_COMPLEX || path->sub) {
        rc = scim_err_internal(g->err, "sqlgen: a value path on a non-complex attribute");
        goto out;
    }
    enum membership ms = membership_of(path);
    if (ms != MS_NONE) {
        rc = membership_in(g, b, ms, f->left, false);
        goto out;
    }
    if (!param_path(g, keys, doc_keys(path, false, keys), &p)) {
        rc = SCIM_ERR;
        goto out;
    }
    if (!path->attr->multi_valued) {
        /* A singular complex value: the evaluator requires it to be an object. */
        scim_sqlbuf_add(b, "(");
        g->d->json_is_obj(b, "r.doc", p.s);
        scim_sqlbuf_add(b, " AND ");
        struct element e = {NULL, path};
        rc = gen_element(g, b, f->left, &e, true);
        scim_sqlbuf_add(b, ")");
        goto out;
    }
    const struct scim_filter *narrow = indexable_conjunct(f->left);
    if (narrow) {
        scim_sqlbuf_add(b, "(");
        rc = value_index_in(g, b, &narrow->path, narrow, false, false);
        if (rc)
            goto out;
        scim_sqlbuf_add(b, " AND ");
    }
    next_alias(g, alias);
    g->d->json_elements(&from, "r.doc", p.s, alias);
    g->d->element_is_object(&obj, alias);
    scim_sqlbuf_addf(b, "EXISTS (SELECT 1 FROM %s WHERE %s AND ", from.data, obj.data);
    struct element e = {alias, path};
    rc = gen_element(g, b, f->left, &e, false);
    if (rc)
        goto out;
    scim_sqlbuf_add(b, narrow ? "))" : ")");
out:
    scim_sqlbuf_clear(&from);
    scim_sqlbuf_clear(&obj);
    return rc;
}

/* strict: the result must be 0 or 1, never NULL (we are below a not()). */
static int gen_node(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f, bool strict);

static int node_operand(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f,
                        const void *ctx, bool strict)
{
    (void)ctx;
    return gen_node(g, b, f, strict);
}

static int gen_node(struct gen *g, struct scim_sqlbuf *b, const struct scim_filter *f, bool strict)
{
    int rc = 0;
    switch (f->kind) {
    case SCIM_FILTER_AND:
    case SCIM_FILTER_OR: {
        struct operand_gen og = {node_operand, NULL};
        rc = gen_connective(g, b, f, &og, strict);
        if (rc)
            goto out;
        break;
    }
    case SCIM_FILTER_NOT:
        scim_sqlbuf_add(b, "NOT (");
        rc = gen_node(g, b, f->left, true);
        if (rc)
            goto out;
        scim_sqlbuf_add(b, ")");
        break;
    case SCIM_FILTER_COMPARE:
        rc = gen_compare(g, b, f, strict);
        break;
    case SCIM_FILTER_VALUE_PATH:
        rc = gen_value_path(g, b, f);
        break;
    default:
        rc = scim_err_internal(g->err, "sqlgen: unknown filter node");
        break;
    }
out:
    return rc;
}

int scim_sqlgen_where(const struct scim_sqlgen_dialect *d, const struct scim_filter *f,
                      int tenant_param, int first_param, struct scim_sqlgen *out,
                      struct scim_err *err)
{
    assert(d && f && out && first_param >= 1);
    struct scim_sqlgen result = {.next_param = first_param};
    struct gen g = {.d = d, .out = &result, .tenant_param = tenant_param, .err = err};
    struct scim_sqlbuf b = {0};
    int rc = gen_node(&g, &b, f, false);
    if (rc) {
        scim_sqlbuf_clear(&b);
        scim_sqlgen_clear(&result);
        goto out;
    }
    result.sql = scim_sqlbuf_take(&b);
    *out = result;
out:
    return rc;
}

/* ---- sort keys ------------------------------------------------------------------------------- */

/* Wraps expr (in b) as the sort key of values of leaf: folded or as a dateTime key. */
static void sort_wrap(const struct scim_sqlgen_dialect *d, struct scim_sqlbuf *b, const char *expr,
                      const struct scim_attr *leaf, bool folded)
{
    if (leaf->type == SCIM_ATTR_DATETIME)
        d->datetime_key(b, expr);
    else if (!leaf->case_exact && !folded &&
             (leaf->type == SCIM_ATTR_STRING || leaf->type == SCIM_ATTR_REFERENCE ||
              leaf->type == SCIM_ATTR_BINARY))
        d->fold(b, expr);
    else
        scim_sqlbuf_add(b, expr);
}

/* The sort key of a multi-valued attribute: its primary value, else its first (RFC 7644
 * §3.4.2.3), as a scalar subquery. */
static int multi_sort_key(struct gen *g, struct scim_sqlbuf *b, const struct scim_path *path)
{
    const struct scim_sqlgen_dialect *d = g->d;
    const struct scim_attr *attr = path->attr;
    const struct scim_attr *sub = path->sub;
    const char *keys[3];
    char name[512];
    struct ph p, sp, pp;
    struct scim_sqlbuf from = {0}, idx = {0}, value = {0}, prim = {0};
    int rc = 0;
    if (attr->type == SCIM_ATTR_COMPLEX && !sub)
        sub = scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, "value");
    if (attr->type == SCIM_ATTR_COMPLEX && !sub) {
        rc = scim_err_set(g->err, 400, SCIM_TYPE_INVALID_VALUE,
                          "sortBy %s is complex; name one of its sub-attributes",
                          scim_path_format(path, name, sizeof(name)));
        goto out;
    }
    if (!param_path(g, keys, doc_keys(path, false, keys), &p)) {
        rc = SCIM_ERR;
        goto out;
    }
    d->json_elements(&from, "r.doc", p.s, "s");
    d->element_index(&idx, "s");
    if (sub) {
        const char *sub_key[1] = {sub->name};
        if (!param_path(g, sub_key, 1, &sp)) {
            rc = SCIM_ERR;
            goto out;
        }
        d->element_member(&value, "s", sp.s);
    } else {
        d->element_value(&value, "s");
    }
    scim_sqlbuf_add(b, "(SELECT ");
    sort_wrap(d, b, value.data, sub ? sub : attr, false);
    scim_sqlbuf_addf(b, " FROM %s ORDER BY ", from.data);
    if (attr->type == SCIM_ATTR_COMPLEX &&
        scim_attr_find(attr->sub_attrs, attr->n_sub_attrs, "primary")) {
        const char *primary_key[1] = {"primary"};
        if (!param_path(g, primary_key, 1, &pp)) {
            rc = SCIM_ERR;
            goto out;
        }
        d->element_member(&prim, "s", pp.s);
        scim_sqlbuf_addf(b, "(%s) IS TRUE DESC, ", prim.data);
    }
    scim_sqlbuf_addf(b, "%s LIMIT 1)", idx.data);
out:
    scim_sqlbuf_clear(&from);
    scim_sqlbuf_clear(&idx);
    scim_sqlbuf_clear(&value);
    scim_sqlbuf_clear(&prim);
    return rc;
}

/* Writes the sort key of path into b. */
static int sort_key(struct gen *g, struct scim_sqlbuf *b, const struct scim_path *path)
{
    const struct scim_attr *leaf = path->sub ? path->sub : path->attr;
    const char *keys[3];
    char name[512];
    struct column col;
    struct ph p;
    struct scim_sqlbuf value = {0};
    int rc = 0;
    if (column_of(path, &col)) {
        if (col.kind == COL_ALWAYS)
            rc = scim_err_set(g->err, 400, SCIM_TYPE_INVALID_VALUE,
                              "sortBy must name a simple attribute; meta is complex");
        else if (col.kind == COL_MS)
            scim_sqlbuf_add(b, col.expr);
        else if (col.kind == COL_LOCATION)
            scim_sqlbuf_add(b, "r.id"); /* base URL + endpoint + "/" + id sorts as id does */
        else if (named(path->sub, "version"))
            scim_sqlbuf_add(b, "r.version");
        else
            sort_wrap(g->d, b, col.expr, leaf, col.folded);
        goto out;
    }
    if (path->attr->multi_valued) {
        rc = multi_sort_key(g, b, path);
        goto out;
    }
    if (leaf->type == SCIM_ATTR_COMPLEX) {
        rc = scim_err_set(g->err, 400, SCIM_TYPE_INVALID_VALUE,
                          "sortBy %s is complex; name one of its sub-attributes",
                          scim_path_format(path, name, sizeof(name)));
        goto out;
    }
    if (!param_path(g, keys, doc_keys(path, true, keys), &p)) {
        rc = SCIM_ERR;
        goto out;
    }
    g->d->json_value(&value, "r.doc", p.s);
    sort_wrap(g->d, b, value.data, leaf, false);
out:
    scim_sqlbuf_clear(&value);
    return rc;
}

int scim_sqlgen_sort_key(const struct scim_sqlgen_dialect *d, const struct scim_path *path,
                         int first_param, struct scim_sqlgen *out, struct scim_err *err)
{
    assert(d && path && path->attr && out && first_param >= 1);
    struct scim_sqlgen result = {.next_param = first_param};
    struct gen g = {.d = d, .out = &result, .err = err};
    struct scim_sqlbuf b = {0};
    int rc = sort_key(&g, &b, path);
    if (rc) {
        scim_sqlbuf_clear(&b);
        scim_sqlgen_clear(&result);
        goto out;
    }
    result.sql = scim_sqlbuf_take(&b);
    *out = result;
out:
    return rc;
}

/* ---- the value index ----------------------------------------------------------------------------
 */

/* Adds the entries of one multi-valued attribute (its document value v) to the list. */
static void index_attr(const struct scim_path *path, const json_t *v,
                       struct scim_sqlgen_index_entry **list, size_t *n, size_t *cap)
{
    char key[512];
    size_t i;
    const json_t *e;
    if (!json_is_array(v))
        return;
    scim_path_format(path, key, sizeof(key));
    json_array_foreach (v, i, e) {
        const json_t *value = json_is_object(e) ? json_object_get(e, path->sub->name) : NULL;
        if (!json_is_string(value))
            continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *list = scim_realloc(*list, *cap * sizeof(**list));
        }
        const char *s = json_string_value(value);
        size_t len = json_string_length(value);
        (*list)[*n].attr = scim_strdup(key);
        (*list)[*n].value =
            path->sub->case_exact ? scim_strndup(s, len) : scim_text_casefold(s, len);
        (*n)++;
    }
}

/* Adds the entries of every indexed attribute of schema (its part of the document: obj). */
static void index_schema(const struct scim_schema *schema, bool in_extension, const json_t *obj,
                         struct scim_sqlgen_index_entry **list, size_t *n, size_t *cap)
{
    if (!json_is_object(obj))
        return;
    for (size_t i = 0; i < schema->n_attrs; i++) {
        const struct scim_attr *a = &schema->attrs[i];
        if (!a->multi_valued || a->type != SCIM_ATTR_COMPLEX)
            continue;
        const struct scim_attr *sub = scim_attr_find(a->sub_attrs, a->n_sub_attrs, "value");
        if (!scim_sqlgen_value_indexed(a, sub))
            continue;
        struct scim_path path = {schema, in_extension, a, sub, NULL};
        index_attr(&path, json_object_get(obj, a->name), list, n, cap);
    }
}

void scim_sqlgen_index_values(const struct scim_resource_type *rt, const json_t *doc,
                              struct scim_sqlgen_index_entry **out, size_t *n)
{
    struct scim_sqlgen_index_entry *list = NULL;
    size_t used = 0, cap = 0;
    if (rt) {
        index_schema(rt->schema, false, doc, &list, &used, &cap);
        for (size_t i = 0; i < rt->n_extensions; i++) {
            const struct scim_schema *ext = rt->extensions[i].schema;
            index_schema(ext, true, json_object_get(doc, ext->id), &list, &used, &cap);
        }
    }
    *out = list;
    *n = used;
}

void scim_sqlgen_index_free(struct scim_sqlgen_index_entry *entries, size_t n)
{
    if (!entries)
        return;
    for (size_t i = 0; i < n; i++) {
        scim_free(entries[i].attr);
        scim_free(entries[i].value);
    }
    scim_free(entries);
}
