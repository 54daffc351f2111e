// Thresholds: definitions checked by the parameters' JSON Schema (what the host validates
// a plugins.d file with) and by the plugin's own parser, crossings reported once, account
// thresholds over the sum of the account's instances, payloads valid per
// schemas/events/threshold.schema.json.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/schema.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "settings.hpp"
#include "thresholds.hpp"

namespace formation::metering_usage {
namespace {

const std::string kAlice = "0x" + std::string(40, 'a');
const std::string kBob = "0x" + std::string(40, 'b');

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

rapidjson::Document load(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_json(text.str());
}

// What the host does with a plugins.d file's "parameters".
bool schema_accepts(const std::string& parameters) {
  auto schema_doc = parse_json(parameters_schema());
  EXPECT_FALSE(schema_doc.HasParseError());
  rapidjson::SchemaDocument schema(schema_doc);
  rapidjson::SchemaValidator validator(schema);
  auto doc = parse_json(parameters);
  return doc.Accept(validator);
}

Result<Settings> parse(const std::string& parameters) {
  auto doc = parse_json(parameters);
  return settings_from(doc);
}

std::string with(const std::string& threshold) { return R"({"thresholds": [)" + threshold + "]}"; }

UsageSample sample(const std::string& id, const std::string& owner, double cpu_seconds,
                   double cpu_percent, int period_index = 0) {
  UsageSample s;
  s.instance_id = id;
  s.user_id = owner;
  s.metrics.cpu_seconds = cpu_seconds;
  s.metrics.cpu_percent_avg = cpu_percent;
  const auto start = TimePoint(std::chrono::seconds(1'800'000'000 + 30 * period_index));
  s.period = {start, start + std::chrono::seconds(30)};
  s.timestamp = s.period.end;
  return s;
}

Threshold threshold(const std::string& json) {
  auto doc = parse_json(json);
  auto t = threshold_from(doc, "/thresholds/0");
  EXPECT_TRUE(t.is_ok()) << t.status().message();
  return t.is_ok() ? std::move(t).value() : Threshold{};
}

TEST(Thresholds, GoodDefinitionsPassTheSchemaAndTheParser) {
  const std::string good[] = {
      R"({"name": "cpu-hot", "resource": "cpu", "kind": "percent", "limit": 90})",
      R"({"name": "egress", "resource": "network_egress", "kind": "absolute", "limit": 500,
          "account": "0xAbCdEf0123456789abcdef0123456789ABCDEF01"})",
      R"({"name": "mem", "resource": "memory", "kind": "absolute", "limit": 1.5,
          "instance_id": "0f3a9c"})",
  };
  for (const auto& t : good) {
    EXPECT_TRUE(schema_accepts(with(t))) << t;
    auto s = parse(with(t));
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    ASSERT_EQ(s->thresholds.size(), 1U);
  }
  auto s = parse(with(good[1]));
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->thresholds[0].account, "0xabcdef0123456789abcdef0123456789abcdef01");
}

TEST(Thresholds, BadDefinitionsAreRefusedByBothNamingThePointer) {
  struct Case {
    std::string threshold;
    std::string message;
  };
  const Case bad[] = {
      {R"({"resource": "cpu", "kind": "percent", "limit": 90})", "/thresholds/0/name: missing"},
      {R"({"name": "x", "resource": "disk", "kind": "absolute", "limit": 1})",
       "/thresholds/0/resource: must be cpu, memory, storage, network_egress, network_ingress or "
       "gpu"},
      {R"({"name": "x", "resource": "cpu", "kind": "relative", "limit": 1})",
       "/thresholds/0/kind: must be absolute or percent"},
      {R"({"name": "x", "resource": "storage", "kind": "percent", "limit": 50})",
       "/thresholds/0/kind: percent is only for cpu and memory (of the allocation); use absolute "
       "for storage"},
      {R"({"name": "x", "resource": "cpu", "kind": "percent", "limit": 101})",
       "/thresholds/0/limit: a percent limit is at most 100"},
      {R"({"name": "x", "resource": "cpu", "kind": "absolute", "limit": -1})",
       "/thresholds/0/limit: must be a number >= 0"},
      {R"({"name": "x", "resource": "cpu", "kind": "absolute", "limit": "9"})",
       "/thresholds/0/limit: must be a number >= 0"},
      {R"({"name": "x", "resource": "cpu", "kind": "absolute", "limit": 1,
           "instance_id": "ab", "account": "0x0000000000000000000000000000000000000000"})",
       "/thresholds/0: give instance_id or account, not both"},
      {R"({"name": "x", "resource": "cpu", "kind": "absolute", "limit": 1, "account": "bob"})",
       "/thresholds/0/account: must be 0x and 40 hex digits"},
      {R"({"name": "x", "resource": "cpu", "kind": "absolute", "limit": 1, "lmit": 2})",
       "/thresholds/0/lmit: unknown field (known: name, resource, kind, limit, instance_id, "
       "account)"},
      {R"({"name": "Bad Name", "resource": "cpu", "kind": "absolute", "limit": 1})",
       "/thresholds/0/name: 1 to 64 of a-z 0-9 _ -, starting with a letter or digit"},
  };
  for (const auto& c : bad) {
    auto s = parse(with(c.threshold));
    EXPECT_EQ(s.status().code(), StatusCode::invalid) << c.threshold;
    EXPECT_EQ(s.status().message(), c.message);
    EXPECT_FALSE(schema_accepts(with(c.threshold))) << c.threshold;
  }
  EXPECT_EQ(parse(R"({"thresholds": {}})").status().message(), "/thresholds: must be an array");
  const std::string t = R"({"name": "x", "resource": "cpu", "kind": "absolute", "limit": 1})";
  EXPECT_EQ(parse(R"({"thresholds": [)" + t + "," + t + "]}").status().message(),
            "/thresholds/1/name: 'x' is used twice");
}

TEST(Thresholds, ACrossingIsReportedOnceUntilUsageFallsBackUnder) {
  ThresholdWatch watch(
      {threshold(R"({"name": "hot", "resource": "cpu", "kind": "percent", "limit": 80})")});
  EXPECT_TRUE(watch.check({sample("a1", kAlice, 3, 50, 0)}).empty());
  auto over = watch.check({sample("a1", kAlice, 9, 95, 1)});
  ASSERT_EQ(over.size(), 1U);
  EXPECT_EQ(over[0].instance_id, "a1");
  EXPECT_EQ(over[0].user_id, kAlice);
  EXPECT_DOUBLE_EQ(over[0].value, 95);
  EXPECT_EQ(over[0].threshold.name, "hot");
  EXPECT_TRUE(watch.check({sample("a1", kAlice, 9, 96, 2)}).empty()) << "still over: no repeat";
  EXPECT_TRUE(watch.check({sample("a1", kAlice, 2, 20, 3)}).empty());
  EXPECT_EQ(watch.check({sample("a1", kAlice, 9, 99, 4)}).size(), 1U) << "crossed again";
}

TEST(Thresholds, InstanceThresholdsWatchOnlyTheirInstance) {
  ThresholdWatch watch({threshold(
      R"({"name": "a1-cpu", "resource": "cpu", "kind": "absolute", "limit": 10,
          "instance_id": "a1"})")});
  auto over = watch.check({sample("a1", kAlice, 11, 40), sample("a2", kAlice, 50, 90)});
  ASSERT_EQ(over.size(), 1U);
  EXPECT_EQ(over[0].instance_id, "a1");
}

TEST(Thresholds, AccountThresholdsSumTheAccountsInstances) {
  ThresholdWatch watch({threshold(
      R"({"name": "alice-cpu", "resource": "cpu", "kind": "absolute", "limit": 20,
          "account": "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})")});
  // 12 + 12 = 24 > 20 although each instance is under; bob's 100 does not count.
  auto over = watch.check(
      {sample("a1", kAlice, 12, 40), sample("a2", kAlice, 12, 40), sample("b1", kBob, 100, 100)});
  ASSERT_EQ(over.size(), 1U);
  EXPECT_FALSE(over[0].instance_id.has_value());
  EXPECT_EQ(over[0].user_id, kAlice);
  EXPECT_DOUBLE_EQ(over[0].value, 24);
}

TEST(Thresholds, ForgettingAnInstanceLetsAReusedIdCrossAgain) {
  ThresholdWatch watch(
      {threshold(R"({"name": "hot", "resource": "cpu", "kind": "percent", "limit": 80})")});
  EXPECT_EQ(watch.check({sample("a1", kAlice, 9, 95, 0)}).size(), 1U);
  watch.forget("a1");
  EXPECT_EQ(watch.check({sample("a1", kAlice, 9, 95, 1)}).size(), 1U);
}

UsageThreshold stored(const std::string& id, const std::string& owner, const std::string& kind,
                      double limit, std::optional<std::string> instance = std::nullopt) {
  UsageThreshold t;
  t.id = id;
  t.owner = owner;
  t.name = "t-" + id;
  t.resource = "cpu";
  t.kind = kind;
  t.limit = limit;
  t.instance_id = std::move(instance);
  return t;
}

TEST(Thresholds, ATenantsAccountThresholdSumsItsOwnInstancesAndNotifiesIt) {
  auto t = threshold_from(stored("ab12", kAlice, "absolute", 20));
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(t->account, kAlice);
  ThresholdWatch watch({});
  auto over = watch.check(
      {sample("a1", kAlice, 12, 40), sample("a2", kAlice, 12, 40), sample("b1", kBob, 100, 100)},
      {*t});
  ASSERT_EQ(over.size(), 1U);
  EXPECT_EQ(over[0].user_id, kAlice);
  EXPECT_DOUBLE_EQ(over[0].value, 24);
  EXPECT_EQ(over[0].threshold.id, "ab12");
  auto schema_doc = load(THRESHOLD_SCHEMA);
  rapidjson::SchemaDocument schema(schema_doc);
  rapidjson::SchemaValidator validator(schema);
  auto payload = parse_json(threshold_violation_json(over[0], over[0].period.end));
  EXPECT_TRUE(payload.Accept(validator)) << threshold_violation_json(over[0], over[0].period.end);
  EXPECT_EQ(std::string(payload["threshold_id"].GetString()), "ab12");
  EXPECT_EQ(std::string(payload["scope"].GetString()), "account");
}

TEST(Thresholds, AGranteesInstanceThresholdNotifiesTheGranteeNotTheOwner) {
  auto t = threshold_from(stored("cd34", kBob, "percent", 80, "a1"));
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  ThresholdWatch watch({});
  auto over = watch.check({sample("a1", kAlice, 9, 95)}, {*t});
  ASSERT_EQ(over.size(), 1U);
  EXPECT_EQ(over[0].user_id, kBob);
  EXPECT_EQ(over[0].instance_id, "a1");
}

TEST(Thresholds, ARemovedTenantThresholdIsForgottenAndRaisedAgainWhenReadded) {
  auto t = threshold_from(stored("ef56", kAlice, "percent", 80, "a1"));
  ASSERT_TRUE(t.is_ok());
  ThresholdWatch watch({});
  EXPECT_EQ(watch.check({sample("a1", kAlice, 9, 95, 0)}, {*t}).size(), 1U);
  EXPECT_TRUE(watch.check({sample("a1", kAlice, 9, 95, 1)}, {*t}).empty());
  EXPECT_TRUE(watch.check({sample("a1", kAlice, 9, 95, 2)}, {}).empty()) << "removed";
  EXPECT_EQ(watch.check({sample("a1", kAlice, 9, 95, 3)}, {*t}).size(), 1U) << "added again";
}

TEST(Thresholds, AnInstanceThatDidNotRunKeepsItsState) {
  ThresholdWatch watch(
      {threshold(R"({"name": "hot", "resource": "cpu", "kind": "percent", "limit": 80})")});
  EXPECT_EQ(watch.check({sample("a1", kAlice, 9, 95, 0)}).size(), 1U);
  EXPECT_TRUE(watch.check({sample("a2", kAlice, 1, 10, 1)}).empty());
  EXPECT_TRUE(watch.check({sample("a1", kAlice, 9, 95, 2)}).empty()) << "a1 was over all along";
}

TEST(Thresholds, AStoredThresholdNoSchemaAcceptsIsRefusedNamingIt) {
  auto t = threshold_from(stored("0f0f", kAlice, "percent", 150));
  EXPECT_EQ(t.status().code(), StatusCode::invalid);
  EXPECT_EQ(t.status().message(), "threshold 0f0f/limit: a percent limit is at most 100");
}

TEST(Thresholds, ViolationPayloadsMatchTheEventSchema) {
  auto schema_doc = load(THRESHOLD_SCHEMA);
  ASSERT_FALSE(schema_doc.HasParseError());
  rapidjson::SchemaDocument schema(schema_doc);
  ThresholdWatch watch(
      {threshold(R"({"name": "hot", "resource": "cpu", "kind": "percent", "limit": 80})"),
       threshold(R"({"name": "alice", "resource": "cpu", "kind": "absolute", "limit": 1,
                     "account": "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})")});
  auto over = watch.check({sample("a1", kAlice, 9, 95)});
  ASSERT_EQ(over.size(), 2U);
  for (const auto& v : over) {
    auto doc = parse_json(threshold_violation_json(v, v.period.end));
    EXPECT_FALSE(doc.HasMember("threshold_id")) << "configured, not a tenant's";
    rapidjson::SchemaValidator validator(schema);
    EXPECT_TRUE(doc.Accept(validator)) << threshold_violation_json(v, v.period.end);
    EXPECT_EQ(std::string(doc["user_id"].GetString()), kAlice);
    EXPECT_EQ(std::string(doc["period"]["start"].GetString()), "2027-01-15T08:00:00.000Z");
  }
  auto instance = parse_json(threshold_violation_json(over[0], over[0].period.end));
  EXPECT_EQ(std::string(instance["metric"].GetString()), "cpu_percent_avg");
  EXPECT_EQ(std::string(instance["instance_id"].GetString()), "a1");
  auto account = parse_json(threshold_violation_json(over[1], over[1].period.end));
  EXPECT_EQ(std::string(account["scope"].GetString()), "account");
  EXPECT_FALSE(account.HasMember("instance_id"));
}

}  // namespace
}  // namespace formation::metering_usage
