#!/usr/bin/env bash
# mesh_netns_test.sh FORMATIOND FORM PLUGIN_DIR WORK_DIR — ctest e2e.mesh.netns: the mesh
# (docs/mesh.md) end to end, userspace WireGuard (wireguard-go) in two network namespaces
# joined by a veth pair (test/support/netns/make-pair):
#   "node"   10.77.N.1: formationd with state-sqlite, builder-cloudinit, vmm-libvirt on
#            libvirt's test driver and mesh-wireguard (interface fmnodeN, backend userspace,
#            advertising 10.77.N.1:51820); the API on 10.77.N.1:8080;
#   "laptop" 10.77.N.2: `form` with a fresh key. It builds and creates one instance (a device
#            sees the nodes that host its owner's instances, so without one the node is not
#            its peer), then `form mesh join --interface fmdevN`, `form mesh up`, and pings
#            the node's mesh address. `form mesh down` + `form mesh leave`: within a few
#            seconds the node's `wg show fmnodeN peers` no longer lists the device's key, and
#            the same wg-quick config brought up again no longer reaches the node. The node's
#            interface keeps its ifindex throughout (diffs, never a tear-down).
# Exit 77 (skipped) without root, network namespaces, wireguard-go, wg-quick, ping or the
# mesh-wireguard plugin. A third namespace behind the node ("instance", a second veth pair)
# plays the instance's first boot: it joins with its seed's token and brings up the config it
# is given (one peer, the node, routing the whole mesh); the laptop pings it through the
# node. Another tenant's device, with an instance of its own on the node, routes the first
# tenant's instance through the node by hand: the node's forwarding filter drops it.
# Everything it made (namespaces, the processes in them, the WireGuard sockets of its
# interfaces) is removed by PID and name in the EXIT trap.
set -euo pipefail

formationd="${1:?usage: mesh_netns_test.sh FORMATIOND FORM PLUGIN_DIR WORK_DIR}"
form_bin="${2:?}"
plugins="${3:?}"
work="${4:?}"
# Absolute: the config formationd reads resolves relative paths against its own directory.
formationd="$(readlink -f "$formationd")"
form_bin="$(readlink -f "$form_bin")"
plugins="$(readlink -f "$plugins")"
work="$(readlink -f "$work")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
netns="$here/../support/netns"
# shellcheck source=test/e2e/lib.sh
. "$here/lib.sh"
# wireguard-go refuses to start on Linux without it (it would rather see kernel WireGuard).
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1

require_root_and "network namespaces" ip wireguard-go wg wg-quick ping qemu-img python3 isoinfo curl
[ -e "$plugins/mesh-wireguard.so" ] || skip "no $plugins/mesh-wireguard.so (plugin not built)"

rm -rf "$work"
mkdir -p "$work/etc/plugins.d" "$work/home" "$work/ctx" "$work/replay"
record="$work/namespaces"
: >"$record"
node_if=""
dev_if=""
inst_if=""

cleanup() {
  local rc=$?
  local namespaces
  mapfile -t namespaces <"$record" 2>/dev/null || namespaces=()
  [ ${#namespaces[@]} -gt 0 ] && "$netns/remove-pair" "${namespaces[@]}"
  # A wireguard-go killed before it could clean up leaves its UAPI socket behind; these two
  # names were free when the run chose them, so the sockets are this run's.
  for ifname in $node_if $dev_if $inst_if; do
    rm -f "/var/run/wireguard/$ifname.sock" "/var/run/wireguard/$ifname.name"
  done
  if [ "$rc" = 0 ]; then rm -rf "$work"; else echo "(work directory kept: $work)" >&2; fi
}
trap cleanup EXIT
# A ctest timeout sends SIGTERM: exit through the EXIT trap rather than die past it.
trap 'exit 143' TERM INT

# N names the subnet, the veths, the namespaces and the WireGuard interfaces; the UAPI
# socket directory /var/run/wireguard is shared by every namespace, so the interface names
# must be free too.
n=""
for attempt in $(seq 0 30); do
  candidate=$(((($$ + attempt * 37) % 200) + 20))
  node_ns="fm-node-$candidate"
  laptop_ns="fm-laptop-$candidate"
  [ -e "/var/run/wireguard/fmnode$candidate.sock" ] && continue
  [ -e "/var/run/wireguard/fmdev$candidate.sock" ] && continue
  [ -e "/var/run/wireguard/fminst$candidate.sock" ] && continue
  if NETNS_RECORD="$record" "$netns/make-pair" "$node_ns" "$laptop_ns" "$candidate" 2>/dev/null; then
    n=$candidate
    break
  fi
done
[ -n "$n" ] || {
  echo "FAIL: could not create a namespace pair (ip netns add refused, or every N taken)" >&2
  exit 1
}
node_if="fmnode$n"
dev_if="fmdev$n"
inst_if="fminst$n"
inst_ns="fm-inst-$n"
node_ip="10.77.$n.1"
laptop_ip="10.77.$n.2"
api="http://$node_ip:8080"
log "namespaces $node_ns ($node_ip) and $laptop_ns ($laptop_ip), interfaces $node_if and $dev_if"

in_node() { ip netns exec "$node_ns" "$@"; }
in_laptop() { ip netns exec "$laptop_ns" "$@"; }
in_instance() { ip netns exec "$inst_ns" "$@"; }

fail() {
  echo "FAIL: $*" >&2
  echo "--- formationd log (last 40 lines) ---" >&2
  tail -n 40 "$work/formationd.log" >&2 2>/dev/null || true
  echo "--- wg show $node_if (node) ---" >&2
  in_node wg show "$node_if" >&2 2>&1 || true
  echo "--- wg show $dev_if (laptop) ---" >&2
  in_laptop wg show "$dev_if" >&2 2>&1 || true
  echo "--- wg show $inst_if (instance) ---" >&2
  in_instance wg show "$inst_if" >&2 2>&1 || true
  exit 1
}

qemu-img create -q -f qcow2 "$work/base.qcow2" 1G
cat >"$work/etc/formation.json" <<JSON
{"listen": {"address": "$node_ip", "port": 8080}, "data_dir": "$work/data",
 "plugin_dirs": ["$plugins"],
 "node": {"capacity": {"vcpus": 4, "memory_mb": 4096, "disk_gb": 50}, "reconcile_seconds": 5}}
JSON
write_node_plugins "$work/etc" "$work/base.qcow2" test:///default none
cat >"$work/etc/plugins.d/mesh-wireguard.json" <<JSON
{"plugin": "mesh-wireguard", "parameters": {"interface": "$node_if", "backend": "userspace",
 "listen_port": 51820, "advertise": ["$node_ip:51820"]}}
JSON

log "starting formationd in $node_ns (API $api)"
# Not through in_node: a backgrounded function is a subshell, and $! must be formationd's
# PID (ip netns exec execs it).
ip netns exec "$node_ns" "$formationd" --config-dir "$work/etc" >"$work/formationd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$work/formationd.log" && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "formationd exited at start"
  sleep 0.1
done
grep -q 'listening on' "$work/formationd.log" || fail "formationd did not start listening"

ifindex() { in_node ip -o link show "$node_if" 2>/dev/null | cut -d: -f1; }
for _ in $(seq 1 50); do
  [ -n "$(ifindex)" ] && break
  sleep 0.1
done
index_before="$(ifindex)"
[ -n "$index_before" ] || fail "mesh-wireguard did not bring up $node_if in $node_ns"
node_key="$(in_node wg show "$node_if" public-key)" || fail "wg show $node_if public-key"
log "$node_if is up (ifindex $index_before, key $node_key)"

export HOME="$work/home" FORM_PASSPHRASE="mesh e2e passphrase" FORM_API="$api"
export FORM_KEY="$work/key.json"
form() { in_laptop "$form_bin" "$@"; }
# field EXPR: a Python expression on the JSON document `d` read from stdin (python3 is in
# tools/dev's packages, jq is not); strings print bare, anything else as JSON.
field() {
  python3 -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$1"
}

# seed_mesh_json USER_DATA: the /etc/formation/mesh.json an instance's seed writes.
seed_mesh_json() {
  python3 -c 'import base64, email, sys, yaml
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for part in m.walk():
    if part.is_multipart():
        continue
    for f in (yaml.safe_load(part.get_payload(decode=True)) or {}).get("write_files", []):
        if f["path"] == "/etc/formation/mesh.json":
            c = f["content"]
            print(base64.b64decode(c).decode() if f.get("encoding") == "b64" else c)' "$1"
}

form key new >/dev/null || fail "form key new"
log "laptop key: $(form key show 2>/dev/null | head -n 1)"
printf 'NAME mesh-e2e\nUSER username:e2e passwd:e2e-secret\nVCPU 1\nMEM 512\nDISK 5\n' \
  >"$work/ctx/Formfile"
build_id="$(form pack build "$work/ctx" --quiet)" || fail "form pack build (from $laptop_ns)"
instance="$(form instance create --build "$build_id" -o json)" || fail "form instance create"
instance_id="$(printf '%s' "$instance" | field 'd["id"]')" ||
  fail "form instance create -o json printed no instance: $instance"
log "build $build_id, instance $instance_id (so that the device may see this node)"

# The instance boots from its own seed: the build's plus its mesh join (builder-cloudinit's
# instance_seed, called by the host at creation).
seed_iso="$work/data/instance-seeds/$instance_id.iso"
[ -f "$seed_iso" ] || fail "no per-instance seed $seed_iso (host: InstanceMesh::seed_for)"
isoinfo -R -i "$seed_iso" -x /user-data >"$work/instance-user-data" ||
  fail "isoinfo cannot read /user-data from $seed_iso"
python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print("".join(p.get_payload(decode=True).decode() for p in m.walk() if not p.is_multipart()))' \
  "$work/instance-user-data" >"$work/instance-cloud-config" ||
  fail "the instance's user-data is not a MIME document: $(head -c 300 "$work/instance-user-data")"
for needle in /etc/formation/mesh.json formation-mesh-join /var/lib/formation/provision.sh; do
  grep -q "$needle" "$work/instance-cloud-config" ||
    fail "the instance's seed has no $needle (see $work/instance-cloud-config)"
done
log "the instance's seed carries its mesh join next to the build's provisioning"

# The instance's first boot, as its formation-mesh-join does it, played in a third namespace
# behind the node (a second veth pair, 10.77.$((n + 1)).0/24; there is no VM here, e2e.mesh.guest
# boots a real guest): a key made there, the one-time token of its seed's
# /etc/formation/mesh.json posted to the anonymous instance-join, and the answer's config
# brought up with wg-quick. A device sees the nodes that host its owner's *joined* instances
# (mesh-wireguard's visibility), so this comes before the device joins.
NETNS_RECORD="$record" NETNS_REUSE_A=1 "$netns/make-pair" "$node_ns" "$inst_ns" $((n + 1)) ||
  fail "cannot link a namespace for the instance to $node_ns"
in_instance ip route add "10.77.$n.0/24" via "10.77.$((n + 1)).1"
seed_mesh_json "$work/instance-user-data" >"$work/instance-mesh.json" ||
  fail "cannot read /etc/formation/mesh.json out of the instance's seed"
join_token="$(field 'd["join_token"]' <"$work/instance-mesh.json")" ||
  fail "the instance's mesh.json has no join_token: $(cat "$work/instance-mesh.json")"
(umask 077 && wg genkey >"$work/instance.key")
instance_key="$(wg pubkey <"$work/instance.key")"
in_instance curl -sS -o "$work/instance-join.json" -w '%{http_code}' \
  -H 'Content-Type: application/json' \
  -d "{\"join_token\": \"$join_token\", \"public_key\": \"$instance_key\"}" \
  "$api/v1/mesh/instance-join" >"$work/instance-join.code" || fail "POST /v1/mesh/instance-join"
[ "$(cat "$work/instance-join.code")" = 201 ] ||
  fail "instance-join answered $(cat "$work/instance-join.code"): $(cat "$work/instance-join.json")"
inst_addr="$(field 'd["config"]["address"]' <"$work/instance-join.json")"
# Its one peer is the node, routing the whole mesh (docs/mesh.md "Routing").
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))["config"]
peers = d["peers"]
assert len(peers) == 1 and peers[0]["allowed_ips"] == [d["cidr"]], peers
print("[Interface]\nPrivateKey = %s\nAddress = %s/%s" % (open(sys.argv[2]).read().strip(),
      d["address"], d["cidr"].split("/")[1]))
for p in peers:
    print("\n[Peer]\nPublicKey = %s\nAllowedIPs = %s\nEndpoint = %s\nPersistentKeepalive = %d"
          % (p["public_key"], ", ".join(p["allowed_ips"]), p["endpoint"], p["persistent_keepalive"]))' \
  "$work/instance-join.json" "$work/instance.key" >"$work/$inst_if.conf" ||
  fail "the instance's join answer is not one node peer routing the mesh: $(cat "$work/instance-join.json")"
chmod 600 "$work/$inst_if.conf"
in_instance wg-quick up "$work/$inst_if.conf" >"$work/inst-up.out" 2>&1 ||
  fail "wg-quick up (instance): $(cat "$work/inst-up.out")"
log "the instance joined with its seed's token as $inst_addr; its one peer is the node"

log "form mesh join --interface $dev_if --endpoint $laptop_ip:51821"
joined="$(form mesh join --interface "$dev_if" --endpoint "$laptop_ip:51821" -o json)" ||
  fail "form mesh join"
printf '%s\n' "$joined" >"$work/join.json"
bad_join() { fail "the join answer is not docs/mesh.md's {peer, config}: $joined"; }
dev_key="$(printf '%s' "$joined" | field 'd["peer"]["public_key"]')" || bad_join
dev_addr="$(printf '%s' "$joined" | field 'd["config"]["address"]')" || bad_join
node_addr="$(printf '%s' "$joined" |
  field "next((p['allowed_ips'][0] for p in d['config']['peers']
             if p.get('endpoint') == '$node_ip:51820'), '')")" || bad_join
node_addr="${node_addr%/32}"
[ -n "$node_addr" ] ||
  fail "the join answer lists no peer with the node's endpoint $node_ip:51820: $joined"
log "device $dev_addr (key $dev_key); the node is $node_addr in the mesh"

peers_json="$(form mesh peers -o json)" || fail "form mesh peers"
listed="$(printf '%s' "$peers_json" |
  field '",".join(p["address"] for p in d["peers"] if p["kind"] == "node")')" ||
  fail "form mesh peers -o json is not {peers: [...]}: $peers_json"
case ",$listed," in *",$node_addr,"*) ;; *) fail "form mesh peers lists nodes '$listed', not $node_addr" ;; esac

node_has_device() { in_node wg show "$node_if" peers | grep -qxF "$dev_key"; }
for _ in $(seq 1 50); do
  node_has_device && break
  sleep 0.1
done
node_has_device || fail "the node's $node_if did not get the device's key within 5 s"
log "the node's $node_if lists the device's key"

log "form mesh up --interface $dev_if"
form mesh up --interface "$dev_if" >"$work/up.out" 2>&1 || fail "form mesh up: $(cat "$work/up.out")"
conf="$HOME/.config/formation/mesh/$dev_if.conf"
[ -f "$conf" ] || fail "no $conf after join"
cp "$conf" "$work/replay/$dev_if.conf"
log "ping -c 3 -W 2 $node_addr from $laptop_ns"
in_laptop ping -c 3 -W 2 "$node_addr" >"$work/ping.out" 2>&1 ||
  fail "no answer from the node's mesh address $node_addr: $(cat "$work/ping.out")"
log "$(grep -o '[0-9]* received' "$work/ping.out") of 3"
# The instance, behind the node: the node forwards between them (its filter lets this pair by).
log "ping -c 3 -W 2 $inst_addr (the instance, through the node) from $laptop_ns"
in_laptop ping -c 3 -W 2 "$inst_addr" >"$work/ping-inst.out" 2>&1 ||
  fail "no answer from the instance's mesh address $inst_addr: $(cat "$work/ping-inst.out")"
log "$(grep -o '[0-9]* received' "$work/ping-inst.out") of 3"

log "form mesh down + form mesh leave"
form mesh down --interface "$dev_if" >/dev/null || fail "form mesh down"
left="$(form mesh leave --interface "$dev_if" -o json)" || fail "form mesh leave"
[ "$(printf '%s' "$left" | field 'd["left"]')" = true ] || fail "form mesh leave answered $left"
gone=""
for _ in $(seq 1 50); do
  if ! node_has_device; then
    gone=yes
    break
  fi
  sleep 0.1
done
[ -n "$gone" ] || fail "the node's $node_if still lists the device's key 5 s after the leave"
log "the node's $node_if no longer lists the device's key"

# The laptop as it was before leaving, back up: the node must not answer it any more.
log "wg-quick up the pre-leave config: the ping must now fail"
in_laptop wg-quick up "$work/replay/$dev_if.conf" >"$work/replay.out" 2>&1 ||
  fail "wg-quick up $work/replay/$dev_if.conf: $(cat "$work/replay.out")"
if in_laptop ping -c 2 -W 1 "$node_addr" >"$work/ping-after.out" 2>&1; then
  fail "the node still answers the device after its leave: $(cat "$work/ping-after.out")"
fi
if in_laptop ping -c 2 -W 1 "$inst_addr" >"$work/ping-after.out" 2>&1; then
  fail "the instance is still reachable after the device's leave: $(cat "$work/ping-after.out")"
fi
in_laptop wg-quick down "$work/replay/$dev_if.conf" >/dev/null 2>&1 || true
log "no answer from $node_addr after the leave"

# Another tenant with an instance on this node: its device is the node's peer, and routes the
# first tenant's instance through the node by hand. The node's filter must drop that.
log "another tenant's device, routing $inst_addr through the node by hand"
export FORM_KEY="$work/stranger.json"
form key new >/dev/null || fail "form key new (stranger)"
s_build="$(form pack build "$work/ctx" --quiet)" || fail "form pack build (stranger)"
s_instance="$(form instance create --build "$s_build" -o json | field 'd["id"]')" ||
  fail "form instance create (stranger)"
isoinfo -R -i "$work/data/instance-seeds/$s_instance.iso" -x /user-data >"$work/s-user-data" ||
  fail "no seed for the stranger's instance $s_instance"
s_token="$(seed_mesh_json "$work/s-user-data" | field 'd["join_token"]')" ||
  fail "no join token in the stranger's instance seed"
[ "$(in_node curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d "{\"join_token\": \"$s_token\", \"public_key\": \"$(wg genkey | wg pubkey)\"}" \
  "$api/v1/mesh/instance-join")" = 201 ] || fail "instance-join of the stranger's instance"
form mesh join --interface "$dev_if" --endpoint "$laptop_ip:51821" -o json >/dev/null ||
  fail "form mesh join (stranger)"
sed -i "s|^AllowedIPs = \(.*$node_addr/32.*\)|AllowedIPs = \1, $inst_addr/32|" "$conf"
grep -q "$inst_addr/32" "$conf" || fail "could not route $inst_addr in $conf"
in_laptop wg-quick up "$conf" >"$work/stranger-up.out" 2>&1 ||
  fail "wg-quick up (stranger): $(cat "$work/stranger-up.out")"
in_laptop ping -c 2 -W 2 "$node_addr" >"$work/ping-stranger.out" 2>&1 ||
  fail "the stranger's device does not reach the node: $(cat "$work/ping-stranger.out")"
if in_laptop ping -c 2 -W 1 "$inst_addr" >"$work/ping-stranger.out" 2>&1; then
  fail "another tenant's device reached $inst_addr: $(cat "$work/ping-stranger.out")"
fi
in_laptop wg-quick down "$conf" >/dev/null 2>&1 || true
log "it reaches the node, never the other tenant's instance"

index_after="$(ifindex)"
[ "$index_after" = "$index_before" ] ||
  fail "$node_if was recreated: ifindex $index_before before, '$index_after' after"
kill -0 "$daemon_pid" 2>/dev/null || fail "formationd died during the test"
log "$node_if kept ifindex $index_after; formationd still running"
log "PASS in $((SECONDS - t0)) s"
