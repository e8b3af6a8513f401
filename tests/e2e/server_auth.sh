#!/usr/bin/env bash
# server_auth.sh — users and tokens: with no users, serve refuses a
# non-loopback address and says why; `cristal user add` and `cristal token
# create` (the token alone on the last line) turn authentication on: API
# routes answer 401 (with WWW-Authenticate) without a token or with a
# malformed, unknown, revoked or expired one, and with a valid one run as
# its user: /api/me says who, and a user of another tenant sees none of the
# default tenant's documents (search, ask, documents, nor an id in the
# paging cursor). Probes and the UI stay open. Passwords are stored as argon2id strings, tokens as SHA-256.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
if "$CR_BIN" --data "$D" serve --listen 0.0.0.0:0 >"$tmp/o" 2>"$tmp/e"; then fail "served beyond loopback with no users"; fi
grep -q "loopback" "$tmp/e" || fail "no reason given: $(cat "$tmp/e")"

c user add alice --role admin --group eng --group ops >/dev/null
printf 'correct horse\n' | c user add bob --tenant acme --password-stdin >/dev/null
if c user add alice >/dev/null 2>&1; then fail "a second alice"; fi
if c user add 'bad name' >/dev/null 2>&1; then fail "a name with a space"; fi
if c user add carol --role boss >/dev/null 2>&1; then fail "an unknown role"; fi
c user list --json >"$tmp/users.json"
py 'assert [(u["name"], u["role"], u["tenant"], u["groups"], u["password"]) for u in r["users"]] == [("alice", "admin", "default", ["eng", "ops"], False), ("bob", "member", "acme", [], True)], r' "$tmp/users.json"
sqlite3 "$D/catalog.db" "SELECT pw_hash FROM users WHERE name = 'bob'" 2>/dev/null | grep -q '^\$argon2id\$' ||
	python3 -c 'import sqlite3,sys; h=sqlite3.connect(sys.argv[1]).execute("SELECT pw_hash FROM users WHERE name=?",("bob",)).fetchone()[0]; assert h.startswith("$argon2id$"), h' "$D/catalog.db" ||
	fail "the password is not an argon2id hash"

c token create --user alice --label ci >"$tmp/ta"
TA=$(tail -1 "$tmp/ta")
[[ "$TA" =~ ^cr_[A-Za-z0-9_-]{43}$ ]] || fail "token create's last line is not the token: $(cat "$tmp/ta")"
TB=$(c token create --user bob | tail -1)
TE=$(c token create --user alice --expires 1 | tail -1)
python3 - "$D/catalog.db" "$TA" <<'PY' || fail "the token is stored in clear"
import hashlib, sqlite3, sys
rows = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT hash FROM tokens")]
assert sys.argv[2] not in rows and hashlib.sha256(sys.argv[2].encode()).hexdigest() in rows, rows
PY
if c token create --user nobody >/dev/null 2>&1; then fail "a token for no user"; fi

start_server --threads 2
grep -q "2 users" "$tmp/serve.out" || fail "serve does not say auth is on: $(cat "$tmp/serve.out")"
auth() { echo "Authorization: Bearer $1"; }
expect_error 401 GET '/api/search?q=leave'
grep -qi '^www-authenticate: bearer' <(curl -s -D - -o /dev/null "$U/api/search?q=leave") || fail "no WWW-Authenticate"
expect_error 401 GET /v1/models
expect_error 401 POST /api/ask "${J[@]}" -d '{"question": "leave?"}'
expect_error 401 GET /api/me -H "$(auth not-a-token)"
expect_error 401 GET /api/me -H "$(auth cr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA)"
expect_error 401 GET /api/me -H "Authorization: Basic YWxpY2U6eA=="
# open without a token: probes, the OpenAPI document, the UI
for p in /healthz /readyz /metrics /api/openapi.json /; do [ "$(status GET "$p")" = 200 ] || fail "$p needs a token"; done

# alice: the default tenant, everything
curl -sf -H "$(auth "$TA")" "$U/api/me" >"$tmp/me.json" || fail "me"
py 'assert r["user"] == "alice" and r["role"] == "admin" and r["tenant"] == 0 and len(r["groups"]) == 2, r' "$tmp/me.json"
curl -sf -H "$(auth "$TA")" "$U/api/search?q=annual+leave" >"$tmp/s.json" || fail "search as alice"
py 'assert r["results"], r' "$tmp/s.json"
curl -sf -H "$(auth "$TA")" "${J[@]}" -d '{"question": "How many days of annual leave do employees get?"}' "$U/api/ask" >"$tmp/a.json"
py 'assert r["found"] and r["citations"], r' "$tmp/a.json"
# the OpenAI client's way: the token as the API key
curl -sf -H "$(auth "$TA")" "$U/v1/models" | grep -q cristal-rag || fail "models as alice"

# the web UI asks for a token and then works (headless Chromium, when present)
if command -v node >/dev/null && [ -x "${CR_CHROMIUM:-/usr/bin/chromium}" ] &&
	[ -d "$CR_SOURCE_DIR/tests/node/node_modules/playwright-core" ]; then
	node "$CR_SOURCE_DIR/tests/node/web_login.mjs" "$U" "$TA" >"$tmp/login.out" 2>&1 || fail "web login: $(cat "$tmp/login.out")"
fi

# bob: tenant acme sees none of the default tenant's documents
curl -sf -H "$(auth "$TB")" "$U/api/search?q=annual+leave" >"$tmp/sb.json" || fail "search as bob"
py 'assert r["results"] == [], r' "$tmp/sb.json"
curl -sf -H "$(auth "$TB")" "${J[@]}" -d '{"question": "How many days of annual leave do employees get?"}' "$U/api/ask" >"$tmp/ab.json"
py 'assert not r["found"] and not r["citations"] and not r["retrieval"], r' "$tmp/ab.json"
curl -sf -H "$(auth "$TB")" "$U/api/documents?limit=1000" >"$tmp/db.json" || fail "documents as bob"
py 'assert r["documents"] == [] and r["next"] is None, r' "$tmp/db.json"
# a short page gives no cursor either: the id of a document bob may not read
# must not leak through "next"
curl -sf -H "$(auth "$TB")" "$U/api/documents?limit=1" >"$tmp/db1.json" || fail "documents page as bob"
py 'assert r["documents"] == [] and r["next"] is None, r' "$tmp/db1.json"
expect_error 404 GET /api/documents/samples/docs/employee-handbook.md -H "$(auth "$TB")"

# revoked and expired tokens stop working at once
id=$(c token list --json | python3 -c 'import json,sys; print([t["id"] for t in json.load(sys.stdin)["tokens"] if t["label"] == "ci"][0])')
c token revoke "$id" >/dev/null
expect_error 401 GET /api/me -H "$(auth "$TA")"
grep -q revoked "$tmp/body" || fail "no reason: $(cat "$tmp/body")"
python3 -c 'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute("UPDATE tokens SET expires = 1 WHERE expires > 0"); db.commit()' "$D/catalog.db"
expect_error 401 GET /api/me -H "$(auth "$TE")"
grep -q expired "$tmp/body" || fail "no reason: $(cat "$tmp/body")"
# a removed user's tokens go with it
c user rm bob >/dev/null
expect_error 401 GET /api/me -H "$(auth "$TB")"
c token list --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["tokens"]; assert all(x["user"] != "bob" for x in t), t' ||
	fail "bob's tokens are left"
echo "server_auth: ok"
