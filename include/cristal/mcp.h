/*
 * mcp.h — a Model Context Protocol client (protocol version 2025-06-18) and
 * the catalog's list of MCP servers.
 *
 * A client speaks JSON-RPC 2.0 to one server over one of two transports:
 *   stdio            the command is run with /bin/sh -c (posix_spawn); one
 *                    JSON message per line on its stdin and stdout, its
 *                    stderr read and logged (CR_LOG_DEBUG), the last 2 KiB kept
 *                    for error messages. Closing ends its stdin, waits up to a
 *                    second, then SIGTERM, then SIGKILL, and reaps it.
 *   streamable HTTP  every message is a POST to the URL (libcurl) with
 *                    Accept: application/json, text/event-stream; the reply
 *                    is one JSON message or an SSE stream carrying it. The
 *                    Mcp-Session-Id the server gives at initialize is sent
 *                    back on every later request, with MCP-Protocol-Version.
 * cr_mcp_connect runs the handshake (initialize, then the
 * notifications/initialized notification). Requests the server sends while a
 * reply is awaited are answered (ping with {}, anything else with "method
 * not found"); notifications are skipped.
 *
 * Hostile or broken servers: every wait is bounded by the timeout, every
 * message by max_msg bytes; garbage, a reply to another id, a server that
 * exits or closes the stream give CR_ECORRUPT / CR_EUPSTREAM / CR_ETIMEOUT
 * with a message that says which, never a hang or a crash.
 *
 * Threads: a cr_mcp is used by one thread at a time.
 */
#ifndef CRISTAL_MCP_H
#define CRISTAL_MCP_H

#include "cristal/base.h"
#include "cristal/store.h"

#define CR_MCP_PROTOCOL "2025-06-18"

typedef struct cr_mcp cr_mcp;

typedef struct cr_mcp_opts {
	const char *command;   /* stdio: a shell command line; or */
	const char *url;       /* streamable HTTP: http:// or https:// */
	const char *bearer;    /* HTTP only: Authorization: Bearer (NULL: none) */
	double timeout;        /* seconds per request (<= 0: 30) */
	size_t max_msg;        /* bytes per message (0: 8 MiB) */
	const cr_cancel *cancel; /* checked while waiting (NULL: never) */
} cr_mcp_opts;

/* Starts the transport and runs the handshake. *out is the caller's
 * (cr_mcp_close). CR_EINVAL: neither or both of command and url. */
CR_API cr_err cr_mcp_connect(const cr_mcp_opts *o, cr_mcp **out, cr_msg *m) CR_NODISCARD;
/* Ends the session (stdio: stops and reaps the child). NULL is fine. */
CR_API void cr_mcp_close(cr_mcp *c);
/* The server's name and version from initialize ("" if it gave none);
 * valid until cr_mcp_close. */
CR_API const char *cr_mcp_server_name(const cr_mcp *c);
CR_API const char *cr_mcp_server_version(const cr_mcp *c);

/* One tool a server offers. input_schema is its JSON Schema as compact JSON
 * text ("{\"type\":\"object\"}" when the server gave none). */
typedef struct cr_mcp_tool {
	const char *name;
	const char *description; /* "" when none */
	const char *input_schema;
} cr_mcp_tool;

/* All tools (tools/list, following nextCursor; at most 1,000 tools and 100
 * pages). Strings live in arena a. */
CR_API cr_err cr_mcp_tools(cr_mcp *c, cr_arena *a, cr_mcp_tool **tools, size_t *n, cr_msg *m) CR_NODISCARD;

/* Calls tool with args_json (a JSON object as text; NULL: {}). On CR_OK, out
 * holds the result's text content (text items joined by newlines, other
 * items as "[type mimeType]") and *is_error the result's isError: a tool
 * error is a result, not a failure. A JSON-RPC error reply is CR_EUPSTREAM
 * with the server's message. */
CR_API cr_err cr_mcp_call(cr_mcp *c, const char *tool, const char *args_json, cr_buf *out, int *is_error,
			  cr_msg *m) CR_NODISCARD;

/* ---- the catalog's MCP servers ------------------------------------------
 * Kept as one JSON object in the catalog's settings (key "mcp.servers"):
 * {"NAME": {"command": "..."} | {"url": "..."}}. Names: 1-64 of [A-Za-z0-9_-]
 * (they appear in tool names "mcp:NAME/TOOL"). */
typedef struct cr_mcp_server {
	const char *name;
	const char *command; /* NULL for HTTP */
	const char *url;     /* NULL for stdio */
} cr_mcp_server;

/* CR_EEXIST if the name is taken, CR_EINVAL for a bad name or row. */
CR_API cr_err cr_mcp_server_add(cr_store *s, const cr_mcp_server *r, cr_msg *m) CR_NODISCARD;
/* CR_ENOTFOUND if absent. */
CR_API cr_err cr_mcp_server_rm(cr_store *s, const char *name, cr_msg *m) CR_NODISCARD;
CR_API cr_err cr_mcp_server_get(cr_store *s, cr_arena *a, const char *name, cr_mcp_server *out,
				cr_msg *m) CR_NODISCARD;
/* All servers sorted by name, strings in a. */
CR_API cr_err cr_mcp_server_list(cr_store *s, cr_arena *a, cr_mcp_server **out, size_t *n, cr_msg *m) CR_NODISCARD;

/* Tool allow-lists: entries "mcp:NAME/TOOL" or "mcp:NAME/" "*". 1 if tool TOOL
 * of server NAME is allowed by one of the n entries. */
CR_API int cr_mcp_allowed(const char *const *allow, size_t n, const char *server, const char *tool);

#endif
