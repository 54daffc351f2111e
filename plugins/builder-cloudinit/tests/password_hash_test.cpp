#include "password_hash.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

namespace formation::cloudinit {
namespace {

TEST(PasswordHash, Sha512CryptWith4096RoundsAndA16CharSalt) {
  auto hash = hash_password("webpass123");
  ASSERT_TRUE(hash.is_ok()) << hash.status().to_string();
  ASSERT_TRUE(hash->starts_with(kHashPrefix)) << *hash;
  auto salt_end = hash->find('$', kHashPrefix.size());
  ASSERT_NE(salt_end, std::string::npos);
  auto salt = hash->substr(kHashPrefix.size(), salt_end - kHashPrefix.size());
  EXPECT_EQ(salt.size(), kSaltLength) << *hash;
  EXPECT_EQ(
      salt.find_first_not_of("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
      std::string::npos);
  EXPECT_EQ(std::string(crypt("webpass123", hash->c_str())), *hash);
  EXPECT_NE(std::string(crypt("webpass124", hash->c_str())), *hash);
}

TEST(PasswordHash, FreshSaltEachTime) {
  auto a = hash_password("same");
  auto b = hash_password("same");
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_NE(*a, *b);
}

TEST(PasswordHash, HostileBytesAreJustBytes) {
  std::string password = "p$a'ss\"w\\o`rd:$(x)";
  auto hash = hash_password(password);
  ASSERT_TRUE(hash.is_ok());
  EXPECT_EQ(std::string(crypt(password.c_str(), hash->c_str())), *hash);
}

}  // namespace
}  // namespace formation::cloudinit
