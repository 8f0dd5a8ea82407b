/*
 * sqlgen — translates a resolved SCIM filter AST (filter.h; RFC 7644 §3.4.2.2) into a
 * parameterised SQL condition over the store's resources table, and a sortBy path (RFC 7644
 * §3.4.2.3) into a sort-key expression. Values are never spliced into SQL text: every literal,
 * JSON path and pattern becomes a bound parameter, in order, with its placeholder number.
 * The SQL shape of each backend is hidden behind a small dialect (struct scim_sqlgen_dialect):
 * placeholder syntax, JSON extraction, iteration over JSON arrays, case folding, pattern
 * matching. SQLite is the one dialect built so far.
 * The generated SQL refers to the row being filtered as "r" (FROM resources r) and to the
 * multi-valued value index table resource_values; it reproduces the semantics of the in-memory
 * evaluator scim_filter_match exactly (see scim_sqlgen_where below).
 * Owns: the mapping from attributes to indexed columns, which multi-valued values the value index
 * holds, where dateTime sort keys (datetime.c) stand in for values. Must not: run queries, know
 * connections or HTTP, or change the filter AST (the filter module owns it).
 */
#ifndef SCIM_SQLGEN_H
#define SCIM_SQLGEN_H

#include "datetime.h"
#include "err.h"
#include "filter.h"
#include "path.h"
#include "schema.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable SQL text buffer; dialect callbacks append to it. Zero-initialise before use. */
struct scim_sqlbuf {
    char *data; /* NUL-terminated once anything is appended; owned */
    size_t len;
    size_t cap;
};

/* Append to b (allocating as needed; allocation failure aborts, as everywhere). */
void scim_sqlbuf_add(struct scim_sqlbuf *b, const char *s);
void scim_sqlbuf_addf(struct scim_sqlbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Returns b's text as a new string the caller frees with scim_free, and empties b. */
char *scim_sqlbuf_take(struct scim_sqlbuf *b);
/* Frees b's text and empties it. */
void scim_sqlbuf_clear(struct scim_sqlbuf *b);

enum scim_sqlgen_type { SCIM_SQLGEN_TEXT, SCIM_SQLGEN_INT, SCIM_SQLGEN_REAL };

/* One bound parameter of a generated fragment. */
struct scim_sqlgen_param {
    int index; /* the placeholder number it binds (1-based, as in ?N or $N) */
    enum scim_sqlgen_type type;
    char *text; /* TEXT: owned, NUL-terminated; may hold bytes that are not UTF-8 (an upper
                   bound of a prefix range), so bind text_len bytes */
    size_t text_len;
    int64_t i; /* INT */
    double r;  /* REAL */
};

/* A generated SQL fragment and its parameters. Zero-initialise; release with scim_sqlgen_clear. */
struct scim_sqlgen {
    char *sql;                        /* owned; NULL when nothing was generated */
    struct scim_sqlgen_param *params; /* owned array of n_params */
    size_t n_params;
    int next_param; /* the first placeholder number the fragment does not use */
};

/* Frees everything g owns and zeroes it. Safe on a zeroed struct. */
void scim_sqlgen_clear(struct scim_sqlgen *g);

/*
 * The SQL spelling of one backend. Every callback appends to b; arguments named expr, base and
 * alias are SQL text produced by the generator, ph is the text of a placeholder ("?4").
 */
struct scim_sqlgen_dialect {
    const char *name;
    /* Appends the placeholder of parameter n. */
    void (*param)(struct scim_sqlbuf *b, int n);
    /* Returns a new string (scim_free) addressing keys[0..n) in a JSON document, bound as a text
     * parameter; NULL when a key cannot be expressed. */
    char *(*json_path)(const char *const *keys, size_t n);
    /* Appends the SQL value at path ph of the JSON document base: text, a number, 1/0 for
     * true/false, NULL when absent or null. */
    void (*json_value)(struct scim_sqlbuf *b, const char *base, const char *ph);
    /* Appends a 0/1 test (never NULL) that the value at ph of base holds something other than
     * null, "", an empty array or an empty object, at any depth (the evaluator's "pr"). */
    void (*json_present)(struct scim_sqlbuf *b, const char *base, const char *ph);
    /* Appends a 0/1 test that the value at ph of base is a JSON object. */
    void (*json_is_obj)(struct scim_sqlbuf *b, const char *base, const char *ph);
    /* Appends a FROM item over the elements of the JSON array at ph of base, named alias. */
    void (*json_elements)(struct scim_sqlbuf *b, const char *base, const char *ph,
                          const char *alias);
    /* Appends the SQL value of element alias itself. */
    void (*element_value)(struct scim_sqlbuf *b, const char *alias);
    /* Appends the SQL value of member ph of element alias; NULL unless the element is an
     * object that has it. */
    void (*element_member)(struct scim_sqlbuf *b, const char *alias, const char *ph);
    /* Appends a 0/1 test that element alias is a JSON object. */
    void (*element_is_object)(struct scim_sqlbuf *b, const char *alias);
    /* Appends the position of element alias in its array (0 first). */
    void (*element_index)(struct scim_sqlbuf *b, const char *alias);
    /* Appends expr case-folded as scim_text_casefold does (NULL stays NULL). */
    void (*fold)(struct scim_sqlbuf *b, const char *expr);
    /*
     * Returns a new string (scim_free, length in *len): the pattern that makes match() test
     * op (co, sw or ew) with the literal lit[0..n); folded says both sides are case-folded.
     */
    char *(*pattern)(enum scim_filter_op op, const char *lit, size_t n, bool folded, size_t *len);
    /* Appends the test of expr against the pattern in ph (case-sensitive on its bytes). */
    void (*match)(struct scim_sqlbuf *b, const char *expr, const char *ph, bool folded);
    /*
     * Returns a new string (length in *len) that sorts after every string starting with
     * lit[0..n) and before every other string greater than lit, so that "sw" on an indexed
     * column becomes a range; NULL when the dialect has no such bound (then match() is used).
     */
    char *(*prefix_end)(const char *lit, size_t n, size_t *len);
    /* Appends expr (milliseconds since the epoch) as RFC 3339 text, as scim_time_format. */
    void (*time_text)(struct scim_sqlbuf *b, const char *expr);
    /* Appends the sort key of expr (RFC 3339 text) as scim_sqlgen_datetime_key computes it. */
    void (*datetime_key)(struct scim_sqlbuf *b, const char *expr);
};

/* The SQLite dialect: ?N placeholders, json_extract/json_each/json_tree, and the SQL functions
 * scim_fold, scim_time and scim_datetime_key that the SQLite store registers on every
 * connection. */
extern const struct scim_sqlgen_dialect scim_sqlgen_sqlite;

/*
 * Translates f (borrowed, resolved against the resource type whose rows are queried) into a
 * condition on the row "r" of resources, for d. Placeholders are numbered from first_param on;
 * tenant_param is the number of a placeholder the caller binds to the tenant id (used by value
 * index lookups, which must stay inside the tenant). On success *out (zeroed by the caller, clear
 * it with scim_sqlgen_clear) holds the SQL and the parameters to bind; on failure *out is left
 * empty and err is filled: 400 invalidFilter for a filter the store cannot answer
 * (meta.location, which depends on the base URL), 500 for an AST that breaks filter.h's promises.
 *
 * Semantics, identical to scim_filter_match over the rendered resource:
 * - Strings honour caseExact: case-insensitive comparisons compare scim_text_casefold of both
 *   sides (the literal is folded here, stored values by the dialect's fold or in the folded
 *   column); gt/ge/lt/le compare the folded UTF-8 bytes, i.e. code points.
 * - co/sw/ew escape the pattern characters of the literal; sw on an indexed column is a range.
 * - An absent, null or empty attribute matches no comparison except "eq null"; so "ne" matches
 *   only resources where the attribute has a value that differs (for multi-valued attributes:
 *   some value differs), and "not (x eq v)" matches resources without x. SQL's NULL never leaks
 *   through not(): below a not, every comparison is made two-valued.
 * - pr: a value that is not null, not "" and not an empty array or object; "eq null" is its
 *   negation and "ne null" is pr.
 * - dateTime: meta.created/meta.lastModified use the millisecond columns (a literal with a finer
 *   fraction compares exactly as an instant); other dateTime attributes compare by
 *   scim_sqlgen_datetime_key. Multi-valued attributes match when any value matches; a value path
 *   attr[filter] needs one element to satisfy the whole inner filter.
 * Indexed columns used: id, userName (user_name_ci), externalId (external_id), displayName
 * (display_name_ci), active, meta.created (created_ms), meta.lastModified (modified_ms),
 * meta.resourceType (type), meta.version (version); the value index for the "value"
 * sub-attribute of multi-valued attributes (scim_sqlgen_value_indexed); JSON functions for the
 * rest.
 */
int scim_sqlgen_where(const struct scim_sqlgen_dialect *d, const struct scim_filter *f,
                      int tenant_param, int first_param, struct scim_sqlgen *out,
                      struct scim_err *err);

/*
 * Translates a sortBy path (borrowed, resolved) into the SQL expression of the sort key of row
 * "r": the indexed column when there is one, else the JSON value (case-folded when the attribute
 * is not caseExact; dateTime values as scim_sqlgen_datetime_key). A multi-valued attribute sorts
 * by its primary value, else its first value (RFC 7644 §3.4.2.3); a multi-valued complex
 * attribute without sub-attribute means its "value". The key is NULL for resources without a
 * value. *out as for scim_sqlgen_where. A singular complex attribute without sub-attribute is a
 * 400 invalidValue.
 */
int scim_sqlgen_sort_key(const struct scim_sqlgen_dialect *d, const struct scim_path *path,
                         int first_param, struct scim_sqlgen *out, struct scim_err *err);

/*
 * True when the value index holds the values of sub, a sub-attribute of the multi-valued
 * complex attribute attr: sub is named "value" and is a string or reference.
 */
bool scim_sqlgen_value_indexed(const struct scim_attr *attr, const struct scim_attr *sub);

/* One entry of the value index: attr is the canonical path ("emails.value",
 * "urn:...:attr.value"), value the stored value, case-folded unless the sub-attribute is
 * caseExact. Both strings are owned by the entry. */
struct scim_sqlgen_index_entry {
    char *attr;
    char *value;
};

/*
 * Collects the value-index entries of doc (borrowed, a normalised document of type rt) into
 * *out (a new array of *n entries, NULL when none; free with scim_sqlgen_index_free). Duplicate
 * entries are kept; the store ignores them.
 */
void scim_sqlgen_index_values(const struct scim_resource_type *rt, const json_t *doc,
                              struct scim_sqlgen_index_entry **out, size_t *n);
void scim_sqlgen_index_free(struct scim_sqlgen_index_entry *entries, size_t n);

/* Size of a buffer that always holds a dateTime sort key and its NUL. */
#define SCIM_SQLGEN_DATETIME_KEY SCIM_DATETIME_KEY_BUF

/*
 * Writes into key the sort key (scim_datetime_key) of the date-time text[0..len) as the filter
 * reads it (scim_datetime_parse with SCIM_DATETIME_LENIENT: T and Z in either case, optional
 * fraction, Z or a numeric offset, none meaning UTC): fixed-width text whose byte order is the
 * order of the instants. Returns false (and leaves key empty) when text is not such a date-time
 * or holds a NUL.
 */
bool scim_sqlgen_datetime_key(const char *text, size_t len, char key[SCIM_SQLGEN_DATETIME_KEY]);

/*
 * Parses the date-time text (NUL-terminated; the grammar of scim_sqlgen_datetime_key) into
 * milliseconds since the epoch, rounded down, and *exact (true when the instant has no fraction
 * finer than a millisecond). False when text is not a date-time.
 */
bool scim_sqlgen_datetime_ms(const char *text, int64_t *ms, bool *exact);

#endif
