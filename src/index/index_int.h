/*
 * index_int.h — private structures of the index module (see index.h).
 *
 * Files of an index directory:
 *   MANIFEST        the published state, replaced atomically (temp + fsync +
 *                   rename + directory fsync): the live segment numbers, the
 *                   next segment number, and the tombstoned entry ids.
 *   LOCK            flock()ed by whoever changes the index (a writer for its
 *                   whole life, delete, merge); readers never take it.
 *   seg_<no>.idx    one immutable segment: postings, attributes, dictionary.
 *   seg_<no>.pos    its positions stream.
 * A segment file not named in MANIFEST is the leftover of a crash (or of a
 * writer still running in another process, which holds LOCK); open removes
 * such files when it can take LOCK.
 *
 * All integers are little-endian; every read of a file goes through a bounds
 * check and a bad file gives CR_ECORRUPT.
 *
 * MANIFEST layout:
 *   "CRIXMAN1" | u32 version=1 | u32 n_segs | u64 generation | u64 next_seg
 *   | u64 n_tomb | n_segs x u64 seg_no | n_tomb x u64 id (sorted, unique)
 *   | u64 cr_hash64 of everything before it
 *
 * Segment .idx layout (offsets in the footer, each section 8-byte aligned):
 *   "CRIXSEG1"
 *   postings   per term: n_blocks x SKIP (20 bytes), then the blocks.
 *              SKIP  = u32 last_doc | u32 data_off (from the end of the skip
 *                      table) | u32 pos_off (from the term's start in .pos)
 *                      | IMPACT (8 bytes)
 *              block = u8 n | u8 bits_doc | u8 bits_tfb | u8 bits_tft
 *                      | packed (doc - prev - 1) | packed tf_body | packed tf_title
 *              (blocks hold 128 docs, the last one the rest; packing is LSB
 *              first, each array padded to a byte)
 *   attrs      n_docs x ATTR (64 bytes, see CR_IX_ATTR_*)
 *   norms      n_docs bytes title-length codes, then n_docs body-length codes
 *   strings    doc names and types referenced by ATTR
 *   groups     u32 group ids referenced by ATTR
 *   perm       n_docs x u32: local doc numbers sorted by entry id
 *   terms      n_terms x TERM (40 bytes), sorted by term bytes
 *              TERM = u64 post_off | u64 pos_off | u32 post_len | u32 df
 *                     | u32 term_off | u16 term_len | u16 0 | IMPACT
 *   tblob      term bytes
 *   footer     (CR_IX_FOOTER_SIZE bytes, see seg_read.c)
 * IMPACT = u8 tf_title | u8 len_title_code | 3 x (u8 tf_body, u8 len_body_code):
 * a summary that bounds the score of every posting it covers whatever the
 * BM25F parameters and collection statistics: each posting has title tf <=
 * tf_title and title length >= that of the code, and is dominated by one of
 * the body pairs. tf 255 means "255 or more" (bounded by saturation).
 *
 * Segment .pos layout: per term, per block, per doc: (tf_title + tf_body)
 * positions as varint deltas (title positions, then body positions shifted
 * past the title so phrases never span both).
 */
#ifndef CR_INDEX_INT_H
#define CR_INDEX_INT_H

#include "cristal/crypt.h"
#include "cristal/index.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the index file format code assumes a little-endian host"
#endif

#define CR_IX_BLOCK 128
#define CR_IX_SKIP_SIZE 20
#define CR_IX_TERM_SIZE 40
#define CR_IX_ATTR_SIZE 64
#define CR_IX_FOOTER_SIZE 160
#define CR_IX_MAX_TERM 1024      /* longer analyzer terms are cut */
#define CR_IX_BODY_POS_GAP 64    /* positions between title and body */
#define CR_IX_END UINT32_MAX

/* ATTR record field offsets */
enum {
	CR_IX_ATTR_ID = 0,        /* u64 */
	CR_IX_ATTR_DOCKEY = 8,    /* u64 */
	CR_IX_ATTR_DATE = 16,     /* i64 */
	CR_IX_ATTR_TENANT = 24,   /* u32 */
	CR_IX_ATTR_OWNER = 28,    /* u32 */
	CR_IX_ATTR_GROUPS = 32,   /* u32 index into groups */
	CR_IX_ATTR_NGROUPS = 36,  /* u32 */
	CR_IX_ATTR_DOC = 40,      /* u32 offset into strings */
	CR_IX_ATTR_DOCLEN = 44,   /* u32 */
	CR_IX_ATTR_TYPE = 48,     /* u32 offset into strings */
	CR_IX_ATTR_TYPELEN = 52,  /* u16 */
	CR_IX_ATTR_CLASS = 54,    /* u8 */
	CR_IX_ATTR_LENT = 56,     /* u32 title length in tokens */
	CR_IX_ATTR_LENB = 60,     /* u32 body length in tokens */
};

static inline uint16_t cr_ix_rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t cr_ix_rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t cr_ix_rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void cr_ix_wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void cr_ix_wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void cr_ix_wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ---- codec.c ---- */
uint8_t cr_ix_len_code(uint32_t len);
float cr_ix_len_decode(uint8_t code);
int cr_ix_bits(uint32_t max); /* bits needed for values <= max */
void cr_ix_pack(const uint32_t *v, int n, int bits, uint8_t *out); /* writes (n*bits+7)/8 bytes */
void cr_ix_unpack(const uint8_t *in, int n, int bits, uint32_t *out);
void cr_ix_unpack_slack(const uint8_t *in, int n, int bits, uint32_t *out); /* may read 7 bytes past */
static inline size_t cr_ix_packed_bytes(int n, int bits) { return ((size_t)n * (size_t)bits + 7) / 8; }
/* varint (LEB128, u32). put returns bytes written (<=5); get returns bytes
 * read or 0 if truncated/overlong. */
static inline int cr_ix_varint_put(uint8_t *out, uint32_t v)
{
	int n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}
int cr_ix_varint_get(const uint8_t *p, size_t avail, uint32_t *v);

/* Score bound summary of a set of postings (see IMPACT above). */
typedef struct cr_ix_impact {
	uint8_t tf_t, lt;
	uint8_t tf_b[3], lb[3];
} cr_ix_impact;
void cr_ix_impact_reset(cr_ix_impact *im);
void cr_ix_impact_add(cr_ix_impact *im, uint32_t tf_t, uint8_t lt, uint32_t tf_b, uint8_t lb);
void cr_ix_impact_merge(cr_ix_impact *im, const cr_ix_impact *o);
void cr_ix_impact_put(uint8_t *p, const cr_ix_impact *im);
void cr_ix_impact_get(const uint8_t *p, cr_ix_impact *im);

/* ---- seg_write.c: streams one segment to disk ---- */
typedef struct cr_ix_segw cr_ix_segw;
/* norm codes: n_docs title codes then n_docs body codes; borrowed until finish. */
cr_err cr_ix_segw_open(const char *dir, const cr_key *key, uint64_t seg_no, uint32_t n_docs, const uint8_t *norms,
		       cr_ix_segw **out, cr_msg *m) CR_NODISCARD;
cr_err cr_ix_segw_term_begin(cr_ix_segw *w, const uint8_t *term, uint32_t len) CR_NODISCARD;
/* docs strictly increasing within a term; pos has tf_t + tf_b positions, sorted */
cr_err cr_ix_segw_add(cr_ix_segw *w, uint32_t doc, uint32_t tf_t, uint32_t tf_b, const uint32_t *pos) CR_NODISCARD;
cr_err cr_ix_segw_term_end(cr_ix_segw *w) CR_NODISCARD;
/* attrs: n_docs x ATTR; strings/groups blobs; writes perm, dictionary,
 * footer; fsyncs both files. */
cr_err cr_ix_segw_finish(cr_ix_segw *w, const uint8_t *attrs, const uint8_t *strs, size_t strs_len,
			 const uint32_t *groups, size_t n_groups, cr_msg *m) CR_NODISCARD;
void cr_ix_segw_abort(cr_ix_segw *w); /* closes and removes the files */

void cr_ix_seg_path(char *out, size_t n, const char *dir, uint64_t seg_no, const char *ext);

/* ---- seg_read.c: a mapped segment ---- */
typedef struct cr_ix_seg {
	atomic_int ref;
	uint64_t no;
	cr_mmap idx, pos;     /* mapped files, or (sealed) opened copies in memory */
	int heap;             /* idx and pos are cr_malloc'd plaintext, wiped at free */
	uint32_t n_docs, n_terms;
	const uint8_t *post;  size_t post_len;
	const uint8_t *attrs;
	const uint8_t *norm_t, *norm_b;
	const uint8_t *strs;  size_t strs_len;
	const uint8_t *groups; size_t n_groups;
	const uint8_t *perm;
	const uint8_t *terms;
	const uint8_t *tblob; size_t tblob_len;
	uint64_t sum_lt, sum_lb, min_id, max_id;
	uint64_t bytes;
} cr_ix_seg;

/* A term as found in one segment (validated). */
typedef struct cr_ix_tinfo {
	uint32_t df;
	uint32_t n_blocks;
	const uint8_t *skip;   /* n_blocks x SKIP */
	const uint8_t *data;   /* block data */
	size_t data_len;
	const uint8_t *pos;    /* the term's positions */
	size_t pos_len;
	cr_ix_impact impact;
} cr_ix_tinfo;

cr_err cr_ix_seg_open(const char *dir, const cr_key *key, uint64_t no, cr_ix_seg **out, cr_msg *m) CR_NODISCARD;
void cr_ix_seg_unref(cr_ix_seg *s);
/* Term number i's bytes (validated at open). */
const uint8_t *cr_ix_seg_term(const cr_ix_seg *s, uint32_t i, uint32_t *len);
/* Binary search: index of the first term >= key (n_terms if none). */
uint32_t cr_ix_seg_lower_bound(const cr_ix_seg *s, const uint8_t *key, uint32_t len);
/* 1 found, 0 absent, <0 corrupt (CR_ECORRUPT in *err). */
int cr_ix_seg_find(const cr_ix_seg *s, const uint8_t *key, uint32_t len, cr_ix_tinfo *ti);
cr_err cr_ix_seg_tinfo(const cr_ix_seg *s, uint32_t i, cr_ix_tinfo *ti) CR_NODISCARD;
/* local doc of an entry id, or -1 */
int64_t cr_ix_seg_lookup_id(const cr_ix_seg *s, uint64_t id);
static inline const uint8_t *cr_ix_seg_attr(const cr_ix_seg *s, uint32_t doc)
{
	return s->attrs + (size_t)doc * CR_IX_ATTR_SIZE;
}
/* string of an attr (validated at open) */
const char *cr_ix_seg_str(const cr_ix_seg *s, uint32_t off, uint32_t len);

/* Postings cursor over one term of one segment. */
typedef struct cr_ix_cur {
	cr_ix_tinfo ti;
	uint32_t n_docs;       /* of the segment: docs must be below */
	int32_t blk;           /* decoded block, -1 none */
	uint32_t sblk;         /* shallow block (>= blk) */
	int i, n;              /* position in decoded block */
	uint32_t doc;          /* current doc or CR_IX_END */
	int corrupt;
	uint32_t docs[CR_IX_BLOCK], tfb[CR_IX_BLOCK], tft[CR_IX_BLOCK];
	/* term frequencies are unpacked on first use in a block */
	const uint8_t *tf_p;
	uint8_t bits_b, bits_t;
	int tf_ready;
	/* positions of the decoded block: lazily decoded */
	int pos_ready;
	uint32_t *posv; size_t posv_cap; uint32_t pos_idx[CR_IX_BLOCK + 1];
	/* search bookkeeping */
	int term;              /* index into the query's term table */
	float ub;              /* whole-list bound */
	float bub;             /* bound of block sblk (valid if bub_blk == sblk) */
	int64_t bub_blk;
} cr_ix_cur;

void cr_ix_cur_init(cr_ix_cur *c, const cr_ix_tinfo *ti, uint32_t n_docs);
void cr_ix_cur_release(cr_ix_cur *c);
void cr_ix_cur_next(cr_ix_cur *c);
void cr_ix_cur_advance(cr_ix_cur *c, uint32_t target); /* first doc >= target */
void cr_ix_cur_shallow(cr_ix_cur *c, uint32_t target); /* sblk = block that may hold target */
static inline uint32_t cr_ix_cur_block_last(const cr_ix_cur *c)
{
	return c->sblk < c->ti.n_blocks ? cr_ix_rd32(c->ti.skip + (size_t)c->sblk * CR_IX_SKIP_SIZE) : CR_IX_END;
}
void cr_ix_cur_decode_tf(cr_ix_cur *c);
static inline uint32_t cr_ix_cur_tf_t(cr_ix_cur *c)
{
	if (!c->tf_ready)
		cr_ix_cur_decode_tf(c);
	return c->tft[c->i];
}
static inline uint32_t cr_ix_cur_tf_b(cr_ix_cur *c)
{
	if (!c->tf_ready)
		cr_ix_cur_decode_tf(c);
	return c->tfb[c->i];
}
/* Positions of the current doc; returns count, NULL on corruption. */
const uint32_t *cr_ix_cur_positions(cr_ix_cur *c, uint32_t *n);

/* ---- index.c ---- */
typedef struct cr_ix_snap {
	atomic_int ref;
	uint32_t n_segs;
	cr_ix_seg **segs;
	uint8_t **dead;        /* per segment bitmap or NULL */
	uint32_t *n_dead;
	uint64_t *tomb;        /* sorted */
	size_t n_tomb;
	uint64_t generation, next_seg;
	uint64_t n_docs, sum_lt, sum_lb, max_id;
} cr_ix_snap;

typedef struct cr_ix_params {
	float k1, b_body, b_title, w_title;
	float w_bigram;      /* query weight of CJK bigram terms ('b'), words 1 */
} cr_ix_params;

struct cr_index {
	char *dir;
	pthread_mutex_t mu;  /* guards snap, man_st, lock_fd, lock_depth, lock_owner */
	pthread_mutex_t wmu; /* serializes manifest read-modify-write in this process */
	cr_ix_snap *snap;
	struct stat man_st;
	int have_man_st;
	int lock_fd, lock_depth; /* LOCK held (flock) while lock_depth > 0 */
	pthread_t lock_owner;    /* the thread holding it */
	uint64_t seg_hwm;   /* segment numbers below are taken in this process (guarded by mu) */
	cr_ix_params params;
	const cr_key *key;  /* encrypted index: segments are sealed files (crypt.h); borrowed */
};

/* A fresh segment number: >= floor (MANIFEST's next_seg) and never one this
 * process handed out before (an open writer's unpublished segments). */
uint64_t cr_ix_seg_alloc(cr_index *ix, uint64_t floor);
/* next_seg to publish: past every number handed out. */
uint64_t cr_ix_seg_next(cr_index *ix, uint64_t floor);

cr_ix_snap *cr_ix_snap_get(cr_index *ix);
void cr_ix_snap_put(cr_ix_snap *s);
/* Installs s (taking over its reference) if its generation is newer than
 * the installed snapshot's, recording MANIFEST's stat (NULL: no file);
 * else drops s. Returns 1 when installed. */
int cr_ix_snap_install(cr_index *ix, cr_ix_snap *s, const struct stat *man_st);
/* LOCK for the calling thread (re-entrant within it): CR_EBUSY at once when
 * another thread of this process holds it, after ~30 s when another
 * process does. Only the holding thread unlocks. */
cr_err cr_ix_lock(cr_index *ix, cr_msg *m) CR_NODISCARD;
void cr_ix_unlock(cr_index *ix);
/* Under the lock: reads MANIFEST (absent = empty). */
typedef struct cr_ix_manifest {
	uint64_t generation, next_seg;
	uint64_t *segs; uint32_t n_segs;
	uint64_t *tomb; size_t n_tomb;
} cr_ix_manifest;
cr_err cr_ix_manifest_read(const char *dir, cr_ix_manifest *mf, cr_msg *m) CR_NODISCARD;
cr_err cr_ix_manifest_write(const char *dir, const cr_ix_manifest *mf, cr_msg *m) CR_NODISCARD;
void cr_ix_manifest_release(cr_ix_manifest *mf);
/* Parses manifest bytes (exposed for the fuzz target). */
cr_err cr_ix_manifest_parse(const uint8_t *p, size_t n, cr_ix_manifest *mf, cr_msg *m) CR_NODISCARD;

/* ---- search.c ---- */
enum { CR_IX_MODE_FAST = 0, CR_IX_MODE_EXHAUSTIVE = 1 };
cr_err cr_ix_search_mode(cr_index *ix, cr_analyzer *an, const char *query, const cr_search_opts *o,
			 int mode, cr_results *out, cr_msg *m) CR_NODISCARD;

/* ---- query.c ---- */
enum { CR_IXQ_WORDS, CR_IXQ_PHRASE, CR_IXQ_PREFIX };
enum { CR_IXQ_SHOULD, CR_IXQ_MUST, CR_IXQ_NOT };
typedef struct cr_ixq_tok {
	const char *term; uint32_t len;
	uint32_t pos;
	uint32_t flags;      /* cr_token.flags */
} cr_ixq_tok;
typedef struct cr_ixq_clause {
	int occur, kind;
	cr_ixq_tok *toks; uint32_t n_toks;
} cr_ixq_clause;
typedef struct cr_ixq {
	cr_ixq_clause *cl; uint32_t n_cl;
	const char **types; uint32_t n_types;
	const char **paths; uint32_t n_paths;
	int has_from, has_to;
	int64_t date_from, date_to;
} cr_ixq;
cr_err cr_ixq_parse(cr_arena *a, cr_analyzer *an, const char *q, cr_ixq *out, cr_msg *m) CR_NODISCARD;

#endif
