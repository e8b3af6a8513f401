#!/usr/bin/env bash
# server_hybrid.sh — the server retrieves as the CLI does when the corpus has
# vectors (src/server/vectors.c), with the scripted embeddings server
# (tests/provider/server.py, scenario "bow": hashed bag-of-words vectors;
# plumbing, not quality):
#  - GET /api/search runs hybrid by default ("mode": "hybrid", found_by),
#    mode=vector ranks by embeddings alone, mode=bm25 gives the BM25 bytes;
#    the results equal `cristal search --json` for the same query and mode;
#  - /api/ask's passages come from the hybrid search;
#  - an upload's chunks are embedded after its ingest (the embeddings
#    server counts them) and are found by vector at once;
#  - without vectors, mode=vector is a 400; with the embeddings server
#    gone, a search with no mode falls back to words ("mode": "bm25"), and
#    mode=vector is a 502.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
start_provider
texts() { curl -s "http://127.0.0.1:$PP/$1/texts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
printf '%s\n' pw-alice | c user add alice --role admin --password-stdin >/dev/null
TA=$(c token create --user alice | tail -1)
H=(-H "Authorization: Bearer $TA")

# no vectors yet: the server searches by words and refuses mode=vector
start_server --threads 4
curl -sf "${H[@]}" "$U/api/search?q=servo+lead+time" >"$tmp/s0.json" || fail "search"
py 'assert r["mode"] == "bm25" and r["results"], r' "$tmp/s0.json"
expect_error 400 GET "/api/search?q=servo&mode=vector" "${H[@]}"
grep -q "index vectors" "$tmp/body" || fail "no hint: $(cat "$tmp/body")"
expect_error 400 GET "/api/search?q=servo&mode=fuzzy" "${H[@]}"
kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true; srv_pid=

c provider add emb --kind openai --url "http://127.0.0.1:$PP/bow/v1" --model e >/dev/null
c index vectors --provider emb >/dev/null 2>&1 || fail "index vectors"
start_server --threads 4
q="buffer+stock+servos"
for mode in "" "&mode=vector" "&mode=bm25"; do
	curl -sf "${H[@]}" "$U/api/search?q=$q$mode" >"$tmp/s.json" || fail "search $mode"
	m=${mode#&mode=}
	c search --json ${m:+--mode "$m"} "buffer stock servos" >"$tmp/cli.json"
	python3 - "$tmp/s.json" "$tmp/cli.json" "${m:-hybrid}" <<'PY' || fail "search ${mode:-default}: $(head -c 400 "$tmp/s.json")"
import json, sys
s, c, mode = (json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3])
assert s["mode"] == mode, (s.get("mode"), mode)
assert [r["doc"] for r in s["results"]] == [r["doc"] for r in c["results"]], (s["results"], c["results"])
if mode == "hybrid":
    assert {r.get("found_by") for r in s["results"]} & {"both", "vector"}, s["results"]
PY
done

# ask: its passages come from the hybrid search
curl -sf "${H[@]}" "${J[@]}" -d '{"question":"Who approved the buffer stock of HM-40 servos?","extractive":true}' \
	"$U/api/ask" >"$tmp/a.json" || fail "ask"
py 'assert "Kenji" in r["answer"], r["answer"]
assert any(p["retriever"] in ("both", "vector") for p in r["retrieval"]), r["retrieval"]' "$tmp/a.json"

# an upload is embedded after its ingest and found by vector at once
before=$(texts bow)
printf '# Apiary\n\nThe beehive is opened in May; honey is harvested in August by the beekeeper.\n' >"$tmp/bees.md"
st=$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST "${H[@]}" --data-binary "@$tmp/bees.md" "$U/api/documents?name=bees.md")
[ "$st" = 201 ] || fail "upload: $st $(cat "$tmp/body")"
[ "$(( $(texts bow) - before ))" -ge 1 ] || fail "the upload's chunk was not embedded"
curl -sf "${H[@]}" "$U/api/search?q=beehive+honey+beekeeper&mode=vector&k=3" >"$tmp/v.json" || fail "vector search"
py 'assert r["mode"] == "vector" and any(x["doc"].endswith("bees.md") and x["found_by"] == "vector" for x in r["results"]), r' "$tmp/v.json"

# the embeddings server gone: words still work, a vector search says why
kill "$prov_pid"; wait "$prov_pid" 2>/dev/null || true; prov_pid=
kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true; srv_pid=
start_server --threads 4
curl -sf "${H[@]}" "$U/api/search?q=$q" >"$tmp/f.json" || fail "search without the embeddings server"
py 'assert r["mode"] == "bm25" and r["results"], r' "$tmp/f.json"
expect_error 502 GET "/api/search?q=$q&mode=vector" "${H[@]}"
grep -q "embedding the query" "$tmp/body" || fail "502 says: $(cat "$tmp/body")"
grep -q "searching by words" "$tmp/serve.err" || fail "the fallback was not logged"
echo "ok"
