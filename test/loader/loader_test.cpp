// Loading libraries: each fixture is broken in one way and must be refused with a message
// that names the file and the reason.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "plugins/plugin_catalog.hpp"
#include "plugins/plugin_library.hpp"

namespace formation::host {
namespace {

std::filesystem::path fixture(const std::string& dir, const std::string& name) {
  return std::filesystem::path(FIXTURE_DIR) / dir / (name + ".so");
}

TEST(PluginLibrary, LoadsExampleEcho) {
  auto lib = load_plugin_library(std::filesystem::path(PLUGIN_BUILD_DIR) / "example-echo.so");
  ASSERT_TRUE(lib.is_ok()) << lib.status().message();
  EXPECT_STREQ(lib->descriptor->name, "example-echo");
  EXPECT_EQ(lib->descriptor->kind, PluginKind::extension);
  EXPECT_EQ(lib->descriptor->abi, FORMATION_PLUGIN_ABI);
}

TEST(PluginLibrary, RefusesWrongAbiNamingBothNumbers) {
  auto file = fixture("wrong-abi", "fixture-wrong-abi");
  auto lib = load_plugin_library(file);
  ASSERT_FALSE(lib.is_ok());
  EXPECT_EQ(lib.status().code(), StatusCode::invalid);
  EXPECT_EQ(lib.status().message(),
            fmt::format("{}: plugin ABI {} does not match this formationd's ABI {}; rebuild the "
                        "plugin against plugin-api {}",
                        file.string(), FORMATION_PLUGIN_ABI + 1000, FORMATION_PLUGIN_ABI,
                        FORMATION_VERSION));
}

TEST(PluginLibrary, RefusesLibraryWithoutEntryPoint) {
  auto file = fixture("no-entry", "fixture-no-entry");
  auto lib = load_plugin_library(file);
  ASSERT_FALSE(lib.is_ok());
  EXPECT_EQ(lib.status().message(),
            file.string() +
                ": no entry point 'formation_plugin_v1': not a Formation plugin "
                "(export it with FORMATION_PLUGIN(...))");
}

TEST(PluginLibrary, RefusesFileThatIsNotALibrary) {
  auto file = std::filesystem::temp_directory_path() / "formation-not-a-library.so";
  { std::ofstream(file) << "plain text"; }
  auto lib = load_plugin_library(file);
  std::filesystem::remove(file);
  ASSERT_FALSE(lib.is_ok());
  EXPECT_TRUE(lib.status().message().starts_with(file.string() + ": cannot load library: "))
      << lib.status().message();
}

TEST(PluginCatalog, RefusesDuplicateNameAndKeepsNeither) {
  auto dir = std::filesystem::path(FIXTURE_DIR) / "duplicates";
  auto catalog = discover_plugins({dir});
  EXPECT_EQ(catalog.find("fixture-duplicate"), nullptr);
  ASSERT_EQ(catalog.problems.size(), 1u);
  EXPECT_EQ(catalog.problems[0],
            fmt::format("{}: plugin name 'fixture-duplicate' is already declared by {}; neither "
                        "is loaded",
                        (dir / "fixture-duplicate-b.so").string(),
                        (dir / "fixture-duplicate-a.so").string()));
}

TEST(PluginCatalog, ReportsUnreadableDirectory) {
  auto catalog = discover_plugins({"/nonexistent/formation/plugins"});
  ASSERT_EQ(catalog.problems.size(), 1u);
  EXPECT_TRUE(catalog.problems[0].starts_with(
      "/nonexistent/formation/plugins: cannot read plugin directory: "));
}

TEST(PluginCatalog, FindsEveryGoodLibraryAndReportsTheBadOnes) {
  auto catalog = discover_plugins({PLUGIN_BUILD_DIR, fixture("wrong-abi", "x").parent_path()});
  EXPECT_NE(catalog.find("example-echo"), nullptr);
  ASSERT_EQ(catalog.problems.size(), 1u);
  EXPECT_NE(catalog.problems[0].find("plugin ABI"), std::string::npos);
}

}  // namespace
}  // namespace formation::host
