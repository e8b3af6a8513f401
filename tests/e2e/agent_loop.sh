#!/usr/bin/env bash
# agent_loop.sh — `cristal agent TASK` against a scripted model (the
# OpenAI-compatible test server, tests/provider/server.py, agent* scenarios)
# on loopback. The scripted model checks every tool message it receives
# (HTTP 400 "check failed" otherwise), so a pass means the results really
# went back: tool selection and results passed back (search, then
# read_document of the document search found), the final answer's
# fabricated [7] removed and the real citation kept; malformed arguments,
# an unknown tool, bad arguments and a repeated call answered as tool
# errors the run survives; the step budget; a tool failing every turn ends
# the run; scope enforcement (an out-of-scope document read, searched for
# and listed: nothing of it reaches the model); the egress rule (nothing
# confidential reaches an external provider's model); no provider: exit 2 with
# the way to add one; the tool calls and the run in the audit log.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_agentloop.XXXXXX)
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

mkdir -p "$tmp/docs/public" "$tmp/docs/hr"
cat >"$tmp/docs/public/travel-policy.md" <<'DOC'
# Travel policy

Travel above 3 nights needs the approval of a director. Economy class is the rule for flights under six hours.
DOC
cat >"$tmp/docs/public/expenses.md" <<'DOC'
# Travel expenses

Receipts for travel expenses are filed in the expense system within 30 days of the trip.
DOC
cat >"$tmp/docs/hr/salaries.md" <<'DOC'
# Salary bands

Salary bands for engineers: band E3 pays 9,000,000 yen. Salary reviews happen in April.
DOC
c init >/dev/null
c ingest "$tmp/docs" >/dev/null

# no provider: a clear message and exit 2, no loop faked
set +e
c agent "What needs a director's approval?" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "no provider: exit $rc, $(cat "$tmp/err")"
grep -q "needs a model" "$tmp/err" && grep -q "cristal provider add" "$tmp/err" || fail "no provider: $(cat "$tmp/err")"

add() { c provider add "$1" --kind openai --url "http://127.0.0.1:$P/$2/v1" --model m >/dev/null; }
add main agent
c provider default main >/dev/null

# tool selection, results passed back, citation verification
c agent --json "Which trips need a director's approval?" >"$tmp/a.json" 2>"$tmp/err" || fail "agent: $(cat "$tmp/err")"
python3 - "$tmp/a.json" <<'PY' || fail "agent run: $(cat "$tmp/a.json")"
import json, sys, re
r = json.load(open(sys.argv[1]))
assert [s["tool"] for s in r["steps"]] == ["search", "read_document"], r["steps"]
assert r["steps"][0]["arguments"] == {"query": "travel approval director", "k": 3}, r["steps"][0]
assert all(s["ok"] for s in r["steps"]) and all("ms" in s for s in r["steps"]), r["steps"]
assert "passage" in r["steps"][0]["result_summary"], r["steps"][0]
assert "travel-policy.md" in r["steps"][1]["result_summary"], r["steps"][1]
assert r["stop"] == "answer", r
cites = r["citations"]
assert len(cites) == 1 and "travel-policy.md" in cites[0]["doc"] and "director" in cites[0]["quote"], cites
assert [u["n"] for u in r["unverified"]] == [7], r["unverified"]
assert "[7]" not in r["answer"] and "unverified" in r["answer"], r["answer"]
assert re.search(r"director\.? ?\[%d\]" % cites[0]["n"], r["answer"]), r["answer"]
assert r["usage"]["model_calls"] == 3 and r["usage"]["prompt_tokens"] == 33, r["usage"]
PY
# the text output: every step as it happens, then the answer and its source
c agent "Which trips need a director's approval?" >"$tmp/a.txt" 2>"$tmp/err" || fail "agent text: $(cat "$tmp/err")"
grep -q '^step 1: search {"query": "travel approval director", "k": 3}' "$tmp/a.txt" || fail "steps: $(cat "$tmp/a.txt")"
grep -q '^step 2: read_document' "$tmp/a.txt" || fail "steps: $(cat "$tmp/a.txt")"
grep -q '^\[[0-9]*\] .*travel-policy.md' "$tmp/a.txt" || fail "sources: $(cat "$tmp/a.txt")"
grep -q '^\[7\] removed' "$tmp/a.txt" || fail "removal: $(cat "$tmp/a.txt")"

# malformed, unknown, bad arguments, repeated: tool errors, and the run answers
add bad agentbad
c agent --provider bad --json "Find the travel policy" >"$tmp/b.json" 2>"$tmp/err" || fail "agentbad: $(cat "$tmp/err")"
python3 - "$tmp/b.json" <<'PY' || fail "agentbad: $(cat "$tmp/b.json")"
import json, sys
r = json.load(open(sys.argv[1]))
st = r["steps"]
assert [s["tool"] for s in st] == ["search", "delete_everything", "search", "search", "search"], st
assert [s["ok"] for s in st] == [False, False, True, False, False], st
assert st[0]["arguments"] == '{"query": "travel', st[0]
assert "not valid JSON" in st[0]["result_summary"] and "unknown tool" in st[1]["result_summary"], st
assert "repeated call" in st[4]["result_summary"], st
assert r["stop"] == "answer" and r["answer"] == "Done.", r
PY

# the step budget: a model that calls tools forever stops after --max-steps
add loop agentloop
set +e
c agent --provider loop --max-steps 3 --json "Search forever" >"$tmp/l.json" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "max-steps: exit $rc, $(cat "$tmp/err")"
python3 - "$tmp/l.json" <<'PY' || fail "max-steps: $(cat "$tmp/l.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["steps"]) == 3 and r["stop"] == "max_steps" and r["answer"] is None, r
assert r["usage"]["model_calls"] == 4, r["usage"]
PY
grep -q "stopped without an answer (max_steps)" "$tmp/err" || fail "max-steps message: $(cat "$tmp/err")"
# the token budget: 14 tokens a call
set +e
c agent --provider loop --max-tokens 20 --json "Search forever" >"$tmp/t.json" 2>/dev/null
set -e
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['stop']=='max_tokens' and r['usage']['model_calls']==2, r" \
	"$tmp/t.json" || fail "max-tokens: $(cat "$tmp/t.json")"

# a tool failing every turn ends the run after --max-failures
add failing agentfail
set +e
c agent --provider failing --json "Read the missing files" >"$tmp/f.json" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "tool failures: exit $rc"
python3 - "$tmp/f.json" <<'PY' || fail "tool failures: $(cat "$tmp/f.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["steps"]) == 3 and r["stop"] == "tool_failures", r
assert "3 tool calls in a row failed" in r["stop_detail"], r
PY

# scope: nothing outside docs/public reaches the model (the server checks
# every tool message for the salary document)
add scoped agentscope
c agent --provider scoped --scope docs/public --json "What are the salary bands?" >"$tmp/s.json" 2>"$tmp/err" ||
	fail "scope: $(cat "$tmp/err")"
python3 - "$tmp/s.json" <<'PY' || fail "scope: $(cat "$tmp/s.json")"
import json, sys
r = json.load(open(sys.argv[1]))
st = r["steps"]
assert [s["tool"] for s in st] == ["read_document", "search", "list_sources", "read_document"], st
assert not st[0]["ok"] and "no document named" in st[0]["result_summary"], st
assert st[1]["ok"] and st[1]["result_summary"] == "no passage found", st
assert st[2]["ok"] and st[2]["result_summary"] == "2 documents", st
assert not st[3]["ok"] and r["stop"] == "answer", r
PY
# the same script without the scope reads the document: the server's check fails
c agent --provider scoped --json "What are the salary bands?" >/dev/null 2>"$tmp/err" && fail "unscoped run passed the scope checks"
grep -q "check failed" "$tmp/err" || fail "unscoped: $(cat "$tmp/err")"

# the egress rule: marked confidential, the salary document never reaches
# an external provider's model through the tools, scope or not (the same
# script passes), while an onprem provider is cleared for it (the script's
# check then fails, so this test can fail)
printf '\nCONFIDENTIAL\n' >>"$tmp/docs/hr/salaries.md"
c ingest "$tmp/docs" >/dev/null
c show docs/hr/salaries.md | grep -q "confidential" || fail "the marker did not classify the document"
c agent --provider scoped --json "What are the salary bands?" >"$tmp/e.json" 2>"$tmp/err" ||
	fail "egress: the external provider's tools saw the confidential document: $(cat "$tmp/err")"
c provider add cleared --kind openai --trust onprem --url "http://127.0.0.1:$P/agentscope/v1" --model m >/dev/null
c agent --provider cleared --json "What are the salary bands?" >/dev/null 2>"$tmp/err" &&
	fail "an onprem provider was not given the confidential document"
grep -q "check failed" "$tmp/err" || fail "onprem: $(cat "$tmp/err")"

# the audit log: every tool call with its chunks, and the runs
c audit export --out "$tmp/audit.jsonl" >/dev/null
python3 - "$tmp/audit.jsonl" <<'PY' || fail "audit: $(head -c 3000 "$tmp/audit.jsonl")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
tools = [r for r in recs if r["action"] == "agent.tool"]
runs = [r for r in recs if r["action"] == "agent.run"]
assert runs and tools, [r["action"] for r in recs]
first = tools[0]["detail"]
assert first["tool"] == "search" and first["arguments"]["query"] == "travel approval director", first
assert first["chunks"] and all(isinstance(x, int) for x in first["chunks"]), first
assert runs[0]["detail"]["stop"] == "answer" and runs[0]["detail"]["cited"], runs[0]
assert any(r["detail"]["stop"] == "max_steps" for r in runs), runs
PY
c audit verify >/dev/null || fail "audit verify"
echo ok
