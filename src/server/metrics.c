/*
 * metrics.c — /metrics in Prometheus's text format (version 0.0.4):
 *   cristal_http_requests_total{route,status}         counter
 *   cristal_http_request_duration_seconds{route,status} histogram (a
 *       stream's duration is its whole length)
 *   cristal_open_streams                               gauge
 *   cristal_ingest_uploads_running                     gauge
 *   cristal_agent_runs_running                         gauge
 *   cristal_documents, cristal_chunks, cristal_index_entries,
 *   cristal_index_deleted, cristal_index_segments, cristal_index_bytes gauges
 *   cristal_provider_calls_total{provider}, cristal_provider_errors_total{provider},
 *   cristal_provider_tokens_total{provider,kind="prompt"|"completion"}
 *       counters, from the catalog's usage table (every metered call,
 *       the command line's too)
 *   cristal_uptime_seconds
 * Routes are the route table's names, so the label set stays bounded
 * whatever paths clients send; (route, status) pairs past 256 are counted
 * in cristal_http_requests_dropped_total.
 */
#include "server_int.h"

#include <string.h>

static const double BUCKETS[SRV_N_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					     0.1,   0.25,   0.5,   1,    2.5,   10};

void srv_metrics_init(srv_metrics *mt)
{
	memset(mt, 0, sizeof *mt);
	pthread_mutex_init(&mt->mu, NULL);
}

void srv_metrics_release(srv_metrics *mt) { pthread_mutex_destroy(&mt->mu); }

void srv_metrics_observe(srv_metrics *mt, const char *route, unsigned status, double seconds)
{
	pthread_mutex_lock(&mt->mu);
	srv_metric *x = NULL;
	for (size_t i = 0; i < mt->n; i++)
		if (mt->m[i].status == status && !strcmp(mt->m[i].route, route)) {
			x = &mt->m[i];
			break;
		}
	if (!x && mt->n < SRV_METRICS_MAX) {
		x = &mt->m[mt->n++];
		x->route = route; /* a static string of the route table */
		x->status = status;
	}
	if (x) {
		x->count++;
		x->sum += seconds;
		for (int b = 0; b < SRV_N_BUCKETS; b++)
			if (seconds <= BUCKETS[b])
				x->buckets[b]++;
	} else
		mt->dropped++;
	pthread_mutex_unlock(&mt->mu);
}

static int usage_row(void *ctx, const cr_usage_sum *u)
{
	/* per day and provider: summed here per provider */
	cr_buf *acc = ctx;
	CR_IGNORE(cr_buf_printf(acc, "%s\t%lld\t%lld\t%lld\t%lld\n", u->provider ? u->provider : "?",
				(long long)u->calls, (long long)u->failed, (long long)u->prompt_tokens,
				(long long)u->completion_tokens));
	return 0;
}

/* Prometheus label values: backslash, quote and newline escaped. */
static cr_err label(cr_buf *b, const char *s)
{
	cr_err e = CR_OK;
	for (; *s && !e; s++)
		e = *s == '\\' ? cr_buf_adds(b, "\\\\")
		    : *s == '"' ? cr_buf_adds(b, "\\\"")
		    : *s == '\n' ? cr_buf_adds(b, "\\n")
				 : cr_buf_addc(b, *s);
	return e;
}

typedef struct prov_sum {
	char name[128];
	long long calls, failed, in, out;
} prov_sum;

static cr_err provider_metrics(cr_server *s, cr_buf *b)
{
	cr_store *st;
	cr_msg m = {{0}};
	if (cr_corpus_store_acquire(s->corpus, &st, &m))
		return CR_OK;
	cr_buf rows;
	cr_buf_init(&rows, 0);
	cr_err e = cr_store_usage_sum(st, usage_row, &rows, &m);
	cr_corpus_store_release(s->corpus, st);
	prov_sum ps[64];
	size_t n = 0;
	for (char *line = rows.data; !e && line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char name[128];
		long long c, f, i, o;
		if (sscanf(line, "%127[^\t]\t%lld\t%lld\t%lld\t%lld", name, &c, &f, &i, &o) == 5) {
			size_t k = 0;
			while (k < n && strcmp(ps[k].name, name))
				k++;
			if (k == n && n < CR_ARRAY_LEN(ps)) {
				memset(&ps[n], 0, sizeof ps[n]);
				snprintf(ps[n].name, sizeof ps[n].name, "%s", name);
				n++;
			}
			if (k < n) {
				ps[k].calls += c;
				ps[k].failed += f;
				ps[k].in += i;
				ps[k].out += o;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	cr_buf_release(&rows);
	if (e)
		return CR_OK;
	e = cr_buf_adds(b, "# HELP cristal_provider_calls_total Model provider calls (catalog usage table).\n"
			   "# TYPE cristal_provider_calls_total counter\n");
	for (size_t k = 0; k < n && !e; k++) {
		e = cr_buf_adds(b, "cristal_provider_calls_total{provider=\"");
		if (!e)
			e = label(b, ps[k].name);
		if (!e)
			e = cr_buf_printf(b, "\"} %lld\n", ps[k].calls);
	}
	if (!e)
		e = cr_buf_adds(b, "# HELP cristal_provider_errors_total Failed model provider calls.\n"
				   "# TYPE cristal_provider_errors_total counter\n");
	for (size_t k = 0; k < n && !e; k++) {
		e = cr_buf_adds(b, "cristal_provider_errors_total{provider=\"");
		if (!e)
			e = label(b, ps[k].name);
		if (!e)
			e = cr_buf_printf(b, "\"} %lld\n", ps[k].failed);
	}
	if (!e)
		e = cr_buf_adds(b, "# HELP cristal_provider_tokens_total Tokens by provider.\n"
				   "# TYPE cristal_provider_tokens_total counter\n");
	for (size_t k = 0; k < n && !e; k++) {
		for (int w = 0; w < 2 && !e; w++) {
			e = cr_buf_adds(b, "cristal_provider_tokens_total{provider=\"");
			if (!e)
				e = label(b, ps[k].name);
			if (!e)
				e = cr_buf_printf(b, "\",kind=\"%s\"} %lld\n", w ? "completion" : "prompt",
						  w ? ps[k].out : ps[k].in);
		}
	}
	return e;
}

enum MHD_Result srv_handle_metrics(srv_req *r)
{
	cr_server *s = r->s;
	srv_metrics *mt = &s->metrics;
	srv_metric *copy = cr_malloc(sizeof mt->m);
	if (!copy)
		return srv_error(r, 500, NULL, "out of memory");
	pthread_mutex_lock(&mt->mu);
	size_t n = mt->n;
	uint64_t dropped = mt->dropped;
	memcpy(copy, mt->m, n * sizeof *copy);
	pthread_mutex_unlock(&mt->mu);

	cr_buf b;
	cr_buf_init(&b, 0);
	cr_err e = cr_buf_adds(&b, "# HELP cristal_http_requests_total HTTP requests by route and status.\n"
				   "# TYPE cristal_http_requests_total counter\n");
	for (size_t i = 0; i < n && !e; i++)
		e = cr_buf_printf(&b, "cristal_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n", copy[i].route,
				  copy[i].status, (unsigned long long)copy[i].count);
	if (!e)
		e = cr_buf_printf(&b, "# HELP cristal_http_requests_dropped_total Requests past the label limit.\n"
				      "# TYPE cristal_http_requests_dropped_total counter\n"
				      "cristal_http_requests_dropped_total %llu\n"
				      "# HELP cristal_http_request_duration_seconds Time from request to last byte.\n"
				      "# TYPE cristal_http_request_duration_seconds histogram\n",
				  (unsigned long long)dropped);
	for (size_t i = 0; i < n && !e; i++) {
		const srv_metric *x = &copy[i];
		for (int k = 0; k < SRV_N_BUCKETS && !e; k++)
			e = cr_buf_printf(&b, "cristal_http_request_duration_seconds_bucket{route=\"%s\",status=\"%u\",le=\"%g\"} %llu\n",
					  x->route, x->status, BUCKETS[k], (unsigned long long)x->buckets[k]);
		if (!e)
			e = cr_buf_printf(&b,
					  "cristal_http_request_duration_seconds_bucket{route=\"%s\",status=\"%u\",le=\"+Inf\"} %llu\n"
					  "cristal_http_request_duration_seconds_sum{route=\"%s\",status=\"%u\"} %.6f\n"
					  "cristal_http_request_duration_seconds_count{route=\"%s\",status=\"%u\"} %llu\n",
					  x->route, x->status, (unsigned long long)x->count, x->route, x->status, x->sum,
					  x->route, x->status, (unsigned long long)x->count);
	}
	cr_free(copy);
	cr_index_stats is;
	cr_index_get_stats(cr_corpus_index(s->corpus), &is);
	if (!e)
		e = cr_buf_printf(&b,
				  "# HELP cristal_open_streams Server-sent event streams open now.\n"
				  "# TYPE cristal_open_streams gauge\ncristal_open_streams %d\n"
				  "# HELP cristal_ingest_uploads_running Uploads being ingested now.\n"
				  "# TYPE cristal_ingest_uploads_running gauge\ncristal_ingest_uploads_running %d\n"
				  "# HELP cristal_agent_runs_running Agent runs running in the background now.\n"
				  "# TYPE cristal_agent_runs_running gauge\ncristal_agent_runs_running %d\n"
				  "# HELP cristal_index_entries Live entries (chunks) in the index.\n"
				  "# TYPE cristal_index_entries gauge\ncristal_index_entries %llu\n"
				  "# HELP cristal_index_deleted Tombstoned entries in the index.\n"
				  "# TYPE cristal_index_deleted gauge\ncristal_index_deleted %llu\n"
				  "# HELP cristal_index_segments Index segments.\n"
				  "# TYPE cristal_index_segments gauge\ncristal_index_segments %llu\n"
				  "# HELP cristal_index_bytes Bytes of the index's segments.\n"
				  "# TYPE cristal_index_bytes gauge\ncristal_index_bytes %llu\n"
				  "# HELP cristal_uptime_seconds Seconds since the server started.\n"
				  "# TYPE cristal_uptime_seconds gauge\ncristal_uptime_seconds %lld\n",
				  atomic_load(&s->open_streams), srv_ingest_running(s), srv_runs_running(s),
				  (unsigned long long)is.n_entries,
				  (unsigned long long)is.n_deleted, (unsigned long long)is.n_segments,
				  (unsigned long long)is.bytes, (long long)(cr_wallclock() - (int64_t)s->started));
	cr_store *st;
	cr_msg m = {{0}};
	if (!e && !cr_corpus_store_acquire(s->corpus, &st, &m)) {
		cr_arena a;
		cr_arena_init(&a, 0);
		cr_store_stats ss;
		if (!cr_store_get_stats(st, &a, &ss, &m))
			e = cr_buf_printf(&b,
					  "# HELP cristal_documents Documents in the catalog.\n"
					  "# TYPE cristal_documents gauge\ncristal_documents %lld\n"
					  "# HELP cristal_chunks Chunks in the catalog.\n"
					  "# TYPE cristal_chunks gauge\ncristal_chunks %lld\n",
					  (long long)ss.n_docs, (long long)ss.n_chunks);
		cr_arena_release(&a);
		cr_corpus_store_release(s->corpus, st);
	}
	if (!e)
		e = provider_metrics(s, &b);
	enum MHD_Result ok = e ? srv_error(r, 500, NULL, "out of memory")
			       : srv_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	cr_buf_release(&b);
	return ok;
}
