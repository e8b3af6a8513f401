#!/usr/bin/env bash
# eval-ir.sh DATASET_DIR — retrieval quality through the CLI, as a user runs it.
#
# DATASET_DIR is in BEIR layout: corpus.jsonl, queries.jsonl, qrels/test.tsv.
# Runs `cristal ingest --jsonl corpus.jsonl` into a fresh data directory, then
# `cristal search --json -k 100 --plain --no-snippets --queries` over the test queries
# (those in qrels/test.tsv; --plain: benchmark questions are plain words, not
# query syntax, as tools/ir_eval reads them too; snippets do not change the
# ranking and cost an analysis per hit), and scores nDCG@10 and Recall@100 with scripts/ir_score.py.
# Prints the ingest and search times and the scores (last line: JSON).
# CR_BIN overrides the binary (default bin/cristal); KEEP=1 keeps the data dir.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
ds=${1:?usage: eval-ir.sh DATASET_DIR}
bin=${CR_BIN:-$root/bin/cristal}
for f in corpus.jsonl queries.jsonl qrels/test.tsv; do
	[ -f "$ds/$f" ] || { echo "eval-ir: $ds/$f missing" >&2; exit 1; }
done
data=$(mktemp -d /tmp/cristal-eval.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$data"' EXIT

"$bin" --data "$data" init >/dev/null
t0=$(date +%s.%N)
"$bin" --data "$data" ingest --json --jsonl "$ds/corpus.jsonl" >"$data/ingest.json"
t1=$(date +%s.%N)
python3 - "$ds/qrels/test.tsv" "$ds/queries.jsonl" >"$data/queries.test.jsonl" <<'PY'
import json, sys
want = set()
with open(sys.argv[1], encoding="utf-8") as f:
    for n, line in enumerate(f):
        p = line.rstrip("\n").split("\t")
        if len(p) >= 3 and not (n == 0 and not p[2].lstrip("-").isdigit()):
            want.add(p[0])
with open(sys.argv[2], encoding="utf-8") as f:
    for line in f:
        if line.strip():
            q = json.loads(line)
            qid = str(q.get("_id", q.get("id")))
            if qid in want:
                print(json.dumps({"_id": qid, "text": q["text"]}, ensure_ascii=False))
PY
nq=$(wc -l <"$data/queries.test.jsonl")
t2=$(date +%s.%N)
"$bin" --data "$data" search --json -k 100 --plain --no-snippets --queries "$data/queries.test.jsonl" >"$data/run.jsonl"
t3=$(date +%s.%N)
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("ingest: %d docs, %d chunks, %d rejected in %.2f s (catalog+index)" % (r["ingested"]+r["updated"]+r["unchanged"], r["chunks"], r["rejected"], r["seconds"]))' "$data/ingest.json"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="$nq" \
	'BEGIN { printf "wall: ingest %.2f s; search %d queries (k=100) %.2f s (%.1f ms/query)\n", b-a, n, d-c, (d-c)*1000/n }'
python3 "$here/ir_score.py" "$ds/qrels/test.tsv" "$data/run.jsonl"
python3 "$here/ir_score.py" "$ds/qrels/test.tsv" "$data/run.jsonl" --json
