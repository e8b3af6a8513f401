#!/usr/bin/env bash
# ingest_real_files.sh — real content that used to be left out, on files this
# test writes:
#  - gzip, bzip2 and xz compressed single files are read through the inner
#    file's format (NEWS.gz as text, a .csv.bz2 as a table, a .md.xz as
#    Markdown, a large .gz judged by its head too); a .tar.gz is refused as an
#    archive and a gzip bomb is refused with its figures, early;
#  - a text file whose first line starts with "From " (no mailbox) is text;
#  - HTML nested 300 divs deep, and 3,000 unclosed <p><b><i>, is read whole;
#  - a CSV whose "Header: value" text passes the fixed text limit is indexed;
#  - a link to a folder walked elsewhere is skipped quietly (no rejection),
#    a link to its own ancestor is a loop.
set -euo pipefail
: "${CR_BIN:?}"
command -v python3 >/dev/null || exit 77
for t in gzip bzip2 xz tar; do command -v $t >/dev/null || { echo "skip: no $t"; exit 77; }; done
tmp=$(mktemp -d /tmp/cr_e2e_real.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
c() { "$CR_BIN" --data "$tmp/data" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
T="$tmp/docs"
mkdir -p "$T/pkg/a" "$T/pkg/b" "$T/links"
printf 'Release notes\n\nThe zanzibarite parser was fixed.\n' | gzip >"$T/pkg/a/NEWS.Debian.gz"
printf 'Product,Colour\npelicanite,blue\n' | bzip2 >"$T/pkg/a/table.csv.bz2"
printf '# Xylophonic notes\n\nA markdown file, xz-compressed.\n' | xz >"$T/pkg/a/notes.md.xz"
# large enough to be judged by its first 64 KiB
python3 -c "
import random
random.seed(1)
w=['alpha','beta','gamma','delta','kumquatine']+['w%d'%i for i in range(5000)]
print(' '.join(random.choice(w) for _ in range(400000)))" | gzip >"$T/pkg/a/changelog.gz"
[ "$(stat -c %s "$T/pkg/a/changelog.gz")" -gt 65536 ] || fail "changelog.gz too small for the test"
mkdir -p "$tmp/t" && echo hi >"$tmp/t/x" && tar czf "$T/pkg/a/bundle.tar.gz" -C "$tmp/t" x
head -c 20000000 /dev/zero | gzip >"$T/pkg/a/bomb.txt.gz"
head -c 4000 /dev/urandom | gzip >"$T/pkg/a/noise.gz"
printf 'From the man page: frobnicate the widgets\nThe marmaladine option sets the colour.\n' >"$T/pkg/a/README.from"
sed 's/colour/color/' "$T/pkg/a/README.from" >"$T/pkg/a/NOEXT"
python3 -c "print('<html><body>'+'<div>'*300+'deepwalnut text'+'</div>'*300+'</body></html>')" >"$T/pkg/deep.html"
python3 -c "print('<html><body>'+'<p><b><i>soup '*3000+' tagsoupberry</body></html>')" >"$T/pkg/soup.html"
# 350,000 rows whose "Header: value" text is about 75 MB (over 64 MiB)
python3 - "$T/pkg/big.csv" <<'PY'
import sys
h = ["Customer account identifier number %d" % i for i in range(5)]
with open(sys.argv[1], "w") as f:
    f.write(",".join(h) + "\n")
    for i in range(350000):
        f.write("%d,c%d,r%d,p%d,%d\n" % (i, i % 999, i % 7, i % 13, i))
    f.write("999999,lastrowquince,x,y,z\n")
PY
ln -s ../pkg/a "$T/links/a-again"   # a duplicate path to a folder
ln -s .. "$T/pkg/b/up"              # a true loop
c init >/dev/null
start=$(date +%s)
c ingest --json "$T" >"$tmp/out.json" 2>"$tmp/err" || fail "ingest failed: $(cat "$tmp/err")"
python3 - "$tmp/out.json" <<'PY' || fail "rejections: $(cat "$tmp/out.json")"
import json, sys
r = json.load(open(sys.argv[1]))
why = {x["name"]: x["reason"] for x in r["rejections"]}
assert set(why) == {"docs/pkg/a/bundle.tar.gz", "docs/pkg/a/bomb.txt.gz", "docs/pkg/a/noise.gz", "docs/pkg/b/up"}, why
assert "tar archive" in why["docs/pkg/a/bundle.tar.gz"], why
b = why["docs/pkg/a/bomb.txt.gz"]
assert "gzip" in b and "inflates past" in b and any(ch.isdigit() for ch in b), b
assert "binary" in why["docs/pkg/a/noise.gz"], why
assert "loop" in why["docs/pkg/b/up"], why
assert not any("libxml" in v or "XML_PARSE" in v for v in why.values()), why
PY
find() { c search --no-snippets "$1" | head -1; }
for w in zanzibarite:NEWS.Debian.gz pelicanite:table.csv.bz2 xylophonic:notes.md.xz kumquatine:changelog.gz \
	marmaladine:README.from marmaladine:NOEXT deepwalnut:deep.html tagsoupberry:soup.html lastrowquince:big.csv; do
	word=${w%%:*} file=${w#*:}
	c search --json "$word" >"$tmp/s.json"
	python3 - "$tmp/s.json" "$file" <<'PY' || fail "$word not found in $file: $(cat "$tmp/s.json" | head -c 600)"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
assert any(x["doc"].endswith("/" + sys.argv[2]) for x in r), r
PY
done
# the table is read as one: a CSV, with its header's names
c show --json docs/pkg/a/table.csv.bz2 | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["type"] == "csv", d; assert "Colour: blue" in d["text"], d' \
	|| fail "table.csv.bz2 not read as CSV"
c show --json docs/pkg/a/NOEXT | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["type"] == "txt", d' \
	|| fail "NOEXT not read as text"
# nothing under the duplicate link
c search --json zanzibarite | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; assert not any("a-again" in x["doc"] for x in r), r' \
	|| fail "the duplicate link was walked"
echo ok
