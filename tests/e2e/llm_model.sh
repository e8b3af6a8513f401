#!/bin/bash
# llm_model.sh — the model registry: `cristal model add` validates by
# loading and stores name, path, arch and a summary; `model list` (text and
# --json) shows it; generate/embed/bench-model resolve the name; `model rm`
# removes it; a broken file is refused with a reason naming the problem.
set -u
BIN=${CR_BIN:-bin/cristal}
DATA=${CR_SHARED_DATA:-}
M=$DATA/gguf-models
[ -n "$DATA" ] && [ -f "$M/stories260K.gguf" ] || { echo "skip: CR_SHARED_DATA/gguf-models not available"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 not installed"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
C="$BIN --data $T/data"
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

check "add stories" '$C model add "$M/stories260K.gguf" --name stories >"$T/add.txt" && grep -q "added stories: llama" "$T/add.txt"'
check "add with the default name" '$C model add "$M/llama-2-tiny-random.gguf" >/dev/null'
$C model list --json >"$T/list.json"
check "list --json" 'python3 - "$T/list.json" "$M" <<"PY"
import json, sys
l = {m["name"]: m for m in json.load(open(sys.argv[1]))}
assert set(l) == {"stories", "llama-2-tiny-random"}, l.keys()
s = l["stories"]
assert s["arch"] == "llama" and s["path"].endswith("stories260K.gguf") and s["size"] == 1185376
assert s["info"]["layers"] == 5 and s["info"]["vocab"] == 512 and s["info"]["type"].upper() == "F32"
assert l["llama-2-tiny-random"]["info"]["type"].upper() == "F16"
PY'
check "list (text)" '$C model list | grep -q "^stories "'
check "generate by name" '[ "$($C generate --model stories --prompt "" --temp 0 -n 4 --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"tokens\"])")" = "[403, 407, 261, 378]" ]'
check "bench-model by name" '$C bench-model --model stories -p 16 -n 8 -r 1 --json | python3 -c "import json,sys; j=json.load(sys.stdin); sys.exit(not (j[\"pp16\"] > 0 and j[\"tg8\"] > 0 and j[\"threads\"] >= 1))"'
check "rm" '$C model rm stories >/dev/null && ! $C model list | grep -q "^stories "'
check "rm unknown fails" '! $C model rm stories 2>/dev/null'
check "unknown name fails" '! $C generate --model stories --prompt x -n 1 2>/dev/null'
head -c 600000 "$M/stories260K.gguf" >"$T/cut.gguf"
$C model add "$T/cut.gguf" --name cut >/dev/null 2>"$T/cut.err"
rc=$?
check "truncated file refused with a reason" '[ $rc -ne 0 ] && [ -s "$T/cut.err" ] && ! $C model list | grep -q "^cut "'
printf 'not a gguf at all' >"$T/junk.gguf"
check "junk refused" '! $C model add "$T/junk.gguf" 2>/dev/null'
exit $fail
