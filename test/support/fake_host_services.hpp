// Test support for plugin unit tests: a HostServices with only what a plugin reads at start
// (its name, logger, parameters, data dir), and a scratch directory. A fake, because a
// plugin's own tests run without a formationd around it; the conformance suites and the
// daemon tests exercise the real host.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <memory>
#include <string>

#include "formation/plugin.hpp"

namespace formation::testing {

class FakeHostServicesForTests final : public HostServices {
 public:
  FakeHostServicesForTests(std::string plugin_name, std::filesystem::path data_dir,
                           const std::string& parameters_json);
  [[nodiscard]] std::string_view plugin_name() const override { return plugin_name_; }
  [[nodiscard]] std::string_view instance_name() const override { return "test"; }
  std::shared_ptr<spdlog::logger> logger() override { return logger_; }
  [[nodiscard]] const rapidjson::Value& parameters() const override { return parameters_; }
  [[nodiscard]] std::filesystem::path data_dir() const override { return data_dir_; }
  // Not faked: calling one throws, which fails the test.
  EventBus& events() override;
  Timers& timers() override;
  BlockingPool& blocking_pool() override;
  Metrics& metrics() override;
  Status add_route(Route route) override;
  Plugin* find_plugin(PluginKind kind, std::string_view instance) override;

 private:
  std::string plugin_name_;
  std::filesystem::path data_dir_;
  rapidjson::Document parameters_;
  std::shared_ptr<spdlog::logger> logger_;
};

// A directory under the temp dir, removed at destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "formation-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/relative, creating folders.
  void write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace formation::testing
