#!/usr/bin/env bash
# instance_api_test.sh FORMATIOND FORM PLUGIN_DIR GUEST_DIR WORK_DIR — ctest e2e.instance.api:
# the whole path on a real QEMU guest under the system libvirtd, through formationd
# (state-sqlite, builder-cloudinit, vmm-libvirt) and the `form` CLI:
#   1. `form pack build` + `form instance create` → Started; the guest mounts the NoCloud
#      seed and prints the sha256 of user-data on its serial console: it must equal the
#      user-data inside the build's seed ISO;
#   2. `form instance resize` hot-adds a vCPU and 128 MiB the guest brings online, and
#      `form instance attach-disk` adds a disk live;
#   3. refusals with their reason (start of a Started instance, live memory shrink, resize
#      and create beyond the node); stop; a domain undefined behind formationd's back is
#      defined again, a domain of ours that no instance owns is removed; start, reboot, stop; `form instance delete` → no domain, no disk left;
#   4. formationd killed with SIGKILL right after a create was accepted: after a restart the
#      instance is Started (not stuck in Created) and there is exactly one domain for it;
#      deleting it leaves nothing behind.
# Exit 77 (skipped) when libvirtd does not answer on qemu:///system.
set -euo pipefail

formationd="${1:?usage: instance_api_test.sh FORMATIOND FORM PLUGIN_DIR GUEST_DIR WORK_DIR}"
form_bin="${2:?}"
plugins="${3:?}"
guest_dir="${4:?}"
work="${5:?}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=test/e2e/lib.sh
. "$here/lib.sh"
uri="qemu:///system"
virsh=(virsh -q -c "$uri")
pid=""

fail() {
  echo "FAIL: $*" >&2
  echo "--- formationd log ---" >&2
  tail -n 40 "$work/formationd.log" >&2 2>/dev/null || true
  for f in "$work"/data/consoles/*.log; do
    [ -e "$f" ] || continue
    echo "--- console $f ---" >&2
    tail -n 30 "$f" >&2
  done
  exit 1
}

timeout 10 "${virsh[@]}" version >/dev/null 2>&1 ||
  skip "libvirtd does not answer on $uri (see test/support/libvirt/start-libvirtd)"

# Domains and disks this run made, removed whatever happens.
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  for d in $("${virsh[@]}" list --all --name 2>/dev/null | grep '^formation-' || true); do
    if "${virsh[@]}" dumpxml "$d" 2>/dev/null | grep -q "$work"; then
      "${virsh[@]}" destroy "$d" >/dev/null 2>&1 || true
      "${virsh[@]}" undefine "$d" >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work/etc/plugins.d" "$work/home" "$work/ctx"

load_guest "$guest_dir"

cat >"$work/etc/formation.json" <<JSON
{"listen": {"address": "127.0.0.1", "port": 0}, "data_dir": "$work/data",
 "plugin_dirs": ["$plugins"],
 "node": {"capacity": {"vcpus": 4, "memory_mb": 4096, "disk_gb": 50}, "reconcile_seconds": 5}}
JSON
write_node_plugins "$work/etc" "$BASE_IMAGE" "$uri" none "$KERNEL" "$INITRD" "$CMDLINE"

starts=0
start_formationd() {
  starts=$((starts + 1))
  local out="$work/formationd-$starts.log"  # one per start: the port changes
  "$formationd" --config-dir "$work/etc" >"$out" 2>&1 &
  pid=$!
  ln -sf "$out" "$work/formationd.log"
  for _ in $(seq 1 100); do
    url="$(grep -o 'listening on http://[0-9.:]*' "$out" | tail -n 1 | sed 's/listening on //' ||
      true)"
    [ -n "$url" ] && kill -0 "$pid" 2>/dev/null && return 0
    sleep 0.2
  done
  fail "formationd did not start"
}

export HOME="$work/home" FORM_PASSPHRASE="e2e passphrase"
key="$work/key.json"
echo "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318" >"$work/key.hex"
"$form_bin" --key "$key" key import --private-key-file "$work/key.hex" >/dev/null

start_formationd
form() { "$form_bin" --api "$url" --key "$key" "$@"; }
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d'"' -f4; }
log "formationd at $url"

printf 'NAME e2e-guest\nUSER username:e2e passwd:e2e-secret\nVCPU 1\nMEM 512\nDISK 5\n' \
  >"$work/ctx/Formfile"
build_id="$(form pack build "$work/ctx" --quiet)" || fail "form pack build"
log "build $build_id"
seed="$(find "$work/data" -path "*$build_id*" -name seed.iso | head -n 1)"
[ -f "$seed" ] || fail "no seed.iso for build $build_id"
expected="$(isoinfo -i "$seed" -R -x /user-data | sha256sum | cut -d' ' -f1)"

created="$(form instance create --build "$build_id" -o json)" || fail "form instance create"
id="$(printf '%s' "$created" | field id)"
log "instance $id: $(printf '%s' "$created" | field state)"
[ "$(form instance show "$id" -o json | field state)" = Started ] || fail "instance $id is not Started"
console="$work/data/consoles/$id.log"

wait_console() {  # PATTERN SECONDS
  for _ in $(seq 1 $(($2 * 2))); do
    grep -q -- "$1" "$console" 2>/dev/null && return 0
    sleep 0.5
  done
  fail "no '$1' on the console of $id within $2 s"
}
wait_console "FORMATION-SEED user-data sha256=" 120
seen="$(grep -o 'FORMATION-SEED user-data sha256=[0-9a-f]*' "$console" | head -n 1 | cut -d= -f2)"
[ "$seen" = "$expected" ] || fail "the guest saw user-data $seen, the build wrote $expected"
log "guest read the seed: user-data sha256=$seen"
wait_console "cpus=1" 30

form instance resize "$id" --vcpus 2 >/dev/null || fail "form instance resize --vcpus 2"
wait_console "cpus=2" 60
log "hot-added vCPU is online in the guest"
last_mem() { grep -o 'mem_kb=[0-9]*' "$console" | tail -n 1 | cut -d= -f2; }
before="$(last_mem)"
form instance resize "$id" --memory 640 >/dev/null || fail "form instance resize --memory 640"
for _ in $(seq 1 120); do
  [ "$(last_mem)" -gt "$before" ] && break
  sleep 0.5
done
[ "$(last_mem)" -gt "$before" ] || fail "the guest's memory stayed at $before kB after the resize"
log "hot-added memory is online in the guest ($before -> $(last_mem) kB)"
attached="$(form instance attach-disk "$id" --size 1 -o json)" || fail "form instance attach-disk"
[ "$(printf '%s' "$attached" | field device)" = vdb ] || fail "attach-disk answered $attached"
log "attached a 1 GB disk live as vdb"

# What cannot be done is refused with the reason, and changes nothing.
expect_refused() {  # WHAT PATTERN COMMAND...
  local what=$1 pattern=$2 out
  shift 2
  if out="$(form "$@" 2>&1)"; then fail "$what was accepted: $out"; fi
  printf '%s' "$out" | grep -q -- "$pattern" || fail "$what: expected '$pattern' in: $out"
}
expect_refused "starting a Started instance" "is Started" instance start "$id"
expect_refused "shrinking memory live" "cannot shrink" instance resize "$id" --memory 512
expect_refused "a resize beyond the node" "cannot fit" instance resize "$id" --vcpus 64
expect_refused "a create beyond the node" "cannot fit" instance create --build "$build_id" --vcpus 8
log "refused: start of a Started instance, live shrink, resize and create beyond the node"

form instance stop "$id" >/dev/null || fail "form instance stop"
[ "$(form instance show "$id" -o json | field state)" = Stopped ] || fail "not Stopped after stop"
# A domain that vanishes behind formationd's back is defined again by reconciliation.
"${virsh[@]}" undefine "formation-$id" >/dev/null
for _ in $(seq 1 60); do
  "${virsh[@]}" domstate "formation-$id" >/dev/null 2>&1 && break
  sleep 0.5
done
"${virsh[@]}" domstate "formation-$id" >/dev/null 2>&1 ||
  fail "reconciliation did not define the vanished domain of $id again"
log "reconciliation defined the vanished domain again"
# A domain tagged as this node's that no instance owns is removed by reconciliation.
orphan_id="$(printf '%016x' $((RANDOM * RANDOM * RANDOM)))"
"${virsh[@]}" dumpxml --inactive "formation-$id" |
  sed -e "s/formation-$id/formation-$orphan_id/g" -e "s/id=\"$id\"/id=\"$orphan_id\"/" \
    -e '/<uuid>/d' -e "s|disks/$id/|disks/$orphan_id/|" >"$work/orphan.xml"
mkdir -p "$work/data/vmm-libvirt/default/disks/$orphan_id"
qemu-img create -q -f qcow2 "$work/data/vmm-libvirt/default/disks/$orphan_id/root.qcow2" 1G
"${virsh[@]}" define "$work/orphan.xml" >/dev/null
for _ in $(seq 1 60); do
  "${virsh[@]}" domstate "formation-$orphan_id" >/dev/null 2>&1 || break
  sleep 0.5
done
if "${virsh[@]}" domstate "formation-$orphan_id" >/dev/null 2>&1; then
  fail "reconciliation left the orphan domain formation-$orphan_id"
fi
[ ! -e "$work/data/vmm-libvirt/default/disks/$orphan_id" ] || fail "the orphan's disk is still there"
log "reconciliation removed an orphan domain and its disk"
form instance start "$id" >/dev/null || fail "form instance start"
[ "$(form instance show "$id" -o json | field state)" = Started ] || fail "not Started after start"
wait_console "FORMATION-SEED user-data" 120
form instance reboot "$id" >/dev/null || fail "form instance reboot"
# The guest boots again in the same QEMU: a second seed line. Stopping before it is up
# would wait for the ACPI timeout (its acpid is not running yet).
for _ in $(seq 1 240); do
  [ "$(grep -c 'FORMATION-SEED user-data' "$console")" -ge 2 ] && break
  sleep 0.5
done
[ "$(grep -c 'FORMATION-SEED user-data' "$console")" -ge 2 ] || fail "the guest did not boot again"
form instance stop "$id" >/dev/null || fail "form instance stop (again)"
log "stopped, started, rebooted, stopped"
form instance delete "$id" --yes >/dev/null || fail "form instance delete"
if "${virsh[@]}" domstate "formation-$id" >/dev/null 2>&1; then fail "domain formation-$id still defined"; fi
[ ! -e "$work/data/vmm-libvirt/default/disks/$id" ] || fail "the disks of $id are still there"
log "deleted: no domain, no disk"

# A create interrupted by SIGKILL: reconciliation after the restart finishes it.
accepted="$(form instance create --build "$build_id" --no-wait -o json)" || fail "create --no-wait"
id2="$(printf '%s' "$accepted" | field id)"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
log "formationd killed during the create of $id2"
start_formationd
state=""
for _ in $(seq 1 120); do
  state="$(form instance show "$id2" -o json 2>/dev/null | field state || true)"
  [ "$state" = Started ] && break
  sleep 0.5
done
[ "$state" = Started ] || fail "after the restart instance $id2 is '$state', not Started"
count="$("${virsh[@]}" list --all --name | grep -c "^formation-$id2\$" || true)"
[ "$count" = 1 ] || fail "expected one domain for $id2, found $count"
log "after the restart $id2 is Started with one domain"
form instance delete "$id2" --yes >/dev/null || fail "form instance delete $id2"
if "${virsh[@]}" domstate "formation-$id2" >/dev/null 2>&1; then fail "domain of $id2 left behind"; fi
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
pid=""
log "PASS"
