// Names and the mesh: DNS records served by the Dns plugin and the WireGuard peers of the
// mesh (the seed network's "formnet").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "formation/records/common.hpp"
#include "formation/visibility.hpp"

namespace formation {

// ---- DNS -------------------------------------------------------------------------------

enum class DnsRecordType { a, aaaa, cname, txt };

// Wire names are the DNS type mnemonics.
constexpr std::string_view to_string(DnsRecordType type) {
  switch (type) {
    case DnsRecordType::a: return "A";
    case DnsRecordType::aaaa: return "AAAA";
    case DnsRecordType::cname: return "CNAME";
    case DnsRecordType::txt: return "TXT";
  }
  return "A";
}

inline constexpr std::array kAllDnsRecordTypes = {DnsRecordType::a, DnsRecordType::aaaa,
                                                  DnsRecordType::cname, DnsRecordType::txt};

// Case-sensitive: callers upper-case first when they accept "a" from people.
constexpr std::optional<DnsRecordType> parse_dns_record_type(std::string_view name) {
  return detail::parse_enum(name, kAllDnsRecordTypes);
}

// One RRset: every value of one type at one name. The key is (fqdn, type).
struct FORMATION_API DnsRecord {
  std::string fqdn;  // lower case, no trailing dot: "web.tenant.formation.cloud"
  DnsRecordType type = DnsRecordType::a;
  std::vector<std::string> values;  // addresses, a target name, or TXT strings (unquoted)
  std::int64_t ttl = 300;           // seconds
  std::string owner;                // address
  // Set for names that follow an instance (its automatic name, or a vanity name pointing
  // at it): the Dns plugin answers the instance's current addresses, not `values`.
  std::optional<std::string> instance_id;
  // A custom domain is served only once verified; names under the network's own zone
  // are written verified.
  bool verified = false;
  // Expected in TXT at "_formation-challenge.<fqdn>"; empty when verified by construction.
  std::string verification_token;
  TimePoint created_at;
  TimePoint updated_at;
  std::int64_t version = 0;
};

// ---- mesh ------------------------------------------------------------------------------

enum class MeshPeerKind { node, instance, device };

constexpr std::string_view to_string(MeshPeerKind kind) {
  switch (kind) {
    case MeshPeerKind::node: return "node";
    case MeshPeerKind::instance: return "instance";
    case MeshPeerKind::device: return "device";
  }
  return "device";
}

inline constexpr std::array kAllMeshPeerKinds = {MeshPeerKind::node, MeshPeerKind::instance,
                                                 MeshPeerKind::device};

constexpr std::optional<MeshPeerKind> parse_mesh_peer_kind(std::string_view name) {
  return detail::parse_enum(name, kAllMeshPeerKinds);
}

// A member of the mesh. A row with an empty `public_key` is an address reservation
// (Mesh::allocate_address) that has not joined yet.
struct FORMATION_API MeshPeer {
  std::string id;  // lower-case hex; the key (a node's peer id is its node id)
  MeshPeerKind kind = MeshPeerKind::device;
  std::string owner;       // address: the tenant for devices and instances, the operator for nodes
  std::string public_key;  // WireGuard key, base64 as `wg` prints it (44 characters); unique
  std::string address;     // mesh IP literal inside the root CIDR ("10.42.8.17"); unique
  std::vector<std::string> endpoints;      // "ip:port" candidates, best first; may be empty
  std::string node_id;                     // instance: its node; node: itself; device: empty
  std::optional<std::string> instance_id;  // instance peers only
  TimePoint created_at;
  TimePoint updated_at;
  std::int64_t version = 0;
};

}  // namespace formation
