#include "support/fake_host_services.hpp"

#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace formation::testing {

namespace fs = std::filesystem;

FakeHostServicesForTests::FakeHostServicesForTests(std::string plugin_name, fs::path data_dir,
                                                   const std::string& parameters_json)
    : plugin_name_(std::move(plugin_name)),
      data_dir_(std::move(data_dir)),
      logger_(std::make_shared<spdlog::logger>(plugin_name_ + "/test",
                                               std::make_shared<spdlog::sinks::null_sink_mt>())) {
  parameters_.Parse(parameters_json.c_str());
  if (parameters_.HasParseError()) throw std::invalid_argument("bad parameters JSON");
  fs::create_directories(data_dir_);
}

EventBus& FakeHostServicesForTests::events() { throw std::logic_error("events() not faked"); }
Timers& FakeHostServicesForTests::timers() { throw std::logic_error("timers() not faked"); }
BlockingPool& FakeHostServicesForTests::blocking_pool() {
  throw std::logic_error("blocking_pool() not faked");
}
Metrics& FakeHostServicesForTests::metrics() { throw std::logic_error("metrics() not faked"); }
Status FakeHostServicesForTests::add_route(Route) {
  return Status::unsupported("no routes in plugin unit tests");
}
Plugin* FakeHostServicesForTests::find_plugin(PluginKind, std::string_view) { return nullptr; }

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TempDir::write(const std::string& relative, const std::string& content) const {
  auto target = path_ / relative;
  fs::create_directories(target.parent_path());
  std::ofstream(target, std::ios::binary) << content;
}

}  // namespace formation::testing
