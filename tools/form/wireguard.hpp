// What `form mesh` needs of WireGuard without linking it: X25519 key pairs in the text form
// of `wg genkey` / `wg pubkey`, the checks on interface names and endpoints that wg-quick
// and the API apply, and the wg-quick configuration file (docs/cli.md, "form mesh").
#pragma once

#include <openssl/crypto.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace form::wireguard {

// A private key wipes itself: it lives only in memory and in the 0600 config file.
struct KeyPair {
  std::string private_key;  // 44 characters of base64, as `wg genkey` prints it
  std::string public_key;   // 44 characters of base64, as `wg pubkey` prints it
  KeyPair() = default;
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
  KeyPair(KeyPair&&) = default;
  KeyPair& operator=(KeyPair&&) = default;
  ~KeyPair() { OPENSSL_cleanse(private_key.data(), private_key.size()); }
};

// A fresh key pair from OpenSSL's RNG (EVP_PKEY_X25519), clamped as `wg genkey` clamps.
// Throws CliError(Exit::kAuth) when OpenSSL fails.
KeyPair generate_key_pair();

// The public key of a base64 private key; nullopt when it is not 32 bytes of base64.
std::optional<std::string> public_key_of(const std::string& private_key);

// 44 characters of base64 that decode to exactly 32 bytes.
bool is_key(const std::string& text);

// wg-quick's rule for interface names: 1 to 15 of [a-zA-Z0-9_=+.-].
bool valid_interface_name(const std::string& name);

// "IPv4:port" or "[IPv6]:port", port 1 to 65535.
bool valid_endpoint(const std::string& endpoint);

// The prefix length of "a.b.c.d/N" (0 to 32); nullopt otherwise.
std::optional<int> ipv4_prefix_length(const std::string& cidr);

// "a.b.c.d/N" or "IPv6/N": what AllowedIPs takes.
bool valid_cidr(const std::string& cidr);

// A dotted IPv4 address.
bool valid_ipv4(const std::string& address);

struct Peer {
  std::string peer_id;
  std::string public_key;
  std::vector<std::string> allowed_ips;
  std::string endpoint;  // empty: the peer calls us
  int persistent_keepalive = 0;
};

// The [Interface] section: address with the mesh's prefix length ("10.42.64.7/16") so the
// whole mesh routes through the interface; ListenPort only when the device has a fixed one.
std::string interface_section(const std::string& private_key, const std::string& address_cidr,
                              int listen_port, const std::string& comment);

// One [Peer] section per peer, each preceded by a blank line.
std::string peer_sections(const std::vector<Peer>& peers);

// Everything of a config before its first [Peer] section: the [Interface] part, kept as the
// user left it when the peers are rewritten.
std::string interface_part(const std::string& config);

// The PrivateKey value of a config's [Interface] section ("" when missing).
std::string private_key_in(const std::string& config);

}  // namespace form::wireguard
