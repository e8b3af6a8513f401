/*
 * gguf_int.h — private structures of the GGUF reader (gguf.c), writer
 * (gguf_write.c) and tensor-type table (ttype.c), shared inside src/llm.
 *
 * GGUF byte layout (little-endian throughout; v2 and v3 are identical on
 * disk, v3 only promises the byte order; v1 used 32-bit counts and lengths
 * and is rejected):
 *
 *   header     u32 magic "GGUF" (bytes 47 47 55 46)
 *              u32 version (2 or 3)
 *              u64 n_tensors
 *              u64 n_kv
 *   kv[n_kv]   str key, u32 value type, value
 *   tinfo[n_tensors]
 *              str name, u32 n_dims (0..4), u64 ne[n_dims],
 *              u32 ggml type, u64 offset (from the data section: the sum
 *              of the sizes of the tensors before it, each rounded up to
 *              the alignment)
 *   padding    zero bytes up to a multiple of the alignment
 *   data       the tensors' bytes; the section starts at the first aligned
 *              position after the tensor infos
 *
 *   str        u64 length, then that many bytes of UTF-8, no NUL
 *   value      by type: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32,
 *              7 bool (one byte, 0 or 1), 8 str, 10 u64, 11 i64, 12 f64,
 *              9 array = u32 element type, u64 count, count elements
 *              (arrays of arrays are valid GGUF but nobody writes them; we
 *              reject them as unsupported)
 *
 * Alignment is general.alignment (a u32 power of two) or 32. A tensor's
 * byte size is ne[0]/blck * block_bytes * ne[1] * ne[2] * ne[3] with
 * ne[0] a multiple of the type's block (ttype.c).
 *
 * The reader keeps pointers into the mapping: keys, string values and
 * tensor names are NOT NUL-terminated. Every length and count is checked
 * against the bytes left before anything is allocated for it, so a hostile
 * file costs at most O(file size) memory.
 */
#ifndef CR_LLM_GGUF_INT_H
#define CR_LLM_GGUF_INT_H

#include "cristal/llm.h"

#define CR_GGUF_MAGIC 0x46554747u /* "GGUF" read as little-endian u32 */
#define CR_GGUF_DEFAULT_ALIGNMENT 32
#define CR_GGUF_MAX_NAME 64 /* GGML_MAX_NAME: tensor names are shorter */

typedef struct cr_gguf_kv {
	cr_gguf_str key;
	cr_gguf_vtype type;
	cr_gguf_vtype elem;       /* arrays: element type */
	uint64_t n;               /* arrays: element count; else 1 */
	const uint8_t *val;       /* scalar value or first array element */
	cr_gguf_str *strs;        /* string values (1 for a string, n for an array of strings) */
} cr_gguf_kv;

struct cr_gguf {
	cr_mmap mm;               /* when opened from a path */
	const uint8_t *base;
	size_t len;
	uint32_t version;
	uint32_t alignment;
	size_t n_kv;
	cr_gguf_kv *kv;
	size_t n_tensors;
	cr_gguf_tensor *tensors;
	uint32_t *thash;          /* open addressing over tensor names: index+1, 0 = empty */
	size_t thash_cap;
	size_t data_offset;       /* start of the data section in the file */
	int mapped;               /* opened from a path: base is our own mapping */
	uint8_t *data_copy;       /* the data section in private memory, or NULL */
	int keep_mapped;          /* cr_gguf_load_data leaves the weights in the mapping */
	size_t data_copy_len;     /* bytes mapped at data_copy */
};

/*
 * Moves the tensor data section out of the file mapping into private
 * anonymous memory that asks the kernel for transparent huge pages, and
 * points every tensor there. Generation streams every weight once per
 * token; with 4 KiB file pages one core reads about 11.6 GB/s here, with
 * 2 MiB pages 16.2, because a page walk no longer interrupts the hardware
 * prefetcher every 4 KiB. The bytes are copied from the mapping a window
 * at a time, each window's source pages dropped from the resident set once
 * copied, so resident memory stays about one copy of the weights. A no-op for
 * files opened from memory, when already done, when the kernel has THP
 * disabled, or with g->keep_mapped (cr_model_set_keep_mapped; the CLI sets
 * it for CR_MMAP=1): the weights then stay in the shared page cache, which
 * other processes mapping the file can share.
 * On success *moved (optional) says whether pointers changed and *from is
 * the old start of the data section.
 */
cr_err cr_gguf_load_data(cr_gguf *g, int *moved, const uint8_t **from, cr_msg *m) CR_NODISCARD;


/* Bytes of one scalar of type t (0 for string / array / unknown). */
size_t cr_gguf_vtype_size(cr_gguf_vtype t);
const char *cr_gguf_vtype_name(cr_gguf_vtype t);
/* The kv record for a key, or NULL. */
const cr_gguf_kv *cr_gguf_kv_find(const cr_gguf *g, const char *key);
/* Reads element i of a numeric value (scalar: i = 0) as a double / int64.
 * Returns 0 if the element is not numeric. */
int cr_gguf_kv_num(const cr_gguf_kv *kv, uint64_t i, double *f, int64_t *v);

/* Block geometry of every type GGML can store in a file (ttype.c), whether
 * or not the engine computes with it. Returns 0 for an unknown type. */
int cr_ttype_ggml_geom(uint32_t t, int *blck, size_t *bytes, const char **name);

#endif
