// The config schemas, compiled into the binary from schemas/config/ at build time.
#pragma once

#include <string_view>

#include <rapidjson/document.h>

namespace formation::host {

// The text of schemas/config/formation.schema.json.
std::string_view formation_schema_text();
// The text of schemas/config/plugin-instance.schema.json.
std::string_view plugin_instance_schema_text();

// The same, parsed once (thread-safe) and kept for the life of the process.
const rapidjson::Document& formation_schema();
const rapidjson::Document& plugin_instance_schema();

}  // namespace formation::host
