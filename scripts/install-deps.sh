#!/bin/sh
# install-deps.sh — the Debian 12 packages Cristal needs.
#   scripts/install-deps.sh          what building and running the product needs
#                                    (make run)
#   scripts/install-deps.sh --test   that, plus the test, fuzz and benchmark tools:
#                                    cmocka, clang, Node.js and the npm packages of
#                                    tools/oracle and tests/node (make test)
# Idempotent: installs only what is missing. Never modifies tracked files
# (npm installs from the committed lock files).
set -eu

test_tools=0
for a in "$@"; do
	case "$a" in
	--test) test_tools=1 ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "install-deps: unknown option $a (see --help)" >&2; exit 2 ;;
	esac
done

PKGS="build-essential cmake pkg-config git
libsodium-dev libssl-dev libsqlite3-dev libjansson-dev libutf8proc-dev libstemmer-dev
libmecab-dev mecab-ipadic-utf8 libxml2-dev libzip-dev libpoppler-glib-dev
libgmime-3.0-dev libuchardet-dev libcurl4-openssl-dev libmicrohttpd-dev
zlib1g-dev libbz2-dev liblzma-dev libedit-dev libseccomp-dev
tzdata edict"
# edict: the Japanese-English word list (/usr/share/edict/edict) that lets answers cross
# between Japanese and English without a model (src/text/lexicon.c).
# tzdata: /usr/share/zoneinfo, read by agent schedules (src/agent/tz.c) and time.zone.
if [ $test_tools = 1 ]; then
	PKGS="$PKGS clang libclang-rt-14-dev libcmocka-dev libxapian-dev python3 procps python3-hnswlib python3-numpy
curl wrk chromium fonts-ipafont-gothic libopenblas0-pthread openssl"
	# libopenblas0-pthread: numpy's BLAS for the exact neighbours of scripts/bench-vectors.sh.
	# fonts-ipafont-gothic: Japanese glyphs for headless Chromium's screenshots of reports.
	# Node.js and npm run the llama.cpp oracle and the tests under tests/node; a
	# machine that already has them (e.g. from NodeSource, whose nodejs
	# conflicts with Debian's npm) keeps its own.
	command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
	command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	$SUDO apt-get update -qq || true
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
[ $test_tools = 1 ] || exit 0

# npm packages for tests, each into its folder's node_modules (not committed),
# from the committed lock file when there is one (npm ci leaves it as it is);
# skipped quietly when the npm registry cannot be reached, and the tests that
# need them then say so.
#  - tools/oracle: node-llama-cpp ships llama.cpp's prebuilt libraries (tests and
#    benchmarks of the inference engine);
#  - tests/node: the server's test clients (the openai client, playwright-core
#    for headless Chromium), with their optional packages.
here=$(cd "$(dirname "$0")/.." && pwd)
npm_dir() {
	d="$here/$1"
	omit="$2"
	[ -f "$d/package.json" ] || return 0
	[ -d "$d/node_modules" ] && [ -z "$(find "$d/package.json" -newer "$d/node_modules" 2>/dev/null)" ] && return 0
	{ [ -f "$d/package-lock.json" ] && (cd "$d" && npm ci $omit --no-audit --no-fund >/dev/null 2>&1); } ||
		(cd "$d" && npm install --no-save --no-package-lock $omit --no-audit --no-fund >/dev/null 2>&1) ||
		echo "install-deps: npm install in $1 failed; the tests that need it will be skipped"
}
[ -d "$here/tools/oracle/node_modules/node-llama-cpp" ] || npm_dir tools/oracle --omit=optional
[ -d "$here/tests/node/node_modules/openai" ] || npm_dir tests/node ""
exit 0
