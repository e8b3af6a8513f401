#!/usr/bin/env bash
# ingest_acl_crash.sh — an ACL-only update (ingest of unchanged files with
# other ACL options: acl_update in corpus/ingest.c) killed with -9 at random
# moments leaves a consistent state: after each kill the catalog is sound
# and every document of the mailbox has the old ACL or the new one (never a
# mix inside a file: one transaction per batch of files); the next open
# repairs the index to exactly the catalog's chunks; a final run completes
# without extracting anything, and each user finds only the messages
# addressed to them. CR_ACL_CRASH_MESSAGES (default 3000) and
# CR_ACL_CRASH_ROUNDS (default 6) size it.
set -euo pipefail
: "${CR_BIN:?}"
tmp=$(mktemp -d /tmp/cr_e2e_aclcrash.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
N=${CR_ACL_CRASH_MESSAGES:-3000}
ROUNDS=${CR_ACL_CRASH_ROUNDS:-6}

# Four mailboxes; message i goes from u(i%7) to u((i+1)%7) and u((i+3)%7),
# with one word of its own ("zq<i>q" in letters).
python3 - "$tmp/mail" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(root)
A = "bcdfghjkmnpqrtvxz"
def enc(i):
    s = ""
    while True:
        s = A[i % len(A)] + s
        i //= len(A)
        if i == 0:
            return "zq" + s + "q"
for b in range(4):
    with open(os.path.join(root, "box%d.mbox" % b), "w") as f:
        for i in range(b, n, 4):
            f.write("From u%d@example.com Mon Mar  2 09:00:00 2026\n" % (i % 7))
            f.write("From: U%d <u%d@example.com>\nTo: u%d@example.com\nCc: \"U\" <U%d@EXAMPLE.com>\n"
                    % (i % 7, i % 7, (i + 1) % 7, (i + 3) % 7))
            f.write("Subject: note %d\n\nThe word of this message is %s, among filler text about the "
                    "warehouse conveyor and its picking arm.\n\n" % (i, enc(i)))
PY
c init >/dev/null
c group add legal >/dev/null
for u in 0 1 2 3 4 5 6; do c user add "u$u" --email "u$u@example.com" >/dev/null; done
c user add lee --group legal >/dev/null
c ingest --acl-from-mail "$tmp/mail" >/dev/null 2>&1 || fail "first ingest"
t0=$(date +%s%N)
"$CR_BIN" --data "$tmp/data" ingest --json --acl-from-mail --acl group:legal "$tmp/mail" >"$tmp/t.json" 2>/dev/null
full_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["acl_updated"] == 4 and r["extracted"] == 0, r' \
	"$tmp/t.json" || fail "the timing run was no ACL-only update: $(cat "$tmp/t.json")"
[ "$full_ms" -ge 20 ] || full_ms=20

check_catalog() {
	python3 - "$D/catalog.db" <<'PY' || fail "catalog inconsistent after round $1"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("PRAGMA foreign_key_check").fetchall() == []
bad = db.execute("SELECT count(*) FROM documents d WHERE d.n_chunks != "
                 "(SELECT count(*) FROM chunks c WHERE c.doc_id = d.id)").fetchone()[0]
assert bad == 0, bad
legal = db.execute("SELECT id FROM groups WHERE name = 'legal'").fetchone()[0]
# per mailbox: every document has the legal group, or none has
for (top,) in db.execute("SELECT id FROM documents WHERE parent_id IS NULL"):
    rows = db.execute("SELECT d.groups, r.in_acl FROM documents d LEFT JOIN doc_readers r ON r.doc_id = d.id"
                      " WHERE d.id = ? OR d.parent_id = ?", (top, top)).fetchall()
    has = {str(legal) in g.split(",") for g, _ in rows}
    assert len(has) == 1, ("mixed ACL in one file", top)
    assert {a for _, a in rows} == {1}, ("readers dropped", top)
PY
}

kills=0
for round in $(seq 1 "$ROUNDS"); do
	if [ $((round % 2)) = 1 ]; then opts=(--acl-from-mail); else opts=(--acl-from-mail --acl group:legal); fi
	"$CR_BIN" --data "$D" ingest "${opts[@]}" "$tmp/mail" >/dev/null 2>&1 &
	pid=$!
	ms=$(( RANDOM % (full_ms + full_ms / 4) + 1 ))
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null || true
	pid=
	check_catalog "$round"
done
echo "killed $kills of $ROUNDS ACL-only updates (an undisturbed one: ${full_ms} ms)"

# any open repairs the index: then it holds exactly the catalog's chunks
c stats --json >"$tmp/s.json"
python3 - "$tmp/s.json" "$D/catalog.db" <<'PY' || fail "index and catalog disagree after the crashes"
import json, sqlite3, sys
s = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
n, top = db.execute("SELECT count(*), coalesce(max(id), 0) FROM chunks").fetchone()
assert s["index"]["live"] == n and s["chunks"] == n, (s["index"], n)
assert s["index"]["max_id"] >= top, (s["index"], top)
assert db.execute("SELECT count(*) FROM deleted_chunks").fetchone()[0] == 0
PY
c ingest --json --acl-from-mail "$tmp/mail" >"$tmp/f.json" 2>/dev/null || fail "the final run did not complete"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["extracted"] == 0, r' "$tmp/f.json" ||
	fail "the final run extracted: $(cat "$tmp/f.json")"
check_catalog final

# who finds what: a sample of messages, each by its three addresses only
python3 - "$N" >"$tmp/q.txt" <<'PY'
import sys
n = int(sys.argv[1])
A = "bcdfghjkmnpqrtvxz"
def enc(i):
    s = ""
    while True:
        s = A[i % len(A)] + s
        i //= len(A)
        if i == 0:
            return "zq" + s + "q"
for i in range(0, n, max(1, n // 12)):
    print(i, enc(i), " ".join(sorted({"u%d" % (i % 7), "u%d" % ((i + 1) % 7), "u%d" % ((i + 3) % 7)})))
PY
checked=0
while read -r i word readers; do
	for u in u0 u1 u2 u3 u4 u5 u6 lee; do
		got=$(c search --json --as "$u" "$word" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))')
		want=0
		case " $readers " in *" $u "*) want=1 ;; esac
		[ "$got" = "$want" ] || fail "$u searching message $i ($word): $got results, want $want"
		checked=$((checked + 1))
	done
done <"$tmp/q.txt"
echo "ok: $checked searches after $kills kills; the index matched the catalog"
