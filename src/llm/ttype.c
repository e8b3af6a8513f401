/*
 * ttype.c — block geometry of the GGML tensor types: how many elements one
 * quantization block holds and how many bytes it takes, numbered exactly as
 * GGML numbers them in GGUF files (ggml.h's enum ggml_type, sizes from
 * ggml-common.h's block structs).
 *
 * Two views: the public cr_ttype_* functions answer only for the types the
 * engine computes with (the cr_ttype enum in llm.h) and return 0 for any
 * other; cr_ttype_ggml_geom (gguf_int.h) knows every type GGML can store in a
 * file, so the GGUF reader can check the size of a tensor it will never
 * compute with (an IQ2 tensor still has to lie inside the file).
 */
#include "gguf_int.h"

typedef struct {
	const char *name;
	int blck;      /* elements per block; 0 = no such type */
	int bytes;     /* bytes per block */
	int supported; /* listed in cr_ttype (llm.h) */
} ttype_row;

static const ttype_row ttypes[] = {
	[0] = {"f32", 1, 4, 1},
	[1] = {"f16", 1, 2, 1},
	[2] = {"q4_0", 32, 18, 1},
	[3] = {"q4_1", 32, 20, 1},
	/* 4, 5: Q4_2 and Q4_3, removed from GGML */
	[6] = {"q5_0", 32, 22, 1},
	[7] = {"q5_1", 32, 24, 1},
	[8] = {"q8_0", 32, 34, 1},
	[9] = {"q8_1", 32, 36, 1},
	[10] = {"q2_K", 256, 84, 1},
	[11] = {"q3_K", 256, 110, 1},
	[12] = {"q4_K", 256, 144, 1},
	[13] = {"q5_K", 256, 176, 1},
	[14] = {"q6_K", 256, 210, 1},
	[15] = {"q8_K", 256, 292, 1},
	[16] = {"iq2_xxs", 256, 66, 0},
	[17] = {"iq2_xs", 256, 74, 0},
	[18] = {"iq3_xxs", 256, 98, 0},
	[19] = {"iq1_s", 256, 50, 0},
	[20] = {"iq4_nl", 32, 18, 0},
	[21] = {"iq3_s", 256, 110, 0},
	[22] = {"iq2_s", 256, 82, 0},
	[23] = {"iq4_xs", 256, 136, 0},
	[24] = {"i8", 1, 1, 0},
	[25] = {"i16", 1, 2, 0},
	[26] = {"i32", 1, 4, 0},
	[27] = {"i64", 1, 8, 0},
	[28] = {"f64", 1, 8, 0},
	[29] = {"iq1_m", 256, 56, 0},
	[30] = {"bf16", 1, 2, 1},
	/* 31..33: Q4_0_4_4 / 4_8 / 8_8, removed from GGUF files */
	[34] = {"tq1_0", 256, 54, 0},
	[35] = {"tq2_0", 256, 66, 0},
	/* 36..38: IQ4_NL_4_4 / 4_8 / 8_8, removed */
	[39] = {"mxfp4", 32, 17, 0},
};

static const ttype_row *row_of(int t)
{
	if (t < 0 || (size_t)t >= CR_ARRAY_LEN(ttypes) || ttypes[t].blck == 0)
		return NULL;
	return &ttypes[t];
}

int cr_ttype_ggml_geom(uint32_t t, int *blck, size_t *bytes, const char **name)
{
	const ttype_row *r = t < CR_ARRAY_LEN(ttypes) ? row_of((int)t) : NULL;
	if (!r)
		return 0;
	if (blck)
		*blck = r->blck;
	if (bytes)
		*bytes = (size_t)r->bytes;
	if (name)
		*name = r->name;
	return 1;
}

int cr_ttype_block(cr_ttype t)
{
	const ttype_row *r = row_of((int)t);
	return r && r->supported ? r->blck : 0;
}

size_t cr_ttype_block_bytes(cr_ttype t)
{
	const ttype_row *r = row_of((int)t);
	return r && r->supported ? (size_t)r->bytes : 0;
}

const char *cr_ttype_name(cr_ttype t)
{
	const ttype_row *r = row_of((int)t);
	return r ? r->name : "unknown";
}

size_t cr_ttype_row_bytes(cr_ttype t, int64_t n)
{
	const ttype_row *r = row_of((int)t);
	if (!r || !r->supported || n < 0 || n % r->blck)
		return 0;
	return (size_t)(n / r->blck) * (size_t)r->bytes;
}
