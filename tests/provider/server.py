#!/usr/bin/env python3
"""A scripted OpenAI-compatible server for the provider tests.

Listens on 127.0.0.1 on a free port (or --port) and prints the port on the
first line of stdout. The first path segment names the behaviour, so one
server serves every case: base URL http://127.0.0.1:PORT/<scenario>/v1;
a suffix after '-' (r429-b) gives a case its own call count.

  ok        chat (plain or streamed), embeddings, models
  echo      chat whose answer is the request body it got
  tools     a tool call (streamed: the arguments in three pieces)
  r429      429 with Retry-After: 1 on the first call, then as ok
  e500      500 on every call (and counts the calls at GET /e500/count)
  cut       a stream cut after two pieces (no [DONE])
  garbage   200 application/json that is not JSON (streamed: a bad event)
  html      200 text/html
  slow      one streamed piece, then silence for 30 s
  drip      a long answer streamed a piece every 0.2 s (about 5 s in all)
  answer    a crafted answer with one good and one fabricated citation
  errobj    200 with an {"error": {...}} object
  bow       embeddings that mean something: each word (lowercased, letters
            and digits) hashed into one of 64 dimensions, L2-normalised, so
            texts sharing words are near; GET /bow/texts counts the texts
            embedded; bowslow: the same, 0.2 s per request (kill -9 tests)
  agent*    a scripted model for the agent loop (agent_turn below): each
            turn reads the tool messages it got, checks them (HTTP 400
            "check failed: ..." when they are not what the tools should
            have said) and makes the next call or answers:
            agent (search, read_document, a final answer citing a real and
            a fabricated source), agentbad (malformed arguments, unknown
            tool, bad arguments, a repeated call), agentloop (calls forever),
            agentfail (a failing call every turn), agentscope (asks for an
            out-of-scope document, searches for its words, lists sources),
            agentgroup (a stored agent offered search, read_document and
            list_sources only, scope group:eng: asks for the hr group's
            salaries by name and by search, lists, then reads and cites
            the eng document)
            agentslow (0.5 s per turn: searches "travel N" six times, then
            answers citing [1]; long enough to cancel, tests/e2e/server_runs.sh)
Every chat answer reports usage: prompt_tokens 11, completion_tokens 3.
"""
import json
import re
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
TEXTS = {}
LOCK = threading.Lock()
ANSWER = ("Travel above 3 nights needs the approval of a director [1]. "
          "The company pays for first-class flights on every trip [2].")


TOOL_NAMES = {"search", "read_document", "list_sources", "meeting_actions", "table_stats", "write_report"}


class CheckFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CheckFailed(what)


def call(name, args, i):
    """A turn that calls one tool; args is a dict or the raw text to send."""
    text = args if isinstance(args, str) else json.dumps(args)
    return {"tool_calls": [{"id": "call_%d" % i, "type": "function",
                            "function": {"name": name, "arguments": text}}]}


def agent_turn(scen, req):
    """The scripted model's next turn: {"tool_calls": [...]} or {"content": ...}."""
    msgs = req.get("messages", [])
    tools = [m for m in msgs if m.get("role") == "tool"]
    t = len(tools)
    last = json.loads(tools[-1]["content"]) if tools else None
    if tools:
        check(tools[-1].get("tool_call_id") == "call_%d" % (t - 1), "tool_call_id %r" % tools[-1].get("tool_call_id"))
        asst = [m for m in msgs if m.get("role") == "assistant"]
        check(asst and asst[-1].get("tool_calls"), "the assistant turn with its calls was not sent back")
    if scen == "agentslow":
        time.sleep(0.5)
        if t < 6:
            return call("search", {"query": "travel %d" % t}, t)
        return {"content": "Travel needs approval [1]."}
    if t == 0:
        names = {x["function"]["name"] for x in req.get("tools", [])}
        extra = {"mcp__ok__echo"} if scen == "agentmcp" else set()
        want = {"search", "read_document", "list_sources"} if scen == "agentgroup" else TOOL_NAMES | extra
        check(names == want, "tools offered: %s" % sorted(names))
        check(msgs[0]["role"] == "system" and msgs[-1]["role"] == "user", "first turn's messages")
    if scen == "agent":
        if t == 0:
            return call("search", {"query": "travel approval director", "k": 3}, 0)
        if t == 1:
            hits = [r for r in last.get("results", []) if "director" in r["text"]]
            check(hits, "search results passed back: %s" % tools[-1]["content"][:300])
            return call("read_document", {"doc": hits[0]["doc"]}, 1)
        check("results" in last and last["results"], "read_document result: %s" % tools[-1]["content"][:300])
        first = json.loads(tools[0]["content"])
        n = [r for r in first["results"] if "director" in r["text"]][0]["n"]
        return {"content": "Travel above 3 nights needs the approval of a director [%d]. "
                           "The policy was signed by the board in 1987 [7]." % n}
    if scen == "agentbad":
        if t == 0:
            return call("search", '{"query": "travel', 0)
        if t == 1:
            check("not valid JSON" in last.get("error", ""), "malformed call: %s" % last)
            return call("delete_everything", {"all": True}, 1)
        if t == 2:
            check("unknown tool" in last.get("error", ""), "unknown tool: %s" % last)
            return call("search", {"query": "travel policy"}, 2)
        if t == 3:
            check(last.get("results"), "search after errors: %s" % last)
            return call("search", {"k": "many"}, 3)
        if t == 4:
            check("needs \"query\"" in last.get("error", ""), "bad arguments: %s" % last)
            return call("search", {"query": "travel policy"}, 4)
        check("repeated call" in last.get("error", ""), "repeated call: %s" % last)
        return {"content": "Done."}
    if scen == "agentmcp":
        # an MCP tool allowed by --tool mcp:ok/echo (tests/e2e/mcp_client.sh)
        if t == 0:
            fn = [x["function"] for x in req["tools"] if x["function"]["name"] == "mcp__ok__echo"][0]
            check(fn["parameters"].get("required") == ["text"], "echo's schema: %s" % fn)
            return call("mcp__ok__echo", {"text": "ping me"}, 0)
        if t == 1:
            check(last.get("result") == "echo: ping me", "MCP result: %s" % last)
            return call("mcp__ok__add", {"a": 1, "b": 2}, 1)
        check("unknown tool" in last.get("error", ""), "a tool not allowed: %s" % last)
        return {"content": "The server said: echo: ping me."}
    if scen == "agentloop":
        return call("search", {"query": "travel %d" % t}, t)
    if scen == "agentfail":
        if tools:
            check("no document named" in last.get("error", ""), "failing call: %s" % last)
        return call("read_document", {"doc": "missing-%d.md" % t}, t)
    if scen == "agentscope":
        # what the tools found (an error and a search echo the words asked)
        body = json.dumps({k: v for k, v in last.items() if k != "query"}) if tools and "error" not in last else ""
        check("salar" not in body.lower() and "docs/hr" not in body, "out of scope content: %s" % body[:300])
        if t == 0:
            return call("read_document", {"doc": "docs/hr/salaries.md"}, 0)
        if t == 1:
            check("no document named" in last.get("error", ""), "out-of-scope read: %s" % last)
            return call("search", {"query": "salary bands engineers"}, 1)
        if t == 2:
            return call("list_sources", {}, 2)
        if t == 3:
            check(any("docs/public" in d["doc"] for d in last["documents"]), "list_sources: %s" % last)
            return call("read_document", {"doc": "docs/hr/salaries.md", "range": {"start": 1}}, 3)
        return {"content": "Nothing about salaries is in scope."}
    if scen == "agentgroup":
        # nothing of the hr group's documents may reach the model, whatever it asks
        body = json.dumps({k: v for k, v in last.items() if k != "query"}) if tools and "error" not in last else ""
        check("salar" not in body.lower() and "9,000,000" not in body and "hr/" not in body,
              "out of scope content: %s" % body[:300])
        check(all("9,000,000" not in (m.get("content") or "") for m in msgs if m.get("role") == "tool"),
              "out of scope content in a tool message")
        if t == 0:
            return call("read_document", {"doc": "docs/hr/salaries.md"}, 0)
        if t == 1:
            check("no document named" in last.get("error", ""), "out-of-scope read: %s" % last)
            return call("search", {"query": "salary bands engineers"}, 1)
        if t == 2:
            check(all("hr/" not in r["doc"] for r in last.get("results", [])), "search: %s" % last)
            return call("list_sources", {}, 2)
        if t == 3:
            docs = [d["doc"] for d in last["documents"]]
            check(docs and all("eng/" in d for d in docs), "list_sources: %s" % docs)
            return call("read_document", {"doc": docs[0]}, 3)
        if t == 4:
            check(last.get("results") and "on-call" in last["results"][0]["text"], "eng read: %s" % last)
            return call("write_report", {"title": "x", "markdown": "y"}, 4)
        check("unknown tool" in last.get("error", ""), "a tool not offered: %s" % last)
        n = json.loads(tools[3]["content"])["results"][0]["n"]
        return {"content": "The on-call engineer answers pages within 15 minutes [%d]." % n}
    raise CheckFailed("no script " + scen)


def count(name):
    with LOCK:
        COUNTS[name] = COUNTS.get(name, 0) + 1
        return COUNTS[name]


def bow(text):
    v = [0.0] * 64
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        v[zlib.crc32(w.encode()) % 64] += 1.0
    n = sum(x * x for x in v) ** 0.5 or 1.0
    return [x / n for x in v]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def sse_start(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

    def event(self, obj):
        data = obj if isinstance(obj, str) else json.dumps(obj)
        self.wfile.write(("data: " + data + "\n\n").encode())
        self.wfile.flush()

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        scen = parts[0]
        if parts[-1] == "texts":
            return self.send(200, json.dumps({"count": TEXTS.get(scen, 0)}))
        if parts[-1] == "count":
            return self.send(200, json.dumps({"count": COUNTS.get(scen, 0)}))
        if parts[-1] == "models":
            return self.send(200, json.dumps({"object": "list", "data": [
                {"id": "m1", "object": "model"}, {"id": "m2", "object": "model"}]}))
        self.send(404, json.dumps({"error": {"message": "no such path"}}))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        parts = self.path.strip("/").split("/")
        key = parts[0]             # counted as named: "r429-b" has its own count
        scen = key.split("-")[0]   # behaves as "r429"
        what = "/".join(parts[2:])
        k = count(key)
        try:
            req = json.loads(raw)
        except ValueError:
            return self.send(400, json.dumps({"error": {"message": "bad request JSON"}}))
        if self.headers.get("Authorization") not in (None, "Bearer sekret"):
            return self.send(401, json.dumps({"error": {"message": "bad key"}}))
        if what == "embeddings" and scen in ("bow", "bowslow"):
            with LOCK:
                TEXTS[key] = TEXTS.get(key, 0) + len(req["input"])
            if scen == "bowslow":
                time.sleep(0.2)
            vecs = [{"object": "embedding", "index": i, "embedding": bow(t)}
                    for i, t in enumerate(req["input"])]
            return self.send(200, json.dumps({"data": vecs, "usage": {"prompt_tokens": 4}}))
        if what == "embeddings":
            vecs = [{"object": "embedding", "index": i, "embedding": [float(i), 0.5, -1.0]}
                    for i in range(len(req["input"]))]
            vecs.reverse()
            return self.send(200, json.dumps({"data": vecs, "usage": {"prompt_tokens": 4}}))
        stream = bool(req.get("stream"))
        if scen == "r429" and k == 1:
            return self.send(429, json.dumps({"error": {"message": "slow down"}}),
                             headers=[("Retry-After", "1")])
        if scen == "e500":
            return self.send(500, json.dumps({"error": {"message": "boom"}}))
        if scen == "html":
            return self.send(200, "<html><body>hello</body></html>", "text/html")
        if scen == "errobj":
            return self.send(200, json.dumps({"error": {"message": "model overloaded"}}))
        if scen == "garbage":
            if stream:
                self.sse_start()
                self.event({"choices": [{"index": 0, "delta": {"content": "ok"}}]})
                self.event("{not json")
                return
            return self.send(200, "{\"choices\": [ {not json")
        text = {"echo": raw.decode(), "answer": ANSWER, "drip": "hello from drip " * 10}.get(scen, "hello from " + scen)
        usage = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
        if scen.startswith("agent"):
            try:
                turn = agent_turn(scen, req)
            except (CheckFailed, KeyError, ValueError, TypeError, IndexError) as e:
                return self.send(400, json.dumps({"error": {"message": "check failed: %s" % e}}))
            msg = {"role": "assistant", "content": turn.get("content")}
            if "tool_calls" in turn:
                msg["tool_calls"] = turn["tool_calls"]
            return self.send(200, json.dumps({"choices": [{"index": 0, "message": msg, "finish_reason":
                                                          "tool_calls" if "tool_calls" in turn else "stop"}],
                                              "usage": usage}))
        if scen == "tools":
            call = {"id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
            if not stream:
                return self.send(200, json.dumps({"choices": [{"index": 0, "message": {
                    "role": "assistant", "content": None, "tool_calls": [call]},
                    "finish_reason": "tool_calls"}], "usage": usage}))
            self.sse_start()
            self.event({"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [
                {"index": 0, "id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": ""}}]}}]})
            for piece in ["{\"city\"", ":\"Pa", "ris\"}"]:
                self.event({"choices": [{"index": 0, "delta": {"tool_calls": [
                    {"index": 0, "function": {"arguments": piece}}]}}]})
            self.event({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
            self.event({"choices": [], "usage": usage})
            self.event("[DONE]")
            return
        if not stream:
            return self.send(200, json.dumps({"id": "x", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text},
                 "finish_reason": "stop"}], "usage": usage}))
        self.sse_start()
        self.wfile.write(b": a comment line\n\n")
        pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
        for i, p in enumerate(pieces):
            self.event({"choices": [{"index": 0, "delta": {"content": p}}]})
            if scen == "cut" and i == 1:
                return  # the connection closes: no finish, no [DONE]
            if scen == "slow":
                time.sleep(30)
                return
            if scen == "drip":
                time.sleep(0.2)
        self.event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self.event({"choices": [], "usage": usage})
        self.event("[DONE]")


def main():
    port = 0
    if len(sys.argv) > 2 and sys.argv[1] == "--port":
        port = int(sys.argv[2])
    srv = ThreadingHTTPServer(("127.0.0.1", port), H)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
