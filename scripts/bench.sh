#!/bin/sh
# bench.sh — every benchmark, each printing our figure beside a peer's measured
# in the same run (SQLite FTS5 and Xapian for search, FTS5 for the whole
# ingest as a user times it, llama.cpp for inference).
set -eu
cd "$(dirname "$0")/.."
for b in scripts/bench-*.sh; do
	[ -x "$b" ] || continue
	echo "== $b"
	"$b" || echo "bench: $b failed"
done
