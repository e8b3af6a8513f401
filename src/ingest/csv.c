/*
 * csv.c — comma (or ; tab |) separated values as searchable text.
 *
 * After charset conversion the delimiter is the candidate whose count per
 * line (outside quotes) is the most consistent over the first 20 lines
 * (.tsv files: tab). Fields follow RFC 4180: quotes, doubled quotes,
 * newlines inside quotes. When the first row looks like a header (all
 * fields non-empty and not numbers) each row becomes
 *     "Header A: value; Header B: value"
 * (empty fields omitted), else values joined by " | ". One section per
 * row, with the file line range it spans; the chunker joins rows. The
 * header row itself is one section too, so column names are searchable.
 *
 * A big CSV (a million rows) is normal: its text limit scales with the
 * input, max(max_text_bytes, the input plus, per line, every column name
 * and its separators) and at most 16 times the input, since that is all the
 * "Header: value" form can add; a refusal says the figures.
 */
#include "ingest_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 4096

static char pick_delim(const char *s, size_t n, const char *name)
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	if (dot && (strcmp(dot, ".tsv") == 0 || strcmp(dot, ".TSV") == 0))
		return '\t';
	static const char cand[] = {',', ';', '\t', '|'};
	int best = 0;
	double best_score = -1;
	for (size_t c = 0; c < sizeof cand; c++) {
		int counts[20], n_lines = 0, cnt = 0, inq = 0;
		for (size_t i = 0; i < n && n_lines < 20; i++) {
			if (s[i] == '"')
				inq = !inq;
			else if (!inq && s[i] == cand[c])
				cnt++;
			else if (!inq && s[i] == '\n') {
				counts[n_lines++] = cnt;
				cnt = 0;
			}
		}
		if (cnt && n_lines < 20)
			counts[n_lines++] = cnt;
		if (!n_lines || counts[0] == 0)
			continue;
		int same = 0;
		for (int k = 0; k < n_lines; k++)
			same += counts[k] == counts[0];
		double score = (double)same / n_lines * 1000 + counts[0];
		if (score > best_score) {
			best_score = score;
			best = (int)c;
		}
	}
	return best_score < 0 ? ',' : cand[best];
}

/* The text limit for this table (see the header): the header line's
 * length plus 3 bytes per column, for every line. */
static size_t table_cap(cr_xctx *x, const char *s, size_t n, char delim)
{
	size_t base = x->lim->max_text_bytes;
	const char *nl = memchr(s, '\n', n);
	size_t hl = nl ? (size_t)(nl - s) : n, cols = 1, lines = 1;
	for (size_t i = 0; i < hl; i++)
		cols += s[i] == delim;
	/* counted a MiB at a time, the deadline and cancel token read between */
	for (size_t at = 0; at < n; at += (size_t)1 << 20) {
		size_t end = CR_MIN(n, at + ((size_t)1 << 20));
		for (const char *p = s + at; (p = memchr(p, '\n', end - (size_t)(p - s))); p++)
			lines++;
		if (cr_x_expired(x))
			return base; /* the row loop stops at its next check */
	}
	size_t per_line = hl + 3 * cols;
	size_t grow = lines > SIZE_MAX / (per_line + 1) ? SIZE_MAX : lines * per_line;
	size_t want = n + CR_MIN(grow, 15 * n);
	return CR_MAX(base, want);
}

typedef struct field {
	size_t off, len; /* in the unquoted row buffer */
} field;

/* Parses one record starting at *pos into row (unquoted fields separated
 * in `fields`). Advances *pos and *line. */
static cr_err parse_record(const char *s, size_t n, size_t *pos, int *line, char delim, cr_buf *row, field *f,
			   size_t *n_f)
{
	size_t i = *pos;
	cr_buf_reset(row);
	*n_f = 0;
	size_t start = 0;
	int inq = 0, was_quoted = 0;
	cr_err e = CR_OK;
	while (i < n && !e) {
		char c = s[i];
		if (inq) {
			if (c == '"') {
				if (i + 1 < n && s[i + 1] == '"') {
					e = cr_buf_addc(row, '"');
					i += 2;
					continue;
				}
				inq = 0;
			} else {
				if (c == '\n')
					(*line)++;
				e = cr_buf_addc(row, c);
			}
			i++;
			continue;
		}
		if (c == '"' && row->len == start && !was_quoted) {
			inq = was_quoted = 1;
			i++;
			continue;
		}
		if (c == delim || c == '\n') {
			if (*n_f < MAX_FIELDS) {
				f[*n_f].off = start;
				f[*n_f].len = row->len - start;
				(*n_f)++;
			}
			start = row->len;
			was_quoted = 0;
			i++;
			if (c == '\n') {
				(*line)++;
				*pos = i;
				return CR_OK;
			}
			continue;
		}
		if (c != '\r')
			e = cr_buf_addc(row, c);
		i++;
	}
	if (!e && *n_f < MAX_FIELDS && (row->len > start || *n_f > 0)) {
		f[*n_f].off = start;
		f[*n_f].len = row->len - start;
		(*n_f)++;
	}
	*pos = i;
	return e;
}

static void trim_field(const char *s, field *f)
{
	while (f->len && (s[f->off] == ' ' || s[f->off] == '\t'))
		f->off++, f->len--;
	while (f->len && (s[f->off + f->len - 1] == ' ' || s[f->off + f->len - 1] == '\t'))
		f->len--;
}

static int is_number(const char *s, size_t n)
{
	if (!n)
		return 0;
	char tmp[64];
	if (n >= sizeof tmp)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	char *end;
	strtod(tmp, &end);
	return end != tmp && *end == 0;
}

cr_err cr_x_csv(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	if (!cr_charset_looks_text(buf, len))
		return cr_fail(x->m, CR_EUNSUPPORTED, "csv: binary file");
	char *s;
	size_t n;
	const char *cs;
	cr_err e = cr_charset_to_utf8_cancel(x->lim->cancel, x->a, buf, len, NULL, &s, &n, &cs, x->m);
	if (e || (e = cr_doc_add_meta(x, out, "charset", cs)))
		return e;
	n = cr_text_unix_newlines(s, n);
	char delim = pick_delim(s, n, out->name);
	char dstr[2] = {delim, 0};
	if ((e = cr_doc_add_meta(x, out, "delimiter", delim == '\t' ? "tab" : dstr)))
		return e;
	field *f = cr_malloc(MAX_FIELDS * sizeof *f);
	const char **hdr = cr_calloc(MAX_FIELDS, sizeof *hdr);
	cr_buf row, text;
	size_t cap = table_cap(x, s, n, delim);
	cr_buf_init(&row, cap);
	cr_buf_init(&text, cap);
	x->text_cap = cap;
	if (!f || !hdr) {
		e = cr_fail(x->m, CR_ENOMEM, "csv: out of memory");
		goto out;
	}
	size_t pos = 0, n_f, n_hdr = 0;
	int line = 1, n_rows = 0;
	while (pos < n && !e) {
		int first = line;
		if ((e = parse_record(s, n, &pos, &line, delim, &row, f, &n_f)))
			break;
		for (size_t k = 0; k < n_f; k++)
			trim_field(row.data, &f[k]);
		int last = line > first && pos > 0 && s[pos - 1] == '\n' ? line - 1 : line;
		size_t n_nonempty = 0;
		for (size_t k = 0; k < n_f; k++)
			n_nonempty += f[k].len > 0;
		if (n_nonempty == 0)
			continue;
		cr_buf_reset(&text);
		if (n_rows == 0) {
			/* header? all fields non-empty and none a number */
			int header = 1;
			for (size_t k = 0; k < n_f && header; k++)
				if (!f[k].len || is_number(row.data + f[k].off, f[k].len))
					header = 0;
			if (header) {
				for (size_t k = 0; k < n_f; k++) {
					hdr[k] = cr_arena_strndup(x->a, row.data + f[k].off, f[k].len);
					if (!hdr[k]) {
						e = CR_ENOMEM;
						break;
					}
				}
				n_hdr = n_f;
			}
		}
		for (size_t k = 0; k < n_f && !e; k++) {
			if (!f[k].len)
				continue;
			if (text.len)
				e = cr_buf_adds(&text, n_hdr && n_rows ? "; " : " | ");
			if (!e && n_hdr && n_rows && k < n_hdr && *hdr[k])
				e = cr_buf_printf(&text, "%s: ", hdr[k]);
			if (!e)
				e = cr_buf_add(&text, row.data + f[k].off, f[k].len);
		}
		if (e)
			break;
		cr_loc loc = cr_loc_none();
		loc.line_start = first;
		loc.line_end = last < first ? first : last;
		e = cr_doc_add_section(x, out, text.data, text.len, &loc);
		n_rows++;
		if ((n_rows & 255) == 0 && cr_x_expired(x))
			e = cr_fail(x->m, CR_ETIMEOUT, "csv: time limit reached");
	}
	if (e == CR_ETOOBIG && !x->m->text[0])
		e = cr_fail(x->m, e, "csv: a row over the limit of %zu bytes", cap);
	else if (e == CR_ENOMEM)
		e = cr_fail(x->m, e, "csv: out of memory");
	if (!e) {
		char v[32];
		snprintf(v, sizeof v, "%d", n_rows - (n_hdr ? 1 : 0));
		e = cr_doc_add_meta(x, out, "rows", v);
	}
out:
	x->text_cap = 0;
	cr_buf_release(&row);
	cr_buf_release(&text);
	cr_free(f);
	cr_free(hdr);
	return e;
}
