#!/usr/bin/env bash
# ingest_acl.sh — `ingest --acl group:G|user:U --tenant T`: documents are
# found (search, ask, run with --as) only by the users the ACL names;
# re-ingesting unchanged files with another ACL replaces it (reported as
# updated, the old ACL gone from the index too); unknown groups, users and
# tenants, and malformed --acl values, are refused before anything is
# ingested.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
c init >/dev/null
c group add finance >/dev/null
c tenant add acme >/dev/null
c user add sato --group finance >/dev/null
c user add tanaka >/dev/null
c user add kim --tenant acme >/dev/null
mkdir -p "$tmp/pub" "$tmp/fin" "$tmp/acme"
echo "The cafeteria opens at eight in the morning on weekdays." >"$tmp/pub/cafeteria.md"
echo "Quarterly revenue was 1,234 million yen, up from 1,100 million yen." >"$tmp/fin/results.md"
echo "The Osaka warehouse inventory audit is scheduled for the spring." >"$tmp/acme/warehouse.md"
c ingest "$tmp/pub" >/dev/null
c ingest --acl group:finance "$tmp/fin" >/dev/null
c ingest --tenant acme "$tmp/acme" >/dev/null

hits() { c search --json --as "$1" "$2" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))'; }
[ "$(hits sato revenue)" = 1 ] || fail "sato (finance) does not find the finance document"
[ "$(hits tanaka revenue)" = 0 ] || fail "tanaka finds the finance document"
[ "$(hits tanaka cafeteria)" = 1 ] || fail "tanaka does not find the public document"
[ "$(hits kim cafeteria)" = 0 ] || fail "kim (acme) finds a default-tenant document"
[ "$(hits kim warehouse)" = 1 ] || fail "kim does not find acme's document"
[ "$(hits tanaka warehouse)" = 0 ] || fail "tanaka finds acme's document"
c ask --json --as tanaka "What was the quarterly revenue?" >"$tmp/a.json"
py 'assert not r["found"] and not r["citations"], r' "$tmp/a.json"
c ask --json --as sato "What was the quarterly revenue?" >"$tmp/a.json"
py 'assert r["found"] and r["citations"], r' "$tmp/a.json"

# the same, unchanged files with another ACL: the ACL is replaced
c ingest --json --acl user:tanaka "$tmp/fin" >"$tmp/i.json"
py 'assert r["updated"] == 1 and r["unchanged"] == 0, r' "$tmp/i.json"
[ "$(hits tanaka revenue)" = 1 ] || fail "tanaka does not find the document now his"
[ "$(hits sato revenue)" = 0 ] || fail "sato still finds it after the ACL changed"
# and the same ACL again: unchanged
c ingest --json --acl user:tanaka "$tmp/fin" >"$tmp/i.json"
py 'assert r["unchanged"] == 1 and r["updated"] == 0, r' "$tmp/i.json"

# refused before anything is ingested
for bad in "--acl group:nosuch" "--acl user:nobody" "--tenant nosuch" "--acl user:kim"; do
	# shellcheck disable=SC2086
	if c ingest $bad "$tmp/pub" >/dev/null 2>"$tmp/e"; then fail "ingest $bad was accepted"; fi
	grep -q "no such\|tenant" "$tmp/e" || fail "no reason for $bad: $(cat "$tmp/e")"
done
set +e
c ingest --acl finance "$tmp/pub" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "--acl without a kind: exit $rc"
[ "$(hits tanaka cafeteria)" = 1 ] || fail "a refused ingest changed the public document"
echo "ok: ingest --acl/--tenant decide who finds a document; a new ACL replaces the old one"
