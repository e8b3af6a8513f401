/* fuzz_model.c — model loading and validation over arbitrary GGUF bytes:
 * hyperparameter keys, tensor presence, shapes and types, the tokenizer.
 * A file that loads is also run: a context of 8 positions decodes two
 * tokens (or embeds them), so shapes the validator let through must be
 * shapes the graph can execute. */
#include <stdint.h>
#include <string.h>

#include "llm/model_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_gguf *g = NULL;
	if (cr_gguf_open_mem(data, size, &g, NULL))
		return 0;
	cr_model *md = NULL;
	if (cr_model_load_gguf(g, &md, NULL))
		return 0;
	const cr_model_info *in = cr_model_get_info(md);
	/* keep the run cheap: skip large models the fuzzer might assemble */
	if ((int64_t)in->n_embd * in->n_layer <= 4096 && in->n_embd <= 4096 && in->n_vocab <= 4096) {
		cr_ctx *c = NULL;
		if (cr_ctx_new(md, 8, NULL, &c, NULL) == CR_OK) {
			cr_token_id t[2] = {0, in->n_vocab - 1};
			const float *lg;
			float v[4096];
			cr_err e = in->is_embedding ? cr_ctx_embed(c, t, 2, v, NULL)
						    : cr_ctx_decode(c, t, 2, 1, &lg, NULL);
			CR_UNUSED(e);
			cr_ctx_free(c);
		}
	}
	cr_model_free(md);
	return 0;
}
