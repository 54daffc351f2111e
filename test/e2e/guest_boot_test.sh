#!/usr/bin/env bash
# guest_boot_test.sh GUEST_DIR WORK_DIR — ctest e2e.guest.boot: boots the tiny guest of
# test/e2e/guest/make-guest (cached in GUEST_DIR) under the system libvirtd (the `libvirtd`
# fixture starts it) with a domain XML in the shape vmm-libvirt uses, then checks that
#   1. the guest reads the NoCloud seed: `FORMATION-SEED user-data sha256=` on the serial
#      console log equals the sha256 of the user-data we put in the ISO;
#   2. `virsh setvcpus --live` hot-adds a vCPU that the guest brings online (`cpus=2`);
#   3. a 128 MiB DIMM hot-added with `virsh attach-device --live` comes online (mem_kb);
#   4. `virsh shutdown` (ACPI power button) shuts the domain off within 30 s;
#   5. nothing is left: the domain is undefined, its overlay, seed and log are removed.
# Everything goes by the domain's name (formation-e2e-guest-boot) and files in WORK_DIR.
# Exit 77 (skipped) when libvirtd does not answer on qemu:///system.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
guest_dir="${1:?usage: guest_boot_test.sh GUEST_DIR WORK_DIR}"
work="${2:?usage: guest_boot_test.sh GUEST_DIR WORK_DIR}"
uri="qemu:///system"
name="formation-e2e-guest-boot"
virsh=(virsh -q -c "$uri")
t0=$SECONDS

log() { printf '[%3ds] %s\n' $((SECONDS - t0)) "$*"; }
fail() {
  echo "FAIL: $*" >&2
  echo "--- console log ($console) ---" >&2
  tail -n 60 "$console" >&2 2>/dev/null || true
  echo "--- /var/log/libvirt/qemu/$name.log ---" >&2
  tail -n 20 "/var/log/libvirt/qemu/$name.log" >&2 2>/dev/null || true
  exit 1
}

command -v virsh >/dev/null && timeout 10 "${virsh[@]}" version >/dev/null 2>&1 ||
  { echo "SKIP: libvirtd does not answer on $uri (see test/support/libvirt/start-libvirtd)"; exit 77; }
command -v genisoimage >/dev/null || { echo "SKIP: genisoimage is not installed"; exit 77; }

# Undefines the domain (destroying it first if it runs) — also one left by a killed run.
remove_domain() {
  if "${virsh[@]}" domstate "$name" >/dev/null 2>&1; then
    "${virsh[@]}" destroy "$name" >/dev/null 2>&1 || true
    "${virsh[@]}" undefine "$name" >/dev/null 2>&1 || true
  fi
}
cleanup() {
  remove_domain
  rm -f "$work/overlay.qcow2" "$work/seed.iso" "$work/domain.xml" "$work/dimm.xml" "$work/console.log"
  rm -rf "$work/seed"
  rmdir "$work" 2>/dev/null || true
}
mkdir -p "$work"
work="$(cd "$work" && pwd)"
console="$work/console.log"
remove_domain
trap cleanup EXIT
trap "exit 143" TERM INT HUP

# The guest (cached) and its files.
eval "$("$here/guest/make-guest" "$guest_dir" | sed -n 's/^\([A-Z_]*\)=\(.*\)$/\1='"'"'\2'"'"'/p')"
log "guest: kernel $KERNEL_VERSION, cmdline '$CMDLINE'"

# The NoCloud seed, as builder-cloudinit lays it out (volume id cidata).
rm -rf "$work/seed"
mkdir -p "$work/seed"
printf '#cloud-config\n# formation e2e guest boot %s\nruncmd:\n  - [echo, hello]\n' \
  "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$work/seed/user-data"
printf 'instance-id: %s\nlocal-hostname: %s\n' "$name" "$name" >"$work/seed/meta-data"
printf 'version: 2\nethernets: {}\n' >"$work/seed/network-config"
tar -C "$work/seed" -cf "$work/seed/context.tar" --files-from /dev/null
genisoimage -quiet -output "$work/seed.iso" -volid cidata -joliet -rock \
  "$work/seed/user-data" "$work/seed/meta-data" "$work/seed/network-config" \
  "$work/seed/context.tar"
want_sha="$(sha256sum "$work/seed/user-data" | cut -d' ' -f1)"

# The root disk: a qcow2 overlay of the base image.
rm -f "$work/overlay.qcow2" "$console"
qemu-img create -q -f qcow2 -F qcow2 -b "$BASE_IMAGE" "$work/overlay.qcow2"

cat >"$work/domain.xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <maxMemory slots='16' unit='MiB'>2048</maxMemory>
  <memory unit='MiB'>512</memory>
  <currentMemory unit='MiB'>512</currentMemory>
  <vcpu placement='static' current='1'>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$KERNEL</kernel>
    <initrd>$INITRD</initrd>
    <cmdline>$CMDLINE</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu>
    <numa><cell id='0' cpus='0-1' memory='512' unit='MiB'/></numa>
  </cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$work/overlay.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='$work/seed.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <serial type='pty'>
      <log file='$console' append='off'/>
    </serial>
    <console type='pty'/>
  </devices>
</domain>
XML

"${virsh[@]}" define "$work/domain.xml" >/dev/null || fail "virsh define"
"${virsh[@]}" start "$name" >/dev/null || fail "virsh start"
log "started domain $name"

# Waits until the console log has a line matching the regex; prints that line.
wait_console() { # REGEX TIMEOUT_S
  local deadline=$((SECONDS + $2)) line
  while [ $SECONDS -lt $deadline ]; do
    line="$(grep -aE "$1" "$console" 2>/dev/null | tail -n 1 | tr -d '\r')"
    [ -n "$line" ] && { echo "$line"; return 0; }
    [ "$("${virsh[@]}" domstate "$name" 2>/dev/null)" = running ] || fail "domain is no longer running"
    sleep 0.5
  done
  return 1
}

seed_line="$(wait_console '^FORMATION-SEED (user-data|none)' 90)" ||
  fail "no FORMATION-SEED line on the console within 90 s"
log "console: $seed_line"
got_sha="$(echo "$seed_line" | sed -n 's/^FORMATION-SEED user-data sha256=\([0-9a-f]\{64\}\).*/\1/p')"
[ "$got_sha" = "$want_sha" ] || fail "user-data digest: guest saw '${got_sha:-nothing}', want $want_sha"
files_line="$(wait_console '^FORMATION-SEED files=' 10)" || fail "no FORMATION-SEED files= line"
log "console: $files_line"
for f in user-data meta-data network-config context.tar; do
  echo " ${files_line#*files=} " | grep -q " $f " || fail "the guest does not see $f in the seed"
done
line="$(wait_console '^FORMATION-GUEST cpus=1 ' 30)" || fail "no 'FORMATION-GUEST cpus=1' line"
log "console: $line"

"${virsh[@]}" setvcpus "$name" 2 --live || fail "virsh setvcpus $name 2 --live"
line="$(wait_console '^FORMATION-GUEST cpus=2 ' 30)" || fail "the hot-added vCPU did not come online in 30 s"
log "console: $line"
[ "$("${virsh[@]}" vcpucount "$name" --live --active)" = 2 ] || fail "libvirt does not count 2 live vCPUs"

# Memory hot-add: a 128 MiB DIMM in NUMA cell 0 (the maxMemory headroom), onlined by the guest.
mem_before="$(echo "$line" | sed -n 's/.* mem_kb=\([0-9]*\).*/\1/p')"
cat >"$work/dimm.xml" <<XML
<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>
XML
"${virsh[@]}" attach-device "$name" "$work/dimm.xml" --live >/dev/null || fail "virsh attach-device (DIMM)"
deadline=$((SECONDS + 30))
while :; do
  mem_now="$(grep -aE '^FORMATION-GUEST cpus=' "$console" | tail -n 1 | sed -n 's/.* mem_kb=\([0-9]*\).*/\1/p')"
  [ "${mem_now:-0}" -ge $((mem_before + 131072)) ] && break
  [ $SECONDS -lt $deadline ] || fail "the hot-added 128 MiB did not come online in 30 s (mem_kb ${mem_now:-?})"
  sleep 0.5
done
log "console: FORMATION-GUEST mem_kb=$mem_now (was $mem_before)"

"${virsh[@]}" shutdown "$name" >/dev/null || fail "virsh shutdown"
deadline=$((SECONDS + 30))
until [ "$("${virsh[@]}" domstate "$name" 2>/dev/null)" = "shut off" ]; do
  [ $SECONDS -lt $deadline ] || fail "the domain did not shut off within 30 s of virsh shutdown"
  sleep 0.5
done
log "domain shut off after virsh shutdown"
grep -aq 'FORMATION-GUEST poweroff' "$console" || fail "the guest did not log its poweroff"

"${virsh[@]}" undefine "$name" >/dev/null || fail "virsh undefine"
cleanup
trap - EXIT
"${virsh[@]}" domstate "$name" >/dev/null 2>&1 && fail "domain $name is still defined"
[ ! -e "$work/overlay.qcow2" ] || fail "overlay left behind"
log "PASS"
