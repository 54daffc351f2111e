// Every example of test/formfile/examples/ builds, and what it builds is accepted by
// cloud-init's own schema check and by sh.
#include <crypt.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>

#include "fake_host.hpp"
#include "formfile.hpp"

namespace formation::cloudinit {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> example_dirs() {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e :
       fs::directory_iterator(fs::path(FORMATION_SOURCE_DIR) / "test/formfile/examples", ec)) {
    if (fs::is_regular_file(e.path() / "Formfile")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Examples, EveryExampleBuildsIntoAValidSeed) {
  auto examples = example_dirs();
  EXPECT_GE(examples.size(), 4U)
      << "expected web-server, compose-agent, python-agent, model-server";
  test::TempDir dir;
  test::BuilderFixture fixture(dir.path());
  for (const auto& example : examples) {
    SCOPED_TRACE(example.filename().string());
    fs::path work;
    auto built = test::build_dir(*fixture.builder, example, dir.path(), test::random_build_id(),
                                 nullptr, &work);
    ASSERT_TRUE(built.is_ok()) << built.status().to_string();

    auto user_data_path = work / "seed/user-data";
    auto schema =
        test::run_process({"cloud-init", "schema", "--config-file", user_data_path.string()});
    EXPECT_EQ(schema.exit_code, 0) << schema.output;

    auto user_data = test::read_file(user_data_path);
    auto script_path = dir.path() / (example.filename().string() + "-provision.sh");
    std::ofstream(script_path) << test::written_file(user_data, "/var/lib/formation/provision.sh");
    auto syntax = test::run_process({"/bin/sh", "-n", script_path.string()});
    EXPECT_EQ(syntax.exit_code, 0) << syntax.output;

    auto parsed = formfile::parse(test::read_file(example / "Formfile"));
    ASSERT_TRUE(parsed.ok());
    auto doc = YAML::Load(user_data);
    auto iso = test::read_file(built->seed_iso);
    for (std::size_t i = 0; i < parsed.formfile.users.size(); ++i) {
      const auto& password = parsed.formfile.users[i].password;
      auto hash = doc["users"][i]["passwd"].as<std::string>();
      EXPECT_TRUE(hash.starts_with("$6$rounds=4096$"));
      EXPECT_EQ(std::string(crypt(password.c_str(), hash.c_str())), hash);
      EXPECT_EQ(iso.find(password), std::string::npos) << "plaintext password in the ISO";
      EXPECT_EQ(user_data.find(password), std::string::npos);
      EXPECT_EQ(built->manifest_json.find(password), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace formation::cloudinit
