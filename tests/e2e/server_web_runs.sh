#!/usr/bin/env bash
# server_web_runs.sh — the web UI's ingest status (Sources), live agent runs
# with Cancel (Agents) and account settings in headless Chromium
# (tests/node/web_runs.mjs), against a scripted model that takes 0.5 s per
# turn (tests/provider/server.py, scenario agentslow); a member's own
# password and an admin's change of its role and groups. Then the catalog
# holds one canceled and one answered run, and the audit log the changes. Screenshots in
# $CR_BUILD_DIR/web-screenshots/ (sources.png, agents-live.png).
source "$CR_SOURCE_DIR/tests/server/lib.sh"
command -v node >/dev/null || exit 77
[ -x "${CR_CHROMIUM:-/usr/bin/chromium}" ] || { echo "chromium missing (scripts/install-deps.sh)"; exit 77; }
[ -d "$CR_SOURCE_DIR/tests/node/node_modules/playwright-core" ] || { echo "playwright-core missing (scripts/install-deps.sh)"; exit 77; }
make_data
pw() { printf '%s\n' "$2" | c user add "$1" "${@:3}" --password-stdin >/dev/null; }
pw alice pw-alice-1 --role admin
pw frank pw-frank-1
mkdir -p "$tmp/franks"
printf '# Frank notes\n\nThe Wombat project ships in March.\n' >"$tmp/franks/notes.md"
printf '%%PDF-1.7\nthis is not a PDF at all\n' >"$tmp/franks/broken.pdf"
c ingest "$tmp/franks" --acl user:frank >/dev/null 2>&1 || fail "ingest franks"
start_provider
c provider add slow --kind openai --url "http://127.0.0.1:$PP/agentslow/v1" --model m >/dev/null
echo "Which trips need approval?" >"$tmp/instr.txt"
c agent create slowpoke --instructions "$tmp/instr.txt" --tool search --scope samples --provider slow >/dev/null ||
	fail "agent create"
start_server --threads 4
out="${CR_BUILD_DIR:-$tmp}/web-screenshots"
mkdir -p "$out"
node "$CR_SOURCE_DIR/tests/node/web_runs.mjs" "$U" alice pw-alice-1 frank pw-frank-1 "$out" >"$tmp/web.out" 2>&1 ||
	fail "web runs: $(cat "$tmp/web.out")"
grep -q "web runs: ok" "$tmp/web.out" || fail "web runs: $(cat "$tmp/web.out")"
for s in sources agents-live account; do [ -s "$out/$s.png" ] || fail "no screenshot $s.png"; done
c agent show slowpoke --json >"$tmp/show.json"
py '
stops = sorted(x["stop"] for x in r["runs"])
assert stops == ["answer", "canceled"], r["runs"]
' "$tmp/show.json"
c audit export >"$tmp/log.jsonl"
python3 - "$tmp/log.jsonl" <<'PY' || fail "audit records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert any(r["action"] == "user.passwd" and r["actor"] == "user:frank" and r["detail"]["ok"] and r["detail"]["via"] == "session" for r in recs)
assert any(r["action"] == "user.set" and r["actor"] == "user:alice" and r["detail"]["role"] == "auditor" and r["detail"]["groups"] == ["eng", "ops"] for r in recs)
PY
echo "server_web_runs: ok (screenshots in $out)"
