#include "formation/kinds/state_store.hpp"
#include "identity/request_verifier.hpp"

namespace formation::identity {

Result<bool> StateStoreNonces::remember(const std::string& address, const std::string& nonce,
                                        std::chrono::system_clock::time_point expires_at) {
  // A commit that loses a serialization race is run once more: the second attempt sees
  // the other transaction's nonce (a replay) or succeeds.
  for (int attempt = 0;; ++attempt) {
    auto tx = store_.begin();
    if (!tx.is_ok()) return tx.status();
    auto fresh = (*tx)->nonces().remember(address, nonce, expires_at);
    if (!fresh.is_ok()) return fresh.status();
    Status committed = (*tx)->commit();
    if (committed.is_ok()) return *fresh;
    if (committed.code() != StatusCode::conflict || attempt >= 1) return committed;
  }
}

}  // namespace formation::identity
