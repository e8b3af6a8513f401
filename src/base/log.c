/* log.c — clocks and a leveled logger to stderr. */
#include "cristal/base.h"

#include <time.h>

static cr_log_level level = CR_LOG_WARN;

double cr_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int64_t cr_wallclock(void) { return (int64_t)time(NULL); }

void cr_log_set_level(cr_log_level l) { level = l; }

void cr_log(cr_log_level l, const char *fmt, ...)
{
	static const char *const tag[] = {"debug", "info", "warning", "error"};
	if (l < level)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "cristal: %s: ", tag[l]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
