// build_id against SHA3-256 computed independently (Python's hashlib.sha3_256) for the
// seed network's definition: hex(SHA3-256(owner address as 20 raw bytes || NAME)).
#include <gtest/gtest.h>

#include "build_id.hpp"

using formation::formfile::build_id;

TEST(BuildId, ZeroAddressAndEmptyNameIsSha3OfTwentyZeroBytes) {
  auto id = build_id("0x0000000000000000000000000000000000000000", "");
  ASSERT_TRUE(id.is_ok()) << id.status().to_string();
  EXPECT_EQ(*id, "f3683c9e3da9a7f90397767215345efe3be07565f14ab80d102f50644b98fbfa");
}

TEST(BuildId, AddressCaseDoesNotMatterAndNameDoes) {
  auto mixed = build_id("0x8ba1f109551bD432803012645Ac136ddd64DBA72", "hello-server");
  auto lower = build_id("0x8ba1f109551bd432803012645ac136ddd64dba72", "hello-server");
  ASSERT_TRUE(mixed.is_ok());
  ASSERT_TRUE(lower.is_ok());
  EXPECT_EQ(*mixed, "f573d014e162770d356368e820e338327538fd175d0871d801a698baa0d439f6");
  EXPECT_EQ(*mixed, *lower);
  EXPECT_NE(*build_id("0x8ba1f109551bd432803012645ac136ddd64dba72", "hello-server2"), *lower);
}

TEST(BuildId, RefusesWhatIsNotAnAddress) {
  EXPECT_EQ(build_id("8ba1f109551bd432803012645ac136ddd64dba72", "x").status().code(),
            formation::StatusCode::invalid);
  EXPECT_EQ(build_id("0x8ba1f109551bd432803012645ac136ddd64dba7g", "x").status().code(),
            formation::StatusCode::invalid);
  EXPECT_EQ(build_id("0x1234", "x").status().code(), formation::StatusCode::invalid);
}
