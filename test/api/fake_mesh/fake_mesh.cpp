// test-mesh: a Mesh plugin over the state store with no WireGuard at all, so that the host's
// mesh routes can be tested on their own (and before mesh-wireguard is built). It keeps the
// contract's observable rules that the routes rely on: ranges per kind, unique keys,
// reservations filled by a join, visibility by owner, nothing allocated on a failed call.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "formation/kinds/mesh.hpp"
#include "formation/kinds/state_store.hpp"
#include "formation/plugin.hpp"

namespace {

using formation::MeshPeer;
using formation::MeshPeerKind;
using formation::Result;
using formation::Status;
using formation::StatusCode;

constexpr const char* kSchema = R"({"type": "object"})";

std::uint32_t parse(const std::string& ip) {
  in_addr a{};
  ::inet_pton(AF_INET, ip.c_str(), &a);
  return ntohl(a.s_addr);
}

std::string format(std::uint32_t ip) {
  in_addr a{};
  a.s_addr = htonl(ip);
  std::array<char, INET_ADDRSTRLEN> out{};
  ::inet_ntop(AF_INET, &a, out.data(), out.size());
  return out.data();
}

struct Range {
  std::uint32_t first, last;
};

Range range_of(MeshPeerKind kind) {
  switch (kind) {
    case MeshPeerKind::node: return {parse("10.42.0.1"), parse("10.42.15.254")};
    case MeshPeerKind::device: return {parse("10.42.64.1"), parse("10.42.127.254")};
    case MeshPeerKind::instance: return {parse("10.42.128.1"), parse("10.42.255.254")};
  }
  return {0, 0};
}

std::string random_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 16; ++i) id += kHex[rng() % 16];
  return id;
}

bool private_ip(const std::string& ip) {
  const std::uint32_t a = parse(ip);
  return (a >> 24) == 10 || (a >> 24) == 127 || (a >> 20) == (parse("172.16.0.0") >> 20) ||
         (a >> 16) == (parse("192.168.0.0") >> 16);
}

class TestMesh final : public formation::Mesh {
 public:
  explicit TestMesh(formation::HostServices& host) : host_(host) {}

  Status start() override {
    store_ = host_.find<formation::StateStore>();
    return store_ == nullptr ? Status::unavailable("no state store") : Status::ok();
  }

  Result<MeshPeer> allocate_address(MeshPeerKind kind, const std::string& owner) override {
    MeshPeer peer;
    peer.id = random_id();
    peer.kind = kind;
    peer.owner = owner;
    return insert(peer);
  }

  Status release_address(const std::string& address) override {
    auto tx = store_->begin();
    if (!tx.is_ok()) return tx.status();
    auto peer = (*tx)->mesh_peers().get_by_address(address);
    if (!peer.is_ok())
      return peer.status().code() == StatusCode::not_found ? Status::ok() : peer.status();
    if (auto st = (*tx)->mesh_peers().remove(peer->id); !st.is_ok()) return st;
    return (*tx)->commit();
  }

  Result<MeshPeer> add_peer(const formation::MeshPeerRequest& request) override {
    if (request.public_key.size() != 44 || request.public_key.back() != '=') {
      return Status::invalid("public_key: not a WireGuard key");
    }
    for (const auto& e : request.endpoints) {
      if (e.find(':') == std::string::npos) return Status::invalid("endpoint: not ip:port");
    }
    if (request.address.empty()) {
      MeshPeer peer;
      peer.id = request.kind == MeshPeerKind::node ? request.node_id : random_id();
      peer.kind = request.kind;
      peer.owner = request.owner;
      peer.public_key = request.public_key;
      peer.endpoints = request.endpoints;
      peer.node_id = request.node_id;
      peer.instance_id = request.instance_id;
      return insert(peer);
    }
    auto tx = store_->begin();
    if (!tx.is_ok()) return tx.status();
    auto reserved = (*tx)->mesh_peers().get_by_address(request.address);
    if (!reserved.is_ok())
      return Status::invalid("address " + request.address + " is not reserved");
    if (!reserved->public_key.empty()) return Status::conflict("address already joined");
    reserved->public_key = request.public_key;
    reserved->endpoints = request.endpoints;
    reserved->node_id = request.node_id;
    reserved->instance_id = request.instance_id;
    auto updated = (*tx)->mesh_peers().update(*reserved);
    if (!updated.is_ok()) return updated.status();
    if (auto st = (*tx)->commit(); !st.is_ok()) return st;
    return updated;
  }

  Status remove_peer(const std::string& peer_id) override {
    auto tx = store_->begin();
    if (!tx.is_ok()) return tx.status();
    if (auto peer = (*tx)->mesh_peers().get(peer_id); !peer.is_ok()) return peer.status();
    if (auto st = (*tx)->mesh_peers().remove(peer_id); !st.is_ok()) return st;
    return (*tx)->commit();
  }

  Result<std::vector<MeshPeer>> list_peers(const std::string& visible_to) override {
    auto all = every_peer();
    if (!all.is_ok() || visible_to.empty()) return all;
    std::set<std::string> nodes;
    for (const auto& p : *all) {
      if (p.owner == visible_to && p.kind == MeshPeerKind::instance) nodes.insert(p.node_id);
    }
    std::vector<MeshPeer> out;
    for (const auto& p : *all) {
      if ((p.kind != MeshPeerKind::node && p.owner == visible_to) ||
          (p.kind == MeshPeerKind::node && nodes.count(p.id) > 0)) {
        out.push_back(p);
      }
    }
    return out;
  }

  Result<formation::PeerConfig> peer_config_for(const std::string& peer_id) override {
    MeshPeer self;
    {
      auto tx = store_->begin();
      if (!tx.is_ok()) return tx.status();
      auto found = (*tx)->mesh_peers().get(peer_id);
      if (!found.is_ok()) return found.status();
      self = *found;
    }
    auto all = every_peer();
    if (!all.is_ok()) return all.status();
    formation::PeerConfig config;
    config.peer_id = self.id;
    config.address = self.address;
    config.cidr = "10.42.0.0/16";
    for (const auto& p : *all) {
      if (p.id == self.id || p.public_key.empty()) continue;
      const bool sees = self.kind == MeshPeerKind::node || p.kind == MeshPeerKind::node
                            ? true
                            : p.owner == self.owner && p.kind != self.kind;
      if (!sees) continue;
      config.peers.push_back({p.id,
                              p.public_key,
                              {p.address + "/32"},
                              p.endpoints.empty() ? "" : p.endpoints.front(),
                              self.kind == MeshPeerKind::device ? 25 : 0});
    }
    return config;
  }

  Status apply() override { return Status::ok(); }

  Result<formation::LocalInterface> local_interface() override {
    return formation::LocalInterface{
        "formnet0", "TEST+mesh+node+key+AAAAAAAAAAAAAAAAAAAAAAAA=", 51820, "", {"127.0.0.1:51820"}};
  }

  Result<MeshPeer> report_endpoints(const std::string& peer_id,
                                    const std::vector<std::string>& candidates,
                                    const std::string& observed_source) override {
    auto tx = store_->begin();
    if (!tx.is_ok()) return tx.status();
    auto peer = (*tx)->mesh_peers().get(peer_id);
    if (!peer.is_ok()) return peer.status();
    std::vector<std::string> stored;
    for (const auto& c : candidates) {
      const auto colon = c.rfind(':');
      const std::string ip = c.substr(0, colon);
      const bool rewrite =
          !observed_source.empty() && !private_ip(observed_source) && private_ip(ip);
      stored.push_back(rewrite ? observed_source + c.substr(colon) : c);
    }
    peer->endpoints = stored;
    auto updated = (*tx)->mesh_peers().update(*peer);
    if (!updated.is_ok()) return updated.status();
    if (auto st = (*tx)->commit(); !st.is_ok()) return st;
    return updated;
  }

 private:
  Result<std::vector<MeshPeer>> every_peer() {
    auto tx = store_->begin();
    if (!tx.is_ok()) return tx.status();
    std::vector<MeshPeer> all;
    formation::PageRequest page{1000, ""};
    do {
      auto list = (*tx)->mesh_peers().list({}, page);
      if (!list.is_ok()) return list.status();
      all.insert(all.end(), list->items.begin(), list->items.end());
      page.page_token = list->next_page_token;
    } while (!page.page_token.empty());
    return all;
  }

  // The lowest free address of the kind's range; the store's unique address decides races.
  Result<MeshPeer> insert(MeshPeer peer) {
    const Range range = range_of(peer.kind);
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto tx = store_->begin();
      if (!tx.is_ok()) return tx.status();
      if (!peer.public_key.empty()) {
        if ((*tx)->mesh_peers().get_by_public_key(peer.public_key).is_ok()) {
          return Status::conflict("public_key is already in the mesh");
        }
      }
      auto used = (*tx)->mesh_peers().addresses();
      if (!used.is_ok()) return used.status();
      std::set<std::uint32_t> taken;
      for (const auto& a : *used) taken.insert(parse(a));
      std::uint32_t pick = range.first;
      while (pick <= range.last && taken.count(pick) > 0) ++pick;
      if (pick > range.last) return Status::conflict("the range is full");
      peer.address = format(pick);
      auto created = (*tx)->mesh_peers().create(peer);
      if (!created.is_ok()) {
        if (created.status().code() == StatusCode::conflict) continue;
        return created.status();
      }
      if (auto st = (*tx)->commit(); !st.is_ok()) return st;
      return created;
    }
    return Status::unavailable("could not allocate an address");
  }

  formation::HostServices& host_;
  formation::StateStore* store_ = nullptr;
};

Result<std::unique_ptr<formation::Plugin>> create(formation::HostServices& host) {
  return std::unique_ptr<formation::Plugin>(std::make_unique<TestMesh>(host));
}

constexpr formation::PluginKind kDepends[] = {formation::PluginKind::state_store};

const formation::PluginDescriptor* describe() {
  static const formation::PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "test-mesh",
      .kind = formation::PluginKind::mesh,
      .version = "0.1.0",
      .description = "A Mesh over the state store without WireGuard (host tests only)",
      .parameters_schema = kSchema,
      .depends_on = kDepends,
      .create = &create,
  };
  return &descriptor;
}

}  // namespace

FORMATION_PLUGIN(describe)
