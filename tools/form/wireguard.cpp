#include "wireguard.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <memory>
#include <sstream>

#include "cli.hpp"

namespace form::wireguard {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kKeyText = 44;

using Key = std::array<unsigned char, kKeyBytes>;

// Wipes the raw key bytes on every way out of a function.
struct SecretBytes {
  Key bytes{};
  ~SecretBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

std::string encode(const Key& key) {
  std::array<unsigned char, kKeyText + 1> text{};
  EVP_EncodeBlock(text.data(), key.data(), static_cast<int>(key.size()));
  std::string out(reinterpret_cast<const char*>(text.data()), kKeyText);
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

bool decode(const std::string& text, Key& key) {
  if (text.size() != kKeyText || text[kKeyText - 1] != '=' || text[kKeyText - 2] == '=')
    return false;
  std::array<unsigned char, 33> raw{};  // EVP_DecodeBlock keeps the padding's zero byte
  const int n = EVP_DecodeBlock(raw.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  const bool ok = n == 33 && raw[32] == 0;
  if (ok) std::copy_n(raw.begin(), kKeyBytes, key.begin());
  OPENSSL_cleanse(raw.data(), raw.size());
  return ok;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

std::optional<Key> public_of(const Key& private_key) {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), kKeyBytes));
  if (!pkey) return std::nullopt;
  Key out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), out.data(), &len) != 1 || len != kKeyBytes)
    return std::nullopt;
  return out;
}

std::optional<int> port_of(const std::string& text) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535)
    return std::nullopt;
  return port;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

bool is_peer_header(const std::string& line) { return trim(line) == "[Peer]"; }

}  // namespace

KeyPair generate_key_pair() {
  SecretBytes secret;
  if (RAND_priv_bytes(secret.bytes.data(), static_cast<int>(secret.bytes.size())) != 1)
    throw CliError(Exit::kAuth, "the system's random number generator failed");
  // The clamping of `wg genkey`, so the file holds exactly what wg would have written.
  secret.bytes[0] &= 248;
  secret.bytes[31] = static_cast<unsigned char>((secret.bytes[31] & 127) | 64);
  auto pub = public_of(secret.bytes);
  if (!pub) throw CliError(Exit::kAuth, "OpenSSL cannot make an X25519 key");
  KeyPair pair;
  pair.private_key = encode(secret.bytes);
  pair.public_key = encode(*pub);
  return pair;
}

std::optional<std::string> public_key_of(const std::string& private_key) {
  SecretBytes secret;
  if (!decode(private_key, secret.bytes)) return std::nullopt;
  auto pub = public_of(secret.bytes);
  if (!pub) return std::nullopt;
  return encode(*pub);
}

bool is_key(const std::string& text) {
  SecretBytes bytes;
  return decode(text, bytes.bytes);
}

bool valid_interface_name(const std::string& name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '=' || c == '+' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_endpoint(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || !port_of(endpoint.substr(colon + 1))) return false;
  std::string host = endpoint.substr(0, colon);
  std::array<unsigned char, 16> addr{};
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), addr.data()) == 1;
  return inet_pton(AF_INET, host.c_str(), addr.data()) == 1;
}

std::optional<int> ipv4_prefix_length(const std::string& cidr) {
  const auto slash = cidr.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::array<unsigned char, 4> addr{};
  if (inet_pton(AF_INET, cidr.substr(0, slash).c_str(), addr.data()) != 1) return std::nullopt;
  const std::string bits = cidr.substr(slash + 1);
  int n = -1;
  auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
  if (ec != std::errc() || end != bits.data() + bits.size() || n < 0 || n > 32) return std::nullopt;
  return n;
}

bool valid_cidr(const std::string& cidr) {
  if (ipv4_prefix_length(cidr)) return true;
  const auto slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  std::array<unsigned char, 16> addr{};
  if (inet_pton(AF_INET6, cidr.substr(0, slash).c_str(), addr.data()) != 1) return false;
  const std::string bits = cidr.substr(slash + 1);
  int n = -1;
  auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
  return ec == std::errc() && end == bits.data() + bits.size() && n >= 0 && n <= 128;
}

bool valid_ipv4(const std::string& address) {
  std::array<unsigned char, 4> addr{};
  return inet_pton(AF_INET, address.c_str(), addr.data()) == 1;
}

std::string interface_section(const std::string& private_key, const std::string& address_cidr,
                              int listen_port, const std::string& comment) {
  std::ostringstream out;
  if (!comment.empty()) out << "# " << comment << '\n';
  out << "[Interface]\n"
      << "PrivateKey = " << private_key << '\n'
      << "Address = " << address_cidr << '\n';
  if (listen_port > 0) out << "ListenPort = " << listen_port << '\n';
  return out.str();
}

std::string peer_sections(const std::vector<Peer>& peers) {
  std::ostringstream out;
  for (const auto& peer : peers) {
    out << '\n';
    if (!peer.peer_id.empty()) out << "# " << peer.peer_id << '\n';
    out << "[Peer]\n"
        << "PublicKey = " << peer.public_key << '\n';
    std::string ips;
    for (const auto& ip : peer.allowed_ips) ips += (ips.empty() ? "" : ", ") + ip;
    out << "AllowedIPs = " << ips << '\n';
    if (!peer.endpoint.empty()) out << "Endpoint = " << peer.endpoint << '\n';
    if (peer.persistent_keepalive > 0)
      out << "PersistentKeepalive = " << peer.persistent_keepalive << '\n';
  }
  return out.str();
}

std::string interface_part(const std::string& config) {
  std::istringstream in(config);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (is_peer_header(line)) break;
    lines.push_back(line);
  }
  // A peer's "# <peer id>" comment and the blank line before it belong to the peer.
  while (!lines.empty() && (trim(lines.back()).empty() || trim(lines.back()).starts_with("#")))
    lines.pop_back();
  std::string out;
  for (const auto& line : lines) out += line + '\n';
  return out;
}

std::string private_key_in(const std::string& config) {
  std::istringstream in(config);
  bool in_interface = false;
  for (std::string line; std::getline(in, line);) {
    const std::string t = trim(line);
    if (t.starts_with("[")) {
      in_interface = t == "[Interface]";
      continue;
    }
    const auto eq = t.find('=');
    if (!in_interface || eq == std::string::npos) continue;
    if (trim(t.substr(0, eq)) == "PrivateKey") return trim(t.substr(eq + 1));
  }
  return {};
}

}  // namespace form::wireguard
