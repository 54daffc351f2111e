#include "api/mesh_routes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/api_support.hpp"
#include "api/authorize.hpp"
#include "api/instance_access.hpp"
#include "api/mesh_json.hpp"
#include "api/resource_json.hpp"

namespace formation::host::api {
namespace {

using Shared = MeshRoutesContext;

constexpr std::size_t kMaxKeyLength = 64;
constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxEndpointLength = 64;
constexpr std::size_t kMaxEndpoints = 8;
constexpr std::size_t kMaxTokenLength = 256;

constexpr MeshField kJoinFields[] = {
    {"kind", MeshFieldType::string, false, 16, 0},
    {"public_key", MeshFieldType::string, true, kMaxKeyLength, 0},
    {"endpoints", MeshFieldType::string_list, false, kMaxEndpointLength, kMaxEndpoints},
    {"instance_id", MeshFieldType::string, false, kMaxIdLength, 0},
};
constexpr MeshField kInstanceJoinFields[] = {
    {"join_token", MeshFieldType::string, true, kMaxTokenLength, 0},
    {"public_key", MeshFieldType::string, true, kMaxKeyLength, 0},
};
constexpr MeshField kEndpointsFields[] = {
    {"peer_id", MeshFieldType::string, true, kMaxIdLength, 0},
    {"endpoints", MeshFieldType::string_list, true, kMaxEndpointLength, kMaxEndpoints},
};
constexpr MeshField kLeaveFields[] = {
    {"peer_id", MeshFieldType::string, true, kMaxIdLength, 0},
};

Result<Mesh*> mesh_plugin(const Shared& shared) {
  Mesh* mesh = shared.mesh ? shared.mesh() : nullptr;
  if (mesh == nullptr) {
    return Status::unsupported(
        "no mesh plugin is enabled on this node (enable mesh-wireguard in plugins.d/)");
  }
  return mesh;
}

Status check_endpoints(const std::vector<std::string>& endpoints) {
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    if (auto st =
            check_endpoint(endpoints[i], "body: field 'endpoints[" + std::to_string(i) + "]'");
        !st.is_ok()) {
      return st;
    }
  }
  return Status::ok();
}

// The plugin's "not found" names a peer id the caller gave; say so in the API's words.
Status peer_error(const Status& st, const std::string& peer_id) {
  if (st.code() == StatusCode::not_found) return Status::not_found("no mesh peer " + peer_id);
  return st;
}

// After a committed change: everyone hears of it, and this node's interface follows now
// rather than at the plugin's next timer.
void announce(const Shared& shared, Mesh& mesh, const char* type, const MeshPeer& peer) {
  if (shared.publish) shared.publish(Event{type, to_json(peer, write_mesh_peer), "host"});
  if (auto st = mesh.apply(); !st.is_ok()) {
    spdlog::warn("mesh: applying the peer set after {} ({}) failed: {}", type, peer.id,
                 st.to_string());
  }
}

// The peer, when the caller may act on it (its owner, or an admin); not_found otherwise, so
// that other tenants' peers are invisible.
Result<MeshPeer> load_own_peer(const Shared& shared, const HttpRequest& request,
                               const std::string& peer_id) {
  std::optional<MeshPeer> peer;
  {
    auto tx = begin(shared.api);
    if (!tx.is_ok()) return tx.status();
    auto found = (*tx)->mesh_peers().get(peer_id);
    if (!found.is_ok()) return peer_error(found.status(), peer_id);
    peer = std::move(found).value();
  }
  const auto& caller = caller_of(request);
  if (peer->owner != caller && !is_admin(shared.api, caller)) {
    return Status::not_found("no mesh peer " + peer_id);
  }
  if (peer->public_key.empty()) {
    return Status::not_found("no mesh peer " + peer_id + " (an address reservation, not joined)");
  }
  return std::move(*peer);
}

// 201 {"peer", "config"} for a peer just added.
Result<HttpResponse> joined(const Shared& shared, Mesh& mesh, const MeshPeer& peer) {
  announce(shared, mesh, "mesh.peer_added", peer);
  auto config = mesh.peer_config_for(peer.id);
  if (!config.is_ok()) {
    return Status(config.status().code(), "joined as peer " + peer.id +
                                              ", but its configuration could not be read (GET "
                                              "/v1/mesh/peers/" +
                                              peer.id + "/config): " + config.status().message());
  }
  return json_response(201, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("peer");
    write_mesh_peer(w, peer);
    w.Key("config");
    write_peer_config(w, *config);
    w.EndObject();
  });
}

// The instance a signed join names, with the reservation it fills; the caller needs manage
// access (owner or manager).
Result<MeshPeerRequest> instance_join_request(const Shared& shared, const HttpRequest& request,
                                              const std::string& instance_id) {
  auto tx = begin(shared.api);
  if (!tx.is_ok()) return tx.status();
  auto loaded = authorised_instance(**tx, shared.api, caller_of(request), instance_id,
                                    InstanceAction::manage);
  if (!loaded.is_ok()) return loaded.status();
  const Instance& instance = loaded->instance;
  if (!instance.formnet_ip || instance.formnet_ip->empty()) {
    return Status::conflict("instance " + instance_id +
                            " has no mesh address (it was created before the mesh was enabled)");
  }
  auto reservation = (*tx)->mesh_peers().get_by_address(*instance.formnet_ip);
  if (!reservation.is_ok()) {
    if (reservation.status().code() == StatusCode::not_found) {
      return Status::conflict("the mesh address of instance " + instance_id + " (" +
                              *instance.formnet_ip + ") is no longer reserved");
    }
    return reservation.status();
  }
  if (!reservation->public_key.empty()) {
    return Status::conflict("instance " + instance_id + " has already joined the mesh (peer " +
                            reservation->id + ")");
  }
  MeshPeerRequest peer;
  peer.kind = MeshPeerKind::instance;
  peer.owner = instance.owner;
  peer.address = *instance.formnet_ip;
  peer.node_id = instance.node_id;
  peer.instance_id = instance.id;
  return peer;
}

// ---- routes -------------------------------------------------------------------------------

Result<HttpResponse> join(const Shared& shared, const HttpRequest& request) {
  auto mesh = mesh_plugin(shared);
  if (!mesh.is_ok()) return mesh.status();
  auto body = parse_mesh_body(request.body, kJoinFields);
  if (!body.is_ok()) return body.status();
  const std::string kind_name = body->string("kind").value_or("device");
  const auto kind = parse_mesh_peer_kind(kind_name);
  if (!kind || *kind == MeshPeerKind::node) {
    return Status::invalid("body: field 'kind' must be device or instance");
  }
  const std::string key = *body->string("public_key");
  if (auto st = check_public_key(key); !st.is_ok()) return st;
  auto endpoints = body->list("endpoints");
  if (auto st = check_endpoints(endpoints); !st.is_ok()) return st;
  const auto instance_id = body->string("instance_id");
  MeshPeerRequest peer;
  if (*kind == MeshPeerKind::instance) {
    if (!instance_id || instance_id->empty()) {
      return Status::invalid("body: field 'instance_id' is required when kind is instance");
    }
    auto built = instance_join_request(shared, request, *instance_id);
    if (!built.is_ok()) return built.status();
    peer = std::move(built).value();
  } else {
    if (instance_id) return Status::invalid("body: field 'instance_id' is for kind instance only");
    peer.kind = MeshPeerKind::device;
    peer.owner = caller_of(request);
  }
  peer.public_key = key;
  peer.endpoints = std::move(endpoints);
  auto added = (*mesh)->add_peer(peer);
  if (!added.is_ok()) return added.status();
  return joined(shared, **mesh, *added);
}

// Anonymous: the token is the credential. Its checks are the signed instance join's, minus
// the caller's access.
Result<HttpResponse> instance_join(const Shared& shared, const HttpRequest& request) {
  auto mesh = mesh_plugin(shared);
  if (!mesh.is_ok()) return mesh.status();
  auto body = parse_mesh_body(request.body, kInstanceJoinFields);
  if (!body.is_ok()) return body.status();
  const std::string key = *body->string("public_key");
  if (auto st = check_public_key(key); !st.is_ok()) return st;
  if (!shared.tokens) {
    return Status::unavailable("this node's mesh join secret could not be opened (see its log)");
  }
  auto claims = shared.tokens->verify(*body->string("join_token"));
  if (!claims.is_ok()) return claims.status();
  MeshPeerRequest peer;
  {
    auto tx = begin(shared.api);
    if (!tx.is_ok()) return tx.status();
    auto instance = (*tx)->instances().get(claims->instance_id);
    if (!instance.is_ok()) {
      if (instance.status().code() == StatusCode::not_found) {
        return Status::conflict("join_token: instance " + claims->instance_id +
                                " no longer exists");
      }
      return instance.status();
    }
    if (instance->formnet_ip.value_or("") != claims->address) {
      return Status::conflict("join_token: instance " + claims->instance_id +
                              " no longer holds mesh address " + claims->address);
    }
    auto reservation = (*tx)->mesh_peers().get_by_address(claims->address);
    if (!reservation.is_ok() && reservation.status().code() != StatusCode::not_found) {
      return reservation.status();
    }
    if (!reservation.is_ok() || !reservation->public_key.empty()) {
      return Status::conflict("join_token: already used (instance " + claims->instance_id +
                              " has joined the mesh)");
    }
    peer.kind = MeshPeerKind::instance;
    peer.owner = instance->owner;
    peer.address = claims->address;
    peer.node_id = instance->node_id;
    peer.instance_id = instance->id;
  }
  peer.public_key = key;
  auto added = (*mesh)->add_peer(peer);
  if (!added.is_ok()) return added.status();
  return joined(shared, **mesh, *added);
}

Result<HttpResponse> list_peers(const Shared& shared, const HttpRequest& request) {
  auto mesh = mesh_plugin(shared);
  if (!mesh.is_ok()) return mesh.status();
  auto page = page_request(request.query);
  if (!page.is_ok()) return page.status();
  const auto& caller = caller_of(request);
  auto peers = (*mesh)->list_peers(is_admin(shared.api, caller) ? "" : caller);
  if (!peers.is_ok()) return peers.status();
  // The plugin answers a whole set; pages are cut here, by id, so that a token stays valid
  // while peers come and go.
  auto& all = *peers;
  std::erase_if(all, [](const MeshPeer& p) { return p.public_key.empty(); });
  std::sort(all.begin(), all.end(),
            [](const MeshPeer& a, const MeshPeer& b) { return a.id < b.id; });
  auto first =
      std::upper_bound(all.begin(), all.end(), page->page_token,
                       [](const std::string& token, const MeshPeer& p) { return token < p.id; });
  if (page->page_token.empty()) first = all.begin();
  const auto available = static_cast<std::size_t>(std::distance(first, all.end()));
  const auto count = std::min<std::size_t>(available, static_cast<std::size_t>(page->limit));
  const auto last = first + static_cast<std::ptrdiff_t>(count);
  const std::string next = (last != all.end() && count > 0) ? (last - 1)->id : "";
  return json_response(200, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("peers");
    w.StartArray();
    for (auto it = first; it != last; ++it) write_mesh_peer(w, *it);
    w.EndArray();
    put_string(w, "next_page_token", next);
    w.EndObject();
  });
}

Result<HttpResponse> peer_config(const Shared& shared, const HttpRequest& request) {
  auto mesh = mesh_plugin(shared);
  if (!mesh.is_ok()) return mesh.status();
  const std::string peer_id(request.path_param("id"));
  auto peer = load_own_peer(shared, request, peer_id);
  if (!peer.is_ok()) return peer.status();
  auto config = (*mesh)->peer_config_for(peer->id);
  if (!config.is_ok()) return peer_error(config.status(), peer_id);
  return json_response(200, [&](JsonWriter& w) { write_peer_config(w, *config); });
}

// The request's source IP, as an IPv4 literal when it came over an IPv4-mapped socket.
std::string observed_source(const HttpRequest& request) {
  constexpr std::string_view kMapped = "::ffff:";
  std::string source = request.remote_address;
  if (source.starts_with(kMapped) && source.find('.') != std::string::npos) {
    source.erase(0, kMapped.size());
  }
  return source;
}

Result<HttpResponse> report_endpoints(const Shared& shared, const HttpRequest& request) {
  auto mesh = mesh_plugin(shared);
  if (!mesh.is_ok()) return mesh.status();
  auto body = parse_mesh_body(request.body, kEndpointsFields);
  if (!body.is_ok()) return body.status();
  const std::string peer_id = *body->string("peer_id");
  auto endpoints = body->list("endpoints");
  if (auto st = check_endpoints(endpoints); !st.is_ok()) return st;
  auto peer = load_own_peer(shared, request, peer_id);
  if (!peer.is_ok()) return peer.status();
  auto stored = (*mesh)->report_endpoints(peer->id, endpoints, observed_source(request));
  if (!stored.is_ok()) return peer_error(stored.status(), peer_id);
  announce(shared, **mesh, "mesh.endpoints_changed", *stored);
  return json_response(200, [&](JsonWriter& w) { write_mesh_peer(w, *stored); });
}

Result<HttpResponse> leave(const Shared& shared, const HttpRequest& request) {
  auto mesh = mesh_plugin(shared);
  if (!mesh.is_ok()) return mesh.status();
  auto body = parse_mesh_body(request.body, kLeaveFields);
  if (!body.is_ok()) return body.status();
  const std::string peer_id = *body->string("peer_id");
  auto peer = load_own_peer(shared, request, peer_id);
  if (!peer.is_ok()) return peer.status();
  // An instance's address is its until it is deleted (its record names it); a node's peer
  // follows the node. Leaving either here would leave a record naming a freed address.
  if (peer->kind == MeshPeerKind::instance) {
    return Status::conflict("peer " + peer_id + " is instance " + peer->instance_id.value_or("") +
                            "'s: it leaves the mesh when the instance is deleted");
  }
  if (peer->kind == MeshPeerKind::node) {
    return Status::conflict("peer " + peer_id + " is a node's: it follows the node's own start");
  }
  if (auto st = (*mesh)->remove_peer(peer->id); !st.is_ok()) return peer_error(st, peer_id);
  announce(shared, **mesh, "mesh.peer_removed", *peer);
  return no_content();
}

}  // namespace

Status add_mesh_routes(Router& router, MeshRoutesContext context) {
  auto shared = std::make_shared<const Shared>(std::move(context));
  static constexpr RouteEntry<Shared> kRoutes[] = {
      {"POST", "/v1/mesh/join", &join},
      {"GET", "/v1/mesh/peers", &list_peers},
      {"GET", "/v1/mesh/peers/{id}/config", &peer_config},
      {"POST", "/v1/mesh/endpoints", &report_endpoints},
      {"POST", "/v1/mesh/leave", &leave},
  };
  if (auto st = add_routes(router, shared, kRoutes); !st.is_ok()) return st;
  Route anonymous;
  anonymous.method = "POST";
  anonymous.pattern = "/v1/mesh/instance-join";
  anonymous.access = RouteAccess::anonymous;
  anonymous.handler = [shared](const HttpRequest& request) {
    return instance_join(*shared, request);
  };
  return router.add(std::move(anonymous), "host");
}

}  // namespace formation::host::api
