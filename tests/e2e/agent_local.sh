#!/usr/bin/env bash
# agent_local.sh — `cristal agent` on the local engine (a random-weight model
# from the shared data; skipped without it): the tool loop runs end to end
# on constrained decoding — the run ends with an answer or a budget, and no
# step is a malformed call, an unknown tool or arguments of the wrong shape
# (test_agent_local checks every call of ten forced turns against its
# schema).
source "$CR_SOURCE_DIR/tests/server/lib.sh"
M="${CR_SHARED_DATA:-}/gguf-models/llama-2-tiny-random.gguf"
[ -n "${CR_SHARED_DATA:-}" ] && [ -f "$M" ] || { echo "skipped: CR_SHARED_DATA/gguf-models not available"; exit 77; }
make_data
c model add "$M" --name tiny >/dev/null
c provider add loc --kind local --model tiny >/dev/null
for task in "What does the travel policy say about flights?" "Who owes what after the Kestrel design review?"; do
	c agent --provider loc --json --max-steps 6 "$task" >"$tmp/a.json" 2>"$tmp/err" || fail "agent: $(cat "$tmp/err")"
	py '
assert r["stop"] in ("answer", "max_steps", "tool_failures", "max_tokens"), r["stop"]
assert r["mode"] == "agent:loc" and r["usage"]["model_calls"] >= 1, r
for s in r["steps"]:
    for bad in ("not valid JSON", "unknown tool", "needs \""):
        assert bad not in s["result_summary"], s
if r["stop"] == "answer":
    assert isinstance(r["answer"], str), r
' "$tmp/a.json"
done
echo ok
