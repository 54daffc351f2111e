// Verifies signed requests (DESIGN.md §5, "Request signing") for the router: the four
// X-Formation-* headers, the clock-skew window, the personal_sign signature over the
// canonical text, and nonce replay protection through a NonceStore.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "formation/http.hpp"
#include "formation/status.hpp"
#include "http/api_error.hpp"

namespace formation {
class StateStore;
}

namespace formation::identity {

// Where nonces are remembered. remember() is true when (address, nonce) is new, false when
// it was seen and has not expired; an error means replay protection cannot be checked.
class NonceStore {
 public:
  virtual ~NonceStore() = default;
  virtual Result<bool> remember(const std::string& address, const std::string& nonce,
                                std::chrono::system_clock::time_point expires_at) = 0;
};

// NonceStore over the StateStore plugin (begin(), nonces().remember(), commit()), so a
// nonce used on one host is refused by every host sharing the store. The store must
// outlive the adapter.
class StateStoreNonces final : public NonceStore {
 public:
  explicit StateStoreNonces(StateStore& store) : store_(store) {}
  Result<bool> remember(const std::string& address, const std::string& nonce,
                        std::chrono::system_clock::time_point expires_at) override;

 private:
  StateStore& store_;
};

struct VerifierOptions {
  // Timestamps further than this from the server's clock are refused (HostConfig::clock_skew).
  std::chrono::seconds clock_skew{300};
  // The server's clock; tests replace it.
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
};

// The header names (lower case, as HttpRequest keeps them).
inline constexpr const char* kAddressHeader = "x-formation-address";
inline constexpr const char* kTimestampHeader = "x-formation-timestamp";
inline constexpr const char* kNonceHeader = "x-formation-nonce";
inline constexpr const char* kSignatureHeader = "x-formation-signature";

class RequestVerifier {
 public:
  RequestVerifier(VerifierOptions options, std::shared_ptr<NonceStore> nonces);

  // The signer's address ("0x" + 40 lower-case hex), or the error to answer:
  // 401 signature_missing | signature_malformed | timestamp_skew | address_mismatch |
  // nonce_reused; 503 unavailable when the nonce store fails. Thread-safe when the
  // NonceStore is. The nonce is recorded only for a request whose signature checks out.
  [[nodiscard]] std::variant<std::string, host::ApiError> verify(const HttpRequest& request) const;

 private:
  VerifierOptions options_;
  std::shared_ptr<NonceStore> nonces_;
};

}  // namespace formation::identity
