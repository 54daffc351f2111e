// What each formationd command-line mode does. main.cpp only parses options.
#pragma once

#include <filesystem>
#include <vector>

namespace formation::host {

struct CommandLine {
  std::filesystem::path config_dir;
  std::vector<std::filesystem::path> extra_plugin_dirs;  // --plugin-dir, searched first
};

// Exit codes: 0 ok, 1 configuration or start-up failure.
int run_daemon(const CommandLine& cmd);
int check_config(const CommandLine& cmd);
int list_plugins(const CommandLine& cmd);
int list_routes(const CommandLine& cmd);

}  // namespace formation::host
