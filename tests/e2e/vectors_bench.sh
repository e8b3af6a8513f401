#!/usr/bin/env bash
# vectors_bench.sh — `cristal bench-vectors` end to end on 3,000 clustered
# vectors of dimension 24 (written here as fvecs): the JSON has one list of
# k ids per query, the graph agrees with the exact scan on >= 90% of the
# top 10 at ef 100, a saved index loads back with the same answers, and a
# truncated index, a malformed fvecs file and bad arguments fail cleanly.
set -euo pipefail
: "${CR_BIN:?}"
tmp=$(mktemp -d /tmp/cr_e2e_vec.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" <<'PY'
import math, random, struct, sys
d = sys.argv[1]
rnd = random.Random(5)
dim = 24
centres = [[rnd.gauss(0, 1) for _ in range(dim)] for _ in range(15)]
def vec():
    c = rnd.choice(centres)
    v = [x + rnd.gauss(0, 0.4) for x in c]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]
for name, n in (("base", 3000), ("queries", 200)):
    with open(f"{d}/{name}.fvecs", "wb") as f:
        for _ in range(n):
            f.write(struct.pack("<i", dim) + struct.pack("<%df" % dim, *vec()))
PY
b=(--base "$tmp/base.fvecs" --queries "$tmp/queries.fvecs" -k 10)
"$CR_BIN" bench-vectors "${b[@]}" --exact --json >"$tmp/exact.json"
"$CR_BIN" bench-vectors "${b[@]}" --ef 100 --m 12 --threads 2 --save "$tmp/ix.vix" --json >"$tmp/hnsw.json"
"$CR_BIN" bench-vectors --load "$tmp/ix.vix" --queries "$tmp/queries.fvecs" -k 10 --ef 100 --json >"$tmp/loaded.json"
python3 - "$tmp" <<'PY'
import json, sys
d = sys.argv[1]
ex, hn, lo = (json.load(open(f"{d}/{n}.json")) for n in ("exact", "hnsw", "loaded"))
for r in (ex, hn, lo):
    assert set(r) == {"build_s", "qps", "ids"}, r.keys()
    assert r["qps"] > 0 and r["build_s"] >= 0
    assert len(r["ids"]) == 200 and all(len(x) == 10 for x in r["ids"])
    assert all(0 <= i < 3000 for x in r["ids"] for i in x)
hit = sum(len(set(a) & set(b)) for a, b in zip(ex["ids"], hn["ids"]))
assert hit / 2000 >= 0.9, hit / 2000
assert hn["ids"] == lo["ids"]
print("recall@10 of the graph against the exact scan: %.3f" % (hit / 2000))
PY
# a truncated index and a malformed fvecs file: clear errors, exit 1
head -c 5000 "$tmp/ix.vix" >"$tmp/cut.vix"
if "$CR_BIN" bench-vectors --load "$tmp/cut.vix" --queries "$tmp/queries.fvecs" -k 10 2>"$tmp/err"; then
	echo "truncated index accepted"; exit 1
fi
grep -q "truncated" "$tmp/err"
head -c 1001 "$tmp/base.fvecs" >"$tmp/cut.fvecs"
if "$CR_BIN" bench-vectors --base "$tmp/cut.fvecs" --queries "$tmp/queries.fvecs" -k 10 2>"$tmp/err"; then
	echo "truncated fvecs accepted"; exit 1
fi
grep -q "fvecs" "$tmp/err"
set +e
"$CR_BIN" bench-vectors --queries "$tmp/queries.fvecs" 2>/dev/null
[ $? -eq 2 ] || { echo "missing --base: expected exit 2"; exit 1; }
echo ok
