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
#include "support/fake_host_services.hpp"

namespace formation::cloudinit::test {

using formation::testing::FakeHostServicesForTests;

// A scratch directory named after the plugin, removed at destruction.
class TempDir : public formation::testing::TempDir {
 public:
  TempDir() : formation::testing::TempDir("builder-cloudinit-test") {}
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
