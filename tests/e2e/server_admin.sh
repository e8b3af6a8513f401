#!/usr/bin/env bash
# server_admin.sh — the admin routes over curl against `cristal serve`:
# POST /api/users, DELETE /api/users/NAME, GET|POST /api/groups, DELETE
# /api/groups/NAME, GET|POST /api/tokens, DELETE /api/tokens/ID,
# POST|DELETE /api/providers/NAME/suspend, and GET /api/agents/NAME:
# - roles: members and auditors get 403 on every admin route;
# - CSRF: a state change with the session cookie and no X-CSRF-Token is 403
#   and changes nothing; with the token it works; a bearer token needs none;
# - tenants: an admin of acme adds users to acme only (403 for another
#   tenant), cannot see, delete or make tokens for the default tenant's
#   users, nor see or revoke their tokens (404, as if absent), nor remove a
#   group the default tenant's users are in (403); group names and the
#   providers' kill-switch are shared by every tenant, so only the default
#   tenant's admins add or remove groups and suspend or resume providers
#   (403 for ann), and ann's group list holds her tenant's groups only,
#   counting her tenant's users;
# - bad input (malformed JSON, unknown members, wrong types, short
#   passwords, bad roles, a blank reason, a bad token id) is a 400 JSON error;
# - a token made over the API works once shown, and its revocation stops it;
#   a suspension shows in GET /api/providers and `provider list` until resumed;
# - every action is in the audit log with its actor, and the log verifies.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
pw() { printf '%s\n' "$2" | c user add "$1" "${@:3}" --password-stdin >/dev/null; }
pw alice pw-alice --role admin
pw frank pw-frank
pw carol pw-carol --role auditor
pw ann pw-ann --role admin --tenant acme
pw bob pw-bob --tenant acme
TA=$(c token create --user alice | tail -1)
TN=$(c token create --user ann | tail -1)
TF=$(c token create --user frank | tail -1)
TC=$(c token create --user carol | tail -1)
c provider add main --kind openai --url "http://127.0.0.1:9/v1" --model m >/dev/null
echo "Summarise the leave policy" >"$tmp/instr.txt"
c agent create digest --instructions "$tmp/instr.txt" --tool search --scope samples --schedule '0 9 * * 1-5' >/dev/null ||
	fail "agent create"
start_server --threads 4
A=(-H "Authorization: Bearer $TA")
N=(-H "Authorization: Bearer $TN")

# ---- roles: a member and an auditor get 403 everywhere ----
for t in "$TF" "$TC"; do
	H=(-H "Authorization: Bearer $t")
	expect_error 403 POST /api/users "${H[@]}" "${J[@]}" -d '{"name":"x1"}'
	expect_error 403 DELETE /api/users/frank "${H[@]}"
	expect_error 403 GET /api/groups "${H[@]}"
	expect_error 403 POST /api/groups "${H[@]}" "${J[@]}" -d '{"name":"g1"}'
	expect_error 403 DELETE /api/groups/eng "${H[@]}"
	expect_error 403 GET /api/tokens "${H[@]}"
	expect_error 403 POST /api/tokens "${H[@]}" "${J[@]}" -d '{"user":"frank"}'
	expect_error 403 DELETE /api/tokens/1 "${H[@]}"
	expect_error 403 POST /api/providers/main/suspend "${H[@]}" "${J[@]}" -d '{"reason":"x"}'
	expect_error 403 DELETE /api/providers/main/suspend "${H[@]}"
done
c user list --json >"$tmp/u.json"
py 'assert "x1" not in [u["name"] for u in r["users"]], r' "$tmp/u.json"

# ---- an admin with a bearer token ----
[ "$(status POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"gina","role":"member","groups":["eng","ops"],"password":"gina-secret-1","emails":["Gina.Rossi@Example.COM","gina.rossi@example.com"]}')" = 201 ] ||
	fail "user add: $(cat "$tmp/body")"
py 'assert r == {"name": "gina", "role": "member", "tenant": "default", "groups": ["eng", "ops"], "emails": ["gina.rossi@example.com"], "password": True}, r' "$tmp/body"
c user list --json >"$tmp/u.json"
py 'g = [u for u in r["users"] if u["name"] == "gina"][0]; assert g["emails"] == ["gina.rossi@example.com"], g' "$tmp/u.json"
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"h2","emails":["not an address"]}'
expect_error 409 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"h3","emails":["gina.rossi@example.com"]}'
[ "$(status PATCH /api/users/gina "${A[@]}" "${J[@]}" -d '{"emails":["gina@example.com"]}')" = 200 ] ||
	fail "user set emails: $(cat "$tmp/body")"
py 'assert r["emails"] == ["gina@example.com"] and r["groups"] == ["eng", "ops"] and r["role"] == "member", r' "$tmp/body"
status GET /api/users "${A[@]}" >/dev/null
py 'g = [u for u in r["users"] if u["name"] == "gina"][0]; assert g["emails"] == ["gina@example.com"], g' "$tmp/body"
expect_error 409 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"gina"}'
[ "$(curl -s -o "$tmp/l" -w '%{http_code}' "${J[@]}" -d '{"user":"gina","password":"gina-secret-1"}' "$U/api/login")" = 200 ] ||
	fail "the new user cannot log in: $(cat "$tmp/l")"
status GET /api/groups "${A[@]}" >/dev/null
py 'assert {(g["name"], g["users"]) for g in r["groups"]} >= {("eng", 1), ("ops", 1)}, r' "$tmp/body"
[ "$(status POST /api/groups "${A[@]}" "${J[@]}" -d '{"name":"temp"}')" = 201 ] || fail "group add: $(cat "$tmp/body")"
expect_error 409 POST /api/groups "${A[@]}" "${J[@]}" -d '{"name":"temp"}'
[ "$(status DELETE /api/groups/temp "${A[@]}")" = 200 ] || fail "group rm: $(cat "$tmp/body")"
expect_error 404 DELETE /api/groups/temp "${A[@]}"
[ "$(status POST /api/tokens "${A[@]}" "${J[@]}" -d '{"user":"gina","label":"ci","days":30}')" = 201 ] ||
	fail "token create: $(cat "$tmp/body")"
py 'assert r["user"] == "gina" and r["label"] == "ci" and r["days"] == 30 and len(r["token"]) > 20 and r["id"] > 0, r' "$tmp/body"
TG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$tmp/body")
IG=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/body")
[ "$(status GET /api/me -H "Authorization: Bearer $TG")" = 200 ] || fail "the new token does not work: $(cat "$tmp/body")"
status GET /api/tokens "${A[@]}" >/dev/null
py "t = {x['id']: x for x in r['tokens']}; assert t[$IG]['user'] == 'gina' and not t[$IG]['revoked'] and 'token' not in t[$IG] and 'hash' not in t[$IG], r" "$tmp/body"
[ "$(status DELETE "/api/tokens/$IG" "${A[@]}")" = 200 ] || fail "token revoke: $(cat "$tmp/body")"
[ "$(status GET /api/me -H "Authorization: Bearer $TG")" = 401 ] || fail "a revoked token still works"
expect_error 404 DELETE /api/tokens/99999 "${A[@]}"
[ "$(status DELETE /api/users/gina "${A[@]}")" = 200 ] || fail "user rm: $(cat "$tmp/body")"
expect_error 404 DELETE /api/users/gina "${A[@]}"
expect_error 409 DELETE /api/users/alice "${A[@]}"

# ---- the kill-switch ----
[ "$(status POST /api/providers/main/suspend "${A[@]}" "${J[@]}" -d '{"reason":"key leaked"}')" = 200 ] ||
	fail "suspend: $(cat "$tmp/body")"
py 'assert r == {"name": "main", "suspended": "key leaked"}, r' "$tmp/body"
status GET /api/providers "${A[@]}" >/dev/null
py 'p = {x["name"]: x for x in r["providers"]}; assert p["main"]["suspended"] == "key leaked", r' "$tmp/body"
c provider list --json >"$tmp/p.json"
py 'p = {x["name"]: x for x in r}; assert p["main"]["suspended"] == "key leaked", r' "$tmp/p.json"
expect_error 404 POST /api/providers/nope/suspend "${A[@]}" "${J[@]}" -d '{"reason":"x"}'
[ "$(status DELETE /api/providers/main/suspend "${A[@]}")" = 200 ] || fail "resume: $(cat "$tmp/body")"
py 'assert r == {"name": "main", "suspended": None}, r' "$tmp/body"
c provider list --json >"$tmp/p.json"
py 'p = {x["name"]: x for x in r}; assert not p["main"].get("suspended"), r' "$tmp/p.json"

# ---- bad input: 400 JSON errors ----
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":'
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '[]'
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":""}'
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"h","nmae":"x"}'
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"h","password":"short"}'
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"h","role":"root"}'
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"h","groups":"eng"}'
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"bad name"}'
expect_error 400 POST /api/users "${A[@]}" "${J[@]}" -d '{"name":"h","name":"i"}'
expect_error 400 POST /api/groups "${A[@]}" "${J[@]}" -d '{"name":7}'
expect_error 400 POST /api/tokens "${A[@]}" "${J[@]}" -d '{"user":"frank","days":-1}'
expect_error 400 POST /api/tokens "${A[@]}" "${J[@]}" -d '{"label":"x"}'
expect_error 400 POST /api/providers/main/suspend "${A[@]}" "${J[@]}" -d '{"reason":"   "}'
expect_error 400 POST /api/providers/main/suspend "${A[@]}" "${J[@]}" -d '{}'
expect_error 400 DELETE /api/tokens/abc "${A[@]}"
expect_error 400 DELETE /api/tokens/0 "${A[@]}"
expect_error 415 POST /api/groups "${A[@]}" -H 'Content-Type: application/x-www-form-urlencoded' -d 'name=x'
c user list --json >"$tmp/u.json"
py 'assert not {"h", "i", "bad name"} & {u["name"] for u in r["users"]}, r' "$tmp/u.json"

# ---- tenants: ann administers acme only ----
[ "$(status POST /api/users "${N[@]}" "${J[@]}" -d '{"name":"hana","password":"hana-secret-1"}')" = 201 ] ||
	fail "ann adds a user: $(cat "$tmp/body")"
py 'assert r["tenant"] == "acme", r' "$tmp/body"
expect_error 403 POST /api/users "${N[@]}" "${J[@]}" -d '{"name":"ivan","tenant":"default"}'
expect_error 404 DELETE /api/users/frank "${N[@]}"
expect_error 404 POST /api/tokens "${N[@]}" "${J[@]}" -d '{"user":"frank"}'
[ "$(status POST /api/tokens "${N[@]}" "${J[@]}" -d '{"user":"hana"}')" = 201 ] || fail "ann's token: $(cat "$tmp/body")"
IH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/body")
status GET /api/tokens "${N[@]}" >/dev/null
py 'assert {t["user"] for t in r["tokens"]} == {"ann", "hana"}, r' "$tmp/body"
status GET /api/tokens "${A[@]}" >/dev/null
py 'assert not {"ann", "hana", "bob"} & {t["user"] for t in r["tokens"]}, r' "$tmp/body"
IF=$(c token list --json | python3 -c 'import json,sys; print([t["id"] for t in json.load(sys.stdin)["tokens"] if t["user"] == "frank"][0])')
expect_error 404 DELETE "/api/tokens/$IF" "${N[@]}"
expect_error 404 DELETE "/api/tokens/$IH" "${A[@]}"
expect_error 404 DELETE /api/users/hana "${A[@]}"
c group add shared >/dev/null
printf 'pw-ivy-123\n' | c user add ivy --group shared --password-stdin >/dev/null
expect_error 403 DELETE /api/groups/shared "${N[@]}"
c group list --json >"$tmp/g.json"
py 'assert "shared" in [g["name"] for g in r["groups"]], r' "$tmp/g.json"
printf 'pw-kai-123\n' | c user add kai --tenant acme --group acme-eng --group shared --password-stdin >/dev/null
status GET /api/groups "${N[@]}" >/dev/null
py 'assert sorted((g["name"], g["users"]) for g in r["groups"]) == [("acme-eng", 1), ("shared", 1)], r' "$tmp/body"
status GET /api/groups "${A[@]}" >/dev/null
py 'g = {x["name"]: x["users"] for x in r["groups"]}; assert g["shared"] == 2 and "acme-eng" in g and "eng" in g, r' "$tmp/body"
expect_error 403 POST /api/groups "${N[@]}" "${J[@]}" -d '{"name":"acme-ops"}'
expect_error 403 DELETE /api/groups/acme-eng "${N[@]}"
expect_error 403 POST /api/providers/main/suspend "${N[@]}" "${J[@]}" -d '{"reason":"x"}'
py 'assert "every tenant" in r["error"]["message"], r' "$tmp/body"
expect_error 403 DELETE /api/providers/main/suspend "${N[@]}"
c provider list --json >"$tmp/p.json"
py 'p = {x["name"]: x for x in r}; assert not p["main"].get("suspended"), r' "$tmp/p.json"
status GET /api/users "${N[@]}" >/dev/null
py 'assert sorted(u["name"] for u in r["users"]) == ["ann", "bob", "hana", "kai"], r' "$tmp/body"
[ "$(status GET /api/me -H "Authorization: Bearer $TF")" = 200 ] || fail "frank's token was revoked by ann"
c user list --json >"$tmp/u.json"
py 'assert {"frank", "hana", "bob", "ivy"} <= {u["name"] for u in r["users"]} and "ivan" not in {u["name"] for u in r["users"]}, r' "$tmp/u.json"

# ---- sessions: CSRF ----
curl -s -c "$tmp/jar" -o "$tmp/login" "${J[@]}" -d '{"user":"alice","password":"pw-alice"}' "$U/api/login"
CS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$tmp/login")
S=(-b "$tmp/jar")
expect_error 403 POST /api/users "${S[@]}" "${J[@]}" -d '{"name":"jon","password":"jon-secret-1"}'
expect_error 403 POST /api/groups "${S[@]}" "${J[@]}" -d '{"name":"nocsrf"}'
expect_error 403 POST /api/tokens "${S[@]}" "${J[@]}" -d '{"user":"frank"}'
expect_error 403 DELETE /api/users/frank "${S[@]}"
expect_error 403 DELETE "/api/tokens/$IF" "${S[@]}"
expect_error 403 POST /api/providers/main/suspend "${S[@]}" "${J[@]}" -d '{"reason":"x"}'
expect_error 403 DELETE /api/providers/main/suspend "${S[@]}" -H 'X-CSRF-Token: wrong'
c user list --json >"$tmp/u.json"
py 'assert "jon" not in {u["name"] for u in r["users"]} and "frank" in {u["name"] for u in r["users"]}, r' "$tmp/u.json"
[ "$(status GET /api/groups "${S[@]}")" = 200 ] || fail "GET with the cookie: $(cat "$tmp/body")"
[ "$(status POST /api/users "${S[@]}" -H "X-CSRF-Token: $CS" "${J[@]}" -d '{"name":"jon","password":"jon-secret-1"}')" = 201 ] ||
	fail "user add with the CSRF token: $(cat "$tmp/body")"
[ "$(status DELETE /api/users/jon "${S[@]}" -H "X-CSRF-Token: $CS")" = 200 ] || fail "user rm with the CSRF token: $(cat "$tmp/body")"

# ---- the agents' detail ----
status GET /api/agents/digest "${A[@]}" >/dev/null
py 'a = r["agent"]; assert a["name"] == "digest" and a["instructions"].startswith("Summarise") and a["tools"] == ["search"] and a["scopes"] == ["samples"] and a["schedule"] == "0 9 * * 1-5" and r["runs"] == [], r' "$tmp/body"
expect_error 404 GET /api/agents/nope "${A[@]}"

kill "$srv_pid"
wait "$srv_pid" 2>/dev/null || true
srv_pid=
c audit verify >"$tmp/v" || fail "the log does not verify after the server ran: $(cat "$tmp/v")"
c audit export >"$tmp/log.jsonl"
python3 - "$tmp/log.jsonl" "$IG" "$IH" <<'PY' || fail "audit records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ig, ih = int(sys.argv[2]), int(sys.argv[3])
def has(actor, action, pred=lambda d: True):
    return any(r["actor"] == actor and r["action"] == action and pred(r["detail"]) for r in recs)
assert has("user:alice", "user.add", lambda d: d["name"] == "gina" and d["groups"] == ["eng", "ops"] and d["password"] and d["tenant"] == "default" and d["via"].startswith("token:"))
assert has("user:alice", "group.add", lambda d: d["name"] == "temp")
assert has("user:alice", "group.rm", lambda d: d["name"] == "temp")
assert has("user:alice", "token.create", lambda d: d["id"] == ig and d["user"] == "gina" and d["label"] == "ci" and d["days"] == 30)
assert has("user:alice", "token.revoke", lambda d: d["id"] == ig and d["user"] == "gina")
assert has("user:alice", "user.rm", lambda d: d["name"] == "gina")
assert has("user:alice", "provider.suspend", lambda d: d["name"] == "main" and d["reason"] == "key leaked")
assert has("user:alice", "provider.resume", lambda d: d["name"] == "main")
assert has("user:ann", "user.add", lambda d: d["name"] == "hana" and d["user_tenant"] == "acme" and d["tenant"] == "acme")
assert has("user:ann", "token.create", lambda d: d["id"] == ih and d["user"] == "hana" and d["tenant"] == "acme")
assert has("user:alice", "user.add", lambda d: d["name"] == "jon" and d["via"] == "session")
assert has("user:alice", "user.rm", lambda d: d["name"] == "jon" and d["via"] == "session")
# nothing refused was recorded as done
assert not any(r["action"] == "user.add" and r["detail"]["name"] in ("x1", "ivan", "h") for r in recs)
assert not any(r["action"] == "group.add" and r["detail"]["name"] == "nocsrf" for r in recs)
print("records:", len(recs))
PY
echo "server_admin: ok"
