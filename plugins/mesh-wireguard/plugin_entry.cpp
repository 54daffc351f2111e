// What the plugin declares to the host: its descriptor, the JSON Schema of its parameters
// and the library's one exported symbol. Kept apart so that the tests link the plugin
// without it.
#include <array>

#include "mesh_wireguard.hpp"

namespace formation::mesh_wireguard {

namespace {

constexpr const char* kVersion = "0.1.0";

// README.md "Parameters" explains each; settings.cpp checks what a schema cannot.
constexpr const char* kParametersSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "cidr": {"type": "string", "default": "10.42.0.0/16",
             "description": "The mesh's root range (IPv4 CIDR)."},
    "ranges": {
      "type": "object", "additionalProperties": false, "default": {},
      "description": "Sub-ranges per peer kind; inside cidr, not overlapping.",
      "properties": {
        "node": {"type": "string", "default": "10.42.0.0/20"},
        "device": {"type": "string", "default": "10.42.64.0/18"},
        "instance": {"type": "string", "default": "10.42.128.0/17"}
      }
    },
    "interface": {"type": "string", "minLength": 1, "maxLength": 15, "default": "formnet0",
                  "description": "The WireGuard interface this node runs."},
    "listen_port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 51820},
    "backend": {"type": "string", "enum": ["auto", "kernel", "userspace"], "default": "auto",
                "description": "auto: kernel WireGuard when `ip link add type wireguard` works, else wireguard-go."},
    "manage_interface": {"type": "boolean", "default": true,
                         "description": "false: never create or change any interface (apply() does nothing)."},
    "advertise": {"type": "array", "items": {"type": "string"}, "default": [],
                  "description": "\"ip:port\" where peers reach this node; empty: this host's non-loopback IPv4 addresses with listen_port."},
    "persistent_keepalive_s": {"type": "integer", "minimum": 0, "maximum": 65535, "default": 25,
                               "description": "Keepalive devices and instances use towards their peers."},
    "apply_interval_seconds": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 10,
                               "description": "How often the store's change serial is checked (other hosts' changes)."},
    "private_key_file": {"type": "string", "default": "",
                         "description": "Default <data_dir>/private.key, created 0600 when absent."},
    "netns": {"type": "string", "default": "",
              "description": "Run ip/wg/wireguard-go inside this network namespace (ip netns exec)."}
  }
})";

constexpr std::array kDependsOn = {PluginKind::state_store};

Result<std::unique_ptr<Plugin>> create(HostServices& host) {
  try {
    auto settings = settings_from(host.parameters(), host.data_dir());
    if (!settings.is_ok()) return settings.status();
    return std::unique_ptr<Plugin>(
        std::make_unique<MeshWireGuardPlugin>(host, std::move(settings).value()));
  } catch (const std::exception& e) {
    return Status::internal(std::string("creating mesh-wireguard: ") + e.what());
  }
}

}  // namespace

const PluginDescriptor* describe() {
  static const PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "mesh-wireguard",
      .kind = PluginKind::mesh,
      .version = kVersion,
      .description =
          "The private WireGuard mesh (formnet): addresses, visibility, the node's interface",
      .parameters_schema = kParametersSchema,
      .depends_on = kDependsOn,
      .create = &create,
  };
  return &descriptor;
}

}  // namespace formation::mesh_wireguard

FORMATION_PLUGIN(formation::mesh_wireguard::describe)
