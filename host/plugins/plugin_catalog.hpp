// Every plugin library found in the search path, loaded up front so that a broken library
// shows at start (or with --check-config), not when it is first used.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "plugins/plugin_library.hpp"

namespace formation::host {

struct PluginCatalog {
  std::vector<std::filesystem::path> searched;
  std::map<std::string, PluginLibrary> plugins;  // by plugin name
  // Libraries refused, and names declared twice (then neither copy is usable).
  std::vector<std::string> problems;

  [[nodiscard]] const PluginLibrary* find(const std::string& name) const;
  [[nodiscard]] std::string names() const;  // "a, b, c" or "(none)"
};

// Loads every `*.so` in `dirs` (not recursive), in name order.
PluginCatalog discover_plugins(const std::vector<std::filesystem::path>& dirs);

}  // namespace formation::host
