#include "api/instance_mesh.hpp"

#include <spdlog/spdlog.h>

#include <system_error>
#include <utility>
#include <vector>

#include "api/api_support.hpp"

namespace formation::host::api {
namespace {

constexpr const char* kInterface = "formnet0";
constexpr const char* kConfigPath = "/etc/formation/mesh.json";
constexpr const char* kScriptPath = "/usr/local/sbin/formation-mesh-join";

// POSIX sh and the tools of any cloud image (sed, awk, curl or wget, wireguard-tools): no
// JSON parser is assumed, so the script reads the compact JSON this host writes (one
// object per line, fields in a fixed order) with sed and awk.
constexpr const char* kScript = R"SH(#!/bin/sh
# Joins this instance to the Formation mesh on its first boot (docs/mesh.md "Instances"):
# a WireGuard key made here (the private key never leaves), the one-time join token of
# /etc/formation/mesh.json, and the configuration the node answers.
set -eu
umask 077
conf=/etc/formation/mesh.json
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$conf" | head -n 1; }
iface=$(field interface)
wgconf="/etc/wireguard/$iface.conf"
# wg-quick needs bash and iproute2; where it is missing, its steps with wg and ip alone
# (busybox ip too): the link, the config without wg-quick's Address line (wg setconf
# refuses it), the address with its prefix (whose route covers the mesh), up.
up() {
  if command -v wg-quick > /dev/null 2>&1; then
    wg-quick up "$iface"
    return
  fi
  ip link add dev "$iface" type wireguard
  setconf=$(mktemp)
  sed '/^Address *=/d' "$wgconf" > "$setconf"
  rc=0
  wg setconf "$iface" "$setconf" || rc=$?
  rm -f "$setconf"
  [ "$rc" -eq 0 ] || exit "$rc"
  ip address add "$(sed -n 's/^Address *= *//p' "$wgconf")" dev "$iface"
  ip link set "$iface" up
}
if [ -s "$wgconf" ]; then
  up
  exit 0
fi
mkdir -p /etc/wireguard
key="/etc/wireguard/$iface.key"
[ -s "$key" ] || wg genkey > "$key"
chmod 600 "$key"
body="{\"join_token\": \"$(field join_token)\", \"public_key\": \"$(wg pubkey < "$key")\"}"
url="$(field api_url)/v1/mesh/instance-join"
answer=$(mktemp)
trap 'rm -f "$answer"' EXIT
tries=0
until
  if command -v curl > /dev/null 2>&1; then
    curl -fsS -H 'Content-Type: application/json' -d "$body" -o "$answer" "$url"
  else
    wget -q -O "$answer" --header='Content-Type: application/json' --post-data="$body" "$url"
  fi
do
  tries=$((tries + 1))
  [ "$tries" -lt 30 ] || { echo "formation-mesh-join: $url did not answer" >&2; exit 1; }
  sleep 5
done
cfg=$(sed 's/.*"config"://' "$answer")
address=$(printf '%s\n' "$cfg" | sed -n 's/^{"peer_id":"[^"]*","address":"\([^"]*\)".*/\1/p')
prefix=$(printf '%s\n' "$cfg" | sed -n 's/.*"cidr":"[^"]*\/\([0-9]*\)".*/\1/p')
tmp="$wgconf.tmp"
{
  printf '[Interface]\nPrivateKey = %s\nAddress = %s/%s\n' "$(cat "$key")" "$address" "$prefix"
  printf '%s\n' "$cfg" | sed 's/.*"peers":\[//; s/\]}}*$//' |
    awk '{ n = split($0, parts, /\},\{/); for (i = 1; i <= n; i++) print parts[i] }' |
    while IFS= read -r peer; do
      [ -n "$peer" ] || continue
      get() { printf '%s\n' "$peer" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
      ips=$(printf '%s\n' "$peer" | sed -n 's/.*"allowed_ips":\[\([^]]*\)\].*/\1/p' |
        sed 's/"//g; s/,/, /g')
      keepalive=$(printf '%s\n' "$peer" | sed -n 's/.*"persistent_keepalive":\([0-9]*\).*/\1/p')
      printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = %s\n' "$(get public_key)" "$ips"
      endpoint=$(get endpoint)
      [ -z "$endpoint" ] || printf 'Endpoint = %s\n' "$endpoint"
      [ "${keepalive:-0}" -eq 0 ] || printf 'PersistentKeepalive = %s\n' "$keepalive"
    done
} > "$tmp"
chmod 600 "$tmp"
mv "$tmp" "$wgconf"
up
)SH";

std::string mesh_json(const std::string& token, const std::string& api_url,
                      const LocalInterface& local, const std::string& address,
                      const std::string& cidr) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  put_string(w, "join_token", token);
  put_string(w, "api_url", api_url);
  put_string(w, "node_endpoint", local.endpoints.empty() ? "" : local.endpoints.front());
  put_string(w, "node_public_key", local.public_key);
  put_string(w, "address", address);
  put_string(w, "cidr", cidr);
  put_string(w, "interface", kInterface);
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

}  // namespace

std::string mesh_join_script() { return kScript; }

Result<std::optional<std::string>> InstanceMesh::reserve(const std::string& owner) const {
  Mesh* m = mesh();
  if (m == nullptr) return std::optional<std::string>();
  auto reservation = m->allocate_address(MeshPeerKind::instance, owner);
  if (!reservation.is_ok()) {
    return Status(reservation.status().code(),
                  "reserving a mesh address for the instance: " + reservation.status().message());
  }
  return std::optional<std::string>(reservation->address);
}

void InstanceMesh::release(const std::optional<std::string>& address) const {
  if (!address || address->empty()) return;
  Mesh* m = mesh();
  if (m == nullptr) {
    spdlog::warn("mesh: cannot free address {}: no mesh plugin is enabled", *address);
    return;
  }
  if (auto st = m->release_address(*address); !st.is_ok()) {
    spdlog::warn("mesh: freeing address {} failed: {}", *address, st.to_string());
    return;
  }
  if (auto st = m->apply(); !st.is_ok()) {
    spdlog::warn("mesh: applying the peer set after freeing {} failed: {}", *address,
                 st.to_string());
  }
}

std::filesystem::path InstanceMesh::seed_for(const std::string& instance_id,
                                             const std::string& build_id,
                                             const std::optional<std::string>& address,
                                             const std::filesystem::path& build_seed) const {
  Mesh* m = mesh();
  ImageBuilder* builder = options_.builder ? options_.builder() : nullptr;
  if (m == nullptr || builder == nullptr || !address || address->empty() || !options_.tokens) {
    return build_seed;
  }
  auto fallback = [&](const std::string& why) {
    spdlog::warn("instance {}: no mesh join in its seed ({}); it boots with its build's seed",
                 instance_id, why);
    return build_seed;
  };
  auto local = m->local_interface();
  if (!local.is_ok()) return fallback("the mesh interface: " + local.status().to_string());
  // The root range, from this node's own configuration; the documented default when the node
  // has not joined (the guest only takes its prefix length, for its interface's route).
  std::string cidr = "10.42.0.0/16";
  if (auto config = m->peer_config_for(options_.node_id); config.is_ok() && !config->cidr.empty()) {
    cidr = config->cidr;
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.seed_dir, ec);
  InstanceSeedRequest request;
  request.build_id = build_id;
  request.instance_id = instance_id;
  request.output = options_.seed_dir / (instance_id + ".iso");
  request.files.push_back(
      SeedFile{kConfigPath,
               mesh_json(options_.tokens->mint(instance_id, *address),
                         options_.api_url ? options_.api_url() : "", *local, *address, cidr),
               "0600"});
  request.files.push_back(SeedFile{kScriptPath, kScript, "0755"});
  request.commands.emplace_back(kScriptPath);
  if (auto st = builder->instance_seed(request); !st.is_ok()) {
    return fallback("the image builder's instance_seed: " + st.to_string());
  }
  return request.output;
}

void InstanceMesh::remove_seed(const std::string& instance_id) const {
  std::error_code ignored;
  std::filesystem::remove(options_.seed_dir / (instance_id + ".iso"), ignored);
}

}  // namespace formation::host::api
