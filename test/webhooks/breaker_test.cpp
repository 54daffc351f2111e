// The circuit breaker's states and the retry schedule, on a clock the test moves.
#include <gtest/gtest.h>

#include <random>

#include "webhooks/breaker.hpp"
#include "webhooks/delivery_keys.hpp"
#include "webhooks/retry_policy.hpp"

namespace formation::host::webhooks {
namespace {

using namespace std::chrono_literals;
using State = CircuitBreakers::State;

TEST(CircuitBreaker, OpensAfterThresholdProbesAfterCoolDownAndClosesOnSuccess) {
  CircuitBreakers b(3, 10s);
  const auto t0 = CircuitBreakers::Clock::now();
  const std::string e = "127.0.0.1:1";
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(b.check(e, t0));
    b.record_failure(e, t0);
  }
  EXPECT_EQ(b.state(e, t0), State::closed);
  b.record_failure(e, t0);
  EXPECT_EQ(b.state(e, t0), State::open);
  auto wait = b.check(e, t0 + 4s);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 6s);
  // Other endpoints are not affected.
  EXPECT_FALSE(b.check("127.0.0.1:2", t0));
  // After the cool-down one probe goes; the others wait.
  EXPECT_FALSE(b.check(e, t0 + 10s));
  EXPECT_TRUE(b.check(e, t0 + 10s));
  EXPECT_EQ(b.state(e, t0 + 10s), State::half_open);
  // A failed probe opens it again for a whole cool-down.
  b.record_failure(e, t0 + 11s);
  EXPECT_EQ(b.state(e, t0 + 12s), State::open);
  EXPECT_FALSE(b.check(e, t0 + 21s));
  b.record_success(e);
  EXPECT_EQ(b.state(e, t0 + 21s), State::closed);
  EXPECT_FALSE(b.check(e, t0 + 21s));
}

TEST(RetryPolicy, DoublesWithJitterUpToTheCap) {
  RetryPolicy p;
  p.base = 1000ms;
  p.cap = 60s;
  std::mt19937_64 rng(7);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    const auto full = std::min<std::int64_t>(1000LL << (attempt - 1), 60000);
    for (int i = 0; i < 50; ++i) {
      const auto d = p.delay(attempt, rng).count();
      EXPECT_GE(d, full / 2) << attempt;
      EXPECT_LE(d, full) << attempt;
    }
  }
}

TEST(DeliveryKeys, SignatureIsHmacSha256HexAndKeysAreDeterministic) {
  // RFC 4231 test case 2.
  EXPECT_EQ(sign_body("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  Event a{
      "usage.sample",
      R"({"instance_id":"i1","user_id":"0xab","period":{"start":"2026-01-01T00:00:00Z"},"metrics":{"cpu_seconds":1}})",
      "m"};
  Event again = a;
  again.payload_json =
      R"({"instance_id":"i1","user_id":"0xab","period":{"start":"2026-01-01T00:00:00Z"},"metrics":{"cpu_seconds":2}})";
  Event later = a;
  later.payload_json = R"({"instance_id":"i1","period":{"start":"2026-01-01T00:00:30Z"}})";
  EXPECT_EQ(idempotency_key("w1", a), idempotency_key("w1", again));
  EXPECT_NE(idempotency_key("w1", a), idempotency_key("w2", a));
  EXPECT_NE(idempotency_key("w1", a), idempotency_key("w1", later));
  EXPECT_EQ(idempotency_key("w1", a).size(), 64U);
}

TEST(DeliveryKeys, ThresholdKeysTellThresholdsAndAccountsApart) {
  const auto violation = [](const std::string& threshold, const std::string& user,
                            const std::string& timestamp) {
    return Event{"threshold.violation",
                 R"({"threshold":")" + threshold + R"(","resource":"cpu","user_id":")" + user +
                     R"(","timestamp":")" + timestamp +
                     R"(","period":{"start":"2026-01-01T00:00:00Z"}})",
                 "m"};
  };
  const auto a = violation("hot", "0xaa", "2026-01-01T00:00:30Z");
  // The same crossing published again (a later timestamp) is the same delivery.
  EXPECT_EQ(idempotency_key("w1", a), idempotency_key("w1", violation("hot", "0xaa", "x")));
  EXPECT_NE(idempotency_key("w1", a), idempotency_key("w1", violation("cap", "0xaa", "x")));
  EXPECT_NE(idempotency_key("w1", a), idempotency_key("w1", violation("hot", "0xbb", "x")));
}

}  // namespace
}  // namespace formation::host::webhooks
