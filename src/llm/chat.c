/*
 * chat.c — chat templates: turning a list of messages into the prompt text
 * a chat model was trained on.
 *
 * We do not run the Jinja template stored in tokenizer.chat_template; we
 * recognise its family by distinctive markers (as llama.cpp's
 * llm_chat_detect_template does) and format with a built-in writer. The
 * formats, exactly (S = system, U = user, A = assistant content):
 *
 *   chatml   <|im_start|>ROLE\nCONTENT<|im_end|>\n ... [<|im_start|>assistant\n]
 *   llama3   <|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|> ...
 *            [<|start_header_id|>assistant<|end_header_id|>\n\n]
 *            (<|begin_of_text|> is the tokenizer's BOS, not written here)
 *   llama2   [INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST] A</s><s>[INST] U [/INST]
 *            (the first <s> is the tokenizer's BOS)
 *   mistral  [INST] U [/INST] A</s>[INST] U [/INST]; a system message is
 *            prefixed to the next user message followed by "\n\n"
 *   gemma    <start_of_turn>user\nCONTENT<end_of_turn>\n ... the assistant
 *            role is "model"; a system message is prefixed to the next user
 *            message followed by "\n\n"; [<start_of_turn>model\n]
 *   phi3     <|ROLE|>\nCONTENT<|end|>\n ... [<|assistant|>\n]
 *   zephyr   <|ROLE|>\nCONTENT</s>\n ... [<|assistant|>\n]
 *
 * Content is copied verbatim (no trimming, no escaping).
 */
#include "cristal/llm.h"

#include <string.h>

static const char *const names[] = {"chatml", "llama3", "llama2", "mistral", "gemma", "phi3", "zephyr"};

const char *cr_chat_detect(const char *t)
{
	if (!t)
		return NULL;
	if (strstr(t, "<|im_start|>"))
		return "chatml";
	if (strstr(t, "<|start_header_id|>"))
		return "llama3";
	if (strstr(t, "<start_of_turn>"))
		return "gemma";
	if (strstr(t, "<|assistant|>") && strstr(t, "<|end|>"))
		return "phi3";
	if (strstr(t, "<|user|>"))
		return "zephyr";
	if (strstr(t, "[INST]"))
		return strstr(t, "<<SYS>>") ? "llama2" : "mistral";
	return NULL;
}

static int is(const char *a, const char *b) { return a && !strcmp(a, b); }

#define ADD(s)                                           \
	do {                                             \
		if ((e = cr_buf_adds(out, (s))))         \
			goto fail;                       \
	} while (0)

cr_err cr_chat_apply(const char *name, const char *template_text, const cr_chat_msg *msgs,
		     size_t n, int add_assistant, cr_buf *out, cr_msg *m)
{
	cr_err e = CR_OK;
	size_t len0 = out->len;
	if (!name) {
		name = cr_chat_detect(template_text);
		if (!name)
			return cr_fail(m, CR_ENOTFOUND, "chat: unknown template family (name one: "
					"chatml, llama3, llama2, mistral, gemma, phi3, zephyr)");
	}
	int known = 0;
	for (size_t i = 0; i < CR_ARRAY_LEN(names); i++)
		known |= !strcmp(name, names[i]);
	if (!known)
		return cr_fail(m, CR_EINVAL, "chat: unknown template '%s'", name);
	for (size_t i = 0; i < n; i++)
		if (!msgs[i].role || !msgs[i].content)
			return cr_fail(m, CR_EINVAL, "chat: message %zu has no role or content", i);

	if (is(name, "chatml")) {
		for (size_t i = 0; i < n; i++) {
			ADD("<|im_start|>"); ADD(msgs[i].role); ADD("\n");
			ADD(msgs[i].content); ADD("<|im_end|>\n");
		}
		if (add_assistant)
			ADD("<|im_start|>assistant\n");
	} else if (is(name, "llama3")) {
		for (size_t i = 0; i < n; i++) {
			ADD("<|start_header_id|>"); ADD(msgs[i].role); ADD("<|end_header_id|>\n\n");
			ADD(msgs[i].content); ADD("<|eot_id|>");
		}
		if (add_assistant)
			ADD("<|start_header_id|>assistant<|end_header_id|>\n\n");
	} else if (is(name, "llama2")) {
		int in_turn = 1;
		ADD("[INST] ");
		for (size_t i = 0; i < n; i++) {
			const char *r = msgs[i].role;
			if (!in_turn) {
				ADD("<s>[INST] ");
				in_turn = 1;
			}
			if (is(r, "system")) {
				ADD("<<SYS>>\n"); ADD(msgs[i].content); ADD("\n<</SYS>>\n\n");
			} else if (is(r, "assistant")) {
				ADD(" "); ADD(msgs[i].content); ADD("</s>");
				in_turn = 0;
			} else {
				ADD(msgs[i].content); ADD(" [/INST]");
			}
		}
	} else if (is(name, "mistral")) {
		const char *sys = NULL;
		for (size_t i = 0; i < n; i++) {
			const char *r = msgs[i].role;
			if (is(r, "system")) {
				sys = msgs[i].content;
			} else if (is(r, "assistant")) {
				ADD(" "); ADD(msgs[i].content); ADD("</s>");
			} else {
				ADD("[INST] ");
				if (sys) {
					ADD(sys); ADD("\n\n");
					sys = NULL;
				}
				ADD(msgs[i].content); ADD(" [/INST]");
			}
		}
	} else if (is(name, "gemma")) {
		const char *sys = NULL;
		for (size_t i = 0; i < n; i++) {
			const char *r = msgs[i].role;
			if (is(r, "system")) {
				sys = msgs[i].content;
				continue;
			}
			ADD("<start_of_turn>"); ADD(is(r, "assistant") ? "model" : r); ADD("\n");
			if (sys && !is(r, "assistant")) {
				ADD(sys); ADD("\n\n");
				sys = NULL;
			}
			ADD(msgs[i].content); ADD("<end_of_turn>\n");
		}
		if (add_assistant)
			ADD("<start_of_turn>model\n");
	} else { /* phi3, zephyr */
		const char *end = is(name, "phi3") ? "<|end|>\n" : "</s>\n";
		for (size_t i = 0; i < n; i++) {
			ADD("<|"); ADD(msgs[i].role); ADD("|>\n"); ADD(msgs[i].content); ADD(end);
		}
		if (add_assistant)
			ADD("<|assistant|>\n");
	}
	return CR_OK;
fail:
	out->len = len0;
	if (out->alloc)
		out->data[len0] = 0;
	return cr_fail(m, e, "chat: prompt too long");
}
