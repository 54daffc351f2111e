// What the plugin declares to the host: its descriptor, the JSON Schema of its parameters
// and the library's one exported symbol. Kept apart so that the tests link the plugin
// without it.
#include <array>

#include "dns_powerdns.hpp"

namespace formation::dns_powerdns {

namespace {

constexpr const char* kVersion = "0.1.0";

// README.md "Parameters" explains each; settings.cpp checks what a schema cannot.
constexpr const char* kParametersSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "zone": {"type": "string", "minLength": 1, "default": "formation.internal",
             "description": "The network's zone: instances are named <name>.<zone>; names under it are vanity names."},
    "ttl": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 60,
            "description": "TTL of automatic names, NS records and nameserver addresses."},
    "soa": {
      "type": "object", "additionalProperties": false, "default": {},
      "properties": {
        "hostmaster": {"type": "string", "minLength": 1,
                       "description": "Mailbox of the zones' SOA (hostmaster.<zone> when absent); 'a@b.c' or 'a.b.c'."},
        "refresh": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 3600},
        "retry": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 600},
        "expire": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 604800},
        "minimum": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 60},
        "ttl": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 3600}
      }
    },
    "nameservers": {
      "type": "array", "minItems": 1,
      "description": "NS of every zone served (the first is the SOA's primary); ns1.<zone> when absent.",
      "items": {
        "type": "object", "additionalProperties": false, "required": ["name"],
        "properties": {
          "name": {"type": "string", "minLength": 1},
          "addresses": {"type": "array", "items": {"type": "string"}, "default": [],
                        "description": "Served as A/AAAA when the name is under a served zone."}
        }
      }
    },
    "mesh_cidr": {"type": "string", "default": "10.42.0.0/16",
                  "description": "Clients in it are inside the mesh and get instances' mesh addresses."},
    "stale_after_seconds": {"type": "integer", "minimum": 1, "default": 60,
                            "description": "A node whose heartbeat is older is left out of answers (unless no address would remain)."},
    "regions": {
      "type": "array", "default": [],
      "description": "Client subnet -> region; the longest prefix wins. Addresses on nodes of the client's region come first.",
      "items": {
        "type": "object", "additionalProperties": false, "required": ["cidr", "region"],
        "properties": {
          "cidr": {"type": "string"},
          "region": {"type": "string", "minLength": 1}
        }
      }
    },
    "refresh_seconds": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 5,
                        "description": "Full re-read of the store (other hosts change it)."},
    "connectors": {
      "type": "object", "additionalProperties": false,
      "default": {"unix": {}},
      "properties": {
        "unix": {
          "type": "object", "additionalProperties": false,
          "properties": {
            "enabled": {"type": "boolean", "default": true},
            "path": {"type": "string", "minLength": 1, "default": "pdns.sock",
                     "description": "Relative paths are under the plugin's data dir."},
            "mode": {"type": "string", "pattern": "^0?[0-7]{3}$", "default": "0660"}
          }
        },
        "http": {
          "type": "object", "additionalProperties": false,
          "description": "PowerDNS's HTTP connector in post_json mode; off unless present.",
          "properties": {
            "enabled": {"type": "boolean", "default": true},
            "address": {"type": "string", "default": "127.0.0.1"},
            "port": {"type": "integer", "minimum": 0, "maximum": 65535, "default": 8053}
          }
        }
      }
    },
    "verification": {
      "type": "object", "additionalProperties": false, "default": {},
      "properties": {
        "resolvers": {"type": "array", "items": {"type": "string"}, "default": [],
                      "description": "IPv4 'ip' or 'ip:port'; empty uses /etc/resolv.conf."},
        "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 60000, "default": 2000}
      }
    }
  }
})";

constexpr std::array kDependsOn = {PluginKind::state_store};

Result<std::unique_ptr<Plugin>> create(HostServices& host) {
  try {
    auto settings = settings_from(host.parameters(), host.data_dir());
    if (!settings.is_ok()) return settings.status();
    return std::unique_ptr<Plugin>(
        std::make_unique<PowerDnsPlugin>(host, std::move(settings).value()));
  } catch (const std::exception& e) {
    return Status::internal(std::string("creating dns-powerdns: ") + e.what());
  }
}

}  // namespace

const PluginDescriptor* describe() {
  static const PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "dns-powerdns",
      .kind = PluginKind::dns,
      .version = kVersion,
      .description =
          "Serves the network's zones to PowerDNS (remote backend), health- and geo-aware",
      .parameters_schema = kParametersSchema,
      .depends_on = kDependsOn,
      .create = &create,
  };
  return &descriptor;
}

}  // namespace formation::dns_powerdns

FORMATION_PLUGIN(formation::dns_powerdns::describe)
