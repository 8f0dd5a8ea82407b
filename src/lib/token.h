/*
 * token — bearer token material: minting "<prefix>_<43 chars base64url of 32 random bytes>" with
 * its id ("tok_" + 22 base64url chars), SHA-256 hashing for storage and lookup, constant-time
 * comparison, and Argon2id hashing of user passwords. All randomness and hashing is libsodium.
 * Owns: token format. Must not: store anything (the store does) or log a plaintext.
 */
#ifndef SCIM_TOKEN_H
#define SCIM_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define SCIM_TOKEN_SECRET_CHARS 43 /* base64url (no padding) of 32 bytes */
#define SCIM_TOKEN_PREFIX_MAX 32
#define SCIM_TOKEN_PLAIN_MAX (SCIM_TOKEN_PREFIX_MAX + 1 + SCIM_TOKEN_SECRET_CHARS + 1)
#define SCIM_TOKEN_ID_MAX 32
#define SCIM_TOKEN_HASH_BYTES 32
#define SCIM_PASSWORD_HASH_MAX 128
/* A token's or an OAuth client's description: 1 to 255 characters (not bytes) of UTF-8. */
#define SCIM_DESCRIPTION_MAX_CHARS 255
#define SCIM_DESCRIPTION_BUF (SCIM_DESCRIPTION_MAX_CHARS * 4 + 1)

/*
 * NULL when text is an acceptable description of a token or OAuth client: valid UTF-8 of 1 to
 * SCIM_DESCRIPTION_MAX_CHARS characters, not only white space, without control characters (it
 * is printed on operators' terminals by scimctl). Otherwise what is wrong, as a phrase.
 */
const char *scim_token_description_problem(const char *text);

/* What a token may do; stored as a space-separated list of names ("scim admin"). */
enum scim_scope {
    SCIM_SCOPE_SCIM = 1 << 0,      /* "scim": full provisioning */
    SCIM_SCOPE_SCIM_READ = 1 << 1, /* "scim:read": GET and .search only */
    SCIM_SCOPE_ADMIN = 1 << 2      /* "admin": the /api/v1 admin API */
};

/* Parses a space- or comma-separated scope list into enum scim_scope bits; 0, or -1 when a
 * name is unknown. */
int scim_token_parse_scopes(const char *text, unsigned *out);
/* Writes scope bits as the stored text: known names, space-separated, each once, in a fixed
 * order ("scim admin"). */
void scim_token_scopes_text(unsigned bits, char *out, size_t size);

/* Initialises libsodium; returns 0, or -1 when it cannot be initialised. Call once at start. */
int scim_token_init(void);

/* True when prefix is 1..32 characters of [A-Za-z0-9] and '-'. */
bool scim_token_prefix_valid(const char *prefix);

/*
 * Mints a token: plain (SCIM_TOKEN_PLAIN_MAX bytes) receives the plaintext, hash its SHA-256, id
 * (SCIM_TOKEN_ID_MAX bytes) a fresh public id. The caller must wipe plain after showing it once.
 */
void scim_token_mint(const char *prefix, char plain[SCIM_TOKEN_PLAIN_MAX],
                     unsigned char hash[SCIM_TOKEN_HASH_BYTES], char id[SCIM_TOKEN_ID_MAX]);

/* SHA-256 of plain[0..len) into hash. */
void scim_token_hash(const char *plain, size_t len, unsigned char hash[SCIM_TOKEN_HASH_BYTES]);

/*
 * True when plain[0..len) has the shape "<prefix>_<43 base64url chars>" for any valid prefix.
 * A malformed token is rejected before any lookup.
 */
bool scim_token_well_formed(const char *plain, size_t len);

/* Constant-time equality of two hashes. */
bool scim_token_hash_equal(const unsigned char a[SCIM_TOKEN_HASH_BYTES],
                           const unsigned char b[SCIM_TOKEN_HASH_BYTES]);

/* The display hint of a plaintext: prefix, "_…", last four characters. */
void scim_token_hint(const char *plain, char *out, size_t size);

/* Argon2id hash (libsodium's encoded string) of a password into out; 0, or -1 on failure. */
int scim_password_hash(const char *password, size_t len, char out[SCIM_PASSWORD_HASH_MAX]);

/* True when password[0..len) is the one hash (a scim_password_hash string) was made from. */
bool scim_password_matches(const char *password, size_t len, const char *hash);

/*
 * Fills buf (at least 37 bytes) with a UUID v7 (RFC 9562 §5.7) in lower-case hex with dashes:
 * the creation time in milliseconds, then 74 random bits. Ids made later sort later, so a new
 * resource's id goes to the end of the id indexes instead of a random page of them.
 */
void scim_uuid_v7(char buf[37]);

#endif
