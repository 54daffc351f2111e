// RequestVerifier: a valid request passes (and the router sets the caller), every failure
// answers its own code.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "http/router.hpp"
#include "identity/request_verifier.hpp"
#include "identity/signing.hpp"

namespace {

using namespace formation;
using namespace formation::identity;
using std::chrono::seconds;
using std::chrono::system_clock;

const char* const kKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const char* const kAddressLower = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";
constexpr std::int64_t kNow = 1'700'000'000;

class InMemoryNonceStoreForTests final : public NonceStore {
 public:
  Result<bool> remember(const std::string& address, const std::string& nonce,
                        system_clock::time_point expires_at) override {
    std::lock_guard lock(mutex_);
    if (fail) return Status::unavailable("database is down");
    last_expiry = expires_at;
    return seen_.insert({address, nonce}).second;
  }
  bool fail = false;
  system_clock::time_point last_expiry{};

 private:
  std::mutex mutex_;
  std::set<std::pair<std::string, std::string>> seen_;
};

HttpRequest signed_request(const std::string& method, const std::string& target,
                           const std::string& body, std::int64_t timestamp,
                           const std::string& nonce, const char* key_hex = kKey) {
  HttpRequest r;
  r.method = method;
  r.target = target;
  r.path = target.substr(0, target.find('?'));
  r.body = body;
  const auto key = *parse_private_key(key_hex);
  const std::string ts = std::to_string(timestamp);
  const auto sig = *sign_personal(key, canonical_request_text(method, target, ts, nonce, body));
  r.headers[kAddressHeader] = *checksum_address(*address_from_private_key(key));
  r.headers[kTimestampHeader] = ts;
  r.headers[kNonceHeader] = nonce;
  r.headers[kSignatureHeader] = "0x" + to_hex(sig);
  return r;
}

class VerifierTest : public ::testing::Test {
 protected:
  std::shared_ptr<InMemoryNonceStoreForTests> nonces =
      std::make_shared<InMemoryNonceStoreForTests>();
  RequestVerifier verifier{
      VerifierOptions{seconds(300), [] { return system_clock::time_point(seconds(kNow)); }},
      nonces};

  std::string code_of(const HttpRequest& r) {
    auto result = verifier.verify(r);
    if (std::holds_alternative<std::string>(result)) return "ok";
    return std::get<host::ApiError>(result).code;
  }
  host::ApiError error_of(const HttpRequest& r) {
    auto result = verifier.verify(r);
    EXPECT_TRUE(std::holds_alternative<host::ApiError>(result));
    return std::holds_alternative<host::ApiError>(result) ? std::get<host::ApiError>(result)
                                                          : host::ApiError{};
  }
};

TEST_F(VerifierTest, ValidRequestIsAccepted) {
  auto r = signed_request("POST", "/v1/accounts?x=1", R"({"name":"a"})", kNow,
                          "0123456789abcdef0123456789abcdef");
  auto result = verifier.verify(r);
  ASSERT_TRUE(std::holds_alternative<std::string>(result))
      << std::get<host::ApiError>(result).message;
  EXPECT_EQ(std::get<std::string>(result), kAddressLower);
  EXPECT_EQ(nonces->last_expiry, system_clock::time_point(seconds(kNow + 301)));
}

TEST_F(VerifierTest, RouterSetsTheCaller) {
  host::Router router;
  router.set_authenticator([this](const HttpRequest& r) { return verifier.verify(r); });
  Route route;
  route.method = "GET";
  route.pattern = "/v1/accounts/{address}";
  route.handler = [](const HttpRequest&) -> Result<HttpResponse> {
    return HttpResponse::json(200, "{}");
  };
  auto r = signed_request("GET", "/v1/accounts/abc", "", kNow, "aaaaaaaaaaaaaaaa");
  EXPECT_FALSE(router.authenticate(route, r).has_value());
  ASSERT_TRUE(r.caller.has_value());
  EXPECT_EQ(*r.caller, kAddressLower);

  auto unsigned_request = r;
  unsigned_request.headers.clear();
  unsigned_request.caller.reset();
  auto error = router.authenticate(route, unsigned_request);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->http_status, 401);
  EXPECT_EQ(error->code, "signature_missing");
}

TEST_F(VerifierTest, MissingHeadersAreNamed) {
  const std::map<std::string, std::string> names = {{kAddressHeader, "X-Formation-Address"},
                                                    {kTimestampHeader, "X-Formation-Timestamp"},
                                                    {kNonceHeader, "X-Formation-Nonce"},
                                                    {kSignatureHeader, "X-Formation-Signature"}};
  for (const auto& [header, name] : names) {
    auto r = signed_request("GET", "/v1/x", "", kNow, "0123456789abcdef");
    r.headers.erase(header);
    auto e = error_of(r);
    EXPECT_EQ(e.http_status, 401);
    EXPECT_EQ(e.code, "signature_missing");
    EXPECT_NE(e.message.find(name), std::string::npos) << e.message;
    for (const auto& [other_header, other] : names)
      if (other != name) {
        EXPECT_EQ(e.message.find(other), std::string::npos) << e.message;
      }
  }
  HttpRequest bare;
  bare.method = "GET";
  bare.target = "/v1/x";
  EXPECT_NE(error_of(bare).message.find("X-Formation-Signature"), std::string::npos);
}

TEST_F(VerifierTest, MalformedHeaders) {
  const auto base = signed_request("GET", "/v1/x", "", kNow, "0123456789abcdef");
  auto with = [&](const char* header, std::string value) {
    auto r = base;
    r.headers[header] = std::move(value);
    return code_of(r);
  };
  EXPECT_EQ(with(kAddressHeader, "0x1234"), "signature_malformed");
  EXPECT_EQ(with(kAddressHeader, "2c7536e3605d9c16a7a3d7b1898e529396a65c2300"),
            "signature_malformed");
  EXPECT_EQ(with(kAddressHeader, "0x2c7536e3605d9c16a7a3d7b1898e529396a65cZZ"),
            "signature_malformed");
  EXPECT_EQ(with(kTimestampHeader, "-1700000000"), "signature_malformed");
  EXPECT_EQ(with(kTimestampHeader, "17e8"), "signature_malformed");
  EXPECT_EQ(with(kTimestampHeader, "99999999999999999999999"), "signature_malformed");
  EXPECT_EQ(with(kNonceHeader, "0123456789abcde"), "signature_malformed");  // 15
  EXPECT_EQ(with(kNonceHeader, std::string(65, 'a')), "signature_malformed");
  EXPECT_EQ(with(kNonceHeader, "0123456789abcdeg"), "signature_malformed");
  const std::string sig = base.headers.at(kSignatureHeader);
  EXPECT_EQ(with(kSignatureHeader, sig.substr(2)), "signature_malformed");
  EXPECT_EQ(with(kSignatureHeader, sig.substr(0, 130)), "signature_malformed");
  EXPECT_EQ(with(kSignatureHeader, sig + "00"), "signature_malformed");
  EXPECT_EQ(with(kSignatureHeader, sig.substr(0, 131) + "x"), "signature_malformed");
  EXPECT_EQ(with(kSignatureHeader, sig.substr(0, 130) + "1d"), "signature_malformed");  // v=29
  EXPECT_EQ(with(kSignatureHeader, "0x" + std::string(130, '0')), "signature_malformed");
}

TEST_F(VerifierTest, HighSIsRejected) {
  auto r = signed_request("GET", "/v1/x", "", kNow, "0123456789abcdef");
  auto sig = *from_hex(r.headers[kSignatureHeader]);
  // s' = n - s, and the recovery id flips: the same signer, but malleated.
  const auto n = *from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[i] - sig[32 + i] - borrow;
    borrow = d < 0 ? 1 : 0;
    sig[32 + i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  sig[64] = sig[64] == 27 ? 28 : 27;
  r.headers[kSignatureHeader] = "0x" + to_hex(sig);
  auto e = error_of(r);
  EXPECT_EQ(e.code, "signature_malformed");
  EXPECT_NE(e.message.find("high-s"), std::string::npos) << e.message;
}

TEST_F(VerifierTest, TimestampSkewBothWays) {
  EXPECT_EQ(code_of(signed_request("GET", "/v1/x", "", kNow + 300, "1111111111111111")), "ok");
  EXPECT_EQ(code_of(signed_request("GET", "/v1/x", "", kNow - 300, "2222222222222222")), "ok");
  auto future = error_of(signed_request("GET", "/v1/x", "", kNow + 301, "3333333333333333"));
  EXPECT_EQ(future.code, "timestamp_skew");
  EXPECT_EQ(future.http_status, 401);
  EXPECT_NE(future.message.find(std::to_string(kNow)), std::string::npos) << future.message;
  EXPECT_NE(future.message.find("300 s"), std::string::npos) << future.message;
  EXPECT_EQ(code_of(signed_request("GET", "/v1/x", "", kNow - 301, "4444444444444444")),
            "timestamp_skew");
  EXPECT_EQ(code_of(signed_request("GET", "/v1/x", "", 0, "5555555555555555")), "timestamp_skew");
}

TEST_F(VerifierTest, WrongAddressOrTamperedRequest) {
  auto r = signed_request("GET", "/v1/x", "", kNow, "0123456789abcdef");
  r.headers[kAddressHeader] = "0x0000000000000000000000000000000000000001";
  EXPECT_EQ(code_of(r), "address_mismatch");

  auto tampered = signed_request("POST", "/v1/x", "{}", kNow, "0123456789abcdef");
  tampered.body = "{\"a\":1}";
  EXPECT_EQ(code_of(tampered), "address_mismatch");
  auto other_target = signed_request("GET", "/v1/x?a=1", "", kNow, "0123456789abcdef");
  other_target.target = "/v1/x?a=2";
  EXPECT_EQ(code_of(other_target), "address_mismatch");
}

TEST_F(VerifierTest, AddressComparesCaseInsensitively) {
  auto r = signed_request("GET", "/v1/x", "", kNow, "0123456789abcdef");
  r.headers[kAddressHeader] = "0x2C7536E3605D9C16A7A3D7B1898E529396A65C23";
  EXPECT_EQ(code_of(r), "ok");
}

TEST_F(VerifierTest, ReplayedNonceIsRefused) {
  auto r = signed_request("GET", "/v1/x", "", kNow, "abcdefabcdefabcdef");
  EXPECT_EQ(code_of(r), "ok");
  auto e = error_of(r);
  EXPECT_EQ(e.code, "nonce_reused");
  EXPECT_EQ(e.http_status, 401);
  // The same nonce from another signer is fine.
  auto other = signed_request("GET", "/v1/x", "", kNow, "abcdefabcdefabcdef",
                              "0000000000000000000000000000000000000000000000000000000000000001");
  EXPECT_EQ(code_of(other), "ok");
}

TEST_F(VerifierTest, BadSignatureDoesNotBurnTheNonce) {
  auto r = signed_request("GET", "/v1/x", "", kNow, "abcdefabcdefabcdef");
  auto wrong = r;
  wrong.headers[kAddressHeader] = "0x0000000000000000000000000000000000000001";
  EXPECT_EQ(code_of(wrong), "address_mismatch");
  EXPECT_EQ(code_of(r), "ok");
}

TEST_F(VerifierTest, VZeroOrOneIsAccepted) {
  for (const char* nonce : {"aaaaaaaaaaaaaaaa01", "bbbbbbbbbbbbbbbb02", "cccccccccccccccc03"}) {
    auto r = signed_request("GET", "/v1/x", "", kNow, nonce);
    auto sig = *from_hex(r.headers[kSignatureHeader]);
    sig[64] = static_cast<std::uint8_t>(sig[64] - 27);
    r.headers[kSignatureHeader] = "0x" + to_hex(sig);
    EXPECT_EQ(code_of(r), "ok");
  }
}

TEST_F(VerifierTest, NonceStoreFailureIs503) {
  nonces->fail = true;
  auto e = error_of(signed_request("GET", "/v1/x", "", kNow, "0123456789abcdef"));
  EXPECT_EQ(e.http_status, 503);
  EXPECT_EQ(e.code, "unavailable");
}

}  // namespace
