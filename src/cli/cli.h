/*
 * cli — what scimctl's subcommands share: the opened store, the configuration (read from the
 * same SCIMD_* environment as scimd, through the same option table), and small argument helpers.
 * Owns: nothing persistent. Must not: contain SQL (the store functions are the only way in).
 */
#ifndef SCIM_CLI_H
#define SCIM_CLI_H

#include "config.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scimctl {
    struct scim_config cfg;
    struct scim_store *store;
};

/* A subcommand: argv[0] is its own name ("create"); returns the process exit status. */
typedef int (*scimctl_cmd_fn)(struct scimctl *ctl, int argc, char **argv);

struct scimctl_command {
    const char *group; /* "tenant" */
    const char *name;  /* "create" */
    scimctl_cmd_fn run;
    const char *usage;
};

int scimctl_tenant_create(struct scimctl *ctl, int argc, char **argv);
int scimctl_tenant_list(struct scimctl *ctl, int argc, char **argv);
int scimctl_tenant_set(struct scimctl *ctl, int argc, char **argv);
int scimctl_rolemap_set(struct scimctl *ctl, int argc, char **argv);
int scimctl_rolemap_list(struct scimctl *ctl, int argc, char **argv);
int scimctl_rolemap_remove(struct scimctl *ctl, int argc, char **argv);
int scimctl_token_create(struct scimctl *ctl, int argc, char **argv);
int scimctl_token_list(struct scimctl *ctl, int argc, char **argv);
int scimctl_token_revoke(struct scimctl *ctl, int argc, char **argv);
int scimctl_client_create(struct scimctl *ctl, int argc, char **argv);
int scimctl_client_list(struct scimctl *ctl, int argc, char **argv);
int scimctl_client_revoke(struct scimctl *ctl, int argc, char **argv);
int scimctl_audit_tail(struct scimctl *ctl, int argc, char **argv);
int scimctl_audit_search(struct scimctl *ctl, int argc, char **argv);

/*
 * Finds "--name value" or "--name=value" in argv[1..); returns the value (borrowed) or NULL.
 * Repeated flags: *index lets the caller continue after the previous match (start at 1).
 */
const char *scimctl_flag(int argc, char **argv, const char *name, int *index);
/* True when the bare flag "--name" is present. */
bool scimctl_switch(int argc, char **argv, const char *name);
/*
 * Joins every --scope flag of argv into out (space-separated; "scim" when none is given).
 * Returns 0, or the exit status 2 after printing which scope is unknown.
 */
int scimctl_scopes(int argc, char **argv, char *out, size_t size);
/* The string member key of obj, or "-" when it is absent, null or empty (for table output). */
const char *scimctl_text_or_dash(const json_t *obj, const char *key);
/* Prints "scimctl: <message>" to stderr and returns exit status 1 (2 for usage errors). */
int scimctl_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
