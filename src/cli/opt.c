/*
 * opt.c — the one parser of option values every command uses, and the one
 * exit status for usage errors (2).
 *
 * A value is taken whole or refused at once, before any work starts: a
 * number must be all digits (with sign, decimals or exponent where the
 * option allows them), finite, and inside the option's range; the message
 * names the option, the value given and the range. Commands return what
 * these functions return, so `-n abc`, `--top-p 2` or `--threads 0` all end
 * with status 2 and one line on stderr.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "cristal: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return CLI_USAGE;
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end || errno == ERANGE || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_double(const char *s, double min, double max, double *out)
{
	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	/* strtod also reads "nan", "inf" and hexadecimal: none is a value here */
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789+-.eE", *p))
			return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_opt_int(const char *cmd, const char *opt, const char *arg, long min, long max, int *out)
{
	long v;
	if (max > INT32_MAX)
		max = INT32_MAX;
	if (cli_parse_long(arg, min, max, &v))
		return cli_usage_fail(cmd, "%s wants a whole number from %ld to %ld, not '%s'", opt, min, max,
				      arg ? arg : "");
	*out = (int)v;
	return 0;
}

int cli_opt_double(const char *cmd, const char *opt, const char *arg, double min, double max, double *out)
{
	if (cli_parse_double(arg, min, max, out))
		return cli_usage_fail(cmd, "%s wants a number from %g to %g, not '%s'", opt, min, max, arg ? arg : "");
	return 0;
}

int cli_opt_float(const char *cmd, const char *opt, const char *arg, double min, double max, float *out)
{
	double v;
	int rc = cli_opt_double(cmd, opt, arg, min, max, &v);
	if (!rc)
		*out = (float)v;
	return rc;
}

int cli_opt_u64(const char *cmd, const char *opt, const char *arg, uint64_t *out)
{
	const char *s = arg ? arg : "";
	while (*s == ' ' || *s == '\t')
		s++;
	char *end;
	errno = 0;
	unsigned long long v = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
	if (!(*s >= '0' && *s <= '9') || *end || errno == ERANGE)
		return cli_usage_fail(cmd, "%s wants a whole number >= 0, not '%s'", opt, arg ? arg : "");
	*out = v;
	return 0;
}

int cli_max_threads(void)
{
	int n = cr_ncpu();
	return CR_MAX(16, 8 * (n > 0 ? n : 1));
}

int cli_opt_threads(const char *cmd, const char *opt, const char *arg, int *out)
{
	return cli_opt_int(cmd, opt, arg, 1, cli_max_threads(), out);
}
