// Who may see whom (docs/mesh.md "Who may see whom"), as pure functions over the peers
// in the store. Reservations (rows without a public key) are never anybody's peer.
#pragma once

#include <map>
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

// The configuration `self` runs. Instances are reached through the node that hosts them:
// an instance sits behind its host's NAT, where only its node can reach it, so
//   - a device's peers are the nodes it sees, each routing the device's instances it hosts;
//   - an instance's one peer is its node, routing the whole mesh (`cidr`): what it may reach
//     is decided by the node's forwarding filter (forward_groups), so its configuration, written
//     once at first boot, never needs a new peer;
//   - a node's peers are every peer it sees, each its own /32.
// An instance whose node has not joined falls back to direct peers. Device and instance peers
// keep their NAT mappings open with a keepalive; nodes are reachable and need none.
PeerConfig config_for(const std::vector<MeshPeer>& all, const MeshPeer& self,
                      const std::string& cidr, int persistent_keepalive_s);

// What a node forwards between its peers, per owner: each instance it hosts and each device of
// that instance's owner may reach each other, both ways. Only owners with both an instance
// here and a device; addresses sorted. Empty for a peer that is not a node.
struct ForwardGroup {
  std::vector<std::string> instances;
  std::vector<std::string> devices;
  bool operator==(const ForwardGroup&) const = default;
};
using ForwardGroups = std::map<std::string, ForwardGroup>;  // by owner
ForwardGroups forward_groups(const std::vector<MeshPeer>& all, const MeshPeer& self);

}  // namespace formation::mesh_wireguard
