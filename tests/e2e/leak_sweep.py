#!/usr/bin/env python3
"""leak_sweep.py CRISTAL TMPDIR — the permission sweep of governance: random
users, groups, tenants and documents, then every retrieval path asked by
every user, and no answer may carry anything of a document its caller may
not read.

Documents: each has a unique name word (queried) and a unique code word
(never queried), an ACL (open to its tenant, one group, or one owner) and a
classification. The rule (index.h cr_principal) is modelled here: a user
reads a document of the same tenant that is open, shared with one of the
user's groups, or owned by the user; the MCP endpoint also caps it at
internal. Paths: /api/search, /api/ask, /v1/chat/completions (cristal-rag),
/api/documents (every page), /api/documents/{id} and /api/meetings?scope=
(every document), /mcp
tools search, ask, read_document and list_sources, and the command line's
search --as and ask --as. Mail and chat (ingest --acl-from-mail,
--acl-from-chat): most users have an e-mail address (one gets a second
after the ingest); messages (eml with attachments, an mbox also shared
with a group) are read by the users whose address is in From, To, Cc or
Bcc, within the tenant; an mbox's table of contents by the group only; a
chat channel's day by its members with an address. A leak is an invisible document's name or code
word in a response (or its name word, unless it was the query). Positive
checks (a visible document is found by its word) keep the sweep honest: a
path that returned nothing would fail them.
"""
import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request

BIN, TMP = sys.argv[1], sys.argv[2]
D = os.path.join(TMP, "data")
rng = random.Random(20261203)
CONS, VOWS, ENDS = "bdfgklmnprstvz", "aeiou", "kmptvz"


def word(seen):
    while True:
        w = "".join(rng.choice(CONS) + rng.choice(VOWS) for _ in range(3)) + rng.choice(ENDS)
        if w not in seen:
            seen.add(w)
            return w


def cli(*args, check=True):
    r = subprocess.run([BIN, "--data", D, *args], capture_output=True, text=True)
    if check and r.returncode:
        sys.exit("FAIL: cristal %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


tenants = ["default", "acme", "globex"]
groups = ["g%d" % i for i in range(5)]
users = []
for i in range(12):
    t = tenants[i % 3]
    users.append({"name": "u%02d" % i, "tenant": t, "groups": sorted(rng.sample(groups, rng.randint(0, 2))),
                  "emails": ["u%02d@example.com" % i] if i % 4 != 3 else []})
seen = set()
docs = []
for i in range(60):
    t = rng.choice(tenants)
    kind = rng.choice(["open", "group", "owner"])
    acl = None
    if kind == "group":
        acl = "group:" + rng.choice(groups)
    elif kind == "owner":
        acl = "user:" + rng.choice([u["name"] for u in users if u["tenant"] == t])
    cls = rng.choice(["public", "internal", "internal", "confidential"])
    docs.append({"word": word(seen), "code": word(seen), "tenant": t, "acl": acl, "cls": cls})


# mail and chat: addresses of users, of a user given later, and of strangers
users[0]["later"] = "boss0@example.org"
by_addr = {e: u["name"] for u in users for e in u["emails"] + ([u["later"]] if "later" in u else [])}
addrs = sorted(by_addr) + ["x%d@elsewhere.net" % i for i in range(4)]
mails = []  # (tenant, folder kind, file name, text) written below
for i in range(18):
    t = rng.choice(tenants)
    rd = rng.sample(addrs, rng.randint(1, 4))
    w, code = word(seen), word(seen)
    heads = ["From", "To", "Cc", "Bcc"]
    hdr = {}
    for k, a in enumerate(rd):
        shown = a.upper() if k % 2 else a
        name = rng.choice(['"Doe, J."', "=?UTF-8?B?5qKF?=", "Someone", ""])
        hdr.setdefault(heads[k % 4], []).append("%s <%s>" % (name, shown) if name else shown)
    if rng.random() < 0.3:  # group syntax
        hdr["To"] = ["Team: %s;" % ", ".join(hdr.get("To", []) or [rd[0]])]
    text = "".join("%s: %s\n" % (h, ", ".join(v)) for h, v in hdr.items())
    readers = {by_addr[a] for a in rd if a in by_addr}
    d = {"word": w, "code": code, "tenant": t, "acl": None, "cls": "internal", "readers": readers,
         "file": "mail-%s/%s.eml" % (t, w)}
    docs.append(d)
    att = None
    if i % 3 == 0:
        att = {"word": word(seen), "code": word(seen), "tenant": t, "acl": None, "cls": "internal", "readers": readers}
        att["name"] = "%s#att/%s.txt" % (d["file"], att["word"])
        docs.append(att)
    if att:
        text += ('Subject: Memo %s\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
                 "The %s project plan and budget report. Reference code %s.\n--b\nContent-Type: text/plain\n"
                 'Content-Disposition: attachment; filename="%s.txt"\n\nThe %s project plan and budget report. '
                 "Reference code %s.\n--b--\n" % (w, w, code, att["word"], att["word"], att["code"]))
    else:
        text += "Subject: Memo %s\n\nThe %s project plan and budget report. Reference code %s.\n" % (w, w, code)
    mails.append((t, "mail", d["file"], text))
# an mbox of tenant default, shared with group g0 too: its table of contents (every subject) by g0 only
mbox = []
for i in range(5):
    rd = rng.sample(addrs, rng.randint(1, 3))
    d = {"word": word(seen), "code": word(seen), "tenant": "default", "acl": "group:g0", "cls": "internal",
         "readers": {by_addr[a] for a in rd if a in by_addr}, "name": "mbox-default/box.mbox#%d" % (i + 1)}
    docs.append(d)
    mbox.append("From %s Mon Mar  2 09:00:00 2026\nFrom: %s\nTo: %s\nSubject: Memo %s\n\nThe %s project plan and "
                "budget report. Reference code %s.\n\n" % (rd[0], rd[0], ", ".join(rd[1:]) or rd[0], d["word"],
                                                            d["word"], d["code"]))
docs.append({"word": None, "code": None, "tenant": "default", "acl": "group:g0", "cls": "internal", "readers": set(),
             "name": "mbox-default/box.mbox", "quoted": True})
# a Slack-style export per tenant: three channels with random members
chat_users = [{"id": "U%02d" % i, "name": u["name"], "profile": {"real_name": u["name"],
               **({"email": u["emails"][0]} if u["emails"] else {})}} for i, u in enumerate(users)]
chats = {}
for t in tenants:
    chans = []
    for k in range(3):
        members = rng.sample(range(len(users)), rng.randint(1, 6))
        w, code = word(seen), word(seen)
        cname = "ch%d-%s" % (k, w)
        chans.append({"id": "C%d" % k, "name": cname, "members": ["U%02d" % m for m in members]})
        docs.append({"word": w, "code": code, "tenant": t, "acl": None, "cls": "internal",
                     "readers": {users[m]["name"] for m in members if users[m]["emails"]},
                     "name": "chat-%s/%s/2026-03-02.json" % (t, cname), "chat": (cname, w, code, members[0])})
    chats[t] = chans


def visible(u, d, cap=None):
    if d["tenant"] != u["tenant"]:
        return False
    if cap is not None and ["public", "internal", "confidential", "secret"].index(d["cls"]) > cap:
        return False
    if d.get("readers") is not None:
        if u["name"] in d["readers"]:
            return True
        return bool(d["acl"]) and d["acl"].split(":")[1] in u["groups"]
    if not d["acl"]:
        return True
    kind, who = d["acl"].split(":")
    return who in u["groups"] if kind == "group" else who == u["name"]


cli("init")
for t in tenants[1:]:
    cli("tenant", "add", t)
for g in groups:
    cli("group", "add", g)
for u in users:
    args = ["user", "add", u["name"], "--tenant", u["tenant"]]
    for g in u["groups"]:
        args += ["--group", g]
    for e in u["emails"]:
        args += ["--email", e.upper() if u["name"] == "u01" else e]
    cli(*args)
# one folder per (tenant, acl, classification), ingested with those options
folders = {}
for d in docs:
    if d.get("readers") is not None:
        d.setdefault("name", d.get("file"))
        continue
    key = (d["tenant"], d["acl"] or "open", d["cls"])
    fd = folders.setdefault(key, os.path.join(TMP, "docs", "-".join(key).replace(":", "_")))
    os.makedirs(fd, exist_ok=True)
    d["name"] = "%s/%s.md" % (os.path.basename(fd), d["word"])
    with open(os.path.join(fd, d["word"] + ".md"), "w") as f:
        f.write("# Memo %s\n\nThe %s project plan and budget report. Reference code %s.\n" % (d["word"], d["word"], d["code"]))
for (t, acl, cls), fd in folders.items():
    args = ["ingest", "--tenant", t, "--classification", cls]
    if acl != "open":
        args += ["--acl", acl]
    cli(*args, fd)
for t, _, name, text in mails:
    os.makedirs(os.path.join(TMP, os.path.dirname(name)), exist_ok=True)
    with open(os.path.join(TMP, name), "w") as f:
        f.write(text)
for t in tenants:
    if os.path.isdir(os.path.join(TMP, "mail-" + t)):
        cli("ingest", "--acl-from-mail", "--tenant", t, os.path.join(TMP, "mail-" + t))
os.makedirs(os.path.join(TMP, "mbox-default"))
with open(os.path.join(TMP, "mbox-default", "box.mbox"), "w") as f:
    f.write("".join(mbox))
cli("ingest", "--acl-from-mail", "--acl", "group:g0", os.path.join(TMP, "mbox-default"))
for t, chans in chats.items():
    root = os.path.join(TMP, "chat-" + t)
    os.makedirs(root)
    json.dump(chat_users, open(os.path.join(root, "users.json"), "w"))
    json.dump([c for c in chans if c["id"] != "C2"], open(os.path.join(root, "channels.json"), "w"))
    json.dump([c for c in chans if c["id"] == "C2"], open(os.path.join(root, "groups.json"), "w"))  # private
    for d in docs:
        if d.get("chat") and d["tenant"] == t:
            cname, w, code, first = d["chat"]
            os.makedirs(os.path.join(root, cname))
            json.dump([{"type": "message", "user": "U%02d" % first, "ts": "1772442000.000100",
                        "text": "The %s project plan and budget report. Reference code %s." % (w, code)}],
                      open(os.path.join(root, cname, "2026-03-02.json"), "w"))
    cli("ingest", "--acl-from-chat", "--tenant", t, root)
# an address given after the ingest opens the mail that names it
cli("user", "email", users[0]["name"], *(users[0]["emails"] + [users[0]["later"]]))
users[0]["emails"].append(users[0]["later"])
tokens = {u["name"]: cli("token", "create", "--user", u["name"]).strip().splitlines()[-1] for u in users}

srv = subprocess.Popen([BIN, "--data", D, "serve", "--listen", "127.0.0.1:0", "--threads", "4"],
                       stdout=subprocess.PIPE, stderr=open(os.path.join(TMP, "serve.err"), "w"), text=True)
try:
    line = srv.stdout.readline()
    base = line[line.index("http://"):].split("/ ")[0].rstrip("/")

    def req(tok, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        h = {"Authorization": "Bearer " + tok}
        if data:
            h["Content-Type"] = "application/json"
        r = urllib.request.Request(base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(r, timeout=60) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def mcp(tok, tool, args):
        st, text = req(tok, "POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                               "params": {"name": tool, "arguments": args}})
        assert st == 200 and '"result"' in text, (st, text[:300])
        return text

    ids = {}
    n_req = n_pos = 0
    leaks = []

    def check(u, path, text, query=None, cap=None, asked=None):
        """A leak: an invisible document's name, name word or code word in
        text; the caller's own words excepted (the query's word, and the
        name of the document it asked for by name)."""
        for d in docs:
            if visible(u, d, cap):
                continue
            bad = [d["code"]] if d["code"] and d["code"] in text else []
            # the name asked for holds its container's ("x.eml" of
            # "x.eml#att/y.txt"), and so does a message's "parent"; an mbox's
            # own name starts its messages' names: looked for quoted
            own = asked is not None and d["name"] in asked
            t = text.replace('"parent":"%s"' % d["name"], "") if d.get("quoted") else text
            if (('"%s"' % d["name"]) if d.get("quoted") else d["name"]) in t and not own:
                bad.append(d["name"])
            if d["word"] and d["word"] in text and d["word"] != query and not own:
                bad.append(d["word"])
            if bad:
                leaks.append((u["name"], path, query or asked, d["name"], bad))

    for u in users:
        tok = tokens[u["name"]]
        mine = [d for d in docs if visible(u, d)]
        # queries: words of documents this user may and may not read, and common words
        qs = [d["word"] for d in rng.sample([d for d in docs if d["word"]], 10)] + ["budget report", "project plan"]
        by_readers = [d for d in mine if d.get("readers") is not None and d["word"]]
        qs += [d["word"] for d in rng.sample(by_readers, min(2, len(by_readers)))]
        for q in qs:
            target = next((d for d in docs if d["word"] == q), None)
            st, t = req(tok, "GET", "/api/search?k=50&q=" + q.replace(" ", "+"))
            assert st == 200, t
            check(u, "search", t, q)
            if target and visible(u, target):
                assert target["name"] in t, ("search misses", u["name"], target["name"])
                n_pos += 1
            st, t = req(tok, "POST", "/api/ask", {"question": "What is the %s?" % q})
            assert st == 200, t
            check(u, "ask", t, q)
            st, t = req(tok, "POST", "/v1/chat/completions",
                        {"model": "cristal-rag", "messages": [{"role": "user", "content": "What is the %s?" % q}]})
            assert st == 200, t
            check(u, "chat", t, q)
            t = mcp(tok, "search", {"query": q, "k": 20})
            check(u, "mcp.search", t, q, cap=1)
            if target and visible(u, target, cap=1):
                assert target["name"] in t, ("mcp search misses", u["name"], target["name"])
                n_pos += 1
            t = mcp(tok, "ask", {"question": "What is the %s?" % q})
            check(u, "mcp.ask", t, q, cap=1)
            n_req += 5
        # listing: every page
        after, listed = 0, set()
        while True:
            st, t = req(tok, "GET", "/api/documents?limit=7&after=%d" % after)
            assert st == 200, t
            check(u, "documents", t)
            n_req += 1
            r = json.loads(t)
            for x in r["documents"]:
                listed.add(x["name"])
                ids[x["name"]] = x["id"]
            if r["next"] is None:
                break
            after = r["next"]
        assert listed == {d["name"] for d in mine}, ("listing", u["name"], sorted(listed ^ {d["name"] for d in mine}))
        n_pos += len(mine)
        t = mcp(tok, "list_sources", {})
        check(u, "mcp.list_sources", t, cap=1)
        n_req += 1
    # every document read by every user, by id and through MCP (ids of the
    # documents no user may read come from the catalog itself)
    import sqlite3
    ids.update({n: i for i, n in sqlite3.connect(os.path.join(D, "catalog.db")).execute("SELECT id, name FROM documents")})
    assert all(d["name"] in ids for d in docs), sorted(set(d["name"] for d in docs) - set(ids))
    for u in users:
        tok = tokens[u["name"]]
        for d in docs:
            st, t = req(tok, "GET", "/api/documents/%d" % ids[d["name"]])
            if visible(u, d):
                assert st == 200 and (d["code"] or "") in t, (u["name"], d["name"], st)
                n_pos += 1
            else:
                assert st == 404, (u["name"], d["name"], st)
                check(u, "document", t)
            st, t = req(tok, "GET", "/api/meetings?scope=" + d["name"])
            assert st == 200, t
            check(u, "meetings", t, asked=d["name"])
            # (a mail with an attachment, an mbox and what they contain are
            # not analysed as one single document each)
            if visible(u, d) and "#" not in d["name"] and not any(o["name"].startswith(d["name"] + "#") for o in docs):
                assert '"doc":"%s"' % d["name"] in t, ("a single document is analysed whatever it looks like", u["name"], d["name"], t[:300])
                n_pos += 1
            n_req += 1
            t = mcp(tok, "read_document", {"doc": d["name"]})
            if visible(u, d, cap=1):
                assert (d["code"] or d["name"]) in t, (u["name"], d["name"], t[:200])
                n_pos += 1
            else:
                check(u, "mcp.read_document", t, cap=1, asked=d["name"])
            n_req += 2
finally:
    srv.terminate()
    srv.wait()

# the command line as each user
n_cli = 0
for u in users[:6]:
    for d in rng.sample([d for d in docs if d["word"]], 4):
        t = cli("search", "--json", "--as", u["name"], d["word"])
        check(u, "cli.search", t, d["word"])
        t = cli("ask", "--json", "--as", u["name"], "What is the %s?" % d["word"])
        check(u, "cli.ask", t, d["word"])
        n_cli += 2

paths = "search ask chat documents document meetings mcp.search mcp.ask mcp.read_document mcp.list_sources cli.search cli.ask"
n_mail = sum(1 for d in docs if d.get("readers") is not None and not d.get("chat"))
n_chat = sum(1 for d in docs if d.get("chat"))
print("leak sweep: %d users in %d tenants and %d groups, %d documents (%d from mail, %d from chat), %d API requests "
      "and %d commands over %d paths; %d positive checks; %d leaks" % (len(users), len(tenants), len(groups), len(docs),
                                                                       n_mail, n_chat, n_req, n_cli,
                                                                       len(paths.split()), n_pos, len(leaks)))
if leaks:
    for l in leaks[:20]:
        print("LEAK:", l)
    sys.exit(1)
