// form pack validate | build | status | list: offline validation with every error and its
// position, then the whole path against a real formationd with state-sqlite and
// builder-cloudinit (pack, sign, upload, follow the operation, show the build; another key
// cannot see it).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "daemon_process.hpp"
#include "form_home.hpp"

namespace {

namespace fs = std::filesystem;

const char* const kOwnerKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const char* const kOtherKey = "1111111111111111111111111111111111111111111111111111111111111111";

using form_test::form_run;
using form_test::Outcome;

class FormPack : public form_test::FormHome {
 protected:
  // A context folder with `formfile` and a file for its COPY lines.
  fs::path context(const std::string& formfile) {
    fs::path dir = home_ / ("ctx" + std::to_string(++contexts_));
    fs::create_directories(dir / "app");
    std::ofstream(dir / "Formfile") << formfile;
    std::ofstream(dir / "app" / "server.py") << "print('hi')\n";
    return dir;
  }
  int contexts_ = 0;
};

const std::string kGood =
    "NAME pack-test\n"
    "USER username:dev passwd:secret sudo:true\n"
    "VCPU 2\n"
    "COPY ./app /app\n"
    "WORKDIR /app\n"
    "ENTRYPOINT [\"python3\", \"server.py\"]\n"
    "EXPOSE 8000\n";

TEST_F(FormPack, ValidatePrintsASummaryOfWhatWillBeBuilt) {
  auto r = form_run({"pack", "validate", context(kGood).string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("pack-test"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 vCPU"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("python3 server.py"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("8000"), std::string::npos) << r.out;
}

TEST_F(FormPack, ValidateShowsTheBuildIdOfTheKey) {
  const std::string key = import_key(kOwnerKey, "owner");
  auto r = form_run({"--key", key, "pack", "validate", context(kGood).string(), "-o", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"valid\":true"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"build_id\":\""), std::string::npos) << r.out;
}

TEST_F(FormPack, ValidatePrintsEveryErrorWithLineAndColumnAndExits5) {
  const fs::path dir = context("USER username:dev passwd:x\nVCPU two\nMEM 10\nCOPY ./missing /x\n");
  auto r = form_run({"pack", "validate", dir.string()});
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("Formfile:2:6:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Formfile:3:5:"), std::string::npos) << r.err;
  auto json = form_run({"pack", "validate", dir.string(), "-o", "json"});
  EXPECT_EQ(json.code, 5);
  EXPECT_NE(json.out.find("\"valid\":false"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"line\":2"), std::string::npos) << json.out;
}

TEST_F(FormPack, ValidateNamesAMissingCopySource) {
  const fs::path dir = context("USER username:dev passwd:x\nCOPY ./nowhere /x\n");
  auto r = form_run({"pack", "validate", dir.string()});
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("Formfile:2:1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
}

TEST_F(FormPack, AFolderWithoutFormfileIsRefused) {
  fs::create_directories(home_ / "empty");
  auto r = form_run({"pack", "validate", (home_ / "empty").string()});
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("no Formfile"), std::string::npos) << r.err;
  auto build = form_run({"pack", "build", (home_ / "nothing-here").string()});
  EXPECT_EQ(build.code, 2) << build.err;
}

TEST_F(FormPack, BuildRefusesAnInvalidFormfileBeforeSendingAnything) {
  // No server at this address: exit 5 (not 3) proves nothing was sent.
  auto r = form_run({"--api", "http://127.0.0.1:9", "pack", "build",
                     context("USER username:dev passwd:x\nVCPU 0\n").string()});
  EXPECT_EQ(r.code, 5) << r.err;
}

TEST_F(FormPack, BuildStatusAndListAgainstFormationd) {
  const std::string owner = import_key(kOwnerKey, "owner");
  const std::string other = import_key(kOtherKey, "other");
  formation::testing::TempConfig config({PLUGIN_BUILD_DIR});
  config.add_plugin_file("state-sqlite.json", R"({"plugin": "state-sqlite", "parameters": {}})");
  config.add_plugin_file("builder-cloudinit.json",
                         R"({"plugin": "builder-cloudinit", "parameters": {}})");
  formation::testing::DaemonProcess daemon(config.dir());
  ASSERT_TRUE(daemon.started()) << daemon.startup_output();
  const std::string& api = daemon.url();

  auto built = form_run({"--api", api, "--key", owner, "pack", "build", context(kGood).string()});
  ASSERT_EQ(built.code, 0) << built.err;
  std::string build_id = built.out.substr(0, built.out.find('\n'));
  ASSERT_EQ(build_id.size(), 64u) << built.out;
  EXPECT_NE(built.err.find("uploading 100%"), std::string::npos) << built.err;
  EXPECT_NE(built.err.find("100%"), std::string::npos) << built.err;

  auto status = form_run({"--api", api, "--key", owner, "pack", "status", build_id});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("Built"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("seed.iso"), std::string::npos) << status.out;

  auto listed = form_run({"--api", api, "--key", owner, "pack", "list"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find(build_id), std::string::npos) << listed.out;

  // Another key: the build does not exist for it.
  auto hidden = form_run({"--api", api, "--key", other, "pack", "status", build_id});
  EXPECT_EQ(hidden.code, 1) << hidden.out;
  EXPECT_NE(hidden.err.find("form pack list"), std::string::npos) << hidden.err;
  auto other_list = form_run({"--api", api, "--key", other, "pack", "list"});
  EXPECT_EQ(other_list.out.find(build_id), std::string::npos) << other_list.out;
}

}  // namespace
