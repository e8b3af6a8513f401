# lib.sh — what the server's end-to-end tests share (sourced, not a test):
# a data directory with samples/ ingested, `cristal serve` on a free
# loopback port, and JSON checks in Python.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v curl >/dev/null || exit 77
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_server.XXXXXX)
srv_pid=
prov_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	[ -n "$prov_pid" ] && kill "$prov_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() {
	echo "FAIL: $*" >&2
	[ -f "$tmp/serve.err" ] && sed 's/^/serve: /' "$tmp/serve.err" >&2
	exit 1
}
J=(-H 'Content-Type: application/json')

# A data directory with the bundled samples.
make_data() {
	c init >/dev/null
	c ingest "$CR_SOURCE_DIR/samples" >/dev/null 2>&1 || fail "ingest samples"
}

# Starts the scripted OpenAI-compatible server (tests/provider/server.py); sets PP.
start_provider() {
	python3 "$CR_SOURCE_DIR/tests/provider/server.py" >"$tmp/pport" &
	prov_pid=$!
	for _ in $(seq 100); do [ -s "$tmp/pport" ] && break; sleep 0.1; done
	PP=$(head -1 "$tmp/pport")
	[ -n "$PP" ] || fail "the scripted provider did not start"
}

# Starts `cristal serve` on a free port; sets U (http://127.0.0.1:PORT).
start_server() {
	"$CR_BIN" --data "$D" serve --listen 127.0.0.1:0 "$@" >"$tmp/serve.out" 2>"$tmp/serve.err" &
	srv_pid=$!
	for _ in $(seq 100); do grep -q 'http://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
	U=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -1)
	[ -n "$U" ] || fail "the server did not start"
}

# py 'assertions on r' FILE: r is the file's JSON.
py() {
	python3 - "$2" <<PY || fail "check failed on $2: $(head -c 600 "$2")"
import json, sys
r = json.load(open(sys.argv[1]))
$1
PY
}

# status METHOD PATH [curl args...]: prints the HTTP status; the body goes to $tmp/body.
status() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$tmp/body" -w '%{http_code}' -X "$m" "$@" "$U$p"
}

# A JSON error with this status: {"error": {"code", "message"}}.
expect_error() {
	local want=$1
	shift
	local got
	got=$(status "$@")
	[ "$got" = "$want" ] || fail "$*: status $got, wanted $want: $(head -c 300 "$tmp/body")"
	py 'assert isinstance(r["error"]["code"], str) and r["error"]["message"], r' "$tmp/body"
}
