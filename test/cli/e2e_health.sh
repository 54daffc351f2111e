#!/usr/bin/env bash
# End-to-end: start formationd on a free loopback port (port 0, learned from its
# "formationd listening on http://127.0.0.1:PORT" line), run `form health` against it in
# both output formats, then stop it with SIGTERM by PID and expect exit status 0.
#
# usage: e2e_health.sh FORMATIOND FORM PLUGIN_DIR
set -euo pipefail

formationd=$1
form=$2
plugin_dir=$3

tmp=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$tmp/stdout" "$tmp/stderr"; do
    [[ -s $f ]] && { echo "--- formationd ${f##*/}:" >&2; tail -n 30 "$f" >&2; }
  done
  exit 1
}

mkdir -p "$tmp/config/plugins.d" "$tmp/data"
cat >"$tmp/config/formation.json" <<JSON
{"listen": {"port": 0}, "data_dir": "$tmp/data", "plugin_dirs": ["$plugin_dir"]}
JSON

"$formationd" --config-dir "$tmp/config" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!

url=
for _ in $(seq 1 100); do
  url=$(grep -m1 -oE 'formationd listening on http://127\.0\.0\.1:[0-9]+' "$tmp/stdout" |
    grep -oE 'http://.*' || true)
  [[ -n $url ]] && break
  kill -0 "$pid" 2>/dev/null || fail "formationd exited before listening"
  sleep 0.1
done
[[ -n $url ]] || fail "no 'formationd listening on' line within 10 s"
echo "formationd pid $pid at $url"

want_version=$("$formationd" --version | grep -m1 -oE '[0-9]+\.[0-9]+\.[0-9]+[^[:space:]]*')
[[ -n $want_version ]] || fail "formationd --version printed no version"

json=$("$form" --api "$url" health --output json) || fail "form health --output json exited $?"
echo "json: $json"
# A top-level member of the JSON answer, with jq or else python3.
top() {
  if command -v jq >/dev/null; then
    jq -er ".$1" <<<"$json"
  else
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1" <<<"$json"
  fi
}
status=$(top status) || fail "not JSON or no .status: $json"
version=$(top version) || fail "no .version: $json"
[[ $status == ok ]] || fail "status is '$status', want ok"
[[ $version == "$want_version" ]] || fail "version is '$version', want '$want_version'"

table=$("$form" --api "$url" health) || fail "form health exited $?"
echo "$table"
grep -q '^status ' <<<"$table" || fail "table output has no status line"
grep -q "^version  *$want_version\$" <<<"$table" || fail "table output has no version line"

versions=$("$form" --api "$url" version) || fail "form version exited $?"
grep -q "^server  $want_version " <<<"$versions" || fail "form version: $versions"

kill -TERM "$pid"
rc=0
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "formationd still running 10 s after SIGTERM"
wait "$pid" || rc=$?
pid=
[[ $rc -eq 0 ]] || fail "formationd exited $rc after SIGTERM, want 0"

# The server is gone now: form must say so with exit 3.
rc=0
"$form" --api "$url" health 2>"$tmp/form.err" || rc=$?
[[ $rc -eq 3 ]] || fail "form health against a stopped server exited $rc, want 3"
grep -q "$url" "$tmp/form.err" || fail "the unreachable message does not name $url"
echo PASS
