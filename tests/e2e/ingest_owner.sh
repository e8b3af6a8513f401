#!/usr/bin/env bash
# ingest_owner.sh — `ingest --acl-from-owner`: each file is readable by the
# catalog user and group named as its POSIX owner and group (here nobody and
# nogroup); a file whose owner and group name no catalog user or group
# (root's) is open to the tenant; the option is refused with --acl.
# Needs root to give files away (skipped otherwise).
source "$CR_SOURCE_DIR/tests/server/lib.sh"
[ "$(id -u)" = 0 ] || { echo "skipped: needs root to chown test files"; exit 77; }
getent passwd nobody >/dev/null && getent group nogroup >/dev/null || { echo "skipped: no nobody/nogroup"; exit 77; }
c init >/dev/null
c group add nogroup >/dev/null
c user add nobody >/dev/null
c user add tanaka >/dev/null
c user add sato --group nogroup >/dev/null
mkdir -p "$tmp/share"
echo "The Pelican budget is 3 million yen." >"$tmp/share/pelican.md"
echo "The cafeteria opens at eight." >"$tmp/share/cafeteria.md"
chown nobody:nogroup "$tmp/share/pelican.md"
chown root:root "$tmp/share/cafeteria.md"
if c ingest --acl-from-owner --acl group:nogroup "$tmp/share" >/dev/null 2>"$tmp/err"; then fail "--acl-from-owner with --acl"; fi
c ingest --acl-from-owner "$tmp/share" >/dev/null || fail "ingest --acl-from-owner"
hits() { c search --json --as "$1" "$2" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))'; }
[ "$(hits nobody Pelican)" = 1 ] || fail "the owner does not find its file"
[ "$(hits sato Pelican)" = 1 ] || fail "a member of the file's group does not find it"
[ "$(hits tanaka Pelican)" = 0 ] || fail "neither owner nor in the group, tanaka finds it"
[ "$(hits tanaka cafeteria)" = 1 ] || fail "a file of no catalog owner or group is not open to the tenant"
echo ok
