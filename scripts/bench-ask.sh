#!/bin/sh
# bench-ask.sh — an extractive `cristal ask` beside `cristal search` for the
# same question, each timed as a user runs it (process start to exit), on
# the bundled samples and, when the shared data is there, on BEIR SciFact
# (5,183 abstracts) with its questions. The issue's target: ask within 2×
# of search. Runs alternate (search, ask, search, ...) so both see the same
# machine; medians of REPS runs per question, then the median ratio.
# Not part of ctest. Environment: REPS (7), CR_BIN.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
REPS=${REPS:-7}
BIN=${CR_BIN:-$ROOT/bin/cristal}
DATA=${CR_SHARED_DATA:-$ROOT/../shared/data}
T=$(mktemp -d /tmp/cristal-bench-ask.XXXXXX)
trap 'rm -rf "$T"' EXIT

"$BIN" --data "$T/samples" init >/dev/null
"$BIN" --data "$T/samples" ingest samples >/dev/null
cat >"$T/samples.q" <<'EOF'
What is the per diem for Tokyo?
Who owes what after the Kestrel design review?
What is the total budget of Kestrel R&D?
出張の日当はいくらですか？
年次有給休暇は何日付与されますか？
EOF
sets="samples"
if [ -f "$DATA/ir-scifact/corpus.jsonl" ]; then
	"$BIN" --data "$T/scifact" init >/dev/null
	"$BIN" --data "$T/scifact" ingest --jsonl "$DATA/ir-scifact/corpus.jsonl" >/dev/null
	python3 -c '
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    if i >= 5: break
    print(json.loads(l)["text"])' "$DATA/ir-scifact/queries.jsonl" >"$T/scifact.q"
	sets="samples scifact"
fi

python3 - "$BIN" "$T" "$REPS" $sets <<'PY'
import statistics, subprocess, sys, time
bin_, tmp, reps, sets = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def run(args):
    t = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t) * 1e3
print("%-9s %-44s %10s %10s %6s" % ("corpus", "question", "search", "ask", "ratio"))
ratios = []
for s in sets:
    d = "%s/%s" % (tmp, s)
    for q in open("%s/%s.q" % (tmp, s), encoding="utf-8").read().splitlines():
        ts, ta = [], []
        for _ in range(reps):
            ts.append(run([bin_, "--data", d, "search", q]))
            ta.append(run([bin_, "--data", d, "ask", "--extractive", q]))
        ms, ma = statistics.median(ts), statistics.median(ta)
        ratios.append(ma / ms)
        print("%-9s %-44s %8.1fms %8.1fms %5.2fx" % (s, q[:44], ms, ma, ma / ms))
print("median ratio ask/search: %.2fx over %d questions (target <= 2x)" % (statistics.median(ratios), len(ratios)))
PY
