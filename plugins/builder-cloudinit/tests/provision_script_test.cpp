#include "provision_script.hpp"

#include <gtest/gtest.h>

#include "fake_host.hpp"
#include "formfile.hpp"
#include "quoting.hpp"

namespace formation::cloudinit {
namespace {

namespace fs = std::filesystem;

formfile::Formfile parse_ok(const std::string& text) {
  auto parsed = formfile::parse(text);
  std::string errors;
  for (const auto& e : parsed.errors) errors += formfile::format(e) + "\n";
  EXPECT_TRUE(parsed.ok()) << errors;
  return parsed.formfile;
}

constexpr const char* kFormfile = R"(NAME prov-test
DESCRIPTION 100% hostile $(touch /tmp/pwned) "quotes"
USER username:alice passwd:secret
ENV --scope=system GREETING="it's $(touch_pwned) `x` \n"
ENV --scope=service:app PORT=8000
ENV --scope=service:app TOKEN='a"b$c\d%e'
COPY conf.txt /etc/app/
WORKDIR /srv/app
COPY src
RUN printf '%s\n' "$GREETING" > greeting.txt
RUN printf '%s' 'single '"'"' quote $(not) `run`' > hostile.txt && test -f main.py
COPY conf.txt renamed.txt
ENTRYPOINT ["python3", "main.py", "--name=100% $USER \"x\""]
)";

TEST(ProvisionScript, StepsInFormfileOrderAndValidSh) {
  auto f = parse_ok(kFormfile);
  auto script = provision_script(f, "prov-test");
  std::size_t last = 0;
  for (int line : {7, 8, 9, 10, 11, 12, 13}) {
    auto at = script.find("# Formfile:" + std::to_string(line) + "\n");
    ASSERT_NE(at, std::string::npos) << line << "\n" << script;
    EXPECT_GT(at, last) << "Formfile:" << line << " out of order";
    last = at;
  }
  EXPECT_LT(script.find("unpack the build context"), script.find("# Formfile:7"));
  test::TempDir dir;
  dir.write("provision.sh", script);
  auto check = test::run_process({"/bin/sh", "-n", (dir.path() / "provision.sh").string()});
  EXPECT_EQ(check.exit_code, 0) << check.output << script;
}

TEST(ProvisionScript, RunsCopyWorkdirAndRunUnderAScratchRoot) {
  auto f = parse_ok(kFormfile);
  test::TempDir dir;
  dir.write("provision.sh", provision_script(f, "prov-test"));
  dir.write("context/Formfile", kFormfile);
  dir.write("context/conf.txt", "conf\n");
  dir.write("context/src/main.py", "print('hi')\n");
  dir.write("context/src/pkg/mod.py", "x = 1\n");
  fs::create_directories(dir.path() / "seed");
  auto tar = test::run_process({"tar", "-cf", (dir.path() / "seed/context.tar").string(), "-C",
                                (dir.path() / "context").string(), "."});
  ASSERT_EQ(tar.exit_code, 0) << tar.output;
  auto root = dir.path() / "root";
  fs::create_directories(root);
  auto run = test::run_process(
      {"/bin/sh", (dir.path() / "provision.sh").string()},
      {"FORMATION_ROOT=" + root.string(), "FORMATION_SEED=" + (dir.path() / "seed").string()});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(test::read_file(root / "etc/app/conf.txt"), "conf\n");
  EXPECT_EQ(test::read_file(root / "srv/app/main.py"), "print('hi')\n");
  EXPECT_EQ(test::read_file(root / "srv/app/pkg/mod.py"), "x = 1\n");
  EXPECT_EQ(test::read_file(root / "srv/app/renamed.txt"), "conf\n");
  const auto& greeting = f.env.at(0).value;
  EXPECT_NE(greeting.find("it's $(touch_pwned) `x`"), std::string::npos) << greeting;
  EXPECT_EQ(test::read_file(root / "srv/app/greeting.txt"), greeting + "\n");
  EXPECT_EQ(test::read_file(root / "srv/app/hostile.txt"), "single ' quote $(not) `run`");
  EXPECT_TRUE(fs::exists(root / "var/lib/formation/provisioned"));
  EXPECT_FALSE(fs::exists("/tmp/pwned"));

  // Once provisioned, running again does nothing.
  auto again = test::run_process({"/bin/sh", (dir.path() / "provision.sh").string()},
                                 {"FORMATION_ROOT=" + root.string()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.output.find("already provisioned"), std::string::npos);
}

TEST(ProvisionScript, AFailingStepStopsProvisioningAndNamesItsLine) {
  auto f = parse_ok("USER username:bob passwd:x\nWORKDIR /w\nRUN false\nRUN touch after\n");
  test::TempDir dir;
  dir.write("provision.sh", provision_script(f, "x"));
  fs::create_directories(dir.path() / "seed");
  dir.write("ctx/Formfile", "x");
  ASSERT_EQ(test::run_process({"tar", "-cf", (dir.path() / "seed/context.tar").string(), "-C",
                               (dir.path() / "ctx").string(), "."})
                .exit_code,
            0);
  auto root = dir.path() / "root";
  auto run = test::run_process(
      {"/bin/sh", (dir.path() / "provision.sh").string()},
      {"FORMATION_ROOT=" + root.string(), "FORMATION_SEED=" + (dir.path() / "seed").string()});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("provisioning failed at Formfile:3: RUN false"), std::string::npos)
      << run.output;
  EXPECT_FALSE(fs::exists(root / "w/after"));
  EXPECT_FALSE(fs::exists(root / "var/lib/formation/provisioned"));
}

TEST(EntrypointUnit, ExecFormQuotedForSystemd) {
  auto f = parse_ok(kFormfile);
  auto unit = entrypoint_unit(f, "prov-test");
  EXPECT_NE(unit.find("ExecStart=\"python3\" \"main.py\" \"--name=100%% $$USER \\\"x\\\"\"\n"),
            std::string::npos)
      << unit;
  EXPECT_NE(unit.find("Description=Formation entrypoint of prov-test: 100%% hostile"),
            std::string::npos)
      << unit;
  EXPECT_NE(unit.find("WorkingDirectory=/srv/app\n"), std::string::npos);
  EXPECT_NE(unit.find("EnvironmentFile=-/etc/formation/env/app.env\n"), std::string::npos);
  EXPECT_NE(unit.find("After=network-online.target\n"), std::string::npos);
  EXPECT_NE(unit.find("Restart=always\nRestartSec=2\n"), std::string::npos);
  EXPECT_NE(unit.find("WantedBy=multi-user.target\n"), std::string::npos);
}

TEST(EntrypointUnit, ShellFormRunsUnderSh) {
  auto f = parse_ok("USER username:bob passwd:x\nENTRYPOINT exec python3 -m http.server $PORT\n");
  auto unit = entrypoint_unit(f, "x");
  EXPECT_NE(unit.find("ExecStart=/bin/sh -c \"exec python3 -m http.server $$PORT\"\n"),
            std::string::npos)
      << unit;
  EXPECT_EQ(entrypoint_unit(parse_ok("USER username:bob passwd:x\n"), "x"), "");
}

}  // namespace
}  // namespace formation::cloudinit
