#!/usr/bin/env bash
# path_rules.sh — the configuration's path rules ([governance.paths.NAME]:
# prefix, acl, tenant, classification) give the documents under a prefix
# their ACL, tenant and least classification at ingest: checked with
# search --as and show; a rule removed from the configuration gives the
# files the run's ACL again at the next ingest (reported as updated); an
# unknown key, group or classification stops the ingest before it starts.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
c init >/dev/null
c group add finance >/dev/null
c tenant add acme >/dev/null
c user add sato --group finance >/dev/null
c user add tanaka >/dev/null
c user add kim --tenant acme >/dev/null
mkdir -p "$tmp/docs/finance" "$tmp/docs/acme" "$tmp/docs/pub"
echo "Quarterly revenue was 1,234 million yen, up from 1,100 million yen." >"$tmp/docs/finance/results.md"
echo "The Osaka warehouse inventory audit is scheduled for the spring." >"$tmp/docs/acme/warehouse.md"
echo "The cafeteria opens at eight in the morning on weekdays." >"$tmp/docs/pub/cafeteria.md"
cat >"$tmp/rules.toml" <<'TOML'
[governance.paths.finance]
prefix = "docs/finance"
acl = ["group:finance"]
classification = "confidential"

[governance.paths.acme]
prefix = "docs/acme/"
tenant = "acme"
TOML
cr() { "$CR_BIN" --config "$tmp/rules.toml" --data "$D" "$@"; }
cr ingest --json "$tmp/docs" >"$tmp/i.json" || fail "ingest with rules"
py 'assert r["ingested"] == 3, r' "$tmp/i.json"
hits() { c search --json --as "$1" "$2" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))'; }
[ "$(hits sato revenue)" = 1 ] || fail "sato (finance) does not find the finance document"
[ "$(hits tanaka revenue)" = 0 ] || fail "tanaka finds the finance document"
[ "$(hits tanaka cafeteria)" = 1 ] || fail "tanaka does not find the public document"
[ "$(hits kim warehouse)" = 1 ] || fail "kim (acme) does not find acme's document"
[ "$(hits tanaka warehouse)" = 0 ] || fail "tanaka finds acme's document"
[ "$(hits kim cafeteria)" = 0 ] || fail "kim finds the default tenant's document"
c show docs/finance/results.md | grep -q "confidential" || fail "the rule's classification: $(c show docs/finance/results.md | head -12)"
# the same files again: unchanged
cr ingest --json "$tmp/docs" >"$tmp/i.json"
py 'assert r["unchanged"] == 3 and r["updated"] == 0, r' "$tmp/i.json"
# without the rules: the run's ACL again
c ingest --json "$tmp/docs" >"$tmp/i.json"
py 'assert r["updated"] == 2 and r["unchanged"] == 1, r' "$tmp/i.json"
[ "$(hits tanaka revenue)" = 1 ] || fail "the finance rule outlived its removal"
[ "$(hits tanaka warehouse)" = 1 ] || fail "the acme rule outlived its removal"
# refused before anything is ingested
bad() { # TOML PATTERN
	printf '%s\n' "$1" >"$tmp/bad.toml"
	if "$CR_BIN" --config "$tmp/bad.toml" --data "$D" ingest "$tmp/docs" >/dev/null 2>"$tmp/err"; then fail "accepted: $1"; fi
	grep -q "$2" "$tmp/err" || fail "$1: $(cat "$tmp/err")"
}
bad $'[governance.paths.x]\nprefix = "docs"\nowner = "sato"' 'a path rule takes prefix'
bad $'[governance.paths.x]\nprefix = "docs"\nacl = ["group:nosuch"]' 'nosuch'
bad $'[governance.paths.x]\nprefix = "docs"\nclassification = "top"' 'classification top'
bad $'[governance.paths.x]\nacl = ["group:finance"]' 'needs a prefix'
bad $'[governance.paths.x]\nprefix = "docs"\nacl = ["finance"]' 'expected "group:NAME"'
echo ok
