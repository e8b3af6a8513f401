#!/usr/bin/env bash
# server_upload.sh — POST /api/documents and DELETE /api/documents/{id}, and
# the jail uploads are extracted in. The worker, tried from inside its
# jail, can open no file, make no socket and fork no process, and exec
# kills it; inside and outside the jail it extracts every sample file to
# the same bytes. Through the server: a private upload is found by its
# owner only, a tenant one by the tenant, a group one needs membership;
# the same bytes again are unchanged, new bytes an update; bad names
# (traversal, hidden, separators), an empty body, a body over
# server.max_upload (refused before it is read) and no token are refused;
# a corrupt file is 422 with the extractor's reason and not kept; a
# classification is applied. A worker that crashes (a stand-in program,
# server.extract_worker) is a 422 and the server goes on, and the worker
# never sees the server's environment (provider keys). Deleting: only an
# owner or an admin, only uploads (409 for documents from disk), and the
# document and its file are gone. Uploads and deletions are audited.
source "$CR_SOURCE_DIR/tests/server/lib.sh"

# the jail, from inside
probe=$(CRISTAL_PROBE_SECRET=1 "$CR_BIN" extract-worker --probe | cat)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert all(r[k] == "denied" for k in ("open_read","open_write","socket","fork")), r' "$probe" ||
	fail "the jail lets something through: $probe"
rc=0
bash -c '"$0" extract-worker --probe-exec </dev/null >/dev/null 2>&1' "$CR_BIN" 2>/dev/null || rc=$?
[ "$rc" = 159 ] || fail "exec in the jail: exit $rc, wanted 159 (SIGSYS)"
# the jail changes nothing extracted
n=0
while IFS= read -r f; do
	a=$("$CR_BIN" extract-worker -- "$(basename "$f")" <"$f" | sha256sum)
	b=$("$CR_BIN" extract-worker --no-sandbox -- "$(basename "$f")" <"$f" | sha256sum)
	[ "$a" = "$b" ] || fail "$f extracts differently in the jail"
	n=$((n + 1))
done < <(find "$CR_SOURCE_DIR/samples" -type f | sort)
[ "$n" -ge 30 ] || fail "only $n sample files"

c init >/dev/null
c group add eng >/dev/null
c user add alice --role admin --group eng >/dev/null
c user add bob >/dev/null
c user add carol --tenant acme >/dev/null 2>&1 || { c tenant add acme >/dev/null; c user add carol --tenant acme >/dev/null; }
TA=$(c token create --user alice | tail -1)
TB=$(c token create --user bob | tail -1)
TC=$(c token create --user carol | tail -1)
printf '[server]\nmax_upload = 65536\n' >"$tmp/c.toml"
CRISTAL_PROBE_SECRET=leak OPENAI_API_KEY=sk-secret-key "$CR_BIN" --config "$tmp/c.toml" --data "$D" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv_pid=$!
for _ in $(seq 100); do grep -q 'http://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
U=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -1)
[ -n "$U" ] || fail "the server did not start"
up() { # up TOKEN QUERY FILE: prints the status, the reply in $tmp/body
	curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $1" --data-binary "@$3" "$U/api/documents?$2"
}
found() { # found TOKEN WORD: the documents a search finds
	curl -sf -H "Authorization: Bearer $1" "$U/api/search?q=$2" | python3 -c 'import json,sys; print(" ".join(r["doc"] for r in json.load(sys.stdin)["results"]))'
}
printf '# Zanzibar plan\n\nThe Zanzibar rollout starts in May.\n' >"$tmp/plan.md"
[ "$(up "$TA" name=plan.md "$tmp/plan.md")" = 201 ] || fail "upload: $(cat "$tmp/body")"
py 'd = r["document"]; assert r["status"] == "added" and d["name"] == "uploads-user-alice/plan.md" and d["chunks"] == 1 and d["share"] == "private", r' "$tmp/body"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["document"]["id"])' "$tmp/body")
[ "$(found "$TA" Zanzibar)" = "uploads-user-alice/plan.md" ] || fail "alice does not find her upload"
[ -z "$(found "$TB" Zanzibar)" ] || fail "bob finds alice's private upload"
[ "$(up "$TA" name=plan.md "$tmp/plan.md")" = 200 ] && py 'assert r["status"] == "unchanged", r' "$tmp/body" || fail "same bytes: $(cat "$tmp/body")"
printf '# Zanzibar plan\n\nThe Zanzibar rollout starts in June.\n' >"$tmp/plan.md"
[ "$(up "$TA" name=plan.md "$tmp/plan.md")" = 200 ] && py 'assert r["status"] == "updated", r' "$tmp/body" || fail "new bytes: $(cat "$tmp/body")"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["document"]["id"])' "$tmp/body")
curl -sf -H "Authorization: Bearer $TA" "$U/api/search?q=June" | grep -q plan.md || fail "the update is not searchable"

printf 'Quetzal budget: 12 million yen.\n' >"$tmp/budget.txt"
[ "$(up "$TB" 'name=budget.txt&share=tenant' "$tmp/budget.txt")" = 201 ] || fail "tenant upload: $(cat "$tmp/body")"
[ "$(found "$TA" Quetzal)" = "uploads-tenant-default/budget.txt" ] || fail "alice misses the tenant's upload"
[ -z "$(found "$TC" Quetzal)" ] || fail "carol of acme finds the default tenant's upload"
printf 'Xylophone design review notes.\n' >"$tmp/review.txt"
[ "$(up "$TB" 'name=review.txt&share=group:eng' "$tmp/review.txt")" = 403 ] || fail "bob shared with a group he is not in"
[ "$(up "$TA" 'name=review.txt&share=group:eng&classification=confidential' "$tmp/review.txt")" = 201 ] || fail "group upload: $(cat "$tmp/body")"
py 'assert r["document"]["classification"] == "confidential", r' "$tmp/body"
[ -z "$(found "$TB" Xylophone)" ] || fail "bob finds the eng group's upload"
[ "$(found "$TA" Xylophone)" = "uploads-group-eng/review.txt" ] || fail "alice misses the eng group's upload"

# refused
for q in 'name=..%2Fescape.md' 'name=.hidden.md' 'name=a%2Fb.md' 'name=a%5Cb.md' 'name=' 'share=everyone&name=x.md' 'name=x.md&classification=top'; do
	[ "$(up "$TA" "$q" "$tmp/plan.md")" = 400 ] || fail "$q: $(cat "$tmp/body")"
done
: >"$tmp/empty"
[ "$(up "$TA" name=empty.md "$tmp/empty")" = 400 ] || fail "an empty body"
head -c 70000 /dev/urandom >"$tmp/big.bin"
[ "$(up "$TA" name=big.txt "$tmp/big.bin")" = 413 ] || fail "over max_upload: $(cat "$tmp/body")"
[ "$(up not-a-token name=x.md "$tmp/plan.md")" = 401 ] || fail "no token"
printf '%%PDF-1.7\n1 0 obj << /Type /Catalog' >"$tmp/broken.pdf"
[ "$(up "$TA" name=broken.pdf "$tmp/broken.pdf")" = 422 ] || fail "a corrupt PDF: $(cat "$tmp/body")"
py 'assert r["error"]["code"] == "unprocessable_entity" and "broken.pdf" in r["error"]["message"], r' "$tmp/body"
[ ! -e "$D/uploads/default/uploads-user-alice/broken.pdf" ] || fail "the corrupt file was kept"
find "$D/uploads" -name 'escape.md' | grep -q . && fail "a traversal wrote a file"

# deleting
[ "$(status DELETE "/api/documents/$ID" -H "Authorization: Bearer $TB")" = 404 ] || fail "bob deletes alice's private upload"
BID=$(curl -sf -H "Authorization: Bearer $TB" "$U/api/search?q=Quetzal" >/dev/null; c search --json Quetzal | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["doc"])')
[ "$BID" = "uploads-tenant-default/budget.txt" ] || fail "budget: $BID"
[ "$(status DELETE "/api/documents/$ID" -H "Authorization: Bearer $TA")" = 200 ] || fail "alice deletes her upload: $(cat "$tmp/body")"
[ -z "$(found "$TA" Zanzibar)" ] || fail "the deleted upload is still found"
[ ! -e "$D/uploads/default/uploads-user-alice/plan.md" ] || fail "the deleted upload's file is kept"
[ "$(status DELETE "/api/documents/$ID" -H "Authorization: Bearer $TA")" = 404 ] || fail "deleted twice"
mkdir -p "$tmp/disk" && printf 'Wombat inventory.\n' >"$tmp/disk/w.txt" && c ingest "$tmp/disk" >/dev/null
WID=$(curl -sf -H "Authorization: Bearer $TA" "$U/api/documents" | python3 -c 'import json,sys; print([d["id"] for d in json.load(sys.stdin)["documents"] if d["name"] == "disk/w.txt"][0])')
[ "$(status DELETE "/api/documents/$WID" -H "Authorization: Bearer $TA")" = 409 ] || fail "a document from disk: $(cat "$tmp/body")"

c audit export --out "$tmp/audit.jsonl" >/dev/null 2>&1
python3 - "$tmp/audit.jsonl" <<'PY' || fail "audit"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ups = [r for r in recs if r["action"] == "upload"]
assert any(r["actor"] == "user:alice" and r["detail"]["doc"] == "uploads-user-alice/plan.md" for r in ups), ups
assert any("rejected" in r["detail"] for r in ups), ups
dels = [r for r in recs if r["action"] == "delete"]
assert len(dels) == 1 and dels[0]["detail"]["doc"] == "uploads-user-alice/plan.md", dels
PY

# a worker that crashes: the server answers 422 and goes on; the worker
# saw none of the server's environment
kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true; srv_pid=
cat >"$tmp/crash-worker" <<EOF
#!/bin/sh
env >"$tmp/worker.env"
kill -SEGV \$\$
EOF
chmod +x "$tmp/crash-worker"
printf '[server]\nextract_worker = "%s"\n' "$tmp/crash-worker" >"$tmp/c2.toml"
CRISTAL_PROBE_SECRET=leak OPENAI_API_KEY=sk-secret-key "$CR_BIN" --config "$tmp/c2.toml" --data "$D" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv_pid=$!
for _ in $(seq 100); do grep -q 'http://' "$tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
U=$(grep -o 'http://[0-9.:]*' "$tmp/serve.out" | head -1)
[ "$(up "$TA" name=crash.md "$tmp/plan.md")" = 422 ] || fail "a crashing worker: $(cat "$tmp/body")"
grep -q "signal 11" "$tmp/body" || fail "the crash is not named: $(cat "$tmp/body")"
[ "$(status GET /healthz)" = 200 ] || fail "the server went down with its worker"
[ -s "$tmp/worker.env" ] || fail "the stand-in worker did not run"
grep -q 'sk-secret-key\|CRISTAL_PROBE_SECRET' "$tmp/worker.env" && fail "the worker saw the server's environment: $(cat "$tmp/worker.env")"
echo ok
