// The configured plugin instances: checked against the catalog and their schemas, created,
// started in dependency order and stopped in reverse.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "plugins/host_services_impl.hpp"
#include "plugins/plugin_catalog.hpp"

namespace formation::host {

// One plugins.d file, resolved to its library, parameters validated and defaults applied.
struct PreparedInstance {
  std::filesystem::path file;  // relative to the config dir, for messages
  std::string plugin;
  std::string instance;
  std::shared_ptr<const rapidjson::Document> parameters;
  PluginLibrary library;
};

// Checks every plugins.d file; on failure the message lists every problem, one per line.
Result<std::vector<PreparedInstance>> prepare_instances(const LoadedConfig& config,
                                                        const PluginCatalog& catalog);

// The order in which instances start: every instance after all instances of the kinds it
// depends on; otherwise in config order. Fails on a missing kind or a cycle.
Result<std::vector<size_t>> start_order(const std::vector<PreparedInstance>& instances);

class PluginRegistry {
 public:
  struct Entry {
    PreparedInstance prepared;
    std::unique_ptr<HostServicesImpl> services;
    std::unique_ptr<Plugin> plugin;
    bool started = false;
  };

  explicit PluginRegistry(RuntimeServices& runtime) : runtime_(runtime) {}
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Creates every instance (in start order), then starts them. On failure, stops what had
  // started, in reverse, and names the file and the reason.
  Status create_and_start(std::vector<PreparedInstance> instances);
  // Stops started instances in reverse start order; idempotent.
  void stop_all();

  [[nodiscard]] Plugin* find(PluginKind kind, std::string_view instance) const;
  // In start order.
  [[nodiscard]] const std::vector<std::unique_ptr<Entry>>& entries() const { return entries_; }

 private:
  RuntimeServices& runtime_;
  std::vector<std::unique_ptr<Entry>> entries_;  // in start order
};

}  // namespace formation::host
