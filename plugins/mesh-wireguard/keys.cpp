#include "keys.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

namespace formation::mesh_wireguard {

namespace {

constexpr std::size_t kEncodedSize = 44;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

}  // namespace

std::string base64_encode(const RawKey& key) {
  std::array<unsigned char, kEncodedSize + 1> out{};
  EVP_EncodeBlock(out.data(), key.data(), static_cast<int>(key.size()));
  return {reinterpret_cast<const char*>(out.data()), kEncodedSize};
}

Result<RawKey> decode_key(std::string_view text) {
  if (text.size() != kEncodedSize) {
    return Status::invalid(
        "public key must be 44 characters of base64 (as `wg pubkey` prints), got " +
        std::to_string(text.size()) + " characters");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool padding = c == '=' && i == kEncodedSize - 1;
    if (!alnum && c != '+' && c != '/' && !padding) {
      return Status::invalid("public key is not base64: bad character at position " +
                             std::to_string(i + 1));
    }
  }
  if (text.back() != '=') {
    return Status::invalid("public key is not base64 of 32 bytes (it must end with '=')");
  }
  std::array<unsigned char, 33> out{};
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  // EVP_DecodeBlock counts the padding as a zero byte: 32 bytes decode to 33.
  if (n != 33) return Status::invalid("public key is not base64 of 32 bytes");
  RawKey key{};
  std::copy_n(out.begin(), key.size(), key.begin());
  // Canonical form only: the last character's two low bits must be zero.
  if (base64_encode(key) != text) {
    return Status::invalid("public key is not canonical base64 of 32 bytes");
  }
  return key;
}

Status validate_public_key(std::string_view text) {
  auto key = decode_key(text);
  return key.is_ok() ? Status::ok() : key.status();
}

Result<RawKey> generate_private_key() {
  RawKey key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return Status::internal("no randomness for a private key (RAND_bytes failed)");
  }
  // Clamped as `wg genkey` does (RFC 7748 §5); X25519 clamps again when it uses it.
  key[0] &= 248;
  key[31] = (key[31] & 127) | 64;
  return key;
}

Result<RawKey> public_key_of(const RawKey& private_key) {
  Pkey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(),
                                         private_key.size()));
  if (!pkey) return Status::internal("OpenSSL refused an X25519 private key");
  RawKey out{};
  std::size_t size = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), out.data(), &size) != 1 || size != out.size()) {
    return Status::internal("OpenSSL could not derive the X25519 public key");
  }
  return out;
}

Result<RawKey> load_or_create_private_key(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    auto key = decode_key(text);
    if (!key.is_ok()) {
      return Status::invalid("private key file " + path.string() + ": " + key.status().message());
    }
    return key;
  }
  auto key = generate_private_key();
  if (!key.is_ok()) return key.status();
  std::filesystem::create_directories(path.parent_path(), ec);
  const auto temp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::internal("cannot create " + temp);
  const auto text = base64_encode(*key) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written || std::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    return Status::internal("cannot write the private key to " + path.string());
  }
  return key;
}

}  // namespace formation::mesh_wireguard
