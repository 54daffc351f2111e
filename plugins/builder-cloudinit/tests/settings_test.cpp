#include "settings.hpp"

#include <gtest/gtest.h>
#include <rapidjson/schema.h>

#include "builder_cloudinit.hpp"
#include "fake_host.hpp"

namespace formation::cloudinit {
namespace {

TEST(Settings, DefaultsWhenAbsent) {
  rapidjson::Document params;
  params.Parse("{}");
  auto s = settings_from(params, "/data");
  EXPECT_EQ(s.base_image, kDefaultBaseImage);
  EXPECT_EQ(s.artifact_dir, "/data/artifacts");
  EXPECT_EQ(s.limits.network.vcpus.max, 128);
  EXPECT_EQ(s.limits.context.max_bytes, 1073741824);
  EXPECT_EQ(s.limits.context.max_files, 50000);
}

TEST(Settings, ReadsEveryKey) {
  rapidjson::Document params;
  params.Parse(R"({"artifact_dir": "arts", "base_image": "/img.qcow2",
                  "limits": {"vcpus": {"min": 1, "max": 2}, "memory_mb": {"min": 512, "max": 4096},
                             "disk_gb": {"min": 5, "max": 5}, "max_gpus": 0},
                  "context": {"max_bytes": 1000, "max_files": 10}})");
  auto s = settings_from(params, "/data");
  EXPECT_EQ(s.artifact_dir, "/data/arts");
  EXPECT_EQ(s.base_image, "/img.qcow2");
  EXPECT_EQ(s.limits.network.vcpus.max, 2);
  EXPECT_EQ(s.limits.network.memory_mb.max, 4096);
  EXPECT_EQ(s.limits.network.disk_gb.max, 5);
  EXPECT_EQ(s.limits.network.max_gpus, 0);
  EXPECT_EQ(s.limits.context.max_bytes, 1000);
  EXPECT_EQ(s.limits.context.max_files, 10);
}

TEST(Settings, SchemaRefusesWideningTheSpecRanges) {
  rapidjson::Document schema_doc;
  schema_doc.Parse(kParametersSchema);
  ASSERT_FALSE(schema_doc.HasParseError());
  rapidjson::SchemaDocument schema(schema_doc);
  auto valid = [&](const char* json) {
    rapidjson::Document d;
    d.Parse(json);
    rapidjson::SchemaValidator v(schema);
    return d.Accept(v);
  };
  EXPECT_TRUE(valid("{}"));
  EXPECT_TRUE(valid(R"({"limits": {"vcpus": {"max": 2}}})"));
  EXPECT_FALSE(valid(R"({"limits": {"vcpus": {"max": 129}}})"));
  EXPECT_FALSE(valid(R"({"limits": {"memory_mb": {"min": 256}}})"));
  EXPECT_FALSE(valid(R"({"limits": {"max_gpus": 9}}})"));
  EXPECT_FALSE(valid(R"({"context": {"max_bytes": 5000000000}})"));
  EXPECT_FALSE(valid(R"({"colour": "blue"})"));
}

TEST(Settings, StartRefusesMinAboveMax) {
  test::TempDir dir;
  test::FakeHostServicesForTests host("builder-cloudinit", dir.path(),
                                      R"({"limits": {"vcpus": {"min": 4, "max": 2}}})");
  CloudInitBuilder builder(host);
  auto st = builder.start();
  EXPECT_EQ(st.code(), StatusCode::invalid);
  EXPECT_NE(st.message().find("limits.vcpus.min (4) is above limits.vcpus.max (2)"),
            std::string::npos)
      << st.message();
}

TEST(Settings, HealthDegradedWithoutBaseImage) {
  test::TempDir dir;
  auto image = dir.path() / "base.qcow2";
  test::FakeHostServicesForTests host("builder-cloudinit", dir.path(),
                                      R"({"base_image": ")" + image.string() + "\"}");
  CloudInitBuilder builder(host);
  ASSERT_TRUE(builder.start().is_ok());
  auto health = builder.health();
  EXPECT_EQ(health.state, HealthState::degraded);
  EXPECT_EQ(health.detail,
            "base image " + image.string() + " not found; instances cannot be created");
  dir.write("base.qcow2", "qcow");
  EXPECT_EQ(builder.health().state, HealthState::ok);
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "artifacts"));
}

TEST(Settings, LimitsComeFromParameters) {
  test::TempDir dir;
  test::FakeHostServicesForTests host("builder-cloudinit", dir.path(),
                                      R"({"limits": {"disk_gb": {"max": 20}}})");
  CloudInitBuilder builder(host);
  EXPECT_EQ(builder.limits().network.disk_gb.max, 20);
  EXPECT_EQ(builder.limits().network.disk_gb.min, 5);
}

}  // namespace
}  // namespace formation::cloudinit
