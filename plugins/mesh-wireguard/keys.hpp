// WireGuard keys: X25519 (RFC 7748) through OpenSSL, in the base64 form `wg genkey` and
// `wg pubkey` print (44 characters, one '=' of padding).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "formation/status.hpp"

namespace formation::mesh_wireguard {

using RawKey = std::array<std::uint8_t, 32>;

std::string base64_encode(const RawKey& key);
// invalid unless exactly 44 characters of base64 that decode to 32 bytes.
Result<RawKey> decode_key(std::string_view text);
// The check add_peer makes: ok, or invalid naming what is wrong.
Status validate_public_key(std::string_view text);

Result<RawKey> generate_private_key();
// X25519(private, 9): the public key.
Result<RawKey> public_key_of(const RawKey& private_key);

// Reads the base64 private key at `path`; creates it (0600, written atomically: a temp
// file renamed into place) when absent.
Result<RawKey> load_or_create_private_key(const std::filesystem::path& path);

}  // namespace formation::mesh_wireguard
