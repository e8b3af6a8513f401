/*
 * vector.h — dense vectors for semantic retrieval: int8 quantization, the
 * inner-product kernels (scalar truth plus AVX2 and AVX-512 VNNI twins picked
 * at run time), an exact scan for small collections and an HNSW graph for
 * large ones, saved to and loaded from one file (mmap, validated), and the
 * fvecs reader the benchmark uses. Depends on base only.
 *
 * Quantization: a vector x of dimension d becomes d int8 values q in
 * [-127, 127] and one float scale s = max|x_i| / 127 (q_i = round(x_i / s)),
 * so x ≈ s·q. The similarity of two vectors is their inner product,
 * approximated by s_a·s_b·Σ q_a,i·q_b,i (exact integer sum). For cosine
 * similarity, normalize before adding (embeddings from `cristal embed` and
 * the providers already are). Larger is more similar.
 *
 * Threads: a built or opened index is read-only and may be searched from any
 * number of threads at once, each with its own cr_vec_scratch (or NULL, which
 * allocates one per call). Adding and building belong to one thread (the build
 * itself spreads over the pool it is given).
 */
#ifndef CRISTAL_VECTOR_H
#define CRISTAL_VECTOR_H

#include "cristal/base.h"

#define CR_VEC_MAX_DIM 65536 /* keeps 127·127·d inside int32 */

/* ---- quantization and kernels --------------------------------------------- */

/* Quantizes x[0..dim) into q with its scale (0 for the zero vector). */
CR_API void cr_vec_quantize(const float *x, int dim, int8_t *q, float *scale);
/* Σ a_i·b_i over n int8 values in [-127, 127] (the dispatched kernel). */
CR_API int32_t cr_vec_dot_i8(const int8_t *a, const int8_t *b, size_t n);
/* The scalar truth the fast kernels are tested against. */
CR_API int32_t cr_vec_dot_i8_ref(const int8_t *a, const int8_t *b, size_t n);
/* The kernel level in use: "ref", "avx2" or "avx512". */
CR_API const char *cr_vec_isa(void);
/* Forces a kernel level ("ref", "avx2", "avx512"; lowered to what the CPU
 * has) before the first kernel runs; CR_EINVAL for an unknown name, CR_EBUSY
 * once a kernel has run. The CLI passes CR_CPU. */
CR_API cr_err cr_vec_configure(const char *level) CR_NODISCARD;
/* The kernel of one level, for tests (NULL if the CPU lacks it). */
typedef int32_t (*cr_vec_dot_fn)(const int8_t *a, const int8_t *b, size_t n);
CR_API cr_vec_dot_fn cr_vec_kernel(const char *level);

/* ---- the index --------------------------------------------------------------- */

typedef struct cr_vec_index cr_vec_index;
typedef struct cr_vec_scratch cr_vec_scratch;

typedef struct cr_vec_params {
	int m;               /* links per node above layer 0 (layer 0: 2m); 0: 16 */
	int ef_construction; /* candidates kept while inserting; 0: 200 */
	uint64_t seed;       /* level draws; 0: a fixed default */
} cr_vec_params;

/* An empty index of dimension dim (1..CR_VEC_MAX_DIM) being filled. */
CR_API cr_err cr_vec_index_new(int dim, const cr_vec_params *p, cr_vec_index **out, cr_msg *m) CR_NODISCARD;
/* Appends a vector with the caller's id (a chunk id, a row number):
 * quantizes x. CR_EINVAL on an opened (read-only) or built index. */
CR_API cr_err cr_vec_index_add(cr_vec_index *ix, uint64_t id, const float *x, cr_msg *m) CR_NODISCARD;
/* Appends an already quantized vector. */
CR_API cr_err cr_vec_index_add_q(cr_vec_index *ix, uint64_t id, const int8_t *q, float scale,
				 cr_msg *m) CR_NODISCARD;
/* Builds the HNSW graph over every vector added, on pool's threads (NULL:
 * the calling thread), checking cancel every 1,024 insertions. Without a
 * build, searches scan every vector exactly. Cost: about n·log(n)·ef_construction
 * distance computations. */
CR_API cr_err cr_vec_index_build(cr_vec_index *ix, cr_pool *pool, const cr_cancel *cancel,
				 cr_msg *m) CR_NODISCARD;
CR_API void cr_vec_index_free(cr_vec_index *ix);

CR_API size_t cr_vec_index_count(const cr_vec_index *ix);
CR_API int cr_vec_index_dim(const cr_vec_index *ix);
CR_API int cr_vec_index_has_graph(const cr_vec_index *ix);
CR_API uint64_t cr_vec_index_id(const cr_vec_index *ix, size_t i);
/* The i-th stored vector, quantized (borrowed, valid while ix lives). */
CR_API const int8_t *cr_vec_index_vec(const cr_vec_index *ix, size_t i, float *scale);

/*
 * Writes the index to path atomically (temporary file, fsync, rename).
 * Byte layout (little-endian; every section starts at a multiple of 64):
 *   header, 128 bytes:
 *     0 "CRVECIX1"  8 u32 version (1)  12 u32 dim  16 u64 n  24 u32 m  28 u32 m0
 *     32 u32 max_level  36 u32 entry  40 u32 flags (1: graph)  44 u32 0
 *     48 u64 offsets of: vectors (n·dim int8), scales (n f32), ids (n u64),
 *        levels (n u8), layer-0 links (n·(m0+1) u32: count, then ids),
 *        upper-link starts (n u32, in blocks of m+1 u32), upper links
 *        (n_upper·(m+1) u32)  [7 × u64, to 104]
 *     104 u64 n_upper  112 u64 file length  120 u64 cr_hash64 of bytes 0..119
 * Without a graph the link sections are empty (offset = file length).
 */
CR_API cr_err cr_vec_index_save(const cr_vec_index *ix, const char *path, cr_msg *m) CR_NODISCARD;
/* Maps a saved index read-only. Every offset, length, count and link is
 * checked: a truncated or corrupt file is CR_ECORRUPT with the reason. */
CR_API cr_err cr_vec_index_open(const char *path, cr_vec_index **out, cr_msg *m) CR_NODISCARD;
/* Encrypted at rest (key not NULL, crypt.h): the file is written as a sealed
 * file (64 KiB blocks, its name in every block's associated data) and opened
 * into memory (wiped when freed) instead of mapped; a changed, truncated,
 * renamed or plaintext file is CR_ECORRUPT. Without a key a sealed file is
 * CR_EDENIED. */
struct cr_key;
CR_API cr_err cr_vec_index_save_key(const cr_vec_index *ix, const char *path, const struct cr_key *key,
				    cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_vec_index_open_key(const char *path, const struct cr_key *key, cr_vec_index **out,
				    cr_msg *m) CR_NODISCARD;
/* The same checks over bytes in memory (the fuzz target's entry); the bytes
 * must be 8-byte aligned (CR_EINVAL otherwise) and outlive the index. */
CR_API cr_err cr_vec_index_from_bytes(const uint8_t *p, size_t len, cr_vec_index **out,
				      cr_msg *m) CR_NODISCARD;

/* ---- search --------------------------------------------------------------------- */

/* A search's working memory (visited marks, heaps), for one thread at a time;
 * reusable across searches of any index. */
CR_API cr_vec_scratch *cr_vec_scratch_new(void);
CR_API void cr_vec_scratch_free(cr_vec_scratch *s);

typedef struct cr_vec_hit {
	uint64_t id;  /* the id given at add */
	float score;  /* approximate inner product */
} cr_vec_hit;

/* Keeps the vector at position i (its id is cr_vec_index_id(ix, i)) when it
 * returns nonzero: tombstones and access control. */
typedef int (*cr_vec_filter)(void *ctx, size_t i);

typedef struct cr_vec_query {
	int k;                 /* hits wanted */
	int ef;                /* graph search breadth (>= k; 0: max(k, 64)) */
	int exact;             /* scan every vector even when a graph exists */
	cr_vec_filter filter;  /* NULL: every vector */
	void *filter_ctx;
	const cr_cancel *cancel;
} cr_vec_query;

/* The best hits for x (dim floats), best first, into hits[0..*n_hits) (room
 * for q->k). Exact scan without a graph or with q->exact. */
CR_API cr_err cr_vec_index_search(const cr_vec_index *ix, cr_vec_scratch *s, const float *x,
				  const cr_vec_query *q, cr_vec_hit *hits, int *n_hits, cr_msg *m) CR_NODISCARD;

/* ---- fvecs ---------------------------------------------------------------------- */

/* fvecs (the ANN benchmarks' format): per vector an int32 dimension d then d
 * float32 values, little-endian; every vector has the same d. */
typedef struct cr_fvecs {
	const uint8_t *p;
	size_t len;
	int dim;
	size_t n;
} cr_fvecs;
/* Checks the first dimension (1..CR_VEC_MAX_DIM) and that the length is a
 * whole number of records; an empty input is CR_ECORRUPT. */
CR_API cr_err cr_fvecs_init(cr_fvecs *f, const uint8_t *p, size_t len, cr_msg *m) CR_NODISCARD;
/* Copies vector i into out (dim floats); CR_ECORRUPT if its dimension field
 * differs or a value is not finite. */
CR_API cr_err cr_fvecs_row(const cr_fvecs *f, size_t i, float *out, cr_msg *m) CR_NODISCARD;

#endif
