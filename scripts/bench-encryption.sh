#!/bin/sh
# bench-encryption.sh — the cost of encryption at rest (issue 12): the same
# corpus ingested into a plaintext and an encrypted data directory, then
# searched, as a user runs them.
#
#   scripts/bench-encryption.sh [--runs N] [--queries N] [--only scifact|jsquad|samples]
#
# Corpora: BEIR SciFact (5,183 English abstracts, ../shared/data/ir-scifact,
# `ingest --jsonl`), the JSQuAD retrieval set (1,145 Japanese passages,
# ../shared/data/ja-jsquad/retrieval) and samples/ (38 files of every format).
# Each figure is measured --runs times (default 5) after a warm-up,
# plaintext and encrypted in turn (P E P E ...), each ingest into a fresh
# directory. Printed per corpus, as medians with the median of the per-pair
# ratios (encrypted / plaintext; above 1 is the cost):
#   ingest      `cristal ingest`, process start to exit (extraction, catalog
#               with sealed values, index with sealed segments, merge)
#   open+1q     one `cristal search` process: start, open (an encrypted index
#               is read and opened into memory), one query with snippets
#   search/q    `search --queries` over --queries queries (default 1,000;
#               samples: 12 queries repeated) in one process, top 10 with
#               snippets (each hit's chunk text is read from the catalog, so
#               opened when sealed), less open+1q, per query
#   bytes       catalog.db + index/ size
# Each as wall time and as CPU time (user+system of the process): the
# machine is shared, wall times are noisy, CPU times and ratios of
# interleaved pairs less so. Results for the record go in bench/encryption.md.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
data="${CR_SHARED_DATA:-$here/../shared/data}"
cristal="${CR_BIN:-$here/bin/cristal}"
runs=5
nq=1000
only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift ;;
	--queries) nq=$2; shift ;;
	--only) only=$2; shift ;;
	*) echo "usage: $0 [--runs N] [--queries N] [--only scifact|jsquad|samples]"; exit 2 ;;
	esac
	shift
done
exec python3 - "$cristal" "$data" "$here" "$runs" "$nq" "$only" <<'PY'
import json, os, resource, shutil, statistics, subprocess, sys, tempfile, time
cristal, data, here, runs, nq, only = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
work = tempfile.mkdtemp(prefix="cr_bench_crypt.")
key = os.path.join(work, "key")
with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
    f.write(os.urandom(32).hex() + "\n")
env_p = {k: v for k, v in os.environ.items() if not k.startswith("CRISTAL_")}
env_e = dict(env_p, CRISTAL_KEY_FILE=key)

def run(args, env, stdout=subprocess.DEVNULL):
    """(wall, cpu) seconds of one command; cpu is user+system of the child."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([cristal] + args, env=env, check=True, stdout=stdout, stderr=subprocess.PIPE)
    w = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return w, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)

def size(d):
    n = 0
    for root, _, files in os.walk(d):
        for f in files:
            if f == "catalog.db" or "index" in root:
                n += os.path.getsize(os.path.join(root, f))
    return n

corpora = []
sf = os.path.join(data, "ir-scifact")
if os.path.isdir(sf):
    corpora.append(("scifact", ["--jsonl", os.path.join(sf, "corpus.jsonl")], os.path.join(sf, "queries.jsonl")))
jq = os.path.join(data, "ja-jsquad", "retrieval")
if os.path.isdir(jq):
    corpora.append(("jsquad", ["--jsonl", os.path.join(jq, "corpus.jsonl")], os.path.join(jq, "queries.jsonl")))
corpora.append(("samples", [os.path.join(here, "samples")], None))
SAMPLE_Q = ["budget", "drive train supply", "core hours", "travel security policy", "Kestrel launch", "servo",
            "量産準備", "就業規則", "robot arms", "quarterly report", "action items", "supplier"]

print("encryption at rest: encrypted / plaintext, medians of %d runs (after a warm-up), P E interleaved" % runs)
print("%-8s %-9s %-4s %10s %10s %7s" % ("corpus", "figure", "time", "plaintext", "encrypted", "ratio"))
summary = {}
for name, src, qfile in corpora:
    if only and name != only:
        continue
    qpath = os.path.join(work, name + ".queries.jsonl")
    with open(qpath, "w") as out:
        if qfile:
            with open(qfile, encoding="utf-8") as f:
                for i, line in enumerate(f):
                    if i >= nq:
                        break
                    q = json.loads(line)
                    out.write(json.dumps({"_id": str(q.get("_id", i)), "text": q["text"]}, ensure_ascii=False) + "\n")
        else:
            for i in range(nq):
                out.write(json.dumps({"_id": str(i), "text": SAMPLE_Q[i % len(SAMPLE_Q)]}, ensure_ascii=False) + "\n")
    first_q = json.loads(open(qpath, encoding="utf-8").readline())["text"]
    fig = {k: ([], []) for k in ("ingest", "open+1q", "search/q")}
    sizes = [0, 0]
    for r in range(runs + 1):  # run 0 warms the caches
        for mode, env in ((0, env_p), (1, env_e)):
            d = os.path.join(work, "d%d" % mode)
            shutil.rmtree(d, ignore_errors=True)
            ti = run(["--data", d, "ingest"] + src, env)
            to = run(["--data", d, "search", "-k", "10", first_q], env)
            ts = run(["--data", d, "search", "--json", "-k", "10", "--queries", qpath], env)
            sizes[mode] = size(d)
            if r:
                fig["ingest"][mode].append(ti)
                fig["open+1q"][mode].append(to)
                # less the process start, the open and one query
                fig["search/q"][mode].append(((ts[0] - to[0]) / (nq - 1), (ts[1] - to[1]) / (nq - 1)))
    for k in fig:
        p, e = fig[k]
        for j, what in ((0, "wall"), (1, "cpu")):
            a = [x[j] for x in p]
            b = [x[j] for x in e]
            ratios = [y / x for x, y in zip(a, b) if x > 0]
            print("%-8s %-9s %-4s %8.2fms %8.2fms %7.3f" % (name, k, what, statistics.median(a) * 1e3,
                                                         statistics.median(b) * 1e3, statistics.median(ratios)))
            summary["%s.%s.%s" % (name, k, what)] = round(statistics.median(ratios), 3)
    print("%-8s %-9s %-4s %8.2fMB %8.2fMB %7.3f" % (name, "bytes", "", sizes[0] / 1e6, sizes[1] / 1e6, sizes[1] / sizes[0]))
shutil.rmtree(work, ignore_errors=True)
print(json.dumps({"ratios": summary}))
PY
