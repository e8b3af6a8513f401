/* test_ingest_chat_real.c — the generic chat reader (chat.c) on real
 * meeting transcripts: $CR_SHARED_DATA/meetings-qmsum/<id>.json holds
 * {"meeting_transcripts":[{"speaker","content"}...]} (AMI, ICSI and
 * parliamentary committees; see its SOURCE.md). Every turn's text must come
 * out under its speaker, consecutive turns of one speaker joined. Skipped
 * (77) when the data is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/ingest_int.h"

static const char *g_root;

static void check_meeting(const char *id)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/meetings-qmsum/%s.json", g_root, id);
	uint8_t *buf;
	size_t len;
	cr_msg m = {{0}};
	if (cr_file_read(p, 1 << 26, &buf, &len, &m) != CR_OK)
		fail_msg("%s: %s", p, m.text);
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_extract_limits lim = cr_extract_limits_default();
	cr_doc d;
	memset(&d, 0, sizeof d);
	d.name = cr_arena_printf(&a, "meetings/%s.json", id);
	d.type = "chat";
	cr_xctx x = {.a = &a, .lim = &lim, .m = &m, .root = &d};
	assert_int_equal(cr_x_chat(&x, buf, len, &d), CR_OK);

	/* the reference: jansson's own reading of the same file */
	json_error_t err;
	json_t *root = json_loadb((const char *)buf, len, 0, &err);
	assert_non_null(root);
	json_t *turns = json_object_get(root, "meeting_transcripts");
	size_t n_turns = json_array_size(turns), n_nonempty = 0;
	size_t sec = 0, off = 0; /* position in d's sections */
	for (size_t i = 0; i < n_turns; i++) {
		json_t *t = json_array_get(turns, i);
		const char *spk = json_string_value(json_object_get(t, "speaker"));
		const char *txt = json_string_value(json_object_get(t, "content"));
		size_t k = 0;
		while (txt[k] == ' ' || txt[k] == '\n' || txt[k] == '\t')
			k++;
		if (!txt[k])
			continue;
		n_nonempty++;
		/* find this turn's text in order, under its speaker */
		int found = 0;
		while (sec < d.n_sections) {
			const cr_section *s = &d.sections[sec];
			const char *hit = strstr(s->text + off, txt + k);
			if (hit && s->loc.speaker && strcmp(s->loc.speaker, spk) == 0) {
				off = (size_t)(hit - s->text) + 1;
				found = 1;
				break;
			}
			sec++;
			off = 0;
		}
		if (!found)
			fail_msg("%s: turn %zu (%s) not found in order", id, i, spk);
	}
	char want[32];
	snprintf(want, sizeof want, "%zu", n_nonempty);
	assert_string_equal(cr_doc_meta(&d, "messages"), want);
	assert_true(d.n_sections <= n_nonempty);
	print_message("%s: %zu turns -> %zu sections\n", id, n_turns, d.n_sections);
	json_decref(root);
	cr_free(buf);
	cr_arena_release(&a);
}

static void test_qmsum(void **st)
{
	static const char *ids[] = {"ES2004a", "IS1003a", "TS3011d", "Bed016", "covid_4", "education_13"};
	for (size_t i = 0; i < CR_ARRAY_LEN(ids); i++)
		check_meeting(ids[i]);
}

int main(void)
{
	g_root = getenv("CR_SHARED_DATA");
	char p[4096];
	struct stat st;
	if (!g_root || snprintf(p, sizeof p, "%s/meetings-qmsum", g_root) <= 0 || stat(p, &st) != 0) {
		fprintf(stderr, "test_ingest_chat_real: CR_SHARED_DATA/meetings-qmsum not found, skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qmsum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
