// Parameters: the shipped schema refuses bad tables naming the JSON pointer, and what it
// accepts becomes the settings the plugin prices with.
#include <gtest/gtest.h>

#include "config/schema_check.hpp"
#include "settings.hpp"

namespace formation::billing_credits {
namespace {

// Validates `json` against the plugin's schema the way formationd does (with defaults).
Result<Settings> load(const std::string& json) {
  auto schema = host::compile_schema_text(parameters_schema(), "billing-credits schema");
  if (!schema.is_ok()) return schema.status();
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError()) return Status::invalid("test JSON does not parse");
  if (auto st = host::validate(doc, **schema, "plugins.d/billing-credits.json"); !st.is_ok()) {
    return st;
  }
  host::apply_defaults(doc, **schema, doc.GetAllocator());
  return settings_from(doc);
}

TEST(Settings, DefaultsGiveAPriceTableAndTheDefaultPlan) {
  auto s = load("{}");
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->prices.vcpu_second, 10);
  EXPECT_EQ(s->prices.egress_gb, 10000);
  ASSERT_TRUE(s->plans.contains("default"));
  EXPECT_EQ(s->plans.at("default").max_vcpus, 32);
  EXPECT_TRUE(s->enforce);
}

TEST(Settings, PlansAndPricesAreRead) {
  auto s = load(R"({"prices": {"vcpu_second": 7}, "enforce": false,
                    "plans": {"default": {"max_instances": 1}, "pro": {"max_vcpus": 64}}})");
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->prices.vcpu_second, 7);
  EXPECT_EQ(s->prices.memory_gb_second, 2);
  EXPECT_EQ(s->plans.at("default").max_instances, 1);
  EXPECT_FALSE(s->plans.at("default").max_vcpus.has_value());
  EXPECT_EQ(s->plans.at("pro").max_vcpus, 64);
  EXPECT_FALSE(s->enforce);
}

TEST(Settings, ANegativePriceIsRefusedNamingItsPointer) {
  auto s = load(R"({"prices": {"vcpu_second": -1}})");
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find(": /prices/vcpu_second: "), std::string::npos)
      << s.status().message();
}

TEST(Settings, AFractionalPriceIsRefused) {
  auto s = load(R"({"prices": {"egress_gb": 0.5}})");
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("prices/egress_gb"), std::string::npos)
      << s.status().message();
}

TEST(Settings, AnUnknownKeyIsRefusedNamingIt) {
  auto s = load(R"({"prices": {"gpu_second": 1}})");
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("gpu_second"), std::string::npos) << s.status().message();
}

TEST(Settings, PlansWithoutDefaultAreRefused) {
  auto s = load(R"({"plans": {"pro": {"max_vcpus": 4}}})");
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("/plans"), std::string::npos) << s.status().message();
}

TEST(Settings, ABadPlanLimitIsRefusedNamingItsPointer) {
  auto s = load(R"({"plans": {"default": {"max_vcpus": "many"}}})");
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("/plans/default/max_vcpus"), std::string::npos)
      << s.status().message();
}

TEST(Settings, UnvalidatedGarbageIsRefusedNotTrusted) {
  rapidjson::Document doc;
  doc.Parse(R"({"prices": {"vcpu_second": "ten"}})");
  auto s = settings_from(doc);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.status().message().find("/prices/vcpu_second"), std::string::npos);
}

}  // namespace
}  // namespace formation::billing_credits
