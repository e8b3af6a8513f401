/* test_ingest_mail.c — e-mail extraction (mail.c) on our samples: headers,
 * dates, RFC 2047 words, ISO-2022-JP and quoted-printable bodies,
 * attachments linked to their mail, mbox splitting with >From quoting,
 * quoted-reply marking; and bad input: truncated mail, headerless bytes,
 * MIME bombs (deep multipart and message/rfc822 nesting). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"

static uint8_t *read_sample(const char *rel, size_t *len)
{
	const char *src = getenv("CR_SOURCE_DIR");
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", src ? src : ".", rel);
	uint8_t *buf;
	cr_msg m;
	if (cr_file_read(p, 1 << 24, &buf, len, &m) != CR_OK)
		fail_msg("cannot read %s: %s", p, m.text);
	return buf;
}

static cr_err extract_sample(cr_arena *a, const char *rel, cr_doc **out, cr_msg *m)
{
	size_t len;
	uint8_t *buf = read_sample(rel, &len);
	cr_err e = cr_extract(a, rel, buf, len, NULL, out, m);
	cr_free(buf);
	return e;
}

/* all section text of d joined, in the arena */
static char *doc_text(cr_arena *a, const cr_doc *d, const char *heading)
{
	cr_buf b;
	cr_buf_init(&b, 0);
	for (size_t i = 0; i < d->n_sections; i++) {
		const char *h = d->sections[i].loc.heading;
		if (heading && (!h || strcmp(h, heading) != 0))
			continue;
		if (!heading && h)
			continue;
		CR_IGNORE(cr_buf_add(&b, d->sections[i].text, d->sections[i].len));
		CR_IGNORE(cr_buf_addc(&b, '\n'));
	}
	char *s = cr_arena_strdup(a, b.data ? b.data : "");
	cr_buf_release(&b);
	return s;
}

static size_t count_docs(const cr_doc *d)
{
	size_t n = 0;
	for (; d; d = d->next)
		n++;
	return n;
}

/* Runs first: GMime's one-time initialisation races between threads here. */
static void *thread_main(void *arg)
{
	const char **files = arg;
	for (int round = 0; round < 20; round++) {
		for (const char **f = files; *f; f++) {
			cr_arena a;
			cr_arena_init(&a, 0);
			cr_doc *d;
			cr_msg m;
			size_t len;
			uint8_t *buf = read_sample(*f, &len);
			cr_err e = cr_extract(&a, *f, buf, len, NULL, &d, &m);
			cr_free(buf);
			cr_arena_release(&a);
			if (e != CR_OK)
				return (void *)1;
		}
	}
	return NULL;
}

static void test_threads(void **st)
{
	static const char *files[] = {"samples/mail/hm40-noki.eml", "samples/mail/kestrel-launch-plan.eml",
				      "samples/mail/gripper-v2-thread.mbox", "samples/mail/northwind-pilot.eml", NULL};
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, files), 0);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		assert_null(r);
	}
}

static void test_english_with_attachment(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(extract_sample(&a, "samples/mail/kestrel-launch-plan.eml", &d, &m), CR_OK);
	assert_string_equal(d->type, "eml");
	assert_string_equal(d->title, "Kestrel: launch plan after the design review");
	assert_non_null(strstr(d->author, "Daniel Okafor"));
	assert_int_equal(d->date, 1772547120); /* Tue, 03 Mar 2026 09:12:00 -0500 */
	assert_non_null(strstr(cr_doc_meta(d, "cc"), "Kenji Sato"));
	assert_non_null(strstr(cr_doc_meta(d, "cc"), "Tom Becker"));
	assert_string_equal(cr_doc_meta(d, "message_id"), "kestrel-plan-0303@aozora-precision.example");
	assert_string_equal(cr_doc_meta(d, "attachments"), "kestrel-milestones.txt");
	char *body = doc_text(&a, d, NULL);
	assert_non_null(strstr(body, "Decision: we keep the Q3 launch date"));
	assert_null(strstr(body, "M3  2026-05-29")); /* the attachment is not in the body */
	char *hdr = doc_text(&a, d, "headers");
	assert_non_null(strstr(hdr, "To: Hanako Yamada"));
	/* the attachment: its own document, linked to the mail */
	cr_doc *att = d->next;
	assert_non_null(att);
	assert_string_equal(att->name, "samples/mail/kestrel-launch-plan.eml#att/kestrel-milestones.txt");
	assert_string_equal(att->parent, d->name);
	assert_non_null(strstr(doc_text(&a, att, NULL), "M3  2026-05-29  Pilot cell running at Northwind Freight"));
	assert_null(att->next);
	cr_arena_release(&a);
}

static void test_iso2022jp(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(extract_sample(&a, "samples/mail/hm40-noki.eml", &d, &m), CR_OK);
	assert_string_equal(d->title, "北斗モーター社 HM-40 サーボの納期について");
	assert_string_equal(d->author, "佐藤健二 <kenji.sato@aozora-precision.example>");
	assert_non_null(strstr(cr_doc_meta(d, "to"), "山田花子"));
	assert_string_equal(cr_doc_meta(d, "in_reply_to"), "<kestrel-plan-0303@aozora-precision.example>");
	assert_int_equal(d->date, 1772587800); /* Wed, 04 Mar 2026 10:30:00 +0900 */
	char *body = doc_text(&a, d, NULL);
	assert_non_null(strstr(body, "安全在庫として HM-40 を60台"));
	assert_non_null(strstr(body, "株式会社青空精機"));
	assert_null(strstr(body, "\x1b$B")); /* no JIS escapes left */
	assert_string_equal(d->lang, "ja");
	cr_arena_release(&a);
}

static void test_quoted_printable_alternative(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(extract_sample(&a, "samples/mail/northwind-pilot.eml", &d, &m), CR_OK);
	assert_string_equal(d->title, "Kestrel pilot at Northwind Freight – dates and scope");
	char *body = doc_text(&a, d, NULL);
	assert_non_null(strstr(body, "on the returns line – two arms"));
	assert_non_null(strstr(body, "Pricing for the pilot is €0"));
	assert_non_null(strstr(body, "(≈ 2 days"));
	assert_null(strstr(body, "=E2=80")); /* QP decoded */
	/* text/plain chosen: the HTML alternative is not added as well */
	const char *p = strstr(body, "Thanks for hosting us");
	assert_non_null(p);
	assert_null(strstr(p + 1, "Thanks for hosting us"));
	assert_null(d->next);
	cr_arena_release(&a);
}

static void test_mbox_thread(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(extract_sample(&a, "samples/mail/gripper-v2-thread.mbox", &d, &m), CR_OK);
	assert_string_equal(d->type, "mbox");
	assert_int_equal(count_docs(d), 4);
	assert_string_equal(cr_doc_meta(d, "messages"), "3");
	char *toc = doc_text(&a, d, "messages");
	assert_non_null(strstr(toc, "#3 2026-03-09 14:00 | Mei Lin"));
	cr_doc *m1 = d->next, *m2 = m1->next, *m3 = m2->next;
	assert_string_equal(m1->name, "samples/mail/gripper-v2-thread.mbox#1");
	assert_string_equal(m3->name, "samples/mail/gripper-v2-thread.mbox#3");
	assert_string_equal(m2->parent, d->name);
	assert_string_equal(m2->title, "Re: Gripper v2: finger pad material");
	assert_string_equal(cr_doc_meta(m2, "in_reply_to"), "<grip-v2-1@aozora-precision.example>");
	/* quoted reply text: kept, marked with heading "quoted" */
	char *new2 = doc_text(&a, m2, NULL), *q2 = doc_text(&a, m2, "quoted");
	assert_non_null(strstr(new2, "Agreed, go with polyurethane"));
	assert_null(strstr(new2, "> Test results"));
	assert_non_null(strstr(q2, "Mei Lin <mei.lin@aozora-precision.example> wrote:"));
	assert_non_null(strstr(q2, "> Test results for the finger pads"));
	/* mboxrd: ">From the datasheet" was quoting; it neither splits the
	 * message nor keeps its '>' */
	char *b3 = doc_text(&a, m3, NULL);
	assert_non_null(strstr(b3, "\nFrom the datasheet: PU-70"));
	assert_null(strstr(b3, ">From the datasheet"));
	assert_non_null(strstr(b3, "Mei\n"));
	cr_arena_release(&a);
}

static void test_mbox_from_split_rules(void **st)
{
	/* "From " inside a paragraph (no blank line before) does not split */
	const char *mb = "From a@x Mon Jan  1 00:00:00 2024\nFrom: a@x\nSubject: one\n\nhello\nFrom here on we split nothing\n\n"
			 "From b@x Mon Jan  1 00:00:01 2024\nFrom: b@x\nSubject: two\n\nbye\n";
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_extract(&a, "t.mbox", (const uint8_t *)mb, strlen(mb), NULL, &d, &m), CR_OK);
	assert_int_equal(count_docs(d), 3);
	assert_string_equal(d->next->title, "one");
	assert_non_null(strstr(doc_text(&a, d->next, NULL), "From here on we split nothing"));
	assert_string_equal(d->next->next->title, "two");
	/* not an mbox at all */
	assert_int_equal(cr_extract(&a, "t.mbox", (const uint8_t *)"hello", 5, NULL, &d, &m), CR_ECORRUPT);
	assert_non_null(strstr(m.text, "mbox"));
	cr_arena_release(&a);
}

static cr_err run_eml(cr_arena *a, const char *name, const uint8_t *buf, size_t len, cr_doc **out, cr_msg *m)
{
	return cr_extract(a, name, buf, len, NULL, out, m);
}

static void test_truncated_and_garbage(void **st)
{
	size_t len;
	uint8_t *buf = read_sample("samples/mail/kestrel-launch-plan.eml", &len);
	cr_arena a;
	cr_arena_init(&a, 0);
	/* every prefix: never a crash; with the headers there, the subject is right */
	for (size_t cut = 0; cut < len; cut += 37) {
		cr_doc *d = NULL;
		cr_msg m = {{0}};
		cr_err e = run_eml(&a, "cut.eml", buf, cut, &d, &m);
		if (e == CR_OK && cut > 400)
			assert_string_equal(d->title, "Kestrel: launch plan after the design review");
		if (e != CR_OK)
			assert_true(m.text[0] != 0);
	}
	cr_free(buf);
	/* headerless text given to the mail extractor */
	cr_extract_limits lim = cr_extract_limits_default();
	cr_msg m = {{0}};
	cr_doc doc;
	memset(&doc, 0, sizeof doc);
	doc.name = "x.eml";
	doc.type = "eml";
	cr_xctx x = {.a = &a, .lim = &lim, .m = &m, .root = &doc};
	const char *junk = "\x01\x02 this is not a mail\n\nat all";
	assert_int_equal(cr_x_eml(&x, (const uint8_t *)junk, strlen(junk), &doc), CR_ECORRUPT);
	assert_string_equal(m.text, "mail: no header");
	assert_int_equal(cr_x_eml(&x, (const uint8_t *)"", 0, &doc), CR_ECORRUPT);
	cr_arena_release(&a);
}

static void test_mime_bomb_multipart(void **st)
{
	/* 6000 nested multiparts: refused before GMime recurses */
	cr_buf b;
	cr_buf_init(&b, 0);
	CR_IGNORE(cr_buf_adds(&b, "From: bomb@x\nSubject: bomb\nMIME-Version: 1.0\n"));
	for (int i = 0; i < 6000; i++)
		CR_IGNORE(cr_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i));
	CR_IGNORE(cr_buf_adds(&b, "Content-Type: text/plain\n\ndeep\n"));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_extract(&a, "bomb.eml", (const uint8_t *)b.data, b.len, NULL, &d, &m), CR_ETOOBIG);
	assert_non_null(strstr(m.text, "MIME parts"));
	/* 200 levels: parsed, the walk stops at max_depth and says so */
	cr_buf_reset(&b);
	CR_IGNORE(cr_buf_adds(&b, "From: bomb@x\nSubject: bomb\nMIME-Version: 1.0\n"));
	for (int i = 0; i < 200; i++)
		CR_IGNORE(cr_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i));
	CR_IGNORE(cr_buf_adds(&b, "Content-Type: text/plain\n\ndeep\n"));
	assert_int_equal(cr_extract(&a, "bomb.eml", (const uint8_t *)b.data, b.len, NULL, &d, &m), CR_OK);
	assert_non_null(cr_doc_meta(d, "skipped"));
	/* 1000 open boundaries and 300000 lines starting "--": quadratic work for
	 * GMime's boundary scan, refused up front */
	cr_buf_reset(&b);
	CR_IGNORE(cr_buf_adds(&b, "From: bomb@x\nSubject: bomb\nMIME-Version: 1.0\n"));
	for (int i = 0; i < 1000; i++)
		CR_IGNORE(cr_buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i));
	CR_IGNORE(cr_buf_adds(&b, "Content-Type: text/plain\n\n"));
	for (int i = 0; i < 300000; i++)
		CR_IGNORE(cr_buf_adds(&b, "--b1x\n"));
	assert_int_equal(cr_extract(&a, "slow.eml", (const uint8_t *)b.data, b.len, NULL, &d, &m), CR_ETOOBIG);
	assert_non_null(strstr(m.text, "too costly"));
	cr_buf_release(&b);
	cr_arena_release(&a);
}

static void test_mime_bomb_rfc822(void **st)
{
	/* 100 messages each inside the previous: nested documents stop at the depth limit */
	cr_buf b;
	cr_buf_init(&b, 0);
	for (int i = 0; i < 100; i++)
		CR_IGNORE(cr_buf_printf(&b, "From: l%d@x\nSubject: level %d\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"q%d\"\n\n--q%d\nContent-Type: text/plain\n\nlevel %d text\n--q%d\nContent-Type: message/rfc822\n\n",
				    i, i, i, i, i, i));
	CR_IGNORE(cr_buf_adds(&b, "From: last@x\nSubject: last\n\nbottom\n"));
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	cr_extract_limits lim = cr_extract_limits_default();
	lim.max_depth = 10;
	assert_int_equal(cr_extract(&a, "nest.eml", (const uint8_t *)b.data, b.len, &lim, &d, &m), CR_OK);
	size_t n = count_docs(d);
	assert_true(n >= 5 && n <= 11);
	/* each nested message is linked to the one containing it */
	assert_string_equal(d->next->parent, d->name);
	assert_string_equal(d->next->title, "level 1");
	assert_non_null(strstr(d->next->name, "#att/level 1.eml"));
	/* the deepest one notes what it skipped */
	cr_doc *last = d;
	while (last->next)
		last = last->next;
	int noted = 0;
	for (cr_doc *p = d; p; p = p->next)
		if (cr_doc_meta(p, "skipped") && strstr(cr_doc_meta(p, "skipped"), "nesting too deep"))
			noted = 1;
	assert_true(noted);
	cr_buf_release(&b);
	cr_arena_release(&a);
}

static void test_html_only_and_names(void **st)
{
	const char *mail = "From: =?UTF-8?Q?Mei_Lin?= <mei@x>\nTo: a@x\nSubject: =?UTF-8?B?5LuV5qeY5pu4?= v2\n"
			   "Date: not a date\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
			   "--B\nContent-Type: text/html; charset=utf-8\n\n<html><body><p>Spec &amp; drawings</p><script>var x=1;</script></body></html>\n"
			   "--B\nContent-Type: application/octet-stream; name=\"a/b#c.txt\"\nContent-Disposition: attachment\n\nplain words\n"
			   "--B\nContent-Type: text/plain; name=\"a/b#c.txt\"\nContent-Disposition: attachment; filename=\"a/b#c.txt\"\n\nsecond file\n"
			   "--B--\n";
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_extract(&a, "h.eml", (const uint8_t *)mail, strlen(mail), NULL, &d, &m), CR_OK);
	assert_string_equal(d->title, "仕様書 v2");
	assert_string_equal(d->author, "Mei Lin <mei@x>");
	assert_int_equal(d->date, 0);
	char *body = doc_text(&a, d, NULL);
	assert_non_null(strstr(body, "Spec & drawings"));
	assert_null(strstr(body, "<p>"));
	assert_null(strstr(body, "var x"));
	/* unsafe characters in attachment names replaced; duplicates made unique */
	assert_non_null(d->next);
	assert_string_equal(d->next->name, "h.eml#att/a_b_c.txt");
	assert_non_null(d->next->next);
	assert_string_equal(d->next->next->name, "h.eml#att/a_b_c-2.txt");
	assert_string_equal(d->next->next->parent, "h.eml");
	cr_arena_release(&a);
}

/* readers: From, To, Cc and Bcc through GMime's address parser (display
 * names, encoded words, groups, case, duplicates, garbage), given to the
 * attachments; an mbox names nobody, its messages their own. */
static void test_readers(void **st)
{
	(void)st;
	const char *mail = "From: =?UTF-8?B?5qKF?= <MEI@Example.com>\n"
			   "To: Launch: \"Ken, K.\" <ken@example.com>, ana@example.com;, undisclosed-recipients:;\n"
			   "Cc: <>, @, a@, not-an-address, \"x@y\" <>, Ken <KEN@EXAMPLE.COM>, (c) lee@example.com (Lee)\n"
			   "Bcc: boss@example.com\nSubject: s\nContent-Type: multipart/mixed; boundary=\"B\"\n\n"
			   "--B\nContent-Type: text/plain\n\nbody\n"
			   "--B\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"n.txt\"\n\nnotes\n"
			   "--B\nContent-Type: message/rfc822\n\nFrom: inner@example.com\nTo: other@example.com\n"
			   "Subject: fwd\n\ninner body\n--B--\n";
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(cr_extract(&a, "r.eml", (const uint8_t *)mail, strlen(mail), NULL, &d, &m), CR_OK);
	static const char *const want[] = {"mei@example.com", "ken@example.com", "ana@example.com", "lee@example.com",
					   "boss@example.com"};
	assert_int_equal(count_docs(d), 3);
	for (const cr_doc *x = d; x; x = x->next) {
		assert_string_equal(x->readers_kind, "mail");
		assert_int_equal(x->n_readers, 5); /* the attachment and the forwarded message: the outer readers */
		for (size_t i = 0; i < 5; i++)
			assert_string_equal(x->readers[i], want[i]);
	}
	/* through the extract worker's JSON and back */
	cr_buf b;
	cr_buf_init(&b, 0);
	assert_int_equal(cr_docs_to_json(d, &b), CR_OK);
	cr_doc *back;
	assert_int_equal(cr_docs_from_json(&a, b.data, b.len, &back, &m), CR_OK);
	assert_int_equal(back->n_readers, 5);
	assert_string_equal(back->readers[4], "boss@example.com");
	assert_string_equal(back->next->readers_kind, "mail");
	cr_buf_release(&b);
	/* ... where a bad address or kind is refused */
	const char *evil = "{\"docs\":[{\"name\":\"x\",\"meta\":[],\"sections\":[],\"readers_kind\":\"mail\","
			   "\"readers\":[\"Boss@example.com\"]}]}";
	assert_int_equal(cr_docs_from_json(&a, evil, strlen(evil), &back, &m), CR_ECORRUPT);
	evil = "{\"docs\":[{\"name\":\"x\",\"meta\":[],\"sections\":[],\"readers_kind\":\"all\",\"readers\":[]}]}";
	assert_int_equal(cr_docs_from_json(&a, evil, strlen(evil), &back, &m), CR_ECORRUPT);
	evil = "{\"docs\":[{\"name\":\"x\",\"meta\":[],\"sections\":[],\"readers\":[\"a@b.c\"]}]}";
	assert_int_equal(cr_docs_from_json(&a, evil, strlen(evil), &back, &m), CR_ECORRUPT);

	const char *box = "From a@x.org Mon Mar  2 09:00:00 2026\nFrom: a@x.org\nTo: b@x.org\nSubject: one\n\nfirst\n\n"
			  "From c@x.org Mon Mar  2 10:00:00 2026\nFrom: c@x.org\nSubject: two\n\nsecond\n";
	assert_int_equal(cr_extract(&a, "b.mbox", (const uint8_t *)box, strlen(box), NULL, &d, &m), CR_OK);
	assert_string_equal(d->readers_kind, "mail");
	assert_int_equal(d->n_readers, 0);
	assert_int_equal(d->next->n_readers, 2);
	assert_string_equal(d->next->readers[1], "b@x.org");
	assert_int_equal(d->next->next->n_readers, 1);
	assert_string_equal(d->next->next->readers[0], "c@x.org");
	cr_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_english_with_attachment),
		cmocka_unit_test(test_iso2022jp),
		cmocka_unit_test(test_quoted_printable_alternative),
		cmocka_unit_test(test_mbox_thread),
		cmocka_unit_test(test_mbox_from_split_rules),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_mime_bomb_multipart),
		cmocka_unit_test(test_mime_bomb_rfc822),
		cmocka_unit_test(test_html_only_and_names),
		cmocka_unit_test(test_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
