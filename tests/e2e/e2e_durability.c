/*
 * e2e_durability — crash safety and concurrency of a real scimd. Eight client threads create
 * users as fast as they can while the test SIGKILLs the server; every user whose creation was
 * acknowledged with a 201 must be found after a restart on the same database, and SQLite's
 * integrity_check must say "ok". A SIGTERM under the same load must end in exit status 0 with
 * nothing acknowledged lost; a graceful stop must start no new requests and must not wait for
 * clients that went away. Racing creates of one userName: exactly one wins, the rest are 409
 * uniqueness. Racing PATCHes of one user: no acknowledged change is lost.
 * Worker threads never call cmocka assertions (they longjmp); they only record what they saw.
 */
#include "harness.h"

#include "mem.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define WORKERS 8
#define MAX_PER_WORKER 20000

static struct e2e_server *srv;

static int group_setup(void **state)
{
    (void)state;
    return e2e_setup(NULL, &srv);
}

static int group_teardown(void **state)
{
    (void)state;
    return e2e_teardown(srv);
}

/* What one worker did: the userNames acknowledged with 201, and anything unexpected. */
struct worker {
    pthread_t thread;
    int index;
    const char *round; /* distinguishes the rounds of different tests */
    char **acked;      /* owned strings */
    size_t n_acked;
    long unexpected_status; /* first HTTP status other than 201, or 0 */
    char unexpected_body[256];
    atomic_bool *stop;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    CURL *curl = curl_easy_init();
    w->acked = scim_calloc(MAX_PER_WORKER, sizeof(char *));
    for (int i = 0; i < MAX_PER_WORKER && !atomic_load(w->stop); i++) {
        char name[96];
        snprintf(name, sizeof(name), "%s-w%d-%05d@example.com", w->round, w->index, i);
        char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"%s\",\"active\":true,"
                                   "\"emails\":[{\"value\":\"%s\",\"primary\":true}]}",
                                   E2E_USER_SCHEMA, name, name);
        struct e2e_resp *r = e2e_http(srv, &(struct e2e_req){.method = "POST",
                                                             .path = "/scim/v2/Users",
                                                             .token = srv->token,
                                                             .body = body,
                                                             .curl = curl});
        long status = r->status;
        if (status == 201) {
            w->acked[w->n_acked++] = scim_strdup(name);
        } else if (status != 0 && status != 503 && w->unexpected_status == 0) {
            /* 0: the server is gone (killed); 503: it is shutting down. Anything else is not
             * expected from a plain create. */
            w->unexpected_status = status;
            snprintf(w->unexpected_body, sizeof(w->unexpected_body), "%s", r->body);
        }
        e2e_resp_free(r);
        scim_free(body);
        if (status == 0)
            break;
    }
    curl_easy_cleanup(curl);
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts the workers for one round. */
static void start_workers(struct worker *workers, const char *round, atomic_bool *stop)
{
    for (int i = 0; i < WORKERS; i++) {
        memset(&workers[i], 0, sizeof(workers[i]));
        workers[i].index = i;
        workers[i].round = round;
        workers[i].stop = stop;
        assert_int_equal(pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]), 0);
    }
}

/* Joins the workers; returns how many creations were acknowledged. */
static size_t join_workers(struct worker *workers)
{
    size_t total = 0;
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(workers[i].thread, NULL);
        total += workers[i].n_acked;
    }
    return total;
}

static void free_workers(struct worker *workers)
{
    for (int i = 0; i < WORKERS; i++) {
        for (size_t k = 0; k < workers[i].n_acked; k++)
            scim_free(workers[i].acked[k]);
        scim_free(workers[i].acked);
    }
}

/* Fails when a worker saw an unexpected HTTP status. */
static void assert_no_unexpected(const struct worker *workers)
{
    for (int i = 0; i < WORKERS; i++)
        if (workers[i].unexpected_status != 0) {
            fprintf(stderr, "worker %d got HTTP %ld creating a user: %s\n", i,
                    workers[i].unexpected_status, workers[i].unexpected_body);
            e2e_server_dump_log(srv);
            fail();
        }
}

/* Asserts that every acknowledged userName is found exactly once by a filter. */
static void assert_all_found(const struct worker *workers)
{
    CURL *curl = curl_easy_init();
    for (int i = 0; i < WORKERS; i++) {
        for (size_t k = 0; k < workers[i].n_acked; k++) {
            char *q = scim_asprintf("userName eq \"%s\"", workers[i].acked[k]);
            char *enc = e2e_urlencode(q);
            char *path = scim_asprintf("/scim/v2/Users?filter=%s&attributes=userName", enc);
            struct e2e_resp *r =
                e2e_http(srv, &(struct e2e_req){.path = path, .token = srv->token, .curl = curl});
            assert_status(r, 200);
            if (json_integer_value(json_object_get(r->json, "totalResults")) != 1)
                e2e_fail(r, "acknowledged user %s is lost after the restart", workers[i].acked[k]);
            e2e_resp_free(r);
            scim_free(path);
            scim_free(enc);
            scim_free(q);
        }
    }
    curl_easy_cleanup(curl);
}

/* The number of users in the tenant. */
static long long user_total(void)
{
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users?count=0");
    assert_status(r, 200);
    long long total = json_integer_value(json_object_get(r->json, "totalResults"));
    e2e_resp_free(r);
    return total;
}

static void assert_integrity_ok(void)
{
    char *check = e2e_sql_text(srv, "PRAGMA integrity_check");
    assert_non_null(check);
    assert_str(check, "ok");
    scim_free(check);
}

static void test_e2e_sigkill_keeps_acknowledged_creates(void **state)
{
    (void)state;
    struct worker workers[WORKERS];
    atomic_bool stop = false;
    long long before = user_total();
    start_workers(workers, "kill", &stop);
    sleep_ms(1500);
    e2e_server_kill(srv);
    size_t acked = join_workers(workers);
    print_message("e2e_durability: %zu creates acknowledged before SIGKILL\n", acked);
    assert_no_unexpected(workers);
    assert_true(acked > 0);

    assert_int_equal(e2e_server_restart(srv), 0);
    assert_all_found(workers);
    /* Creates whose answer was lost in the kill may exist too, but never fewer. */
    assert_true(user_total() >= before + (long long)acked);
    assert_integrity_ok();
    free_workers(workers);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_e2e_sigterm_under_load_exits_zero(void **state)
{
    (void)state;
    struct worker workers[WORKERS];
    atomic_bool stop = false;
    start_workers(workers, "term", &stop);
    sleep_ms(700);
    int64_t signalled = now_ms();
    int status = e2e_server_stop(srv);
    int64_t stop_ms = now_ms() - signalled;
    atomic_store(&stop, true);
    size_t acked = join_workers(workers);
    print_message("e2e_durability: %zu creates acknowledged; scimd took %lld ms to stop\n", acked,
                  (long long)stop_ms);
    if (status != 0) {
        e2e_server_dump_log(srv);
        fail_msg("scimd exited with status %d after SIGTERM, expected 0", status);
    }
    assert_no_unexpected(workers);
    assert_int_equal(e2e_server_restart(srv), 0);
    assert_all_found(workers);
    assert_integrity_ok();
    free_workers(workers);
}

static void test_e2e_sigterm_drains_promptly(void **state)
{
    (void)state;
    /* An open keep-alive connection that has finished one request. */
    CURL *keep = curl_easy_init();
    struct e2e_resp *r = e2e_http(
        srv,
        &(struct e2e_req){.path = "/scim/v2/Users?count=1", .token = srv->token, .curl = keep});
    assert_status(r, 200);
    e2e_resp_free(r);
    /* A client sends part of a body and goes away; nothing will ever complete that request. */
    char *head = scim_asprintf("POST /scim/v2/Users HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                               "Authorization: Bearer %s\r\nContent-Type: application/scim+json\r\n"
                               "Content-Length: 200\r\n\r\n",
                               (unsigned)srv->port, srv->token);
    r = e2e_raw(srv, head, "{\"userName\":\"gone\"", 18, E2E_RAW_NO_READ);
    e2e_resp_free(r);
    scim_free(head);
    sleep_ms(200);

    int64_t signalled = now_ms();
    e2e_server_signal(srv, SIGTERM);
    sleep_ms(500);
    /* Half a second into the drain, a new request on the open connection. */
    r = e2e_http(srv, &(struct e2e_req){
                          .path = "/scim/v2/Users?count=1", .token = srv->token, .curl = keep});
    long late_status = r->status;
    e2e_resp_free(r);
    curl_easy_cleanup(keep);
    int status = e2e_server_wait(srv, 20000);
    int64_t stop_ms = now_ms() - signalled;
    if (status == -1)
        e2e_server_kill(srv);
    print_message("e2e_durability: stop took %lld ms; a request 500 ms after SIGTERM got %ld\n",
                  (long long)stop_ms, late_status);
    assert_int_equal(e2e_server_restart(srv), 0);
    assert_int_equal(status, 0);
    bool served_late = late_status >= 200 && late_status < 300;
    bool slow = stop_ms > 5000;
    if (served_late)
        print_error("graceful stop: a new request on a kept-alive connection was served 500 ms "
                    "after SIGTERM\n");
    if (slow)
        print_error("graceful stop: SIGTERM waited the whole grace period for a request whose "
                    "client had closed the connection mid-body\n");
    assert_false(served_late || slow);
}

static void test_e2e_sigterm_when_idle_exits_zero(void **state)
{
    (void)state;
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users?count=1");
    assert_status(r, 200);
    e2e_resp_free(r);
    assert_int_equal(e2e_server_stop(srv), 0);
    assert_false(e2e_server_alive(srv));
    assert_integrity_ok();
    assert_int_equal(e2e_server_restart(srv), 0);
}

/* One thread of a same-moment race: its requests and what came back. */
struct racer {
    pthread_t thread;
    int index;
    pthread_barrier_t *barrier;
    int rounds;
    const char *user_id;  /* PATCH race: the user every racer modifies */
    long statuses[64];    /* per round */
    char bodies[64][160]; /* per round, the start of the body */
};

static void *create_racer_main(void *arg)
{
    struct racer *r = arg;
    CURL *curl = curl_easy_init();
    for (int round = 0; round < r->rounds; round++) {
        char *body = scim_asprintf("{\"schemas\":[\"%s\"],\"userName\":\"Race-%d@Example.com\"}",
                                   E2E_USER_SCHEMA, round);
        /* Every racer sends its create for this round at the same moment. */
        pthread_barrier_wait(r->barrier);
        struct e2e_resp *resp = e2e_http(srv, &(struct e2e_req){.method = "POST",
                                                                .path = "/scim/v2/Users",
                                                                .token = srv->token,
                                                                .body = body,
                                                                .curl = curl});
        r->statuses[round] = resp->status;
        snprintf(r->bodies[round], sizeof(r->bodies[round]), "%s", resp->body);
        e2e_resp_free(resp);
        scim_free(body);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

static void test_e2e_concurrent_same_username_one_wins(void **state)
{
    (void)state;
    enum { ROUNDS = 20 };
    struct racer racers[WORKERS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        memset(&racers[i], 0, sizeof(racers[i]));
        racers[i].index = i;
        racers[i].barrier = &barrier;
        racers[i].rounds = ROUNDS;
        assert_int_equal(pthread_create(&racers[i].thread, NULL, create_racer_main, &racers[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(racers[i].thread, NULL);
    pthread_barrier_destroy(&barrier);
    for (int round = 0; round < ROUNDS; round++) {
        int created = 0, conflicts = 0;
        for (int i = 0; i < WORKERS; i++) {
            long st = racers[i].statuses[round];
            if (st == 201)
                created++;
            else if (st == 409 && strstr(racers[i].bodies[round], "uniqueness"))
                conflicts++;
            else
                fail_msg("round %d: a racing create got %ld: %s", round, st,
                         racers[i].bodies[round]);
        }
        if (created != 1)
            fail_msg("round %d: %d racing creates of one userName succeeded, expected 1", round,
                     created);
        assert_int_equal(conflicts, WORKERS - 1);
        char filter[96];
        snprintf(filter, sizeof(filter), "userName eq \"race-%d@example.com\"", round);
        struct e2e_resp *resp = e2e_filter_users(srv, srv->token, filter);
        assert_status(resp, 200);
        assert_json_int(resp, "totalResults", 1);
        e2e_resp_free(resp);
    }
}

static void *patch_racer_main(void *arg)
{
    struct racer *r = arg;
    CURL *curl = curl_easy_init();
    char *path = scim_asprintf("/scim/v2/Users/%s", r->user_id);
    for (int round = 0; round < r->rounds; round++) {
        char *body = scim_asprintf(
            "{\"schemas\":[\"%s\"],\"Operations\":[{\"op\":\"add\",\"path\":\"emails\","
            "\"value\":[{\"value\":\"r%d-%d@example.com\",\"type\":\"other\"}]}]}",
            E2E_PATCH_SCHEMA, r->index, round);
        pthread_barrier_wait(r->barrier);
        struct e2e_resp *resp = e2e_http(
            srv,
            &(struct e2e_req){
                .method = "PATCH", .path = path, .token = srv->token, .body = body, .curl = curl});
        r->statuses[round] = resp->status;
        snprintf(r->bodies[round], sizeof(r->bodies[round]), "%s", resp->body);
        e2e_resp_free(resp);
        scim_free(body);
    }
    scim_free(path);
    curl_easy_cleanup(curl);
    return NULL;
}

static void test_e2e_concurrent_patches_lose_nothing(void **state)
{
    (void)state;
    enum { ROUNDS = 10 };
    struct e2e_resp *created =
        e2e_create_user(srv, srv->token, "patched-by-many@example.com", NULL);
    char id[64];
    snprintf(id, sizeof(id), "%s", e2e_str(created->json, "id"));
    e2e_resp_free(created);
    struct racer racers[WORKERS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        memset(&racers[i], 0, sizeof(racers[i]));
        racers[i].index = i;
        racers[i].barrier = &barrier;
        racers[i].rounds = ROUNDS;
        racers[i].user_id = id;
        assert_int_equal(pthread_create(&racers[i].thread, NULL, patch_racer_main, &racers[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(racers[i].thread, NULL);
    pthread_barrier_destroy(&barrier);

    /* Every acknowledged add must be in the final document; a refused one must not. */
    struct e2e_resp *r = e2e_get(srv, srv->token, "/scim/v2/Users/%s", id);
    assert_status(r, 200);
    const json_t *emails = json_object_get(r->json, "emails");
    int acknowledged = 0, retry_later = 0;
    for (int i = 0; i < WORKERS; i++) {
        for (int round = 0; round < ROUNDS; round++) {
            long st = racers[i].statuses[round];
            char value[64];
            snprintf(value, sizeof(value), "r%d-%d@example.com", i, round);
            bool present = false;
            for (size_t k = 0; k < json_array_size(emails); k++) {
                const char *v =
                    json_string_value(json_object_get(json_array_get(emails, k), "value"));
                present = present || (v && strcmp(v, value) == 0);
            }
            if (st == 200) {
                acknowledged++;
                if (!present)
                    e2e_fail(r, "acknowledged PATCH adding %s was lost", value);
            } else if (st == 409) {
                retry_later++;
                if (present)
                    e2e_fail(r, "PATCH adding %s was refused (409) but applied", value);
            } else {
                e2e_fail(r, "a racing PATCH got %ld: %s", st, racers[i].bodies[round]);
            }
        }
    }
    print_message("e2e_durability: %d of %d racing PATCHes applied, %d refused with 409\n",
                  acknowledged, WORKERS * ROUNDS, retry_later);
    assert_int_equal(json_array_size(emails), (size_t)acknowledged);
    e2e_resp_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_sigkill_keeps_acknowledged_creates),
        cmocka_unit_test(test_e2e_concurrent_same_username_one_wins),
        cmocka_unit_test(test_e2e_concurrent_patches_lose_nothing),
        cmocka_unit_test(test_e2e_sigterm_under_load_exits_zero),
        cmocka_unit_test(test_e2e_sigterm_when_idle_exits_zero),
        cmocka_unit_test(test_e2e_sigterm_drains_promptly),
    };
    return cmocka_run_group_tests_name("e2e_durability", tests, group_setup, group_teardown);
}
