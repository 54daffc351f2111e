// The operator's config directory (default /etc/formation):
//   formation.json       host settings (optional; every key has a default)
//   plugins.d/*.json     one plugin instance per file; a file present = enabled
// See docs/configuration.md for every key.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "formation/status.hpp"

namespace formation::host {

struct TlsConfig {
  std::filesystem::path certificate, private_key;  // absolute, existing files
};

// This host as a node of the network (formation.json "node").
struct NodeConfig {
  std::string id;  // "0x" + 40 lower-case hex; empty: the address of <data_dir>/node.key
  std::string region;
  std::string public_ip;
  std::string endpoint;
  std::int64_t vcpus = 0, memory_mb = 0, disk_gb = 0;  // 0: what the VM plugin reports
  std::chrono::seconds heartbeat{}, reconcile{};
};

struct HostConfig {
  std::filesystem::path config_dir;  // absolute
  std::filesystem::path data_dir;    // absolute (relative values resolve against config_dir)
  std::vector<std::filesystem::path> plugin_dirs;  // absolute, searched in order
  std::string listen_address;
  std::uint16_t port = 0;
  std::optional<TlsConfig> tls;
  std::string log_level;  // trace|debug|info|warn|error
  bool access_log = true;
  unsigned io_threads = 0;
  std::size_t max_body_bytes = 0;
  std::chrono::milliseconds header_timeout{}, body_timeout{}, idle_timeout{}, shutdown_grace{};
  unsigned blocking_threads = 0;
  bool metrics_public = false;      // false: /metrics answers only loopback peers
  std::vector<std::string> admins;  // "0x" + 40 lower-case hex digits
  std::chrono::seconds clock_skew{};
  NodeConfig node;
};

struct PluginInstanceConfig {
  std::filesystem::path file;  // relative to the config dir, e.g. plugins.d/echo.json
  std::string plugin;          // e.g. "vmm-libvirt"
  std::string instance;        // "default" when the file names none
  // An object ({} when absent), not yet checked against the plugin's schema.
  std::shared_ptr<rapidjson::Document> parameters;
};

struct LoadedConfig {
  HostConfig host;
  std::vector<PluginInstanceConfig> plugins;  // sorted by file name
};

// The plugin directory compiled in (FORMATION_DEFAULT_PLUGIN_DIR, i.e.
// <install prefix>/lib/formation/plugins), used when formation.json sets no plugin_dirs.
std::filesystem::path default_plugin_dir();

// Reads and checks `dir`/formation.json and `dir`/plugins.d/*.json. Every error message
// starts with the file's path relative to `dir` ("plugins.d/echo.json:3:5: ...",
// "formation.json: /listen/port: ..."). Errors are Status::invalid, and
// Status::conflict for two files configuring the same plugin instance.
Result<LoadedConfig> load_config_dir(const std::filesystem::path& dir);

}  // namespace formation::host
