/*
 * patch_fuzz — libFuzzer target for src/lib/dialect.c and src/lib/patch.c (RFC 7644 §3.5.2). The
 * input is parsed as JSON, normalised by the IdP dialect step and applied as a PATCH body to a
 * fixed, normalised User document (core attributes, multi-valued complex attributes and the
 * Enterprise User extension), exactly as compute_patch in h_resources.c does, so that every
 * path form, value filter, value shape and IdP quirk reaches the code.
 * Owns: nothing but this harness. Must not: touch the store, the network or files.
 * Checks the contract of scim_dialect_normalize_patch (always a new body, the input body and
 * document unchanged) and of scim_patch_apply: on success a new document that differs from the
 * input exactly when *changed says so; on failure a 400-class error, a detail and *out NULL; the
 * input document never changes; the serialiser (json.c) writes what jansson writes; the
 * unknown-attribute walker (unknown.c) leaves nothing it would count after a strip.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/lib fuzz/patch_fuzz.c
 *        src/lib/{mem,err,log,text,schema,path,filter,patch,dialect,json,unknown}.c $(pkg-config
 * --cflags
 *        --libs jansson)
 */
#include "dialect.h"
#include "err.h"
#include "json.h"
#include "mem.h"
#include "patch.h"
#include "schema.h"
#include "unknown.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char user_doc[] =
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\","
    "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"
    "\"userName\":\"bjensen\",\"externalId\":\"e-1\","
    "\"name\":{\"givenName\":\"Barbara\",\"familyName\":\"Jensen\"},"
    "\"displayName\":\"Babs\",\"active\":true,"
    "\"emails\":[{\"value\":\"bj@work.example\",\"type\":\"work\",\"primary\":true},"
    "{\"value\":\"bj@home.example\",\"type\":\"home\"}],"
    "\"phoneNumbers\":[{\"value\":\"555-1\",\"type\":\"work\"}],"
    "\"addresses\":[{\"type\":\"work\",\"locality\":\"Delft\",\"country\":\"NL\"}],"
    "\"roles\":[{\"value\":\"admin\"}],"
    "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
    "{\"employeeNumber\":\"701\",\"department\":\"Tour\",\"manager\":{\"value\":\"m-1\"}}}";

/* Built once; the harness relies on scim_patch_apply never modifying it. */
static json_t *doc;
static json_t *doc_copy;
static const struct scim_resource_type *user_rt;

static void setup(void)
{
    scim_mem_init();
    user_rt = scim_resource_type_find("User");
    doc = json_loads(user_doc, 0, NULL);
    if (!user_rt || !doc)
        abort();
    doc_copy = json_deep_copy(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scim_patch_limits limits = {.max_operations = 32};
    struct scim_dialect_report report = {0};
    char rules[SCIM_DIALECT_REPORT_BUF];
    struct scim_err err;
    json_t *request;
    json_t *request_copy;
    json_t *normalized = NULL;
    json_t *out = NULL;
    bool changed = false;
    int rc;

    if (!doc)
        setup();
    request = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!request)
        return 0;
    request_copy = json_deep_copy(request);
    scim_err_clear(&err);
    if (scim_dialect_normalize_patch(user_rt, doc, request, &normalized, &report, &err) != 0 ||
        !normalized || (json_is_object(request) && normalized == request) ||
        !json_equal(request, request_copy))
        abort();
    scim_dialect_report_join(&report, rules, sizeof(rules));
    /* The unknown-attribute step (unknown.h): a strip leaves nothing it would count, and
     * changes neither input. */
    json_t *stripped = scim_unknown_strip(user_rt, normalized, true, NULL);
    if (scim_unknown_find(user_rt, stripped, true, NULL) != 0)
        abort();
    json_decref(stripped);
    /* The same input taken as a POST/PUT body. */
    stripped = scim_unknown_strip(user_rt, request, false, NULL);
    if (scim_unknown_find(user_rt, stripped, false, NULL) != 0 ||
        !json_equal(request, request_copy))
        abort();
    json_decref(stripped);
    rc = scim_patch_apply(user_rt, doc, normalized, &limits, &out, &changed, &err);
    if (rc == 0) {
        if (!json_is_object(out) || out == doc || changed == json_equal(out, doc))
            abort();
        /* The serialiser writes what jansson writes (json.c). */
        char *ours = scim_json_dump(out, NULL);
        char *theirs = json_dumps(out, JSON_COMPACT);
        if (!theirs || strcmp(ours, theirs) != 0)
            abort();
        scim_free(ours);
        scim_free(theirs);
    } else if (out != NULL || err.status != 400 || err.detail[0] == '\0') {
        abort();
    }
    if (!json_equal(doc, doc_copy))
        abort();
    json_decref(out);
    json_decref(normalized);
    json_decref(request_copy);
    json_decref(request);
    return 0;
}
