// The usage.sample payload: what the metering plugin publishes is read; garbage is refused
// with the field named.
#include <gtest/gtest.h>

#include <chrono>

#include "usage_event.hpp"

namespace formation::billing_credits {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSample = R"({"event_type": "usage.sample", "version": 1,
  "timestamp": "2026-12-07T07:00:30Z", "instance_id": "ab12", "user_id": "0xabc",
  "metrics": {"cpu_seconds": 1.5},
  "period": {"start": "2026-12-07T07:00:00Z", "end": "2026-12-07T07:00:30.250Z"}})";

TEST(UsageEvent, ASampleNamesItsInstanceAndPeriod) {
  auto s = parse_usage_sample(kSample);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->instance_id, "ab12");
  EXPECT_EQ(s->user_id, "0xabc");
  EXPECT_EQ(s->period.end - s->period.start, 30'250ms);
  EXPECT_EQ(format_rfc3339_utc(s->period.start), "2026-12-07T07:00:00.000Z");
}

TEST(UsageEvent, TimesRoundTrip) {
  auto t = parse_rfc3339_utc("2024-02-29T23:59:59.999Z");
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(format_rfc3339_utc(*t), "2024-02-29T23:59:59.999Z");
  EXPECT_TRUE(parse_rfc3339_utc("2024-02-29T23:59:59+00:00").is_ok());
}

TEST(UsageEvent, BadTimesAreRefused) {
  for (const char* bad :
       {"", "2023-02-29T00:00:00Z", "2026-12-07 07:00:00Z", "2026-12-07T25:00:00Z",
        "2026-12-07T07:00:00+01:00", "2026-12-07T07:00:00.Z", "2026-12-07T07:00:00"}) {
    EXPECT_FALSE(parse_rfc3339_utc(bad).is_ok()) << bad;
  }
}

TEST(UsageEvent, GarbageIsRefusedNamingTheField) {
  EXPECT_FALSE(parse_usage_sample("not json").is_ok());
  EXPECT_FALSE(parse_usage_sample("[]").is_ok());
  auto no_period = parse_usage_sample(R"({"event_type": "usage.sample", "instance_id": "ab12"})");
  ASSERT_FALSE(no_period.is_ok());
  EXPECT_NE(no_period.status().message().find("period"), std::string::npos);
  auto bad_start = parse_usage_sample(
      R"({"event_type": "usage.sample", "instance_id": "a",
          "period": {"start": "yesterday", "end": "2026-12-07T07:00:30Z"}})");
  ASSERT_FALSE(bad_start.is_ok());
  EXPECT_NE(bad_start.status().message().find("period.start"), std::string::npos);
  auto inverted = parse_usage_sample(
      R"({"event_type": "usage.sample", "instance_id": "a",
          "period": {"start": "2026-12-07T07:00:30Z", "end": "2026-12-07T07:00:00Z"}})");
  EXPECT_FALSE(inverted.is_ok());
}

}  // namespace
}  // namespace formation::billing_credits
