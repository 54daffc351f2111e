// Mesh: the private WireGuard network every node, instance and tenant device is on (the
// seed network's "formnet"; `mesh-wireguard`). The state store holds the truth (MeshPeer
// rows); each node's Mesh plugin allocates addresses in its configured ranges, decides who
// may see whom, and keeps its own WireGuard interface in step with the store.
//
// Who may see whom (peer_config_for / list_peers):
//   device    its owner's instances and the nodes that host them
//   instance  its node and its owner's devices
//   node      every other node, and the instances and devices that may see it
//
// Error codes:
//   invalid      a bad public key (not 44 characters of base64 of 32 bytes), an address
//                outside the range, an endpoint that is not "ip:port"
//   not_found    no such peer
//   conflict     the public key is in use; the kind's address range is exhausted
//   unavailable  the state store or the interface cannot be reached (retry)
//   unsupported  an OPTIONAL method this backend does not implement
//   internal     anything else
// Nothing stays allocated when a call fails.
//
// Threading: every method may be called concurrently from several threads; calls block
// (state store, netlink) and run on the blocking pool. apply() is serialised by the
// implementation (two concurrent calls apply once or twice, never interleaved).
//
// Events: consumes `mesh.` (peer added/removed/endpoints changed) and `instance.deleted`
// to call apply() promptly; because the bus is per process and other hosts write the
// same store, it also applies on a timer (MeshPeerRepository::change_serial tells whether
// anything changed). Publishes none; the host publishes `mesh.peer_added`,
// `mesh.peer_removed` and `mesh.endpoints_changed` after its API calls succeed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "formation/plugin.hpp"
#include "formation/records/network.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

// What add_peer needs; the plugin fills in the rest of the MeshPeer.
struct FORMATION_API MeshPeerRequest {
  MeshPeerKind kind = MeshPeerKind::device;
  std::string owner;       // address
  std::string public_key;  // base64, as `wg pubkey` prints it; the private key never leaves
                           // the peer
  // An address reserved earlier by allocate_address() for the same kind and owner; empty
  // to allocate one now.
  std::string address;
  std::vector<std::string> endpoints;  // "ip:port", may be empty
  std::string node_id;                 // instances: their node
  std::optional<std::string> instance_id;
};

// One [Peer] section of a WireGuard configuration.
struct FORMATION_API WireGuardPeer {
  std::string peer_id;
  std::string public_key;
  std::vector<std::string> allowed_ips;  // CIDRs: "10.42.8.17/32"
  std::string endpoint;                  // "ip:port"; empty when unknown (it will call us)
  int persistent_keepalive_s = 0;        // 0 = off
};

// Everything a peer needs to configure its side (a wg-quick file, minus the private key).
struct FORMATION_API PeerConfig {
  std::string peer_id;
  std::string address;  // its own mesh address
  std::string cidr;     // the mesh's root range, e.g. "10.42.0.0/16"
  std::vector<WireGuardPeer> peers;
};

// The WireGuard interface this node runs.
struct FORMATION_API LocalInterface {
  std::string name;        // "formnet0"
  std::string public_key;  // base64
  int listen_port = 0;
  std::string address;  // the node's own mesh address; empty until the node has joined
  // Where peers reach this node, "ip:port", best first: the configured `advertise`
  // endpoints, else this host's non-loopback addresses with the listen port.
  std::vector<std::string> endpoints;
};

class FORMATION_API Mesh : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::mesh;

  // REQUIRED. Reserves an address in `kind`'s range for `owner` that no other peer holds,
  // also against other hosts allocating at the same time (the store's unique address),
  // and returns the reservation (a MeshPeer with an empty public key). Used when the
  // address must be known before the peer has a key (an instance's cloud-init).
  // conflict when the range is exhausted.
  virtual Result<MeshPeer> allocate_address(MeshPeerKind kind, const std::string& owner) = 0;

  // REQUIRED. Frees a reservation or a peer's address (and removes that peer). ok when
  // the address is not allocated.
  virtual Status release_address(const std::string& address) = 0;

  // REQUIRED. Adds a peer (a join): validates its key and endpoints, uses the reserved
  // address or allocates one, stores it, and returns it.
  virtual Result<MeshPeer> add_peer(const MeshPeerRequest& request) = 0;

  // REQUIRED. Removes a peer and frees its address (a leave). not_found when unknown.
  virtual Status remove_peer(const std::string& peer_id) = 0;

  // REQUIRED. The peers `visible_to` (an account address) may see: its own devices and
  // instances and the nodes hosting those. Every peer when `visible_to` is empty (admin).
  virtual Result<std::vector<MeshPeer>> list_peers(const std::string& visible_to) = 0;

  // REQUIRED. The configuration peer `peer_id` should run: its address and exactly the
  // peers it may see, with their best endpoints. not_found when unknown.
  virtual Result<PeerConfig> peer_config_for(const std::string& peer_id) = 0;

  // REQUIRED. Brings this node's interface in step with the store by applying the
  // difference (peers added, removed, endpoints or allowed IPs changed), never by tearing
  // the interface down. ok when nothing changed.
  virtual Status apply() = 0;

  // REQUIRED. This node's interface: public key and listen port for the node's MeshPeer
  // row and for peers' configurations. unavailable before start().
  virtual Result<LocalInterface> local_interface() = 0;

  // OPTIONAL. A peer reports where it can be reached (NAT traversal). Private and
  // loopback candidates are replaced by `observed_source` (the ip:port the request came
  // from) when they cannot be reached from outside; returns the peer as stored.
  virtual Result<MeshPeer> report_endpoints(const std::string& /*peer_id*/,
                                            const std::vector<std::string>& /*candidates*/,
                                            const std::string& /*observed_source*/) {
    return Status::unsupported("mesh.report_endpoints is not supported by this plugin");
  }
};

}  // namespace formation
