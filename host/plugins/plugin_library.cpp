#include "plugins/plugin_library.hpp"

#include <fmt/format.h>
#include <boost/dll/shared_library.hpp>
#include <exception>
#include <regex>

#include "config/schema_check.hpp"

namespace formation::host {
namespace {

constexpr const char* kEntryPoint = "formation_plugin_v1";

bool valid_plugin_name(std::string_view name) {
  static const std::regex pattern("^[a-z0-9][a-z0-9-]{0,62}$");
  return std::regex_match(name.begin(), name.end(), pattern);
}

}  // namespace

Result<PluginLibrary> load_plugin_library(const std::filesystem::path& file) {
  auto lib = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  lib->load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    return Status::invalid(fmt::format("{}: cannot load library: {}", file.string(), ec.message()));
  }
  if (!lib->has(kEntryPoint)) {
    return Status::invalid(fmt::format(
        "{}: no entry point '{}': not a Formation plugin (export it with FORMATION_PLUGIN(...))",
        file.string(), kEntryPoint));
  }
  const PluginDescriptor* descriptor = nullptr;
  try {
    auto& entry = lib->get_alias<PluginEntryPoint>(kEntryPoint);
    descriptor = entry();
  } catch (const std::exception& e) {
    return Status::invalid(
        fmt::format("{}: entry point '{}' threw: {}", file.string(), kEntryPoint, e.what()));
  }
  if (descriptor == nullptr) {
    return Status::invalid(
        fmt::format("{}: entry point '{}' returned no descriptor", file.string(), kEntryPoint));
  }
  // Read nothing but `abi` until it matches: the rest of the layout may differ.
  if (descriptor->abi != FORMATION_PLUGIN_ABI) {
    return Status::invalid(fmt::format(
        "{}: plugin ABI {} does not match this formationd's ABI {}; rebuild the plugin against "
        "plugin-api {}",
        file.string(), descriptor->abi, FORMATION_PLUGIN_ABI, FORMATION_VERSION));
  }
  std::string_view name = descriptor->name ? descriptor->name : "";
  if (!valid_plugin_name(name)) {
    return Status::invalid(fmt::format(
        "{}: plugin name '{}' is invalid (lower-case letters, digits and '-', at most 63)",
        file.string(), name));
  }
  if (descriptor->create == nullptr) {
    return Status::invalid(fmt::format("{}: plugin '{}' declares no factory", file.string(), name));
  }
  if (descriptor->parameters_schema != nullptr && *descriptor->parameters_schema != '\0') {
    auto schema = compile_schema_text(descriptor->parameters_schema,
                                      file.filename().string() + " (parameters schema)");
    if (!schema.is_ok()) {
      return Status::invalid(fmt::format("{}: plugin '{}' ships a broken parameters schema: {}",
                                         file.string(), name, schema.status().message()));
    }
  }
  return PluginLibrary{file, descriptor, std::shared_ptr<void>(lib, lib.get())};
}

}  // namespace formation::host
