#include "visibility.hpp"

#include <algorithm>
#include <set>

namespace formation::mesh_wireguard {

namespace {

bool joined(const MeshPeer& peer) { return !peer.public_key.empty(); }

// A node row's node_id is itself; older rows may leave it empty, its id is the node id.
const std::string& node_id_of(const MeshPeer& node) {
  return node.node_id.empty() ? node.id : node.node_id;
}

}  // namespace

std::vector<MeshPeer> visible_to_peer(const std::vector<MeshPeer>& all, const MeshPeer& self) {
  std::set<std::string> owners;  // whose devices are visible
  std::set<std::string> nodes;   // which nodes are visible
  switch (self.kind) {
    case MeshPeerKind::device:
      for (const auto& p : all) {
        if (joined(p) && p.kind == MeshPeerKind::instance && p.owner == self.owner) {
          nodes.insert(p.node_id);
        }
      }
      break;
    case MeshPeerKind::instance:
      nodes.insert(self.node_id);
      owners.insert(self.owner);
      break;
    case MeshPeerKind::node:
      for (const auto& p : all) {
        if (joined(p) && p.kind == MeshPeerKind::instance && p.node_id == node_id_of(self)) {
          owners.insert(p.owner);
        }
      }
      break;
  }
  std::vector<MeshPeer> out;
  for (const auto& p : all) {
    if (!joined(p) || p.id == self.id) continue;
    bool visible = false;
    switch (p.kind) {
      case MeshPeerKind::node:
        visible = self.kind == MeshPeerKind::node || nodes.count(node_id_of(p)) > 0;
        break;
      case MeshPeerKind::instance:
        visible = (self.kind == MeshPeerKind::device && p.owner == self.owner) ||
                  (self.kind == MeshPeerKind::node && p.node_id == node_id_of(self));
        break;
      case MeshPeerKind::device:
        visible = self.kind != MeshPeerKind::device && owners.count(p.owner) > 0;
        break;
    }
    if (visible) out.push_back(p);
  }
  return out;
}

std::vector<MeshPeer> visible_to_account(const std::vector<MeshPeer>& all,
                                         const std::string& account) {
  std::set<std::string> nodes;
  for (const auto& p : all) {
    if (joined(p) && p.kind == MeshPeerKind::instance && (account.empty() || p.owner == account)) {
      nodes.insert(p.node_id);
    }
  }
  std::vector<MeshPeer> out;
  for (const auto& p : all) {
    if (!joined(p)) continue;
    const bool own = p.kind != MeshPeerKind::node && p.owner == account;
    const bool hosting = p.kind == MeshPeerKind::node && nodes.count(node_id_of(p)) > 0;
    if (account.empty() || own || hosting) out.push_back(p);
  }
  return out;
}

WireGuardPeer wireguard_peer_of(const MeshPeer& peer, int persistent_keepalive_s) {
  WireGuardPeer out;
  out.peer_id = peer.id;
  out.public_key = peer.public_key;
  out.allowed_ips = {peer.address + "/32"};
  out.endpoint = peer.endpoints.empty() ? "" : peer.endpoints.front();
  out.persistent_keepalive_s = persistent_keepalive_s;
  return out;
}

PeerConfig config_for(const std::vector<MeshPeer>& all, const MeshPeer& self,
                      const std::string& cidr, int persistent_keepalive_s) {
  PeerConfig config;
  config.peer_id = self.id;
  config.address = self.address;
  config.cidr = cidr;
  const auto visible = visible_to_peer(all, self);
  if (self.kind == MeshPeerKind::node) {
    for (const auto& p : visible) config.peers.push_back(wireguard_peer_of(p, 0));
    return config;
  }
  std::set<std::string> routed;  // instances reached through a node of `visible`
  std::vector<WireGuardPeer> nodes;
  for (const auto& n : visible) {
    if (n.kind != MeshPeerKind::node) continue;
    if (self.kind == MeshPeerKind::instance && node_id_of(n) != self.node_id) continue;
    auto peer = wireguard_peer_of(n, persistent_keepalive_s);
    if (self.kind == MeshPeerKind::instance) {
      peer.allowed_ips = {cidr};
    } else {
      for (const auto& i : visible) {
        if (i.kind == MeshPeerKind::instance && i.node_id == node_id_of(n)) {
          peer.allowed_ips.push_back(i.address + "/32");
          routed.insert(i.id);
        }
      }
    }
    nodes.push_back(std::move(peer));
  }
  config.peers = std::move(nodes);
  if (self.kind == MeshPeerKind::instance && !config.peers.empty()) return config;
  for (const auto& p : visible) {
    if (p.kind != MeshPeerKind::node && routed.count(p.id) == 0) {
      config.peers.push_back(wireguard_peer_of(p, persistent_keepalive_s));
    }
  }
  return config;
}

ForwardGroups forward_groups(const std::vector<MeshPeer>& all, const MeshPeer& self) {
  ForwardGroups groups;
  if (self.kind != MeshPeerKind::node) return groups;
  for (const auto& i : all) {
    if (joined(i) && i.kind == MeshPeerKind::instance && i.node_id == node_id_of(self)) {
      groups[i.owner].instances.push_back(i.address);
    }
  }
  for (const auto& d : all) {
    if (!joined(d) || d.kind != MeshPeerKind::device) continue;
    auto group = groups.find(d.owner);
    if (group != groups.end()) group->second.devices.push_back(d.address);
  }
  for (auto it = groups.begin(); it != groups.end();) {
    if (it->second.devices.empty()) {
      it = groups.erase(it);
      continue;
    }
    std::sort(it->second.instances.begin(), it->second.instances.end());
    std::sort(it->second.devices.begin(), it->second.devices.end());
    ++it;
  }
  return groups;
}

}  // namespace formation::mesh_wireguard
