#!/bin/sh
# bench-search.sh — Cristal's index against SQLite FTS5 and Xapian (bench/bench_search.c).
#
#   scripts/bench-search.sh [--large] [--runs N] [--index-runs N]
#
# Each corpus is one bench_search run: every engine indexes it in its own
# process (--index-runs times; the median throughput is printed), then runs
# the queries (--runs passes after a warm-up; medians of p50 and p95).
#
# Corpora, generated into $CR_BENCH_DIR (default /tmp/cr_bench; never committed)
# from the real text in $CR_SHARED_DATA (default ../shared/data):
#   scifact.tsv  BEIR SciFact as is (title, abstract)
#   mix100.tsv   ~100 MB: documents whose titles are real titles and whose
#                bodies are real sentences (SciFact, Cranfield, AMI and QMSum
#                meeting transcripts) shuffled, with real document lengths
#   mix1g.tsv    ~1 GB the same way (only with --large: takes a while)
# Queries (queries.txt, 300): 1-3 consecutive content words of real SciFact
# claims (200) and combinations of frequent corpus words (100).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
data="${CR_SHARED_DATA:-$here/../shared/data}"
out="${CR_BENCH_DIR:-/tmp/cr_bench}"
build="${CR_BUILD_DIR:-$here/build}"
large=0
runs=5
index_runs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--large) large=1 ;;
	--runs) runs=$2; shift ;;
	--index-runs) index_runs=$2; shift ;;
	*) echo "usage: $0 [--large] [--runs N] [--index-runs N]"; exit 2 ;;
	esac
	shift
done
if [ ! -f "$data/ir-scifact/corpus.jsonl" ]; then
	echo "bench-search: no data in $data (set CR_SHARED_DATA)"
	exit 0
fi
bin="$build/bench/bench_search"
if [ ! -x "$bin" ]; then
	cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j2 --target bench_search >/dev/null
fi
mkdir -p "$out"

python3 - "$data" "$out" "$large" <<'EOF'
import json, os, random, re, sys
data, out, large = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
random.seed(42)
def clean(s):
    return re.sub(r"\s+", " ", s).strip()
docs = []  # (title, body)
with open(f"{data}/ir-scifact/corpus.jsonl") as f:
    for line in f:
        j = json.loads(line)
        docs.append((clean(j.get("title", "")), clean(j["text"])))
scifact = list(docs)
# Cranfield
txt = open(f"{data}/ir-cranfield/cran.all.1400", errors="replace").read()
for rec in txt.split("\n.I ")[1:]:
    t = re.search(r"\.T\n(.*?)\n\.[A-Z]\n", rec, re.S)
    w = re.search(r"\.W\n(.*)", rec, re.S)
    if t and w:
        docs.append((clean(t.group(1)), clean(w.group(1))))
# meetings: chunks of ~150 words
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
def write_tsv(path, rows):
    with open(path, "w") as f:
        for t, b in rows:
            f.write(t.replace("\t", " ") + "\t" + b.replace("\t", " ") + "\n")
if not os.path.exists(f"{out}/scifact.tsv"):
    write_tsv(f"{out}/scifact.tsv", scifact)
sents = []
for _, b in docs:
    sents.extend(s for s in re.split(r"(?<=[.!?])\s+", b) if len(s) > 20)
titles = [t for t, _ in docs if t]
lengths = [len(b) for _, b in docs if len(b) > 100]
def gen(path, target):
    if os.path.exists(path) and os.path.getsize(path) >= target * 0.95:
        return
    size = 0
    with open(path + ".tmp", "w") as f:
        while size < target:
            want = random.choice(lengths)
            body, n = [], 0
            while n < want:
                s = random.choice(sents)
                body.append(s)
                n += len(s) + 1
            line = random.choice(titles) + "\t" + " ".join(body) + "\n"
            f.write(line)
            size += len(line)
    os.rename(path + ".tmp", path)
gen(f"{out}/mix100.tsv", 100 * 1000 * 1000)
if large:
    gen(f"{out}/mix1g.tsv", 1000 * 1000 * 1000)
stop = set("""a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their theirs
them themselves then there these they this those through to too under until up very was we were what when where
which while who whom why will with you your yours yourself yourselves""".split())
if not os.path.exists(f"{out}/queries.txt"):
    qs = []
    claims = [json.loads(l)["text"] for l in open(f"{data}/ir-scifact/queries.jsonl")]
    while len(qs) < 200:
        words = [w for w in re.findall(r"[a-z]+", random.choice(claims).lower()) if len(w) >= 3 and w not in stop]
        n = random.choice([1, 2, 3])
        if len(words) >= n:
            i = random.randrange(len(words) - n + 1)
            qs.append(" ".join(words[i:i + n]))
    freq = {}
    for _, b in docs:
        for w in re.findall(r"[a-z]+", b.lower()):
            if len(w) >= 3 and w not in stop:
                freq[w] = freq.get(w, 0) + 1
    top = sorted(freq, key=lambda w: -freq[w])[:1000]
    while len(qs) < 300:
        qs.append(" ".join(random.sample(top, random.choice([1, 2, 3]))))
    with open(f"{out}/queries.txt", "w") as f:
        f.write("\n".join(qs) + "\n")
EOF

echo "== SciFact"
"$bin" "$out/scifact.tsv" "$out/queries.txt" --runs "$runs" --index-runs "$index_runs"
echo "== ~100 MB mixed English (Xapian indexed once: it takes minutes here)"
"$bin" "$out/mix100.tsv" "$out/queries.txt" --runs "$runs" --index-runs "$index_runs" --xapian-index-runs 1
if [ "$large" = 1 ]; then
	echo "== ~1 GB mixed English (without Xapian, which would take hours here)"
	"$bin" "$out/mix1g.tsv" "$out/queries.txt" --runs 3 --index-runs 1 --engines cristal,fts5
fi
