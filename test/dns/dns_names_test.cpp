// host/dns/dns_names: what names Formation accepts and how it compares them. The limits are
// RFC 1035's (labels of 63 bytes, names of 253 in presentation form); the challenge tokens
// were computed outside this code (see ChallengeTokenMatchesAnIndependentSha256).
#include <gtest/gtest.h>

#include <string>

#include "dns_names.hpp"

namespace formation::dns {
namespace {

std::string label(std::size_t bytes, char c = 'a') { return std::string(bytes, c); }

// A name of exactly `bytes` bytes made of 63-byte labels and a shorter last one.
std::string name_of(std::size_t bytes) {
  std::string name;
  while (bytes - name.size() > 64) name += label(63) + ".";
  name += label(bytes - name.size(), 'b');
  return name;
}

TEST(DnsNames, NormaliseLowersCaseAndDropsOneTrailingDot) {
  EXPECT_EQ(*normalise_name("Web.Example.ORG."), "web.example.org");
  EXPECT_EQ(*normalise_name("web.example.org"), "web.example.org");
  EXPECT_EQ(*normalise_name("_dmarc.Example.org"), "_dmarc.example.org");
  EXPECT_EQ(*normalise_name("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(*normalise_name("a"), "a");
}

TEST(DnsNames, LabelsOf63BytesPassAnd64Fail) {
  EXPECT_TRUE(normalise_name(label(63) + ".org").is_ok());
  auto r = normalise_name(label(64) + ".org");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::invalid);
  EXPECT_NE(r.status().message().find("64 bytes"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("63"), std::string::npos) << r.status().message();
}

TEST(DnsNames, NamesOf253BytesPassAnd254Fail) {
  ASSERT_EQ(name_of(253).size(), 253u);
  EXPECT_TRUE(normalise_name(name_of(253)).is_ok());
  // The trailing dot is not counted: 253 bytes and a dot is still fine.
  EXPECT_TRUE(normalise_name(name_of(253) + ".").is_ok());
  auto r = normalise_name(name_of(254));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("254 bytes"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("253"), std::string::npos) << r.status().message();
}

TEST(DnsNames, EmptyLabelsAndTheRootAreRefused) {
  for (const char* bad : {"", ".", "a..b", ".a.b", "a.b..", "..", "a. .b"}) {
    auto r = normalise_name(bad);
    EXPECT_FALSE(r.is_ok()) << "'" << bad << "' was accepted";
    if (!r.is_ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::invalid);
    }
  }
  EXPECT_NE(normalise_name("a..b").status().message().find("empty label"), std::string::npos);
}

TEST(DnsNames, CharactersOutsideLettersDigitsHyphenUnderscoreAreRefused) {
  for (const char* bad : {"we b.org", "a*b.org", "a/b.org", "caf\xc3\xa9.org", "a@b.org",
                          "a\tb.org", "-a.org", "a-.org"}) {
    auto r = normalise_name(bad);
    EXPECT_FALSE(r.is_ok()) << "'" << bad << "' was accepted";
  }
  // A NUL inside the name is a character like any other: refused, not a terminator.
  EXPECT_FALSE(normalise_name(std::string("a\0b.org", 7)).is_ok());
  // Messages show control bytes as '?', never raw.
  auto r = normalise_name("a\x01z.org");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("a?z"), std::string::npos) << r.status().message();
}

TEST(DnsNames, ZonesParentsAndLabelCounts) {
  EXPECT_TRUE(is_at_or_under("a.b.c", "b.c"));
  EXPECT_TRUE(is_at_or_under("b.c", "b.c"));
  EXPECT_FALSE(is_at_or_under("ab.c", "b.c"));
  EXPECT_FALSE(is_at_or_under("c", "b.c"));
  EXPECT_EQ(parent_of("a.b.c"), "b.c");
  EXPECT_EQ(parent_of("c"), "");
  EXPECT_EQ(label_count("a.b.c"), 3u);
  EXPECT_EQ(label_count("c"), 1u);
  EXPECT_EQ(label_count(""), 0u);
}

TEST(DnsNames, LabelFromFreeText) {
  EXPECT_EQ(label_from("My Web_Server!!"), "my-web-server");
  EXPECT_EQ(label_from("web"), "web");
  EXPECT_EQ(label_from("a  b"), "a-b");
  EXPECT_EQ(label_from("--a--"), "a");
  // Non-ASCII bytes are "other characters"; a leading run of them leaves nothing behind.
  EXPECT_EQ(label_from("\xc3\x84"
                       "BC"),
            "bc");
  EXPECT_EQ(label_from(""), "instance");
  EXPECT_EQ(label_from("---"), "instance");
  EXPECT_EQ(label_from(label(70)), label(63));
  // Cut at 63 bytes, and a '-' left at the cut is trimmed.
  EXPECT_EQ(label_from(label(62) + " b"), label(62));
  // Whatever it gives is a valid label.
  EXPECT_TRUE(normalise_name(label_from("  Über  Größe  ") + ".org").is_ok());
}

TEST(DnsNames, ChallengeName) {
  EXPECT_EQ(challenge_name("example.org"), "_formation-challenge.example.org");
}

// Computed with Python's hashlib (and the first one again with `openssl dgst -sha256`):
//   hashlib.sha256(("formation-challenge\n" + owner + "\n" + fqdn).encode()).hexdigest()[:32]
TEST(DnsNames, ChallengeTokenMatchesAnIndependentSha256) {
  const std::string owner = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
  EXPECT_EQ(challenge_token(owner, "example.org"), "b13ecae24dad04b715e1b98cbae38119");
  EXPECT_EQ(challenge_token(owner, "www.example.org"), "010980195232c5c32262523cc443020f");
  EXPECT_EQ(challenge_token("0x0000000000000000000000000000000000000001", "example.org"),
            "75b826796537ce07fa96cdb8dca0ce7a");
}

}  // namespace
}  // namespace formation::dns
