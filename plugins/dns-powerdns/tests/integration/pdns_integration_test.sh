#!/usr/bin/env bash
# pdns_integration_test.sh FORMATIOND FORM PLUGIN_DIR PDNS_SUPPORT_DIR WORK_DIR
# ctest dns-powerdns.integration.pdns (issue 6, parts 3 and 4): the dns-powerdns plugin
# behind a real pdns_server 4.7, through the real pieces — formationd (state-sqlite,
# dns-powerdns, vmm-libvirt on libvirt's test:///default driver, builder-cloudinit), the
# `form` CLI for every change, and dig for every answer:
#   1. records put in with `form dns add`: A/AAAA/CNAME/TXT/SOA/NS/ANY, names in any case,
#      NXDOMAIN vs NODATA, a name outside our zones refused, AXFR;
#   2. `form dns update` is seen by the very next query and the SOA serial grows;
#   3. an instance gets <name>.formation.test (shown by `form instance show`) answering its
#      node's public address, and loses it with `form instance delete`;
#   4. a custom domain is not served until `form dns verify` finds the TXT challenge on a
#      second pdns_server (bind backend) standing in for the public DNS, then it is;
#   5. geo: with EDNS client subnet, the client's region's address comes first;
#   6. health: two more formationd processes share the SQLite file as nodes "eu" and "us"
#      (heartbeat every second); a name holding both nodes' public addresses loses the
#      address of the node killed with SIGKILL once its heartbeat is 3 s old, and has both
#      again when both nodes are stale.
# Checks 1-5 run against two pdns_server processes, one per connector: unix socket and HTTP
# (post_json). Exit 77 (skipped) when pdns_server, its remote backend, dig or qemu-img is
# missing. The work dir is kept when a check fails.
set -euo pipefail

usage="usage: pdns_integration_test.sh FORMATIOND FORM PLUGIN_DIR PDNS_SUPPORT_DIR WORK_DIR"
formationd="${1:?$usage}"
form_bin="${2:?$usage}"
plugins="${3:?$usage}"
pdns_support="${4:?$usage}"
work="${5:?$usage}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Absolute paths: formationd resolves relative ones against its config dir.
formationd="$(realpath "$formationd")" form_bin="$(realpath "$form_bin")"
plugins="$(realpath "$plugins")" pdns_support="$(realpath "$pdns_support")"
t0=$SECONDS

log() { printf '[%3ds] %s\n' $((SECONDS - t0)) "$*"; }
fail() {
  echo "FAIL: $*" >&2
  if [ -z "${FAIL_QUIETLY:-}" ]; then  # set by wait_until for its last try
    for f in "$work"/node-*/out.log "$work"/pdns-*/pdns.log; do
      [ -e "$f" ] || continue
      echo "--- last lines of $f ---" >&2
      tail -n 25 "$f" >&2
    done
    echo "(work dir kept: $work)" >&2
  fi
  exit 1
}
# shellcheck source=dig_checks.sh
. "$here/dig_checks.sh"

skip() { echo "SKIP: $*"; exit 77; }
command -v pdns_server >/dev/null || [ -x /usr/sbin/pdns_server ] ||
  skip "pdns_server is missing (apt-get install pdns-server pdns-backend-remote pdns-backend-bind)"
ls /usr/lib/*/pdns/libremotebackend.so >/dev/null 2>&1 ||
  skip "the remote backend is missing (apt-get install pdns-backend-remote)"
ls /usr/lib/*/pdns/libbindbackend.so >/dev/null 2>&1 ||
  skip "the bind backend is missing (apt-get install pdns-backend-bind)"
command -v dig >/dev/null || skip "dig is missing (apt-get install bind9-dnsutils)"
command -v qemu-img >/dev/null || skip "qemu-img is missing (apt-get install qemu-utils)"
[ -e "$plugins/dns-powerdns.so" ] || fail "$plugins/dns-powerdns.so is missing: build dns-powerdns"

# Everything this run starts, stopped by PID whatever happens.
node_pids=()
pdns_dirs=()
cleanup() {
  local rc=$? pid dir
  for pid in "${node_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for dir in "${pdns_dirs[@]}"; do "$pdns_support/stop-pdns" "$dir" >/dev/null 2>&1 || true; done
  for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$rc" -ne 0 ] || rm -rf "$work"  # kept for a look when a check failed
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work/home" "$work/ctx" "$work/zones"
work="$(cd "$work" && pwd)"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the "public DNS" for custom domains: pdns with its bind backend serving example.org ---
write_example_org() {  # SERIAL [CHALLENGE_TOKEN]
  {
    echo "\$ORIGIN example.org."
    echo "@ 300 IN SOA ns1.example.org. hostmaster.example.org. $1 3600 600 604800 60"
    echo "@ 300 IN NS ns1.example.org."
    echo "ns1 300 IN A 127.0.0.1"
    [ -z "${2:-}" ] || echo "_formation-challenge.app 60 IN TXT \"$2\""
  } >"$work/zones/example.org.zone"
}
write_example_org 1
echo "zone \"example.org\" { type master; file \"$work/zones/example.org.zone\"; };" \
  >"$work/zones/named.conf"
public_dir="$work/pdns-public"
pdns_dirs+=("$public_dir")
"$pdns_support/start-pdns" "$public_dir" launch=bind "bind-config=$work/zones/named.conf" \
  >/dev/null || fail "the bind-backend pdns_server did not start"
public_port="$(sed -n 's/^PORT=//p' "$public_dir/pdns.env")"
log "public DNS (pdns, bind backend) for example.org on 127.0.0.1:$public_port"

# --- three formationd processes on one SQLite file ------------------------------------------
# node-a serves DNS and runs instances; node-eu and node-us only register and heartbeat.
state_db="$work/state.sqlite3"
http_port="$(free_port)"
qemu-img create -q -f qcow2 "$work/base.qcow2" 64M
node_url=""
start_node() {  # NAME NODE_ID REGION PUBLIC_IP: sets node_url (no subshell: it keeps the PID)
  local name=$1 dir="$work/node-$1"
  mkdir -p "$dir/etc/plugins.d"
  cat >"$dir/etc/formation.json" <<JSON
{"listen": {"address": "127.0.0.1", "port": 0}, "data_dir": "$dir/data",
 "plugin_dirs": ["$plugins"], "log": {"level": "info", "access_log": false},
 "node": {"id": "$2", "region": "$3", "public_ip": "$4", "heartbeat_seconds": 1,
          "capacity": {"vcpus": 8, "memory_mb": 8192, "disk_gb": 100}}}
JSON
  echo "{\"plugin\": \"state-sqlite\", \"parameters\": {\"path\": \"$state_db\"}}" \
    >"$dir/etc/plugins.d/state-sqlite.json"
  if [ "$name" = a ]; then
    echo "{\"plugin\": \"builder-cloudinit\", \"parameters\": {\"base_image\": \"$work/base.qcow2\"}}" \
      >"$dir/etc/plugins.d/builder-cloudinit.json"
    cat >"$dir/etc/plugins.d/vmm-libvirt.json" <<JSON
{"plugin": "vmm-libvirt", "parameters": {"uri": "test:///default", "domain_type": "qemu",
 "network": {"type": "none"}}}
JSON
    # stale_after 3 s with heartbeats every second; refresh every second so that the
    # snapshot's heartbeats are never older than the limit for a live node.
    cat >"$dir/etc/plugins.d/dns-powerdns.json" <<JSON
{"plugin": "dns-powerdns", "parameters": {
  "zone": "formation.test", "ttl": 60,
  "nameservers": [{"name": "ns1.formation.test", "addresses": ["127.0.0.1"]}],
  "stale_after_seconds": 3, "refresh_seconds": 1,
  "regions": [{"cidr": "198.51.100.0/24", "region": "eu"},
              {"cidr": "203.0.113.0/24", "region": "us"}],
  "connectors": {"unix": {"path": "$work/pdns-backend.sock"},
                 "http": {"address": "127.0.0.1", "port": $http_port}},
  "verification": {"resolvers": ["127.0.0.1:$public_port"], "timeout_ms": 1000}}}
JSON
  fi
  "$formationd" --config-dir "$dir/etc" >"$dir/out.log" 2>&1 &
  node_pids+=($!)
  local url=""
  for _ in $(seq 1 100); do
    url="$(grep -o 'listening on http://[0-9.:]*' "$dir/out.log" 2>/dev/null | tail -n 1 | sed 's/listening on //' ||
      true)"
    [ -n "$url" ] && break
    kill -0 "${node_pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || fail "formationd (node $name) did not start: $(tail -n 5 "$dir/out.log")"
  node_url="$url"
}
start_node a 0x00000000000000000000000000000000000000a1 lab 192.0.2.1
url="$node_url"
start_node eu 0x00000000000000000000000000000000000000e1 eu 192.0.2.21
start_node us 0x00000000000000000000000000000000000000f1 us 192.0.2.22
pid_a="${node_pids[0]}" pid_eu="${node_pids[1]}" pid_us="${node_pids[2]}"
log "formationd: node a at $url (dns-powerdns), nodes eu and us share $state_db"

# --- pdns_server with the remote backend, once per connector -------------------------------
# Caches off so that every query reaches the backend; zone cache off so that a newly
# verified custom domain is found at once; no-shuffle so that pdns keeps the backend's
# region order (docs/dns.md).
pdns_port=""
start_remote_pdns() {  # NAME CONNECTION_STRING: sets pdns_port
  local dir="$work/pdns-$1"
  pdns_dirs+=("$dir")
  "$pdns_support/start-pdns" "$dir" launch=remote "remote-connection-string=$2" \
    cache-ttl=0 query-cache-ttl=0 negquery-cache-ttl=0 zone-cache-refresh-interval=0 \
    edns-subnet-processing=yes no-shuffle=yes allow-axfr-ips=127.0.0.1 disable-axfr=no \
    distributor-threads=2 >/dev/null || fail "pdns_server ($1 connector) did not start"
  pdns_port="$(sed -n 's/^PORT=//p' "$dir/pdns.env")"
}
start_remote_pdns unix "unix:path=$work/pdns-backend.sock"
unix_port="$pdns_port"
start_remote_pdns http "http:url=http://127.0.0.1:$http_port/dns,post=yes,post_json=yes"
http_port_pdns="$pdns_port"
servers=("unix:$unix_port" "http:$http_port_pdns")
log "pdns_server: unix connector on 127.0.0.1:$unix_port, HTTP connector on 127.0.0.1:$http_port_pdns"

# Runs CHECK... against both pdns servers (sets $server and $port for dig_checks.sh).
on_both() {
  local s
  for s in "${servers[@]}"; do
    server="${s%%:*}" port="${s#*:}" "$@"
  done
}

# --- the tenant ------------------------------------------------------------------------------
export HOME="$work/home" FORM_PASSPHRASE="dns integration"
unset FORM_KEY FORM_API XDG_CONFIG_HOME
key="$work/key.json"
echo "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318" >"$work/key.hex"
"$form_bin" --key "$key" key import --private-key-file "$work/key.hex" >/dev/null
form() { "$form_bin" --api "$url" --key "$key" "$@"; }
form_ok() {  # what `form` should do: fails the test with its output when it does not
  local out
  out="$(form "$@" 2>&1)" || fail "form $* failed: $out"
  printf '%s' "$out"
}
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d'"' -f4; }

# --- 1. records through `form dns add`, answers through both connectors --------------------
form_ok dns add www.formation.test --type A --value 192.0.2.80 >/dev/null
form_ok dns add www.formation.test --type TXT --value "v=spf1 -all" >/dev/null
form_ok dns add v6 --type AAAA --value 2001:db8::80 >/dev/null  # relative: v6.formation.test
form_ok dns add alias.formation.test --type CNAME --value www.formation.test >/dev/null
form_ok dns add txt.formation.test --type TXT --value "hello world" --ttl 120 >/dev/null
log "form dns add: www (A, TXT), v6 (AAAA), alias (CNAME), txt (TXT)"

records_answer() {
  expect_answer A www.formation.test 192.0.2.80
  expect_answer A WwW.FoRmAtIoN.TeSt. 192.0.2.80
  expect_answer AAAA v6.formation.test 2001:db8::80
  expect_answer CNAME alias.formation.test www.formation.test.
  expect_answer A alias.formation.test 192.0.2.80  # pdns follows the CNAME inside the zone
  expect_answer TXT txt.formation.test '"hello world"'
  expect_answer TXT www.formation.test '"v=spf1 -all"'
  expect_types www.formation.test A TXT
  expect_answer NS formation.test ns1.formation.test.
  expect_answer A ns1.formation.test 127.0.0.1
  local soa
  soa="$(answer_values "$(ask formation.test SOA)" SOA)"
  [[ $soa =~ ^ns1\.formation\.test\.\ hostmaster\.formation\.test\.\ [0-9]+\  ]] ||
    fail "[$server] dig -p $port formation.test SOA: expected 'ns1.formation.test. hostmaster.formation.test. SERIAL ...', got '$soa'"
  expect_types formation.test SOA NS
  expect_nxdomain nothing-here.formation.test
  expect_nxdomain deeper.www.formation.test
  expect_nodata AAAA www.formation.test
  expect_nodata MX txt.formation.test
  expect_status REFUSED A www.example.com
  local axfr
  axfr="$(ask AXFR formation.test)"
  if ! { [ "$(grep -v '^;' <<<"$axfr" | grep -c $'\tSOA\t')" = 2 ] &&
    [ "$(grep -v '^;' <<<"$axfr" | awk 'NF { print $4; exit }')" = SOA ] &&
    grep -qE '^www\.formation\.test\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.80$' <<<"$axfr" &&
    grep -q '^txt\.formation\.test\.[[:space:]]*120[[:space:]]' <<<"$axfr"; }; then
    fail "[$server] dig -p $port AXFR formation.test: expected SOA first and last, www A 192.0.2.80 (TTL 300, the API's default), txt with TTL 120; got:
$axfr"
  fi
}
on_both records_answer
log "A/AAAA/CNAME/TXT/NS/SOA/ANY, case, NXDOMAIN, NODATA, REFUSED, AXFR: OK on both connectors"

# --- 2. a change is seen by the very next query ----------------------------------------------
serial_before="$(server=unix port=$unix_port soa_serial formation.test)"
form_ok dns update www.formation.test --type A --value 192.0.2.81 --value 192.0.2.82 >/dev/null
on_both expect_answer_set A www.formation.test 192.0.2.81 192.0.2.82
serial_after="$(server=unix port=$unix_port soa_serial formation.test)"
if ! [[ $serial_before =~ ^[0-9]+$ && $serial_after =~ ^[0-9]+$ ]] ||
  ((serial_after <= serial_before)); then
  fail "the SOA serial of formation.test went from '$serial_before' to '$serial_after' after form dns update"
fi
form_ok dns remove alias.formation.test >/dev/null
on_both expect_nxdomain alias.formation.test
log "form dns update / remove seen at once; SOA serial $serial_before -> $serial_after"

# --- 3. an instance's automatic name --------------------------------------------------------
printf 'NAME dns-test\nUSER username:dns passwd:dns-secret\nVCPU 1\nMEM 512\nDISK 5\n' \
  >"$work/ctx/Formfile"
build_id="$(form_ok pack build "$work/ctx" --quiet | tail -n 1)"
created="$(form_ok instance create --build "$build_id" --name web1 -o json)"
instance_id="$(printf '%s' "$created" | field id)"
[ -n "$instance_id" ] || fail "form instance create answered no id: $created"
dns_name_is() {
  local got
  got="$(form instance show "$instance_id" -o json | field dns_name)"
  [ "$got" = "$1" ] || { echo "dns_name is '$got', expected '$1'"; return 1; }
}
wait_until 10 "form instance show $instance_id: dns_name is not web1.formation.test" \
  dns_name_is web1.formation.test
on_both expect_answer A web1.formation.test 192.0.2.1
log "instance $instance_id is web1.formation.test -> 192.0.2.1 (node a's public_ip)"
form_ok instance delete "$instance_id" --yes >/dev/null
check_web1_gone() { server=unix port=$unix_port expect_nxdomain web1.formation.test; }
wait_until 10 "web1.formation.test still answers after form instance delete" check_web1_gone
on_both expect_nxdomain web1.formation.test
log "form instance delete: web1.formation.test is NXDOMAIN"

# --- 4. a custom domain, served once verified ------------------------------------------------
added="$(form_ok dns add app.example.org --type A --value 192.0.2.10 -o json)"
token="$(printf '%s' "$added" | field value)"
[ -n "$token" ] || fail "form dns add app.example.org showed no verification value: $added"
on_both expect_not_answered A app.example.org 192.0.2.10
if out="$(form dns verify app.example.org 2>&1)"; then
  fail "form dns verify app.example.org succeeded before the TXT challenge was published: $out"
fi
grep -q -- "$token" <<<"$out" || fail "form dns verify (not yet) did not show the token $token: $out"
write_example_org 2 "$token"
pdns_control --config-dir="$public_dir" bind-reload-now example.org >/dev/null ||
  fail "pdns_control bind-reload-now example.org failed"
server=public port=$public_port expect_answer TXT _formation-challenge.app.example.org "\"$token\""
out="$(form dns verify app.example.org 2>&1)" ||
  fail "form dns verify app.example.org failed with the TXT challenge published: $out"
on_both expect_answer A app.example.org 192.0.2.10
on_both expect_types app.example.org A SOA NS
log "custom domain app.example.org: not served, verified through the public DNS, served"

# --- 5. geo: the client's region first ------------------------------------------------------
form_ok dns add both.formation.test --type A --value 192.0.2.21 --value 192.0.2.22 >/dev/null
on_both expect_answer_set A both.formation.test 192.0.2.21 192.0.2.22
on_both expect_answer A both.formation.test 192.0.2.22 192.0.2.21 -- +subnet=203.0.113.7/32
on_both expect_answer A both.formation.test 192.0.2.21 192.0.2.22 -- +subnet=198.51.100.7/32
ecs="$(server=unix port=$unix_port ask +subnet=203.0.113.7/32 both.formation.test A)"
grep -q 'CLIENT-SUBNET: 203.0.113.7/32/32' <<<"$ecs" ||
  fail "[unix] dig +subnet=203.0.113.7/32 both.formation.test A: expected the reply's CLIENT-SUBNET scope /32 (the answer depends on the subnet), got:
$ecs"
log "geo: +subnet in us -> us node first, in eu -> eu node first, scope /32"

# --- 6. health: a dead node's address is left out, unless all are dead -----------------------
only_eu() { server=unix port=$unix_port expect_answer A both.formation.test 192.0.2.21; }
both_back() { server=unix port=$unix_port expect_answer_set A both.formation.test 192.0.2.21 192.0.2.22; }
# SIGKILL: no goodbye, the heartbeat just stops. (The group's 2>/dev/null keeps bash's
# "Killed" job report out of the test's output.)
kill_now() { kill -KILL "$1" && wait "$1"; } 2>/dev/null
kill_now "$pid_us" || true
wait_until 15 "both.formation.test still answers node us's 192.0.2.22 after it died" only_eu
on_both expect_answer A both.formation.test 192.0.2.21
log "node us killed: only node eu's address is answered"
kill_now "$pid_eu" || true
wait_until 15 "both.formation.test does not answer both addresses with both nodes stale" both_back
on_both expect_answer_set A both.formation.test 192.0.2.21 192.0.2.22
kill -0 "$pid_a" 2>/dev/null || fail "formationd (node a) exited during the test"
log "both nodes stale: both addresses answered"
log "PASS"
