#!/usr/bin/env python3
"""cranfield-beir.py SRC OUT — the Cranfield 1400 collection (SMART files) in BEIR layout.

SRC holds cran.all.1400, cran.qry and cranqrel (see its SOURCE.md); OUT receives
corpus.jsonl ({"_id", "title", "text"}: .T and .W), queries.jsonl (the k-th query of
cran.qry gets id k, the numbering cranqrel uses) and qrels/test.tsv with graded gain
5 - grade (grade 1 best .. 4; the -1 lines are dropped), so tools/ir_eval and
scripts/eval-ir.sh score it like the BEIR sets. Python 3 standard library only.
"""
import json
import os
import re
import sys


def records(path):
    txt = open(path, encoding="latin-1").read()
    for rec in re.split(r"^\.I ", txt, flags=re.M)[1:]:
        head, _, rest = rec.partition("\n")
        fields, cur = {}, None
        for line in rest.split("\n"):
            m = re.match(r"^\.([A-Z])\s*$", line)
            if m:
                cur = m.group(1)
                fields[cur] = []
            elif cur:
                fields[cur].append(line)
        yield head.strip(), {k: " ".join(" ".join(v).split()) for k, v in fields.items()}


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(out, "qrels"), exist_ok=True)
    with open(os.path.join(out, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for i, r in records(os.path.join(src, "cran.all.1400")):
            f.write(json.dumps({"_id": str(int(i)), "title": r.get("T", ""), "text": r.get("W", "")}) + "\n")
    with open(os.path.join(out, "queries.jsonl"), "w", encoding="utf-8") as f:
        for k, (_, r) in enumerate(records(os.path.join(src, "cran.qry")), 1):
            f.write(json.dumps({"_id": str(k), "text": r.get("W", "")}) + "\n")
    with open(os.path.join(out, "qrels", "test.tsv"), "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for line in open(os.path.join(src, "cranqrel"), encoding="latin-1"):
            p = line.split()
            if len(p) >= 3 and 1 <= int(p[2]) <= 4:
                f.write(f"{int(p[0])}\t{int(p[1])}\t{5 - int(p[2])}\n")


if __name__ == "__main__":
    main()
