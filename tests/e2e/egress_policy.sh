#!/usr/bin/env bash
# egress_policy.sh — classification and the egress rule. Documents are
# classified from `ingest --classification` and from markers in their text
# (社外秘, CONFIDENTIAL, 極秘, Strictly confidential, Internal use only; the
# lower-case adjective in running text is not one), the highest winning, and
# `show` prints the level. A recording listener (tests/provider/
# pii_recorder.py) stands in for the providers:
#   - external: the text of confidential and secret documents never arrives
#     there, the answer says how many sources were withheld, and the audit
#     record of the question counts them;
#   - external, an internal document: its text does arrive (so the check
#     above can fail);
#   - onprem: confidential text may go, and does;
#   - [governance.egress] external = confidential lets it go to the external
#     one (secret still not), and [governance.egress.acme] external = public
#     keeps even acme's internal text from it, for acme's users only.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
python3 "$CR_SOURCE_DIR/tests/provider/pii_recorder.py" "$tmp/requests.log" >"$tmp/port" &
prov_pid=$! # stopped by lib.sh's cleanup
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
P=$(head -1 "$tmp/port")
[ -n "$P" ] || fail "the recording listener did not start"

mkdir -p "$tmp/docs" "$tmp/board"
cat >"$tmp/docs/falcon-deal.md" <<'DOC'
# Falcon acquisition — CONFIDENTIAL

The Falcon acquisition price agreed by the board is 4.2 billion yen, payable in two tranches.
DOC
cat >"$tmp/docs/merger.md" <<'DOC'
# 合併計画（社外秘）

ヘロン社との合併比率は 1 対 0.8 とする。
DOC
cat >"$tmp/docs/cafeteria.md" <<'DOC'
# Cafeteria

The cafeteria opens at eight in the morning and keeps customer feedback confidential.
DOC
cat >"$tmp/board/succession.md" <<'DOC'
# Succession

The succession plan names Ito as the next chief financial officer.
DOC
c init >/dev/null
c ingest "$tmp/docs" >/dev/null
c ingest --classification secret "$tmp/board" >/dev/null
class() { c show --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["acl"]["classification"])'; }
[ "$(class docs/falcon-deal.md)" = confidential ] || fail "CONFIDENTIAL did not mark falcon-deal.md: $(class docs/falcon-deal.md)"
[ "$(class docs/merger.md)" = confidential ] || fail "社外秘 did not mark merger.md"
[ "$(class docs/cafeteria.md)" = internal ] || fail "running-text 'confidential' marked cafeteria.md: $(class docs/cafeteria.md)"
[ "$(class board/succession.md)" = secret ] || fail "--classification secret not applied"
c show docs/falcon-deal.md | grep -q "^class *confidential" || fail "show does not print the level"

c provider add ext --kind openai --url "http://127.0.0.1:$P/ask/v1" --model m >/dev/null
c provider add inhouse --kind openai --url "http://127.0.0.1:$P/ask/v1" --model m --trust onprem >/dev/null

c ask --json --provider ext "What is the Falcon acquisition price?" >"$tmp/a1.json" 2>"$tmp/err" || fail "ask: $(cat "$tmp/err")"
c ask --json --provider ext "ヘロン社との合併比率は？" >"$tmp/a2.json" 2>"$tmp/err" || fail "ask ja: $(cat "$tmp/err")"
c ask --json --provider ext "Who is named as the next chief financial officer?" >"$tmp/a3.json" 2>"$tmp/err" || fail "ask: $(cat "$tmp/err")"
for v in "4.2 billion" "Falcon acquisition price" "合併比率" "succession plan" "chief financial officer is" "Ito as"; do
	if [ -s "$tmp/requests.log" ] && grep -qF -- "$v" "$tmp/requests.log"; then fail "'$v' reached the external provider"; fi
done
py 'assert r["withheld"] >= 1 and "withheld" in r["answer"] and "4.2 billion" in r["answer"], r' "$tmp/a1.json"
py 'assert r["withheld"] >= 1 and "送れない" in r["answer"], r' "$tmp/a2.json"
py 'assert r["withheld"] >= 1 and "secret" in r["answer"], r' "$tmp/a3.json"

# internal text does go to the external provider
c ask --json --provider ext "When does the cafeteria open?" >"$tmp/a4.json" 2>"$tmp/err" || fail "ask: $(cat "$tmp/err")"
grep -qF "cafeteria opens at eight" "$tmp/requests.log" || fail "the internal document did not reach the external provider"
# and confidential text goes to an onprem one
: >"$tmp/requests.log"
c ask --json --provider inhouse "What is the Falcon acquisition price?" >"$tmp/a5.json" 2>"$tmp/err" || fail "ask: $(cat "$tmp/err")"
grep -qF "4.2 billion" "$tmp/requests.log" || fail "the onprem provider did not get the confidential passage"
py 'assert r["withheld"] == 0, r' "$tmp/a5.json"

c audit export --out "$tmp/audit.jsonl" >/dev/null
python3 - "$tmp/audit.jsonl" <<'PY' || fail "the audit log does not record what was withheld"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
asks = [json.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"] for r in recs if r["action"] == "ask"]
assert any(a.get("withheld", 0) >= 1 and a.get("withheld_class") == "confidential" for a in asks), asks
assert any(a.get("withheld_class") == "secret" for a in asks), asks
PY
# the policy in the configuration: the base raised, and one tenant's own
cat >"$tmp/egress.toml" <<'TOML'
[governance.egress]
external = "confidential"

[governance.egress.acme]
external = "public"
TOML
ce() { "$CR_BIN" --config "$tmp/egress.toml" --data "$D" "$@"; }
: >"$tmp/requests.log"
ce ask --json --provider ext "What is the Falcon acquisition price?" >"$tmp/a6.json" 2>"$tmp/err" || fail "ask: $(cat "$tmp/err")"
grep -qF "4.2 billion" "$tmp/requests.log" || fail "external = confidential did not let the confidential passage go"
: >"$tmp/requests.log"
ce ask --json --provider ext "Who is named as the next chief financial officer?" >/dev/null 2>&1
if grep -qF "Ito as" "$tmp/requests.log"; then fail "a secret passage went under external = confidential"; fi
c tenant add acme >/dev/null
c user add kim --tenant acme >/dev/null
mkdir -p "$tmp/acme" && echo "The acme canteen opens at seven and serves ramen on Fridays." >"$tmp/acme/canteen.md"
c ingest --tenant acme "$tmp/acme" >/dev/null
: >"$tmp/requests.log"
ce ask --json --as kim --provider ext "When does the acme canteen open?" >"$tmp/a7.json" 2>"$tmp/err" || fail "ask as kim: $(cat "$tmp/err")"
if grep -qF "serves ramen" "$tmp/requests.log"; then fail "acme's internal passage went out under its external = public"; fi
py 'assert r["withheld"] >= 1 and r["found"], r' "$tmp/a7.json"
: >"$tmp/requests.log"
c ask --json --as kim --provider ext "When does the acme canteen open?" >/dev/null 2>&1
grep -qF "serves ramen" "$tmp/requests.log" || fail "without the configuration acme's internal passage should go"
printf '[governance.egress]\nexternal = "top"\n' >"$tmp/bad.toml"
if "$CR_BIN" --config "$tmp/bad.toml" --data "$D" ask "x" >/dev/null 2>"$tmp/err"; then fail "a bad level was taken"; fi
grep -q "external 'top'" "$tmp/err" || fail "bad level: $(cat "$tmp/err")"
printf '[governance.egress]\ncloud = "public"\n' >"$tmp/bad.toml"
if "$CR_BIN" --config "$tmp/bad.toml" --data "$D" ask "x" >/dev/null 2>"$tmp/err"; then fail "an unknown key was taken"; fi
grep -q "unknown setting governance.egress.cloud" "$tmp/err" || fail "unknown key: $(cat "$tmp/err")"
echo "ok: confidential and secret text stays away from external providers; internal text and onprem providers are not held back; the configuration's base and per-tenant rules apply"
