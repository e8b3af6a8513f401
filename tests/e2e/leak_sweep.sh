#!/usr/bin/env bash
# leak_sweep.sh — governance's permission sweep (tests/e2e/leak_sweep.py):
# 12 random users in 3 tenants and 5 groups, 60 documents with random ACLs
# and classifications, every retrieval path asked by every user (REST,
# OpenAI-compatible, MCP, the command line's --as); zero leaks allowed.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_leaks.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
python3 "$CR_SOURCE_DIR/tests/e2e/leak_sweep.py" "$CR_BIN" "$tmp"
