/* fuzz_meetings.c — arbitrary bytes as a meeting's text (transcripts,
 * minutes and mails are outside bytes): due-date parsing and the meetings
 * rules must never crash or read out of bounds; a due date found lies inside
 * the text and resolves to a valid calendar date; every action has an owner
 * and a task. The first byte picks the type (vtt or md) and splits the text
 * into two parts (two chunks). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	int vtt = data[0] & 1;
	size_t cut = data[0] >> 1;
	data++, size--;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	size_t len = strlen(text); /* a document text is a C string */
	cr_due d;
	static const cr_ymd refs[] = {{2026, 12, 31}, {2028, 2, 29}, {0, 0, 0}};
	for (int i = 0; i < 3; i++) {
		if (cr_due_find(text, len, refs[i], &d)) {
			if (d.off + d.len > len || d.kind == CR_DUE_NONE)
				abort();
			if (d.date.y && (d.date.m < 1 || d.date.m > 12 || d.date.d < 1 || d.date.d > 31))
				abort();
		}
	}
	if (cut > len)
		cut = len;
	cr_doc_part parts[2] = {{.loc = {.t_start = -1, .t_end = -1}, .start = 0, .len = cut},
				{.loc = {.t_start = vtt ? 12.5 : -1, .t_end = -1, .speaker = vtt ? "Mei Lin" : NULL},
				 .start = cut,
				 .len = len - cut}};
	cr_doc_text t = {.text = text, .len = len, .parts = parts, .n_parts = 2};
	cr_meeting_input in = {.doc = "samples/meetings/x-2026-05-12.vtt", .title = "weekly", .type = vtt ? "vtt" : "md",
			       .doc_id = 1, .text = &t};
	cr_arena a;
	cr_arena_init(&a, 64 << 20);
	cr_meeting mt;
	if (cr_meeting_extract(&a, &in, &mt, NULL) == CR_OK) {
		for (size_t i = 0; i < mt.n_actions; i++)
			if (!mt.actions[i].owner || !*mt.actions[i].owner || !mt.actions[i].task)
				abort();
		cr_buf b;
		cr_buf_init(&b, 0);
		if (cr_meetings_json(&mt, 1, &b) != CR_OK)
			abort();
		cr_buf_release(&b);
	}
	cr_arena_release(&a);
	free(text);
	return 0;
}
