/*
 * text — UTF-8 text helpers shared by the schema, filter and store code: validation, simple
 * Unicode case folding (for caseExact=false attributes such as userName), case-insensitive
 * comparison. Owns: nothing stateful but a lazily created C.UTF-8 locale object.
 * Must not: allocate with anything but mem.h.
 */
#ifndef SCIM_TEXT_H
#define SCIM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF). */
bool scim_text_valid_utf8(const char *s, size_t len);

/*
 * Returns a new string (scim_free) holding s[0..len) with every code point lower-cased (simple
 * case mapping). Invalid UTF-8 sequences are copied unchanged.
 */
char *scim_text_casefold(const char *s, size_t len);

/* Compares two NUL-terminated UTF-8 strings as scim_text_casefold would; <0, 0, >0. */
int scim_text_casecmp(const char *a, const char *b);

/* True when a and b are equal ignoring case (scim_text_casecmp(a, b) == 0). */
bool scim_text_caseeq(const char *a, const char *b);

#endif
