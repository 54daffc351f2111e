// The mesh routes' input rules (host/api/mesh_json): WireGuard keys, endpoints, and strict
// bodies with lists.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/mesh_json.hpp"

namespace formation::host::api {
namespace {

// A real `wg pubkey` output.
constexpr const char* kKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

TEST(MeshInput, PublicKeysAre44CharactersOfBase64Of32Bytes) {
  EXPECT_TRUE(check_public_key(kKey).is_ok());
  for (const std::string& bad : std::vector<std::string>{
           "", "abc", std::string(kKey).substr(0, 43), std::string(kKey) + "A",
           "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8D!=",
           "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg==", std::string(44, 'A')}) {
    auto st = check_public_key(bad);
    EXPECT_EQ(st.code(), StatusCode::invalid) << bad;
    EXPECT_NE(st.message().find("public_key"), std::string::npos);
  }
}

TEST(MeshInput, EndpointsAreIpAndPort) {
  for (const std::string& good :
       std::vector<std::string>{"203.0.113.5:51820", "[2001:db8::1]:1", "10.0.0.1:65535"}) {
    EXPECT_TRUE(check_endpoint(good, "e").is_ok()) << good;
  }
  for (const std::string& bad : std::vector<std::string>{
           "", "203.0.113.5", "203.0.113.5:0", "203.0.113.5:65536", "host.example:51820",
           "2001:db8::1:51820", "[2001:db8::1]", ":51820", "1.2.3.4:5x", "[1.2.3.4]:5"}) {
    auto st = check_endpoint(bad, "body: field 'endpoints[0]'");
    EXPECT_EQ(st.code(), StatusCode::invalid) << bad;
    EXPECT_NE(st.message().find("endpoints[0]"), std::string::npos);
  }
}

constexpr MeshField kFields[] = {
    {"public_key", MeshFieldType::string, true, 64, 0},
    {"endpoints", MeshFieldType::string_list, false, 64, 2},
};

TEST(MeshInput, BodiesAreStrict) {
  auto ok = parse_mesh_body(R"({"public_key": "k", "endpoints": ["a", "b"]})", kFields);
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(*ok->string("public_key"), "k");
  EXPECT_EQ(ok->list("endpoints"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(parse_mesh_body(R"({"public_key": "k"})", kFields)->list("endpoints").empty());

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"public_key": "k", "colour": 1})", "unknown field 'colour'"},
      {R"({"endpoints": []})", "'public_key' is required"},
      {R"({"public_key": 5})", "'public_key' must be a string"},
      {R"({"public_key": "k", "endpoints": "a"})", "'endpoints' must be a list"},
      {R"({"public_key": "k", "endpoints": [1]})", "'endpoints' must be a list"},
      {R"({"public_key": "k", "endpoints": ["a", "b", "c"]})", "more than 2 items"},
      {R"({"public_key": ")" + std::string(65, 'k') + R"("})", "longer than 64"},
      {"[]", "must be a JSON object"},
      {"{", "invalid JSON"},
  };
  for (const auto& [body, message] : bad) {
    auto parsed = parse_mesh_body(body, kFields);
    ASSERT_FALSE(parsed.is_ok()) << body;
    EXPECT_EQ(parsed.status().code(), StatusCode::invalid);
    EXPECT_NE(parsed.status().message().find(message), std::string::npos)
        << body << ": " << parsed.status().message();
  }
}

}  // namespace
}  // namespace formation::host::api
