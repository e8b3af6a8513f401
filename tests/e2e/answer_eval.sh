#!/usr/bin/env bash
# answer_eval.sh — `cristal eval ask` over samples/ with the question set in
# tests/data/ask-samples.jsonl (English, Japanese, and questions across the
# two): the extractive answerer must reach the targets without a model,
# accuracy >= 0.75 and citation precision >= 0.9 (it does 0.979 and 0.979
# with the word list across the languages; the floors below keep most of
# that), and every answer's citations must have survived verification.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
tmp=$(mktemp -d /tmp/cr_e2e_eval.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
c() { "$CR_BIN" --data "$tmp/data" "$@"; }
cd "$CR_SOURCE_DIR"
c init >/dev/null
c ingest samples >/dev/null
c eval ask --questions tests/data/ask-samples.jsonl --mode bm25 --json >"$tmp/eval.json"
c eval ask --questions tests/data/ask-samples.jsonl
python3 - "$tmp/eval.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "extractive" and r["retrieval"] == "bm25", r
a = r["all"]
assert a["questions"] >= 40, a
assert a["accuracy"] >= 0.9, a
assert a["citation_precision"] >= 0.9, a
assert a["source_recall"] >= 0.95, a
for lang in ("en", "ja"):
    assert r["by_lang"][lang]["questions"] >= 10, r["by_lang"]
    assert r["by_lang"][lang]["accuracy"] >= 0.85, (lang, r["by_lang"][lang])
for q in r["questions"]:
    assert q["found"] or not q["citations"], q   # "do not say" cites nothing
PY
# the later sets (tests/data/ask-heldout.jsonl, 13 questions written
# after the word list; ask-fresh.jsonl, 12 written after every change of
# session 7 and not tuned on; ask-fresh2.jsonl, 14 written at the start of
# session 8, 0.786 then, 0.929 after the "%" rule, relatives and quarters;
# ask-periods.jsonl, 12 questions for a period's end or length written in
# session 9 after the rule for them, 0.917 without it, 1.000 with it):
# floors a little below 0.769, 0.917, 0.929 and 1.000
for set in heldout:0.7 fresh:0.8 fresh2:0.85 periods:0.9; do
	c eval ask --questions "tests/data/ask-${set%%:*}.jsonl" --json >"$tmp/e2.json"
	python3 - "$tmp/e2.json" "${set##*:}" "$set" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["all"]
assert a["accuracy"] >= float(sys.argv[2]), (sys.argv[3], a)
PY
done
# a retriever that is not built yet is a usage error (2), not a silent bm25 run
set +e
c eval ask --questions tests/data/ask-samples.jsonl --mode hybrid 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "no vector index" "$tmp/err" || { echo "FAIL: --mode hybrid gave $rc: $(cat "$tmp/err")" >&2; exit 1; }
# a malformed question line is a clear error, not a crash
printf '{"id":"x","question":3}\n' >"$tmp/bad.jsonl"
if c eval ask --questions "$tmp/bad.jsonl" 2>"$tmp/err"; then echo "FAIL: bad line accepted" >&2; exit 1; fi
grep -q "line 1" "$tmp/err" || { echo "FAIL: $(cat "$tmp/err")" >&2; exit 1; }
echo "ok"
