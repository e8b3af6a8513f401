#!/usr/bin/env bash
# agent_schedule.sh — stored agents against a scripted model (the
# OpenAI-compatible test server, tests/provider/server.py, scenario
# agentgroup, which checks every tool message it gets): create refuses a
# bad schedule, an unknown group and a bad tool; an agent scoped to
# group:eng and offered three tools runs by hand and its retrieval never
# leaves the scope (the hr group's salaries are asked for by name, by search
# and by listing: nothing of them reaches the model or the answer; a tool not
# offered is refused); its answer goes to a report file; run as a user
# (--as, or a token over the API) the user's ACL filters too; run-due runs it only
# when its fire time (09:00 Asia/Tokyo) has come, once, and not again until
# the next, once for several missed fire times, and once when two run-due
# processes race; `agent show` lists the runs; cristal serve's scheduler
# runs a due agent and stops cleanly, and serves GET /api/agents and POST
# /api/agents/NAME/run; the audit log holds creation, runs and removal. "Now" is CR_TEST_NOW (unix seconds), the test-only clock of
# agent create / run / run-due.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
[ -f /usr/share/zoneinfo/Asia/Tokyo ] || { echo "no tzdata: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/cr_e2e_agentsched.XXXXXX)
srv=
serve=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null
	[ -n "$serve" ] && kill "$serve" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
at() { date -u -d "$1" +%s; } # an ISO time (UTC) as unix seconds

python3 "$CR_SOURCE_DIR/tests/provider/server.py" >"$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
P=$(head -1 "$tmp/port")
[ -n "$P" ] || fail "the test server did not start"

mkdir -p "$tmp/docs/eng" "$tmp/docs/hr" "$tmp/docs/public"
cat >"$tmp/docs/eng/oncall.md" <<'DOC'
# On-call

The on-call engineer answers pages within 15 minutes, day and night.
DOC
cat >"$tmp/docs/hr/salaries.md" <<'DOC'
# Salary bands

Salary bands for engineers: band E3 pays 9,000,000 yen. Salary reviews happen in April.
DOC
cat >"$tmp/docs/public/holidays.md" <<'DOC'
# Holidays

The office is closed from December 29 to January 3. Engineers on call still answer pages.
DOC
c init >/dev/null
c group add eng >/dev/null
c group add hr >/dev/null
c ingest --acl group:eng "$tmp/docs/eng" >/dev/null
c ingest --acl group:hr "$tmp/docs/hr" >/dev/null
c ingest "$tmp/docs/public" >/dev/null
c provider add main --kind openai --url "http://127.0.0.1:$P/agentgroup/v1" --model m >/dev/null
c provider default main >/dev/null
echo "Summarise what the on-call engineer must do, with sources." >"$tmp/instr.txt"

# refusals at create time, with the reason
refuse() { # want-in-message, args...
	local want=$1
	shift
	set +e
	c agent create "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	set -e
	[ "$rc" = 2 ] || fail "create $*: exit $rc $(cat "$tmp/err")"
	grep -q -- "$want" "$tmp/err" || fail "create $*: $(cat "$tmp/err")"
}
refuse "minute: 61 is out of range 0-59" bad --instructions "$tmp/instr.txt" --schedule "61 * * * *"
refuse "five are needed" bad --instructions "$tmp/instr.txt" --schedule "0 9 * *"
refuse "never fires" bad --instructions "$tmp/instr.txt" --schedule "0 9 30 2 *"
refuse "day-of-week: 9 is out of range" bad --instructions "$tmp/instr.txt" --schedule "0 9 * * 9"
refuse "no such group nosuch" bad --instructions "$tmp/instr.txt" --scope group:nosuch
refuse "--tool wants a built-in tool" bad --instructions "$tmp/instr.txt" --tool delete_everything
refuse "--instructions FILE is required" bad
refuse "give --out DIR" bad --instructions "$tmp/instr.txt" --tool write_report
refuse "agent name" "bad/name" --instructions "$tmp/instr.txt"
c agent list --json | python3 -c 'import json,sys; assert json.load(sys.stdin)["agents"] == []' ||
	fail "a refused agent was stored"

# a task that begins with a subcommand's word goes after --: it reaches the
# model as a task (whose script then finds all six tools offered)
set +e
c agent -- run the numbers >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "check failed: tools offered" "$tmp/err" || fail "agent -- run ...: exit $rc $(cat "$tmp/err")"
set +e
c agent run >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "agent run without a name: exit $rc"

# 2026-12-03 00:30 UTC is 09:30 in Tokyo: today's 09:00 has passed
NOW=$(at 2026-12-03T00:30:00Z)
CR_TEST_NOW=$NOW c agent create eng-digest --instructions "$tmp/instr.txt" --tool search --tool read_document \
	--tool list_sources --scope group:eng --schedule "0 9 * * *" --out "$tmp/reports" >"$tmp/out" ||
	fail "create: $(cat "$tmp/out")"
grep -q "next run: 2026-12-04 09:00 Asia/Tokyo" "$tmp/out" || fail "create: $(cat "$tmp/out")"
CR_TEST_NOW=$NOW c agent create by-hand --instructions "$tmp/instr.txt" >/dev/null
set +e
c agent create by-hand --instructions "$tmp/instr.txt" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "exists" "$tmp/err" || fail "a second by-hand: exit $rc $(cat "$tmp/err")"
c agent list --json >"$tmp/list.json"
python3 - "$tmp/list.json" <<'PY' || fail "list: $(cat "$tmp/list.json")"
import json, sys
a = {x["name"]: x for x in json.load(open(sys.argv[1]))["agents"]}
assert sorted(a) == ["by-hand", "eng-digest"], a
e = a["eng-digest"]
assert e["tools"] == ["search", "read_document", "list_sources"] and e["scopes"] == ["group:eng"], e
assert e["schedule"] == "0 9 * * *" and e["next_run"] == "2026-12-04T00:00:00Z" and e["time_zone"] == "Asia/Tokyo", e
h = a["by-hand"]
assert h["tools"] == ["search", "read_document", "list_sources", "meeting_actions", "table_stats"], h
assert h["schedule"] is None and h["next_run"] is None, h
PY

# a run by hand: scope enforced (the scripted model fails the run on any
# salary text it is sent), the tool not offered refused, the answer cited
CR_TEST_NOW=$NOW c agent run eng-digest --json >"$tmp/run.json" 2>"$tmp/err" || fail "run: $(cat "$tmp/err")"
python3 - "$tmp/run.json" <<'PY' || fail "run: $(cat "$tmp/run.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [s["tool"] for s in r["steps"]] == ["read_document", "search", "list_sources", "read_document", "write_report"], r["steps"]
assert not r["steps"][0]["ok"] and not r["steps"][4]["ok"], r["steps"]
assert r["stop"] == "answer" and "15 minutes" in r["answer"], r
assert "9,000,000" not in json.dumps(r) and "salaries.md" not in json.dumps(r["citations"]), r
assert len(r["citations"]) == 1 and "eng/oncall.md" in r["citations"][0]["doc"], r["citations"]
PY
ls "$tmp/reports"/eng-digest-20261203-0930*.md >/dev/null || fail "no report: $(ls "$tmp/reports")"
grep -q "15 minutes" "$tmp/reports"/eng-digest-20261203-0930*.md || fail "report: $(cat "$tmp/reports"/*)"

# as a user: that user's ACL filters too (bob is in hr only: the eng
# document is invisible, so the scripted model finds nothing to list)
c user add alice --group eng >/dev/null
c user add bob --group hr >/dev/null
CR_TEST_NOW=$NOW c agent run eng-digest --as alice --json >"$tmp/alice.json" 2>"$tmp/err" ||
	fail "run as alice: $(cat "$tmp/err")"
grep -q "15 minutes" "$tmp/alice.json" || fail "run as alice: $(cat "$tmp/alice.json")"
CR_TEST_NOW=$NOW c agent run eng-digest --as bob >/dev/null 2>"$tmp/err" && fail "run as bob saw the eng document"
grep -q "list_sources: \[\]" "$tmp/err" || fail "run as bob: $(cat "$tmp/err")"

# the same agent without its scope would read the salaries: the model's check fails
CR_TEST_NOW=$NOW c agent create eng-unscoped --instructions "$tmp/instr.txt" --tool search --tool read_document \
	--tool list_sources >/dev/null
CR_TEST_NOW=$NOW c agent run eng-unscoped >/dev/null 2>"$tmp/err" && fail "unscoped run passed the scope checks"
grep -q "check failed" "$tmp/err" || fail "unscoped: $(cat "$tmp/err")"
c agent rm eng-unscoped >/dev/null

# run-due: not before 09:00, once at 09:00, not again until the next day
due() { CR_TEST_NOW=$(at "$1") c agent run-due --json; }
n_ran() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ran"]))'; }
[ "$(due 2026-12-03T23:59:00Z | n_ran)" = 0 ] || fail "ran before its time"
due 2026-12-04T00:00:00Z >"$tmp/due.json"
python3 - "$tmp/due.json" <<'PY' || fail "run-due: $(cat "$tmp/due.json")"
import json, sys
r = json.load(open(sys.argv[1]))["ran"]
assert len(r) == 1 and r[0]["agent"] == "eng-digest" and r[0]["status"] == "ok", r
assert r[0]["report"].endswith("eng-digest-20261204-090000.md"), r
PY
[ "$(due 2026-12-04T00:00:30Z | n_ran)" = 0 ] || fail "ran twice for one fire time"
[ "$(due 2026-12-04T23:59:00Z | n_ran)" = 0 ] || fail "ran before the next fire time"
# fire times of 5 and 6 December missed: one run
[ "$(due 2026-12-06T03:00:00Z | n_ran)" = 1 ] || fail "missed fire times: not one run"
[ "$(due 2026-12-06T03:01:00Z | n_ran)" = 0 ] || fail "missed fire times: ran again"
# the text form
CR_TEST_NOW=$(at 2026-12-06T03:02:00Z) c agent run-due >"$tmp/out"
grep -qx "no agent is due" "$tmp/out" || fail "run-due text: $(cat "$tmp/out")"

# two run-due processes at once on one due agent: one run
NOW2=$(at 2026-12-07T00:00:00Z)
CR_TEST_NOW=$NOW2 c agent run-due --json >"$tmp/r1.json" &
p1=$!
CR_TEST_NOW=$NOW2 c agent run-due --json >"$tmp/r2.json" &
p2=$!
wait $p1 || fail "racing run-due 1"
wait $p2 || fail "racing run-due 2"
[ $(( $(n_ran <"$tmp/r1.json") + $(n_ran <"$tmp/r2.json") )) = 1 ] ||
	fail "racing run-due: $(cat "$tmp/r1.json" "$tmp/r2.json")"

# a run whose process died (a row left "running") is ended by the next
# run-due once it is an hour old
if command -v sqlite3 >/dev/null; then
	sqlite3 "$D/catalog.db" "INSERT INTO agent_runs(agent_id, kind, started, status)
		SELECT id, 'manual', $(( $(at 2026-12-07T00:10:00Z) * 1000 )), 'running' FROM agents WHERE name = 'by-hand'"
	due 2026-12-07T01:00:00Z >/dev/null
	c agent show by-hand --json | python3 -c 'import json,sys; r = json.load(sys.stdin)["runs"]; assert r[0]["status"] == "running", r' ||
		fail "a 50-minute-old run was abandoned"
	due 2026-12-07T01:10:01Z >/dev/null
	c agent show by-hand --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"]
assert r[0]["status"] == "failed" and "abandoned" in r[0]["error"] and r[0]["ended"], r' ||
		fail "a dead run was not ended: $(c agent show by-hand --json)"
fi

# agent show: settings and runs, newest first
c agent show eng-digest --json >"$tmp/show.json"
python3 - "$tmp/show.json" <<'PY' || fail "show: $(cat "$tmp/show.json")"
import json, sys
a = json.load(open(sys.argv[1]))
assert a["name"] == "eng-digest" and "on-call" in a["instructions"], a
runs = a["runs"]
assert [r["kind"] for r in runs] == ["schedule", "schedule", "schedule", "manual", "manual", "manual"], runs
bob = runs[3]
assert bob["status"] == "failed" and "check failed" in bob["error"] and bob["ended"], bob
runs = runs[:3] + runs[4:]
assert all(r["status"] == "ok" and r["steps"] == 5 and r["error"] is None for r in runs), runs
assert all(r["prompt_tokens"] == 66 and r["completion_tokens"] == 18 for r in runs), runs
assert runs[-1]["started"] == "2026-12-03T00:30:00Z" and runs[0]["started"] == "2026-12-07T00:00:00Z", runs
assert all(r["report"] and r["report"].endswith(".md") for r in runs), runs
assert a["next_run"] == "2026-12-08T00:00:00Z", a
PY
c agent show eng-digest >"$tmp/show.txt"
grep -q "schedule  0 9 \* \* \*" "$tmp/show.txt" && grep -c "^  #" "$tmp/show.txt" | grep -qx 6 ||
	fail "show text: $(cat "$tmp/show.txt")"

# a failing run is recorded with its error (the provider gone)
c provider add down --kind openai --url "http://127.0.0.1:1/v1" --model m >/dev/null
CR_TEST_NOW=$NOW c agent create broken --instructions "$tmp/instr.txt" --provider down >/dev/null
c agent run broken >/dev/null 2>&1 && fail "a run with no provider reachable passed"
c agent show broken --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"]
assert len(r) == 1 and r[0]["status"] == "failed" and r[0]["error"] and r[0]["ended"], r' ||
	fail "failed run: $(c agent show broken --json)"

# cristal serve's scheduler runs the due agent and stops cleanly
CR_TEST_NOW=$(at 2026-12-08T00:00:00Z) "$CR_BIN" --data "$D" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve=$!
ok=0
for _ in $(seq 150); do
	if c agent show eng-digest --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"]
sys.exit(0 if r[0]["started"] == "2026-12-08T00:00:00Z" and r[0]["status"] == "ok" else 1)' 2>/dev/null; then
		ok=1
		break
	fi
	sleep 0.2
done
[ $ok = 1 ] || fail "serve's scheduler did not run the due agent: $(cat "$tmp/serve.err")"
# the REST API: the agents with their last run, a run now, an unknown agent
U=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/serve.out" | head -1)
[ -n "$U" ] || fail "serve's address: $(cat "$tmp/serve.out")"
command -v curl >/dev/null || fail "no curl"
TA=$(c token create --user alice | tail -1)
TB=$(c token create --user bob | tail -1)
curl -sf -H "Authorization: Bearer $TA" "$U/api/agents" >"$tmp/api.json" || fail "GET /api/agents"
python3 - "$tmp/api.json" <<'PY' || fail "GET /api/agents: $(cat "$tmp/api.json")"
import json, sys
a = {x["name"]: x for x in json.load(open(sys.argv[1]))["agents"]}
e = a["eng-digest"]
assert e["scopes"] == ["group:eng"] and e["schedule"] == "0 9 * * *", e
assert e["last_run"]["kind"] == "schedule" and e["last_run"]["status"] == "ok", e
assert a["by-hand"]["last_run"]["status"] == "failed", a  # the abandoned run
PY
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/agents")" = 401 ] || fail "GET /api/agents without a token"
code=$(curl -s -o "$tmp/apirun.json" -w '%{http_code}' -H "Authorization: Bearer $TA" -X POST "$U/api/agents/eng-digest/run")
[ "$code" = 200 ] || fail "POST run: $code $(cat "$tmp/apirun.json")"
python3 - "$tmp/apirun.json" <<'PY' || fail "POST run: $(cat "$tmp/apirun.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["stop"] == "answer" and "15 minutes" in r["answer"] and "9,000,000" not in json.dumps(r), r
PY
# bob's run sees nothing of group eng (his ACL): the scripted model fails it
code=$(curl -s -o "$tmp/apirun.json" -w '%{http_code}' -H "Authorization: Bearer $TB" -X POST "$U/api/agents/eng-digest/run")
[ "$code" = 502 ] && grep -q "list_sources: \[\]" "$tmp/apirun.json" || fail "POST run as bob: $code $(cat "$tmp/apirun.json")"
code=$(curl -s -o "$tmp/apirun.json" -w '%{http_code}' -H "Authorization: Bearer $TA" -X POST "$U/api/agents/nosuch/run")
[ "$code" = 404 ] || fail "POST run of no agent: $code $(cat "$tmp/apirun.json")"
c agent show eng-digest --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"]
assert r[0]["kind"] == "api" and r[0]["status"] == "failed", r[0]
assert r[1]["kind"] == "api" and r[1]["status"] == "ok", r[1]' || fail "the API runs were not recorded"
kill -TERM $serve
for _ in $(seq 100); do kill -0 $serve 2>/dev/null || break; sleep 0.1; done
kill -0 $serve 2>/dev/null && fail "serve did not stop"
wait $serve || fail "serve exit: $(cat "$tmp/serve.err")"
serve=
grep -q "serve: stopped" "$tmp/serve.err" || fail "serve: $(cat "$tmp/serve.err")"

# removal, and the audit log
c agent rm eng-digest >/dev/null
set +e
c agent show eng-digest >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "no agent named eng-digest" "$tmp/err" || fail "show after rm: exit $rc"
c audit export --out "$tmp/audit.jsonl" >/dev/null
python3 - "$tmp/audit.jsonl" <<'PY' || fail "audit: $(head -c 3000 "$tmp/audit.jsonl")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
acts = [r["action"] for r in recs]
created = [r["detail"] for r in recs if r["action"] == "agent.create"]
assert [c["name"] for c in created] == ["eng-digest", "by-hand", "eng-unscoped", "broken"], created
assert created[0]["scopes"] == ["group:eng"] and created[0]["schedule"] == "0 9 * * *", created[0]
ends = [r["detail"] for r in recs if r["action"] == "agent.run.end" and r["detail"]["agent"] == "eng-digest"]
assert [e["kind"] for e in ends] == ["manual", "manual", "manual", "schedule", "schedule", "schedule", "schedule", "api", "api"], ends
assert ends[2]["status"] == "failed" and "check failed" in ends[2]["error"], ends[2]
runs = [r for r in recs if r["action"] == "agent.run" and r["detail"].get("agent") == "eng-digest"]
assert len(runs) == 7 and all(r["detail"]["stop"] == "answer" for r in runs), runs
assert " as alice" in runs[1]["actor"] and " as alice" in runs[6]["actor"], runs
assert [r["detail"]["name"] for r in recs if r["action"] == "agent.rm"] == ["eng-unscoped", "eng-digest"], acts
PY
c audit verify >/dev/null || fail "audit verify"
echo "ok: stored agents keep to their scope and tools; run-due runs each fire time once"
