#!/bin/sh
# bench-ttft.sh — time to first text of `cristal ask` on the local engine,
# set beside what it cannot avoid: retrieval and the engine's evaluation of
# the prompt (system prompt, numbered sources, question). The issue's target:
# first token <= retrieval + prompt evaluation + 50 ms. Not part of ctest.
#
# On the bundled samples with a random-weight Qwen2-0.5B-shaped Q4_0 model
# (as scripts/bench-batch.sh makes it), each question of QUESTIONS is asked
# REPS times in fresh processes (`ask --timing --provider loc`, a cold
# engine, so the whole prompt is evaluated), and the medians are printed per
# question: retrieval, loading the model (a CLI process pays it once; the
# server has the model loaded), prompt tokens, prompt evaluation, the first
# token, and the overhead = first token - retrieval - load - prompt
# evaluation (building the prompt, the chat template and tokenizing, the
# slot, sampling the first token). The first text comes later when the
# first tokens make no printable text (a random-weight model's often do not).
#
# Environment: BUILD (default build), MODELS (model cache dir), MODEL,
# REPS (3). The engine uses every core (as `ask` does).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
MODELS=${MODELS:-$BUILD/bench-models}
REPS=${REPS:-3}
DATA=${CR_SHARED_DATA:-$ROOT/../shared/data}
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
	[ -n "$vocab" ] || { echo "bench-ttft: no vocabulary GGUF (CR_SHARED_DATA/gguf-vocab)" >&2; exit 1; }
	"$BUILD/tools/gen_model" --arch qwen2 --shape qwen2-0.5b --type q4_0 --vocab "$vocab" --out "$MODEL" >/dev/null
fi

D=$(mktemp -d /tmp/cristal-ttft.XXXXXX)
trap 'rm -rf "$D"' EXIT
"$BIN" --data "$D" init >/dev/null
"$BIN" --data "$D" ingest samples >/dev/null
"$BIN" --data "$D" model add "$MODEL" --name bench >/dev/null
"$BIN" --data "$D" provider add loc --kind local --model bench >/dev/null

echo "model $(basename "$MODEL"), $(nproc) cores, median of $REPS cold runs per question"
printf '%-40s %9s %9s %7s %9s %9s %9s %9s\n' question retrieval load tokens prompt 1st-token overhead 1st-text
for q in "What is the per diem for Tokyo?" "Who owes what after the Kestrel design review?" \
	"出張の日当はいくらですか？"; do
	: >"$D/t"
	for r in $(seq 1 "$REPS"); do
		"$BIN" --data "$D" ask --timing --provider loc "$q" 2>>"$D/t" >/dev/null ||
			{ echo "bench-ttft: ask failed" >&2; cat "$D/t" >&2; exit 1; }
	done
	python3 - "$q" "$D/t" <<'PY'
import re, statistics, sys
rows = []
for line in open(sys.argv[2]):
    m = re.search(r"retrieval ([\d.]+) ms, first text ([\d.]+) ms.*model load ([\d.]+) ms, prompt (\d+) tokens \((\d+) cached\) evaluated in ([\d.]+) ms, first token ([\d.]+) ms", line)
    if m:
        rows.append([float(x) for x in m.groups()])
if not rows:
    sys.exit("bench-ttft: no timing line")
med = lambda f: statistics.median(f(r) for r in rows)
ret, text, load, toks, prompt, tok = [med(lambda r, i=i: r[i]) for i in (0, 1, 2, 3, 5, 6)]
over = med(lambda r: r[6] - r[0] - r[2] - r[5])
print("%-40s %7.1fms %7.0fms %7d %7.0fms %7.0fms %7.1fms %7.0fms" % (sys.argv[1][:40], ret, load, toks, prompt, tok, over, text))
PY
done
