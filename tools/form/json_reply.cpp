#include "json_reply.hpp"

namespace form {

rapidjson::Document parse_object(const Response& response) {
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  if (doc.HasParseError() || !doc.IsObject())
    throw CliError(Exit::kApiError,
                   "unexpected answer from the API (HTTP " + std::to_string(response.status) +
                       "): not a JSON object",
                   "is --api the address of a formationd?");
  return doc;
}

std::string scalar(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return {};
  const auto& v = it->value;
  if (v.IsString()) return v.GetString();
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsDouble()) return std::to_string(v.GetDouble());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  return {};
}

rapidjson::Document print_object(Context& context, const Response& response,
                                 const std::function<void(const rapidjson::Value&, Table&)>& fill) {
  if (context.json()) {
    print_raw_json(context.out(), response.body);
    return {};
  }
  rapidjson::Document doc = parse_object(response);
  Table table;
  fill(doc, table);
  table.print(context.out());
  return doc;
}

}  // namespace form
