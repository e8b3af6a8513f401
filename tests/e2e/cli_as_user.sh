#!/usr/bin/env bash
# cli_as_user.sh — `search --as USER` and `ask --as USER` run as a catalog
# user: a user of another tenant finds none of the default tenant's
# documents (search, ask), a user of the default tenant does; an unknown
# user is an error; the user's quota applies on the command line as on the
# API (over it: exit 1, the limit named, nothing printed on stdout), the
# requests are counted to the user in `usage --by user`, and the audit log
# names the user the command ran as.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
c user add alice --role member >/dev/null
c user add bob --tenant acme >/dev/null

c search --json --as alice annual leave >"$tmp/sa.json" || fail "search as alice"
py 'assert r["results"], r' "$tmp/sa.json"
c search --json --as bob annual leave >"$tmp/sb.json" || fail "search as bob"
py 'assert r["results"] == [], r' "$tmp/sb.json"
c ask --json --as bob "How many days of annual leave do employees get?" >"$tmp/ab.json" || fail "ask as bob"
py 'assert not r["found"] and not r["citations"], r' "$tmp/ab.json"
c ask --json --as alice "How many days of annual leave do employees get?" >"$tmp/aa.json" || fail "ask as alice"
py 'assert r["found"] and r["citations"], r' "$tmp/aa.json"

# the operator without --as sees everything, as before
c search --json annual leave >"$tmp/s0.json"
py 'assert r["results"], r' "$tmp/s0.json"

if c search --as nobody leave >"$tmp/o" 2>"$tmp/e"; then fail "search as an unknown user"; fi
grep -q "no such user" "$tmp/e" || fail "no reason for an unknown user: $(cat "$tmp/e")"

# quotas: alice has made 2 requests today; a limit of 3 allows one more
c quota set --user alice --requests-per-day 3 >/dev/null
c search --as alice leave >/dev/null || fail "alice's third request"
set +e
c ask --as alice "How many days of annual leave?" >"$tmp/o" 2>"$tmp/e"
rc=$?
set -e
[ "$rc" = 1 ] || fail "over the quota: exit $rc, $(cat "$tmp/e")"
grep -q "requests_per_day" "$tmp/e" || fail "the limit is not named: $(cat "$tmp/e")"
[ ! -s "$tmp/o" ] || fail "an answer over the quota: $(cat "$tmp/o")"
c quota rm --user alice >/dev/null
c search --as alice leave >/dev/null || fail "after the quota is removed"

c usage --by user --json >"$tmp/u.json"
py 'd = {x["key"]: x["requests"] for x in r["rows"]}; assert d.get("alice") == 4 and d.get("bob") == 2, d' "$tmp/u.json"
c audit export --out "$tmp/audit.jsonl" >/dev/null
python3 - "$tmp/audit.jsonl" <<'PY' || fail "the audit log does not name the user"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
acts = [(r["actor"], r["action"]) for r in recs]
assert any(a.endswith(" as bob") and x == "search" for a, x in acts), acts
assert any(a.endswith(" as alice") and x == "ask" for a, x in acts), acts
assert any(not a.count(" as ") and x == "search" for a, x in acts), acts
PY
echo "ok: --as filters search and ask by the user's tenant, applies its quota, counts and audits it"
