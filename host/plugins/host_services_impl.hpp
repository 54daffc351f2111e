// What one plugin instance receives from the host (formation::HostServices).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "formation/plugin.hpp"

namespace formation::host {

// The host's shared machinery, handed to every plugin instance.
struct RuntimeServices {
  EventBus& events;
  Timers& timers;
  BlockingPool& pool;
  Metrics& metrics;
  // Registers a route on the host's router; `owner` is "<plugin>/<instance>".
  std::function<Status(Route, const std::string& owner)> add_route;
  // Finds a started plugin (the registry's lookup).
  std::function<Plugin*(PluginKind, std::string_view)> find_plugin;
  std::filesystem::path data_dir;
};

class HostServicesImpl final : public HostServices {
 public:
  HostServicesImpl(RuntimeServices& runtime, std::string plugin, std::string instance,
                   std::shared_ptr<const rapidjson::Document> parameters);

  [[nodiscard]] std::string_view plugin_name() const override { return plugin_; }
  [[nodiscard]] std::string_view instance_name() const override { return instance_; }
  std::shared_ptr<spdlog::logger> logger() override { return logger_; }
  [[nodiscard]] const rapidjson::Value& parameters() const override { return *parameters_; }
  [[nodiscard]] std::filesystem::path data_dir() const override;
  EventBus& events() override { return runtime_.events; }
  Timers& timers() override { return runtime_.timers; }
  BlockingPool& blocking_pool() override { return runtime_.pool; }
  Metrics& metrics() override { return runtime_.metrics; }
  Status add_route(Route route) override;
  Plugin* find_plugin(PluginKind kind, std::string_view instance) override;

 private:
  RuntimeServices& runtime_;
  std::string plugin_;
  std::string instance_;
  std::shared_ptr<const rapidjson::Document> parameters_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace formation::host
