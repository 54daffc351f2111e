#include "config.hpp"

#include <libpq-fe.h>

#include <memory>

namespace formation::postgres {

Config config_from_json(const rapidjson::Value& parameters) {
  Config config;
  if (parameters.HasMember("dsn") && parameters["dsn"].IsString()) {
    config.dsn = parameters["dsn"].GetString();
  }
  if (parameters.HasMember("pool_size") && parameters["pool_size"].IsInt()) {
    config.pool_size = parameters["pool_size"].GetInt();
  }
  if (parameters.HasMember("statement_timeout_ms") &&
      parameters["statement_timeout_ms"].IsInt64()) {
    config.statement_timeout_ms = parameters["statement_timeout_ms"].GetInt64();
  }
  if (parameters.HasMember("connect_timeout_s") && parameters["connect_timeout_s"].IsInt()) {
    config.connect_timeout_s = parameters["connect_timeout_s"].GetInt();
  }
  return config;
}

std::string describe_dsn(const std::string& dsn) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(dsn.c_str(), &error), &PQconninfoFree);
  if (error != nullptr) PQfreemem(error);
  if (!options) return "(unparsable dsn)";
  std::string host = "localhost";
  std::string port = "5432";
  std::string db;
  for (auto* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    std::string key = o->keyword;
    if (key == "host" || (key == "hostaddr" && host == "localhost")) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") db = o->val;
  }
  return host + ":" + port + "/" + db;
}

std::string conninfo_for(const Config& config) {
  // Session settings travel in the startup packet, so a connection libpqxx re-opens after
  // the server restarted has them too.
  auto timeout = std::to_string(config.connect_timeout_s);
  auto statement = std::to_string(config.statement_timeout_ms);
  const auto& dsn = config.dsn;
  if (dsn.starts_with("postgresql://") || dsn.starts_with("postgres://")) {
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + timeout +
           "&options=-c%20statement_timeout%3D" + statement + "%20-c%20lock_timeout%3D" + statement;
  }
  return dsn + " connect_timeout=" + timeout + " options='-c statement_timeout=" + statement +
         " -c lock_timeout=" + statement + "'";
}

}  // namespace formation::postgres
