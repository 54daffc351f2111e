#include "identity/signing.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstring>

namespace formation::identity {
namespace {

// One context for the process: created once, then only read (libsecp256k1 contexts are
// safe to share between threads for signing, verifying and recovery).
const secp256k1_context* context() {
  static const secp256k1_context* ctx = [] {
    // libsecp256k1 >= 0.2: one context does everything (the SIGN/VERIFY flags are ignored).
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    // Blinding for side-channel resistance of signing; harmless when RAND fails.
    std::array<unsigned char, 32> seed{};
    if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) == 1) {
      const int randomized = secp256k1_context_randomize(c, seed.data());
      static_cast<void>(randomized);
    }
    return c;
  }();
  return ctx;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view strip_0x(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  return text;
}

std::string address_of_pubkey(const secp256k1_pubkey& pubkey) {
  std::array<unsigned char, 65> serialized{};
  size_t length = serialized.size();
  secp256k1_ec_pubkey_serialize(context(), serialized.data(), &length, &pubkey,
                                SECP256K1_EC_UNCOMPRESSED);
  const Hash256 hash = keccak256(std::span<const std::uint8_t>(serialized.data() + 1, 64));
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  out.reserve(42);
  for (std::size_t i = 12; i < hash.size(); ++i) {
    out.push_back(kDigits[hash[i] >> 4]);
    out.push_back(kDigits[hash[i] & 0x0f]);
  }
  return out;
}

}  // namespace

Hash256 sha256(std::string_view data) {
  Hash256 out{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

Hash256 eip191_hash(std::string_view message) {
  std::string prefixed =
      "\x19"
      "Ethereum Signed Message:\n";
  prefixed += std::to_string(message.size());
  prefixed.append(message);
  return keccak256(std::string_view(prefixed));
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

bool is_hex(std::string_view text) {
  for (char c : text)
    if (hex_value(c) < 0) return false;
  return true;
}

std::optional<Bytes> from_hex(std::string_view text) {
  text = strip_0x(text);
  if (text.size() % 2 != 0) return std::nullopt;
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string canonical_request_text(std::string_view method, std::string_view target,
                                   std::string_view timestamp, std::string_view nonce,
                                   std::string_view body) {
  std::string text = "formation-request-v1\n";
  text.append(method).append("\n");
  text.append(target).append("\n");
  text.append(timestamp).append("\n");
  text.append(nonce).append("\n");
  text += to_hex(sha256(body));
  return text;
}

bool is_valid_private_key(const PrivateKey& key) {
  return secp256k1_ec_seckey_verify(context(), key.data()) == 1;
}

Result<PrivateKey> parse_private_key(std::string_view hex) {
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != 32)
    return Status::invalid("a private key is 64 hex digits (32 bytes), optionally after 0x");
  PrivateKey key{};
  std::memcpy(key.data(), bytes->data(), key.size());
  if (!is_valid_private_key(key)) return Status::invalid("not a valid secp256k1 private key");
  return key;
}

Result<std::string> address_from_private_key(const PrivateKey& key) {
  secp256k1_pubkey pubkey;
  if (secp256k1_ec_pubkey_create(context(), &pubkey, key.data()) != 1)
    return Status::invalid("not a valid secp256k1 private key");
  return address_of_pubkey(pubkey);
}

Result<std::string> checksum_address(std::string_view address) {
  address = strip_0x(address);
  if (address.size() != 40 || !is_hex(address))
    return Status::invalid("an address is 0x followed by 40 hex digits");
  std::string lower(address);
  for (char& c : lower)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  const Hash256 hash = keccak256(std::string_view(lower));
  std::string out = "0x";
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const int nibble = (i % 2 == 0) ? (hash[i / 2] >> 4) : (hash[i / 2] & 0x0f);
    char c = lower[i];
    if (c >= 'a' && c <= 'f' && nibble >= 8) c = static_cast<char>(c - 'a' + 'A');
    out.push_back(c);
  }
  return out;
}

Result<Signature> sign_hash(const PrivateKey& key, const Hash256& hash) {
  secp256k1_ecdsa_recoverable_signature sig;
  // The default nonce function is RFC 6979; libsecp256k1 always produces low-s.
  if (secp256k1_ecdsa_sign_recoverable(context(), &sig, hash.data(), key.data(), nullptr,
                                       nullptr) != 1)
    return Status::invalid("not a valid secp256k1 private key");
  Signature out{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), out.data(), &recid, &sig);
  out[64] = static_cast<std::uint8_t>(27 + recid);
  return out;
}

Result<Signature> sign_personal(const PrivateKey& key, std::string_view message) {
  return sign_hash(key, eip191_hash(message));
}

Result<std::string> recover_address_from_hash(const Hash256& hash, const Signature& signature) {
  int recid = signature[64];
  if (recid >= 27) recid -= 27;
  if (recid != 0 && recid != 1) return Status::invalid("v must be 27 or 28 (0 or 1)");

  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &sig, signature.data(),
                                                          recid) != 1)
    return Status::invalid("r or s is out of range");
  secp256k1_ecdsa_signature plain;
  secp256k1_ecdsa_recoverable_signature_convert(context(), &plain, &sig);
  // normalize() answers 1 when it had to lower s: the signature was high-s (malleable).
  if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &plain) == 1)
    return Status::invalid("s is in the upper half of the curve order (high-s)");

  secp256k1_pubkey pubkey;
  if (secp256k1_ecdsa_recover(context(), &pubkey, &sig, hash.data()) != 1)
    return Status::invalid("no public key matches the signature");
  return address_of_pubkey(pubkey);
}

Result<std::string> recover_address(std::string_view message, const Signature& signature) {
  return recover_address_from_hash(eip191_hash(message), signature);
}

}  // namespace formation::identity
