#!/usr/bin/python3
"""bench_vectors.py — Cristal's HNSW (`cristal bench-vectors`) beside hnswlib.

Run by scripts/bench-vectors.sh with Debian's /usr/bin/python3 (python3-hnswlib
and python3-numpy are Debian packages, importable from that interpreter only).

  gen N DIM NQ DIR          deterministic data: DIR/base.fvecs, DIR/queries.fvecs,
                            DIR/gt.npy (exact inner-product top 100 per query)
  hnswlib BASE Q K M EFC THREADS EF[,EF...]   (internal: one hnswlib process)
  compare DIR K M EFC THREADS EF[,EF...] CRISTAL RUNS

Data: unit vectors with a low intrinsic dimension, as text embeddings have:
2,000 cluster centres in a 64-dimensional latent space, each point its
centre plus Gaussian spread, mapped to DIM dimensions by one fixed random
matrix, plus a little isotropic noise, then L2-normalised. Queries are drawn
the same way (another seed). Similarity is the inner product (cosine).

Each side runs in its own process; its peak resident set is the kernel's
ru_maxrss from wait4. Both read the base vectors in windows, so neither
holds the float input whole beside its index. hnswlib's figure includes the
Python interpreter and numpy (about 30 MB, printed as the baseline).
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

# Each side's QPS at an ef is the median of this many passes over the queries
# (or of the runs, if more), so one build is enough for a large base.
QUERY_PASSES = 3


def write_fvecs(path, x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    n, d = x.shape
    rec = np.empty((n, d + 1), dtype=np.float32)
    rec[:, 0] = np.array([d], dtype=np.int32).view(np.float32)[0]
    rec[:, 1:] = x
    rec.tofile(path)


def fvecs_shape(path):
    d = int(np.fromfile(path, dtype=np.int32, count=1)[0])
    n = os.path.getsize(path) // (4 * (d + 1))
    return n, d


def read_fvecs(path, start=0, count=None):
    n, d = fvecs_shape(path)
    if count is None:
        count = n - start
    a = np.fromfile(path, dtype=np.float32, count=count * (d + 1), offset=start * (d + 1) * 4)
    return a.reshape(count, d + 1)[:, 1:]


def draw(rng, centres, proj, n):
    lat = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, centres.shape[1]))
    x = lat @ proj + 0.05 * rng.standard_normal((n, proj.shape[1]))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def gen(n, dim, nq, out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261202)
    centres = rng.standard_normal((2000, 64))
    proj = rng.standard_normal((64, dim)) / np.sqrt(64)
    with open(os.path.join(out, "base.fvecs"), "wb") as f:
        for s in range(0, n, 100000):
            x = draw(rng, centres, proj, min(100000, n - s))
            rec = np.empty((len(x), dim + 1), dtype=np.float32)
            rec[:, 0] = np.array([dim], dtype=np.int32).view(np.float32)[0]
            rec[:, 1:] = x
            rec.tofile(f)
    q = draw(np.random.default_rng(7), centres, proj, nq)
    write_fvecs(os.path.join(out, "queries.fvecs"), q)
    # exact top 100 by inner product: base windows × query blocks
    best_s = np.full((nq, 100), -np.inf, dtype=np.float32)
    best_i = np.zeros((nq, 100), dtype=np.int64)
    for s in range(0, n, 100000):
        b = read_fvecs(os.path.join(out, "base.fvecs"), s, min(100000, n - s))
        for qs in range(0, nq, 1000):
            qe = min(nq, qs + 1000)
            sc = q[qs:qe] @ b.T
            top = np.argpartition(-sc, 100, axis=1)[:, :100]
            allv = np.concatenate([best_s[qs:qe], np.take_along_axis(sc, top, 1)], axis=1)
            alli = np.concatenate([best_i[qs:qe], top + s], axis=1)
            keep = np.argpartition(-allv, 100, axis=1)[:, :100]
            best_s[qs:qe] = np.take_along_axis(allv, keep, 1)
            best_i[qs:qe] = np.take_along_axis(alli, keep, 1)
    order = np.argsort(-best_s, axis=1)
    np.save(os.path.join(out, "gt.npy"), np.take_along_axis(best_i, order, 1))


def run_hnswlib(base, queries, k, m, efc, threads, efs):
    import hnswlib
    n, d = fvecs_shape(base)
    q = read_fvecs(queries)
    t0 = time.perf_counter()
    ix = hnswlib.Index(space="ip", dim=d)
    ix.init_index(max_elements=n, ef_construction=efc, M=m, random_seed=100)
    for s in range(0, n, 50000):
        c = min(50000, n - s)
        ix.add_items(read_fvecs(base, s, c), np.arange(s, s + c), num_threads=threads)
    build = time.perf_counter() - t0
    res = {"build_s": build, "runs": {}}
    for ef in efs:
        ix.set_ef(ef)
        ix.knn_query(q[:100], k=k, num_threads=threads)  # warm-up
        qps = []
        for _ in range(QUERY_PASSES):
            t0 = time.perf_counter()
            labels, _ = ix.knn_query(q, k=k, num_threads=threads)
            qps.append(len(q) / (time.perf_counter() - t0))
        res["runs"][str(ef)] = {"qps": float(np.median(qps)), "ids": labels.tolist()}
    print(json.dumps(res))


def measured(cmd):
    """Runs cmd; returns (stdout, peak RSS in MiB)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit("bench-vectors: %s failed" % " ".join(cmd))
    return out, ru.ru_maxrss / 1024.0


def recall(ids, gt, k):
    hit = 0
    for row, g in zip(ids, gt):
        hit += len(set(row[:k]) & set(g[:k].tolist()))
    return hit / (len(gt) * k)


def compare(d, k, m, efc, threads, efs, cristal, runs):
    gt = np.load(os.path.join(d, "gt.npy"))
    base, queries = os.path.join(d, "base.fvecs"), os.path.join(d, "queries.fvecs")
    n, dim = fvecs_shape(base)
    saved = os.path.join(d, "cristal-m%d-efc%d.vix" % (m, efc))
    common = ["-k", str(k), "--m", str(m), "--ef-construction", str(efc), "--threads", str(threads), "--json"]
    # ours: one build (its time and peak RSS), then each ef from the saved file
    out, ours_rss = measured([cristal, "bench-vectors", "--base", base, "--queries", queries, "--ef", str(efs[0]),
                              "--save", saved] + common)
    ours_build = json.loads(out)["build_s"]
    ours = {}
    for ef in efs:
        qps, ids = [], None
        for _ in range(max(runs, QUERY_PASSES)):
            o = json.loads(measured([cristal, "bench-vectors", "--load", saved, "--queries", queries,
                                     "--ef", str(ef)] + common)[0])
            qps.append(o["qps"])
            ids = o["ids"]
        ours[ef] = (recall(ids, gt, k), float(np.median(qps)))
    size_ours = os.path.getsize(saved) / 2**20
    # hnswlib: runs processes, medians of build time and QPS; peak RSS of the first
    hb, hq, hrss, hids = [], {ef: [] for ef in efs}, None, {}
    for _ in range(runs):
        out, rss = measured(["/usr/bin/python3", __file__, "hnswlib", base, queries, str(k), str(m), str(efc),
                             str(threads), ",".join(map(str, efs))])
        hrss = rss if hrss is None else hrss
        o = json.loads(out)
        hb.append(o["build_s"])
        for ef in efs:
            hq[ef].append(o["runs"][str(ef)]["qps"])
            hids[ef] = o["runs"][str(ef)]["ids"]
    _, py_rss = measured(["/usr/bin/python3", "-c", "import numpy, hnswlib"])
    theirs = {ef: (recall(hids[ef], gt, k), float(np.median(hq[ef]))) for ef in efs}
    hbuild = float(np.median(hb))
    print("vectors: %d × %d (clustered, unit length), %d queries, k %d, m %d, ef_construction %d, threads %d"
          % (n, dim, len(gt), k, m, efc, threads))
    print("build: cristal %.2f s, hnswlib %.2f s (median of %d), ratio %.2fx"
          % (ours_build, hbuild, runs, hbuild / ours_build))
    print("peak RSS: cristal %.0f MiB, hnswlib %.0f MiB (of which python+numpy %.0f), ratio %.2fx less"
          % (ours_rss, hrss, py_rss, hrss / ours_rss))
    print("index file: cristal %.0f MiB (int8 vectors + graph)" % size_ours)
    print("%6s  %14s %12s   %14s %12s   %s" % ("ef", "cristal recall", "QPS", "hnswlib recall", "QPS", "QPS ratio"))
    for ef in efs:
        print("%6d  %14.4f %12.0f   %14.4f %12.0f   %.2fx" % (ef, ours[ef][0], ours[ef][1], theirs[ef][0],
                                                             theirs[ef][1], ours[ef][1] / theirs[ef][1]))
    def best(r, floor):
        ok = [v[1] for v in r.values() if v[0] >= floor]
        return max(ok) if ok else None
    for floor in (0.95, 0.99):
        a, b = best(ours, floor), best(theirs, floor)
        if a and b:
            print("at recall@%d >= %.2f: cristal %.0f QPS, hnswlib %.0f QPS, ratio %.2fx" % (k, floor, a, b, a / b))
        else:
            print("at recall@%d >= %.2f: cristal %s, hnswlib %s" % (k, floor, a and "%.0f QPS" % a or "not reached",
                                                                  b and "%.0f QPS" % b or "not reached"))


def main():
    a = sys.argv[1:]
    if a and a[0] == "gen":
        gen(int(a[1]), int(a[2]), int(a[3]), a[4])
    elif a and a[0] == "hnswlib":
        run_hnswlib(a[1], a[2], int(a[3]), int(a[4]), int(a[5]), int(a[6]), [int(x) for x in a[7].split(",")])
    elif a and a[0] == "compare":
        compare(a[1], int(a[2]), int(a[3]), int(a[4]), int(a[5]), [int(x) for x in a[6].split(",")], a[7], int(a[8]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
