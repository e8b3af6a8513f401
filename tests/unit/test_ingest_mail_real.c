/* test_ingest_mail_real.c — the mail extractor on real-world messages from
 * $CR_SHARED_DATA/email-eml (113 .eml files collected by mail libraries:
 * nested MIME, RFC 2047/2231 names, Japanese charsets, malformed headers;
 * see its SOURCE.md). Every file must extract without error; selected files
 * are checked in detail. Skipped (77) when the data is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/ingest_int.h"

static const char *g_root;

static cr_err extract_file(cr_arena *a, const char *rel, cr_doc **out, cr_msg *m)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/email-eml/%s", g_root, rel);
	uint8_t *buf;
	size_t len;
	if (cr_file_read(p, 1 << 26, &buf, &len, m) != CR_OK)
		fail_msg("cannot read %s: %s", p, m->text);
	cr_err e = cr_extract(a, rel, buf, len, NULL, out, m);
	cr_free(buf);
	return e;
}

static int body_has(const cr_doc *d, const char *needle)
{
	for (size_t i = 0; i < d->n_sections; i++)
		if (strstr(d->sections[i].text, needle))
			return 1;
	return 0;
}

static size_t walk(cr_arena *a, const char *dir, const char *rel, size_t *n_docs)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/email-eml/%s", g_root, rel);
	DIR *d = opendir(p);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char r[4096];
		snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		char full[8192];
		struct stat st;
		snprintf(full, sizeof full, "%s/email-eml/%s", g_root, r);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			n += walk(a, dir, r, n_docs);
			continue;
		}
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		cr_doc *doc;
		cr_msg m = {{0}};
		cr_err err = extract_file(a, r, &doc, &m);
		if (err != CR_OK)
			fail_msg("%s: %s (%s)", r, cr_strerror(err), m.text);
		assert_string_equal(doc->type, "eml");
		for (cr_doc *x = doc; x; x = x->next) {
			(*n_docs)++;
			if (x != doc)
				assert_non_null(x->parent);
		}
		n++;
	}
	closedir(d);
	return n;
}

static void test_all_files(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	size_t n_docs = 0;
	size_t n = walk(&a, "", "", &n_docs);
	print_message("email-eml: %zu files, %zu documents (attachments included)\n", n, n_docs);
	assert_true(n >= 100);
	assert_true(n_docs > n);
	cr_arena_release(&a);
}

static void test_japanese(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	assert_int_equal(extract_file(&a, "multi_charset/japanese_iso_2022.eml", &d, &m), CR_OK);
	assert_string_equal(d->title, "まみむめも");
	assert_true(body_has(d, "すみません。"));
	assert_non_null(strstr(cr_doc_meta(d, "to"), "みける"));
	assert_string_equal(cr_doc_meta(d, "charset"), "ISO-2022-JP");
	assert_int_equal(extract_file(&a, "multi_charset/japanese_shift_jis.eml", &d, &m), CR_OK);
	assert_true(body_has(d, "このメールはテスト用のメールです。"));
	assert_string_equal(cr_doc_meta(d, "charset"), "Shift_JIS");
	assert_int_equal(d->date, 1401265099);
	assert_int_equal(extract_file(&a, "multi_charset/japanese_attachment.eml", &d, &m), CR_OK);
	assert_non_null(d->next);
	assert_string_equal(d->next->name, "multi_charset/japanese_attachment.eml#att/てすと.txt");
	assert_string_equal(d->next->parent, d->name);
	assert_true(body_has(d->next, "これわてすと"));
	assert_int_equal(extract_file(&a, "multi_charset/japanese_attachment_long_name.eml", &d, &m), CR_OK);
	assert_non_null(strstr(cr_doc_meta(d, "attachments"), "かきくけこかきくけこ"));
	cr_arena_release(&a);
}

static void test_attachments_and_nesting(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	/* message/rfc822 becomes its own document, linked to the outer mail */
	assert_int_equal(extract_file(&a, "attachment_emails/attachment_message_rfc822.eml", &d, &m), CR_OK);
	assert_non_null(d->next);
	assert_string_equal(d->next->type, "eml");
	assert_string_equal(d->next->title, "Another PDF");
	assert_string_equal(d->next->parent, d->name);
	/* a broken PDF attachment is skipped and noted, the mail stays */
	assert_int_equal(extract_file(&a, "attachment_emails/attachment_pdf.eml", &d, &m), CR_OK);
	assert_string_equal(d->title, "Another PDF with 🎉 Unicode chars in it 🍿");
	assert_non_null(strstr(cr_doc_meta(d, "skipped"), "broken.pdf"));
	/* RFC 2231 non-ASCII file name */
	assert_int_equal(extract_file(&a, "attachment_emails/attachment_nonascii_filename.eml", &d, &m), CR_OK);
	assert_non_null(d->next);
	assert_string_equal(d->next->name, "attachment_emails/attachment_nonascii_filename.eml#att/ciële.txt");
	/* binary attachments are skipped as binary, never indexed as text: a
	 * redacted .jpg ("BINARY_CONTENT_GOES_HERE"), an x-uuencode .doc */
	static const char *const bin[][2] = {
		{"mime_emails/raw_email_with_binary_encoded.eml", "2013-08-13_19-08-28-1.jpg: binary file"},
		{"error_emails/content_transfer_encoding_x_uuencode.eml", "PGP_Cmts_on_12-14-01_Pkg.doc: binary file"},
		{"attachment_emails/attachment_with_quoted_filename.eml", "binary file (JPEG image)"},
	};
	for (size_t i = 0; i < CR_ARRAY_LEN(bin); i++) {
		assert_int_equal(extract_file(&a, bin[i][0], &d, &m), CR_OK);
		for (cr_doc *x = d->next; x; x = x->next)
			if (strcmp(x->type, "txt") == 0)
				fail_msg("%s: attachment read as text", x->name);
		const char *sk = cr_doc_meta(d, "skipped");
		if (!sk || !strstr(sk, bin[i][1]))
			fail_msg("%s: skipped = %s", bin[i][0], sk ? sk : "(none)");
	}
	cr_arena_release(&a);
}

static void test_malformed_headers(void **st)
{
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_doc *d;
	cr_msg m = {{0}};
	/* "Date: <HR>": unknown date, raw value kept */
	assert_int_equal(extract_file(&a, "error_emails/bad_date_header.eml", &d, &m), CR_OK);
	assert_int_equal(d->date, 0);
	assert_string_equal(cr_doc_meta(d, "date"), "<HR>");
	assert_int_equal(extract_file(&a, "error_emails/empty_in_reply_to.eml", &d, &m), CR_OK);
	assert_null(cr_doc_meta(d, "in_reply_to"));
	assert_int_equal(d->date, 1253375376);
	/* obsolete "From  :" header syntax (RFC 2822 appendix) */
	assert_int_equal(extract_file(&a, "rfc2822/example13.eml", &d, &m), CR_OK);
	assert_non_null(d->author);
	assert_non_null(strstr(d->author, "John Doe"));
	cr_arena_release(&a);
}

int main(void)
{
	g_root = getenv("CR_SHARED_DATA");
	char p[4096];
	struct stat st;
	if (!g_root || snprintf(p, sizeof p, "%s/email-eml", g_root) <= 0 || stat(p, &st) != 0) {
		fprintf(stderr, "test_ingest_mail_real: CR_SHARED_DATA/email-eml not found, skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_files),
		cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_attachments_and_nesting),
		cmocka_unit_test(test_malformed_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
