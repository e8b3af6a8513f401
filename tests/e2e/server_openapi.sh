#!/usr/bin/env bash
# server_openapi.sh — /api/openapi.json is an OpenAPI 3.1 document, and
# every operation it lists answers over HTTP with one of the statuses it
# documents for that operation (tests/unit/test_server_routes.c checks the
# other direction: every route served is listed).
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
start_server --threads 2
curl -sf "$U/api/openapi.json" >"$tmp/openapi.json" || fail "no /api/openapi.json"
python3 - "$tmp/openapi.json" "$U" <<'PY' || fail "openapi"
import json, sys, urllib.request, urllib.error
doc = json.load(open(sys.argv[1]))
base = sys.argv[2]
assert doc["openapi"].startswith("3.1"), doc["openapi"]
values = {"id": "samples/docs/employee-handbook.md", "file": "index.html"}
queries = {"/api/search": "?q=annual+leave"}
bodies = {
    "/api/ask": {"question": "How many days of annual leave?"},
    "/v1/chat/completions": {"model": "cristal-rag", "messages": [{"role": "user", "content": "annual leave?"}]},
    "/v1/embeddings": {"model": "cristal-rag", "input": "x"},
    "/mcp": {"jsonrpc": "2.0", "id": 1, "method": "ping"},
}
n = 0
for path, item in doc["paths"].items():
    for method, op in item.items():
        url = path
        for k, v in values.items():
            url = url.replace("{%s}" % k, v)
        url = base + url + queries.get(path, "")
        data = json.dumps(bodies[path]).encode() if path in bodies else None
        req = urllib.request.Request(url, data=data, method=method.upper(),
                                     headers={"Content-Type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        documented = set(op["responses"].keys())
        assert str(status) in documented, f"{method.upper()} {path}: {status} not in {sorted(documented)}"
        assert status not in (404, 405) or str(status) in documented
        n += 1
assert n >= 15, n
print(f"{n} operations answered")
PY
echo "server_openapi: ok"
