#!/usr/bin/env bash
# encryption.sh — encryption at rest end to end (docs/ARCHITECTURE.md,
# "Encryption at rest"): samples/ ingested into a plaintext and an encrypted
# data directory give byte-identical search, ask and show output; the
# encrypted directory's files (catalog, its WAL, index segments) hold none of
# the distinctive sample sentences and index terms the plaintext one does
# (so the check can fail); no key, a wrong key, a key file others may read
# and --encrypt without a key are clear errors; one byte flipped in a sealed
# segment or in a sealed chunk value is a corruption error with no output,
# never other results; vector files are sealed and give the same vector and
# hybrid rankings, a flipped byte in one is a corruption error; backup and
# restore of the encrypted directory work with the key (and the archive
# holds no sentence either).
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
tmp=$(mktemp -d /tmp/cr_e2e_crypt.XXXXXX)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
P="$tmp/plain" E="$tmp/enc" K="$tmp/key"
unset CRISTAL_KEY CRISTAL_KEY_FILE CRISTAL_CONFIG
p() { "$CR_BIN" --data "$P" "$@"; }
e() { CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$E" "$@"; }
cd "$CR_SOURCE_DIR"

# --encrypt needs a key
if "$CR_BIN" --data "$tmp/x" init --encrypt 2>"$tmp/err"; then fail "init --encrypt without a key"; fi
grep -q "needs a key" "$tmp/err" || fail "init --encrypt message: $(cat "$tmp/err")"

p init >/dev/null
p ingest samples >/dev/null
"$CR_BIN" --data "$E" init --new-key "$K" >"$tmp/init.out"
grep -q "(encrypted)" "$tmp/init.out" || fail "init --new-key: $(cat "$tmp/init.out")"
[ "$(stat -c %a "$K")" = 600 ] || fail "key file mode $(stat -c %a "$K")"
e ingest samples >/dev/null
# an existing plaintext directory is not turned encrypted
if CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$P" init --encrypt 2>"$tmp/err"; then fail "init --encrypt on plaintext"; fi
grep -q "not encrypted" "$tmp/err" || fail "init --encrypt on plaintext: $(cat "$tmp/err")"
if "$CR_BIN" --data "$P" init --new-key "$tmp/k2" 2>"$tmp/err"; then fail "init --new-key on plaintext"; fi
[ ! -e "$tmp/k2" ] || fail "init --new-key left a key for nothing"
if "$CR_BIN" --data "$E" init --new-key "$K" 2>"$tmp/err"; then fail "init --new-key over an existing key file"; fi
grep -q "File exists" "$tmp/err" || fail "init --new-key over a key: $(cat "$tmp/err")"

# the same answers
QUERIES=("drive train supply" "budget" "travel security policy" "Kestrel launch" "core hours" "量産準備" "就業規則"
	"\"robot arms\"" "servo -Hokuto" "type:pdf report")
for q in "${QUERIES[@]}"; do
	p search --json -k 5 "$q" >"$tmp/p.json"
	e search --json -k 5 "$q" >"$tmp/e.json"
	cmp -s "$tmp/p.json" "$tmp/e.json" || fail "search '$q' differs"
	grep -q '"doc"' "$tmp/e.json" || [ "$q" = "servo -Hokuto" ] || fail "search '$q' found nothing"
done
for q in "What are the core hours?" "Who is the primary supplier for the HM-40?"; do
	p ask --json "$q" >"$tmp/p.json"
	e ask --json "$q" >"$tmp/e.json"
	cmp -s "$tmp/p.json" "$tmp/e.json" || fail "ask '$q' differs"
done
for d in samples/docs/memo-servo-supply.txt samples/docs/employee-handbook.md samples/ja/shain-handbook.md \
	samples/meetings/kestrel-design-review.vtt; do
	p show --json "$d" >"$tmp/p.json"
	e show --json "$d" >"$tmp/e.json"
	cmp -s "$tmp/p.json" "$tmp/e.json" || fail "show $d differs"
	p show "$d" >"$tmp/p.txt"
	e show "$d" >"$tmp/e.txt"
	cmp -s "$tmp/p.txt" "$tmp/e.txt" || fail "show $d (text) differs"
done

# nothing readable on disk: sentences (catalog, WAL) and index terms
SENTENCES=("We design and build precision robot arms" "looked again at the drive train supply"
	"Core hours are 10:00 to 15:00" "Aozora Precision Employee Handbook" "wkestrel" "wservo")
# a reader keeps the WAL from being checkpointed away while we look
python3 - "$E/catalog.db" "$P/catalog.db" "$tmp/hold" <<'PY' &
import sqlite3, sys, os, time
cs = [sqlite3.connect(p) for p in sys.argv[1:3]]
for c in cs:
    c.execute("BEGIN")
    c.execute("SELECT count(*) FROM chunks").fetchone()
open(sys.argv[3], "w").close()
time.sleep(20)
PY
holder=$!
for _ in $(seq 100); do [ -f "$tmp/hold" ] && break; sleep 0.1; done
# written while the reader holds its snapshot: these pages stay in the WAL
mkdir "$tmp/extra"
echo "The heliotrope lantern guards the northern quay of Sakaiminato." >"$tmp/extra/lantern.txt"
e ingest "$tmp/extra" >/dev/null
p ingest "$tmp/extra" >/dev/null
[ -s "$E/catalog.db-wal" ] || fail "no WAL to check in the encrypted directory"
grep -qaF "heliotrope lantern" "$P/catalog.db-wal" || fail "the plaintext WAL lacks the new sentence"
SENTENCES+=("heliotrope lantern")
for s in "${SENTENCES[@]}"; do
	grep -rqaF -- "$s" "$P" || fail "the plaintext directory lacks '$s' (the check cannot fail)"
	if grep -rlaF -- "$s" "$E" >"$tmp/hits"; then fail "'$s' in the encrypted directory: $(cat "$tmp/hits")"; fi
done
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true

# no key, a wrong key, a key file others may read, both variables
if "$CR_BIN" --data "$E" search budget >"$tmp/out" 2>"$tmp/err"; then fail "search without the key"; fi
grep -q "this data directory is encrypted; set" "$tmp/err" || fail "no-key message: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "output without the key"
if CRISTAL_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') "$CR_BIN" --data "$E" search budget \
	>"$tmp/out" 2>"$tmp/err"; then fail "search with a wrong key"; fi
grep -q "wrong key" "$tmp/err" || fail "wrong-key message: $(cat "$tmp/err")"
CRISTAL_KEY=$(tr -d '\n' <"$K") "$CR_BIN" --data "$E" search --json -k 5 budget >"$tmp/e.json" ||
	fail "the key as CRISTAL_KEY"
p search --json -k 5 budget | cmp -s - "$tmp/e.json" || fail "search with CRISTAL_KEY differs"
cp "$K" "$tmp/key644"
chmod 644 "$tmp/key644"
if CRISTAL_KEY_FILE="$tmp/key644" "$CR_BIN" --data "$E" search budget 2>"$tmp/err"; then fail "a 0644 key file"; fi
grep -q "chmod 600" "$tmp/err" || fail "0644 key message: $(cat "$tmp/err")"
# the key from the configuration file
printf '[encryption]\nkey_file = "%s"\n' "$K" >"$tmp/cristal.toml"
"$CR_BIN" --config "$tmp/cristal.toml" --data "$E" search --json -k 5 budget | cmp -s - "$tmp/e.json" ||
	fail "key_file from the configuration"

# one byte flipped in a sealed segment: a corruption error, no results
cp -a "$E" "$tmp/e2"
seg=$(ls "$tmp"/e2/index/seg_*.idx | head -1)
python3 - "$seg" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x10
open(p, "wb").write(bytes(b))
PY
if CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$tmp/e2" search budget >"$tmp/out" 2>"$tmp/err"; then
	fail "search over a flipped segment byte"
fi
grep -q "fails authentication" "$tmp/err" || fail "segment flip message: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "output over a flipped segment"
rm -rf "$tmp/e2"

# one byte flipped in a sealed chunk value: show and search fail on it
cp -a "$E" "$tmp/e3"
python3 - "$tmp/e3/catalog.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
(cid, blob), = c.execute("SELECT c.id, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id"
                          " WHERE d.name = 'samples/docs/memo-servo-supply.txt' ORDER BY c.id LIMIT 1")
assert isinstance(blob, bytes), type(blob)
b = bytearray(blob)
b[len(b) // 2] ^= 0x01
c.execute("UPDATE chunks SET text = ? WHERE id = ?", (bytes(b), cid))
c.commit()
PY
if CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$tmp/e3" show samples/docs/memo-servo-supply.txt >"$tmp/out" \
	2>"$tmp/err"; then fail "show over a flipped chunk value"; fi
grep -q "chunks.text of row .* fails authentication" "$tmp/err" || fail "chunk flip message: $(cat "$tmp/err")"
if CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$tmp/e3" search "drive train supply" >"$tmp/out" 2>"$tmp/err"; then
	fail "search over a flipped chunk value"
fi
grep -q "fails authentication" "$tmp/err" || fail "search chunk flip message: $(cat "$tmp/err")"
rm -rf "$tmp/e3"

# vector files: sealed, and the same vector and hybrid rankings (scripted
# embeddings server, hashed bag of words)
python3 "$CR_SOURCE_DIR/tests/provider/server.py" >"$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
PORT=$(head -1 "$tmp/port")
[ -n "$PORT" ] || fail "the test server did not start"
for x in p e; do
	$x provider add emb --kind openai --url "http://127.0.0.1:$PORT/bow/v1" --model e >/dev/null
	$x index vectors --provider emb >/dev/null
done
ls "$E"/vectors/*.vix >/dev/null || fail "no vector files"
for f in "$E"/vectors/*.vix; do [ "$(head -c 8 "$f")" = CRENCF01 ] || fail "$f is not sealed"; done
for f in "$P"/vectors/*.vix; do [ "$(head -c 8 "$f")" != CRENCF01 ] || fail "$f is sealed in plaintext"; done
for mode in vector hybrid; do
	for q in "drive train supply" "core hours" "budget"; do
		p search --json --mode $mode -k 5 "$q" >"$tmp/p.json"
		e search --json --mode $mode -k 5 "$q" >"$tmp/e.json"
		cmp -s "$tmp/p.json" "$tmp/e.json" || fail "search --mode $mode '$q' differs"
	done
done
cp -a "$E" "$tmp/e4"
vf=$(ls "$tmp"/e4/vectors/*.vix | head -1)
python3 - "$vf" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x08
open(p, "wb").write(bytes(b))
PY
if CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$tmp/e4" search --mode vector budget >"$tmp/out" 2>"$tmp/err"; then
	fail "vector search over a flipped vector file byte"
fi
grep -q "vectors not used: .*fails authentication" "$tmp/err" || fail "vector flip message: $(cat "$tmp/err")"
# hybrid (the default with vectors) goes on with BM25 alone, saying why
CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$tmp/e4" search --json budget >"$tmp/out" 2>"$tmp/err" ||
	fail "search over a flipped vector file byte"
grep -q "fails authentication" "$tmp/err" || fail "hybrid vector flip message: $(cat "$tmp/err")"
p search --json --mode bm25 budget | cmp -s - "$tmp/out" || fail "hybrid over a bad vector file is not BM25's"
rm -rf "$tmp/e4"

# backup and restore with the key; without it the restored directory does not open
e backup "$tmp/b.tar" >/dev/null
for s in "${SENTENCES[@]}"; do
	if grep -qaF -- "$s" "$tmp/b.tar"; then fail "'$s' in the encrypted backup"; fi
done
CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$tmp/r" restore "$tmp/b.tar" >/dev/null || fail "restore with the key"
for q in "${QUERIES[@]}"; do
	e search --json -k 5 "$q" >"$tmp/e.json"
	CRISTAL_KEY_FILE="$K" "$CR_BIN" --data "$tmp/r" search --json -k 5 "$q" | cmp -s - "$tmp/e.json" ||
		fail "restored search '$q' differs"
done
if "$CR_BIN" --data "$tmp/r2" restore "$tmp/b.tar" >/dev/null 2>"$tmp/err"; then fail "restore without the key"; fi
grep -q "encrypted" "$tmp/err" || fail "restore without the key: $(cat "$tmp/err")"
echo "encryption: ok"
