#include "config/schemas.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "config/schema_check.hpp"

namespace formation::host {
namespace embedded {
// Defined in the generated embedded_schemas.cpp.
std::string_view formation_schema_json();
std::string_view plugin_instance_schema_json();
}  // namespace embedded

namespace {

// The embedded schemas are part of the program; one that does not compile is a build
// defect (the config tests catch it), so it stops the process with the reason.
std::shared_ptr<const rapidjson::Document> compile_or_die(std::string_view text, const char* name) {
  auto schema = compile_schema_text(text, name);
  if (!schema.is_ok()) {
    std::fprintf(stderr, "formationd: embedded schema is broken: %s\n",
                 schema.status().message().c_str());
    std::abort();
  }
  return std::move(schema).value();
}

}  // namespace

std::string_view formation_schema_text() { return embedded::formation_schema_json(); }
std::string_view plugin_instance_schema_text() { return embedded::plugin_instance_schema_json(); }

const rapidjson::Document& formation_schema() {
  static const auto schema = compile_or_die(formation_schema_text(), "formation.schema.json");
  return *schema;
}

const rapidjson::Document& plugin_instance_schema() {
  static const auto schema =
      compile_or_die(plugin_instance_schema_text(), "plugin-instance.schema.json");
  return *schema;
}

}  // namespace formation::host
