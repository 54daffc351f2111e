// The plugin's parameters turned into connection options.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>

#include "db.hpp"

namespace formation::sqlite {

// `path` (default "state.sqlite3") resolved against `data_dir` when relative;
// `busy_timeout_ms` (default 5000).
ConnectionOptions options_from(const rapidjson::Value& parameters,
                               const std::filesystem::path& data_dir);

}  // namespace formation::sqlite
