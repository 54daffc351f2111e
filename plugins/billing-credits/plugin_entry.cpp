// What the plugin declares to the host: its descriptor and the library's one exported
// symbol. Kept apart so that the tests link the plugin without it.
#include <array>
#include <exception>
#include <memory>

#include "billing_credits.hpp"

namespace formation::billing_credits {

namespace {

constexpr const char* kVersion = "0.1.0";

constexpr std::array kDependsOn = {PluginKind::state_store};

Result<std::unique_ptr<Plugin>> create(HostServices& host) {
  try {
    auto settings = settings_from(host.parameters());
    if (!settings.is_ok()) return settings.status();
    return std::unique_ptr<Plugin>(
        std::make_unique<BillingCreditsPlugin>(host, std::move(settings).value()));
  } catch (const std::exception& e) {
    return Status::internal(std::string("creating billing-credits: ") + e.what());
  }
}

}  // namespace

const PluginDescriptor* describe() {
  static const PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "billing-credits",
      .kind = PluginKind::billing,
      .version = kVersion,
      .description = "Credits: prices usage, debits it once into the ledger, plan limits",
      .parameters_schema = parameters_schema(),
      .depends_on = kDependsOn,
      .create = &create,
  };
  return &descriptor;
}

}  // namespace formation::billing_credits

FORMATION_PLUGIN(formation::billing_credits::describe)
