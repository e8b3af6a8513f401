/*
 * base.h — the foundation every other module stands on: the error enum and
 * message sink, arenas, growable buffers with a cap, file reading and mmap,
 * hashing, UTF-8 helpers, logging and the thread pool.
 *
 * base knows nothing of any other module. Everything here is thread-safe
 * unless the function says otherwise (an arena or a buffer belongs to one
 * thread at a time).
 */
#ifndef CRISTAL_BASE_H
#define CRISTAL_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The program's version (`cristal --version`, the MCP endpoint's serverInfo). */
#define CR_VERSION "0.1.0"

#define CR_API __attribute__((visibility("default")))
#define CR_NODISCARD __attribute__((warn_unused_result))
#define CR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CR_UNUSED(x) ((void)(x))
/* A CR_NODISCARD result deliberately not looked at (GCC does not take a
 * void cast as a use): say why beside it. */
#define CR_IGNORE(x)        \
	do {                \
		if (x) {    \
		}           \
	} while (0)
#define CR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CR_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CR_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- errors ------------------------------------------------------------ */

typedef enum cr_err {
	CR_OK = 0,
	CR_ENOMEM,       /* allocation failed or a cap was reached */
	CR_EINVAL,       /* caller passed something meaningless */
	CR_EIO,          /* the operating system said no */
	CR_ECORRUPT,     /* outside bytes are malformed (file, request, JSON) */
	CR_ENOTFOUND,    /* no such thing */
	CR_EEXIST,       /* already there */
	CR_EDENIED,      /* not allowed (ACL, policy, encrypted input) */
	CR_ETIMEOUT,
	CR_ECANCELED,
	CR_EUNSUPPORTED, /* valid but not something we handle */
	CR_ETOOBIG,      /* input over a configured limit (size, depth, ratio) */
	CR_EBUSY,        /* a lock or a slot is held by someone else */
	CR_EUNAUTH,      /* no or bad credentials (HTTP 401) */
	CR_ERATELIMIT,   /* a quota or rate limit was reached (HTTP 429) */
	CR_EUPSTREAM,    /* a model provider or other upstream service failed (HTTP 502) */
	CR_ERR__COUNT
} cr_err;

CR_API const char *cr_strerror(cr_err e);

/*
 * A message sink for humans. Functions that fail may write a one-line
 * reason here; on success they leave it untouched. Pass NULL if you do not
 * care. The text is always NUL-terminated and truncated to fit.
 */
typedef struct cr_msg {
	char text[512];
} cr_msg;

/* Writes the formatted reason into m (if m is not NULL) and returns e, so a
 * failure reads: return cr_fail(m, CR_ECORRUPT, "pdf: no xref table"); */
CR_API cr_err cr_fail(cr_msg *m, cr_err e, const char *fmt, ...) CR_PRINTF(3, 4);

/* Aborts with file:line on a broken invariant (never for bad input). */
#define CR_ASSERT(c)                                                      \
	do {                                                              \
		if (!(c))                                                 \
			cr_assert_fail(__FILE__, __LINE__, #c);           \
	} while (0)
CR_API void cr_assert_fail(const char *file, int line, const char *cond)
	__attribute__((noreturn));

/* ---- allocation -------------------------------------------------------- */

/* malloc/realloc/calloc wrappers that go through one hook, so tests can
 * inject allocation failures. They return NULL on failure like libc. */
CR_API void *cr_malloc(size_t n);
CR_API void *cr_calloc(size_t n, size_t size);
CR_API void *cr_realloc(void *p, size_t n);
CR_API void cr_free(void *p);
CR_API char *cr_strdup(const char *s);
CR_API char *cr_strndup(const char *s, size_t n);
/* Fault injection for tests: the nth allocation from now (1 = next) fails,
 * and every one after it while `sticky`. n = 0 turns injection off. */
CR_API void cr_alloc_fail_after(long n, int sticky);

/*
 * Arena: many small allocations freed at once. Each request, ingest job and
 * search gets one. `cap` bounds the total bytes (0 = no bound), so hostile
 * input cannot grow memory without limit; past it allocation returns NULL.
 */
typedef struct cr_arena_block cr_arena_block;
typedef struct cr_arena {
	cr_arena_block *head;
	size_t used;   /* bytes handed out, all blocks */
	size_t cap;    /* 0 = unbounded */
} cr_arena;

CR_API void cr_arena_init(cr_arena *a, size_t cap);
CR_API void cr_arena_release(cr_arena *a); /* frees everything; reusable */
CR_API void *cr_arena_alloc(cr_arena *a, size_t n);   /* 16-byte aligned */
CR_API void *cr_arena_zalloc(cr_arena *a, size_t n);
CR_API char *cr_arena_strdup(cr_arena *a, const char *s);
CR_API char *cr_arena_strndup(cr_arena *a, const char *s, size_t n);
CR_API char *cr_arena_printf(cr_arena *a, const char *fmt, ...) CR_PRINTF(2, 3);
CR_API void *cr_arena_memdup(cr_arena *a, const void *p, size_t n);

/*
 * cr_buf: growable byte buffer, always NUL-terminated, bounded by `cap`
 * (0 = unbounded). Appends past the cap fail with CR_ETOOBIG and leave the
 * buffer as it was.
 */
typedef struct cr_buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap;
} cr_buf;

CR_API void cr_buf_init(cr_buf *b, size_t cap);
CR_API void cr_buf_release(cr_buf *b);
CR_API void cr_buf_reset(cr_buf *b); /* len = 0, keeps memory */
CR_API cr_err cr_buf_reserve(cr_buf *b, size_t extra) CR_NODISCARD;
CR_API cr_err cr_buf_add(cr_buf *b, const void *p, size_t n) CR_NODISCARD;
CR_API cr_err cr_buf_adds(cr_buf *b, const char *s) CR_NODISCARD;
CR_API cr_err cr_buf_addc(cr_buf *b, char c) CR_NODISCARD;
CR_API cr_err cr_buf_printf(cr_buf *b, const char *fmt, ...) CR_PRINTF(2, 3) CR_NODISCARD;
CR_API cr_err cr_buf_vprintf(cr_buf *b, const char *fmt, va_list ap) CR_NODISCARD;
/* Appends s as a JSON string literal, quotes included. Bytes that are not
 * UTF-8 are written escaped as cr_utf8_escape does ("\\xNN"), so the
 * output is always valid UTF-8 JSON. */
CR_API cr_err cr_buf_add_json_str(cr_buf *b, const char *s, size_t n) CR_NODISCARD;
/* Moves the bytes to the caller (free with cr_free); the buffer is empty. */
CR_API char *cr_buf_take(cr_buf *b, size_t *len_out);

/* ---- files ------------------------------------------------------------- */

/* Reads a whole file, up to max bytes (CR_ETOOBIG beyond). Result is
 * NUL-terminated (not counted in *len); free with cr_free. */
CR_API cr_err cr_file_read(const char *path, size_t max, uint8_t **out,
			   size_t *len, cr_msg *m) CR_NODISCARD;
/* Writes atomically: temp file in the same directory, fsync, rename. */
CR_API cr_err cr_file_write_atomic(const char *path, const void *p, size_t n,
				   cr_msg *m) CR_NODISCARD;
/* mkdir -p */
CR_API cr_err cr_mkdirs(const char *path, cr_msg *m) CR_NODISCARD;

/* A read-only memory map of a whole file. */
typedef struct cr_mmap {
	const uint8_t *data;
	size_t len;
} cr_mmap;
CR_API cr_err cr_mmap_open(cr_mmap *mm, const char *path, cr_msg *m) CR_NODISCARD;
CR_API void cr_mmap_close(cr_mmap *mm);

/* ---- hashing ----------------------------------------------------------- */

CR_API uint64_t cr_hash64(const void *p, size_t n, uint64_t seed); /* fast, not cryptographic */
/* SHA-256 as 64 lowercase hex chars + NUL (OpenSSL libcrypto). */
CR_API void cr_sha256_hex(const void *p, size_t n, char out[65]);

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decodes one code point at s (n bytes left). Returns its length (1..4) and
 * stores the code point, or returns 0 on an invalid or truncated sequence. */
CR_API int cr_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
CR_API int cr_utf8_encode(uint32_t cp, char out[4]); /* returns length, 0 if invalid */
CR_API int cr_utf8_valid(const uint8_t *s, size_t n);
/* Copies s into b replacing invalid sequences with U+FFFD and dropping NUL. */
CR_API cr_err cr_utf8_sanitize(cr_buf *b, const uint8_t *s, size_t n) CR_NODISCARD;
/* Names are bytes (a file name need not be UTF-8). cr_utf8_escape appends s
 * to b as valid UTF-8 that can be turned back into the exact bytes: valid
 * UTF-8 is copied as is; otherwise each byte of an invalid sequence becomes
 * the four characters "\xNN" (lower-case hex) and each backslash "\\".
 * With `controls`, C0 controls, DEL and C1 controls (U+0080-U+009F) become
 * "\xNN" too (for terminals), which also forces the backslash doubling;
 * newline and tab are kept when `controls` is 2. cr_utf8_unescape reverses
 * it into b (exact bytes) and returns CR_EINVAL if s holds no escape. */
CR_API cr_err cr_utf8_escape(cr_buf *b, const char *s, size_t n, int controls) CR_NODISCARD;
CR_API cr_err cr_utf8_unescape(cr_buf *b, const char *s, size_t n) CR_NODISCARD;

/* ---- e-mail addresses ------------------------------------------------- */

/* An e-mail address as Cristal keeps it (users' addresses, a message's and
 * a chat channel's readers; base/email.c): the bare addr-spec in lower
 * case, surrounding spaces removed. Writes it NUL-terminated to out (cap
 * bytes, CR_EMAIL_MAX is enough) and returns its length, or 0 when in
 * (n bytes) is not one: not exactly one '@', an empty local part or
 * domain, a domain without a letter or digit, a byte that is a space,
 * control, quote, one of <>()[],;:\ or not printable ASCII (an address is
 * compared as bytes: internationalised domains come in their ASCII form),
 * or longer than 254 bytes. */
#define CR_EMAIL_MAX 255
CR_API size_t cr_email_norm(const char *in, size_t n, char *out, size_t cap);

/* ---- time and logging -------------------------------------------------- */

CR_API double cr_now(void);      /* monotonic seconds */
CR_API int64_t cr_wallclock(void); /* unix seconds */

typedef enum { CR_LOG_DEBUG, CR_LOG_INFO, CR_LOG_WARN, CR_LOG_ERROR } cr_log_level;
/* The level and the sink are process-wide and may be changed from any
 * thread. The sink gets each formatted line (no newline); NULL restores
 * stderr. A sink must be thread-safe: cr_log is called from any thread. */
typedef void (*cr_log_sink)(void *ctx, cr_log_level l, const char *line);
CR_API void cr_log_set_level(cr_log_level l);
CR_API cr_log_level cr_log_get_level(void);
CR_API void cr_log_set_sink(cr_log_sink fn, void *ctx);
CR_API void cr_log(cr_log_level l, const char *fmt, ...) CR_PRINTF(2, 3);

/* ---- cancellation ------------------------------------------------------ */

/*
 * A cancel token: an atomic flag plus an optional deadline, shared by the
 * one who wants the result (an HTTP request, a CLI with a budget) and the
 * code doing the work (decoding, search, extraction), which calls
 * cr_cancel_check every so often and stops with its result when it is not
 * CR_OK. Any thread may request cancellation at any time; checking costs an
 * atomic load and, with a deadline, one monotonic clock read. A NULL token
 * never cancels. Embedded by the caller: cr_cancel_init, no release.
 */
typedef struct cr_cancel {
	_Atomic int flag;               /* 1 once cr_cancel_request was called */
	_Atomic int64_t deadline_ns;    /* monotonic ns, 0 = none */
} cr_cancel;
CR_API void cr_cancel_init(cr_cancel *c);
CR_API void cr_cancel_request(cr_cancel *c);
/* Sets the deadline `seconds` from now (<= 0: none). */
CR_API void cr_cancel_set_timeout(cr_cancel *c, double seconds);
/* CR_OK, CR_ECANCELED (requested) or CR_ETIMEOUT (deadline passed). */
CR_API cr_err cr_cancel_check(const cr_cancel *c) CR_NODISCARD;

/* ---- thread pool ------------------------------------------------------- */

/*
 * A pool's owner decides its size (the CLI or server: one pool per inference
 * slot, one per ingest run); libraries make no threads of their own choosing.
 * cr_pool_run runs fn(ctx, i, n) for i in [0, n_tasks) spread over the
 * pool's threads, the calling thread included, and returns when all are
 * done. Built for very short parallel sections (one matrix product per call,
 * hundreds per generated token): workers spin about a millisecond before
 * sleeping.
 * Threads: any thread may call cr_pool_run. A call made from one of the
 * pool's own tasks runs its tasks inline on that thread; calls from several
 * threads at once take turns (each waits until the run before it is over),
 * so a pool shared by busy callers serialises them: give each concurrent
 * user (an inference slot) its own pool. Tasks of one run must not wait for
 * each other. cr_pool_free must not race a cr_pool_run on the same pool.
 */
typedef struct cr_pool cr_pool;
typedef void (*cr_pool_fn)(void *ctx, int i_task, int n_tasks);
CR_API cr_err cr_pool_new(int n_threads, cr_pool **out) CR_NODISCARD; /* n <= 0: cores */
CR_API void cr_pool_free(cr_pool *p);
CR_API int cr_pool_threads(const cr_pool *p);
CR_API void cr_pool_run(cr_pool *p, int n_tasks, cr_pool_fn fn, void *ctx);
CR_API int cr_ncpu(void);

#endif
