/* fuzz_sse.c — arbitrary bytes as a model server's answer (outside bytes):
 * the event-stream framing fed in two pieces split where the first byte
 * says (a line may straddle reads), each event through the chat chunk
 * parser, then the same bytes as a whole chat completion body. Nothing may
 * crash or leak, and what the parsers keep must stay within their caps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider/provider_int.h"

static int sink(void *ctx, const char *t, size_t n)
{
	size_t *total = ctx;
	*total += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size ? data[0] % (size + 1) : 0;
	size_t streamed = 0;
	cr_chat_acc acc;
	cr_chat_acc_init(&acc, "fuzz", sink, &streamed);
	cr_sse sse;
	cr_sse_init(&sse);
	cr_msg m = {{0}};
	cr_err e = cr_sse_feed(&sse, (const char *)data, cut, cr_chat_acc_event, &acc, &m);
	if (!e)
		e = cr_sse_feed(&sse, (const char *)data + cut, size - cut, cr_chat_acc_event, &acc, &m);
	if (!e)
		e = cr_sse_end(&sse, cr_chat_acc_event, &acc, &m);
	if (streamed != acc.text.len || acc.n_calls > CR_TOOL_CALLS_MAX)
		abort();
	cr_provider_reply r;
	memset(&r, 0, sizeof r);
	cr_arena_init(&r.arena, 0);
	if (!e && cr_chat_acc_reply(&acc, &r) == CR_OK && (!r.text || r.len != acc.text.len))
		abort();
	cr_provider_reply_release(&r);
	cr_sse_release(&sse);
	cr_chat_acc_release(&acc);

	cr_chat_acc_init(&acc, "fuzz", NULL, NULL);
	CR_IGNORE(cr_chat_acc_body(&acc, (const char *)data, size, &m));
	cr_chat_acc_release(&acc);
	char why[200];
	cr_provider_error_text((const char *)data, size, why, sizeof why);
	return 0;
}
