#!/usr/bin/env bash
# corpus_rejects.sh — bad files are listed with their reason and do not fail
# the ingest: a corrupt PDF, a FIFO, a broken link, a link loop, a file over
# the size limit (sparse, so nothing big is written), a binary file, an unreadable file
# (when not running as root); hidden files are skipped silently. Then a file
# deleted from disk leaves the index while the rejections are reported again
# with the same reasons, and a missing root fails with a reason.
set -euo pipefail
: "${CR_BIN:?}"
tmp=$(mktemp -d /tmp/cr_e2e_rejects.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

T="$tmp/tree"
mkdir -p "$T/sub"
echo "The ocelot report is due on Friday." >"$T/good.txt"
echo "A second note about the tapir." >"$T/sub/other.md"
echo "%PDF-1.7 this is not really a PDF at all" >"$T/broken.pdf"
echo "the ocelot hides here too" >"$T/.hidden.txt"
mkfifo "$T/pipe"
ln -s /nonexistent/file "$T/dangling.txt"
ln -s .. "$T/sub/loop"
truncate -s 300M "$T/huge.txt"
head -c 3000000 /dev/urandom >"$T/photo.jpg"   # judged by its head, not read whole
expect=6
if [ "$(id -u)" != 0 ]; then
	echo "secret" >"$T/locked.txt"
	chmod 000 "$T/locked.txt"
	expect=7
fi

c init >/dev/null
c ingest --json "$T" >"$tmp/out.json" 2>"$tmp/err" || fail "ingest exited non-zero: $(cat "$tmp/err")"
python3 - "$tmp/out.json" "$expect" <<'PY' || fail "summary: $(cat "$tmp/out.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is True and r["ingested"] == 2, r
assert r["rejected"] == int(sys.argv[2]) == len(r["rejections"]), r
why = {x["name"]: x["reason"] for x in r["rejections"]}
assert "pdf" in why["tree/broken.pdf"].lower(), why
assert "FIFO" in why["tree/pipe"], why
assert "broken" in why["tree/dangling.txt"], why
assert "loop" in why["tree/sub/loop"], why
assert "limit" in why["tree/huge.txt"], why
assert "binary" in why["tree/photo.jpg"], why
if int(sys.argv[2]) == 7:
    assert "ermission" in why["tree/locked.txt"], why
PY
[ "$(grep -c '^rejected: ' "$tmp/err")" = "$expect" ] || fail "stderr does not list every rejection: $(cat "$tmp/err")"
grep -q "^rejected: tree/huge.txt: .*limit" "$tmp/err" || fail "reason on stderr"

c search --json ocelot >"$tmp/s.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; assert [x["doc"] for x in r] == ["tree/good.txt"], r' "$tmp/s.json" \
	|| fail "hidden file indexed or good file missing"

rm "$T/good.txt"
c ingest --json "$T" >"$tmp/out2.json" 2>/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["deleted"] == 1 and r["unchanged"] == 1, r' "$tmp/out2.json" \
	|| fail "deletion not noticed"
# rejected again, with the same reasons (content rejections come from the
# catalog's memory of them, not from reading the files again)
python3 - "$tmp/out.json" "$tmp/out2.json" <<'PY' || fail "rejections not reported again: $(cat "$tmp/out2.json")"
import json, sys
a = {x["name"]: x["reason"] for x in json.load(open(sys.argv[1]))["rejections"]}
b = {x["name"]: x["reason"] for x in json.load(open(sys.argv[2]))["rejections"]}
assert a == b, (a, b)
PY
c search --json ocelot >"$tmp/s2.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; assert r == [], r' "$tmp/s2.json" || fail "deleted file still found"

# A folder that cannot be listed keeps its documents (only testable as a
# user: root reads everything).
if [ "$(id -u)" != 0 ]; then
	chmod 000 "$T/sub"
	c ingest --json "$T" >"$tmp/out3.json" 2>/dev/null
	chmod 755 "$T/sub"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["deleted"] == 0, r' "$tmp/out3.json" \
		|| fail "documents of an unlisted folder were deleted"
fi

# A data directory inside the tree is never ingested.
"$CR_BIN" --data "$T/inner-data" ingest --json "$T" >"$tmp/in1.json" 2>/dev/null
"$CR_BIN" --data "$T/inner-data" ingest --json "$T" >"$tmp/in2.json" 2>/dev/null
python3 - "$tmp/in2.json" <<'PY' || fail "data directory walked: $(cat "$tmp/in2.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert not any("inner-data" in x["name"] for x in r["rejections"]), r
assert r["ingested"] == 0 and r["updated"] == 0, r
PY

if c ingest "$tmp/no-such-dir" 2>"$tmp/err3" >/dev/null; then fail "missing root accepted"; fi
grep -q "no-such-dir" "$tmp/err3" || fail "missing root reason"
echo "ok"
