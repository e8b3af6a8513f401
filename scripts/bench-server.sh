#!/bin/sh
# bench-server.sh — the server under load on loopback, with Debian's wrk:
# search (GET /api/search, a rotation of queries) and extractive ask (POST
# /api/ask, a rotation of questions) against the bundled samples, each at
# 64 connections for 60 s (the issue's load test).
#
#   scripts/bench-server.sh [--duration S] [--connections C] [--threads N]
#
# --threads is the server's request threads (default: one per core, at
# least 2); wrk runs 2 threads. Printed per phase: requests/s, p50 and p99
# latency (wrk --latency), errors (socket errors plus non-2xx answers:
# the run fails unless both are 0), and the server's resident memory
# before and after the phase and its peak (VmHWM), so growth over the run
# shows, and every 10 s of a phase, to see it level off. The data
# directory is built in $CR_BENCH_DIR (default /tmp/cr_bench_server) and
# removed after. Figures: bench/server-load.md.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cristal="${CR_BIN:-$here/bin/cristal}"
out="${CR_BENCH_DIR:-/tmp/cr_bench_server}"
duration=60
conns=64
threads=0
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--connections) conns=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--connections C] [--threads N]" >&2; exit 2 ;;
	esac
done
command -v wrk >/dev/null || { echo "bench-server: wrk is missing (scripts/install-deps.sh)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
D="$out/data"
"$cristal" --data "$D" init >/dev/null
"$cristal" --data "$D" ingest "$here/samples" >/dev/null 2>&1
targs=""
[ "$threads" -gt 0 ] && targs="--threads $threads"
# shellcheck disable=SC2086
"$cristal" --data "$D" serve --listen 127.0.0.1:0 $targs >"$out/serve.out" 2>"$out/serve.err" &
pid=$!
# (|| true: under set -e a failing kill of a server already stopped would
# make the whole run exit 1)
trap 'kill $pid 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 100); do grep -q 'http://' "$out/serve.out" 2>/dev/null && break; sleep 0.1; done
U=$(grep -o 'http://[0-9.:]*' "$out/serve.out" | head -1)
[ -n "$U" ] || { echo "bench-server: the server did not start" >&2; cat "$out/serve.err" >&2; exit 1; }

cat >"$out/search.lua" <<'LUA'
local qs = {"annual+leave", "travel+policy", "expense+receipts", "quarterly+revenue", "kestrel+launch",
            "safety+training", "budget", "%E6%9C%89%E7%B5%A6%E4%BC%91%E6%9A%87", "meeting+action+items", "password"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/search?k=10&q=" .. qs[i % #qs + 1])
end
LUA
cat >"$out/ask.lua" <<'LUA'
local qs = {"How many days of annual leave do employees get?", "Who approves travel above three nights?",
            "When are expense receipts due?", "What was the revenue in the last quarter?",
            "When does the Kestrel launch happen?", "年次有給休暇は何日ですか？"}
local i = 0
request = function()
  i = i + 1
  local body = '{"question": "' .. qs[i % #qs + 1] .. '", "extractive": true}'
  return wrk.format("POST", "/api/ask", {["Content-Type"] = "application/json"}, body)
end
LUA

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
fail=0
phase() { # name script
	before=$(rss)
	# resident memory every 10 s of the run, to see whether it levels off
	( while sleep 10; do rss; done ) >"$out/$1.rss" 2>/dev/null &
	sampler=$!
	wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$out/$2" "$U" >"$out/$1.wrk" 2>&1
	after=$(rss)
	kill $sampler 2>/dev/null || true
	wait $sampler 2>/dev/null || true
	python3 - "$out/$1.wrk" "$1" "$before" "$after" "$(hwm)" "$out/$1.rss" <<'PY' || fail=1
import re, sys
t = open(sys.argv[1]).read()
name, before, after, hwm = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def ms(label):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % label, t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
reqs = int(re.search(r"(\d+) requests in", t).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
sock = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", t) or [0, 0])[1])
print(f"{name:7s} {reqs:8d} requests  {rps:8.0f} req/s  p50 {ms('50'):7.2f} ms  p99 {ms('99'):7.2f} ms  "
      f"errors {sock + non2xx}  RSS {before/1024:.1f} -> {after/1024:.1f} MB (peak {hwm/1024:.1f} MB)")
samples = [int(x) / 1024 for x in open(sys.argv[6]).read().split() if x.isdigit()]
if samples:
    print(f"{'':7s} RSS every 10 s (MB): " + " ".join(f"{x:.1f}" for x in samples))
sys.exit(1 if sock + non2xx else 0)
PY
}
echo "bench-server: $conns connections, ${duration}s per phase, $(nproc) cores, server $U"
phase search search.lua
phase ask ask.lua
kill -TERM $pid
wait $pid || true
exit $fail
