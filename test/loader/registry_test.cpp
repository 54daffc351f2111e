// Configured instances: parameters checked against the plugin's schema, unknown plugins,
// factories that throw, dependency order, start failures.
#include <gtest/gtest.h>

#include "plugins/plugin_registry.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics_registry.hpp"
#include "runtime/timer_service.hpp"

namespace formation::host {
namespace {

std::shared_ptr<rapidjson::Document> json(const char* text) {
  auto doc = std::make_shared<rapidjson::Document>();
  doc->Parse(text);
  return doc;
}

PluginInstanceConfig instance(const std::string& file, const std::string& plugin,
                              const char* parameters = "{}") {
  return PluginInstanceConfig{"plugins.d/" + file, plugin, "default", json(parameters)};
}

class RegistryTest : public ::testing::Test {
 protected:
  PluginCatalog catalog(std::initializer_list<const char*> fixture_dirs) {
    std::vector<std::filesystem::path> dirs{PLUGIN_BUILD_DIR};
    for (const char* d : fixture_dirs) dirs.push_back(std::filesystem::path(FIXTURE_DIR) / d);
    return discover_plugins(dirs);
  }

  MetricsRegistry metrics;
  ThreadPool pool{2};
  InProcessEventBus events;
  TimerService timers{pool};
  std::vector<std::pair<std::string, std::string>> routes;  // owner, pattern
  PluginRegistry* registry_ptr = nullptr;
  RuntimeServices runtime{events,
                          timers,
                          pool,
                          metrics,
                          [this](Route r, const std::string& owner) {
                            routes.emplace_back(owner, r.pattern);
                            return Status::ok();
                          },
                          [this](PluginKind k, std::string_view i) {
                            return registry_ptr ? registry_ptr->find(k, i) : nullptr;
                          },
                          std::filesystem::temp_directory_path() / "formation-registry-test"};
};

TEST_F(RegistryTest, StartsExampleEchoWithDefaultsAndRegistersItsRoute) {
  LoadedConfig config;
  config.plugins.push_back(instance("echo.json", "example-echo"));
  auto prepared = prepare_instances(config, catalog({}));
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().message();
  EXPECT_STREQ((*prepared)[0].parameters->operator[]("greeting").GetString(), "echo");

  PluginRegistry registry(runtime);
  registry_ptr = &registry;
  ASSERT_TRUE(registry.create_and_start(std::move(prepared).value()).is_ok());
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0], (std::pair<std::string, std::string>{"example-echo/default", "/v1/echo"}));
  EXPECT_NE(registry.find(PluginKind::extension, "default"), nullptr);
  EXPECT_EQ(registry.find(PluginKind::vmm, ""), nullptr);
  registry.stop_all();
  EXPECT_EQ(registry.find(PluginKind::extension, ""), nullptr);  // stopped: no longer served
}

TEST_F(RegistryTest, RefusesUnknownPluginListingWhatIsInstalled) {
  LoadedConfig config;
  config.plugins.push_back(instance("nope.json", "nope"));
  auto installed = catalog({});
  auto prepared = prepare_instances(config, installed);
  ASSERT_FALSE(prepared.is_ok());
  EXPECT_NE(installed.names().find("example-echo"), std::string::npos);
  EXPECT_EQ(prepared.status().message(),
            "plugins.d/nope.json: plugin 'nope' is not installed (installed: " + installed.names() +
                "; searched: " + PLUGIN_BUILD_DIR + ")");
}

TEST_F(RegistryTest, RefusesParametersThatFailTheSchemaWithFileAndPointer) {
  LoadedConfig config;
  config.plugins.push_back(instance("strict.json", "fixture-strict", R"({"port": "x"})"));
  auto prepared = prepare_instances(config, catalog({"strict"}));
  ASSERT_FALSE(prepared.is_ok());
  const auto& m = prepared.status().message();
  EXPECT_TRUE(m.starts_with("plugins.d/strict.json: /parameters/port: ")) << m;
  EXPECT_NE(m.find("integer"), std::string::npos) << m;
}

TEST_F(RegistryTest, RefusesMissingRequiredParameter) {
  LoadedConfig config;
  config.plugins.push_back(instance("strict.json", "fixture-strict", "{}"));
  auto prepared = prepare_instances(config, catalog({"strict"}));
  ASSERT_FALSE(prepared.is_ok());
  const auto& m = prepared.status().message();
  EXPECT_TRUE(m.starts_with("plugins.d/strict.json: /parameters")) << m;
  EXPECT_NE(m.find("port"), std::string::npos) << m;
}

TEST_F(RegistryTest, FillsSchemaDefaults) {
  LoadedConfig config;
  config.plugins.push_back(instance("strict.json", "fixture-strict", R"({"port": 53})"));
  auto prepared = prepare_instances(config, catalog({"strict"}));
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().message();
  EXPECT_STREQ((*prepared)[0].parameters->operator[]("mode").GetString(), "safe");
}

TEST_F(RegistryTest, ReportsEveryBadFileAtOnce) {
  LoadedConfig config;
  config.plugins.push_back(instance("a.json", "nope"));
  config.plugins.push_back(instance("b.json", "fixture-strict", R"({"port": 0})"));
  auto prepared = prepare_instances(config, catalog({"strict"}));
  ASSERT_FALSE(prepared.is_ok());
  const auto& m = prepared.status().message();
  EXPECT_NE(m.find("plugins.d/a.json: plugin 'nope'"), std::string::npos) << m;
  EXPECT_NE(m.find("\nplugins.d/b.json: /parameters/port"), std::string::npos) << m;
}

TEST_F(RegistryTest, FactoryThatThrowsIsRefusedWithItsMessage) {
  LoadedConfig config;
  config.plugins.push_back(instance("throws.json", "fixture-throws"));
  auto prepared = prepare_instances(config, catalog({"throws"}));
  ASSERT_TRUE(prepared.is_ok());
  PluginRegistry registry(runtime);
  auto st = registry.create_and_start(std::move(prepared).value());
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.message(),
            "plugins.d/throws.json: plugin 'fixture-throws' could not be created: internal: "
            "threw: boom");
}

TEST_F(RegistryTest, StartFailureStopsEverythingAndSaysWhy) {
  LoadedConfig config;
  config.plugins.push_back(instance("echo.json", "example-echo"));
  config.plugins.push_back(instance("fails.json", "fixture-start-fails"));
  auto prepared = prepare_instances(config, catalog({"start-fails"}));
  ASSERT_TRUE(prepared.is_ok());
  PluginRegistry registry(runtime);
  registry_ptr = &registry;
  auto st = registry.create_and_start(std::move(prepared).value());
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), StatusCode::unavailable);
  EXPECT_EQ(st.message(),
            "plugins.d/fails.json: plugin 'fixture-start-fails' failed to start: unavailable: "
            "backend at 127.0.0.1:1 refused the connection");
  EXPECT_EQ(registry.find(PluginKind::extension, ""), nullptr);  // echo was stopped again
}

TEST_F(RegistryTest, MissingDependencyKindIsRefused) {
  LoadedConfig config;
  config.plugins.push_back(instance("needs.json", "fixture-needs-state"));
  auto prepared = prepare_instances(config, catalog({"needs-state"}));
  ASSERT_TRUE(prepared.is_ok());
  auto order = start_order(*prepared);
  ASSERT_FALSE(order.is_ok());
  EXPECT_EQ(order.status().message(),
            "plugins.d/needs.json: plugin 'fixture-needs-state' needs a state_store plugin, and "
            "none is configured in plugins.d/");
}

TEST_F(RegistryTest, TwoInstancesOfOnePluginBothStart) {
  LoadedConfig config;
  config.plugins.push_back(instance("echo.json", "example-echo"));
  config.plugins.push_back(
      PluginInstanceConfig{"plugins.d/echo2.json", "example-echo", "second", json("{}")});
  auto prepared = prepare_instances(config, catalog({}));
  ASSERT_TRUE(prepared.is_ok());
  PluginRegistry registry(runtime);
  registry_ptr = &registry;
  ASSERT_TRUE(registry.create_and_start(std::move(prepared).value()).is_ok());
  EXPECT_NE(registry.find(PluginKind::extension, "second"), nullptr);
  EXPECT_NE(registry.find(PluginKind::extension, "default"),
            registry.find(PluginKind::extension, "second"));
}

}  // namespace
}  // namespace formation::host
