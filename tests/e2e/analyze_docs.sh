#!/usr/bin/env bash
# analyze_docs.sh — `cristal analyze docs` and `report docs` over samples/:
# each document's lead; the key figures (currencies and units, English and
# Japanese), the dates given (resolved to ISO) and the people named, each
# with its document and location; nothing that is only a year, a date or a
# model number counted as a figure; a query's documents; the report's HTML
# self-contained with its charts; an empty set is a clear error.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
c analyze docs samples/docs --json >"$tmp/d.json" || fail "analyze docs"
py '
docs = {d["doc"]: d for d in r["documents"]}
assert len(docs) == 6 and all(d["summary"] for d in docs.values()), docs
assert docs["samples/docs/travel-security-policy.pdf"]["summary"].startswith("Aozora Precision - Travel and Security Policy"), docs
figs = {(f["figure"], f["doc"]) for f in r["figures"]}
for want in [("USD 48,000", "samples/docs/kestrel-kr7-spec.docx"), ("15%", "samples/docs/kestrel-kr7-spec.docx"),
             ("JPY 7.2 million", "samples/docs/kestrel-kr7-spec.docx"), ("20 days", "samples/docs/employee-handbook.md"),
             ("JPY 4.2 million", "samples/docs/memo-servo-supply.txt"), ("14 days", "samples/docs/travel-security-policy.pdf")]:
    assert want in figs, (want, sorted(figs))
pdf = [f for f in r["figures"] if f["doc"].endswith(".pdf")]
assert all(f["location"].get("page") for f in pdf), pdf
bad = [f["figure"] for f in r["figures"] if f["figure"].strip("0123456789,. ") == "" or f["figure"] in ("2026", "KR-7")]
assert not bad, bad
dates = {(d["date"], d["doc"]) for d in r["dates"]}
assert ("2026-03-02", "samples/docs/intranet-news.html") in dates and ("2026-08-17", "samples/docs/kestrel-kr7-spec.docx") in dates, sorted(dates)
assert [d["date"] for d in r["dates"]] == sorted(d["date"] for d in r["dates"]), "dates in order"
people = [p["name"] for p in r["people"]]
assert "Kenji Sato" in people and "Mei Lin" in people, people
assert all(p["mentions"] >= 1 and p["sentence"] for p in r["people"]), r["people"]
' "$tmp/d.json"
c analyze docs samples/ja --json >"$tmp/ja.json" || fail "analyze docs ja"
py '
figs = {f["figure"] for f in r["figures"]}
assert {"720万円", "72万円", "8時間"} <= figs, sorted(figs)
dates = {d["date"] for d in r["dates"]}
assert "2026-08-17" in dates, sorted(dates)
assert any(p["name"].startswith("佐藤") for p in r["people"]), r["people"]
' "$tmp/ja.json"
c analyze docs -k 3 "servo lead time" --json >"$tmp/q.json" || fail "analyze docs query"
c search --json -k 3 "servo lead time" >"$tmp/s.json"
python3 - "$tmp/q.json" "$tmp/s.json" <<'PY' || fail "a query's documents are not the search's"
import json, sys
q, s = (json.load(open(p)) for p in sys.argv[1:3])
assert [d["doc"] for d in q["documents"]] == [x["doc"] for x in s["results"]], (q["documents"], s["results"])
PY
c analyze docs samples/docs >"$tmp/d.md"
grep -q "^## Key figures" "$tmp/d.md" && grep -q "USD 48,000" "$tmp/d.md" || fail "text: $(head -30 "$tmp/d.md")"
c report docs samples/docs --out "$tmp/rep" >"$tmp/paths" || fail "report docs"
python3 - "$tmp/rep/docs-report.html" <<'PY' || fail "report html"
import sys
h = open(sys.argv[1]).read()
assert h.count("<svg") == 2 and "Documents by type" in h and "Documents by month" in h, h[:400]
assert "<script" not in h, "script"
PY
if c analyze docs qqzzxvw --json >/dev/null 2>"$tmp/err"; then fail "an empty set passed"; fi
grep -q "no documents" "$tmp/err" || fail "$(cat "$tmp/err")"
echo ok
