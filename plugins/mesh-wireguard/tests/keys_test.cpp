// Keys against RFC 7748 §6.1's published X25519 vectors and against `wg pubkey` itself.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "keys.hpp"

namespace formation::mesh_wireguard {
namespace {

RawKey from_hex(const std::string& hex) {
  RawKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return key;
}

std::string shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");  // NOLINT(cert-env33-c): test harness
  if (pipe == nullptr) return out;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
  ::pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(Keys, Rfc7748Section61AliceAndBob) {
  auto alice =
      public_key_of(from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  ASSERT_TRUE(alice.is_ok());
  EXPECT_EQ(*alice, from_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
  auto bob =
      public_key_of(from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  ASSERT_TRUE(bob.is_ok());
  EXPECT_EQ(*bob, from_hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
}

TEST(Keys, Base64IsWhatWgPrintsAndRoundTrips) {
  const auto key = from_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  const auto text = base64_encode(key);
  EXPECT_EQ(text, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
  auto back = decode_key(text);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, key);
}

TEST(Keys, MatchesTheRealWgPubkey) {
  if (shell("command -v wg").empty()) GTEST_SKIP() << "wg (wireguard-tools) is not installed";
  for (int i = 0; i < 5; ++i) {
    auto priv = generate_private_key();
    ASSERT_TRUE(priv.is_ok());
    auto pub = public_key_of(*priv);
    ASSERT_TRUE(pub.is_ok());
    EXPECT_EQ(shell("echo '" + base64_encode(*priv) + "' | wg pubkey"), base64_encode(*pub));
  }
  // And a key `wg genkey` made is read the same way.
  const auto genkey = shell("wg genkey");
  auto parsed = decode_key(genkey);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().message();
  auto pub = public_key_of(*parsed);
  EXPECT_EQ(base64_encode(*pub), shell("echo '" + genkey + "' | wg pubkey"));
}

TEST(Keys, RefusesWhatIsNotAKey) {
  for (const std::string bad : {"", "abc", "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo",
                                "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo==",
                                "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066Spjqqb!mo=",
                                "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmoA",
                                "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp="}) {
    const auto st = validate_public_key(bad);
    EXPECT_EQ(st.code(), StatusCode::invalid) << bad;
    EXPECT_NE(st.message().find("public key"), std::string::npos) << st.message();
  }
  EXPECT_NE(validate_public_key("abc").message().find("44 characters"), std::string::npos);
}

TEST(Keys, PrivateKeyFileIsCreated0600AndReadBack) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mesh-keys-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto path = dir / "sub" / "private.key";
  auto created = load_or_create_private_key(path);
  ASSERT_TRUE(created.is_ok()) << created.status().message();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto again = load_or_create_private_key(path);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(*again, *created);
  std::ofstream(path) << "garbage\n";
  EXPECT_EQ(load_or_create_private_key(path).status().code(), StatusCode::invalid);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace formation::mesh_wireguard
