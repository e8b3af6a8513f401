#!/usr/bin/env bash
# install_layout.sh — `make install`'s rules (cmake --install, which the
# Makefile runs with PREFIX and DESTDIR) into a temporary DESTDIR: the
# program, /etc/cristal/cristal.toml (kept when an operator changed it), the
# example, the manual page, the documents and the systemd units with the
# installed paths filled in, for PREFIX /usr/local and /usr. The units pass
# `systemd-analyze verify` without a word and `systemd-analyze security
# --offline` rates the server's sandbox below 2.5 (where systemd-analyze
# exists); the installed program runs with the installed configuration.
set -euo pipefail
: "${CR_BIN:?}" "${CR_SOURCE_DIR:?}" "${CR_BUILD_DIR:?}"
command -v cmake >/dev/null || exit 77
tmp=$(mktemp -d /tmp/cr_e2e_install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
R="$tmp/root"
inst() { DESTDIR="$R" cmake --install "$CR_BUILD_DIR" --prefix "$1" >"$tmp/inst.log" 2>&1 || fail "install: $(cat "$tmp/inst.log")"; }

inst /usr/local
for f in usr/local/bin/cristal etc/cristal/cristal.toml usr/local/share/doc/cristal/examples/cristal.toml \
	usr/local/share/doc/cristal/README.md usr/local/share/doc/cristal/CONFIG.md \
	usr/local/share/doc/cristal/ARCHITECTURE.md usr/local/share/man/man1/cristal.1 \
	usr/local/lib/systemd/system/cristal.service usr/local/lib/systemd/system/cristal-agent-run-due.service \
	usr/local/lib/systemd/system/cristal-agent-run-due.timer; do
	[ -f "$R/$f" ] || fail "not installed: /$f"
done
[ -x "$R/usr/local/bin/cristal" ] || fail "the program is not executable"
"$R/usr/local/bin/cristal" --version | grep -q '^cristal ' || fail "the installed program does not run"
cmp -s "$R/etc/cristal/cristal.toml" "$CR_SOURCE_DIR/dist/cristal.toml" || fail "the configuration is not the example"
[ "$(stat -c %a "$R/etc/cristal/cristal.toml")" = 644 ] || fail "configuration mode $(stat -c %a "$R/etc/cristal/cristal.toml")"
# nothing outside PREFIX but /etc/cristal
extra=$(cd "$R" && find . -type f | grep -v '^\./usr/local/' | grep -v '^\./etc/cristal/' || true)
[ -z "$extra" ] || fail "installed outside PREFIX and /etc/cristal: $extra"

# the units name the installed program and configuration, run as cristal, sandboxed
U="$R/usr/local/lib/systemd/system"
grep -qx 'ExecStart=/usr/local/bin/cristal --config /etc/cristal/cristal.toml serve' "$U/cristal.service" ||
	fail "ExecStart: $(grep ExecStart "$U/cristal.service")"
grep -qx 'ExecStart=/usr/local/bin/cristal --config /etc/cristal/cristal.toml agent run-due' \
	"$U/cristal-agent-run-due.service" || fail "run-due ExecStart"
for k in User=cristal StateDirectory=cristal NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
	ProtectHome=yes PrivateDevices=yes 'SystemCallFilter=@system-service'; do
	grep -qx "$k" "$U/cristal.service" || fail "cristal.service lacks $k"
	grep -qx "$k" "$U/cristal-agent-run-due.service" || fail "cristal-agent-run-due.service lacks $k"
done
! grep -v '^SystemCallFilter' "$U/cristal.service" | grep -q '@[A-Z]*@' || fail "an unfilled @VARIABLE@ in the unit"
grep -qx 'OnCalendar=\*:\*:00' "$U/cristal-agent-run-due.timer" || fail "timer schedule"

# the installed program reads the installed configuration (its data.dir overridden)
"$R/usr/local/bin/cristal" --config "$R/etc/cristal/cristal.toml" --data "$tmp/data" init >/dev/null ||
	fail "the installed program refuses the installed configuration"
man_ok=1
if command -v man >/dev/null; then
	man -l "$R/usr/local/share/man/man1/cristal.1" 2>/dev/null | grep -q 'SYNOPSIS' || man_ok=0
fi
[ $man_ok = 1 ] || fail "the manual page does not render"

# an operator's configuration is kept by a second install
echo '# changed' >>"$R/etc/cristal/cristal.toml"
inst /usr/local
tail -1 "$R/etc/cristal/cristal.toml" | grep -q '# changed' || fail "a second install overwrote the configuration"

# systemd's own checks, on copies whose ExecStart points into DESTDIR
if command -v systemd-analyze >/dev/null; then
	V="$tmp/units"
	mkdir -p "$V"
	for f in "$U"/*; do
		sed "s|/usr/local/bin/cristal|$R/usr/local/bin/cristal|" "$f" >"$V/$(basename "$f")"
	done
	MANPATH="$R/usr/local/share/man" systemd-analyze verify "$V"/* >"$tmp/verify" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$tmp/verify")"
	[ ! -s "$tmp/verify" ] || fail "systemd-analyze verify said: $(cat "$tmp/verify")"
	if systemd-analyze security --offline=true "$V/cristal.service" >"$tmp/sec" 2>&1; then
		level=$(grep -o 'Overall exposure level for cristal.service: [0-9.]*' "$tmp/sec" | awk '{print $NF}')
		[ -n "$level" ] || fail "no exposure level: $(tail -3 "$tmp/sec")"
		awk -v l="$level" 'BEGIN { exit !(l < 2.5) }' || fail "cristal.service exposure $level (want < 2.5)"
		echo "install_layout: cristal.service exposure $level"
	fi
fi

# PREFIX=/usr: Debian's own layout
rm -rf "$R"
inst /usr
for f in usr/bin/cristal etc/cristal/cristal.toml usr/share/man/man1/cristal.1 usr/share/doc/cristal/CONFIG.md \
	usr/lib/systemd/system/cristal.service usr/lib/systemd/system/cristal-agent-run-due.timer; do
	[ -f "$R/$f" ] || fail "PREFIX=/usr: not installed: /$f"
done
grep -qx 'ExecStart=/usr/bin/cristal --config /etc/cristal/cristal.toml serve' "$R/usr/lib/systemd/system/cristal.service" ||
	fail "PREFIX=/usr: ExecStart"
echo "install_layout: ok"
