// formationd's runtime in one object (event bus, timers, blocking pool, metrics), plugin .so
// files loaded, validated, started and found by kind as formationd does it, and in-process
// plugin objects of any type created over HostServicesImpl: plugins' tests and the
// benchmarks drive the real thing, with no host process around it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "config/schema_check.hpp"
#include "formation/kinds/state_store.hpp"
#include "plugins/host_services_impl.hpp"
#include "plugins/plugin_library.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"

namespace formation::testing {

class PluginRuntime {
 public:
  explicit PluginRuntime(std::filesystem::path data_dir, unsigned threads = 4)
      : dir_(std::move(data_dir)),
        pool_(threads),
        timers_(pool_),
        runtime_{
            events_,
            timers_,
            pool_,
            metrics_,
            [](Route, const std::string&) { return Status::unsupported("no routes here"); },
            [this](PluginKind kind, std::string_view instance) { return find(kind, instance); },
            dir_} {
    std::filesystem::create_directories(dir_);
  }

  // formationd's order: plugins stop in reverse (in-process ones first, they were made
  // over the loaded ones), then timers, bus and pool; objects go after the pool drained.
  ~PluginRuntime() {
    for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) it->object->stop();
    timers_.shutdown();
    events_.shutdown();
    pool_.shutdown();
    while (!plugins_.empty()) plugins_.pop_back();
  }
  PluginRuntime(const PluginRuntime&) = delete;
  PluginRuntime& operator=(const PluginRuntime&) = delete;

  // Loads `<plugin_dir>/<name>.so`, checks `parameters` against its schema and fills in the
  // defaults, creates and starts it (a state store is migrated too). Plugins start in the
  // order of these calls; throws with the plugin's message on any failure.
  Plugin& start_plugin(const std::filesystem::path& plugin_dir, const std::string& name,
                       const std::string& parameters, const std::string& instance = "default") {
    auto lib = host::load_plugin_library(plugin_dir / (name + ".so"));
    if (!lib.is_ok()) throw std::runtime_error(lib.status().message());
    auto doc = parse(parameters);
    if (const char* schema_text = lib->descriptor->parameters_schema;
        schema_text != nullptr && *schema_text != '\0') {
      auto schema = host::compile_schema_text(schema_text, name + " parameters schema");
      if (!schema.is_ok()) throw std::runtime_error(schema.status().message());
      if (auto st = host::validate(*doc, **schema, name + " parameters"); !st.is_ok()) {
        throw std::runtime_error(st.message());
      }
      host::apply_defaults(*doc, **schema, doc->GetAllocator());
    }
    auto created = lib->descriptor->create(services_with(name, instance, std::move(doc)));
    if (!created.is_ok()) throw std::runtime_error(name + ": " + created.status().message());
    Plugin& plugin = *created.value();
    plugins_.push_back({lib->descriptor->kind, instance, *lib, std::move(created).value()});
    if (auto st = plugin.start(); !st.is_ok()) throw std::runtime_error(name + ": " + st.message());
    if (lib->descriptor->kind == PluginKind::state_store) {
      if (auto v = static_cast<StateStore&>(plugin).migrate(); !v.is_ok()) {
        throw std::runtime_error(name + ": " + v.status().message());
      }
    }
    return plugin;
  }

  // start_plugin() for a state store, typed.
  StateStore& start_store(const std::filesystem::path& plugin_dir, const std::string& name,
                          const std::string& parameters) {
    return static_cast<StateStore&>(start_plugin(plugin_dir, name, parameters));
  }

  // An in-process T(services, settings) with `parameters`, not started (the test decides
  // when), stopped by the destructor. `settings_from` is the plugin's own parser: called
  // with (parameters) or, when it takes one, (parameters, data_dir). Parameters are not
  // schema-checked here: the plugins' settings tests do that. T's kind is findable.
  template <typename T, typename SettingsFrom>
  T& make(const std::string& plugin, const std::string& parameters, SettingsFrom settings_from,
          const std::string& instance = "test") {
    auto& services = services_with(plugin, instance, parse(parameters));
    auto settings = [&] {
      if constexpr (std::is_invocable_v<SettingsFrom, const rapidjson::Value&,
                                        const std::filesystem::path&>) {
        return settings_from(services.parameters(), services.data_dir());
      } else {
        return settings_from(services.parameters());
      }
    }();
    if (!settings.is_ok()) throw std::runtime_error(plugin + ": " + settings.status().message());
    auto object = std::make_unique<T>(services, *settings);
    T& made = *object;
    plugins_.push_back({T::kKind, instance, {}, std::move(object)});
    return made;
  }

  // What a plugin's find_plugin() answers: the first plugin of `kind` (named `instance`
  // when given), loaded or in-process, or nullptr.
  Plugin* find(PluginKind kind, std::string_view instance = {}) {
    for (const auto& p : plugins_) {
      if (p.kind == kind && (instance.empty() || p.instance == instance)) return p.object.get();
    }
    return nullptr;
  }

  // Services for a plugin object the test constructs itself (or for a probe's find<T>()).
  HostServices& services_for(const std::string& plugin, const std::string& instance,
                             const std::string& parameters) {
    return services_with(plugin, instance, parse(parameters));
  }

  EventBus& events() { return events_; }
  host::MetricsRegistry& metrics() { return metrics_; }
  BlockingPool& pool() { return pool_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Started {
    PluginKind kind;
    std::string instance;
    host::PluginLibrary library;  // keeps the .so mapped; empty for in-process objects
    std::unique_ptr<Plugin> object;
  };

  static std::shared_ptr<rapidjson::Document> parse(const std::string& parameters) {
    auto doc = std::make_shared<rapidjson::Document>();
    doc->Parse(parameters.c_str());
    if (doc->HasParseError()) throw std::runtime_error("bad test JSON: " + parameters);
    return doc;
  }

  HostServices& services_with(const std::string& plugin, const std::string& instance,
                              std::shared_ptr<rapidjson::Document> parameters) {
    services_.push_back(std::make_unique<host::HostServicesImpl>(runtime_, plugin, instance,
                                                                 std::move(parameters)));
    return *services_.back();
  }

  std::filesystem::path dir_;
  host::ThreadPool pool_;
  host::InProcessEventBus events_;
  host::TimerService timers_;
  host::MetricsRegistry metrics_;
  host::RuntimeServices runtime_;
  std::vector<std::unique_ptr<host::HostServicesImpl>> services_;
  std::vector<Started> plugins_;  // in start/creation order
};

}  // namespace formation::testing
