#!/bin/sh
# bench-batch.sh — continuous batching: aggregate generation speed of P
# sequences decoded together, ours (`cristal bench-model --parallel P`) beside
# llama.cpp's batched decoding of the same P sequences (bench/llama_harness.c
# --parallel P, the prebuilt libllama of the node-llama-cpp oracle, as
# scripts/bench-llm.sh uses it), on the same random-weight GGUF in the same
# run (not part of ctest).
#
# Each sequence gets a PP-token random prompt, then TG steps of one token per
# sequence; tg_aggregate = P × TG / time of the steps. For each round, for
# each P, ours then llama.cpp run back to back (each prints the median of
# REPS runs); the table gives the median over ROUNDS rounds of each, the
# ratio of those medians, and each side's speed-up over its own 1-stream
# figure; a second table gives the same over process CPU time × threads.
# On a shared machine the rounds' spread (min..max) shows the noise.
#
# Environment: BUILD (build dir, default build), MODELS (model cache dir),
# MODEL (default: the Qwen2-0.5B-shaped Q4_0 of bench-llm.sh), PARALLEL
# ("1 4 8"), THREADS (2), PP (64), TG (64), REPS (3), ROUNDS (5).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
MODELS=${MODELS:-$BUILD/bench-models}
PARALLEL=${PARALLEL:-"1 4 8"}
THREADS=${THREADS:-2}
PP=${PP:-64}
TG=${TG:-64}
REPS=${REPS:-3}
ROUNDS=${ROUNDS:-5}
DATA=${CR_SHARED_DATA:-$ROOT/../shared/data}
LIB=$ROOT/tools/oracle/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
BUNDLE=$ROOT/tools/oracle/node_modules/node-llama-cpp/llama/gitRelease.bundle
BIN=${CR_BIN:-$ROOT/bin/cristal}

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2 --target gen_model cristal_cli >/dev/null
mkdir -p "$MODELS"
MODEL=${MODEL:-$MODELS/qwen2-qwen2-0.5b-q4_0.gguf}
if [ ! -f "$MODEL" ]; then
	vocab=
	for v in "$MODELS/qwen2-vocab.gguf" "$DATA/gguf-vocab/ggml-vocab-qwen2.gguf" "$DATA/gguf-vocab/ggml-vocab-gpt-2.gguf"; do
		if [ -f "$v" ]; then vocab=$v; break; fi
	done
	"$BUILD/tools/gen_model" --arch qwen2 --shape qwen2-0.5b --type q4_0 --vocab "$vocab" --out "$MODEL" >/dev/null
fi

HARNESS=$BUILD/bench/llama_harness
if [ -f "$BUNDLE" ] && { [ ! -x "$HARNESS" ] || [ bench/llama_harness.c -nt "$HARNESS" ]; }; then
	SRC=$(mktemp -d)
	trap 'rm -rf "$SRC"' EXIT
	git clone -q "$BUNDLE" "$SRC/llama" 2>/dev/null
	mkdir -p "$(dirname "$HARNESS")"
	cc -O2 -I"$SRC/llama/include" -I"$SRC/llama/ggml/include" bench/llama_harness.c -ldl -o "$HARNESS"
fi

RES=$(mktemp)
for r in $(seq 1 "$ROUNDS"); do
	for p in $PARALLEL; do
		j=$("$BIN" bench-model --model "$MODEL" --threads "$THREADS" --parallel "$p" -p "$PP" -n "$TG" -r "$REPS" --json 2>/dev/null || true)
		echo "ours $p $r $(echo "$j" | sed -n 's/.*"tg_aggregate":\([0-9.]*\).*/\1/p')" >>"$RES"
		echo "ourscpu $p $r $(echo "$j" | sed -n 's/.*"tg_aggregate_cpu":\([0-9.]*\).*/\1/p')" >>"$RES"
		if [ -x "$HARNESS" ]; then
			o=$("$HARNESS" --lib "$LIB" --model "$MODEL" --threads "$THREADS" --pp "$PP" --tg "$TG" --reps "$REPS" \
				--parallel "$p" 2>/dev/null || true)
			echo "llama $p $r $(echo "$o" | awk '$1 == "tg_aggregate_tps" { print $2 }')" >>"$RES"
			echo "llamacpu $p $r $(echo "$o" | awk '$1 == "tg_aggregate_cpu_tps" { print $2 }')" >>"$RES"
		fi
	done
done

med() { awk -v w="$1" -v p="$2" '$1 == w && $2 == p && $4 != "" { print $4 }' "$RES" | sort -g |
	awk '{ a[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
span() { awk -v w="$1" -v p="$2" '$1 == w && $2 == p && $4 != "" { print $4 }' "$RES" | sort -g |
	awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s..%s", lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }

first=$(echo $PARALLEL | awk '{ print $1 }')
echo "model $(basename "$MODEL"), threads $THREADS, prompt $PP, steps $TG, $ROUNDS rounds of median-of-$REPS; $(uptime | sed 's/.*load/load/')"
# wall-clock tokens/s, then the same per CPU second × threads (work done,
# not time waited: steadier when other jobs share the cores)
for kind in "" cpu; do
	o1=$(med "ours$kind" "$first")
	l1=$(med "llama$kind" "$first")
	[ -n "$kind" ] && echo "per CPU second × threads:"
	printf '%8s | %12s %12s %6s | %9s %9s | %s\n' streams "ours t/s" "llama t/s" ratio "ours ×1" "llama ×1" "(spread over rounds: ours / llama)"
	for p in $PARALLEL; do
		o=$(med "ours$kind" "$p"); l=$(med "llama$kind" "$p")
		printf '%8s | %12s %12s %6s | %9s %9s | %s / %s\n' "$p" "${o:--}" "${l:--}" "$(ratio "$o" "$l")" \
			"$(ratio "$o" "$o1")" "$(ratio "$l" "$l1")" "$(span "ours$kind" "$p")" "$(span "llama$kind" "$p")"
	done
done
rm -f "$RES"
