#!/usr/bin/env bash
# search_output.sh — what a new user saw break, on files this test writes:
#  - a file name that is not UTF-8 gives valid UTF-8 JSON ("\xNN" for the raw
#    byte) and show finds the document by the name as printed;
#  - control characters in names and text (ESC, as in a colour sequence) never
#    reach the terminal raw;
#  - snippets hold no no-break spaces;
#  - a re-run of ingest lists only new rejections and counts the known ones;
#  - identical files are one result, the others "also at";
#  - -term and +word apply to documents (a long report with "budget" on
#    another page is left out), --passages to passages;
#  - path: matches path components anywhere; date: uses the file's mtime
#    when a document has no date of its own, and show says which;
#  - rm removes a file, a document, a source, and the index follows;
#  - two roots with the same folder name give different document names;
#  - a second ingest waiting on the lock says so.
set -euo pipefail
: "${CR_BIN:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_out.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
c() { "$CR_BIN" --data "$tmp/data" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
T="$tmp/root"
mkdir -p "$T/share/finance" "$T/pkg1" "$T/pkg2" "$T/other"
printf 'The quetzalcoatl ledger for the year.\n' >"$T/share/finance/caf$(printf '\351').txt"
printf 'Escape \033[31mred\033[0m text about the xiphosuran crab.\n' >"$T/other/esc$(printf '\033')name.txt"
printf '<html><body><p>vermilion&nbsp;tanager&nbsp;sighting at dawn</p></body></html>\n' >"$T/other/bird.html"
for p in pkg1 pkg2; do printf 'Permission is granted to copy the zugzwang licence.\n' >"$T/$p/COPYING"; done
# a report: "servomotor" on its first page, "budget" thousands of words later
python3 - "$T/other/report.txt" <<'PY'
import sys
filler = " ".join("word%d" % (i % 97) for i in range(3000))
open(sys.argv[1], "w").write("The servomotor test went well.\n\n" + filler + "\n\nThe budget is exhausted.\n")
PY
printf 'The servomotor manual, nothing about money.\n' >"$T/other/manual.txt"
printf 'An old note about the yggdrasil tree.\n' >"$T/other/old.txt"
touch -d '2021-05-05 12:00:00 UTC' "$T/other/old.txt"
printf '\177ELF\002\001\001 not text' >"$T/other/tool"
c init >/dev/null

# 1. ingest; the rejection is listed; a re-run lists no old rejection
c ingest "$T" >"$tmp/i1.out" 2>"$tmp/i1.err" || fail "ingest: $(cat "$tmp/i1.err")"
grep -q "^rejected: root/other/tool" "$tmp/i1.err" || fail "first run lists the rejection: $(cat "$tmp/i1.err")"
grep -q "$(printf '\033')" "$tmp/i1.err" && fail "raw ESC on stderr"
c ingest "$T" >"$tmp/i2.out" 2>"$tmp/i2.err" || fail "re-ingest"
grep -q "^rejected:" "$tmp/i2.err" && fail "a known rejection listed again: $(cat "$tmp/i2.err")"
grep -q "1 of them rejected before" "$tmp/i2.out" || fail "the known rejection not counted: $(cat "$tmp/i2.out")"
c ingest --json "$T" 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["rejected_known"] == 1 and r["rejections"][0]["known"] is True, r' \
	|| fail "--json known rejections"

# 2. non-UTF-8 name: valid JSON, name escaped, show finds it as printed
c search --json quetzalcoatl >"$tmp/s.json"
python3 - "$tmp/s.json" >"$tmp/name" <<'PY' || fail "search --json: $(cat -v "$tmp/s.json")"
import json, sys
raw = open(sys.argv[1], "rb").read()
r = json.loads(raw.decode("utf-8"))["results"]   # strict UTF-8
assert len(r) == 1 and r[0]["doc"] == "root/share/finance/caf\\xe9.txt", r
print(r[0]["doc"])
PY
c show --json "$(cat "$tmp/name")" | python3 -c 'import json,sys; d=json.loads(sys.stdin.buffer.read().decode("utf-8")); assert "quetzalcoatl" in d["text"], d' \
	|| fail "show by the printed name"
c search quetzalcoatl | grep -q 'caf\\xe9.txt' || fail "human output escapes the byte"

# 3. control characters: no raw ESC in any output
c search xiphosuran >"$tmp/x.out"
c search --json xiphosuran >>"$tmp/x.out"
name=$(c search --json xiphosuran | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["doc"])')
c show "$name" >>"$tmp/x.out" || fail "show of the ESC name: $name"
grep -q "$(printf '\033')" "$tmp/x.out" && fail "raw ESC reached the output: $(cat -v "$tmp/x.out")"
grep -q 'esc\\x1bname' "$tmp/x.out" || fail "the ESC is shown escaped: $(cat -v "$tmp/x.out")"

# 4. no no-break spaces in snippets
c search tanager | grep -q "$(printf '\302\240')" && fail "NBSP in a snippet"
c search tanager | grep -q "vermilion «tanager» sighting" || fail "snippet: $(c search tanager)"

# 5. identical files: one result, the other "also at"
c search --json zugzwang | python3 -c '
import json,sys
r = json.load(sys.stdin)["results"]
assert len(r) == 1 and r[0]["copies"] == 1, r
assert sorted([r[0]["doc"]] + r[0]["also_at"]) == ["root/pkg1/COPYING", "root/pkg2/COPYING"], r' || fail "duplicates: $(c search --json zugzwang)"
c search zugzwang | grep -q "also at: root/pkg" || fail "also at in the human output"
c search --passages --json zugzwang | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; assert len(r) == 2, r' \
	|| fail "--passages folds nothing"

# 6. -term / +word on documents, --passages on passages
docs() { c search --json "$@" | python3 -c 'import json,sys; print(" ".join(sorted(x["doc"] for x in json.load(sys.stdin)["results"])))'; }
[ "$(docs servomotor)" = "root/other/manual.txt root/other/report.txt" ] || fail "servomotor: $(docs servomotor)"
[ "$(docs -- servomotor -budget)" = "root/other/manual.txt" ] || fail "servomotor -budget: $(docs -- servomotor -budget)"
[ "$(docs servomotor +budget)" = "root/other/report.txt" ] || fail "servomotor +budget: $(docs servomotor +budget)"
docs --passages -- servomotor -budget | grep -q report.txt || fail "--passages: the first page has no budget"

# 7. path: components anywhere; date: from mtime, said so
[ "$(docs quetzalcoatl path:finance/)" = "root/share/finance/caf\\xe9.txt" ] || fail "path:finance/"
[ "$(docs quetzalcoatl path:fin)" = "root/share/finance/caf\\xe9.txt" ] || fail "path:fin (prefix of a component)"
[ -z "$(docs quetzalcoatl path:inance/)" ] || fail "path: inside a component"
[ "$(docs yggdrasil date:2021-05)" = "root/other/old.txt" ] || fail "date: from mtime"
[ -z "$(docs yggdrasil date:2022)" ] || fail "date: outside"
c show --json root/other/old.txt | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["date_source"] == "file", d' \
	|| fail "date_source"

# 8. rm: a file by path, a document by name, then the source
c rm "$T/other/manual.txt" >/dev/null || fail "rm a file path"
[ "$(docs servomotor)" = "root/other/report.txt" ] || fail "rm file: $(docs servomotor)"
c rm root/other/report.txt >/dev/null || fail "rm a document"
[ -z "$(docs servomotor)" ] || fail "rm doc: $(docs servomotor)"
c ingest "$T" >/dev/null 2>&1
[ "$(docs servomotor)" = "root/other/manual.txt root/other/report.txt" ] || fail "back at the next ingest"
c rm "$T" | grep -q "a source" || fail "rm a source"
[ -z "$(docs servomotor)" ] && [ -z "$(docs zugzwang)" ] || fail "rm source left documents"
c stats >/dev/null
if c rm "$T/nothing-here" 2>/dev/null; then fail "rm of nothing succeeded"; fi

# 9. two roots with the same folder name: names unique per source, both reachable
mkdir -p "$tmp/one/doc/mawk" "$tmp/two/doc/mawk"
echo "the first awk readme, about pomegranates" >"$tmp/one/doc/mawk/README"
echo "the second awk readme, about pomegranates too" >"$tmp/two/doc/mawk/README"
c ingest "$tmp/one/doc" >/dev/null 2>&1
c ingest "$tmp/two/doc" >/dev/null 2>&1
c ingest "$tmp/one/doc" "$tmp/two/doc" >/dev/null 2>&1 # names stay as they were
[ "$(docs pomegranates)" = "doc/mawk/README two/doc/mawk/README" ] || fail "same folder names: $(docs pomegranates)"
c show doc/mawk/README | grep -q "first awk" || fail "show the first"
c show two/doc/mawk/README | grep -q "second awk" || fail "show the second"
c rm "$tmp/two/doc/mawk/README" >/dev/null || fail "rm by path under the second root"
[ "$(docs pomegranates)" = "doc/mawk/README" ] || fail "rm under the second root: $(docs pomegranates)"

# 10. a second ingest waiting on the lock says so
if command -v flock >/dev/null; then
	flock "$tmp/data/lock" sleep 1.5 &
	sleep 0.3
	c ingest "$T" >/dev/null 2>"$tmp/w.err" || fail "ingest after waiting"
	wait
	grep -q "waiting for another process" "$tmp/w.err" || fail "no waiting message: $(cat "$tmp/w.err")"
fi
echo ok
