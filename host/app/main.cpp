// formationd: the Formation host daemon. Parses the command line and hands over to
// app/commands.cpp.
#include <boost/program_options.hpp>
#include <iostream>

#include "app/commands.hpp"
#include "formation/abi.hpp"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  formation::host::CommandLine cmd;
  std::vector<std::string> plugin_dirs;
  po::options_description options(
      "Usage: formationd [OPTIONS]\n\n"
      "Runs the Formation host: loads the plugins enabled in CONFIG_DIR/plugins.d/ and serves\n"
      "the API (http://127.0.0.1:3004 by default). Stop it with SIGTERM or Ctrl-C; requests\n"
      "in flight finish first.\n\nOptions");
  options.add_options()("config-dir",
                        po::value<std::string>()->default_value(FORMATION_DEFAULT_CONFIG_DIR),
                        "directory holding formation.json and plugins.d/")(
      "plugin-dir", po::value<std::vector<std::string>>(&plugin_dirs),
      "extra directory to search for plugin libraries, before plugin_dirs (repeatable)")(
      "check-config",
      "load and validate formation.json, plugins.d/ and every plugin, then exit "
      "(0 when all is well)")("list-plugins",
                              "list installed plugins with name, kind, version and ABI, then exit")(
      "list-routes", "start the plugins without listening, list every API route, then exit")(
      "version", "print the version and plugin ABI, then exit")("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "formationd: " << e.what() << "\nTry 'formationd --help'.\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options << "\nDocumentation: docs/operators.md\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "formationd " << FORMATION_VERSION << " (plugin ABI " << FORMATION_PLUGIN_ABI
              << ")\n";
    return 0;
  }
  cmd.config_dir = vm["config-dir"].as<std::string>();
  for (const auto& d : plugin_dirs) cmd.extra_plugin_dirs.emplace_back(d);
  if (vm.count("check-config")) return formation::host::check_config(cmd);
  if (vm.count("list-plugins")) return formation::host::list_plugins(cmd);
  if (vm.count("list-routes")) return formation::host::list_routes(cmd);
  return formation::host::run_daemon(cmd);
}
