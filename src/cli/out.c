/*
 * out.c — what goes to a terminal (or a pipe) from outside: document
 * names, titles, snippets and text may hold any bytes. An ESC in a file
 * name would recolour the terminal, a newline would forge a result line,
 * and bytes that are not UTF-8 would print as garbage. cli_put writes
 * them escaped the way JSON output and `show` understand (cr_utf8_escape:
 * "\xNN" for control characters and raw bytes), so a name printed by
 * search can be given to show as printed.
 */
#include "cli.h"

#include <string.h>

void cli_put(FILE *f, const char *s, int keep_lines)
{
	if (!s)
		s = "?";
	size_t n = strlen(s);
	cr_buf b;
	cr_buf_init(&b, 0);
	if (cr_utf8_escape(&b, s, n, keep_lines ? 2 : 1))
		fputs("?", f); /* out of memory: print nothing raw */
	else
		fwrite(b.data, 1, b.len, f);
	cr_buf_release(&b);
}
