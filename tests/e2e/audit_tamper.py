#!/usr/bin/env python3
"""audit_tamper.py — tampering with Cristal's audit log the way an attacker
with write access would, for tests/e2e/audit_log.sh. The record hash is
computed here from its published format (include/cristal/audit.h), not by
calling Cristal, so a forged record carries a hash of its own that is right.

  audit_tamper.py KIND IN.jsonl OUT.jsonl   edit|delete|swap|insert|rewrite|drop-seals
  audit_tamper.py db-edit|db-truncate|db-rewrite CATALOG.db
  audit_tamper.py check LOG.jsonl SEARCH.json ASK.json
"""
import hashlib
import json
import sqlite3
import sys
from datetime import datetime, timezone


def canon(detail):
    return json.dumps(detail, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def record_hash(seq, time, actor, action, detail_text, prev):
    b = b"cristal-audit-1\n"
    for f in (str(seq), time, actor, action, detail_text, prev):
        v = f.encode()
        b += str(len(v)).encode() + b":" + v + b"\n"
    return hashlib.sha256(b).hexdigest()


def rehash(recs, start_seq):
    """Recomputes prev and hash from record start_seq on, as a forger would;
    seals get the new head hash but keep their (now wrong) signature."""
    prev = None
    for r in recs:
        if r["seq"] >= start_seq:
            if prev is not None:
                r["prev"] = prev
            if r["action"] == "audit.seal":
                r["detail"]["head_hash"] = r["prev"]
            r["hash"] = record_hash(r["seq"], r["time"], r["actor"], r["action"], canon(r["detail"]), r["prev"])
        prev = r["hash"]


def forge_seals(recs, start_seq):
    """Turns every seal from start_seq on into an ordinary record: the seals
    are gone, the numbering stays."""
    for r in recs:
        if r["seq"] >= start_seq and r["action"] == "audit.seal":
            r["actor"], r["action"], r["detail"] = "cli:root", "search", {"query": "nothing to see", "k": 1, "chunks": []}


def tamper_file(kind, src, dst):
    recs = [json.loads(l) for l in open(src) if l.strip()]
    by = {r["seq"]: i for i, r in enumerate(recs)}
    if kind == "edit":
        recs[by[3]]["detail"]["tampered"] = True
    elif kind == "delete":
        del recs[by[4]]
    elif kind == "swap":
        recs[by[3]], recs[by[4]] = recs[by[4]], recs[by[3]]
    elif kind == "insert":
        r3 = recs[by[3]]
        t = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        forged = {"seq": 4, "time": t, "actor": "cli:root", "action": "search",
                  "detail": {"query": "forged", "k": 1, "chunks": []}, "prev": r3["hash"]}
        forged["hash"] = record_hash(4, t, forged["actor"], forged["action"], canon(forged["detail"]), forged["prev"])
        recs.insert(by[3] + 1, forged)
    elif kind == "rewrite":
        recs[by[3]]["detail"]["query"] = "rewritten"
        rehash(recs, 3)
    elif kind == "drop-seals":
        recs[by[3]]["detail"]["query"] = "rewritten"
        forge_seals(recs, 3)
        rehash(recs, 3)
    else:
        sys.exit(f"unknown kind {kind}")
    with open(dst, "w") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def db_rows(db):
    cur = db.execute("SELECT seq, time, actor, action, detail, prev, hash FROM audit ORDER BY seq")
    return [dict(zip(("seq", "time_us", "actor", "action", "detail", "prev", "hash"), row)) for row in cur]


def iso(us):
    return datetime.fromtimestamp(us // 1000000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000)


def tamper_db(kind, path):
    db = sqlite3.connect(path)
    if kind == "db-edit":
        db.execute("UPDATE audit SET detail = ? WHERE seq = 3", ('{"query":"edited"}',))
    elif kind == "db-truncate":
        (last,) = db.execute("SELECT max(seq) FROM audit").fetchone()
        db.execute("DELETE FROM audit WHERE seq > ?", (last - 3,))
    elif kind == "db-rewrite":
        rows = db_rows(db)
        prev = None
        for r in rows:
            if r["seq"] < 3:
                prev = r["hash"]
                continue
            if r["action"] == "audit.seal" or r["seq"] == 3:
                r["actor"], r["action"] = "cli:root", "search"
                r["detail"] = canon({"query": "rewritten", "k": 1, "chunks": []})
            r["prev"] = prev
            r["hash"] = record_hash(r["seq"], iso(r["time_us"]), r["actor"], r["action"], r["detail"], prev)
            db.execute("UPDATE audit SET actor = ?, action = ?, detail = ?, prev = ?, hash = ? WHERE seq = ?",
                       (r["actor"], r["action"], r["detail"], r["prev"], r["hash"], r["seq"]))
            prev = r["hash"]
    db.commit()
    db.close()


def check(log, search_json, ask_json):
    """The records say what the commands showed: the search's chunks are the
    documents it printed, in order; the answer's retrieved and cited chunks
    are its sources and citations."""
    recs = [json.loads(l) for l in open(log) if l.strip()]
    actions = [r["action"] for r in recs]
    for a in ("ingest", "search", "ask", "audit.export", "audit.seal"):
        if a not in actions:
            sys.exit(f"no {a} record in {actions}")
    catalog = log.rsplit("/", 1)[0] + "/data/catalog.db"
    db = sqlite3.connect(catalog)

    def doc_of(chunk):
        row = db.execute("SELECT d.name FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id = ?",
                         (chunk,)).fetchone()
        return row[0] if row else None

    s = json.load(open(search_json))
    rec = [r for r in recs if r["action"] == "search" and r["detail"]["query"] == s["query"]]
    if len(rec) != 1:
        sys.exit(f"expected one search record for {s['query']!r}")
    docs = [doc_of(c) for c in rec[0]["detail"]["chunks"]]
    shown = [x["doc"] for x in s["results"]]
    if len(docs) != len(shown) or not all(d and sh.endswith(d) for d, sh in zip(docs, shown)):
        sys.exit(f"search record chunks {docs} are not the documents shown {shown}")
    a = json.load(open(ask_json))
    rec = [r for r in recs if r["action"] == "ask" and r["detail"]["question"] == "Who approved the servo order?"]
    if len(rec) != 1:
        sys.exit("expected one ask record")
    d = rec[0]["detail"]
    got = [doc_of(c) for c in d["retrieved"]]
    shown = [x["doc"] for x in a["retrieval"]]
    if len(got) != len(shown) or not all(g and sh.endswith(g) for g, sh in zip(got, shown)):
        sys.exit(f"ask record retrieved {got} is not the retrieval shown {shown}")
    cited = [doc_of(c) for c in d["cited"]]
    shown = [x["doc"] for x in a["citations"]]
    if len(cited) != len(shown) or not all(g and sh.endswith(g) for g, sh in zip(cited, shown)):
        sys.exit(f"ask record cited {cited} is not the citations shown {shown}")
    if d["mode"] != a["mode"] or d["found"] != a["found"]:
        sys.exit("ask record mode/found differ from the answer")


if __name__ == "__main__":
    k = sys.argv[1]
    if k == "check":
        check(*sys.argv[2:5])
    elif k.startswith("db-"):
        tamper_db(k, sys.argv[2])
    else:
        tamper_file(k, sys.argv[2], sys.argv[3])
