#!/bin/sh
# bench-llm.sh — Cristal's inference speed beside llama.cpp's on the same
# random-weight GGUF files, measured in the same run (not part of ctest).
#
# For each config (arch:shape:type) and thread count: pp512 and tg128 like
# llama-bench (median of REPS runs after a warm-up), ours | llama.cpp |
# ratio, and generation as a fraction of what the measured streaming-read
# bandwidth allows (weight bytes per token ÷ bandwidth). llama.cpp is the
# prebuilt libllama of the node-llama-cpp oracle, driven by
# bench/llama_harness.c, compiled here against llama.h from a temporary
# clone of the oracle's source bundle. Runs are sequential; on a shared
# machine the spread (min..max) printed by each tool shows the noise, and
# for one thread a second line gives both speeds per CPU second (work done,
# not time waited), which stays comparable when other jobs share the cores.
#
# Environment: BUILD (build dir, default build), MODELS (model cache dir),
# CONFIGS, THREADS ("1 2"), PP (512), TG (128), REPS (5), MODE (model|kern),
# VOCAB_BPE / VOCAB_SPM (vocab GGUFs).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
MODELS=${MODELS:-$BUILD/bench-models}
CONFIGS=${CONFIGS:-"qwen2:qwen2-0.5b:q4_0 qwen2:qwen2-0.5b:q8_0 qwen2:qwen2-0.5b:q4_k qwen3:qwen3-0.6b:q4_k"}
THREADS=${THREADS:-"1 2"}
PP=${PP:-512}
TG=${TG:-128}
REPS=${REPS:-5}
MODE=${MODE:-model}
DATA=${CR_SHARED_DATA:-$ROOT/../shared/data}
VOCAB_BPE=${VOCAB_BPE:-}
if [ -z "$VOCAB_BPE" ]; then
	for v in "$MODELS/qwen2-vocab.gguf" "$DATA/gguf-vocab/ggml-vocab-qwen2.gguf" "$DATA/gguf-vocab/ggml-vocab-gpt-2.gguf"; do
		if [ -f "$v" ]; then VOCAB_BPE=$v; break; fi
	done
fi
VOCAB_SPM=${VOCAB_SPM:-$DATA/gguf-vocab/ggml-vocab-llama-spm.gguf}
LIB=$ROOT/tools/oracle/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
BUNDLE=$ROOT/tools/oracle/node_modules/node-llama-cpp/llama/gitRelease.bundle

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2 --target gen_model bench_llm >/dev/null
mkdir -p "$MODELS"

HARNESS=$BUILD/bench/llama_harness
if [ ! -x "$HARNESS" ] || [ bench/llama_harness.c -nt "$HARNESS" ]; then
	SRC=$(mktemp -d)
	trap 'rm -rf "$SRC"' EXIT
	git clone -q "$BUNDLE" "$SRC/llama" 2>/dev/null
	cc -O2 -I"$SRC/llama/include" -I"$SRC/llama/ggml/include" bench/llama_harness.c -ldl -o "$HARNESS"
fi

val() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
span() { awk -v k="$1" '$1 == k { printf "%s..%s", $4, $6; exit }' "$2"; }

OUT=$(mktemp)
LOUT=$(mktemp)
printf '%-26s %3s | %9s %9s %5s | %8s %8s %5s | %6s %s\n' config thr "pp$PP" llama ratio "tg$TG" llama ratio "bw%" "(spread ours / llama; bw GB/s; peak rss / limit MB)"
for cfg in $CONFIGS; do
	arch=${cfg%%:*}; rest=${cfg#*:}; shape=${rest%%:*}; type=${rest#*:}
	f=$MODELS/$arch-$shape-$type.gguf
	vocab=$VOCAB_BPE
	[ "$arch" = llama ] && vocab=$VOCAB_SPM
	if [ ! -f "$f" ]; then
		"$BUILD/tools/gen_model" --arch "$arch" --shape "$shape" --type "$type" --vocab "$vocab" --out "$f" >/dev/null
	fi
	for th in $THREADS; do
		"$BUILD/bench/bench_llm" --model "$f" --threads "$th" --pp "$PP" --tg "$TG" --reps "$REPS" --mode "$MODE" >"$OUT" 2>&1 || true
		"$HARNESS" --lib "$LIB" --model "$f" --threads "$th" --pp "$PP" --tg "$TG" --reps "$REPS" >"$LOUT" 2>&1 || true
		opp=$(val pp_tps "$OUT"); otg=$(val tg_tps "$OUT")
		lpp=$(val pp_tps "$LOUT"); ltg=$(val tg_tps "$LOUT")
		lim=$(val tg_bw_limit_tps "$OUT"); bw=$(val bandwidth_gbs "$OUT")
		bwf=$(awk -v a="$otg" -v b="$lim" 'BEGIN { if (a == "" || b == "") print "-"; else printf "%.0f%%", 100 * a / b }')
		rss=$(awk '$1 == "peak_rss_mb" { printf "%s/%s (file %s + kv %s, +10%%)", $2, $10, $4, $8 }' "$OUT")
		printf '%-26s %3s | %9s %9s %5s | %8s %8s %5s | %6s pp %s / %s, tg %s / %s; bw %s; rss/limit %s\n' \
			"$arch:$shape:$type" "$th" "${opp:--}" "${lpp:--}" "$(ratio "$opp" "$lpp")" \
			"${otg:--}" "${ltg:--}" "$(ratio "$otg" "$ltg")" "$bwf" \
			"$(span pp_tps "$OUT")" "$(span pp_tps "$LOUT")" "$(span tg_tps "$OUT")" "$(span tg_tps "$LOUT")" "${bw:--}" "${rss:--}"
		if [ "$th" = 1 ]; then
			# over process CPU time: what one core's work achieves, whatever
			# else runs on the machine (the fair single-thread comparison
			# when it is shared)
			cpp=$(val pp_cpu_tps "$OUT"); ctg=$(val tg_cpu_tps "$OUT")
			lcpp=$(val pp_cpu_tps "$LOUT"); lctg=$(val tg_cpu_tps "$LOUT")
			printf '%-26s %3s | %9s %9s %5s | %8s %8s %5s |        (per CPU second)\n' \
				"  cpu-time" "$th" "${cpp:--}" "${lcpp:--}" "$(ratio "$cpp" "$lcpp")" \
				"${ctg:--}" "${lctg:--}" "$(ratio "$ctg" "$lctg")"
		fi
		if [ -z "$opp$otg" ]; then sed 's/^/    ours: /' "$OUT" | tail -3; fi
		if [ -z "$lpp$ltg" ]; then sed 's/^/    llama.cpp: /' "$LOUT" | tail -3; fi
	done
done
rm -f "$OUT" "$LOUT"
