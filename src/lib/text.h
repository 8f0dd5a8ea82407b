/*
 * text — UTF-8 text helpers shared by the schema, filter and store code: validation, encoding
 * of a code point, simple Unicode case folding (for caseExact=false attributes such as
 * userName), case-insensitive comparison. Owns: nothing stateful but a lazily created C.UTF-8
 * locale object.
 * Must not: allocate with anything but mem.h.
 */
#ifndef SCIM_TEXT_H
#define SCIM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most bytes one code point takes in UTF-8. */
#define SCIM_UTF8_MAX 4

/*
 * Writes the UTF-8 encoding of the code point cp (at most U+10FFFF; the caller rules out
 * surrogates where they matter) into out and returns its length, 1 to SCIM_UTF8_MAX bytes.
 * Nothing is NUL-terminated.
 */
size_t scim_text_encode_utf8(uint32_t cp, char out[SCIM_UTF8_MAX]);

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
