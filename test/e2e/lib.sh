# Sourced by the end-to-end scripts (docs/e2e.md): progress lines, skipping, and the plugin
# configuration of a node they all start.
t0=$SECONDS

log() { printf '[%3ds] %s\n' $((SECONDS - t0)) "$*"; }

# Exit 77, which ctest reports as skipped (SKIP_RETURN_CODE).
skip() {
  echo "SKIP: $*"
  exit 77
}

# require_root_and WHY TOOL...: skipped unless run as root with every TOOL installed.
require_root_and() {
  local why=$1 tool
  shift
  [ "$(id -u)" = 0 ] || skip "needs root ($why)"
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (tools/dev deps)"
  done
}

# load_guest GUEST_DIR: the tiny guest (guest/make-guest, cached in GUEST_DIR), with its
# KERNEL, INITRD, CMDLINE and BASE_IMAGE set from its guest.env.
load_guest() {
  "$(dirname "${BASH_SOURCE[0]}")/guest/make-guest" "$1" >/dev/null
  KERNEL="$(sed -n 's/^KERNEL=//p' "$1/guest.env")"
  INITRD="$(sed -n 's/^INITRD=//p' "$1/guest.env")"
  CMDLINE="$(sed -n 's/^CMDLINE=//p' "$1/guest.env")"
  BASE_IMAGE="$(sed -n 's/^BASE_IMAGE=//p' "$1/guest.env")"
}

# write_node_plugins ETC_DIR BASE_IMAGE URI NETWORK [KERNEL INITRD CMDLINE]: plugins.d for
# state-sqlite, builder-cloudinit on BASE_IMAGE, and vmm-libvirt on URI (domain type qemu:
# TCG) with guests on the libvirt network type NETWORK, booting KERNEL directly when given.
write_node_plugins() {
  local etc=$1 base=$2 uri=$3 network=$4 boot=""
  [ $# -ge 7 ] &&
    boot=", \"direct_boot\": {\"kernel\": \"$5\", \"initrd\": \"$6\", \"cmdline\": \"$7\"}"
  echo '{"plugin": "state-sqlite", "parameters": {}}' >"$etc/plugins.d/state-sqlite.json"
  cat >"$etc/plugins.d/builder-cloudinit.json" <<JSON
{"plugin": "builder-cloudinit", "parameters": {"base_image": "$base"}}
JSON
  cat >"$etc/plugins.d/vmm-libvirt.json" <<JSON
{"plugin": "vmm-libvirt", "parameters": {"uri": "$uri", "domain_type": "qemu",
 "network": {"type": "$network"}$boot}}
JSON
}
