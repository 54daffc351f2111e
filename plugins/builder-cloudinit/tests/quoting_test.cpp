#include "quoting.hpp"

#include <gtest/gtest.h>

#include "fake_host.hpp"

namespace formation::cloudinit {
namespace {

const std::vector<std::string> kHostile = {
    "plain",
    "it's",
    "$(touch /tmp/builder-cloudinit-pwned)",
    "`id`; rm -rf /nonexistent",
    R"(a\b\\c)",
    R"("double" 'single' \' \")",
    "${HOME} $HOME %h %% $$",
    "tab\there",
    "",
    "'",
    "''''",
};

// What sh prints for `printf %s <quoted>`: the quoting round-trips through a real shell.
std::string through_sh(const std::string& quoted) {
  auto r = test::run_process({"/bin/sh", "-c", "printf %s " + quoted});
  EXPECT_EQ(r.exit_code, 0) << quoted;
  return r.output;
}

TEST(Quoting, ShQuoteSurvivesAShell) {
  for (const auto& text : kHostile) EXPECT_EQ(through_sh(sh_quote(text)), text) << text;
  EXPECT_FALSE(std::filesystem::exists("/tmp/builder-cloudinit-pwned"));
}

TEST(Quoting, EnvFileQuoteIsShellDoubleQuoting) {
  // systemd's EnvironmentFile parser unescapes the same characters a shell does inside
  // double quotes, so a shell is a faithful check.
  for (const auto& text : kHostile) EXPECT_EQ(through_sh(env_file_quote(text)), text) << text;
}

TEST(Quoting, SystemdQuoteEscapesSpecifiersAndVariables) {
  EXPECT_EQ(systemd_quote("python3"), "\"python3\"");
  EXPECT_EQ(systemd_quote(R"(a "b" \c)"), R"("a \"b\" \\c")");
  EXPECT_EQ(systemd_quote("100% $HOME"), "\"100%% $$HOME\"");
  EXPECT_EQ(systemd_escape_specifiers("50% off"), "50%% off");
}

TEST(Quoting, EtcEnvironmentQuote) {
  EXPECT_EQ(etc_environment_quote(R"(a"b\c $d)"), R"("a\"b\\c $d")");
}

}  // namespace
}  // namespace formation::cloudinit
