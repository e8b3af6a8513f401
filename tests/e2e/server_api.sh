#!/usr/bin/env bash
# server_api.sh — `cristal serve` over real HTTP on loopback, the REST API:
# search, ask (plain and streamed), documents, meetings, code, providers, usage, probes
# and metrics answer with the command line's bytes (search --json, ask
# --json, show --json); bad requests (unknown routes, wrong methods,
# malformed JSON, invalid UTF-8, path traversal, bodies over the cap,
# declared or chunked, out-of-range arguments) get a 4xx JSON error and the
# server stays up.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
start_server --threads 2

# probes
[ "$(status GET /healthz)" = 200 ] || fail healthz
[ "$(status GET /readyz)" = 200 ] || fail readyz
py 'assert r["status"] == "ready" and r["documents"] > 10, r' "$tmp/body"

# search: the command line's bytes
curl -sf "$U/api/search?q=annual+leave&k=5" >"$tmp/s.json" || fail search
c search --json -k 5 "annual leave" >"$tmp/s_cli.json"
cmp -s "$tmp/s.json" "$tmp/s_cli.json" || fail "search differs from search --json: $(diff "$tmp/s.json" "$tmp/s_cli.json" | head)"
py 'assert r["results"][0]["doc"].endswith("employee-handbook.md"), r' "$tmp/s.json"
# filters become query syntax
curl -sf "$U/api/search?q=travel&type=pdf" >"$tmp/f.json" || fail "search type filter"
py 'assert r["results"] and all(x["type"] == "pdf" for x in r["results"]), r' "$tmp/f.json"
curl -sf "$U/api/search?q=travel&path=samples/docs/" >"$tmp/f.json" || fail "search path filter"
py 'assert r["results"] and all(x["doc"].startswith("samples/docs/") for x in r["results"]), r' "$tmp/f.json"

# ask: the command line's bytes, plain
Q="How many days of annual leave do employees get?"
curl -sf "${J[@]}" -d "{\"question\": \"$Q\"}" "$U/api/ask" >"$tmp/a.json" || fail ask
c ask --json "$Q" >"$tmp/a_cli.json"
cmp -s "$tmp/a.json" "$tmp/a_cli.json" || fail "ask differs from ask --json"
py 'assert r["found"] and r["mode"] == "extractive" and "20" in r["answer"] and r["citations"], r' "$tmp/a.json"

# ask streamed: the deltas add up to the answer, then answer and done events
curl -sfN "${J[@]}" -d "{\"question\": \"$Q\", \"stream\": true}" "$U/api/ask" >"$tmp/a.sse" || fail "ask stream"
python3 - "$tmp/a.sse" "$tmp/a.json" <<'PY' || fail "ask stream: $(head -c 800 "$tmp/a.sse")"
import json, sys
events, ev = [], None
for line in open(sys.argv[1]).read().split("\n"):
    if line.startswith("event: "):
        ev = line[7:]
    elif line.startswith("data: "):
        events.append((ev, json.loads(line[6:])))
        ev = None
names = [e for e, _ in events]
assert names[-2:] == ["answer", "done"], names
text = "".join(d["text"] for e, d in events if e == "delta")
plain = json.load(open(sys.argv[2]))
assert text == plain["answer"], (text, plain["answer"])
assert events[-2][1] == plain, "the answer event is the plain answer"
assert names.count("delta") > 3, "streamed in pieces"
PY
# Accept: text/event-stream alone asks for a stream too
curl -sfN "${J[@]}" -H 'Accept: text/event-stream' -d "{\"question\": \"$Q\"}" "$U/api/ask" | grep -q '^event: done' ||
	fail "Accept: text/event-stream"

# documents: pages by id, each document as show --json prints it
curl -sf "$U/api/documents?limit=4" >"$tmp/d1.json" || fail documents
py 'assert len(r["documents"]) == 4 and r["next"] == r["documents"][-1]["id"], r' "$tmp/d1.json"
next=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$tmp/d1.json")
curl -sf "$U/api/documents?after=$next&limit=1000" >"$tmp/d2.json" || fail "documents page 2"
c stats --json >"$tmp/stats.json"
python3 - "$tmp/d1.json" "$tmp/d2.json" "$tmp/stats.json" <<'PY' || fail "document pages"
import json, sys
a, b, st = (json.load(open(p)) for p in sys.argv[1:])
ids = [d["id"] for d in a["documents"] + b["documents"]]
assert ids == sorted(set(ids)), ids
assert b["next"] is None
n = st.get("documents", st.get("catalog", {}).get("documents"))
assert len(ids) == n, (len(ids), n)
PY
name=samples/docs/employee-handbook.md
curl -sf "$U/api/documents/$name" >"$tmp/doc.json" || fail "document by name"
c show --json "$name" >"$tmp/doc_cli.json"
cmp -s "$tmp/doc.json" "$tmp/doc_cli.json" || fail "document differs from show --json"
id=$(python3 -c 'import json,sys; print([d["id"] for d in json.load(open(sys.argv[1]))["documents"] if d["name"] == sys.argv[2]][0])' \
	"$tmp/d2.json" "$name" 2>/dev/null ||
	python3 -c 'import json,sys; print([d["id"] for d in json.load(open(sys.argv[1]))["documents"] if d["name"] == sys.argv[2]][0])' "$tmp/d1.json" "$name")
curl -sf "$U/api/documents/$id" >"$tmp/doc_id.json" || fail "document by id"
cmp -s "$tmp/doc.json" "$tmp/doc_id.json" || fail "by id and by name differ"
expect_error 404 GET /api/documents/no/such/doc.md
expect_error 404 GET /api/documents/999999999

# providers and usage (none configured yet)
curl -sf "$U/api/providers" >"$tmp/p.json" || fail providers
py 'assert r == {"providers": []}, r' "$tmp/p.json"
curl -sf "$U/api/usage" >"$tmp/u.json" || fail usage
py 'assert r == {"usage": []}, r' "$tmp/u.json"

# bad requests: 4xx JSON errors
expect_error 404 GET /api/nope
expect_error 404 GET /v1/nope
expect_error 405 POST /api/search
expect_error 405 DELETE /api/ask
expect_error 400 POST /api/ask "${J[@]}" -d '{"question": '
expect_error 400 POST /api/ask "${J[@]}" -d '[1, 2]'
expect_error 400 POST /api/ask "${J[@]}" -d '{"question": 7}'
expect_error 400 POST /api/ask "${J[@]}" -d '{"question": "   "}'
expect_error 400 POST /api/ask "${J[@]}" -d '{"question": "x", "k": 1000}'
expect_error 400 POST /api/ask "${J[@]}" -d '{"question": "a", "question": "b"}'
expect_error 400 POST /api/ask "${J[@]}"
printf '{"question": "caf\xe9"}' >"$tmp/latin1.json"
expect_error 400 POST /api/ask "${J[@]}" --data-binary @"$tmp/latin1.json"
expect_error 415 POST /api/ask -H 'Content-Type: application/xml' -d '<q/>'
expect_error 400 GET '/api/search?q=%ff%fe'
expect_error 400 GET '/api/search?q='
expect_error 400 GET '/api/search?q=x&k=0'
expect_error 400 GET '/api/search?q=x&k=ten'
expect_error 400 GET '/api/search?q=x&type=a%20b'
expect_error 400 GET '/api/documents?limit=0'
expect_error 400 GET /../../etc/passwd --path-as-is
expect_error 400 GET /%2e%2e/%2e%2e/etc/passwd --path-as-is
expect_error 400 GET '/a/../../etc/passwd' --path-as-is
expect_error 404 GET /etc/passwd
head -c 1100000 /dev/zero | tr '\0' 'a' >"$tmp/big"
expect_error 413 POST /api/ask "${J[@]}" --data-binary @"$tmp/big"
expect_error 413 POST /api/ask "${J[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/big"
# a body just under the cap is read (and refused for what it is, not its size)
head -c 1000000 /dev/zero | tr '\0' 'a' | sed 's/^/{"question": "/; s/$/"}/' >"$tmp/under"
expect_error 400 POST /api/ask "${J[@]}" --data-binary @"$tmp/under"
# many headers: refused by libmicrohttpd, the server stays up
hdrs=()
for i in $(seq 2000); do hdrs+=(-H "X-Flood-$i: $(printf '%040d' "$i")"); done
got=$(curl -s -o /dev/null -w '%{http_code}' "${hdrs[@]}" "$U/healthz" || true)
case "$got" in 4*|000) ;; *) fail "header flood: status $got" ;; esac

# still up, and it counted all of that
[ "$(status GET /healthz)" = 200 ] || fail "the server is down after bad requests"
# analyses: the command line's bytes; reports as self-contained HTML
curl -sf "$U/api/meetings?scope=samples/meetings" >"$tmp/m.json" || fail "meetings"
c analyze meetings samples/meetings --json >"$tmp/m.cli"
cmp -s "$tmp/m.json" "$tmp/m.cli" || fail "/api/meetings differs from analyze meetings --json"
py 'assert len(r["meetings"]) >= 8 and any(m["actions"] for m in r["meetings"]), r' "$tmp/m.json"
curl -sf "$U/api/code?path=samples/code" >"$tmp/code.json" || fail "code"
c analyze code samples/code --json >"$tmp/code.cli"
cmp -s "$tmp/code.json" "$tmp/code.cli" || fail "/api/code differs from analyze code --json"
curl -sf -D "$tmp/h" "$U/api/reports/meetings?scope=samples/meetings" -o "$tmp/rep.html" || fail "report meetings"
grep -qi '^content-type: text/html' "$tmp/h" && grep -qi "^content-security-policy: default-src 'none'" "$tmp/h" || fail "report headers: $(cat "$tmp/h")"
grep -q '<svg' "$tmp/rep.html" && ! grep -q '<script' "$tmp/rep.html" || fail "report body"
curl -sf "$U/api/reports/code?path=samples/code" -o "$tmp/rc.html" && grep -q 'Lines by language' "$tmp/rc.html" || fail "report code"
curl -sf "$U/api/docs?scope=samples/docs" >"$tmp/docs.json" || fail "docs"
c analyze docs samples/docs --json >"$tmp/docs.cli"
cmp -s "$tmp/docs.json" "$tmp/docs.cli" || fail "/api/docs differs from analyze docs --json"
curl -sf "$U/api/reports/docs?scope=samples/docs" -o "$tmp/rd.html" && grep -q 'Documents by type' "$tmp/rd.html" || fail "report docs"
expect_error 404 GET '/api/code?path=no/such/place'

curl -sf "$U/metrics" >"$tmp/metrics" || fail metrics
grep -q '^cristal_http_requests_total{route="search",status="200"} [1-9]' "$tmp/metrics" || fail "metrics: search"
grep -q '^cristal_http_requests_total{route="ask",status="413"} 2$' "$tmp/metrics" || fail "metrics: 413s"
grep -q '^cristal_http_request_duration_seconds_bucket{route="ask",status="200",le="+Inf"} [1-9]' "$tmp/metrics" ||
	fail "metrics: latency histogram"
grep -q '^cristal_open_streams 0$' "$tmp/metrics" || fail "metrics: open streams"
grep -q '^cristal_index_entries [1-9]' "$tmp/metrics" || fail "metrics: index size"
grep -q '^cristal_documents [1-9]' "$tmp/metrics" || fail "metrics: documents"

# SIGTERM: a clean exit
kill -TERM "$srv_pid"
wait "$srv_pid" || fail "serve exited with $?"
srv_pid=
grep -q stopped "$tmp/serve.err" || fail "no stop message"
echo "server_api: ok"
