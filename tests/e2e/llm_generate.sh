#!/bin/bash
# llm_generate.sh — `cristal generate` end to end on the shared tiny models:
#  1. golden: greedy from BOS on stories260K (a trained llama) gives exactly
#     the 60 token ids listed in gguf-models/SOURCE.md (weights in the
#     private copy, and with CR_MMAP=1 from the mapping);
#  2. the streamed text equals the --json text; a seed reproduces a sampled
#     run and another seed changes it;
#  3. --grammar json and --json-schema on llama-2-tiny-random (random
#     weights, 32k vocab) always print valid JSON (closed if the token limit
#     comes first), the schema one conforming;
#  4. --chat applies a named template; errors are clear;
#  5. --chat --turns holds a conversation with the KV prefix reused.
set -u
BIN=${CR_BIN:-bin/cristal}
DATA=${CR_SHARED_DATA:-}
M=$DATA/gguf-models
[ -n "$DATA" ] && [ -f "$M/stories260K.gguf" ] || { echo "skip: CR_SHARED_DATA/gguf-models not available"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

# 1. golden
want="403,407,261,378,432,383,286,261,376,298,315,421,395,317,426,338,401,396,267,337,410,408,419,292,411,322,265,282,295,433,426,385,328,432,358,394,261,370,432,352,266,268,388,426,338,391,266,267,337,335,312,432,398,312,286,267,414,270,333,415"
"$BIN" generate --model "$M/stories260K.gguf" --prompt "" --temp 0 -n 60 --threads 2 --json >"$T/g.json"
got=$(python3 -c "import json,sys; print(','.join(map(str, json.load(open(sys.argv[1]))['tokens'])))" "$T/g.json")
check "golden: first 30 ids" '[ "$(echo $got | cut -d, -f1-30)" = "$(echo $want | cut -d, -f1-30)" ]'
check "golden: all 60 ids" '[ "$got" = "$want" ]'
check "golden: text" 'python3 -c "import json,sys; t=json.load(open(sys.argv[1]))[\"text\"]; sys.exit(not t.startswith(\" Once upon a time, there was a little girl named Lily.\"))" "$T/g.json"'
# the weights read straight from the file mapping (CR_MMAP=1) instead of the
# private huge-page copy: the same ids
got_map=$(CR_MMAP=1 "$BIN" generate --model "$M/stories260K.gguf" --prompt "" --temp 0 -n 60 --threads 2 --json |
	python3 -c "import json,sys; print(','.join(map(str, json.load(sys.stdin)['tokens'])))")
check "golden with CR_MMAP=1" '[ "$got_map" = "$want" ]'
check "json fields" 'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(not (j[\"prompt_tokens_per_s\"] > 0 and j[\"gen_tokens_per_s\"] > 0 and len(j[\"tokens\"]) == 60))" "$T/g.json"'

# 2. streaming and seeds
"$BIN" generate --model "$M/stories260K.gguf" --prompt "Once upon a time" --temp 0.9 --seed 42 -n 40 >"$T/s1.txt"
"$BIN" generate --model "$M/stories260K.gguf" --prompt "Once upon a time" --temp 0.9 --seed 42 -n 40 --json >"$T/s1.json"
"$BIN" generate --model "$M/stories260K.gguf" --prompt "Once upon a time" --temp 0.9 --seed 43 -n 40 --json >"$T/s2.json"
check "streamed text = json text" 'python3 -c "import json,sys; a=open(sys.argv[1]).read(); b=json.load(open(sys.argv[2]))[\"text\"]; sys.exit(a != b + \"\n\")" "$T/s1.txt" "$T/s1.json"'
check "seed 42 vs 43 differ" 'python3 -c "import json,sys; sys.exit(json.load(open(sys.argv[1]))[\"tokens\"] == json.load(open(sys.argv[2]))[\"tokens\"])" "$T/s1.json" "$T/s2.json"'
check "repeat-penalty changes greedy output" '[ "$("$BIN" generate --model "$M/stories260K.gguf" --prompt "" --temp 0 -n 60 --repeat-penalty 1.3 --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"tokens\"])")" != "[$want]" ]'

# 3. grammar
R=$M/llama-2-tiny-random.gguf
if [ -f "$R" ]; then
	for seed in 1 2 3; do
		"$BIN" generate --model "$R" --prompt "JSON:" --grammar json --temp 1.0 --seed $seed -n 40 --json >"$T/j.json" 2>"$T/j.err"
		check "grammar json seed $seed is valid JSON" 'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); v=json.loads(j[\"text\"]); sys.exit(not isinstance(v,(dict,list)))" "$T/j.json"'
	done
	cat >"$T/schema.json" <<'S'
{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},
 "ok":{"type":"boolean"},"color":{"enum":["red","green"]},"tags":{"type":"array","items":{"type":"number"}}},
 "required":["name","age","color"]}
S
	for seed in 1 2; do
		"$BIN" generate --model "$R" --prompt "JSON:" --json-schema "$T/schema.json" --temp 1.0 --seed $seed -n 30 >"$T/o.txt" 2>"$T/o.err"
		check "schema seed $seed conforms" 'python3 - "$T/o.txt" <<"PY"
import json, sys
v = json.loads(open(sys.argv[1]).read())
assert isinstance(v, dict) and set(v) <= {"name", "age", "ok", "color", "tags"}
assert isinstance(v["name"], str) and isinstance(v["age"], int) and v["color"] in ("red", "green")
assert "ok" not in v or isinstance(v["ok"], bool)
assert "tags" not in v or all(isinstance(x, (int, float)) for x in v["tags"])
PY'
	done
	"$BIN" generate --model "$R" --prompt "x" --grammar json --temp 0 -n 3 --json >"$T/c.json" 2>"$T/c.err"
	check "grammar closed at the token limit is said" 'grep -q "closing bytes" "$T/c.err" && python3 -c "import json,sys; j=json.load(open(sys.argv[1])); json.loads(j[\"text\"]); sys.exit(\"grammar_closed\" not in j)" "$T/c.json"'
	# 4. chat
	"$BIN" generate --model "$R" --chat --chat-template llama2 --prompt "Hi" --temp 0 -n 5 --json >"$T/chat.json"
	check "chat with a named template" 'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(j[\"prompt_tokens\"] < 5)" "$T/chat.json"'
	"$BIN" generate --model "$R" --chat --prompt "Hi" -n 2 >/dev/null 2>"$T/nt.err"
	rc=$?
	check "chat without a known template fails clearly" '[ $rc -ne 0 ] && grep -q "no recognizable chat template" "$T/nt.err"'
fi
# 5. a conversation (--turns): one reply per stdin line, each turn reusing the
# cached conversation so far; a replay gives the same replies
printf 'Once upon a time\nThe little dog\n\nwent home\n' |
	"$BIN" generate --model "$M/stories260K.gguf" --chat --turns --chat-template chatml --temp 0 -n 12 --json >"$T/t1.jsonl"
printf 'Once upon a time\nThe little dog\n\nwent home\n' |
	"$BIN" generate --model "$M/stories260K.gguf" --chat --turns --chat-template chatml --temp 0 -n 12 --json >"$T/t2.jsonl"
check "turns: three replies, each reusing the previous turns" 'python3 - "$T/t1.jsonl" <<"PY"
import json, sys
t = [json.loads(l) for l in open(sys.argv[1])]
assert len(t) == 3, len(t)
assert t[0]["reused_tokens"] == 0
for a, b in zip(t, t[1:]):
    # the previous prompt and all but the last generated token are in the cache
    assert b["reused_tokens"] >= a["prompt_tokens"] + len(a["tokens"]) - 1 - 2, (a, b)
    assert b["prompt_tokens"] > a["prompt_tokens"] + len(a["tokens"])
PY'
check "turns: a replay gives the same replies" 'cmp -s <(python3 -c "import json,sys; [print(json.loads(l)[\"tokens\"]) for l in open(sys.argv[1])]" "$T/t1.jsonl") <(python3 -c "import json,sys; [print(json.loads(l)[\"tokens\"]) for l in open(sys.argv[1])]" "$T/t2.jsonl")'
check "turns without --chat fails clearly" '! "$BIN" generate --model "$M/stories260K.gguf" --turns </dev/null 2>"$T/tt.err" && grep -q "needs --chat" "$T/tt.err"'
check "missing model fails" '! "$BIN" generate --model /nonexistent.gguf --prompt x -n 1 2>/dev/null'
check "embedding on a decoder fails" '! "$BIN" embed --model "$M/stories260K.gguf" hello 2>/dev/null'
exit $fail
