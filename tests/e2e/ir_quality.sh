#!/bin/sh
# ir_quality.sh — retrieval quality floors of the index (tools/ir_eval), each
# the figure measured when it was set minus a small margin:
#   BEIR SciFact nDCG@10 >= 0.70   (measured 0.7051; SQLite FTS5 with Porter: 0.682)
#   JSQuAD (Japanese) nDCG@10 >= 0.95 (measured 0.9534)
#   Cranfield 1400 nDCG@10 >= 0.36 (measured 0.3670; graded gain 5 - grade,
#                                   converted by scripts/cranfield-beir.py)
# Skipped without the shared data.
set -u
data="${CR_SHARED_DATA:-}"
bin="${CR_BUILD_DIR:-build}/tools/ir_eval"
src="${CR_SOURCE_DIR:-.}"
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
"$bin" "$data/ir-scifact" --min-ndcg 0.70 || rc=1
echo "== JSQuAD"
"$bin" "$data/ja-jsquad/retrieval" --min-ndcg 0.95 || rc=1
if [ -f "$data/ir-cranfield/cran.all.1400" ]; then
	tmp=$(mktemp -d /tmp/cr_ir_cran.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	echo "== Cranfield"
	python3 "$src/scripts/cranfield-beir.py" "$data/ir-cranfield" "$tmp" || rc=1
	"$bin" "$tmp" --min-ndcg 0.36 || rc=1
fi
exit $rc
