#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "repositories.hpp"

namespace formation::sqlite {

std::string to_json(const std::vector<std::string>& list) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  json.StartArray();
  for (const auto& s : list) json.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  json.EndArray();
  return buffer.GetString();
}

std::string to_json(const std::vector<std::int64_t>& list) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  json.StartArray();
  for (auto v : list) json.Int64(v);
  json.EndArray();
  return buffer.GetString();
}

std::vector<std::string> strings_from_json(const std::string& text) {
  std::vector<std::string> out;
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsArray()) return out;
  for (const auto& v : doc.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::vector<std::int64_t> integers_from_json(const std::string& text) {
  std::vector<std::int64_t> out;
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsArray()) return out;
  for (const auto& v : doc.GetArray()) {
    if (v.IsInt64()) out.push_back(v.GetInt64());
  }
  return out;
}

Status cas_failure(Connection& db, std::string_view what, std::string_view table,
                   std::string_view where, const Values& key, std::int64_t expected_version) {
  auto stored =
      db.scalar("SELECT version FROM " + std::string(table) + " WHERE " + std::string(where), key);
  if (!stored.is_ok()) return stored.status();
  if (!*stored) return Status::not_found(std::string(what) + " does not exist");
  return Status::conflict(std::string(what) + " is at version " + std::to_string(**stored) +
                          ", not " + std::to_string(expected_version) +
                          " (it was changed concurrently; read it again)");
}

Status require_changed(const Result<std::int64_t>& changed, std::string_view what) {
  if (!changed.is_ok()) return changed.status();
  if (*changed == 0) return Status::not_found(std::string(what) + " does not exist");
  return Status::ok();
}

Status with_context(const Status& status, std::string_view what) {
  if (status.is_ok()) return status;
  return {status.code(), std::string(what) + ": " + status.message()};
}

}  // namespace formation::sqlite
