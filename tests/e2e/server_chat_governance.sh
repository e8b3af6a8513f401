#!/usr/bin/env bash
# server_chat_governance.sh — /v1/chat/completions with a provider's model
# (not cristal-rag) goes through the same governance as ask, for a user of
# the server, plain and streamed, against an external provider that records
# what it receives (tests/provider/pii_recorder.py):
# - personal data: names, e-mail addresses and phone numbers leave as
#   placeholders and come back restored in the answer;
# - the call is audited as "chat" with the user as actor, and metered for
#   the user (its provider tokens count in /api/usage);
# - the kill-switch: a provider an admin suspends is not called (403 with
#   the reason, or an error event on a stream) until resumed;
# - quotas: past the user's provider tokens per day, 429 quota_exceeded,
#   and the provider is not called.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
python3 "$CR_SOURCE_DIR/tests/provider/pii_recorder.py" "$tmp/requests.log" >"$tmp/pport" &
prov_pid=$!
for _ in $(seq 100); do [ -s "$tmp/pport" ] && break; sleep 0.1; done
P=$(head -1 "$tmp/pport")
[ -n "$P" ] || fail "the recording listener did not start"
c init >/dev/null
c provider add ext --kind openai --url "http://127.0.0.1:$P/chat/v1" --model m >"$tmp/add.out"
grep -q "trust external" "$tmp/add.out" || fail "the provider is not external: $(cat "$tmp/add.out")"
pw() { printf '%s\n' "$2" | c user add "$1" "${@:3}" --password-stdin >/dev/null; }
pw alice pw-alice-1 --role admin
pw frank pw-frank-1
TA=$(c token create --user alice | tail -1)
TF=$(c token create --user frank | tail -1)
start_server --threads 4
F=(-H "Authorization: Bearer $TF")
A=(-H "Authorization: Bearer $TA")
BODY='{"model":"ext","messages":[{"role":"user","content":"From: Laura Bennett <laura.bennett@northwind.example>\nPlease call Laura on +44 20 7946 0958."}]}'
SBODY='{"model":"ext","stream":true,"messages":[{"role":"user","content":"Write to laura.bennett@northwind.example"}]}'
calls() { [ -f "$tmp/requests.log" ] && wc -l <"$tmp/requests.log" || echo 0; }

# ---- personal data stays here; the answer comes back whole ----
[ "$(status POST /v1/chat/completions "${F[@]}" "${J[@]}" -d "$BODY")" = 200 ] || fail "chat: $(cat "$tmp/body")"
py 'assert r["choices"][0]["message"]["content"] == "Contact: Laura Bennett, laura.bennett@northwind.example, Laura, +44 20 7946 0958.", r' "$tmp/body"
for v in "Laura Bennett" "laura.bennett@northwind.example" "+44 20 7946 0958"; do
	grep -qF -- "$v" "$tmp/requests.log" && fail "'$v' reached the external provider"
done
grep -qE '\[(PERSON|EMAIL|PHONE)_[0-9]+\]' "$tmp/requests.log" || fail "no placeholder was sent"
[ "$(calls)" = 1 ] || fail "calls: $(calls)"
curl -sf "${F[@]}" "$U/api/usage" >"$tmp/usage.json" || fail "usage"
py 'assert [(x["provider"], x["calls"], x["prompt_tokens"] + x["completion_tokens"]) for x in r["usage"]] == [("ext", 1, 14)], r' "$tmp/usage.json"
curl -sf "${A[@]}" "$U/api/usage?by=user" >"$tmp/usage.json" || fail "usage by user"
py 'assert any(x["key"] == "frank" and x["calls"] == 1 for x in r["rows"]), r' "$tmp/usage.json"

# ---- the kill-switch ----
[ "$(status POST /api/providers/ext/suspend "${A[@]}" "${J[@]}" -d '{"reason":"contract under review"}')" = 200 ] ||
	fail "suspend: $(cat "$tmp/body")"
got=$(status POST /v1/chat/completions "${F[@]}" "${J[@]}" -d "$BODY")
[ "$got" = 403 ] || fail "chat on a suspended provider: $got $(cat "$tmp/body")"
grep -q "contract under review" "$tmp/body" || fail "no reason: $(cat "$tmp/body")"
curl -sN "${F[@]}" "${J[@]}" -d "$SBODY" "$U/v1/chat/completions" >"$tmp/sse"
grep -q "suspended" "$tmp/sse" && grep -q '^data: \[DONE\]' "$tmp/sse" || fail "stream on a suspended provider: $(cat "$tmp/sse")"
grep -q '"content"' "$tmp/sse" && fail "a suspended provider answered: $(cat "$tmp/sse")"
[ "$(calls)" = 1 ] || fail "the suspended provider was called: $(calls)"
[ "$(status DELETE /api/providers/ext/suspend "${A[@]}")" = 200 ] || fail "resume"
curl -sfN "${F[@]}" "${J[@]}" -d "$SBODY" "$U/v1/chat/completions" >"$tmp/sse" || fail "stream after resume"
python3 - "$tmp/sse" <<'PY' || fail "streamed answer: $(cat "$tmp/sse")"
import json, sys
text = "".join(json.loads(l[6:])["choices"][0]["delta"].get("content") or ""
               for l in open(sys.argv[1]) if l.startswith("data: {") and json.loads(l[6:])["choices"])
assert text == "Contact: laura.bennett@northwind.example.", text
PY
[ "$(calls)" = 2 ] || fail "calls after resume: $(calls)"
grep -qF "laura.bennett@northwind.example" "$tmp/requests.log" && fail "the address reached the provider on a stream"

# ---- quotas: provider tokens per day (2 calls of 14 so far) ----
c quota set --user frank --tokens-per-day 40 >/dev/null
[ "$(status POST /v1/chat/completions "${F[@]}" "${J[@]}" -d "$BODY")" = 200 ] || fail "chat under the quota: $(cat "$tmp/body")"
got=$(status POST /v1/chat/completions "${F[@]}" "${J[@]}" -d "$BODY")
[ "$got" = 429 ] || fail "over the token quota: $got $(cat "$tmp/body")"
py 'e = r["error"]; assert e["code"] == "quota_exceeded" and e["scope"] == "user" and e["name"] == "frank" and e["used"] >= 40, e' "$tmp/body"
[ "$(calls)" = 3 ] || fail "a call over the quota reached the provider: $(calls)"
[ "$(status POST /v1/chat/completions "${A[@]}" "${J[@]}" -d "$BODY")" = 200 ] || fail "alice has no quota: $(cat "$tmp/body")"

# ---- the audit log ----
kill "$srv_pid"
wait "$srv_pid" 2>/dev/null || true
srv_pid=
c audit verify >/dev/null || fail "the audit log does not verify"
c audit export >"$tmp/log.jsonl"
python3 - "$tmp/log.jsonl" <<'PY' || fail "audit records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
chats = [r for r in recs if r["action"] == "chat"]
assert sum(1 for r in chats if r["actor"] == "user:frank" and r["detail"]["model"] == "ext" and r["detail"]["tenant"] == "default") >= 4, chats
assert any(r["actor"] == "user:frank" and r["detail"]["stream"] for r in chats), chats
assert any(r["actor"] == "user:alice" for r in chats), chats
PY
echo "server_chat_governance: ok"
