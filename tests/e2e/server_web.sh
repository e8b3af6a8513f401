#!/usr/bin/env bash
# server_web.sh — the web UI served by `cristal serve`, end to end in
# headless Chromium (tests/node/web_ui.mjs with playwright-core): ask, click
# a citation and see the passage highlighted, search with a filter, the
# sources list, English and Japanese. Screenshots are kept in
# $CR_BUILD_DIR/web-screenshots/. Also over curl: the UI's files come with
# their content types and a Content-Security-Policy.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
command -v node >/dev/null || exit 77
[ -x "${CR_CHROMIUM:-/usr/bin/chromium}" ] || { echo "chromium missing (scripts/install-deps.sh)"; exit 77; }
[ -d "$CR_SOURCE_DIR/tests/node/node_modules/playwright-core" ] || { echo "playwright-core missing (scripts/install-deps.sh)"; exit 77; }
make_data
start_server --threads 2
for f in / /app.js /app.css /i18n.js /favicon.svg; do
	curl -sf -D "$tmp/h" -o /dev/null "$U$f" || fail "GET $f"
	grep -qi '^content-security-policy: default-src' "$tmp/h" || fail "$f: no CSP"
done
curl -sfI "$U/app.js" | grep -qi '^content-type: text/javascript' || fail "app.js content type"
curl -sfI "$U/" | grep -qi '^content-type: text/html' || fail "index content type"
out="${CR_BUILD_DIR:-$tmp}/web-screenshots"
mkdir -p "$out"
node "$CR_SOURCE_DIR/tests/node/web_ui.mjs" "$U" "$out" >"$tmp/web.out" 2>&1 || fail "web ui: $(cat "$tmp/web.out")"
grep -q "web ui: ok" "$tmp/web.out" || fail "web ui: $(cat "$tmp/web.out")"
for s in chat passage search ja phone; do [ -s "$out/$s.png" ] || fail "no screenshot $s.png"; done
echo "server_web: ok (screenshots in $out)"
