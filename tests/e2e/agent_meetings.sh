#!/usr/bin/env bash
# agent_meetings.sh — `cristal analyze meetings` and `cristal eval meetings`
# over a fresh ingest of samples/: at least 8 meetings in English and
# Japanese, transcripts and minutes; the JSON has exactly the fields the
# issue names, locations as in citations (speaker + time in transcripts);
# (owner, due date) pairs against tests/data/meetings-expected.jsonl reach
# precision >= 0.8 and recall >= 0.8 overall and per language; a folder,
# one document and a query as the scope; the text report groups by owner;
# `report meetings --out DIR` writes Markdown and a self-contained HTML file.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
tmp=$(mktemp -d /tmp/cr_e2e_meetings.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
c() { "$CR_BIN" --data "$tmp/data" "$@"; }
cd "$CR_SOURCE_DIR"
c init >/dev/null
c ingest samples >/dev/null
c analyze meetings --json >"$tmp/all.json"
c eval meetings --expected tests/data/meetings-expected.jsonl --json >"$tmp/eval.json"
c eval meetings --expected tests/data/meetings-expected.jsonl
python3 - "$tmp/all.json" "$tmp/eval.json" tests/data/meetings-expected.jsonl <<'PY'
import json, re, sys
allm = json.load(open(sys.argv[1]))
ev = json.load(open(sys.argv[2]))
exp = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
ms = allm["meetings"]
assert list(allm) == ["meetings"], list(allm)
assert len(ms) >= 8, len(ms)
kinds = {(e["lang"], e["kind"]) for e in exp}
for k in [("en", "transcript"), ("ja", "transcript"), ("en", "minutes"), ("ja", "minutes")]:
    assert k in kinds, (k, kinds)
iso = re.compile(r"^\d{4}-\d{2}-\d{2}$")
for m in ms:
    assert sorted(m) == ["actions", "date", "decisions", "doc", "title"], sorted(m)
    assert m["date"] is None or iso.match(m["date"]), m
    for d in m["decisions"]:
        assert sorted(d) == ["location", "text"] and d["text"], d
    for a in m["actions"]:
        assert sorted(a) == ["due", "due_text", "location", "owner", "task"], sorted(a)
        assert a["owner"] and a["task"], a
        assert a["due"] is None or iso.match(a["due"]), a
        assert a["due"] is None or a["due_text"], a
        if m["doc"].endswith((".vtt", ".srt")):
            assert "speaker" in a["location"] and a["location"].get("time", -1) >= 0, (m["doc"], a)
by = {m["doc"]: m for m in ms}
# every expected meeting found, with its date; a Japanese due date kept as written
for e in exp:
    assert e["doc"] in by, e["doc"]
    assert by[e["doc"]]["date"] == e["date"], (e["doc"], by[e["doc"]]["date"], e["date"])
texts = [a["due_text"] for m in ms for a in m["actions"] if a["due_text"]]
assert "１２月５日までに" in texts and "来週金曜までに" in texts, texts
# an unresolvable expression keeps its text with a null date
assert any(a["due"] is None and a["due_text"] for m in ms for a in m["actions"]), "vague"
# the figures
a = ev["actions"]
assert ev["meetings"]["expected"] >= 8 and ev["meetings"]["found"] == ev["meetings"]["expected"], ev["meetings"]
assert a["expected"] >= 40, a
assert a["precision"] >= 0.8 and a["recall"] >= 0.8, a
for lang in ("en", "ja"):
    l = ev["by_lang"][lang]
    assert l["expected"] >= 15 and l["precision"] >= 0.8 and l["recall"] >= 0.8, (lang, l)
assert ev["decisions"]["precision"] >= 0.8 and ev["decisions"]["recall"] >= 0.8, ev["decisions"]
for k in ("date", "weekday", "week", "day", "month", "period", "span", "vague", "none"):
    assert ev["by_kind"][k]["expected"] >= 1, (k, ev["by_kind"])
PY
# scopes: a folder, one document, a query
c analyze meetings samples/meetings --json | python3 -c '
import json, sys
ms = json.load(sys.stdin)["meetings"]
assert len(ms) >= 6 and all(m["doc"].startswith("samples/meetings/") for m in ms), [m["doc"] for m in ms]'
c analyze meetings ./samples/meetings/ryosan-junbi-2026-06-10.vtt --json | python3 -c '
import json, sys
ms = json.load(sys.stdin)["meetings"]
assert [m["doc"] for m in ms] == ["samples/meetings/ryosan-junbi-2026-06-10.vtt"], ms
assert any(a["owner"] == "Mei Lin" and a["due"] == "2026-06-12" for a in ms[0]["actions"]), ms[0]["actions"]'
c analyze meetings "service contract template" --json | python3 -c '
import json, sys
ms = json.load(sys.stdin)["meetings"]
assert "samples/meetings/2026-06-03-service-readiness.srt" in [m["doc"] for m in ms], ms'
# the report groups by owner
c analyze meetings samples/meetings >"$tmp/report.txt"
grep -q "^Action items by owner" "$tmp/report.txt"
grep -q "^Mei Lin$" "$tmp/report.txt"
grep -q "2026-06-12" "$tmp/report.txt"
# the report: Markdown and one self-contained HTML file with our SVG chart
c report meetings --out "$tmp/report" >"$tmp/paths.txt"
grep -qx "$tmp/report/meetings-report.md" "$tmp/paths.txt"
grep -qx "$tmp/report/meetings-report.html" "$tmp/paths.txt"
python3 - "$tmp/report" <<'PY'
import re, sys
d = sys.argv[1]
md = open(d + "/meetings-report.md", encoding="utf-8").read()
html = open(d + "/meetings-report.html", encoding="utf-8").read()
assert md.startswith("# Meetings") and "## Action items by owner" in md and "### Mei Lin" in md, md[:300]
assert "| 2026-06-12 |" in md and "来週金曜までに" in md, "md rows"
assert html.count("<svg") == 1 and "Action items per owner and due week" in html, "chart"
# self-contained: no script, no link, no external source (the SVG namespace is a name, not a fetch)
assert "<script" not in html and "<link" not in html and "<img" not in html, "assets"
assert not re.search(r'(src|href)\s*=', html), "external reference"
assert re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", html).count("http") == 0, "url"
# short owners grouped under the full name: no separate "Kenji" section
assert "<h3>Kenji Sato</h3>" in html and "<h3>Kenji</h3>" not in html, "owners"
PY
# bad use
if c analyze nothing >/dev/null 2>&1; then echo "analyze nothing should fail"; exit 1; fi
if c eval meetings >/dev/null 2>&1; then echo "eval meetings without --expected should fail"; exit 1; fi
echo "agent_meetings: ok"
