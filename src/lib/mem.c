/*
 * mem — aborting allocators shared by the whole project and given to jansson.
 * Owns: the out-of-memory policy (print one line, abort). Must not: be bypassed by raw malloc/free
 * anywhere else in the tree (scripts/lint.sh checks).
 */
#include "mem.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <malloc.h>
#ifdef SCIM_WITH_MIMALLOC
#include <mimalloc.h>
#endif
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
    fprintf(stderr, "scimd: out of memory allocating %zu bytes\n", size);
    abort();
}

void *scim_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *scim_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *scim_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

char *scim_strndup(const char *s, size_t n)
{
    char *p = scim_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *scim_strdup(const char *s)
{
    return scim_strndup(s, strlen(s));
}

char *scim_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory(0);
    char *p = scim_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void scim_free(void *ptr)
{
    free(ptr);
}

/* Under mimalloc (the allocator of plain builds, see Makefile) this frees the thread's empty
 * pages; mimalloc decommits them itself, lazily, on the thread's later allocations. */
void scim_mem_trim(void)
{
#ifdef SCIM_WITH_MIMALLOC
    mi_collect(true);
#else
    malloc_trim(0);
#endif
}

void scim_free_and_trim(void *ptr)
{
    free(ptr);
    scim_mem_trim();
}

void scim_mem_init(void)
{
    json_set_alloc_funcs(scim_malloc, scim_free);
}
