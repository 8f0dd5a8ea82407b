/*
 * token — bearer token minting, hashing and shape checks, password hashing and UUIDs, all on
 * libsodium (randombytes, crypto_hash_sha256, sodium_memcmp, crypto_pwhash Argon2id).
 * Owns: the token format "<prefix>_<43 base64url>" and id format "tok_<22 base64url>".
 * Must not: log or store a plaintext.
 */
#include "token.h"

#include "text.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The scope names, in the order scope texts are written. */
static const struct {
    const char *name;
    unsigned bit;
} names[] = {
    {"scim", SCIM_SCOPE_SCIM}, {"scim:read", SCIM_SCOPE_SCIM_READ}, {"admin", SCIM_SCOPE_ADMIN}};

void scim_token_scopes_text(unsigned bits, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if ((bits & names[i].bit) && len < size)
            len += (size_t)snprintf(out + len, size - len, "%s%s", len ? " " : "", names[i].name);
}

int scim_token_parse_scopes(const char *text, unsigned *out)
{
    unsigned scopes = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, " ,");
        if (len > 0) {
            bool known = false;
            for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (strlen(names[i].name) == len && strncmp(names[i].name, p, len) == 0) {
                    scopes |= names[i].bit;
                    known = true;
                }
            }
            if (!known)
                return -1;
        }
        p += len;
        while (*p == ' ' || *p == ',')
            p++;
    }
    *out = scopes;
    return 0;
}

int scim_token_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

static bool prefix_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static bool base64url_char(char c)
{
    return prefix_char(c) || c == '_';
}

bool scim_token_prefix_valid(const char *prefix)
{
    size_t len = strlen(prefix);
    if (len == 0 || len > SCIM_TOKEN_PREFIX_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!prefix_char(prefix[i]))
            return false;
    return true;
}

void scim_token_mint(const char *prefix, char plain[SCIM_TOKEN_PLAIN_MAX],
                     unsigned char hash[SCIM_TOKEN_HASH_BYTES], char id[SCIM_TOKEN_ID_MAX])
{
    unsigned char secret[32];
    char encoded[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    randombytes_buf(secret, sizeof(secret));
    sodium_bin2base64(encoded, sizeof(encoded), secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(plain, SCIM_TOKEN_PLAIN_MAX, "%s_%s", prefix, encoded);
    scim_token_hash(plain, strlen(plain), hash);
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(encoded, sizeof(encoded));

    unsigned char id_bytes[16];
    char id_encoded[sodium_base64_ENCODED_LEN(16, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    randombytes_buf(id_bytes, sizeof(id_bytes));
    sodium_bin2base64(id_encoded, sizeof(id_encoded), id_bytes, sizeof(id_bytes),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(id, SCIM_TOKEN_ID_MAX, "tok_%s", id_encoded);
}

void scim_token_hash(const char *plain, size_t len, unsigned char hash[SCIM_TOKEN_HASH_BYTES])
{
    crypto_hash_sha256(hash, (const unsigned char *)plain, len);
}

bool scim_token_well_formed(const char *plain, size_t len)
{
    if (len < SCIM_TOKEN_SECRET_CHARS + 2 || len > SCIM_TOKEN_PLAIN_MAX - 1)
        return false;
    size_t prefix_len = len - SCIM_TOKEN_SECRET_CHARS - 1;
    if (plain[prefix_len] != '_' || prefix_len > SCIM_TOKEN_PREFIX_MAX)
        return false;
    for (size_t i = 0; i < prefix_len; i++)
        if (!prefix_char(plain[i]))
            return false;
    for (size_t i = prefix_len + 1; i < len; i++)
        if (!base64url_char(plain[i]))
            return false;
    return true;
}

bool scim_token_hash_equal(const unsigned char a[SCIM_TOKEN_HASH_BYTES],
                           const unsigned char b[SCIM_TOKEN_HASH_BYTES])
{
    return sodium_memcmp(a, b, SCIM_TOKEN_HASH_BYTES) == 0;
}

void scim_token_hint(const char *plain, char *out, size_t size)
{
    size_t len = strlen(plain);
    /* The secret may itself contain '_', so the prefix ends where the 43-char secret begins. */
    size_t prefix_len = len > SCIM_TOKEN_SECRET_CHARS ? len - SCIM_TOKEN_SECRET_CHARS - 1 : 0;
    const char *last4 = len >= 4 ? plain + len - 4 : plain;
    snprintf(out, size, "%.*s_…%s", (int)prefix_len, plain, last4);
}

int scim_password_hash(const char *password, size_t len, char out[SCIM_PASSWORD_HASH_MAX])
{
    _Static_assert(crypto_pwhash_STRBYTES <= SCIM_PASSWORD_HASH_MAX, "hash buffer too small");
    return crypto_pwhash_str_alg(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
}

bool scim_password_matches(const char *password, size_t len, const char *hash)
{
    return hash && hash[0] && crypto_pwhash_str_verify(hash, password, len) == 0;
}

void scim_uuid_v7(char buf[37])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof(b));
    /* 48-bit big-endian Unix time in milliseconds, then version 7 and the variant (RFC 9562). */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ms = (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x70);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

const char *scim_token_description_problem(const char *text)
{
    size_t len = strlen(text);
    if (!scim_text_valid_utf8(text, len))
        return "must be UTF-8 text";
    size_t chars = 0;
    bool blank = true;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        /* C0 controls, DEL, and C1 controls (U+0080 to U+009F: 0xC2 0x80-0x9F in UTF-8),
         * which terminals act on too. */
        if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            return "must not hold control characters (tabs, line breaks, escape sequences)";
        if ((*p & 0xc0) != 0x80)
            chars++;
        if (*p != ' ')
            blank = false;
    }
    if (chars == 0 || blank)
        return "must not be empty: say which identity provider will use it";
    if (chars > SCIM_DESCRIPTION_MAX_CHARS)
        return "must be at most 255 characters";
    return NULL;
}
