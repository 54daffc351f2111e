// formationd's runtime in one object (event bus, timers, blocking pool, metrics), the real
// state-sqlite plugin loaded from its .so as formationd loads it, and billing-credits
// instances created over HostServicesImpl: the tests drive the real thing.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "billing_credits.hpp"
#include "plugins/host_services_impl.hpp"
#include "plugins/plugin_library.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"

namespace formation::billing_credits::testing {

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
    for (auto& billing : billings_) billing->stop();
    timers_.shutdown();
    events_.shutdown();
    pool_.shutdown();
    billings_.clear();
    if (store_plugin_) store_plugin_->stop();
  }
  PluginRuntime(const PluginRuntime&) = delete;
  PluginRuntime& operator=(const PluginRuntime&) = delete;

  // Loads state-sqlite.so from the build's plugin directory, starts and migrates it.
  StateStore& start_store() {
    auto lib =
        host::load_plugin_library(std::filesystem::path(PLUGIN_BUILD_DIR) / "state-sqlite.so");
    if (!lib.is_ok()) throw std::runtime_error(lib.status().message());
    store_library_ = *lib;
    auto created = lib->descriptor->create(services_for(
        "state-sqlite", "default", R"({"path": ")" + (dir_ / "state.db").string() + R"("})"));
    if (!created.is_ok()) throw std::runtime_error(created.status().message());
    store_plugin_ = std::move(created).value();
    if (auto st = store_plugin_->start(); !st.is_ok()) throw std::runtime_error(st.message());
    auto& store = static_cast<StateStore&>(*store_plugin_);
    if (auto v = store.migrate(); !v.is_ok()) throw std::runtime_error(v.status().message());
    return store;
  }

  // A started billing-credits instance with `parameters` (not schema-checked here: the
  // settings tests do that); stopped by the destructor.
  BillingCreditsPlugin& make_billing(const std::string& parameters = "{}") {
    auto& services = services_for("billing-credits", "test", parameters);
    auto settings = settings_from(services.parameters());
    if (!settings.is_ok()) throw std::runtime_error(settings.status().message());
    billings_.push_back(std::make_unique<BillingCreditsPlugin>(services, *settings));
    if (auto st = billings_.back()->start(); !st.is_ok()) throw std::runtime_error(st.message());
    return *billings_.back();
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

 private:
  std::filesystem::path dir_;
  host::ThreadPool pool_{4};
  host::InProcessEventBus events_;
  host::TimerService timers_;
  host::MetricsRegistry metrics_;
  host::RuntimeServices runtime_;
  host::PluginLibrary store_library_;
  std::unique_ptr<Plugin> store_plugin_;
  std::vector<std::unique_ptr<host::HostServicesImpl>> services_;
  std::vector<std::unique_ptr<BillingCreditsPlugin>> billings_;
};

}  // namespace formation::billing_credits::testing
