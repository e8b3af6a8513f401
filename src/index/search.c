/*
 * search.c — query evaluation: BM25F scoring, block-max WAND top-k,
 * required/excluded clauses, phrases, prefixes, filters, ACL, tombstones
 * and per-document collapsing, over all segments of a snapshot.
 *
 * Scoring (BM25F, Robertson & Zaragoza 2009): for a term t and entry d
 *   x = w_title * tf_title / (1 - b_t + b_t * len_title / avg_title)
 *     +           tf_body  / (1 - b_b + b_b * len_body  / avg_body)
 *   score += qw * idf(t) * (k1 + 1) * x / (k1 + x)
 *   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
 * where qw counts the term's occurrences in the query (a CJK bigram counts
 * w_bigram = 0.5: morphemes carry the word match, bigrams the fallback),
 * with N, df and the average lengths summed over all segments (deleted
 * entries included until a merge, as in Lucene). Lengths are quantized to a
 * byte (codec.c), so the two normalizations are 256-entry tables per query.
 *
 * Top-k: block-max WAND (Ding & Suel, SIGIR 2011) over the optional terms:
 * cursors sorted by current doc, the pivot is the first doc whose summed
 * term bounds can beat the k-th best score, then the block bounds of the
 * cursors up to the pivot (from the skip table, without decoding) decide
 * whether to score the pivot or jump past the end of the shallowest block.
 * Candidates then pass the cheap checks (tombstone, filters, ACL) and the
 * required/excluded clauses, each with its own cursors. One heap is shared
 * by all segments, so the threshold carries over. CR_IX_MODE_EXHAUSTIVE
 * scores every matching entry with the same code and no pruning: the oracle
 * the tests compare the fast path with.
 *
 * With per-document results (cr_search_opts.per_doc), -term and +word
 * apply to documents: a document with the excluded term in any of its
 * entries is left out, and one with the required word in any entry may be
 * shown by another passage. Before the segments are scored, each such
 * clause's matching entries are listed over all segments (its postings,
 * read once) into a sorted set of document keys, which accept() checks.
 * Phrases stay required of the passage shown. Without per_doc (passages),
 * every clause applies to the entry itself.
 *
 * Scores are summed in query-term order whatever the traversal, so both
 * modes give bit-identical scores; ties are broken by entry id.
 */
#include "index_int.h"

#include <math.h>
#include <stdlib.h>

#define MAX_EXPANSIONS 64
#define MAX_PREFIX_SCAN 100000
#define MAX_K 100000
#define MAX_QUERY_BYTES 65536
#define MAX_QUERY_TERMS 1024

typedef struct qterm {
	const char *term;
	uint32_t len;
	float qw;       /* weight (occurrences in positive clauses) */
	int scoring;
	uint64_t df;
	float w;        /* qw * idf * (k1 + 1) */
} qterm;

typedef struct clause_rt {
	int occur, kind;         /* kind: WORDS (all), PHRASE, PREFIX (any) */
	uint32_t n;
	uint32_t *tids;          /* term ids */
	uint32_t *qpos;          /* phrase: query positions */
	int doc_level;           /* checked against keys[] instead of the entry */
	uint64_t *keys;          /* sorted doc keys of the entries that match */
	size_t n_keys, cap_keys;
} clause_rt;

typedef struct hitc {
	float score;
	uint64_t id, doc_key;
	uint32_t seg, doc;
} hitc;

typedef struct topk {
	hitc *h;
	int n, k;
	int per_doc;
} topk;

typedef struct sctx {
	cr_arena *a;
	cr_ix_snap *snap;
	const cr_search_opts *o;
	cr_ixq q;
	qterm *terms;
	uint32_t n_terms, cap_terms;
	clause_rt *cl;
	uint32_t n_cl;
	int n_positive;          /* clauses that select entries */
	cr_ix_params p;
	float nt[256], nb[256];
	topk top;
	uint64_t matched;
	int corrupt;
	/* per segment */
	cr_ix_tinfo *ti;         /* n_terms per segment, df 0 = absent */
	uint8_t *present;        /* n_segs x n_terms */
	const cr_cancel *cancel; /* o->cancel */
	cr_err stopped;          /* CR_ECANCELED / CR_ETIMEOUT once the token said so */
	int any_doc_level;       /* some clause applies to documents (clause_rt.doc_level) */
	uint32_t tick;           /* loop steps since the last check */
} sctx;

/* Every CANCEL_EVERY steps of a posting loop (a step scores or skips one
 * entry: microseconds at most), the cancel token is read. */
#define CANCEL_EVERY 1024
static inline int should_stop(sctx *x)
{
	if (x->stopped)
		return 1;
	if (!x->cancel || ++x->tick < CANCEL_EVERY)
		return 0;
	x->tick = 0;
	x->stopped = cr_cancel_check(x->cancel);
	return x->stopped != CR_OK;
}

/* ---- top-k ---- */

static inline int better(const hitc *a, const hitc *b)
{
	return a->score > b->score || (a->score == b->score && a->id < b->id);
}

static void sift_down(topk *t, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, w = i;
		if (l < t->n && better(&t->h[w], &t->h[l]))
			w = l;
		if (r < t->n && better(&t->h[w], &t->h[r]))
			w = r;
		if (w == i)
			return;
		hitc x = t->h[i];
		t->h[i] = t->h[w];
		t->h[w] = x;
		i = w;
	}
}

static void sift_up(topk *t, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (!better(&t->h[p], &t->h[i]))
			return;
		hitc x = t->h[i];
		t->h[i] = t->h[p];
		t->h[p] = x;
		i = p;
	}
}

/* The score a candidate must reach (or tie with a smaller id) to enter. */
static inline int topk_full(const topk *t) { return t->n == t->k; }

static void topk_push(topk *t, const hitc *c)
{
	if (t->per_doc) {
		for (int i = 0; i < t->n; i++)
			if (t->h[i].doc_key == c->doc_key) {
				if (better(c, &t->h[i])) {
					t->h[i] = *c;
					sift_down(t, i); /* it got better: moves away from the root */
				}
				return;
			}
	}
	if (t->n < t->k) {
		t->h[t->n++] = *c;
		sift_up(t, t->n - 1);
	} else if (better(c, &t->h[0])) {
		t->h[0] = *c;
		sift_down(t, 0);
	}
}

/* ---- scoring ---- */

static inline float tfv(uint8_t c) { return c == 255 ? 1e9f : (float)c; }

static float impact_bound(const sctx *x, const cr_ix_impact *im, float w)
{
	float xt = im->tf_t ? x->p.w_title * tfv(im->tf_t) * x->nt[im->lt] : 0.0f;
	float xb = 0.0f;
	for (int i = 0; i < 3; i++)
		if (im->tf_b[i]) {
			float v = tfv(im->tf_b[i]) * x->nb[im->lb[i]];
			if (v > xb)
				xb = v;
		}
	float s = xt + xb;
	return w * s / (x->p.k1 + s);
}

static inline float contrib(const sctx *x, float w, uint32_t tf_t, uint32_t tf_b, uint8_t lt, uint8_t lb)
{
	float s = x->p.w_title * (float)tf_t * x->nt[lt] + (float)tf_b * x->nb[lb];
	return w * s / (x->p.k1 + s);
}

static float block_bound(const sctx *x, cr_ix_cur *c)
{
	if ((int64_t)c->sblk == c->bub_blk)
		return c->bub;
	float v = 0.0f;
	if (c->sblk < c->ti.n_blocks) {
		cr_ix_impact im;
		cr_ix_impact_get(c->ti.skip + (size_t)c->sblk * CR_IX_SKIP_SIZE + 12, &im);
		v = impact_bound(x, &im, x->terms[c->term].w);
	}
	c->bub = v;
	c->bub_blk = c->sblk;
	return v;
}

/* ---- terms ---- */

/* Adds (or finds) a query term: CR_ETOOBIG past MAX_QUERY_TERMS, CR_ENOMEM. */
static cr_err add_term(sctx *x, const char *t, uint32_t len, float qw, int scoring, uint32_t *id)
{
	for (uint32_t i = 0; i < x->n_terms; i++)
		if (x->terms[i].len == len && !memcmp(x->terms[i].term, t, len)) {
			x->terms[i].qw += qw;
			x->terms[i].scoring |= scoring;
			*id = i;
			return CR_OK;
		}
	if (x->n_terms >= MAX_QUERY_TERMS)
		return CR_ETOOBIG;
	if (x->n_terms == x->cap_terms) {
		uint32_t n = x->cap_terms ? x->cap_terms * 2 : 16;
		qterm *p = cr_arena_alloc(x->a, n * sizeof *p);
		if (!p)
			return CR_ENOMEM;
		if (x->n_terms)
			memcpy(p, x->terms, x->n_terms * sizeof *p);
		x->terms = p;
		x->cap_terms = n;
	}
	qterm *q = &x->terms[x->n_terms];
	memset(q, 0, sizeof *q);
	q->term = t;
	q->len = len;
	q->qw = qw;
	q->scoring = scoring;
	*id = x->n_terms++;
	return 0;
}

typedef struct expc {
	const uint8_t *t;
	uint32_t len;
	uint64_t df;
} expc;

static int cmp_exp_term(const void *a, const void *b)
{
	const expc *x = a, *y = b;
	int c = memcmp(x->t, y->t, CR_MIN(x->len, y->len));
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int cmp_exp_df(const void *a, const void *b)
{
	const expc *x = a, *y = b;
	if (x->df != y->df)
		return x->df > y->df ? -1 : 1;
	return cmp_exp_term(a, b);
}

/* Expands a prefix over all segments' dictionaries: the MAX_EXPANSIONS terms
 * with the highest document frequency. */
static cr_err expand_prefix(sctx *x, const cr_ixq_tok *pt, uint32_t **ids, uint32_t *n_ids)
{
	expc *v = NULL;
	size_t n = 0, cap = 0;
	cr_err e = CR_OK;
	for (uint32_t s = 0; s < x->snap->n_segs; s++) {
		const cr_ix_seg *g = x->snap->segs[s];
		uint32_t i = cr_ix_seg_lower_bound(g, (const uint8_t *)pt->term, pt->len);
		for (uint32_t scanned = 0; i < g->n_terms && scanned < MAX_PREFIX_SCAN; i++, scanned++) {
			uint32_t tl;
			const uint8_t *t = cr_ix_seg_term(g, i, &tl);
			if (tl < pt->len || memcmp(t, pt->term, pt->len))
				break;
			if (n == cap) {
				size_t c = cap ? cap * 2 : 64;
				expc *p = cr_realloc(v, c * sizeof *p);
				if (!p) {
					e = CR_ENOMEM;
					goto out;
				}
				v = p;
				cap = c;
			}
			v[n].t = t;
			v[n].len = tl;
			v[n].df = cr_ix_rd32(g->terms + (size_t)i * CR_IX_TERM_SIZE + 20);
			n++;
		}
	}
	/* sum df of equal terms across segments */
	if (n)
		qsort(v, n, sizeof *v, cmp_exp_term);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && v[k - 1].len == v[i].len && !memcmp(v[k - 1].t, v[i].t, v[i].len))
			v[k - 1].df += v[i].df;
		else
			v[k++] = v[i];
	}
	if (k)
		qsort(v, k, sizeof *v, cmp_exp_df);
	if (k > MAX_EXPANSIONS)
		k = MAX_EXPANSIONS;
	*ids = cr_arena_alloc(x->a, (k ? k : 1) * sizeof **ids);
	if (!*ids) {
		e = CR_ENOMEM;
		goto out;
	}
	*n_ids = 0;
	for (size_t i = 0; i < k; i++) {
		char *t = cr_arena_strndup(x->a, (const char *)v[i].t, v[i].len);
		uint32_t id;
		cr_err rc = t ? add_term(x, t, v[i].len, 1.0f, 1, &id) : CR_ENOMEM;
		if (rc == CR_ETOOBIG)
			break; /* the query's term budget is spent: fewer expansions */
		if (rc) {
			e = rc;
			goto out;
		}
		(*ids)[(*n_ids)++] = id;
	}
out:
	cr_free(v);
	return e;
}

/* Turns parsed clauses into term ids and runtime clauses. */
static cr_err plan(sctx *x)
{
	x->cl = cr_arena_zalloc(x->a, (x->q.n_cl ? x->q.n_cl : 1) * sizeof *x->cl);
	if (!x->cl)
		return CR_ENOMEM;
	for (uint32_t c = 0; c < x->q.n_cl; c++) {
		const cr_ixq_clause *qc = &x->q.cl[c];
		clause_rt *r = &x->cl[x->n_cl];
		r->occur = qc->occur;
		r->kind = qc->kind;
		int positive = qc->occur != CR_IXQ_NOT;
		if (qc->kind == CR_IXQ_PREFIX) {
			cr_err e = expand_prefix(x, &qc->toks[0], &r->tids, &r->n);
			if (e)
				return e;
			if (qc->occur == CR_IXQ_NOT) {
				for (uint32_t i = 0; i < r->n; i++) {
					x->terms[r->tids[i]].qw -= 1.0f;
				}
			}
		} else {
			r->n = qc->n_toks;
			r->tids = cr_arena_alloc(x->a, r->n * sizeof *r->tids);
			r->qpos = cr_arena_alloc(x->a, r->n * sizeof *r->qpos);
			if (!r->tids || !r->qpos)
				return CR_ENOMEM;
			for (uint32_t i = 0; i < r->n; i++) {
				float qw = positive ? (qc->toks[i].term[0] == 'b' ? x->p.w_bigram : 1.0f) : 0.0f;
				cr_err rc = add_term(x, qc->toks[i].term, qc->toks[i].len, qw, positive, &r->tids[i]);
				if (rc)
					return rc == CR_ETOOBIG ? CR_EINVAL : rc;
				r->qpos[i] = qc->toks[i].pos;
			}
		}
		if (positive)
			x->n_positive++;
		/* SHOULD words / prefixes only add scoring terms: no clause to check */
		if (qc->occur == CR_IXQ_SHOULD)
			continue;
		x->n_cl++;
	}
	/* prefix exclusions must not score */
	for (uint32_t c = 0; c < x->n_cl; c++)
		if (x->cl[c].occur == CR_IXQ_NOT && x->cl[c].kind == CR_IXQ_PREFIX)
			for (uint32_t i = 0; i < x->cl[c].n; i++)
				if (x->terms[x->cl[c].tids[i]].qw <= 0.0f)
					x->terms[x->cl[c].tids[i]].scoring = 0;
	return CR_OK;
}

/* ---- per-segment evaluation ---- */

typedef struct ccur {
	clause_rt *c;
	cr_ix_cur *cur;          /* n cursors, NULL where the term is absent */
	uint8_t *have;
} ccur;

static int phrase_at(ccur *cc)
{
	clause_rt *c = cc->c;
	uint32_t n0;
	const uint32_t *p0 = cr_ix_cur_positions(&cc->cur[0], &n0);
	if (!p0)
		return 0;
	for (uint32_t a = 0; a < n0; a++) {
		int ok = 1;
		for (uint32_t i = 1; i < c->n && ok; i++) {
			int64_t want = (int64_t)p0[a] + (int64_t)c->qpos[i] - (int64_t)c->qpos[0];
			if (want < 0) {
				ok = 0;
				break;
			}
			uint32_t ni;
			const uint32_t *pi = cr_ix_cur_positions(&cc->cur[i], &ni);
			if (!pi)
				return 0;
			uint32_t lo = 0, hi = ni;
			while (lo < hi) {
				uint32_t mid = (lo + hi) / 2;
				if (pi[mid] < want)
					lo = mid + 1;
				else
					hi = mid;
			}
			ok = lo < ni && pi[lo] == want;
		}
		if (ok)
			return 1;
	}
	return 0;
}

/* Does entry d satisfy clause cc? Calls come with non-decreasing d. */
static int clause_match(ccur *cc, uint32_t d)
{
	clause_rt *c = cc->c;
	if (c->kind == CR_IXQ_PREFIX) {
		for (uint32_t i = 0; i < c->n; i++)
			if (cc->have[i]) {
				cr_ix_cur_advance(&cc->cur[i], d);
				if (cc->cur[i].doc == d)
					return 1;
			}
		return 0;
	}
	for (uint32_t i = 0; i < c->n; i++) {
		if (!cc->have[i])
			return 0;
		cr_ix_cur_advance(&cc->cur[i], d);
		if (cc->cur[i].doc != d)
			return 0;
	}
	if (c->kind == CR_IXQ_PHRASE && c->n > 1)
		return phrase_at(cc);
	return 1;
}

typedef struct segrt {
	sctx *x;
	uint32_t si;
	const cr_ix_seg *g;
	const uint8_t *dead;
	ccur *cc;
	uint32_t n_cc;
	int filtered;
} segrt;

static int groups_meet(const uint8_t *g, uint32_t ng, const uint32_t *w, uint32_t nw)
{
	uint32_t i = 0, j = 0;
	while (i < ng && j < nw) {
		uint32_t a = cr_ix_rd32(g + (size_t)i * 4);
		if (a == w[j])
			return 1;
		if (a < w[j])
			i++;
		else
			j++;
	}
	return 0;
}

/* path:v matches where v starts the name or follows a '/': any sequence
 * of whole path components, the last one possibly a prefix ("finance/",
 * "docs/2024", "python" in "doc/python3-numpy/README"). */
static int path_has(const char *p, size_t pl, const char *v)
{
	size_t l = strlen(v);
	if (!l)
		return 1;
	if (v[0] == '/') { /* "/docs" asks for a component start explicitly */
		v++;
		l--;
	}
	for (size_t i = 0; i + l <= pl; i++) {
		if ((i == 0 || p[i - 1] == '/') && !memcmp(p + i, v, l))
			return 1;
		const char *sl = memchr(p + i, '/', pl - i);
		if (!sl)
			break;
		i = (size_t)(sl - p); /* the loop's i++ steps past the '/' */
	}
	return 0;
}

static int accept(segrt *r, uint32_t d)
{
	if (r->dead && (r->dead[d >> 3] >> (d & 7) & 1))
		return 0;
	if (r->filtered) {
		const sctx *x = r->x;
		const uint8_t *a = cr_ix_seg_attr(r->g, d);
		if (x->q.has_from || x->q.has_to) {
			int64_t dt = (int64_t)cr_ix_rd64(a + CR_IX_ATTR_DATE);
			if ((x->q.has_from && dt < x->q.date_from) || (x->q.has_to && dt > x->q.date_to))
				return 0;
		}
		if (x->q.n_types) {
			const char *t = cr_ix_seg_str(r->g, cr_ix_rd32(a + CR_IX_ATTR_TYPE), 0);
			uint32_t tl = cr_ix_rd16(a + CR_IX_ATTR_TYPELEN);
			int ok = 0;
			for (uint32_t i = 0; i < x->q.n_types && !ok; i++)
				ok = strlen(x->q.types[i]) == tl && !strncasecmp(x->q.types[i], t, tl);
			if (!ok)
				return 0;
		}
		if (x->q.n_paths) {
			const char *p = cr_ix_seg_str(r->g, cr_ix_rd32(a + CR_IX_ATTR_DOC), 0);
			uint32_t pl = cr_ix_rd32(a + CR_IX_ATTR_DOCLEN);
			int ok = 0;
			for (uint32_t i = 0; i < x->q.n_paths && !ok; i++)
				ok = path_has(p, pl, x->q.paths[i]);
			if (!ok)
				return 0;
		}
		const cr_principal *w = x->o ? x->o->who : NULL;
		if (w && w->sees_all && a[CR_IX_ATTR_CLASS] > w->max_classification)
			return 0;
		if (w && !w->sees_all) {
			if (cr_ix_rd32(a + CR_IX_ATTR_TENANT) != w->tenant || a[CR_IX_ATTR_CLASS] > w->max_classification)
				return 0;
			uint32_t owner = cr_ix_rd32(a + CR_IX_ATTR_OWNER), ng = cr_ix_rd32(a + CR_IX_ATTR_NGROUPS);
			int ok = (owner == 0 && ng == 0) || (owner != 0 && owner == w->user) ||
				 (ng && w->n_groups &&
				  groups_meet(r->g->groups + (size_t)cr_ix_rd32(a + CR_IX_ATTR_GROUPS) * 4, ng, w->groups,
					      w->n_groups));
			if (!ok)
				return 0;
		}
	}
	for (uint32_t i = 0; i < r->n_cc; i++) {
		int mt = clause_match(&r->cc[i], d);
		if (mt != (r->cc[i].c->occur == CR_IXQ_MUST))
			return 0;
	}
	if (r->x->any_doc_level) {
		uint64_t key = cr_ix_rd64(cr_ix_seg_attr(r->g, d) + CR_IX_ATTR_DOCKEY);
		for (uint32_t c = 0; c < r->x->n_cl; c++) {
			const clause_rt *cl = &r->x->cl[c];
			if (!cl->doc_level)
				continue;
			size_t lo = 0, hi = cl->n_keys;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (cl->keys[mid] < key)
					lo = mid + 1;
				else
					hi = mid;
			}
			int in = lo < cl->n_keys && cl->keys[lo] == key;
			if (in != (cl->occur == CR_IXQ_MUST))
				return 0;
		}
	}
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static cr_err push_key(clause_rt *cl, uint64_t key)
{
	if (cl->n_keys && cl->keys[cl->n_keys - 1] == key)
		return CR_OK; /* a document's entries are mostly adjacent */
	if (cl->n_keys == cl->cap_keys) {
		size_t cap = cl->cap_keys ? 2 * cl->cap_keys : 256;
		uint64_t *k = cr_realloc(cl->keys, cap * sizeof *k);
		if (!k)
			return CR_ENOMEM;
		cl->keys = k;
		cl->cap_keys = cap;
	}
	cl->keys[cl->n_keys++] = key;
	return CR_OK;
}

/* Lists the documents of every doc-level clause (see the header). */
static cr_err doc_sets(sctx *x)
{
	const cr_ix_snap *s = x->snap;
	cr_err e = CR_OK;
	for (uint32_t c = 0; c < x->n_cl && !e; c++) {
		clause_rt *cl = &x->cl[c];
		if (!cl->doc_level)
			continue;
		for (uint32_t si = 0; si < s->n_segs && !e && !x->stopped; si++) {
			const cr_ix_seg *g = s->segs[si];
			const uint8_t *pr = x->present + (size_t)si * x->n_terms, *dead = s->dead[si];
			const cr_ix_tinfo *ti = x->ti + (size_t)si * x->n_terms;
			int any = 0, all = 1;
			for (uint32_t i = 0; i < cl->n; i++) {
				any |= pr[cl->tids[i]];
				all &= pr[cl->tids[i]];
			}
			if (!(cl->kind == CR_IXQ_PREFIX ? any : (all && cl->n)))
				continue;
			ccur cc = {.c = cl, .cur = cr_calloc(cl->n, sizeof *cc.cur), .have = cr_calloc(cl->n, 1)};
			if (!cc.cur || !cc.have)
				e = CR_ENOMEM;
			for (uint32_t i = 0; !e && i < cl->n; i++)
				if (pr[cl->tids[i]]) {
					cc.have[i] = 1;
					cr_ix_cur_init(&cc.cur[i], &ti[cl->tids[i]], g->n_docs);
				}
			/* entries of the first term (any term, for a prefix) that match */
			for (uint32_t i = 0; !e && i < cl->n; i++) {
				if (!cc.have[i] || (i > 0 && cl->kind != CR_IXQ_PREFIX))
					continue;
				ccur one = cc;
				cr_ix_cur *lead = &cc.cur[i];
				uint32_t d = 0;
				while (!e && !should_stop(x)) {
					cr_ix_cur_advance(lead, d);
					if (lead->doc == CR_IX_END || lead->doc >= g->n_docs || lead->corrupt)
						break;
					uint32_t dd = lead->doc;
					int ok = cl->kind == CR_IXQ_PREFIX || clause_match(&one, dd);
					if (ok && !(dead && (dead[dd >> 3] >> (dd & 7) & 1)))
						e = push_key(cl, cr_ix_rd64(cr_ix_seg_attr(g, dd) + CR_IX_ATTR_DOCKEY));
					d = dd + 1;
				}
			}
			for (uint32_t i = 0; cc.cur && cc.have && i < cl->n; i++)
				if (cc.have[i]) {
					if (cc.cur[i].corrupt)
						x->corrupt = 1;
					cr_ix_cur_release(&cc.cur[i]);
				}
			cr_free(cc.cur);
			cr_free(cc.have);
		}
		if (!e && cl->n_keys) {
			qsort(cl->keys, cl->n_keys, sizeof *cl->keys, cmp_u64);
			size_t k = 1;
			for (size_t i = 1; i < cl->n_keys; i++)
				if (cl->keys[i] != cl->keys[k - 1])
					cl->keys[k++] = cl->keys[i];
			cl->n_keys = k;
		}
	}
	return e;
}

static void emit(segrt *r, uint32_t d, float score)
{
	topk *t = &r->x->top;
	r->x->matched++;
	if (topk_full(t) && score < t->h[0].score)
		return; /* cannot enter: skip reading the attributes */
	hitc h;
	const uint8_t *a = cr_ix_seg_attr(r->g, d);
	h.score = score;
	h.id = cr_ix_rd64(a + CR_IX_ATTR_ID);
	h.doc_key = cr_ix_rd64(a + CR_IX_ATTR_DOCKEY);
	h.seg = r->si;
	h.doc = d;
	topk_push(t, &h);
}

/* Threshold test: may an entry with bound ub still enter the top k? */
static inline int can_enter(const topk *t, float ub)
{
	if (!topk_full(t))
		return 1;
	return ub * 1.0001f + 1e-6f >= t->h[0].score;
}

static float score_doc(const sctx *x, const cr_ix_seg *g, cr_ix_cur *cur, uint32_t n, uint32_t d)
{
	float s = 0.0f;
	uint8_t lt = g->norm_t[d], lb = g->norm_b[d];
	for (uint32_t i = 0; i < n; i++)
		if (cur[i].doc == d)
			s += contrib(x, x->terms[cur[i].term].w, cr_ix_cur_tf_t(&cur[i]), cr_ix_cur_tf_b(&cur[i]), lt, lb);
	return s;
}

static void sort_by_doc(cr_ix_cur **o, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		cr_ix_cur *c = o[i];
		uint32_t j = i;
		while (j > 0 && o[j - 1]->doc > c->doc) {
			o[j] = o[j - 1];
			j--;
		}
		o[j] = c;
	}
}

static void run_bmw(segrt *r, cr_ix_cur *cur, uint32_t n)
{
	sctx *x = r->x;
	cr_ix_cur *ordbuf[256], **ord = n <= 256 ? ordbuf : cr_malloc(n * sizeof *ord);
	if (!ord) {
		x->corrupt = -1;
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		ord[i] = &cur[i];
	for (;;) {
		if (should_stop(x))
			break;
		sort_by_doc(ord, n);
		/* pivot */
		float acc = 0.0f;
		int64_t p = -1;
		for (uint32_t i = 0; i < n; i++) {
			if (ord[i]->doc == CR_IX_END)
				break;
			acc += ord[i]->ub;
			if (can_enter(&x->top, acc)) {
				p = i;
				break;
			}
		}
		if (p < 0)
			break;
		uint32_t d = ord[p]->doc;
		while ((uint32_t)p + 1 < n && ord[p + 1]->doc == d)
			p++;
		/* block-max check */
		float bsum = 0.0f;
		for (uint32_t i = 0; i <= (uint32_t)p; i++) {
			cr_ix_cur_shallow(ord[i], d);
			bsum += block_bound(x, ord[i]);
		}
		if (can_enter(&x->top, bsum)) {
			if (ord[0]->doc == d) {
				if (accept(r, d)) {
					float s = score_doc(x, r->g, cur, n, d);
					emit(r, d, s);
				}
				for (uint32_t i = 0; i <= (uint32_t)p; i++)
					cr_ix_cur_next(ord[i]);
			} else {
				for (uint32_t i = 0; i < (uint32_t)p; i++)
					if (ord[i]->doc < d)
						cr_ix_cur_advance(ord[i], d);
			}
		} else {
			uint32_t nd = CR_IX_END;
			for (uint32_t i = 0; i <= (uint32_t)p; i++) {
				uint32_t bl = cr_ix_cur_block_last(ord[i]);
				if (bl != CR_IX_END && bl + 1 < nd)
					nd = bl + 1;
			}
			if ((uint32_t)p + 1 < n && ord[p + 1]->doc < nd)
				nd = ord[p + 1]->doc;
			for (uint32_t i = 0; i <= (uint32_t)p; i++)
				if (ord[i]->doc < nd)
					cr_ix_cur_advance(ord[i], nd);
		}
	}
	if (ord != ordbuf)
		cr_free(ord);
}

static void run_exhaustive(segrt *r, cr_ix_cur *cur, uint32_t n)
{
	sctx *x = r->x;
	for (;;) {
		if (should_stop(x))
			break;
		uint32_t d = CR_IX_END;
		for (uint32_t i = 0; i < n; i++)
			if (cur[i].doc < d)
				d = cur[i].doc;
		if (d == CR_IX_END)
			break;
		if (accept(r, d))
			emit(r, d, score_doc(x, r->g, cur, n, d));
		for (uint32_t i = 0; i < n; i++)
			if (cur[i].doc == d)
				cr_ix_cur_next(&cur[i]);
	}
}

static cr_err eval_segment(sctx *x, uint32_t si, int mode)
{
	const cr_ix_seg *g = x->snap->segs[si];
	const uint8_t *pr = x->present + (size_t)si * x->n_terms;
	const cr_ix_tinfo *ti = x->ti + (size_t)si * x->n_terms;
	segrt r = {.x = x, .si = si, .g = g, .dead = x->snap->dead[si]};
	r.filtered = x->q.has_from || x->q.has_to || x->q.n_types || x->q.n_paths || (x->o && x->o->who);
	cr_err e = CR_OK;
	cr_ix_cur *cur = NULL;
	uint32_t n_cur = 0;
	r.cc = cr_calloc(x->n_cl ? x->n_cl : 1, sizeof *r.cc);
	if (!r.cc)
		return CR_ENOMEM;
	/* clause cursors */
	for (uint32_t c = 0; c < x->n_cl; c++) {
		clause_rt *cl = &x->cl[c];
		if (cl->doc_level)
			continue; /* accept() checks the document */
		int any = 0, all = 1;
		for (uint32_t i = 0; i < cl->n; i++) {
			any |= pr[cl->tids[i]];
			all &= pr[cl->tids[i]];
		}
		int possible = cl->kind == CR_IXQ_PREFIX ? any : (all && cl->n);
		if (!possible) {
			if (cl->occur == CR_IXQ_MUST)
				goto out; /* nothing in this segment can match */
			continue; /* an exclusion that excludes nothing here */
		}
		ccur *cc = &r.cc[r.n_cc++];
		cc->c = cl;
		cc->cur = cr_calloc(cl->n, sizeof *cc->cur);
		cc->have = cr_calloc(cl->n, 1);
		if (!cc->cur || !cc->have) {
			e = CR_ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < cl->n; i++)
			if (pr[cl->tids[i]]) {
				cc->have[i] = 1;
				cr_ix_cur_init(&cc->cur[i], &ti[cl->tids[i]], g->n_docs);
			}
	}
	/* scoring cursors, in term order */
	cur = cr_malloc((x->n_terms ? x->n_terms : 1) * sizeof *cur);
	if (!cur) {
		e = CR_ENOMEM;
		goto out;
	}
	for (uint32_t t = 0; t < x->n_terms; t++) {
		if (!pr[t] || !x->terms[t].scoring || x->terms[t].w <= 0.0f)
			continue;
		cr_ix_cur *c = &cur[n_cur++];
		cr_ix_cur_init(c, &ti[t], g->n_docs);
		c->term = (int)t;
		c->ub = impact_bound(x, &ti[t].impact, x->terms[t].w);
	}
	if (!n_cur) {
		if (x->n_positive == 0 && x->q.n_cl + x->q.n_types + x->q.n_paths + x->q.has_from + x->q.has_to) {
			/* only filters and exclusions: every entry that passes */
			for (uint32_t d = 0; d < g->n_docs && !should_stop(x); d++)
				if (accept(&r, d))
					emit(&r, d, 0.0f);
		}
	} else if (mode == CR_IX_MODE_EXHAUSTIVE) {
		run_exhaustive(&r, cur, n_cur);
	} else {
		run_bmw(&r, cur, n_cur);
	}
	for (uint32_t i = 0; i < n_cur; i++) {
		if (cur[i].corrupt)
			x->corrupt = 1;
		cr_ix_cur_release(&cur[i]);
	}
out:
	for (uint32_t i = 0; i < r.n_cc; i++) {
		for (uint32_t j = 0; r.cc[i].cur && j < r.cc[i].c->n; j++)
			if (r.cc[i].have && r.cc[i].have[j]) {
				if (r.cc[i].cur[j].corrupt)
					x->corrupt = 1;
				cr_ix_cur_release(&r.cc[i].cur[j]);
			}
		cr_free(r.cc[i].cur);
		cr_free(r.cc[i].have);
	}
	cr_free(r.cc);
	cr_free(cur);
	if (!e && x->corrupt < 0)
		e = CR_ENOMEM;
	return e;
}

static int cmp_hit(const void *a, const void *b)
{
	const hitc *x = a, *y = b;
	if (better(x, y))
		return -1;
	if (better(y, x))
		return 1;
	return 0;
}

void cr_results_release(cr_results *r)
{
	if (!r)
		return;
	cr_arena_release(&r->arena);
	memset(r, 0, sizeof *r);
}

cr_err cr_ix_search_mode(cr_index *ix, cr_analyzer *an, const char *query, const cr_search_opts *o, int mode,
			 cr_results *out, cr_msg *m)
{
	memset(out, 0, sizeof *out);
	cr_arena_init(&out->arena, 0);
	if (!ix || !an || !query)
		return cr_fail(m, CR_EINVAL, "search: missing index, analyzer or query");
	if (strlen(query) > MAX_QUERY_BYTES)
		return cr_fail(m, CR_EINVAL, "query: longer than %d bytes", MAX_QUERY_BYTES);
	sctx x;
	memset(&x, 0, sizeof x);
	x.a = &out->arena;
	x.o = o;
	x.cancel = o ? o->cancel : NULL;
	x.p = ix->params;
	cr_err e = cr_ixq_parse(x.a, an, query, &x.q, m);
	if (e)
		return e;
	x.snap = cr_ix_snap_get(ix);
	const cr_ix_snap *s = x.snap;
	if ((e = plan(&x))) {
		if (e == CR_EINVAL)
			cr_fail(m, e, "query: more than %d distinct terms", MAX_QUERY_TERMS);
		else
			cr_fail(m, e, "search: %s", cr_strerror(e));
		goto out;
	}
	/* per-segment term lookups and global statistics */
	size_t nst = (size_t)s->n_segs * x.n_terms;
	x.ti = cr_calloc(nst ? nst : 1, sizeof *x.ti);
	x.present = cr_calloc(nst ? nst : 1, 1);
	if (!x.ti || !x.present) {
		e = cr_fail(m, CR_ENOMEM, "search: out of memory");
		goto out;
	}
	for (uint32_t si = 0; si < s->n_segs; si++)
		for (uint32_t t = 0; t < x.n_terms; t++) {
			int f = cr_ix_seg_find(s->segs[si], (const uint8_t *)x.terms[t].term, x.terms[t].len,
					       &x.ti[(size_t)si * x.n_terms + t]);
			if (f < 0) {
				e = cr_fail(m, CR_ECORRUPT, "index: segment %llu: bad dictionary entry",
					    (unsigned long long)s->segs[si]->no);
				goto out;
			}
			if (f) {
				x.present[(size_t)si * x.n_terms + t] = 1;
				x.terms[t].df += x.ti[(size_t)si * x.n_terms + t].df;
			}
		}
	double N = (double)(s->n_docs ? s->n_docs : 1);
	double avg_t = s->n_docs ? (double)s->sum_lt / (double)s->n_docs : 0.0;
	double avg_b = s->n_docs ? (double)s->sum_lb / (double)s->n_docs : 0.0;
	if (avg_t <= 0.0)
		avg_t = 1.0;
	if (avg_b <= 0.0)
		avg_b = 1.0;
	for (int c = 0; c < 256; c++) {
		double l = cr_ix_len_decode((uint8_t)c);
		/* an empty field (denominator 0 when b = 1) holds no tf: factor 0 */
		double dt = 1.0 - x.p.b_title + x.p.b_title * l / avg_t;
		double db = 1.0 - x.p.b_body + x.p.b_body * l / avg_b;
		x.nt[c] = dt > 1e-9 ? (float)(1.0 / dt) : 0.0f;
		x.nb[c] = db > 1e-9 ? (float)(1.0 / db) : 0.0f;
	}
	for (uint32_t t = 0; t < x.n_terms; t++) {
		double df = (double)x.terms[t].df;
		double idf = log(1.0 + (N - df + 0.5) / (df + 0.5));
		x.terms[t].w = (float)(x.terms[t].qw * idf * (x.p.k1 + 1.0));
	}
	int k = o && o->k > 0 ? o->k : 10;
	if (k > MAX_K)
		k = MAX_K;
	x.top.k = k;
	x.top.per_doc = o && o->per_doc;
	if (x.top.per_doc)
		for (uint32_t c = 0; c < x.n_cl; c++) {
			clause_rt *cl = &x.cl[c];
			cl->doc_level = cl->occur == CR_IXQ_NOT || (cl->occur == CR_IXQ_MUST && cl->kind == CR_IXQ_WORDS);
			x.any_doc_level |= cl->doc_level;
		}
	if (x.any_doc_level && (e = doc_sets(&x))) {
		cr_fail(m, e, "search: %s", cr_strerror(e));
		goto out;
	}
	x.top.h = cr_malloc((size_t)k * sizeof *x.top.h);
	if (!x.top.h) {
		e = cr_fail(m, CR_ENOMEM, "search: out of memory");
		goto out;
	}
	for (uint32_t si = 0; si < s->n_segs && !e && !x.stopped; si++)
		if (!(x.stopped = cr_cancel_check(x.cancel)))
			e = eval_segment(&x, si, mode);
	if (!e && x.stopped) {
		e = cr_fail(m, x.stopped, "search: %s", x.stopped == CR_ETIMEOUT ? "timed out" : "canceled");
		goto out;
	}
	if (e) {
		cr_fail(m, e, "search: %s", cr_strerror(e));
		goto out;
	}
	if (x.corrupt) {
		e = cr_fail(m, CR_ECORRUPT, "index: corrupt postings in a segment");
		goto out;
	}
	/* results */
	qsort(x.top.h, (size_t)x.top.n, sizeof *x.top.h, cmp_hit);
	out->hits = cr_arena_alloc(x.a, (size_t)(x.top.n ? x.top.n : 1) * sizeof *out->hits);
	if (!out->hits) {
		e = cr_fail(m, CR_ENOMEM, "search: out of memory");
		goto out;
	}
	for (int i = 0; i < x.top.n; i++) {
		const hitc *h = &x.top.h[i];
		const cr_ix_seg *g = s->segs[h->seg];
		const uint8_t *a = cr_ix_seg_attr(g, h->doc);
		cr_hit *o2 = &out->hits[i];
		o2->id = h->id;
		o2->doc_key = h->doc_key;
		o2->score = h->score;
		o2->date = (int64_t)cr_ix_rd64(a + CR_IX_ATTR_DATE);
		o2->doc = cr_arena_strndup(x.a, cr_ix_seg_str(g, cr_ix_rd32(a + CR_IX_ATTR_DOC), 0),
					   cr_ix_rd32(a + CR_IX_ATTR_DOCLEN));
		o2->type = cr_arena_strndup(x.a, cr_ix_seg_str(g, cr_ix_rd32(a + CR_IX_ATTR_TYPE), 0),
					    cr_ix_rd16(a + CR_IX_ATTR_TYPELEN));
		if (!o2->doc || !o2->type) {
			e = cr_fail(m, CR_ENOMEM, "search: out of memory");
			goto out;
		}
	}
	out->n = (size_t)x.top.n;
	out->total_matched = x.matched;
	/* analyzed positive terms, for highlighting */
	out->terms = cr_arena_alloc(x.a, (x.n_terms ? x.n_terms : 1) * sizeof *out->terms);
	if (!out->terms) {
		e = cr_fail(m, CR_ENOMEM, "search: out of memory");
		goto out;
	}
	for (uint32_t t = 0; t < x.n_terms; t++)
		if (x.terms[t].scoring)
			out->terms[out->n_terms++] = x.terms[t].term;
out:
	for (uint32_t c = 0; x.cl && c < x.n_cl; c++)
		cr_free(x.cl[c].keys);
	cr_free(x.ti);
	cr_free(x.present);
	cr_free(x.top.h);
	cr_ix_snap_put(x.snap);
	if (e) {
		cr_arena_release(&out->arena);
		memset(out, 0, sizeof *out);
		cr_arena_init(&out->arena, 0);
	}
	return e;
}

cr_err cr_index_search(cr_index *ix, cr_analyzer *an, const char *query, const cr_search_opts *o, cr_results *out,
		       cr_msg *m)
{
	return cr_ix_search_mode(ix, an, query, o, CR_IX_MODE_FAST, out, m);
}
