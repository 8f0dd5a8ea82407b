/*
 * mem — the project's allocators. Every heap allocation in scimd goes through these functions;
 * allocation failure aborts the process (there is no partial-recovery path for out-of-memory).
 * They are also installed as jansson's allocator by scim_mem_init().
 * Owns: nothing but the abort policy. Must not: log, or know about requests.
 */
#ifndef SCIM_MEM_H
#define SCIM_MEM_H

#include <stddef.h>

/* Installs the aborting allocators into jansson. Call once at start, before any json_t exists. */
void scim_mem_init(void);

/* Each returns memory the caller frees with scim_free(); none ever returns NULL. */
void *scim_malloc(size_t size);
void *scim_calloc(size_t count, size_t size);
void *scim_realloc(void *ptr, size_t size);
char *scim_strdup(const char *s);
char *scim_strndup(const char *s, size_t n);
/* printf into a new string the caller frees with scim_free(). */
char *scim_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void scim_free(void *ptr);

/* Returns the heap's free memory to the operating system (after a large response, so that one
 * 100,000-member group does not leave the process resident at its peak). Costs a walk of the
 * heap: not for every request. scim_free_and_trim frees ptr first. */
void scim_mem_trim(void);
void scim_free_and_trim(void *ptr);

#endif
