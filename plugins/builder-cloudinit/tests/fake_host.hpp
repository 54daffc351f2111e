// Test support: a HostServices with only what the builder uses (logger, parameters,
// data_dir), scratch directories, subprocesses and a way to build a context folder.
#pragma once

#include <rapidjson/document.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "builder_cloudinit.hpp"
#include "formation/plugin.hpp"

namespace formation::cloudinit::test {

class FakeHostServicesForTests final : public HostServices {
 public:
  FakeHostServicesForTests(std::filesystem::path data_dir, const std::string& parameters_json);
  [[nodiscard]] std::string_view plugin_name() const override { return "builder-cloudinit"; }
  [[nodiscard]] std::string_view instance_name() const override { return "test"; }
  std::shared_ptr<spdlog::logger> logger() override { return logger_; }
  [[nodiscard]] const rapidjson::Value& parameters() const override { return parameters_; }
  [[nodiscard]] std::filesystem::path data_dir() const override { return data_dir_; }
  // The builder uses none of these; calling one is a test failure.
  EventBus& events() override;
  Timers& timers() override;
  BlockingPool& blocking_pool() override;
  Metrics& metrics() override;
  Status add_route(Route route) override;
  Plugin* find_plugin(PluginKind kind, std::string_view instance) override;

 private:
  std::filesystem::path data_dir_;
  rapidjson::Document parameters_;
  std::shared_ptr<spdlog::logger> logger_;
};

// A directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  void write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};
// Runs argv (no shell) with extra "KEY=value" environment entries.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {});

std::string read_file(const std::filesystem::path& path);
std::string random_build_id();

// A started builder whose artifacts go to <root>/artifacts and data dir is <root>/data.
struct BuilderFixture {
  explicit BuilderFixture(const std::filesystem::path& root,
                          const std::string& extra_parameters = "");
  std::unique_ptr<FakeHostServicesForTests> host;
  std::unique_ptr<CloudInitBuilder> builder;
  std::filesystem::path artifact_dir;
};

// Packs `context_dir` to <scratch>/context.tar.gz and builds it with a fresh work dir.
Result<BuildArtifacts> build_dir(CloudInitBuilder& builder,
                                 const std::filesystem::path& context_dir,
                                 const std::filesystem::path& scratch, const std::string& build_id,
                                 std::vector<int>* progress = nullptr,
                                 std::filesystem::path* work_dir = nullptr);

// Names in the artifact directory (to check nothing is left behind).
std::vector<std::string> artifact_entries(const std::filesystem::path& artifact_dir);

}  // namespace formation::cloudinit::test

namespace formation::cloudinit::test {
// The content of the write_files entry of `path` in a user-data document ("" if none).
std::string written_file(const std::string& user_data, const std::string& path);
}  // namespace formation::cloudinit::test
