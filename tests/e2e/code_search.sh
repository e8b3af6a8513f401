#!/usr/bin/env bash
# code_search.sh — identifiers in code: a snake_case or camelCase name
# matches its parts and its whole, and the chunk that defines a symbol
# ranks above a file that only mentions it (the symbol joins the entry's
# title field), whether the index was fed during the ingest or rebuilt
# from the catalog.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
mkdir -p "$tmp/src"
cat >"$tmp/src/guard.py" <<'EOF2'
def cold_chain_guard(temp, limit):
    """Raises when a shipment leaves its cold chain."""
    return temp <= limit


def eta_report(route):
    etaMinutes = route.total / route.speed
    return etaMinutes
EOF2
cat >"$tmp/src/use.py" <<'EOF2'
from guard import cold_chain_guard
print(cold_chain_guard(3, 5))
EOF2
c init >/dev/null
c ingest "$tmp/src" >/dev/null
first() { c search --json "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; print(r[0]["doc"] if r else "")'; }
check() {
	[ "$(first cold_chain_guard)" = src/guard.py ] || fail "$1: the definition of cold_chain_guard is not first"
	[ "$(first "cold chain guard")" = src/guard.py ] || fail "$1: its parts do not find the definition first"
	[ "$(first eta minutes)" = src/guard.py ] || fail "$1: etaMinutes's parts"
	[ "$(first etaMinutes)" = src/guard.py ] || fail "$1: etaMinutes whole"
}
check "fed index"
rm -rf "$D/index"
check "index rebuilt from the catalog"
echo ok
