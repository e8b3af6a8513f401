#!/usr/bin/env bash
# shell_edit.sh — the shell at a terminal (a pseudo-terminal here): "help"
# lists what it takes, a line is edited (Left arrow, insert), Up arrow recalls
# the previous line and Enter runs it again, and the history is kept for the
# next session.
set -euo pipefail
: "${CR_BIN:?}"
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_shell.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/docs"
echo "The okapi lives in the forest." >"$tmp/docs/okapi.txt"
echo "The narwhal lives in the sea." >"$tmp/docs/narwhal.txt"
"$CR_BIN" --data "$tmp/data" init >/dev/null
"$CR_BIN" --data "$tmp/data" ingest "$tmp/docs" >/dev/null 2>&1
python3 - "$CR_BIN" "$tmp/data" <<'PY'
import os, pty, select, sys, time

def session(keys):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], [sys.argv[1], "--data", sys.argv[2], "shell"])
    out = b""
    def read_for(sec):
        nonlocal out
        end = time.time() + sec
        while time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    return False
                if not chunk:
                    return False
                out += chunk
        return True
    read_for(1.0)
    for k in keys:
        os.write(fd, k)
        read_for(0.7)
    os.write(fd, b"quit\r")
    read_for(1.0)
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")

# help; a search; Up + Enter runs it again; an edited line: "narwal" + Left Left + "h"
out = session([b"help\r", b"okapi\r", b"\x1b[A\r", b"narwal\x1b[D\x1b[Dh\r"])
assert "a question ending in ?" in out, out
assert out.count("okapi.txt") >= 2, "Up arrow did not recall the search:\n" + out
assert "narwhal.txt" in out, "line editing failed:\n" + out
# the next session has the history: Up recalls its last line before quit
out2 = session([b"\x1b[A\r"])
assert "narwhal.txt" in out2, "history not kept between sessions:\n" + out2
print("ok")
PY
