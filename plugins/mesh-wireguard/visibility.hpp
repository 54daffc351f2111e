// Who may see whom (docs/mesh.md "Who may see whom"), as pure functions over the peers
// in the store. Reservations (rows without a public key) are never anybody's peer.
#pragma once

#include <string>
#include <vector>

#include "formation/kinds/mesh.hpp"
#include "formation/records/network.hpp"

namespace formation::mesh_wireguard {

// The peers `self` may see (never itself), in the order of `all`.
std::vector<MeshPeer> visible_to_peer(const std::vector<MeshPeer>& all, const MeshPeer& self);

// What an account may list: its own devices and instances and the nodes hosting those;
// every joined peer when `account` is empty (an operator admin).
std::vector<MeshPeer> visible_to_account(const std::vector<MeshPeer>& all,
                                         const std::string& account);

// `peer` as one [Peer] of someone's configuration: its /32, its best endpoint.
WireGuardPeer wireguard_peer_of(const MeshPeer& peer, int persistent_keepalive_s);

// The configuration `self` runs: device and instance peers keep their NAT mappings open
// with a keepalive towards every peer they see; nodes are reachable and need none.
PeerConfig config_for(const std::vector<MeshPeer>& all, const MeshPeer& self,
                      const std::string& cidr, int persistent_keepalive_s);

}  // namespace formation::mesh_wireguard
