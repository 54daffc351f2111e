#include "mesh/node_peer.hpp"

#include <optional>

namespace formation::host::mesh {
namespace {

// The node's row as stored; nullopt when it has none. The transaction ends before the
// plugin is called: the plugin writes in transactions of its own.
Result<std::optional<MeshPeer>> stored_peer(StateStore& store, const std::string& node_id) {
  auto tx = store.begin();
  if (!tx.is_ok()) return tx.status();
  auto peer = (*tx)->mesh_peers().get(node_id);
  if (peer.is_ok()) return std::optional<MeshPeer>(std::move(peer).value());
  if (peer.status().code() == StatusCode::not_found) return std::optional<MeshPeer>();
  return peer.status();
}

}  // namespace

Result<NodePeerOutcome> join_as_node(StateStore& store, Mesh& mesh, const std::string& node_id,
                                     const std::string& owner) {
  auto local = mesh.local_interface();
  if (!local.is_ok()) return local.status();
  auto existing = stored_peer(store, node_id);
  if (!existing.is_ok()) return existing.status();
  if (*existing && (*existing)->public_key == local->public_key) {
    auto refreshed = mesh.report_endpoints(node_id, local->endpoints, "");
    if (refreshed.is_ok()) return NodePeerOutcome{NodePeerChange::refreshed, *refreshed};
    // A plugin without report_endpoints still has a valid row: keep it as it is.
    if (refreshed.status().code() == StatusCode::unsupported) {
      return NodePeerOutcome{NodePeerChange::refreshed, **existing};
    }
    return refreshed.status();
  }
  const bool replacing = existing->has_value();
  if (replacing) {
    if (auto st = mesh.remove_peer(node_id); !st.is_ok() && st.code() != StatusCode::not_found) {
      return st;
    }
  }
  MeshPeerRequest request;
  request.kind = MeshPeerKind::node;
  request.owner = owner;
  request.public_key = local->public_key;
  request.endpoints = local->endpoints;
  request.node_id = node_id;
  auto added = mesh.add_peer(request);
  if (!added.is_ok()) return added.status();
  return NodePeerOutcome{replacing ? NodePeerChange::replaced : NodePeerChange::added, *added};
}

}  // namespace formation::host::mesh
