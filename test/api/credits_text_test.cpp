// Credits as the API writes them for people and clients: six decimals, a sign only when
// negative, exact for every int64 (no float on the way).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "api/billing_routes.hpp"

namespace formation::host::api {
namespace {

TEST(CreditsText, SixDecimalsAndASignOnlyWhenNegative) {
  EXPECT_EQ(credits_text(0), "0.000000");
  EXPECT_EQ(credits_text(1), "0.000001");
  EXPECT_EQ(credits_text(12'500'000), "12.500000");
  EXPECT_EQ(credits_text(1'000'000), "1.000000");
  EXPECT_EQ(credits_text(-20), "-0.000020");
  EXPECT_EQ(credits_text(-36'000), "-0.036000");
  EXPECT_EQ(credits_text(-1'000'000), "-1.000000");
}

TEST(CreditsText, TheExtremesAreExact) {
  EXPECT_EQ(credits_text(std::numeric_limits<std::int64_t>::max()), "9223372036854.775807");
  EXPECT_EQ(credits_text(std::numeric_limits<std::int64_t>::min()), "-9223372036854.775808");
}

}  // namespace
}  // namespace formation::host::api
