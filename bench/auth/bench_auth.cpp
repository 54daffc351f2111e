// bench_auth: how much the host's signature path costs over libsecp256k1 itself.
//   1. recover_address() over N pre-signed distinct messages (EIP-191 hash, recovery,
//      keccak of the public key, hex address) vs a raw loop of secp256k1_ecdsa_recover +
//      secp256k1_ec_pubkey_serialize over the same signatures with precomputed hashes;
//   2. RequestVerifier::verify() per second over N pre-signed distinct requests with an
//      in-memory nonce store.
// Usage: bench_auth [N] (default 20000). Goal: ratio of 1 to the raw loop >= 0.9.
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "identity/request_verifier.hpp"
#include "identity/signing.hpp"

namespace {

using namespace formation;
using namespace formation::identity;
using Clock = std::chrono::steady_clock;

class InMemoryNonces final : public NonceStore {
 public:
  Result<bool> remember(const std::string& address, const std::string& nonce,
                        std::chrono::system_clock::time_point) override {
    std::lock_guard lock(mutex_);
    return seen_.insert({address, nonce}).second;
  }

 private:
  std::mutex mutex_;
  std::set<std::pair<std::string, std::string>> seen_;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  const PrivateKey key =
      *parse_private_key("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  const std::string address = *address_from_private_key(key);

  std::printf("bench_auth: N=%zu distinct messages, one key, single thread\n", n);
  std::vector<std::string> messages(n);
  std::vector<Hash256> hashes(n);
  std::vector<Signature> signatures(n);
  for (std::size_t i = 0; i < n; ++i) {
    messages[i] =
        canonical_request_text("GET", "/v1/accounts/" + address + "?i=" + std::to_string(i),
                               "1700000000", "00000000" + std::to_string(100000000 + i), "");
    hashes[i] = eip191_hash(messages[i]);
    signatures[i] = *sign_hash(key, hashes[i]);
  }

  // Raw libsecp256k1 (parse, recover, serialize; the hash is already known) and
  // recover_address (from the message text to the address) run in alternating chunks of
  // the same signatures, so load on the machine hits both alike.
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  std::size_t raw_ok = 0;
  std::size_t ours_ok = 0;
  double raw_seconds = 0;
  double ours_seconds = 0;
  constexpr std::size_t kChunk = 500;
  for (std::size_t begin = 0; begin < n; begin += kChunk) {
    const std::size_t end = std::min(n, begin + kChunk);
    auto start = Clock::now();
    for (std::size_t i = begin; i < end; ++i) {
      secp256k1_ecdsa_recoverable_signature sig;
      secp256k1_pubkey pubkey;
      std::array<unsigned char, 65> out{};
      size_t len = out.size();
      if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, signatures[i].data(),
                                                              signatures[i][64] - 27) == 1 &&
          secp256k1_ecdsa_recover(ctx, &pubkey, &sig, hashes[i].data()) == 1 &&
          secp256k1_ec_pubkey_serialize(ctx, out.data(), &len, &pubkey,
                                        SECP256K1_EC_UNCOMPRESSED) == 1)
        raw_ok += out[0] == 4;
    }
    raw_seconds += seconds_since(start);
    start = Clock::now();
    for (std::size_t i = begin; i < end; ++i) {
      auto recovered = recover_address(messages[i], signatures[i]);
      ours_ok += recovered.is_ok() && *recovered == address;
    }
    ours_seconds += seconds_since(start);
  }
  secp256k1_context_destroy(ctx);

  // The verifier, with headers, skew window and nonce store.
  std::vector<HttpRequest> requests(n);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  for (std::size_t i = 0; i < n; ++i) {
    HttpRequest& r = requests[i];
    r.method = "GET";
    r.target = "/v1/accounts/" + address + "?i=" + std::to_string(i);
    r.path = "/v1/accounts/" + address;
    r.query = "i=" + std::to_string(i);
    const std::string ts = std::to_string(now);
    const std::string nonce = "0000000000" + std::to_string(1000000000 + i);
    r.headers[kAddressHeader] = address;
    r.headers[kTimestampHeader] = ts;
    r.headers[kNonceHeader] = nonce;
    r.headers[kSignatureHeader] =
        "0x" + to_hex(*sign_personal(key, canonical_request_text("GET", r.target, ts, nonce, "")));
  }
  RequestVerifier verifier(VerifierOptions{}, std::make_shared<InMemoryNonces>());
  std::size_t verified_ok = 0;
  const auto start = Clock::now();
  for (const auto& r : requests)
    verified_ok += std::holds_alternative<std::string>(verifier.verify(r));
  const double verify_seconds = seconds_since(start);

  if (raw_ok != n || ours_ok != n || verified_ok != n) {
    std::fprintf(stderr, "bench_auth: wrong results (raw %zu, recover %zu, verify %zu of %zu)\n",
                 raw_ok, ours_ok, verified_ok, n);
    return 1;
  }
  const double raw_rate = static_cast<double>(n) / raw_seconds;
  const double ours_rate = static_cast<double>(n) / ours_seconds;
  const double verify_rate = static_cast<double>(n) / verify_seconds;
  std::printf("raw libsecp256k1 recover+serialize : %10.0f /s\n", raw_rate);
  std::printf("recover_address (hash..address)    : %10.0f /s\n", ours_rate);
  std::printf("ratio recover_address / raw        : %10.3f (goal >= 0.9)\n", ours_rate / raw_rate);
  std::printf("RequestVerifier::verify            : %10.0f /s (in-memory nonces)\n", verify_rate);
  std::printf("ratio verify / raw                 : %10.3f\n", verify_rate / raw_rate);
  return 0;
}
