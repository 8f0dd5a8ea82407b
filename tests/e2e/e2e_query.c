/*
 * e2e_query — listing and searching Users over HTTP against a seeded tenant (RFC 7644 §3.4.2
 * filtering, sorting, paging and projection, §3.4.3 POST /.search, RFC 9865 cursor pagination).
 * The first group seeds about 200 varied users (names, typed e-mails with primary, phone
 * numbers, addresses, roles, the enterprise extension with manager, mixed-case userNames,
 * escapes, non-ASCII text, some deleted, one userName deleted and provisioned again) next to a
 * decoy tenant holding overlapping data, fetches every live user once, and then compares the
 * result set of each filter in a table with a brute-force evaluation of the same filter in this
 * process: scim_filter_parse against the User resource type and scim_filter_match over every
 * fetched resource (the evaluator libscim keeps as the reference for the SQL translation).
 * The second group runs scimd with small limits (--max-results, --filter-max-length,
 * --filter-max-depth) to check that each is enforced and advertised.
 * Owns: its two scimd instances. Must not: reach into the database (everything goes over HTTP).
 */
#include "harness.h"

#include "err.h"
#include "filter.h"
#include "mem.h"
#include "schema.h"
#include "text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define CORE "urn:ietf:params:scim:schemas:core:2.0:User"
#define SEARCH_SCHEMA "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

/* How many users the main tenant is seeded with (before deletions). */
#define N_SEED 200

/* The first group's server, its decoy tenant, and one keep-alive connection for everything. */
static struct e2e_server *srv;
static char *decoy_token;
static CURL *curl;

/* Ids of the seeded users by generator index ("" when deleted), and what the tests need. */
static char seed_ids[N_SEED + 1][64];
static char decoy_ids[N_SEED][64];
static size_t n_decoy;
static char recreated_name[64]; /* a userName deleted and provisioned again */

/* Every live user of the main tenant as GET /Users returned them, in creation order. */
static json_t *live;

/* ---- HTTP helpers ---- */

/* A new string (scim_free) from a printf format and its arguments. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    assert_true(n >= 0);
    char *s = scim_malloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

/* GET path (printf format) with token over the shared connection. */
static struct e2e_resp *get(const char *token, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct e2e_resp *get(const char *token, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *path = vformat(fmt, ap);
    va_end(ap);
    struct e2e_resp *r =
        e2e_http(srv, &(struct e2e_req){.path = path, .token = token, .curl = curl});
    scim_free(path);
    return r;
}

/* method path with token and a JSON body over the shared connection. */
static struct e2e_resp *send_json(const char *method, const char *token, const char *body,
                                  const char *path)
{
    return e2e_http(
        srv, &(struct e2e_req){
                 .method = method, .path = path, .token = token, .body = body, .curl = curl});
}

/* POST a document (borrowed) to /scim/v2/Users in the tenant of token; asserts 201 and copies
 * the new id into id. */
static void post_user(const char *token, const json_t *doc, char id[64])
{
    char *body = json_dumps(doc, JSON_COMPACT);
    struct e2e_resp *r = send_json("POST", token, body, "/scim/v2/Users");
    if (r->status != 201)
        e2e_fail(r, "seeding POST /Users must answer 201: %s", body);
    const char *got = e2e_str(r->json, "id");
    if (!got)
        e2e_fail(r, "a created user has an id");
    snprintf(id, 64, "%s", got);
    e2e_resp_free(r);
    scim_free(body); /* json_dumps allocates with jansson's allocator, which is mem.h's. */
}

/* Asserts the shape of a ListResponse and returns its totalResults. */
static long long list_total(const struct e2e_resp *r)
{
    assert_status(r, 200);
    assert_scim_content_type(r);
    assert_json_str(r, "schemas[0]", E2E_LIST_SCHEMA);
    const json_t *total = json_object_get(r->json, "totalResults");
    if (!json_is_integer(total))
        e2e_fail(r, "totalResults must be an integer");
    const json_t *items = json_object_get(r->json, "itemsPerPage");
    const json_t *resources = json_object_get(r->json, "Resources");
    size_t n = json_array_size(resources);
    if (!json_is_integer(items) || json_integer_value(items) != (json_int_t)n)
        e2e_fail(r, "itemsPerPage must be the number of Resources returned (%zu)", n);
    return json_integer_value(total);
}

/* The Resources of a list response (borrowed), or NULL when absent (jansson's array functions
 * treat NULL as an empty array). */
static json_t *resources_of(const struct e2e_resp *r)
{
    return json_object_get(r->json, "Resources");
}

static const char *id_of(const json_t *resource)
{
    return json_string_value(json_object_get(resource, "id"));
}

/* ---- seeding ---- */

static const char *const given[] = {"Barbara", "Alice",  "Bob",   "Carol", "Dave", "Eve",
                                    "Frank",   "Grace",  "Heidi", "Ivan",  "Judy", "Mallory",
                                    "Niaj",    "Olivia", "Peggy", "Rupert"};
static const char *const family[] = {"Jensen", "Smith",  "smith",         "SMITH",
                                     "O'Neil", "Nguyen", "M\xc3\xbcller", "Schmidt",
                                     "Anders", "Zimmer", "Lee",           "de la Cruz"};
static const char *const titles[] = {NULL,      "Engineer", "Senior Engineer",
                                     "Manager", "Director", "Tour Guide"};
static const char *const departments[] = {"Tour Operations", "R&D", "Sales", "sales", "Support"};
static const char *const email_types[] = {"work", "home", "other"};
static const char *const domains[] = {"example.com", "Example.COM", "example.org", "corp.test"};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static bool is_deleted(int i)
{
    return i < N_SEED && i % 13 == 5;
}

/* The document of seeded user i (a new reference). Users 0-9 are the managers of later ones. */
static json_t *user_doc(int i)
{
    char buf[128];
    json_t *doc = json_object();
    const char *g = given[i % N_ELEMS(given)];
    const char *f = family[(i * 7) % N_ELEMS(family)];
    switch (i % 5) {
    case 0:
        snprintf(buf, sizeof(buf), "user%03d@example.com", i);
        break;
    case 1:
        snprintf(buf, sizeof(buf), "User.%03d@Example.COM", i);
        break;
    case 2:
        snprintf(buf, sizeof(buf), "%s%03d@corp.test", g, i);
        break;
    case 3:
        snprintf(buf, sizeof(buf), "bjensen%03d", i);
        break;
    default:
        snprintf(buf, sizeof(buf), "USER_%03d@EXAMPLE.ORG", i);
        break;
    }
    if (i == 7)
        snprintf(buf, sizeof(buf), "quote\"back\\slash@example.com");
    if (i == 8)
        snprintf(buf, sizeof(buf), "J\xc3\xb6ns%03d@example.com", i);
    if (i == 9)
        snprintf(buf, sizeof(buf), "100%%_off@example.com");
    if (i == 42)
        snprintf(buf, sizeof(buf), "bjensen@example.com");
    json_object_set_new(doc, "userName", json_string(buf));

    if (i % 7 != 0) {
        snprintf(buf, sizeof(buf), i % 7 == 1 ? "EXT-%04d" : "ext-%04d", i);
        json_object_set_new(doc, "externalId", json_string(buf));
    }
    if (i % 9 != 0) {
        json_t *name = json_object();
        json_object_set_new(name, "givenName", json_string(g));
        if (i % 11 != 0)
            json_object_set_new(name, "familyName", json_string(f));
        if (i % 4 == 0)
            json_object_set_new(name, "middleName", json_string("Q"));
        json_object_set_new(doc, "name", name);
    }
    if (i == 10) {
        json_object_set_new(doc, "displayName",
                            json_string("Jos\xc3\xa9 \xc3\x91"
                                        "and\xc3\xba"));
    } else if (i % 3 != 0) {
        snprintf(buf, sizeof(buf), "%s %s", g, f);
        json_object_set_new(doc, "displayName", json_string(buf));
    }
    if (titles[i % N_ELEMS(titles)])
        json_object_set_new(doc, "title", json_string(titles[i % N_ELEMS(titles)]));
    if (i % 4 < 2)
        json_object_set_new(doc, "userType", json_string(i % 4 == 0 ? "Employee" : "Contractor"));
    if (i % 5 != 0)
        json_object_set_new(doc, "active", json_boolean(i % 3 != 0));

    json_t *emails = json_array();
    for (int k = 0; k < i % 4; k++) {
        json_t *e = json_object();
        snprintf(buf, sizeof(buf), "%s.%d.%03d@%s", g, k, i, domains[(i + k) % N_ELEMS(domains)]);
        json_object_set_new(e, "value", json_string(buf));
        json_object_set_new(e, "type", json_string(email_types[(i + k) % N_ELEMS(email_types)]));
        if (k == 0 && i % 2 == 0)
            json_object_set_new(e, "primary", json_true());
        if (k == 1 && i % 6 == 1)
            json_object_set_new(e, "primary", json_false());
        json_array_append_new(emails, e);
    }
    if (json_array_size(emails))
        json_object_set_new(doc, "emails", emails);
    else
        json_decref(emails);

    json_t *phones = json_array();
    for (int k = 0; k < i % 3; k++) {
        snprintf(buf, sizeof(buf), "+1 555 %04d %d", i, k);
        json_array_append_new(
            phones, json_pack("{s:s, s:s}", "value", buf, "type", k == 0 ? "work" : "mobile"));
    }
    if (json_array_size(phones))
        json_object_set_new(doc, "phoneNumbers", phones);
    else
        json_decref(phones);

    if (i % 10 == 0)
        json_object_set_new(
            doc, "addresses",
            json_pack("[{s:s, s:s, s:s}]", "type", "work", "locality", "Berlin", "country", "DE"));
    else if (i % 10 == 1)
        json_object_set_new(
            doc, "addresses",
            json_pack("[{s:s, s:s, s:s}]", "type", "home", "locality", "Paris", "country", "FR"));
    else if (i % 10 == 2)
        json_object_set_new(doc, "addresses",
                            json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "type", "work",
                                      "locality", "Berlin", "country", "DE", "type", "home",
                                      "locality", "Lyon", "country", "FR"));
    if (i % 12 == 0)
        json_object_set_new(doc, "roles",
                            json_pack("[{s:s, s:b}]", "value", "admin", "primary", 1));

    bool ext = i % 4 != 3;
    if (ext) {
        json_t *e = json_object();
        snprintf(buf, sizeof(buf), "%06d", i == 42 ? 701984 : 700000 + i);
        json_object_set_new(e, "employeeNumber", json_string(buf));
        json_object_set_new(e, "department", json_string(departments[i % N_ELEMS(departments)]));
        if (i % 3 == 0) {
            snprintf(buf, sizeof(buf), "CC-%d", i % 7);
            json_object_set_new(e, "costCenter", json_string(buf));
        }
        if (i % 2 == 0)
            json_object_set_new(e, "organization", json_string("Universal Studios"));
        if (i >= 20 && i % 2 == 0)
            json_object_set_new(e, "manager", json_pack("{s:s}", "value", seed_ids[i % 10]));
        json_object_set_new(doc, ENT, e);
    }
    json_object_set_new(doc, "schemas",
                        ext ? json_pack("[s, s]", CORE, ENT) : json_pack("[s]", CORE));
    return doc;
}

/* Seeds both tenants; deletes some users, provisions one deleted userName again, and changes a
 * few users a little later so lastModified differs from created. */
static void seed(void)
{
    for (int i = 0; i < N_SEED; i++) {
        json_t *doc = user_doc(i);
        post_user(srv->token, doc, seed_ids[i]);
        if (i % 5 == 0) {
            /* The decoy tenant holds the same documents, created interleaved. */
            post_user(decoy_token, doc, decoy_ids[n_decoy++]);
        }
        json_decref(doc);
    }
    for (int i = 0; i < N_SEED; i++) {
        if (!is_deleted(i))
            continue;
        char *path = scim_asprintf("/scim/v2/Users/%s", seed_ids[i]);
        struct e2e_resp *r = send_json("DELETE", srv->token, NULL, path);
        assert_status(r, 204);
        e2e_resp_free(r);
        scim_free(path);
        seed_ids[i][0] = '\0';
    }
    /* User 18 was deleted: its userName is provisioned again as a new user. */
    json_t *doc = user_doc(18);
    snprintf(recreated_name, sizeof(recreated_name), "%s",
             json_string_value(json_object_get(doc, "userName")));
    json_object_set_new(doc, "externalId", json_string("ext-recreated"));
    post_user(srv->token, doc, seed_ids[N_SEED]);
    json_decref(doc);

    struct timespec pause = {0, 30 * 1000 * 1000};
    nanosleep(&pause, NULL);
    for (int i = 3; i < N_SEED; i += 8) {
        if (is_deleted(i))
            continue;
        char *path = scim_asprintf("/scim/v2/Users/%s", seed_ids[i]);
        struct e2e_resp *r =
            send_json("PATCH", srv->token,
                      "{\"schemas\":[\"" E2E_PATCH_SCHEMA "\"],\"Operations\":[{\"op\":\"replace\","
                      "\"path\":\"title\",\"value\":\"Patched\"}]}",
                      path);
        assert_status(r, 200);
        e2e_resp_free(r);
        scim_free(path);
    }
}

/* ---- walking lists ---- */

/*
 * Walks every index page of GET /scim/v2/Users?<query> with count=page (query may be "" and must
 * not hold startIndex or count) and returns a new array of every resource in order. Each page
 * must be a well-formed ListResponse whose totalResults stays the same, whose startIndex echoes
 * the request, and whose itemsPerPage is min(page, what is left): pages never overlap or skip.
 */
static json_t *walk_index(const char *token, const char *query, int page, long long *total_out)
{
    json_t *all = json_array();
    long long total = -1;
    for (long long start = 1;; start += page) {
        struct e2e_resp *r = get(token, "/scim/v2/Users?%s%sstartIndex=%lld&count=%d", query,
                                 query[0] ? "&" : "", start, page);
        long long t = list_total(r);
        if (total >= 0 && t != total)
            e2e_fail(r, "totalResults changed between pages (%lld, then %lld)", total, t);
        total = t;
        assert_json_int(r, "startIndex", start);
        long long left = total - (start - 1);
        long long want = left < 0 ? 0 : (left < page ? left : page);
        size_t n = json_array_size(resources_of(r));
        if ((long long)n != want)
            e2e_fail(r, "the page at startIndex %lld of %lld must hold %lld resources, not %zu",
                     start, total, want, n);
        json_array_extend(all, resources_of(r));
        e2e_resp_free(r);
        if (start + page > total)
            break;
    }
    if (total_out)
        *total_out = total;
    return all;
}

/*
 * Walks GET /scim/v2/Users?<query>&cursor=&count=<count> forward with nextCursor until it is
 * absent. Returns a new array of pages (each a new array of resources); *cursors receives a new
 * array of the previousCursor of each page (null when absent).
 */
static json_t *walk_cursor(const char *token, const char *query, int count, json_t **cursors,
                           long long *total_out)
{
    json_t *pages = json_array();
    json_t *prevs = json_array();
    char *cursor = scim_strdup("");
    long long total = -1;
    for (int guard = 0; guard < 10000; guard++) {
        char *enc = e2e_urlencode(cursor);
        struct e2e_resp *r = get(token, "/scim/v2/Users?%s%scursor=%s&count=%d", query,
                                 query[0] ? "&" : "", enc, count);
        scim_free(enc);
        long long t = list_total(r);
        if (total >= 0 && t != total)
            e2e_fail(r, "totalResults changed between cursor pages (%lld, then %lld)", total, t);
        total = t;
        assert_json_absent(r, "startIndex");
        size_t n = json_array_size(resources_of(r));
        if ((long long)n > count)
            e2e_fail(r, "a cursor page holds at most count=%d resources", count);
        json_t *res = resources_of(r);
        json_array_append_new(pages, res ? json_incref(res) : json_array());
        const char *prev = e2e_str(r->json, "previousCursor");
        json_array_append_new(prevs, prev ? json_string(prev) : json_null());
        if (guard == 0 && prev)
            e2e_fail(r, "the first cursor page has no previousCursor");
        const char *next = e2e_str(r->json, "nextCursor");
        scim_free(cursor);
        cursor = next ? scim_strdup(next) : NULL;
        if (next && n == 0)
            e2e_fail(r, "an empty page must not offer a nextCursor");
        if (next && (long long)n != count)
            e2e_fail(r, "a page followed by another must be full (count=%d)", count);
        e2e_resp_free(r);
        if (!cursor)
            break;
    }
    assert_null(cursor);
    *cursors = prevs;
    if (total_out)
        *total_out = total;
    return pages;
}

/* The concatenation of pages (a new array). */
static json_t *flatten(const json_t *pages)
{
    json_t *all = json_array();
    size_t i;
    json_t *page;
    json_array_foreach (pages, i, page)
        json_array_extend(all, page);
    return all;
}

/* True when two lists of resources hold the same ids in the same order; prints the first
 * difference under label otherwise. */
static bool same_ids(const char *label, const json_t *a, const json_t *b)
{
    size_t n = json_array_size(a) < json_array_size(b) ? json_array_size(a) : json_array_size(b);
    for (size_t i = 0; i < n; i++) {
        const char *x = id_of(json_array_get(a, i)), *y = id_of(json_array_get(b, i));
        if (!x || !y || strcmp(x, y) != 0) {
            fprintf(stderr, "%s: position %zu differs (%s vs %s)\n", label, i, x ? x : "?",
                    y ? y : "?");
            return false;
        }
    }
    if (json_array_size(a) != json_array_size(b)) {
        fprintf(stderr, "%s: %zu vs %zu resources\n", label, json_array_size(a),
                json_array_size(b));
        return false;
    }
    return true;
}

/* The position of id in the creation-ordered list of live users, or -1. */
static long live_pos(const char *id)
{
    size_t i;
    json_t *u;
    json_array_foreach (live, i, u) {
        if (id && strcmp(id_of(u), id) == 0)
            return (long)i;
    }
    return -1;
}

/* ---- group 1 setup ---- */

static int group_setup(void **state)
{
    (void)state;
    if (e2e_setup(NULL, &srv) < 0)
        return -1;
    if (e2e_tenant_create(srv, "decoy") != 0)
        return -1;
    decoy_token = e2e_token_create(srv, "decoy", "query decoy", 1);
    if (!decoy_token)
        return -1;
    curl = curl_easy_init();
    if (!curl)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    json_decref(live);
    live = NULL;
    if (curl)
        curl_easy_cleanup(curl);
    curl = NULL;
    scim_free(decoy_token);
    return e2e_teardown(srv);
}

/* Seeds both tenants and fetches every live user once; every later test reads `live`. */
static void test_e2e_query_seed_and_fetch_all(void **state)
{
    (void)state;
    seed();
    long long total = 0;
    live = walk_index(srv->token, "", 37, &total);
    size_t want = 0;
    for (int i = 0; i <= N_SEED; i++)
        want += seed_ids[i][0] != '\0';
    assert_int_equal(total, (long long)want);
    assert_int_equal(json_array_size(live), want);
    /* Without sortBy the order is creation order. */
    size_t k = 0;
    for (int i = 0; i <= N_SEED; i++) {
        if (!seed_ids[i][0])
            continue;
        const char *got = id_of(json_array_get(live, k));
        if (!got || strcmp(got, seed_ids[i]) != 0)
            fail_msg("live user %zu is %s, expected seeded user %d (%s): no sortBy must list "
                     "in creation order",
                     k, got ? got : "?", i, seed_ids[i]);
        k++;
    }
    /* The decoy tenant sees only its own users. */
    json_t *decoys = walk_index(decoy_token, "", 100, &total);
    assert_int_equal(total, (long long)n_decoy);
    json_decref(decoys);
}

/* ---- filters compared with the in-memory evaluator ---- */

/* Expectations of a filter table entry: an exact count, or one of these. */
enum {
    WANT_SOME = -1, /* at least one user, but not all */
    WANT_ALL = -2,  /* every live user */
    WANT_ANY = -3   /* any number (time stamps may all share one second) */
};

struct filter_case {
    const char *filter;
    int want;
};

/* qsort comparator for arrays of C strings. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A sorted array of the ids in resources (the strings are borrowed from resources). */
static const char **sorted_ids(const json_t *resources)
{
    size_t n = json_array_size(resources);
    const char **ids = scim_calloc(n ? n : 1, sizeof(*ids));
    for (size_t i = 0; i < n; i++) {
        const char *id = id_of(json_array_get(resources, i));
        ids[i] = id ? id : "";
    }
    qsort(ids, n, sizeof(*ids), cmp_str);
    return ids;
}

static const char *user_name_of(const char *id)
{
    long p = live_pos(id);
    return p < 0 ? "(not a live user of this tenant)"
                 : json_string_value(json_object_get(json_array_get(live, (size_t)p), "userName"));
}

/*
 * Compares GET /Users?filter=<filter> (every page) with the brute-force evaluation of the same
 * filter over `live`. Returns true when they agree and the count meets want; prints the
 * differences otherwise.
 */
static bool filter_agrees(const char *filter, int want)
{
    const struct scim_resource_type *rt = scim_resource_type_find("User");
    struct scim_filter *f = NULL;
    struct scim_err err;
    scim_err_clear(&err);
    if (scim_filter_parse(rt, filter, NULL, &f, &err) != 0) {
        fprintf(stderr, "FILTER %s: the test's own parse failed: %s\n", filter, err.detail);
        return false;
    }
    json_t *expected = json_array();
    size_t i;
    json_t *u;
    json_array_foreach (live, i, u) {
        if (scim_filter_match(f, u))
            json_array_append(expected, u);
    }
    scim_filter_free(f);

    char *enc = e2e_urlencode(filter);
    char *query = scim_asprintf("filter=%s", enc);
    long long total = 0;
    json_t *got = walk_index(srv->token, query, 40, &total);
    scim_free(query);
    scim_free(enc);

    bool ok = true;
    size_t ne = json_array_size(expected), ng = json_array_size(got);
    const char **a = sorted_ids(expected), **b = sorted_ids(got);
    size_t x = 0, y = 0;
    while (x < ne || y < ng) {
        int c = x == ne ? 1 : y == ng ? -1 : strcmp(a[x], b[y]);
        if (c == 0) {
            x++;
            y++;
            continue;
        }
        ok = false;
        if (c < 0) {
            fprintf(stderr, "FILTER %s: missing %s (%s)\n", filter, a[x], user_name_of(a[x]));
            x++;
        } else {
            fprintf(stderr, "FILTER %s: extra %s (%s)\n", filter, b[y], user_name_of(b[y]));
            y++;
        }
    }
    for (size_t k = 1; k < ng; k++) {
        if (strcmp(b[k - 1], b[k]) == 0) {
            fprintf(stderr, "FILTER %s: %s returned twice\n", filter, b[k]);
            ok = false;
        }
    }
    if (total != (long long)ng) {
        fprintf(stderr, "FILTER %s: totalResults %lld but %zu resources\n", filter, total, ng);
        ok = false;
    }
    size_t n_live = json_array_size(live);
    bool count_ok = want == WANT_ANY    ? true
                    : want == WANT_SOME ? ne > 0 && ne < n_live
                    : want == WANT_ALL  ? ne == n_live
                                        : ne == (size_t)want;
    if (!count_ok) {
        fprintf(stderr, "FILTER %s: the evaluator finds %zu of %zu users; the table expects %d\n",
                filter, ne, n_live, want);
        ok = false;
    }
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "filter %-70s %zu of %zu\n", filter, ng, n_live);
    scim_free(a);
    scim_free(b);
    json_decref(expected);
    json_decref(got);
    return ok;
}

static const struct filter_case filter_table[] = {
    /* userName: caseExact false, every operator. */
    {"userName eq \"bjensen@example.com\"", 1},
    {"userName eq \"BJENSEN@EXAMPLE.COM\"", 1},
    {"USERNAME Eq \"bjensen@Example.com\"", 1},
    {"userName eq \"user010@example.com\"", 1},
    {"userName eq \"quote\\\"back\\\\slash@example.com\"", 1},
    {"userName eq \"j\\u00d6NS008@EXAMPLE.COM\"", 1},
    {"userName eq \"nobody@nowhere.test\"", 0},
    {"userName sw \"user.\"", WANT_SOME},
    {"userName sw \"USER\"", WANT_SOME},
    {"userName ew \"@example.com\"", WANT_SOME},
    {"userName co \"_0\"", WANT_SOME},
    {"userName co \"%\"", 1},
    {"userName co \"\\\"\"", 1},
    {"userName ne \"bjensen@example.com\"", WANT_SOME},
    {"userName gt \"m\"", WANT_SOME},
    {"userName ge \"USER.101@example.com\"", WANT_SOME},
    {"userName lt \"b\"", WANT_SOME},
    {"userName le \"bjensen050\"", WANT_SOME},
    {"userName pr", WANT_ALL},
    {"not (userName pr)", 0},
    {"urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"bjensen@example.com\"", 1},
    /* externalId: caseExact. */
    {"externalId eq \"ext-0012\"", 1},
    {"externalId eq \"EXT-0012\"", 0},
    {"externalId eq \"EXT-0015\"", 1},
    {"externalId sw \"EXT-\"", WANT_SOME},
    {"externalId co \"-01\"", WANT_SOME},
    {"externalId ew \"0\"", WANT_SOME},
    {"externalId pr", WANT_SOME},
    {"externalId eq null", WANT_SOME},
    {"externalId ne null", WANT_SOME},
    {"externalId lt \"ext-0050\"", WANT_SOME},
    {"externalId gt \"ext-0190\"", WANT_SOME},
    {"externalId ne \"ext-0012\"", WANT_SOME},
    /* Sub-attributes of name. */
    {"name.familyName eq \"smith\"", WANT_SOME},
    {"name.familyName eq \"M\\u00fcller\"", WANT_SOME},
    {"name.familyName eq \"m\\u00dcLLER\"", WANT_SOME},
    {"name.familyName eq \"O'Neil\"", WANT_SOME},
    {"Name.FamilyName sw \"s\"", WANT_SOME},
    {"name.familyName ew \"ER\"", WANT_SOME},
    {"name.givenName co \"ar\"", WANT_SOME},
    {"name.middleName pr", WANT_SOME},
    {"name.middleName eq null", WANT_SOME},
    {"name pr", WANT_SOME},
    {"name eq null", WANT_SOME},
    {"not (name.familyName eq \"Smith\")", WANT_SOME},
    {"name.familyName ne \"Smith\"", WANT_SOME},
    {"name.familyName gt \"N\" and name.familyName lt \"T\"", WANT_SOME},
    {"name.familyName le \"de la cruz\"", WANT_SOME},
    {"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq \"Jensen\"", WANT_SOME},
    /* displayName, title, userType. */
    {"displayName eq \"Jos\\u00e9 \\u00d1and\\u00fa\"", 1},
    {"displayName co \"\\u00d1AND\\u00da\"", 1},
    {"displayName sw \"barbara \"", WANT_SOME},
    {"displayName pr", WANT_SOME},
    {"displayName eq null", WANT_SOME},
    {"title eq \"Engineer\"", WANT_SOME},
    {"title ne \"Engineer\"", WANT_SOME},
    {"title co \"engineer\"", WANT_SOME},
    {"title eq null", WANT_SOME},
    {"not (title eq \"Engineer\")", WANT_SOME},
    {"title eq \"Patched\"", WANT_SOME},
    {"title ge \"Senior\"", WANT_SOME},
    {"userType eq \"Employee\" or userType eq \"Contractor\"", WANT_SOME},
    /* Booleans. */
    {"active eq true", WANT_SOME},
    {"active eq false", WANT_SOME},
    {"active ne true", WANT_SOME},
    {"active ne false", WANT_SOME},
    {"not (active eq true)", WANT_SOME},
    {"active pr", WANT_SOME},
    {"active eq null", WANT_SOME},
    {"not (active pr)", WANT_SOME},
    /* Multi-valued attributes and value paths. */
    {"emails pr", WANT_SOME},
    {"emails eq null", WANT_SOME},
    {"emails co \"@example.org\"", WANT_SOME},
    {"emails.value ew \"@example.com\"", WANT_SOME},
    {"emails.value eq \"bob.0.002@EXAMPLE.ORG\"", 1},
    {"emails.value sw \"ALICE.\"", WANT_SOME},
    {"emails.value gt \"p\"", WANT_SOME},
    {"emails.type eq \"work\"", WANT_SOME},
    {"emails.type ne \"work\"", WANT_SOME},
    {"emails.primary eq true", WANT_SOME},
    {"emails.primary eq false", WANT_SOME},
    {"emails.primary pr", WANT_SOME},
    {"emails.display pr", 0},
    {"emails.value pr", WANT_SOME},
    {"emails.value eq null", WANT_SOME},
    {"not (emails.value eq \"bob.0.002@example.org\")", WANT_SOME},
    {"not (emails.value co \"@example\")", WANT_SOME},
    {"emails.value ne \"bob.0.002@example.org\"", WANT_SOME},
    {"emails[value eq \"BOB.1.002@corp.test\"]", 1},
    {"emails[value sw \"alice\" and not (primary eq true)]", WANT_SOME},
    {"phoneNumbers.value eq \"+1 555 0013 0\"", 1},
    {"not (phoneNumbers.value sw \"+1 555 00\")", WANT_SOME},
    {"emails[type eq \"work\" and value co \"@example.com\"]", WANT_SOME},
    {"emails[type eq \"home\" or primary eq true]", WANT_SOME},
    {"emails[not (type eq \"work\")]", WANT_SOME},
    {"emails[type eq \"work\"].value ew \".com\"", WANT_SOME},
    {"emails[value pr and primary eq true] and active eq true", WANT_SOME},
    {"EMAILS[TYPE eq \"WORK\"]", WANT_SOME},
    {"emails[type eq \"work\"] and emails[type eq \"home\"]", WANT_SOME},
    {"emails[type eq \"work\" and primary eq true]", WANT_SOME},
    {"not (emails[type eq \"work\"])", WANT_SOME},
    {"phoneNumbers[type eq \"mobile\" and value co \"555\"]", WANT_SOME},
    {"phoneNumbers.value sw \"+1 555 01\"", WANT_SOME},
    {"phoneNumbers pr", WANT_SOME},
    {"addresses[country eq \"DE\"]", WANT_SOME},
    {"addresses[type eq \"home\" and locality eq \"paris\"]", WANT_SOME},
    {"addresses.locality eq \"Lyon\"", WANT_SOME},
    {"addresses[type eq \"work\" and country eq \"FR\"]", 0},
    {"roles[value eq \"admin\" and primary eq true]", WANT_SOME},
    /* The enterprise extension through URN paths. */
    {ENT ":employeeNumber eq \"701984\"", 1},
    {ENT ":EmployeeNumber eq \"701984\"", 1},
    {ENT ":employeeNumber sw \"7001\"", WANT_SOME},
    {ENT ":employeeNumber ge \"700150\"", WANT_SOME},
    {ENT ":employeeNumber lt \"700010\"", WANT_SOME},
    {ENT ":department eq \"sales\"", WANT_SOME},
    {ENT ":department eq \"R&D\"", WANT_SOME},
    {ENT ":department co \"oper\"", WANT_SOME},
    {ENT ":manager pr", WANT_SOME},
    {ENT ":manager.value pr", WANT_SOME},
    {ENT ":manager eq null", WANT_SOME},
    {ENT ":organization eq \"Universal Studios\" and not (" ENT ":costCenter pr)", WANT_SOME},
    {ENT ":costCenter eq \"CC-3\"", WANT_SOME},
    /* meta. */
    {"meta.resourceType eq \"User\"", WANT_ALL},
    {"meta.resourceType ne \"User\"", 0},
    {"meta.created sw \"20\"", WANT_ALL},
    {"meta.lastModified co \"T\"", WANT_ALL},
    {"meta.created lt \"2000-01-01T00:00:00Z\"", 0},
    {"meta.created gt \"2000-01-01T00:00:00Z\"", WANT_ALL},
    {"meta.lastModified ge \"2000-01-01t00:00:00+01:00\"", WANT_ALL},
    {"meta pr", WANT_ALL},
    {"meta.version eq \"W/\\\"1\\\"\"", WANT_SOME},
    {"meta.version ne \"W/\\\"1\\\"\"", WANT_SOME},
    {"id pr", WANT_ALL},
    {"id eq \"no-such-id\"", 0},
    /* Precedence: not > and > or; grouping. */
    {"title eq \"Engineer\" or title eq \"Manager\" and active eq true", WANT_SOME},
    {"(title eq \"Engineer\" or title eq \"Manager\") and active eq true", WANT_SOME},
    {"title eq \"Engineer\" and active eq true or title eq \"Director\"", WANT_SOME},
    {"title eq \"Engineer\" and (active eq true or title eq \"Director\")", WANT_SOME},
    {"not (title eq \"Engineer\" or title eq \"Manager\") and active eq false", WANT_SOME},
    {"not (not (active eq true))", WANT_SOME},
    {"userName sw \"user\" and (emails[type eq \"work\"] or name.familyName eq \"Jensen\") and "
     "not (active eq false)",
     WANT_SOME},
    {"((((userName pr))))", WANT_ALL},
    {"title pr and (" ENT ":department eq \"Sales\" or (userType eq \"Employee\" and not (emails "
     "pr)))",
     WANT_SOME},
    {"userName eq \"100%_off@example.com\" OR userName EQ \"bjensen@example.com\"", 2},
    {"active eq true and active eq false", 0},
    {"active eq true or active eq false or active eq null", WANT_ALL},
};

static void test_e2e_query_filters_match_evaluator(void **state)
{
    (void)state;
    assert_non_null(live);
    int bad = 0;
    size_t n = sizeof(filter_table) / sizeof(filter_table[0]);
    for (size_t i = 0; i < n; i++)
        bad += !filter_agrees(filter_table[i].filter, filter_table[i].want);
    if (bad)
        fail_msg("%d of %zu filters disagree with the in-memory evaluator (details above)", bad, n);
}

/* Shifts an RFC 3339 UTC time stamp "YYYY-MM-DDThh:mm:ss.mmmZ" into the +05:30 offset. */
static void with_offset(const char *utc, char *out, size_t size)
{
    struct tm tm = {0};
    char *end = NULL;
    tm.tm_year = (int)strtol(utc, &end, 10) - 1900;
    tm.tm_mon = (int)strtol(utc + 5, &end, 10) - 1;
    tm.tm_mday = (int)strtol(utc + 8, &end, 10);
    tm.tm_hour = (int)strtol(utc + 11, &end, 10);
    tm.tm_min = (int)strtol(utc + 14, &end, 10);
    tm.tm_sec = (int)strtol(utc + 17, &end, 10);
    time_t t = timegm(&tm) + 5 * 3600 + 30 * 60;
    struct tm local;
    gmtime_r(&t, &local);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%.3s+05:30", local.tm_year + 1900,
             local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec, utc + 20);
}

static void test_e2e_query_dynamic_filters_match_evaluator(void **state)
{
    (void)state;
    assert_non_null(live);
    size_t n = json_array_size(live);
    const json_t *mid = json_array_get(live, n / 2);
    const char *created = e2e_str(mid, "meta.created");
    assert_non_null(created);
    assert_int_equal(strlen(created), 24);
    /* The latest creation: only users changed afterwards are modified later than that. */
    const char *latest = "";
    size_t i;
    json_t *u;
    json_array_foreach (live, i, u) {
        const char *c = e2e_str(u, "meta.created");
        if (c && strcmp(c, latest) > 0)
            latest = c;
    }
    char offset[64], finer[64], seconds[32];
    with_offset(created, offset, sizeof(offset));
    snprintf(finer, sizeof(finer), "%.23s1Z", created); /* 0.1 ms after created */
    snprintf(seconds, sizeof(seconds), "%.19sZ", created);
    char *f[] = {
        scim_asprintf("id eq \"%s\"", id_of(json_array_get(live, 3))),
        scim_asprintf("id ne \"%s\"", id_of(json_array_get(live, 3))),
        scim_asprintf("id eq \"%s\"", decoy_ids[1]),
        scim_asprintf(ENT ":manager.value eq \"%s\"", seed_ids[2]),
        scim_asprintf(ENT ":manager.value eq \"%s\" and active eq true", seed_ids[4]),
        scim_asprintf("meta.created gt \"%s\"", created),
        scim_asprintf("meta.created ge \"%s\"", created),
        scim_asprintf("meta.created lt \"%s\"", created),
        scim_asprintf("meta.created le \"%s\"", created),
        scim_asprintf("meta.created eq \"%s\"", created),
        scim_asprintf("meta.created ne \"%s\"", created),
        scim_asprintf("meta.created ge \"%s\"", offset),
        scim_asprintf("meta.created lt \"%s\"", offset),
        scim_asprintf("meta.created ge \"%s\"", finer),
        scim_asprintf("meta.created lt \"%s\"", finer),
        scim_asprintf("meta.created eq \"%s\"", finer),
        scim_asprintf("meta.created gt \"%s\"", seconds),
        scim_asprintf("meta.lastModified gt \"%s\"", latest),
        scim_asprintf("meta.lastModified gt \"%s\" and title eq \"Patched\"", latest),
        scim_asprintf("meta.lastModified gt \"%s\" and meta.created le \"%s\"", latest, latest),
        scim_asprintf("userName eq \"%s\"", recreated_name),
        scim_asprintf("userName eq \"%s\" and externalId eq \"ext-recreated\"", recreated_name),
    };
    int want[] = {1,         WANT_SOME, 0,         WANT_SOME, WANT_SOME, WANT_SOME,
                  WANT_SOME, WANT_SOME, WANT_SOME, WANT_SOME, WANT_SOME, WANT_SOME,
                  WANT_SOME, WANT_SOME, WANT_SOME, 0,         WANT_ANY,  WANT_SOME,
                  WANT_SOME, WANT_SOME, 1,         1};
    assert_int_equal(sizeof(f) / sizeof(f[0]), sizeof(want) / sizeof(want[0]));
    int bad = 0;
    for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
        bad += !filter_agrees(f[k], want[k]);
        scim_free(f[k]);
    }
    if (bad)
        fail_msg("%d dynamic filters disagree with the in-memory evaluator (details above)", bad);
}

/* ---- errors ---- */

/* GET /Users?filter=<filter> must be 400 invalidFilter whose detail holds each of needles. */
static void filter_rejected(const char *filter, const char *needle1, const char *needle2)
{
    char *enc = e2e_urlencode(filter);
    struct e2e_resp *r = get(srv->token, "/scim/v2/Users?filter=%s", enc);
    scim_free(enc);
    assert_scim_error(r, 400, "invalidFilter");
    const char *detail = e2e_str(r->json, "detail");
    if (!detail || (needle1 && !strstr(detail, needle1)) || (needle2 && !strstr(detail, needle2)))
        e2e_fail(r, "filter %s: the detail must mention '%s'%s%s", filter, needle1,
                 needle2 ? " and " : "", needle2 ? needle2 : "");
    e2e_resp_free(r);
}

static void test_e2e_query_bad_filters_400(void **state)
{
    (void)state;
    static const struct {
        const char *filter;
        const char *needle1;
        const char *needle2;
    } bad[] = {
        {"userName eq \"abc", "column 13", "nterminated"},
        {"(userName eq \"a\"", "column 17", NULL},
        {"userName eq \"a\")", "column 16", NULL},
        {"userName eq \"a\" and (title eq \"b\"", "column 34", "column 21"},
        {"emails[type eq \"work\"", "column 22", NULL},
        {"userName eq \"a\"]", "column 16", NULL},
        {"emails type eq \"work\"]", "column 8", NULL},
        {"addresses eq \"Berlin\"", "column 1", "complex"},
        {"addresses[locality eq \"Berlin\"].bogus pr", "column 33", "bogus"},
        {"userName zz \"a\"", "column 10", "zz"},
        {"userName eq \"a\" and title zz \"b\"", "column 27", "zz"},
        {"userName pr \"a\"", "column 13", "pr"},
        {"name eq \"Barbara\"", "column 1", "complex"},
        {"active gt true", "column 8", "boolean"},
        {"active lt false", "column 8", "boolean"},
        {"nosuchAttr eq \"x\"", "column 1", "nosuchAttr"},
        {"title eq \"x\" or nosuchAttr pr", "column 17", "nosuchAttr"},
        {"name.nosuchSub eq \"x\"", "column 1", "nosuchSub"},
        {ENT ":nosuchExt eq \"x\"", "column 1", "nosuchExt"},
        {"emails[nosuchSub eq \"x\"]", "column 8", "nosuchSub"},
        {"emails[type eq \"work\"].nosuchSub eq \"x\"", "column 24", "nosuchSub"},
        {"name[givenName eq \"a\"]", "column 1", NULL},
        {"userName eq", "column 12", NULL},
        {"userName eq \"a\" and", "column 20", NULL},
        {"not userName eq \"a\"", "column 5", NULL},
        {"userName eq 5", "column 13", NULL},
        {"meta.created gt \"yesterday\"", "column 17", "dateTime"},
        {"title lt null", "column 10", "null"},
        {"userName eq \"a\\q\"", "column 15", NULL},
        {"userName eq \"a\" &", "column 17", NULL},
        {"userName eq \"a\" userName eq \"b\"", "column 17", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        filter_rejected(bad[i].filter, bad[i].needle1, bad[i].needle2);

    /* Nesting: 16 levels are the default limit, 17 are refused at the 17th '('. */
    char deep[128];
    size_t n = 0;
    for (int k = 0; k < 16; k++)
        deep[n++] = '(';
    n += (size_t)snprintf(deep + n, sizeof(deep) - n, "userName pr");
    for (int k = 0; k < 16; k++)
        deep[n++] = ')';
    deep[n] = '\0';
    char *enc = e2e_urlencode(deep);
    struct e2e_resp *r = get(srv->token, "/scim/v2/Users?filter=%s&count=0", enc);
    assert_int_equal(list_total(r), (long long)json_array_size(live));
    e2e_resp_free(r);
    scim_free(enc);
    char deeper[192];
    snprintf(deeper, sizeof(deeper), "(%s)", deep);
    filter_rejected(deeper, "column 17", "16");
    snprintf(deeper, sizeof(deeper), "not (%s)", deep);
    filter_rejected(deeper, "column 21", "16");

    /* Length: 4096 bytes are the default limit; one more is refused before parsing. */
    size_t limit = 4096;
    char *text = scim_malloc(limit + 2);
    memset(text, 'x', limit + 1);
    memcpy(text, "userName eq \"", 13);
    text[limit - 1] = '"';
    text[limit] = '\0';
    enc = e2e_urlencode(text);
    r = get(srv->token, "/scim/v2/Users?filter=%s", enc);
    assert_int_equal(list_total(r), 0);
    e2e_resp_free(r);
    scim_free(enc);
    text[limit - 1] = 'x';
    text[limit] = '"';
    text[limit + 1] = '\0';
    filter_rejected(text, "4096", NULL);
    scim_free(text);
}

static void test_e2e_query_bad_paging_and_sort_400(void **state)
{
    (void)state;
    static const char *const bad_value[] = {
        "startIndex=abc",
        "count=ten",
        "count=1.5",
        "startIndex=2x&count=3",
        "count=10abc",
        "sortBy=nosuchAttr",
        "sortBy=name.nosuchSub",
        "sortBy=name",
        "sortOrder=sideways",
        "sortBy=userName&sortOrder=up",
        "attributes=nosuchAttr",
        "excludedAttributes=name.bogus",
    };
    for (size_t i = 0; i < sizeof(bad_value) / sizeof(bad_value[0]); i++) {
        struct e2e_resp *r = get(srv->token, "/scim/v2/Users?%s", bad_value[i]);
        if (r->status != 400)
            e2e_fail(r, "GET /Users?%s must be 400", bad_value[i]);
        assert_scim_error(r, 400, "invalidValue");
        e2e_resp_free(r);
    }
    struct e2e_resp *r = get(srv->token, "/scim/v2/Users?sortBy=nosuchAttr");
    const char *detail = e2e_str(r->json, "detail");
    if (!detail || !strstr(detail, "nosuchAttr"))
        e2e_fail(r, "an unknown sortBy is named in the detail");
    e2e_resp_free(r);
}

/* ---- paging ---- */

static void test_e2e_query_index_paging(void **state)
{
    (void)state;
    size_t n = json_array_size(live);
    /* Several page sizes, every one must reproduce the whole list in creation order. */
    static const int sizes[] = {1, 7, 50, 1000};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        long long total = 0;
        json_t *all = walk_index(srv->token, "", sizes[s], &total);
        assert_int_equal(total, (long long)n);
        char label[64];
        snprintf(label, sizeof(label), "pages of %d", sizes[s]);
        assert_true(same_ids(label, all, live));
        json_decref(all);
    }
    /* startIndex < 1 is 1. */
    static const char *const low[] = {"0", "-5", "1"};
    for (size_t i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
        struct e2e_resp *r = get(srv->token, "/scim/v2/Users?startIndex=%s&count=3", low[i]);
        assert_int_equal(list_total(r), (long long)n);
        assert_json_int(r, "startIndex", 1);
        assert_json_int(r, "itemsPerPage", 3);
        assert_json_str(r, "Resources[0].id", id_of(json_array_get(live, 0)));
        e2e_resp_free(r);
    }
    /* count 0 (and below) returns only the total. */
    static const char *const none[] = {"count=0", "count=-3", "filter=active%20eq%20true&count=0"};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        struct e2e_resp *r = get(srv->token, "/scim/v2/Users?%s", none[i]);
        long long total = list_total(r);
        if (total <= 0 || json_array_size(resources_of(r)) != 0)
            e2e_fail(r, "%s must return a positive totalResults and no resources", none[i]);
        assert_json_int(r, "itemsPerPage", 0);
        e2e_resp_free(r);
    }
    /* Numbers too large for 64 bits are clamped, not refused. */
    struct e2e_resp *big =
        get(srv->token, "/scim/v2/Users?startIndex=99999999999999999999999&count=5");
    assert_int_equal(list_total(big), (long long)n);
    assert_json_int(big, "itemsPerPage", 0);
    e2e_resp_free(big);
    big = get(srv->token, "/scim/v2/Users?count=99999999999999999999999");
    assert_int_equal(list_total(big), (long long)n);
    assert_json_int(big, "itemsPerPage", (long long)n);
    e2e_resp_free(big);
    /* A start past the end is an empty page with the total. */
    struct e2e_resp *r = get(srv->token, "/scim/v2/Users?startIndex=%zu&count=5", n + 1);
    assert_int_equal(list_total(r), (long long)n);
    assert_json_int(r, "itemsPerPage", 0);
    e2e_resp_free(r);
    /* The last partial page holds what is left, never more than count. */
    r = get(srv->token, "/scim/v2/Users?startIndex=%zu&count=5", n - 1);
    assert_int_equal(list_total(r), (long long)n);
    assert_json_int(r, "itemsPerPage", 2);
    assert_json_str(r, "Resources[1].id", id_of(json_array_get(live, n - 1)));
    e2e_resp_free(r);
    /* Without count the page is the default size (100) and never above it. */
    r = get(srv->token, "/scim/v2/Users");
    assert_int_equal(list_total(r), (long long)n);
    assert_json_int(r, "itemsPerPage", 100);
    e2e_resp_free(r);
}

/* The sort key of a resource for a sortBy: borrowed text or NULL when it has none. */
typedef const char *(*key_fn)(const json_t *resource);

static const char *key_user_name(const json_t *u)
{
    return e2e_str(u, "userName");
}

static const char *key_family(const json_t *u)
{
    return e2e_str(u, "name.familyName");
}

static const char *key_modified(const json_t *u)
{
    return e2e_str(u, "meta.lastModified");
}

static const char *key_external_id(const json_t *u)
{
    return e2e_str(u, "externalId");
}

static const char *key_department(const json_t *u)
{
    return e2e_str(u, ENT ".department");
}

/* RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary value, else its first. */
static const char *key_email(const json_t *u)
{
    const json_t *emails = json_object_get(u, "emails");
    for (size_t i = 0; i < json_array_size(emails); i++) {
        const json_t *e = json_array_get(emails, i);
        if (json_is_true(json_object_get(e, "primary")))
            return json_string_value(json_object_get(e, "value"));
    }
    return json_string_value(json_object_get(json_array_get(emails, 0), "value"));
}

/* Checks that list (every live user) is in ascending order of key under cmp, with missing keys
 * last and ties in creation order. */
static void assert_sorted(const char *label, const json_t *list, key_fn key,
                          int (*cmp)(const char *, const char *))
{
    assert_int_equal(json_array_size(list), json_array_size(live));
    for (size_t i = 1; i < json_array_size(list); i++) {
        const json_t *a = json_array_get(list, i - 1), *b = json_array_get(list, i);
        const char *ka = key(a), *kb = key(b);
        long pa = live_pos(id_of(a)), pb = live_pos(id_of(b));
        assert_true(pa >= 0 && pb >= 0);
        int c = ka && kb ? cmp(ka, kb) : ka ? -1 : kb ? 1 : 0;
        if (c > 0 || (c == 0 && pa > pb))
            fail_msg("%s: position %zu ('%s', created #%ld) is before position %zu ('%s', "
                     "created #%ld)",
                     label, i - 1, ka ? ka : "(none)", pa, i, kb ? kb : "(none)", pb);
    }
}

static const char *key_id(const json_t *u)
{
    return e2e_str(u, "id");
}

static const char *key_created(const json_t *u)
{
    return e2e_str(u, "meta.created");
}

static const char *key_title(const json_t *u)
{
    return e2e_str(u, "title");
}

static const char *key_manager(const json_t *u)
{
    return e2e_str(u, ENT ".manager.value");
}

/* false sorts before true. */
static const char *key_active(const json_t *u)
{
    const json_t *v = json_object_get(u, "active");
    return json_is_boolean(v) ? (json_is_true(v) ? "1" : "0") : NULL;
}

static int cmp_bytes(const char *a, const char *b)
{
    return strcmp(a, b);
}

static void test_e2e_query_sorting(void **state)
{
    (void)state;
    static const struct {
        const char *sort_by;
        key_fn key;
        bool case_exact;
    } sorts[] = {
        {"userName", key_user_name, false},
        {"name.familyName", key_family, false},
        {"meta.lastModified", key_modified, true},
        {"externalId", key_external_id, true},
        {"emails.value", key_email, false},
        {"emails", key_email, false},
        {ENT ":department", key_department, false},
        {"NAME.FAMILYNAME", key_family, false},
        {"id", key_id, true},
        {"meta.created", key_created, true},
        {"title", key_title, false},
        {"active", key_active, true},
        {ENT ":manager.value", key_manager, true},
        {"urn:ietf:params:scim:schemas:core:2.0:User:userName", key_user_name, false},
    };
    for (size_t s = 0; s < sizeof(sorts) / sizeof(sorts[0]); s++) {
        char *enc = e2e_urlencode(sorts[s].sort_by);
        char *q_default = scim_asprintf("sortBy=%s", enc);
        char *q_asc = scim_asprintf("sortBy=%s&sortOrder=ascending", enc);
        char *q_desc = scim_asprintf("sortBy=%s&sortOrder=descending", enc);
        json_t *whole = walk_index(srv->token, q_default, 1000, NULL);
        json_t *asc = walk_index(srv->token, q_asc, 13, NULL);
        json_t *desc = walk_index(srv->token, q_desc, 29, NULL);
        assert_sorted(sorts[s].sort_by, whole, sorts[s].key,
                      sorts[s].case_exact ? cmp_bytes : scim_text_casecmp);
        /* Paging a sorted list reproduces the single page, and ascending is the default. */
        assert_true(same_ids(q_asc, asc, whole));
        /* Descending is the exact reverse, ties and missing values included. */
        json_t *reversed = json_array();
        for (size_t i = json_array_size(whole); i-- > 0;)
            json_array_append(reversed, json_array_get(whole, i));
        assert_true(same_ids(q_desc, desc, reversed));
        /* The same request twice gives the same order. */
        json_t *again = walk_index(srv->token, q_default, 1000, NULL);
        assert_true(same_ids("repeat", again, whole));
        json_decref(again);
        json_decref(reversed);
        json_decref(whole);
        json_decref(asc);
        json_decref(desc);
        scim_free(q_default);
        scim_free(q_asc);
        scim_free(q_desc);
        scim_free(enc);
    }
    /* Sorting a filtered list sorts exactly the filtered set. */
    json_t *sorted =
        walk_index(srv->token, "filter=title%20pr&sortBy=userName&sortOrder=descending", 9, NULL);
    for (size_t i = 1; i < json_array_size(sorted); i++) {
        const char *a = key_user_name(json_array_get(sorted, i - 1));
        const char *b = key_user_name(json_array_get(sorted, i));
        if (scim_text_casecmp(a, b) < 0)
            fail_msg("descending userName: '%s' before '%s'", a, b);
    }
    assert_true(json_array_size(sorted) > 0);
    json_decref(sorted);
}

/*
 * Walks back with previousCursor from the last page of a forward walk (pages and prevs as
 * walk_cursor returned them): every page must come back exactly, and the first page reached
 * has no previousCursor.
 */
static void walk_back(const char *query, int count, const json_t *pages, const json_t *prevs)
{
    size_t n_pages = json_array_size(pages);
    if (n_pages < 2)
        return;
    const char *prev = json_string_value(json_array_get(prevs, n_pages - 1));
    if (!prev)
        fail_msg("%s: the last cursor page must have a previousCursor", query);
    char *cursor = scim_strdup(prev);
    size_t back = n_pages - 1;
    while (cursor) {
        char *enc = e2e_urlencode(cursor);
        struct e2e_resp *r = get(srv->token, "/scim/v2/Users?%s%scursor=%s&count=%d", query,
                                 query[0] ? "&" : "", enc, count);
        scim_free(enc);
        list_total(r);
        if (back == 0)
            e2e_fail(r, "%s: walking back went past the first page", query);
        back--;
        char label[160];
        snprintf(label, sizeof(label), "%s: page %zu walked back", query, back);
        if (!same_ids(label, resources_of(r), json_array_get(pages, back)))
            e2e_fail(r, "%s: walking back must reproduce page %zu", query, back);
        if (!e2e_str(r->json, "nextCursor"))
            e2e_fail(r, "%s: a page reached backwards has a nextCursor", query);
        const char *p = e2e_str(r->json, "previousCursor");
        scim_free(cursor);
        cursor = p ? scim_strdup(p) : NULL;
        e2e_resp_free(r);
    }
    if (back != 0)
        fail_msg("%s: walking back stopped at page %zu, not at the first", query, back);
}

static void test_e2e_query_cursor_paging(void **state)
{
    (void)state;
    size_t n = json_array_size(live);
    json_t *prevs = NULL;
    long long total = 0;
    json_t *pages = walk_cursor(srv->token, "", 23, &prevs, &total);
    assert_int_equal(total, (long long)n);
    json_t *all = flatten(pages);
    /* Every user exactly once, in the order index paging uses. */
    assert_true(same_ids("cursor walk", all, live));

    walk_back("", 23, pages, prevs);

    /* count=0 with a cursor: only the total. */
    struct e2e_resp *r = get(srv->token, "/scim/v2/Users?cursor=&count=0");
    assert_int_equal(list_total(r), (long long)n);
    e2e_resp_free(r);

    /* A filtered, sorted cursor walk matches the index result of the same query. */
    static const char *const queries[] = {
        "filter=title%20pr&sortBy=name.familyName&sortOrder=descending",
        "filter=emails%20pr&sortBy=userName",
        "sortBy=meta.lastModified&sortOrder=descending",
        "filter=active%20eq%20true",
        "sortBy=active&sortOrder=descending",
        "sortBy=active",
        "sortBy=emails.value",
        "sortBy=title&sortOrder=descending",
        "sortBy=name.familyName",
    };
    for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
        json_t *cprevs = NULL;
        json_t *cpages = walk_cursor(srv->token, queries[q], 11, &cprevs, NULL);
        json_t *call = flatten(cpages);
        json_t *iall = walk_index(srv->token, queries[q], 1000, NULL);
        assert_true(same_ids(queries[q], call, iall));
        walk_back(queries[q], 11, cpages, cprevs);
        json_decref(call);
        json_decref(iall);
        json_decref(cpages);
        json_decref(cprevs);
    }

    /* RFC 9865: count may change from one request to the next. */
    r = get(srv->token, "/scim/v2/Users?cursor=&count=10");
    char *next10 = e2e_urlencode(e2e_str(r->json, "nextCursor"));
    e2e_resp_free(r);
    /* RFC 9865 §2 asks for the first page with a bare "cursor" (no "="): the same page. */
    r = get(srv->token, "/scim/v2/Users?cursor&count=10");
    assert_int_equal(list_total(r), (long long)n);
    assert_non_null(e2e_str(r->json, "nextCursor"));
    assert_json_absent(r, "startIndex");
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(id_of(json_array_get(resources_of(r), i)),
                            id_of(json_array_get(live, i)));
    e2e_resp_free(r);
    r = get(srv->token, "/scim/v2/Users?cursor=%s&count=25", next10);
    assert_int_equal(list_total(r), (long long)n);
    assert_json_int(r, "itemsPerPage", 25);
    for (size_t i = 0; i < 25; i++)
        assert_string_equal(id_of(json_array_get(resources_of(r), i)),
                            id_of(json_array_get(live, 10 + i)));
    e2e_resp_free(r);
    scim_free(next10);

    /* Tampered, foreign and garbage cursors are refused. */
    r = get(srv->token, "/scim/v2/Users?cursor=&count=5");
    const char *next = e2e_str(r->json, "nextCursor");
    assert_non_null(next);
    char *tampered = scim_strdup(next);
    size_t len = strlen(tampered);
    tampered[len / 2] = tampered[len / 2] == 'A' ? 'B' : 'A';
    char *good = scim_strdup(next);
    e2e_resp_free(r);
    char *enc = e2e_urlencode(tampered);
    r = get(srv->token, "/scim/v2/Users?cursor=%s&count=5", enc);
    assert_scim_error(r, 400, "invalidCursor");
    e2e_resp_free(r);
    scim_free(enc);
    enc = e2e_urlencode(good);
    /* The same cursor under another filter or sort order belongs to another query. */
    r = get(srv->token, "/scim/v2/Users?cursor=%s&count=5&filter=userName%%20pr", enc);
    assert_scim_error(r, 400, "invalidCursor");
    e2e_resp_free(r);
    r = get(srv->token, "/scim/v2/Users?cursor=%s&count=5&sortBy=userName", enc);
    assert_scim_error(r, 400, "invalidCursor");
    e2e_resp_free(r);
    /* Nor does a cursor of this tenant work in the decoy tenant. */
    r = get(decoy_token, "/scim/v2/Users?cursor=%s&count=5", enc);
    assert_scim_error(r, 400, "invalidCursor");
    e2e_resp_free(r);
    /* The untouched cursor still works. */
    r = get(srv->token, "/scim/v2/Users?cursor=%s&count=5", enc);
    assert_int_equal(list_total(r), (long long)n);
    assert_json_str(r, "Resources[0].id", id_of(json_array_get(live, 5)));
    e2e_resp_free(r);
    scim_free(enc);
    static const char *const garbage[] = {"abc", "%25%25%25", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        r = get(srv->token, "/scim/v2/Users?cursor=%s&count=5", garbage[i]);
        assert_scim_error(r, 400, "invalidCursor");
        e2e_resp_free(r);
    }
    scim_free(good);
    scim_free(tampered);
    json_decref(all);
    json_decref(pages);
    json_decref(prevs);
}

/* ---- projection ---- */

/* The live (full) version of resource u, by id. */
static const json_t *full_of(const json_t *u)
{
    long p = live_pos(id_of(u));
    assert_true(p >= 0);
    return json_array_get(live, (size_t)p);
}

/* Asserts that the members of obj are exactly names (a NULL-terminated list). */
static void assert_keys(const char *label, const json_t *obj, const char *const *names)
{
    size_t want = 0;
    for (; names[want]; want++) {
        if (!json_object_get(obj, names[want])) {
            char *dump = json_dumps(obj, JSON_COMPACT);
            fail_msg("%s: '%s' is missing from %s", label, names[want], dump);
        }
    }
    if (json_object_size(obj) != want) {
        char *dump = json_dumps(obj, JSON_COMPACT);
        fail_msg("%s: unexpected members in %s", label, dump);
    }
}

/* Prints the expected and the returned resource (cmocka shortens long messages) and fails. */
static void fail_json(const char *label, const json_t *want, const json_t *got)
{
    char *a = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
    char *b = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    fprintf(stderr, "%s:\n  expected %s\n  returned %s\n", label, a, b);
    scim_free(a);
    scim_free(b);
    fail_msg("%s: the projected resource differs (both printed above)", label);
}

static void test_e2e_query_projection(void **state)
{
    (void)state;
    /* attributes=userName,emails.value: id and schemas always, e-mails reduced to value. */
    json_t *list = walk_index(srv->token, "attributes=userName,emails.value", 1000, NULL);
    assert_true(same_ids("attributes", list, live));
    size_t i;
    json_t *u;
    json_array_foreach (list, i, u) {
        const json_t *full = full_of(u);
        bool has_emails = json_object_get(full, "emails") != NULL;
        const char *with[] = {"id", "schemas", "userName", "emails", NULL};
        const char *without[] = {"id", "schemas", "userName", NULL};
        assert_keys("attributes=userName,emails.value", u, has_emails ? with : without);
        const json_t *emails = json_object_get(u, "emails");
        const json_t *full_emails = json_object_get(full, "emails");
        assert_int_equal(json_array_size(emails), json_array_size(full_emails));
        for (size_t k = 0; k < json_array_size(emails); k++) {
            const char *only_value[] = {"value", NULL};
            assert_keys("emails.value", json_array_get(emails, k), only_value);
            assert_true(json_equal(json_object_get(json_array_get(emails, k), "value"),
                                   json_object_get(json_array_get(full_emails, k), "value")));
        }
    }
    json_decref(list);

    /* Naming only a sub-attribute the user lacks leaves no empty complex value behind. */
    list = walk_index(srv->token, "attributes=name.familyName", 1000, NULL);
    json_array_foreach (list, i, u) {
        const json_t *family_name = e2e_json_at(full_of(u), "name.familyName");
        json_t *want = json_pack("{s:O, s:O}", "id", json_object_get(u, "id"), "schemas",
                                 json_object_get(u, "schemas"));
        if (family_name)
            json_object_set_new(want, "name", json_pack("{s:O}", "familyName", family_name));
        if (!json_equal(want, u))
            fail_json("attributes=name.familyName", want, u);
        json_decref(want);
    }
    json_decref(list);

    /* A parameter that names nothing, with "=" or without, is as if it were absent. */
    static const char *const empty[] = {"attributes=", "attributes",
                                        "excludedAttributes=", "attributes=%20,"};
    for (size_t e = 0; e < sizeof(empty) / sizeof(empty[0]); e++) {
        list = walk_index(srv->token, empty[e], 1000, NULL);
        assert_true(same_ids(empty[e], list, live));
        json_array_foreach (list, i, u) {
            if (!json_equal(full_of(u), u))
                fail_json(empty[e], full_of(u), u);
        }
        json_decref(list);
    }
}

static void test_e2e_query_projection_excluded(void **state)
{
    (void)state;
    size_t i;
    json_t *u;
    /* excludedAttributes=emails,name.givenName: everything else stays. */
    json_t *list = walk_index(srv->token, "excludedAttributes=emails,name.givenName", 1000, NULL);
    assert_true(same_ids("excludedAttributes", list, live));
    json_array_foreach (list, i, u) {
        json_t *want = json_deep_copy(full_of(u));
        json_object_del(want, "emails");
        json_t *name = json_object_get(want, "name");
        if (name) {
            json_object_del(name, "givenName");
            if (json_object_size(name) == 0)
                json_object_del(want, "name");
        }
        if (!json_equal(want, u))
            fail_json("excludedAttributes=emails,name.givenName", want, u);
        json_decref(want);
    }
    json_decref(list);
}

static void test_e2e_query_projection_urn(void **state)
{
    (void)state;
    size_t i;
    json_t *u;
    json_t *list;
    /* URN-qualified names, core and extension. */
    char *enc = e2e_urlencode(CORE ":userName," ENT ":department," ENT ":manager.value");
    char *q = scim_asprintf("attributes=%s", enc);
    list = walk_index(srv->token, q, 1000, NULL);
    json_array_foreach (list, i, u) {
        const json_t *full = full_of(u);
        const json_t *fext = json_object_get(full, ENT);
        const json_t *ext = json_object_get(u, ENT);
        const char *with[] = {"id", "schemas", "userName", ENT, NULL};
        const char *without[] = {"id", "schemas", "userName", NULL};
        assert_keys("URN attributes", u, fext ? with : without);
        if (fext) {
            const char *dm[] = {"department", "manager", NULL};
            const char *d[] = {"department", NULL};
            assert_keys("URN attributes (extension)", ext,
                        json_object_get(fext, "manager") ? dm : d);
            assert_true(json_equal(json_object_get(ext, "department"),
                                   json_object_get(fext, "department")));
            const json_t *m = json_object_get(ext, "manager");
            if (m) {
                const char *v[] = {"value", NULL};
                assert_keys("URN attributes (manager)", m, v);
            }
        }
    }
    json_decref(list);
    scim_free(q);
    scim_free(enc);

    enc = e2e_urlencode(ENT ":manager," ENT ":employeeNumber");
    q = scim_asprintf("excludedAttributes=%s", enc);
    list = walk_index(srv->token, q, 1000, NULL);
    json_array_foreach (list, i, u) {
        json_t *want = json_deep_copy(full_of(u));
        json_t *ext = json_object_get(want, ENT);
        if (ext) {
            json_object_del(ext, "manager");
            json_object_del(ext, "employeeNumber");
            if (json_object_size(ext) == 0)
                json_object_del(want, ENT);
        }
        if (!json_equal(want, u))
            fail_json(q, want, u);
        json_decref(want);
    }
    json_decref(list);
    scim_free(q);
    scim_free(enc);
}

static void test_e2e_query_projection_returned(void **state)
{
    (void)state;
    size_t i;
    json_t *u;
    /* id and schemas cannot be excluded; password never appears, even when asked for. */
    struct e2e_resp *r =
        get(srv->token, "/scim/v2/Users?excludedAttributes=id,schemas,userName&count=3");
    assert_int_equal(list_total(r), (long long)json_array_size(live));
    json_array_foreach (resources_of(r), i, u) {
        if (!json_object_get(u, "id") || !json_object_get(u, "schemas") ||
            json_object_get(u, "userName"))
            e2e_fail(r, "id and schemas stay and userName goes");
    }
    e2e_resp_free(r);
    r = get(srv->token, "/scim/v2/Users?attributes=password,userName&count=5");
    assert_int_equal(list_total(r), (long long)json_array_size(live));
    json_array_foreach (resources_of(r), i, u) {
        const char *keys[] = {"id", "schemas", "userName", NULL};
        assert_keys("attributes=password,userName", u, keys);
    }
    e2e_resp_free(r);
    r = get(srv->token, "/scim/v2/Users?attributes=id&count=2");
    json_array_foreach (resources_of(r), i, u) {
        const char *keys[] = {"id", "schemas", NULL};
        assert_keys("attributes=id", u, keys);
    }
    e2e_resp_free(r);
    /* Projection combines with a filter and with cursors. */
    r = get(srv->token, "/scim/v2/Users?filter=userName%%20eq%%20%%22bjensen%%40example.com%%22"
                        "&attributes=name.familyName&cursor=");
    assert_int_equal(list_total(r), 1);
    assert_json_str(r, "Resources[0].name.familyName", "M\xc3\xbcller");
    assert_json_absent(r, "Resources[0].name.givenName");
    assert_json_absent(r, "Resources[0].userName");
    e2e_resp_free(r);
}

/* A long run of one connective ("a or b or c or ..." up to the 4,096-byte limit) is an answer,
 * never a 500: the SQL is written flat, not one pair of parentheses per term (SQLite's parser
 * gave up near 88 terms). */
static void test_e2e_query_long_connective_chains(void **state)
{
    (void)state;
    static const char *const terms[] = {
        "userName eq \"nobody\"",      "emails.value eq \"nobody\"",
        "emails[value eq \"nobody\"]", "title pr",
        "not (userName eq \"a\")",     "meta.created gt \"2000-01-01T00:00:00Z\"",
    };
    static const char *const joins[] = {" or ", " and "};
    for (size_t t = 0; t < sizeof(terms) / sizeof(terms[0]); t++) {
        for (size_t j = 0; j < 2; j++) {
            char filter[4097];
            size_t used = 0, n = 0;
            while (used + strlen(terms[t]) + strlen(joins[j]) < sizeof(filter) - 1) {
                used += (size_t)snprintf(filter + used, sizeof(filter) - used, "%s%s",
                                         n ? joins[j] : "", terms[t]);
                n++;
            }
            char *enc = e2e_urlencode(filter);
            struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users?count=0&filter=%s", enc);
            if (r->status != 200)
                e2e_fail(r, "%zu terms of '%s' joined by '%s' must be answered", n, terms[t],
                         joins[j]);
            e2e_resp_free(r);
            /* The same inside a value filter. */
            if (t == 0) {
                char inner[4097];
                used = (size_t)snprintf(inner, sizeof(inner), "emails[");
                for (n = 0; used + 40 < sizeof(inner); n++)
                    used += (size_t)snprintf(inner + used, sizeof(inner) - used,
                                             "%svalue eq \"x%zu\"", n ? joins[j] : "", n);
                snprintf(inner + used, sizeof(inner) - used, "]");
                scim_free(enc);
                enc = e2e_urlencode(inner);
                r = e2e_get(srv, srv->token, "/scim/v2/Users?count=0&filter=%s", enc);
                if (r->status != 200)
                    e2e_fail(r, "a value filter of %zu terms must be answered", n);
                e2e_resp_free(r);
            }
            scim_free(enc);
        }
    }
    /* Groups: membership comparisons, bare and in a value filter. */
    static const char *const group_filters[] = {"members.value eq \"m%zu\"",
                                                "members[value eq \"m%zu\"]"};
    for (size_t k = 0; k < 2; k++) {
        char filter[4097];
        size_t used = 0;
        for (size_t n = 0; used + 40 < sizeof(filter); n++) {
            used += (size_t)snprintf(filter + used, sizeof(filter) - used, "%s", n ? " or " : "");
            used += (size_t)snprintf(filter + used, sizeof(filter) - used, group_filters[k], n);
        }
        char *enc = e2e_urlencode(filter);
        struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Groups?count=0&filter=%s", enc);
        if (r->status != 200)
            e2e_fail(r, "a long chain of '%s' on Groups must be answered", group_filters[k]);
        e2e_resp_free(r);
        scim_free(enc);
    }
}

/* ---- POST /.search ---- */

/* POST path with body must answer exactly what GET /Users?<query> answers. */
static void search_equals_get(const char *path, const char *body, const char *query)
{
    struct e2e_resp *p = send_json("POST", srv->token, body, path);
    struct e2e_resp *g = get(srv->token, "/scim/v2/Users?%s", query);
    list_total(p);
    list_total(g);
    if (!json_equal(p->json, g->json)) {
        e2e_fail(p, "POST %s %s must equal GET /Users?%s, which answered %s", path, body, query,
                 g->body);
    }
    e2e_resp_free(p);
    e2e_resp_free(g);
}

static void test_e2e_query_search_equals_get(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        const char *query;
    } cases[] = {
        {"{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"filter\":\"emails[type eq \\\"work\\\"] and "
         "active eq true\",\"sortBy\":\"userName\",\"sortOrder\":\"descending\","
         "\"attributes\":[\"userName\",\"emails.value\"],\"startIndex\":3,\"count\":10}",
         "filter=emails%5Btype%20eq%20%22work%22%5D%20and%20active%20eq%20true&sortBy=userName&"
         "sortOrder=descending&attributes=userName,emails.value&startIndex=3&count=10"},
        {"{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"filter\":\"userName sw \\\"user\\\"\","
         "\"excludedAttributes\":[\"emails\",\"name.givenName\"],\"count\":7}",
         "filter=userName%20sw%20%22user%22&excludedAttributes=emails,name.givenName&count=7"},
        {"{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"filter\":\"" ENT
         ":employeeNumber eq \\\"701984\\\"\"}",
         "filter=" ENT ":employeeNumber%20eq%20%22701984%22"},
        {"{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"startIndex\":20,\"count\":15,"
         "\"sortBy\":\"name.familyName\"}",
         "startIndex=20&count=15&sortBy=name.familyName"},
        {"{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"filter\":\"userName eq \\\"none\\\"\"}",
         "filter=userName%20eq%20%22none%22"},
        {"{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"cursor\":\"\",\"count\":9,"
         "\"filter\":\"title pr\"}",
         "cursor=&count=9&filter=title%20pr"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        search_equals_get("/scim/v2/Users/.search", cases[i].body, cases[i].query);
        /* Root search: these filters name User attributes only, so only Users can match. */
        if (!strstr(cases[i].body, "cursor") && strstr(cases[i].body, "filter")) {
            search_equals_get("/scim/v2/.search", cases[i].body, cases[i].query);
            /* GET on the root (RFC 7644 §3.4.2.1) answers what POST /.search does. */
            struct e2e_resp *root = get(srv->token, "/scim/v2?%s", cases[i].query);
            struct e2e_resp *post =
                send_json("POST", srv->token, cases[i].body, "/scim/v2/.search");
            assert_int_equal(root->status, 200);
            if (!json_equal(root->json, post->json))
                e2e_fail(root, "GET /scim/v2?%s must equal POST /.search %s, which answered %s",
                         cases[i].query, cases[i].body, post->body);
            e2e_resp_free(root);
            e2e_resp_free(post);
        }
    }
    /* A body without the SearchRequest schema, or with the wrong types, is refused. */
    static const char *const bad[] = {
        "{\"filter\":\"userName pr\"}",
        "{\"schemas\":[\"" CORE "\"],\"filter\":\"userName pr\"}",
        "{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"count\":\"ten\"}",
        "{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"filter\":\"userName zz \\\"a\\\"\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        static const char *const paths[] = {"/scim/v2/Users/.search", "/scim/v2/.search"};
        for (size_t p = 0; p < 2; p++) {
            struct e2e_resp *r = send_json("POST", srv->token, bad[i], paths[p]);
            if (r->status != 400)
                e2e_fail(r, "POST %s %s must be 400", paths[p], bad[i]);
            assert_scim_error(r, 400, NULL);
            e2e_resp_free(r);
        }
    }
    /* The decoy tenant's search sees only its own users. */
    struct e2e_resp *r =
        e2e_http(srv, &(struct e2e_req){.method = "POST",
                                        .path = "/scim/v2/Users/.search",
                                        .token = decoy_token,
                                        .body = "{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"count\":0}",
                                        .curl = curl});
    assert_int_equal(list_total(r), (long long)n_decoy);
    e2e_resp_free(r);
}

/* ---- group 2: small limits ---- */

static struct e2e_server *small;

static int small_setup(void **state)
{
    (void)state;
    static const char *const args[] = {
        "--max-results", "50", "--filter-max-length", "200", "--filter-max-depth", "4", NULL};
    return e2e_setup(args, &small);
}

static int small_teardown(void **state)
{
    (void)state;
    return e2e_teardown(small);
}

static void test_e2e_query_max_results_and_limits(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(small, small->token, "/scim/v2/ServiceProviderConfig");
    assert_status(r, 200);
    assert_json_int(r, "filter.maxResults", 50);
    assert_true(json_is_true(e2e_json_at(r->json, "filter.supported")));
    assert_true(json_is_true(e2e_json_at(r->json, "sort.supported")));
    assert_true(json_is_true(e2e_json_at(r->json, "pagination.cursor")));
    e2e_resp_free(r);

    CURL *h = curl_easy_init();
    assert_non_null(h);
    for (int i = 0; i < 60; i++) {
        char *body =
            scim_asprintf("{\"schemas\":[\"" CORE "\"],\"userName\":\"small%02d@example.com\"}", i);
        r = e2e_http(small, &(struct e2e_req){.method = "POST",
                                              .path = "/scim/v2/Users",
                                              .token = small->token,
                                              .body = body,
                                              .curl = h});
        assert_status(r, 201);
        e2e_resp_free(r);
        scim_free(body);
    }
    curl_easy_cleanup(h);

    /* count above the maximum is capped; so is the default page size (100). */
    static const char *const queries[] = {"count=1000", "", "count=51", "cursor=&count=1000",
                                          "filter=userName%20pr&count=99999999999"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        r = e2e_get(small, small->token, "/scim/v2/Users?%s", queries[i]);
        assert_int_equal(list_total(r), 60);
        if (json_array_size(resources_of(r)) != 50)
            e2e_fail(r, "GET /Users?%s must return 50 resources (maxResults)", queries[i]);
        assert_json_int(r, "itemsPerPage", 50);
        e2e_resp_free(r);
    }
    r = e2e_get(small, small->token, "/scim/v2/Users?count=7");
    assert_json_int(r, "itemsPerPage", 7);
    e2e_resp_free(r);
    r = e2e_get(small, small->token, "/scim/v2/Users?startIndex=41&count=50");
    assert_int_equal(list_total(r), 60);
    assert_json_int(r, "itemsPerPage", 20);
    e2e_resp_free(r);
    r = e2e_send(small, "POST", small->token, "{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"count\":500}",
                 "/scim/v2/Users/.search");
    assert_int_equal(list_total(r), 60);
    assert_json_int(r, "itemsPerPage", 50);
    e2e_resp_free(r);

    /* The configured filter length (200 bytes) and depth (4). */
    char text[256];
    memset(text, 'x', sizeof(text));
    memcpy(text, "userName eq \"", 13);
    text[199] = '"';
    text[200] = '\0';
    char *enc = e2e_urlencode(text);
    r = e2e_get(small, small->token, "/scim/v2/Users?filter=%s", enc);
    assert_int_equal(list_total(r), 0);
    e2e_resp_free(r);
    scim_free(enc);
    text[199] = 'x';
    text[200] = '"';
    text[201] = '\0';
    enc = e2e_urlencode(text);
    r = e2e_get(small, small->token, "/scim/v2/Users?filter=%s", enc);
    assert_scim_error(r, 400, "invalidFilter");
    const char *detail = e2e_str(r->json, "detail");
    if (!detail || !strstr(detail, "200"))
        e2e_fail(r, "the detail names the configured limit");
    e2e_resp_free(r);
    scim_free(enc);

    r = e2e_get(small, small->token, "/scim/v2/Users?filter=%s", "((((userName%20pr))))&count=0");
    assert_int_equal(list_total(r), 60);
    e2e_resp_free(r);
    static const char *const too_deep[] = {
        "(((((userName%20pr)))))",
        "not%20(((((userName%20pr)))))",
        "(((emails%5Bnot%20(type%20eq%20%22work%22)%5D)))",
    };
    for (size_t i = 0; i < sizeof(too_deep) / sizeof(too_deep[0]); i++) {
        r = e2e_get(small, small->token, "/scim/v2/Users?filter=%s", too_deep[i]);
        assert_scim_error(r, 400, "invalidFilter");
        detail = e2e_str(r->json, "detail");
        if (!detail || !strstr(detail, "column"))
            e2e_fail(r, "a filter nested too deep is refused with its column");
        e2e_resp_free(r);
    }
}

/* The ids of a list response's resources, as a new array of strings. */
static json_t *page_ids(const struct e2e_resp *r)
{
    json_t *ids = json_array();
    size_t i;
    json_t *u;
    json_array_foreach (resources_of(r), i, u)
        json_array_append_new(ids, json_string(id_of(u)));
    return ids;
}

static void test_e2e_query_cursor_survives_changes_and_restart(void **state)
{
    (void)state;
    /* The 60 users of the previous test are there, in creation order. */
    struct e2e_resp *r = e2e_get(small, small->token, "/scim/v2/Users?count=50");
    json_t *before = page_ids(r);
    e2e_resp_free(r);
    r = e2e_get(small, small->token, "/scim/v2/Users?startIndex=51&count=50");
    json_t *tail = page_ids(r);
    json_array_extend(before, tail);
    json_decref(tail);
    e2e_resp_free(r);
    assert_int_equal(json_array_size(before), 60);

    r = e2e_get(small, small->token, "/scim/v2/Users?cursor=&count=10");
    assert_int_equal(list_total(r), 60);
    char *next = e2e_urlencode(e2e_str(r->json, "nextCursor"));
    e2e_resp_free(r);
    /* Delete the last user of the page just read and the first of the next one. */
    for (size_t k = 9; k <= 10; k++) {
        r = e2e_send(small, "DELETE", small->token, NULL, "/scim/v2/Users/%s",
                     json_string_value(json_array_get(before, k)));
        assert_status(r, 204);
        e2e_resp_free(r);
    }
    r = e2e_send(small, "POST", small->token,
                 "{\"schemas\":[\"" CORE "\"],\"userName\":\"late@example.com\"}",
                 "/scim/v2/Users");
    assert_status(r, 201);
    char late[64];
    snprintf(late, sizeof(late), "%s", e2e_str(r->json, "id"));
    e2e_resp_free(r);
    r = e2e_get(small, small->token, "/scim/v2/Users?cursor=%s&count=10", next);
    assert_int_equal(list_total(r), 59);
    /* The walk goes on right after the deleted boundary: users 11 to 20. */
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(id_of(json_array_get(resources_of(r), i)),
                            json_string_value(json_array_get(before, 11 + i)));
    scim_free(next);
    next = e2e_urlencode(e2e_str(r->json, "nextCursor"));
    e2e_resp_free(r);

    /* Cursors outlive a restart: their key is kept in the database. */
    assert_int_equal(e2e_server_stop(small), 0);
    assert_int_equal(e2e_server_restart(small), 0);
    size_t seen = 0;
    bool late_seen = false;
    for (size_t at = 21; next;) {
        r = e2e_get(small, small->token, "/scim/v2/Users?cursor=%s&count=10", next);
        assert_int_equal(list_total(r), 59);
        size_t i;
        json_t *u;
        json_array_foreach (resources_of(r), i, u) {
            if (strcmp(id_of(u), late) == 0) {
                late_seen = true;
                continue;
            }
            assert_string_equal(id_of(u), json_string_value(json_array_get(before, at)));
            at++;
            seen++;
        }
        scim_free(next);
        next =
            e2e_str(r->json, "nextCursor") ? e2e_urlencode(e2e_str(r->json, "nextCursor")) : NULL;
        e2e_resp_free(r);
    }
    assert_int_equal(seen, 60 - 21);
    assert_true(late_seen);
    json_decref(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_query_seed_and_fetch_all),
        cmocka_unit_test(test_e2e_query_filters_match_evaluator),
        cmocka_unit_test(test_e2e_query_dynamic_filters_match_evaluator),
        cmocka_unit_test(test_e2e_query_bad_filters_400),
        cmocka_unit_test(test_e2e_query_bad_paging_and_sort_400),
        cmocka_unit_test(test_e2e_query_index_paging),
        cmocka_unit_test(test_e2e_query_sorting),
        cmocka_unit_test(test_e2e_query_cursor_paging),
        cmocka_unit_test(test_e2e_query_projection),
        cmocka_unit_test(test_e2e_query_projection_excluded),
        cmocka_unit_test(test_e2e_query_projection_urn),
        cmocka_unit_test(test_e2e_query_projection_returned),
        cmocka_unit_test(test_e2e_query_long_connective_chains),
        cmocka_unit_test(test_e2e_query_search_equals_get),
    };
    const struct CMUnitTest limits[] = {
        cmocka_unit_test(test_e2e_query_max_results_and_limits),
        cmocka_unit_test(test_e2e_query_cursor_survives_changes_and_restart),
    };
    int failed = cmocka_run_group_tests_name("e2e_query", tests, group_setup, group_teardown);
    failed += cmocka_run_group_tests_name("e2e_query_limits", limits, small_setup, small_teardown);
    return failed;
}
