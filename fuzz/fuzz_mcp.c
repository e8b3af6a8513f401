/* fuzz_mcp.c — arbitrary bytes as what an MCP server sends (outside
 * bytes): the whole input as one JSON-RPC message through the classifier,
 * then the same bytes as a streamable-HTTP SSE reply split where the first
 * byte says, each event handed to the waiting client as stdio lines would
 * be. Nothing may crash or leak; a classified message must hold what its
 * kind promises, and the SSE decoder must stay within its cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp_int.h"

static cr_err on_event(void *ctx, const char *data, size_t n, cr_msg *m)
{
	cr_mcp_wait *w = ctx;
	if (n > 4096)
		abort(); /* over the cap given below */
	CR_IGNORE(cr_mcp_on_message(w, data, n, m));
	return CR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_mcp_msg msg;
	cr_msg m = {{0}};
	if (cr_mcp_msg_parse((const char *)data, size, &msg, &m) == CR_OK) {
		if ((msg.kind != CR_MCP_NOTIFICATION && !msg.id) || (msg.kind != CR_MCP_RESPONSE && !msg.method) ||
		    (msg.kind == CR_MCP_RESPONSE && !msg.result && !msg.error))
			abort();
		json_decref(msg.root);
	}
	size_t cut = size ? data[0] % (size + 1) : 0;
	cr_mcp_wait w = {.c = NULL, .id = 1};
	cr_mcp_sse sse;
	cr_mcp_sse_init(&sse, 4096);
	cr_err e = cr_mcp_sse_feed(&sse, (const char *)data, cut, on_event, &w, &m);
	if (!e)
		e = cr_mcp_sse_feed(&sse, (const char *)data + cut, size - cut, on_event, &w, &m);
	if (!e)
		CR_IGNORE(cr_mcp_sse_end(&sse, on_event, &w, &m));
	if (sse.line.len > 4096 || sse.data.len > 4096)
		abort();
	cr_mcp_sse_release(&sse);
	if (w.done) {
		if (!json_is_integer(w.reply.id) || json_integer_value(w.reply.id) != 1)
			abort();
		json_decref(w.reply.root);
	}
	return 0;
}
