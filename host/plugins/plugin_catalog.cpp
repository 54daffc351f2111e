#include "plugins/plugin_catalog.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <set>

namespace formation::host {

const PluginLibrary* PluginCatalog::find(const std::string& name) const {
  auto it = plugins.find(name);
  return it == plugins.end() ? nullptr : &it->second;
}

std::string PluginCatalog::names() const {
  if (plugins.empty()) return "(none)";
  std::string out;
  for (const auto& [name, lib] : plugins) out += (out.empty() ? "" : ", ") + name;
  return out;
}

PluginCatalog discover_plugins(const std::vector<std::filesystem::path>& dirs) {
  PluginCatalog catalog;
  catalog.searched = dirs;
  std::set<std::string> duplicated;
  for (const auto& dir : dirs) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    }
    if (ec) {
      catalog.problems.push_back(
          fmt::format("{}: cannot read plugin directory: {}", dir.string(), ec.message()));
      continue;
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      auto lib = load_plugin_library(file);
      if (!lib.is_ok()) {
        catalog.problems.push_back(lib.status().message());
        continue;
      }
      std::string name = lib->descriptor->name;
      if (duplicated.contains(name)) {
        catalog.problems.push_back(fmt::format(
            "{}: plugin name '{}' is declared by more than one library", file.string(), name));
        continue;
      }
      if (auto* first = catalog.find(name)) {
        catalog.problems.push_back(
            fmt::format("{}: plugin name '{}' is already declared by {}; neither is loaded",
                        file.string(), name, first->file.string()));
        catalog.plugins.erase(name);
        duplicated.insert(name);
        continue;
      }
      catalog.plugins.emplace(name, std::move(lib).value());
    }
  }
  return catalog;
}

}  // namespace formation::host
