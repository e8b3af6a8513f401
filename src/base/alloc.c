/*
 * alloc.c — the allocation hook (for failure injection) and arenas.
 *
 * An arena is a list of blocks; small requests carve from the head block,
 * large ones get a block of their own. Nothing is freed before release.
 */
#include "cristal/base.h"

#include <stdlib.h>
#include <string.h>

static _Atomic long fail_countdown; /* allocations left before one fails */
static _Atomic int fail_sticky, failing;

void cr_alloc_fail_after(long n, int sticky)
{
	fail_countdown = n;
	fail_sticky = sticky;
	failing = 0;
}

static int should_fail(void)
{
	if (failing)
		return 1;
	if (fail_countdown <= 0)
		return 0;
	if (--fail_countdown > 0)
		return 0;
	failing = fail_sticky;
	return 1;
}

void *cr_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *cr_calloc(size_t n, size_t size) { return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1); }
void *cr_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void cr_free(void *p) { free(p); }

char *cr_strndup(const char *s, size_t n)
{
	char *d = cr_malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

char *cr_strdup(const char *s) { return cr_strndup(s, strlen(s)); }

struct cr_arena_block {
	cr_arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

#define BLOCK_DEFAULT (64 * 1024 - sizeof(cr_arena_block))

void cr_arena_init(cr_arena *a, size_t cap)
{
	a->head = NULL;
	a->used = 0;
	a->cap = cap;
}

void cr_arena_release(cr_arena *a)
{
	cr_arena_block *b = a->head;
	while (b) {
		cr_arena_block *n = b->next;
		cr_free(b);
		b = n;
	}
	a->head = NULL;
	a->used = 0;
}

void *cr_arena_alloc(cr_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (a->cap && (n > a->cap || a->used > a->cap - n))
		return NULL;
	cr_arena_block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t size = n > BLOCK_DEFAULT / 4 ? n : BLOCK_DEFAULT;
		cr_arena_block *nb = cr_malloc(sizeof *nb + size);
		if (!nb)
			return NULL;
		nb->size = size;
		nb->used = 0;
		if (b && size == n) { /* big one-off: keep the head block current */
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			a->head = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += n;
	a->used += n;
	return p;
}

void *cr_arena_zalloc(cr_arena *a, size_t n)
{
	void *p = cr_arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *cr_arena_memdup(cr_arena *a, const void *p, size_t n)
{
	void *d = cr_arena_alloc(a, n);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

char *cr_arena_strndup(cr_arena *a, const char *s, size_t n)
{
	char *d = cr_arena_alloc(a, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

char *cr_arena_strdup(cr_arena *a, const char *s)
{
	return s ? cr_arena_strndup(a, s, strlen(s)) : NULL;
}

char *cr_arena_printf(cr_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *d = n >= 0 ? cr_arena_alloc(a, (size_t)n + 1) : NULL;
	if (d)
		vsnprintf(d, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return d;
}
