/*
 * main — scimd's entry point: argv and environment → config → store → server → wait for
 * SIGTERM/SIGINT → graceful stop. Nothing else lives here.
 */
#include "audit.h"
#include "config.h"
#include "log.h"
#include "mem.h"
#include "ratelimit.h"
#include "server.h"
#include "store.h"
#include "token.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SHUTDOWN_GRACE_MS 10000

int main(int argc, char **argv)
{
    int status = 1;
    struct scim_config cfg;
    struct scim_err err;
    struct scim_store *store = NULL;
    struct scimd_server *server = NULL;
    struct scim_audit_log *audit = NULL;
    struct scim_ratelimit *limits = NULL;
    scim_err_clear(&err);
    scim_mem_init();

    int rc = scim_config_load(&cfg, argc, argv, stdout, &err);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "scimd: %s\n", err.detail);
        return 2;
    }
    int level = scim_log_level_parse(cfg.log_level);
    if (level < 0) {
        fprintf(stderr, "scimd: --log-level must be debug, info, warn or error, got '%s'\n",
                cfg.log_level);
        status = 2;
        goto out;
    }
    /* meta.location and Location are built on it: an absolute http(s) URL or nothing. */
    if (cfg.base_url[0] && strncmp(cfg.base_url, "http://", 7) != 0 &&
        strncmp(cfg.base_url, "https://", 8) != 0) {
        fprintf(stderr, "scimd: --base-url must be an absolute http:// or https:// URL, got '%s'\n",
                cfg.base_url);
        status = 2;
        goto out;
    }
    if (strpbrk(cfg.base_url, " \t\r\n\"<>")) {
        fprintf(stderr, "scimd: --base-url must not contain spaces, quotes or angle brackets\n");
        status = 2;
        goto out;
    }
    if (!scim_token_prefix_valid(cfg.token_prefix)) {
        fprintf(stderr, "scimd: --token-prefix must be 1 to 32 letters, digits or '-', got '%s'\n",
                cfg.token_prefix);
        status = 2;
        goto out;
    }
    scim_log_set_level((enum scim_log_level)level);
    if (scim_token_init() < 0) {
        fprintf(stderr, "scimd: libsodium could not be initialised\n");
        goto out;
    }

    /* Block the stop signals in every thread; the main thread waits for them below. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    long pool = cfg.threads > 0 ? (long)cfg.threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (scim_store_open(cfg.database, (int)(pool > 0 ? pool : 2) + 1, &store, &err) < 0) {
        fprintf(stderr, "scimd: cannot open database %s: %s\n", cfg.database, err.detail);
        goto out;
    }
    /* The audit writer prunes past retention at start, then hourly. */
    audit = scim_audit_log_start(store, cfg.audit_retention_days);
    if (!audit) {
        fprintf(stderr, "scimd: cannot start the audit log writer thread\n");
        goto out;
    }
    limits =
        scim_ratelimit_new(cfg.auth_fail_limit, cfg.rate_limit_per_tenant, cfg.rate_limit_burst);
    struct scimd_context ctx = {&cfg, store, audit, limits};
    if (scimd_server_start(&ctx, &server, &err) < 0) {
        fprintf(stderr, "scimd: %s\n", err.detail);
        goto out;
    }
    int sig = 0;
    sigwait(&stop_signals, &sig);
    scim_log(SCIM_LOG_INFO, "received %s; finishing in-flight requests",
             sig == SIGTERM ? "SIGTERM" : "SIGINT");
    scimd_server_stop(server, SHUTDOWN_GRACE_MS);
    server = NULL;
    scim_log(SCIM_LOG_INFO, "scimd stopped");
    status = 0;
out:
    scimd_server_stop(server, 0);
    /* Queued audit rows are written before the store closes. */
    scim_audit_log_stop(audit);
    scim_ratelimit_free(limits);
    scim_store_close(store);
    scim_config_free(&cfg);
    return status;
}
