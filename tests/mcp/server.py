#!/usr/bin/env python3
"""A scripted MCP server (protocol 2025-06-18) for the client's tests.

stdio:  server.py stdio BEHAVIOUR
http:   server.py http BEHAVIOUR PORTFILE   (binds 127.0.0.1:0, writes the port)

Behaviours: ok (tools echo and add over two tools/list pages, a ping sent to
the client and a log notification before each reply), sse (http: replies as
SSE streams that stay open), garbage, exit, wrongid, hang, huge, toolerror.
Every request it receives is checked (jsonrpc 2.0, protocol version in
initialize, MCP-Protocol-Version and Mcp-Session-Id headers over http);
a violation is answered with a JSON-RPC error the client must report.
"""
import json, sys, threading, http.server

MODE, BEHAV = sys.argv[1], sys.argv[2]
TOOLS = [
    {"name": "echo", "description": "Echoes its text argument.",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
    {"name": "add", "description": "Adds a and b.",
     "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}},
]


def handle(req):
    """The reply to one request (a dict), or None for a notification."""
    if req.get("jsonrpc") != "2.0":
        return {"jsonrpc": "2.0", "id": req.get("id"), "error": {"code": -32600, "message": "not jsonrpc 2.0"}}
    method, rid = req.get("method"), req.get("id")
    if rid is None:
        return None
    p = req.get("params") or {}
    if method == "initialize":
        if p.get("protocolVersion") != "2025-06-18":
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "bad protocolVersion"}}
        res = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
               "serverInfo": {"name": "scripted", "version": "0.1"}}
    elif method == "tools/list":
        if p.get("cursor") == "page2":
            res = {"tools": TOOLS[1:]}
        else:
            res = {"tools": TOOLS[:1], "nextCursor": "page2"}
    elif method == "tools/call":
        args = p.get("arguments", {})
        if BEHAV == "toolerror" or p.get("name") not in ("echo", "add"):
            res = {"content": [{"type": "text", "text": "no such tool: %s" % p.get("name")}], "isError": True}
        elif p["name"] == "echo":
            res = {"content": [{"type": "text", "text": "echo: " + str(args.get("text"))}]}
        else:
            res = {"content": [{"type": "text", "text": str(args.get("a", 0) + args.get("b", 0))}]}
    else:
        return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no method " + str(method)}}
    if BEHAV == "wrongid" and method == "tools/list":
        rid = 999
    return {"jsonrpc": "2.0", "id": rid, "result": res}


def stdio():
    out = sys.stdout
    sys.stderr.write("scripted server starting (%s)\n" % BEHAV)
    sys.stderr.flush()
    for line in sys.stdin:
        req = json.loads(line)
        if BEHAV == "exit" and req.get("method") == "tools/list":
            sys.stderr.write("fatal: scripted crash\n")
            sys.exit(3)
        if BEHAV == "hang" and req.get("method") == "tools/list":
            threading.Event().wait(600)
        if BEHAV == "garbage" and req.get("method") == "tools/list":
            out.write("this is not json\n")
            out.flush()
            continue
        if BEHAV == "huge" and req.get("method") == "tools/list":
            out.write("[" + "1," * (20 << 20) + "1]\n")
            out.flush()
            continue
        rep = handle(req)
        if rep is None:
            continue
        if req.get("method") == "tools/call":
            # a server request and a notification before the reply
            out.write(json.dumps({"jsonrpc": "2.0", "id": "srv-1", "method": "ping"}) + "\n")
            out.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/message",
                                  "params": {"level": "info", "data": "calling"}}) + "\n")
            out.flush()
            pong = json.loads(sys.stdin.readline())
            if pong.get("id") != "srv-1" or pong.get("result") != {}:
                rep = {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -1, "message": "no pong: %r" % pong}}
        out.write(json.dumps(rep) + "\n")
        out.flush()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sessions = set()

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_DELETE(self):
        H.sessions.discard(self.headers.get("Mcp-Session-Id"))
        self.send(200)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        req = json.loads(body)
        accept = self.headers.get("Accept", "")
        if "application/json" not in accept or "text/event-stream" not in accept:
            return self.send(406, b'{"error":"accept"}')
        method = req.get("method")
        if method != "initialize":
            sid = self.headers.get("Mcp-Session-Id")
            if sid not in H.sessions:
                return self.send(404 if sid else 400, b'{"error":"session"}')
            if self.headers.get("MCP-Protocol-Version") != "2025-06-18":
                return self.send(400, b'{"error":"protocol version header"}')
        if BEHAV == "hang" and method == "tools/list":
            threading.Event().wait(600)
        if BEHAV == "garbage" and method == "tools/list":
            return self.send(200, b"<html>not json</html>")
        if BEHAV == "exit" and method == "tools/list":
            return self.send(500, b'{"error":"boom"}')
        rep = handle(req)
        extra = {}
        if method == "initialize":
            extra["Mcp-Session-Id"] = "sess-42"
            H.sessions.add("sess-42")
        if rep is None:
            return self.send(202)
        if BEHAV == "sse":
            # an open stream: a notification, then the reply, then nothing
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            note = json.dumps({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progress": 1}})
            data = json.dumps(rep, indent=1).split("\n")  # multi-line data
            self.wfile.write(("event: message\ndata: %s\n\n" % note).encode())
            self.wfile.write(("id: 1\nevent: message\n" + "".join("data: %s\n" % l for l in data) + "\n").encode())
            self.wfile.flush()
            threading.Event().wait(30)
            return
        self.send(200, json.dumps(rep).encode(), extra=extra)


def http_main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(sys.argv[3] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    srv.serve_forever()


if MODE == "stdio":
    stdio()
else:
    http_main()
