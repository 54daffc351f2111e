// Fuzz target for signed-request verification (DESIGN.md §5): arbitrary values of the four
// X-Formation-* headers, method, target and body through RequestVerifier::verify (hex and
// decimal parsing, the skew window, secp256k1 recovery, the nonce store). Must never crash
// and must always answer either an address or a 401/503 with one of the documented codes.
//
// Input: one flag byte, then "method\ntarget\naddress\ntimestamp\nnonce\nsignature\nbody".
// Flag bit 0 replaces the signature with a valid one over the fuzzed fields (so the
// fuzzer reaches recovery and the nonce store), bit 1 then flips one of its bytes, bit 2
// claims the signer's real address. An empty field leaves its header out.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "identity/request_verifier.hpp"
#include "identity/signing.hpp"

namespace {

using namespace formation;
using namespace formation::identity;

constexpr std::int64_t kNow = 1'700'000'000;

class FuzzNonces final : public NonceStore {
 public:
  Result<bool> remember(const std::string& address, const std::string& nonce,
                        std::chrono::system_clock::time_point) override {
    if (seen_.size() > 10000) seen_.clear();
    if (nonce.size() % 7 == 3 && nonce.front() == 'f') return Status::unavailable("down");
    return seen_.insert({address, nonce}).second;
  }

 private:
  std::set<std::pair<std::string, std::string>> seen_;
};

const RequestVerifier& verifier() {
  static const RequestVerifier* v = new RequestVerifier(
      VerifierOptions{
          std::chrono::seconds(300),
          [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kNow)); }},
      std::make_shared<FuzzNonces>());
  return *v;
}

const PrivateKey& key() {
  static const PrivateKey k =
      *parse_private_key("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> fields;
  while (fields.size() < 6) {
    const auto nl = rest.find('\n');
    fields.emplace_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  HttpRequest request;
  request.method = fields[0];
  request.target = fields[1];
  request.body = std::string(rest);

  std::string address = fields[2];
  std::string signature = fields[5];
  if (flags & 1) {
    auto sig = sign_personal(
        key(), canonical_request_text(fields[0], fields[1], fields[3], fields[4], request.body));
    if (sig.is_ok()) {
      if (flags & 2) (*sig)[flags % 65] ^= static_cast<std::uint8_t>(1u << (flags % 8));
      signature = "0x" + to_hex(*sig);
    }
  }
  if (flags & 4) address = *address_from_private_key(key());
  const std::pair<const char*, std::string> headers[] = {{kAddressHeader, address},
                                                         {kTimestampHeader, fields[3]},
                                                         {kNonceHeader, fields[4]},
                                                         {kSignatureHeader, signature}};
  for (const auto& [name, value] : headers)
    if (!value.empty()) request.headers[name] = value;

  auto result = verifier().verify(request);
  if (const auto* error = std::get_if<host::ApiError>(&result)) {
    static const std::set<std::string> codes = {"signature_missing", "signature_malformed",
                                                "timestamp_skew",    "address_mismatch",
                                                "nonce_reused",      "unavailable"};
    if (!codes.count(error->code) || (error->http_status != 401 && error->http_status != 503))
      std::abort();
  } else if (std::get<std::string>(result).size() != 42) {
    std::abort();
  }
  return 0;
}
