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

const WireGuardPeer* peer_in(const PeerConfig& config, const std::string& id) {
  for (const auto& p : config.peers) {
    if (p.peer_id == id) return &p;
  }
  return nullptr;
}

const MeshPeer& by_id(const std::vector<MeshPeer>& all, const std::string& id) {
  return *std::find_if(all.begin(), all.end(), [&](auto& p) { return p.id == id; });
}

std::string slash32(const std::vector<MeshPeer>& all, const std::string& id) {
  return by_id(all, id).address + "/32";
}

TEST(Visibility, DeviceReachesItsInstancesThroughTheNodesHostingThem) {
  auto all = network();
  all[0].endpoints = {"198.51.100.2:51820", "10.0.0.2:51820"};
  const auto config = config_for(all, by_id(all, "da1"), "10.42.0.0/16", 25);
  EXPECT_EQ(config.peer_id, "da1");
  EXPECT_EQ(config.cidr, "10.42.0.0/16");
  ASSERT_EQ(config.peers.size(), 2U);  // n1 and n2; ia1 and ia2 behind them
  const auto* n1 = peer_in(config, "n1");
  const auto* n2 = peer_in(config, "n2");
  ASSERT_NE(n1, nullptr);
  ASSERT_NE(n2, nullptr);
  EXPECT_EQ(n1->allowed_ips, (Ids{slash32(all, "n1"), slash32(all, "ia1")}));
  EXPECT_EQ(n2->allowed_ips, (Ids{slash32(all, "n2"), slash32(all, "ia2")}));
  EXPECT_EQ(n1->endpoint, "198.51.100.2:51820");
  EXPECT_EQ(n2->endpoint, "");
  EXPECT_EQ(n1->persistent_keepalive_s, 25);
  // B's instance on n1 is not routed to A's device.
  EXPECT_EQ(config_for(all, by_id(all, "db1"), "10.42.0.0/16", 25).peers.at(0).allowed_ips,
            (Ids{slash32(all, "n1"), slash32(all, "ib1")}));
  EXPECT_TRUE(config_for(all, by_id(all, "dc1"), "10.42.0.0/16", 25).peers.empty());
}

TEST(Visibility, InstanceRoutesTheWholeMeshThroughItsNode) {
  const auto all = network();
  const auto config = config_for(all, by_id(all, "ia2"), "10.42.0.0/16", 25);
  ASSERT_EQ(config.peers.size(), 1U);
  EXPECT_EQ(config.peers[0].peer_id, "n2");
  EXPECT_EQ(config.peers[0].allowed_ips, Ids{"10.42.0.0/16"});
  EXPECT_EQ(config.peers[0].persistent_keepalive_s, 25);
}

TEST(Visibility, InstanceWhoseNodeHasNotJoinedSeesItsOwnersDevicesDirectly) {
  auto all = network();
  all.erase(all.begin());  // n1 is gone
  const auto config = config_for(all, by_id(all, "ia1"), "10.42.0.0/16", 25);
  Ids peers;
  for (const auto& p : config.peers) {
    peers.push_back(p.peer_id);
    EXPECT_EQ(p.allowed_ips, Ids{slash32(all, p.peer_id)});
  }
  EXPECT_EQ(peers, (Ids{"da1", "da2"}));
}

TEST(Visibility, NodeConfigIsEveryPeerItSeesAsItsOwnSlash32WithoutKeepalive) {
  const auto all = network();
  const auto config = config_for(all, by_id(all, "n1"), "10.42.0.0/16", 25);
  Ids peers;
  for (const auto& p : config.peers) {
    peers.push_back(p.peer_id);
    EXPECT_EQ(p.allowed_ips, Ids{slash32(all, p.peer_id)});
    EXPECT_EQ(p.persistent_keepalive_s, 0);
  }
  std::sort(peers.begin(), peers.end());
  EXPECT_EQ(peers, seen_by("n1"));
}

TEST(Visibility, NodeForwardsBetweenItsInstancesAndTheirOwnersDevicesOnly) {
  auto all = network();
  // Distinct addresses: the fixture's are derived from the id's length.
  for (std::size_t i = 0; i < all.size(); ++i) all[i].address = "10.42.9." + std::to_string(i + 1);
  auto addresses = [&](Ids peers) {
    for (auto& p : peers) p = by_id(all, p).address;
    std::sort(peers.begin(), peers.end());
    return peers;
  };
  ForwardGroups n1{{"A", {addresses({"ia1"}), addresses({"da1", "da2"})}},
                   {"B", {addresses({"ib1"}), addresses({"db1"})}}};
  EXPECT_EQ(forward_groups(all, by_id(all, "n1")), n1);
  ForwardGroups n2{{"A", {addresses({"ia2"}), addresses({"da1", "da2"})}}};
  EXPECT_EQ(forward_groups(all, by_id(all, "n2")), n2);
  EXPECT_TRUE(forward_groups(all, by_id(all, "n3")).empty());  // only a reservation
  EXPECT_TRUE(forward_groups(all, by_id(all, "da1")).empty());
  // An owner without a device here forwards nothing.
  all.erase(std::remove_if(all.begin(), all.end(), [](auto& p) { return p.id == "db1"; }),
            all.end());
  EXPECT_EQ(forward_groups(all, by_id(all, "n1")).count("B"), 0U);
}

}  // namespace
}  // namespace formation::mesh_wireguard
