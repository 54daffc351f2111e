# shellcheck shell=bash disable=SC2154  # `server` and `port` are set by the caller
# dig_checks.sh — assertions on what a DNS server answers, for the pdns integration test.
# Sourced by pdns_integration_test.sh. Every check asks with dig and, when the answer is not
# the expected one, prints what it asked, what it expected and dig's whole reply, then calls
# `fail` (which the sourcing script defines). No check waits or retries except wait_until.
#
# The caller sets `server` (a label like "unix" or "http") and `port` (the pdns port) before
# calling, e.g. `server=unix port=$unix_port expect_answer A www.formation.test 192.0.2.80`.

# dig against 127.0.0.1:$port, no recursion asked, one try; extra arguments pass through.
ask() {
  dig +time=3 +tries=1 +norecurse @127.0.0.1 -p "$port" "$@" 2>&1
}

# The header's status: NOERROR, NXDOMAIN, REFUSED, SERVFAIL...
status_of() {
  sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -n 1
}

# The rdata of the answer section's records of TYPE, one per line, in the order given.
answer_values() {  # DIG_OUTPUT TYPE
  awk -v t="$2" '
    /^;; ANSWER SECTION:/ { on = 1; next }
    /^;; / || /^$/ { on = 0 }
    on && $4 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' <<<"$1"
}

# What was asked, what came back: for failure messages.
mismatch() {  # WHAT EXPECTED GOT DIG_OUTPUT QUESTION...
  local what=$1 expected=$2 got=$3 out=$4
  shift 4
  fail "[$server] dig @127.0.0.1 -p $port $*: $what: expected '$expected', got '$got'
--- dig said ---
$out"
}

# expect_answer TYPE NAME VALUE... [-- DIG_OPTION...]: NOERROR and exactly these values of
# TYPE in the answer section, in this order (use expect_answer_set when order does not matter).
expect_answer() {
  local type=$1 name=$2
  shift 2
  local -a want=() opts=()
  while (($#)) && [ "$1" != "--" ]; do want+=("$1"); shift; done
  [ "${1:-}" = "--" ] && { shift; opts=("$@"); }
  local out got expected
  out="$(ask "${opts[@]}" "$name" "$type")"
  got="$(answer_values "$out" "$type" | paste -sd ' ')"
  expected="$(printf '%s\n' "${want[@]}" | paste -sd ' ')"
  [ "$(status_of "$out")" = NOERROR ] && [ "$got" = "$expected" ] && return 0
  mismatch "$type values (status $(status_of "$out"))" "$expected" "$got" "$out" "${opts[@]}" "$name" "$type"
}

# expect_answer_set TYPE NAME VALUE... [-- DIG_OPTION...]: as expect_answer, in any order.
expect_answer_set() {
  local type=$1 name=$2
  shift 2
  local -a want=() opts=()
  while (($#)) && [ "$1" != "--" ]; do want+=("$1"); shift; done
  [ "${1:-}" = "--" ] && { shift; opts=("$@"); }
  local out got expected
  out="$(ask "${opts[@]}" "$name" "$type")"
  got="$(answer_values "$out" "$type" | sort | paste -sd ' ')"
  expected="$(printf '%s\n' "${want[@]}" | sort | paste -sd ' ')"
  [ "$(status_of "$out")" = NOERROR ] && [ "$got" = "$expected" ] && return 0
  mismatch "$type values in any order (status $(status_of "$out"))" "$expected" "$got" "$out" \
    "${opts[@]}" "$name" "$type"
}

# expect_status STATUS TYPE NAME: the header's status (NXDOMAIN, REFUSED, ...).
expect_status() {
  local expected_status=$1 type=$2 name=$3 out
  out="$(ask "$name" "$type")"
  [ "$(status_of "$out")" = "$expected_status" ] && return 0
  mismatch status "$expected_status" "$(status_of "$out")" "$out" "$name" "$type"
}

# expect_nxdomain NAME: NXDOMAIN with the zone's SOA in the authority section (a negative
# answer a resolver can cache).
expect_nxdomain() {
  local name=$1 out
  out="$(ask "$name" A)"
  [ "$(status_of "$out")" = NXDOMAIN ] || mismatch status NXDOMAIN "$(status_of "$out")" "$out" "$name" A
  grep -A2 '^;; AUTHORITY SECTION:' <<<"$out" | grep -q $'\tSOA\t' ||
    mismatch "authority section" "the zone's SOA" "none" "$out" "$name" A
}

# expect_nodata TYPE NAME: the name exists but has no TYPE: NOERROR, empty answer, SOA in
# the authority section.
expect_nodata() {
  local type=$1 name=$2 out
  out="$(ask "$name" "$type")"
  if ! { [ "$(status_of "$out")" = NOERROR ] && grep -q 'ANSWER: 0,' <<<"$out"; }; then
    mismatch "NODATA" "NOERROR and ANSWER: 0" \
      "$(status_of "$out") $(grep -o 'ANSWER: [0-9]*' <<<"$out")" "$out" "$name" "$type"
  fi
  grep -A2 '^;; AUTHORITY SECTION:' <<<"$out" | grep -q $'\tSOA\t' ||
    mismatch "authority section" "the zone's SOA" "none" "$out" "$name" "$type"
}

# expect_not_answered TYPE NAME VALUE: whatever the status, VALUE is not in the answer.
expect_not_answered() {
  local type=$1 name=$2 value=$3 out got
  out="$(ask "$name" "$type")"
  got="$(answer_values "$out" "$type" | paste -sd ' ')"
  if grep -qxF -- "$value" <<<"$(answer_values "$out" "$type")"; then
    mismatch "answer (status $(status_of "$out"))" "no $value" "$got" "$out" "$name" "$type"
  fi
}

# The SOA serial of ZONE, or empty.
soa_serial() {  # ZONE
  answer_values "$(ask "$1" SOA)" SOA | awk '{print $3}' | head -n 1
}

# wait_until SECONDS WHAT COMMAND...: runs COMMAND (quietly) every 0.25 s until it succeeds;
# after SECONDS runs it once more with its output shown (FAIL_QUIETLY: no logs twice) and
# fails with WHAT. For changes
# that take effect on a timer (heartbeats going stale, events handled on a worker thread).
wait_until() {
  local seconds=$1 what=$2 i
  shift 2
  for ((i = 0; i < seconds * 4; i++)); do
    ("$@") >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  (
    FAIL_QUIETLY=1  # read by the caller's `fail`
    export FAIL_QUIETLY
    "$@"
  ) || fail "$what (waited ${seconds} s)"
}

# expect_types NAME TYPE...: an ANY query's answer holds exactly these record types.
expect_types() {
  local name=$1 out got expected
  shift
  out="$(ask "$name" ANY)"
  got="$(awk '/^;; ANSWER SECTION:/ { on = 1; next } /^;; / || /^$/ { on = 0 } on { print $4 }' \
    <<<"$out" | sort -u | paste -sd ' ')"
  expected="$(printf '%s\n' "$@" | sort -u | paste -sd ' ')"
  [ "$(status_of "$out")" = NOERROR ] && [ "$got" = "$expected" ] && return 0
  mismatch "record types (status $(status_of "$out"))" "$expected" "$got" "$out" "$name" ANY
}
