#include "api/json_body.hpp"

#include <charconv>
#include <utility>

#include "config/json_file.hpp"

namespace formation::host::api {
namespace {

constexpr std::string_view kSource = "body";

// parse_json reports "body:<line>:<column>: <what>" (column in characters); turn that back
// into the byte offset into `text`.
std::string invalid_json_message(std::string_view text, const std::string& message) {
  std::string_view rest = message;
  std::size_t line = 0;
  std::size_t column = 0;
  bool parsed = false;
  if (rest.starts_with("body:")) {
    rest.remove_prefix(5);
    auto r1 = std::from_chars(rest.data(), rest.data() + rest.size(), line);
    if (r1.ec == std::errc{} && r1.ptr < rest.data() + rest.size() && *r1.ptr == ':') {
      rest.remove_prefix(static_cast<std::size_t>(r1.ptr - rest.data()) + 1);
      auto r2 = std::from_chars(rest.data(), rest.data() + rest.size(), column);
      if (r2.ec == std::errc{} &&
          rest.size() > static_cast<std::size_t>(r2.ptr - rest.data()) + 1) {
        rest.remove_prefix(static_cast<std::size_t>(r2.ptr - rest.data()));
        if (rest.starts_with(": ")) rest.remove_prefix(2);
        parsed = true;
      }
    }
  }
  if (!parsed) return "body: invalid JSON: " + message;
  std::size_t offset = 0;
  std::size_t at_line = 1;
  std::size_t at_column = 1;
  while (offset < text.size() && (at_line < line || (at_line == line && at_column < column))) {
    const auto c = static_cast<unsigned char>(text[offset]);
    ++offset;
    if (c == '\n') {
      ++at_line;
      at_column = 1;
    } else {
      // Skip the continuation bytes of a multi-byte character.
      while (offset < text.size() && (static_cast<unsigned char>(text[offset]) & 0xC0) == 0x80) {
        ++offset;
      }
      ++at_column;
    }
  }
  return "body: invalid JSON at offset " + std::to_string(offset) + ": " + std::string(rest);
}

std::string_view type_name(FieldType type) {
  return type == FieldType::string ? "a string" : "an integer";
}

}  // namespace

Result<JsonBody> JsonBody::parse(std::string_view body, std::span<const FieldSpec> fields) {
  auto parsed = parse_json(body, std::string(kSource));
  if (!parsed.is_ok())
    return Status::invalid(invalid_json_message(body, parsed.status().message()));
  auto doc = std::make_shared<rapidjson::Document>(std::move(parsed).value());
  if (!doc->IsObject()) return Status::invalid("body: must be a JSON object");
  std::string expected;
  for (const auto& f : fields) expected += (expected.empty() ? "" : ", ") + std::string(f.name);
  for (auto it = doc->MemberBegin(); it != doc->MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    const FieldSpec* spec = nullptr;
    for (const auto& f : fields) {
      if (f.name == key) spec = &f;
    }
    if (spec == nullptr) {
      return Status::invalid("body: unknown field '" + std::string(key) + "' (expected " +
                             (expected.empty() ? "no fields" : "one of: " + expected) + ")");
    }
    const auto& v = it->value;
    if (v.IsNull()) continue;
    const bool ok = spec->type == FieldType::string ? v.IsString() : v.IsInt64();
    if (!ok) {
      return Status::invalid("body: field '" + std::string(key) + "' must be " +
                             std::string(type_name(spec->type)));
    }
  }
  JsonBody out;
  out.doc_ = std::move(doc);
  for (const auto& f : fields) {
    if (f.required && out.find(f.name) == nullptr) {
      return Status::invalid("body: field '" + std::string(f.name) + "' is required");
    }
  }
  return out;
}

const rapidjson::Value* JsonBody::find(std::string_view name) const {
  auto it = doc_->FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  if (it == doc_->MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::optional<std::string> JsonBody::string(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> JsonBody::integer(std::string_view name) const {
  const auto* v = find(name);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

}  // namespace formation::host::api
