#!/usr/bin/env bash
# pii_redaction.sh — personal data never reaches an external provider, and
# the user sees it restored. A recording listener (tests/provider/
# pii_recorder.py) stands in for an external OpenAI-compatible provider and
# keeps every request body it receives; it answers with the placeholders it
# was sent. Checked:
#   - `cristal ask` over documents holding names, e-mail addresses, phones,
#     a 〒 address, a My Number and a card number: none of the values is in
#     any request the listener got, placeholders are; the answer shown has
#     the real values back and its citation verified;
#   - the same question to a provider of trust onprem does send the values
#     (so the listener would see a leak, and the check above can fail);
#   - `cristal index vectors` through an external embedder: the chunks
#     arrive with placeholders;
#   - `cristal serve`, /v1/chat/completions streamed to an external
#     provider: the request holds placeholders only, and the streamed
#     deltas (the listener cuts placeholders across pieces) join into the
#     real values.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
command -v curl >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_pii.XXXXXX)
rec= srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	[ -n "$rec" ] && kill "$rec" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() {
	echo "FAIL: $*" >&2
	[ -f "$tmp/serve.err" ] && sed 's/^/serve: /' "$tmp/serve.err" >&2
	exit 1
}

python3 "$CR_SOURCE_DIR/tests/provider/pii_recorder.py" "$tmp/requests.log" >"$tmp/port" &
rec=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
P=$(head -1 "$tmp/port")
[ -n "$P" ] || fail "the recording listener did not start"

mkdir -p "$tmp/docs"
cat >"$tmp/docs/vendor-contacts.md" <<'DOC'
# Vendor contacts

The escalation contact for the Falcon shipment is Laura Bennett, reachable at laura.bennett@northwind.example or +44 20 7946 0958.
DOC
cat >"$tmp/docs/担当者.md" <<'DOC'
# 取引先の担当者

ファルコン案件の担当は佐藤 花子さんで、連絡先は hanako.sato@example.jp、電話は 090-1234-5678 です。
請求書の送付先は 〒100-0001 東京都千代田区千代田1-1 です。
DOC
cat >"$tmp/docs/payroll.md" <<'DOC'
# Payroll record

Employee Kenji Watanabe has My Number 5260 1815 9084 and is paid with the card 4111 1111 1111 1111 for the Falcon travel.
DOC
VALUES=("Laura Bennett" "laura.bennett@northwind.example" "+44 20 7946 0958" "佐藤" "花子" "hanako.sato@example.jp"
	"090-1234-5678" "〒100-0001" "千代田区千代田1-1" "Kenji Watanabe" "5260 1815 9084" "4111 1111 1111 1111")
c init >/dev/null
c ingest "$tmp/docs" >/dev/null
c provider add ext --kind openai --url "http://127.0.0.1:$P/ask/v1" --model m >"$tmp/add.out"
grep -q "trust external" "$tmp/add.out" || fail "the provider is not external: $(cat "$tmp/add.out")"

no_leak() {
	[ -s "$tmp/requests.log" ] || fail "$1: the listener received nothing"
	for v in "${VALUES[@]}"; do
		if grep -qF -- "$v" "$tmp/requests.log"; then fail "$1: '$v' reached the external provider"; fi
	done
	grep -qE '\[(PERSON|EMAIL|PHONE)_[0-9]+\]' "$tmp/requests.log" || fail "$1: no placeholder was sent"
}

c ask --json --provider ext "Who is the escalation contact for the Falcon shipment?" >"$tmp/a1.json" 2>"$tmp/err" ||
	fail "ask: $(cat "$tmp/err")"
c ask --json --provider ext "ファルコン案件の担当者の連絡先は？" >"$tmp/a2.json" 2>"$tmp/err" || fail "ask ja: $(cat "$tmp/err")"
c ask --json --provider ext "Which card pays the Falcon travel of the employee?" >"$tmp/a3.json" 2>"$tmp/err" ||
	fail "ask card: $(cat "$tmp/err")"
no_leak ask
[ "$(wc -l <"$tmp/requests.log")" -eq 3 ] || fail "three requests expected, got $(wc -l <"$tmp/requests.log")"
python3 - "$tmp" <<'PY' || fail "answers: $(cat "$tmp"/a1.json "$tmp"/a2.json "$tmp"/a3.json)"
import json, sys
t = sys.argv[1]
want = {"a1": ["Laura Bennett", "laura.bennett@northwind.example", "+44 20 7946 0958"],
        "a2": ["佐藤 花子", "hanako.sato@example.jp", "090-1234-5678"],
        "a3": ["Kenji Watanabe", "5260 1815 9084", "4111 1111 1111 1111"]}
for k, vals in want.items():
    r = json.load(open("%s/%s.json" % (t, k)))
    assert r["mode"] == "model:ext", (k, r["mode"])
    for v in vals:
        assert v in r["answer"], (k, v, r["answer"])
    assert "[PERSON_" not in r["answer"] and "[EMAIL_" not in r["answer"], (k, r["answer"])
    assert [c["n"] for c in r["citations"]] == [1], (k, r["citations"])
PY

# control: a provider of trust onprem gets the text as it is
c provider add inhouse --kind openai --url "http://127.0.0.1:$P/ask/v1" --model m --trust onprem >/dev/null
: >"$tmp/requests.log"
c ask --json --provider inhouse "Who is the escalation contact for the Falcon shipment?" >/dev/null 2>"$tmp/err" ||
	fail "ask onprem: $(cat "$tmp/err")"
grep -qF "laura.bennett@northwind.example" "$tmp/requests.log" || fail "onprem: the listener did not see the text"

# texts embedded by an external provider go redacted too
c provider add extemb --kind openai --url "http://127.0.0.1:$P/emb/v1" --model e >/dev/null
: >"$tmp/requests.log"
c index vectors --provider extemb >/dev/null 2>"$tmp/err" || fail "index vectors: $(cat "$tmp/err")"
grep -q '"input"' "$tmp/requests.log" || fail "embed: nothing was embedded"
no_leak embed

# the server: a conversation streamed through an external provider
c provider add extchat --kind openai --url "http://127.0.0.1:$P/chat/v1" --model m >/dev/null
: >"$tmp/requests.log"
"$CR_BIN" --data "$D" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv=$!
for _ in $(seq 100); do grep -q 'http://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
U=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -1)
[ -n "$U" ] || fail "the server did not start"
python3 - "$tmp/body.json" <<'PY'
import json, sys
msgs = [{"role": "system", "content": "You help the sales team."},
        {"role": "user", "content": "From: Laura Bennett <laura.bennett@northwind.example>\nPlease call Laura on +44 20 7946 0958."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "佐藤 花子さん（hanako.sato@example.jp、090-1234-5678）にも連絡して。住所は〒100-0001 東京都千代田区千代田1-1。"}]
json.dump({"model": "extchat", "stream": True, "messages": msgs}, open(sys.argv[1], "w"), ensure_ascii=False)
PY
curl -sfN -H 'Content-Type: application/json' --data-binary @"$tmp/body.json" "$U/v1/chat/completions" >"$tmp/sse" ||
	fail "stream: $(cat "$tmp/sse")"
no_leak serve
python3 - "$tmp/sse" <<'PY' || fail "streamed answer: $(cat "$tmp/sse")"
import json, sys
text, pieces = "", 0
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("data: {"):
        ev = json.loads(line[6:])
        d = ev["choices"][0]["delta"].get("content")
        if d:
            text += d
            pieces += 1
assert pieces > 5, pieces
want = ("Contact: Laura Bennett, laura.bennett@northwind.example, Laura, +44 20 7946 0958, 佐藤 花子, "
        "hanako.sato@example.jp, 090-1234-5678, 〒100-0001 東京都千代田区千代田1-1.")
assert text == want, (text, want)
PY
echo "pii_redaction: ok"
