/* log.c — clocks, a leveled logger with a replaceable sink, and cancel tokens. */
#include "cristal/base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static _Atomic int level = CR_LOG_WARN;
static pthread_rwlock_t sink_lock = PTHREAD_RWLOCK_INITIALIZER;
static cr_log_sink sink_fn;
static void *sink_ctx;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double cr_now(void) { return (double)now_ns() * 1e-9; }

int64_t cr_wallclock(void) { return (int64_t)time(NULL); }

void cr_log_set_level(cr_log_level l) { atomic_store(&level, (int)l); }
cr_log_level cr_log_get_level(void) { return (cr_log_level)atomic_load(&level); }

void cr_log_set_sink(cr_log_sink fn, void *ctx)
{
	pthread_rwlock_wrlock(&sink_lock);
	sink_fn = fn;
	sink_ctx = ctx;
	pthread_rwlock_unlock(&sink_lock);
}

void cr_log(cr_log_level l, const char *fmt, ...)
{
	static const char *const tag[] = {"debug", "info", "warning", "error"};
	if ((int)l < atomic_load(&level))
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	pthread_rwlock_rdlock(&sink_lock);
	if (sink_fn)
		sink_fn(sink_ctx, l, line);
	else
		fprintf(stderr, "cristal: %s: %s\n", tag[l], line); /* one write per line */
	pthread_rwlock_unlock(&sink_lock);
}

void cr_cancel_init(cr_cancel *c)
{
	atomic_init(&c->flag, 0);
	atomic_init(&c->deadline_ns, 0);
}

void cr_cancel_request(cr_cancel *c) { atomic_store(&c->flag, 1); }

void cr_cancel_set_timeout(cr_cancel *c, double seconds)
{
	atomic_store(&c->deadline_ns, seconds > 0 ? now_ns() + (int64_t)(seconds * 1e9) : 0);
}

cr_err cr_cancel_check(const cr_cancel *c)
{
	if (!c)
		return CR_OK;
	if (atomic_load_explicit(&((cr_cancel *)c)->flag, memory_order_relaxed))
		return CR_ECANCELED;
	int64_t d = atomic_load_explicit(&((cr_cancel *)c)->deadline_ns, memory_order_relaxed);
	if (d && now_ns() >= d)
		return CR_ETIMEOUT;
	return CR_OK;
}
