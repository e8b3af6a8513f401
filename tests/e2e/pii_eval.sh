#!/usr/bin/env bash
# pii_eval.sh — the personal-data detector on its labelled set
# (tests/data/pii/labels.jsonl: English and Japanese mails, meeting notes,
# chat, tables and hard negatives): `cristal eval pii --json` must keep
# recall and false positives at the levels measured when the set was
# written, less a margin (docs/ARCHITECTURE.md, "Personal data"). Also the
# set's own size, and the detector alone (--no-lists) on names.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_piieval.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
L="$CR_SOURCE_DIR/tests/data/pii/labels.jsonl"
"$CR_BIN" eval pii --labels "$L" --json >"$tmp/r.json" || fail "eval pii"
"$CR_BIN" eval pii --labels "$L" --json --no-lists >"$tmp/n.json" || fail "eval pii --no-lists"
"$CR_BIN" eval pii --labels "$L" >"$tmp/table" || fail "eval pii (table)"
grep -q "^PHONE *ja" "$tmp/table" || fail "table: $(cat "$tmp/table")"
python3 - "$tmp/r.json" "$tmp/n.json" <<'PY' || fail "thresholds: $(cat "$tmp/r.json" | head -c 3000)"
import json, sys
r = json.load(open(sys.argv[1]))
n = json.load(open(sys.argv[2]))
k = r["kinds"]
assert r["texts"] >= 50 and k["all"]["all"]["expected"] >= 200, (r["texts"], k["all"]["all"])
assert k["all"]["en"]["expected"] >= 80 and k["all"]["ja"]["expected"] >= 100
# measured: recall 0.991 PERSON, 1.000 for the other kinds; 2 false positives (both PERSON, ja)
floors = {"PERSON": 0.93, "EMAIL": 0.95, "PHONE": 0.95, "ADDRESS": 0.85, "MYNUMBER": 0.80, "CARD": 0.85}
for kind, floor in floors.items():
    got = k[kind]["all"]["recall"]
    assert got >= floor, (kind, got, floor)
assert k["all"]["all"]["recall"] >= 0.95, k["all"]["all"]
assert k["all"]["all"]["false_positives"] <= 5, k["all"]["all"]
for kind in ("EMAIL", "PHONE", "ADDRESS", "MYNUMBER", "CARD"):
    assert k[kind]["all"]["false_positives"] <= 1, (kind, k[kind]["all"])
assert r["negative_texts"] >= 10 and r["negative_texts_clean"] >= r["negative_texts"] - 2, r
# without the callers' lists, names still come from context
assert n["kinds"]["PERSON"]["all"]["recall"] >= 0.90, n["kinds"]["PERSON"]["all"]
PY
# a label that is not in its text is refused
printf '{"id":"x","lang":"en","text":"hello","spans":[["EMAIL","a@b.jp"]]}\n' >"$tmp/bad.jsonl"
"$CR_BIN" eval pii --labels "$tmp/bad.jsonl" 2>"$tmp/err" && fail "a bad label was accepted"
grep -q "not in the text" "$tmp/err" || fail "bad label: $(cat "$tmp/err")"
echo "pii_eval: ok"
