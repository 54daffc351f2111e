// Opening one plugin library and reading its descriptor. Every refusal names the file and
// the reason, in words an operator can act on.
#pragma once

#include <filesystem>
#include <memory>

#include "formation/plugin.hpp"

namespace formation::host {

struct PluginLibrary {
  std::filesystem::path file;
  const PluginDescriptor* descriptor = nullptr;
  // Keeps the library mapped. Libraries are never unloaded while the process lives
  // (objects a plugin created may outlive any registry), so this is only ever copied.
  std::shared_ptr<void> handle;
};

// Loads `file`, finds `formation_plugin_v1`, checks ABI, name and factory, and parses the
// parameters schema. Does not call the factory.
Result<PluginLibrary> load_plugin_library(const std::filesystem::path& file);

}  // namespace formation::host
