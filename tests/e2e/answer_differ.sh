#!/usr/bin/env bash
# answer_differ.sh — when two documents state the same thing with other
# figures (last year's policy beside this year's), the extractive answer
# gives both, newer first, each cited and verified, and says the sources
# differ; it does not when the figures agree or when the sentences only
# share the question's words. A model gets each source's date in its
# prompt and the instruction to report a disagreement.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
S="$tmp/src"
mkdir -p "$S/old" "$S/new" "$S/same" "$S/other"
printf '# Travel policy 2025\n\nThe daily allowance for Tokyo is 12,000 yen per night.\n\nFlights need approval.\n' >"$S/old/travel.md"
printf '# Travel policy 2026\n\nThe daily allowance for Tokyo is 15,000 yen per night.\n\nTrains are preferred.\n' >"$S/new/travel.md"
printf '# 出張規程 2025\n\n大阪出張の日当は8,000円とする。\n' >"$S/old/shucho.md"
printf '# 出張規程 2026\n\n大阪出張の日当は9,500円とする。\n' >"$S/new/shucho.md"
# the same figure twice: no disagreement
printf '# Parking\n\nThe parking fee at the Nagoya office is 500 yen per day.\n' >"$S/same/a.md"
printf '# Parking FAQ\n\nThe parking fee at the Nagoya office is 500 yen per day.\n' >"$S/same/b.md"
# two statements sharing the question's words with other figures: a budget and a spend
printf '# Plan\n\nThe Falcon project budget for this year is 40 million yen, approved by the board in March.\n' >"$S/other/plan.md"
printf '# Report\n\nSo far the Falcon project has spent 12 million yen of its budget on prototypes and tooling.\n' >"$S/other/report.md"
touch -d 2025-04-01 "$S/old/travel.md" "$S/old/shucho.md"
touch -d 2026-04-01 "$S/new/travel.md" "$S/new/shucho.md"
c init >/dev/null
c ingest "$S" >/dev/null || fail "ingest"

c ask --json "What is the daily allowance for Tokyo?" >"$tmp/a.json" || fail "ask"
py '
a = r["answer"]
assert a.startswith("The sources differ (the newer first):"), a
new, old = [c for c in r["citations"]]
assert "15,000" in new["quote"] and new["doc"].endswith("new/travel.md"), r["citations"]
assert "12,000" in old["quote"] and old["doc"].endswith("old/travel.md"), r["citations"]
assert a.index("15,000") < a.index("12,000"), a
assert "2026-04-01" in a and "2025-04-01" in a, a
assert r["sources_differ"] == [new["n"], old["n"]], r
assert not r["unverified"], r["unverified"]' "$tmp/a.json"

c ask --json "大阪出張の日当はいくらですか？" >"$tmp/j.json" || fail "ask ja"
py '
a = r["answer"]
assert a.startswith("資料によって記述が異なります"), a
assert a.index("9,500") < a.index("8,000"), a
assert len(r["citations"]) == 2 and not r["unverified"], r' "$tmp/j.json"

c ask --json "What is the parking fee at the Nagoya office?" >"$tmp/s.json" || fail "ask same"
py '
assert "differ" not in r["answer"] and "sources_differ" not in r, r["answer"]
assert "500 yen" in r["answer"], r["answer"]' "$tmp/s.json"

c ask --json "What is the Falcon project budget?" >"$tmp/o.json" || fail "ask other"
py '
assert "differ" not in r["answer"] and "sources_differ" not in r, r["answer"]
assert "40 million" in r["answer"], r["answer"]' "$tmp/o.json"

# a model is told the dates and what to do when sources disagree (the
# scripted provider's "echo" answers with the request it got)
start_provider
c provider add echo --kind openai --url "http://127.0.0.1:$PP/echo/v1" --model m >/dev/null
CRISTAL_DATA="$D" "$CR_BIN" -v ask --provider echo "What is the daily allowance for Tokyo?" 2>"$tmp/log" >/dev/null || true
grep -q 'If the sources disagree' "$tmp/log" && grep -q '(2026-04-01)' "$tmp/log" && grep -q '(2025-04-01)' "$tmp/log" ||
	fail "the prompt as sent: $(head -c 2000 "$tmp/log")"
c ask --json --provider echo "What is the daily allowance for Tokyo?" >"$tmp/m.json" || fail "ask model"
py 'assert "sources_differ" not in r, r' "$tmp/m.json"
echo "answer_differ: ok"
