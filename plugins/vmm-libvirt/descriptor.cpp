// What the plugin declares to the host.
#include "vmm_libvirt.hpp"

namespace formation::libvirt {

namespace {

constexpr const char* kVersion = "0.1.0";

Result<std::unique_ptr<Plugin>> create(HostServices& host) {
  try {
    return std::unique_ptr<Plugin>(std::make_unique<LibvirtVmm>(host));
  } catch (const std::exception& e) {
    return Status::internal(std::string("creating vmm-libvirt: ") + e.what());
  }
}

}  // namespace

const PluginDescriptor* describe() {
  static const PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "vmm-libvirt",
      .kind = PluginKind::vmm,
      .version = kVersion,
      .description = "Runs instances as libvirt domains (QEMU/KVM) with live resize and events",
      .parameters_schema = kParametersSchema,
      .depends_on = {},
      .create = &create,
  };
  return &descriptor;
}

}  // namespace formation::libvirt
