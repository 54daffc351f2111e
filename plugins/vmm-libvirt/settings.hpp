// The plugin's parameters (README.md "Parameters"): the schema the host validates them
// against, and the typed form the Vmm uses.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "formation/status.hpp"

namespace formation::libvirt {

// JSON Schema of "parameters"; the host fills in its defaults before the factory runs.
extern const char* const kParametersSchema;

enum class NetworkType { network, bridge, user, none };

struct NetworkSettings {
  NetworkType type = NetworkType::network;
  std::string name = "default";
};

struct Limits {
  std::int64_t max_vcpus = 16;
  std::int64_t max_memory_mb = 65536;
  std::int64_t max_disks = 8;  // root disk included
};

struct DirectBoot {
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::string cmdline;
};

struct Settings {
  std::string uri = "qemu:///system";
  std::string domain_type = "kvm";
  std::filesystem::path storage_dir;  // absolute
  NetworkSettings network;
  std::string machine = "q35";
  Limits limits;
  std::int64_t memory_slots = 16;
  std::int64_t stop_timeout_seconds = 60;
  std::optional<DirectBoot> direct_boot;
  std::string qemu_img = "qemu-img";
};

// Missing members take the schema's defaults, so the result is complete even for
// parameters that did not pass through the host. An empty storage_dir is
// <data_dir>/disks; a relative one is under data_dir.
Settings settings_from(const rapidjson::Value& parameters, const std::filesystem::path& data_dir);

// What the schema cannot say (a bridge needs a name, ...).
Status check_settings(const Settings& settings);

}  // namespace formation::libvirt
