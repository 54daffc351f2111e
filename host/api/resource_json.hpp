// The JSON of the API's resources that more than one route returns (docs/api.md).
#pragma once

#include <string>

#include "api/api_support.hpp"
#include "formation/records.hpp"

namespace formation::host::api {

void write_instance(JsonWriter& w, const Instance& instance);
void write_node(JsonWriter& w, const Node& node);

template <typename T, typename F>
std::string to_json(const T& value, F write) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  write(w, value);
  return buffer.GetString();
}

}  // namespace formation::host::api
