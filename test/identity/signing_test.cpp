// The signing contract (DESIGN.md §5) against published vectors.
#include <gtest/gtest.h>

#include <string>

#include "identity/signing.hpp"

namespace {

using namespace formation::identity;

const char* const kKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const char* const kAddress = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

TEST(Keccak256, EmptyString) {
  EXPECT_EQ(to_hex(keccak256(std::string_view(""))),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, Abc) {
  EXPECT_EQ(to_hex(keccak256(std::string_view("abc"))),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

// 200 bytes of 0xa3 (the Keccak team's "200 x 0xa3" message): crosses the 136-byte rate.
// The permutation and sponge were also checked against OpenSSL's SHA3-256 (same sponge,
// padding 0x06) for every length 0..600.
TEST(Keccak256, TwoHundredBytesCrossesTheRate) {
  const std::string input(200, '\xa3');
  EXPECT_EQ(to_hex(keccak256(std::string_view(input))),
            "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a");
}

TEST(Keccak256, ExactlyOneRate) {
  // 135 and 136 bytes: the padding byte lands in the last lane, or a whole block is added.
  const std::string a(135, 'a');
  const std::string b(136, 'a');
  EXPECT_NE(to_hex(keccak256(std::string_view(a))), to_hex(keccak256(std::string_view(b))));
  EXPECT_EQ(to_hex(keccak256(std::string_view(a))).size(), 64u);
}

TEST(Eip191, HashOfHelloWorld) {
  // ethers.hashMessage("Hello World")
  EXPECT_EQ(to_hex(eip191_hash("Hello World")),
            "a1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2");
}

TEST(Hex, RoundTripAndRejects) {
  auto bytes = from_hex("0x00ff10Ab");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(to_hex(*bytes), "00ff10ab");
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_TRUE(from_hex("")->empty());
}

TEST(Address, WellKnownKeyEip55) {
  auto key = parse_private_key(kKey);
  ASSERT_TRUE(key.is_ok()) << key.status().to_string();
  auto address = address_from_private_key(*key);
  ASSERT_TRUE(address.is_ok());
  EXPECT_EQ(*address, "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  EXPECT_EQ(*checksum_address(*address), kAddress);
}

TEST(Address, Eip55SpecVectors) {
  for (const char* a :
       {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    EXPECT_EQ(*checksum_address(a), a);
  }
  EXPECT_FALSE(checksum_address("0x1234").is_ok());
}

TEST(PrivateKey, RejectsInvalid) {
  EXPECT_FALSE(parse_private_key("00").is_ok());
  EXPECT_FALSE(parse_private_key(std::string(64, '0')).is_ok());  // zero
  // n itself is not a key.
  EXPECT_FALSE(parse_private_key("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
                   .is_ok());
}

// web3.js / ethers docs: the well-known key signing "Some data".
TEST(PersonalSign, SomeDataVector) {
  auto key = parse_private_key(kKey);
  ASSERT_TRUE(key.is_ok());
  auto signature = sign_personal(*key, "Some data");
  ASSERT_TRUE(signature.is_ok());
  EXPECT_EQ("0x" + to_hex(*signature),
            "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b"
            "800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c");
  auto recovered = recover_address("Some data", *signature);
  ASSERT_TRUE(recovered.is_ok());
  EXPECT_EQ(*checksum_address(*recovered), kAddress);
}

TEST(PersonalSign, RecoverAcceptsV01AndRejectsOthers) {
  auto key = parse_private_key(kKey);
  auto signature = *sign_personal(*key, "hello");
  Signature v01 = signature;
  v01[64] = static_cast<std::uint8_t>(signature[64] - 27);
  EXPECT_EQ(*recover_address("hello", v01), "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  for (int bad : {2, 26, 29, 255}) {
    Signature s = signature;
    s[64] = static_cast<std::uint8_t>(bad);
    EXPECT_FALSE(recover_address("hello", s).is_ok()) << bad;
  }
}

TEST(PersonalSign, RecoverRejectsZeroAndOverflow) {
  Signature zero{};
  zero[64] = 27;
  EXPECT_FALSE(recover_address("x", zero).is_ok());
  Signature ff{};
  ff.fill(0xff);
  ff[64] = 27;
  EXPECT_FALSE(recover_address("x", ff).is_ok());
}

TEST(CanonicalText, GetWithEmptyBody) {
  EXPECT_EQ(canonical_request_text("GET", "/v1/accounts/0xabc?limit=2", "1700000000",
                                   "0123456789abcdef", ""),
            "formation-request-v1\nGET\n/v1/accounts/0xabc?limit=2\n1700000000\n"
            "0123456789abcdef\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CanonicalText, PostWithBody) {
  // sha256("{\"name\":\"alice\"}")
  const std::string text =
      canonical_request_text("POST", "/v1/accounts", "1700000000",
                             "00112233445566778899aabbccddeeff", R"({"name":"alice"})");
  EXPECT_EQ(text,
            "formation-request-v1\nPOST\n/v1/accounts\n1700000000\n"
            "00112233445566778899aabbccddeeff\n" +
                to_hex(sha256(R"({"name":"alice"})")));
  EXPECT_EQ(text.back() == '\n', false);
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
