#include "password_hash.hpp"

#include <crypt.h>
#include <openssl/rand.h>

#include <array>
#include <memory>

namespace formation::cloudinit {

Result<std::string> hash_password(std::string_view password) {
  // 64 symbols, so `byte % 64` is unbiased.
  static constexpr std::string_view kSaltAlphabet =
      "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::array<unsigned char, kSaltLength> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return Status::internal("password hashing: the random number generator failed");
  }
  std::string setting(kHashPrefix);
  for (unsigned char byte : random) setting += kSaltAlphabet[byte % kSaltAlphabet.size()];
  setting += '$';

  // crypt_data is tens of kilobytes: too big for a blocking-pool thread's stack.
  auto data = std::make_unique<crypt_data>();
  std::string phrase(password);  // crypt_r wants a NUL-terminated string
  const char* hashed = crypt_r(phrase.c_str(), setting.c_str(), data.get());
  // libxcrypt returns a string starting with '*' instead of NULL on failure.
  if (hashed == nullptr || hashed[0] != '$') {
    return Status::internal("password hashing: crypt_r refused SHA-512");
  }
  return std::string(hashed);
}

}  // namespace formation::cloudinit
