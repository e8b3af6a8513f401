#!/usr/bin/env bash
# server_web_admin.sh — the web UI's Agents and Admin pages end to end in
# headless Chromium (tests/node/web_admin.mjs): an admin logs in, runs a
# stored agent whose model is scripted (tests/provider/server.py, scenario
# agent) and reads its answer, citation and steps; adds a user and a token
# for it and suspends and resumes a provider; a member has no Admin tab.
# Then the audit log holds those actions with the admin's session as actor.
# Screenshots in $CR_BUILD_DIR/web-screenshots/ (agents.png, admin.png,
# admin-ja.png, admin-phone.png).
source "$CR_SOURCE_DIR/tests/server/lib.sh"
command -v node >/dev/null || exit 77
[ -x "${CR_CHROMIUM:-/usr/bin/chromium}" ] || { echo "chromium missing (scripts/install-deps.sh)"; exit 77; }
[ -d "$CR_SOURCE_DIR/tests/node/node_modules/playwright-core" ] || { echo "playwright-core missing (scripts/install-deps.sh)"; exit 77; }
make_data
mkdir -p "$tmp/policies"
cat >"$tmp/policies/travel-policy.md" <<'DOC'
# Travel policy

Travel above 3 nights needs the approval of a director. Economy class is the rule for flights under six hours.
DOC
c ingest "$tmp/policies" >/dev/null
start_provider
c provider add main --kind openai --url "http://127.0.0.1:$PP/agent/v1" --model m >/dev/null
echo "Which trips need a director's approval? Cite the policy." >"$tmp/instr.txt"
mkdir -p "$tmp/reports"
c agent create digest --instructions "$tmp/instr.txt" --tool search --tool read_document --tool list_sources \
	--tool meeting_actions --tool table_stats --tool write_report --out "$tmp/reports" --scope policies \
	--schedule '0 9 * * 1-5' >/dev/null || fail "agent create"
pw() { printf '%s\n' "$2" | c user add "$1" "${@:3}" --password-stdin >/dev/null; }
pw alice pw-alice-1 --role admin
pw frank pw-frank-1
start_server --threads 4
out="${CR_BUILD_DIR:-$tmp}/web-screenshots"
mkdir -p "$out"
node "$CR_SOURCE_DIR/tests/node/web_admin.mjs" "$U" alice pw-alice-1 frank pw-frank-1 "$out" >"$tmp/web.out" 2>&1 ||
	fail "web admin: $(cat "$tmp/web.out")"
grep -q "web admin: ok" "$tmp/web.out" || fail "web admin: $(cat "$tmp/web.out")"
for s in agents admin admin-ja admin-phone; do [ -s "$out/$s.png" ] || fail "no screenshot $s.png"; done

kill "$srv_pid"
wait "$srv_pid" 2>/dev/null || true
srv_pid=
c audit verify >"$tmp/v" || fail "the log does not verify: $(cat "$tmp/v")"
c audit export >"$tmp/log.jsonl"
python3 - "$tmp/log.jsonl" <<'PY' || fail "audit records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
def has(action, pred=lambda d: True):
    return any(r["actor"] == "user:alice" and r["action"] == action and pred(r["detail"]) for r in recs)
assert has("user.add", lambda d: d["name"] == "kenji" and d["groups"] == ["eng", "ops"] and d["via"] == "session")
assert has("token.create", lambda d: d["user"] == "kenji" and d["label"] == "laptop" and d["via"] == "session")
assert has("provider.suspend", lambda d: d["name"] == "main" and d["reason"] == "quota dispute")
assert has("provider.resume", lambda d: d["name"] == "main")
assert any(r["action"].startswith("agent") and "digest" in json.dumps(r["detail"]) for r in recs), "the agent's run"
PY
echo "server_web_admin: ok (screenshots in $out)"
