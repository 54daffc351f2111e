// JsonBody: invalid JSON with its offset, unknown fields by name, wrong types by field.
#include "api/json_body.hpp"

#include <gtest/gtest.h>

namespace formation::host::api {
namespace {

constexpr FieldSpec kFields[] = {{"name", FieldType::string, true},
                                 {"version", FieldType::integer, false}};

std::string error_of(std::string_view body) {
  auto r = JsonBody::parse(body, kFields);
  EXPECT_FALSE(r.is_ok()) << body;
  EXPECT_EQ(r.status().code(), StatusCode::invalid);
  return r.status().message();
}

TEST(JsonBody, ReadsDeclaredFields) {
  auto r = JsonBody::parse(R"({"name": "ada", "version": 3})", kFields);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->string("name"), "ada");
  EXPECT_EQ(r->integer("version"), 3);
  auto only = JsonBody::parse(R"({"name": "ada"})", kFields);
  ASSERT_TRUE(only.is_ok());
  EXPECT_EQ(only->integer("version"), std::nullopt);
}

TEST(JsonBody, InvalidJsonNamesTheByteOffset) {
  EXPECT_EQ(error_of(R"({"name": x})").rfind("body: invalid JSON at offset 9: ", 0), 0u)
      << error_of(R"({"name": x})");
  EXPECT_EQ(
      error_of("{\n\"name\": \"\xc3\xa9\",\n ]").rfind("body: invalid JSON at offset 17: ", 0), 0u)
      << error_of("{\n\"name\": \"\xc3\xa9\",\n ]");
  EXPECT_NE(error_of("").find("invalid JSON at offset 0"), std::string::npos);
  EXPECT_NE(error_of(std::string("{\"name\":\"a\0\"}", 13)).find("invalid JSON at offset"),
            std::string::npos);
}

TEST(JsonBody, RefusesANonObject) {
  EXPECT_EQ(error_of("[]"), "body: must be a JSON object");
  EXPECT_EQ(error_of("\"name\""), "body: must be a JSON object");
}

TEST(JsonBody, UnknownFieldIsNamed) {
  auto m = error_of(R"({"name": "a", "plan": "gold"})");
  EXPECT_NE(m.find("unknown field 'plan'"), std::string::npos) << m;
  EXPECT_NE(m.find("name, version"), std::string::npos) << m;
}

TEST(JsonBody, WrongTypeNamesTheField) {
  EXPECT_EQ(error_of(R"({"name": 5})"), "body: field 'name' must be a string");
  EXPECT_EQ(error_of(R"({"name": "a", "version": "3"})"),
            "body: field 'version' must be an integer");
  EXPECT_EQ(error_of(R"({"name": "a", "version": 1.5})"),
            "body: field 'version' must be an integer");
}

TEST(JsonBody, RequiredFieldIsNamed) {
  EXPECT_EQ(error_of("{}"), "body: field 'name' is required");
  EXPECT_EQ(error_of(R"({"name": null})"), "body: field 'name' is required");
}

}  // namespace
}  // namespace formation::host::api
