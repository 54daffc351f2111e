// The real state-sqlite.so, loaded and started by the host's own loader in a temp dir: the
// outbox and webhook tables the deliverer works on are the ones formationd uses.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "formation/kinds/state_store.hpp"
#include "plugins/host_services_impl.hpp"
#include "plugins/plugin_library.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"

namespace formation::testing {

struct SqliteStore {
  explicit SqliteStore(const std::filesystem::path& dir)
      : runtime{events,
                timers,
                pool,
                metrics,
                [](const Route&, const std::string&) { return Status::ok(); },
                [](PluginKind, std::string_view) -> Plugin* { return nullptr; },
                dir} {
    auto lib =
        host::load_plugin_library(std::filesystem::path(PLUGIN_BUILD_DIR) / "state-sqlite.so");
    if (!lib.is_ok()) {
      error = lib.status().to_string();
      return;
    }
    auto params = std::make_shared<rapidjson::Document>();
    params->Parse(("{\"path\": \"" + (dir / "state.sqlite3").string() + "\"}").c_str());
    std::vector<host::PreparedInstance> all;
    all.push_back(host::PreparedInstance{"test", "state-sqlite", "test", params, *lib});
    registry = std::make_unique<host::PluginRegistry>(runtime);
    if (auto st = registry->create_and_start(std::move(all)); !st.is_ok()) {
      error = st.to_string();
      return;
    }
    store = static_cast<StateStore*>(registry->find(PluginKind::state_store, "test"));
    if (store == nullptr) {
      error = "state-sqlite did not start";
      return;
    }
    if (auto v = store->migrate(); !v.is_ok()) error = v.status().to_string();
  }
  ~SqliteStore() {
    if (registry) registry->stop_all();
    registry.reset();
    timers.shutdown();
    events.shutdown();
    pool.shutdown();
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  host::MetricsRegistry metrics;
  host::ThreadPool pool{2};
  host::InProcessEventBus events;
  host::TimerService timers{pool};
  host::RuntimeServices runtime;
  std::unique_ptr<host::PluginRegistry> registry;
  StateStore* store = nullptr;
  std::string error;
};

}  // namespace formation::testing
