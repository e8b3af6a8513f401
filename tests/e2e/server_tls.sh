#!/usr/bin/env bash
# server_tls.sh — `cristal serve --tls-cert FILE --tls-key FILE` serves HTTPS
# (libmicrohttpd over GnuTLS) with a self-signed certificate made here by the
# openssl command: the URL printed is https://, curl trusting that
# certificate gets the probes, a search and a streamed ask; plain HTTP on
# the same port gets no answer; a client that does not trust the
# certificate is refused by its own check; missing, unreadable, mismatched
# or non-PEM files, and one of the two options alone, are refused at start
# with a message naming the problem.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
command -v openssl >/dev/null || exit 77
make_data
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null ||
	fail "openssl could not make a certificate"

start_tls() {
	"$CR_BIN" --data "$D" serve --listen 127.0.0.1:0 "$@" >"$tmp/serve.out" 2>"$tmp/serve.err" &
	srv_pid=$!
	for _ in $(seq 100); do grep -q '://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
	U=$(grep -o 'https\?://[0-9.:]*' "$tmp/serve.out" | head -1)
	[ -n "$U" ] || fail "the server did not start"
}
start_tls --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" --threads 2
case "$U" in https://127.0.0.1:*) ;; *) fail "printed URL is not https: $U" ;; esac
port=${U##*:}
T=(--cacert "$tmp/cert.pem" --resolve "localhost:$port:127.0.0.1")
L="https://localhost:$port"

curl -sf "${T[@]}" "$L/healthz" >/dev/null || fail "healthz over TLS"
curl -sf "${T[@]}" "$L/readyz" >"$tmp/r.json" || fail "readyz over TLS"
py 'assert r["status"] == "ready", r' "$tmp/r.json"
curl -sf "${T[@]}" "$L/api/search?q=annual+leave&k=3" >"$tmp/s.json" || fail "search over TLS"
c search --json -k 3 "annual leave" >"$tmp/s_cli.json"
cmp -s "$tmp/s.json" "$tmp/s_cli.json" || fail "search over TLS differs from search --json"
# by IP address too (the certificate names 127.0.0.1)
curl -sf --cacert "$tmp/cert.pem" "$U/healthz" >/dev/null || fail "healthz by IP over TLS"
# a stream over TLS
curl -sfN "${T[@]}" -H 'Content-Type: application/json' \
	-d '{"question": "How many days of annual leave do employees get?", "stream": true}' "$L/api/ask" >"$tmp/a.sse" ||
	fail "ask stream over TLS"
grep -q '^event: done' "$tmp/a.sse" || fail "the stream over TLS did not finish: $(head -c 400 "$tmp/a.sse")"
# the certificate is the one given
curl -sv "${T[@]}" "$L/healthz" 2>&1 >/dev/null | grep -q 'subject: CN=localhost' || fail "not our certificate"
# an untrusting client refuses (its own check, exit 60)
rc=0
curl -s "$L/healthz" --resolve "localhost:$port:127.0.0.1" -o /dev/null || rc=$?
[ "$rc" = 60 ] || fail "a client without the CA got curl exit $rc, wanted 60 (certificate problem)"
# plain HTTP on the TLS port: no HTTP answer
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
[ "$code" = 000 ] || fail "plain HTTP on the TLS port answered $code"
# still serving after that
curl -sf "${T[@]}" "$L/healthz" >/dev/null || fail "healthz after a plain-HTTP attempt"
kill "$srv_pid"
wait "$srv_pid" || fail "serve did not stop cleanly"
srv_pid=

# refusals at start: exit status and a message naming the problem
refuse() {
	local want_rc=$1 want_msg=$2
	shift 2
	local rc=0
	"$CR_BIN" --data "$D" serve --listen 127.0.0.1:0 "$@" >"$tmp/o" 2>"$tmp/e" </dev/null || rc=$?
	[ "$rc" = "$want_rc" ] || fail "serve $*: exit $rc, wanted $want_rc: $(cat "$tmp/e")"
	grep -q -- "$want_msg" "$tmp/e" || fail "serve $*: message '$(cat "$tmp/e")' lacks '$want_msg'"
}
refuse 2 "go together" --tls-cert "$tmp/cert.pem"
refuse 2 "go together" --tls-key "$tmp/key.pem"
refuse 1 "TLS certificate $tmp/nope.pem" --tls-cert "$tmp/nope.pem" --tls-key "$tmp/key.pem"
refuse 1 "TLS key $tmp/nope.pem" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/nope.pem"
echo "not a certificate" >"$tmp/junk.pem"
refuse 1 "not a PEM certificate" --tls-cert "$tmp/junk.pem" --tls-key "$tmp/key.pem"
refuse 1 "not a PEM private key" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/junk.pem"
# a key that is not the certificate's: GnuTLS refuses the pair
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:prime256v1 -out "$tmp/other.pem" 2>/dev/null
refuse 1 "with TLS" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/other.pem"
echo "server_tls: ok"
