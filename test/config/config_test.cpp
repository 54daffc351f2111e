#include "config/config.hpp"

#include <gtest/gtest.h>

#include <string>

#include "config/json_file.hpp"
#include "config/schema_check.hpp"
#include "config/schemas.hpp"
#include "temp_dir.hpp"

namespace formation::host {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string error_of(const fs::path& dir) {
  auto loaded = load_config_dir(dir);
  EXPECT_FALSE(loaded.is_ok());
  return loaded.is_ok() ? std::string() : loaded.status().message();
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.starts_with(prefix); }

TEST(LoadConfigDir, DefaultsWithoutFormationJson) {
  TempDir dir;
  auto loaded = load_config_dir(dir.path());
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  const HostConfig& h = loaded->host;
  EXPECT_EQ(h.config_dir, dir.path());
  EXPECT_EQ(h.data_dir, fs::path("/var/lib/formation"));
  ASSERT_EQ(h.plugin_dirs.size(), 1u);
  EXPECT_EQ(h.plugin_dirs[0], default_plugin_dir());
  EXPECT_TRUE(default_plugin_dir().string().ends_with("/lib/formation/plugins"));
  EXPECT_EQ(h.listen_address, "127.0.0.1");
  EXPECT_EQ(h.port, 3004);
  EXPECT_FALSE(h.tls.has_value());
  EXPECT_EQ(h.log_level, "info");
  EXPECT_TRUE(h.access_log);
  EXPECT_EQ(h.io_threads, 2u);
  EXPECT_EQ(h.max_body_bytes, 10485760u);
  EXPECT_EQ(h.header_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(h.body_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(h.idle_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(h.shutdown_grace, std::chrono::milliseconds(15000));
  EXPECT_EQ(h.blocking_threads, 4u);
  EXPECT_FALSE(h.metrics_public);
  EXPECT_TRUE(h.admins.empty());
  EXPECT_EQ(h.clock_skew, std::chrono::seconds(300));
  EXPECT_TRUE(loaded->plugins.empty());
}

TEST(LoadConfigDir, EmptyObjectGivesTheSameDefaults) {
  TempDir dir;
  dir.write("formation.json", "{}");
  auto loaded = load_config_dir(dir.path());
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->host.port, 3004);
  EXPECT_EQ(loaded->host.log_level, "info");
}

TEST(LoadConfigDir, FullFormationJsonRoundTrips) {
  TempDir dir;
  TempDir elsewhere;
  dir.mkdir("my-plugins");
  dir.write("tls/cert.pem", "cert");
  dir.write("tls/key.pem", "key");
  dir.write("formation.json", R"({
    "listen": {"address": "0.0.0.0", "port": 8443},
    "tls": {"certificate": "tls/cert.pem", "private_key": ")" +
                                  (dir.path() / "tls/key.pem").string() + R"("},
    "data_dir": "state",
    "plugin_dirs": ["my-plugins", ")" +
                                  elsewhere.path().string() + R"("],
    "log": {"level": "debug", "access_log": false},
    "http": {"io_threads": 8, "max_body_bytes": 2048, "header_timeout_ms": 500,
             "body_timeout_ms": 700, "idle_timeout_ms": 900, "shutdown_grace_ms": 0},
    "workers": {"blocking_threads": 16},
    "metrics": {"public": true},
    "admins": ["0xABCDEFabcdef0123456789012345678901234567"],
    "auth": {"clock_skew_seconds": 60}
  })");
  auto loaded = load_config_dir(dir.path());
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  const HostConfig& h = loaded->host;
  EXPECT_EQ(h.listen_address, "0.0.0.0");
  EXPECT_EQ(h.port, 8443);
  ASSERT_TRUE(h.tls.has_value());
  EXPECT_EQ(h.tls->certificate, dir.path() / "tls/cert.pem");
  EXPECT_EQ(h.tls->private_key, dir.path() / "tls/key.pem");
  EXPECT_EQ(h.data_dir, dir.path() / "state");
  ASSERT_EQ(h.plugin_dirs.size(), 2u);
  EXPECT_EQ(h.plugin_dirs[0], dir.path() / "my-plugins");
  EXPECT_EQ(h.plugin_dirs[1], elsewhere.path());
  EXPECT_EQ(h.log_level, "debug");
  EXPECT_FALSE(h.access_log);
  EXPECT_EQ(h.io_threads, 8u);
  EXPECT_EQ(h.max_body_bytes, 2048u);
  EXPECT_EQ(h.header_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(h.body_timeout, std::chrono::milliseconds(700));
  EXPECT_EQ(h.idle_timeout, std::chrono::milliseconds(900));
  EXPECT_EQ(h.shutdown_grace, std::chrono::milliseconds(0));
  EXPECT_EQ(h.blocking_threads, 16u);
  EXPECT_TRUE(h.metrics_public);
  ASSERT_EQ(h.admins.size(), 1u);
  EXPECT_EQ(h.admins[0], "0xabcdefabcdef0123456789012345678901234567");
  EXPECT_EQ(h.clock_skew, std::chrono::seconds(60));
}

TEST(LoadConfigDir, RelativeConfigDirBecomesAbsolute) {
  TempDir dir;
  const auto cwd = fs::current_path();
  fs::current_path(dir.path().parent_path());
  auto loaded = load_config_dir(dir.path().filename());
  fs::current_path(cwd);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->host.config_dir, dir.path());
}

TEST(LoadConfigDir, CommentsAndTrailingCommasAccepted) {
  TempDir dir;
  dir.write("formation.json", R"(// formationd settings
{
  /* where to listen */
  "listen": {"port": 4000,},  // trailing comma above
  "admins": [
    "0x0000000000000000000000000000000000000001",
  ],
})");
  dir.write("plugins.d/echo.json", R"({
  "plugin": "example-echo",  // the template plugin
  "parameters": {"greeting": "hi",},
})");
  auto loaded = load_config_dir(dir.path());
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->host.port, 4000);
  ASSERT_EQ(loaded->plugins.size(), 1u);
  EXPECT_STREQ((*loaded->plugins[0].parameters)["greeting"].GetString(), "hi");
}

TEST(LoadConfigDir, SyntaxErrorReportsLineAndColumn) {
  TempDir dir;
  dir.write("formation.json", "{\n  // data\n  \"data_dir\" \"/srv\"\n}\n");
  const std::string e = error_of(dir.path());
  EXPECT_TRUE(starts_with(e, "formation.json:3:14: ")) << e;
  EXPECT_NE(e.find("Missing a colon"), std::string::npos) << e;

  dir.write("formation.json", "{}");
  dir.write("plugins.d/echo.json", "{\n  \"plugin\": \"echo\"\n  \"instance\": \"a\"\n}");
  const std::string p = error_of(dir.path());
  EXPECT_TRUE(starts_with(p, "plugins.d/echo.json:3:3: Missing a comma")) << p;
}

TEST(LoadConfigDir, SchemaErrorReportsThePointer) {
  TempDir dir;
  dir.write("formation.json", R"({"listen": {"port": "x"}})");
  EXPECT_EQ(error_of(dir.path()),
            "formation.json: /listen/port: expected type integer, got string");
  dir.write("formation.json", R"({"listen": {"port": 70000}})");
  EXPECT_EQ(error_of(dir.path()),
            "formation.json: /listen/port: expected a value <= 65535, got 70000");
  dir.write("formation.json", R"({"log": {"level": "verbose"}})");
  EXPECT_EQ(error_of(dir.path()),
            "formation.json: /log/level: expected one of \"trace\", \"debug\", \"info\", "
            "\"warn\", \"error\", got \"verbose\"");
  dir.write("formation.json", R"({"tls": {"certificate": "c.pem"}})");
  EXPECT_EQ(error_of(dir.path()), "formation.json: /tls: missing required key \"private_key\"");
  dir.write("formation.json", "[]");
  EXPECT_EQ(error_of(dir.path()), "formation.json: /: expected type object, got array");
}

TEST(LoadConfigDir, UnknownKey) {
  TempDir dir;
  dir.write("formation.json", R"({"listen": {"prot": 3004}})");
  EXPECT_EQ(error_of(dir.path()),
            "formation.json: /listen: unknown key \"prot\" (allowed: address, port)");
  dir.write("formation.json", R"({"lisen": {}})");
  EXPECT_TRUE(starts_with(error_of(dir.path()),
                          "formation.json: /: unknown key \"lisen\" (allowed: listen, tls, "));
}

TEST(LoadConfigDir, MissingRequiredPlugin) {
  TempDir dir;
  dir.write("plugins.d/echo.json", R"({"instance": "a", "parameters": {}})");
  EXPECT_EQ(error_of(dir.path()), "plugins.d/echo.json: /: missing required key \"plugin\"");
}

TEST(LoadConfigDir, BadInstanceName) {
  TempDir dir;
  dir.write("plugins.d/echo.json", R"({"plugin": "example-echo", "instance": "Main_1"})");
  EXPECT_EQ(error_of(dir.path()),
            "plugins.d/echo.json: /instance: expected a string matching "
            "\"^[a-z0-9][a-z0-9-]*$\", got \"Main_1\"");
  dir.write("plugins.d/echo.json", R"({"plugin": "example-echo", "parameters": []})");
  EXPECT_EQ(error_of(dir.path()),
            "plugins.d/echo.json: /parameters: expected type object, got array");
  dir.write("plugins.d/echo.json", R"({"plugin": "example-echo", "params": {}})");
  EXPECT_EQ(error_of(dir.path()),
            "plugins.d/echo.json: /: unknown key \"params\" (allowed: plugin, instance, "
            "parameters)");
}

TEST(LoadConfigDir, DuplicatePluginInstanceNamesBothFiles) {
  TempDir dir;
  dir.write("plugins.d/a-echo.json", R"({"plugin": "example-echo"})");
  dir.write("plugins.d/b-echo.json", R"({"plugin": "example-echo", "instance": "default"})");
  auto loaded = load_config_dir(dir.path());
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::conflict);
  const std::string& e = loaded.status().message();
  EXPECT_TRUE(starts_with(e, "plugins.d/b-echo.json: ")) << e;
  EXPECT_NE(e.find("plugins.d/a-echo.json"), std::string::npos) << e;
  EXPECT_NE(e.find("\"example-echo\""), std::string::npos) << e;

  // Another instance name makes them two instances.
  dir.write("plugins.d/b-echo.json", R"({"plugin": "example-echo", "instance": "second"})");
  auto ok = load_config_dir(dir.path());
  ASSERT_TRUE(ok.is_ok()) << ok.status().message();
  EXPECT_EQ(ok->plugins.size(), 2u);
}

TEST(LoadConfigDir, MissingPluginDirNamesTheKey) {
  TempDir dir;
  dir.mkdir("plugins");
  dir.write("formation.json", R"({"plugin_dirs": ["plugins", "nope"]})");
  EXPECT_EQ(error_of(dir.path()), "formation.json: /plugin_dirs/1: directory " +
                                      (dir.path() / "nope").string() + " does not exist");
  dir.write("formation.json", R"({"plugin_dirs": ["nope"]})");
  EXPECT_TRUE(starts_with(error_of(dir.path()), "formation.json: /plugin_dirs/0: directory "));
  dir.write("afile", "");
  dir.write("formation.json", R"({"plugin_dirs": ["afile"]})");
  EXPECT_EQ(error_of(dir.path()), "formation.json: /plugin_dirs/0: " +
                                      (dir.path() / "afile").string() + " is not a directory");
}

TEST(LoadConfigDir, MissingTlsFileNamesTheKey) {
  TempDir dir;
  dir.write("cert.pem", "x");
  dir.write("formation.json", R"({"tls": {"certificate": "cert.pem", "private_key": "k.pem"}})");
  EXPECT_EQ(error_of(dir.path()), "formation.json: /tls/private_key: file " +
                                      (dir.path() / "k.pem").string() + " does not exist");
}

TEST(LoadConfigDir, MissingConfigDir) {
  TempDir dir;
  const auto missing = dir.path() / "etc-formation";
  const std::string e = error_of(missing);
  EXPECT_TRUE(starts_with(e, missing.string() + ": config directory does not exist")) << e;
  EXPECT_NE(e.find("--config-dir"), std::string::npos) << e;

  const std::string f = error_of(dir.write("file", "{}"));
  EXPECT_NE(f.find("not a directory"), std::string::npos) << f;
}

TEST(LoadConfigDir, OnlyJsonFilesAreRead) {
  TempDir dir;
  dir.write("plugins.d/20-vmm.json", R"({"plugin": "vmm-libvirt", "parameters": {"uri": "x"}})");
  dir.write("plugins.d/10-echo.json", R"({"plugin": "example-echo", "instance": "one"})");
  dir.write("plugins.d/30-dns.json.disabled", "not json at all");
  dir.write("plugins.d/40-dns.json~", "not json at all");
  dir.write("plugins.d/.10-echo.json.swp", "not json at all");
  dir.write("plugins.d/.#10-echo.json", "not json at all");
  dir.write("plugins.d/README", "not json at all");
  dir.write("plugins.d/old.json.bak", "not json at all");
  dir.mkdir("plugins.d/nested.json");
  auto loaded = load_config_dir(dir.path());
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  ASSERT_EQ(loaded->plugins.size(), 2u);
  const auto& echo = loaded->plugins[0];  // sorted by file name
  EXPECT_EQ(echo.file, fs::path("plugins.d/10-echo.json"));
  EXPECT_EQ(echo.plugin, "example-echo");
  EXPECT_EQ(echo.instance, "one");
  ASSERT_TRUE(echo.parameters);
  EXPECT_TRUE(echo.parameters->IsObject());
  EXPECT_EQ(echo.parameters->MemberCount(), 0u);
  const auto& vmm = loaded->plugins[1];
  EXPECT_EQ(vmm.file, fs::path("plugins.d/20-vmm.json"));
  EXPECT_EQ(vmm.plugin, "vmm-libvirt");
  EXPECT_EQ(vmm.instance, "default");
  EXPECT_STREQ((*vmm.parameters)["uri"].GetString(), "x");
}

TEST(LoadConfigDir, PluginsDirThatIsAFile) {
  TempDir dir;
  dir.write("plugins.d", "");
  EXPECT_EQ(error_of(dir.path()), "plugins.d: not a directory");
}

}  // namespace
}  // namespace formation::host

namespace formation::host {
namespace {

// The config shipped in etc/formation/ must pass the same checks (its plugin_dirs point at
// the installed layout, so only the schemas are applied here, not the directory checks).
TEST(ShippedConfig, PassesTheSchemas) {
  const fs::path etc = fs::path(FORMATION_SOURCE_DIR) / "etc/formation";
  auto host = read_json_file(etc / "formation.json", "formation.json");
  ASSERT_TRUE(host.is_ok()) << host.status().message();
  EXPECT_TRUE(validate(*host, formation_schema(), "formation.json").is_ok());
  std::size_t plugin_files = 0;
  for (const auto& entry : fs::directory_iterator(etc / "plugins.d")) {
    if (entry.path().extension() != ".json") continue;
    const std::string source = "plugins.d/" + entry.path().filename().string();
    auto doc = read_json_file(entry.path(), source);
    ASSERT_TRUE(doc.is_ok()) << doc.status().message();
    const Status s = validate(*doc, plugin_instance_schema(), source);
    EXPECT_TRUE(s.is_ok()) << s.message();
    ++plugin_files;
  }
  EXPECT_GT(plugin_files, 0u);
}

}  // namespace
}  // namespace formation::host
