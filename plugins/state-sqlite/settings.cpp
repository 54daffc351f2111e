#include "settings.hpp"

namespace formation::sqlite {

ConnectionOptions options_from(const rapidjson::Value& parameters,
                               const std::filesystem::path& data_dir) {
  ConnectionOptions options;
  std::filesystem::path path = "state.sqlite3";
  if (parameters.IsObject() && parameters.HasMember("path") && parameters["path"].IsString()) {
    path = parameters["path"].GetString();
  }
  options.path = path.is_relative() ? data_dir / path : path;
  if (parameters.IsObject() && parameters.HasMember("busy_timeout_ms") &&
      parameters["busy_timeout_ms"].IsInt64()) {
    options.busy_timeout = std::chrono::milliseconds(parameters["busy_timeout_ms"].GetInt64());
  }
  return options;
}

}  // namespace formation::sqlite
