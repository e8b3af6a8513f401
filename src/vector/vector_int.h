/*
 * vector_int.h — what the files of the vector module share: the index's
 * in-memory layout (the same arrays whether built here or mapped from a
 * file; see vector.h for the file layout) and the kernel table.
 */
#ifndef CR_VECTOR_INT_H
#define CR_VECTOR_INT_H

#include "cristal/vector.h"

#include <stdatomic.h>

/* Kernels (kernels.c chooses; x86_avx2.c, x86_avx512.c are built with their
 * own flags). */
int32_t cr_vec_dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n);
int32_t cr_vec_dot_i8_avx512(const int8_t *a, const int8_t *b, size_t n);
extern cr_vec_dot_fn cr_vec_dot_impl; /* set once by cr_vec_dot_init */
void cr_vec_dot_init(void);

#define CR_VEC_MAGIC "CRVECIX1"
#define CR_VEC_VERSION 1u
#define CR_VEC_HDR 128u
#define CR_VEC_MAX_LEVEL 32
#define CR_VEC_NONE 0xFFFFFFFFu

struct cr_vec_index {
	int dim;
	int m, m0, efc;
	uint64_t seed;
	size_t n, cap;
	/* vectors: n·dim int8, scales, ids, per node level */
	int8_t *vec;
	float *scale;
	uint64_t *ids;
	uint8_t *level;
	/* graph (has_graph): layer 0 links n·(m0+1) [count, ids...]; a node of
	 * level L > 0 has L blocks of m+1 u32 at upper + upper_at[i]·(m+1) */
	int has_graph;
	uint32_t *links0;
	uint32_t *upper_at;
	uint32_t *upper;
	size_t n_upper;
	uint32_t entry;
	int max_level;
	/* an opened index points into a mapping it does not own the arrays of */
	int mapped;
	cr_mmap mm;
	int heap; /* mm.data is cr_malloc'd plaintext of a sealed file: wiped and freed */
	int built;
};

static inline uint32_t *cr_vec_links(const cr_vec_index *ix, uint32_t i, int l)
{
	if (l == 0)
		return ix->links0 + (size_t)i * (size_t)(ix->m0 + 1);
	return ix->upper + ((size_t)ix->upper_at[i] + (size_t)(l - 1)) * (size_t)(ix->m + 1);
}

/* A binary heap of (distance, node) pairs, largest distance on top. */
typedef struct cr_vheap_item {
	float d;
	uint32_t id;
} cr_vheap_item;
typedef struct cr_vheap {
	cr_vheap_item *a;
	size_t n, cap;
} cr_vheap;

struct cr_vec_scratch {
	uint32_t *mark; /* visited: mark[i] == tag */
	size_t n_mark;
	uint32_t tag;
	cr_vheap cand, top;
	cr_vheap_item *sel;
	size_t sel_cap;
	int8_t *q;
	size_t q_cap;
};

cr_err cr_vheap_push(cr_vheap *h, float d, uint32_t id);
void cr_vheap_pop(cr_vheap *h);
/* Starts a new visited generation over n nodes (clears the marks on wrap). */
cr_err cr_vec_scratch_begin(cr_vec_scratch *s, size_t n);

#endif
