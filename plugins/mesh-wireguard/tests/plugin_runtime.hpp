// formationd's runtime in one object (event bus, timers, blocking pool, metrics), the state
// store plugin loaded from its .so as formationd loads it, and mesh-wireguard instances
// created over HostServicesImpl: the tests and bench/mesh drive the real thing.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mesh_wireguard.hpp"
#include "plugins/host_services_impl.hpp"
#include "plugins/plugin_library.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"

namespace formation::mesh_wireguard::testing {

class PluginRuntime {
 public:
  explicit PluginRuntime(std::filesystem::path data_dir)
      : dir_(std::move(data_dir)),
        timers_(pool_),
        runtime_{events_,
                 timers_,
                 pool_,
                 metrics_,
                 [](Route, const std::string&) { return Status::unsupported("no routes here"); },
                 [this](PluginKind kind, std::string_view) -> Plugin* {
                   return kind == PluginKind::state_store ? store_plugin_.get() : nullptr;
                 },
                 dir_} {
    std::filesystem::create_directories(dir_);
  }

  ~PluginRuntime() {
    for (auto& mesh : meshes_) mesh->stop();
    meshes_.clear();
    if (store_plugin_) store_plugin_->stop();
    timers_.shutdown();
    events_.shutdown();
    pool_.shutdown();
  }
  PluginRuntime(const PluginRuntime&) = delete;
  PluginRuntime& operator=(const PluginRuntime&) = delete;

  // Loads `<plugin_dir>/<name>.so` and starts it (and migrates it) with `parameters`.
  StateStore& start_store(const std::filesystem::path& plugin_dir, const std::string& name,
                          const std::string& parameters) {
    auto lib = host::load_plugin_library(plugin_dir / (name + ".so"));
    if (!lib.is_ok()) throw std::runtime_error(lib.status().message());
    store_library_ = *lib;
    auto created = lib->descriptor->create(services_for(name, "default", parameters));
    if (!created.is_ok()) throw std::runtime_error(created.status().message());
    store_plugin_ = std::move(created).value();
    if (auto st = store_plugin_->start(); !st.is_ok()) throw std::runtime_error(st.message());
    auto& store = static_cast<StateStore&>(*store_plugin_);
    if (auto v = store.migrate(); !v.is_ok()) throw std::runtime_error(v.status().message());
    return store;
  }

  // A mesh-wireguard instance (not started) with `parameters`; stopped by the destructor.
  MeshWireGuardPlugin& make_mesh(const std::string& parameters,
                                 const std::string& instance = "test") {
    auto& services = services_for("mesh-wireguard", instance, parameters);
    auto settings = settings_from(services.parameters(), services.data_dir());
    if (!settings.is_ok()) throw std::runtime_error(settings.status().message());
    meshes_.push_back(std::make_unique<MeshWireGuardPlugin>(services, *settings));
    return *meshes_.back();
  }

  HostServices& services_for(const std::string& plugin, const std::string& instance,
                             const std::string& parameters) {
    auto doc = std::make_shared<rapidjson::Document>();
    doc->Parse(parameters.c_str());
    if (doc->HasParseError()) throw std::runtime_error("bad test JSON: " + parameters);
    services_.push_back(std::make_unique<host::HostServicesImpl>(runtime_, plugin, instance, doc));
    return *services_.back();
  }

  EventBus& events() { return events_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  host::ThreadPool pool_{2};
  host::InProcessEventBus events_;
  host::TimerService timers_;
  host::MetricsRegistry metrics_;
  host::RuntimeServices runtime_;
  host::PluginLibrary store_library_;
  std::unique_ptr<Plugin> store_plugin_;
  std::vector<std::unique_ptr<host::HostServicesImpl>> services_;
  std::vector<std::unique_ptr<MeshWireGuardPlugin>> meshes_;
};

}  // namespace formation::mesh_wireguard::testing
