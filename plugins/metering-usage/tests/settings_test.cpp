#include <gtest/gtest.h>

#include "settings.hpp"

namespace formation::metering_usage {
namespace {

Result<Settings> parse(const char* json) {
  rapidjson::Document doc;
  doc.Parse(json);
  return settings_from(doc);
}

TEST(Settings, DefaultsToThirtySecondPeriods) {
  auto s = parse("{}");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->period_seconds, 30);
}

TEST(Settings, TakesAConfiguredPeriod) {
  auto s = parse(R"({"period_seconds": 60})");
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->period_seconds, 60);
}

TEST(Settings, RejectsGarbageNamingThePointer) {
  EXPECT_EQ(parse(R"({"period_seconds": 0})").status().message(),
            "/period_seconds: must be an integer 1..86400");
  EXPECT_EQ(parse(R"({"period_seconds": "30"})").status().message(),
            "/period_seconds: must be an integer 1..86400");
  EXPECT_EQ(parse(R"({"perod_seconds": 30})").status().message(),
            "/perod_seconds: unknown parameter (known: period_seconds, thresholds)");
  EXPECT_EQ(parse("[]").status().message(), "/: parameters must be an object");
}

}  // namespace
}  // namespace formation::metering_usage
