// Two hosts, one database: two mesh-wireguard instances, each over its own state-postgres
// plugin (loaded from its .so) on the same PostgreSQL, take joins from many threads at
// once. The store's unique address is the only thing between them.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "keys.hpp"
#include "mesh_wireguard.hpp"
#include "support/fake_host_services.hpp"
#include "support/plugin_runtime.hpp"

namespace formation::mesh_wireguard {
namespace {

std::map<std::string, std::string> server_env() {
  std::map<std::string, std::string> env;
  std::ifstream in(PG_ENV_FILE);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

// 100 joins from 20 threads split over two hosts; `mesh` parameters choose the ranges.
void hundred_joins(const std::string& mesh_parameters) {
  const auto dsn = server_env()["DSN"];
  ASSERT_FALSE(dsn.empty()) << "no DSN in " << PG_ENV_FILE << " (fixture not started?)";
  const std::string store_parameters = R"({"dsn": ")" + dsn + R"(", "pool_size": 8})";
  formation::testing::TempDir dir_a{"mesh-pg-a"};
  formation::testing::TempDir dir_b{"mesh-pg-b"};
  testing::PluginRuntime host_a{dir_a.path()};
  testing::PluginRuntime host_b{dir_b.path()};
  host_a.start_store(PLUGIN_BUILD_DIR, "state-postgres", store_parameters);
  host_b.start_store(PLUGIN_BUILD_DIR, "state-postgres", store_parameters);
  auto& mesh_a = host_a.make<MeshWireGuardPlugin>("mesh-wireguard", mesh_parameters, settings_from);
  auto& mesh_b = host_b.make<MeshWireGuardPlugin>("mesh-wireguard", mesh_parameters, settings_from);
  ASSERT_TRUE(mesh_a.start().is_ok());
  ASSERT_TRUE(mesh_b.start().is_ok());

  constexpr int kThreads = 20;
  constexpr int kJoinsPerThread = 5;
  std::mutex mutex;
  std::vector<std::string> addresses;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto& mesh = t % 2 == 0 ? mesh_a : mesh_b;
      for (int i = 0; i < kJoinsPerThread; ++i) {
        MeshPeerRequest r;
        r.kind = MeshPeerKind::device;
        r.owner = "0x" + std::string(40, static_cast<char>('a' + t % 6));
        r.public_key = base64_encode(*public_key_of(*generate_private_key()));
        auto peer = mesh.add_peer(r);
        std::lock_guard lock(mutex);
        if (peer.is_ok()) {
          addresses.push_back(peer->address);
        } else {
          failures.push_back(peer.status().to_string());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(failures.empty()) << failures.size()
                                << " failed, first: " << (failures.empty() ? "" : failures.front());
  ASSERT_EQ(addresses.size(), 100U);
  EXPECT_EQ(std::set<std::string>(addresses.begin(), addresses.end()).size(), 100U);
  for (const auto& a : addresses) {
    EXPECT_TRUE(contains(mesh_a.settings().device_range, *parse_ipv4(a))) << a;
  }
  // Both hosts see the same 100 peers in that range (the database is the fixture's, shared
  // by the tests here: each uses a root range of its own).
  for (auto* mesh : {&mesh_a, &mesh_b}) {
    auto peers = mesh->list_peers("");
    ASSERT_TRUE(peers.is_ok());
    EXPECT_EQ(std::count_if(peers->begin(), peers->end(),
                            [&](const MeshPeer& p) {
                              return contains(mesh->settings().device_range,
                                              *parse_ipv4(p.address));
                            }),
              100);
  }
}

TEST(MeshPostgres, HundredConcurrentJoinsOnTwoHostsGetDistinctAddresses) {
  hundred_joins(R"({"manage_interface": false, "cidr": "10.61.0.0/16", "ranges": {
    "node": "10.61.0.0/20", "device": "10.61.64.0/18", "instance": "10.61.128.0/17"}})");
}

// 126 addresses for 100 joins: most picks collide with another host's, and are retried.
TEST(MeshPostgres, HundredConcurrentJoinsIntoANearlyFullRange) {
  hundred_joins(R"({"manage_interface": false, "cidr": "10.62.0.0/16", "ranges": {
    "node": "10.62.0.0/20", "device": "10.62.64.0/25", "instance": "10.62.128.0/17"}})");
}

}  // namespace
}  // namespace formation::mesh_wireguard
