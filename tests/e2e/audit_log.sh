#!/usr/bin/env bash
# audit_log.sh — the tamper-evident audit log end to end: commands that read
# or change documents are recorded (ingest, search with its chunk ids, ask
# with retrieved and cited chunk ids, show, provider changes), the log
# verifies live and exported, and each kind of tampering is caught and named:
# an edited field, a deleted record, two records swapped, a record inserted
# (with a correct hash of its own), the tail rewritten with fresh hashes (in
# the file, and in the catalog with its seals dropped), the end cut off, and
# the wrong public key. tests/e2e/audit_tamper.py does the tampering, with
# its own implementation of the record hash (audit.h states the format).
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_audit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
T="python3 $CR_SOURCE_DIR/tests/e2e/audit_tamper.py"

c init >/dev/null
c ingest "$CR_SOURCE_DIR/samples" >/dev/null
c search -k 3 kestrel budget >/dev/null
c search --json -k 2 servo supply >"$tmp/search.json"
c ask "What is the travel budget?" >/dev/null
c ask --json "Who approved the servo order?" >"$tmp/ask.json"
c audit export >/dev/null # the export is recorded too

[ -f "$D/audit.key" ] || fail "no signing key was created"
[ "$(stat -c %a "$D/audit.key")" = 600 ] || fail "the key is not mode 600"
c audit verify >"$tmp/v" || fail "fresh log does not verify: $(cat "$tmp/v")"
grep -q "^intact: .* (trusted key)" "$tmp/v" || fail "verify output: $(cat "$tmp/v")"

c audit export --out "$tmp/log.jsonl" 2>/dev/null
c audit verify "$tmp/log.jsonl" >"$tmp/v" || fail "export does not verify: $(cat "$tmp/v")"

# What was recorded: actions, the searched chunks as printed, the answer's chunks.
$T check "$tmp/log.jsonl" "$tmp/search.json" "$tmp/ask.json" || fail "records do not match what was shown"

# Each kind of tampering of the exported file, caught and named.
expect_bad() { # name file pattern
	if c audit verify "$2" >"$tmp/v" 2>&1; then fail "$1 not caught"; fi
	grep -q "NOT INTACT" "$tmp/v" || fail "$1: $(cat "$tmp/v")"
	grep -Eq "$3" "$tmp/v" || fail "$1: wrong reason: $(cat "$tmp/v")"
	echo "caught $1: $(cat "$tmp/v")"
}
for kind in edit delete swap insert rewrite drop-seals; do
	$T "$kind" "$tmp/log.jsonl" "$tmp/$kind.jsonl"
done
expect_bad "an edited field" "$tmp/edit.jsonl" "record 3: its hash does not match"
expect_bad "a deleted record" "$tmp/delete.jsonl" "record 4 missing before record 5"
expect_bad "two records swapped" "$tmp/swap.jsonl" "missing before record 4|comes after"
expect_bad "an inserted record" "$tmp/insert.jsonl" "record (4|5).*(prev|missing|comes after)"
expect_bad "a tail rewritten with fresh hashes" "$tmp/rewrite.jsonl" "signature of head .* does not verify|not the one signed"
expect_bad "a tail rewritten without its seals" "$tmp/drop-seals.jsonl" "not the one signed in the checkpoint"

# A wrong public key: the seals are not the trusted key's.
python3 -c "print('ab' * 32)" >"$tmp/other.pub"
if c audit verify --key "$tmp/other.pub" "$tmp/log.jsonl" >"$tmp/v" 2>&1; then fail "wrong key accepted"; fi
grep -Eq "another key|does not verify with the trusted key" "$tmp/v" || fail "wrong key: $(cat "$tmp/v")"

# The live log in the catalog: an edit, then a cut-off end, then a rewrite
# with fresh hashes and no seals; each caught by `audit verify`.
cp "$D/catalog.db" "$tmp/good.db"
$T db-edit "$D/catalog.db"
if c audit verify >"$tmp/v"; then fail "edited catalog not caught"; fi
grep -q "its hash does not match" "$tmp/v" || fail "db edit: $(cat "$tmp/v")"
cp "$tmp/good.db" "$D/catalog.db"
$T db-truncate "$D/catalog.db"
if c audit verify >"$tmp/v"; then fail "a cut-off log not caught"; fi
grep -q "records were deleted from the end" "$tmp/v" || fail "db truncate: $(cat "$tmp/v")"
cp "$tmp/good.db" "$D/catalog.db"
$T db-rewrite "$D/catalog.db"
if c audit verify >"$tmp/v"; then fail "a rewritten catalog log not caught"; fi
grep -Eq "not the one signed|deleted from the end" "$tmp/v" || fail "db rewrite: $(cat "$tmp/v")"
cp "$tmp/good.db" "$D/catalog.db"
c audit verify >/dev/null || fail "restored catalog does not verify"

# Refusals: an unusable --since, and a key readable by others.
if c audit export --since yesterday >/dev/null 2>"$tmp/err"; then fail "--since yesterday accepted"; fi
chmod 644 "$D/audit.key"
if c search kestrel >/dev/null 2>"$tmp/err"; then fail "search ran with an exposed key"; fi
grep -q "readable by others" "$tmp/err" || fail "exposed key: $(cat "$tmp/err")"
echo "audit_log: ok"
