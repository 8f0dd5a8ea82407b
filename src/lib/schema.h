/*
 * schema — the schema registry: the attribute definitions of RFC 7643 (core User §4.1, Enterprise
 * User extension §4.3; Group §4.2 is added when Groups are served), the resource-type table that
 * ties an endpoint to its core schema and extensions, and their discovery representations
 * (RFC 7643 §6 and §7, served by /Schemas and /ResourceTypes).
 * Owns: attribute characteristics (type, multiValued, required, caseExact, mutability, returned,
 * uniqueness, canonicalValues, referenceTypes, subAttributes) and case-insensitive lookup.
 * Must not: validate documents (resource.c does) or know SQL/HTTP.
 * Every definition is static, read-only data; nothing here is ever freed.
 */
#ifndef SCIM_SCHEMA_H
#define SCIM_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SCIM_SCHEMA_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define SCIM_SCHEMA_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_SCHEMA_ENTERPRISE_USER "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCIM_SCHEMA_LIST_RESPONSE "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCIM_SCHEMA_PATCH_OP "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define SCIM_SCHEMA_SEARCH_REQUEST "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
#define SCIM_SCHEMA_SPC "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#define SCIM_SCHEMA_RESOURCE_TYPE "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
#define SCIM_SCHEMA_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Schema"

enum scim_attr_type {
    SCIM_ATTR_STRING,
    SCIM_ATTR_BOOLEAN,
    SCIM_ATTR_DECIMAL,
    SCIM_ATTR_INTEGER,
    SCIM_ATTR_DATETIME,
    SCIM_ATTR_BINARY,
    SCIM_ATTR_REFERENCE,
    SCIM_ATTR_COMPLEX
};

enum scim_mutability {
    SCIM_MUT_READ_WRITE, /* the default of RFC 7643 §2.2 */
    SCIM_MUT_READ_ONLY,
    SCIM_MUT_IMMUTABLE,
    SCIM_MUT_WRITE_ONLY
};

enum scim_returned {
    SCIM_RET_DEFAULT, /* the default of RFC 7643 §2.2 */
    SCIM_RET_ALWAYS,
    SCIM_RET_NEVER,
    SCIM_RET_REQUEST
};

enum scim_uniqueness { SCIM_UNIQ_NONE, SCIM_UNIQ_SERVER, SCIM_UNIQ_GLOBAL };

struct scim_attr {
    const char *name; /* canonical spelling, e.g. "userName" */
    enum scim_attr_type type;
    bool multi_valued;
    bool required;
    bool case_exact;
    enum scim_mutability mutability;
    enum scim_returned returned;
    enum scim_uniqueness uniqueness;
    const char *description;
    const char *const *canonical_values; /* NULL-terminated, or NULL */
    const char *const *reference_types;  /* NULL-terminated, or NULL (type reference only) */
    const struct scim_attr *sub_attrs;   /* complex only */
    size_t n_sub_attrs;
};

/* The most attributes one list holds (a schema's, or a complex attribute's sub-attributes);
 * code that keeps one slot per attribute sizes its arrays by it. A unit test checks every list. */
#define SCIM_SCHEMA_MAX_ATTRS 48

struct scim_schema {
    const char *id; /* the schema URN */
    const char *name;
    const char *description;
    const struct scim_attr *attrs;
    size_t n_attrs;
};

struct scim_schema_extension {
    const struct scim_schema *schema;
    bool required;
};

struct scim_resource_type {
    const char *id;       /* "User" */
    const char *name;     /* "User" */
    const char *endpoint; /* "/Users" (relative to the SCIM base URL) */
    const char *description;
    const struct scim_schema *schema; /* core schema */
    const struct scim_schema_extension *extensions;
    size_t n_extensions;
};

/* The common attributes of RFC 7643 §3.1 (id, externalId, meta and its sub-attributes). */
const struct scim_attr *scim_schema_common_attrs(size_t *n);

/* Borrowed pointers to static data; NULL when the name/URN is unknown (case-insensitive). */
const struct scim_schema *scim_schema_find(const char *urn);
const struct scim_resource_type *scim_resource_type_find(const char *name);
const struct scim_resource_type *scim_resource_type_by_endpoint(const char *endpoint);

/* Iteration over everything served; index < count. Borrowed pointers. */
size_t scim_schema_count(void);
const struct scim_schema *scim_schema_at(size_t index);
size_t scim_resource_type_count(void);
const struct scim_resource_type *scim_resource_type_at(size_t index);

/* Case-insensitive lookup of one attribute in a list; NULL when absent. Borrowed. */
const struct scim_attr *scim_attr_find(const struct scim_attr *attrs, size_t n, const char *name);

/* Case-insensitive lookup of one attribute in a list by the first len bytes of name. */
const struct scim_attr *scim_attr_findn(const struct scim_attr *attrs, size_t n, const char *name,
                                        size_t len);

/* The extension schema of rt whose URN is urn (case-insensitive); NULL if rt has none such. */
const struct scim_schema *scim_resource_type_extension(const struct scim_resource_type *rt,
                                                       const char *urn);

/* Names used in discovery JSON ("string", "readWrite", "default", "none", ...). Static strings. */
const char *scim_attr_type_name(enum scim_attr_type type);
const char *scim_mutability_name(enum scim_mutability m);
const char *scim_returned_name(enum scim_returned r);
const char *scim_uniqueness_name(enum scim_uniqueness u);

/*
 * Discovery representations. base_url is the SCIM base ("http://host/scim/v2"); it is used for
 * meta.location. Each returns a new reference.
 */
json_t *scim_schema_to_json(const struct scim_schema *schema, const char *base_url);
json_t *scim_resource_type_to_json(const struct scim_resource_type *rt, const char *base_url);

#endif
