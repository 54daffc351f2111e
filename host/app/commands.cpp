#include "app/commands.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/host.hpp"

namespace formation::host {
namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("formationd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l [%n] %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

// Loads formation.json and plugins.d, and finds every installed plugin.
struct Loaded {
  LoadedConfig config;
  PluginCatalog catalog;
};

Result<Loaded> load(const CommandLine& cmd) {
  auto config = load_config_dir(cmd.config_dir);
  if (!config.is_ok()) return config.status();
  auto dirs = cmd.extra_plugin_dirs;
  dirs.insert(dirs.end(), config->host.plugin_dirs.begin(), config->host.plugin_dirs.end());
  config->host.plugin_dirs = dirs;
  auto catalog = discover_plugins(dirs);
  return Loaded{std::move(config).value(), std::move(catalog)};
}

// Library problems matter when a configured plugin is affected (prepare fails then);
// otherwise they are worth a warning, not a refusal to start.
void warn_library_problems(const PluginCatalog& catalog) {
  for (const auto& p : catalog.problems) spdlog::warn("{}", p);
}

void fail(const std::string& what, const Status& st) {
  std::cerr << "formationd: " << what << ":\n" << st.message() << "\n";
}

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

int run_daemon(const CommandLine& cmd) {
  // Block the signals before any thread starts, so only sigwait() below sees them.
  auto signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto loaded = load(cmd);
  if (!loaded.is_ok()) {
    fail("configuration error in " + cmd.config_dir.string(), loaded.status());
    return 1;
  }
  setup_logging(loaded->config.host.log_level);
  warn_library_problems(loaded->catalog);
  auto prepared = prepare_instances(loaded->config, loaded->catalog);
  if (!prepared.is_ok()) {
    fail("configuration error in " + cmd.config_dir.string(), prepared.status());
    return 1;
  }

  Host host(loaded->config);
  if (auto st = host.start_plugins(std::move(prepared).value()); !st.is_ok()) {
    fail("cannot start", st);
    return 1;
  }
  if (auto st = host.start_node_work(); !st.is_ok()) {
    fail("cannot start", st);
    return 1;
  }
  auto url = host.listen();
  if (!url.is_ok()) {
    fail("cannot listen", url.status());
    return 1;
  }
  spdlog::info("formationd {} started with {} plugin instance(s)", FORMATION_VERSION,
               loaded->config.plugins.size());
  std::cout << "formationd listening on " << *url << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  host.shutdown();
  spdlog::info("stopped");
  return 0;
}

int check_config(const CommandLine& cmd) {
  auto loaded = load(cmd);
  if (!loaded.is_ok()) {
    fail("configuration error in " + cmd.config_dir.string(), loaded.status());
    return 1;
  }
  auto prepared = prepare_instances(loaded->config, loaded->catalog);
  for (const auto& p : loaded->catalog.problems) std::cerr << "warning: " << p << "\n";
  if (!prepared.is_ok()) {
    fail("configuration error in " + cmd.config_dir.string(), prepared.status());
    return 1;
  }
  if (auto order = start_order(*prepared); !order.is_ok()) {
    fail("configuration error in " + cmd.config_dir.string(), order.status());
    return 1;
  }
  std::cout << "configuration OK: " << cmd.config_dir.string() << ", " << prepared->size()
            << " plugin instance(s)";
  for (const auto& inst : *prepared)
    std::cout << "\n  " << inst.plugin << "/" << inst.instance << " (" << inst.file.string() << ")";
  std::cout << std::endl;
  return 0;
}

int list_plugins(const CommandLine& cmd) {
  // Listing works without a config dir too: then the default search path is used.
  std::vector<std::filesystem::path> dirs = cmd.extra_plugin_dirs;
  if (auto config = load_config_dir(cmd.config_dir); config.is_ok()) {
    dirs.insert(dirs.end(), config->host.plugin_dirs.begin(), config->host.plugin_dirs.end());
  } else if (std::filesystem::exists(cmd.config_dir)) {
    fail("configuration error in " + cmd.config_dir.string(), config.status());
    return 1;
  } else {
    dirs.emplace_back(FORMATION_DEFAULT_PLUGIN_DIR);
  }
  auto catalog = discover_plugins(dirs);
  std::cout << fmt::format("{:<24} {:<14} {:<10} {:<4} {}\n", "NAME", "KIND", "VERSION", "ABI",
                           "FILE");
  for (const auto& [name, lib] : catalog.plugins) {
    const auto& d = *lib.descriptor;
    std::cout << fmt::format("{:<24} {:<14} {:<10} {:<4} {}\n", name, to_string(d.kind), d.version,
                             d.abi, lib.file.string());
  }
  for (const auto& p : catalog.problems) std::cout << "BROKEN " << p << "\n";
  std::string searched;
  for (const auto& d : dirs) searched += (searched.empty() ? "" : ":") + d.string();
  std::cout << "(searched " << searched << "; this formationd has ABI " << FORMATION_PLUGIN_ABI
            << ")" << std::endl;
  return catalog.problems.empty() ? 0 : 1;
}

int list_routes(const CommandLine& cmd) {
  auto loaded = load(cmd);
  if (!loaded.is_ok()) {
    fail("configuration error in " + cmd.config_dir.string(), loaded.status());
    return 1;
  }
  auto prepared = prepare_instances(loaded->config, loaded->catalog);
  if (!prepared.is_ok()) {
    fail("configuration error in " + cmd.config_dir.string(), prepared.status());
    return 1;
  }
  setup_logging("warn");  // stdout is the listing
  Host host(loaded->config);
  if (auto st = host.start_plugins(std::move(prepared).value()); !st.is_ok()) {
    fail("cannot start", st);
    return 1;
  }
  for (const auto& r : host.router().routes()) {
    std::cout << fmt::format("{:<7} {:<40} {}\n", r.method, r.pattern, r.owner);
  }
  return 0;
}

}  // namespace formation::host
