// What `wg show dump` says, what should run, and the `wg set` arguments between them.
#include <gtest/gtest.h>

#include "wg_diff.hpp"

namespace formation::mesh_wireguard {
namespace {

constexpr const char* kDump =
    "cHJpdmF0ZQ==\tcHVibGlj\t51820\toff\n"
    "AAA=\t(none)\t198.51.100.2:51820\t10.42.0.2/32\t0\t0\t0\toff\n"
    "BBB=\t(none)\t(none)\t10.42.64.9/32,10.42.64.8/32\t0\t0\t0\t25\n"
    "CCC=\t(none)\t203.0.113.9:4000\t(none)\t0\t0\t0\toff\n";

WireGuardPeer wanted(std::string key, std::string ip, std::string endpoint = {}, int ka = 0) {
  return {key, key, {std::move(ip)}, std::move(endpoint), ka};
}

TEST(Dump, ParsesPeers) {
  auto peers = parse_dump(kDump);
  ASSERT_TRUE(peers.is_ok()) << peers.status().message();
  ASSERT_EQ(peers->size(), 3U);
  EXPECT_EQ((*peers)[0].endpoint, "198.51.100.2:51820");
  EXPECT_EQ((*peers)[1].allowed_ips, (std::vector<std::string>{"10.42.64.8/32", "10.42.64.9/32"}));
  EXPECT_EQ((*peers)[1].persistent_keepalive_s, 25);
  EXPECT_TRUE((*peers)[2].allowed_ips.empty());
  EXPECT_TRUE(parse_dump("only the interface line\n")->empty());
  auto bad = parse_dump("x\ty\nAAA=\tbroken\n");
  EXPECT_EQ(bad.status().code(), StatusCode::invalid);
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
}

TEST(Diff, AddsRemovesAndChangesOnlyWhatDiffers) {
  auto running = *parse_dump(kDump);
  const auto diff = diff_peers(
      {
          wanted("AAA=", "10.42.0.2/32", "198.51.100.2:51820"),  // unchanged
          wanted("BBB=", "10.42.64.9/32", "", 25),               // allowed IPs shrink
          wanted("DDD=", "10.42.0.5/32", "198.51.100.5:51820"),  // new
      },
      running);
  EXPECT_EQ(diff.remove, std::vector<std::string>{"CCC="});
  ASSERT_EQ(diff.upsert.size(), 2U);
  EXPECT_EQ(diff.upsert[0].public_key, "BBB=");
  EXPECT_EQ(diff.upsert[1].public_key, "DDD=");
}

TEST(Diff, EndpointChangesButALearntOneIsKept) {
  auto running = *parse_dump(kDump);
  auto moved = diff_peers({wanted("AAA=", "10.42.0.2/32", "198.51.100.3:51820")}, running);
  ASSERT_EQ(moved.upsert.size(), 1U);
  // A peer that calls us (no endpoint stored) keeps the endpoint WireGuard learnt.
  auto kept = diff_peers({wanted("CCC=", "10.42.0.9/32")}, {running[2]});
  ASSERT_EQ(kept.upsert.size(), 1U);  // its allowed IPs were (none)
  running[2].allowed_ips = {"10.42.0.9/32"};
  EXPECT_TRUE(diff_peers({wanted("CCC=", "10.42.0.9/32")}, {running[2]}).empty());
  EXPECT_TRUE(diff_peers({}, {}).empty());
}

TEST(Diff, WgSetArgumentsRemovalsThenUpserts) {
  PeerDiff diff;
  diff.remove = {"CCC=", "EEE="};
  diff.upsert = {wanted("DDD=", "10.42.0.5/32", "198.51.100.5:51820"),
                 wanted("FFF=", "10.42.0.6/32", "", 25)};
  const auto calls = wg_set_arguments(diff);
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0],
            (std::vector<std::string>{"peer", "CCC=", "remove", "peer", "EEE=", "remove"}));
  EXPECT_EQ(calls[1], (std::vector<std::string>{
                          "peer", "DDD=", "allowed-ips", "10.42.0.5/32", "endpoint",
                          "198.51.100.5:51820", "persistent-keepalive", "off", "peer",
                          "FFF=", "allowed-ips", "10.42.0.6/32", "persistent-keepalive", "25"}));
  EXPECT_TRUE(wg_set_arguments({}).empty());
}

TEST(Diff, LongDiffsAreSplitUnderTheArgumentLimit) {
  PeerDiff diff;
  for (int i = 0; i < 1000; ++i) {
    diff.upsert.push_back(
        wanted("key" + std::to_string(i), "10.42.3." + std::to_string(i % 250) + "/32"));
  }
  const auto calls = wg_set_arguments(diff, std::size_t{16} * 1024);
  EXPECT_GT(calls.size(), 1U);
  std::size_t peers = 0;
  for (const auto& call : calls) {
    EXPECT_EQ(call.front(), "peer");  // a peer's arguments never straddle two calls
    for (const auto& a : call) peers += a == "peer" ? 1 : 0;
  }
  EXPECT_EQ(peers, 1000U);
}

}  // namespace
}  // namespace formation::mesh_wireguard
