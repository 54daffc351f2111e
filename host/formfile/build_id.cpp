#include "build_id.hpp"

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <memory>

namespace formation::formfile {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

}  // namespace

Result<std::string> build_id(std::string_view owner, std::string_view name) {
  if (owner.size() != 42 || owner[0] != '0' || (owner[1] != 'x' && owner[1] != 'X')) {
    return Status::invalid("owner: not an address (0x + 40 hex digits)");
  }
  std::array<unsigned char, 20> raw{};
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const int hi = hex_value(owner[2 + 2 * i]);
    const int lo = hex_value(owner[3 + 2 * i]);
    if (hi < 0 || lo < 0) return Status::invalid("owner: not an address (0x + 40 hex digits)");
    raw[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha3_256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), raw.data(), raw.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), name.data(), name.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1) {
    return Status::internal("SHA3-256 is not available from OpenSSL");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace formation::formfile
