/* fuzz_chat_members.c — libFuzzer target for a chat export's membership
 * (chat.c cr_chat_parse_emails, cr_chat_parse_channels): users.json and a
 * channel listing, which come with the export. The input is users.json, a
 * NUL byte, then the listing (read as dms.json when the input's length is
 * odd). Every reader found must be an address in cr_email_norm's form of
 * a user of users.json, once per channel. Seeds in fuzz/corpus/chat_members/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cristal/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n_users = nul ? (size_t)(nul - data) : size;
	const uint8_t *list = nul ? nul + 1 : data;
	size_t n_list = nul ? size - n_users - 1 : size;
	cr_arena a;
	cr_arena_init(&a, 256u << 20);
	cr_msg m = {{0}};
	cr_kv *emails = NULL;
	size_t n_emails = 0, n = 0;
	cr_chat_channel *ch = NULL;
	if (!cr_chat_parse_emails(&a, data, n_users, &emails, &n_emails, &m) &&
	    !cr_chat_parse_channels(&a, list, n_list, (int)(size & 1), emails, n_emails, &ch, &n, &m)) {
		for (size_t i = 0; i < n; i++) {
			if (!ch[i].folder || !*ch[i].folder || strchr(ch[i].folder, '/'))
				abort();
			for (size_t j = 0; j < ch[i].n_readers; j++) {
				char norm[CR_EMAIL_MAX];
				const char *r = ch[i].readers[j];
				if (!cr_email_norm(r, strlen(r), norm, sizeof norm) || strcmp(norm, r))
					abort();
				int known = 0;
				for (size_t k = 0; k < n_emails && !known; k++)
					known = !strcmp(emails[k].value, r);
				for (size_t k = 0; k < j; k++)
					if (!strcmp(ch[i].readers[k], r))
						abort();
				if (!known)
					abort();
			}
		}
	} else if (!m.text[0]) {
		abort();
	}
	cr_arena_release(&a);
	return 0;
}
