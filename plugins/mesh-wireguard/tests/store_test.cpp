// Allocation, joins, reservations and endpoints against the real state-sqlite plugin,
// loaded and driven by the host's own machinery. manage_interface is off: no interface.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "keys.hpp"
#include "mesh_wireguard.hpp"
#include "support/fake_host_services.hpp"
#include "support/plugin_runtime.hpp"

namespace formation::mesh_wireguard {
namespace {

constexpr const char* kOwner = "0x1111111111111111111111111111111111111111";
constexpr const char* kOther = "0x2222222222222222222222222222222222222222";

std::string fresh_key() { return base64_encode(*public_key_of(*generate_private_key())); }

class MeshStoreTest : public ::testing::Test {
 protected:
  void start(const std::string& extra = "") {
    runtime_.start_store(PLUGIN_BUILD_DIR, "state-sqlite", "{}");
    mesh_ = &runtime_.make<MeshWireGuardPlugin>(
        "mesh-wireguard", R"({"manage_interface": false)" + extra + "}", settings_from);
    auto st = mesh_->start();
    ASSERT_TRUE(st.is_ok()) << st.message();
  }
  std::size_t rows() { return mesh_->list_peers("")->size(); }
  std::size_t reservations_and_peers() {
    auto store = runtime_.services_for("probe", "x", "{}").find<StateStore>();
    auto tx = store->begin();
    return (*tx)->mesh_peers().addresses()->size();
  }
  MeshPeerRequest device(const std::string& owner = kOwner) {
    MeshPeerRequest r;
    r.kind = MeshPeerKind::device;
    r.owner = owner;
    r.public_key = fresh_key();
    return r;
  }

  formation::testing::TempDir dir_{"mesh-wireguard-store"};
  testing::PluginRuntime runtime_{dir_.path()};
  MeshWireGuardPlugin* mesh_ = nullptr;
};

TEST_F(MeshStoreTest, DevicesGetDistinctAddressesInTheirRange) {
  start();
  std::set<std::string> addresses;
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto r = device();
    r.endpoints = {"203.0.113.5:51820"};
    auto peer = mesh_->add_peer(r);
    ASSERT_TRUE(peer.is_ok()) << peer.status().message();
    EXPECT_TRUE(contains(mesh_->settings().device_range, *parse_ipv4(peer->address)));
    EXPECT_EQ(peer->id.size(), 16U);
    EXPECT_EQ(peer->id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(peer->endpoints, std::vector<std::string>{"203.0.113.5:51820"});
    addresses.insert(peer->address);
    ids.insert(peer->id);
  }
  EXPECT_EQ(addresses.size(), 50U);
  EXPECT_EQ(ids.size(), 50U);
}

TEST_F(MeshStoreTest, ANodesPeerIdIsItsNodeIdInTheNodeRange) {
  start();
  MeshPeerRequest r;
  r.kind = MeshPeerKind::node;
  r.owner = kOwner;
  r.node_id = "node-a";
  r.public_key = fresh_key();
  auto peer = mesh_->add_peer(r);
  ASSERT_TRUE(peer.is_ok()) << peer.status().message();
  EXPECT_EQ(peer->id, "node-a");
  EXPECT_EQ(peer->node_id, "node-a");
  EXPECT_TRUE(contains(mesh_->settings().node_range, *parse_ipv4(peer->address)));
  r.node_id.clear();
  EXPECT_EQ(mesh_->add_peer(r).status().code(), StatusCode::invalid);
}

TEST_F(MeshStoreTest, TinyRangeIsExhaustedWithConflict) {
  start(R"(, "ranges": {"device": "10.42.64.0/30"})");
  ASSERT_TRUE(mesh_->add_peer(device()).is_ok());
  ASSERT_TRUE(mesh_->add_peer(device()).is_ok());
  auto third = mesh_->add_peer(device());
  EXPECT_EQ(third.status().code(), StatusCode::conflict);
  EXPECT_NE(third.status().message().find("exhausted"), std::string::npos);
  auto reserve = mesh_->allocate_address(MeshPeerKind::device, kOwner);
  EXPECT_EQ(reserve.status().code(), StatusCode::conflict);
  EXPECT_EQ(rows(), 2U);
}

TEST_F(MeshStoreTest, BadInputAllocatesNothing) {
  start();
  auto bad_key = device();
  bad_key.public_key = "not-a-key";
  auto refused = mesh_->add_peer(bad_key);
  EXPECT_EQ(refused.status().code(), StatusCode::invalid);
  EXPECT_NE(refused.status().message().find("44 characters"), std::string::npos);
  auto bad_endpoint = device();
  bad_endpoint.endpoints = {"203.0.113.5"};
  EXPECT_EQ(mesh_->add_peer(bad_endpoint).status().code(), StatusCode::invalid);
  EXPECT_EQ(reservations_and_peers(), 0U);
}

TEST_F(MeshStoreTest, DuplicateKeyIsAConflict) {
  start();
  auto r = device();
  ASSERT_TRUE(mesh_->add_peer(r).is_ok());
  auto again = mesh_->add_peer(r);
  EXPECT_EQ(again.status().code(), StatusCode::conflict);
  EXPECT_EQ(reservations_and_peers(), 1U);
}

TEST_F(MeshStoreTest, ReleaseAndRemoveFreeTheAddress) {
  start(R"(, "ranges": {"device": "10.42.64.0/30"})");
  auto a = mesh_->add_peer(device());
  auto b = mesh_->add_peer(device());
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(mesh_->remove_peer(a->id).code(), StatusCode::ok);
  EXPECT_EQ(mesh_->remove_peer(a->id).code(), StatusCode::not_found);
  auto c = mesh_->add_peer(device());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->address, a->address);
  EXPECT_TRUE(mesh_->release_address(b->address).is_ok());
  EXPECT_TRUE(mesh_->release_address(b->address).is_ok());  // not allocated: ok
  EXPECT_EQ(reservations_and_peers(), 1U);
}

TEST_F(MeshStoreTest, ReservationIsFilledByTheJoin) {
  start();
  auto reserved = mesh_->allocate_address(MeshPeerKind::instance, kOwner);
  ASSERT_TRUE(reserved.is_ok()) << reserved.status().message();
  EXPECT_TRUE(reserved->public_key.empty());
  EXPECT_TRUE(contains(mesh_->settings().instance_range, *parse_ipv4(reserved->address)));
  EXPECT_TRUE(mesh_->list_peers("")->empty());  // a reservation is nobody's peer

  MeshPeerRequest join;
  join.kind = MeshPeerKind::instance;
  join.owner = kOther;
  join.public_key = fresh_key();
  join.address = reserved->address;
  join.node_id = "node-a";
  join.instance_id = "inst-1";
  EXPECT_EQ(mesh_->add_peer(join).status().code(), StatusCode::invalid);  // not its owner
  join.owner = kOwner;
  join.kind = MeshPeerKind::device;
  EXPECT_EQ(mesh_->add_peer(join).status().code(), StatusCode::invalid);  // not its kind
  join.kind = MeshPeerKind::instance;
  auto filled = mesh_->add_peer(join);
  ASSERT_TRUE(filled.is_ok()) << filled.status().message();
  EXPECT_EQ(filled->id, reserved->id);
  EXPECT_EQ(filled->address, reserved->address);
  EXPECT_EQ(filled->public_key, join.public_key);
  EXPECT_EQ(filled->instance_id, std::optional<std::string>("inst-1"));
  EXPECT_EQ(filled->node_id, "node-a");
  join.public_key = fresh_key();
  EXPECT_EQ(mesh_->add_peer(join).status().code(), StatusCode::conflict);  // joined already
  join.address = "10.42.200.200";
  EXPECT_EQ(mesh_->add_peer(join).status().code(), StatusCode::invalid);  // never reserved
  EXPECT_EQ(reservations_and_peers(), 1U);
}

TEST_F(MeshStoreTest, ReportedEndpointsFollowTheNatRule) {
  start();
  auto peer = mesh_->add_peer(device());
  ASSERT_TRUE(peer.is_ok());
  auto behind_nat = mesh_->report_endpoints(
      peer->id, {"192.168.1.20:51820", "203.0.113.5:51820", "192.168.1.20:51820"},
      "198.51.100.7:40001");
  ASSERT_TRUE(behind_nat.is_ok()) << behind_nat.status().message();
  EXPECT_EQ(behind_nat->endpoints,
            (std::vector<std::string>{"198.51.100.7:51820", "203.0.113.5:51820"}));
  auto same_lan = mesh_->report_endpoints(peer->id, {"192.168.1.20:51820"}, "192.168.1.1:40001");
  ASSERT_TRUE(same_lan.is_ok());
  EXPECT_EQ(same_lan->endpoints, std::vector<std::string>{"192.168.1.20:51820"});
  EXPECT_EQ(mesh_->report_endpoints(peer->id, {"bad"}, "").status().code(), StatusCode::invalid);
  EXPECT_EQ(mesh_->report_endpoints("nope", {}, "").status().code(), StatusCode::not_found);
  EXPECT_EQ(mesh_->list_peers("")->at(0).endpoints, std::vector<std::string>{"192.168.1.20:51820"});
}

TEST_F(MeshStoreTest, LocalInterfaceWithoutManagingIt) {
  start(R"(, "advertise": ["198.51.100.2:51820"])");
  auto local = mesh_->local_interface();
  ASSERT_TRUE(local.is_ok()) << local.status().message();
  EXPECT_EQ(local->name, "formnet0");
  EXPECT_EQ(local->listen_port, 51820);
  EXPECT_TRUE(validate_public_key(local->public_key).is_ok());
  EXPECT_EQ(local->endpoints, std::vector<std::string>{"198.51.100.2:51820"});
  EXPECT_TRUE(local->address.empty());
  EXPECT_TRUE(mesh_->apply().is_ok());  // a no-op
  EXPECT_EQ(mesh_->health().state, HealthState::ok);
  MeshPeerRequest node;
  node.kind = MeshPeerKind::node;
  node.node_id = "node-a";
  node.owner = kOwner;
  node.public_key = local->public_key;
  node.endpoints = local->endpoints;
  auto joined = mesh_->add_peer(node);
  ASSERT_TRUE(joined.is_ok());
  EXPECT_EQ(mesh_->local_interface()->address, joined->address);
}

TEST_F(MeshStoreTest, TheKeySurvivesARestart) {
  start();
  const auto first = mesh_->local_interface()->public_key;
  auto& again = runtime_.make<MeshWireGuardPlugin>("mesh-wireguard",
                                                   R"({"manage_interface": false})", settings_from);
  ASSERT_TRUE(again.start().is_ok());
  EXPECT_EQ(again.local_interface()->public_key, first);
}

TEST_F(MeshStoreTest, ConcurrentJoinsFromThreadsGetDistinctAddresses) {
  start();
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::mutex mutex;
  std::set<std::string> addresses;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto peer = mesh_->add_peer(device());
        if (!peer.is_ok()) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mutex);
        addresses.insert(peer->address);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(addresses.size(), 80U);
}

TEST_F(MeshStoreTest, PeerConfigAndListing) {
  start();
  MeshPeerRequest node;
  node.kind = MeshPeerKind::node;
  node.node_id = "node-a";
  node.owner = "operator";
  node.public_key = fresh_key();
  node.endpoints = {"198.51.100.2:51820"};
  auto n = mesh_->add_peer(node);
  MeshPeerRequest instance;
  instance.kind = MeshPeerKind::instance;
  instance.owner = kOwner;
  instance.node_id = "node-a";
  instance.instance_id = "i1";
  instance.public_key = fresh_key();
  auto i = mesh_->add_peer(instance);
  auto d = mesh_->add_peer(device());
  ASSERT_TRUE(n.is_ok() && i.is_ok() && d.is_ok());
  auto config = mesh_->peer_config_for(d->id);
  ASSERT_TRUE(config.is_ok());
  EXPECT_EQ(config->address, d->address);
  EXPECT_EQ(config->cidr, "10.42.0.0/16");
  // The instance is reached through its node: one peer routing both addresses.
  ASSERT_EQ(config->peers.size(), 1U);
  const auto& via = config->peers[0];
  EXPECT_EQ(via.peer_id, "node-a");
  EXPECT_EQ(via.endpoint, "198.51.100.2:51820");
  EXPECT_EQ(via.persistent_keepalive_s, 25);
  EXPECT_EQ(via.allowed_ips, (std::vector<std::string>{n->address + "/32", i->address + "/32"}));
  EXPECT_EQ(mesh_->peer_config_for("nope").status().code(), StatusCode::not_found);
  EXPECT_EQ(mesh_->list_peers(kOwner)->size(), 3U);
  EXPECT_EQ(mesh_->list_peers(kOther)->size(), 0U);
}

}  // namespace
}  // namespace formation::mesh_wireguard
