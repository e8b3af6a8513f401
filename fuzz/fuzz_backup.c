/* fuzz_backup.c — the backup archive's reader (backup.h), as restore runs
 * it but writing nothing: any bytes give an archive accepted (every entry's
 * name, size and SHA-256 matching the closing list) or an error; never a
 * crash, an endless loop or unbounded memory. */
#include <stdint.h>

#include "cristal/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_backup_info inf;
	cr_msg m = {{0}};
	if (cr_backup_check(data, size, &inf, &m))
		CR_ASSERT(m.text[0]);
	else
		CR_ASSERT(inf.n_files >= 1 && inf.bytes <= size);
	return 0;
}
