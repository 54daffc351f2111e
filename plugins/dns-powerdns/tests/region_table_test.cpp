// Addresses, CIDRs and the CIDR -> region table (longest prefix wins, IPv4 and IPv6).
#include <gtest/gtest.h>

#include "region_table.hpp"

namespace formation::dns_powerdns {
namespace {

IpAddress ip(const char* text) {
  auto parsed = parse_ip(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

TEST(ParseIp, AcceptsBothFamiliesAndRejectsGarbage) {
  EXPECT_FALSE(ip("192.0.2.1").v6);
  EXPECT_TRUE(ip("2001:db8::1").v6);
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "10.0.0.1/8", "host.example", "::g",
                          "1.2.3.4 ", "0123456789012345678901234567890123456789012345678901"}) {
    EXPECT_FALSE(parse_ip(bad).has_value()) << bad;
  }
}

TEST(ParseCidr, NamesWhatIsWrong) {
  EXPECT_EQ(parse_cidr("10.42.0.0/16")->prefix, 16);
  EXPECT_EQ(parse_cidr("192.0.2.7")->prefix, 32);  // a bare address is a host route
  EXPECT_EQ(parse_cidr("2001:db8::/32")->prefix, 32);
  auto too_long = parse_cidr("10.0.0.0/33");
  ASSERT_FALSE(too_long.is_ok());
  EXPECT_NE(too_long.status().message().find("0 to 32"), std::string::npos);
  auto host_bits = parse_cidr("10.42.0.1/16");
  ASSERT_FALSE(host_bits.is_ok());
  EXPECT_NE(host_bits.status().message().find("network address"), std::string::npos);
  for (const char* bad :
       {"", "/8", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1", "nonsense/8", "2001:db8::/129"}) {
    EXPECT_FALSE(parse_cidr(bad).is_ok()) << bad;
  }
}

TEST(ParseClientSubnet, BareAddressesHaveTheirFullLength) {
  auto v4 = parse_client_subnet("198.51.100.7");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->prefix, 32);
  auto ecs = parse_client_subnet("198.51.100.0/24");
  ASSERT_TRUE(ecs.has_value());
  EXPECT_EQ(ecs->prefix, 24);
  EXPECT_EQ(parse_client_subnet("2001:db8::1")->prefix, 128);
  EXPECT_FALSE(parse_client_subnet("198.51.100.0/40").has_value());
  EXPECT_FALSE(parse_client_subnet("x/24").has_value());
}

TEST(RegionTable, LongestPrefixWinsInBothFamilies) {
  RegionTable table;
  table.add(*parse_cidr("0.0.0.0/0"), "anywhere");
  table.add(*parse_cidr("10.0.0.0/8"), "private");
  table.add(*parse_cidr("10.1.0.0/16"), "eu-west");
  table.add(*parse_cidr("2001:db8::/32"), "v6-wide");
  table.add(*parse_cidr("2001:db8:1::/48"), "v6-narrow");
  EXPECT_EQ(*table.region_of(ip("10.1.2.3")), "eu-west");
  EXPECT_EQ(*table.region_of(ip("10.2.2.3")), "private");
  EXPECT_EQ(*table.region_of(ip("192.0.2.1")), "anywhere");
  EXPECT_EQ(*table.region_of(ip("2001:db8:1::5")), "v6-narrow");
  EXPECT_EQ(*table.region_of(ip("2001:db8:2::5")), "v6-wide");
  EXPECT_EQ(table.region_of(ip("2001:db9::1")), nullptr);  // 0.0.0.0/0 is IPv4 only
}

TEST(RegionTable, FirstOfEqualPrefixesWins) {
  RegionTable table;
  table.add(*parse_cidr("10.0.0.0/8"), "first");
  table.add(*parse_cidr("10.0.0.0/8"), "second");
  EXPECT_EQ(*table.region_of(ip("10.9.9.9")), "first");
}

TEST(Cidr, ContainsChecksFamilyAndPrefix) {
  auto mesh = *parse_cidr("10.42.0.0/16");
  EXPECT_TRUE(mesh.contains(ip("10.42.255.1")));
  EXPECT_FALSE(mesh.contains(ip("10.43.0.1")));
  EXPECT_FALSE(mesh.contains(ip("::ffff:10.42.0.1")));
  auto odd = *parse_cidr("10.40.0.0/13");
  EXPECT_TRUE(odd.contains(ip("10.47.1.1")));
  EXPECT_FALSE(odd.contains(ip("10.48.0.0")));
}

}  // namespace
}  // namespace formation::dns_powerdns
