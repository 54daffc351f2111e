// formation-plugin-check PLUGIN.so — tells a plugin author whether their library loads,
// what it declares, whether it starts with the given parameters, and runs the
// conformance suite of its kind. Exit 0 when everything passed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <vector>

#include "config/json_file.hpp"
#include "conformance.hpp"
#include "http/router.hpp"
#include "plugins/plugin_registry.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"

namespace po = boost::program_options;
using namespace formation;
using namespace formation::host;

namespace {

struct Report {
  int failures = 0;
  void line(bool passed, const std::string& what, const std::string& detail = {}) {
    if (!passed) ++failures;
    std::cout << (passed ? "PASS " : "FAIL ") << what
              << (detail.empty() ? "" : "  (" + detail + ")") << "\n";
  }
};

// --parameters takes JSON text or the path of a file holding it.
std::string read_parameters(const std::string& arg) {
  if (arg.empty()) return "{}";
  if (arg.front() == '{') return arg;
  std::ifstream in(arg);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A plugin started beside the one checked, for the kinds it depends on (--with).
struct Dependency {
  std::filesystem::path file;
  std::string parameters_text;
};

int check(const std::filesystem::path& file, const std::string& parameters_text, bool instantiate,
          const std::vector<Dependency>& dependencies) {
  Report report;
  auto lib = load_plugin_library(file);
  report.line(lib.is_ok(),
              "loads as a Formation plugin (ABI " + std::to_string(FORMATION_PLUGIN_ABI) + ")",
              lib.is_ok() ? "" : lib.status().message());
  if (!lib.is_ok()) return 1;
  const auto& d = *lib->descriptor;
  std::cout << fmt::format(
      "  name         {}\n  kind         {}\n  version      {}\n"
      "  abi          {}\n  description  {}\n  depends on   ",
      d.name, to_string(d.kind), d.version, d.abi, d.description);
  if (d.depends_on.empty()) std::cout << "(nothing)";
  for (auto k : d.depends_on) std::cout << to_string(k) << " ";
  std::cout << "\n  parameters   "
            << (d.parameters_schema && *d.parameters_schema ? "JSON Schema declared" : "none")
            << "\n";

  // Validate the parameters exactly as formationd would, through the same code.
  PluginCatalog catalog;
  catalog.searched = {file.parent_path()};
  catalog.plugins.emplace(d.name, *lib);
  LoadedConfig config;
  auto parsed = parse_json(parameters_text, "--parameters");
  if (!parsed.is_ok() || !parsed->IsObject()) {
    report.line(false, "parameters are a JSON object",
                parsed.is_ok() ? "--parameters: not a JSON object" : parsed.status().message());
    return 1;
  }
  auto params = std::make_shared<rapidjson::Document>(std::move(parsed).value());
  config.plugins.push_back({"--parameters", d.name, "check", params});
  std::set<PluginKind> provided;
  for (const auto& dep : dependencies) {
    auto dep_lib = load_plugin_library(dep.file);
    report.line(dep_lib.is_ok(), "--with " + dep.file.string() + " loads",
                dep_lib.is_ok() ? "" : dep_lib.status().message());
    if (!dep_lib.is_ok()) return 1;
    const std::string name = dep_lib->descriptor->name;
    provided.insert(dep_lib->descriptor->kind);
    auto dep_params = parse_json(dep.parameters_text, "--with-parameters");
    if (!dep_params.is_ok() || !dep_params->IsObject()) {
      report.line(false, "parameters of " + name + " are a JSON object",
                  dep_params.is_ok() ? "--with-parameters: not a JSON object"
                                     : dep_params.status().message());
      return 1;
    }
    catalog.plugins.emplace(name, *dep_lib);
    config.plugins.push_back(
        {"--with " + dep.file.filename().string(), name, "check",
         std::make_shared<rapidjson::Document>(std::move(dep_params).value())});
  }
  auto prepared = prepare_instances(config, catalog);
  report.line(prepared.is_ok(), "parameters pass the plugin's schema",
              prepared.is_ok() ? "" : prepared.status().message());
  if (!prepared.is_ok() || !instantiate) return report.failures == 0 ? 0 : 1;
  std::string unmet;
  for (auto kind : d.depends_on) {
    if (!provided.contains(kind))
      unmet += (unmet.empty() ? "" : ", ") + std::string(to_string(kind));
  }
  if (!unmet.empty()) {
    std::cout << "SKIP creating the plugin: it needs " << unmet
              << " started first; give a plugin of that kind with --with PLUGIN.so\n";
    return report.failures == 0 ? 0 : 1;
  }

  auto data_dir =
      std::filesystem::temp_directory_path() / fmt::format("formation-plugin-check-{}", ::getpid());
  MetricsRegistry metrics;
  ThreadPool pool(2);
  InProcessEventBus events;
  TimerService timers(pool);
  Router router;
  std::vector<Route> routes;
  PluginRegistry* registry_ptr = nullptr;
  RuntimeServices runtime{events,
                          timers,
                          pool,
                          metrics,
                          [&](Route r, const std::string& owner) {
                            auto copy = r;
                            auto st = router.add(std::move(r), owner);
                            if (st.is_ok()) routes.push_back(std::move(copy));
                            return st;
                          },
                          [&](PluginKind k, std::string_view i) {
                            return registry_ptr ? registry_ptr->find(k, i) : nullptr;
                          },
                          data_dir};
  {
    PluginRegistry registry(runtime);
    registry_ptr = &registry;
    auto started = registry.create_and_start(std::move(prepared).value());
    report.line(started.is_ok(), "creates and starts", started.is_ok() ? "" : started.message());
    if (started.is_ok()) {
      // The checked plugin, among the dependencies started before it.
      Plugin* checked = nullptr;
      for (const auto& entry : registry.entries()) {
        if (entry->prepared.plugin == d.name) checked = entry->plugin.get();
      }
      auto& plugin = *checked;
      conformance::Subject subject{
          plugin, d, routes, [&registry](PluginKind kind) { return registry.find(kind, ""); }};
      for (const auto& c : conformance::common_checks(subject))
        report.line(c.passed, c.name, c.detail);
      if (auto suite = conformance::suite_for(d.kind)) {
        std::cout << "conformance suite: " << to_string(d.kind) << "\n";
        for (const auto& c : suite(subject)) report.line(c.passed, c.name, c.detail);
      } else {
        std::cout << "(no conformance suite for kind " << to_string(d.kind) << " yet)\n";
      }
      registry.stop_all();
      report.line(true, "stops");
    }
  }
  timers.shutdown();
  events.shutdown();
  pool.shutdown();
  std::error_code ec;
  std::filesystem::remove_all(data_dir, ec);
  std::cout << (report.failures == 0 ? "OK" : fmt::format("{} check(s) failed", report.failures))
            << "\n";
  return report.failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options(
      "Usage: formation-plugin-check [OPTIONS] PLUGIN.so\n\n"
      "Loads a Formation plugin the way formationd does, shows what it declares, validates\n"
      "parameters against its schema, starts it in a private host and runs the conformance\n"
      "suite of its kind. Exit status: 0 all passed, 1 a check failed, 2 usage error.\n\n"
      "Options");
  std::string parameters;
  std::vector<std::string> with;
  std::vector<std::string> with_parameters;
  options.add_options()("parameters", po::value<std::string>(&parameters),
                        "the plugin's \"parameters\" object: JSON text or a file (default {})")(
      "with", po::value<std::vector<std::string>>(&with),
      "another plugin (.so) to start first, for a kind the checked one depends on; repeatable")(
      "with-parameters", po::value<std::vector<std::string>>(&with_parameters),
      "the parameters of the n-th --with (JSON text or a file; default {})")(
      "no-start", "only load and validate; do not create or start the plugin")("help,h",
                                                                               "show this help");
  po::options_description hidden;
  hidden.add_options()("plugin", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("plugin", 1);
  po::options_description all;
  all.add(options).add(hidden);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "formation-plugin-check: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options << "\nSee docs/plugins.md.\n";
    return 0;
  }
  if (!vm.count("plugin")) {
    std::cerr << "formation-plugin-check: which plugin? Give the path of its .so\n";
    return 2;
  }
  if (with_parameters.size() > with.size()) {
    std::cerr << "formation-plugin-check: more --with-parameters than --with plugins\n";
    return 2;
  }
  std::vector<Dependency> dependencies;
  dependencies.reserve(with.size());
  for (std::size_t i = 0; i < with.size(); ++i) {
    dependencies.push_back(
        {with[i], read_parameters(i < with_parameters.size() ? with_parameters[i] : "")});
  }
  spdlog::set_level(spdlog::level::warn);
  return check(vm["plugin"].as<std::string>(), read_parameters(parameters), !vm.count("no-start"),
               dependencies);
}
