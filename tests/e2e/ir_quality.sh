#!/bin/sh
# ir_quality.sh — retrieval quality floors of the index (tools/ir_eval):
# BEIR SciFact nDCG@10 >= 0.682 (SQLite FTS5 with Porter stemming scores that
# here) and JSQuAD (Japanese) nDCG@10 >= 0.94. Skipped without the shared data.
set -u
data="${CR_SHARED_DATA:-}"
bin="${CR_BUILD_DIR:-build}/tools/ir_eval"
if [ -z "$data" ] || [ ! -f "$data/ir-scifact/corpus.jsonl" ] || [ ! -f "$data/ja-jsquad/retrieval/corpus.jsonl" ]; then
	echo "ir_quality: CR_SHARED_DATA not set or data missing; skipped"
	exit 77
fi
if [ ! -x "$bin" ]; then
	echo "ir_quality: $bin not built"
	exit 1
fi
rc=0
echo "== SciFact"
"$bin" "$data/ir-scifact" --min-ndcg 0.682 || rc=1
echo "== JSQuAD"
"$bin" "$data/ja-jsquad/retrieval" --min-ndcg 0.94 || rc=1
exit $rc
