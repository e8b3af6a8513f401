#!/usr/bin/env bash
# analyze_code.sh — `cristal analyze code` and `report code` on a git
# repository written here, whose lines that must be flagged carry an
# "expect:RULE" marker (the markers are lower case, so they trigger no rule
# themselves) and whose look-alikes must not be (a placeholder password, a
# key read from the environment, subprocess without a shell, a
# parameterised query, a method named exec). The findings must be exactly
# the marked lines, with their line numbers, also past the first chunk of a
# long file; secrets are masked in every output; languages, modules (entry
# points, what they do), the root README's summary and the changes by month,
# author and area come out right; the report's HTML is self-contained with
# its charts.
source "$CR_SOURCE_DIR/tests/server/lib.sh"
command -v git >/dev/null || exit 77
R="$tmp/routeopt"
mkdir -p "$R/svc" "$R/web" "$R/gw"
cat >"$R/README.md" <<'EOF'
# Route optimizer

Plans delivery routes for the fleet and serves them to the drivers' app.
EOF
cat >"$R/svc/app.py" <<'EOF'
#!/usr/bin/env python3
"""Route optimizer service: plans delivery routes from the day's orders."""
import os
import subprocess

import requests

AWS_KEY = "AKIA2E0A8F3B244C9986"  # expect:aws-access-key
DB_PASSWORD = "tR7kq9Zp2vX4mW8s"  # expect:assigned-secret
ADMIN_PASSWORD = "changeme-example"
TOKEN = os.environ["ROUTE_TOKEN"]


def run(cmd):
    return subprocess.run(cmd, shell=True)  # expect:shell-exec


def listing():
    return subprocess.run(["ls", "-l"], check=True)


def fetch(url):
    return requests.get(url, verify=False)  # expect:tls-disabled


def find(db, name):
    return db.execute(f"SELECT * FROM drivers WHERE name = '{name}'")  # expect:sql-string


def find_safe(db, name):
    return db.execute("SELECT * FROM drivers WHERE name = ?", (name,))


# TODO: retry when the map service times out  expect:todo
if __name__ == "__main__":
    run("true")
EOF
{
	echo '/* gateway.c — the gateway between the drivers app and the planner. */'
	echo '#include <stdlib.h>'
	echo '#include <string.h>'
	echo ''
	echo 'static void copy_name(char *d, const char *s) { strcpy(d, s); } /* expect:unsafe-string */'
	echo ''
	echo 'static int table(int i)'
	echo '{'
	echo '	switch (i) {'
	for i in $(seq 1 120); do echo "	case $i: return $((i * 7)) + (int)sizeof(long);"; done
	echo '	}'
	echo '	return 0; /* FIXME: an unknown index is silently zero  expect:todo */'
	echo '}'
	echo ''
	echo 'int main(void)'
	echo '{'
	echo '	copy_name(NULL, NULL);'
	echo '	return system("service gateway restart") + table(3); /* expect:shell-exec */'
	echo '}'
} >"$R/gw/gateway.c"
cat >"$R/web/map.js" <<'EOF'
// map.js — draws the planned route on the drivers' map.
const https = require("https");
const agent = new https.Agent({ rejectUnauthorized: false }); // expect:tls-disabled
const GH = "ghp_Zq3Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9Zx1Cv3Bn5"; // expect:github-token
function show(expr) { return eval(expr); } // expect:code-eval
const re = /route/; re.exec("route");
module.exports = { show, agent, GH };
EOF
cd "$R"
git init -q .
g() { GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" GIT_AUTHOR_DATE="$3" GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$2" GIT_COMMITTER_DATE="$3" git commit -q -m "$4"; }
git add README.md svc && g "Aiko Tanaka" aiko@example.com "2026-01-15T10:00:00Z" "planner service"
git add web && g "Ben Carter" ben@example.com "2026-02-03T10:00:00Z" "route map"
git add gw && g "Aiko Tanaka" aiko@example.com "2026-02-20T10:00:00Z" "gateway"
echo "// second pass" >>web/map.js && echo "# second pass" >>svc/app.py
git add -A && g "Aiko Tanaka" aiko@example.com "2026-02-21T10:00:00Z" "second pass on map and service"
cd - >/dev/null
c init >/dev/null
c ingest "$R" >/dev/null
c analyze code routeopt --json >"$tmp/code.json" || fail "analyze code"
python3 - "$tmp/code.json" "$R" <<'PY' || fail "analyze code: $(head -c 3000 "$tmp/code.json")"
import json, os, re, sys
r = json.load(open(sys.argv[1]))
root = sys.argv[2]
want = set()
for dp, _, fs in os.walk(root):
    if ".git" in dp:
        continue
    for f in fs:
        rel = os.path.relpath(os.path.join(dp, f), os.path.dirname(root))
        for i, line in enumerate(open(os.path.join(dp, f)), 1):
            for m in re.finditer(r"expect:([a-z-]+)", line):
                want.add((rel, i, m.group(1)))
got = set()
for f in r["findings"]:
    rule = "todo" if f["kind"] == "todo" else f["rule"]
    got.add((f["doc"], f["line"], rule))
tp = len(want & got)
print("findings: %d expected, %d found, precision %.2f, recall %.2f" % (len(want), len(got), tp / max(1, len(got)), tp / max(1, len(want))))
assert got == want, {"missed": sorted(want - got), "extra": sorted(got - want)}
text = json.dumps(r)
for secret in ("AKIA2E0A8F3B244C9986", "tR7kq9Zp2vX4mW8s", "ghp_Zq3Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9Zx1Cv3Bn5"):
    assert secret not in text, "unmasked: " + secret
assert all("masked" in f["text"] for f in r["findings"] if f["kind"] == "secret"), r["findings"]
langs = {l["lang"]: l for l in r["languages"]}
assert set(langs) == {"python", "c", "javascript"}, langs
assert langs["c"]["lines"] == sum(1 for _ in open(os.path.join(root, "gw/gateway.c"))) and langs["c"]["files"] == 1, langs["c"]
assert langs["python"]["lines"] == sum(1 for _ in open(os.path.join(root, "svc/app.py"))), langs["python"]
assert r["files"] == 3 and r["summary"].startswith("Plans delivery routes"), r
mods = {m["path"]: m for m in r["modules"]}
assert set(mods) == {"gw", "svc", "web"}, mods
assert mods["svc"]["summary"].startswith("Route optimizer service: plans delivery routes"), mods["svc"]
assert mods["gw"]["summary"] == "gateway.c — the gateway between the drivers app and the planner.", mods["gw"]
assert mods["svc"]["entry_points"] == ["routeopt/svc/app.py"] and mods["gw"]["entry_points"] == ["routeopt/gw/gateway.c"], mods
assert "find_safe" in mods["svc"]["symbols"], mods["svc"]
churn = {(c["month"], c["author"], c["area"]): c["commits"] for c in r["churn"]}
assert r["commits"] == 4, r["commits"]
assert churn == {("2026-01", "Aiko Tanaka", "."): 1, ("2026-01", "Aiko Tanaka", "svc"): 1,
                 ("2026-02", "Ben Carter", "web"): 1, ("2026-02", "Aiko Tanaka", "gw"): 1,
                 ("2026-02", "Aiko Tanaka", "web"): 1, ("2026-02", "Aiko Tanaka", "svc"): 1}, churn
PY
c analyze code routeopt >"$tmp/code.md"
grep -q "^## Likely secrets" "$tmp/code.md" && ! grep -q "tR7kq9Zp2vX4mW8s" "$tmp/code.md" || fail "text report: $(cat "$tmp/code.md")"
c report code routeopt --out "$tmp/rep" >"$tmp/paths"
[ "$(wc -l <"$tmp/paths")" = 2 ] || fail "report paths: $(cat "$tmp/paths")"
python3 - "$tmp/rep/code-report.html" <<'PY' || fail "report html"
import sys
h = open(sys.argv[1]).read()
assert h.count("<svg") == 3 and "Lines by language" in h and "Findings by rule" in h, h[:500]
assert "<script" not in h and "http://" not in h.replace("http://www.w3.org/2000/svg", ""), "not self-contained"
assert "AKIA2E0A8F3B244C9986" not in h and "AKIA" in h, "secret"
PY
if c analyze code nothing/here >/dev/null 2>"$tmp/err"; then fail "no code under a prefix passed"; fi
grep -q "no code under" "$tmp/err" || fail "$(cat "$tmp/err")"
echo ok
