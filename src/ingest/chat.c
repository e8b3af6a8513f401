/*
 * chat.c — chat logs: Slack-style exports, and generic chat JSON.
 *
 * A Slack export is a folder:
 *   users.json      [{"id":"U01","name":"mei","real_name":"Mei Lin",
 *                     "profile":{"real_name":..,"display_name":..}}, ...]
 *   channels.json   [{"id":"C01","name":"kestrel", ...}, ...]
 *   <channel>/YYYY-MM-DD.json   one day of one channel: a JSON array of
 *                   {"type":"message","user":"U01","text":"...","ts":"1709370000.000100",
 *                    "thread_ts":..,"subtype":..,"user_profile":{"real_name":..},
 *                    "files":[{"name":..,"title":..}], "attachments":[{"title":..,"text":..}]}
 *
 * cr_x_chat turns ONE day file into a document: title "#<channel> <day>"
 * (from the file's path), date = the first message, and one section per run
 * of messages by the same person (same thread side, at most CHAT_RUN_GAP
 * seconds apart, at most CHAT_RUN_BYTES), its text starting "Name: " so a
 * chunk joining several runs still says who wrote what. loc.speaker is the
 * person's name when the message carries a user_profile (modern exports) or
 * the user id otherwise; loc.t_start/t_end are seconds since midnight UTC of the file's
 * day (or the raw ts when the name has no date). Replies inside a thread
 * (thread_ts != ts) get loc.heading "thread". Join/leave notices are
 * dropped. Slack markup is cleaned: <@U1> and <@U1|mei> become "@Name",
 * <#C1|kestrel> "#kestrel", <!here> "@here", <url|label> "label (url)",
 * :emoji: codes are removed, &amp; &lt; &gt; decoded.
 *
 * Membership (cr_chat_load_channels; the corpus applies it with
 * --acl-from-chat): channels.json, groups.json, mpims.json and dms.json
 * list each channel's "members" (user ids), users.json gives each user's
 * profile.email; a channel's readers are the addresses of its members.
 * Lookups go through the id-sorted address list (bsearch), so a listing
 * costs O(members log users).
 *
 * Names for ids: the caller (the corpus walker, which knows the export
 * folder) may load users.json with cr_chat_load_users and then run
 * cr_chat_name_users over the documents to replace remaining ids in
 * speakers and "@U..." mentions.
 *
 * Generic chat JSON is accepted too: a JSON array, a JSON Lines file, or an
 * object holding an array under "messages" / "meeting_transcripts" / "turns",
 * whose items name the speaker in speaker/user_name/author/name/from/sender
 * and the text in text/content/message/body, with an optional numeric
 * ts/time/timestamp.
 *
 * Bad input: JSON that does not parse is CR_ECORRUPT with jansson's reason
 * and position; jansson bounds nesting (2048 levels); items that are not
 * objects, or have no text, are skipped.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "ingest_int.h"

#define CHAT_RUN_GAP 300.0
#define CHAT_RUN_BYTES 1500
#define CHAT_MAX_USERS 1000000

/* ---- id -> name maps ------------------------------------------------------ */

typedef struct name_map {
	cr_kv *kv;
	size_t n, cap;
	const cr_kv *extra; /* caller's users (may be NULL) */
	size_t n_extra;
} name_map;

static const char *map_get(const name_map *m, const char *id, size_t idn)
{
	for (size_t i = m->n; i-- > 0;)
		if (strlen(m->kv[i].key) == idn && memcmp(m->kv[i].key, id, idn) == 0)
			return m->kv[i].value;
	for (size_t i = 0; i < m->n_extra; i++)
		if (strlen(m->extra[i].key) == idn && memcmp(m->extra[i].key, id, idn) == 0)
			return m->extra[i].value;
	return NULL;
}

static int map_put(cr_arena *a, name_map *m, const char *id, const char *name)
{
	if (map_get(m, id, strlen(id)))
		return 0;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		cr_kv *nk = cr_arena_alloc(a, nc * sizeof *nk);
		if (!nk)
			return -1;
		if (m->n)
			memcpy(nk, m->kv, m->n * sizeof *nk);
		m->kv = nk;
		m->cap = nc;
	}
	m->kv[m->n].key = cr_arena_strdup(a, id);
	m->kv[m->n].value = cr_arena_strdup(a, name);
	if (!m->kv[m->n].key || !m->kv[m->n].value)
		return -1;
	m->n++;
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	return s && *s ? s : NULL;
}

/* A person's best display name in a Slack user or user_profile object. */
static const char *profile_name(json_t *u)
{
	const char *s = jstr(u, "real_name");
	json_t *p = json_object_get(u, "profile");
	if (!s && p)
		s = jstr(p, "real_name");
	if (!s)
		s = jstr(u, "display_name");
	if (!s && p)
		s = jstr(p, "display_name");
	if (!s)
		s = jstr(u, "name");
	return s;
}

/* ---- Slack markup --------------------------------------------------------- */

static int is_id_char(char c)
{
	return isupper((unsigned char)c) || isdigit((unsigned char)c);
}

/* Appends cleaned text. */
static void clean_slack(cr_buf *b, const char *s, size_t n, const name_map *names)
{
	size_t i = 0;
	while (i < n) {
		char c = s[i];
		if (c == '<') {
			const char *gt = memchr(s + i, '>', n - i);
			const char *nl = memchr(s + i, '\n', n - i);
			if (gt && (!nl || gt < nl) && gt > s + i + 1) {
				const char *in = s + i + 1;
				size_t il = (size_t)(gt - in);
				const char *bar = memchr(in, '|', il);
				size_t keyl = bar ? (size_t)(bar - in) : il;
				const char *label = bar ? bar + 1 : NULL;
				size_t labell = bar ? il - keyl - 1 : 0;
				if (in[0] == '@') {
					const char *nm = map_get(names, in + 1, keyl - 1);
					CR_IGNORE(cr_buf_addc(b, '@'));
					if (labell)
						CR_IGNORE(cr_buf_add(b, label[0] == '@' ? label + 1 : label,
								 label[0] == '@' ? labell - 1 : labell));
					else if (nm)
						CR_IGNORE(cr_buf_adds(b, nm));
					else
						CR_IGNORE(cr_buf_add(b, in + 1, keyl - 1));
				} else if (in[0] == '#') {
					CR_IGNORE(cr_buf_addc(b, '#'));
					if (labell)
						CR_IGNORE(cr_buf_add(b, label, labell));
					else
						CR_IGNORE(cr_buf_add(b, in + 1, keyl - 1));
				} else if (in[0] == '!') {
					if (labell)
						CR_IGNORE(cr_buf_add(b, label, labell));
					else {
						CR_IGNORE(cr_buf_addc(b, '@'));
						CR_IGNORE(cr_buf_add(b, in + 1, keyl - 1));
					}
				} else if (labell) {
					CR_IGNORE(cr_buf_add(b, label, labell));
					if (!(keyl > 7 && memcmp(in, "mailto:", 7) == 0)) {
						CR_IGNORE(cr_buf_adds(b, " ("));
						CR_IGNORE(cr_buf_add(b, in, keyl));
						CR_IGNORE(cr_buf_addc(b, ')'));
					}
				} else {
					CR_IGNORE(cr_buf_add(b, in, il));
				}
				i = (size_t)(gt - s) + 1;
				continue;
			}
		}
		if (c == ':') {
			/* :emoji_name: with at least one letter, no spaces */
			size_t j = i + 1;
			int letter = 0;
			while (j < n && j - i <= 50 &&
			       (islower((unsigned char)s[j]) || isdigit((unsigned char)s[j]) || s[j] == '_' ||
				s[j] == '-' || s[j] == '+' || s[j] == '\'')) {
				if (islower((unsigned char)s[j]))
					letter = 1;
				j++;
			}
			if (j < n && s[j] == ':' && j > i + 1 && (letter || s[i + 1] == '+' || s[i + 1] == '-')) {
				i = j + 1;
				continue;
			}
		}
		if (c == '&') {
			static const struct { const char *e; char r; } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
			int done = 0;
			for (size_t k = 0; k < CR_ARRAY_LEN(ents); k++) {
				size_t el = strlen(ents[k].e);
				if (n - i >= el && memcmp(s + i, ents[k].e, el) == 0) {
					CR_IGNORE(cr_buf_addc(b, ents[k].r));
					i += el;
					done = 1;
					break;
				}
			}
			if (done)
				continue;
		}
		CR_IGNORE(cr_buf_addc(b, c));
		i++;
	}
}

/* ---- timestamps ----------------------------------------------------------- */

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DD" at s -> unix seconds of midnight UTC, or -1. */
static int64_t parse_day(const char *s, size_t n)
{
	if (n < 10 || !isdigit((unsigned char)s[0]) || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	int y = atoi(s);
	int mo = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400;
}

/* Seconds in a plausible range (1970..2286) or -1: keeps later integer
 * conversions defined whatever the file says. */
static double sane_time(double t)
{
	if (t > 1e11) /* milliseconds */
		t /= 1000;
	return t >= 0 && t < 1e10 ? t : -1;
}

/* A message time in unix seconds (Slack "ts" strings, numbers, or ISO
 * "YYYY-MM-DD[T ]hh:mm[:ss]" strings, taken as UTC), or -1. */
static double msg_time(json_t *o)
{
	static const char *keys[] = {"ts", "time", "timestamp", "date", "created_at"};
	for (size_t k = 0; k < CR_ARRAY_LEN(keys); k++) {
		json_t *v = json_object_get(o, keys[k]);
		if (json_is_number(v))
			return sane_time(json_number_value(v));
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			size_t n = strlen(s);
			int64_t day = parse_day(s, n);
			if (day >= 0) {
				double t = (double)day;
				if (n >= 16 && (s[10] == 'T' || s[10] == ' ') && s[13] == ':') {
					t += atoi(s + 11) * 3600.0 + atoi(s + 14) * 60.0;
					if (n >= 19 && s[16] == ':')
						t += atoi(s + 17);
				}
				return sane_time(t);
			}
			char *end;
			double t = strtod(s, &end);
			if (end != s && t > 0)
				return sane_time(t);
		}
	}
	return -1;
}

/* ---- the extractor -------------------------------------------------------- */

typedef struct run {
	cr_buf text;
	const char *speaker;
	int thread;
	double t0, t1;
	int open;
} run;

static cr_err run_flush(cr_xctx *x, cr_doc *d, run *r)
{
	cr_err e = CR_OK;
	if (r->open && r->text.len) {
		cr_loc l = cr_loc_none();
		l.speaker = r->speaker;
		l.t_start = r->t0;
		l.t_end = r->t1;
		if (r->thread)
			l.heading = "thread";
		if (r->speaker) {
			char *txt = cr_arena_printf(x->a, "%s: %s", r->speaker, r->text.data);
			e = txt ? cr_doc_add_section(x, d, txt, strlen(txt), &l) : CR_ENOMEM;
		} else {
			e = cr_doc_add_section(x, d, r->text.data, r->text.len, &l);
		}
	}
	cr_buf_reset(&r->text);
	r->open = 0;
	return e;
}

/* Parses the whole buffer: JSON, else JSON Lines (into a new array). */
static json_t *parse_json(cr_xctx *x, const uint8_t *buf, size_t len, cr_err *e)
{
	json_error_t err;
	json_t *root = json_loadb((const char *)buf, len, 0, &err);
	if (root)
		return root;
	/* JSON Lines? Only if the first line on its own is a whole object. */
	const uint8_t *nl = memchr(buf, '\n', len);
	json_error_t e1;
	json_t *first = nl ? json_loadb((const char *)buf, (size_t)(nl - buf), 0, &e1) : NULL;
	if (!json_is_object(first)) {
		json_decref(first);
		*e = cr_fail(x->m, CR_ECORRUPT, "chat: invalid JSON at line %d column %d: %s", err.line,
			     err.column, err.text);
		return NULL;
	}
	json_decref(first);
	json_t *arr = json_array();
	size_t off = 0;
	int line = 0;
	while (off < len) {
		const uint8_t *p = buf + off;
		const uint8_t *q = memchr(p, '\n', len - off);
		size_t l = q ? (size_t)(q - p) : len - off;
		off += q ? l + 1 : l;
		line++;
		size_t k = 0;
		while (k < l && isspace(p[k]))
			k++;
		if (k == l)
			continue;
		json_t *o = json_loadb((const char *)p, l, 0, &err);
		if (!o) {
			json_decref(arr);
			*e = cr_fail(x->m, CR_ECORRUPT, "chat: invalid JSON Lines at line %d: %s", line, err.text);
			return NULL;
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static cr_err chat_extract(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out, const cr_kv *users,
			   size_t n_users)
{
	if (!out->type)
		out->type = "chat";
	cr_err e = CR_OK;
	json_t *root = parse_json(x, buf, len, &e);
	if (!root)
		return e;
	json_t *msgs = root;
	if (json_is_object(root)) {
		static const char *keys[] = {"messages", "meeting_transcripts", "turns", "conversation"};
		msgs = NULL;
		for (size_t k = 0; k < CR_ARRAY_LEN(keys) && !msgs; k++) {
			json_t *v = json_object_get(root, keys[k]);
			if (json_is_array(v))
				msgs = v;
		}
	}
	run r;
	memset(&r, 0, sizeof r);
	cr_buf_init(&r.text, 1 << 20);
	cr_buf line;
	cr_buf_init(&line, 1 << 20);
	if (!json_is_array(msgs)) {
		e = cr_fail(x->m, CR_ECORRUPT, "chat: no array of messages");
		goto done;
	}

	/* channel and day from ".../<channel>/<YYYY-MM-DD>.json" */
	const char *name = out->name ? out->name : "";
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	int64_t day = parse_day(base, strlen(base));
	char *channel = NULL;
	if (base > name) {
		const char *ce = base - 1, *cs = ce;
		while (cs > name && cs[-1] != '/')
			cs--;
		if (ce > cs)
			channel = cr_arena_strndup(x->a, cs, (size_t)(ce - cs));
	}
	if (day >= 0 && channel)
		out->title = cr_arena_printf(x->a, "#%s %.10s", channel, base);
	else if (day >= 0)
		out->title = cr_arena_printf(x->a, "%.10s", base);
	if (channel && (e = cr_doc_add_meta(x, out, "channel", channel)))
		goto done;

	/* names from user_profile objects in this file */
	name_map names = {NULL, 0, 0, users, n_users};
	size_t n = json_array_size(msgs);
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(msgs, i);
		const char *uid = jstr(m, "user");
		json_t *up = json_object_get(m, "user_profile");
		const char *nm = up ? profile_name(up) : NULL;
		if (uid && nm && map_put(x->a, &names, uid, nm) < 0) {
			e = CR_ENOMEM;
			goto done;
		}
	}

	size_t n_used = 0;
	int64_t first_ts = 0;
	for (size_t i = 0; i < n; i++) {
		if (i % 256 == 0 && cr_x_expired(x)) {
			e = cr_fail(x->m, CR_ETIMEOUT, "chat: time limit");
			goto done;
		}
		json_t *m = json_array_get(msgs, i);
		if (!json_is_object(m))
			continue;
		const char *subtype = jstr(m, "subtype");
		if (subtype && (strcmp(subtype, "channel_join") == 0 || strcmp(subtype, "channel_leave") == 0 ||
				strcmp(subtype, "group_join") == 0 || strcmp(subtype, "group_leave") == 0))
			continue;
		const char *text = jstr(m, "text");
		if (!text)
			text = jstr(m, "content");
		if (!text)
			text = jstr(m, "message");
		if (!text)
			text = jstr(m, "body");
		cr_buf_reset(&line);
		if (text)
			clean_slack(&line, text, strlen(text), &names);
		json_t *files = json_object_get(m, "files");
		for (size_t k = 0; k < json_array_size(files); k++) {
			json_t *f = json_array_get(files, k);
			const char *fn = jstr(f, "title");
			if (!fn)
				fn = jstr(f, "name");
			if (fn)
				CR_IGNORE(cr_buf_printf(&line, "%s[file: %s]", line.len ? "\n" : "", fn));
		}
		json_t *atts = json_object_get(m, "attachments");
		for (size_t k = 0; k < json_array_size(atts); k++) {
			json_t *at = json_array_get(atts, k);
			const char *t = jstr(at, "title"), *tx = jstr(at, "text");
			if (!tx)
				tx = jstr(at, "fallback");
			if (t || tx) {
				CR_IGNORE(cr_buf_printf(&line, "%s[%s%s", line.len ? "\n" : "", t ? t : "", t && tx ? ": " : ""));
				if (tx)
					clean_slack(&line, tx, strlen(tx), &names);
				CR_IGNORE(cr_buf_addc(&line, ']'));
			}
		}
		size_t k0 = 0;
		while (k0 < line.len && isspace((unsigned char)line.data[k0]))
			k0++;
		if (k0 == line.len)
			continue;

		/* speaker */
		const char *uid = jstr(m, "user");
		const char *who = NULL;
		json_t *up = json_object_get(m, "user_profile");
		if (up)
			who = profile_name(up);
		if (!who && uid)
			who = map_get(&names, uid, strlen(uid));
		static const char *skeys[] = {"user_name", "username", "speaker", "author", "name", "from", "sender"};
		for (size_t k = 0; k < CR_ARRAY_LEN(skeys) && !who; k++)
			who = jstr(m, skeys[k]);
		if (!who)
			who = uid;
		if (!who) {
			json_t *bp = json_object_get(m, "bot_profile");
			who = bp ? jstr(bp, "name") : NULL;
		}
		const char *speaker = who ? cr_arena_strdup(x->a, who) : NULL;

		double ts = msg_time(m);
		if (ts > 0 && !first_ts)
			first_ts = (int64_t)ts;
		double t = ts;
		if (ts >= 0 && day >= 0 && ts >= (double)day && ts < (double)day + 2 * 86400.0)
			t = ts - (double)day;
		const char *tts = jstr(m, "thread_ts"), *sts = jstr(m, "ts");
		int thread = tts && sts && strcmp(tts, sts) != 0;

		if (r.open && (!(speaker && r.speaker ? strcmp(speaker, r.speaker) == 0 : speaker == r.speaker) ||
			       thread != r.thread || (t >= 0 && r.t1 >= 0 && t - r.t1 > CHAT_RUN_GAP) ||
			       r.text.len + line.len > CHAT_RUN_BYTES)) {
			if ((e = run_flush(x, out, &r)))
				goto done;
		}
		if (!r.open) {
			r.open = 1;
			r.speaker = speaker;
			r.thread = thread;
			r.t0 = t;
			r.t1 = t;
		}
		if (r.text.len)
			CR_IGNORE(cr_buf_addc(&r.text, '\n'));
		if (cr_buf_add(&r.text, line.data + k0, line.len - k0) != CR_OK) {
			e = cr_fail(x->m, CR_ETOOBIG, "chat: message too long");
			goto done;
		}
		if (t > r.t1)
			r.t1 = t;
		n_used++;
	}
	if ((e = run_flush(x, out, &r)))
		goto done;
	out->date = day >= 0 && (!first_ts || first_ts < day || first_ts >= day + 2 * 86400) ? day : first_ts;
	char *cnt = cr_arena_printf(x->a, "%zu", n_used);
	e = cr_doc_add_meta(x, out, "messages", cnt);
done:
	cr_buf_release(&r.text);
	cr_buf_release(&line);
	json_decref(root);
	return e;
}

cr_err cr_x_chat(cr_xctx *x, const uint8_t *buf, size_t len, cr_doc *out)
{
	return chat_extract(x, buf, len, out, NULL, 0);
}

/* ---- the export folder ---------------------------------------------------- */

static int is_file(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;
	if (snprintf(p, sizeof p, "%s/%s", dir, name) >= (int)sizeof p)
		return 0;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int cr_chat_is_export(const char *dir)
{
	if (!dir || !is_file(dir, "users.json") || !is_file(dir, "channels.json"))
		return 0;
	/* and at least one folder holding a YYYY-MM-DD.json */
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int found = 0;
	struct dirent *de;
	int n_dirs = 0;
	while (!found && (de = readdir(d)) && n_dirs < 10000) {
		if (de->d_name[0] == '.')
			continue;
		char p[4096];
		struct stat st;
		if (snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p || stat(p, &st) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		n_dirs++;
		DIR *c = opendir(p);
		if (!c)
			continue;
		struct dirent *ce;
		int n_files = 0;
		while ((ce = readdir(c)) && n_files++ < 100000) {
			size_t l = strlen(ce->d_name);
			if (l == 15 && strcmp(ce->d_name + 10, ".json") == 0 && parse_day(ce->d_name, l) >= 0) {
				found = 1;
				break;
			}
		}
		closedir(c);
	}
	closedir(d);
	return found;
}

cr_err cr_chat_load_users(cr_arena *a, const char *dir, cr_kv **users, size_t *n, cr_msg *m)
{
	*users = NULL;
	*n = 0;
	char p[4096];
	if (snprintf(p, sizeof p, "%s/users.json", dir) >= (int)sizeof p)
		return cr_fail(m, CR_EINVAL, "chat: path too long");
	uint8_t *buf;
	size_t len;
	cr_err e = cr_file_read(p, 64u << 20, &buf, &len, m);
	if (e)
		return e;
	json_error_t err;
	json_t *root = json_loadb((const char *)buf, len, 0, &err);
	cr_free(buf);
	if (!root)
		return cr_fail(m, CR_ECORRUPT, "chat: users.json: line %d: %s", err.line, err.text);
	if (!json_is_array(root)) {
		json_decref(root);
		return cr_fail(m, CR_ECORRUPT, "chat: users.json is not an array");
	}
	size_t cnt = json_array_size(root);
	if (cnt > CHAT_MAX_USERS)
		cnt = CHAT_MAX_USERS;
	cr_kv *kv = cr_arena_alloc(a, (cnt ? cnt : 1) * sizeof *kv);
	if (!kv) {
		json_decref(root);
		return CR_ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		json_t *u = json_array_get(root, i);
		const char *id = jstr(u, "id");
		const char *nm = profile_name(u);
		if (!id || !nm)
			continue;
		kv[k].key = cr_arena_strdup(a, id);
		kv[k].value = cr_arena_strdup(a, nm);
		if (!kv[k].key || !kv[k].value) {
			json_decref(root);
			return CR_ENOMEM;
		}
		k++;
	}
	json_decref(root);
	*users = kv;
	*n = k;
	return CR_OK;
}

static const char *users_get(const cr_kv *users, size_t n, const char *id, size_t idn)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(users[i].key) == idn && memcmp(users[i].key, id, idn) == 0)
			return users[i].value;
	return NULL;
}

cr_err cr_chat_name_users(cr_arena *a, cr_doc *d, const cr_kv *users, size_t n)
{
	for (; d; d = d->next) {
		if (!d->type || strcmp(d->type, "chat") != 0)
			continue;
		for (size_t i = 0; i < d->n_sections; i++) {
			cr_section *s = &d->sections[i];
			if (s->loc.speaker) {
				const char *id = s->loc.speaker;
				size_t idn = strlen(id);
				const char *nm = users_get(users, n, id, idn);
				if (nm) {
					s->loc.speaker = nm;
					/* the "<id>: " that starts the text */
					if (s->len > idn + 1 && memcmp(s->text, id, idn) == 0 && s->text[idn] == ':') {
						char *t = cr_arena_printf(a, "%s%s", nm, s->text + idn);
						if (!t)
							return CR_ENOMEM;
						s->text = t;
						s->len = strlen(t);
					}
				}
			}
			/* "@U0123ABC" mentions left by cr_x_chat */
			if (!memchr(s->text, '@', s->len))
				continue;
			cr_buf b;
			cr_buf_init(&b, 0);
			int changed = 0;
			for (size_t k = 0; k < s->len;) {
				if (s->text[k] == '@' && k + 1 < s->len && (s->text[k + 1] == 'U' || s->text[k + 1] == 'W')) {
					size_t j = k + 1;
					while (j < s->len && is_id_char(s->text[j]))
						j++;
					const char *nm = j - k - 1 >= 3 ? users_get(users, n, s->text + k + 1, j - k - 1) : NULL;
					if (nm) {
						CR_IGNORE(cr_buf_addc(&b, '@'));
						CR_IGNORE(cr_buf_adds(&b, nm));
						changed = 1;
						k = j;
						continue;
					}
				}
				CR_IGNORE(cr_buf_addc(&b, s->text[k]));
				k++;
			}
			if (changed) {
				char *t = cr_arena_strndup(a, b.data, b.len);
				if (!t) {
					cr_buf_release(&b);
					return CR_ENOMEM;
				}
				s->text = t;
				s->len = b.len;
			}
			cr_buf_release(&b);
		}
	}
	return CR_OK;
}

/* ---- channel membership --------------------------------------------------- */

static int cmp_kv_key(const void *a, const void *b)
{
	return strcmp(((const cr_kv *)a)->key, ((const cr_kv *)b)->key);
}

static json_t *parse_listing(const uint8_t *buf, size_t len, const char *what, cr_msg *m, cr_err *e)
{
	json_error_t err;
	json_t *root = json_loadb((const char *)buf, len, 0, &err);
	*e = CR_OK;
	if (!root)
		*e = cr_fail(m, CR_ECORRUPT, "chat: %s: line %d: %s", what, err.line, err.text);
	else if (!json_is_array(root)) {
		json_decref(root);
		root = NULL;
		*e = cr_fail(m, CR_ECORRUPT, "chat: %s is not an array", what);
	}
	return root;
}

cr_err cr_chat_parse_emails(cr_arena *a, const uint8_t *buf, size_t len, cr_kv **emails, size_t *n, cr_msg *m)
{
	*emails = NULL;
	*n = 0;
	cr_err e;
	json_t *root = parse_listing(buf, len, "users.json", m, &e);
	if (!root)
		return e;
	size_t cnt = CR_MIN(json_array_size(root), (size_t)CHAT_MAX_USERS);
	cr_kv *kv = cr_arena_alloc(a, (cnt ? cnt : 1) * sizeof *kv);
	size_t k = 0;
	for (size_t i = 0; kv && i < cnt; i++) {
		json_t *u = json_array_get(root, i);
		const char *id = jstr(u, "id");
		const char *em = jstr(json_object_get(u, "profile"), "email");
		if (!em)
			em = jstr(u, "email");
		char norm[CR_EMAIL_MAX];
		if (!id || !em || !cr_email_norm(em, strlen(em), norm, sizeof norm))
			continue;
		kv[k].key = cr_arena_strdup(a, id);
		kv[k].value = cr_arena_strdup(a, norm);
		if (!kv[k].key || !kv[k].value) {
			kv = NULL;
			break;
		}
		k++;
	}
	json_decref(root);
	if (!kv)
		return cr_fail(m, CR_ENOMEM, "out of memory");
	if (k)
		qsort(kv, k, sizeof *kv, cmp_kv_key);
	*emails = kv;
	*n = k;
	return CR_OK;
}

cr_err cr_chat_parse_channels(cr_arena *a, const uint8_t *buf, size_t len, int dms, const cr_kv *emails,
			      size_t n_emails, cr_chat_channel **chans, size_t *n, cr_msg *m)
{
	cr_err e;
	json_t *root = parse_listing(buf, len, dms ? "dms.json" : "a channel listing", m, &e);
	if (!root)
		return e;
	size_t cnt = json_array_size(root);
	cr_chat_channel *v = cr_arena_alloc(a, (*n + cnt + 1) * sizeof *v);
	if (!v) {
		json_decref(root);
		return cr_fail(m, CR_ENOMEM, "out of memory");
	}
	if (*n)
		memcpy(v, *chans, *n * sizeof *v);
	size_t k = *n;
	for (size_t i = 0; i < cnt && !e; i++) {
		json_t *c = json_array_get(root, i);
		const char *folder = dms ? jstr(c, "id") : jstr(c, "name");
		if (!folder && !dms)
			folder = jstr(c, "id");
		/* a folder name: one path component */
		if (!folder || strchr(folder, '/') || !strcmp(folder, ".") || !strcmp(folder, ".."))
			continue;
		int dup = 0;
		for (size_t j = 0; j < k && !dup; j++)
			dup = !strcmp(v[j].folder, folder);
		if (dup)
			continue;
		json_t *mem = json_object_get(c, "members");
		size_t nm = json_is_array(mem) ? CR_MIN(json_array_size(mem), (size_t)CR_CHAT_MAX_MEMBERS) : 0;
		cr_chat_channel *ch = &v[k];
		ch->folder = cr_arena_strdup(a, folder);
		ch->readers = cr_arena_alloc(a, (nm ? nm : 1) * sizeof *ch->readers);
		ch->n_readers = 0;
		if (!ch->folder || !ch->readers) {
			e = cr_fail(m, CR_ENOMEM, "out of memory");
			break;
		}
		for (size_t j = 0; j < nm; j++) {
			json_t *id = json_array_get(mem, j);
			if (!json_is_string(id))
				continue;
			cr_kv key = {.key = json_string_value(id)};
			const cr_kv *hit = n_emails ? bsearch(&key, emails, n_emails, sizeof *emails, cmp_kv_key) : NULL;
			if (!hit)
				continue; /* a member without an address reads nothing through this */
			size_t t = 0;
			while (t < ch->n_readers && strcmp(ch->readers[t], hit->value))
				t++;
			if (t == ch->n_readers)
				ch->readers[ch->n_readers++] = hit->value;
		}
		k++;
	}
	json_decref(root);
	if (!e) {
		*chans = v;
		*n = k;
	}
	return e;
}

cr_err cr_chat_load_channels(cr_arena *a, const char *dir, cr_chat_channel **chans, size_t *n, cr_msg *m)
{
	static const char *const listings[] = {"channels.json", "groups.json", "mpims.json", "dms.json"};
	*chans = NULL;
	*n = 0;
	char p[4096];
	uint8_t *buf;
	size_t len;
	if (snprintf(p, sizeof p, "%s/users.json", dir) >= (int)sizeof p)
		return cr_fail(m, CR_EINVAL, "chat: path too long");
	cr_err e = cr_file_read(p, 64u << 20, &buf, &len, m);
	if (e)
		return e;
	cr_kv *emails;
	size_t n_emails;
	e = cr_chat_parse_emails(a, buf, len, &emails, &n_emails, m);
	cr_free(buf);
	for (size_t i = 0; i < CR_ARRAY_LEN(listings) && !e; i++) {
		if (snprintf(p, sizeof p, "%s/%s", dir, listings[i]) >= (int)sizeof p)
			return cr_fail(m, CR_EINVAL, "chat: path too long");
		if (i && !is_file(dir, listings[i]))
			continue; /* only channels.json is always there */
		if ((e = cr_file_read(p, 64u << 20, &buf, &len, m)))
			break;
		e = cr_chat_parse_channels(a, buf, len, i == 3, emails, n_emails, chans, n, m);
		cr_free(buf);
		if (e && m) {
			char why[sizeof m->text];
			snprintf(why, sizeof why, "%s", m->text);
			cr_fail(m, e, "%s/%s: %s", dir, listings[i], why);
		}
	}
	return e;
}
