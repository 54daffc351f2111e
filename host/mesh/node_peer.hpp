// This node as a peer of the mesh (docs/mesh.md "Nodes"): its MeshPeer row carries the
// interface's current key and endpoints, whatever happened since the last start.
#pragma once

#include <string>

#include "formation/kinds/mesh.hpp"
#include "formation/kinds/state_store.hpp"

namespace formation::host::mesh {

enum class NodePeerChange { added, refreshed, replaced };

struct NodePeerOutcome {
  NodePeerChange change = NodePeerChange::added;
  MeshPeer peer;
};

// Adds the node's peer (id = node id) when the store has none, refreshes its endpoints when
// it has one with the interface's key, and removes and re-adds it when the key differs (the
// key file was replaced). `owner` is the operator's address ("" when none is configured).
Result<NodePeerOutcome> join_as_node(StateStore& store, Mesh& mesh, const std::string& node_id,
                                     const std::string& owner);

}  // namespace formation::host::mesh
