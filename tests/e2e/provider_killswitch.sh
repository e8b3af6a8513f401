#!/usr/bin/env bash
# provider_killswitch.sh — `cristal provider suspend|resume` from the
# command line: a reason is required; the listing shows the suspension;
# ask with the suspended provider fails with the reason and the server
# receives nothing (it counts the calls), while a fallback of the same kind
# and trust answers; after resume the provider answers again; both changes
# are in the audit log.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null && command -v curl >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_killswitch.XXXXXX)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
count() { curl -s "http://127.0.0.1:$P/$1/count" | python3 -c "import json,sys; print(json.load(sys.stdin)['count'])"; }

python3 "$CR_SOURCE_DIR/tests/provider/server.py" >"$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
P=$(head -1 "$tmp/port")
[ -n "$P" ] || fail "the test server did not start"

mkdir -p "$tmp/docs"
echo "Travel above 3 nights needs the approval of a director." >"$tmp/docs/travel.txt"
c init >/dev/null
c ingest "$tmp/docs" >/dev/null
c provider add vendor --kind openai --url "http://127.0.0.1:$P/ok-vendor/v1" --model m >/dev/null
Q="How many nights of travel need a director?"

set +e
c provider suspend vendor >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ $rc = 2 ] || fail "suspend without --reason: exit $rc"
grep -q "reason" "$tmp/err" || fail "no reason asked for: $(cat "$tmp/err")"
if c provider suspend nosuch --reason x >/dev/null 2>&1; then fail "unknown provider suspended"; fi

c provider suspend vendor --reason "contract under review" >/dev/null
c provider list | grep -q "SUSPENDED: contract under review" || fail "list: $(c provider list)"
c provider list --json | python3 -c "import json,sys; r=json.load(sys.stdin); assert r[0]['suspended']=='contract under review', r" ||
	fail "list --json"
if c ask --provider vendor "$Q" >"$tmp/out" 2>"$tmp/err"; then fail "ask ran on a suspended provider"; fi
grep -q "vendor is suspended: contract under review" "$tmp/err" || fail "ask error: $(cat "$tmp/err")"
[ "$(count ok-vendor)" = 0 ] || fail "the suspended provider was called"

# a fallback of the same kind and trust answers instead
c provider add backup --kind openai --url "http://127.0.0.1:$P/ok-backup/v1" --model m >/dev/null
c ask --json --provider vendor "$Q" >"$tmp/a.json" 2>"$tmp/err" || fail "failover: $(cat "$tmp/err")"
[ "$(count ok-vendor)" = 0 ] || fail "the suspended provider was called on failover"
[ "$(count ok-backup)" = 1 ] || fail "the fallback was not called"

c provider resume vendor >/dev/null
c provider list | grep -q SUSPENDED && fail "still suspended after resume"
c ask --json --provider vendor "$Q" >"$tmp/a.json" 2>"$tmp/err" || fail "after resume: $(cat "$tmp/err")"
[ "$(count ok-vendor)" = 1 ] || fail "the resumed provider was not called"

c audit export >"$tmp/audit.jsonl"
grep -q '"action":"provider.suspend","detail":{"name":"vendor","reason":"contract under review"}' "$tmp/audit.jsonl" ||
	fail "suspension not audited"
grep -q '"action":"provider.resume"' "$tmp/audit.jsonl" || fail "resume not audited"
echo "provider_killswitch: ok"
