/*
 * test_agent_meetings.c — the meetings rules on crafted texts (no corpus):
 * a transcript (speakers, a volunteer, a named owner, a request, a
 * commitment dated in the next sentence, distractors: travel, the past, a
 * question, a conditional), minutes with labelled decisions and action
 * items (owner first, owner last), a Japanese transcript
 * dated by its metadata; the meeting's date from the content, the name and
 * the metadata; whether a document looks like a meeting; the JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cristal/agent.h"

/* One part per paragraph ("\n\n"), each with the speaker its text starts
 * with when `speakers` (as a transcript's chunks would carry). */
static cr_meeting extract(cr_arena *a, const char *doc, const char *type, int64_t date, const char *text)
{
	static cr_doc_part parts[64];
	size_t n = 0, len = strlen(text);
	for (size_t i = 0; i < len && n < 64;) {
		const char *e = strstr(text + i, "\n\n");
		size_t end = e ? (size_t)(e - text) : len;
		parts[n] = (cr_doc_part){.loc = {.t_start = 10.0 * (double)n, .t_end = -1, .line_start = 0},
					 .start = i,
					 .len = end - i};
		n++;
		i = e ? end + 2 : len;
	}
	cr_doc_text t = {.text = text, .len = len, .parts = parts, .n_parts = n};
	cr_meeting_input in = {.doc = doc, .title = "t", .type = type, .doc_id = 7, .date = date, .text = &t};
	cr_meeting m;
	assert_int_equal(cr_meeting_extract(a, &in, &m, NULL), CR_OK);
	return m;
}

/* The action of `owner` due `due` ("null" for none): its index, or -1. */
static int find(const cr_meeting *m, const char *owner, const char *due)
{
	for (size_t i = 0; i < m->n_actions; i++) {
		char d[11] = "null";
		if (m->actions[i].due.y)
			cr_ymd_iso(m->actions[i].due, d);
		if (!strcmp(m->actions[i].owner, owner) && !strcmp(d, due))
			return (int)i;
	}
	return -1;
}

static void dump(const cr_meeting *m)
{
	for (size_t i = 0; i < m->n_actions; i++) {
		char d[11] = "null";
		if (m->actions[i].due.y)
			cr_ymd_iso(m->actions[i].due, d);
		print_message("  action %s | %s | %s\n", m->actions[i].owner, d, m->actions[i].task);
	}
	for (size_t i = 0; i < m->n_decisions; i++)
		print_message("  decision %s\n", m->decisions[i].text);
}

static void test_transcript(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *text = "Ann Lee: Weekly sync. We decided to freeze the API on Monday.\n\n"
			   "Bob Stone: I can fix the login bug. I'll have it ready by Friday.\n\n"
			   "Ann Lee: Bob, please write the release notes EOD tomorrow. Carol will update the wiki "
			   "in two weeks.\n\n"
			   "Bob Stone: I'll be in Osaka next week. Last week I sent the report to Dan.\n\n"
			   "Carol Diaz: Can we ship on the 15th? If QA slips, I'll tell the customer.\n\n"
			   "Carol Diaz: Action item for me: draft the FAQ by March 20 and publish it by end of month.";
	cr_meeting m = extract(&a, "meetings/2026-03-10-sync.vtt", "vtt", 0, text);
	dump(&m);
	/* 2026-03-10 is a Tuesday, from the file name */
	assert_int_equal(m.date.y, 2026);
	assert_int_equal(m.date.m, 3);
	assert_int_equal(m.date.d, 10);
	assert_string_equal(m.date_from, "name");
	assert_string_equal(m.lang, "en");
	int i = find(&m, "Bob Stone", "2026-03-13"); /* "I can fix" dated by the next sentence */
	assert_true(i >= 0);
	assert_string_equal(m.actions[i].loc.speaker, "Bob Stone");
	assert_string_equal(m.actions[i].due_text, "by Friday");
	assert_true(find(&m, "Bob", "2026-03-11") >= 0);
	i = find(&m, "Carol", "2026-03-24");
	assert_true(i >= 0);
	assert_string_equal(m.actions[i].loc.speaker, "Ann Lee"); /* who said it */
	assert_int_equal(m.actions[i].due_kind, CR_DUE_SPAN);
	assert_true(find(&m, "Carol Diaz", "2026-03-20") >= 0);
	assert_true(find(&m, "Carol Diaz", "2026-03-31") >= 0);
	assert_int_equal(m.n_actions, 5); /* not: travel, the past, a question, a conditional */
	assert_int_equal(m.n_decisions, 1);
	assert_non_null(strstr(m.decisions[0].text, "freeze the API"));
	assert_string_equal(m.decisions[0].loc.speaker, "Ann Lee");
	cr_arena_release(&a);
}

static void test_minutes(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *text = "Project sync: minutes\n"
			   "Date: 2 December 2026\n"
			   "Attendees: Ann Lee, Bob Stone (QA)\n\n"
			   "Decisions:\n"
			   "- The beta goes to five customers.\n"
			   "- Pricing is still open; nothing was decided.\n\n"
			   "Action items:\n"
			   "- Ann Lee: send the beta invitations by next Monday.\n"
			   "- Stone to collect the feedback forms by January 15.\n"
			   "- Update the price sheet by Q1 (Ann).\n"
			   "- Order the test phones ASAP (Bob Stone)\n\n"
			   "Best regards, Ann";
	cr_meeting m = extract(&a, "notes/sync.md", "md", 0, text);
	dump(&m);
	assert_string_equal(m.date_from, "content"); /* 2026-12-02, a Wednesday */
	assert_int_equal(m.date.d, 2);
	assert_true(find(&m, "Ann Lee", "2026-12-07") >= 0);
	assert_true(find(&m, "Stone", "2027-01-15") >= 0); /* year rollover */
	assert_true(find(&m, "Ann", "2027-03-31") >= 0);
	int i = find(&m, "Bob Stone", "null");
	assert_true(i >= 0);
	assert_string_equal(m.actions[i].due_text, "ASAP");
	assert_int_equal(m.actions[i].due_kind, CR_DUE_VAGUE);
	assert_int_equal(m.n_actions, 4);
	assert_int_equal(m.n_decisions, 1);
	assert_true(cr_meeting_like("notes/sync.md", "t", "md", text, strlen(text)));
	assert_false(cr_meeting_like("docs/handbook.md", "Handbook", "md", "Leave: 20 days.\n", 16));
	cr_arena_release(&a);
}

static void test_japanese(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	const char *text = "山田花子: 定例を始めます。治具は外注にすることにします。\n\n"
			   "田中亮: 手順書は来週金曜までに仕上げます。\n\n"
			   "佐藤健二: 見積もりは私がやります。\n\n"
			   "山田花子: 中村さん、教育資料を１２月５日までに送ってください。安全講習の日程は未定です。\n\n"
			   "田中亮: アクションアイテムを確認します。佐藤は年内に予算案を提出。山田社長は取引先への連絡です。\n\n"
			   "山田花子: 在庫が届かなければ、すぐに報告してください。";
	/* the document's own date (2026-11-25, a Wednesday) */
	cr_meeting m = extract(&a, "m/teirei.srt", "srt", 1795582800, text);
	dump(&m);
	assert_string_equal(m.lang, "ja");
	assert_string_equal(m.date_from, "metadata");
	assert_int_equal(m.date.m, 11);
	assert_int_equal(m.date.d, 25);
	assert_true(find(&m, "田中亮", "2026-12-04") >= 0);
	assert_true(find(&m, "佐藤健二", "null") >= 0);
	int i = find(&m, "中村", "2026-12-05");
	assert_true(i >= 0);
	assert_string_equal(m.actions[i].due_text, "１２月５日までに");
	assert_true(find(&m, "佐藤", "2026-12-31") >= 0);
	assert_true(find(&m, "山田", "null") >= 0);
	assert_int_equal(m.n_actions, 5); /* not the conditional request */
	assert_int_equal(m.n_decisions, 1);
	cr_arena_release(&a);
}

static void test_json(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_meeting m = extract(&a, "m/2026-05-12.vtt", "vtt", 0, "Ann: I'll send it by May 20. We agreed to ship.");
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_meetings_json(&m, 1, &b), CR_OK);
	json_error_t e;
	json_t *j = json_loadb(b.data, b.len, 0, &e);
	assert_non_null(j);
	json_t *mt = json_array_get(json_object_get(j, "meetings"), 0);
	assert_int_equal(json_object_size(mt), 5);
	assert_string_equal(json_string_value(json_object_get(mt, "date")), "2026-05-12");
	json_t *ac = json_array_get(json_object_get(mt, "actions"), 0);
	assert_int_equal(json_object_size(ac), 5);
	assert_string_equal(json_string_value(json_object_get(ac, "owner")), "Ann");
	assert_string_equal(json_string_value(json_object_get(ac, "due")), "2026-05-20");
	assert_string_equal(json_string_value(json_object_get(ac, "due_text")), "by May 20");
	assert_string_equal(json_string_value(json_object_get(json_object_get(ac, "location"), "speaker")), "Ann");
	assert_int_equal(json_array_size(json_object_get(mt, "decisions")), 1);
	json_decref(j);
	cr_buf_release(&b);
	cr_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transcript),
		cmocka_unit_test(test_minutes),
		cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
