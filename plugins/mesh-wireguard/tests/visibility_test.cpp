// docs/mesh.md "Who may see whom", row by row, over one small network:
//   nodes n1, n2, n3; tenant A has instance ia1 on n1 and ia2 on n2 and devices da1, da2;
//   tenant B has instance ib1 on n1 and device db1; tenant C has device dc1 and no instance;
//   tenant A also has a reservation (no key yet) on n3.
#include <gtest/gtest.h>

#include <algorithm>

#include "visibility.hpp"

namespace formation::mesh_wireguard {
namespace {

MeshPeer peer(std::string id, MeshPeerKind kind, std::string owner, std::string node = {},
              std::string key = {}) {
  MeshPeer p;
  p.id = std::move(id);
  p.kind = kind;
  p.owner = std::move(owner);
  p.node_id = kind == MeshPeerKind::node ? p.id : std::move(node);
  p.public_key = key.empty() ? "key-" + p.id : key;
  p.address = "10.42.0." + std::to_string(p.id.size());
  return p;
}

std::vector<MeshPeer> network() {
  using K = MeshPeerKind;
  auto reservation = peer("ra3", K::instance, "A", "n3");
  reservation.public_key.clear();
  return {peer("n1", K::node, "op"),
          peer("n2", K::node, "op"),
          peer("n3", K::node, "op"),
          peer("ia1", K::instance, "A", "n1"),
          peer("ia2", K::instance, "A", "n2"),
          peer("ib1", K::instance, "B", "n1"),
          peer("da1", K::device, "A"),
          peer("da2", K::device, "A"),
          peer("db1", K::device, "B"),
          peer("dc1", K::device, "C"),
          reservation};
}

std::vector<std::string> ids(const std::vector<MeshPeer>& peers) {
  std::vector<std::string> out;
  out.reserve(peers.size());
  for (const auto& p : peers) out.push_back(p.id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> seen_by(const std::string& id) {
  const auto all = network();
  const auto self = *std::find_if(all.begin(), all.end(), [&](auto& p) { return p.id == id; });
  return ids(visible_to_peer(all, self));
}

using Ids = std::vector<std::string>;

TEST(Visibility, DeviceSeesItsOwnersInstancesAndTheirNodes) {
  EXPECT_EQ(seen_by("da1"), (Ids{"ia1", "ia2", "n1", "n2"}));
  EXPECT_EQ(seen_by("db1"), (Ids{"ib1", "n1"}));
  EXPECT_EQ(seen_by("dc1"), Ids{});
}

TEST(Visibility, InstanceSeesItsNodeAndItsOwnersDevices) {
  EXPECT_EQ(seen_by("ia1"), (Ids{"da1", "da2", "n1"}));
  EXPECT_EQ(seen_by("ia2"), (Ids{"da1", "da2", "n2"}));
  EXPECT_EQ(seen_by("ib1"), (Ids{"db1", "n1"}));
}

TEST(Visibility, NodeSeesNodesItsInstancesAndTheirOwnersDevices) {
  EXPECT_EQ(seen_by("n1"), (Ids{"da1", "da2", "db1", "ia1", "ib1", "n2", "n3"}));
  EXPECT_EQ(seen_by("n2"), (Ids{"da1", "da2", "ia2", "n1", "n3"}));
  // n3 only has a reservation: nobody's devices.
  EXPECT_EQ(seen_by("n3"), (Ids{"n1", "n2"}));
}

TEST(Visibility, ItIsSymmetric) {
  const auto all = network();
  for (const auto& a : all) {
    if (a.public_key.empty()) continue;
    for (const auto& b : visible_to_peer(all, a)) {
      const auto back = visible_to_peer(all, b);
      EXPECT_TRUE(std::any_of(back.begin(), back.end(), [&](auto& p) { return p.id == a.id; }))
          << a.id << " sees " << b.id << " but not the other way round";
    }
  }
}

TEST(Visibility, AccountListsItsOwnPeersAndTheNodesHostingThem) {
  const auto all = network();
  EXPECT_EQ(ids(visible_to_account(all, "A")), (Ids{"da1", "da2", "ia1", "ia2", "n1", "n2"}));
  EXPECT_EQ(ids(visible_to_account(all, "C")), Ids{"dc1"});
  EXPECT_EQ(ids(visible_to_account(all, "nobody")), Ids{});
  // An admin sees every joined peer, never a reservation.
  EXPECT_EQ(visible_to_account(all, "").size(), all.size() - 1);
}

TEST(Visibility, ConfigOfADeviceHasKeepaliveAndSlash32s) {
  auto all = network();
  all[0].endpoints = {"198.51.100.2:51820", "10.0.0.2:51820"};
  const auto config = config_for(all, all[6], "10.42.0.0/16", 25);  // da1
  EXPECT_EQ(config.peer_id, "da1");
  EXPECT_EQ(config.cidr, "10.42.0.0/16");
  ASSERT_EQ(config.peers.size(), 4U);
  for (const auto& p : config.peers) {
    EXPECT_EQ(p.persistent_keepalive_s, 25);
    ASSERT_EQ(p.allowed_ips.size(), 1U);
    EXPECT_EQ(p.allowed_ips[0].substr(p.allowed_ips[0].size() - 3), "/32");
    if (p.peer_id == "n1") {
      EXPECT_EQ(p.endpoint, "198.51.100.2:51820");
    }
    if (p.peer_id == "n2") {
      EXPECT_EQ(p.endpoint, "");
    }
  }
  for (const auto& p : config_for(all, all[0], "10.42.0.0/16", 25).peers) {
    EXPECT_EQ(p.persistent_keepalive_s, 0);
  }
}

}  // namespace
}  // namespace formation::mesh_wireguard
