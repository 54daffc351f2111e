// Parameters: defaults, and errors that name the parameter.
#include <gtest/gtest.h>

#include "settings.hpp"

namespace formation::dns_powerdns {
namespace {

Result<Settings> parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return settings_from(doc, "/var/lib/formation/dns-powerdns/default");
}

std::string error_of(const std::string& json) {
  auto s = parse(json);
  EXPECT_FALSE(s.is_ok()) << json;
  return s.is_ok() ? "" : s.status().message();
}

TEST(Settings, DefaultsFillAnEmptyObject) {
  auto s = parse("{}");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->answers.zone, "formation.internal");
  EXPECT_EQ(s->answers.ttl, 60);
  EXPECT_EQ(s->answers.soa.hostmaster, "hostmaster.formation.internal");
  EXPECT_EQ(s->answers.soa.refresh, 3600);
  ASSERT_EQ(s->answers.nameservers.size(), 1u);
  EXPECT_EQ(s->answers.nameservers[0].name, "ns1.formation.internal");
  EXPECT_EQ(s->answers.mesh.prefix, 16);
  EXPECT_EQ(s->answers.stale_after_seconds, 60);
  EXPECT_TRUE(s->answers.regions.empty());
  EXPECT_EQ(s->refresh_seconds, 5);
  EXPECT_TRUE(s->unix_connector.enabled);
  EXPECT_EQ(s->unix_connector.path, "/var/lib/formation/dns-powerdns/default/pdns.sock");
  EXPECT_EQ(s->unix_connector.mode, 0660u);
  EXPECT_FALSE(s->http_connector.enabled);
  EXPECT_TRUE(s->verification.resolvers.empty());
  EXPECT_EQ(s->verification.timeout_ms, 2000);
}

TEST(Settings, ReadsEverything) {
  auto s = parse(R"({
    "zone": "Example.NET.", "ttl": 30,
    "soa": {"hostmaster": "dns-admin@example.net", "minimum": 5},
    "nameservers": [{"name": "ns1.example.net", "addresses": ["192.0.2.53", "2001:db8::53"]},
                    {"name": "ns2.other.org"}],
    "mesh_cidr": "10.99.0.0/16", "stale_after_seconds": 10,
    "regions": [{"cidr": "198.51.100.0/24", "region": "eu"}],
    "refresh_seconds": 2,
    "connectors": {"unix": {"path": "/run/pdns/formation.sock", "mode": "0600"},
                   "http": {"address": "127.0.0.1", "port": 0}},
    "verification": {"resolvers": ["127.0.0.1:5353", "192.0.2.1"], "timeout_ms": 500}
  })");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->answers.zone, "example.net");
  EXPECT_EQ(s->answers.soa.hostmaster, "dns-admin.example.net");
  EXPECT_EQ(s->answers.soa.minimum, 5);
  EXPECT_EQ(s->answers.nameservers.size(), 2u);
  EXPECT_EQ(s->answers.nameservers[0].addresses.size(), 2u);
  EXPECT_EQ(s->unix_connector.path, "/run/pdns/formation.sock");
  EXPECT_EQ(s->unix_connector.mode, 0600u);
  EXPECT_TRUE(s->http_connector.enabled);
  EXPECT_EQ(s->http_connector.port, 0);
  EXPECT_EQ(s->verification.resolvers.size(), 2u);
}

TEST(Settings, ConnectorsCanBeDisabled) {
  auto s = parse(R"({"connectors": {"unix": {"enabled": false},
                                    "http": {"enabled": false, "port": 9000}}})");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_FALSE(s->unix_connector.enabled);
  EXPECT_FALSE(s->http_connector.enabled);
}

TEST(Settings, ErrorsNameTheParameter) {
  EXPECT_EQ(error_of(R"({"zone": "a..b"})").rfind("parameters.zone: ", 0), 0u);
  EXPECT_EQ(error_of(R"({"mesh_cidr": "10.42.0.0/99"})").rfind("parameters.mesh_cidr: ", 0), 0u);
  EXPECT_EQ(error_of(R"({"regions": [{"cidr": "10.0.0.0/8", "region": "a"},
                                     {"cidr": "banana", "region": "b"}]})")
                .rfind("parameters.regions[1].cidr: 'banana' is not a CIDR", 0),
            0u);
  EXPECT_EQ(error_of(R"({"regions": [{"cidr": "10.0.0.0/8", "region": ""}]})")
                .rfind("parameters.regions[0].region", 0),
            0u);
  EXPECT_EQ(error_of(R"({"nameservers": [{"name": "ns1.x", "addresses": ["ns.example"]}]})")
                .rfind("parameters.nameservers[0].addresses[0]", 0),
            0u);
  EXPECT_EQ(error_of(R"({"nameservers": []})").rfind("parameters.nameservers", 0), 0u);
  EXPECT_EQ(error_of(R"({"soa": {"hostmaster": "first.last@example.org"}})")
                .rfind("parameters.soa.hostmaster", 0),
            0u);
  EXPECT_EQ(error_of(R"({"connectors": {"unix": {"mode": "0999"}}})")
                .rfind("parameters.connectors.unix.mode", 0),
            0u);
  EXPECT_EQ(error_of(R"({"connectors": {"http": {"address": "localhost"}}})")
                .rfind("parameters.connectors.http.address", 0),
            0u);
  EXPECT_EQ(error_of(R"({"verification": {"resolvers": ["::1"]}})")
                .rfind("parameters.verification.resolvers[0]: '::1' is not an IPv4", 0),
            0u);
  EXPECT_EQ(error_of(R"({"verification": {"resolvers": ["127.0.0.1:0"]}})")
                .rfind("parameters.verification.resolvers[0]", 0),
            0u);
  EXPECT_EQ(error_of(R"({"stale_after_seconds": 0})").rfind("parameters.stale_after_seconds", 0),
            0u);
  EXPECT_EQ(error_of("[]"), "parameters: must be a JSON object");
}

}  // namespace
}  // namespace formation::dns_powerdns
