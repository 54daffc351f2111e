// Fuzz target for the config readers: arbitrary bytes through parse_json and, when they
// parse, through validate and apply_defaults with both config schemas. Must never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/json_file.hpp"
#include "config/schema_check.hpp"
#include "config/schemas.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = formation::host::parse_json(text, "fuzz.json");
  if (!doc.is_ok()) return 0;
  for (const rapidjson::Document* schema :
       {&formation::host::formation_schema(), &formation::host::plugin_instance_schema()}) {
    const auto status = formation::host::validate(*doc, *schema, "fuzz.json");
    if (status.is_ok()) {
      rapidjson::Document copy;
      copy.CopyFrom(*doc, copy.GetAllocator());
      formation::host::apply_defaults(copy, *schema, copy.GetAllocator());
    }
  }
  return 0;
}
