#!/usr/bin/env bash
# mesh_guest_test.sh FORMATIOND FORM PLUGIN_DIR GUEST_DIR WORK_DIR — ctest e2e.mesh.guest: a
# real QEMU guest joins the mesh by itself at its first boot (docs/mesh.md "Instances").
#   - a laptop namespace fm-glap-N joined to the root namespace by a veth pair (10.79.N.1
#     here, 10.79.N.2 there);
#   - formationd in the root network namespace on 10.79.N.1:<free port>, with state-sqlite,
#     builder-cloudinit, vmm-libvirt on qemu:///system (`network: user`: QEMU's slirp, which
#     sends the guest's packets from the root namespace, so the guest reaches 10.79.N.1) and
#     mesh-wireguard (wireguard-go on a free interface fmgN, a free UDP port, advertised as
#     10.79.N.1:<port>; a mesh CIDR no route of this host uses); node.endpoint is the API's
#     URL, the seed's api_url;
#   - `form pack build` + `form instance create`: the tiny guest (guest/make-guest) boots from
#     its instance seed, brings up eth0, and its cloud-init stand-in applies the seed's
#     write_files and runcmd: formation-mesh-join makes a key with `wg genkey`, posts the
#     token to /v1/mesh/instance-join, writes its wg config and brings formnet0 up (no
#     wg-quick in the guest: the script's `ip` + `wg setconf` fallback);
#   - then, as a user would see it: `form mesh peers` lists the instance's peer with the
#     guest's public key, the node's `wg show` has that key with the instance's formnet_ip
#     as allowed-ips and a handshake, `ping <formnet_ip>` from the node answers, and the
#     guest's private key is nowhere on the node (the guest prints only its sha256); the
#     owner's laptop runs `form mesh join` + `form mesh up` and pings the guest through the
#     node.
# Exit 77 (skipped) without root, libvirtd on qemu:///system, wireguard-go, wg, ping, isoinfo
# or the mesh-wireguard plugin. The EXIT trap stops formationd (which stops its
# wireguard-go), then by PID whatever is left of them, removes the interface, its UAPI
# socket and mesh-wireguard's nftables table of that interface (left by a SIGKILL), the
# domain and WORK_DIR (kept with KEEP_WORK=1).
set -euo pipefail

formationd="${1:?usage: mesh_guest_test.sh FORMATIOND FORM PLUGIN_DIR GUEST_DIR WORK_DIR}"
form_bin="${2:?}"
plugins="${3:?}"
guest_dir="${4:?}"
work="${5:?}"
formationd="$(readlink -f "$formationd")"
form_bin="$(readlink -f "$form_bin")"
plugins="$(readlink -f "$plugins")"
mkdir -p "$work"
work="$(readlink -f "$work")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
uri="qemu:///system"
virsh=(virsh -q -c "$uri")
# shellcheck source=test/e2e/lib.sh
. "$here/lib.sh"
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1

require_root_and "a WireGuard interface in the root namespace" \
  ip wireguard-go wg ping qemu-img isoinfo python3 virsh
[ -e "$plugins/mesh-wireguard.so" ] || skip "no $plugins/mesh-wireguard.so (plugin not built)"
timeout 10 "${virsh[@]}" version >/dev/null 2>&1 ||
  skip "libvirtd does not answer on $uri (see test/support/libvirt/start-libvirtd)"

daemon_pid=""
wg_pid=""
ifname=""
laptop_ns=""
laptop_if=""
cleanup() {
  local rc=$?
  set +e
  # formationd first: on SIGTERM mesh-wireguard stops its wireguard-go, and a formationd
  # still running would define the domain again after it is undefined.
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid"
    for _ in $(seq 1 50); do
      kill -0 "$daemon_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
  fi
  [ -n "$ifname" ] && [ -z "$wg_pid" ] && wg_pid="$(userspace_pid)"
  if [ -n "$wg_pid" ] && kill -0 "$wg_pid" 2>/dev/null; then
    kill -TERM "$wg_pid"
    sleep 1
    kill -9 "$wg_pid" 2>/dev/null
  fi
  if [ -n "$ifname" ]; then
    # After a kill -9 of wireguard-go: its TUN device goes with it, its socket stays; after
    # one of formationd, mesh-wireguard's nftables table (docs/mesh.md "Routing") stays.
    ip link del dev "$ifname" 2>/dev/null
    rm -f "/var/run/wireguard/$ifname.sock" "/var/run/wireguard/$ifname.name"
    command -v nft >/dev/null && nft delete table inet "formation_mesh_$ifname" 2>/dev/null
  fi
  if [ -n "$laptop_ns" ]; then
    "$here/../support/netns/remove-pair" "$laptop_ns"
    rm -f "/var/run/wireguard/$laptop_if.sock" "/var/run/wireguard/$laptop_if.name"
  fi
  for d in $("${virsh[@]}" list --all --name 2>/dev/null | grep '^formation-'); do
    if "${virsh[@]}" dumpxml "$d" 2>/dev/null | grep -q "$work/"; then
      "${virsh[@]}" destroy "$d" >/dev/null 2>&1
      "${virsh[@]}" undefine "$d" >/dev/null 2>&1
    fi
  done
  if [ -n "${KEEP_WORK:-}" ]; then echo "(work directory kept: $work)" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
# The wireguard-go that formationd started for $ifname, by its exact command line.
userspace_pid() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "wireguard-go -f $ifname " ] &&
      { echo "${p#/proc/}"; return 0; }
  done
  return 0
}
trap cleanup EXIT
# A ctest timeout sends SIGTERM: exit through the EXIT trap rather than die past it.
trap 'exit 143' TERM INT

rm -rf "$work"
mkdir -p "$work/etc/plugins.d" "$work/home" "$work/ctx"

# A free interface name (the UAPI socket directory is shared by every namespace too), free
# ports, and a mesh CIDR that no address or route of this host overlaps.
for attempt in $(seq 0 50); do
  n=$(((($$ + attempt * 37) % 200) + 20))
  ip link show dev "fmg$n" >/dev/null 2>&1 && continue
  [ -e "/var/run/wireguard/fmg$n.sock" ] && continue
  command -v nft >/dev/null && nft list table inet "formation_mesh_fmg$n" >/dev/null 2>&1 && continue
  [ -e "/var/run/wireguard/fmgd$n.sock" ] && continue
  [ -e "/run/netns/fm-glap-$n" ] && continue
  ip link show dev "fmgv$n" >/dev/null 2>&1 && continue
  [ -n "$(ip -4 route show to root "10.79.$n.0/24" 2>/dev/null)" ] && continue
  ifname="fmg$n"
  break
done
[ -n "$ifname" ] || { echo "FAIL: no free interface name fmgN" >&2; exit 1; }
free_port() {  # tcp|udp
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM)
s.bind(("127.0.0.1" if sys.argv[1] == "tcp" else "0.0.0.0", 0))
print(s.getsockname()[1])' "$1"
}
api_port="$(free_port tcp)"
wg_port="$(free_port udp)"
octet=""
for attempt in $(seq 0 99); do
  m=$(((($$ + attempt * 13) % 100) + 100))
  [ -n "$(ip -4 route show to root "10.$m.0.0/16" 2>/dev/null)" ] && continue
  ip -4 -o addr show | grep -q " 10\.$m\." && continue
  octet=$m
  break
done
[ -n "$octet" ] || { echo "FAIL: no free 10.X.0.0/16 for the mesh" >&2; exit 1; }
cidr="10.$octet.0.0/16"
# The owner's laptop: a namespace joined to this one by a veth pair (10.79.N.1 here, .2
# there). The node listens and is advertised on 10.79.N.1, which the guest reaches too
# (slirp sends its packets from this namespace).
laptop_ns="fm-glap-$n"
laptop_if="fmgd$n"
node_ip="10.79.$n.1"
laptop_ip="10.79.$n.2"
ip netns add "$laptop_ns"
ip link add "fmgv$n" type veth peer name "fmgl$n" netns "$laptop_ns"
ip addr add "$node_ip/24" dev "fmgv$n"
ip link set "fmgv$n" up
ip -n "$laptop_ns" addr add "$laptop_ip/24" dev "fmgl$n"
ip -n "$laptop_ns" link set "fmgl$n" up
ip -n "$laptop_ns" link set lo up
in_laptop() { ip netns exec "$laptop_ns" "$@"; }
api="http://$node_ip:$api_port"
log "interface $ifname on UDP $wg_port, mesh $cidr, API $api; laptop $laptop_ns at $laptop_ip"

fail() {
  echo "FAIL: $*" >&2
  echo "--- formationd log (last 40 lines) ---" >&2
  tail -n 40 "$work/formationd.log" >&2 2>/dev/null || true
  for f in "$work"/data/consoles/*.log; do
    [ -e "$f" ] || continue
    echo "--- console $f (FORMATION lines, last 40) ---" >&2
    grep -a 'FORMATION-' "$f" | tail -n 40 >&2
  done
  echo "--- wg show $ifname ---" >&2
  wg show "$ifname" >&2 2>&1 || true
  local qemu_log="/var/log/libvirt/qemu/formation-${instance_id:-none}.log"
  if [ -e "$qemu_log" ]; then
    echo "--- $qemu_log ---" >&2
    tail -n 10 "$qemu_log" >&2
  fi
  exit 1
}

load_guest "$guest_dir"

cat >"$work/etc/formation.json" <<JSON
{"listen": {"address": "$node_ip", "port": $api_port}, "data_dir": "$work/data",
 "plugin_dirs": ["$plugins"],
 "node": {"endpoint": "$api",
          "capacity": {"vcpus": 4, "memory_mb": 4096, "disk_gb": 50}, "reconcile_seconds": 5}}
JSON
write_node_plugins "$work/etc" "$BASE_IMAGE" "$uri" user "$KERNEL" "$INITRD" "$CMDLINE"
cat >"$work/etc/plugins.d/mesh-wireguard.json" <<JSON
{"plugin": "mesh-wireguard", "parameters": {"interface": "$ifname", "backend": "userspace",
 "listen_port": $wg_port, "advertise": ["$node_ip:$wg_port"], "cidr": "$cidr",
 "ranges": {"node": "10.$octet.0.0/20", "device": "10.$octet.64.0/18",
            "instance": "10.$octet.128.0/17"}}}
JSON

"$formationd" --config-dir "$work/etc" >"$work/formationd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$work/formationd.log" && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "formationd exited at start"
  sleep 0.1
done
grep -q 'listening on' "$work/formationd.log" || fail "formationd did not start listening"
for _ in $(seq 1 50); do
  wg show "$ifname" public-key >/dev/null 2>&1 && break
  sleep 0.1
done
node_key="$(wg show "$ifname" public-key 2>/dev/null)" ||
  fail "mesh-wireguard did not bring up $ifname"
wg_pid="$(userspace_pid)"
log "formationd $daemon_pid; $ifname up (wireguard-go ${wg_pid:-?}, key $node_key)"

export HOME="$work/home" FORM_PASSPHRASE="mesh guest e2e" FORM_API="$api" FORM_KEY="$work/key.json"
form() { "$form_bin" "$@"; }
# field EXPR: a Python expression on the JSON document `d` read from stdin.
field() {
  python3 -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$1"
}
form key new >/dev/null || fail "form key new"
printf 'NAME mesh-guest\nUSER username:e2e passwd:e2e-secret\nVCPU 1\nMEM 512\nDISK 5\n' \
  >"$work/ctx/Formfile"
build_id="$(form pack build "$work/ctx" --quiet)" || fail "form pack build"
created="$(form instance create --build "$build_id" -o json)" || fail "form instance create"
instance_id="$(printf '%s' "$created" | field 'd["id"]')" || fail "create answered: $created"
shown="$(form instance show "$instance_id" -o json)" || fail "form instance show"
formnet_ip="$(printf '%s' "$shown" | field 'd.get("formnet_ip") or ""')"
[ -n "$formnet_ip" ] || fail "instance $instance_id has no formnet_ip: $shown"
[ "$(printf '%s' "$shown" | field 'd["state"]')" = Started ] || fail "not Started: $shown"
log "build $build_id, instance $instance_id Started, formnet_ip $formnet_ip"

seed_iso="$work/data/instance-seeds/$instance_id.iso"
[ -f "$seed_iso" ] || fail "no instance seed $seed_iso"
seed_sha="$(isoinfo -R -i "$seed_iso" -x /user-data | sha256sum | cut -d' ' -f1)"
console="$work/data/consoles/$instance_id.log"
wait_console() {  # PATTERN SECONDS
  for _ in $(seq 1 $(($2 * 2))); do
    grep -aq -- "$1" "$console" 2>/dev/null && return 0
    kill -0 "$daemon_pid" 2>/dev/null || fail "formationd died while waiting for '$1'"
    sleep 0.5
  done
  fail "no '$1' on the console of $instance_id within $2 s"
}
wait_console "FORMATION-SEED user-data sha256=" 120
seen="$(grep -ao 'FORMATION-SEED user-data sha256=[0-9a-f]*' "$console" | head -n 1 | cut -d= -f2)"
[ "$seen" = "$seed_sha" ] || fail "the guest read user-data $seen, the instance seed has $seed_sha"
wait_console "FORMATION-GUEST net eth0" 30
log "the guest booted from its instance seed and brought up eth0"

# The cloud-init stand-in: the seed's write_files, then its runcmd (the build's provisioning,
# then formation-mesh-join, which retries while the node does not answer).
wait_console "FORMATION-GUEST nocloud-standin done" 240
for f in "/etc/formation/mesh.json 0600" "/usr/local/sbin/formation-mesh-join 0755"; do
  grep -aq "FORMATION-GUEST nocloud-standin write_files $f" "$console" ||
    fail "the guest did not write $f from its seed"
done
grep -a 'FORMATION-GUEST nocloud-standin ' "$console" | tr -d '\r' | sed 's/^.*nocloud-standin /  guest: /'
join_rc="$(grep -ao 'nocloud-standin runcmd\[[0-9]*\] exit=[0-9]*' "$console" | tail -n 1 |
  cut -d= -f2)"
[ "$join_rc" = 0 ] || fail "the guest's last runcmd (formation-mesh-join) exited with '$join_rc'"
wait_console "FORMATION-GUEST wg formnet0 public_key=" 30
guest_line="$(grep -a 'FORMATION-GUEST wg formnet0 public_key=' "$console" | tail -n 1 | tr -d '\r')"
guest_key="$(printf '%s' "$guest_line" | sed -n 's/.*public_key=\([^ ]*\).*/\1/p')"
guest_secret_sha="$(printf '%s' "$guest_line" | sed -n 's/.*private_key_sha256=\([0-9a-f]*\).*/\1/p')"
if [ ${#guest_key} != 44 ] || [ ${#guest_secret_sha} != 64 ]; then
  fail "the guest reported: $guest_line"
fi
log "the guest joined: formnet0 up with public key $guest_key"

# What the owner and the node see.
peers="$(form mesh peers -o json)" || fail "form mesh peers"
listed="$(printf '%s' "$peers" | field "next((p['public_key'] for p in d['peers']
  if p['kind'] == 'instance' and p['address'] == '$formnet_ip'), '')")" ||
  fail "form mesh peers -o json: $peers"
[ "$listed" = "$guest_key" ] ||
  fail "form mesh peers lists the instance $formnet_ip with key '$listed', the guest has $guest_key"
log "form mesh peers: instance $formnet_ip with the guest's key"
handshake=0
for _ in $(seq 1 60); do
  line="$(wg show "$ifname" dump | awk -v k="$guest_key" 'NR > 1 && $1 == k')"
  handshake="$(printf '%s' "$line" | awk '{ print $5 }')"
  [ -n "$handshake" ] && [ "$handshake" != 0 ] && break
  sleep 0.5
done
[ -n "$line" ] || fail "the node's $ifname has no peer with the guest's key $guest_key"
[ "$(printf '%s' "$line" | awk '{ print $4 }')" = "$formnet_ip/32" ] ||
  fail "the node's peer for the guest has allowed-ips '$(printf '%s' "$line" | awk '{ print $4 }')', not $formnet_ip/32"
[ "$handshake" != 0 ] || fail "no WireGuard handshake with the guest within 30 s: $line"
log "the node's $ifname: the guest's key, allowed-ips $formnet_ip/32, endpoint $(printf '%s' "$line" | awk '{ print $3 }'), handshake at $handshake"

ping -c 3 -W 2 "$formnet_ip" >"$work/ping.out" 2>&1 ||
  fail "no answer from the guest at $formnet_ip: $(cat "$work/ping.out")"
log "ping $formnet_ip from the node: $(grep -o '[0-9]* received' "$work/ping.out") of 3"

# The owner's laptop joins and reaches the guest through the node (docs/mesh.md "Routing").
joined="$(in_laptop "$form_bin" mesh join --interface "$laptop_if" --endpoint "$laptop_ip:51821" \
  -o json)" || fail "form mesh join (laptop)"
routed="$(printf '%s' "$joined" | field "[p['allowed_ips'] for p in d['config']['peers']]")"
case "$routed" in *"$formnet_ip/32"*) ;; *) fail "the laptop's peers do not route $formnet_ip: $routed" ;; esac
in_laptop "$form_bin" mesh up --interface "$laptop_if" >"$work/up.out" 2>&1 ||
  fail "form mesh up (laptop): $(cat "$work/up.out")"
in_laptop ping -c 3 -W 2 "$formnet_ip" >"$work/ping-laptop.out" 2>&1 ||
  fail "no answer from the guest at $formnet_ip from the laptop: $(cat "$work/ping-laptop.out")"
log "ping $formnet_ip from the laptop, through the node: $(grep -o '[0-9]* received' "$work/ping-laptop.out") of 3"
in_laptop "$form_bin" mesh down --interface "$laptop_if" >/dev/null 2>&1 || true

# The guest's private key never left it: no key-shaped string anywhere under the node's
# work directory (store, logs, seeds, console) has its digest.
leaked=""
while read -r candidate; do
  [ "$(printf '%s\n' "$candidate" | sha256sum | cut -d' ' -f1)" = "$guest_secret_sha" ] &&
    leaked="$candidate"
done < <(grep -raohE '[A-Za-z0-9+/]{43}=' "$work" | sort -u)
[ -z "$leaked" ] || fail "the guest's private key is on the node (under $work)"
log "the guest's private key is not on the node"

form instance delete "$instance_id" --yes >/dev/null || fail "form instance delete"
log "PASS in $((SECONDS - t0)) s"
