#include "config/schema_check.hpp"

#include <gtest/gtest.h>

#include <string>

#include "config/json_file.hpp"
#include "config/schemas.hpp"

namespace formation::host {
namespace {

rapidjson::Document json(std::string_view text) {
  auto doc = parse_json(text, "test");
  EXPECT_TRUE(doc.is_ok()) << doc.status().message();
  return doc.is_ok() ? std::move(doc).value() : rapidjson::Document();
}

// A plugin's parameter schema as a plugin author would write it.
constexpr std::string_view kEchoSchema = R"({
  "$schema": "http://json-schema.org/draft-04/schema#",
  "type": "object",
  "additionalProperties": false,
  "required": ["greeting"],
  "properties": {
    "greeting": {"type": "string", "minLength": 1},
    "mode": {"type": "string", "enum": ["loud", "quiet"], "default": "quiet"},
    "port": {"type": "integer", "minimum": 1024, "maximum": 65535},
    "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": true},
    "name": {"type": "string", "pattern": "^[a-z]+$"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "uniqueItems": true},
    "either": {"type": ["string", "integer"]},
    "nested": {
      "type": "object",
      "additionalProperties": false,
      "default": {},
      "properties": {
        "depth": {"type": "integer", "default": 3},
        "inner": {"type": "object", "default": {}, "properties": {"x": {"default": "y"}}}
      }
    }
  }
})";

class ValidateEcho : public ::testing::Test {
 protected:
  std::string error(std::string_view instance) {
    const auto doc = json(instance);
    const Status s = validate(doc, schema_, "plugins.d/echo.json");
    EXPECT_FALSE(s.is_ok()) << instance;
    EXPECT_EQ(s.code(), StatusCode::invalid);
    return s.message();
  }

  rapidjson::Document schema_ = json(kEchoSchema);
};

TEST_F(ValidateEcho, AcceptsAValidInstance) {
  const auto doc = json(R"({"greeting": "hi", "mode": "loud", "port": 8080, "name": "abc",
                            "tags": ["a", "b"], "nested": {"depth": 1}})");
  EXPECT_TRUE(validate(doc, schema_, "x").is_ok());
}

TEST_F(ValidateEcho, Type) {
  EXPECT_EQ(error(R"({"greeting": 5})"),
            "plugins.d/echo.json: /greeting: expected type string, got integer");
  EXPECT_EQ(error(R"({"greeting": "hi", "port": 1.5})"),
            "plugins.d/echo.json: /port: expected type integer, got number");
  EXPECT_EQ(error(R"({"greeting": "hi", "either": null})"),
            "plugins.d/echo.json: /either: expected type string or integer, got null");
  EXPECT_EQ(error("[]"), "plugins.d/echo.json: /: expected type object, got array");
}

TEST_F(ValidateEcho, Required) {
  EXPECT_EQ(error(R"({"mode": "loud"})"),
            "plugins.d/echo.json: /: missing required key \"greeting\"");
}

TEST_F(ValidateEcho, Enum) {
  EXPECT_EQ(error(R"({"greeting": "hi", "mode": "shout"})"),
            "plugins.d/echo.json: /mode: expected one of \"loud\", \"quiet\", got \"shout\"");
}

TEST_F(ValidateEcho, MinimumAndMaximum) {
  EXPECT_EQ(error(R"({"greeting": "hi", "port": 80})"),
            "plugins.d/echo.json: /port: expected a value >= 1024, got 80");
  EXPECT_EQ(error(R"({"greeting": "hi", "port": 70000})"),
            "plugins.d/echo.json: /port: expected a value <= 65535, got 70000");
  EXPECT_EQ(error(R"({"greeting": "hi", "ratio": 0})"),
            "plugins.d/echo.json: /ratio: expected a value > 0, got 0");
}

TEST_F(ValidateEcho, PatternAndMinLength) {
  EXPECT_EQ(error(R"({"greeting": "hi", "name": "ABC"})"),
            "plugins.d/echo.json: /name: expected a string matching \"^[a-z]+$\", got \"ABC\"");
  EXPECT_EQ(error(R"({"greeting": ""})"),
            "plugins.d/echo.json: /greeting: expected at least 1 character, got 0");
}

TEST_F(ValidateEcho, UnknownKey) {
  EXPECT_EQ(error(R"({"greeting": "hi", "nested": {"deep": 1}})"),
            "plugins.d/echo.json: /nested: unknown key \"deep\" (allowed: depth, inner)");
  const std::string root = error(R"({"greeting": "hi", "greting": 1})");
  EXPECT_EQ(
      root.rfind("plugins.d/echo.json: /: unknown key \"greting\" (allowed: greeting, mode, ", 0),
      0u)
      << root;
}

TEST_F(ValidateEcho, Arrays) {
  EXPECT_EQ(error(R"({"greeting": "hi", "tags": ["a", 1]})"),
            "plugins.d/echo.json: /tags/1: expected type string, got integer");
  EXPECT_EQ(error(R"({"greeting": "hi", "tags": ["a", "b", "c"]})"),
            "plugins.d/echo.json: /tags: expected at most 2 items, got 3");
  EXPECT_EQ(error(R"({"greeting": "hi", "tags": ["a", "a"]})"),
            "plugins.d/echo.json: /tags/1: duplicate item \"a\" (items must be unique)");
}

TEST_F(ValidateEcho, PointerTokensAreEscaped) {
  const auto schema = json(R"({"properties": {"a/b": {"type": "string"}}})");
  const auto doc = json(R"({"a/b": 1})");
  EXPECT_EQ(validate(doc, schema, "s").message(), "s: /a~1b: expected type string, got integer");
}

TEST(ApplyDefaults, FillsNestedDefaults) {
  const auto schema = json(kEchoSchema);
  auto doc = json(R"({"greeting": "hi", "nested": {"inner": {}}})");
  apply_defaults(doc, schema, doc.GetAllocator());
  EXPECT_STREQ(doc["mode"].GetString(), "quiet");
  EXPECT_EQ(doc["nested"]["depth"].GetInt(), 3);
  EXPECT_STREQ(doc["nested"]["inner"]["x"].GetString(), "y");
  EXPECT_FALSE(doc.HasMember("port"));  // no default: stays absent

  auto empty = json("{}");
  apply_defaults(empty, schema, empty.GetAllocator());
  EXPECT_EQ(empty["nested"]["depth"].GetInt(), 3);  // the added {} is filled in too
  EXPECT_STREQ(empty["nested"]["inner"]["x"].GetString(), "y");
}

TEST(ApplyDefaults, KeepsPresentValues) {
  const auto schema = json(kEchoSchema);
  auto doc = json(R"({"greeting": "hi", "mode": "loud", "nested": {"depth": 9}})");
  apply_defaults(doc, schema, doc.GetAllocator());
  EXPECT_STREQ(doc["mode"].GetString(), "loud");
  EXPECT_EQ(doc["nested"]["depth"].GetInt(), 9);
}

TEST(ApplyDefaults, DescendsIntoArrayItems) {
  const auto schema = json(R"({"properties": {"list": {"type": "array", "items":
      {"type": "object", "properties": {"w": {"default": 1}}}}}})");
  auto doc = json(R"({"list": [{}, {"w": 2}]})");
  apply_defaults(doc, schema, doc.GetAllocator());
  EXPECT_EQ(doc["list"][0]["w"].GetInt(), 1);
  EXPECT_EQ(doc["list"][1]["w"].GetInt(), 2);
}

TEST(CompileSchemaText, AcceptsAGoodSchema) {
  auto schema = compile_schema_text(kEchoSchema, "echo schema");
  ASSERT_TRUE(schema.is_ok()) << schema.status().message();
  EXPECT_TRUE((*schema)->IsObject());
}

TEST(CompileSchemaText, BrokenSchemasNameTheSource) {
  auto syntax = compile_schema_text("{\"type\": \"object\"", "echo schema");
  ASSERT_FALSE(syntax.is_ok());
  EXPECT_EQ(syntax.status().message().rfind("echo schema:1:", 0), 0u) << syntax.status().message();

  auto type = compile_schema_text(R"({"properties": {"a": {"type": "strnig"}}})", "echo schema");
  ASSERT_FALSE(type.is_ok());
  EXPECT_EQ(type.status().message(),
            "echo schema: invalid JSON Schema: /properties/a/type: unknown type \"strnig\"");

  auto regex = compile_schema_text(R"({"pattern": "^\\d+$"})", "echo schema");
  ASSERT_FALSE(regex.is_ok());
  EXPECT_EQ(
      regex.status().message().rfind(
          "echo schema: invalid JSON Schema: /pattern: pattern \"^\\\\d+$\" is not supported", 0),
      0u)
      << regex.status().message();

  auto not_object = compile_schema_text(R"({"items": [1]})", "s");
  ASSERT_FALSE(not_object.is_ok());
  EXPECT_EQ(not_object.status().message(),
            "s: invalid JSON Schema: /items/0: a schema must be an object, got integer");

  auto ref = compile_schema_text(R"({"$ref": "#/definitions/nope"})", "s");
  ASSERT_FALSE(ref.is_ok());
  EXPECT_NE(ref.status().message().find("points to nothing"), std::string::npos);

  auto remote = compile_schema_text(R"({"$ref": "http://example.com/s.json"})", "s");
  ASSERT_FALSE(remote.is_ok());

  auto bound = compile_schema_text(R"({"minimum": "1"})", "s");
  ASSERT_FALSE(bound.is_ok());
  EXPECT_EQ(bound.status().message(), "s: invalid JSON Schema: /minimum: expected a number");
}

TEST(CompileSchemaText, LocalRefsWork) {
  auto schema = compile_schema_text(R"({"definitions": {"n": {"type": "integer"}},
                                        "properties": {"a": {"$ref": "#/definitions/n"}}})",
                                    "s");
  ASSERT_TRUE(schema.is_ok()) << schema.status().message();
  const auto bad = json(R"({"a": "x"})");
  EXPECT_EQ(validate(bad, **schema, "f").message(), "f: /a: expected type integer, got string");
}

TEST(EmbeddedSchemas, CompileAndMatchTheirFiles) {
  EXPECT_TRUE(formation_schema().IsObject());
  EXPECT_TRUE(plugin_instance_schema().IsObject());
  EXPECT_NE(formation_schema_text().find("\"clock_skew_seconds\""), std::string_view::npos);
  EXPECT_NE(plugin_instance_schema_text().find("\"parameters\""), std::string_view::npos);
}

TEST(EmbeddedSchemas, AdminPatternNeedsFortyHexDigits) {
  const auto& schema = formation_schema();
  const auto good = json(R"({"admins": ["0x00000000000000000000000000000000000000aB"]})");
  EXPECT_TRUE(validate(good, schema, "formation.json").is_ok());
  const auto short_one = json(R"({"admins": ["0x0000000000000000000000000000000000000aB"]})");
  EXPECT_EQ(validate(short_one, schema, "formation.json")
                .message()
                .rfind("formation.json: /admins/0: expected a string matching", 0),
            0u);
  const auto long_one = json(R"({"admins": ["0x00000000000000000000000000000000000000aBc"]})");
  EXPECT_FALSE(validate(long_one, schema, "formation.json").is_ok());
}

}  // namespace
}  // namespace formation::host

namespace formation::host {
namespace {

TEST(Validate, TuplesDependenciesAndCombinators) {
  const auto schema = json(R"({
    "properties": {
      "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}],
               "additionalItems": false},
      "choice": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
      "either": {"description": "a name or a number", "anyOf": [{"type": "string"}, {"type": "integer"}]},
      "bounded": {"type": "object", "maxProperties": 1}
    },
    "dependencies": {"tls_key": ["tls_cert"]}
  })");
  auto message = [&](std::string_view text) { return validate(json(text), schema, "f").message(); };
  EXPECT_EQ(message(R"({"pair": ["a", 1, 2]})"), "f: /pair/2: expected at most 2 items");
  EXPECT_EQ(message(R"({"pair": [1]})"), "f: /pair/0: expected type string, got integer");
  EXPECT_EQ(message(R"({"choice": true})"),
            "f: /choice: must match exactly one of the 2 alternatives listed under oneOf");
  // A combinator names no field: the schema's description, when it has one, says the rule.
  EXPECT_EQ(message(R"({"either": []})"),
            "f: /either: does not match any of the 2 alternatives listed under anyOf (a name or "
            "a number)");
  EXPECT_EQ(message(R"({"bounded": {"a": 1, "b": 2}})"),
            "f: /bounded: expected at most 1 key, got 2");
  EXPECT_EQ(message(R"({"tls_key": "k"})"), "f: /: key \"tls_key\" requires key \"tls_cert\"");
  EXPECT_TRUE(validate(json(R"({"pair": ["a", 1], "choice": 3})"), schema, "f").is_ok());
}

}  // namespace
}  // namespace formation::host
