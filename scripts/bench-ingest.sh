#!/bin/sh
# bench-ingest.sh — the whole ingest as a user times it: `cristal ingest`,
# process start to exit (catalog, index, merge included), against SQLite FTS5
# inserting the same documents and running 'optimize' (bench/bench_ingest_fts5.c).
#
#   scripts/bench-ingest.sh [--runs N] [--mb N] [--only jsonl|dir]
#
# Two inputs, generated into $CR_BENCH_DIR (default /tmp/cr_bench; never
# committed) from the real English text in $CR_SHARED_DATA (default
# ../shared/data):
#   ingest100.jsonl   ~100 MB, one document per line {"_id", "title", "text"}
#   ingest100/        the same documents as files (1,000 per folder), each
#                     "title", a blank line, the text
# The shared data holds only ~10 MB of English (SciFact, Cranfield, AMI and
# QMSum meetings), so, as bench-search.sh's mix100, documents are built from
# its real sentences shuffled, with real titles and real document lengths,
# each with its own id: no two documents are the same.
#
# Each command runs --runs times (default 5) after one warm-up, ours and the
# peer's in turn (A B A B ...), each in a fresh data directory. Printed: the
# median wall seconds, the median CPU seconds (user+system; CPU/wall says how
# many cores were busy), MB/s of text, and the median of the per-pair ratios
# (FTS5 time / ours: above 1 means we are faster).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
data="${CR_SHARED_DATA:-$here/../shared/data}"
out="${CR_BENCH_DIR:-/tmp/cr_bench}"
build="${CR_BUILD_DIR:-$here/build}"
cristal="${CR_BIN:-$here/bin/cristal}"
runs=5
mb=100
only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift ;;
	--mb) mb=$2; shift ;;
	--only) only=$2; shift ;;
	*) echo "usage: $0 [--runs N] [--mb N] [--only jsonl|dir]"; exit 2 ;;
	esac
	shift
done
if [ ! -f "$data/ir-scifact/corpus.jsonl" ]; then
	echo "bench-ingest: no data in $data (set CR_SHARED_DATA); skipped"
	exit 0
fi
peer="$build/bench/bench_ingest_fts5"
if [ ! -x "$peer" ] || [ ! -x "$cristal" ]; then
	cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j2 --target bench_ingest_fts5 cristal_cli >/dev/null
fi
mkdir -p "$out"

python3 - "$data" "$out" "$mb" <<'EOF'
import json, os, random, re, sys
data, out, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(8)
def clean(s):
    return re.sub(r"\s+", " ", s).strip()
docs = []  # (title, body)
with open(f"{data}/ir-scifact/corpus.jsonl") as f:
    for line in f:
        j = json.loads(line)
        docs.append((clean(j.get("title", "")), clean(j["text"])))
txt = open(f"{data}/ir-cranfield/cran.all.1400", errors="replace").read()
for rec in txt.split("\n.I ")[1:]:
    t = re.search(r"\.T\n(.*?)\n\.[A-Z]\n", rec, re.S)
    w = re.search(r"\.W\n(.*)", rec, re.S)
    if t and w:
        docs.append((clean(t.group(1)), clean(w.group(1))))
def chunks(words, title):
    for i in range(0, len(words), 150):
        docs.append((title, " ".join(words[i:i + 150])))
ami = f"{data}/meetings-ami/transcripts"
for fn in sorted(os.listdir(ami)):
    chunks(open(os.path.join(ami, fn), errors="replace").read().split(), "Meeting " + fn.split(".")[0])
qm = f"{data}/meetings-qmsum"
for fn in sorted(os.listdir(qm)):
    if fn.endswith(".json"):
        j = json.load(open(os.path.join(qm, fn)))
        words = " ".join(t["content"] for t in j["meeting_transcripts"]).split()
        topics = [t["topic"] for t in j.get("topic_list", [])] or [fn]
        chunks(words, random.choice(topics))
sents = []
for _, b in docs:
    sents.extend(s for s in re.split(r"(?<=[.!?])\s+", b) if len(s) > 20)
titles = [t for t, _ in docs if 8 <= len(t) <= 100]
lengths = [len(b) for _, b in docs if len(b) > 100]
name = f"ingest{mb}"
jsonl, folder = f"{out}/{name}.jsonl", f"{out}/{name}"
if os.path.exists(jsonl) and os.path.isdir(folder):
    sys.exit(0)
target = mb * 1000 * 1000
size, n = 0, 0
with open(jsonl + ".tmp", "w") as f:
    while size < target:
        want = random.choice(lengths)
        body, k = [], 0
        while k < want:
            s = random.choice(sents)
            body.append(s)
            k += len(s) + 1
        t, b = random.choice(titles), " ".join(body)
        f.write(json.dumps({"_id": f"d{n}", "title": t, "text": b}) + "\n")
        size += len(t) + len(b)
        n += 1
os.rename(jsonl + ".tmp", jsonl)
os.makedirs(folder + ".tmp", exist_ok=True)
with open(jsonl) as f:
    for line in f:
        j = json.loads(line)
        i = int(j["_id"][1:])
        d = f"{folder}.tmp/{i // 1000:03d}"
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        with open(f"{d}/{j['_id']}.txt", "w") as g:
            g.write(j["title"] + "\n\n" + j["text"] + "\n")
os.rename(folder + ".tmp", folder)
print(f"bench-ingest: {n} documents, {size / 1e6:.0f} MB of text in {jsonl} and {folder}/")
EOF

python3 - "$cristal" "$peer" "$out" "$mb" "$runs" "$only" <<'EOF'
import os, shutil, statistics, subprocess, sys, time
cristal, peer, out, mb, runs, only = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
work = f"{out}/ingest-work"
def text_mb(kind):
    # what both sides index: titles and texts (the catalog and FTS5 keep both)
    import json
    n = 0
    with open(f"{out}/ingest{mb}.jsonl") as f:
        for line in f:
            j = json.loads(line)
            n += len(j["title"].encode()) + len(j["text"].encode())
    return n / 1e6
def run(argv, clean):
    shutil.rmtree(clean, ignore_errors=True)
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if status != 0:
        sys.exit(f"bench-ingest: {' '.join(argv)} failed:\n{err}")
    return wall, ru.ru_utime + ru.ru_stime
mbs = text_mb("jsonl")
for kind in ("jsonl", "dir"):
    if only and kind != only:
        continue
    src = f"{out}/ingest{mb}" + (".jsonl" if kind == "jsonl" else "")
    ours = [cristal, "--data", f"{work}/cr", "ingest"] + (["--jsonl", src] if kind == "jsonl" else [src])
    theirs = [peer, f"{work}/fts/fts.db", "--" + kind, src]
    os.makedirs(work, exist_ok=True)
    a, b = [], []
    for i in range(runs + 1):
        ra = run(ours, f"{work}/cr")
        os.makedirs(f"{work}/fts", exist_ok=True)
        for f in os.listdir(f"{work}/fts"):
            os.unlink(f"{work}/fts/{f}")
        rb = run(theirs, f"{work}/fts-none")
        if i:  # the first pair warms the page cache
            a.append(ra)
            b.append(rb)
    med = statistics.median
    wa, wb = med(x[0] for x in a), med(x[0] for x in b)
    ca, cb = med(x[1] for x in a), med(x[1] for x in b)
    ratio = med(y[0] / x[0] for x, y in zip(a, b))
    lo, hi = min(y[0] / x[0] for x, y in zip(a, b)), max(y[0] / x[0] for x, y in zip(a, b))
    label = "--jsonl FILE" if kind == "jsonl" else "FOLDER     "
    print(f"== ingest {label} {mbs:.0f} MB of text, {runs} runs, medians")
    print(f"   cristal  {wa:7.2f} s wall  {ca:7.2f} s CPU ({ca / wa:4.2f} cores)  {mbs / wa:6.1f} MB/s")
    print(f"   FTS5     {wb:7.2f} s wall  {cb:7.2f} s CPU ({cb / wb:4.2f} cores)  {mbs / wb:6.1f} MB/s")
    print(f"   FTS5/cristal wall: {ratio:.2f}x (pairs {lo:.2f}-{hi:.2f}; above 1: cristal faster)")
shutil.rmtree(work, ignore_errors=True)
EOF
