#!/usr/bin/env bash
# server_mcp.sh — the MCP endpoint (POST /mcp, streamable HTTP, protocol
# 2025-06-18): the initialize handshake, tools/list (ask, search,
# read_document, list_sources, meeting_actions, table_stats; no
# write_report), tools/call of each kind, JSON-RPC errors for bad JSON,
# batches, unknown methods and unknown tools, a foreign Origin, an unknown
# protocol version, GET, no token. Under the caller's token: a user of
# another tenant gets nothing of the default tenant's documents, and no
# caller gets a confidential document unless the configuration raises
# mcp_clearance. Every call is in the audit log. Then the official MCP SDK
# client (@modelcontextprotocol/sdk, tests/node/mcp_endpoint.mjs) lists and
# calls the tools, when the npm packages are installed.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
mkdir -p "$tmp/secret" "$tmp/acme"
cat >"$tmp/secret/merger.md" <<'DOC'
# Project Quillback

社外秘

The Quillback acquisition closes in March at a price of 913 billion yen.
DOC
cat >"$tmp/acme/roadmap.md" <<'DOC'
# Acme roadmap

The Zephyr gateway ships to acme customers in the second quarter.
DOC
c ingest "$tmp/secret" >/dev/null
c user add alice --role admin >/dev/null
c user add bob --tenant acme >/dev/null
c ingest --tenant acme "$tmp/acme" >/dev/null
TA=$(c token create --user alice | tail -1)
TB=$(c token create --user bob | tail -1)
start_server
A=(-H "Authorization: Bearer $TA" "${J[@]}" -H 'Accept: application/json, text/event-stream')
B=(-H "Authorization: Bearer $TB" "${J[@]}" -H 'Accept: application/json, text/event-stream')
rpc() { # rpc TOKENARGS... -- BODY: the reply in $tmp/body, the status printed
	local body=${*: -1}
	curl -s -o "$tmp/body" -w '%{http_code}' -X POST "${@:1:$#-1}" -d "$body" "$U/mcp"
}
call() { # call A|B TOOL ARGS-JSON
	local -n h=$1
	[ "$(rpc "${h[@]}" "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":$3}}")" = 200 ] ||
		fail "tools/call $2: $(cat "$tmp/body")"
}

# the handshake: our version, tools, who we are; no session is issued
curl -s -D "$tmp/h" -o "$tmp/body" -X POST "${A[@]}" -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' "$U/mcp"
py 'x = r["result"]; assert r["id"] == 1 and x["protocolVersion"] == "2025-06-18" and "tools" in x["capabilities"] and x["serverInfo"]["name"] == "cristal", r' "$tmp/body"
grep -qi '^mcp-session-id' "$tmp/h" && fail "a session id was issued"
[ "$(rpc "${A[@]}" '{"jsonrpc":"2.0","method":"notifications/initialized"}')" = 202 ] || fail "a notification is not 202"
[ "$(rpc "${A[@]}" '{"jsonrpc":"2.0","id":"p","method":"ping"}')" = 200 ] || fail "ping"
py 'assert r == {"jsonrpc": "2.0", "id": "p", "result": {}}, r' "$tmp/body"
[ "$(rpc "${A[@]}" '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')" = 200 ] || fail "tools/list"
py '
names = [t["name"] for t in r["result"]["tools"]]
assert names == ["ask", "search", "read_document", "list_sources", "meeting_actions", "table_stats"], names
assert all(t["inputSchema"]["type"] == "object" and t["description"] and t["annotations"]["readOnlyHint"] for t in r["result"]["tools"]), r' "$tmp/body"

# the tools, as alice
call A search '{"query": "annual leave", "k": 3}'
py 'x = r["result"]; assert not x["isError"]; t = x["content"][0]["text"]; assert "annual leave" in t.lower() and "\"n\": 1" in t.replace("\"n\":1", "\"n\": 1"), x' "$tmp/body"
DOC=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.loads(r["result"]["content"][0]["text"])["results"][0]["doc"])' "$tmp/body")
call A read_document "{\"doc\": \"$DOC\"}"
py 'x = r["result"]; assert not x["isError"] and "parts" in x["content"][0]["text"], x' "$tmp/body"
call A ask '{"question": "How many days of annual leave do employees get?"}'
py 'x = r["result"]; assert not x["isError"]; assert "Sources:" in x["content"][0]["text"] and x["structuredContent"]["citations"], x' "$tmp/body"
call A list_sources '{}'
py 'x = r["result"]; assert not x["isError"] and "merger.md" not in x["content"][0]["text"] and "documents" in x["content"][0]["text"], x' "$tmp/body"
call A read_document '{"doc": "nothing/here.md"}'
py 'x = r["result"]; assert x["isError"] and "no document named" in x["content"][0]["text"], x' "$tmp/body"
call A ask '{"question": ""}'
py 'assert r["result"]["isError"], r' "$tmp/body"

# the clearance: the confidential merger document is never returned
c show secret/merger.md | grep -q confidential || fail "the marker did not classify merger.md"
call A search '{"query": "Quillback acquisition price"}'
py 't = r["result"]["content"][0]["text"]; assert "merger.md" not in t and "913" not in t, r' "$tmp/body"
call A read_document '{"doc": "secret/merger.md"}'
py 'assert r["result"]["isError"] and "Quillback" not in r["result"]["content"][0]["text"], r' "$tmp/body"
call A ask '{"question": "What price does the Quillback acquisition close at?"}'
py 'assert "913" not in json.dumps(r) and "merger" not in json.dumps(r), r' "$tmp/body"
# ... which /api/search, at alice's own clearance, does find
curl -sf -H "Authorization: Bearer $TA" "$U/api/search?q=Quillback" | grep -q merger.md || fail "alice's own search misses merger.md"

# bob, of tenant acme: his document, none of the default tenant's
call B search '{"query": "Zephyr gateway"}'
py 'assert "roadmap.md" in r["result"]["content"][0]["text"], r' "$tmp/body"
call B search '{"query": "annual leave"}'
py 'assert "\"results\": []" in r["result"]["content"][0]["text"].replace("\"results\":[]", "\"results\": []"), r' "$tmp/body"
call B read_document "{\"doc\": \"$DOC\"}"
py 'assert r["result"]["isError"], r' "$tmp/body"
call B ask '{"question": "How many days of annual leave do employees get?"}'
py 'x = r["result"]; assert not x["structuredContent"]["citations"], x' "$tmp/body"

# protocol errors
[ "$(rpc "${A[@]}" '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"write_report","arguments":{}}}')" = 200 ] || fail "write_report status"
py 'assert r["error"]["code"] == -32602 and "write_report" in r["error"]["message"], r' "$tmp/body"
[ "$(rpc "${A[@]}" '{"jsonrpc":"2.0","id":4,"method":"resources/list"}')" = 200 ] || fail "unknown method status"
py 'assert r["id"] == 4 and r["error"]["code"] == -32601, r' "$tmp/body"
[ "$(rpc "${A[@]}" '{"jsonrpc":"2.0","id":5,')" = 400 ] || fail "bad JSON status"
py 'assert r["id"] is None and r["error"]["code"] == -32700, r' "$tmp/body"
[ "$(rpc "${A[@]}" '[{"jsonrpc":"2.0","id":6,"method":"ping"}]')" = 400 ] || fail "batch status"
py 'assert r["error"]["code"] == -32600 and "batch" in r["error"]["message"], r' "$tmp/body"
[ "$(rpc "${A[@]}" '{"jsonrpc":"1.0","id":7,"method":"ping"}')" = 400 ] || fail "jsonrpc 1.0 status"
py 'assert r["id"] == 7 and r["error"]["code"] == -32600, r' "$tmp/body"
[ "$(rpc "${A[@]}" '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":[1]}')" = 400 ] || fail "array params"
[ "$(rpc "${A[@]}" -H 'Origin: http://evil.example' '{"jsonrpc":"2.0","id":1,"method":"ping"}')" = 403 ] || fail "a foreign Origin"
[ "$(rpc "${A[@]}" -H "Origin: $U" '{"jsonrpc":"2.0","id":1,"method":"ping"}')" = 200 ] || fail "our own Origin"
[ "$(rpc "${A[@]}" -H 'MCP-Protocol-Version: 1999-01-01' '{"jsonrpc":"2.0","id":1,"method":"ping"}')" = 400 ] || fail "an unknown protocol version"
[ "$(rpc "${J[@]}" '{"jsonrpc":"2.0","id":1,"method":"ping"}')" = 401 ] || fail "no token"
expect_error 405 GET /mcp
expect_error 405 DELETE /mcp -H "Authorization: Bearer $TA"

# every call audited, with the chunks it returned
c audit export --out "$tmp/audit.jsonl" >/dev/null 2>&1
python3 - "$tmp/audit.jsonl" <<'PY' || fail "audit"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
calls = [r for r in recs if r["action"] == "mcp.call"]
assert len(calls) == 13, [r["detail"]["tool"] for r in calls]
s = calls[0]
assert s["actor"] == "user:alice" and s["detail"]["tool"] == "search" and s["detail"]["chunks"] and s["detail"]["ok"], s
assert any(r["actor"] == "user:bob" and r["detail"]["tool"] == "read_document" and not r["detail"]["ok"] for r in calls), calls
PY

# the official SDK client
if command -v node >/dev/null && [ -d "$CR_SOURCE_DIR/tests/node/node_modules/@modelcontextprotocol/sdk" ]; then
	node "$CR_SOURCE_DIR/tests/node/mcp_endpoint.mjs" "$U/mcp" "$TA" >"$tmp/node.out" 2>&1 || fail "MCP SDK client: $(cat "$tmp/node.out")"
	grep -q "^ok" "$tmp/node.out" || fail "MCP SDK client: $(cat "$tmp/node.out")"
else
	echo "skipped: the MCP SDK client (tests/node/node_modules missing: scripts/install-deps.sh --test)"
fi

# mcp_clearance = "confidential": the merger document is returned
kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true; srv_pid=
printf '[server]\nmcp_clearance = "confidential"\n' >"$tmp/c.toml"
printf '[server]\nmcp_clearance = "top"\n' >"$tmp/bad.toml"
if "$CR_BIN" --config "$tmp/bad.toml" --data "$D" serve --listen 127.0.0.1:0 >/dev/null 2>"$tmp/e"; then fail "a bad clearance was taken"; fi
grep -q "mcp_clearance" "$tmp/e" || fail "bad clearance: $(cat "$tmp/e")"
"$CR_BIN" --config "$tmp/c.toml" --data "$D" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv_pid=$!
for _ in $(seq 100); do grep -q 'http://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
U=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -1)
call A read_document '{"doc": "secret/merger.md"}'
py 'assert not r["result"]["isError"] and "Quillback" in r["result"]["content"][0]["text"], r' "$tmp/body"
echo ok
