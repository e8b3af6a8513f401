#!/usr/bin/env bash
# provider_ask.sh — `cristal ask` with a model behind a provider (the
# scripted OpenAI-compatible server, tests/provider/server.py): the model's
# crafted answer cites one sentence rightly ([1]) and one fabricated claim
# ([2]); the good citation is kept with its quote, the fabricated one removed
# and its sentence marked unverified; mode is model:NAME; the model saw the
# numbered passages and the question; --extractive and a fresh data
# directory without providers answer extractively; a failing default
# provider fails over to one of the same kind and trust, and with none the
# ask fails with the reason; the calls are metered.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_provask.XXXXXX)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$CR_SOURCE_DIR/tests/provider/server.py" >"$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
P=$(head -1 "$tmp/port")
[ -n "$P" ] || fail "the test server did not start"

mkdir -p "$tmp/docs"
cat >"$tmp/docs/travel-policy.md" <<'DOC'
# Travel policy

Travel above 3 nights needs the approval of a director. Economy class is the rule for flights under six hours.
DOC
cat >"$tmp/docs/expenses.md" <<'DOC'
# Travel expenses

Receipts for travel expenses are filed in the expense system within 30 days of the trip.
DOC
c init >/dev/null
c ingest "$tmp/docs" >/dev/null
Q="How many nights of travel need the approval of a director?"

# no provider: extractive, as on a fresh install
c ask --json "$Q" >"$tmp/x.json"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['mode']=='extractive', r" "$tmp/x.json" ||
	fail "no provider: $(cat "$tmp/x.json")"

c provider add answerer --kind openai --url "http://127.0.0.1:$P/answer/v1" --model m --price-in 1 >/dev/null
c ask --json "$Q" >"$tmp/a.json" 2>"$tmp/err" || fail "ask: $(cat "$tmp/err")"
python3 - "$tmp/a.json" <<'PY' || fail "model answer: $(cat "$tmp/a.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "model:answerer", r["mode"]
cites = r["citations"]
assert [c["n"] for c in cites] == [1], cites
assert "travel-policy.md" in cites[0]["doc"], cites
assert "director" in cites[0]["quote"], cites
un = r["unverified"]
assert [u["n"] for u in un] == [2], un
assert "first-class" in un[0]["sentence"], un
import re
assert re.search(r"Travel above 3 nights needs the approval of a director\.? ?\[1\]", r["answer"]), r["answer"]
assert "unverified" in r["answer"] and "[2]" not in r["answer"], r["answer"]
PY
# the text output: the answer, then its one source
c ask "$Q" >"$tmp/a.txt"
grep -q "^\[1\] .*travel-policy.md" "$tmp/a.txt" || fail "text output: $(cat "$tmp/a.txt")"
grep -q "^\[2\] removed" "$tmp/a.txt" || fail "text output lacks the removal: $(cat "$tmp/a.txt")"

# streamed: --timing has the provider stream and says when its first text came
c ask --timing "$Q" >/dev/null 2>"$tmp/t.err" || fail "ask --timing: $(cat "$tmp/t.err")"
grep -Eq '^timing: retrieval [0-9.]+ ms, first text [0-9]*[1-9][0-9]*\.[0-9] ms, total [0-9.]+ ms' "$tmp/t.err" ||
	grep -Eq '^timing: retrieval [0-9.]+ ms, first text 0\.[1-9] ms' "$tmp/t.err" || fail "timing: $(cat "$tmp/t.err")"
# on a terminal the draft streams in, then the verified answer (it differs: [2] was removed)
if command -v script >/dev/null; then
	script -qec "$CR_BIN --data $D ask '$Q'" /dev/null >"$tmp/tty.txt" 2>&1 || fail "ask on a terminal: $(cat "$tmp/tty.txt")"
	grep -q "Verified:" "$tmp/tty.txt" && grep -q "first-class flights" "$tmp/tty.txt" ||
		fail "the terminal did not get the draft and the verified answer: $(cat -v "$tmp/tty.txt" | head -20)"
fi

# what the model was given: the numbered passages and the question
c provider add echo --kind openai --url "http://127.0.0.1:$P/echo/v1" --model m >/dev/null
c ask --provider echo --json "$Q" >"$tmp/e.json"
python3 - "$tmp/e.json" "$Q" <<'PY' || fail "echo: $(cat "$tmp/e.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "model:echo", r
# the echoed request has no verified citation: never shown as fact
assert r["answer"] == "The sources do not say.", r["answer"]
PY
CRISTAL_DATA="$D" "$CR_BIN" -v ask --provider echo "$Q" 2>"$tmp/log" >/dev/null || true
grep -q 'Sources:' "$tmp/log" && grep -q '\[1\] ' "$tmp/log" && grep -q 'Question: How many nights' "$tmp/log" ||
	fail "the prompt as sent: $(head -c 2000 "$tmp/log")"

c ask --extractive --json "$Q" >"$tmp/x.json"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['mode']=='extractive', r" "$tmp/x.json" ||
	fail "--extractive: $(cat "$tmp/x.json")"

# a failing default provider: its fallbacks (same kind, same trust) answer...
c provider add down --kind openai --url "http://127.0.0.1:$P/e500/v1" --model m --default >/dev/null
c ask --json "$Q" >"$tmp/f.json" 2>/dev/null || fail "failover ask failed"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['mode']=='model:answerer', r" "$tmp/f.json" ||
	fail "failover: $(cat "$tmp/f.json")"
# ...and with none (the only onprem provider), the ask fails with the reason
c provider add down2 --kind openai --url "http://127.0.0.1:$P/e500/v1" --model m --trust onprem --default >/dev/null
c ask "$Q" >/dev/null 2>"$tmp/err" && fail "ask through a failing provider succeeded"
grep -q "HTTP 500" "$tmp/err" || fail "failing provider: $(cat "$tmp/err")"
c ask --provider nope "$Q" 2>"$tmp/err" && fail "unknown provider accepted"
grep -q "no provider named nope" "$tmp/err" || fail "unknown provider: $(cat "$tmp/err")"

# the plumbing with the local engine (a random-weight story model: whatever it
# writes has no verified citation, so the answer says the sources do not say)
if [ -n "${CR_SHARED_DATA:-}" ] && [ -f "$CR_SHARED_DATA/gguf-models/stories260K.gguf" ]; then
	c model add "$CR_SHARED_DATA/gguf-models/stories260K.gguf" --name stories >/dev/null
	c provider add loc --kind local --model stories >/dev/null
	c ask --provider loc --json "$Q" >"$tmp/l.json" 2>"$tmp/err" || fail "local ask: $(cat "$tmp/err")"
	python3 - "$tmp/l.json" <<'PY' || fail "local ask: $(cat "$tmp/l.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "model:loc", r
assert r["found"] is False and r["answer"] == "The sources do not say." and r["citations"] == [], r
assert len(r["retrieval"]) == 2, r
PY
fi

c usage --json >"$tmp/u.json"
python3 - "$tmp/u.json" <<'PY' || fail "usage: $(cat "$tmp/u.json")"
import json, sys
rows = {r["provider"]: r for r in json.load(open(sys.argv[1]))["rows"]}
assert rows["answerer"]["calls"] == 5 and rows["answerer"]["failed"] == 0, rows  # 3, and 2 streamed
assert rows["answerer"]["prompt_tokens"] == 55, rows
assert rows["down"]["failed"] == 1 and rows["down2"]["failed"] == 1, rows
PY
echo "provider_ask: ok"
