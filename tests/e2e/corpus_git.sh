#!/usr/bin/env bash
# corpus_git.sh — a git repository is ingested as its tracked files at HEAD
# (untracked files left out) plus its commit log as documents
# "<repo>@<sha>"; a new commit and an edited file are picked up
# incrementally, and a file removed from the repository leaves the index.
set -euo pipefail
: "${CR_BIN:?}"
command -v git >/dev/null || { echo "git not installed: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/cr_e2e_git.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
D="$tmp/data"
c() { "$CR_BIN" --data "$D" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
R="$tmp/proj"
mkdir -p "$R/src"
cd "$R"
git init -q
git config user.email dev@example.com
git config user.name "Ann Dev"
echo "int frobnicate(void) { return 42; }" >src/frob.c
echo "# The platypus project" >README.md
echo "untracked wombat notes" >notes.txt
git add src/frob.c README.md
git commit -qm "Add the frobnicator for the platypus"
cd "$tmp"

docs() { c search --json -k 10 "$1" | python3 -c 'import json,sys; print(" ".join(r["doc"] for r in json.load(sys.stdin)["results"]))'; }
c ingest --json "$R" >"$tmp/a.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["ingested"] == 3 and r["rejected"] == 0, r' "$tmp/a.json" \
	|| fail "first ingest: $(cat "$tmp/a.json")"
has() { case " $(docs "$1") " in *" $2 "*) return 0;; esac; return 1; }
has "return 42" proj/src/frob.c || fail "tracked file: $(docs "return 42")"
[ -z "$(docs wombat)" ] || fail "untracked file was ingested"
sha=$(git -C "$R" rev-parse HEAD)
has "add frobnicator platypus" "proj@$sha" || fail "commit document: $(docs frobnicator)"

echo "int frobnicate(void) { return 43; }" >"$R/src/frob.c"
git -C "$R" commit -qam "Change the answer to fortythree"
c ingest --json "$R" >"$tmp/b.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["updated"] == 1 and r["ingested"] == 1 and r["unchanged"] == 2, r' "$tmp/b.json" \
	|| fail "incremental: $(cat "$tmp/b.json")"
sha2=$(git -C "$R" rev-parse HEAD)
[ "$(docs fortythree)" = "proj@$sha2" ] || fail "new commit: $(docs fortythree)"
has "return 43" proj/src/frob.c || fail "edited file"

git -C "$R" rm -q README.md
git -C "$R" commit -qm "Drop the readme"
c ingest --json "$R" >"$tmp/c.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["deleted"] == 1, r' "$tmp/c.json" || fail "removal: $(cat "$tmp/c.json")"
has "platypus project" proj/README.md && fail "removed file still found"
echo "ok"
