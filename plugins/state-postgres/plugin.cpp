// state-postgres: the StateStore on PostgreSQL (DESIGN.md §4), for several formationd
// sharing one database. Exports formation_plugin_v1.
#include <formation/kinds/state_store.hpp>
#include <formation/plugin.hpp>

#include <memory>

#include "config.hpp"
#include "store.hpp"

namespace {

// JSON Schema (draft-04) of "parameters". The dsn is a secret: it is never logged.
constexpr const char* kParametersSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "required": ["dsn"],
  "properties": {
    "dsn": {"type": "string", "minLength": 1,
            "description": "libpq connection string or URI (postgresql://user:password@host:port/db); never logged"},
    "pool_size": {"type": "integer", "minimum": 1, "maximum": 256, "default": 4,
                  "description": "Connections kept open to the database."},
    "statement_timeout_ms": {"type": "integer", "minimum": 1, "maximum": 3600000, "default": 5000,
                             "description": "statement_timeout and lock_timeout of every connection."},
    "connect_timeout_s": {"type": "integer", "minimum": 1, "maximum": 300, "default": 5,
                          "description": "How long to wait for a connection (to open, or to be free in the pool)."}
  }
})";

formation::Result<std::unique_ptr<formation::Plugin>> create(formation::HostServices& host) {
  auto config = formation::postgres::config_from_json(host.parameters());
  return std::unique_ptr<formation::Plugin>(
      std::make_unique<formation::postgres::PgStore>(std::move(config), host.logger()));
}

const formation::PluginDescriptor* describe() {
  static const formation::PluginDescriptor descriptor{
      .abi = FORMATION_PLUGIN_ABI,
      .name = "state-postgres",
      .kind = formation::PluginKind::state_store,
      .version = "0.1.0",
      .description = "State store on PostgreSQL; several hosts may share one database",
      .parameters_schema = kParametersSchema,
      .depends_on = {},
      .create = &create,
  };
  return &descriptor;
}

}  // namespace

FORMATION_PLUGIN(describe)
