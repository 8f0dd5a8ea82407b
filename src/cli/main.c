/*
 * scimctl — the admin command line. main reads the shared configuration (SCIMD_DATABASE,
 * SCIMD_TOKEN_PREFIX, ... as scimd does; --database overrides), opens the store and runs one
 * subcommand from the table. Subcommands live in cmd_<group>.c.
 */
#include "cli.h"
#include "mem.h"
#include "token.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct scimctl_command commands[] = {
    {"tenant", "create", scimctl_tenant_create, "tenant create NAME"},
    {"tenant", "list", scimctl_tenant_list, "tenant list [--json]"},
    {"tenant", "set", scimctl_tenant_set,
     "tenant set NAME default_role=ROLE|unknown_members=reject|skip|"
     "unknown_attributes=reject|ignore..."},
    {"role-map", "set", scimctl_rolemap_set,
     "role-map set [--tenant T] --group G --role R [--role R]... [--priority N] [--json]"},
    {"role-map", "list", scimctl_rolemap_list, "role-map list [--tenant T] [--json]"},
    {"role-map", "remove", scimctl_rolemap_remove, "role-map remove [--tenant T] --group G"},
    {"token", "create", scimctl_token_create,
     "token create --tenant T --description D --expires-in-days N [--scope S]... [--quiet]"},
    {"token", "list", scimctl_token_list, "token list [--tenant T] [--json]"},
    {"token", "revoke", scimctl_token_revoke, "token revoke ID"},
    {"client", "create", scimctl_client_create,
     "client create --tenant T --description D [--scope S]... [--json]"},
    {"client", "list", scimctl_client_list, "client list [--tenant T] [--json]"},
    {"client", "revoke", scimctl_client_revoke, "client revoke ID"},
    {"audit", "tail", scimctl_audit_tail, "audit tail [--tenant T] [-n N] [--json]"},
    {"audit", "search", scimctl_audit_search,
     "audit search [--tenant T] [--since TIME] [--until TIME] [--actor A] [--resource-id ID] "
     "[--limit N] [--cursor C] [--json]"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: scimctl [--database PATH] <command>\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  scimctl %s\n", commands[i].usage);
    fprintf(out, "\nThe database is --database, else $SCIMD_DATABASE, else ./var/scimd.db.\n");
}

const char *scimctl_flag(int argc, char **argv, const char *name, int *index)
{
    size_t len = strlen(name);
    for (int i = index ? *index : 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, len) != 0)
            continue;
        if (a[2 + len] == '=') {
            if (index)
                *index = i + 1;
            return a + 3 + len;
        }
        if (a[2 + len] == '\0' && i + 1 < argc) {
            if (index)
                *index = i + 2;
            return argv[i + 1];
        }
    }
    return NULL;
}

bool scimctl_switch(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0)
            return true;
    return false;
}

int scimctl_scopes(int argc, char **argv, char *out, size_t size)
{
    unsigned all = 0;
    int index = 1;
    const char *scope;
    while ((scope = scimctl_flag(argc, argv, "scope", &index)) != NULL) {
        unsigned bits;
        if (scim_token_parse_scopes(scope, &bits) < 0 || bits == 0)
            return scimctl_fail(2, "unknown scope '%s' (scopes: scim, scim:read, admin)", scope);
        all |= bits;
    }
    /* Each scope once, in the order the admin API writes them. */
    scim_token_scopes_text(all ? all : SCIM_SCOPE_SCIM, out, size);
    return 0;
}

const char *scimctl_text_or_dash(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && s[0] ? s : "-";
}

int scimctl_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("scimctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

/*
 * How the usage text of a command spells option name (len bytes, after as many dashes): 0 when it
 * does not, else 1 for a switch ("[--quiet]"), 2 for an option with a value ("--tenant T"),
 * 3 for one with a value that may be repeated ("[--scope S]...", anywhere). The usage line is the
 * one description of a command's options, so --help and this check cannot disagree.
 */
static int usage_option(const char *usage, int dashes, const char *name, size_t len)
{
    int kind = 0;
    for (const char *p = strchr(usage, '-'); p; p = strchr(p + 1, '-')) {
        if (p > usage && p[-1] != ' ' && p[-1] != '[')
            continue;
        if ((p[1] == '-' ? 2 : 1) != dashes)
            continue; /* "-tenant" is not "--tenant": the commands would not see it */
        const char *opt = p + dashes;
        size_t opt_len = strcspn(opt, " ]");
        if (opt_len != len || strncmp(opt, name, len) != 0)
            continue;
        const char *next = opt + opt_len;
        next += strspn(next, "] ");
        int this_kind = 1;
        if (*next >= 'A' && *next <= 'Z') {
            size_t placeholder = strcspn(next, " ]");
            this_kind = strncmp(next + placeholder, "]...", 4) == 0 ? 3 : 2;
        }
        if (this_kind > kind)
            kind = this_kind;
    }
    return kind;
}

/*
 * Checks the options after the command name against its usage line: an unknown option, one
 * without its value, or a single-valued one given twice is a usage error (exit status 2), so a
 * typo such as --tennant is never silently ignored. Returns 0, 2, or -1 after printing the
 * usage for --help.
 */
static int check_options(const struct scimctl_command *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0')
            continue; /* a positional argument */
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: scimctl %s\n", cmd->usage);
            return -1;
        }
        int dashes = a[1] == '-' ? 2 : 1;
        const char *name = a + dashes;
        size_t len = strcspn(name, "=");
        int kind = dashes == 2 && len == 8 && strncmp(name, "database", 8) == 0
                       ? 2
                       : usage_option(cmd->usage, dashes, name, len);
        if (kind == 0)
            return scimctl_fail(2, "unknown option %.*s for '%s %s' (usage: scimctl %s)",
                                (int)(name - a + len), a, cmd->group, cmd->name, cmd->usage);
        /* The commands read a switch by its bare name, and a one-dash option only as two
         * arguments ("-n 5"). */
        if (name[len] == '=' && (kind == 1 || dashes == 1))
            return scimctl_fail(2, "option %.*s takes no '=' (usage: scimctl %s)",
                                (int)(name - a + len), a, cmd->usage);
        if (kind >= 2 && name[len] != '=' && ++i >= argc)
            return scimctl_fail(2, "option %s needs a value (usage: scimctl %s)", a, cmd->usage);
        if (kind == 2) {
            for (int j = 1; j < i - (name[len] == '=' ? 0 : 1); j++) {
                const char *b = argv[j];
                const char *other = b + (b[0] == '-' && b[1] == '-' ? 2 : 1);
                if (b[0] == '-' && strncmp(other, name, len) == 0 &&
                    (other[len] == '\0' || other[len] == '='))
                    return scimctl_fail(2, "option %.*s is given twice", (int)(name - a + len), a);
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int status = 2;
    struct scimctl ctl;
    struct scim_err err;
    char *env_only[] = {argv[0], NULL};
    scim_err_clear(&err);
    scim_mem_init();
    memset(&ctl, 0, sizeof(ctl));
    if (scim_token_init() < 0)
        return scimctl_fail(1, "libsodium could not be initialised");
    if (scim_config_load(&ctl.cfg, 1, env_only, stdout, &err) < 0)
        return scimctl_fail(2, "%s", err.detail);
    /* A token minted with a prefix scimd refuses would fail on its every request. */
    if (!scim_token_prefix_valid(ctl.cfg.token_prefix)) {
        status =
            scimctl_fail(2, "SCIMD_TOKEN_PREFIX must be 1 to 32 letters, digits or '-', got '%s'",
                         ctl.cfg.token_prefix);
        scim_config_free(&ctl.cfg);
        return status;
    }

    /* Global options come before the command group. */
    int first = 1;
    while (first < argc && strncmp(argv[first], "--", 2) == 0) {
        if (strcmp(argv[first], "--help") == 0) {
            usage(stdout);
            status = 0;
            goto out;
        }
        const char *value = NULL;
        if (strncmp(argv[first], "--database=", 11) == 0) {
            value = argv[first] + 11;
            first++;
        } else if (strcmp(argv[first], "--database") == 0 && first + 1 < argc) {
            value = argv[first + 1];
            first += 2;
        } else {
            status = scimctl_fail(2, "unknown option %s (see --help)", argv[first]);
            goto out;
        }
        scim_free(ctl.cfg.database);
        ctl.cfg.database = scim_strdup(value);
    }
    if (argc - first < 2) {
        usage(stderr);
        goto out;
    }
    const struct scimctl_command *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].group, argv[first]) == 0 &&
            strcmp(commands[i].name, argv[first + 1]) == 0)
            cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr, "scimctl: unknown command '%s %s'\n", argv[first], argv[first + 1]);
        usage(stderr);
        goto out;
    }
    status = check_options(cmd, argc - first - 1, argv + first + 1);
    if (status != 0) {
        if (status < 0)
            status = 0;
        goto out;
    }
    status = 2;
    /* A subcommand may also take --database after its name. */
    const char *db = scimctl_flag(argc - first - 1, argv + first + 1, "database", NULL);
    if (db) {
        scim_free(ctl.cfg.database);
        ctl.cfg.database = scim_strdup(db);
    }
    /* Only "tenant create" starts a database: any other command on a missing file means a
     * mistyped path, not an empty roster. */
    bool creates = strcmp(cmd->group, "tenant") == 0 && strcmp(cmd->name, "create") == 0;
    if (!creates && access(ctl.cfg.database, F_OK) != 0) {
        status = scimctl_fail(1,
                              "no database at %s (check --database or SCIMD_DATABASE; scimd or "
                              "'scimctl tenant create' makes one)",
                              ctl.cfg.database);
        goto out;
    }
    if (scim_store_open(ctl.cfg.database, 1, &ctl.store, &err) < 0) {
        status = scimctl_fail(1, "cannot open database %s: %s", ctl.cfg.database, err.detail);
        goto out;
    }
    status = cmd->run(&ctl, argc - first - 1, argv + first + 1);
out:
    scim_store_close(ctl.store);
    scim_config_free(&ctl.cfg);
    return status;
}
