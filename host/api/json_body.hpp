// Request bodies: one JSON object whose fields are declared up front. Unknown fields are
// refused by name, wrong types name the field, invalid JSON names the byte offset.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "formation/status.hpp"

namespace formation::host::api {

enum class FieldType { string, integer };

struct FieldSpec {
  std::string_view name;
  FieldType type = FieldType::string;
  bool required = false;
};

class JsonBody {
 public:
  // invalid: "body: invalid JSON at offset N: ...", "body: must be a JSON object",
  // "body: unknown field 'x' (expected one of: a, b)", "body: field 'x' must be a string",
  // "body: field 'x' is required".
  static Result<JsonBody> parse(std::string_view body, std::span<const FieldSpec> fields);

  // nullopt when the field is absent (or null).
  [[nodiscard]] std::optional<std::string> string(std::string_view name) const;
  [[nodiscard]] std::optional<std::int64_t> integer(std::string_view name) const;

 private:
  [[nodiscard]] const rapidjson::Value* find(std::string_view name) const;
  std::shared_ptr<rapidjson::Document> doc_;
};

}  // namespace formation::host::api
