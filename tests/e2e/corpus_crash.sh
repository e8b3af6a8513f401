#!/usr/bin/env bash
# corpus_crash.sh — crash safety: ingest a sizeable tree and kill -9 the
# process at random moments, several times, changing the tree between
# rounds (edits, deletions, additions). Then verify:
#   - the catalog passes PRAGMA integrity_check and foreign_key_check;
#   - after the repair that any open performs, the index holds exactly the
#     catalog's chunks (live entries == chunks, nothing above the catalog's
#     highest id), so no chunk is missing and no entry is stale;
#   - a re-run completes, and every file on disk is found by its unique
#     word (and only there), while words of deleted or edited-away versions
#     are found nowhere.
# CR_CRASH_FILES (default 800) and CR_CRASH_ROUNDS (default 6) size it;
# KEEP=1 keeps the temporary tree and data directory.
set -euo pipefail
: "${CR_BIN:?}"
tmp=$(mktemp -d /tmp/cr_e2e_crash.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ "${KEEP:-0}" = 1 ] && echo "kept $tmp" || rm -rf "$tmp"' EXIT
D="$tmp/data"
T="$tmp/tree"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
N=${CR_CRASH_FILES:-800}
ROUNDS=${CR_CRASH_ROUNDS:-6}

# The tree: files in folders, each with filler text and one unique word
# (enc.py: letters only, from the file's id and version); mutate.py
# edits/deletes/adds between rounds.
cat >"$tmp/enc.py" <<'PY'
A = "bcdfghjkmnpqrtvxz"  # no vowels, s, y, l, w: stems leave these words alone
def enc(i, v):
    # one unique word of letters only ("zq" i "w" v "q"): the analyzer
    # splits letters from digits, so "kw12v3" would match "kw1v0" too
    def e(n):
        s = ""
        while True:
            s = A[n % len(A)] + s
            n //= len(A)
            if n == 0:
                return s
    return "zq" + e(i) + "w" + e(v) + "q"
PY
cat >"$tmp/mutate.py" <<'PY'
import os, random, sys
sys.path.insert(0, os.path.dirname(sys.argv[0]))
from enc import enc
root, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
vocab = ("alpha beta gamma delta motor servo gripper pilot budget travel policy "
         "warehouse conveyor shelf picking arm joint torque sensor camera lens "
         "invoice payment contract supplier schedule review design launch").split()
state_path = os.path.join(root, "..", "state.txt")
state = {}
if os.path.exists(state_path):
    for line in open(state_path):
        i, v = line.split()
        state[int(i)] = int(v)
def write(i, v):
    d = os.path.join(root, "d%02d" % (i % 40))
    os.makedirs(d, exist_ok=True)
    ext = (".txt", ".md", ".txt", ".csv")[i % 4]
    words = [rnd.choice(vocab) for _ in range(rnd.randint(200, 900))]
    words.insert(rnd.randint(0, len(words)), enc(i, v))
    body = ""
    if ext == ".csv":
        body = "id,text\n" + "".join("%d,%s\n" % (k, " ".join(words[k*20:(k+1)*20])) for k in range(len(words)//20 + 1))
    else:
        body = "\n\n".join(" ".join(words[k:k+60]) + "." for k in range(0, len(words), 60))
    with open(os.path.join(d, "f%05d%s" % (i, ext)), "w") as f:
        f.write(body)
    state[i] = v
def path(i):
    return os.path.join(root, "d%02d" % (i % 40), "f%05d%s" % (i, (".txt", ".md", ".txt", ".csv")[i % 4]))
if not state:
    for i in range(n):
        write(i, 0)
else:
    ids = sorted(state)
    for i in rnd.sample(ids, min(len(ids), len(ids) // 4)):
        write(i, state[i] + 1)               # edit a quarter of the files
    for i in rnd.sample(ids, min(len(ids), 15)):
        if i in state:
            os.unlink(path(i)); del state[i]   # delete
    top = max(ids) + 1
    for i in range(top, top + 15):
        write(i, 0)                           # add
with open(state_path, "w") as f:
    for i, v in sorted(state.items()):
        f.write("%d %d\n" % (i, v))
PY
python3 "$tmp/mutate.py" "$T" "$N" 0
c init >/dev/null

# How long an undisturbed ingest of the whole tree takes, on a scratch copy.
t0=$(date +%s%N)
"$CR_BIN" --data "$tmp/scratch" ingest "$T" >/dev/null 2>&1
full_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
rm -rf "$tmp/scratch"
[ "$full_ms" -ge 20 ] || full_ms=20

kills=0
for round in $(seq 1 "$ROUNDS"); do
	[ "$round" = 1 ] || python3 "$tmp/mutate.py" "$T" "$N" "$round"
	# (the binary itself, not a shell function: kill must hit cristal)
	"$CR_BIN" --data "$D" ingest "$T" >/dev/null 2>&1 &
	pid=$!
	# anywhere from the start to a bit past the expected end (later rounds
	# redo a quarter of the tree)
	win=$full_ms
	[ "$round" = 1 ] || win=$(( full_ms / 3 + 1 ))
	ms=$(( RANDOM % (win + win / 4) + 1 ))
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null || true
	pid=
	pgrep -f "$D" >/dev/null && fail "a killed ingest is still running"
	# Sometimes also kill the repair an open performs.
	if [ $((RANDOM % 2)) = 0 ]; then
		"$CR_BIN" --data "$D" stats >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 5))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
	# The catalog must be sound after every crash.
	python3 - "$D/catalog.db" <<'PY' || fail "catalog damaged after round $round"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("PRAGMA foreign_key_check").fetchall() == []
# every document's chunk count matches its rows (one transaction per document)
bad = db.execute("SELECT count(*) FROM documents d WHERE d.n_chunks != "
                 "(SELECT count(*) FROM chunks c WHERE c.doc_id = d.id)").fetchone()[0]
assert bad == 0, bad
PY
done
echo "killed $kills of $ROUNDS ingests (full run ${full_ms} ms)"

# Any open repairs the index; then it must match the catalog exactly.
verify_counts() {
	c stats --json >"$tmp/stats.json"
	python3 - "$tmp/stats.json" "$D/catalog.db" <<'PY' || fail "index and catalog disagree ($1)"
import json, sqlite3, sys
s = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
n, top = db.execute("SELECT count(*), coalesce(max(id), 0) FROM chunks").fetchone()
pending = db.execute("SELECT count(*) FROM deleted_chunks").fetchone()[0]
assert s["chunks"] == n, (s, n)
assert s["index"]["entries"] == n, ("index live entries", s["index"], "catalog chunks", n)
assert s["index"]["max_id"] >= top, ("index behind", s["index"], top)
assert pending == 0, ("tombstones not applied", pending)
PY
}
verify_counts "after the crashes"

c ingest --json "$T" >"$tmp/final.json" 2>/dev/null || fail "re-run did not complete"
verify_counts "after the re-run"

# Every file is found by its word, in the right document; old words are gone.
python3 - "$T" "$tmp" <<'PY'
import json, os, sys
root, tmp = sys.argv[1], sys.argv[2]
sys.path.insert(0, tmp)
from enc import enc
state = dict(map(int, l.split()) for l in open(os.path.join(root, "..", "state.txt")))
with open(os.path.join(tmp, "q.jsonl"), "w") as f:
    for i, v in sorted(state.items()):
        f.write(json.dumps({"_id": "kw%dv%d" % (i, v), "text": enc(i, v)}) + "\n")
        if v:
            f.write(json.dumps({"_id": "old:kw%dv%d" % (i, v - 1), "text": enc(i, v - 1)}) + "\n")
PY
c search --json -k 3 --no-snippets --queries "$tmp/q.jsonl" >"$tmp/q.out"
python3 - "$tmp/q.out" "$T" <<'PY' || fail "search after recovery"
import json, os, sys
state = dict(map(int, l.split()) for l in open(os.path.join(sys.argv[2], "..", "state.txt")))
n_new = n_old = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    q, docs = o["qid"], [r["doc"] for r in o["results"]]
    if q.startswith("old:"):
        assert docs == [], (q, docs)
        n_old += 1
        continue
    i = int(q[2:].split("v")[0])
    ext = (".txt", ".md", ".txt", ".csv")[i % 4]
    want = "tree/d%02d/f%05d%s" % (i % 40, i, ext)
    assert docs == [want], (q, docs, want)
    n_new += 1
assert n_new == len(state), (n_new, len(state))
print("found %d files by their word; %d edited-away words found nowhere" % (n_new, n_old))
PY
echo "ok"
