#!/bin/sh
# install-deps.sh — every package Cristal needs to build, test and benchmark,
# from Debian 12's archive (and the npm registry for the llama.cpp oracle).
# Idempotent: installs only what is missing.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev git
libsodium-dev libssl-dev libsqlite3-dev libjansson-dev libutf8proc-dev libstemmer-dev
libmecab-dev mecab-ipadic-utf8 libxml2-dev libzip-dev libpoppler-glib-dev
libgmime-3.0-dev libuchardet-dev libcmocka-dev libcurl4-openssl-dev
libmicrohttpd-dev libxapian-dev python3 procps python3-hnswlib python3-numpy
curl wrk chromium fonts-ipafont-gothic
zlib1g-dev libbz2-dev liblzma-dev"
# fonts-ipafont-gothic: Japanese glyphs for headless Chromium's screenshots of reports.
# Node.js and npm run the llama.cpp oracle; a machine that already has them
# (e.g. from NodeSource, whose nodejs conflicts with Debian's npm) keeps its own.
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

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

# The llama.cpp oracle (tests and benchmarks of the inference engine):
# node-llama-cpp ships llama.cpp's prebuilt libraries. Installed into
# tools/oracle/node_modules (not committed); skipped quietly when the npm
# registry cannot be reached, and the tests that need it then say so.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$here/tools/oracle/package.json" ] && [ ! -d "$here/tools/oracle/node_modules/node-llama-cpp" ]; then
	(cd "$here/tools/oracle" && npm install --omit=optional --no-audit --no-fund >/dev/null 2>&1) ||
		echo "install-deps: npm install of the llama.cpp oracle failed; oracle tests will be skipped"
fi
# The server's test clients (tests/node: the openai client, playwright-core
# for headless Chromium), installed into tests/node/node_modules the same way.
if [ -f "$here/tests/node/package.json" ] && [ ! -d "$here/tests/node/node_modules/openai" ]; then
	(cd "$here/tests/node" && npm install --no-audit --no-fund >/dev/null 2>&1) ||
		echo "install-deps: npm install of the server's test clients failed; those tests will be skipped"
fi
exit 0
