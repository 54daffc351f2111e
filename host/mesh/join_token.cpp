#include "mesh/join_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <fstream>
#include <iterator>
#include <vector>

#include "util/private_file.hpp"

namespace formation::host::mesh {
namespace {

constexpr std::string_view kPrefix = "fjt1.";
constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kMaxTokenLength = 256;

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

}  // namespace

Result<JoinTokens> JoinTokens::open(const std::filesystem::path& key_file) {
  std::ifstream in(key_file, std::ios::binary);
  if (in) {
    std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (secret.size() == kSecretBytes) return JoinTokens(std::move(secret));
    return Status::unavailable("the mesh join secret " + key_file.string() + " is " +
                               std::to_string(secret.size()) + " bytes, not " +
                               std::to_string(kSecretBytes) + "; remove it to make a new one");
  }
  std::string secret(kSecretBytes, '\0');
  if (RAND_priv_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                      static_cast<int>(secret.size())) != 1) {
    return Status::unavailable("no randomness for the mesh join secret");
  }
  if (auto st = write_private_file(key_file, secret); !st.is_ok()) {
    return Status::unavailable("the mesh join secret: " + st.message());
  }
  return JoinTokens(std::move(secret));
}

std::string JoinTokens::mac(const std::string& instance_id, const std::string& address) const {
  const std::string message = "formation-mesh-join-v1\n" + instance_id + "\n" + address;
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &length);
  return hex(out.data(), length);
}

std::string JoinTokens::mint(const std::string& instance_id, const std::string& address) const {
  return std::string(kPrefix) + instance_id + "." + address + "." + mac(instance_id, address);
}

Result<JoinTokenClaims> JoinTokens::verify(std::string_view token) const {
  if (token.size() > kMaxTokenLength || token.substr(0, kPrefix.size()) != kPrefix) {
    return Status::invalid("join_token: not a Formation join token (expected fjt1.…)");
  }
  token.remove_prefix(kPrefix.size());
  const auto first = token.find('.');
  const auto last = token.rfind('.');
  if (first == std::string_view::npos || first == last) {
    return Status::invalid("join_token: expected fjt1.<instance id>.<address>.<mac>");
  }
  JoinTokenClaims claims{std::string(token.substr(0, first)),
                         std::string(token.substr(first + 1, last - first - 1))};
  const std::string expected = mac(claims.instance_id, claims.address);
  const std::string_view given = token.substr(last + 1);
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return Status::invalid("join_token: not minted by this node (or altered)");
  }
  return claims;
}

}  // namespace formation::host::mesh
