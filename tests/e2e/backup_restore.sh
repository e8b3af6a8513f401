#!/usr/bin/env bash
# backup_restore.sh — cristal backup while the server runs under load
# (two clients searching over HTTP, and a writer ingesting and deleting
# documents in rounds), then cristal restore into fresh data directories:
#  - a backup taken in the middle of the writes restores to a data directory
#    whose catalog and index agree (restore prints "in step": the index
#    holds exactly the catalog's chunks, nothing to repair), whose document
#    count is one the live directory had between two writer rounds, whose
#    every search hit can be shown, and whose audit log verifies;
#  - a backup taken once the writes stopped (searches still running)
#    restores to a directory that answers every query with the live one's
#    exact bytes (search --json, ask --json), also when served;
#  - no search failed during the backups; a restore over a non-empty
#    directory or of a damaged archive is refused and leaves nothing.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
command -v tar >/dev/null || exit 77
make_data
# documents for the writer: 6 rounds of 40, each with words the queries hit
python3 - "$tmp/extra" <<'PY'
import os, random, sys
random.seed(7)
words = "leave travel expense policy budget meeting deadline contract invoice security laptop office".split()
out = sys.argv[1]
os.makedirs(out)
for i in range(240):
    with open(os.path.join(out, "note_%03d.txt" % i), "w") as f:
        f.write("Note %d\n\n" % i)
        for _ in range(30):
            f.write(" ".join(random.choice(words) for _ in range(12)) + ".\n")
PY
start_server --threads 3
QUERIES=("annual leave" "travel expense" "budget meeting" "security laptop" "contract invoice" "deadline")

# load: two searching clients until told to stop (at most 3,000 requests each)
search_load() {
	local n=0 bad=0
	while [ ! -f "$tmp/stop" ] && [ $n -lt 3000 ]; do
		q=${QUERIES[$((n % ${#QUERIES[@]}))]}
		code=$(curl -s -o /dev/null -w '%{http_code}' --get --data-urlencode "q=$q" "$U/api/search") || code=000
		[ "$code" = 200 ] || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >"$tmp/load.$1"
}
search_load 1 &
l1=$!
search_load 2 &
l2=$!
# the writer: rounds of ingest (40 new files, 5 old ones deleted), each
# followed by the document count it left
mkdir -p "$tmp/live"
c stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"])' >"$tmp/counts"
writer() {
	for r in 0 1 2 3 4 5; do
		for i in $(seq $((r * 40)) $((r * 40 + 39))); do cp "$tmp/extra/note_$(printf %03d "$i").txt" "$tmp/live/"; done
		[ $r -gt 0 ] && for i in $(seq $((r * 40 - 40)) $((r * 40 - 36))); do rm -f "$tmp/live/note_$(printf %03d "$i").txt"; done
		c ingest "$tmp/live" >/dev/null 2>"$tmp/ingest.err" || { echo "ingest round $r failed" >"$tmp/writer.fail"; return; }
		c stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"])' >>"$tmp/counts"
	done
}
writer &
w=$!
# the first backup in the middle of the writer's rounds
sleep 1.5
c backup "$tmp/b1.tar" >"$tmp/b1.out" 2>&1 || fail "backup during writes: $(cat "$tmp/b1.out")"
grep -q 'writer lock held' "$tmp/b1.out" || fail "backup said: $(cat "$tmp/b1.out")"
wait "$w"
[ ! -f "$tmp/writer.fail" ] || fail "$(cat "$tmp/writer.fail"): $(cat "$tmp/ingest.err")"
# the second once the writes are over, searches still running
c backup "$tmp/b2.tar" >"$tmp/b2.out" 2>&1 || fail "backup after writes: $(cat "$tmp/b2.out")"
touch "$tmp/stop"
wait "$l1" "$l2"
read -r n1 bad1 <"$tmp/load.1"
read -r n2 bad2 <"$tmp/load.2"
[ "$bad1" = 0 ] && [ "$bad2" = 0 ] || fail "searches failed during the backups: $bad1/$n1, $bad2/$n2"
[ $((n1 + n2)) -gt 50 ] || fail "too little load ran: $n1 + $n2 searches"
echo "backup_restore: $((n1 + n2)) searches during the backups, none failed; $(cat "$tmp/b1.out")"
[ "$(stat -c %a "$tmp/b1.tar")" = 600 ] || fail "the archive is readable by others"
tar tf "$tmp/b1.tar" >"$tmp/list" || fail "tar cannot list the archive"
grep -qx catalog.db "$tmp/list" && grep -qx index/MANIFEST "$tmp/list" && grep -qx cristal-backup.json "$tmp/list" ||
	fail "archive entries: $(cat "$tmp/list")"

# restore of the mid-write backup: consistent, and a state between two rounds
R1="$tmp/r1"
"$CR_BIN" --data "$R1" restore "$tmp/b1.tar" >"$tmp/r1.out" 2>&1 || fail "restore b1: $(cat "$tmp/r1.out")"
grep -q '(in step)' "$tmp/r1.out" || fail "the mid-write backup's catalog and index disagree: $(cat "$tmp/r1.out")"
docs=$("$CR_BIN" --data "$R1" stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["documents"])')
grep -qx "$docs" "$tmp/counts" || fail "restored $docs documents, not a count between rounds: $(tr '\n' ' ' <"$tmp/counts")"
[ "$docs" != "$(tail -1 "$tmp/counts")" ] || echo "backup_restore: note: the first backup saw the last round"
"$CR_BIN" --data "$R1" stats --json >"$tmp/r1s.json"
py 'ix = r["index"]; assert ix["live"] == r["chunks"] and ix["max_id"] == r["max_chunk_id"], r' "$tmp/r1s.json"
for q in "${QUERIES[@]}"; do
	"$CR_BIN" --data "$R1" search --json -k 20 "$q" >"$tmp/q.json" || fail "search in the restored directory"
	python3 -c 'import json,sys; [print(x["doc"]) for x in json.load(open(sys.argv[1]))["results"]]' "$tmp/q.json" |
		while read -r doc; do
			"$CR_BIN" --data "$R1" show "$doc" >/dev/null 2>&1 || fail "restored hit $doc cannot be shown"
		done
done
"$CR_BIN" --data "$R1" audit verify >"$tmp/av" 2>&1 || fail "the restored audit log does not verify: $(cat "$tmp/av")"

# restore of the quiet backup: the live directory's exact answers
R2="$tmp/r2"
"$CR_BIN" --data "$R2" restore "$tmp/b2.tar" >"$tmp/r2.out" 2>&1 || fail "restore b2: $(cat "$tmp/r2.out")"
grep -q '(in step)' "$tmp/r2.out" || fail "b2 not in step: $(cat "$tmp/r2.out")"
for q in "${QUERIES[@]}"; do
	c search --json -k 10 "$q" >"$tmp/live.json"
	"$CR_BIN" --data "$R2" search --json -k 10 "$q" >"$tmp/rest.json"
	cmp -s "$tmp/live.json" "$tmp/rest.json" || fail "search '$q' differs after restore"
	py 'assert r["results"], r' "$tmp/rest.json"
done
c ask --json "How many days of annual leave do employees get?" >"$tmp/a_live.json"
"$CR_BIN" --data "$R2" ask --json "How many days of annual leave do employees get?" >"$tmp/a_rest.json"
cmp -s "$tmp/a_live.json" "$tmp/a_rest.json" || fail "ask differs after restore"
# served from the restored directory: the live server's bytes
curl -sf "$U/api/search?q=travel+expense&k=10" >"$tmp/s_live.json" || fail "live search"
kill "$srv_pid"; wait "$srv_pid" || true; srv_pid=
D="$R2" start_server
curl -sf "$U/api/search?q=travel+expense&k=10" >"$tmp/s_rest.json" || fail "search served from the restored directory"
cmp -s "$tmp/s_live.json" "$tmp/s_rest.json" || fail "the restored server answers differently"

# refusals: over a non-empty directory, and a damaged archive (nothing left)
rc=0
"$CR_BIN" --data "$R2" restore "$tmp/b2.tar" >"$tmp/o" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q 'not empty' "$tmp/o" || fail "restore over a data directory: rc $rc: $(cat "$tmp/o")"
cp "$tmp/b2.tar" "$tmp/bad.tar"
printf 'X' | dd of="$tmp/bad.tar" bs=1 seek=700 conv=notrunc 2>/dev/null
rc=0
"$CR_BIN" --data "$tmp/r3" restore "$tmp/bad.tar" >"$tmp/o" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q 'SHA-256 mismatch' "$tmp/o" || fail "a damaged archive: rc $rc: $(cat "$tmp/o")"
[ ! -e "$tmp/r3" ] || fail "a refused restore left $tmp/r3 behind"
echo "backup_restore: ok"
