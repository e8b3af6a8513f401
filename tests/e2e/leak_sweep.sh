#!/usr/bin/env bash
# leak_sweep.sh — governance's permission sweep (tests/e2e/leak_sweep.py):
# 12 random users in 3 tenants and 5 groups, most with an e-mail address,
# 60 documents with random ACLs and classifications, 30 from mail (messages
# with attachments and an mbox, ingest --acl-from-mail) and 9 chat channel
# days (--acl-from-chat) read by their addressees and members, every
# retrieval path asked by every user (REST, OpenAI-compatible, MCP, the
# command line's --as); zero leaks allowed.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_leaks.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
python3 "$CR_SOURCE_DIR/tests/e2e/leak_sweep.py" "$CR_BIN" "$tmp"
