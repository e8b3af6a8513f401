#!/bin/sh
# bench-vectors.sh — Cristal's HNSW beside hnswlib (Debian python3-hnswlib) on
# the same vectors, threads, m, ef_construction and ef: recall@10 against
# exact search, queries per second, build time, peak resident memory.
#
#   scripts/bench-vectors.sh [--n N] [--dim D] [--queries NQ] [--threads T]
#                            [--m M] [--efc N] [--ef E1,E2,...] [--runs R]
#
# Defaults: 100,000 vectors of dimension 384, 10,000 queries, 2 threads, m 16,
# ef_construction 200, ef 16,32,64,128,256, medians of 3 runs. The issue's
# target size is --n 1000000 (a few GB of data and tens of minutes here).
# Data (scripts/bench_vectors.py gen: deterministic, clustered, unit vectors)
# is generated once into $CR_BENCH_DIR/vectors-N-D (default /tmp/cr_bench).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out="${CR_BENCH_DIR:-/tmp/cr_bench}"
bin="${CR_BIN:-$here/bin/cristal}"
n=100000 dim=384 nq=10000 threads=2 m=16 efc=200 efs=16,32,64,128,256 runs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--n) n=$2; shift ;;
	--dim) dim=$2; shift ;;
	--queries) nq=$2; shift ;;
	--threads) threads=$2; shift ;;
	--m) m=$2; shift ;;
	--efc) efc=$2; shift ;;
	--ef) efs=$2; shift ;;
	--runs) runs=$2; shift ;;
	*) echo "usage: $0 [--n N] [--dim D] [--queries NQ] [--threads T] [--m M] [--efc N] [--ef LIST] [--runs R]"; exit 2 ;;
	esac
	shift
done
if ! /usr/bin/python3 -c 'import hnswlib, numpy' 2>/dev/null; then
	echo "bench-vectors: python3-hnswlib or python3-numpy missing (scripts/install-deps.sh --test installs them)"
	exit 0
fi
dir="$out/vectors-$n-$dim-$nq"
if [ ! -f "$dir/gt.npy" ]; then
	echo "bench-vectors: generating $n × $dim vectors and exact neighbours into $dir"
	/usr/bin/python3 "$here/scripts/bench_vectors.py" gen "$n" "$dim" "$nq" "$dir"
fi
exec /usr/bin/python3 "$here/scripts/bench_vectors.py" compare "$dir" 10 "$m" "$efc" "$threads" "$efs" "$bin" "$runs"
