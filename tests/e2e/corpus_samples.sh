#!/usr/bin/env bash
# corpus_samples.sh — ingest samples/ through the CLI and check that searches
# find known facts with the right document and location (page, slide, sheet,
# line, time, symbol), in English and Japanese; that re-ingesting changes
# nothing; and that show, stats, shell and --json outputs behave.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
tmp=$(mktemp -d /tmp/cr_e2e_samples.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

for cmd in init ingest search ask show stats shell; do
	"$CR_BIN" "$cmd" --help >/dev/null || fail "$cmd --help"
done
if "$CR_BIN" --data "$tmp/none" search x 2>"$tmp/err"; then fail "search without a data dir succeeded"; fi
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "error is not one line: $(cat "$tmp/err")"

c init >/dev/null
cd "$CR_SOURCE_DIR"
c ingest --json samples >"$tmp/ingest.json"
python3 - "$tmp/ingest.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] and r["rejected"] == 0, r
assert r["ingested"] >= 20 and r["chunks"] >= r["ingested"], r
PY

# q, expected doc, then python conditions on the first result `x`
check() {
	local q=$1 doc=$2 cond=$3
	c search --json -k 3 "$q" >"$tmp/r.json"
	python3 - "$tmp/r.json" "$doc" "$cond" <<'PY' || fail "query '$q'"
import json, sys
r = json.load(open(sys.argv[1]))
res = r["results"]
assert res, "no results"
x = res[0]
assert x["doc"] == sys.argv[2], "first result %s, want %s" % (x["doc"], sys.argv[2])
assert "«" in x["snippet"] and "»" in x["snippet"], x["snippet"]
assert isinstance(x["score"], float) and x["score"] > 0
assert eval(sys.argv[3]), "location: %r" % {k: v for k, v in x.items() if k != "snippet"}
PY
}
check "Travel and Security Policy" samples/docs/travel-security-policy.pdf 'x.get("page") == 1'
check "payload repeatability" samples/docs/kestrel-kr7-spec.docx '"Payload" in x.get("heading", "")'
check "timeline to launch first 20 units" samples/docs/kestrel-launch-deck.pptx 'x.get("slide", 0) >= 2'
check "engineering Osaka budget quarter" samples/finance/budget-fy2026.xlsx '"sheet" in x and x.get("row", 0) >= 1 and x["row"] == x["line"] and x["row_end"] == x["line_end"]'
check "payload repeatability" samples/docs/kestrel-kr7-spec.docx '"row" not in x'
# in a sheet, the human output says rows, not lines
c search -k 1 "engineering Osaka budget quarter" | head -1 | grep -q "budget-fy2026.xlsx  sheet .*  rows\? [0-9]" || fail "xlsx location not labelled as rows"
c search -k 1 "nearest-neighbour tour 2-opt" | head -1 | grep -q "pick_planner.py  lines\? [0-9]" || fail "code location not labelled as lines"
check "Northwind pilot start in May instead" samples/meetings/kestrel-design-review.vtt 'x.get("time", -1) >= 0'
check "nearest-neighbour tour 2-opt" samples/code/planning/pick_planner.py 'x.get("line", 0) >= 1'
check "年次有給休暇 付与 繰り越し" samples/ja/shain-handbook.md 'x.get("line", 0) >= 1'
check "fund a buffer of 60 servos" samples/chat/kestrel/2026-03-02.json '"time" in x'

# query syntax by default, plain words with --plain
c search --json -k 50 -- "-payload" | grep -qi "«payload»" && fail "an excluded term matched"
c search --json -k 1 --plain -- "-payload" | grep -q "kestrel-kr7-spec.docx.*«Payload»" || fail "--plain"

# again: nothing to do
c ingest --json samples >"$tmp/again.json"
python3 - "$tmp/ingest.json" "$tmp/again.json" <<'PY' || fail "re-ingest was not a no-op"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert b["ingested"] == 0 and b["updated"] == 0 and b["deleted"] == 0, b
assert b["unchanged"] == a["ingested"], (a, b)
PY

c show --json samples/docs/kestrel-kr7-spec.docx >"$tmp/show.json"
python3 - "$tmp/show.json" <<'PY' || fail "show --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["doc"] == "samples/docs/kestrel-kr7-spec.docx" and d["type"] == "docx", d
assert "HM-40" in d["text"] and len(d["hash"]) == 64 and d["sections"], d.keys()
PY
c show samples/ja/shain-handbook.md | grep -q "有給休暇" || fail "show text"
c show --json samples/mail/kestrel-launch-plan.eml | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any("#att/" in x for x in d["children"]), d["children"]' \
	|| fail "show lists attachments"
if c show no/such/doc 2>/dev/null; then fail "show of a missing doc succeeded"; fi

c stats --json >"$tmp/stats.json"
python3 - "$tmp/stats.json" <<'PY' || fail "stats --json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["documents"] >= 20 and s["chunks"] > 0 and s["bytes"] > 0, s
assert s["index"]["entries"] == s["chunks"], s   # index in step with the catalog
assert s["by_type"].get("pdf", 0) >= 1 and s["by_type"].get("docx", 0) >= 1, s
PY
c stats | grep -q "^documents" || fail "stats text"

printf 'payload repeatability\n\nquit\nnot reached\n' | c shell >"$tmp/shell.out"
grep -q "kestrel-kr7-spec.docx" "$tmp/shell.out" || fail "shell"
grep -q "not reached" "$tmp/shell.out" && fail "shell went past quit"
printf 'Which supplier was chosen for the servos?\nquit\n' | c shell >"$tmp/shell.out"
grep -q "Hokuto Motors.*\[[0-9]\]" "$tmp/shell.out" || fail "shell question: $(cat "$tmp/shell.out")"

# ask: an extractive answer with a verified citation, and one the documents do not hold
c ask --json "What is the total budget of Kestrel R&D?" >"$tmp/ask.json"
c ask --json "What is the capital of France?" >"$tmp/ask2.json"
python3 - "$tmp/ask.json" "$tmp/ask2.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
assert a["found"] and a["mode"] == "extractive" and "210000" in a["answer"], a
c = a["citations"][0]
assert c["doc"] == "samples/finance/budget-fy2026.xlsx" and "210000" in c["quote"], c
assert c["location"]["sheet"] == "Budget FY2026" and not a["unverified"], a
b = json.load(open(sys.argv[2]))
assert not b["found"] and not b["citations"] and "do not say" in b["answer"], b
PY
c ask "有給休暇は何日？" | grep -q "20日付与.*\[1\]" || fail "ask in Japanese"

# --queries: one JSON line per query
printf '{"_id":"q1","text":"travel policy"}\n{"id":2,"text":"有給休暇"}\n' >"$tmp/q.jsonl"
c search --json -k 5 --queries "$tmp/q.jsonl" >"$tmp/q.out"
python3 - "$tmp/q.out" <<'PY' || fail "--queries"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["qid"] for l in lines] == ["q1", "2"], lines
assert all(l["results"] for l in lines)
PY
# Several chat exports in one run: each keeps its own user names.
mkdir -p "$tmp/two/a" "$tmp/two/b" "$tmp/two/c"
for x in a b c; do cp -r samples/chat "$tmp/two/$x/"; done
"$CR_BIN" --data "$tmp/d2" ingest --json "$tmp/two" >"$tmp/two.json" || fail "ingest of three chat exports"
"$CR_BIN" --data "$tmp/d2" search --json -k 10 "fund a buffer of 60 servos" >"$tmp/two.out"
python3 - "$tmp/two.out" <<'PY' || fail "chat exports: $(cat "$tmp/two.out")"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
# the three identical files are one result, the others listed as "also_at"
docs = sorted(d for x in r for d in [x["doc"]] + x.get("also_at", []) if d.endswith("kestrel/2026-03-02.json"))
assert docs == ["two/%s/chat/kestrel/2026-03-02.json" % x for x in "abc"], docs
PY
echo "ok"
