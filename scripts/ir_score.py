#!/usr/bin/env python3
"""ir_score.py — nDCG@10 and Recall@100 of a retrieval run against BEIR qrels.

usage: ir_score.py QRELS.tsv RUN.jsonl [--json]

QRELS.tsv: BEIR layout, "query-id<TAB>corpus-id<TAB>score" with a header line.
RUN.jsonl: one line per query, {"qid": ..., "results": [{"doc": ...}, ...]} in
rank order (what `cristal search --json --queries` prints).

Definitions (as trec_eval / pytrec_eval, which BEIR uses):
  nDCG@10   = DCG@10 / IDCG@10, DCG = sum over ranks i=1..10 of rel_i / log2(i+1)
              (linear gain), IDCG from the judged relevances sorted descending.
  Recall@100 = |relevant in top 100| / |relevant| (relevant: score > 0).
Both are averaged over the queries of the qrels that have a relevant document;
a query missing from the run scores 0. Duplicate documents in one ranking
count once (first rank). Python 3 standard library only.
"""
import json
import math
import sys


def load_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            if n == 0 and not parts[2].lstrip("-").isdigit():
                continue  # header
            q, d, s = parts[0], parts[1], int(parts[2])
            qrels.setdefault(q, {})[d] = s
    return qrels


def load_run(path):
    run = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            o = json.loads(line)
            seen, docs = set(), []
            for r in o.get("results", []):
                d = str(r["doc"])
                if d not in seen:
                    seen.add(d)
                    docs.append(d)
            run[str(o["qid"])] = docs
    return run


def ndcg_at(ranked, rels, k):
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked, rels, k):
    rel = {d for d, r in rels.items() if r > 0}
    return len(rel.intersection(ranked[:k])) / len(rel) if rel else 0.0


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) > 1 and argv[1] in ("-h", "--help") else 2
    qrels = load_qrels(argv[1])
    run = load_run(argv[2])
    qs = [q for q, r in qrels.items() if any(v > 0 for v in r.values())]
    if not qs:
        print("ir_score: no judged queries in %s" % argv[1], file=sys.stderr)
        return 1
    nd = [ndcg_at(run.get(q, []), qrels[q], 10) for q in qs]
    rc = [recall_at(run.get(q, []), qrels[q], 100) for q in qs]
    out = {
        "queries": len(qs),
        "answered": sum(1 for q in qs if q in run),
        "ndcg@10": sum(nd) / len(qs),
        "recall@100": sum(rc) / len(qs),
    }
    if "--json" in argv[3:]:
        print(json.dumps(out))
    else:
        print("queries %d (answered %d)  nDCG@10 %.4f  Recall@100 %.4f"
              % (out["queries"], out["answered"], out["ndcg@10"], out["recall@100"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
