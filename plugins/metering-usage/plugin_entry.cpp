// What the plugin declares to the host: its descriptor and the library's one exported
// symbol. Kept apart so that the tests link the plugin without it.
#include <array>
#include <exception>
#include <memory>

#include "metering_usage.hpp"

namespace formation::metering_usage {

namespace {

constexpr const char* kVersion = "0.1.0";

constexpr std::array kDependsOn = {PluginKind::vmm, PluginKind::state_store};

Result<std::unique_ptr<Plugin>> create(HostServices& host) {
  try {
    auto settings = settings_from(host.parameters());
    if (!settings.is_ok()) return settings.status();
    return std::unique_ptr<Plugin>(
        std::make_unique<MeteringUsagePlugin>(host, std::move(settings).value()));
  } catch (const std::exception& e) {
    return Status::internal(std::string("creating metering-usage: ") + e.what());
  }
}

}  // namespace

const PluginDescriptor* describe() {
  static const PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "metering-usage",
      .kind = PluginKind::usage_meter,
      .version = kVersion,
      .description =
          "Usage metering: one bulk stats call per period, usage records and usage.sample events",
      .parameters_schema = parameters_schema(),
      .depends_on = kDependsOn,
      .create = &create,
  };
  return &descriptor;
}

}  // namespace formation::metering_usage

FORMATION_PLUGIN(formation::metering_usage::describe)
