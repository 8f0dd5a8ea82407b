/*
 * text — UTF-8 validation and encoding (RFC 3629) and simple Unicode case folding for attributes
 * whose caseExact is false. Folding decodes each code point and lower-cases it with towlower_l
 * under a C.UTF-8 locale object created once; ASCII takes a fast path that needs no locale. Owns:
 * the lazily created locale. Must not: depend on the process's global locale.
 */
#include "text.h"

#include "mem.h"

#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <wctype.h>

static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Decodes one code point at s (n bytes left); returns its length, or 0 when the bytes are not
 * well-formed UTF-8. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        min = 0x80;
        *cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        min = 0x800;
        *cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        min = 0x10000;
        *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

size_t scim_text_encode_utf8(uint32_t cp, char out[SCIM_UTF8_MAX])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

bool scim_text_valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = decode(p + i, len - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

static uint32_t fold(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    pthread_once(&utf8_locale_once, utf8_locale_init);
    if (utf8_locale == (locale_t)0)
        return cp;
    uint32_t lower = (uint32_t)towlower_l((wint_t)cp, utf8_locale);
    /* A simple mapping never changes the encoded length class in a way we cannot encode. */
    return lower <= 0x10FFFF ? lower : cp;
}

char *scim_text_casefold(const char *s, size_t len)
{
    /* Lower-casing can lengthen a sequence (e.g. U+023A → U+2C65), at most from 2 to 3 bytes. */
    char *out = scim_malloc(len * 3 / 2 + 4);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = decode(p + i, len - i, &cp);
        if (n == 0) {
            out[o++] = s[i++];
            continue;
        }
        o += scim_text_encode_utf8(fold(cp), out + o);
        i += n;
    }
    out[o] = '\0';
    return out;
}

int scim_text_casecmp(const char *a, const char *b)
{
    const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
    size_t la = strlen(a), lb = strlen(b), i = 0, j = 0;
    while (i < la && j < lb) {
        uint32_t ca, cb;
        size_t na = decode(pa + i, la - i, &ca), nb = decode(pb + j, lb - j, &cb);
        if (na == 0) {
            ca = pa[i];
            na = 1;
        }
        if (nb == 0) {
            cb = pb[j];
            nb = 1;
        }
        ca = fold(ca);
        cb = fold(cb);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        i += na;
        j += nb;
    }
    if (i < la)
        return 1;
    if (j < lb)
        return -1;
    return 0;
}

bool scim_text_caseeq(const char *a, const char *b)
{
    return scim_text_casecmp(a, b) == 0;
}
