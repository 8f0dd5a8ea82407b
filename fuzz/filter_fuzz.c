/*
 * filter_fuzz — libFuzzer target for the filter language (RFC 7644 §3.4.2.2) and PATCH paths
 * (§3.5.2): every input is parsed as a User filter and, when it parses, evaluated against a fixed
 * rendered User and formatted path by path; the same bytes are parsed as a PATCH path with value
 * filters allowed and, when that parses, its filter is run over each email of the resource.
 * Owns: nothing but the harness. Must not: depend on anything outside libscim.
 * Build: scripts/fuzz.sh (clang -g -O1 -fsanitize=fuzzer,address,undefined over the library
 * sources and this file, linked with jansson and libsodium).
 */
#include "filter.h"
#include "mem.h"
#include "path.h"

#include <stdint.h>
#include <string.h>

static const char resource_json[] =
    "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\","
    " \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"
    " \"id\": \"2819c223-7f76-453a-919d-413861904646\", \"externalId\": \"bjensen\","
    " \"userName\": \"bjensen\", \"displayName\": \"Babs J\\u00f6nsen\", \"active\": true,"
    " \"name\": {\"familyName\": \"Jensen\", \"givenName\": \"Barbara\"},"
    " \"emails\": [{\"value\": \"bjensen@example.com\", \"type\": \"work\", \"primary\": true},"
    "             {\"value\": \"babs@jensen.org\", \"type\": \"home\"}],"
    " \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":"
    "   {\"employeeNumber\": \"701984\", \"manager\": {\"value\": \"26118915\"}},"
    " \"meta\": {\"resourceType\": \"User\", \"created\": \"2010-01-23T04:56:22Z\","
    "   \"lastModified\": \"2011-05-13T04:42:34Z\", \"version\": \"W/\\\"3\\\"\"}}";

static json_t *resource;

/* Formats every path of the tree, so the formatter sees whatever the parser produced. */
static void walk(const struct scim_filter *f, char *buf, size_t size)
{
    for (; f; f = f->right) {
        if (f->kind == SCIM_FILTER_COMPARE || f->kind == SCIM_FILTER_VALUE_PATH)
            scim_path_format(&f->path, buf, size);
        walk(f->left, buf, size);
        if (f->kind != SCIM_FILTER_AND && f->kind != SCIM_FILTER_OR)
            break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!resource) {
        scim_mem_init();
        json_error_t jerr;
        resource = json_loads(resource_json, 0, &jerr);
        if (!resource)
            __builtin_trap();
    }
    const struct scim_resource_type *rt = scim_resource_type_find("User");
    char *text = scim_strndup((const char *)data, size);
    struct scim_filter_limits limits = {.max_length = 4096, .max_depth = 16};
    struct scim_filter *f = NULL;
    struct scim_err err;
    char buf[256];

    scim_err_clear(&err);
    if (scim_filter_parse(rt, text, &limits, &f, &err) == 0) {
        scim_filter_match(f, resource);
        walk(f, buf, sizeof(buf));
        scim_filter_free(f);
    } else if (err.status != 400 || err.detail[0] == '\0') {
        __builtin_trap();
    }

    struct scim_path path;
    scim_err_clear(&err);
    if (scim_path_parse(rt, (const char *)data, size, SCIM_PATH_ALLOW_FILTER, &path, &err) == 0) {
        scim_path_format(&path, buf, sizeof(buf));
        if (path.filter) {
            const json_t *emails = json_object_get(resource, "emails");
            size_t i;
            json_t *el;
            json_array_foreach (emails, i, el)
                scim_filter_match_element(path.filter, el);
        }
        scim_path_clear(&path);
    } else if (err.status != 400) {
        __builtin_trap();
    }
    scim_free(text);
    return 0;
}
