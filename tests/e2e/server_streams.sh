#!/usr/bin/env bash
# server_streams.sh — streams end with their clients and with the server:
# a client that hangs up on a streamed chat (a provider that sends one
# piece, then nothing for 30 s) cancels the work, so the stream closes in
# well under those 30 s (cristal_open_streams back to 0, the provider call
# metered as failed); SIGTERM with a stream open stops accepting at once,
# gives the stream its grace, then cuts it with a final error event and
# [DONE], and the server exits 0.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
start_provider
c provider add first --kind openai --url "http://127.0.0.1:$PP/ok/v1" --model m >/dev/null
c provider add slow --kind openai --url "http://127.0.0.1:$PP/slow/v1" --model m >/dev/null
start_server --threads 2
BODY='{"model": "slow", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
open_streams() { curl -sf "$U/metrics" | sed -n 's/^cristal_open_streams //p'; }

# 1. the client hangs up after the first piece
t0=$(date +%s)
curl -sN "${J[@]}" -d "$BODY" --max-time 2 "$U/v1/chat/completions" >"$tmp/s1" || true
grep -q '"content":"hello f"' "$tmp/s1" || fail "first piece: $(cat "$tmp/s1")"
for _ in $(seq 50); do [ "$(open_streams)" = 0 ] && break; sleep 0.1; done
[ "$(open_streams)" = 0 ] || fail "the stream stayed open after its client left"
t1=$(date +%s)
[ $((t1 - t0)) -lt 15 ] || fail "cancel took $((t1 - t0)) s"
curl -sf "$U/metrics" | grep -q '^cristal_provider_errors_total{provider="slow"} [1-9]' ||
	fail "the canceled call was not metered as failed"

# 2. SIGTERM with a stream open
curl -sN "${J[@]}" -d "$BODY" "$U/v1/chat/completions" >"$tmp/s2" &
cpid=$!
for _ in $(seq 50); do grep -q 'hello f' "$tmp/s2" 2>/dev/null && break; sleep 0.1; done
[ "$(open_streams)" = 1 ] || fail "no open stream before SIGTERM"
t0=$(date +%s)
kill -TERM "$srv_pid"
sleep 0.5
# no new connections once stopping
if curl -s -o /dev/null --max-time 2 "$U/healthz"; then fail "accepted a connection while stopping"; fi
wait "$srv_pid" || fail "serve exited with $?"
srv_pid=
t1=$(date +%s)
wait "$cpid" || true
[ $((t1 - t0)) -lt 20 ] || fail "shutdown took $((t1 - t0)) s"
grep -v '^$' "$tmp/s2" | tail -2 | grep -q '"error"' || fail "no final error event: $(tail -c 400 "$tmp/s2")"
grep -v '^$' "$tmp/s2" | tail -1 | grep -qx 'data: \[DONE\]' || fail "the cut stream did not end with [DONE]: $(tail -c 300 "$tmp/s2")"
echo "server_streams: ok"
