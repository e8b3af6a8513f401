/* fuzz_cron.c — cron expressions of agent schedules (agent.h
 * cr_cron_parse): any text gives a schedule or CR_EINVAL with a message;
 * a schedule's next fire time in UTC is later than the time given, on a
 * whole minute, and matches every field (day-of-month or day-of-week by
 * Vixie cron's rule), and the one after it is later still. */
#include <stdint.h>
#include <string.h>

#include "cristal/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char expr[256];
	if (size >= sizeof expr)
		size = sizeof expr - 1;
	memcpy(expr, data, size);
	expr[size] = 0;
	cr_cron c;
	cr_msg m = {{0}};
	if (cr_cron_parse(expr, &c, &m)) {
		CR_ASSERT(m.text[0]);
		return 0;
	}
	CR_ASSERT(c.minute && c.hour && c.dom && c.month && c.dow);
	cr_tz *z;
	CR_ASSERT(cr_tz_load("UTC", &z, NULL) == CR_OK);
	int64_t after = 1796256000, next; /* 2026-12-03 */
	for (int i = 0; i < 3 && cr_cron_next(&c, z, after, &next) == CR_OK; i++) {
		CR_ASSERT(next > after && next % 60 == 0);
		cr_civil cv;
		cr_tz_local(z, next, &cv);
		CR_ASSERT(c.minute >> cv.mi & 1);
		CR_ASSERT(c.hour >> cv.h & 1);
		CR_ASSERT(c.month >> cv.mo & 1);
		int dom = c.dom >> cv.d & 1, dow = c.dow >> cv.wday & 1;
		CR_ASSERT(c.dom_star || c.dow_star ? dom && dow : dom || dow);
		after = next;
	}
	cr_tz_free(z);
	return 0;
}
