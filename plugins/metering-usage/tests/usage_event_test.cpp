// The usage.sample payload validates against schemas/events/usage.schema.json, the contract
// billing-credits and the webhook deliverer parse.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <fstream>
#include <limits>
#include <sstream>

#include "usage_event.hpp"

namespace formation::metering_usage {
namespace {

rapidjson::Document load_schema() {
  std::ifstream in(USAGE_SCHEMA);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  return doc;
}

UsageSample sample() {
  UsageSample s;
  s.instance_id = "0f3a9c";
  s.user_id = "0x" + std::string(40, 'a');
  s.timestamp = TimePoint(std::chrono::milliseconds(1'800'000'030'123));
  s.period = {TimePoint(std::chrono::seconds(1'800'000'000)),
              TimePoint(std::chrono::seconds(1'800'000'030))};
  s.metrics.cpu_seconds = 15;
  s.metrics.cpu_percent_avg = 25;
  s.metrics.network_egress_mb = 2;
  return s;
}

std::string validation_error(const std::string& json) {
  auto schema_doc = load_schema();
  if (schema_doc.HasParseError()) return "the schema is not JSON";
  rapidjson::SchemaDocument schema(schema_doc);
  rapidjson::SchemaValidator validator(schema);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError()) return "not JSON";
  if (doc.Accept(validator)) return "";
  return std::string("violates ") + validator.GetInvalidSchemaKeyword();
}

TEST(UsageSampleJson, MatchesTheEventSchema) {
  EXPECT_EQ(validation_error(usage_sample_json(sample())), "");
}

TEST(UsageSampleJson, CarriesTheSeedsFieldNamesAndUtcTimes) {
  rapidjson::Document doc;
  doc.Parse(usage_sample_json(sample()).c_str());
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["event_type"].GetString(), "usage.sample");
  EXPECT_STREQ(doc["timestamp"].GetString(), "2027-01-15T08:00:30.123Z");
  EXPECT_STREQ(doc["period"]["start"].GetString(), "2027-01-15T08:00:00.000Z");
  EXPECT_STREQ(doc["period"]["end"].GetString(), "2027-01-15T08:00:30.000Z");
  EXPECT_DOUBLE_EQ(doc["metrics"]["cpu_seconds"].GetDouble(), 15.0);
  EXPECT_DOUBLE_EQ(doc["metrics"]["network_egress_mb"].GetDouble(), 2.0);
  EXPECT_EQ(doc["user_id"].GetString(), "0x" + std::string(40, 'a'));
}

TEST(UsageSampleJson, TheSchemaRejectsAPayloadWithAMissingMetric) {
  rapidjson::Document doc;
  doc.Parse(usage_sample_json(sample()).c_str());
  doc["metrics"].RemoveMember("gpu_seconds");
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  doc.Accept(w);
  EXPECT_EQ(validation_error(buffer.GetString()), "violates required");
}

TEST(UsageSampleJson, NonFiniteMetricsBecomeZero) {
  auto s = sample();
  s.metrics.cpu_seconds = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(validation_error(usage_sample_json(s)), "");
}

}  // namespace
}  // namespace formation::metering_usage
