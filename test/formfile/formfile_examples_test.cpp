// The example build contexts under examples/: each parses cleanly, has its expected NAME,
// and every COPY source it names exists (others build them with the builder plugin).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "formfile.hpp"

namespace formation::formfile {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const std::map<std::string, std::string> kExpectedNames = {
    {"web-server", "web-server"},
    {"compose-agent", "compose-agent"},
    {"python-agent", "python-agent"},
    {"model-server", "model-server"},
};

TEST(FormfileExamples, EveryExampleParsesWithItsName) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(FORMFILE_EXAMPLES_DIR)) {
    if (!entry.is_directory()) continue;
    ++count;
    const std::string folder = entry.path().filename().string();
    SCOPED_TRACE(folder);
    const std::string text = read(entry.path() / "Formfile");
    const ParseResult result = parse(text);
    for (const auto& error : result.errors) ADD_FAILURE() << format(error, folder + "/Formfile");
    ASSERT_TRUE(result.ok());
    const auto expected = kExpectedNames.find(folder);
    ASSERT_NE(expected, kExpectedNames.end()) << "an example without an expected NAME";
    EXPECT_EQ(result.formfile.name, expected->second);
    for (const Step& step : result.formfile.steps) {
      if (step.kind != Step::Kind::copy) continue;
      EXPECT_TRUE(fs::exists(entry.path() / step.src)) << "COPY source missing: " << step.src;
    }
  }
  EXPECT_GE(count, 4);
}

TEST(FormfileExamples, ModelServerAsksForGpusAndAModel) {
  const ParseResult result =
      parse(read(fs::path(FORMFILE_EXAMPLES_DIR) / "model-server" / "Formfile"));
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result.formfile.gpu);
  EXPECT_EQ(result.formfile.gpu->model, "H100");
  EXPECT_EQ(result.formfile.gpu->count, 2);
  ASSERT_TRUE(result.formfile.model);
  EXPECT_TRUE(result.formfile.model->required);
  ASSERT_TRUE(result.formfile.entrypoint);
  EXPECT_FALSE(result.formfile.entrypoint->exec_form);
  EXPECT_EQ(result.formfile.expose, std::vector<int>{8080});
}

TEST(FormfileExamples, ComposeAgentRunsDockerCompose) {
  const ParseResult result =
      parse(read(fs::path(FORMFILE_EXAMPLES_DIR) / "compose-agent" / "Formfile"));
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result.formfile.entrypoint);
  EXPECT_EQ(result.formfile.entrypoint->argv, (std::vector<std::string>{"docker-compose", "up"}));
  EXPECT_EQ(result.formfile.packages, (std::vector<std::string>{"docker.io", "docker-compose"}));
}

}  // namespace
}  // namespace formation::formfile
