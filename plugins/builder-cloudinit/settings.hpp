// The plugin's parameters (README.md "Parameters"): the schema the host validates them
// against, and the typed form the builder uses.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>

#include "formation/records/build_limits.hpp"
#include "formation/status.hpp"

namespace formation::cloudinit {

// JSON Schema of "parameters"; the host fills in its defaults before the factory runs.
extern const char* const kParametersSchema;

inline constexpr const char* kDefaultBaseImage =
    "/var/lib/formation/images/debian-12-generic-amd64.qcow2";

struct Settings {
  std::filesystem::path base_image = kDefaultBaseImage;
  std::filesystem::path artifact_dir;  // absolute
  BuildLimits limits;
};

// Missing members take the schema's defaults, so the result is complete even for
// parameters that did not pass through the host. A relative artifact_dir is resolved
// against `data_dir`; an empty one is <data_dir>/artifacts.
Settings settings_from(const rapidjson::Value& parameters, const std::filesystem::path& data_dir);

// What the schema cannot say: every range has min <= max.
Status check_settings(const Settings& settings);

}  // namespace formation::cloudinit
