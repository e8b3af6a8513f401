#!/usr/bin/env python3
"""A recording OpenAI-compatible listener for the redaction tests: it stands
in for an external provider, appends every request body it receives to the
file given as argv[1] (one JSON document a line), and answers with the
placeholders it was sent, so the caller can show it restores them.

Prints its port on the first line of stdout (127.0.0.1, a free port).

  /ask/v1/chat/completions   the first sentence of source [1] in the user
                             message that holds a placeholder, cited [1]
                             (what a model answering from the passages
                             would write)
  */embeddings               four numbers per text (what they mean does not
                             matter: only what was sent is checked)
  /chat/v1/chat/completions  "Contact: P1, P2, ..." with every placeholder
                             of the messages in order; streamed (stream:
                             true) three characters a piece, so most
                             placeholders arrive cut across pieces
"""
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = sys.argv[1]
LOCK = threading.Lock()
PH = re.compile(r"\[(?:PERSON|EMAIL|PHONE|ADDRESS|MYNUMBER|CARD)_[0-9]+\]")


def answer_for(scen, req):
    msgs = req.get("messages", [])
    text = "\n".join(m.get("content") or "" for m in msgs if m.get("role") in ("user", "system", "tool"))
    if scen == "ask":
        user = next((m.get("content") or "" for m in msgs if m.get("role") == "user"), "")
        src = user.split("\n[1] ", 1)[1] if "\n[1] " in user else user
        src = src.split("\n", 1)[1] if "\n" in src else src
        src = src.split("\n[2] ", 1)[0]
        for s in re.split(r"(?<=[.!?。])\s*", src):
            if PH.search(s):
                return s.strip() + " [1]"
        return "The sources do not say."
    seen = []
    for p in PH.findall(text):
        if p not in seen:
            seen.append(p)
    return "Contact: " + ", ".join(seen) + "."


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json"):
        b = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        self.send(200, json.dumps({"data": [{"id": "m"}]}))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        with LOCK:
            with open(LOG, "ab") as f:
                f.write(raw.replace(b"\n", b" ") + b"\n")
        scen = self.path.strip("/").split("/")[0]
        try:
            req = json.loads(raw)
        except ValueError:
            return self.send(400, json.dumps({"error": {"message": "bad json"}}))
        if self.path.endswith("/embeddings"):
            inp = req.get("input")
            inp = [inp] if isinstance(inp, str) else inp
            data = [{"object": "embedding", "index": i, "embedding": [1.0, float(len(t) % 7), 0.5, float(i % 3)]}
                    for i, t in enumerate(inp)]
            return self.send(200, json.dumps({"object": "list", "data": data, "model": "e",
                                              "usage": {"prompt_tokens": 1, "total_tokens": 1}}))
        text = answer_for(scen, req)
        usage = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}
        if not req.get("stream"):
            return self.send(200, json.dumps({"id": "x", "object": "chat.completion", "model": "m",
                                              "choices": [{"index": 0, "finish_reason": "stop",
                                                           "message": {"role": "assistant", "content": text}}],
                                              "usage": usage}))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i in range(0, len(text), 3):
            ev = {"id": "x", "object": "chat.completion.chunk", "model": "m",
                  "choices": [{"index": 0, "delta": {"content": text[i:i + 3]}, "finish_reason": None}]}
            self.wfile.write(b"data: " + json.dumps(ev).encode() + b"\n\n")
            self.wfile.flush()
        ev = {"id": "x", "object": "chat.completion.chunk", "model": "m",
              "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage}
        self.wfile.write(b"data: " + json.dumps(ev).encode() + b"\n\ndata: [DONE]\n\n")
        self.wfile.flush()


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
