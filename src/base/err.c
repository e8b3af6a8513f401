/* err.c — the library's error names and the message sink. */
#include "cristal/base.h"

#include <stdlib.h>

static const char *const names[CR_ERR__COUNT] = {
	[CR_OK] = "success",
	[CR_ENOMEM] = "out of memory",
	[CR_EINVAL] = "invalid argument",
	[CR_EIO] = "input/output error",
	[CR_ECORRUPT] = "malformed input",
	[CR_ENOTFOUND] = "not found",
	[CR_EEXIST] = "already exists",
	[CR_EDENIED] = "permission denied",
	[CR_ETIMEOUT] = "timed out",
	[CR_ECANCELED] = "canceled",
	[CR_EUNSUPPORTED] = "unsupported",
	[CR_ETOOBIG] = "over a size limit",
	[CR_EBUSY] = "busy",
	[CR_EUNAUTH] = "unauthorised",
	[CR_ERATELIMIT] = "rate limited",
	[CR_EUPSTREAM] = "upstream provider failed",
};

const char *cr_strerror(cr_err e)
{
	if ((unsigned)e >= CR_ERR__COUNT || !names[e])
		return "unknown error";
	return names[e];
}

cr_err cr_fail(cr_msg *m, cr_err e, const char *fmt, ...)
{
	if (m) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m->text, sizeof m->text, fmt, ap);
		va_end(ap);
	}
	return e;
}

void cr_assert_fail(const char *file, int line, const char *cond)
{
	fprintf(stderr, "cristal: assertion failed at %s:%d: %s\n", file, line, cond);
	abort();
}
