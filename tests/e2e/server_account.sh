#!/usr/bin/env bash
# server_account.sh — a user's own password and an admin's change of a
# user's role and groups, over curl:
# - POST /api/me/password {current, new}: with the session cookie it needs
#   the CSRF token (403 without); a wrong current password is 403 and
#   changes nothing; a short new one is 400; the right one changes it (the
#   old password no longer logs in, the new one does); wrong current
#   passwords count as failed log-ins: past five, 429 with Retry-After even
#   with the right one, and the user's log-ins are limited too; a change
#   ends the user's other sessions (the caller's own stays; API tokens
#   stay); a bearer token's user may change it too;
# - PATCH /api/users/NAME {role?, groups?}: the admin's tenant only (another
#   tenant's user is 404, as if absent), admins only (403), CSRF with a
#   cookie, bad bodies 400, an admin cannot take its own admin role away
#   (409); the new role takes effect at once (an auditor's token may no
#   longer search);
# - every change and refusal is in the audit log, which verifies.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
pw() { printf '%s\n' "$2" | c user add "$1" "${@:3}" --password-stdin >/dev/null; }
pw alice pw-alice-1 --role admin
pw frank pw-frank-1
pw gina pw-gina-1
pw ann pw-ann-1 --role admin --tenant acme
pw bob pw-bob-1 --tenant acme
TA=$(c token create --user alice | tail -1)
TF=$(c token create --user frank | tail -1)
TN=$(c token create --user ann | tail -1)
TB=$(c token create --user bob | tail -1)
start_server --threads 4
login() { # login USER PASSWORD JAR: prints the status; the CSRF token in $tmp/csrf
	local s
	s=$(curl -s -c "$3" -o "$tmp/login" -w '%{http_code}' "${J[@]}" -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$U/api/login")
	[ "$s" = 200 ] && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$tmp/login" >"$tmp/csrf"
	echo "$s"
}

# ---- one's own password ----
[ "$(login frank pw-frank-1 "$tmp/fj")" = 200 ] || fail "frank's log-in"
CS=(-b "$tmp/fj" -H "X-CSRF-Token: $(cat "$tmp/csrf")")
expect_error 403 POST /api/me/password -b "$tmp/fj" "${J[@]}" -d '{"current":"pw-frank-1","new":"pw-frank-2"}'
expect_error 403 POST /api/me/password "${CS[@]}" "${J[@]}" -d '{"current":"wrong-one","new":"pw-frank-2"}'
expect_error 400 POST /api/me/password "${CS[@]}" "${J[@]}" -d '{"current":"pw-frank-1","new":"short"}'
expect_error 400 POST /api/me/password "${CS[@]}" "${J[@]}" -d '{"current":"pw-frank-1","new":"pw-frank-2","x":1}'
expect_error 400 POST /api/me/password "${CS[@]}" "${J[@]}" -d '{"new":"pw-frank-2"}'
[ "$(login frank pw-frank-1 "$tmp/fj2")" = 200 ] || fail "a refused change changed the password"
[ "$(status POST /api/me/password "${CS[@]}" "${J[@]}" -d '{"current":"pw-frank-1","new":"pw-frank-2"}')" = 200 ] ||
	fail "password change: $(cat "$tmp/body")"
py 'assert r == {"ok": True, "sessions_ended": 1}, r' "$tmp/body"
# the other session ended with the old password; this one stays
[ "$(status GET /api/me -b "$tmp/fj2")" = 401 ] || fail "frank's other session outlived the change"
[ "$(status GET /api/me -b "$tmp/fj")" = 200 ] || fail "the session that changed the password ended"
[ "$(login frank pw-frank-1 "$tmp/fj3")" = 401 ] || fail "the old password still logs in"
[ "$(login frank pw-frank-2 "$tmp/fj3")" = 200 ] || fail "the new password does not log in"
# with a bearer token (no CSRF needed)
[ "$(status POST /api/me/password -H "Authorization: Bearer $TF" "${J[@]}" -d '{"current":"pw-frank-2","new":"pw-frank-3"}')" = 200 ] ||
	fail "password change by token: $(cat "$tmp/body")"
py 'assert r == {"ok": True, "sessions_ended": 2}, r' "$tmp/body"
[ "$(status GET /api/me -b "$tmp/fj")" = 401 ] || fail "a session outlived a change made with a token"
[ "$(status GET /api/me -H "Authorization: Bearer $TF")" = 200 ] || fail "the token stopped working"
[ "$(login frank pw-frank-3 "$tmp/fj3")" = 200 ] || fail "the token's change did not take"

# ---- guessing the current password is limited like log-ins ----
[ "$(login gina pw-gina-1 "$tmp/gj")" = 200 ] || fail "gina's log-in"
GS=(-b "$tmp/gj" -H "X-CSRF-Token: $(cat "$tmp/csrf")")
for i in 1 2 3 4 5; do
	expect_error 403 POST /api/me/password "${GS[@]}" "${J[@]}" -d "{\"current\":\"guess-$i\",\"new\":\"pw-gina-2\"}"
done
curl -s -D "$tmp/h" -o "$tmp/body" "${GS[@]}" "${J[@]}" -d '{"current":"pw-gina-1","new":"pw-gina-2"}' "$U/api/me/password" >/dev/null
grep -q '^HTTP/1.1 429' "$tmp/h" || fail "no 429 after five wrong passwords: $(head -1 "$tmp/h") $(cat "$tmp/body")"
grep -qi '^Retry-After: [0-9]' "$tmp/h" || fail "no Retry-After"
# the guesses count against gina's log-ins too (one limiter)
[ "$(login gina pw-gina-1 "$tmp/gj2")" = 429 ] || fail "the guesses did not limit gina's log-ins"

# ---- an admin changes a user's role and groups ----
A=(-H "Authorization: Bearer $TA")
[ "$(status PATCH /api/users/frank "${A[@]}" "${J[@]}" -d '{"role":"auditor","groups":["eng","ops"]}')" = 200 ] ||
	fail "user set: $(cat "$tmp/body")"
py 'assert r == {"name": "frank", "role": "auditor", "tenant": "default", "groups": ["eng", "ops"], "emails": []}, r' "$tmp/body"
c user list --json >"$tmp/u.json"
py 'f = [u for u in r["users"] if u["name"] == "frank"][0]; assert f["role"] == "auditor" and sorted(f["groups"]) == ["eng", "ops"], f' "$tmp/u.json"
expect_error 403 GET "/api/search?q=leave" -H "Authorization: Bearer $TF"
[ "$(status PATCH /api/users/frank "${A[@]}" "${J[@]}" -d '{"groups":[]}')" = 200 ] || fail "groups emptied: $(cat "$tmp/body")"
py 'assert r["role"] == "auditor" and r["groups"] == [], r' "$tmp/body"
[ "$(status PATCH /api/users/frank "${A[@]}" "${J[@]}" -d '{"role":"member"}')" = 200 ] || fail "role back"
[ "$(status GET "/api/search?q=leave" -H "Authorization: Bearer $TF")" = 200 ] || fail "frank cannot search as a member again"
expect_error 404 PATCH /api/users/bob "${A[@]}" "${J[@]}" -d '{"role":"admin"}'
expect_error 404 PATCH /api/users/frank -H "Authorization: Bearer $TN" "${J[@]}" -d '{"role":"admin"}'
expect_error 404 PATCH /api/users/nobody "${A[@]}" "${J[@]}" -d '{"role":"admin"}'
expect_error 403 PATCH /api/users/frank -H "Authorization: Bearer $TF" "${J[@]}" -d '{"role":"admin"}'
expect_error 403 PATCH /api/users/bob -H "Authorization: Bearer $TB" "${J[@]}" -d '{"role":"admin"}'
expect_error 409 PATCH /api/users/alice "${A[@]}" "${J[@]}" -d '{"role":"member"}'
expect_error 400 PATCH /api/users/frank "${A[@]}" "${J[@]}" -d '{"role":"boss"}'
expect_error 400 PATCH /api/users/frank "${A[@]}" "${J[@]}" -d '{}'
expect_error 400 PATCH /api/users/frank "${A[@]}" "${J[@]}" -d '{"role":"member","tenant":"acme"}'
expect_error 400 PATCH /api/users/frank "${A[@]}" "${J[@]}" -d '{"groups":"eng"}'
[ "$(login alice pw-alice-1 "$tmp/aj")" = 200 ] || fail "alice's log-in"
expect_error 403 PATCH /api/users/frank -b "$tmp/aj" "${J[@]}" -d '{"role":"admin"}'
[ "$(status PATCH /api/users/frank -b "$tmp/aj" -H "X-CSRF-Token: $(cat "$tmp/csrf")" "${J[@]}" -d '{"groups":["eng"]}')" = 200 ] ||
	fail "user set with the session: $(cat "$tmp/body")"
c user list --json >"$tmp/u.json"
py '
by = {u["name"]: u for u in r["users"]}
assert by["frank"]["role"] == "member" and by["frank"]["groups"] == ["eng"], by["frank"]
assert by["bob"]["role"] == "member" and by["alice"]["role"] == "admin", by
' "$tmp/u.json"

kill "$srv_pid"
wait "$srv_pid" 2>/dev/null || true
srv_pid=
c audit verify >/dev/null || fail "the audit log does not verify"
c audit export >"$tmp/log.jsonl"
python3 - "$tmp/log.jsonl" <<'PY' || fail "audit records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
pw = [r for r in recs if r["action"] == "user.passwd"]
assert any(r["actor"] == "user:frank" and r["detail"]["ok"] for r in pw), pw
assert any(r["actor"] == "user:frank" and not r["detail"]["ok"] and r["detail"]["reason"] == "wrong current password" for r in pw), pw
assert sum(1 for r in pw if r["actor"] == "user:gina" and not r["detail"]["ok"]) == 6, pw
assert not any(r["actor"] == "user:gina" and r["detail"]["ok"] for r in pw), pw
sets = [r for r in recs if r["action"] == "user.set"]
assert any(r["actor"] == "user:alice" and r["detail"] == {"name": "frank", "role": "auditor", "groups": ["eng", "ops"],
                                                        "tenant": "default", "via": r["detail"]["via"]} for r in sets), sets
assert any(r["detail"].get("via") == "session" and r["detail"]["groups"] == ["eng"] for r in sets), sets
assert len(sets) == 4, sets
PY
echo "server_account: ok"
