/*
 * schema — the static schema registry: the core User schema (RFC 7643 §4.1, characteristics as in
 * the schema representation of §8.7.1), the Enterprise User extension (§4.3, §8.7.1), the Group
 * schema (§4.2, §8.7.1), the common attributes id, externalId and meta (§3.1), the resource-type
 * table (§6), case-insensitive lookups, and the discovery JSON of /Schemas (§7) and
 * /ResourceTypes (§6).
 * Owns: every attribute definition and the list of what is served. Must not: validate documents
 * (resource.c does), allocate anything that outlives a call, or know SQL/HTTP.
 * The attribute descriptions are this project's own short wording, not the RFC's text.
 */
#include "schema.h"

#include "mem.h"

#include <string.h>
#include <strings.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Groups are served (issue 5: /Groups with membership rows, h_groups.c); the flag stays so that a
 * build can switch a resource type off again in one place, and discovery follows it.
 */
static const bool groups_served = true;

/* Canonical values and reference types shared by several attributes (NULL-terminated). */
static const char *const cv_work_home_other[] = {"work", "home", "other", NULL};
static const char *const cv_phone_types[] = {"work",  "home",  "mobile", "fax",
                                             "pager", "other", NULL};
static const char *const cv_im_types[] = {"aim",   "gtalk", "icq",   "xmpp", "msn",
                                          "skype", "qq",    "yahoo", NULL};
static const char *const cv_photo_types[] = {"photo", "thumbnail", NULL};
static const char *const cv_group_types[] = {"direct", "indirect", NULL};
static const char *const cv_member_types[] = {"User", "Group", NULL};
static const char *const rt_external[] = {"external", NULL};
static const char *const rt_uri[] = {"uri", NULL};
static const char *const rt_user[] = {"User", NULL};
static const char *const rt_user_group[] = {"User", "Group", NULL};

/* ---- Common attributes (RFC 7643 §3.1) ---- */

static const struct scim_attr meta_sub_attrs[] = {
    {.name = "resourceType",
     .type = SCIM_ATTR_STRING,
     .case_exact = true,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "The name of the resource type of the resource."},
    {.name = "created",
     .type = SCIM_ATTR_DATETIME,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "When the resource was added to the service provider."},
    {.name = "lastModified",
     .type = SCIM_ATTR_DATETIME,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "When the resource was last changed."},
    {.name = "location",
     .type = SCIM_ATTR_REFERENCE,
     .case_exact = true,
     .mutability = SCIM_MUT_READ_ONLY,
     .reference_types = rt_uri,
     .description = "The URI of the resource."},
    {.name = "version",
     .type = SCIM_ATTR_STRING,
     .case_exact = true,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "The weak entity tag of the resource's current version."},
};

static const struct scim_attr common_attrs[] = {
    {.name = "id",
     .type = SCIM_ATTR_STRING,
     .case_exact = true,
     .mutability = SCIM_MUT_READ_ONLY,
     .returned = SCIM_RET_ALWAYS,
     .uniqueness = SCIM_UNIQ_SERVER,
     .description = "The identifier the service provider assigned to the resource."},
    {.name = "externalId",
     .type = SCIM_ATTR_STRING,
     .case_exact = true,
     .description = "The identifier the provisioning client uses for the resource."},
    {.name = "meta",
     .type = SCIM_ATTR_COMPLEX,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "Resource metadata maintained by the service provider.",
     .sub_attrs = meta_sub_attrs,
     .n_sub_attrs = N_ELEMS(meta_sub_attrs)},
};

/* ---- Core User schema (RFC 7643 §4.1) ---- */

static const struct scim_attr user_name_sub_attrs[] = {
    {.name = "formatted",
     .type = SCIM_ATTR_STRING,
     .description = "The full name formatted for display, with titles and suffixes."},
    {.name = "familyName",
     .type = SCIM_ATTR_STRING,
     .description = "The family name (last name in most Western languages)."},
    {.name = "givenName",
     .type = SCIM_ATTR_STRING,
     .description = "The given name (first name in most Western languages)."},
    {.name = "middleName", .type = SCIM_ATTR_STRING, .description = "The middle name or names."},
    {.name = "honorificPrefix",
     .type = SCIM_ATTR_STRING,
     .description = "Honorific prefixes such as a title."},
    {.name = "honorificSuffix",
     .type = SCIM_ATTR_STRING,
     .description = "Honorific suffixes such as a generational suffix."},
};

static const struct scim_attr email_sub_attrs[] = {
    {.name = "value", .type = SCIM_ATTR_STRING, .description = "The email address."},
    {.name = "display", .type = SCIM_ATTR_STRING, .description = "A name suitable for display."},
    {.name = "type",
     .type = SCIM_ATTR_STRING,
     .canonical_values = cv_work_home_other,
     .description = "What the address is used for, such as work or home."},
    {.name = "primary",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "True for the preferred address; at most one value may be primary."},
};

static const struct scim_attr phone_sub_attrs[] = {
    {.name = "value", .type = SCIM_ATTR_STRING, .description = "The phone number."},
    {.name = "display", .type = SCIM_ATTR_STRING, .description = "A name suitable for display."},
    {.name = "type",
     .type = SCIM_ATTR_STRING,
     .canonical_values = cv_phone_types,
     .description = "What the number is used for, such as work or mobile."},
    {.name = "primary",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "True for the preferred number; at most one value may be primary."},
};

static const struct scim_attr im_sub_attrs[] = {
    {.name = "value", .type = SCIM_ATTR_STRING, .description = "The instant messaging address."},
    {.name = "display", .type = SCIM_ATTR_STRING, .description = "A name suitable for display."},
    {.name = "type",
     .type = SCIM_ATTR_STRING,
     .canonical_values = cv_im_types,
     .description = "The instant messaging service, such as xmpp."},
    {.name = "primary",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "True for the preferred address; at most one value may be primary."},
};

static const struct scim_attr photo_sub_attrs[] = {
    {.name = "value",
     .type = SCIM_ATTR_REFERENCE,
     .reference_types = rt_external,
     .description = "The URL of the photo."},
    {.name = "display", .type = SCIM_ATTR_STRING, .description = "A name suitable for display."},
    {.name = "type",
     .type = SCIM_ATTR_STRING,
     .canonical_values = cv_photo_types,
     .description = "Whether the image is a photo or a thumbnail."},
    {.name = "primary",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "True for the preferred photo; at most one value may be primary."},
};

static const struct scim_attr address_sub_attrs[] = {
    {.name = "formatted",
     .type = SCIM_ATTR_STRING,
     .description = "The full address formatted for display; may contain newlines."},
    {.name = "streetAddress",
     .type = SCIM_ATTR_STRING,
     .description = "The street part of the address; may contain newlines."},
    {.name = "locality", .type = SCIM_ATTR_STRING, .description = "The city or locality."},
    {.name = "region", .type = SCIM_ATTR_STRING, .description = "The state or region."},
    {.name = "postalCode", .type = SCIM_ATTR_STRING, .description = "The postal code."},
    {.name = "country",
     .type = SCIM_ATTR_STRING,
     .description = "The country as an ISO 3166-1 alpha-2 code."},
    {.name = "type",
     .type = SCIM_ATTR_STRING,
     .canonical_values = cv_work_home_other,
     .description = "What the address is used for, such as work or home."},
    {.name = "primary",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "True for the preferred address; at most one value may be primary."},
};

static const struct scim_attr user_group_sub_attrs[] = {
    {.name = "value",
     .type = SCIM_ATTR_STRING,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "The id of the group."},
    {.name = "$ref",
     .type = SCIM_ATTR_REFERENCE,
     .mutability = SCIM_MUT_READ_ONLY,
     .reference_types = rt_user_group,
     .description = "The URI of the group."},
    {.name = "display",
     .type = SCIM_ATTR_STRING,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "The display name of the group."},
    {.name = "type",
     .type = SCIM_ATTR_STRING,
     .mutability = SCIM_MUT_READ_ONLY,
     .canonical_values = cv_group_types,
     .description = "Whether the membership is direct or through a nested group."},
};

static const struct scim_attr entitlement_sub_attrs[] = {
    {.name = "value", .type = SCIM_ATTR_STRING, .description = "The entitlement."},
    {.name = "display", .type = SCIM_ATTR_STRING, .description = "A name suitable for display."},
    {.name = "type", .type = SCIM_ATTR_STRING, .description = "What the entitlement is for."},
    {.name = "primary",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "True for the preferred value; at most one value may be primary."},
};

static const struct scim_attr role_sub_attrs[] = {
    {.name = "value", .type = SCIM_ATTR_STRING, .description = "The role."},
    {.name = "display", .type = SCIM_ATTR_STRING, .description = "A name suitable for display."},
    {.name = "type", .type = SCIM_ATTR_STRING, .description = "What the role is for."},
    {.name = "primary",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "True for the preferred value; at most one value may be primary."},
};

static const struct scim_attr x509_sub_attrs[] = {
    {.name = "value",
     .type = SCIM_ATTR_BINARY,
     .description = "The DER-encoded certificate in base64."},
    {.name = "display", .type = SCIM_ATTR_STRING, .description = "A name suitable for display."},
    {.name = "type", .type = SCIM_ATTR_STRING, .description = "What the certificate is for."},
    {.name = "primary",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "True for the preferred value; at most one value may be primary."},
};

static const struct scim_attr user_attrs[] = {
    {.name = "userName",
     .type = SCIM_ATTR_STRING,
     .required = true,
     .uniqueness = SCIM_UNIQ_SERVER,
     .description = "The unique name the user signs in with; must not be empty."},
    {.name = "name",
     .type = SCIM_ATTR_COMPLEX,
     .description = "The parts of the user's real name.",
     .sub_attrs = user_name_sub_attrs,
     .n_sub_attrs = N_ELEMS(user_name_sub_attrs)},
    {.name = "displayName",
     .type = SCIM_ATTR_STRING,
     .description = "The name to show to end users, usually the full name."},
    {.name = "nickName",
     .type = SCIM_ATTR_STRING,
     .description = "The casual name of the user, such as Bob for Robert."},
    {.name = "profileUrl",
     .type = SCIM_ATTR_REFERENCE,
     .reference_types = rt_external,
     .description = "The URL of the user's online profile."},
    {.name = "title", .type = SCIM_ATTR_STRING, .description = "The user's job title."},
    {.name = "userType",
     .type = SCIM_ATTR_STRING,
     .description = "The relationship to the organisation, such as Employee or Contractor."},
    {.name = "preferredLanguage",
     .type = SCIM_ATTR_STRING,
     .description = "The preferred language, as in the HTTP Accept-Language header."},
    {.name = "locale",
     .type = SCIM_ATTR_STRING,
     .description = "The locale for formatting dates, numbers and currency, such as en-US."},
    {.name = "timezone",
     .type = SCIM_ATTR_STRING,
     .description = "The time zone as an IANA zone name, such as Europe/Berlin."},
    {.name = "active",
     .type = SCIM_ATTR_BOOLEAN,
     .description = "Whether the user account is administratively enabled."},
    {.name = "password",
     .type = SCIM_ATTR_STRING,
     .mutability = SCIM_MUT_WRITE_ONLY,
     .returned = SCIM_RET_NEVER,
     .description = "A cleartext password to set; it is stored only as a hash."},
    {.name = "emails",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "The user's email addresses.",
     .sub_attrs = email_sub_attrs,
     .n_sub_attrs = N_ELEMS(email_sub_attrs)},
    {.name = "phoneNumbers",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "The user's phone numbers, preferably in RFC 3966 form.",
     .sub_attrs = phone_sub_attrs,
     .n_sub_attrs = N_ELEMS(phone_sub_attrs)},
    {.name = "ims",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "The user's instant messaging addresses.",
     .sub_attrs = im_sub_attrs,
     .n_sub_attrs = N_ELEMS(im_sub_attrs)},
    {.name = "photos",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "URLs of images of the user.",
     .sub_attrs = photo_sub_attrs,
     .n_sub_attrs = N_ELEMS(photo_sub_attrs)},
    {.name = "addresses",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "The user's postal addresses.",
     .sub_attrs = address_sub_attrs,
     .n_sub_attrs = N_ELEMS(address_sub_attrs)},
    {.name = "groups",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "The groups the user belongs to; maintained through the Group resources.",
     .sub_attrs = user_group_sub_attrs,
     .n_sub_attrs = N_ELEMS(user_group_sub_attrs)},
    {.name = "entitlements",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "Things the user is entitled to.",
     .sub_attrs = entitlement_sub_attrs,
     .n_sub_attrs = N_ELEMS(entitlement_sub_attrs)},
    {.name = "roles",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "The roles the user holds.",
     .sub_attrs = role_sub_attrs,
     .n_sub_attrs = N_ELEMS(role_sub_attrs)},
    {.name = "x509Certificates",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "X.509 certificates issued to the user.",
     .sub_attrs = x509_sub_attrs,
     .n_sub_attrs = N_ELEMS(x509_sub_attrs)},
};

static const struct scim_schema user_schema = {
    .id = SCIM_SCHEMA_USER,
    .name = "User",
    .description = "User Account",
    .attrs = user_attrs,
    .n_attrs = N_ELEMS(user_attrs),
};

/* ---- Enterprise User extension (RFC 7643 §4.3) ---- */

static const struct scim_attr manager_sub_attrs[] = {
    {.name = "value", .type = SCIM_ATTR_STRING, .description = "The id of the manager's User."},
    {.name = "$ref",
     .type = SCIM_ATTR_REFERENCE,
     .reference_types = rt_user,
     .description = "The URI of the manager's User."},
    {.name = "displayName",
     .type = SCIM_ATTR_STRING,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "The display name of the manager."},
};

static const struct scim_attr enterprise_user_attrs[] = {
    {.name = "employeeNumber",
     .type = SCIM_ATTR_STRING,
     .description = "The number the organisation assigned to the employee."},
    {.name = "costCenter", .type = SCIM_ATTR_STRING, .description = "The cost center."},
    {.name = "organization", .type = SCIM_ATTR_STRING, .description = "The organisation."},
    {.name = "division", .type = SCIM_ATTR_STRING, .description = "The division."},
    {.name = "department", .type = SCIM_ATTR_STRING, .description = "The department."},
    {.name = "manager",
     .type = SCIM_ATTR_COMPLEX,
     .description = "The user's manager.",
     .sub_attrs = manager_sub_attrs,
     .n_sub_attrs = N_ELEMS(manager_sub_attrs)},
};

static const struct scim_schema enterprise_user_schema = {
    .id = SCIM_SCHEMA_ENTERPRISE_USER,
    .name = "EnterpriseUser",
    .description = "Enterprise User",
    .attrs = enterprise_user_attrs,
    .n_attrs = N_ELEMS(enterprise_user_attrs),
};

/* ---- Group schema (RFC 7643 §4.2) ---- */

static const struct scim_attr member_sub_attrs[] = {
    {.name = "value",
     .type = SCIM_ATTR_STRING,
     .mutability = SCIM_MUT_IMMUTABLE,
     .description = "The id of the member User or Group."},
    {.name = "$ref",
     .type = SCIM_ATTR_REFERENCE,
     .mutability = SCIM_MUT_IMMUTABLE,
     .reference_types = rt_user_group,
     .description = "The URI of the member."},
    {.name = "display",
     .type = SCIM_ATTR_STRING,
     .mutability = SCIM_MUT_READ_ONLY,
     .description = "The display name of the member."},
    {.name = "type",
     .type = SCIM_ATTR_STRING,
     .mutability = SCIM_MUT_IMMUTABLE,
     .canonical_values = cv_member_types,
     .description = "Whether the member is a User or a Group."},
};

static const struct scim_attr group_attrs[] = {
    {.name = "displayName",
     .type = SCIM_ATTR_STRING,
     .required = true,
     .uniqueness = SCIM_UNIQ_SERVER,
     .description = "The name of the group, suitable for display; unique in the tenant, ignoring "
                    "case."},
    {.name = "members",
     .type = SCIM_ATTR_COMPLEX,
     .multi_valued = true,
     .description = "The members of the group.",
     .sub_attrs = member_sub_attrs,
     .n_sub_attrs = N_ELEMS(member_sub_attrs)},
};

static const struct scim_schema group_schema = {
    .id = SCIM_SCHEMA_GROUP,
    .name = "Group",
    .description = "Group",
    .attrs = group_attrs,
    .n_attrs = N_ELEMS(group_attrs),
};

/* ---- Resource types (RFC 7643 §6) ---- */

static const struct scim_schema_extension user_extensions[] = {
    {.schema = &enterprise_user_schema, .required = false},
};

static const struct scim_resource_type user_resource_type = {
    .id = "User",
    .name = "User",
    .endpoint = "/Users",
    .description = "User Account",
    .schema = &user_schema,
    .extensions = user_extensions,
    .n_extensions = N_ELEMS(user_extensions),
};

static const struct scim_resource_type group_resource_type = {
    .id = "Group",
    .name = "Group",
    .endpoint = "/Groups",
    .description = "Group",
    .schema = &group_schema,
};

/* Everything defined, in the order it is served; is_served() filters out what is not yet. */
static const struct scim_schema *const all_schemas[] = {&user_schema, &enterprise_user_schema,
                                                        &group_schema};
static const struct scim_resource_type *const all_resource_types[] = {&user_resource_type,
                                                                      &group_resource_type};

static bool schema_served(const struct scim_schema *schema)
{
    return schema != &group_schema || groups_served;
}

static bool resource_type_served(const struct scim_resource_type *rt)
{
    return rt != &group_resource_type || groups_served;
}

/* ---- Lookup ---- */

const struct scim_attr *scim_schema_common_attrs(size_t *n)
{
    if (n)
        *n = N_ELEMS(common_attrs);
    return common_attrs;
}

const struct scim_schema *scim_schema_find(const char *urn)
{
    if (!urn)
        return NULL;
    for (size_t i = 0; i < N_ELEMS(all_schemas); i++) {
        if (schema_served(all_schemas[i]) && strcasecmp(all_schemas[i]->id, urn) == 0)
            return all_schemas[i];
    }
    return NULL;
}

const struct scim_resource_type *scim_resource_type_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_ELEMS(all_resource_types); i++) {
        const struct scim_resource_type *rt = all_resource_types[i];
        if (resource_type_served(rt) && strcasecmp(rt->name, name) == 0)
            return rt;
    }
    return NULL;
}

const struct scim_resource_type *scim_resource_type_by_endpoint(const char *endpoint)
{
    if (!endpoint)
        return NULL;
    for (size_t i = 0; i < N_ELEMS(all_resource_types); i++) {
        const struct scim_resource_type *rt = all_resource_types[i];
        if (resource_type_served(rt) && strcasecmp(rt->endpoint, endpoint) == 0)
            return rt;
    }
    return NULL;
}

size_t scim_schema_count(void)
{
    size_t count = 0;
    for (size_t i = 0; i < N_ELEMS(all_schemas); i++)
        count += schema_served(all_schemas[i]);
    return count;
}

const struct scim_schema *scim_schema_at(size_t index)
{
    for (size_t i = 0; i < N_ELEMS(all_schemas); i++) {
        if (!schema_served(all_schemas[i]))
            continue;
        if (index == 0)
            return all_schemas[i];
        index--;
    }
    return NULL;
}

size_t scim_resource_type_count(void)
{
    size_t count = 0;
    for (size_t i = 0; i < N_ELEMS(all_resource_types); i++)
        count += resource_type_served(all_resource_types[i]);
    return count;
}

const struct scim_resource_type *scim_resource_type_at(size_t index)
{
    for (size_t i = 0; i < N_ELEMS(all_resource_types); i++) {
        if (!resource_type_served(all_resource_types[i]))
            continue;
        if (index == 0)
            return all_resource_types[i];
        index--;
    }
    return NULL;
}

const struct scim_attr *scim_attr_find(const struct scim_attr *attrs, size_t n, const char *name)
{
    if (!name)
        return NULL;
    return scim_attr_findn(attrs, n, name, strlen(name));
}

const struct scim_attr *scim_attr_findn(const struct scim_attr *attrs, size_t n, const char *name,
                                        size_t len)
{
    if (!attrs || !name)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncasecmp(attrs[i].name, name, len) == 0 && attrs[i].name[len] == '\0')
            return &attrs[i];
    }
    return NULL;
}

const struct scim_schema *scim_resource_type_extension(const struct scim_resource_type *rt,
                                                       const char *urn)
{
    if (!rt || !urn)
        return NULL;
    for (size_t i = 0; i < rt->n_extensions; i++) {
        if (strcasecmp(rt->extensions[i].schema->id, urn) == 0)
            return rt->extensions[i].schema;
    }
    return NULL;
}

/* ---- Names of characteristics (RFC 7643 §7) ---- */

const char *scim_attr_type_name(enum scim_attr_type type)
{
    switch (type) {
    case SCIM_ATTR_STRING:
        return "string";
    case SCIM_ATTR_BOOLEAN:
        return "boolean";
    case SCIM_ATTR_DECIMAL:
        return "decimal";
    case SCIM_ATTR_INTEGER:
        return "integer";
    case SCIM_ATTR_DATETIME:
        return "dateTime";
    case SCIM_ATTR_BINARY:
        return "binary";
    case SCIM_ATTR_REFERENCE:
        return "reference";
    case SCIM_ATTR_COMPLEX:
        return "complex";
    }
    return "string";
}

const char *scim_mutability_name(enum scim_mutability m)
{
    switch (m) {
    case SCIM_MUT_READ_WRITE:
        return "readWrite";
    case SCIM_MUT_READ_ONLY:
        return "readOnly";
    case SCIM_MUT_IMMUTABLE:
        return "immutable";
    case SCIM_MUT_WRITE_ONLY:
        return "writeOnly";
    }
    return "readWrite";
}

const char *scim_returned_name(enum scim_returned r)
{
    switch (r) {
    case SCIM_RET_DEFAULT:
        return "default";
    case SCIM_RET_ALWAYS:
        return "always";
    case SCIM_RET_NEVER:
        return "never";
    case SCIM_RET_REQUEST:
        return "request";
    }
    return "default";
}

const char *scim_uniqueness_name(enum scim_uniqueness u)
{
    switch (u) {
    case SCIM_UNIQ_NONE:
        return "none";
    case SCIM_UNIQ_SERVER:
        return "server";
    case SCIM_UNIQ_GLOBAL:
        return "global";
    }
    return "none";
}

/* ---- Discovery JSON (RFC 7643 §6, §7) ---- */

/* Returns a new reference: a JSON array of the NULL-terminated list of strings. */
static json_t *string_list_to_json(const char *const *list)
{
    json_t *array = json_array();
    for (size_t i = 0; list[i]; i++)
        json_array_append_new(array, json_string(list[i]));
    return array;
}

/* Returns a new reference: one attribute definition as in RFC 7643 §7 "attributes". */
static json_t *attr_to_json(const struct scim_attr *attr)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "name", json_string(attr->name));
    json_object_set_new(obj, "type", json_string(scim_attr_type_name(attr->type)));
    json_object_set_new(obj, "multiValued", json_boolean(attr->multi_valued));
    json_object_set_new(obj, "description",
                        json_string(attr->description ? attr->description : ""));
    json_object_set_new(obj, "required", json_boolean(attr->required));
    json_object_set_new(obj, "caseExact", json_boolean(attr->case_exact));
    json_object_set_new(obj, "mutability", json_string(scim_mutability_name(attr->mutability)));
    json_object_set_new(obj, "returned", json_string(scim_returned_name(attr->returned)));
    json_object_set_new(obj, "uniqueness", json_string(scim_uniqueness_name(attr->uniqueness)));
    if (attr->canonical_values)
        json_object_set_new(obj, "canonicalValues", string_list_to_json(attr->canonical_values));
    if (attr->reference_types)
        json_object_set_new(obj, "referenceTypes", string_list_to_json(attr->reference_types));
    if (attr->type == SCIM_ATTR_COMPLEX) {
        json_t *subs = json_array();
        for (size_t i = 0; i < attr->n_sub_attrs; i++)
            json_array_append_new(subs, attr_to_json(&attr->sub_attrs[i]));
        json_object_set_new(obj, "subAttributes", subs);
    }
    return obj;
}

/*
 * Returns a new reference: {"resourceType": resource_type, "location": base_url + "/" +
 * collection + "/" + id}. A trailing slash on base_url is not doubled.
 */
static json_t *discovery_meta(const char *resource_type, const char *base_url,
                              const char *collection, const char *id)
{
    json_t *meta = json_object();
    json_object_set_new(meta, "resourceType", json_string(resource_type));
    const char *base = base_url ? base_url : "";
    size_t base_len = strlen(base);
    if (base_len > 0 && base[base_len - 1] == '/')
        base_len--;
    char *location = scim_asprintf("%.*s/%s/%s", (int)base_len, base, collection, id);
    json_object_set_new(meta, "location", json_string(location));
    scim_free(location);
    return meta;
}

json_t *scim_schema_to_json(const struct scim_schema *schema, const char *base_url)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "schemas", json_pack("[s]", SCIM_SCHEMA_SCHEMA));
    json_object_set_new(obj, "id", json_string(schema->id));
    json_object_set_new(obj, "name", json_string(schema->name));
    json_object_set_new(obj, "description", json_string(schema->description));
    json_t *attrs = json_array();
    for (size_t i = 0; i < schema->n_attrs; i++)
        json_array_append_new(attrs, attr_to_json(&schema->attrs[i]));
    json_object_set_new(obj, "attributes", attrs);
    json_object_set_new(obj, "meta", discovery_meta("Schema", base_url, "Schemas", schema->id));
    return obj;
}

json_t *scim_resource_type_to_json(const struct scim_resource_type *rt, const char *base_url)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "schemas", json_pack("[s]", SCIM_SCHEMA_RESOURCE_TYPE));
    json_object_set_new(obj, "id", json_string(rt->id));
    json_object_set_new(obj, "name", json_string(rt->name));
    json_object_set_new(obj, "endpoint", json_string(rt->endpoint));
    json_object_set_new(obj, "description", json_string(rt->description));
    json_object_set_new(obj, "schema", json_string(rt->schema->id));
    /* An empty list is unassigned (RFC 7643 §2.5), so a type without extensions omits it. */
    if (rt->n_extensions > 0) {
        json_t *exts = json_array();
        for (size_t i = 0; i < rt->n_extensions; i++) {
            const struct scim_schema_extension *ext = &rt->extensions[i];
            json_array_append_new(exts, json_pack("{s:s, s:b}", "schema", ext->schema->id,
                                                  "required", (int)ext->required));
        }
        json_object_set_new(obj, "schemaExtensions", exts);
    }
    json_object_set_new(obj, "meta",
                        discovery_meta("ResourceType", base_url, "ResourceTypes", rt->id));
    return obj;
}
