#include "identity/request_verifier.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "identity/signing.hpp"

namespace formation::identity {
namespace {

using host::ApiError;

ApiError unauthorized(std::string code, std::string message) {
  return ApiError{401, std::move(code), std::move(message)};
}

ApiError malformed(std::string message) {
  return unauthorized("signature_malformed", std::move(message));
}

bool has_0x(std::string_view text) {
  return text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

RequestVerifier::RequestVerifier(VerifierOptions options, std::shared_ptr<NonceStore> nonces)
    : options_(std::move(options)), nonces_(std::move(nonces)) {
  if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
}

std::variant<std::string, host::ApiError> RequestVerifier::verify(
    const HttpRequest& request) const {
  const std::string_view address = request.header(kAddressHeader);
  const std::string_view timestamp = request.header(kTimestampHeader);
  const std::string_view nonce = request.header(kNonceHeader);
  const std::string_view signature_hex = request.header(kSignatureHeader);

  std::string missing;
  for (auto [name, value] :
       {std::pair{"X-Formation-Address", address}, std::pair{"X-Formation-Timestamp", timestamp},
        std::pair{"X-Formation-Nonce", nonce}, std::pair{"X-Formation-Signature", signature_hex}}) {
    if (value.empty()) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (!missing.empty())
    return unauthorized("signature_missing",
                        "this route needs a signed request; missing header(s): " + missing);

  // Shapes first: nothing below runs on text that is not what the contract allows.
  if (!has_0x(address) || address.size() != 42 || !is_hex(address.substr(2)))
    return malformed("X-Formation-Address must be 0x followed by 40 hex digits");
  if (timestamp.size() > 18 ||
      !std::all_of(timestamp.begin(), timestamp.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return malformed("X-Formation-Timestamp must be unix seconds in decimal digits");
  if (nonce.size() < 16 || nonce.size() > 64 || !is_hex(nonce))
    return malformed("X-Formation-Nonce must be 16 to 64 hex digits");
  if (!has_0x(signature_hex) || signature_hex.size() != 132 || !is_hex(signature_hex.substr(2)))
    return malformed("X-Formation-Signature must be 0x followed by 130 hex digits (r || s || v)");
  Signature signature{};
  {
    auto bytes = from_hex(signature_hex);
    if (!bytes || bytes->size() != signature.size())
      return malformed("X-Formation-Signature must be 0x followed by 130 hex digits");
    std::memcpy(signature.data(), bytes->data(), signature.size());
  }
  const std::uint8_t v = signature[64];
  if (v != 0 && v != 1 && v != 27 && v != 28)
    return malformed("the signature's v must be 27 or 28 (0 or 1 accepted)");

  std::int64_t seconds = 0;
  std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  const auto now = options_.clock();
  const std::int64_t now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::int64_t skew = options_.clock_skew.count();
  if (seconds > now_seconds + skew || seconds < now_seconds - skew) {
    return unauthorized("timestamp_skew", "X-Formation-Timestamp " + std::string(timestamp) +
                                              " is outside the allowed window: server time is " +
                                              std::to_string(now_seconds) + ", timestamps within " +
                                              std::to_string(skew) + " s of it are accepted");
  }

  const std::string text =
      canonical_request_text(request.method, request.target, timestamp, nonce, request.body);
  auto recovered = recover_address(text, signature);
  if (!recovered.is_ok()) return malformed("bad signature: " + recovered.status().message());
  const std::string claimed = lower(address);
  if (*recovered != claimed)
    return unauthorized("address_mismatch",
                        "the signature does not match X-Formation-Address " + std::string(address) +
                            " (check the signed text: formation-request-v1, method, target as "
                            "sent, timestamp, nonce, sha256 of the body)");

  // Kept until the timestamp leaves the window (plus a second for rounding).
  const auto expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(seconds)) +
                          options_.clock_skew + std::chrono::seconds(1);
  auto fresh = nonces_->remember(claimed, lower(nonce), expires_at);
  if (!fresh.is_ok())
    return ApiError{503, "unavailable", "replay protection is unavailable; retry later"};
  if (!*fresh)
    return unauthorized("nonce_reused", "X-Formation-Nonce " + std::string(nonce) +
                                            " was already used by " + claimed +
                                            "; sign every request with a new nonce");
  return claimed;
}

}  // namespace formation::identity
