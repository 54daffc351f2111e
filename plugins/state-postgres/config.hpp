// The plugin's parameters, and what may be said about the DSN in logs and errors
// (host, port and database; never the password).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>

namespace formation::postgres {

struct Config {
  std::string dsn;  // libpq URI or key=value string; a secret
  int pool_size = 4;
  std::int64_t statement_timeout_ms = 5000;
  int connect_timeout_s = 5;
};

// Reads the validated "parameters" object (schema defaults already filled in).
Config config_from_json(const rapidjson::Value& parameters);

// "127.0.0.1:5432/formation": where the DSN points, safe to log.
std::string describe_dsn(const std::string& dsn);

// The DSN with connect_timeout and the session's statement_timeout added, as handed to libpq.
std::string conninfo_for(const Config& config);

}  // namespace formation::postgres
