#!/bin/bash
# llm_oracle.sh — our logits against llama.cpp's (node-llama-cpp's prebuilt
# CPU library, tools/oracle/logits.mjs) on the same GGUF files and tokens.
#
# Cases: random-weight files from tools/gen_model at the tiny shape (2
# layers, n_embd 256, 4 heads / 2 KV heads, head_dim 64) for llama (F32,
# F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K), qwen2, qwen3 and bert, plus the
# two real files in $CR_SHARED_DATA/gguf-models. Per case: the prompt's
# tokens are evaluated as one batch by both engines; we require the same
# top-1 token at every position and max|Δlogit| / max|logit| under the
# bound for the weight type (the engines round differently: llama.cpp keeps
# the KV cache in F16 and feeds F16/BF16 weights F16/BF16 activations, we
# keep f32). Quantized types: both engines quantize activations to 8 bits,
# each landing ~7e-3 (relative) from the exact product of the dequantized
# weights but not at the same place, so a position whose top-2 margin in the
# reference is inside the bound may flip; it is counted as a near-tie and
# reported, not failed. For bert: cosine similarity of the pooled embeddings >= 0.999
# and max|Δ| under the bound. Prints one line per case.
#
# CR_ORACLE_REALISTIC=1 adds realistic shapes (Qwen2-0.5B: 24 layers, n_embd
# 896, 151,936-token vocab, in Q8_0, Q4_0, Q4_K; Qwen3-0.6B in Q4_K_M;
# bge-small-shaped bert in F16; TinyLlama-1.1B in Q4_0): minutes, not for CI.
#
# Skips (77) without node, the oracle package, gen_model or the shared data.
set -u
BIN=${CR_BIN:-bin/cristal}
SRC=${CR_SOURCE_DIR:-.}
BUILD=${CR_BUILD_DIR:-build}
DATA=${CR_SHARED_DATA:-}
GEN=$BUILD/tools/gen_model
ORACLE=$SRC/tools/oracle/logits.mjs
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
[ -d "$SRC/tools/oracle/node_modules/node-llama-cpp" ] || { echo "skip: oracle not installed (scripts/install-deps.sh)"; exit 77; }
[ -n "$DATA" ] && [ -d "$DATA/gguf-vocab" ] || { echo "skip: CR_SHARED_DATA not set"; exit 77; }
[ -x "$GEN" ] || { echo "skip: $GEN not built"; exit 77; }
[ -x "$BIN" ] || { echo "skip: $BIN not built"; exit 77; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
VOC=$DATA/gguf-vocab
LLAMA_TOK=1,450,1093,3200,29889,263,4086,310,3186,1128,338,4349
GPT_TOK=464,2068,7586,21831,18045,625,262,16931,3290,13,383,2068
BERT_TOK=101,7592,2088,2003,1037,3231,1997,1996,7861,2944,102
# 48 tokens: a batch this size takes the prompt path (AMX tiles where the CPU
# has them: m >= 32, one full and one partial group of 32 rows)
LLAMA_LONG=$LLAMA_TOK,$LLAMA_TOK,$LLAMA_TOK,$LLAMA_TOK
GPT_LONG=$GPT_TOK,$GPT_TOK,$GPT_TOK,$GPT_TOK

cat >"$T/cmp.py" <<'PY'
import sys, math
from array import array
def load(p):
    a = array('f'); a.frombytes(open(p, 'rb').read()); return a
mode, ours, ref, n, bound, name = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
a, b = load(ours), load(ref)
if mode == 'embed':
    b = b[:len(a)]
    na = math.sqrt(sum(x*x for x in a)); nb = math.sqrt(sum(x*x for x in b))
    cos = sum(x*y for x, y in zip(a, b)) / (na * nb)
    bn = [y / nb for y in b]
    err = max(abs(x - y) for x, y in zip(a, bn)) / max(abs(y) for y in bn)
    ok = cos >= 0.999 and err <= bound
    print(f"{'ok  ' if ok else 'FAIL'} {name:28s} cos {cos:.6f}  rel {err:.2e} (bound {bound:.0e})")
    sys.exit(0 if ok else 1)
if len(a) != len(b):
    print(f"FAIL {name}: {len(a)} vs {len(b)} logits"); sys.exit(1)
V = len(b) // n
mx = max(abs(y) for y in b); err = 0.0; agree = 0; near = 0
for p in range(n):
    ra, rb = a[p*V:(p+1)*V], b[p*V:(p+1)*V]
    ia = max(range(V), key=ra.__getitem__); ib = max(range(V), key=rb.__getitem__)
    if ia == ib:
        agree += 1
    elif rb[ib] - rb[ia] <= bound * mx:
        agree += 1; near += 1   # the reference's own margin is inside the error bound
    err = max(err, max(abs(x - y) for x, y in zip(ra, rb)))
rel = err / mx
ok = agree == n and rel <= bound
print(f"{'ok  ' if ok else 'FAIL'} {name:28s} top-1 {agree}/{n}{' (%d near-ties)' % near if near else ''}  max|d|/max|l| {rel:.2e} (bound {bound:.0e})")
sys.exit(0 if ok else 1)
PY

bound() {
	case $1 in
	f32) echo 1e-3 ;; f16) echo 5e-3 ;; bf16) echo 3e-2 ;; q8_0) echo 2e-2 ;;
	*) echo 3e-2 ;;
	esac
}

fail=0
run_logits() { # name file tokens bound
	local name=$1 f=$2 toks=$3 b=$4 n
	n=$(echo "$toks" | tr ',' '\n' | wc -l)
	if ! "$BIN" generate --model "$f" --tokens "$toks" --logits-out "$T/ours.f32" -n 0 --threads 2 --json >/dev/null 2>"$T/err"; then
		echo "FAIL $name: cristal: $(cat "$T/err")"; fail=1; return
	fi
	if ! node "$ORACLE" "$f" --tokens "$toks" --out "$T/ref.f32" >/dev/null 2>"$T/err"; then
		echo "FAIL $name: oracle: $(cat "$T/err")"; fail=1; return
	fi
	python3 "$T/cmp.py" logits "$T/ours.f32" "$T/ref.f32" "$n" "$b" "$name" || fail=1
}

run_embed() {
	local name=$1 f=$2 toks=$3 b=$4
	if ! "$BIN" embed --model "$f" --tokens "$toks" --threads 2 >"$T/ours.json" 2>"$T/err"; then
		echo "FAIL $name: cristal: $(cat "$T/err")"; fail=1; return
	fi
	python3 -c "import json,sys; from array import array; array('f', json.load(open(sys.argv[1]))).tofile(open(sys.argv[2],'wb'))" "$T/ours.json" "$T/ours.f32"
	if ! node "$ORACLE" "$f" --embed --tokens "$toks" --out "$T/ref.f32" >/dev/null 2>"$T/err"; then
		echo "FAIL $name: oracle: $(cat "$T/err")"; fail=1; return
	fi
	python3 "$T/cmp.py" embed "$T/ours.f32" "$T/ref.f32" 1 "$b" "$name" || fail=1
}

gen() { # arch type vocab out
	"$GEN" --arch "$1" --shape tiny --type "$2" --vocab "$3" --out "$4" --seed 7 >/dev/null 2>"$T/err" ||
		{ echo "FAIL gen_model $1 $2: $(cat "$T/err")"; fail=1; return 1; }
}

for ty in f32 f16 bf16 q8_0 q4_0 q4_k q5_k q6_k; do
	gen llama $ty "$VOC/ggml-vocab-llama-spm.gguf" "$T/m.gguf" && run_logits "llama tiny $ty" "$T/m.gguf" $LLAMA_TOK "$(bound $ty)" &&
		case $ty in q*) run_logits "llama tiny $ty, 48 tokens" "$T/m.gguf" $LLAMA_LONG "$(bound $ty)" ;; esac
done
for ty in f32 q8_0 q4_k; do
	gen qwen2 $ty "$VOC/ggml-vocab-gpt-2.gguf" "$T/m.gguf" && run_logits "qwen2 tiny $ty" "$T/m.gguf" $GPT_TOK "$(bound $ty)" &&
		case $ty in q*) run_logits "qwen2 tiny $ty, 48 tokens" "$T/m.gguf" $GPT_LONG "$(bound $ty)" ;; esac
done
# YaRN rope scaling (factor 4 over the original context), as long-context
# Qwen files carry it: the rope angles differ from plain RoPE at every position
"$GEN" --arch qwen2 --shape tiny --type f32 --vocab "$VOC/ggml-vocab-gpt-2.gguf" --out "$T/m.gguf" --seed 7 --yarn 4 >/dev/null 2>"$T/err" &&
	run_logits "qwen2 tiny f32, yarn x4" "$T/m.gguf" $GPT_LONG "$(bound f32)"
for ty in f32 bf16 q4_0 q6_k; do
	gen qwen3 $ty "$VOC/ggml-vocab-gpt-2.gguf" "$T/m.gguf" && run_logits "qwen3 tiny $ty" "$T/m.gguf" $GPT_TOK "$(bound $ty)"
done
for ty in f32 f16 q8_0; do
	gen bert $ty "$VOC/ggml-vocab-bert-bge.gguf" "$T/m.gguf" && run_embed "bert tiny $ty" "$T/m.gguf" $BERT_TOK "$(bound $ty)"
done
if [ "${CR_ORACLE_REALISTIC:-0}" = 1 ]; then
	genr() { "$GEN" --arch "$1" --shape "$2" --type "$3" --vocab "$4" --out "$T/r.gguf" --seed 7 >/dev/null 2>"$T/err" ||
		{ echo "FAIL gen_model $1 $2 $3: $(cat "$T/err")"; fail=1; return 1; }; }
	for ty in q8_0 q4_0 q4_k; do
		genr qwen2 qwen2-0.5b $ty "$VOC/ggml-vocab-gpt-2.gguf" && run_logits "qwen2-0.5b $ty" "$T/r.gguf" $GPT_TOK "$(bound $ty)"
	done
	genr qwen3 qwen3-0.6b q4_k_m "$VOC/ggml-vocab-gpt-2.gguf" && run_logits "qwen3-0.6b q4_k_m" "$T/r.gguf" $GPT_TOK "$(bound q4_k)"
	genr bert bert-small f16 "$VOC/ggml-vocab-bert-bge.gguf" && run_embed "bert-small f16" "$T/r.gguf" $BERT_TOK "$(bound f16)"
	genr llama tinyllama-1.1b q4_0 "$VOC/ggml-vocab-llama-spm.gguf" && run_logits "tinyllama-1.1b q4_0" "$T/r.gguf" $LLAMA_TOK "$(bound q4_0)"
	rm -f "$T/r.gguf"
fi
M=$DATA/gguf-models
[ -f "$M/stories260K.gguf" ] && run_logits "stories260K (trained, f32)" "$M/stories260K.gguf" 1,403,407,261,378,432,383,286,261,376 1e-3
[ -f "$M/llama-2-tiny-random.gguf" ] && run_logits "llama-2-tiny-random (f16)" "$M/llama-2-tiny-random.gguf" $LLAMA_TOK 5e-3
exit $fail
