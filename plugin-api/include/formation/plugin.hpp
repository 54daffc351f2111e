// The plugin boundary: what a plugin declares (PluginDescriptor), what every plugin object
// is (Plugin), and what the host hands it (HostServices). See docs/plugins.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <spdlog/logger.h>

#include "formation/abi.hpp"
#include "formation/events.hpp"
#include "formation/http.hpp"
#include "formation/metrics.hpp"
#include "formation/status.hpp"
#include "formation/visibility.hpp"

namespace formation {

enum class PluginKind {
  state_store,
  vmm,
  image_builder,
  mesh,
  dns,
  usage_meter,
  billing,
  extension,
};

// The name used in config, `--list-plugins` and docs: "state_store", "vmm", ...
constexpr std::string_view to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::state_store: return "state_store";
    case PluginKind::vmm: return "vmm";
    case PluginKind::image_builder: return "image_builder";
    case PluginKind::mesh: return "mesh";
    case PluginKind::dns: return "dns";
    case PluginKind::usage_meter: return "usage_meter";
    case PluginKind::billing: return "billing";
    case PluginKind::extension: return "extension";
  }
  return "unknown";
}

enum class HealthState { ok, degraded, down };

constexpr std::string_view to_string(HealthState state) {
  switch (state) {
    case HealthState::ok: return "ok";
    case HealthState::degraded: return "degraded";
    case HealthState::down: return "down";
  }
  return "down";
}

struct FORMATION_API PluginHealth {
  HealthState state = HealthState::ok;
  std::string detail;  // shown in /v1/health; never a secret
};

// Every plugin object derives from one kind interface, which derives from Plugin.
// Lifecycle: create (factory) -> start() in dependency order -> ... -> stop() in reverse.
class FORMATION_API Plugin {
 public:
  virtual ~Plugin() = default;
  // Called once all plugins exist; a failure stops the host from starting.
  virtual Status start() { return Status::ok(); }
  // Called once, in reverse start order; in-flight work should be finished or abandoned.
  virtual void stop() {}
  // Must be cheap: /v1/health calls it on every request.
  [[nodiscard]] virtual PluginHealth health() const { return {}; }
};

using TimerId = std::uint64_t;

class FORMATION_API Timers {
 public:
  virtual ~Timers() = default;
  // Callbacks run on the blocking pool, never concurrently with themselves.
  virtual TimerId after(std::chrono::milliseconds delay, std::function<void()> callback) = 0;
  virtual TimerId every(std::chrono::milliseconds period, std::function<void()> callback) = 0;
  virtual void cancel(TimerId id) = 0;
};

class FORMATION_API BlockingPool {
 public:
  virtual ~BlockingPool() = default;
  // Runs `work` on a thread that may block (disk, database, libvirt).
  virtual void post(std::function<void()> work) = 0;
};

// What the host hands one plugin instance. Valid from the factory call until the host
// exits (after stop()).
class FORMATION_API HostServices {
 public:
  virtual ~HostServices() = default;

  [[nodiscard]] virtual std::string_view plugin_name() const = 0;    // "vmm-libvirt"
  [[nodiscard]] virtual std::string_view instance_name() const = 0;  // "default"
  // Logger named "<plugin>/<instance>"; never log secrets.
  virtual std::shared_ptr<spdlog::logger> logger() = 0;
  // The "parameters" object of the plugin's config file, already validated against the
  // plugin's schema, with schema defaults filled in.
  [[nodiscard]] virtual const rapidjson::Value& parameters() const = 0;
  // A directory this instance may write to (created, 0700): <data_dir>/<plugin>/<instance>.
  [[nodiscard]] virtual std::filesystem::path data_dir() const = 0;

  virtual EventBus& events() = 0;
  virtual Timers& timers() = 0;
  virtual BlockingPool& blocking_pool() = 0;
  virtual Metrics& metrics() = 0;

  // Routes must live under /v1/ and not collide with another route; may be called from
  // the factory or start(), not later.
  virtual Status add_route(Route route) = 0;

  // The started plugin of that kind (the first configured one when `instance` is empty),
  // or nullptr. Only kinds declared in PluginDescriptor::depends_on are guaranteed to have
  // started before this plugin.
  virtual Plugin* find_plugin(PluginKind kind, std::string_view instance = {}) = 0;

  // Typed lookup: find<Vmm>() for any kind interface that declares `kKind`.
  template <typename Kind>
  Kind* find(std::string_view instance = {}) {
    return static_cast<Kind*>(find_plugin(Kind::kKind, instance));
  }
};

using PluginFactory = Result<std::unique_ptr<Plugin>> (*)(HostServices& host);

// What `formation_plugin_v1` returns. `abi` stays the first member so that a host can read
// it from a plugin built against any release.
struct FORMATION_API PluginDescriptor {
  int abi = FORMATION_PLUGIN_ABI;
  const char* name = "";  // "vmm-libvirt": kind-backend, lower case
  PluginKind kind = PluginKind::extension;
  const char* version = "0.0.0";           // the plugin's semantic version
  const char* description = "";            // one line, for --list-plugins
  const char* parameters_schema = "";      // JSON Schema (draft-04) of "parameters"
  std::span<const PluginKind> depends_on;  // kinds that must start first
  PluginFactory create = nullptr;
};

}  // namespace formation

// Exports `formation_plugin_v1` from a plugin library. Use once, in one source file:
//   FORMATION_PLUGIN(my_descriptor_function)
// where `const formation::PluginDescriptor* my_descriptor_function()`.
#include <boost/dll/alias.hpp>  // NOLINT(llvm-include-order)
#define FORMATION_PLUGIN(descriptor_function) \
  BOOST_DLL_ALIAS(descriptor_function, formation_plugin_v1)

namespace formation {
// The signature of the exported entry point.
using PluginEntryPoint = const PluginDescriptor*();
}  // namespace formation
