// One-time join tokens (host/mesh/join_token): what one node mints it verifies, and nothing
// else — not an altered token, not another node's, not garbage.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mesh/join_token.hpp"

namespace formation::host::mesh {
namespace {

const std::string kSecret(32, 's');

TEST(JoinToken, MintedTokensVerifyWithTheirClaims) {
  JoinTokens tokens(kSecret);
  const std::string token = tokens.mint("0123456789abcdef", "10.42.128.7");
  EXPECT_TRUE(token.starts_with("fjt1.0123456789abcdef.10.42.128.7."));
  auto claims = tokens.verify(token);
  ASSERT_TRUE(claims.is_ok()) << claims.status().to_string();
  EXPECT_EQ(claims->instance_id, "0123456789abcdef");
  EXPECT_EQ(claims->address, "10.42.128.7");
}

TEST(JoinToken, AlteredTokensAreRefused) {
  JoinTokens tokens(kSecret);
  const std::string token = tokens.mint("0123456789abcdef", "10.42.128.7");
  std::string flipped = token;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  std::string other_address = token;
  other_address.replace(other_address.find("128.7"), 5, "128.8");
  std::string other_instance = token;
  other_instance.replace(5, 1, "f");
  for (const auto& bad :
       {flipped, other_address, other_instance, token.substr(0, token.size() - 1)}) {
    auto claims = tokens.verify(bad);
    ASSERT_FALSE(claims.is_ok()) << bad;
    EXPECT_EQ(claims.status().code(), StatusCode::invalid);
    EXPECT_NE(claims.status().message().find("join_token"), std::string::npos);
  }
}

TEST(JoinToken, AnotherNodesSecretIsRefused) {
  JoinTokens mine(kSecret);
  JoinTokens theirs(std::string(32, 't'));
  EXPECT_FALSE(mine.verify(theirs.mint("0123456789abcdef", "10.42.128.7")).is_ok());
}

TEST(JoinToken, GarbageIsRefusedWithAReason) {
  JoinTokens tokens(kSecret);
  for (const std::string& bad :
       std::vector<std::string>{"", "fjt1.", "fjt1.abc", "fjt2.a.b.c", "hello", "fjt1...",
                                std::string(300, 'a'), "fjt1.a.b." + std::string(64, 'g')}) {
    auto claims = tokens.verify(bad);
    ASSERT_FALSE(claims.is_ok()) << bad;
    EXPECT_EQ(claims.status().code(), StatusCode::invalid) << bad;
    EXPECT_FALSE(claims.status().message().empty());
  }
}

TEST(JoinToken, TheSecretFileIsMadeOnceAt0600AndReusedAfter) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("join-token-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto file = dir / "mesh" / "join-token.key";
  auto first = JoinTokens::open(file);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(std::filesystem::file_size(file), 32U);
  auto again = JoinTokens::open(file);
  ASSERT_TRUE(again.is_ok());
  const std::string token = first->mint("ab", "10.42.128.9");
  EXPECT_TRUE(again->verify(token).is_ok());
  // A damaged file is reported, not silently replaced (the tokens in flight would die).
  std::ofstream(file, std::ios::trunc) << "short";
  auto damaged = JoinTokens::open(file);
  ASSERT_FALSE(damaged.is_ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::unavailable);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace formation::host::mesh
