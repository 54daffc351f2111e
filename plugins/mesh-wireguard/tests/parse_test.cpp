// The small parsers: what they accept, and that refusals say what and where.
#include <gtest/gtest.h>

#include "address_pool.hpp"
#include "endpoint_rules.hpp"
#include "net_parse.hpp"

namespace formation::mesh_wireguard {
namespace {

TEST(Parse, Ipv4) {
  EXPECT_EQ(*parse_ipv4("10.42.0.1"), 0x0A2A0001U);
  EXPECT_EQ(*parse_ipv4("255.255.255.255"), 0xFFFFFFFFU);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "a.b.c.d",
                          "1.2.3.4 ", "-1.2.3.4", "1.2.3.+4"}) {
    auto r = parse_ipv4(bad);
    EXPECT_EQ(r.status().code(), StatusCode::invalid) << bad;
  }
  EXPECT_NE(parse_ipv4("1.2.3.999").status().message().find("'1.2.3.999'"), std::string::npos);
}

TEST(Parse, Endpoints) {
  auto v4 = parse_endpoint("203.0.113.5:51820");
  ASSERT_TRUE(v4.is_ok());
  EXPECT_EQ(format_endpoint(*v4), "203.0.113.5:51820");
  auto v6 = parse_endpoint("[2001:DB8::1]:443");
  ASSERT_TRUE(v6.is_ok()) << v6.status().message();
  EXPECT_EQ(format_endpoint(*v6), "[2001:db8::1]:443");
  for (const char* bad :
       {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "host:80", "2001:db8::1:80",
        "[1.2.3.4]:80", "[2001:db8::1]80", "[::1", ":80", "1.2.3.4:08"}) {
    auto r = parse_endpoint(bad);
    EXPECT_EQ(r.status().code(), StatusCode::invalid) << bad;
    EXPECT_NE(r.status().message().find("endpoint"), std::string::npos) << r.status().message();
  }
}

TEST(Parse, CidrsAndRanges) {
  auto cidr = parse_cidr("10.42.0.0/16");
  ASSERT_TRUE(cidr.is_ok());
  EXPECT_EQ(format_cidr(*cidr), "10.42.0.0/16");
  EXPECT_TRUE(contains(*cidr, *parse_ipv4("10.42.255.255")));
  EXPECT_FALSE(contains(*cidr, *parse_ipv4("10.43.0.0")));
  EXPECT_TRUE(contains(*cidr, *parse_cidr("10.42.64.0/18")));
  EXPECT_FALSE(contains(*parse_cidr("10.42.64.0/18"), *cidr));
  EXPECT_TRUE(overlaps(*parse_cidr("10.42.0.0/20"), *parse_cidr("10.42.8.0/24")));
  EXPECT_FALSE(overlaps(*parse_cidr("10.42.0.0/20"), *parse_cidr("10.42.64.0/18")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0").is_ok());
  auto host_bits = parse_cidr("10.42.0.1/16");
  EXPECT_NE(host_bits.status().message().find("host bits"), std::string::npos);
  for (const char* bad : {"10.42.0.0", "10.42.0.0/33", "10.42.0.0/", "/16", "10.42.0.0/-1",
                          "10.42.0.0/1a", "-0.42.0.0/16", "10.42.0.0/-0"}) {
    EXPECT_EQ(parse_cidr(bad).status().code(), StatusCode::invalid) << bad;
  }
}

TEST(Parse, PrivateAddresses) {
  for (const char* ip :
       {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.20", "127.0.0.1", "169.254.1.1",
        "100.64.0.1", "100.127.255.255", "::1", "fd00::1", "fe80::1"}) {
    EXPECT_TRUE(is_private(*parse_ip(ip))) << ip;
  }
  for (const char* ip : {"203.0.113.5", "172.32.0.1", "100.128.0.1", "8.8.8.8", "2001:db8::1"}) {
    EXPECT_FALSE(is_private(*parse_ip(ip))) << ip;
  }
}

TEST(EndpointRules, PublicSourceReplacesPrivateCandidatesKeepingPorts) {
  auto out = reachable_endpoints(
      {"192.168.1.20:51820", "203.0.113.9:51820", "127.0.0.1:51821", "10.0.0.2:51820"},
      "198.51.100.7:40000");
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(*out, (std::vector<std::string>{"198.51.100.7:51820", "203.0.113.9:51820",
                                            "198.51.100.7:51821"}));
}

TEST(EndpointRules, PrivateOrUnknownSourceStoresAsGiven) {
  const std::vector<std::string> given{"192.168.1.20:51820", "203.0.113.5:51820"};
  EXPECT_EQ(*reachable_endpoints(given, "192.168.1.1:5000"), given);
  EXPECT_EQ(*reachable_endpoints(given, ""), given);
  EXPECT_EQ(*reachable_endpoints(given, "10.0.0.1"), given);
}

TEST(EndpointRules, DedupesCapsAndRefuses) {
  std::vector<std::string> many;
  for (int i = 1; i <= 12; ++i) many.push_back("203.0.113." + std::to_string(i) + ":1");
  many.insert(many.begin() + 1, "203.0.113.1:1");
  auto out = normalise_endpoints(many);
  ASSERT_TRUE(out.is_ok());
  ASSERT_EQ(out->size(), kMaxEndpoints);
  EXPECT_EQ((*out)[1], "203.0.113.2:1");
  auto bad = normalise_endpoints({"203.0.113.1:1", "nope"});
  EXPECT_EQ(bad.status().code(), StatusCode::invalid);
  EXPECT_NE(bad.status().message().find("endpoints[1]"), std::string::npos);
  EXPECT_EQ(reachable_endpoints({"1.2.3.4:5"}, "garbage").status().code(), StatusCode::invalid);
}

TEST(AddressPool, SkipsNetworkAndBroadcastAndRunsOut) {
  const auto range = *parse_cidr("10.42.0.0/30");
  AddressPool pool(range, {"10.42.0.1", "10.99.0.1"});
  EXPECT_EQ(pool.capacity(), 2U);
  EXPECT_EQ(pool.free_count(), 1U);
  for (std::uint64_t r = 0; r < 10; ++r) EXPECT_EQ(*pool.pick(r), *parse_ipv4("10.42.0.2"));
  pool.mark_used(*parse_ipv4("10.42.0.2"));
  EXPECT_FALSE(pool.pick(0).has_value());
  EXPECT_EQ(AddressPool(*parse_cidr("10.42.0.0/31"), {}).capacity(), 0U);
}

}  // namespace
}  // namespace formation::mesh_wireguard
