#!/usr/bin/env bash
# cli_options.sh — every command's options are checked at once by one parser:
# a value that is not a finite number inside the option's range (nan, inf,
# "abc", "5x", --top-p 2, --threads 0 or 100000) ends with exit status 2 and
# one line naming the option, before any file is read or model loaded;
# `cristal help`, `--version` and a suggestion for a mistyped command.
set -uo pipefail
: "${CR_BIN:?}"
tmp=$(mktemp -d /tmp/cr_e2e_opts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
# expect STATUS PATTERN ARGS...: the exit status and a line of stderr.
expect() {
	local want=$1 pat=$2
	shift 2
	local t0=$SECONDS
	timeout 20 "$CR_BIN" --data "$tmp/data" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL [$*]: status $got, wanted $want: $(head -c 300 "$tmp/err")"
		fail=1
	elif [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/err" "$tmp/out"; then
		echo "FAIL [$*]: no '$pat' in: $(head -c 300 "$tmp/err")"
		fail=1
	elif [ $((SECONDS - t0)) -gt 5 ]; then
		echo "FAIL [$*]: took $((SECONDS - t0)) s to refuse"
		fail=1
	fi
}
M="$tmp/no-such-model.gguf"
for bad in nan NaN inf -inf abc 5x "" 0x10 1e999; do
	expect 2 "--temp" generate --model "$M" --prompt hi --temp "$bad"
done
expect 2 "--top-p" generate --model "$M" --prompt hi --top-p 2
expect 2 "--top-p" generate --model "$M" --prompt hi --top-p -0.1
expect 2 "--min-p" generate --model "$M" --prompt hi --min-p 5
expect 2 "--top-k" generate --model "$M" --prompt hi --top-k -5
expect 2 "-n" generate --model "$M" --prompt hi -n abc
expect 2 "-n" generate --model "$M" --prompt hi -n 12abc
expect 2 "--threads" generate --model "$M" --prompt hi --threads 0
expect 2 "--threads" generate --model "$M" --prompt hi --threads 100000
expect 2 "--threads" generate --model "$M" --prompt hi --threads -1
expect 2 "--seed" generate --model "$M" --prompt hi --seed -3
expect 2 "--ctx" generate --model "$M" --prompt hi --ctx 0
expect 2 "--timeout" generate --model "$M" --prompt hi --timeout nan
expect 2 "--repeat-penalty" generate --model "$M" --prompt hi --repeat-penalty inf
expect 2 "--threads" bench-model --model "$M" --threads 0
expect 2 "-r" bench-model --model "$M" -r 0
expect 2 "--threads" embed --model "$M" --threads abc hello
expect 2 "--threads" ingest --threads 0 "$tmp"
expect 2 "--threads" ingest --threads 99999999999 "$tmp"
expect 2 "-k" search -k abc hello
expect 2 "-k" search -k 0 hello
expect 2 "-k" ask -k nan hello
expect 2 "-k" shell -k -1
expect 2 "-k" eval ask -k 1000 --questions /dev/null
expect 2 "--price-in" provider add p --kind local --model m --price-in nan
expect 2 "--timeout" provider test p --timeout abc
expect 2 "-k" analyze -k x meetings
expect 2 "--threads" serve --threads 0
expect 2 "--max-body" serve --max-body 12abc
expect 2 "--threads" index vectors --model m --threads 0
expect 2 "--ef" bench-vectors --ef nan
expect 2 "--model" generate --prompt hi
expect 2 "" search --no-such-option x
expect 2 "" init extra-argument
# a good value still passes the parser: the failure is then the model (1)
expect 1 "" generate --model "$M" --prompt hi --temp 0.7 --top-p 1 --min-p 0 --top-k 0 -n 5 --threads 1

# help, version, suggestions
expect 0 "" --version
grep -Eq '^cristal [0-9]+\.[0-9]+' "$tmp/out" || { echo "FAIL --version: $(cat "$tmp/out")"; fail=1; }
expect 0 "" help
grep -q "search" "$tmp/out" || { echo "FAIL help lists no commands"; fail=1; }
expect 0 "" help search
grep -q "usage: cristal" "$tmp/out" || { echo "FAIL help search: $(cat "$tmp/out")"; fail=1; }
expect 2 "did you mean 'search'" serch hello
expect 2 "did you mean 'ingest'" ingset x
expect 2 "did you mean 'generate'" genrate
expect 2 "unknown command 'zzzzzz'" zzzzzz
grep -q "did you mean" "$tmp/err" && { echo "FAIL a suggestion for zzzzzz"; fail=1; }
expect 2 "did you mean 'show'" help shwo
[ $fail = 0 ] && echo ok
exit $fail
