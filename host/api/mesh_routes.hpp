// The mesh routes (docs/mesh.md "API"): joins of devices and instances, the peers a caller
// may see, a peer's configuration, endpoint reports and leaves, over the Mesh plugin
// (`mesh-wireguard`). Without a Mesh plugin every route answers 501. After every change
// `mesh.peer_added` / `mesh.peer_removed` / `mesh.endpoints_changed` is published (the
// peer's JSON) and the plugin's apply() runs, so this node's interface follows at once.
#pragma once

#include <functional>
#include <memory>

#include "api/routes.hpp"
#include "formation/events.hpp"
#include "formation/kinds/mesh.hpp"
#include "mesh/join_token.hpp"

namespace formation::host::api {

struct MeshRoutesContext {
  ApiContext api;
  std::function<Mesh*()> mesh;  // the started Mesh plugin; null when none is enabled
  std::function<void(Event)> publish;
  // This node's join-token secret; null when it could not be opened (instance joins answer
  // 503 then).
  std::shared_ptr<const mesh::JoinTokens> tokens;
};

// POST /v1/mesh/join, POST /v1/mesh/instance-join (anonymous), GET /v1/mesh/peers,
// GET /v1/mesh/peers/{id}/config, POST /v1/mesh/endpoints and POST /v1/mesh/leave,
// owned by "host".
Status add_mesh_routes(Router& router, MeshRoutesContext context);

}  // namespace formation::host::api
