#include "plugins/plugin_registry.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <exception>

#include "config/schema_check.hpp"

namespace formation::host {
namespace {

// Validates `parameters` with the plugin's schema placed under "/parameters", so messages
// point into the operator's file as written.
Status check_parameters(const PreparedInstance& inst, rapidjson::Document& parameters) {
  const char* schema_text = inst.library.descriptor->parameters_schema;
  if (schema_text == nullptr || *schema_text == '\0') return Status::ok();
  auto schema = compile_schema_text(schema_text, inst.plugin + " parameters schema");
  if (!schema.is_ok()) return schema.status();

  rapidjson::Document wrapper_schema(rapidjson::kObjectType);
  auto& a = wrapper_schema.GetAllocator();
  rapidjson::Value properties(rapidjson::kObjectType);
  properties.AddMember("parameters", rapidjson::Value(**schema, a), a);
  wrapper_schema.AddMember("type", "object", a);
  wrapper_schema.AddMember("properties", properties, a);

  // Validate what the operator wrote, then fill in the defaults.
  rapidjson::Document file_view(rapidjson::kObjectType);
  file_view.AddMember("parameters", rapidjson::Value(parameters, file_view.GetAllocator()),
                      file_view.GetAllocator());
  if (auto st = validate(file_view, wrapper_schema, inst.file.string()); !st.is_ok()) return st;
  apply_defaults(parameters, **schema, parameters.GetAllocator());
  return Status::ok();
}

}  // namespace

Result<std::vector<PreparedInstance>> prepare_instances(const LoadedConfig& config,
                                                        const PluginCatalog& catalog) {
  std::vector<PreparedInstance> out;
  std::vector<std::string> problems;
  for (const auto& pc : config.plugins) {
    const auto* lib = catalog.find(pc.plugin);
    if (lib == nullptr) {
      std::string searched;
      for (const auto& d : catalog.searched)
        searched += (searched.empty() ? "" : ", ") + d.string();
      problems.push_back(fmt::format(
          "{}: plugin '{}' is not installed (installed: {}; searched: {}){}", pc.file.string(),
          pc.plugin, catalog.names(), searched.empty() ? "(nothing)" : searched,
          catalog.problems.empty() ? "" : "; see the library errors above"));
      continue;
    }
    PreparedInstance inst{pc.file, pc.plugin, pc.instance, nullptr, *lib};
    auto parameters = std::make_shared<rapidjson::Document>();
    if (pc.parameters) {
      parameters->CopyFrom(*pc.parameters, parameters->GetAllocator());
    } else {
      parameters->SetObject();
    }
    if (auto st = check_parameters(inst, *parameters); !st.is_ok()) {
      problems.push_back(st.message());
      continue;
    }
    inst.parameters = std::move(parameters);
    out.push_back(std::move(inst));
  }
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
    return Status::invalid(message);
  }
  return out;
}

Result<std::vector<size_t>> start_order(const std::vector<PreparedInstance>& instances) {
  const size_t n = instances.size();
  std::vector<std::vector<size_t>> needs(n);  // i needs every index in needs[i] first
  for (size_t i = 0; i < n; ++i) {
    for (PluginKind kind : instances[i].library.descriptor->depends_on) {
      bool found = false;
      for (size_t j = 0; j < n; ++j) {
        if (j != i && instances[j].library.descriptor->kind == kind) {
          needs[i].push_back(j);
          found = true;
        }
      }
      if (!found) {
        return Status::invalid(
            fmt::format("{}: plugin '{}' needs a {} plugin, and none is configured in plugins.d/",
                        instances[i].file.string(), instances[i].plugin, to_string(kind)));
      }
    }
  }
  // Kahn's algorithm, always taking the earliest ready instance so config order holds
  // where dependencies allow.
  std::vector<size_t> order;
  std::vector<bool> placed(n, false);
  while (order.size() < n) {
    bool progressed = false;
    for (size_t i = 0; i < n && !progressed; ++i) {
      if (placed[i]) continue;
      bool ready = true;
      for (size_t j : needs[i]) ready = ready && placed[j];
      if (ready) {
        order.push_back(i);
        placed[i] = true;
        progressed = true;
      }
    }
    if (!progressed) {
      std::string cycle;
      for (size_t i = 0; i < n; ++i) {
        if (!placed[i]) cycle += (cycle.empty() ? "" : ", ") + instances[i].file.string();
      }
      return Status::invalid("plugin dependencies form a cycle between: " + cycle);
    }
  }
  return order;
}

PluginRegistry::~PluginRegistry() { stop_all(); }

Status PluginRegistry::create_and_start(std::vector<PreparedInstance> instances) {
  auto order = start_order(instances);
  if (!order.is_ok()) return order.status();

  for (size_t index : *order) {
    auto entry = std::make_unique<Entry>();
    entry->prepared = std::move(instances[index]);
    const auto& p = entry->prepared;
    entry->services =
        std::make_unique<HostServicesImpl>(runtime_, p.plugin, p.instance, p.parameters);
    Result<std::unique_ptr<Plugin>> created = Status::internal("factory not called");
    try {
      created = p.library.descriptor->create(*entry->services);
    } catch (const std::exception& e) {
      created = Status::internal(std::string("threw: ") + e.what());
    } catch (...) {
      created = Status::internal("threw a non-standard exception");
    }
    if (!created.is_ok() || !created.value()) {
      auto why = created.is_ok() ? std::string("returned no object") : created.status().to_string();
      stop_all();
      return Status::invalid(
          fmt::format("{}: plugin '{}' could not be created: {}", p.file.string(), p.plugin, why));
    }
    entry->plugin = std::move(created).value();
    entries_.push_back(std::move(entry));
  }

  for (auto& entry : entries_) {
    const auto& p = entry->prepared;
    Status st = Status::internal("start not called");
    try {
      st = entry->plugin->start();
    } catch (const std::exception& e) {
      st = Status::internal(std::string("threw: ") + e.what());
    }
    if (!st.is_ok()) {
      stop_all();
      return Status(st.code(), fmt::format("{}: plugin '{}' failed to start: {}", p.file.string(),
                                           p.plugin, st.to_string()));
    }
    entry->started = true;
    spdlog::info("started plugin {}/{} ({} {})", p.plugin, p.instance,
                 to_string(p.library.descriptor->kind), p.library.descriptor->version);
  }
  return Status::ok();
}

void PluginRegistry::stop_all() {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    auto& entry = **it;
    if (!entry.started) continue;
    entry.started = false;
    try {
      entry.plugin->stop();
    } catch (const std::exception& e) {
      spdlog::error("plugin {}/{} threw while stopping: {}", entry.prepared.plugin,
                    entry.prepared.instance, e.what());
    }
    spdlog::info("stopped plugin {}/{}", entry.prepared.plugin, entry.prepared.instance);
  }
}

Plugin* PluginRegistry::find(PluginKind kind, std::string_view instance) const {
  for (const auto& entry : entries_) {
    if (!entry->started || entry->prepared.library.descriptor->kind != kind) continue;
    if (!instance.empty() && entry->prepared.instance != instance) continue;
    return entry->plugin.get();
  }
  return nullptr;
}

}  // namespace formation::host
