/*
 * test_groups_store — the group part of the store (store_groups.h) against the SQLite backend:
 * groups created with members, displayName uniqueness, unknown and foreign member ids (rejected,
 * or skipped by the tenant setting), idempotent adds and removes, the membership diff of a SET,
 * type checks, nested groups expanded recursively (direct and indirect), cycle detection,
 * deletes that remove membership rows, effective roles from group mappings (the Veza rule: a
 * role persists while any group grants it), role mappings by id or displayName, tenant
 * settings, tenant isolation, that rendering without members reads no membership row, and that
 * the handlers ask for membership rows only when the projection keeps what they give
 * (scim_derive_wanted in h_groups.c).
 * Each test gets a fresh database in its own temporary directory.
 * Owns: nothing but its fixtures. Must not: depend on the daemon.
 */
#include "err.h"
#include "filter.h"
#include "handlers.h"
#include "list.h"
#include "mem.h"
#include "resource.h"
#include "roles.h"
#include "store.h"
#include "store_backend.h"
#include "store_groups.h"
#include "store_sqlite_internal.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>

#include <cmocka.h>

#define USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"
#define GROUP_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Group"

struct fixture {
    char dir[64];
    char path[128];
    struct scim_store *st;
    struct scim_tenant acme;
    struct scim_tenant globex;
};

/* A created resource's id. */
struct ref {
    char id[40];
};

/* ---- helpers ---------------------------------------------------------------------------- */

static int setup(void **state)
{
    struct fixture *f = scim_calloc(1, sizeof(*f));
    struct scim_err err;
    snprintf(f->dir, sizeof(f->dir), "/tmp/scimd-test-groups-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/scimd.db", f->dir);
    assert_int_equal(scim_store_open(f->path, 2, &f->st, &err), 0);
    assert_int_equal(scim_store_tenant_create(f->st, "acme", &f->acme, &err), 0);
    assert_int_equal(scim_store_tenant_create(f->st, "globex", &f->globex, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    scim_store_close(f->st);
    static const char *const files[] = {"scimd.db", "scimd.db-wal", "scimd.db-shm"};
    char p[160];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", f->dir, files[i]);
        unlink(p);
    }
    rmdir(f->dir);
    scim_free(f);
    return 0;
}

/* The first column of the first row of a printf-formatted query on a raw connection. */
static int64_t raw_int(const struct fixture *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int64_t raw_int(const struct fixture *f, const char *fmt, ...)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_free(sql);
    sqlite3_close(db);
    return v;
}

static void create_user(struct fixture *f, const struct scim_tenant *t, const char *user_name,
                        struct ref *out)
{
    struct scim_err err;
    struct scim_resource r = {0};
    json_t *doc = json_pack("{s:[s],s:s}", "schemas", USER_SCHEMA, "userName", user_name);
    if (scim_store_resource_create(f->st, t, "User", doc, NULL, &r, NULL, &err) != 0)
        fail_msg("create user %s: %s", user_name, err.detail);
    snprintf(out->id, sizeof(out->id), "%s", r.id);
    scim_resource_clear(&r);
    json_decref(doc);
}

static json_t *group_doc(const char *name)
{
    return json_pack("{s:[s],s:s}", "schemas", GROUP_SCHEMA, "displayName", name);
}

/* Creates a group with members ids[0..n) (untyped refs); returns the store's result code. */
static int try_create_group(struct fixture *f, const struct scim_tenant *t, const char *name,
                            const struct ref *members, size_t n, struct ref *out,
                            struct scim_members_report *report, struct scim_err *err)
{
    struct scim_member_ref refs[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++)
        refs[i] = (struct scim_member_ref){members[i].id, SCIM_MEMBER_UNTYPED};
    struct scim_resource r = {0};
    json_t *doc = group_doc(name);
    scim_err_clear(err);
    int rc = scim_store_group_create(f->st, t, doc, refs, n, &r, report, NULL, err);
    if (rc == 0 && out)
        snprintf(out->id, sizeof(out->id), "%s", r.id);
    scim_resource_clear(&r);
    json_decref(doc);
    return rc;
}

static void create_group(struct fixture *f, const struct scim_tenant *t, const char *name,
                         const struct ref *members, size_t n, struct ref *out)
{
    struct scim_err err;
    if (try_create_group(f, t, name, members, n, out, NULL, &err) != 0)
        fail_msg("create group %s: %d %s", name, err.status, err.detail);
}

/* One membership change of group g with the ids[0..n); returns the store's result code. */
static int change(struct fixture *f, const char *g, enum scim_members_op op, const struct ref *ids,
                  size_t n, struct scim_members_report *report, struct scim_err *err)
{
    struct scim_member_ref refs[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++)
        refs[i] = (struct scim_member_ref){ids[i].id, SCIM_MEMBER_UNTYPED};
    struct scim_members_change c = {op, refs, n};
    scim_err_clear(err);
    return scim_store_group_modify(f->st, &f->acme, g, -1, NULL, &c, 1, NULL, report, NULL, err);
}

static void must_change(struct fixture *f, const char *g, enum scim_members_op op,
                        const struct ref *ids, size_t n)
{
    struct scim_err err;
    if (change(f, g, op, ids, n, NULL, &err) != 0)
        fail_msg("change %s: %d %s", g, err.status, err.detail);
}

static int64_t version_of(struct fixture *f, const char *rt, const char *id)
{
    struct scim_resource r = {0};
    struct scim_err err;
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, rt, id, &r, &err), 0);
    int64_t v = r.version;
    scim_resource_clear(&r);
    return v;
}

/* Returns a new reference: resource id of type rt in tenant t with `what` derived. */
static json_t *derived(struct fixture *f, const struct scim_tenant *t, const char *rt,
                       const char *id, unsigned what)
{
    json_t *doc = json_object();
    struct scim_err err;
    const char *ids[1] = {id};
    json_t *docs[1] = {doc};
    if (scim_store_derive(f->st, t, rt, ids, docs, 1, what, &err) != 0)
        fail_msg("derive %s: %s", id, err.detail);
    return doc;
}

/* The member ids of group g, in order, joined by ",". */
static void member_list(struct fixture *f, const char *g, char *out, size_t size)
{
    json_t *doc = derived(f, &f->acme, "Group", g, SCIM_DERIVE_MEMBERS);
    size_t i, used = 0;
    json_t *m;
    out[0] = '\0';
    json_array_foreach (json_object_get(doc, "members"), i, m) {
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "",
                                 json_string_value(json_object_get(m, "value")));
        assert_true(used < size);
    }
    json_decref(doc);
}

/* The same for a list of refs. */
static void ref_list(const struct ref *refs, size_t n, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "", refs[i].id);
}

static void assert_members(struct fixture *f, const char *g, const struct ref *want, size_t n)
{
    char got[1024], expected[1024];
    member_list(f, g, got, sizeof(got));
    ref_list(want, n, expected, sizeof(expected));
    assert_string_equal(got, expected);
}

/* The effective role values of user u, joined by ",", and its primary role. */
static void roles_of(struct fixture *f, const char *u, char *out, size_t size, char *primary,
                     size_t psize)
{
    json_t *eff = NULL;
    struct scim_err err;
    if (scim_store_user_roles(f->st, &f->acme, u, &eff, &err) != 0)
        fail_msg("roles of %s: %s", u, err.detail);
    json_t *resp = scim_roles_response(u, eff);
    size_t i, used = 0;
    json_t *r;
    out[0] = '\0';
    json_array_foreach (json_object_get(resp, "roles"), i, r)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "",
                                 json_string_value(json_object_get(r, "value")));
    const char *p = json_string_value(json_object_get(resp, "primary"));
    snprintf(primary, psize, "%s", p ? p : "");
    json_decref(resp);
    json_decref(eff);
}

static void map_roles(struct fixture *f, const char *group, const char *role, int64_t priority)
{
    struct scim_err err;
    const char *roles[1] = {role};
    if (scim_store_role_mapping_set(f->st, &f->acme, group, roles, 1, priority, NULL, NULL, &err) !=
        0)
        fail_msg("map %s: %s", group, err.detail);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_groups_store_create_with_members(void **state)
{
    struct fixture *f = *state;
    struct ref u[2], g;
    create_user(f, &f->acme, "ann", &u[0]);
    create_user(f, &f->acme, "bob", &u[1]);
    create_group(f, &f->acme, "Engineering", u, 2, &g);
    assert_members(f, g.id, u, 2);
    /* The document holds no members array: membership is rows. */
    assert_int_equal(
        raw_int(f, "SELECT count(*) FROM resources WHERE id = '%s' AND doc LIKE '%%members%%'",
                g.id),
        0);
    assert_int_equal(raw_int(f,
                             "SELECT count(*) FROM group_members WHERE group_rowid = "
                             "(SELECT rowid FROM resources WHERE id = '%s')",
                             g.id),
                     2);
    json_t *doc = derived(f, &f->acme, "Group", g.id, SCIM_DERIVE_MEMBERS);
    json_t *m0 = json_array_get(json_object_get(doc, "members"), 0);
    assert_string_equal(json_string_value(json_object_get(m0, "type")), "User");
    /* A user without displayName shows its userName. */
    assert_string_equal(json_string_value(json_object_get(m0, "display")), "ann");
    json_decref(doc);
    /* The user's groups: one, direct, with the group's displayName. */
    doc = derived(f, &f->acme, "User", u[0].id, SCIM_DERIVE_GROUPS);
    json_t *g0 = json_array_get(json_object_get(doc, "groups"), 0);
    assert_string_equal(json_string_value(json_object_get(g0, "value")), g.id);
    assert_string_equal(json_string_value(json_object_get(g0, "display")), "Engineering");
    assert_string_equal(json_string_value(json_object_get(g0, "type")), "direct");
    json_decref(doc);
}

static void test_groups_store_display_name_unique(void **state)
{
    struct fixture *f = *state;
    struct ref g, h, other;
    struct scim_err err;
    create_group(f, &f->acme, "Admins", NULL, 0, &g);
    assert_int_equal(try_create_group(f, &f->acme, "aDMINS", NULL, 0, NULL, NULL, &err),
                     SCIM_ECONFLICT);
    assert_string_equal(err.scim_type, SCIM_TYPE_UNIQUENESS);
    /* Another tenant may use the name. */
    create_group(f, &f->globex, "Admins", NULL, 0, &other);
    /* A rename onto a taken name is a 409 too; renaming to its own name in another case is not. */
    create_group(f, &f->acme, "Ops", NULL, 0, &h);
    json_t *doc = group_doc("ADMINS");
    assert_int_equal(
        scim_store_group_modify(f->st, &f->acme, h.id, -1, doc, NULL, 0, NULL, NULL, NULL, &err),
        SCIM_ECONFLICT);
    json_decref(doc);
    doc = group_doc("OPS");
    assert_int_equal(
        scim_store_group_modify(f->st, &f->acme, h.id, -1, doc, NULL, 0, NULL, NULL, NULL, &err),
        0);
    json_decref(doc);
    /* A deleted group's name is free again. */
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, "Group", g.id, -1, NULL, &err), 0);
    create_group(f, &f->acme, "admins", NULL, 0, NULL);
}

static void test_groups_store_unknown_member_rejected_or_skipped(void **state)
{
    struct fixture *f = *state;
    struct ref u, foreign, bogus = {"no-such-id"};
    struct scim_err err;
    create_user(f, &f->acme, "ann", &u);
    create_user(f, &f->globex, "eve", &foreign);
    struct ref members[2] = {u, bogus};
    assert_int_equal(try_create_group(f, &f->acme, "G", members, 2, NULL, NULL, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_VALUE);
    assert_non_null(strstr(err.detail, "no-such-id"));
    /* Nothing was written. */
    assert_int_equal(raw_int(f, "SELECT count(*) FROM resources WHERE type = 'Group'"), 0);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM group_members"), 0);
    /* A user of another tenant is unknown here. */
    members[1] = foreign;
    assert_int_equal(try_create_group(f, &f->acme, "G", members, 2, NULL, NULL, &err), SCIM_ERR);
    assert_non_null(strstr(err.detail, foreign.id));
    /* With unknown_members=skip the unknown ids are ignored and reported. */
    assert_int_equal(
        scim_store_tenant_setting_set(f->st, &f->acme, SCIM_SETTING_UNKNOWN_MEMBERS, "skip", &err),
        0);
    struct scim_members_report rep = {0};
    struct ref g;
    assert_int_equal(try_create_group(f, &f->acme, "G", members, 2, &g, &rep, &err), 0);
    assert_int_equal(rep.added, 1);
    assert_int_equal(rep.n_skipped, 1);
    assert_string_equal(rep.skipped[0], foreign.id);
    scim_members_report_clear(&rep);
    assert_members(f, g.id, &u, 1);
    json_t *settings = NULL;
    assert_int_equal(scim_store_tenant_settings(f->st, &f->acme, &settings, &err), 0);
    assert_string_equal(json_string_value(json_object_get(settings, "unknown_members")), "skip");
    json_decref(settings);
    /* Removing the setting restores the default. */
    assert_int_equal(
        scim_store_tenant_setting_set(f->st, &f->acme, SCIM_SETTING_UNKNOWN_MEMBERS, NULL, &err),
        0);
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_ADD, &bogus, 1, NULL, &err), SCIM_ERR);
    assert_int_equal(err.status, 400);
}

static void test_groups_store_add_remove_idempotent(void **state)
{
    struct fixture *f = *state;
    struct ref u[3], g;
    struct scim_err err;
    create_user(f, &f->acme, "ann", &u[0]);
    create_user(f, &f->acme, "bob", &u[1]);
    create_user(f, &f->acme, "cid", &u[2]);
    create_group(f, &f->acme, "G", NULL, 0, &g);
    assert_int_equal(version_of(f, "Group", g.id), 1);
    struct scim_members_report rep = {0};
    /* One request adding the same member twice, then the same request again (JumpCloud). */
    struct ref twice[2] = {u[0], u[0]};
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_ADD, twice, 2, &rep, &err), 0);
    assert_int_equal(rep.added, 1);
    assert_int_equal(version_of(f, "Group", g.id), 2);
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_ADD, twice, 2, &rep, &err), 0);
    assert_int_equal(rep.added, 0);
    assert_int_equal(version_of(f, "Group", g.id), 2);
    /* Removing a member that is not there changes nothing. */
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_REMOVE, &u[1], 1, &rep, &err), 0);
    assert_int_equal(rep.removed, 0);
    assert_int_equal(version_of(f, "Group", g.id), 2);
    must_change(f, g.id, SCIM_MEMBERS_ADD, &u[1], 2);
    assert_int_equal(version_of(f, "Group", g.id), 3);
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_REMOVE, &u[0], 1, &rep, &err), 0);
    assert_int_equal(rep.removed, 1);
    assert_int_equal(version_of(f, "Group", g.id), 4);
    assert_members(f, g.id, &u[1], 2);
    scim_members_report_clear(&rep);
    /* An expected version that is stale is a 412 and changes nothing. */
    struct scim_member_ref r = {u[0].id, SCIM_MEMBER_USER};
    struct scim_members_change c = {SCIM_MEMBERS_ADD, &r, 1};
    assert_int_equal(
        scim_store_group_modify(f->st, &f->acme, g.id, 3, NULL, &c, 1, NULL, NULL, NULL, &err),
        SCIM_EPRECONDITION);
    assert_members(f, g.id, &u[1], 2);
    /* Unknown group: 404. */
    assert_int_equal(
        scim_store_group_modify(f->st, &f->acme, "nope", -1, NULL, &c, 1, NULL, NULL, NULL, &err),
        SCIM_ENOTFOUND);
    /* Remove everything. */
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_REMOVE_ALL, NULL, 0, &rep, &err), 0);
    assert_int_equal(rep.removed, 2);
    assert_members(f, g.id, NULL, 0);
}

static void test_groups_store_set_writes_only_the_difference(void **state)
{
    struct fixture *f = *state;
    struct ref u[6], g;
    struct scim_err err;
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof(name), "user%d", i);
        create_user(f, &f->acme, name, &u[i]);
    }
    create_group(f, &f->acme, "G", u, 4, &g); /* 0 1 2 3 */
    /* Wanted: 5 3 1 4 (and 3 again); so 0 and 2 go, 4 and 5 come, 1 and 3 stay. */
    struct ref want[5] = {u[5], u[3], u[1], u[4], u[3]};
    struct scim_members_report rep = {0};
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_SET, want, 5, &rep, &err), 0);
    assert_int_equal(rep.added, 2);
    assert_int_equal(rep.removed, 2);
    struct ref now[4] = {u[1], u[3], u[4], u[5]};
    assert_members(f, g.id, now, 4);
    int64_t v = version_of(f, "Group", g.id);
    /* The same set again writes nothing and keeps the version. */
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_SET, want, 5, &rep, &err), 0);
    assert_int_equal(rep.added + rep.removed, 0);
    assert_int_equal(version_of(f, "Group", g.id), v);
    /* An empty set removes everyone. */
    assert_int_equal(change(f, g.id, SCIM_MEMBERS_SET, NULL, 0, &rep, &err), 0);
    assert_int_equal(rep.removed, 4);
    scim_members_report_clear(&rep);
    assert_members(f, g.id, NULL, 0);
    /* Operations of one write apply in order: add then remove of the same member is nothing. */
    struct scim_member_ref r = {u[0].id, SCIM_MEMBER_UNTYPED};
    struct scim_members_change steps[2] = {{SCIM_MEMBERS_ADD, &r, 1}, {SCIM_MEMBERS_REMOVE, &r, 1}};
    assert_int_equal(
        scim_store_group_modify(f->st, &f->acme, g.id, -1, NULL, steps, 2, NULL, NULL, NULL, &err),
        0);
    assert_members(f, g.id, NULL, 0);
}

static void test_groups_store_member_type_checked(void **state)
{
    struct fixture *f = *state;
    struct ref u, inner, g;
    struct scim_err err;
    create_user(f, &f->acme, "ann", &u);
    create_group(f, &f->acme, "Inner", NULL, 0, &inner);
    create_group(f, &f->acme, "Outer", NULL, 0, &g);
    struct scim_member_ref wrong = {u.id, SCIM_MEMBER_GROUP};
    struct scim_members_change c = {SCIM_MEMBERS_ADD, &wrong, 1};
    assert_int_equal(
        scim_store_group_modify(f->st, &f->acme, g.id, -1, NULL, &c, 1, NULL, NULL, NULL, &err),
        SCIM_ERR);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_VALUE);
    assert_non_null(strstr(err.detail, "is a User, not a Group"));
    /* Typed correctly, and untyped (the type is looked up). */
    struct scim_member_ref ok[2] = {{u.id, SCIM_MEMBER_USER}, {inner.id, SCIM_MEMBER_UNTYPED}};
    c.refs = ok;
    c.n = 2;
    assert_int_equal(
        scim_store_group_modify(f->st, &f->acme, g.id, -1, NULL, &c, 1, NULL, NULL, NULL, &err), 0);
    json_t *doc = derived(f, &f->acme, "Group", g.id, SCIM_DERIVE_MEMBERS);
    json_t *m = json_object_get(doc, "members");
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "type")), "Group");
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "display")),
                        "Inner");
    json_decref(doc);
}

static void test_groups_store_nested_groups_expand(void **state)
{
    struct fixture *f = *state;
    struct ref u, a, b, c, d;
    create_user(f, &f->acme, "ann", &u);
    create_group(f, &f->acme, "A", &u, 1, &a); /* ann ∈ A */
    create_group(f, &f->acme, "B", &a, 1, &b); /* A ∈ B */
    create_group(f, &f->acme, "C", &b, 1, &c); /* B ∈ C */
    struct ref both[2] = {u, c};
    create_group(f, &f->acme, "D", both, 2, &d); /* ann ∈ D and C ∈ D */
    json_t *doc = derived(f, &f->acme, "User", u.id, SCIM_DERIVE_GROUPS);
    json_t *groups = json_object_get(doc, "groups");
    assert_int_equal(json_array_size(groups), 4);
    static const char *const types[4] = {"direct", "indirect", "indirect", "direct"};
    const struct ref *expected[4] = {&a, &b, &c, &d};
    for (size_t i = 0; i < 4; i++) {
        json_t *g = json_array_get(groups, i);
        assert_string_equal(json_string_value(json_object_get(g, "value")), expected[i]->id);
        /* D is both direct and reachable through C: direct wins. */
        assert_string_equal(json_string_value(json_object_get(g, "type")), types[i]);
    }
    json_decref(doc);
    /* Tenant isolation: another tenant derives nothing for these ids. */
    doc = derived(f, &f->globex, "User", u.id, SCIM_DERIVE_GROUPS | SCIM_DERIVE_ROLES);
    assert_null(json_object_get(doc, "groups"));
    assert_null(json_object_get(doc, "roles"));
    json_decref(doc);
}

static void test_groups_store_cycles_rejected(void **state)
{
    struct fixture *f = *state;
    struct ref a, b, c;
    struct scim_err err;
    create_group(f, &f->acme, "A", NULL, 0, &a);
    create_group(f, &f->acme, "B", &a, 1, &b); /* A ∈ B */
    create_group(f, &f->acme, "C", &b, 1, &c); /* B ∈ C */
    /* A group in itself. */
    assert_int_equal(change(f, a.id, SCIM_MEMBERS_ADD, &a, 1, NULL, &err), SCIM_ERR);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_VALUE);
    assert_non_null(strstr(err.detail, "itself"));
    /* C ∈ A would close A → B → C → A. */
    assert_int_equal(change(f, a.id, SCIM_MEMBERS_ADD, &c, 1, NULL, &err), SCIM_ERR);
    assert_non_null(strstr(err.detail, "cycle"));
    assert_non_null(strstr(err.detail, c.id));
    /* The same through a SET, and B ∈ A directly. */
    assert_int_equal(change(f, a.id, SCIM_MEMBERS_SET, &b, 1, NULL, &err), SCIM_ERR);
    assert_non_null(strstr(err.detail, "cycle"));
    assert_members(f, a.id, NULL, 0);
    /* A diamond is not a cycle: A ∈ C directly as well. */
    must_change(f, c.id, SCIM_MEMBERS_ADD, &a, 1);
    struct ref cm[2] = {a, b}; /* in member creation order */
    assert_members(f, c.id, cm, 2);
}

static void test_groups_store_delete_removes_memberships(void **state)
{
    struct fixture *f = *state;
    struct ref u[2], g, parent;
    struct scim_err err;
    create_user(f, &f->acme, "ann", &u[0]);
    create_user(f, &f->acme, "bob", &u[1]);
    create_group(f, &f->acme, "G", u, 2, &g);
    create_group(f, &f->acme, "Parent", &g, 1, &parent);
    map_roles(f, g.id, "admin", 1);
    int64_t v = version_of(f, "Group", g.id);
    /* Deleting a user removes its rows and changes the groups it was in. */
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, "User", u[0].id, -1, NULL, &err),
                     0);
    assert_members(f, g.id, &u[1], 1);
    assert_int_equal(version_of(f, "Group", g.id), v + 1);
    /* The tombstone stays. */
    assert_int_equal(
        raw_int(f, "SELECT count(*) FROM resources WHERE id = '%s' AND deleted_ms IS NOT NULL",
                u[0].id),
        1);
    /* Deleting a group removes its members' rows, its own membership and its role mappings. */
    assert_int_equal(scim_store_resource_delete(f->st, &f->acme, "Group", g.id, -1, NULL, &err), 0);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM group_members"), 0);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM role_mappings"), 0);
    assert_members(f, parent.id, NULL, 0);
    json_t *doc = derived(f, &f->acme, "User", u[1].id, SCIM_DERIVE_GROUPS);
    assert_null(json_object_get(doc, "groups"));
    json_decref(doc);
    assert_int_equal(scim_store_check(f->st, &err), 0);
}

static void test_groups_store_roles_persist_while_granted(void **state)
{
    struct fixture *f = *state;
    struct ref u, g1, g2, parent;
    char roles[256], primary[64];
    struct scim_err err;
    create_user(f, &f->acme, "ann", &u);
    /* Default role on create. */
    roles_of(f, u.id, roles, sizeof(roles), primary, sizeof(primary));
    assert_string_equal(roles, "viewer");
    assert_string_equal(primary, "viewer");
    create_group(f, &f->acme, "Admins One", &u, 1, &g1);
    create_group(f, &f->acme, "Admins Two", &u, 1, &g2);
    map_roles(f, "admins one", "admin", 10); /* by displayName, ignoring case */
    map_roles(f, g2.id, "admin", 5);
    json_t *eff = NULL;
    assert_int_equal(scim_store_user_roles(f->st, &f->acme, u.id, &eff, &err), 0);
    json_t *admin = json_array_get(eff, 0);
    assert_string_equal(json_string_value(json_object_get(admin, "value")), "admin");
    assert_int_equal(json_array_size(json_object_get(admin, "sources")), 2);
    assert_int_equal(json_integer_value(json_object_get(admin, "priority")), 10);
    json_decref(eff);
    roles_of(f, u.id, roles, sizeof(roles), primary, sizeof(primary));
    assert_string_equal(roles, "admin,viewer");
    assert_string_equal(primary, "admin");
    /* The Veza rule: removed from one group, the role stays; from both, it is gone. */
    must_change(f, g1.id, SCIM_MEMBERS_REMOVE, &u, 1);
    roles_of(f, u.id, roles, sizeof(roles), primary, sizeof(primary));
    assert_string_equal(roles, "admin,viewer");
    must_change(f, g2.id, SCIM_MEMBERS_REMOVE, &u, 1);
    roles_of(f, u.id, roles, sizeof(roles), primary, sizeof(primary));
    assert_string_equal(roles, "viewer");
    /* Through a nested group: ann ∈ g1 ∈ parent, and parent grants auditor. */
    must_change(f, g1.id, SCIM_MEMBERS_ADD, &u, 1);
    create_group(f, &f->acme, "Parent", &g1, 1, &parent);
    map_roles(f, parent.id, "auditor", 20);
    roles_of(f, u.id, roles, sizeof(roles), primary, sizeof(primary));
    assert_string_equal(roles, "auditor,admin,viewer");
    assert_string_equal(primary, "auditor");
    /* Deleting the group that grants a role takes the role away. */
    assert_int_equal(
        scim_store_resource_delete(f->st, &f->acme, "Group", parent.id, -1, NULL, &err), 0);
    roles_of(f, u.id, roles, sizeof(roles), primary, sizeof(primary));
    assert_string_equal(roles, "admin,viewer");
    /* The default role is a tenant setting; "" means none. */
    assert_int_equal(
        scim_store_tenant_setting_set(f->st, &f->acme, SCIM_SETTING_DEFAULT_ROLE, "member", &err),
        0);
    roles_of(f, u.id, roles, sizeof(roles), primary, sizeof(primary));
    assert_string_equal(roles, "admin,member");
    assert_int_equal(
        scim_store_tenant_setting_set(f->st, &f->acme, SCIM_SETTING_DEFAULT_ROLE, "", &err), 0);
    roles_of(f, u.id, roles, sizeof(roles), primary, sizeof(primary));
    assert_string_equal(roles, "admin");
    /* Rendered into the User: the group-derived entry is marked. */
    json_t *doc = json_pack("{s:[{s:s}]}", "roles", "value", "idp-role");
    const char *ids[1] = {u.id};
    json_t *docs[1] = {doc};
    assert_int_equal(
        scim_store_derive(f->st, &f->acme, "User", ids, docs, 1, SCIM_DERIVE_ROLES, &err), 0);
    json_t *rendered = json_object_get(doc, "roles");
    assert_int_equal(json_array_size(rendered), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rendered, 1), "value")),
                        "admin");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rendered, 1), "type")),
                        "group");
    json_decref(doc);
    /* Unknown user: 404. */
    assert_int_equal(scim_store_user_roles(f->st, &f->acme, "nope", &eff, &err), SCIM_ENOTFOUND);
}

static void test_groups_store_role_mappings(void **state)
{
    struct fixture *f = *state;
    struct ref g;
    struct scim_err err;
    create_group(f, &f->acme, "Ops", NULL, 0, &g);
    const char *roles[3] = {"operator", "admin", "operator"};
    json_t *out = NULL;
    assert_int_equal(
        scim_store_role_mapping_set(f->st, &f->acme, "OPS", roles, 3, 7, &out, NULL, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "group")), g.id);
    assert_string_equal(json_string_value(json_object_get(out, "displayName")), "Ops");
    assert_int_equal(json_array_size(json_object_get(out, "roles")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(out, "roles"), 0)),
                        "admin");
    assert_int_equal(json_integer_value(json_object_get(out, "priority")), 7);
    json_decref(out);
    /* A second set replaces the group's roles. */
    assert_int_equal(
        scim_store_role_mapping_set(f->st, &f->acme, g.id, roles, 1, 3, NULL, NULL, &err), 0);
    assert_int_equal(scim_store_role_mapping_list(f->st, &f->acme, &out, &err), 0);
    assert_int_equal(json_array_size(out), 1);
    json_t *m = json_array_get(out, 0);
    assert_int_equal(json_array_size(json_object_get(m, "roles")), 1);
    assert_int_equal(json_integer_value(json_object_get(m, "priority")), 3);
    json_decref(out);
    /* Another tenant sees none, and cannot name this group. */
    assert_int_equal(scim_store_role_mapping_list(f->st, &f->globex, &out, &err), 0);
    assert_int_equal(json_array_size(out), 0);
    json_decref(out);
    assert_int_equal(
        scim_store_role_mapping_set(f->st, &f->globex, g.id, roles, 1, 3, NULL, NULL, &err),
        SCIM_ENOTFOUND);
    assert_int_equal(scim_store_role_mapping_remove(f->st, &f->globex, g.id, NULL, &err),
                     SCIM_ENOTFOUND);
    /* Remove, then remove again: 404. */
    assert_int_equal(scim_store_role_mapping_remove(f->st, &f->acme, "ops", NULL, &err), 0);
    assert_int_equal(scim_store_role_mapping_remove(f->st, &f->acme, "ops", NULL, &err),
                     SCIM_ENOTFOUND);
    assert_int_equal(
        scim_store_role_mapping_set(f->st, &f->acme, "nope", roles, 1, 0, NULL, NULL, &err),
        SCIM_ENOTFOUND);
}

static void test_groups_store_render_without_members_reads_no_rows(void **state)
{
    struct fixture *f = *state;
    struct ref u[2], g;
    struct scim_err err;
    create_user(f, &f->acme, "ann", &u[0]);
    create_user(f, &f->acme, "bob", &u[1]);
    create_group(f, &f->acme, "G", u, 2, &g);
    long before = scim_sqlite_membership_reads();
    /* What GET /Groups/{id}?excludedAttributes=members does: get, then derive nothing. */
    struct scim_resource r = {0};
    assert_int_equal(scim_store_resource_get(f->st, &f->acme, "Group", g.id, &r, &err), 0);
    assert_null(json_object_get(r.doc, "members"));
    const char *ids[1] = {g.id};
    json_t *docs[1] = {r.doc};
    assert_int_equal(scim_store_derive(f->st, &f->acme, "Group", ids, docs, 1, 0, &err), 0);
    /* Users' attributes asked of a Group do not apply either. */
    assert_int_equal(scim_store_derive(f->st, &f->acme, "Group", ids, docs, 1,
                                       SCIM_DERIVE_GROUPS | SCIM_DERIVE_ROLES, &err),
                     0);
    assert_int_equal(scim_sqlite_membership_reads(), before);
    assert_null(json_object_get(r.doc, "members"));
    assert_int_equal(
        scim_store_derive(f->st, &f->acme, "Group", ids, docs, 1, SCIM_DERIVE_MEMBERS, &err), 0);
    assert_int_equal(scim_sqlite_membership_reads(), before + 1);
    assert_int_equal(json_array_size(json_object_get(r.doc, "members")), 2);
    scim_resource_clear(&r);
}

static void test_groups_store_display_name_filter_is_indexed(void **state)
{
    struct fixture *f = *state;
    struct scim_err err;
    create_group(f, &f->acme, "Engineering", NULL, 0, NULL);
    const struct scim_resource_type *rt = scim_resource_type_find("Group");
    assert_non_null(rt);
    struct scim_filter *flt = NULL;
    assert_int_equal(scim_filter_parse(rt, "displayName eq \"engineering\"", NULL, &flt, &err), 0);
    struct scim_list_query q = {.filter = flt, .start_index = 1, .count = 10};
    char *plan = NULL;
    assert_int_equal(scim_store_sqlite_explain(f->st, &f->acme, "Group", &q, &plan, &err), 0);
    if (!strstr(plan, "USING INDEX resources_display_name") || strstr(plan, "SCAN r"))
        fail_msg("displayName eq must search resources_display_name:\n%s", plan);
    scim_free(plan);
    struct scim_list_page page = {0};
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, "Group", &q, &page, &err), 0);
    assert_int_equal(page.total, 1);
    scim_store_page_clear(&page);
    scim_filter_free(flt);
}

/* The ids of every live resource of type rt in the tenant (at most 64), in creation order. */
static size_t all_ids(struct fixture *f, const char *rt, struct ref *out)
{
    struct scim_list_query q = {.start_index = 1, .count = 64};
    struct scim_list_page page = {0};
    struct scim_err err;
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, rt, &q, &page, &err), 0);
    for (size_t i = 0; i < page.n; i++)
        snprintf(out[i].id, sizeof(out[i].id), "%s", page.rows[i].id);
    size_t n = page.n;
    scim_store_page_clear(&page);
    return n;
}

/* Filters on members (Groups) and groups (Users) are answered from the membership rows, with the
 * result the in-memory evaluator gives over the rendered resources. */
static void test_groups_store_membership_filters_match_evaluator(void **state)
{
    struct fixture *f = *state;
    struct ref u[4], a, b, c;
    struct scim_err err;
    create_user(f, &f->acme, "ann", &u[0]);
    create_user(f, &f->acme, "bob", &u[1]);
    create_user(f, &f->acme, "cid", &u[2]);
    create_user(f, &f->acme, "dee", &u[3]); /* in no group */
    struct ref am[2] = {u[0], u[1]};
    create_group(f, &f->acme, "Alpha", am, 2, &a);
    struct ref bm[2] = {a, u[2]};
    create_group(f, &f->acme, "Beta", bm, 2, &b); /* Alpha ⊂ Beta */
    struct ref cm[2] = {b, u[0]};
    create_group(f, &f->acme, "Gamma", cm, 2, &c); /* Beta ⊂ Gamma; ann also direct */
    create_group(f, &f->acme, "Empty", NULL, 0, NULL);
    char *group_filters[] = {
        scim_asprintf("members.value eq \"%s\"", u[0].id),
        scim_asprintf("members[value eq \"%s\"]", a.id),
        scim_asprintf("members.value eq \"%s\"", "NOT-AN-ID"),
        scim_asprintf("not (members.value eq \"%s\")", u[2].id),
        scim_asprintf("members.value ne \"%s\"", u[2].id),
        scim_strdup("members[type eq \"Group\"]"),
        scim_strdup("members.display co \"nn\""),
        scim_strdup("members[display sw \"b\" and type eq \"User\"]"),
        scim_strdup("members pr"),
        scim_strdup("members eq null"),
        scim_strdup("members.value pr and displayName sw \"a\""),
    };
    char *user_filters[] = {
        scim_asprintf("groups.value eq \"%s\"", c.id),
        scim_asprintf("groups[value eq \"%s\" and type eq \"direct\"]", c.id),
        scim_asprintf("groups[value eq \"%s\" and type eq \"indirect\"]", c.id),
        scim_strdup("groups[type eq \"indirect\"]"),
        scim_strdup("groups.display eq \"beta\""),
        scim_strdup("groups pr"),
        scim_strdup("groups eq null"),
        scim_strdup("not (groups.display eq \"Alpha\") and userName pr"),
    };
    struct {
        const char *rt;
        char **filters;
        size_t n;
    } sets[2] = {{"Group", group_filters, sizeof(group_filters) / sizeof(group_filters[0])},
                 {"User", user_filters, sizeof(user_filters) / sizeof(user_filters[0])}};
    for (int s = 0; s < 2; s++) {
        const struct scim_resource_type *rt = scim_resource_type_find(sets[s].rt);
        struct ref ids[64];
        size_t n = all_ids(f, sets[s].rt, ids);
        for (size_t k = 0; k < sets[s].n; k++) {
            struct scim_filter *flt = NULL;
            if (scim_filter_parse(rt, sets[s].filters[k], NULL, &flt, &err) != 0)
                fail_msg("parse %s: %s", sets[s].filters[k], err.detail);
            /* The evaluator over every rendered resource with its derived attributes. */
            char want[2048] = "", got[2048] = "";
            size_t wused = 0, gused = 0;
            for (size_t i = 0; i < n; i++) {
                struct scim_resource r = {0};
                assert_int_equal(
                    scim_store_resource_get(f->st, &f->acme, sets[s].rt, ids[i].id, &r, &err), 0);
                json_t *doc = scim_resource_render(rt, &r, "http://h/scim/v2");
                const char *one[1] = {ids[i].id};
                assert_int_equal(scim_store_derive(f->st, &f->acme, sets[s].rt, one, &doc, 1,
                                                   SCIM_DERIVE_MEMBERS | SCIM_DERIVE_GROUPS, &err),
                                 0);
                if (scim_filter_match(flt, doc))
                    wused += (size_t)snprintf(want + wused, sizeof(want) - wused, "%s,", r.id);
                json_decref(doc);
                scim_resource_clear(&r);
            }
            struct scim_list_query q = {.filter = flt, .start_index = 1, .count = 64};
            struct scim_list_page page = {0};
            if (scim_store_resource_query(f->st, &f->acme, sets[s].rt, &q, &page, &err) != 0)
                fail_msg("query %s: %s", sets[s].filters[k], err.detail);
            for (size_t i = 0; i < page.n; i++)
                gused += (size_t)snprintf(got + gused, sizeof(got) - gused, "%s,", page.rows[i].id);
            if (strcmp(want, got) != 0)
                fail_msg("%s %s:\n  evaluator %s\n  sql       %s", sets[s].rt, sets[s].filters[k],
                         want, got);
            assert_int_equal(page.total, (int64_t)page.n);
            scim_store_page_clear(&page);
            scim_filter_free(flt);
            scim_free(sets[s].filters[k]);
        }
    }
    /* members.value eq starts from the member, through indexes. */
    const struct scim_resource_type *grt = scim_resource_type_find("Group");
    struct scim_filter *flt = NULL;
    char *text = scim_asprintf("members.value eq \"%s\"", u[0].id);
    assert_int_equal(scim_filter_parse(grt, text, NULL, &flt, &err), 0);
    struct scim_list_query q = {.filter = flt, .start_index = 1, .count = 10};
    char *plan = NULL;
    assert_int_equal(scim_store_sqlite_explain(f->st, &f->acme, "Group", &q, &plan, &err), 0);
    if (strstr(plan, "SCAN mx") || strstr(plan, "SCAN mr"))
        fail_msg("%s must not scan membership rows:\n%s", text, plan);
    scim_free(plan);
    scim_filter_free(flt);
    scim_free(text);
    /* "$ref" depends on the base URL: 400 invalidFilter. */
    assert_int_equal(scim_filter_parse(grt, "members.$ref eq \"x\"", NULL, &flt, &err), 0);
    q.filter = flt;
    struct scim_list_page page = {0};
    assert_int_equal(scim_store_resource_query(f->st, &f->acme, "Group", &q, &page, &err),
                     SCIM_ERR);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, SCIM_TYPE_INVALID_FILTER);
    scim_filter_free(flt);
}

/* What the handlers derive for a projection: nothing from membership rows unless it is shown. */
static void test_groups_store_projection_decides_what_is_read(void **state)
{
    (void)state;
    static const struct {
        const char *rt, *attributes, *excluded;
        unsigned want;
    } cases[] = {
        {"Group", NULL, NULL, SCIM_DERIVE_MEMBERS},
        {"Group", NULL, "members", 0},
        {"Group", NULL, "MEMBERS,externalId", 0},
        {"Group", NULL, "members.display", SCIM_DERIVE_MEMBERS},
        {"Group", "displayName", NULL, 0},
        {"Group", "members.value", NULL, SCIM_DERIVE_MEMBERS},
        {"User", NULL, NULL, SCIM_DERIVE_GROUPS | SCIM_DERIVE_ROLES},
        {"User", NULL, "groups", SCIM_DERIVE_ROLES},
        {"User", NULL, "groups,roles", 0},
        {"User", "userName", NULL, 0},
        {"User", "roles.value", NULL, SCIM_DERIVE_ROLES},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct scim_resource_type *rt = scim_resource_type_find(cases[i].rt);
        struct scim_projection p;
        struct scim_err err;
        assert_int_equal(
            scim_projection_parse(rt, cases[i].attributes, cases[i].excluded, &p, &err), 0);
        if (scim_derive_wanted(rt, &p) != cases[i].want)
            fail_msg("case %zu: %s attributes=%s excludedAttributes=%s", i, cases[i].rt,
                     cases[i].attributes ? cases[i].attributes : "",
                     cases[i].excluded ? cases[i].excluded : "");
        scim_projection_clear(&p);
    }
    assert_int_equal(scim_derive_wanted(scim_resource_type_find("Group"), NULL),
                     SCIM_DERIVE_MEMBERS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_groups_store_create_with_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_display_name_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_unknown_member_rejected_or_skipped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_add_remove_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_set_writes_only_the_difference, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_member_type_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_nested_groups_expand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_cycles_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_delete_removes_memberships, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_roles_persist_while_granted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_role_mappings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_render_without_members_reads_no_rows,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_display_name_filter_is_indexed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_groups_store_membership_filters_match_evaluator, setup,
                                        teardown),
        cmocka_unit_test(test_groups_store_projection_decides_what_is_read),
    };
    return cmocka_run_group_tests_name("test_groups_store", tests, NULL, NULL);
}
