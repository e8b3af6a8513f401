/* fuzz_audit.c — arbitrary bytes as an exported audit log (a file handed
 * to `cristal audit verify` is outside bytes): the checker must never
 * crash, and a verdict always says intact or names a bad record. Checked
 * with and without a trusted key, so seals are parsed both ways. */
#define _GNU_SOURCE /* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *key = "4f644deff9627f023ef7cf4d202c1d8265069041ac6154997d88265bf29fffbe";
	for (int with_key = 0; with_key < 2; with_key++) {
		FILE *f = fmemopen((void *)data, size ? size : 1, "r");
		if (!f)
			return 0;
		cr_audit_check c = {.public_key = with_key ? key : NULL, .max_unsealed = 4};
		cr_audit_verdict v;
		cr_msg m = {{0}};
		cr_err e = size ? cr_audit_verify_stream(f, &c, &v, &m) : CR_OK;
		fclose(f);
		if (!e && size && !v.intact && !v.reason[0])
			abort(); /* a bad verdict always says why */
	}
	return 0;
}
