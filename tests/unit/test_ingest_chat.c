/* test_ingest_chat.c — Slack-style exports (chat.c): one day file as a
 * document, speakers from user profiles and users.json, times, threads,
 * markup cleaning; generic chat JSON / JSON Lines; invalid JSON refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

static const char *src_path(char *p, size_t n, const char *rel)
{
	const char *src = getenv("CR_SOURCE_DIR");
	snprintf(p, n, "%s/%s", src ? src : ".", rel);
	return p;
}

static cr_err extract_sample(cr_arena *a, const char *rel, const char *name, cr_doc **out, cr_msg *m)
{
	char p[4096];
	uint8_t *buf;
	size_t len;
	if (cr_file_read(src_path(p, sizeof p, rel), 1 << 24, &buf, &len, m) != CR_OK)
		fail_msg("cannot read %s: %s", p, m->text);
	cr_err e = cr_extract(a, name, buf, len, NULL, out, m);
	cr_free(buf);
	return e;
}

/* runs cr_x_chat directly (the dispatcher may route .json elsewhere) */
static cr_err chat_str(cr_arena *a, const char *name, const char *s, cr_doc *d, cr_msg *m)
{
	static cr_extract_limits lim;
	lim = cr_extract_limits_default();
	memset(d, 0, sizeof *d);
	d->name = name;
	d->type = "chat";
	cr_xctx x = {.a = a, .lim = &lim, .m = m, .root = d};
	return cr_x_chat(&x, (const uint8_t *)s, strlen(s), d);
}

static const cr_section *find_text(const cr_doc *d, const char *needle)
{
	for (size_t i = 0; i < d->n_sections; i++)
		if (strstr(d->sections[i].text, needle))
			return &d->sections[i];
	return NULL;
}

static void test_day_file(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(extract_sample(&a, "samples/chat/kestrel/2026-03-02.json", "chat/kestrel/2026-03-02.json", &d, &m),
			 CR_OK);
	assert_string_equal(d->type, "chat");
	assert_string_equal(d->title, "#kestrel 2026-03-02");
	assert_string_equal(cr_doc_meta(d, "channel"), "kestrel");
	assert_string_equal(cr_doc_meta(d, "messages"), "6"); /* the join notice is dropped */
	assert_null(find_text(d, "has joined"));
	/* Daniel's two messages a minute apart: one run */
	const cr_section *s = find_text(d, "Design review notes are up");
	assert_non_null(s);
	assert_string_equal(s->loc.speaker, "Daniel Okafor");
	assert_true(fabs(s->loc.t_start - (14 * 3600 + 5 * 60)) < 0.01); /* ts keeps its microseconds */
	assert_true(fabs(s->loc.t_end - (14 * 3600 + 6 * 60)) < 0.01);
	assert_non_null(strstr(s->text, "Open question for @Kenji Sato:")); /* <@U03KENJI> */
	assert_null(strstr(s->text, ":tada:"));
	/* a thread reply */
	s = find_text(d, "place the order with Hokuto Motors");
	assert_string_equal(s->loc.speaker, "Kenji Sato");
	assert_string_equal(s->loc.heading, "thread");
	/* links and files */
	s = find_text(d, "Finger pad test plan");
	assert_non_null(strstr(s->text, "pad test plan (https://wiki.aozora-precision.example/kestrel/pads)"));
	assert_non_null(strstr(s->text, "[file: Pad test plan]"));
	s = find_text(d, "Northwind Freight wants");
	assert_non_null(strstr(s->text, "May 29 & run four weeks. @here any"));
	/* no user_profile on Hanako's message: the id, until users.json names it */
	s = find_text(d, "Decision: pilot starts May 29");
	assert_string_equal(s->loc.speaker, "U01HANAKO");
	assert_null(strstr(s->text, ":+1:"));
	char dir[4096];
	cr_kv *users;
	size_t n_users;
	assert_int_equal(cr_chat_load_users(&a, src_path(dir, sizeof dir, "samples/chat"), &users, &n_users, &m), CR_OK);
	assert_int_equal(n_users, 5);
	assert_int_equal(cr_chat_name_users(&a, d, users, n_users), CR_OK);
	s = find_text(d, "Decision: pilot starts May 29");
	assert_string_equal(s->loc.speaker, "Hanako Yamada");
	assert_true(strncmp(s->text, "Hanako Yamada: No objection.", 28) == 0);
	assert_int_equal(d->date, 1772460300); /* first message, 2026-03-02 14:05 UTC */
	cr_arena_release(&a);
}

static void test_export_detection_and_users(void **st)
{
	char p[4096];
	assert_true(cr_chat_is_export(src_path(p, sizeof p, "samples/chat")));
	assert_false(cr_chat_is_export(src_path(p, sizeof p, "samples/mail")));
	assert_false(cr_chat_is_export(src_path(p, sizeof p, "samples/chat/kestrel")));
	assert_false(cr_chat_is_export("/nonexistent/dir"));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_kv *users;
	size_t n;
	cr_msg m = {{0}};
	assert_int_equal(cr_chat_load_users(&a, src_path(p, sizeof p, "samples/chat"), &users, &n, &m), CR_OK);
	int found = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(users[i].key, "U03KENJI") == 0 && strcmp(users[i].value, "Kenji Sato") == 0)
			found = 1;
	assert_true(found);
	assert_int_not_equal(cr_chat_load_users(&a, "/nonexistent/dir", &users, &n, &m), CR_OK);
	cr_arena_release(&a);
}

static void test_mentions_renamed(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc d;
	cr_msg m = {{0}};
	const char *j = "[{\"user\":\"U09TOM\",\"text\":\"ping <@U07MEI> and <@U8|bob>, see <#C1> <mailto:a@b.c|a@b.c> <!subteam^S1|@eng>\",\"ts\":\"100.5\"}]";
	assert_int_equal(chat_str(&a, "misc.json", j, &d, &m), CR_OK);
	assert_int_equal(d.n_sections, 1);
	assert_string_equal(d.sections[0].text, "U09TOM: ping @U07MEI and @bob, see #C1 a@b.c @eng");
	assert_true(d.sections[0].loc.t_start == 100.5); /* no day in the name: the raw ts */
	cr_kv users[] = {{"U07MEI", "Mei Lin"}, {"U09TOM", "Tom Becker"}};
	assert_int_equal(cr_chat_name_users(&a, &d, users, 2), CR_OK);
	assert_string_equal(d.sections[0].text, "Tom Becker: ping @Mei Lin and @bob, see #C1 a@b.c @eng");
	assert_string_equal(d.sections[0].loc.speaker, "Tom Becker");
	cr_arena_release(&a);
}

static void test_generic_forms(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc d;
	cr_msg m = {{0}};
	/* JSON Lines */
	const char *jl = "{\"speaker\":\"Ann\",\"text\":\"hello\",\"time\":1000}\n{\"speaker\":\"Ann\",\"text\":\"again\",\"time\":1010}\n"
			 "\n{\"speaker\":\"Bo\",\"content\":\"hi Ann\",\"time\":\"2026-03-02T10:00:00Z\"}\n";
	assert_int_equal(chat_str(&a, "log.jsonl", jl, &d, &m), CR_OK);
	assert_int_equal(d.n_sections, 2);
	assert_string_equal(d.sections[0].text, "Ann: hello\nagain");
	assert_string_equal(d.sections[1].loc.speaker, "Bo");
	assert_true(d.sections[1].loc.t_start == 1772445600.0);
	/* an object holding the messages (QMSum-style) */
	const char *q = "{\"meeting_transcripts\":[{\"speaker\":\"PM\",\"content\":\"Let us start.\"},{\"speaker\":\"UI\",\"content\":\"OK.\"}]}";
	assert_int_equal(chat_str(&a, "meet.json", q, &d, &m), CR_OK);
	assert_int_equal(d.n_sections, 2);
	assert_string_equal(d.sections[0].loc.speaker, "PM");
	cr_arena_release(&a);
}

static void test_invalid_json(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc d;
	cr_msg m = {{0}};
	assert_int_equal(chat_str(&a, "c/2026-01-01.json", "[{\"user\":\"U1\",\"text\":\"unterminated}", &d, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "chat: invalid JSON"));
	assert_int_equal(chat_str(&a, "c/2026-01-01.json", "{\"ok\":true}", &d, &m), CR_ECORRUPT);
	assert_string_equal(m.text, "chat: no array of messages");
	assert_int_equal(chat_str(&a, "c/2026-01-01.json", "{\"a\":1}\n{\"b\":", &d, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "JSON Lines at line 2"));
	/* deep nesting: jansson's depth limit, no stack overflow */
	size_t n = 200000;
	char *deep = malloc(2 * n + 1);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = 0;
	assert_int_equal(chat_str(&a, "c/2026-01-01.json", deep, &d, &m), CR_ECORRUPT);
	free(deep);
	/* non-objects and messages without text are skipped */
	assert_int_equal(chat_str(&a, "c/2026-01-01.json", "[1, \"x\", null, {\"user\":\"U1\"}, {\"text\":\"  \"}]", &d, &m),
			 CR_OK);
	assert_int_equal(d.n_sections, 0);
	cr_arena_release(&a);
}

/* membership: listings and users.json → each channel's member addresses */
static void test_membership(void **st)
{
	(void)st;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_msg m = {{0}};
	const char *users = "[{\"id\":\"U2\",\"profile\":{\"email\":\"Ken@Example.com\"}},"
			    "{\"id\":\"U1\",\"email\":\"mei@example.com\"},{\"id\":\"U3\",\"profile\":{}},"
			    "{\"id\":\"U4\",\"profile\":{\"email\":\"no address\"}}, 7]";
	cr_kv *em;
	size_t n_em;
	assert_int_equal(cr_chat_parse_emails(&a, (const uint8_t *)users, strlen(users), &em, &n_em, &m), CR_OK);
	assert_int_equal(n_em, 2);
	assert_string_equal(em[0].key, "U1"); /* sorted by id */
	assert_string_equal(em[1].value, "ken@example.com");
	const char *chans = "[{\"id\":\"C1\",\"name\":\"general\",\"members\":[\"U1\",\"U2\",\"U3\",\"U2\",5]},"
			    "{\"name\":\"../up\",\"members\":[\"U1\"]},{\"name\":\"general\",\"members\":[\"U3\"]},"
			    "{\"id\":\"C9\",\"members\":[\"U9\"]}]";
	const char *dms = "[{\"id\":\"D1\",\"name\":\"ignored\",\"members\":[\"U2\"]}]";
	cr_chat_channel *ch = NULL;
	size_t n = 0;
	assert_int_equal(cr_chat_parse_channels(&a, (const uint8_t *)chans, strlen(chans), 0, em, n_em, &ch, &n, &m), CR_OK);
	assert_int_equal(cr_chat_parse_channels(&a, (const uint8_t *)dms, strlen(dms), 1, em, n_em, &ch, &n, &m), CR_OK);
	assert_int_equal(n, 3);
	assert_string_equal(ch[0].folder, "general");
	assert_int_equal(ch[0].n_readers, 2);
	assert_string_equal(ch[0].readers[0], "mei@example.com");
	assert_string_equal(ch[0].readers[1], "ken@example.com");
	assert_string_equal(ch[1].folder, "C9"); /* no name: its id */
	assert_int_equal(ch[1].n_readers, 0);
	assert_string_equal(ch[2].folder, "D1");
	assert_int_equal(ch[2].n_readers, 1);
	assert_int_equal(cr_chat_parse_channels(&a, (const uint8_t *)"{}", 2, 0, em, n_em, &ch, &n, &m), CR_ECORRUPT);
	assert_int_equal(cr_chat_parse_channels(&a, (const uint8_t *)"[", 1, 0, em, n_em, &ch, &n, &m), CR_ECORRUPT);
	assert_int_equal(n, 3);
	cr_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_file),
		cmocka_unit_test(test_export_detection_and_users),
		cmocka_unit_test(test_mentions_renamed),
		cmocka_unit_test(test_generic_forms),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_membership),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
