// mcp_endpoint.mjs URL TOKEN — the official MCP SDK client against Cristal's
// MCP endpoint (streamable HTTP): connects (initialize handshake), lists the
// tools, calls search and ask, and checks what comes back. Prints "ok".
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import assert from "node:assert/strict";

const [url, token] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
	requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "cristal-test", version: "1.0.0" });
await client.connect(transport);
assert.equal(client.getServerVersion().name, "cristal");

const { tools } = await client.listTools();
assert.deepEqual(tools.map((t) => t.name), ["ask", "search", "read_document", "list_sources", "meeting_actions", "table_stats"]);

const s = await client.callTool({ name: "search", arguments: { query: "annual leave", k: 3 } });
assert.equal(s.isError, false);
const found = JSON.parse(s.content[0].text);
assert.ok(found.results.length > 0, s.content[0].text);

const a = await client.callTool({ name: "ask", arguments: { question: "How many days of annual leave do employees get?" } });
assert.equal(a.isError, false);
assert.match(a.content[0].text, /Sources:/);
assert.ok(a.structuredContent.citations.length > 0);

const bad = await client.callTool({ name: "read_document", arguments: { doc: "nothing/here.md" } });
assert.equal(bad.isError, true);

await assert.rejects(client.callTool({ name: "write_report", arguments: {} }), /write_report/);
await client.close();
console.log("ok");
