#include "ledger_ids.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <chrono>
#include <stdexcept>

namespace formation::billing_credits {
namespace {

std::string hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string debit_id(const std::string& instance_id, TimePoint period_start) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(period_start.time_since_epoch())
          .count();
  const std::string key = "usage-debit\n" + instance_id + "\n" + std::to_string(ms);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest.data());
  return hex(digest.data(), 16);
}

std::string random_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return hex(bytes.data(), bytes.size());
}

}  // namespace formation::billing_credits
