/* fuzz_tz.c — the TZif reader of agent schedules (agent.h cr_tz_parse,
 * RFC 8536): any bytes give a zone or CR_ECORRUPT/CR_ENOMEM with a
 * message; a zone then answers offsets within ±26 hours at times from
 * the far past to the far future (its table, its footer's rule, the
 * clamped extremes), wall-clock times that are calendar times, and a
 * daily schedule's next fire time that is later and shows 02:30 (or none
 * within the search's years). The corpus holds zones made by zic from
 * made-up rules (fat and slim files, a southern rule, a fixed zone). */
#include <stdint.h>
#include <string.h>

#include "cristal/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_tz *z;
	cr_msg m = {{0}};
	cr_err e = cr_tz_parse(data, size, "fuzz", &z, &m);
	if (e) {
		CR_ASSERT(m.text[0] && (e == CR_ECORRUPT || e == CR_ENOMEM));
		return 0;
	}
	static const int64_t times[] = {INT64_MIN, -((int64_t)1 << 50), -2208988800, -1, 0, 1, 1700000000,
					1796256000, 2147483647, 4102444800, (int64_t)1 << 40, INT64_MAX};
	cr_cron c;
	CR_ASSERT(cr_cron_parse("30 2 * * *", &c, NULL) == CR_OK);
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		int32_t off = cr_tz_offset(z, times[i]);
		CR_ASSERT(off >= -26 * 3600 && off <= 26 * 3600);
		cr_civil cv;
		cr_tz_local(z, times[i], &cv);
		CR_ASSERT(cv.mo >= 1 && cv.mo <= 12 && cv.d >= 1 && cv.d <= 31 && cv.h >= 0 && cv.h < 24 && cv.mi >= 0 &&
			  cv.mi < 60 && cv.s >= 0 && cv.s < 60 && cv.wday >= 0 && cv.wday < 7);
		int64_t next;
		if (cr_cron_next(&c, z, times[i], &next) == CR_OK) {
			CR_ASSERT(next > times[i]);
			cr_tz_local(z, next, &cv);
			CR_ASSERT(cv.h == 2 && cv.mi == 30 && cv.s == 0);
		}
	}
	cr_tz_free(z);
	return 0;
}
