// Parameters: defaults, and refusals that name the JSON pointer.
#include <gtest/gtest.h>

#include "settings.hpp"

namespace formation::mesh_wireguard {
namespace {

Result<Settings> parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  return settings_from(doc, "/var/lib/formation/mesh-wireguard/default");
}

TEST(Settings, Defaults) {
  auto s = parse("{}");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(format_cidr(s->cidr), "10.42.0.0/16");
  EXPECT_EQ(format_cidr(s->node_range), "10.42.0.0/20");
  EXPECT_EQ(format_cidr(s->device_range), "10.42.64.0/18");
  EXPECT_EQ(format_cidr(s->instance_range), "10.42.128.0/17");
  EXPECT_EQ(s->interface, "formnet0");
  EXPECT_EQ(s->listen_port, 51820);
  EXPECT_EQ(s->backend, Backend::automatic);
  EXPECT_TRUE(s->manage_interface);
  EXPECT_TRUE(s->advertise.empty());
  EXPECT_EQ(s->persistent_keepalive_s, 25);
  EXPECT_EQ(s->apply_interval_seconds, 10);
  EXPECT_EQ(s->private_key_file, "/var/lib/formation/mesh-wireguard/default/private.key");
  EXPECT_TRUE(s->netns.empty());
}

TEST(Settings, Overrides) {
  auto s = parse(R"({"cidr": "10.50.0.0/16", "ranges": {"node": "10.50.0.0/24",
    "device": "10.50.1.0/24", "instance": "10.50.2.0/24"}, "interface": "fm0",
    "backend": "userspace", "manage_interface": false, "advertise": ["198.51.100.2:51820"],
    "private_key_file": "/etc/formation/mesh.key", "netns": "ns1"})");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(format_cidr(s->range_of(MeshPeerKind::device)), "10.50.1.0/24");
  EXPECT_EQ(s->backend, Backend::userspace);
  EXPECT_FALSE(s->manage_interface);
  EXPECT_EQ(s->advertise, std::vector<std::string>{"198.51.100.2:51820"});
  EXPECT_EQ(s->private_key_file, "/etc/formation/mesh.key");
  EXPECT_EQ(s->netns, "ns1");
}

TEST(Settings, RefusalsNameThePointer) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"cidr": "10.42.0.0/33"})", "/cidr:"},
      {R"({"ranges": {"node": "10.43.0.0/20"}})", "/ranges/node: '10.43.0.0/20' is not inside"},
      {R"({"ranges": {"device": "10.42.0.0/24"}})", "/ranges/device: overlaps /ranges/node"},
      {R"({"ranges": {"instance": "10.42.128.1/17"}})", "/ranges/instance:"},
      {R"({"interface": "much-too-long-name"})", "/interface:"},
      {R"({"interface": "a/b"})", "/interface:"},
      {R"({"listen_port": 0})", "/listen_port:"},
      {R"({"backend": "magic"})", "/backend: 'magic'"},
      {R"({"advertise": ["1.2.3.4:5", "nope"]})", "/advertise/1:"},
      {R"({"apply_interval_seconds": 0})", "/apply_interval_seconds:"},
      {R"({"netns": "../x"})", "/netns:"},
  };
  for (const auto& [json, expected] : cases) {
    auto s = parse(json);
    ASSERT_EQ(s.status().code(), StatusCode::invalid) << json;
    EXPECT_NE(s.status().message().find(expected), std::string::npos)
        << json << " -> " << s.status().message();
  }
}

TEST(Settings, InterfaceNames) {
  EXPECT_TRUE(valid_interface_name("formnet0"));
  EXPECT_TRUE(valid_interface_name("a23456789012345"));
  EXPECT_FALSE(valid_interface_name("a234567890123456"));
  EXPECT_FALSE(valid_interface_name(""));
  EXPECT_FALSE(valid_interface_name("a b"));
  EXPECT_FALSE(valid_interface_name(".."));
}

}  // namespace
}  // namespace formation::mesh_wireguard
