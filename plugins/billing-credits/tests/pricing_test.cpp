// Prices: the table applied to one record, rounded once; credits written for people.
#include <gtest/gtest.h>

#include <chrono>

#include "pricing.hpp"

namespace formation::billing_credits {
namespace {

using namespace std::chrono_literals;

UsageRecord record(std::chrono::milliseconds length) {
  UsageRecord r;
  r.instance_id = "i1";
  r.owner = "0x" + std::string(40, 'a');
  r.period.start = TimePoint(1'700'000'000s);
  r.period.end = r.period.start + length;
  return r;
}

TEST(Pricing, EachResourceIsPricedPerSecondOrPerGigabyte) {
  const Prices prices{10, 2, 1, 10000};
  auto r = record(30s);
  r.vcpus = 2;                           // 2 * 30 * 10 = 600
  r.memory_mb = 2048;                    // 2 GB * 30 * 2 = 120
  r.storage_gb = 10;                     // 10 * 30 * 1 = 300
  r.network_egress_bytes = 500'000'000;  // 0.5 GB * 10000 = 5000
  auto price = price_of(r, prices);
  ASSERT_TRUE(price.is_ok());
  EXPECT_EQ(*price, 600 + 120 + 300 + 5000);
}

TEST(Pricing, FractionsAreRoundedOnceOnTheSum) {
  const Prices prices{0, 1, 0, 0};
  auto r = record(1s);
  r.memory_mb = 512 + 256;  // 0.75 micro-credits: rounds to 1, never 0 + 0
  EXPECT_EQ(*price_of(r, prices), 1);
  r.memory_mb = 256;  // 0.25 -> 0
  EXPECT_EQ(*price_of(r, prices), 0);
}

TEST(Pricing, TheSameRecordAlwaysCostsTheSame) {
  const Prices prices{13, 7, 3, 12345};
  auto r = record(29'997ms);
  r.vcpus = 3;
  r.memory_mb = 3000;
  r.storage_gb = 12.5;
  r.network_egress_bytes = 123'456'789;
  const auto first = *price_of(r, prices);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(*price_of(r, prices), first);
}

TEST(Pricing, AnEmptyOrInvertedPeriodIsInvalid) {
  EXPECT_EQ(price_of(record(0ms), Prices{}).status().code(), StatusCode::invalid);
  EXPECT_EQ(price_of(record(-5s), Prices{}).status().code(), StatusCode::invalid);
}

TEST(Pricing, NegativeQuantitiesAreInvalid) {
  auto r = record(1s);
  r.vcpus = -1;
  EXPECT_EQ(price_of(r, Prices{}).status().code(), StatusCode::invalid);
}

TEST(Credits, AreWrittenInCreditsWithoutTrailingZeros) {
  EXPECT_EQ(format_credits(0), "0 credits");
  EXPECT_EQ(format_credits(1'500'000), "1.5 credits");
  EXPECT_EQ(format_credits(-20), "-0.00002 credits");
  EXPECT_EQ(format_credits(7'000'000), "7 credits");
}

}  // namespace
}  // namespace formation::billing_credits
