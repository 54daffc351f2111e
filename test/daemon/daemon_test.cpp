// formationd as an operator meets it: the real binary, real config files, real sockets
// (curl as the client), signals.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <cstdio>
#include <future>
#include <thread>

#include "daemon_process.hpp"

namespace formation::testing {
namespace {

const std::filesystem::path kPlugins = PLUGIN_BUILD_DIR;
const std::filesystem::path kFixtures = FIXTURE_DIR;

struct CurlResult {
  int http_status = 0;
  std::string body;
};

// curl prints the body, then the status code on a line of its own.
CurlResult curl(const std::string& url) {
  std::string cmd = "curl -s -m 20 -w '\\n%{http_code}' '" + url + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  CurlResult r;
  auto nl = out.rfind('\n');
  if (nl == std::string::npos) return r;
  r.http_status = std::atoi(out.c_str() + nl + 1);
  r.body = out.substr(0, nl);
  return r;
}

void enable_echo(const TempConfig& config) {
  config.add_plugin_file("example-echo.json",
                         "// enabled\n{\"plugin\": \"example-echo\", \"parameters\": "
                         "{\"greeting\": \"hi\"}}\n");
}

TEST(Daemon, VersionPrintsVersionAndAbi) {
  auto r = run_formationd({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("formationd ") + FORMATION_VERSION_STRING + " (plugin ABI " +
                       std::to_string(FORMATION_ABI_NUMBER) + ")\n");
}

TEST(Daemon, HelpListsEveryMode) {
  auto r = run_formationd({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--config-dir", "--check-config", "--list-plugins", "--version"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

TEST(Daemon, UnknownOptionIsAUsageError) {
  auto r = run_formationd({"--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;
}

TEST(Daemon, CheckConfigAcceptsAGoodConfig) {
  TempConfig config({kPlugins});
  enable_echo(config);
  auto r = run_formationd({"--config-dir", config.dir().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("configuration OK"), std::string::npos);
  EXPECT_NE(r.out.find("example-echo/default (plugins.d/example-echo.json)"), std::string::npos)
      << r.out;
}

TEST(Daemon, CheckConfigReportsSyntaxErrorWithFileAndLine) {
  TempConfig config({kPlugins});
  config.add_plugin_file("broken.json", "{\n  \"plugin\": \"example-echo\",,\n}\n");
  auto r = run_formationd({"--config-dir", config.dir().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("plugins.d/broken.json:2:"), std::string::npos) << r.err;
}

TEST(Daemon, CheckConfigReportsUnknownPlugin) {
  TempConfig config({kPlugins});
  config.add_plugin_file("x.json", R"({"plugin": "vmm-nonexistent"})");
  auto r = run_formationd({"--config-dir", config.dir().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("plugins.d/x.json: plugin 'vmm-nonexistent' is not installed"),
            std::string::npos)
      << r.err;
}

TEST(Daemon, CheckConfigReportsParametersFailingThePluginSchema) {
  TempConfig config({kPlugins});
  config.add_plugin_file("echo.json",
                         R"({"plugin": "example-echo", "parameters": {"greeting": 5}})");
  auto r = run_formationd({"--config-dir", config.dir().string(), "--check-config"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("plugins.d/echo.json: /parameters/greeting"), std::string::npos) << r.err;
}

TEST(Daemon, ListPluginsShowsNameKindVersionAndAbi) {
  TempConfig config({kPlugins});
  auto r = run_formationd({"--config-dir", config.dir().string(), "--list-plugins"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("example-echo"), std::string::npos);
  EXPECT_NE(r.out.find("extension"), std::string::npos);
  EXPECT_NE(r.out.find((kPlugins / "example-echo.so").string()), std::string::npos);
}

TEST(Daemon, ListPluginsShowsRefusedLibrariesAndFails) {
  TempConfig config({kPlugins, kFixtures / "wrong-abi"});
  auto r = run_formationd({"--config-dir", config.dir().string(), "--list-plugins"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("BROKEN "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("plugin ABI"), std::string::npos) << r.out;
}

TEST(Daemon, RefusesToStartWhenAPluginFactoryFails) {
  TempConfig config({kPlugins, kFixtures / "throws"});
  config.add_plugin_file("throws.json", R"({"plugin": "fixture-throws"})");
  DaemonProcess daemon(config.dir());
  EXPECT_FALSE(daemon.started());
  EXPECT_EQ(daemon.wait_exit(10), 1);
}

TEST(Daemon, ServesHealthEchoAndMetricsFromTheRealPlugin) {
  TempConfig config({kPlugins});
  enable_echo(config);
  DaemonProcess daemon(config.dir());
  ASSERT_TRUE(daemon.started()) << daemon.startup_output();

  auto health = curl(daemon.url() + "/v1/health");
  ASSERT_EQ(health.http_status, 200) << health.body;
  rapidjson::Document h;
  h.Parse(health.body.c_str());
  ASSERT_TRUE(h.IsObject()) << health.body;
  EXPECT_STREQ(h["status"].GetString(), "ok");
  EXPECT_STREQ(h["version"].GetString(), FORMATION_VERSION_STRING);
  EXPECT_TRUE(h["uptime_seconds"].IsInt64());
  ASSERT_EQ(h["plugins"].Size(), 1u);
  EXPECT_STREQ(h["plugins"][0]["name"].GetString(), "example-echo");
  EXPECT_STREQ(h["plugins"][0]["health"].GetString(), "ok");

  auto echo = curl(daemon.url() + "/v1/echo?message=hello%20there");
  ASSERT_EQ(echo.http_status, 200) << echo.body;
  rapidjson::Document e;
  e.Parse(echo.body.c_str());
  EXPECT_STREQ(e["greeting"].GetString(), "hi");
  EXPECT_STREQ(e["message"].GetString(), "hello there");

  auto metrics = curl(daemon.url() + "/metrics");
  ASSERT_EQ(metrics.http_status, 200);
  EXPECT_NE(metrics.body.find("formation_echo_requests_total{instance=\"default\"} 1\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("formation_http_requests_total{method=\"GET\",route=\"/v1/echo\","
                              "status=\"200\"} 1\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("formation_plugin_health{instance=\"default\",kind=\"extension\","
                              "plugin=\"example-echo\"} 1\n"),
            std::string::npos)
      << metrics.body;

  auto missing = curl(daemon.url() + "/v1/nothing-here");
  EXPECT_EQ(missing.http_status, 404);
  EXPECT_NE(missing.body.find("\"code\":\"not_found\""), std::string::npos) << missing.body;

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(20), 0);
}

TEST(Daemon, SigtermLetsTheRequestInFlightFinish) {
  TempConfig config({kPlugins, kFixtures / "slow-route"});
  config.add_plugin_file("slow.json", R"({"plugin": "fixture-slow-route"})");
  DaemonProcess daemon(config.dir());
  ASSERT_TRUE(daemon.started()) << daemon.startup_output();

  auto in_flight =
      std::async(std::launch::async, [&] { return curl(daemon.url() + "/v1/test/sleep?ms=1500"); });
  // Give curl time to connect and send; the handler then sleeps 1.5 s.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  daemon.signal(SIGTERM);
  auto result = in_flight.get();
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(result.body, "{\"slept_ms\":1500}");
  EXPECT_EQ(daemon.wait_exit(20), 0);
  // Stopped: nothing answers any more.
  EXPECT_EQ(curl(daemon.url() + "/v1/health").http_status, 0);
}

}  // namespace
}  // namespace formation::testing
