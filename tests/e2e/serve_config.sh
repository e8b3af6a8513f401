#!/usr/bin/env bash
# serve_config.sh — the configuration file (docs/CONFIG.md) as the program
# reads it: data.dir names the data directory (--data and $CRISTAL_DATA win
# over it); [server] gives serve its address, body limit and TLS files, and
# flags win over them; $CRISTAL_CONFIG names the file when --config does
# not; the example shipped in dist/ is accepted; unknown keys, wrong types,
# bad values and malformed lines are refused at start (exit 2) naming the
# file and line; the governance table is left to its own reader.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
CF="$tmp/cristal.toml"
# only config: no --data
cc() { "$CR_BIN" --config "$CF" "$@"; }

cat >"$CF" <<TOML
# a test configuration
[data]
dir = "$D"
[server]
listen = "0.0.0.0:0"
max_body = 2048
[log]
level = "warn"
[time]
zone = "Asia/Tokyo"
[governance.paths]
deny = ["/secret/"]
TOML
# data.dir is used
cc stats >"$tmp/st" 2>&1 || fail "stats with data.dir from the config: $(cat "$tmp/st")"
grep -qi 'documents' "$tmp/st" || fail "stats did not read the data directory: $(cat "$tmp/st")"
c stats >"$tmp/st2"
cmp -s "$tmp/st" "$tmp/st2" || fail "stats through data.dir differs from --data"
# --data wins over data.dir
"$CR_BIN" --config "$CF" --data "$tmp/other" init >/dev/null || fail "init --data with a config"
[ -f "$tmp/other/catalog.db" ] || fail "--data did not win over data.dir"
# $CRISTAL_DATA wins over data.dir
CRISTAL_DATA="$tmp/other" "$CR_BIN" --config "$CF" stats >"$tmp/st3" 2>&1 || fail "stats with CRISTAL_DATA"
cmp -s "$tmp/st" "$tmp/st3" && fail "CRISTAL_DATA did not win over data.dir"
# $CRISTAL_CONFIG names the file
CRISTAL_CONFIG="$CF" "$CR_BIN" stats >"$tmp/st4" 2>&1 || fail "stats with CRISTAL_CONFIG"
cmp -s "$tmp/st" "$tmp/st4" || fail "CRISTAL_CONFIG was not read"

# server.listen is used: a non-loopback address with no users is refused, naming it
rc=0
cc serve >"$tmp/o" 2>"$tmp/e" || rc=$?
[ "$rc" = 1 ] && grep -q "'0.0.0.0:0' is not one" "$tmp/e" || fail "server.listen not used (rc $rc): $(cat "$tmp/e")"
# --listen wins; max_body comes from the file
"$CR_BIN" --config "$CF" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv_pid=$!
for _ in $(seq 100); do grep -q 'http://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
U=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -1)
[ -n "$U" ] || fail "serve with --listen over the config did not start"
grep -q "serving $D " "$tmp/serve.out" || fail "serve did not use data.dir: $(cat "$tmp/serve.out")"
python3 -c 'import json; print(json.dumps({"question": "x" * 3000}))' >"$tmp/big.json"
expect_error 413 POST /api/ask "${J[@]}" --data-binary @"$tmp/big.json"
grep -q 'over 2048 bytes' "$tmp/body" || fail "server.max_body not used: $(cat "$tmp/body")"
curl -sf "$U/api/search?q=annual+leave" >/dev/null || fail "search under the config"
kill "$srv_pid"; wait "$srv_pid" || true; srv_pid=
# --max-body wins over server.max_body
start_server --max-body 8192
[ "$(status POST /api/ask "${J[@]}" --data-binary @"$tmp/big.json")" = 200 ] || fail "--max-body did not win: $(cat "$tmp/body")"
kill "$srv_pid"; wait "$srv_pid" || true; srv_pid=

# TLS files from the config
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
		-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null || fail openssl
	cat >"$tmp/tls.toml" <<TOML
[data]
dir = "$D"
[server]
listen = "127.0.0.1:0"
tls_cert = "$tmp/cert.pem"
tls_key = "$tmp/key.pem"
TOML
	"$CR_BIN" --config "$tmp/tls.toml" serve >"$tmp/serve.out" 2>"$tmp/serve.err" &
	srv_pid=$!
	for _ in $(seq 100); do grep -q 'https://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
	U=$(grep -o 'https://[0-9.:]*' "$tmp/serve.out" | head -1)
	[ -n "$U" ] || fail "serve with TLS from the config did not start: $(cat "$tmp/serve.err")"
	curl -sfk "$U/healthz" >/dev/null || fail "healthz over TLS from the config"
	kill "$srv_pid"; wait "$srv_pid" || true; srv_pid=
fi

# the shipped example is accepted (its data.dir overridden)
"$CR_BIN" --config "$CR_SOURCE_DIR/dist/cristal.toml" --data "$D" stats >/dev/null ||
	fail "dist/cristal.toml refused"

# refusals: exit 2, the file and line named
refuse() {
	local want=$1
	printf '%b' "$2" >"$tmp/bad.toml"
	local rc=0
	"$CR_BIN" --config "$tmp/bad.toml" --data "$D" stats >"$tmp/o" 2>"$tmp/e" || rc=$?
	[ "$rc" = 2 ] || fail "config '$2': exit $rc, wanted 2"
	grep -qF -- "$want" "$tmp/e" || fail "config '$2': message '$(cat "$tmp/e")' lacks '$want'"
}
refuse "bad.toml:2: unknown setting server.listn" '[server]\nlistn = "x"\n'
refuse "bad.toml:1: unknown setting colour" 'colour = "red"\n'
refuse "bad.toml:3: log.level must be debug, info, warn or error" '\n[log]\nlevel = "loud"\n'
refuse "time.zone 'Mars/Olympus' is not a time zone" '[time]\nzone = "Mars/Olympus"\n'
refuse "time.zone '../../etc/passwd'" '[time]\nzone = "../../etc/passwd"\n'
refuse "bad.toml:2: data.dir must be a string" '[data]\ndir = 5\n'
refuse "bad.toml:2: answer.glossary '/nonexistent/glossary.txt': No such file" '[answer]\nglossary = "/nonexistent/glossary.txt"\n'
refuse "bad.toml:2: the string is not closed" '[data]\ndir = "/x\n'
refuse "bad.toml:1: unexpected" 'dir = "/a" x\n'
# serve's own keys are checked when serve reads them
printf '[server]\nthreads = "many"\n' >"$tmp/bad.toml"
rc=0
"$CR_BIN" --config "$tmp/bad.toml" --data "$D" serve --listen 127.0.0.1:0 >"$tmp/o" 2>"$tmp/e" || rc=$?
[ "$rc" = 2 ] && grep -q 'bad.toml:2: server.threads must be a whole number' "$tmp/e" ||
	fail "server.threads of the wrong type: rc $rc: $(cat "$tmp/e")"
# an explicit file that does not exist is an error; --config wants a value
rc=0
"$CR_BIN" --config "$tmp/none.toml" --data "$D" stats >"$tmp/o" 2>"$tmp/e" || rc=$?
[ "$rc" = 2 ] && grep -q 'none.toml: no such file' "$tmp/e" || fail "missing --config file: rc $rc: $(cat "$tmp/e")"
rc=0
"$CR_BIN" --config >"$tmp/o" 2>"$tmp/e" || rc=$?
[ "$rc" = 2 ] || fail "--config without a value: rc $rc"
echo "serve_config: ok"
