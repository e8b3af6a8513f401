#!/usr/bin/env bash
# provider_cli.sh — `cristal provider` and `cristal usage` against the
# scripted OpenAI-compatible server (tests/provider/server.py) on a free
# loopback port: add (openai with a key variable and prices, local over a
# registered model), list and list --json, bad arguments refused with a
# reason, default, test (latency printed; a bad key, a 500 and a missing key
# variable fail with the reason), rm; then usage and usage --json carry
# the metered calls: tokens, failures and the cost from the prices.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_provider.XXXXXX)
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

python3 "$CR_SOURCE_DIR/tests/provider/server.py" >"$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
P=$(head -1 "$tmp/port")
[ -n "$P" ] || fail "the test server did not start"

c init >/dev/null
c provider list | grep -q "no providers" || fail "empty list"
c provider add good --kind openai --url "http://127.0.0.1:$P/ok/v1" --model test-model \
	--api-key-env CR_TEST_KEY --trust onprem --price-in 1000 --price-out 2000 >"$tmp/out" 2>&1 ||
	fail "add good: $(cat "$tmp/out")"
grep -q "added good: openai test-model at http://127.0.0.1:$P/ok/v1, trust onprem (default)" "$tmp/out" ||
	fail "add good said: $(cat "$tmp/out")"
c provider add broken --kind openai --url "http://127.0.0.1:$P/e500/v1" --model m >/dev/null
c provider add good --kind openai --url "http://x/v1" --model m 2>"$tmp/err" && fail "duplicate accepted"
grep -q "exists" "$tmp/err" || fail "duplicate: $(cat "$tmp/err")"
c provider add x --kind grpc --model m 2>"$tmp/err" && fail "bad kind accepted"
grep -q "kind" "$tmp/err" || fail "bad kind: $(cat "$tmp/err")"
c provider add x --kind openai --model m 2>"$tmp/err" && fail "openai without url accepted"
grep -q -- "--url" "$tmp/err" || fail "no url: $(cat "$tmp/err")"
c provider add x --kind openai --url ftp://h --model m 2>"$tmp/err" && fail "ftp url accepted"
c provider add x --kind openai --url http://h/v1 --model m --trust cloud 2>"$tmp/err" && fail "bad trust accepted"
c provider add x --kind openai --url http://h/v1 --model m --price-in -3 2>"$tmp/err" && fail "negative price accepted"
c provider add x --kind local --model no-such-model 2>"$tmp/err" && fail "unknown local model accepted"
grep -q "no-such-model" "$tmp/err" || fail "unknown model: $(cat "$tmp/err")"
if [ -n "${CR_SHARED_DATA:-}" ] && [ -f "$CR_SHARED_DATA/gguf-models/stories260K.gguf" ]; then
	c model add "$CR_SHARED_DATA/gguf-models/stories260K.gguf" --name stories >/dev/null
	c provider add loc --kind local --model stories >"$tmp/out" || fail "add local"
	grep -q "trust local" "$tmp/out" || fail "local trust default: $(cat "$tmp/out")"
fi

c provider list --json >"$tmp/list.json"
python3 - "$tmp/list.json" "$P" <<'PY' || fail "list --json: $(cat "$tmp/list.json")"
import json, sys
v = json.load(open(sys.argv[1]))
g = v[0]
assert g["name"] == "good" and g["kind"] == "openai" and g["trust"] == "onprem", g
assert g["url"] == "http://127.0.0.1:%s/ok/v1" % sys.argv[2] and g["api_key_env"] == "CR_TEST_KEY", g
assert g["price_in"] == 1000 and g["price_out"] == 2000 and g["default"] is True, g
b = v[1]
assert b["name"] == "broken" and b["trust"] == "external" and b["default"] is False and b["api_key_env"] is None, b
assert sum(1 for p in v if p["default"]) == 1
PY

# test: the key comes from the variable the provider names
c provider test good 2>"$tmp/err" && fail "test without the key variable passed"
grep -q 'CR_TEST_KEY is not set' "$tmp/err" || fail "missing key: $(cat "$tmp/err")"
CR_TEST_KEY=wrong c provider test good 2>"$tmp/err" && fail "test with a bad key passed"
grep -q "401" "$tmp/err" || fail "bad key: $(cat "$tmp/err")"
CR_TEST_KEY=sekret c provider test good >"$tmp/out" || fail "test good"
grep -Eq "^good: ok in [0-9]+ ms \(11 prompt \+ 3 completion tokens, stop\): hello from ok$" "$tmp/out" ||
	fail "test said: $(cat "$tmp/out")"
CR_TEST_KEY=sekret c provider test good --json >"$tmp/t.json"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['ok'] and r['latency_ms'] > 0 and r['text'] == 'hello from ok', r" "$tmp/t.json" ||
	fail "test --json: $(cat "$tmp/t.json")"
c provider test broken 2>"$tmp/err" && fail "test of a failing server passed"
grep -q "HTTP 500" "$tmp/err" || fail "500: $(cat "$tmp/err")"
if c provider list | grep -q "^  loc "; then
	c provider test loc >"$tmp/out" || fail "test loc: $(cat "$tmp/out")"
	grep -Eq "^loc: ok in [0-9]+ ms" "$tmp/out" || fail "test loc said: $(cat "$tmp/out")"
fi

c provider default broken >/dev/null
c provider list | grep -q "^\* broken " || fail "default not moved: $(c provider list)"
c provider default nope 2>"$tmp/err" && fail "default of an unknown provider"
c provider rm broken >/dev/null
c provider rm broken 2>/dev/null && fail "rm twice"
c provider list | grep -q broken && fail "rm left it listed"

# usage: good 3 calls (2 ok; the 401 failed), broken 1 failed call (4 HTTP attempts, one row)
c usage --json >"$tmp/u.json"
python3 - "$tmp/u.json" <<'PY' || fail "usage --json: $(cat "$tmp/u.json")"
import json, sys
u = json.load(open(sys.argv[1]))
rows = {r["provider"]: r for r in u["rows"]}
g = rows["good"]
assert g["calls"] == 3 and g["failed"] == 1, g
assert g["prompt_tokens"] == 22 and g["completion_tokens"] == 6, g
assert abs(g["cost"] - 2 * (11 * 1000 + 3 * 2000) / 1e6) < 1e-9, g
b = rows["broken"]
assert b["calls"] == 1 and b["failed"] == 1 and b["prompt_tokens"] == 0, b
assert u["total"]["calls"] == sum(r["calls"] for r in u["rows"]), u
PY
c usage | grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}  good +3 +1 +22 +6 " || fail "usage table: $(c usage)"
echo "provider_cli: ok"
