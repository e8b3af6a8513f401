/*
 * codec.c — the small encodings of the segment format: bit packing of
 * postings blocks, LEB128 varints for positions, one-byte field-length codes
 * (exact below 64 tokens, then 16 steps per octave up to ~250k tokens, so a
 * norm table of 256 entries per query replaces per-document divisions), and
 * the IMPACT summaries that bound a block's score for block-max WAND.
 */
#include "index_int.h"

#include <math.h>
#include <stdlib.h>

uint8_t cr_ix_len_code(uint32_t len)
{
	if (len < 64)
		return (uint8_t)len;
	int c = 64 + (int)(log2((double)len / 64.0) * 16.0);
	return (uint8_t)(c > 255 ? 255 : c);
}

float cr_ix_len_decode(uint8_t code)
{
	if (code < 64)
		return (float)code;
	return (float)(64.0 * exp2((code - 64) / 16.0));
}

int cr_ix_bits(uint32_t max)
{
	return max ? 32 - __builtin_clz(max) : 0;
}

void cr_ix_pack(const uint32_t *v, int n, int bits, uint8_t *out)
{
	if (!bits)
		return;
	uint64_t acc = 0;
	int have = 0;
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		acc |= (uint64_t)v[i] << have;
		have += bits;
		while (have >= 8) {
			out[o++] = (uint8_t)acc;
			acc >>= 8;
			have -= 8;
		}
	}
	if (have > 0)
		out[o++] = (uint8_t)acc;
}

/* Unpacks n values; the caller guarantees (n*bits+7)/8 readable bytes. */
void cr_ix_unpack(const uint8_t *in, int n, int bits, uint32_t *out)
{
	if (!bits) {
		memset(out, 0, (size_t)n * sizeof *out);
		return;
	}
	const uint64_t mask = bits == 32 ? 0xffffffffull : ((1ull << bits) - 1);
	size_t nbytes = cr_ix_packed_bytes(n, bits);
	int i = 0;
	/* fast part: 8-byte loads while they stay inside the packed bytes */
	size_t bitpos = 0;
	for (; i < n; i++, bitpos += (size_t)bits) {
		size_t byte = bitpos >> 3;
		if (byte + 8 > nbytes)
			break;
		uint64_t w;
		memcpy(&w, in + byte, 8);
		out[i] = (uint32_t)((w >> (bitpos & 7)) & mask);
	}
	for (; i < n; i++, bitpos += (size_t)bits) {
		size_t byte = bitpos >> 3;
		uint64_t w = 0;
		for (size_t k = 0; k < 8 && byte + k < nbytes; k++)
			w |= (uint64_t)in[byte + k] << (8 * k);
		out[i] = (uint32_t)((w >> (bitpos & 7)) & mask);
	}
}

/* Like cr_ix_unpack but may read up to 7 bytes past the packed bytes; one
 * loop per bit width so the compiler unrolls it (128 values is the common
 * case). Callers guarantee the slack (segment postings are always followed
 * by other sections and the footer). */
#define UNPACK_LOOP(B, N)                                                   \
	do {                                                                \
		const uint64_t mk = (B) == 32 ? 0xffffffffull : ((1ull << (B)) - 1); \
		for (int i = 0; i < (N); i++) {                             \
			size_t bp = (size_t)i * (B);                        \
			uint64_t w;                                         \
			memcpy(&w, in + (bp >> 3), 8);                      \
			out[i] = (uint32_t)((w >> (bp & 7)) & mk);          \
		}                                                           \
	} while (0)
#define UNPACK_CASE(B)                                                      \
	case B:                                                             \
		if (n == CR_IX_BLOCK)                                       \
			UNPACK_LOOP(B, CR_IX_BLOCK);                        \
		else                                                        \
			UNPACK_LOOP(B, n);                                  \
		return;

void cr_ix_unpack_slack(const uint8_t *in, int n, int bits, uint32_t *out)
{
	switch (bits) {
	case 0:
		memset(out, 0, (size_t)n * sizeof *out);
		return;
	UNPACK_CASE(1) UNPACK_CASE(2) UNPACK_CASE(3) UNPACK_CASE(4) UNPACK_CASE(5) UNPACK_CASE(6)
	UNPACK_CASE(7) UNPACK_CASE(8) UNPACK_CASE(9) UNPACK_CASE(10) UNPACK_CASE(11) UNPACK_CASE(12)
	UNPACK_CASE(13) UNPACK_CASE(14) UNPACK_CASE(15) UNPACK_CASE(16) UNPACK_CASE(17) UNPACK_CASE(18)
	UNPACK_CASE(19) UNPACK_CASE(20) UNPACK_CASE(21) UNPACK_CASE(22) UNPACK_CASE(23) UNPACK_CASE(24)
	UNPACK_CASE(25) UNPACK_CASE(26) UNPACK_CASE(27) UNPACK_CASE(28) UNPACK_CASE(29) UNPACK_CASE(30)
	UNPACK_CASE(31) UNPACK_CASE(32)
	default:
		cr_ix_unpack(in, n, bits, out);
	}
}

int cr_ix_varint_get(const uint8_t *p, size_t avail, uint32_t *v)
{
	uint32_t r = 0;
	for (int i = 0; i < 5; i++) {
		if ((size_t)i >= avail)
			return 0;
		uint8_t b = p[i];
		if (i == 4 && b > 0x0f)
			return 0;
		r |= (uint32_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

/* ---- impacts ---- */

void cr_ix_impact_reset(cr_ix_impact *im)
{
	im->tf_t = 0;
	im->lt = 255;
	for (int i = 0; i < 3; i++) {
		im->tf_b[i] = 0;
		im->lb[i] = 255;
	}
}

/* Adds one body pair to the dominating set (kept <= 3 pairs by merging the
 * two closest neighbours into their dominating corner). */
static void add_pair(cr_ix_impact *im, uint8_t tf, uint8_t l)
{
	if (!tf)
		return;
	uint8_t t[4], ls[4];
	int n = 0;
	for (int i = 0; i < 3; i++) {
		if (!im->tf_b[i])
			continue;
		if (im->tf_b[i] >= tf && im->lb[i] <= l)
			return; /* already dominated */
		if (tf >= im->tf_b[i] && l <= im->lb[i])
			continue; /* the new pair dominates it */
		t[n] = im->tf_b[i];
		ls[n] = im->lb[i];
		n++;
	}
	t[n] = tf;
	ls[n] = l;
	n++;
	/* sort by length (then tf grows with length on a Pareto front) */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && ls[j] < ls[j - 1]; j--) {
			uint8_t a = ls[j]; ls[j] = ls[j - 1]; ls[j - 1] = a;
			a = t[j]; t[j] = t[j - 1]; t[j - 1] = a;
		}
	while (n > 3) {
		int best = 0;
		unsigned best_cost = ~0u;
		for (int i = 0; i + 1 < n; i++) {
			unsigned dt = (unsigned)abs((int)t[i + 1] - (int)t[i]) + 1;
			unsigned dl = (unsigned)(ls[i + 1] - ls[i]) + 1;
			if (dt * dl < best_cost) {
				best_cost = dt * dl;
				best = i;
			}
		}
		t[best] = CR_MAX(t[best], t[best + 1]);
		ls[best] = CR_MIN(ls[best], ls[best + 1]);
		for (int i = best + 1; i + 1 < n; i++) {
			t[i] = t[i + 1];
			ls[i] = ls[i + 1];
		}
		n--;
	}
	for (int i = 0; i < 3; i++) {
		im->tf_b[i] = i < n ? t[i] : 0;
		im->lb[i] = i < n ? ls[i] : 255;
	}
}

void cr_ix_impact_add(cr_ix_impact *im, uint32_t tf_t, uint8_t lt, uint32_t tf_b, uint8_t lb)
{
	if (tf_t) {
		uint8_t c = (uint8_t)(tf_t > 255 ? 255 : tf_t);
		if (c > im->tf_t)
			im->tf_t = c;
		if (lt < im->lt)
			im->lt = lt;
	}
	add_pair(im, (uint8_t)(tf_b > 255 ? 255 : tf_b), lb);
}

void cr_ix_impact_merge(cr_ix_impact *im, const cr_ix_impact *o)
{
	if (o->tf_t) {
		if (o->tf_t > im->tf_t)
			im->tf_t = o->tf_t;
		if (o->lt < im->lt)
			im->lt = o->lt;
	}
	for (int i = 0; i < 3; i++)
		add_pair(im, o->tf_b[i], o->lb[i]);
}

void cr_ix_impact_put(uint8_t *p, const cr_ix_impact *im)
{
	p[0] = im->tf_t;
	p[1] = im->lt;
	for (int i = 0; i < 3; i++) {
		p[2 + 2 * i] = im->tf_b[i];
		p[3 + 2 * i] = im->lb[i];
	}
}

void cr_ix_impact_get(const uint8_t *p, cr_ix_impact *im)
{
	im->tf_t = p[0];
	im->lt = p[1];
	for (int i = 0; i < 3; i++) {
		im->tf_b[i] = p[2 + 2 * i];
		im->lb[i] = p[3 + 2 * i];
	}
}
