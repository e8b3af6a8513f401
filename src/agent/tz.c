/*
 * tz.c — time zones for agent schedules (agent.h cr_tz_*): a zone's UTC
 * offset at any time, read from its TZif file rather than by setting TZ
 * (setenv + tzset are process-wide and not thread-safe; cristal serve runs
 * schedules beside request threads).
 *
 * TZif (RFC 8536), all integers big-endian:
 *   header (44 bytes): "TZif", version ('\0', '2', '3' or '4'), 15 unused,
 *     then six 32-bit counts: isutcnt isstdcnt leapcnt timecnt typecnt charcnt
 *   v1 data block: timecnt × 4-byte transition times, timecnt × 1-byte type
 *     indices, typecnt × 6-byte ttinfo (int32 utoff, uint8 isdst, uint8
 *     desigidx), charcnt bytes of designations, leapcnt × 8, isstdcnt × 1,
 *     isutcnt × 1
 *   version 2+: a second header and data block of the same shape with
 *     8-byte times (and 12-byte leap records), then the footer:
 *     "\n" POSIX TZ string "\n" (may be empty)
 * We read the v2+ block (a v1-only file's 32-bit block when that is all
 * there is). Times before the first transition use type 0; times from the
 * last transition on use the footer's rule when there is one (slim files
 * stop their table early and rely on it), else the last type.
 *
 * The footer (POSIX.1 TZ, RFC 8536 §3.3.1): STD OFFSET [DST [OFFSET]
 * [,START[/TIME],END[/TIME]]], names alphabetic or <quoted>, offsets
 * [+-]hh[:mm[:ss]] west of Greenwich, dates Jn (1-365, no 29 February), n
 * (0-365) or Mm.w.d (day d of week w of month m, w = 5: the last), TIME
 * [+-]hhh[:mm[:ss]] (-167 to 167 hours), default 02:00.
 *
 * Costs: cr_tz_offset is a binary search over the transitions, or a few
 * date computations under the footer's rule. Files are at most 1 MiB.
 */
#include "agent_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct tz_rule {
	int kind; /* 'J', 'n' or 'M' */
	int m, w, d, n;
	int32_t time; /* seconds after local midnight */
} tz_rule;

struct cr_tz {
	char name[128];
	int64_t *trans;   /* transition times */
	uint8_t *idx;     /* type of each transition */
	int32_t *utoff;   /* per type */
	size_t n_trans, n_types;
	/* the footer */
	int has_rule;     /* a footer with a zone */
	int has_dst;      /* and daylight time with its rules */
	int32_t std_off, dst_off; /* east of UTC */
	tz_rule start, end;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* ---- the footer's rule ---------------------------------------------------- */

static const char *p_name(const char *s)
{
	if (*s == '<') {
		const char *e = strchr(s, '>');
		return e && e - s >= 4 ? e + 1 : NULL;
	}
	const char *b = s;
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
		s++;
	return s - b >= 3 ? s : NULL;
}

/* [+-]h[h[h]][:mm[:ss]] as seconds; max_h bounds the hours. */
static const char *p_hms(const char *s, int max_h, int32_t *out)
{
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (*s < '0' || *s > '9')
		return NULL;
	int h = 0, mi = 0, se = 0, nd = 0;
	while (*s >= '0' && *s <= '9' && nd < 3)
		h = h * 10 + (*s++ - '0'), nd++;
	if (h > max_h)
		return NULL;
	if (*s == ':') {
		s++;
		if (s[0] < '0' || s[0] > '5' || s[1] < '0' || s[1] > '9')
			return NULL;
		mi = (s[0] - '0') * 10 + s[1] - '0';
		s += 2;
		if (*s == ':') {
			s++;
			if (s[0] < '0' || s[0] > '5' || s[1] < '0' || s[1] > '9')
				return NULL;
			se = (s[0] - '0') * 10 + s[1] - '0';
			s += 2;
		}
	}
	*out = sign * (h * 3600 + mi * 60 + se);
	return s;
}

static const char *p_num(const char *s, int lo, int hi, int *out)
{
	if (*s < '0' || *s > '9')
		return NULL;
	int v = 0;
	while (*s >= '0' && *s <= '9' && v <= hi)
		v = v * 10 + (*s++ - '0');
	if (v < lo || v > hi)
		return NULL;
	*out = v;
	return s;
}

static const char *p_rule(const char *s, tz_rule *r)
{
	memset(r, 0, sizeof *r);
	if (*s == 'J') {
		r->kind = 'J';
		s = p_num(s + 1, 1, 365, &r->n);
	} else if (*s == 'M') {
		r->kind = 'M';
		if ((s = p_num(s + 1, 1, 12, &r->m)) && *s == '.' && (s = p_num(s + 1, 1, 5, &r->w)) && *s == '.')
			s = p_num(s + 1, 0, 6, &r->d);
		else
			s = NULL;
	} else {
		r->kind = 'n';
		s = p_num(s, 0, 365, &r->n);
	}
	if (!s)
		return NULL;
	r->time = 7200;
	if (*s == '/')
		s = p_hms(s + 1, 167, &r->time);
	return s;
}

/* 0 on success. An empty footer leaves z->has_rule 0. */
static int parse_footer(cr_tz *z, const char *s)
{
	if (!*s)
		return 0;
	int32_t off;
	if (!(s = p_name(s)) || !(s = p_hms(s, 24, &off)))
		return -1;
	z->std_off = -off;
	z->has_rule = 1;
	if (!*s)
		return 0;
	if (!(s = p_name(s)))
		return -1;
	z->dst_off = z->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = p_hms(s, 24, &off)))
			return -1;
		z->dst_off = -off;
	}
	if (*s != ',' || !(s = p_rule(s + 1, &z->start)) || *s != ',' || !(s = p_rule(s + 1, &z->end)) || *s)
		return -1;
	z->has_dst = 1;
	return 0;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return n[m - 1] + (m == 2 && is_leap(y));
}

/* The local (wall-clock) second of year y at which a rule's change happens,
 * as seconds since the epoch in that local time. */
static int64_t rule_local(const tz_rule *r, int y)
{
	int64_t jan1 = cr_ymd_days((cr_ymd){y, 1, 1}), day;
	if (r->kind == 'J')
		day = jan1 + r->n - 1 + (is_leap(y) && r->n >= 60);
	else if (r->kind == 'n')
		day = jan1 + r->n;
	else {
		int64_t first = cr_ymd_days((cr_ymd){y, r->m, 1});
		int wd1 = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		int d = 1 + (r->d - wd1 + 7) % 7 + 7 * (r->w - 1);
		while (d > month_days(y, r->m))
			d -= 7;
		day = first + d - 1;
	}
	return day * 86400 + r->time;
}

static int32_t rule_offset(const cr_tz *z, int64_t t)
{
	if (!z->has_dst)
		return z->std_off;
	cr_ymd ymd = cr_ymd_from_days((t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0));
	/* start is given in standard time, end in daylight time */
	int64_t start = rule_local(&z->start, ymd.y) - z->std_off;
	int64_t end = rule_local(&z->end, ymd.y) - z->dst_off;
	int dst = start < end ? t >= start && t < end : !(t >= end && t < start);
	return dst ? z->dst_off : z->std_off;
}

/* ---- the file ------------------------------------------------------------- */

cr_err cr_tz_parse(const uint8_t *p, size_t n, const char *name, cr_tz **out, cr_msg *m)
{
	*out = NULL;
	cr_tz *z = cr_calloc(1, sizeof *z);
	if (!z)
		return cr_fail(m, CR_ENOMEM, "time zone: out of memory");
	snprintf(z->name, sizeof z->name, "%s", name ? name : "");
	if (n < 44 || memcmp(p, "TZif", 4))
		goto bad;
	const uint8_t *h = p;
	int v2 = p[4] >= '2';
	size_t tsize = 4;
	for (int pass = 0; pass < 2; pass++) {
		if ((size_t)(h - p) + 44 > n || memcmp(h, "TZif", 4))
			goto bad;
		uint64_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28), timecnt = be32(h + 32),
			 typecnt = be32(h + 36), charcnt = be32(h + 40);
		if (timecnt > 1u << 20 || typecnt == 0 || typecnt > 256 || charcnt > 1u << 16 || leap > 1u << 16 ||
		    (isut && isut != typecnt) || (isstd && isstd != typecnt))
			goto bad;
		uint64_t len = timecnt * tsize + timecnt + typecnt * 6 + charcnt + leap * (tsize + 4) + isstd + isut;
		const uint8_t *d = h + 44;
		if ((uint64_t)(d - p) + len > n)
			goto bad;
		if (pass == 0 && v2) { /* skip the v1 block */
			h = d + len;
			tsize = 8;
			continue;
		}
		z->trans = cr_calloc(timecnt ? timecnt : 1, sizeof *z->trans);
		z->idx = cr_calloc(timecnt ? timecnt : 1, 1);
		z->utoff = cr_calloc(typecnt, sizeof *z->utoff);
		if (!z->trans || !z->idx || !z->utoff) {
			cr_tz_free(z);
			return cr_fail(m, CR_ENOMEM, "time zone: out of memory");
		}
		for (uint64_t i = 0; i < timecnt; i++) {
			z->trans[i] = tsize == 8 ? be64(d + i * 8) : (int32_t)be32(d + i * 4);
			if (i && z->trans[i] <= z->trans[i - 1])
				goto bad;
		}
		d += timecnt * tsize;
		for (uint64_t i = 0; i < timecnt; i++)
			if ((z->idx[i] = d[i]) >= typecnt)
				goto bad;
		d += timecnt;
		for (uint64_t i = 0; i < typecnt; i++) {
			int32_t off = (int32_t)be32(d + i * 6);
			if (off < -25 * 3600 || off > 26 * 3600)
				goto bad;
			z->utoff[i] = off;
		}
		z->n_trans = timecnt;
		z->n_types = typecnt;
		h = d + typecnt * 6 + charcnt + leap * (tsize + 4) + isstd + isut;
		break;
	}
	if (v2) { /* the footer */
		size_t at = (size_t)(h - p);
		if (at >= n || p[at] != '\n')
			goto bad;
		const uint8_t *nl = memchr(p + at + 1, '\n', n - at - 1);
		if (!nl || nl - (p + at + 1) > 120)
			goto bad;
		char foot[128];
		memcpy(foot, p + at + 1, (size_t)(nl - (p + at + 1)));
		foot[nl - (p + at + 1)] = 0;
		if (parse_footer(z, foot))
			goto bad;
	}
	*out = z;
	return CR_OK;
bad:
	cr_tz_free(z);
	return cr_fail(m, CR_ECORRUPT, "time zone %s: not a TZif file this build reads", name ? name : "");
}

cr_err cr_tz_load(const char *name, cr_tz **out, cr_msg *m)
{
	*out = NULL;
	if (!name || !*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 100)
		return cr_fail(m, CR_ENOTFOUND, "time zone '%s': not a zone name (such as Asia/Tokyo or UTC)",
			       name ? name : "");
	if (!strcmp(name, "UTC")) {
		cr_tz *z = cr_calloc(1, sizeof *z);
		if (!z)
			return cr_fail(m, CR_ENOMEM, "time zone: out of memory");
		snprintf(z->name, sizeof z->name, "UTC");
		*out = z;
		return CR_OK;
	}
	char path[256];
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
	uint8_t *buf;
	size_t len;
	cr_err e = cr_file_read(path, 1 << 20, &buf, &len, NULL);
	if (e == CR_ENOTFOUND || e == CR_EIO)
		return cr_fail(m, CR_ENOTFOUND,
			       "time zone '%s': no such zone on this system (%s; the tzdata package installs them)",
			       name, path);
	if (e)
		return cr_fail(m, e, "time zone '%s': %s", name, cr_strerror(e));
	e = cr_tz_parse(buf, len, name, out, m);
	cr_free(buf);
	return e;
}

void cr_tz_free(cr_tz *z)
{
	if (!z)
		return;
	cr_free(z->trans);
	cr_free(z->idx);
	cr_free(z->utoff);
	cr_free(z);
}

const char *cr_tz_name(const cr_tz *z)
{
	return z->name;
}

/* Times are clamped to about ±139,000 years, so no sum overflows. */
#define T_LIMIT ((int64_t)1 << 42)

int32_t cr_tz_offset(const cr_tz *z, int64_t t)
{
	t = t > T_LIMIT ? T_LIMIT : t < -T_LIMIT ? -T_LIMIT : t;
	if (!z->n_trans)
		return z->has_rule ? rule_offset(z, t) : z->n_types ? z->utoff[0] : 0;
	if (t < z->trans[0])
		return z->utoff[0];
	if (t >= z->trans[z->n_trans - 1] && z->has_rule)
		return rule_offset(z, t);
	size_t lo = 0, hi = z->n_trans; /* the last transition <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->idx[lo]];
}

void cr_tz_local(const cr_tz *z, int64_t t, cr_civil *out)
{
	t = t > T_LIMIT ? T_LIMIT : t < -T_LIMIT ? -T_LIMIT : t;
	int64_t l = t + cr_tz_offset(z, t);
	int64_t days = l / 86400, sec = l % 86400;
	if (sec < 0)
		sec += 86400, days--;
	cr_ymd d = cr_ymd_from_days(days);
	out->y = d.y;
	out->mo = d.m;
	out->d = d.d;
	out->h = (int)(sec / 3600);
	out->mi = (int)(sec / 60 % 60);
	out->s = (int)(sec % 60);
	out->wday = (int)(((days + 4) % 7 + 7) % 7);
}
