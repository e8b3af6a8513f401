/*
 * tok.c — builds a tokenizer from GGUF metadata and runs the parts shared by
 * every algorithm: special-token partitioning, BOS/EOS/SEP, end-of-
 * generation ids and piece decoding. The algorithms live in tok_spm.c
 * (SentencePiece BPE), tok_bpe.c (byte-level BPE), tok_wpm.c (WordPiece) and
 * tok_ugm.c (Unigram).
 *
 * Everything follows llama.cpp's llama_vocab::impl::load / tokenize /
 * token_to_piece (src/llama-vocab.cpp) so that cr_tok_encode returns the
 * ids llama_tokenize returns for the same file and flags: the same per-type
 * defaults, the same metadata keys, the same text-based detection of EOT/EOG
 * tokens (which also turns such tokens into control tokens), special tokens
 * matched longest first, and CR_TOK_ADD_BOS meaning llama.cpp's
 * add_special (BOS and/or EOS as the file says; [CLS] ... [SEP] for BERT).
 *
 * Costs: loading copies the vocabulary (a few MB for 150k tokens) and
 * builds hash tables; encoding is O(n log n) in the text length per word
 * plus O(n_special * n) for the partitioning.
 */
#define _GNU_SOURCE /* memmem, qsort_r */
#include "tok_int.h"
#include "gguf_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- hashing ------------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
#define FNV0 0xcbf29ce484222325ull

static cr_err map_init(cr_tok_map *m, size_t n)
{
	size_t cap = 64;
	while (cap < n * 2)
		cap <<= 1;
	m->slot = cr_calloc(cap, sizeof *m->slot);
	m->cap = cap;
	return m->slot ? CR_OK : CR_ENOMEM;
}

static int text_eq(const cr_tok *t, cr_token_id id, const char *s, size_t n)
{
	size_t tn;
	const char *tp = cr_tok_text(t, id, &tn);
	return tn == n && !memcmp(tp, s, n);
}

/* Inserts id under its text; replace = a later duplicate wins. */
static void map_put_id(const cr_tok *t, cr_tok_map *m, cr_token_id id, int replace)
{
	size_t n;
	const char *s = cr_tok_text(t, id, &n);
	size_t j = fnv(FNV0, s, n) & (m->cap - 1);
	while (m->slot[j]) {
		if (text_eq(t, (cr_token_id)m->slot[j] - 1, s, n)) {
			if (replace)
				m->slot[j] = (uint32_t)id + 1;
			return;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->slot[j] = (uint32_t)id + 1;
}

static cr_token_id map_get_id_h(const cr_tok *t, const cr_tok_map *m, const char *s, size_t n, uint64_t h)
{
	if (!m->slot)
		return -1;
	size_t j = h & (m->cap - 1);
	while (m->slot[j]) {
		cr_token_id id = (cr_token_id)m->slot[j] - 1;
		if (text_eq(t, id, s, n))
			return id;
		j = (j + 1) & (m->cap - 1);
	}
	return -1;
}

static cr_token_id map_get_id(const cr_tok *t, const cr_tok_map *m, const char *s, size_t n)
{
	return map_get_id_h(t, m, s, n, fnv(FNV0, s, n));
}

cr_token_id cr_tok_lookup(const cr_tok *t, const char *s, size_t n) { return map_get_id(t, &t->by_text, s, n); }
cr_token_id cr_tok_ugm_lookup(const cr_tok *t, const char *s, size_t n) { return map_get_id(t, &t->ugm_map, s, n); }

uint64_t cr_tok_hash_step(uint64_t h, uint8_t c) { return (h ^ c) * 0x100000001b3ull; }

cr_token_id cr_tok_ugm_lookup_h(const cr_tok *t, const char *s, size_t n, uint64_t h)
{
	return map_get_id_h(t, &t->ugm_map, s, n, h);
}

static uint64_t merge_hash(const char *l, size_t nl, const char *r, size_t nr)
{
	return fnv(fnv(fnv(FNV0, l, nl), " ", 1), r, nr);
}

int32_t cr_tok_bpe_rank(const cr_tok *t, const char *l, size_t nl, const char *r, size_t nr)
{
	if (!t->merge_map.slot)
		return -1;
	size_t j = merge_hash(l, nl, r, nr) & (t->merge_map.cap - 1);
	while (t->merge_map.slot[j]) {
		uint32_t rank = t->merge_map.slot[j] - 1;
		const cr_tok_merge *mg = &t->merges[rank];
		const char *p = t->merge_blob + mg->off;
		if (mg->n_left == nl && mg->n_right == nr && !memcmp(p, l, nl) && !memcmp(p + nl, r, nr))
			return (int32_t)rank;
		j = (j + 1) & (t->merge_map.cap - 1);
	}
	return -1;
}

cr_err cr_tok_push(cr_buf *ids, cr_token_id id) { return cr_buf_add(ids, &id, sizeof id); }

/* ---- loading ------------------------------------------------------------ */

static int str_is(cr_gguf_str s, const char *z) { return s.n == strlen(z) && !memcmp(s.p, z, s.n); }

static int str_in(cr_gguf_str s, const char *const *list)
{
	for (; *list; list++)
		if (str_is(s, *list))
			return 1;
	return 0;
}

static cr_err load_pre(cr_tok *t, cr_gguf_str pre, cr_msg *m)
{
	static const char *const llama3[] = {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
					     "midm-2.0", "lfm2", "jina-v5-nano", NULL};
	static const char *const llama3_re[] = {"dbrx", "smaug-bpe", NULL};
	static const char *const gpt2[] = {"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es",
					   "jina-v2-de", "a.x-4.0", "mellum", "modern-bert", "mpt", "olmo", "jais",
					   "trillion", "granite-docling", "exaone4", NULL};
	static const char *const gpt2_sep[] = {"jina-v1-en", "jina-v2-code", "roberta-bpe", NULL};
	static const char *const qwen2[] = {"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "stablelm2", "hunyuan",
					    "solar-open", "megrez", NULL};
	if (pre.n == 0 || str_is(pre, "default")) {
		t->pre = CR_PRE_DEFAULT;
	} else if (str_in(pre, llama3)) {
		t->pre = CR_PRE_LLAMA3;
		t->ignore_merges = 1;
		t->add_bos = 1;
	} else if (str_in(pre, llama3_re)) {
		t->pre = CR_PRE_LLAMA3;
	} else if (str_is(pre, "glm4") || str_is(pre, "chatglm-bpe")) {
		t->pre = CR_PRE_LLAMA3;
		t->bos = -1;
	} else if (str_in(pre, gpt2)) {
		t->pre = CR_PRE_GPT2;
		if (str_is(pre, "trillion") || str_is(pre, "granite-docling"))
			t->clean_spaces = 0;
	} else if (str_in(pre, gpt2_sep)) {
		t->pre = CR_PRE_GPT2;
		t->add_sep = 1;
	} else if (str_in(pre, qwen2)) {
		t->pre = CR_PRE_QWEN2;
		static const char *const keep_spaces[] = {"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan",
							  "solar-open", NULL};
		if (str_in(pre, keep_spaces))
			t->clean_spaces = 0;
	} else if (str_is(pre, "deepseek-llm")) {
		t->pre = CR_PRE_DEEPSEEK_LLM;
		t->clean_spaces = 0;
	} else {
		return cr_fail(m, CR_EUNSUPPORTED, "tokenizer: pre-tokenizer '%.*s' is not supported",
			       (int)CR_MIN(pre.n, 64), pre.p);
	}
	return CR_OK;
}

static void get_flag(const cr_gguf *g, const char *key, int *v)
{
	int b;
	if (cr_gguf_get_bool(g, key, &b) == CR_OK)
		*v = b;
}

static void get_id(const cr_tok *t, const cr_gguf *g, const char *key, cr_token_id *id)
{
	if (*id >= t->n_vocab)
		*id = -1; /* default out of range: disabled */
	int64_t v;
	if (cr_gguf_get_i64(g, key, &v) == CR_OK && v >= 0 && v < t->n_vocab)
		*id = (cr_token_id)v;
}

static cr_err load_merges(cr_tok *t, const cr_gguf *g, cr_msg *m)
{
	const cr_gguf_kv *kv = cr_gguf_kv_find(g, "tokenizer.ggml.merges");
	if (!kv)
		return cr_fail(m, CR_ECORRUPT, "tokenizer: no tokenizer.ggml.merges in a BPE vocabulary");
	if (kv->type != CR_GV_ARRAY || kv->elem != CR_GV_STRING)
		return cr_fail(m, CR_ECORRUPT, "tokenizer: tokenizer.ggml.merges is not an array of strings");
	if (kv->n >= INT32_MAX)
		return cr_fail(m, CR_ECORRUPT, "tokenizer: too many merges");
	size_t total = 0;
	for (uint64_t i = 0; i < kv->n; i++)
		total += kv->strs[i].n;
	t->n_merges = (size_t)kv->n;
	t->merge_blob = cr_malloc(total + 1);
	t->merges = cr_malloc((t->n_merges + 1) * sizeof *t->merges);
	if (!t->merge_blob || !t->merges || map_init(&t->merge_map, t->n_merges))
		return CR_ENOMEM;
	size_t off = 0;
	for (size_t i = 0; i < t->n_merges; i++) {
		cr_gguf_str s = kv->strs[i];
		cr_tok_merge *mg = &t->merges[i];
		mg->off = (uint32_t)off;
		/* split at the first space after position 0; none: ("", "") */
		const char *sp = s.n > 1 ? memchr(s.p + 1, ' ', s.n - 1) : NULL;
		if (sp) {
			mg->n_left = (uint32_t)(sp - s.p);
			mg->n_right = (uint32_t)(s.n - mg->n_left - 1);
			memcpy(t->merge_blob + off, s.p, mg->n_left);
			memcpy(t->merge_blob + off + mg->n_left, sp + 1, mg->n_right);
		} else {
			mg->n_left = mg->n_right = 0;
		}
		off += mg->n_left + mg->n_right;
		const char *p = t->merge_blob + mg->off;
		if (cr_tok_bpe_rank(t, p, mg->n_left, p + mg->n_left, mg->n_right) >= 0)
			continue; /* first occurrence keeps its rank */
		size_t j = merge_hash(p, mg->n_left, p + mg->n_left, mg->n_right) & (t->merge_map.cap - 1);
		while (t->merge_map.slot[j])
			j = (j + 1) & (t->merge_map.cap - 1);
		t->merge_map.slot[j] = (uint32_t)i + 1;
	}
	return CR_OK;
}

static int cmp_special(const void *a, const void *b, void *ctx)
{
	const cr_tok *t = ctx;
	cr_token_id x = *(const cr_token_id *)a, y = *(const cr_token_id *)b;
	size_t nx = t->off[x + 1] - t->off[x], ny = t->off[y + 1] - t->off[y];
	if (nx != ny)
		return nx > ny ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void mark_control(cr_tok *t, cr_token_id id) { t->attr[id] |= CR_TA_CONTROL; }

/* Text-based detection of EOT / EOM / FIM tokens and the EOG set, as
 * llama.cpp does it (the convert scripts do not always record them). */
static void detect_special(cr_tok *t)
{
	static const char *const eot[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
					  "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
					  "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
					  "<end_of_utterance>", NULL};
	static const char *const eom[] = {"<|eom_id|>", NULL};
	static const char *const fpre[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
					   "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>", "<PRE>",
					   "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL};
	static const char *const fsuf[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
					   "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>", "<SUF>",
					   "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL};
	static const char *const fmid[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
					   "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>", "<MID>",
					   "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL};
	static const char *const fpad[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
	static const char *const frep[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL};
	static const char *const fsep[] = {"<|file_sep|>", NULL};
	static const char *const eog[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
					  "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>",
					  "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
					  "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
					  "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "[e~[",
					  NULL};
	struct {
		const char *const *list;
		cr_token_id *id;
	} finds[] = {{eot, &t->eot},      {eom, &t->eom},      {fpre, &t->fim_pre}, {fsuf, &t->fim_suf},
		     {fmid, &t->fim_mid}, {fpad, &t->fim_pad}, {frep, &t->fim_rep}, {fsep, &t->fim_sep}};
	for (size_t f = 0; f < CR_ARRAY_LEN(finds); f++) {
		if (*finds[f].id >= 0)
			continue;
		for (const char *const *s = finds[f].list; *s && *finds[f].id < 0; s++) {
			cr_token_id id = cr_tok_lookup(t, *s, strlen(*s));
			if (id >= 0) {
				*finds[f].id = id;
				mark_control(t, id);
			}
		}
	}
	/* control tokens named "unused" are unused */
	for (cr_token_id id = 0; id < t->n_vocab; id++) {
		if (!(t->attr[id] & CR_TA_CONTROL))
			continue;
		size_t n;
		const char *s = cr_tok_text(t, id, &n);
		if (memmem(s, n, "unused", 6))
			t->attr[id] |= CR_TA_UNUSED;
	}
	if (t->fim_pad >= 0) t->eog[t->fim_pad] = 1;
	if (t->fim_rep >= 0) t->eog[t->fim_rep] = 1;
	if (t->fim_sep >= 0) t->eog[t->fim_sep] = 1;
	for (const char *const *s = eog; *s; s++) {
		cr_token_id id = cr_tok_lookup(t, *s, strlen(*s));
		if (id >= 0) {
			t->eog[id] = 1;
			mark_control(t, id);
		}
	}
	static const char *const gptoss[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", NULL};
	for (const char *const *s = gptoss; *s; s++) {
		cr_token_id id = cr_tok_lookup(t, *s, strlen(*s));
		if (id >= 0)
			t->attr[id] = CR_TA_USER_DEFINED;
	}
	if (t->eos >= 0) t->eog[t->eos] = 1;
	if (t->eot >= 0) t->eog[t->eot] = 1;
	if (t->eom >= 0) t->eog[t->eom] = 1;
	/* <|end|> is not EOG when <|return|> and <|call|> (or <|calls|> and <|flush|>) are */
	cr_token_id ret = cr_tok_lookup(t, "<|return|>", 10), call = cr_tok_lookup(t, "<|call|>", 8);
	cr_token_id calls = cr_tok_lookup(t, "<|calls|>", 9), flush = cr_tok_lookup(t, "<|flush|>", 9);
	cr_token_id end = cr_tok_lookup(t, "<|end|>", 7);
	int has_call = (call >= 0 && t->eog[call]) || (calls >= 0 && t->eog[calls]);
	if (end >= 0 && t->eog[end] && has_call && ((ret >= 0 && t->eog[ret]) || (flush >= 0 && t->eog[flush]))) {
		t->eog[end] = 0;
		t->attr[end] = CR_TA_USER_DEFINED;
	}
	cr_token_id tr = cr_tok_lookup(t, "<|tool_response>", 16), s_end = cr_tok_lookup(t, "</s>", 4);
	if (tr >= 0 && t->eog[tr] && s_end >= 0 && t->eog[s_end]) {
		t->eog[s_end] = 0;
		t->attr[s_end] = CR_TA_NORMAL;
	}
}

static int str_has(cr_gguf_str s, const char *z, int fold)
{
	size_t n = strlen(z);
	for (size_t i = 0; i + n <= s.n; i++) {
		size_t k = 0;
		while (k < n) {
			char c = s.p[i + k];
			if (fold && c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != z[k])
				break;
			k++;
		}
		if (k == n)
			return 1;
	}
	return 0;
}

/* Per-model whitespace stripping around special tokens, chosen by name as
 * llama.cpp does (the attributes are not in GGUF files). */
static void set_strip_attrs(cr_tok *t, const cr_gguf *g)
{
	cr_gguf_str name = {"", 0}, pre = {"", 0}, arch = {"", 0};
	CR_IGNORE(cr_gguf_get_str(g, "general.name", &name));
	CR_IGNORE(cr_gguf_get_str(g, "tokenizer.ggml.pre", &pre));
	CR_IGNORE(cr_gguf_get_str(g, "general.architecture", &arch));
	if (str_has(pre, "jina-v2-de", 0) || str_has(pre, "jina-v2-es", 0) || str_has(pre, "jina-v2-code", 0) ||
	    str_has(arch, "nomic-bert-moe", 0) || str_has(arch, "jina-bert-v3", 0)) {
		cr_token_id id = cr_tok_lookup(t, "<mask>", 6);
		if (id >= 0)
			t->attr[id] |= CR_TA_LSTRIP;
	} else if (str_has(name, "phi-3", 1) || str_has(name, "phi3", 1)) {
		for (size_t i = 0; i < t->n_special; i++)
			t->attr[t->special[i]] |= CR_TA_RSTRIP;
		cr_token_id id = cr_tok_lookup(t, "</s>", 4);
		if (id >= 0)
			t->attr[id] |= CR_TA_RSTRIP;
		static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
		for (size_t k = 0; k < CR_ARRAY_LEN(keep); k++)
			if ((id = cr_tok_lookup(t, keep[k], strlen(keep[k]))) >= 0)
				t->attr[id] &= (uint16_t)~CR_TA_RSTRIP;
	} else if (str_has(name, "modern-bert", 1)) {
		cr_token_id id = cr_tok_lookup(t, "[MASK]", 6);
		if (id >= 0)
			t->attr[id] |= CR_TA_LSTRIP;
	}
}

static cr_err load(cr_tok *t, const cr_gguf *g, cr_msg *m)
{
	cr_gguf_str model = {"", 0}, pre = {"", 0};
	if (cr_gguf_get_str(g, "tokenizer.ggml.model", &model) != CR_OK)
		return cr_fail(m, CR_ENOTFOUND, "tokenizer: no tokenizer.ggml.model (not a model with a vocabulary)");
	CR_IGNORE(cr_gguf_get_str(g, "tokenizer.ggml.pre", &pre));
	t->bos = 1, t->eos = 2, t->unk = 0, t->sep = -1, t->pad = -1, t->mask = -1;
	t->eot = t->eom = t->fim_pre = t->fim_suf = t->fim_mid = t->fim_pad = t->fim_rep = t->fim_sep = -1;
	t->escape_ws = 1;
	t->byte_encode = 1;
	t->lowercase = 1;
	cr_err e;
	if (str_is(model, "llama")) {
		t->type = CR_TOKT_SPM;
		t->add_space_prefix = 1;
		t->add_bos = 1;
	} else if (str_is(model, "bert")) {
		t->type = CR_TOKT_WPM;
		t->bos = 101, t->eos = -1, t->unk = 100, t->sep = 102, t->pad = 0, t->mask = 103;
		t->add_bos = 1;
		t->add_sep = 1;
		t->clean_spaces = 1;
	} else if (str_is(model, "gpt2")) {
		t->type = CR_TOKT_BPE;
		t->bos = 11, t->eos = 11, t->unk = -1;
		t->escape_ws = 0;
		t->clean_spaces = 1;
		if ((e = load_pre(t, pre, m)))
			return e;
	} else if (str_is(model, "t5")) {
		t->type = CR_TOKT_UGM;
		t->bos = -1, t->eos = 1, t->unk = 2, t->pad = 0;
		t->add_eos = 1;
	} else {
		return cr_fail(m, CR_EUNSUPPORTED, "tokenizer: tokenizer model '%.*s' is not supported",
			       (int)CR_MIN(model.n, 64), model.p);
	}
	get_flag(g, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix);
	get_flag(g, "tokenizer.ggml.remove_extra_whitespaces", &t->remove_extra_ws);

	const cr_gguf_kv *tk = cr_gguf_kv_find(g, "tokenizer.ggml.tokens");
	if (!tk)
		return cr_fail(m, CR_ECORRUPT, "tokenizer: no tokenizer.ggml.tokens");
	if (tk->type != CR_GV_ARRAY || tk->elem != CR_GV_STRING)
		return cr_fail(m, CR_ECORRUPT, "tokenizer: tokenizer.ggml.tokens is not an array of strings");
	if (tk->n == 0 || tk->n >= (1u << 30))
		return cr_fail(m, CR_ECORRUPT, "tokenizer: vocabulary of %llu tokens", (unsigned long long)tk->n);
	t->n_vocab = (int32_t)tk->n;
	const cr_gguf_kv *sc = cr_gguf_kv_find(g, "tokenizer.ggml.scores");
	if (sc && (sc->type != CR_GV_ARRAY || (sc->elem != CR_GV_F32 && sc->elem != CR_GV_I32) ||
		   sc->n < tk->n))
		return cr_fail(m, CR_ECORRUPT, "tokenizer: tokenizer.ggml.scores has the wrong type or length");
	const cr_gguf_kv *tt = cr_gguf_kv_find(g, "tokenizer.ggml.token_type");
	if (tt && (tt->type != CR_GV_ARRAY || tt->elem != CR_GV_I32 || tt->n < tk->n))
		return cr_fail(m, CR_ECORRUPT, "tokenizer: tokenizer.ggml.token_type has the wrong type or length");

	size_t total = 0;
	for (uint64_t i = 0; i < tk->n; i++)
		total += tk->strs[i].n ? tk->strs[i].n : 24;
	if (total >= UINT32_MAX)
		return cr_fail(m, CR_ECORRUPT, "tokenizer: vocabulary too large");
	t->blob = cr_malloc(total + 1);
	t->off = cr_malloc(((size_t)t->n_vocab + 1) * sizeof *t->off);
	t->score = cr_malloc((size_t)t->n_vocab * sizeof *t->score);
	t->attr = cr_calloc((size_t)t->n_vocab, sizeof *t->attr);
	t->eog = cr_calloc((size_t)t->n_vocab, 1);
	if (!t->blob || !t->off || !t->score || !t->attr || !t->eog || map_init(&t->by_text, (size_t)t->n_vocab))
		return CR_ENOMEM;
	size_t off = 0;
	for (int32_t i = 0; i < t->n_vocab; i++) {
		t->off[i] = (uint32_t)off;
		cr_gguf_str s = tk->strs[i];
		if (s.n) {
			memcpy(t->blob + off, s.p, s.n);
			off += s.n;
		} else {
			off += (size_t)snprintf(t->blob + off, 24, "[EMPTY_%d]", i);
		}
		t->max_token_len = CR_MAX(t->max_token_len, (int)(off - t->off[i]));
		double d = 0;
		if (sc)
			(void)cr_gguf_kv_num(sc, (uint64_t)i, &d, NULL);
		t->score[i] = (float)d;
		int64_t ty = 1;
		if (tt)
			(void)cr_gguf_kv_num(tt, (uint64_t)i, NULL, &ty);
		static const uint16_t ty_attr[] = {0, CR_TA_NORMAL, CR_TA_UNKNOWN, CR_TA_CONTROL,
						   CR_TA_USER_DEFINED, CR_TA_UNUSED, CR_TA_BYTE};
		t->attr[i] = ty >= 0 && ty < 7 ? ty_attr[ty] : 0;
	}
	t->off[t->n_vocab] = (uint32_t)off;
	for (int32_t i = 0; i < t->n_vocab; i++)
		map_put_id(t, &t->by_text, i, 1);

	if (t->type == CR_TOKT_BPE && (e = load_merges(t, g, m)))
		return e;

	get_id(t, g, "tokenizer.ggml.bos_token_id", &t->bos);
	get_id(t, g, "tokenizer.ggml.eos_token_id", &t->eos);
	get_id(t, g, "tokenizer.ggml.eot_token_id", &t->eot);
	get_id(t, g, "tokenizer.ggml.eom_token_id", &t->eom);
	get_id(t, g, "tokenizer.ggml.unknown_token_id", &t->unk);
	get_id(t, g, "tokenizer.ggml.seperator_token_id", &t->sep);
	get_id(t, g, "tokenizer.ggml.padding_token_id", &t->pad);
	get_id(t, g, "tokenizer.ggml.mask_token_id", &t->mask);
	get_id(t, g, "tokenizer.ggml.fim_pre_token_id", &t->fim_pre);
	get_id(t, g, "tokenizer.ggml.fim_suf_token_id", &t->fim_suf);
	get_id(t, g, "tokenizer.ggml.fim_mid_token_id", &t->fim_mid);
	get_id(t, g, "tokenizer.ggml.fim_pad_token_id", &t->fim_pad);
	get_id(t, g, "tokenizer.ggml.fim_rep_token_id", &t->fim_rep);
	get_id(t, g, "tokenizer.ggml.fim_sep_token_id", &t->fim_sep);
	get_id(t, g, "tokenizer.ggml.prefix_token_id", &t->fim_pre);
	get_id(t, g, "tokenizer.ggml.suffix_token_id", &t->fim_suf);
	get_id(t, g, "tokenizer.ggml.middle_token_id", &t->fim_mid);
	get_flag(g, "tokenizer.ggml.add_bos_token", &t->add_bos);
	get_flag(g, "tokenizer.ggml.add_eos_token", &t->add_eos);
	get_flag(g, "tokenizer.ggml.add_sep_token", &t->add_sep);
	get_flag(g, "tokenizer.ggml.normalizer.lowercase", &t->lowercase);
	t->strip_accents = t->lowercase;
	get_flag(g, "tokenizer.ggml.normalizer.strip_accents", &t->strip_accents);

	detect_special(t);

	for (int32_t i = 0; i < t->n_vocab; i++)
		if (t->attr[i] & (CR_TA_CONTROL | CR_TA_USER_DEFINED | CR_TA_UNKNOWN))
			t->n_special++;
	t->special = cr_malloc((t->n_special + 1) * sizeof *t->special);
	if (!t->special)
		return CR_ENOMEM;
	size_t k = 0;
	for (int32_t i = 0; i < t->n_vocab; i++)
		if (t->attr[i] & (CR_TA_CONTROL | CR_TA_USER_DEFINED | CR_TA_UNKNOWN))
			t->special[k++] = i;
	qsort_r(t->special, t->n_special, sizeof *t->special, cmp_special, t);

	set_strip_attrs(t, g);

	if (t->type == CR_TOKT_UGM && (e = cr_tok_ugm_init(t, g, m)))
		return e;
	return CR_OK;
}

cr_err cr_tok_new(const cr_gguf *g, cr_tok **out, cr_msg *m)
{
	*out = NULL;
	cr_tok *t = cr_calloc(1, sizeof *t);
	if (!t)
		return cr_fail(m, CR_ENOMEM, "tokenizer: out of memory");
	cr_err e = load(t, g, m);
	if (e) {
		if (e == CR_ENOMEM)
			cr_fail(m, e, "tokenizer: out of memory");
		cr_tok_free(t);
		return e;
	}
	*out = t;
	return CR_OK;
}

void cr_tok_free(cr_tok *t)
{
	if (!t)
		return;
	cr_free(t->blob);
	cr_free(t->off);
	cr_free(t->score);
	cr_free(t->attr);
	cr_free(t->eog);
	cr_free(t->by_text.slot);
	cr_free(t->special);
	cr_free(t->merge_blob);
	cr_free(t->merges);
	cr_free(t->merge_map.slot);
	cr_free(t->charsmap);
	cr_free(t->ugm_map.slot);
	cr_free(t->ugm_user);
	cr_free(t);
}

int32_t cr_tok_n_vocab(const cr_tok *t) { return t->n_vocab; }
cr_token_id cr_tok_bos(const cr_tok *t) { return t->bos; }
cr_token_id cr_tok_eos(const cr_tok *t) { return t->eos; }
int cr_tok_add_bos_default(const cr_tok *t) { return t->type == CR_TOKT_WPM ? 1 : t->add_bos; }

int cr_tok_is_eog(const cr_tok *t, cr_token_id id) { return id >= 0 && id < t->n_vocab && t->eog[id]; }

int cr_tok_is_control(const cr_tok *t, cr_token_id id)
{
	return id >= 0 && id < t->n_vocab && (t->attr[id] & (CR_TA_CONTROL | CR_TA_UNKNOWN));
}

cr_token_id cr_tok_byte_token(const cr_tok *t, uint8_t ch)
{
	static const char hex[] = "0123456789ABCDEF";
	if (t->type == CR_TOKT_SPM || t->type == CR_TOKT_UGM) {
		char b[6] = {'<', '0', 'x', hex[ch >> 4], hex[ch & 15], '>'};
		cr_token_id id = cr_tok_lookup(t, b, 6);
		if (id < 0)
			id = cr_tok_lookup(t, (const char *)&ch, 1);
		return id;
	}
	return -1;
}

/* ---- special-token partition -------------------------------------------- */

typedef struct {
	cr_token_id id; /* -1: raw text [off, off+len) */
	size_t off, len;
} frag;

typedef struct {
	frag *v;
	size_t n, cap;
} fragv;

static cr_err frag_push(fragv *f, cr_token_id id, size_t off, size_t len)
{
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 16;
		frag *nv = cr_realloc(f->v, nc * sizeof *nv);
		if (!nv)
			return CR_ENOMEM;
		f->v = nv;
		f->cap = nc;
	}
	f->v[f->n++] = (frag){id, off, len};
	return CR_OK;
}

static int is_space_c(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static cr_err partition(const cr_tok *t, const char *text, size_t len, int parse_special, fragv *out)
{
	fragv cur = {0}, nxt = {0};
	cr_err e = frag_push(&cur, -1, 0, len);
	for (size_t si = 0; !e && si < t->n_special; si++) {
		cr_token_id sid = t->special[si];
		uint16_t a = t->attr[sid];
		if (!parse_special && (a & (CR_TA_CONTROL | CR_TA_UNKNOWN)))
			continue;
		size_t sn;
		const char *sp = cr_tok_text(t, sid, &sn);
		nxt.n = 0;
		for (size_t i = 0; !e && i < cur.n; i++) {
			frag f = cur.v[i];
			if (f.id >= 0) {
				e = frag_push(&nxt, f.id, 0, 0);
				continue;
			}
			size_t base = f.off, blen = f.len;
			int found = 0;
			while (!e && blen >= sn) {
				const char *hit = memmem(text + base, blen, sp, sn);
				if (!hit)
					break;
				found = 1;
				size_t match = (size_t)(hit - text);
				if (match > base) {
					size_t ll = match - base;
					if (a & CR_TA_LSTRIP)
						while (ll > 0 && is_space_c(text[base + ll - 1]))
							ll--;
					if (ll > 0)
						e = frag_push(&nxt, -1, base, ll);
				}
				if (!e)
					e = frag_push(&nxt, sid, 0, 0);
				size_t rend = base + blen;
				if (match + sn < rend) {
					size_t ro = match + sn, rl = rend - ro;
					if (a & CR_TA_RSTRIP)
						while (rl > 0 && is_space_c(text[ro])) {
							ro++;
							rl--;
						}
					base = ro;
					blen = rl;
				} else {
					blen = 0;
				}
			}
			if (!e && (!found || blen > 0))
				e = frag_push(&nxt, -1, base, blen);
		}
		fragv tmp = cur;
		cur = nxt;
		nxt = tmp;
	}
	cr_free(nxt.v);
	if (e) {
		cr_free(cur.v);
		return e;
	}
	*out = cur;
	return CR_OK;
}

/* ---- encode ------------------------------------------------------------- */

static cr_err spm_fragment(const cr_tok *t, const char *s, size_t n, int prefix, cr_buf *ids)
{
	/* space -> U+2581, with the optional leading space */
	size_t spaces = prefix ? 1 : 0;
	for (size_t i = 0; i < n; i++)
		spaces += s[i] == ' ';
	size_t cap = n + spaces * 2 + 1;
	char *b = cr_malloc(cap);
	if (!b)
		return CR_ENOMEM;
	size_t k = 0;
	if (prefix) {
		memcpy(b, "\xe2\x96\x81", 3);
		k = 3;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ') {
			memcpy(b + k, "\xe2\x96\x81", 3);
			k += 3;
		} else {
			b[k++] = s[i];
		}
	}
	cr_err e = cr_tok_spm_encode(t, b, k, ids);
	cr_free(b);
	return e;
}

cr_err cr_tok_encode(const cr_tok *t, const char *text, size_t len, int flags, cr_buf *ids)
{
	int add_special = (flags & CR_TOK_ADD_BOS) != 0;
	fragv fr = {0};
	cr_err e = CR_OK;
	if (len > 0 && (e = partition(t, text, len, (flags & CR_TOK_PARSE_SPECIAL) != 0, &fr)))
		return e;
	switch (t->type) {
	case CR_TOKT_SPM: {
		int prev_special = 1;
		if (add_special && t->add_bos && t->bos >= 0)
			e = cr_tok_push(ids, t->bos);
		for (size_t i = 0; !e && i < fr.n; i++) {
			if (fr.v[i].id >= 0) {
				e = cr_tok_push(ids, fr.v[i].id);
				prev_special = 1;
			} else {
				e = spm_fragment(t, text + fr.v[i].off, fr.v[i].len, t->add_space_prefix && prev_special,
						 ids);
				prev_special = 0;
			}
		}
		if (!e && add_special && t->add_eos && t->eos >= 0)
			e = cr_tok_push(ids, t->eos);
		break;
	}
	case CR_TOKT_BPE:
	case CR_TOKT_UGM:
		if (add_special && t->add_bos && t->bos >= 0)
			e = cr_tok_push(ids, t->bos);
		for (size_t i = 0; !e && i < fr.n; i++) {
			if (fr.v[i].id >= 0)
				e = cr_tok_push(ids, fr.v[i].id);
			else if (t->type == CR_TOKT_BPE)
				e = cr_tok_bpe_encode(t, text + fr.v[i].off, fr.v[i].len, ids);
			else
				e = cr_tok_ugm_encode(t, text + fr.v[i].off, fr.v[i].len, ids);
		}
		if (!e && add_special && t->add_eos && t->eos >= 0)
			e = cr_tok_push(ids, t->eos);
		break;
	case CR_TOKT_WPM:
		if (add_special && t->bos >= 0)
			e = cr_tok_push(ids, t->bos);
		for (size_t i = 0; !e && i < fr.n; i++) {
			if (fr.v[i].id >= 0)
				e = cr_tok_push(ids, fr.v[i].id);
			else
				e = cr_tok_wpm_encode(t, text + fr.v[i].off, fr.v[i].len, ids);
		}
		if (!e && add_special && t->sep >= 0)
			e = cr_tok_push(ids, t->sep);
		break;
	}
	cr_free(fr.v);
	return e;
}

/* ---- pieces ------------------------------------------------------------- */

/* GPT-2's byte <-> code point table: printable bytes map to themselves, the
 * rest to 256 + n in byte order. */
static int byte_of_cp(uint32_t cp)
{
	if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF))
		return (int)cp;
	if (cp < 256 || cp >= 256 + 68)
		return -1;
	int n = (int)(cp - 256);
	for (int b = 0; b < 256; b++) {
		int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
		if (!printable && n-- == 0)
			return b;
	}
	return -1;
}

static cr_err add_unescaped(cr_buf *out, const char *s, size_t n)
{
	cr_err e = CR_OK;
	for (size_t i = 0; !e && i < n;) {
		if (i + 3 <= n && !memcmp(s + i, "\xe2\x96\x81", 3)) {
			e = cr_buf_addc(out, ' ');
			i += 3;
		} else {
			e = cr_buf_addc(out, s[i++]);
		}
	}
	return e;
}

/* llama.cpp's token_to_piece: special = render control/unknown tokens;
 * lstrip = drop one leading space of the piece. */
static cr_err piece_ex(const cr_tok *t, cr_token_id id, int special, int lstrip, cr_buf *out)
{
	size_t start = out->len;
	cr_err e = cr_tok_piece(t, id, out);
	if (e)
		return e;
	uint16_t a = t->attr[id];
	if (!special && (a & (CR_TA_UNKNOWN | CR_TA_CONTROL)))
		out->len = start;
	if (lstrip && out->len > start && out->data[start] == ' ') {
		memmove(out->data + start, out->data + start + 1, out->len - start - 1);
		out->len--;
	}
	if (out->data)
		out->data[out->len] = 0;
	return CR_OK;
}

/* clean_up_tokenization_spaces, llama.cpp's three passes over the bytes */
static void clean_spaces(char *x, size_t *len)
{
	size_t n1 = *len, n = n1 ? 1 : 0;
	for (size_t i = 1; i < n1; i++) {
		char c = x[i];
		if (x[i - 1] == ' ' && (c == '?' || c == '!' || c == '.' || c == ','))
			n--;
		x[n++] = c;
	}
	size_t n2 = n;
	n = n2 ? 1 : 0;
	for (size_t i = 1; i < n2; i++) {
		char c = x[i];
		if (c == '\'' && i + 1 < n2 && x[i - 1] == ' ' && x[i + 1] == ' ') {
			n--;
			x[++i] = 0;
		}
		x[n++] = c;
	}
	size_t n3 = n;
	n = n3 ? 1 : 0;
	for (size_t i = 1; i < n3; i++) {
		char c = x[i];
		if (x[i - 1] == ' ' && c == '\'' && i + 1 < n3) {
			char c1 = x[i + 1];
			if (c1 == 's' || c1 == 'm')
				n--;
			else if (i + 2 < n3 && ((c1 == 'r' && x[i + 2] == 'e') || (c1 == 'v' && x[i + 2] == 'e')))
				n--;
		}
		x[n++] = c;
	}
	*len = n;
}

cr_err cr_tok_decode(const cr_tok *t, const cr_token_id *ids, size_t n, int flags, cr_buf *out)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] < 0 || ids[i] >= t->n_vocab)
			return CR_EINVAL;
	size_t start = out->len;
	int remove_space = t->add_space_prefix;
	int remove_special = (flags & CR_TOK_DECODE_REMOVE_SPECIAL) != 0;
	if (remove_special && t->add_bos && n > 0 && ids[0] == t->bos) {
		remove_space = 0;
		ids++;
		n--;
	}
	if (remove_special && t->add_eos && n > 0 && ids[n - 1] == t->eos)
		n--;
	cr_err e = CR_OK;
	for (size_t i = 0; !e && i < n; i++) {
		e = piece_ex(t, ids[i], (flags & CR_TOK_DECODE_SPECIAL) != 0, remove_space, out);
		remove_space = 0;
	}
	if (e) {
		out->len = start;
		if (out->data)
			out->data[start] = 0;
		return e;
	}
	if (t->clean_spaces && out->len > start) {
		size_t len = out->len - start;
		clean_spaces(out->data + start, &len);
		out->len = start + len;
		out->data[out->len] = 0;
	}
	return CR_OK;
}

cr_err cr_tok_piece(const cr_tok *t, cr_token_id id, cr_buf *out)
{
	if (id < 0 || id >= t->n_vocab)
		return CR_EINVAL;
	size_t n;
	const char *s = cr_tok_text(t, id, &n);
	uint16_t a = t->attr[id];
	if (a & (CR_TA_UNKNOWN | CR_TA_CONTROL | CR_TA_USER_DEFINED))
		return cr_buf_add(out, s, n);
	if (a & CR_TA_NORMAL) {
		if (t->type != CR_TOKT_BPE || t->escape_ws)
			return add_unescaped(out, s, n);
		cr_err e = CR_OK;
		for (size_t i = 0; !e && i < n;) {
			size_t l;
			uint32_t cp = cr_u_decode((const uint8_t *)s + i, n - i, &l);
			int b = byte_of_cp(cp);
			if (b >= 0) {
				e = cr_buf_addc(out, (char)b);
			} else {
				e = cr_buf_adds(out, "[UNK_BYTE_0x");
				char u[4];
				int ul = cr_u_encode(cp, u);
				for (int k = 0; !e && k < ul; k++)
					e = cr_buf_printf(out, "%02x", (uint8_t)u[k]);
				if (!e)
					e = cr_buf_add(out, s, n);
				if (!e)
					e = cr_buf_addc(out, ']');
			}
			i += l;
		}
		return e;
	}
	if (a & CR_TA_BYTE) {
		if (n >= 5) {
			char hx[3] = {s[3], s[4], 0};
			return cr_buf_addc(out, (char)strtol(hx, NULL, 16));
		}
		return CR_OK;
	}
	return CR_OK;
}

/* ---- the merge queue shared by tok_spm.c and tok_bpe.c ------------------- */

static int bigram_before(const cr_tok_bigram *a, const cr_tok_bigram *b)
{
	return a->key < b->key || (a->key == b->key && a->left < b->left);
}

cr_err cr_tok_heap_push(cr_tok_heap *h, cr_tok_bigram b)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		cr_tok_bigram *nv = cr_realloc(h->v, nc * sizeof *nv);
		if (!nv)
			return CR_ENOMEM;
		h->v = nv;
		h->cap = nc;
	}
	size_t i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!bigram_before(&b, &h->v[p]))
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = b;
	return CR_OK;
}

cr_tok_bigram cr_tok_heap_pop(cr_tok_heap *h)
{
	cr_tok_bigram top = h->v[0], last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && bigram_before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!bigram_before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}
