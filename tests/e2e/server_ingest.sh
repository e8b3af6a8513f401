#!/usr/bin/env bash
# server_ingest.sh — GET /api/ingest: per source root the kind, the
# documents and chunks the caller may read, when it was first and last
# ingested, and (admins only) the rejected files with their reasons:
# - a member counts exactly the documents /api/documents lists for it (the
#   same ACL rule), and a root all of whose documents are another user's is
#   not even named; another tenant sees none of the default tenant's roots;
# - an admin counts its tenant's documents (a private document too), sees
#   the roots' paths and the rejected files with their reasons; a member
#   gets neither;
# - an upload's folder appears for its uploader and its tenant's admin, not
#   for another member; a re-ingest moves "ingested" on, not "added";
# - no token is 401, an auditor 403; the metrics carry the uploads gauge.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
make_data
pw() { printf '%s\n' "$2" | c user add "$1" "${@:3}" --password-stdin >/dev/null; }
pw alice pw-alice --role admin
pw frank pw-frank
pw bob pw-bob
pw carol pw-carol --role auditor
pw ann pw-ann --role admin --tenant acme
TA=$(c token create --user alice | tail -1)
TF=$(c token create --user frank | tail -1)
TB=$(c token create --user bob | tail -1)
TC=$(c token create --user carol | tail -1)
TN=$(c token create --user ann | tail -1)
# frank's private folder, with a file no extractor can read
mkdir -p "$tmp/franks"
printf '# Frank notes\n\nThe Wombat project ships in March.\n' >"$tmp/franks/notes.md"
printf '%%PDF-1.7\nthis is not a PDF at all\n' >"$tmp/franks/broken.pdf"
c ingest "$tmp/franks" --acl user:frank >/dev/null 2>&1 || fail "ingest franks"
start_server --threads 4
get() { # get TOKEN FILE: GET /api/ingest as TOKEN into FILE (status checked)
	local s
	s=$(curl -s -o "$2" -w '%{http_code}' -H "Authorization: Bearer $1" "$U/api/ingest")
	[ "$s" = 200 ] || fail "GET /api/ingest: $s $(head -c 300 "$2")"
}
docs() { # docs TOKEN: how many documents /api/documents lists
	curl -sf -H "Authorization: Bearer $1" "$U/api/documents?limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["documents"]))'
}
now=$(date +%s)

get "$TF" "$tmp/f.json"
py "
names = sorted(s['name'] for s in r['sources'])
assert names == ['franks', 'samples'], names
tot = sum(s['documents'] for s in r['sources'])
assert tot == $(docs "$TF"), (tot, $(docs "$TF"))
for s in r['sources']:
    assert 'root' not in s and 'rejected' not in s, s
    assert s['chunks'] >= s['documents'] > 0, s
    assert abs(s['ingested'] - $now) < 600 and s['added'] <= s['ingested'], s
f = [s for s in r['sources'] if s['name'] == 'franks'][0]
assert f['kind'] == 'folder' and f['documents'] == 1, f
assert r['running'] == {'uploads': 0, 'files': []}, r['running']
" "$tmp/f.json"

get "$TB" "$tmp/b.json"
py "
names = [s['name'] for s in r['sources']]
assert names == ['samples'], names
assert r['sources'][0]['documents'] == $(docs "$TB"), r
" "$tmp/b.json"

get "$TA" "$tmp/a.json"
py "
by = {s['name']: s for s in r['sources']}
f = by['franks']
assert f['documents'] == 1 and f['root'].endswith('/franks'), f
rej = f['rejected']
assert rej['count'] == 1 and rej['files'][0]['name'].endswith('broken.pdf') and rej['files'][0]['reason'], rej
assert by['samples']['documents'] >= $(docs "$TB"), by['samples']
" "$tmp/a.json"

get "$TN" "$tmp/n.json"
py 'assert r["sources"] == [], r' "$tmp/n.json"

# an upload's folder: its uploader and its tenant's admin see it, not another member
printf 'Numbat quarterly figures.\n' >"$tmp/q.txt"
[ "$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TN" --data-binary "@$tmp/q.txt" "$U/api/documents?name=q.txt")" = 201 ] ||
	fail "upload: $(cat "$tmp/body")"
get "$TN" "$tmp/n.json"
py '
s = r["sources"]
assert [x["name"] for x in s] == ["uploads-user-ann"] and s[0]["documents"] == 1 and s[0]["rejected"]["count"] == 0, s
' "$tmp/n.json"
get "$TA" "$tmp/a2.json"
py 'assert "uploads-user-ann" not in [s["name"] for s in r["sources"]], r' "$tmp/a2.json"

# a re-ingest moves "ingested", not "added"
before=$(python3 -c 'import json,sys; s=[x for x in json.load(open(sys.argv[1]))["sources"] if x["name"]=="franks"][0]; print(s["added"], s["ingested"])' "$tmp/a.json")
sleep 1.1
c ingest "$tmp/franks" --acl user:frank >/dev/null 2>&1 || fail "re-ingest"
get "$TA" "$tmp/a3.json"
py "
s = [x for x in r['sources'] if x['name'] == 'franks'][0]
added, ingested = map(int, '$before'.split())
assert s['added'] == added and s['ingested'] > ingested, (s, added, ingested)
" "$tmp/a3.json"

expect_error 401 GET /api/ingest
expect_error 403 GET /api/ingest -H "Authorization: Bearer $TC"
curl -sf "$U/metrics" >"$tmp/metrics" || fail "metrics"
grep -q '^cristal_ingest_uploads_running 0$' "$tmp/metrics" || fail "no uploads gauge in /metrics"
echo "server_ingest: ok"
