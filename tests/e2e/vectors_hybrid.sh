#!/usr/bin/env bash
# vectors_hybrid.sh — chunk embeddings and hybrid search end to end, with a
# scripted OpenAI-compatible embeddings server (tests/provider/server.py,
# scenario "bow": hashed bag-of-words vectors, so texts sharing words are
# near; plumbing, not quality):
#  - without vectors: search runs bm25 (--json says so), --mode vector and
#    eval ask --mode hybrid exit 2;
#  - `index vectors --provider` embeds every chunk once (the server counts
#    the texts), a second run embeds nothing; search then defaults to hybrid
#    and --mode vector ranks by the embeddings (found_by says which ranking);
#  - a later ingest embeds only its new chunks; a deleted document's chunks
#    never come back from the vectors;
#  - kill -9 during `index vectors` (slow server, small batches): the next
#    run starts after the last chunks saved, and every chunk ends with
#    exactly one vector;
#  - eval ask and ask run with hybrid retrieval, and so does the agent's
#    search tool.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
tmp=$(mktemp -d /tmp/cr_e2e_hybrid.XXXXXX)
srv=
bg=
cleanup() { [ -n "$bg" ] && kill -9 "$bg" 2>/dev/null; [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
python3 "$CR_SOURCE_DIR/tests/provider/server.py" >"$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
P=$(head -1 "$tmp/port")
[ -n "$P" ] || fail "the test server did not start"
texts() { curl -s "http://127.0.0.1:$P/$1/texts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
mkdir -p "$tmp/docs"
cat >"$tmp/docs/travel.md" <<'DOC'
# Travel policy

Travel above 3 nights needs the approval of a director. Economy class is the rule for flights.
DOC
cat >"$tmp/docs/garden.md" <<'DOC'
# Garden notes

Tomatoes need sun, water every morning, and a stake once they reach knee height.
DOC
cat >"$tmp/docs/doomed.md" <<'DOC'
# Zeppelin maintenance

Zeppelin envelopes are inspected for helium leaks every spring by the zeppelin crew.
DOC
c init >/dev/null
c ingest "$tmp/docs" >/dev/null

# no vectors yet
[ "$(c search --json tomatoes | jq_ 'd["mode"]')" = bm25 ] || fail "default mode without vectors"
set +e
c search --mode vector tomatoes 2>"$tmp/err"; rc=$?
set -e
[ $rc = 2 ] || fail "--mode vector without vectors gave $rc"
grep -q "index vectors" "$tmp/err" || fail "no hint: $(cat "$tmp/err")"

c provider add emb --kind openai --url "http://127.0.0.1:$P/bow/v1" --model e >/dev/null
c index vectors --provider emb --json >"$tmp/ix.json"
n_chunks=$(c stats 2>/dev/null | grep -oiE '[0-9]+ chunks' | grep -oE '[0-9]+' | head -1 || true)
emb=$(jq_ 'd["embedded"]' <"$tmp/ix.json")
[ "$emb" -ge 3 ] || fail "embedded $emb"
[ "$(jq_ 'd["vectors"]' <"$tmp/ix.json")" = "$emb" ] || fail "vectors != embedded: $(cat "$tmp/ix.json")"
[ "$(texts bow)" = "$emb" ] || fail "server saw $(texts bow) texts for $emb chunks"
[ "$(c index vectors --provider emb --json | jq_ 'd["embedded"]')" = 0 ] || fail "second run re-embedded"
[ "$(texts bow)" = "$emb" ] || fail "second run called the server"

c search --json -k 3 "tomatoes water sun" >"$tmp/s.json"
[ "$(jq_ 'd["mode"]' <"$tmp/s.json")" = hybrid ] || fail "default mode with vectors: $(cat "$tmp/s.json")"
[ "$(jq_ 'd["results"][0]["doc"].endswith("garden.md")' <"$tmp/s.json")" = True ] || fail "hybrid top: $(cat "$tmp/s.json")"
[ "$(jq_ 'd["results"][0]["found_by"]' <"$tmp/s.json")" = both ] || fail "found_by: $(cat "$tmp/s.json")"
# words only the embedding shares (no BM25 match: stems differ) still find it by vector
c search --json --mode vector -k 1 "knee stake morning" >"$tmp/v.json"
[ "$(jq_ 'd["mode"]' <"$tmp/v.json")" = vector ] || fail "vector mode"
[ "$(jq_ 'd["results"][0]["doc"].endswith("garden.md")' <"$tmp/v.json")" = True ] || fail "vector top: $(cat "$tmp/v.json")"

# a new document: only its chunks are embedded; a deleted one never comes back
cat >"$tmp/docs/bees.md" <<'DOC'
# Bees

The beehive is opened in May; honey is harvested in August by the beekeeper.
DOC
rm "$tmp/docs/doomed.md"
before=$(texts bow)
c ingest "$tmp/docs" >/dev/null
[ "$(( $(texts bow) - before ))" = 1 ] || fail "ingest embedded $(( $(texts bow) - before )) texts, expected the new chunk only"
c search --json --mode vector -k 10 "zeppelin helium envelopes crew" >"$tmp/z.json"
python3 - "$tmp/z.json" <<'PY' || fail "deleted document in vector results: $(cat "$tmp/z.json")"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
assert r and not any(x["doc"].endswith("doomed.md") for x in r), r
PY
c search --json --mode vector -k 1 "beehive honey beekeeper" | jq_ 'd["results"][0]["doc"]' | grep -q bees.md || fail "new chunk not searchable by vector"

# eval and ask with hybrid retrieval
printf '%s\n' '{"id":"q1","question":"Who approves travel above 3 nights?","answers":["director"],"sources":["docs/travel.md"]}' >"$tmp/q.jsonl"
c eval ask --questions "$tmp/q.jsonl" --mode hybrid --json >"$tmp/e.json"
[ "$(jq_ 'd["retrieval"]' <"$tmp/e.json")" = hybrid ] || fail "eval retrieval: $(cat "$tmp/e.json")"
[ "$(jq_ 'd["all"]["accuracy"]' <"$tmp/e.json")" = 1.0 ] || fail "eval: $(cat "$tmp/e.json")"
c ask --extractive --json "Who approves travel above 3 nights?" >"$tmp/a.json"
python3 - "$tmp/a.json" <<'PY' || fail "ask: $(cat "$tmp/a.json")"
import json, sys
a = json.load(open(sys.argv[1]))
assert "director" in a["answer"], a
assert any(r["retriever"] in ("both", "vector", "bm25") for r in a["retrieval"]), a
assert any(r["retriever"] == "both" for r in a["retrieval"]), a
PY

# the agent's search tool runs hybrid too: "travel approval director" matches
# one document by its words, and the vectors bring the others within k 3
c provider add agentm --kind openai --url "http://127.0.0.1:$P/agent/v1" --model m >/dev/null
c agent --provider agentm --json "Which trips need a director's approval?" >"$tmp/ag.json" 2>"$tmp/ag.err" ||
	fail "agent: $(cat "$tmp/ag.err")"
python3 - "$tmp/ag.json" <<'PY' || fail "agent search: $(cat "$tmp/ag.json")"
import json, sys
r = json.load(open(sys.argv[1]))
s = r["steps"][0]
assert s["tool"] == "search" and s["ok"], s
assert s["result_summary"].startswith(("2 passages", "3 passages")), s
assert r["citations"] and r["citations"][0]["doc"].endswith("travel.md"), r["citations"]
PY
c search --json --mode bm25 -k 3 "travel approval director" | jq_ 'len(d["results"])' | grep -qx 1 ||
	fail "words alone should find one document"

# kill -9 during embedding, then resume: every chunk ends with one vector
D2="$tmp/data2"
c2() { "$CR_BIN" --data "$D2" "$@"; }
c2 init >/dev/null
c2 ingest "$CR_SOURCE_DIR/samples" >/dev/null
c2 provider add slow --kind openai --url "http://127.0.0.1:$P/bowslow-k/v1" --model e >/dev/null
"$CR_BIN" --data "$D2" index vectors --provider slow --batch 2 --json >"$tmp/k1.json" 2>&1 &
bg=$!
for _ in $(seq 300); do ls "$D2/vectors/"b*.vix >/dev/null 2>&1 && break; sleep 0.1; done
ls "$D2/vectors/"b*.vix >/dev/null 2>&1 || fail "no batch file was written before the kill"
kill -9 "$bg"
wait "$bg" 2>/dev/null || true
bg=
sleep 0.5 # a request in flight reaches the server's count
sent1=$(texts bowslow-k)
c2 index vectors --provider slow --batch 16 --json >"$tmp/k2.json"
total=$(jq_ 'd["vectors"]' <"$tmp/k2.json")
emb2=$(jq_ 'd["embedded"]' <"$tmp/k2.json")
sent2=$(( $(texts bowslow-k) - sent1 ))
[ "$emb2" = "$sent2" ] || fail "resume: embedded $emb2 but sent $sent2"
[ "$emb2" -lt "$total" ] || fail "resume redid everything ($emb2 of $total)"
# every chunk has exactly one vector: as many as a fresh run makes
D3="$tmp/data3"
"$CR_BIN" --data "$D3" init >/dev/null
"$CR_BIN" --data "$D3" ingest "$CR_SOURCE_DIR/samples" >/dev/null
"$CR_BIN" --data "$D3" provider add emb --kind openai --url "http://127.0.0.1:$P/bow-fresh/v1" --model e >/dev/null
fresh=$("$CR_BIN" --data "$D3" index vectors --provider emb --json | jq_ 'd["vectors"]')
[ "$total" = "$fresh" ] || fail "after resume $total vectors, a fresh run has $fresh"
echo "ok: $emb chunks embedded; resume after kill -9 embedded $emb2 of $total"
