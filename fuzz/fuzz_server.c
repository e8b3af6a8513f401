/* fuzz_server.c — the server's decoders of outside bytes (src/server/
 * decode.c): the first byte picks one, the rest is its input: the JSON
 * bodies of /api/ask, /api/login, the admin routes (case 9: the second byte
 * picks users, groups, tokens, a suspension, a user's change or a password
 * change; users' addresses come out normalised and each once), /mcp (JSON-RPC), /v1/chat/completions and /v1/embeddings, the listen
 * address, static file paths, integer arguments and search filters.
 * Nothing may crash or leak, and what a decoder accepts must keep its
 * promises (a non-empty question, a user of 1 to 64 bytes and a password of
 * 1 to 4,096 without NUL, messages within the cap with known
 * roles, paths without a dot segment, integers within their bounds). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	char *z = malloc(n + 1); /* NUL-terminated copy for the string decoders */
	if (!z)
		return 0;
	memcpy(z, p, n);
	z[n] = 0;
	cr_arena a;
	cr_arena_init(&a, 0);
	cr_msg m = {{0}};
	switch (data[0] % 10) {
	case 0: {
		srv_ask_req q;
		if (!srv_decode_ask(p, n, &a, &q, &m) &&
		    (!q.question || !*q.question || q.k < 0 || q.k > 100))
			abort();
		break;
	}
	case 1: {
		srv_chat_req q;
		if (!srv_decode_chat(p, n, &a, &q, &m)) {
			if (!q.model || !q.n_msgs || q.n_msgs > SRV_CHAT_MAX_MSGS || q.n_stop > SRV_CHAT_MAX_STOP)
				abort();
			for (size_t i = 0; i < q.n_msgs; i++)
				if (!q.msgs[i].role || strcmp(q.msgs[i].role, "developer") == 0)
					abort();
		}
		break;
	}
	case 2: {
		srv_embed_req q;
		if (!srv_decode_embed(p, n, &a, &q, &m)) {
			if (!q.n_inputs || q.n_inputs > SRV_EMBED_MAX_INPUTS)
				abort();
			for (size_t i = 0; i < q.n_inputs; i++)
				if (!q.inputs[i])
					abort();
		}
		break;
	}
	case 3: {
		char host[64];
		int port;
		if (!srv_parse_listen(z, host, sizeof host, &port, &m) && (port < 0 || port > 65535 || !*host))
			abort();
		break;
	}
	case 4:
		if (srv_path_safe(z, strlen(z)) && (strstr(z, "/../") || strstr(z, "/./") || strstr(z, "//") ||
						    (strlen(z) >= 3 && !strcmp(z + strlen(z) - 3, "/..")) || strchr(z, '\\')))
			abort();
		break;
	case 5: {
		long v;
		if (!srv_parse_int(z, -5, 1000, 7, &v, &m) && (v < -5 || v > 1000))
			abort();
		break;
	}
	case 6: {
		/* the text split in five fields at NUL bytes */
		const char *f[5] = {"", NULL, NULL, NULL, NULL};
		size_t at = 0;
		for (int i = 0; i < 5 && at <= n; i++) {
			f[i] = z + at;
			at += strlen(z + at) + 1;
		}
		const char *out;
		if (!srv_query_text(&a, f[0], f[1], f[2], f[3], f[4], &out, &m) && !out)
			abort();
		break;
	}
	case 7: {
		srv_login_req q;
		if (!srv_decode_login(p, n, &a, &q, &m)) {
			size_t lu = q.user ? strlen(q.user) : 0, lp = q.password ? strlen(q.password) : 0;
			if (lu < 1 || lu > 64 || lp < 1 || lp > 4096)
				abort();
		}
		break;
	}
	case 8: {
		srv_mcp_msg q;
		int code;
		cr_err e = srv_decode_mcp(p, n, &a, &q, &code, &m);
		if (!e && (code || (q.kind != SRV_MCP_RESPONSE && (!q.method || !*q.method || strlen(q.method) > 128)) ||
			   (q.kind == SRV_MCP_REQUEST) != (q.id != NULL)))
			abort();
		if (e && e != CR_ENOMEM && code != -32700 && code != -32600)
			abort();
		break;
	}
	case 9: {
		/* the second byte picks the body kind */
		srv_admin_req q;
		srv_admin_kind kind = (srv_admin_kind)(n ? (unsigned char)p[0] % 6 : 0);
		if (!srv_decode_admin(n ? p + 1 : p, n ? n - 1 : 0, kind, &a, &q, &m)) {
			if (kind == SRV_ADMIN_USER && (!q.name || !*q.name || strlen(q.name) > 64 || q.n_groups > SRV_ADMIN_MAX_GROUPS ||
						       (q.password && strlen(q.password) < 8)))
				abort();
			if (kind == SRV_ADMIN_TOKEN && (!q.user || !*q.user || q.days < 0 || q.days > 36500))
				abort();
			if (kind == SRV_ADMIN_SUSPEND && (!q.reason || !*q.reason))
				abort();
			if (kind == SRV_ADMIN_USER_SET && !q.role && !q.set_groups && !q.set_emails)
				abort();
			if (kind == SRV_ADMIN_PASSWORD && (!q.password || !*q.password || !q.new_password ||
							   strlen(q.new_password) < 8 || strlen(q.password) > 4096 ||
							   strlen(q.new_password) > 4096))
				abort();
			for (uint32_t i = 0; i < q.n_groups; i++)
				if (!q.groups[i] || !*q.groups[i])
					abort();
			/* addresses: each already in normal form, each once */
			if (q.n_emails > SRV_ADMIN_MAX_EMAILS)
				abort();
			for (uint32_t i = 0; i < q.n_emails; i++) {
				char norm[CR_EMAIL_MAX];
				size_t len = cr_email_norm(q.emails[i], strlen(q.emails[i]), norm, sizeof norm);
				if (!len || strcmp(norm, q.emails[i]))
					abort();
				for (uint32_t k = 0; k < i; k++)
					if (!strcmp(q.emails[k], q.emails[i]))
						abort();
			}
		}
		break;
	}
	}
	cr_arena_release(&a);
	free(z);
	return 0;
}
