#!/usr/bin/env bash
# cli_output.sh — what the CLI prints for locations: a chat message's time is
# the time of day (00:30 prints as 00:30:00, not "30:00"), a transcript's is
# an offset into the recording (m:ss).
set -euo pipefail
: "${CR_BIN:?}"
tmp=$(mktemp -d /tmp/cr_e2e_output.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
c() { "$CR_BIN" --data "$tmp/data" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

x="$tmp/export"
mkdir -p "$x/night"
echo '[{"id":"U1","name":"aki","real_name":"Aki Mori"}]' >"$x/users.json"
echo '[{"id":"C1","name":"night","created":1767225600}]' >"$x/channels.json"
# 2026-01-01 00:30:00 UTC (both messages land in one chunk, located at the first)
echo '[{"type":"message","user":"U1","text":"the midnight deploy of zephyrine finished","ts":"1767227400.000100"},
 {"type":"message","user":"U1","text":"afternoon check of quillwort passed","ts":"1767272709.000200"}]' >"$x/night/2026-01-01.json"
printf 'WEBVTT\n\n00:00:05.000 --> 00:00:09.000\n<v Ken>we discuss the marzipan budget\n' >"$tmp/meet.vtt"
printf 'WEBVTT\n\n01:02:03.000 --> 01:02:08.000\n<v Ken>and close on the tamarind plan\n' >"$tmp/long.vtt"
c init >/dev/null
c ingest "$x" "$tmp/meet.vtt" "$tmp/long.vtt" >/dev/null
c search zephyrine >"$tmp/out"
grep -q "at 00:30:00" "$tmp/out" || fail "chat time at 00:30: $(cat "$tmp/out")"
c search marzipan | grep -q "at 0:05" || fail "transcript offset 0:05: $(c search marzipan)"
c search tamarind | grep -q "at 1:02:03" || fail "transcript offset 1:02:03"
echo ok
