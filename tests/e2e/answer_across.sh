#!/usr/bin/env bash
# answer_across.sh — questions across Japanese and English without a model
# (answer/xlate.c over the word list of text/lexicon.c, Debian's edict):
# a Japanese question answered from an English document and the reverse,
# found by the second search (retriever "translated" in --json) and quoted
# under a line in the question's language; with the word list turned off
# (CR_LEXICON=none), missing or not an EDICT file, the same questions get
# the same-language behaviour, never an error. The word list's tables are
# kept as an image in the cache directory: made by the first command,
# mapped by the next, made again when damaged. A company's glossary
# (CR_GLOSSARY, answer.glossary) adds words EDICT leaves out, before it.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
tmp=$(mktemp -d /tmp/cr_e2e_across.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
c() { "$CR_BIN" --data "$tmp/data" "$@"; }
cd "$CR_SOURCE_DIR"
c init >/dev/null
c ingest samples >/dev/null
fail() { echo "FAIL: $*" >&2; exit 1; }

c ask --json "Hokuto MotorsのKR-5での返品率は？" >"$tmp/ja.json"
python3 - "$tmp/ja.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "extractive", r
assert "0.3%" in r["answer"] and "英語の資料" in r["answer"], r["answer"]
cited = {c["doc"] for c in r["citations"]}
assert cited == {"samples/docs/memo-servo-supply.txt"}, cited
assert not r["unverified"], r["unverified"]
found = {p["doc"]: p["retriever"] for p in r["retrieval"]}
assert "translated" in found.values(), found
PY
# the image was made, and a damaged one is made again without a word
img=$(ls "$tmp"/cache/cristal/lexicon-*.img)
[ -s "$img" ] || fail "no lexicon image in $tmp/cache/cristal"
printf 'CRLEX002 garbage' | dd of="$img" bs=1 seek=0 conv=notrunc status=none
c ask --json "Hokuto MotorsのKR-5での返品率は？" >"$tmp/ja2.json" 2>"$tmp/ja2.err"
cmp -s <(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["answer"])' "$tmp/ja.json") \
	<(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["answer"])' "$tmp/ja2.json") ||
	fail "answer changed with a damaged image"
[ ! -s "$tmp/ja2.err" ] || fail "damaged image: $(cat "$tmp/ja2.err")"
head -c 8 "$img" | grep -q CRLEX002 || fail "image not made again"
python3 - "$img" <<'PY' || fail "image still damaged"
import sys
d = open(sys.argv[1], "rb").read()
assert d[8:16] != b" garbage"[:8], d[:16]
PY
c ask --json "By when must the ISO 10218 certification documents be submitted?" >"$tmp/en.json"
python3 - "$tmp/en.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
docs = [p["doc"] for p in r["retrieval"] if p["retriever"] == "translated"]
# the meeting memo (EUC-JP) that sets the date is found in the second search
assert "samples/ja/kaigi-memo-2026-05-12-eucjp.txt" in docs, r["retrieval"]
PY

# without the word list: one language at a time, and no error
for lex in none /nonexistent/edict "$CR_SOURCE_DIR/README.md"; do
	CR_LEXICON=$lex c ask --json "Hokuto MotorsのKR-5での返品率は？" >"$tmp/off.json" 2>"$tmp/off.err" ||
		fail "CR_LEXICON=$lex: $(cat "$tmp/off.err")"
	python3 - "$tmp/off.json" "$lex" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert all(p["retriever"] != "translated" for p in r["retrieval"]), (sys.argv[2], r["retrieval"])
assert "0.3%" not in r["answer"], (sys.argv[2], r["answer"])
PY
done
# a company's glossary ($CR_GLOSSARY, or answer.glossary in the
# configuration): 棚卸し is not a common word in EDICT, so without it the
# English question finds nothing; with it, the Japanese minutes answer
q="Who reviews the stocktaking procedure?"
c ask --json "$q" >"$tmp/g0.json"
printf '棚卸し [たなおろし] /(n,vs) stocktaking/inventory count/\n' >"$tmp/glossary.txt"
CR_GLOSSARY=$tmp/glossary.txt c ask --json "$q" >"$tmp/g1.json"
printf '[answer]\nglossary = "%s"\n' "$tmp/glossary.txt" >"$tmp/c.toml"
"$CR_BIN" --config "$tmp/c.toml" --data "$tmp/data" ask --json "$q" >"$tmp/g2.json"
# the word list off: the glossary alone translates what it has
printf '手順 /procedure/\n見直す /(v5s) to review/\n' | cat "$tmp/glossary.txt" - >"$tmp/glossary3.txt"
CR_LEXICON=none CR_GLOSSARY=$tmp/glossary3.txt c ask --json "$q" >"$tmp/g3.json"
# a glossary that cannot be read: a warning, and the word list alone
CR_GLOSSARY=$tmp/missing.txt c ask --json "$q" >"$tmp/g4.json" 2>"$tmp/g4.err"
grep -q "missing.txt" "$tmp/g4.err" || fail "no warning for a missing glossary: $(cat "$tmp/g4.err")"
python3 - "$tmp" <<'PY'
import json, sys, unicodedata
t = sys.argv[1]
g = [json.load(open(f"{t}/g{i}.json")) for i in range(5)]
for i in (0, 4):
    assert "中村" not in g[i]["answer"], (i, g[i]["answer"])
for i in (1, 2, 3):
    r = g[i]
    assert "中村" in r["answer"] and "12月5日" in unicodedata.normalize("NFKC", r["answer"]), (i, r["answer"])
    assert {c["doc"] for c in r["citations"]} == {"samples/meetings/teirei-gijiroku-2026-11-25.md"}, (i, r["citations"])
    assert not r["unverified"], r["unverified"]
PY

# people's and suppliers' names as each language writes them: the English
# question finds the Japanese mail's action item only through them
q="By when will Kenji Sato reconfirm the delivery date with Hokuto Motors?"
c ask --json "$q" >"$tmp/n0.json"
printf '佐藤健二 /Kenji Sato/\n佐藤 /Sato/\n北斗モーター /Hokuto Motors/\n' >"$tmp/names.txt"
CR_GLOSSARY=$tmp/names.txt c ask --json "$q" >"$tmp/n1.json"
python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
n0, n1 = (json.load(open(f"{t}/n{i}.json")) for i in range(2))
assert "3月10日" not in n0["answer"], n0["answer"]
assert "3月10日" in n1["answer"], n1["answer"]
assert {c["doc"] for c in n1["citations"]} == {"samples/mail/hm40-noki.eml"}, n1["citations"]
PY

# a same-language question is answered as before with or without it
a1=$(c ask "就業時間は何時から？")
a2=$(CR_LEXICON=none c ask "就業時間は何時から？")
grep -q "午前9時" <<<"$a1" || fail "with the word list: $a1"
[ "$a1" = "$a2" ] || fail "same-language answer changed by the word list: $a1 / $a2"
echo "ok"
