#!/usr/bin/env bash
# ingest_mail_acl.sh — ACLs from mail and chat (ingest --acl-from-mail,
# --acl-from-chat) and ACL changes without extraction:
#   - a message and its attachment are found only by the users whose
#     address is in its From, To, Cc or Bcc (display names, encoded words,
#     group syntax, case), never by a user of another tenant with such an
#     address, and by a user given the address later without re-ingesting;
#   - each message of an mbox by its own readers; the mbox's table of
#     contents (every subject) by nobody;
#   - a chat channel's days by its members (by users.json's profile.email),
#     a private channel's (groups.json) and a DM's (dms.json) by theirs only,
#     a folder no listing names by nobody;
#   - re-ingesting the unchanged files with other options (--acl, dropping
#     --acl-from-mail, --tenant) updates every ACL with zero extractions
#     ("extracted": 0, "acl_updated"), and search follows at once;
#   - a bad --email is refused, an address held by another user too.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
c init >/dev/null
c group add legal >/dev/null
c tenant add acme >/dev/null
c user add mei --email 'MEI@Example.com' >/dev/null
c user add ken >/dev/null
c user add boss --email boss@example.com --email b.oss@example.org >/dev/null
c user add ana --group legal >/dev/null
c user add eve --tenant acme --email eve@example.com >/dev/null

M="$tmp/mail"
mkdir -p "$M"
cat >"$M/plan.eml" <<'EML'
From: =?UTF-8?B?5qKF?= <mei@EXAMPLE.com>
To: Launch team: "Ken, K." <ken@example.com>, eve@example.com;
Cc: <>, not-an-address, "x@y" <>
Bcc: Boss <BOSS@example.com>
Subject: kestrel launch plan
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

The kestrel launch moves to the marmalade week.
--b
Content-Type: text/plain; name="budget.txt"
Content-Disposition: attachment; filename="budget.txt"

The zeppelin budget is forty million yen.
--b--
EML
cat >"$M/box.mbox" <<'MBOX'
From mei@example.com Mon Mar  2 09:00:00 2026
From: mei@example.com
To: ken@example.com
Subject: quokka rota

The quokka rota starts on Monday.

From boss@example.com Mon Mar  2 10:00:00 2026
From: boss@example.com
To: other@example.net
Subject: narwhal appraisal

The narwhal appraisal is confidential to the board.
MBOX
S="$tmp/slack"
mkdir -p "$S/general" "$S/secret-room" "$S/D42" "$S/ghost"
cat >"$S/users.json" <<'JSON'
[{"id":"U1","name":"mei","profile":{"real_name":"Mei","email":"Mei@Example.com"}},
 {"id":"U2","name":"ken","profile":{"real_name":"Ken","email":"ken@example.com"}},
 {"id":"U3","name":"boss","profile":{"real_name":"Boss","email":"boss@example.com"}},
 {"id":"U4","name":"nomail","profile":{"real_name":"No Mail"}}]
JSON
echo '[{"id":"C1","name":"general","members":["U1","U2","U3","U4"]}]' >"$S/channels.json"
echo '[{"id":"G1","name":"secret-room","members":["U3","U9"]}]' >"$S/groups.json"
echo '[{"id":"D42","members":["U1","U2"]}]' >"$S/dms.json"
echo '[{"type":"message","user":"U1","text":"the pelican picnic is on friday","ts":"1772442000.000100"}]' >"$S/general/2026-03-02.json"
echo '[{"type":"message","user":"U3","text":"the ocelot merger closes in may","ts":"1772442000.000100"}]' >"$S/secret-room/2026-03-02.json"
echo '[{"type":"message","user":"U2","text":"lunch at the walrus cafe?","ts":"1772442000.000100"}]' >"$S/D42/2026-03-02.json"
# a folder no listing names: its members are unknown, so nobody reads it
echo '[{"type":"message","user":"U2","text":"the gecko budget leaked","ts":"1772442000.000100"}]' >"$S/ghost/2026-03-02.json"

hits() { c search --json --as "$1" "$2" | python3 -c 'import json,sys; print(" ".join(sorted(r["doc"] for r in json.load(sys.stdin)["results"])) or "-")'; }
expect() { # user query want
	local got
	got=$(hits "$1" "$2")
	[ "$got" = "$3" ] || fail "$1 searching '$2': got '$got', want '$3'"
}
c ingest --json --acl-from-mail "$M" >"$tmp/i.json"
py 'assert r["ingested"] == 2 and r["extracted"] == 2, r' "$tmp/i.json"
c ingest --json --acl-from-chat "$S" >"$tmp/i.json"
py 'assert r["ingested"] == 4, r' "$tmp/i.json"

# mail: the message and its attachment
expect mei marmalade mail/plan.eml
expect mei zeppelin "mail/plan.eml#att/budget.txt"
expect boss zeppelin "mail/plan.eml#att/budget.txt" # Bcc
expect ken marmalade - # no address yet
expect ana marmalade -
expect eve marmalade - # her address is there, but she is of tenant acme
# an address given later opens the old mail, without re-ingesting
c user email ken KEN@example.com >/dev/null
expect ken marmalade mail/plan.eml
expect ken zeppelin "mail/plan.eml#att/budget.txt"
# mbox: each message by its own readers; the table of contents by nobody
expect ken quokka "mail/box.mbox#1"
expect boss quokka -
expect boss narwhal "mail/box.mbox#2"
expect mei narwhal -
expect ken narwhal -
# chat: channel members by address
expect ken pelican "slack/general/2026-03-02.json"
expect ana pelican -
expect boss ocelot "slack/secret-room/2026-03-02.json"
expect mei ocelot -
expect mei walrus "slack/D42/2026-03-02.json"
expect boss walrus -
for u in mei ken boss ana; do expect $u gecko -; done

# a reader's document shows its groups, not its readers' principals (a Bcc would show)
c show --json mail/plan.eml >"$tmp/d.json"
py 'assert r["acl"]["groups"] == [], r["acl"]' "$tmp/d.json"

# the same files, other options: ACLs updated from the catalog, nothing extracted
c ingest --json --acl-from-mail --acl group:legal "$M" >"$tmp/i.json"
py 'assert r["updated"] == 2 and r["acl_updated"] == 2 and r["extracted"] == 0, r' "$tmp/i.json"
# (the table of contents is legal's now: it lists every subject)
expect ana narwhal "mail/box.mbox mail/box.mbox#2"
expect ana quokka "mail/box.mbox mail/box.mbox#1"
expect mei narwhal -
expect mei marmalade mail/plan.eml
c ingest --json --acl-from-mail --acl group:legal "$M" >"$tmp/i.json"
py 'assert r["unchanged"] == 2 and r["extracted"] == 0, r' "$tmp/i.json"
# without --acl-from-mail: open to the tenant again
c ingest --json "$M" >"$tmp/i.json"
py 'assert r["acl_updated"] == 2 and r["extracted"] == 0, r' "$tmp/i.json"
expect mei narwhal "mail/box.mbox mail/box.mbox#2"
expect eve narwhal -
# to another tenant: eve (acme) reads what names her, mei (default) nothing
c ingest --json --acl-from-mail --tenant acme "$M" >"$tmp/i.json"
py 'assert r["acl_updated"] == 2 and r["extracted"] == 0, r' "$tmp/i.json"
expect eve marmalade mail/plan.eml
expect mei marmalade -
expect eve narwhal -
# chat: a new member reads the channel after the next ingest, nothing extracted
echo '[{"id":"G1","name":"secret-room","members":["U3","U1"]}]' >"$S/groups.json"
c ingest --json --acl-from-chat "$S" >"$tmp/i.json"
py 'assert r["acl_updated"] == 1 and r["extracted"] == 0, r' "$tmp/i.json"
expect mei ocelot "slack/secret-room/2026-03-02.json"
# the index holds exactly the catalog's chunks after all that
c stats --json >"$tmp/s.json"
py 'assert r["index"]["live"] == r["chunks"], r' "$tmp/s.json"

# bad addresses are refused
if c user add zed --email 'zed at example' >/dev/null 2>"$tmp/e"; then fail "a bad --email was accepted"; fi
grep -q "not an e-mail address" "$tmp/e" || fail "no reason: $(cat "$tmp/e")"
if c user email ana mei@example.com >/dev/null 2>"$tmp/e"; then fail "mei's address given to ana too"; fi
grep -q "another user" "$tmp/e" || fail "no reason: $(cat "$tmp/e")"
c user list --json >"$tmp/u.json"
py 'u = {x["name"]: x for x in r["users"]}; assert u["boss"]["emails"] == ["boss@example.com", "b.oss@example.org"] or sorted(u["boss"]["emails"]) == ["b.oss@example.org", "boss@example.com"], u; assert u["ana"]["emails"] == [], u' "$tmp/u.json"
echo "ok: mail and chat readers decide who finds a message or a channel; ACL changes need no extraction"
